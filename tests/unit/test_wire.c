/*
 * test_wire.c: cmocka tests for smtp_wire (harness/lib/smtp_wire.c).
 *
 * A scripted recv callback serves chunks (or errors, or more bytes than
 * offered) to the line reader; tables cover command parsing, path parsing,
 * data lines and reply formatting. Speaks TAP with
 * CMOCKA_MESSAGE_OUTPUT=TAP (one group, "wire").
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "smtp_wire.h"

/* One scripted recv result: bytes (len > 0), EOF (len 0), error (len < 0,
 * returned as is), or OVERSIZE (the callback lies about its length). */
#define OVERSIZE (-1000)

struct chunk {
	const char *data;
	int len;
};

struct script {
	const struct chunk *c;
	size_t nchunks;
	size_t i;		/* current chunk */
	size_t off;		/* bytes of it already served */
	size_t maxserve;	/* serve at most this many bytes per call (0: any) */
	int calls;
	size_t biggest_ask;
};

#define CH(s) { s, (int)(sizeof s - 1) }
#define END_OF_STREAM { NULL, 0 }
#define FAIL(v) { NULL, v }

static int
script_recv(void *io, unsigned char *buf, size_t len)
{
	struct script *s = io;
	const struct chunk *c;
	size_t n;

	s->calls++;
	if (len > s->biggest_ask)
		s->biggest_ask = len;
	if (s->i >= s->nchunks)
		return 0;
	c = &s->c[s->i];
	if (c->len == OVERSIZE)
		return (int)len + 1;
	if (c->len <= 0) {
		s->i++;
		return c->len;
	}
	n = (size_t)c->len - s->off;
	if (n > len)
		n = len;
	if (s->maxserve && n > s->maxserve)
		n = s->maxserve;
	memcpy(buf, c->data + s->off, n);
	s->off += n;
	if (s->off == (size_t)c->len) {
		s->i++;
		s->off = 0;
	}
	return (int)n;
}

static void
script_init(struct script *s, const struct chunk *c, size_t n)
{
	memset(s, 0, sizeof *s);
	s->c = c;
	s->nchunks = n;
}

/* Read one piece and check status and bytes. */
static void
expect_piece(struct mx_reader *r, size_t cap, enum mx_read_status st,
	     const char *want, size_t wantlen)
{
	unsigned char out[8192];
	size_t n = 12345;

	assert_true(cap <= sizeof out);
	memset(out, 0xAA, sizeof out);
	assert_int_equal(mx_reader_line(r, out, cap, &n), st);
	assert_int_equal(n, wantlen);
	if (wantlen)
		assert_memory_equal(out, want, wantlen);
	/* Nothing written past the piece. */
	for (size_t i = n; i < sizeof out; i++)
		assert_int_equal(out[i], 0xAA);
}

#define EXPECT(r, cap, st, lit) expect_piece(r, cap, st, lit, sizeof lit - 1)

static void
reader_pipelined(void **state)
{
	static const struct chunk c[] = {
		CH("EHLO x\r\nMAIL FROM:<a@b>\r\nRCPT TO:<c@d>\r\n"),
	};
	struct script s;
	struct mx_reader r;

	(void)state;
	script_init(&s, c, 1);
	mx_reader_init(&r, script_recv, &s);
	assert_int_equal(mx_reader_pending(&r), 0);
	EXPECT(&r, 512, MX_READ_LINE, "EHLO x\r\n");
	assert_int_equal(s.calls, 1);
	assert_int_equal(mx_reader_pending(&r), 32);
	EXPECT(&r, 512, MX_READ_LINE, "MAIL FROM:<a@b>\r\n");
	assert_int_equal(mx_reader_pending(&r), 15);
	EXPECT(&r, 512, MX_READ_LINE, "RCPT TO:<c@d>\r\n");
	assert_int_equal(s.calls, 1);
	assert_int_equal(mx_reader_pending(&r), 0);
	EXPECT(&r, 512, MX_READ_EOF, "");
	assert_int_equal(s.calls, 2);
	/* EOF is sticky and does not call the source again. */
	EXPECT(&r, 512, MX_READ_EOF, "");
	EXPECT(&r, 512, MX_READ_EOF, "");
	assert_int_equal(s.calls, 2);
	assert_true(r.eof);
	assert_int_equal(r.error, 0);
	assert_true(s.biggest_ask <= MX_READER_BUFSIZE);
}

