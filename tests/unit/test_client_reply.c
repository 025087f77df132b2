/*
 * test_client_reply.c: the fake client's reply reader (client_reply.c over
 * smtp_wire.c's mx_reply_read): real replies (Postfix's EHLO, a refusal,
 * mxlab serve's queue id) read whole from a stream delivered a byte at a
 * time; what each failure is called; EHLO keywords and queue ids. Also
 * the regressions found by tests/fuzz/fuzz_reply.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "client_int.h"

struct feed {
	const char *data;
	size_t len, off;
	size_t chunk;		/* bytes per recv */
	int fail;		/* end in an error rather than EOF */
};

static int
feed_recv(void *io, unsigned char *buf, size_t len)
{
	struct feed *f = io;
	size_t n = f->len - f->off;

	if (n == 0)
		return f->fail ? -2 : 0;
	if (n > f->chunk)
		n = f->chunk;
	if (n > len)
		n = len;
	memcpy(buf, f->data + f->off, n);
	f->off += n;
	return (int)n;
}

static void
start(struct feed *f, struct mx_reader *rd, const char *data, size_t chunk)
{
	memset(f, 0, sizeof *f);
	f->data = data;
	f->len = strlen(data);
	f->chunk = chunk;
	mx_reader_init(rd, feed_recv, f);
}

static void
test_postfix_session(void **state)
{
	static const char stream[] =
		"220 postfix.mxlab.test ESMTP\r\n"
		"250-postfix.mxlab.test\r\n250-PIPELINING\r\n250-SIZE 10240000\r\n"
		"250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250 CHUNKING\r\n"
		"554 5.7.1 <nobody@elsewhere.test>: Relay access denied\r\n"
		"250 2.0.0 Ok: queued as 000001\r\n";
	struct feed f;
	struct mx_reader rd;
	struct mxlab_client_reply rp;
	const char *what;
	char caps[1024], id[64] = "";

	(void)state;
	start(&f, &rd, stream, 1);
	assert_int_equal(mx_client_reply_read(&rd, &rp, &what), 0);
	assert_int_equal(rp.code, 220);
	assert_string_equal(rp.text, "postfix.mxlab.test ESMTP");
	assert_int_equal(mx_client_reply_read(&rd, &rp, &what), 0);
	assert_int_equal(rp.code, 250);
	assert_string_equal(rp.text, "postfix.mxlab.test\nPIPELINING\nSIZE 10240000\nSTARTTLS\n"
			    "ENHANCEDSTATUSCODES\nCHUNKING");
	mx_client_caps_keep(caps, sizeof caps, rp.text);
	assert_string_equal(caps, "PIPELINING\nSIZE 10240000\nSTARTTLS\nENHANCEDSTATUSCODES\nCHUNKING");
	assert_true(mx_client_caps_has(caps, "starttls"));
	assert_true(mx_client_caps_has(caps, "SIZE"));
	assert_false(mx_client_caps_has(caps, "AUTH"));
	assert_false(mx_client_caps_has(caps, "START"));
	assert_int_equal(mx_client_reply_read(&rd, &rp, &what), 0);
	assert_int_equal(rp.code, 554);
	mx_client_queue_id(id, sizeof id, rp.text);
	assert_string_equal(id, "");
	assert_int_equal(mx_client_reply_read(&rd, &rp, &what), 0);
	mx_client_queue_id(id, sizeof id, rp.text);
	assert_string_equal(id, "000001");
	assert_int_equal(mx_client_reply_read(&rd, &rp, &what), -1);
	assert_string_equal(what, "EOF");
	assert_int_equal(rp.code, 0);
}

static void
test_failures(void **state)
{
	static const struct { const char *stream; int fail; const char *what; } cases[] = {
		{ "250-a\r\n", 0, "EOF" },
		{ "250-a\r\n", 1, "read error" },
		{ "hello\r\n", 0, "malformed reply" },
		{ "25\r\n", 0, "malformed reply" },
		{ "250x\r\n", 0, "malformed reply" },
		{ "250-a\r\n251 b\r\n", 0, "malformed reply (codes differ)" },
	};
	struct feed f;
	struct mx_reader rd;
	struct mxlab_client_reply rp;
	const char *what;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		start(&f, &rd, cases[i].stream, 3);
		f.fail = cases[i].fail;
		rp.code = 999;
		assert_int_equal(mx_client_reply_read(&rd, &rp, &what), -1);
		assert_string_equal(what, cases[i].what);
		assert_int_equal(rp.code, 0);
	}
}

/* Found by fuzz_reply: an empty first line ("250-" with no domain) was
 * dropped from the text instead of joined as an empty line, so the
 * keywords (the lines after the first) lost their first one: a server
 * answering EHLO with "250-", "250-STARTTLS", "250 AUTH PLAIN" looked as
 * if it did not offer STARTTLS. */
static void
test_empty_lines_kept(void **state)
{
	struct feed f;
	struct mx_reader rd;
	struct mxlab_client_reply rp;
	const char *what;
	char caps[1024];

	(void)state;
	start(&f, &rd, "250-\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n220-\r\n220-\r\n220 c\r\n", 64);
	assert_int_equal(mx_client_reply_read(&rd, &rp, &what), 0);
	assert_string_equal(rp.text, "\nSTARTTLS\nAUTH PLAIN");
	mx_client_caps_keep(caps, sizeof caps, rp.text);
	assert_true(mx_client_caps_has(caps, "STARTTLS"));
	assert_int_equal(mx_client_reply_read(&rd, &rp, &what), 0);
	assert_string_equal(rp.text, "\n\nc");
}

/* Long replies are truncated to the text buffer, always terminated. */
static void
test_truncation(void **state)
{
	char stream[8192], *p = stream;
	struct feed f;
	struct mx_reader rd;
	struct mxlab_client_reply rp;
	const char *what;

	(void)state;
	for (int i = 0; i < 20; i++)
		p += sprintf(p, "250-%060d\r\n", i);
	sprintf(p, "250 end\r\n");
	start(&f, &rd, stream, 4096);
	assert_int_equal(mx_client_reply_read(&rd, &rp, &what), 0);
	assert_int_equal(strlen(rp.text), sizeof rp.text - 1);
	assert_int_equal(mx_reader_pending(&rd), 0);	/* the whole reply consumed */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postfix_session),
		cmocka_unit_test(test_failures),
		cmocka_unit_test(test_empty_lines_kept),
		cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests_name("client_reply", tests, NULL, NULL);
}
