/*
 * fuzz_reply.c: libFuzzer target for the fake client's reply reader
 * (harness/lib/client_reply.c over smtp_wire.c's mx_reply_read).
 *
 * Plays the server's byte stream to the client: reads replies one after
 * the other with mx_client_reply_read, as client_session.c does, until
 * one fails; each reply's EHLO keywords go through mx_client_caps_keep /
 * mx_client_caps_has and its text through mx_client_queue_id. A 220 reply
 * may start TLS, as STARTTLS does: the client drops what is buffered and
 * switches the source.
 *
 * Input: 2 header bytes, then the stream.
 *   [0] recv chunks  b == 255: as large as asked; else 1 .. 1 + b % 64,
 *                    varied per call
 *   [1] bit 0: the stream ends in an error instead of EOF;
 *       bit 1: a 220 reply starts TLS (buffered bytes dropped);
 *       bits 2-7: size of a small keyword buffer, 1 + (b >> 2)
 *
 * Besides the sanitizers it checks, and aborts on a violation: every reply
 * is exactly the next bytes of the stream, and an independent parse of
 * those bytes gives the same code and text (lines with the same 3 digits,
 * "-" on all but the last, text the lines after their code joined with LF,
 * truncated to the buffer); a failed read leaves code 0 and names why
 * (EOF and read error only at the end of the stream); keywords and queue
 * ids stay terminated inside their buffers and are what the text holds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "client_int.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)

#include "fuzz_feed.h"

/* The reference parse of one reply's bytes p[0..n): 0 and code/text, or
 * -1 when it is not a well-formed reply. */
static int
ref_parse(const unsigned char *p, size_t n, int *code, char *text, size_t cap)
{
	size_t used = 0, nlines = 0, i = 0;
	char *full = malloc(n + 1);
	int first = -1, last = 0;

	CHECK(full);
	while (i < n) {
		const unsigned char *lf = memchr(p + i, '\n', n - i);
		size_t end, len;
		int c;

		CHECK(lf && !last);		/* whole lines, nothing after the last */
		end = (size_t)(lf - p) + 1;
		len = end - i;
		while (len > 0 && (p[i + len - 1] == '\n' || p[i + len - 1] == '\r'))
			len--;
		if (len < 3 || p[i] < '0' || p[i] > '9' || p[i + 1] < '0' || p[i + 1] > '9' ||
		    p[i + 2] < '0' || p[i + 2] > '9' || (len > 3 && p[i + 3] != ' ' && p[i + 3] != '-'))
			goto bad;
		c = (p[i] - '0') * 100 + (p[i + 1] - '0') * 10 + (p[i + 2] - '0');
		if (first >= 0 && c != first)
			goto bad;
		first = c;
		if (nlines++)
			full[used++] = '\n';
		if (len > 4) {
			memcpy(full + used, p + i + 4, len - 4);
			used += len - 4;
		}
		last = len == 3 || p[i + 3] == ' ';
		i = end;
	}
	if (!last || nlines > 100)
		goto bad;
	*code = first;
	if (used > cap - 1)
		used = cap - 1;
	memcpy(text, full, used);
	text[used] = '\0';
	free(full);
	return 0;
bad:
	free(full);
	return -1;
}

/* Keywords: bounded, a prefix of the unbounded copy, found again. */
static void
check_caps(const char *text, size_t smallcap)
{
	char full[sizeof ((struct mxlab_client_reply *)0)->text], small[65], kw[64];
	size_t n;

	CHECK(smallcap >= 1 && smallcap <= sizeof small);
	mx_client_caps_keep(full, sizeof full, text);
	memset(small, 0x55, sizeof small);
	mx_client_caps_keep(small, smallcap, text);
	CHECK(strlen(full) < sizeof full && strlen(small) < smallcap);
	CHECK(strncmp(small, full, strlen(small)) == 0);
	CHECK(strlen(small) == (strlen(full) < smallcap - 1 ? strlen(full) : smallcap - 1));
	for (size_t i = smallcap; i < sizeof small; i++)
		CHECK((unsigned char)small[i] == 0x55);
	CHECK(strchr(text, '\n') || full[0] == '\0');
	/* the first keyword of the list is in it */
	n = strcspn(full, " \n");
	if (n > 0 && n < sizeof kw) {
		memcpy(kw, full, n);
		kw[n] = '\0';
		CHECK(mx_client_caps_has(full, kw));
	}
}

static void
check_queue_id(const char *text)
{
	char id[64];
	const char *q = strstr(text, "queued as ");

	memset(id, 0x55, sizeof id);
	id[0] = '\0';
	mx_client_queue_id(id, sizeof id, text);
	CHECK(memchr(id, '\0', sizeof id));
	if (!q) {
		CHECK(id[0] == '\0');
		return;
	}
	CHECK(strcspn(id, " \n\r;,)") == strlen(id));
	CHECK(strncmp(q + strlen("queued as "), id, strlen(id)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mx_reader rd;
	struct feed f;
	struct mxlab_client_reply rp;
	size_t pos = 0, smallcap;
	int tls_on_220;

	if (size < 2)
		return 0;
	memset(&f, 0, sizeof f);
	f.data = data + 2;
	f.len = size - 2;
	f.chunk = data[0];
	f.rng = data[0] * 2654435761u;
	f.fail_at_end = data[1] & 1;
	tls_on_220 = data[1] & 2;
	smallcap = 1 + (size_t)(data[1] >> 2);
	mx_reader_init(&rd, feed_recv, &f);

	for (;;) {
		const char *what = "?";
		size_t end;
		int code, r;
		char ref[sizeof rp.text];

		memset(&rp, 0x55, sizeof rp);
		r = mx_client_reply_read(&rd, &rp, &what);
		end = f.off - mx_reader_pending(&rd);	/* bytes consumed so far */
		CHECK(end >= pos && end <= f.len);
		CHECK(memchr(rp.text, '\0', sizeof rp.text));
		if (r < 0) {
			CHECK(rp.code == 0);
			if (!strcmp(what, "EOF") || !strcmp(what, "read error")) {
				CHECK(f.off == f.len);
				CHECK(!strcmp(what, "EOF") ? !f.fail_at_end : f.fail_at_end);
			} else
				CHECK(!strncmp(what, "malformed reply", 15));
			break;
		}
		CHECK(ref_parse(f.data + pos, end - pos, &code, ref, sizeof ref) == 0);
		CHECK(code == rp.code && code >= 0 && code <= 999);
		CHECK(strcmp(ref, rp.text) == 0);
		pos = end;
		check_caps(rp.text, smallcap);
		check_queue_id(rp.text);
		if (tls_on_220 && rp.code == 220) {
			size_t pending = mx_reader_pending(&rd);

			CHECK(mx_reader_discard(&rd) == pending);
			mx_reader_set_source(&rd, feed_recv, &f);
			pos += pending;
		}
	}
	return 0;
}