static void
reader_one_byte_chunks(void **state)
{
	static const struct chunk c[] = { CH("MAIL FROM:<a@b>\r\nQUIT\r\n") };
	struct script s;
	struct mx_reader r;

	(void)state;
	script_init(&s, c, 1);
	s.maxserve = 1;
	mx_reader_init(&r, script_recv, &s);
	EXPECT(&r, 512, MX_READ_LINE, "MAIL FROM:<a@b>\r\n");
	assert_int_equal(s.calls, 17);
	assert_int_equal(mx_reader_pending(&r), 0);
	EXPECT(&r, 512, MX_READ_LINE, "QUIT\r\n");
	assert_int_equal(s.calls, 23);
	EXPECT(&r, 512, MX_READ_EOF, "");
}

static void
reader_split_lines(void **state)
{
	/* A line split over calls, CR LF split over calls, a bare LF. */
	static const struct chunk c[] = {
		CH("EHL"), CH("O x\r"), CH("\nNOOP\r\n"), CH("bare\n"),
		CH("\r"), CH("\n"), CH("x"), CH("y\r\n"),
	};
	struct script s;
	struct mx_reader r;

	(void)state;
	script_init(&s, c, sizeof c / sizeof c[0]);
	mx_reader_init(&r, script_recv, &s);
	EXPECT(&r, 512, MX_READ_LINE, "EHLO x\r\n");
	assert_int_equal(s.calls, 3);
	assert_int_equal(mx_reader_pending(&r), 6);
	EXPECT(&r, 512, MX_READ_LINE, "NOOP\r\n");
	EXPECT(&r, 512, MX_READ_LINE, "bare\n");
	EXPECT(&r, 512, MX_READ_LINE, "\r\n");
	EXPECT(&r, 512, MX_READ_LINE, "xy\r\n");
	EXPECT(&r, 512, MX_READ_EOF, "");
}

static void
reader_partial(void **state)
{
	static const struct chunk c[] = {
		CH("abcdefghij\r\n"), CH("abc\n"), CH("abcd\n"), CH("\n"),
	};
	struct script s;
	struct mx_reader r;

	(void)state;
	script_init(&s, c, sizeof c / sizeof c[0]);
	mx_reader_init(&r, script_recv, &s);
	EXPECT(&r, 4, MX_READ_PARTIAL, "abcd");
	EXPECT(&r, 4, MX_READ_PARTIAL, "efgh");
	EXPECT(&r, 4, MX_READ_LINE, "ij\r\n");
	/* A line of exactly cap bytes is whole. */
	EXPECT(&r, 4, MX_READ_LINE, "abc\n");
	/* One more byte: a full piece, then the LF alone. */
	EXPECT(&r, 4, MX_READ_PARTIAL, "abcd");
	EXPECT(&r, 4, MX_READ_LINE, "\n");
	EXPECT(&r, 1, MX_READ_LINE, "\n");
	EXPECT(&r, 4, MX_READ_EOF, "");
}

static void
reader_cap_one(void **state)
{
	static const struct chunk c[] = { CH("ab\r\n") };
	struct script s;
	struct mx_reader r;

	(void)state;
	script_init(&s, c, 1);
	mx_reader_init(&r, script_recv, &s);
	EXPECT(&r, 1, MX_READ_PARTIAL, "a");
	EXPECT(&r, 1, MX_READ_PARTIAL, "b");
	EXPECT(&r, 1, MX_READ_PARTIAL, "\r");
	EXPECT(&r, 1, MX_READ_LINE, "\n");
	/* cap 0: nothing read, nothing consumed. */
	EXPECT(&r, 0, MX_READ_PARTIAL, "");
	assert_int_equal(s.calls, 1);
	EXPECT(&r, 1, MX_READ_EOF, "");
}

static void
reader_long_line_over_buffer(void **state)
{
	/* A line longer than the reader's own buffer, with a big cap. */
	static char big[6001];
	struct chunk c[1];
	struct script s;
	struct mx_reader r;
	unsigned char out[8192];
	size_t n;

	(void)state;
	for (size_t i = 0; i < 6000; i++)
		big[i] = (char)('a' + i % 26);
	big[6000] = '\n';
	c[0].data = big;
	c[0].len = 6001;
	script_init(&s, c, 1);
	mx_reader_init(&r, script_recv, &s);
	assert_int_equal(mx_reader_line(&r, out, sizeof out, &n), MX_READ_LINE);
	assert_int_equal(n, 6001);
	assert_memory_equal(out, big, 6001);
	assert_true(s.calls >= 2);
	assert_true(s.biggest_ask <= MX_READER_BUFSIZE);
}

