/*
 * fuzz_wire.c: libFuzzer target for smtp_wire (harness/lib/smtp_wire.c).
 *
 * Runs a server's read loop over the input: commands through
 * mx_reader_line and mx_command_parse, MAIL/RCPT arguments through
 * mx_path_parse, DATA pieces through mx_data_line, and replies built with
 * mx_reply_format; STARTTLS discards the buffered bytes and switches the
 * source, as the real server does.
 *
 * Input: 4 header bytes, then the byte stream.
 *   [0] command cap  1 + b % 96
 *   [1] data cap     MX_DATA_MINCAP + b % 64
 *   [2] recv chunks  b == 255: as large as asked; else 1 .. 1 + b % 64,
 *                    varied per call
 *   [3] bit 0: the stream ends in an error instead of EOF;
 *       the rest: path and reply buffer sizes
 *
 * Besides the sanitizers, it checks invariants and aborts on a violation:
 * every piece is the next bytes of the stream (nothing lost, duplicated
 * or read ahead), LINE pieces end in their only LF, PARTIAL pieces fill
 * the cap, parser results point inside their input, and reply formatting
 * matches itself across buffer sizes.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_wire.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

#include "fuzz_feed.h"

/* Reply formatting: lengths agree across buffer sizes, lines are framed. */
static void
check_reply(int code, const char *text, size_t smallcap)
{
	static char full[2 * 4096 + 64 * 8];
	char small[64 + 1];
	size_t need, n, lines = 1, tlen = strlen(text);

	need = mx_reply_format(NULL, 0, code, text);
	if (need >= sizeof full)
		return;
	n = mx_reply_format(full, sizeof full, code, text);
	CHECK(n == need && strlen(full) == n);
	CHECK(n >= 5 && full[n - 2] == '\r' && full[n - 1] == '\n');
	for (size_t i = 0; i + 1 < tlen; i++)
		lines += text[i] == '\n';
	for (size_t i = 0; i < n; i++)
		lines -= full[i] == '\n';
	CHECK(lines == 0);
	memset(small, 0x55, sizeof small);
	CHECK(smallcap < sizeof small);
	CHECK(mx_reply_format(small, smallcap, code, text) == need);
	if (smallcap > 0) {
		size_t used = need < smallcap - 1 ? need : smallcap - 1;

		CHECK(memcmp(small, full, used) == 0 && small[used] == '\0');
	}
	for (size_t i = smallcap; i < sizeof small; i++)
		CHECK((unsigned char)small[i] == 0x55);
}

static void
check_path(const char *arg, size_t len, const char *prefix, size_t pathcap)
{
	char path[65];
	const char *params;
	size_t plen;

	CHECK(pathcap <= sizeof path);
	if (mx_path_parse(arg, len, prefix, path, pathcap, &params, &plen) < 0) {
		CHECK(pathcap == 0 || path[0] == '\0');
		return;
	}
	CHECK(strlen(path) < pathcap);
	CHECK(params >= arg && params + plen <= arg + len);
	for (const char *p = path; *p; p++)
		CHECK((unsigned char)*p >= 0x20 && *p != 0x7f);
	/* The unbounded parse agrees. */
	{
		char big[4096 + 1];

		CHECK(len < sizeof big);
		CHECK(mx_path_parse(arg, len, prefix, big, sizeof big, NULL,
				    NULL) == 0);
		CHECK(strcmp(big, path) == 0);
	}
}