static void
reader_eof_mid_line(void **state)
{
	static const struct chunk c[] = { CH("DATA\r\nQUI"), CH("T") };
	struct script s;
	struct mx_reader r;

	(void)state;
	script_init(&s, c, 2);
	mx_reader_init(&r, script_recv, &s);
	EXPECT(&r, 64, MX_READ_LINE, "DATA\r\n");
	EXPECT(&r, 64, MX_READ_EOF, "QUIT");
	EXPECT(&r, 64, MX_READ_EOF, "");
	assert_int_equal(r.error, 0);
}

static void
reader_eof_empty(void **state)
{
	struct script s;
	struct mx_reader r;

	(void)state;
	script_init(&s, NULL, 0);
	mx_reader_init(&r, script_recv, &s);
	EXPECT(&r, 64, MX_READ_EOF, "");
	assert_int_equal(s.calls, 1);
	/* EOF during a partial read: the bytes so far, n < cap. */
	{
		static const struct chunk c[] = { CH("abcdef") };

		script_init(&s, c, 1);
		mx_reader_init(&r, script_recv, &s);
		EXPECT(&r, 4, MX_READ_PARTIAL, "abcd");
		EXPECT(&r, 4, MX_READ_EOF, "ef");
	}
}

static void
reader_error(void **state)
{
	static const struct chunk c[] = {
		CH("A\r\nHEL"), FAIL(-7), CH("never\r\n"),
	};
	struct script s;
	struct mx_reader r;

	(void)state;
	script_init(&s, c, 3);
	mx_reader_init(&r, script_recv, &s);
	EXPECT(&r, 64, MX_READ_LINE, "A\r\n");
	EXPECT(&r, 64, MX_READ_ERROR, "HEL");
	assert_int_equal(r.error, -7);
	assert_false(r.eof);
	/* Sticky: the source is not called again. */
	EXPECT(&r, 64, MX_READ_ERROR, "");
	assert_int_equal(s.calls, 2);
	assert_int_equal(r.error, -7);
}

static void
reader_oversize_callback(void **state)
{
	static const struct chunk c[] = { FAIL(OVERSIZE) };
	struct script s;
	struct mx_reader r;

	(void)state;
	script_init(&s, c, 1);
	mx_reader_init(&r, script_recv, &s);
	EXPECT(&r, 64, MX_READ_ERROR, "");
	assert_int_equal(r.error, -1);
	assert_int_equal(mx_reader_pending(&r), 0);
}

static void
reader_starttls_discard(void **state)
{
	/* Plaintext pipelined after STARTTLS must not be read afterwards. */
	static const struct chunk plain[] = {
		CH("STARTTLS\r\nMAIL FROM:<evil@x>\r\n"),
	};
	static const struct chunk tls[] = { CH("EHLO tls\r\n") };
	struct script s1, s2;
	struct mx_reader r;

	(void)state;
	script_init(&s1, plain, 1);
	script_init(&s2, tls, 1);
	mx_reader_init(&r, script_recv, &s1);
	EXPECT(&r, 512, MX_READ_LINE, "STARTTLS\r\n");
	assert_int_equal(mx_reader_pending(&r), 20);
	assert_int_equal(mx_reader_discard(&r), 20);
	assert_int_equal(mx_reader_pending(&r), 0);
	assert_int_equal(mx_reader_discard(&r), 0);
	mx_reader_set_source(&r, script_recv, &s2);
	EXPECT(&r, 512, MX_READ_LINE, "EHLO tls\r\n");
	assert_int_equal(s1.calls, 1);
	assert_int_equal(s2.calls, 1);
}

static void
reader_set_source_discards(void **state)
{
	static const struct chunk plain[] = { CH("STARTTLS\r\nRSET\r\n") };
	static const struct chunk tls[] = { CH("NOOP\r\n") };
	static const struct chunk none[] = { END_OF_STREAM };
	struct script s1, s2, s3;
	struct mx_reader r;

	(void)state;
	script_init(&s1, plain, 1);
	script_init(&s2, tls, 1);
	script_init(&s3, none, 1);
	mx_reader_init(&r, script_recv, &s1);
	EXPECT(&r, 512, MX_READ_LINE, "STARTTLS\r\n");
	mx_reader_set_source(&r, script_recv, &s2);
	assert_int_equal(mx_reader_pending(&r), 0);
	EXPECT(&r, 512, MX_READ_LINE, "NOOP\r\n");
	EXPECT(&r, 512, MX_READ_EOF, "");
	/* A new source clears the old source's EOF. */
	mx_reader_set_source(&r, script_recv, &s3);
	assert_false(r.eof);
	EXPECT(&r, 512, MX_READ_EOF, "");
	assert_int_equal(s3.calls, 1);
}

static void
reader_nul_byte(void **state)
{
	static const struct chunk c[] = { { "NO\0OP\r\n", 7 } };
	struct script s;
	struct mx_reader r;
	struct mx_command cmd;

	(void)state;
	script_init(&s, c, 1);
	mx_reader_init(&r, script_recv, &s);
	expect_piece(&r, 64, MX_READ_LINE, "NO\0OP\r\n", 7);
	assert_int_equal(mx_command_parse("NO\0OP\r\n", 7, &cmd), -1);
}

/* 10 MB without LF, position-derived bytes, in varying chunk sizes. */
struct garbage {
	size_t total, served;
	int calls;
};

static unsigned char
garbage_byte(size_t pos)
{
	unsigned char b = (unsigned char)(pos * 31 + (pos >> 8) + 7);

	return b == '\n' ? 'x' : b;
}

static int
garbage_recv(void *io, unsigned char *buf, size_t len)
{
	struct garbage *g = io;
	size_t n = (size_t)g->calls * 7919 % 3000 + 1;

	g->calls++;
	if (len > MX_READER_BUFSIZE)
		return -99;
	if (n > len)
		n = len;
	if (n > g->total - g->served)
		n = g->total - g->served;
	for (size_t i = 0; i < n; i++)
		buf[i] = garbage_byte(g->served + i);
	g->served += n;
	return (int)n;
}

static void
reader_ten_megabytes_no_lf(void **state)
{
	struct garbage g = { 10u * 1024 * 1024, 0, 0 };
	struct mx_reader r;
	unsigned char out[1000 + 16];
	size_t n, got = 0, pieces = 0;
	enum mx_read_status st;

	(void)state;
	mx_reader_init(&r, garbage_recv, &g);
	memset(out + 1000, 0x5A, 16);
	while ((st = mx_reader_line(&r, out, 1000, &n)) == MX_READ_PARTIAL) {
		assert_int_equal(n, 1000);
		for (size_t i = 0; i < n; i++)
			if (out[i] != garbage_byte(got + i))
				fail_msg("byte %zu differs", got + i);
		got += n;
		pieces++;
		assert_true(mx_reader_pending(&r) <= MX_READER_BUFSIZE);
	}
	assert_int_equal(st, MX_READ_EOF);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(out[i], garbage_byte(got + i));
	got += n;
	assert_int_equal(got, g.total);
	assert_int_equal(pieces, g.total / 1000);
	assert_int_equal(n, g.total % 1000);
	for (size_t i = 1000; i < sizeof out; i++)
		assert_int_equal(out[i], 0x5A);
}