/* Piece invariants, and the piece is the next bytes of the stream. */
static void
check_piece(const struct feed *f, size_t *pos, const unsigned char *p,
	    size_t n, size_t cap, enum mx_read_status st)
{
	const unsigned char *lf = n ? memchr(p, '\n', n) : NULL;

	CHECK(n <= cap);
	switch (st) {
	case MX_READ_LINE:
		CHECK(n > 0 && lf == p + n - 1);
		break;
	case MX_READ_PARTIAL:
		CHECK(n == cap && lf == NULL);
		break;
	default:
		CHECK(lf == NULL);
	}
	CHECK(*pos + n <= f->len);
	CHECK(n == 0 || memcmp(f->data + *pos, p, n) == 0);
	*pos += n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_reader r;
	struct feed f;
	unsigned char line[96 + 64 + 1];
	char text[sizeof line + 1];
	size_t cmdcap, datacap, pathcap, replycap, n, pos = 0, skip, body = 0;
	int in_data = 0, at_start = 1, code = 250;
	enum mx_read_status st;

	if (size < 4)
		return 0;
	cmdcap = 1 + data[0] % 96;
	datacap = MX_DATA_MINCAP + data[1] % 64;
	pathcap = (size_t)(data[3] >> 1) % 65;
	replycap = (size_t)(data[3] >> 2) % 65;
	memset(&f, 0, sizeof f);
	f.data = data + 4;
	f.len = size - 4;
	f.chunk = data[2];
	f.rng = data[2] * 2654435761u;
	f.fail_at_end = data[3] & 1;
	mx_reader_init(&r, feed_recv, &f);

	for (;;) {
		size_t cap = in_data ? datacap : cmdcap;
		struct mx_command cmd;

		st = mx_reader_line(&r, line, cap, &n);
		check_piece(&f, &pos, line, n, cap, st);
		CHECK(mx_reader_pending(&r) == f.off - pos);
		if (st == MX_READ_EOF || st == MX_READ_ERROR) {
			CHECK(st == MX_READ_EOF ? !f.fail_at_end : f.fail_at_end);
			CHECK(st == MX_READ_EOF ? r.eof : r.error == -2);
			break;
		}
		if (in_data) {
			enum mx_data_kind k = mx_data_line(line, n, at_start,
							   &skip);

			CHECK(skip <= 1 && skip <= n);
			if (k == MX_DATA_END) {
				CHECK(at_start && skip == 0 && st == MX_READ_LINE);
				CHECK(n == 2 || n == 3);
				in_data = 0;
				check_reply(250, "2.0.0 Ok: queued", replycap);
			} else {
				CHECK(skip == 0 || line[0] == '.');
				body += n - skip;
			}
			at_start = st == MX_READ_LINE;
			continue;
		}
		if (st == MX_READ_PARTIAL) {
			/* Command too long: drop the rest of it. */
			do {
				st = mx_reader_line(&r, line, cap, &n);
				check_piece(&f, &pos, line, n, cap, st);
			} while (st == MX_READ_PARTIAL);
			if (st != MX_READ_LINE)
				continue;	/* EOF/error again next round */
			check_reply(500, "5.5.2 Line too long", replycap);
			continue;
		}
		if (mx_command_parse((const char *)line, n, &cmd) < 0) {
			check_reply(500, "5.5.2 Syntax error", replycap);
			continue;
		}
		CHECK(cmd.verb_text == (const char *)line && cmd.verb_len > 0);
		CHECK(cmd.arg >= (const char *)line &&
		      cmd.arg + cmd.arg_len <= (const char *)line + n);
		CHECK(cmd.verb == MX_VERB_UNKNOWN ||
		      strlen(mx_verb_name(cmd.verb)) == cmd.verb_len);
		/* The line held no NUL, so the argument is a C string. */
		memcpy(text, cmd.arg, cmd.arg_len);
		text[cmd.arg_len] = '\0';
		CHECK(strlen(text) == cmd.arg_len);
		code = 200 + (int)(n % 400);
		switch (cmd.verb) {
		case MX_VERB_MAIL:
			check_path(cmd.arg, cmd.arg_len, "FROM:", pathcap);
			break;
		case MX_VERB_RCPT:
			check_path(cmd.arg, cmd.arg_len, "TO:", pathcap);
			break;
		case MX_VERB_DATA:
			in_data = 1;
			at_start = 1;
			check_reply(354, "End data with <CR><LF>.<CR><LF>", replycap);
			break;
		case MX_VERB_STARTTLS: {
			size_t pending = mx_reader_pending(&r);

			CHECK(mx_reader_discard(&r) == pending);
			CHECK(mx_reader_pending(&r) == 0);
			pos += pending;
			mx_reader_set_source(&r, feed_recv, &f);
			break;
		}
		case MX_VERB_EHLO:
			/* A multi-line reply with the argument in it. */
			for (size_t i = 0; i < cmd.arg_len; i++)
				if (text[i] == ' ')
					text[i] = '\n';
			break;
		default:
			break;
		}
		check_reply(code, text, replycap);
	}
	CHECK(pos == f.len);
	CHECK(body <= f.len);
	return 0;
}