static void
command_table(void **state)
{
	static const struct {
		const char *line;
		int ret;
		enum mx_verb verb;
		const char *verb_text;
		const char *arg;
	} t[] = {
		{ "MAIL FROM:<a@b>\r\n", 0, MX_VERB_MAIL, "MAIL", "FROM:<a@b>" },
		{ "mail from:<a@b>", 0, MX_VERB_MAIL, "mail", "from:<a@b>" },
		{ "EhLo client.example \t \r\n", 0, MX_VERB_EHLO, "EhLo", "client.example" },
		{ "HELO   x y  \n", 0, MX_VERB_HELO, "HELO", "x y" },
		{ "STARTTLS\r\n", 0, MX_VERB_STARTTLS, "STARTTLS", "" },
		{ "starttls", 0, MX_VERB_STARTTLS, "starttls", "" },
		{ "STARTTLS \r\n", 0, MX_VERB_STARTTLS, "STARTTLS", "" },
		{ "RCPT TO:<c@d> NOTIFY=NEVER\r\n", 0, MX_VERB_RCPT, "RCPT", "TO:<c@d> NOTIFY=NEVER" },
		{ "DATA\r\n", 0, MX_VERB_DATA, "DATA", "" },
		{ "RSET\r\n", 0, MX_VERB_RSET, "RSET", "" },
		{ "NOOP hello\r\n", 0, MX_VERB_NOOP, "NOOP", "hello" },
		{ "QUIT\r\n", 0, MX_VERB_QUIT, "QUIT", "" },
		{ "VRFY postmaster\r\n", 0, MX_VERB_VRFY, "VRFY", "postmaster" },
		{ "AUTH PLAIN AGJvYgBzZWNyZXQ=\r\n", 0, MX_VERB_AUTH, "AUTH", "PLAIN AGJvYgBzZWNyZXQ=" },
		{ "help\r\n", 0, MX_VERB_HELP, "help", "" },
		{ "XYZZY foo\r\n", 0, MX_VERB_UNKNOWN, "XYZZY", "foo" },
		{ "MAILX FROM:<a@b>\r\n", 0, MX_VERB_UNKNOWN, "MAILX", "FROM:<a@b>" },
		{ "MAI\r\n", 0, MX_VERB_UNKNOWN, "MAI", "" },
		{ "STARTTLSX\r\n", 0, MX_VERB_UNKNOWN, "STARTTLSX", "" },
		{ "EHLO\tx\r\n", -1, MX_VERB_UNKNOWN, NULL, NULL },
		{ "MAIL:FROM\r\n", -1, MX_VERB_UNKNOWN, NULL, NULL },
		{ " MAIL FROM:<a@b>\r\n", -1, MX_VERB_UNKNOWN, NULL, NULL },
		{ "\r\n", -1, MX_VERB_UNKNOWN, NULL, NULL },
		{ "\n", -1, MX_VERB_UNKNOWN, NULL, NULL },
		{ "   \r\n", -1, MX_VERB_UNKNOWN, NULL, NULL },
		{ "", -1, MX_VERB_UNKNOWN, NULL, NULL },
		{ "\xc3\xa9HLO x\r\n", -1, MX_VERB_UNKNOWN, NULL, NULL },
		{ "QUIT\rX\r\n", -1, MX_VERB_UNKNOWN, NULL, NULL },
	};
	struct mx_command cmd;

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		int ret = mx_command_parse(t[i].line, strlen(t[i].line), &cmd);

		if (ret != t[i].ret)
			fail_msg("line %zu \"%s\": ret %d, want %d", i,
				 t[i].line, ret, t[i].ret);
		if (ret < 0)
			continue;
		assert_int_equal(cmd.verb, t[i].verb);
		assert_int_equal(cmd.verb_len, strlen(t[i].verb_text));
		assert_memory_equal(cmd.verb_text, t[i].verb_text, cmd.verb_len);
		assert_ptr_equal(cmd.verb_text, t[i].line);
		assert_int_equal(cmd.arg_len, strlen(t[i].arg));
		if (cmd.arg_len)
			assert_memory_equal(cmd.arg, t[i].arg, cmd.arg_len);
		assert_true(cmd.arg >= t[i].line &&
			    cmd.arg + cmd.arg_len <= t[i].line + strlen(t[i].line));
	}
}

static void
command_edge_cases(void **state)
{
	struct mx_command cmd;
	char line[128];

	(void)state;
	/* NUL anywhere. */
	assert_int_equal(mx_command_parse("QUIT\0", 5, &cmd), -1);
	assert_int_equal(mx_command_parse("NOOP a\0b\r\n", 10, &cmd), -1);
	/* The length is honoured: "QUIT" out of "QUITTER". */
	assert_int_equal(mx_command_parse("QUITTER", 4, &cmd), 0);
	assert_int_equal(cmd.verb, MX_VERB_QUIT);
	/* Verbs of 32 and 33 letters are well formed but unknown. */
	memset(line, 'A', 33);
	strcpy(line + 33, " x\r\n");
	assert_int_equal(mx_command_parse(line, strlen(line), &cmd), 0);
	assert_int_equal(cmd.verb, MX_VERB_UNKNOWN);
	assert_int_equal(cmd.verb_len, 33);
	assert_int_equal(cmd.arg_len, 1);
	/* A known verb's name round-trips through the parser. */
	for (int v = MX_VERB_UNKNOWN + 1; v < MX_VERB_COUNT; v++) {
		const char *name = mx_verb_name((enum mx_verb)v);

		assert_true(strlen(name) > 0);
		assert_int_equal(mx_command_parse(name, strlen(name), &cmd), 0);
		assert_int_equal(cmd.verb, v);
	}
	assert_string_equal(mx_verb_name(MX_VERB_UNKNOWN), "");
	assert_string_equal(mx_verb_name(MX_VERB_COUNT), "");
	assert_string_equal(mx_verb_name(MX_VERB_STARTTLS), "STARTTLS");
}

static void
path_table(void **state)
{
	static const struct {
		const char *arg, *prefix;
		int ret;
		const char *path, *params;
	} t[] = {
		{ "FROM:<a@b> SIZE=100 BODY=8BITMIME", "FROM:", 0, "a@b", "SIZE=100 BODY=8BITMIME" },
		{ "FROM:<a@b>", "FROM:", 0, "a@b", "" },
		{ "FROM:<>", "FROM:", 0, "", "" },
		{ "FROM:<> SIZE=5\r\n", "FROM:", 0, "", "SIZE=5" },
		{ "FROM: <a@b>", "FROM:", 0, "a@b", "" },
		{ "from:<x>", "FROM:", 0, "x", "" },
		{ "TO:<x>", "TO:", 0, "x", "" },
		{ "to:<postmaster>  NOTIFY=NEVER  ", "TO:", 0, "postmaster", "NOTIFY=NEVER" },
		{ "TO:<@relay.example:u@d.example>", "TO:", 0, "@relay.example:u@d.example", "" },
		{ "FROM:<\"a>b\"@c>", "FROM:", 0, "\"a>b\"@c", "" },
		{ "FROM:<\"a\\\"b\"@c>", "FROM:", 0, "\"a\\\"b\"@c", "" },
		{ "FROM:<\xc3\xa9@b>", "FROM:", 0, "\xc3\xa9@b", "" },
		{ "FROM:a@b", "FROM:", -1, NULL, NULL },
		{ "FROM:<a@b", "FROM:", -1, NULL, NULL },
		{ "FROM:a@b>", "FROM:", -1, NULL, NULL },
		{ "FROM:<a@b>SIZE=1", "FROM:", -1, NULL, NULL },
		{ "FROM:<a<b>", "FROM:", -1, NULL, NULL },
		{ "FROM:<\"a>b@c>", "FROM:", -1, NULL, NULL },
		{ "FROM:<a\tb>", "FROM:", -1, NULL, NULL },
		{ "FROM:<a\rb>", "FROM:", -1, NULL, NULL },
		{ "FROM:<a\x7f>", "FROM:", -1, NULL, NULL },
		{ "FROM:<a\x01>", "FROM:", -1, NULL, NULL },
		{ "TO:<x>", "FROM:", -1, NULL, NULL },
		{ "FROM:<x>", "TO:", -1, NULL, NULL },
		{ "FRO", "FROM:", -1, NULL, NULL },
		{ "", "FROM:", -1, NULL, NULL },
		{ "FROM <a@b>", "FROM:", -1, NULL, NULL },
		{ "FROM:", "FROM:", -1, NULL, NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		char path[64];
		const char *params = NULL;
		size_t plen = 999;
		size_t len = strlen(t[i].arg);
		int ret;

		memset(path, 'Z', sizeof path);
		ret = mx_path_parse(t[i].arg, len, t[i].prefix, path,
				    sizeof path, &params, &plen);
		if (ret != t[i].ret)
			fail_msg("arg %zu \"%s\": ret %d, want %d", i,
				 t[i].arg, ret, t[i].ret);
		if (ret < 0) {
			assert_string_equal(path, "");
			continue;
		}
		assert_string_equal(path, t[i].path);
		assert_int_equal(plen, strlen(t[i].params));
		assert_memory_equal(params, t[i].params, plen);
		assert_true(params >= t[i].arg && params + plen <= t[i].arg + len);
	}
}

static void
path_limits(void **state)
{
	char path[8];
	const char *params;
	size_t plen;

	(void)state;
	/* 7 characters fit in 8 bytes, 8 do not. */
	assert_int_equal(mx_path_parse("TO:<1234567>", 12, "TO:", path,
				       sizeof path, &params, &plen), 0);
	assert_string_equal(path, "1234567");
	memset(path, 'Z', sizeof path);
	assert_int_equal(mx_path_parse("TO:<12345678>", 13, "TO:", path,
				       sizeof path, &params, &plen), -1);
	assert_string_equal(path, "");
	/* pathcap 1: only the null path fits. */
	assert_int_equal(mx_path_parse("FROM:<>", 7, "FROM:", path, 1,
				       NULL, NULL), 0);
	assert_int_equal(mx_path_parse("FROM:<a>", 8, "FROM:", path, 1,
				       NULL, NULL), -1);
	assert_int_equal(mx_path_parse("FROM:<>", 7, "FROM:", path, 0,
				       NULL, NULL), -1);
	/* The length is honoured: the '>' past len is not seen. */
	assert_int_equal(mx_path_parse("FROM:<ab>", 8, "FROM:", path,
				       sizeof path, NULL, NULL), -1);
	/* NUL inside the path is a control character. */
	assert_int_equal(mx_path_parse("FROM:<a\0b>", 10, "FROM:", path,
				       sizeof path, NULL, NULL), -1);
}

static void
data_line_table(void **state)
{
	static const struct {
		const char *s;
		int start;
		enum mx_data_kind kind;
		size_t skip;
	} t[] = {
		{ ".\r\n", 1, MX_DATA_END, 0 },
		{ ".\n", 1, MX_DATA_END, 0 },
		{ ".\r\n", 0, MX_DATA_TEXT, 0 },
		{ ".\n", 0, MX_DATA_TEXT, 0 },
		{ "..foo\r\n", 1, MX_DATA_TEXT, 1 },
		{ "..\r\n", 1, MX_DATA_TEXT, 1 },
		{ ".foo\r\n", 1, MX_DATA_TEXT, 1 },
		{ ". \r\n", 1, MX_DATA_TEXT, 1 },
		{ ".\r\r\n", 1, MX_DATA_TEXT, 1 },
		{ "..foo\r\n", 0, MX_DATA_TEXT, 0 },
		{ "foo\r\n", 1, MX_DATA_TEXT, 0 },
		{ "\r\n", 1, MX_DATA_TEXT, 0 },
		{ "", 1, MX_DATA_TEXT, 0 },
		/* Partial pieces (cap < MX_DATA_MINCAP): documented behaviour. */
		{ ".", 1, MX_DATA_TEXT, 1 },
		{ ".\r", 1, MX_DATA_TEXT, 1 },
		{ ".", 0, MX_DATA_TEXT, 0 },
	};

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t skip = 77;
		enum mx_data_kind k = mx_data_line((const unsigned char *)t[i].s,
						   strlen(t[i].s), t[i].start,
						   &skip);

		if (k != t[i].kind || skip != t[i].skip)
			fail_msg("piece %zu: kind %d skip %zu, want %d %zu", i,
				 (int)k, skip, (int)t[i].kind, t[i].skip);
	}
}

/* A DATA phase as the server runs it: returns the stored body. */
static size_t
run_data(struct mx_reader *r, size_t cap, char *body, size_t bodycap,
	 enum mx_read_status *last)
{
	unsigned char piece[64];
	size_t n, len = 0, skip;
	int at_start = 1;
	enum mx_read_status st;

	assert_true(cap <= sizeof piece);
	for (;;) {
		st = mx_reader_line(r, piece, cap, &n);
		*last = st;
		if (st != MX_READ_LINE && st != MX_READ_PARTIAL)
			return len;
		if (mx_data_line(piece, n, at_start, &skip) == MX_DATA_END)
			return len;
		assert_true(len + n - skip <= bodycap);
		memcpy(body + len, piece + skip, n - skip);
		len += n - skip;
		at_start = st == MX_READ_LINE;
	}
}

static void
data_session(void **state)
{
	static const struct chunk c[] = {
		CH("Subject: x\r\n\r\n..foo\r\nabc.\r\nab.\r\n.\n.."),
		CH(".\r\nlong line here.\r\n.\r\nQUIT\r\n"),
	};
	static const char want1[] = "Subject: x\r\n\r\n.foo\r\nabc.\r\nab.\r\n";
	static const char want2[] = "..\r\nlong line here.\r\n";
	struct script s;
	struct mx_reader r;
	char body[256];
	enum mx_read_status last;

	(void)state;
	/* Every cap from the minimum up: the pieces split lines at every
	 * place, and a ".\r\n" that is not at line start is text. */
	for (size_t cap = MX_DATA_MINCAP; cap <= 40; cap++) {
		size_t len;

		script_init(&s, c, 2);
		mx_reader_init(&r, script_recv, &s);
		len = run_data(&r, cap, body, sizeof body, &last);
		assert_int_equal(last, MX_READ_LINE);
		/* Stops at ".\n": the rest stays for the next DATA. */
		assert_int_equal(len, sizeof want1 - 1);
		assert_memory_equal(body, want1, len);
		len = run_data(&r, cap, body, sizeof body, &last);
		assert_int_equal(last, MX_READ_LINE);
		/* "..." unstuffs to ".."; the end marker is never stored. */
		assert_int_equal(len, sizeof want2 - 1);
		assert_memory_equal(body, want2, len);
		EXPECT(&r, 64, MX_READ_LINE, "QUIT\r\n");
	}
}

static void
data_eof_inside(void **state)
{
	static const struct chunk c[] = { CH("text\r\n.") };
	struct script s;
	struct mx_reader r;
	char body[64];
	enum mx_read_status last;

	(void)state;
	script_init(&s, c, 1);
	mx_reader_init(&r, script_recv, &s);
	assert_int_equal(run_data(&r, 16, body, sizeof body, &last), 6);
	assert_int_equal(last, MX_READ_EOF);
}

static void
reply_table(void **state)
{
	static const struct {
		int code;
		const char *text, *want;
	} t[] = {
		{ 250, "a\nb", "250-a\r\n250 b\r\n" },
		{ 250, "", "250\r\n" },
		{ 250, NULL, "250\r\n" },
		{ 250, "\n", "250\r\n" },
		{ 250, "ok\n", "250 ok\r\n" },
		{ 250, "a\n\n", "250-a\r\n250\r\n" },
		{ 250, "a\n\nb", "250-a\r\n250-\r\n250 b\r\n" },
		{ 250, "a\r\nb\r\n", "250-a\r\n250 b\r\n" },
		{ 220, "mx.example ESMTP", "220 mx.example ESMTP\r\n" },
		{ 250, "mx.example\nPIPELINING\nSTARTTLS\n8BITMIME",
		  "250-mx.example\r\n250-PIPELINING\r\n250-STARTTLS\r\n250 8BITMIME\r\n" },
		{ 5, "odd", "005 odd\r\n" },
		{ 4210, "odd", "4210 odd\r\n" },
	};
	char buf[256];

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		size_t n = mx_reply_format(buf, sizeof buf, t[i].code, t[i].text);

		assert_string_equal(buf, t[i].want);
		assert_int_equal(n, strlen(t[i].want));
	}
}

static void
reply_truncation(void **state)
{
	const char *text = "mx.example\nSIZE 1000\nSTARTTLS";
	const char *full = "250-mx.example\r\n250-SIZE 1000\r\n250 STARTTLS\r\n";
	size_t flen = strlen(full);
	char buf[128];

	(void)state;
	assert_int_equal(mx_reply_format(NULL, 0, 250, text), flen);
	for (size_t cap = 1; cap <= flen + 2; cap++) {
		size_t n, used = cap - 1 < flen ? cap - 1 : flen;

		memset(buf, 0x7E, sizeof buf);
		n = mx_reply_format(buf, cap, 250, text);
		assert_int_equal(n, flen);
		assert_memory_equal(buf, full, used);
		assert_int_equal(buf[used], '\0');
		for (size_t i = cap; i < sizeof buf; i++)
			assert_int_equal(buf[i], 0x7E);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(reader_pipelined),
		cmocka_unit_test(reader_one_byte_chunks),
		cmocka_unit_test(reader_split_lines),
		cmocka_unit_test(reader_partial),
		cmocka_unit_test(reader_cap_one),
		cmocka_unit_test(reader_long_line_over_buffer),
		cmocka_unit_test(reader_eof_mid_line),
		cmocka_unit_test(reader_eof_empty),
		cmocka_unit_test(reader_error),
		cmocka_unit_test(reader_oversize_callback),
		cmocka_unit_test(reader_starttls_discard),
		cmocka_unit_test(reader_set_source_discards),
		cmocka_unit_test(reader_nul_byte),
		cmocka_unit_test(reader_ten_megabytes_no_lf),
		cmocka_unit_test(command_table),
		cmocka_unit_test(command_edge_cases),
		cmocka_unit_test(path_table),
		cmocka_unit_test(path_limits),
		cmocka_unit_test(data_line_table),
		cmocka_unit_test(data_session),
		cmocka_unit_test(data_eof_inside),
		cmocka_unit_test(reply_table),
		cmocka_unit_test(reply_truncation),
	};

	return cmocka_run_group_tests_name("wire", tests, NULL, NULL);
}
