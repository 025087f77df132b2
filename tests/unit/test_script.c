/*
 * test_script.c: cmocka tests for dialogue scripts: the reader
 * (wire/script.c: every step, every error at FILE:LINE, the escapes),
 * the engine (peers/script_run.c) over a scripted I/O (writes counted,
 * so inject is seen sharing the previous write; expect per line and per
 * reply; starttls both sides; failures "step N (FILE:LINE) ..."), and
 * the scenario's [script NAME] (errors at the scenario's lines, script =
 * NAME references). Speaks TAP with CMOCKA_MESSAGE_OUTPUT=TAP.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario.h"
#include "script.h"
#include "script_run.h"

static struct mx_script *
parse_ok(const char *text)
{
	struct mx_script *sc = NULL;
	char err[600];

	if (mx_script_parse(text, strlen(text), "t.script", 1, &sc, err, sizeof err) < 0)
		fail_msg("'%s': %s", text, err);
	return sc;
}

static void
every_step(void **state)
{
	struct mx_script *sc;

	(void)state;
	sc = parse_ok("# a comment\n"
		      "\n"
		      "  expect ^220 .*ESMTP\n"
		      "send EHLO a.example\n"
		      "send-raw MAIL FROM:<>\\n\n"
		      "pipeline STARTTLS | RSET\\|x |  NOOP\n"
		      "inject \\x00\\r\\n\\t\\\\\n"
		      "starttls\n"
		      "tls-handshake\n"
		      "delay 250ms\n"
		      "close\n");
	assert_int_equal(sc->n, 9);
	assert_int_equal(sc->steps[0].kind, MX_STEP_EXPECT);
	assert_int_equal(sc->steps[0].line, 3);
	assert_string_equal(sc->steps[0].arg, "^220 .*ESMTP");
	assert_int_equal(regexec(&sc->steps[0].re, "220 mx ESMTP x", 0, NULL, 0), 0);
	assert_int_equal(sc->steps[1].kind, MX_STEP_SEND);
	assert_int_equal(sc->steps[1].len, 16);
	assert_memory_equal(sc->steps[1].bytes, "EHLO a.example\r\n", 16);
	assert_int_equal(sc->steps[2].kind, MX_STEP_SEND_RAW);
	assert_int_equal(sc->steps[2].len, 13);
	assert_memory_equal(sc->steps[2].bytes, "MAIL FROM:<>\n", 13);
	assert_int_equal(sc->steps[3].kind, MX_STEP_PIPELINE);
	assert_int_equal(sc->steps[3].len, strlen("STARTTLS\r\nRSET|x\r\nNOOP\r\n"));
	assert_memory_equal(sc->steps[3].bytes, "STARTTLS\r\nRSET|x\r\nNOOP\r\n", sc->steps[3].len);
	assert_int_equal(sc->steps[4].kind, MX_STEP_INJECT);
	assert_int_equal(sc->steps[4].len, 5);
	assert_memory_equal(sc->steps[4].bytes, "\0\r\n\t\\", 5);
	assert_int_equal(sc->steps[5].kind, MX_STEP_STARTTLS);
	assert_int_equal(sc->steps[6].kind, MX_STEP_TLS_HANDSHAKE);
	assert_int_equal(sc->steps[7].kind, MX_STEP_DELAY);
	assert_int_equal(sc->steps[7].ms, 250);
	assert_int_equal(sc->steps[8].kind, MX_STEP_CLOSE);
	assert_int_equal(sc->steps[8].line, 11);
	mx_script_free(sc);
	/* first_line shifts every line (a [script] section's text) */
	{
		char err[300];

		assert_int_equal(mx_script_parse("\nsend x\n", 8, "s.scn", 40, &sc, err, sizeof err), 0);
		assert_int_equal(sc->steps[0].line, 41);
		mx_script_free(sc);
	}
	mx_script_free(NULL);
}

static void
every_error(void **state)
{
	static const struct {
		const char *text;
		const char *err;
	} c[] = {
		{ "send a\nbogus x\n", "t.script:2: unknown step 'bogus'" },
		{ "expect\n", "t.script:1: expect needs an argument" },
		{ "send a\n  send   \n", "t.script:2: send needs an argument" },
		{ "send-raw\n", "t.script:1: send-raw needs an argument" },
		{ "pipeline\n", "t.script:1: pipeline needs an argument" },
		{ "send a\ninject\n", "t.script:2: inject needs an argument" },
		{ "delay\n", "t.script:1: delay needs an argument" },
		{ "starttls now\n", "t.script:1: starttls takes no argument" },
		{ "tls-handshake x\n", "t.script:1: tls-handshake takes no argument" },
		{ "close x\n", "t.script:1: close takes no argument" },
		{ "\n\nsend a\\q\n", "t.script:3: unknown escape '\\q'" },
		{ "send a\\x4\n", "t.script:1: '\\x' needs two hex digits" },
		{ "send a\\xzz\n", "t.script:1: '\\x' needs two hex digits" },
		{ "send a\\\n", "t.script:1: '\\' at the end of the text" },
		{ "pipeline A | B\\\n", "t.script:1: '\\' at the end of the text" },
		{ "expect a(\n", "t.script:1: bad regex 'a('" },
		{ "delay 5x\n", "t.script:1: bad duration '5x'" },
		{ "pipeline A | | B\n", "t.script:1: empty part 2 of the pipeline" },
		{ "pipeline A |\n", "t.script:1: empty part 2 of the pipeline" },
		{ "inject x\n", "t.script:1: inject must follow send, send-raw, pipeline or inject" },
		{ "expect x\ninject x\n", "t.script:2: inject must follow" },
		{ "close\nsend x\n", "t.script:2: send after close" },
		{ "", "t.script:1: no steps in the script" },
		{ "# only\n\n", "t.script:1: no steps in the script" },
	};
	char err[600], big[MX_SCRIPT_LINE_MAX + 20], *many;
	struct mx_script *sc;

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		sc = (struct mx_script *)1;
		err[0] = '\0';
		if (mx_script_parse(c[i].text, strlen(c[i].text), "t.script", 1, &sc, err,
				    sizeof err) == 0)
			fail_msg("'%s' was accepted", c[i].text);
		assert_null(sc);
		if (strncmp(err, c[i].err, strlen(c[i].err)))
			fail_msg("'%s': got '%s', want '%s...'", c[i].text, err, c[i].err);
	}
	memcpy(big, "send ", 5);
	memset(big + 5, 'a', sizeof big - 5);
	big[sizeof big - 1] = '\n';
	assert_int_equal(mx_script_parse(big, sizeof big, "t.script", 1, &sc, err, sizeof err), -1);
	assert_string_equal(err, "t.script:1: line longer than 4096 bytes");
	many = malloc(7 * (MX_SCRIPT_STEPS_MAX + 1) + 1);
	assert_non_null(many);
	for (int i = 0; i <= MX_SCRIPT_STEPS_MAX; i++)
		memcpy(many + 7 * i, "send x\n", 7);
	assert_int_equal(mx_script_parse(many, 7 * (MX_SCRIPT_STEPS_MAX + 1), "t.script", 1, &sc,
					 err, sizeof err), -1);
	assert_string_equal(err, "t.script:1001: more than 1000 steps");
	free(many);
	assert_int_equal(mx_script_load("/nonexistent-mxlab/x.script", &sc, err, sizeof err), -1);
	assert_string_equal(err, "/nonexistent-mxlab/x.script: No such file or directory");
}

static void
escapes(void **state)
{
	char out[64];
	static const unsigned char b[] = "220 ok\r\n\x01\xff\\\t";

	(void)state;
	mx_bytes_escape(b, sizeof b - 1, out, sizeof out);
	assert_string_equal(out, "220 ok\\r\\n\\x01\\xff\\\\\\t");
	mx_bytes_escape("abcdefghij", 10, out, 8);
	assert_string_equal(out, "abcd...");
	mx_bytes_escape("abc", 3, out, 4);
	assert_string_equal(out, "abc");
	mx_bytes_escape("x", 1, out, 1);
	assert_string_equal(out, "");
}

/* ---------------------------------------------------------------- engine */

struct fake {
	const char *in;		/* what the peer sends */
	size_t inlen, inpos;
	size_t feed;		/* bytes per recv (0: all) */
	char out[4096];		/* what was written */
	size_t outlen;
	int writes;
	int handshakes;
	size_t pending_at_handshake;	/* of the first */
	struct mx_reader *rd;
	int fail_handshake;
	unsigned slept;
	char got[1024];		/* replies seen (client) */
};

static int
fake_recv(void *arg, unsigned char *buf, size_t cap)
{
	struct fake *f = arg;
	size_t n = f->inlen - f->inpos;

	if (f->feed && n > f->feed)
		n = f->feed;
	if (n > cap)
		n = cap;
	memcpy(buf, f->in + f->inpos, n);
	f->inpos += n;
	return (int)n;
}

static int
fake_write(void *arg, const void *p, size_t n, char *why, size_t whylen)
{
	struct fake *f = arg;

	(void)why, (void)whylen;
	memcpy(f->out + f->outlen, p, n);
	f->outlen += n;
	f->writes++;
	return 0;
}

static int
fake_handshake(void *arg, size_t pending, char *why, size_t whylen)
{
	struct fake *f = arg;

	if (!f->handshakes++)
		f->pending_at_handshake = pending;
	mx_reader_discard(f->rd);	/* as the server does */
	if (f->fail_handshake) {
		snprintf(why, whylen, "starttls-injection: %zu bytes", pending);
		return -1;
	}
	return 0;
}

static void fake_unit(void *arg) { (void)arg; }
static void fake_delay(void *arg, unsigned ms) { ((struct fake *)arg)->slept += ms; }

static void
fake_note(void *arg, size_t step, const struct mx_step *st, const char *dir, const void *p,
	  size_t n)
{
	(void)arg, (void)step, (void)st, (void)dir, (void)p, (void)n;
}

static void
fake_got(void *arg, const char *text, size_t n)
{
	struct fake *f = arg;
	size_t l = strlen(f->got);

	snprintf(f->got + l, sizeof f->got - l, "[%.*s]", (int)n, text);
}

static const char *fake_read_error(void *arg) { (void)arg; return "read error"; }

/* Run text as a script against in; 0 or -1 with err. */
static int
run(struct fake *f, int client, const char *text, const char *in, char *err, size_t errlen)
{
	struct mx_reader rd;
	struct mx_script_io io = {
		.arg = f, .client = client, .rd = &rd, .write = fake_write,
		.handshake = fake_handshake, .unit = fake_unit, .delay = fake_delay,
		.note = fake_note, .got = fake_got, .read_error = fake_read_error,
	};
	struct mx_script *sc = parse_ok(text);
	size_t failed;
	int r;

	f->in = in;
	f->inlen = strlen(in);
	mx_reader_init(&rd, fake_recv, f);
	f->rd = &rd;
	r = mx_script_run(sc, &io, &failed, err, errlen);
	mx_script_free(sc);
	return r;
}

static void
engine_server(void **state)
{
	struct fake f = { 0 };
	char err[700];

	(void)state;
	/* inject shares the write of the reply before it; pipelined bytes
	 * still buffered at the handshake are counted. */
	if (run(&f, 0, "send 220 mx\n"
			     "expect ^EHLO \n"
			     "send-raw 250-mx\\r\\n\n"
			     "send 250 STARTTLS\n"
			     "starttls\n"
			     "send 220 go ahead\n"
			     "inject 250 injected\\r\\n\n"
			     "tls-handshake\n"
			     "delay 1s\n"
			     "close\n"
			     "\n",
			     "EHLO a\r\nSTARTTLS\r\nRSET\r\n", err, sizeof err) < 0)
		fail_msg("%s", err);
	assert_int_equal(f.pending_at_handshake, 6);	/* RSET, pipelined */
	assert_int_equal(f.outlen, strlen("220 mx\r\n250-mx\r\n250 STARTTLS\r\n"
					  "220 2.0.0 Ready to start TLS\r\n"
					  "220 go ahead\r\n250 injected\r\n"));
	assert_memory_equal(f.out, "220 mx\r\n250-mx\r\n250 STARTTLS\r\n220 2.0.0 Ready to start TLS\r\n"
			    "220 go ahead\r\n250 injected\r\n", f.outlen);
	/* 220 mx | 250-mx | 250 STARTTLS | 220 Ready | 220 go ahead + inject */
	assert_int_equal(f.writes, 5);
	assert_int_equal(f.handshakes, 2);
	assert_int_equal(f.slept, 1000);
	/* no match: the step, its line, what came */
	memset(&f, 0, sizeof f);
	assert_int_equal(run(&f, 0, "send 220 mx\nexpect ^EHLO\n", "HELO a\r\n", err, sizeof err), -1);
	assert_string_equal(err, "step 2 (t.script:2) expect /^EHLO/: got 'HELO a'");
	memset(&f, 0, sizeof f);
	assert_int_equal(run(&f, 0, "expect ^EHLO\n", "EHL", err, sizeof err), -1);
	assert_string_equal(err, "step 1 (t.script:1) expect /^EHLO/: EOF after 'EHL'");
	memset(&f, 0, sizeof f);
	assert_int_equal(run(&f, 0, "expect ^EHLO\n", "", err, sizeof err), -1);
	assert_string_equal(err, "step 1 (t.script:1) expect /^EHLO/: got 'EOF'");
	memset(&f, 0, sizeof f);
	assert_int_equal(run(&f, 0, "starttls\n", "RSET\r\n", err, sizeof err), -1);
	assert_string_equal(err, "step 1 (t.script:1) starttls: wanted STARTTLS, got 'RSET'");
	/* close ends the script: nothing after it is read */
	memset(&f, 0, sizeof f);
	assert_int_equal(run(&f, 0, "send 221 bye\nclose\n", "", err, sizeof err), 0);
	assert_int_equal(f.writes, 1);
}

static void
engine_client(void **state)
{
	struct fake f = { 0 };
	char err[700];

	(void)state;
	/* expect reads whole replies; a line of it must match */
	f.feed = 3;	/* dripped */
	assert_int_equal(run(&f, 1, "expect ^220\n"
			     "send EHLO c\n"
			     "expect ^250[- ]STARTTLS\n"
			     "pipeline STARTTLS | RSET\n"
			     "expect ^220\n"
			     "tls-handshake\n",
			     "220 mx ESMTP\r\n250-mx\r\n250-STARTTLS\r\n250 SIZE 1\r\n"
			     "220 go\r\n250 late\r\n", err, sizeof err), 0);
	assert_string_equal(f.got, "[220 mx ESMTP][250-mx\n250-STARTTLS\n250 SIZE 1][220 go]");
	assert_memory_equal(f.out, "EHLO c\r\nSTARTTLS\r\nRSET\r\n", f.outlen);
	assert_int_equal(f.writes, 2);
	/* starttls: the command, a 2xx, the handshake */
	memset(&f, 0, sizeof f);
	assert_int_equal(run(&f, 1, "starttls\n", "220 ready\r\n", err, sizeof err), 0);
	assert_memory_equal(f.out, "STARTTLS\r\n", 10);
	assert_int_equal(f.handshakes, 1);
	memset(&f, 0, sizeof f);
	assert_int_equal(run(&f, 1, "starttls\n", "454 4.7.0 no\r\n", err, sizeof err), -1);
	assert_string_equal(err, "step 1 (t.script:1) starttls: wanted a 2xx reply, got '454 4.7.0 no'");
	assert_int_equal(f.handshakes, 0);
	/* the handshake's own failure (the client's injection check) */
	memset(&f, 0, sizeof f);
	f.fail_handshake = 1;
	assert_int_equal(run(&f, 1, "starttls\n", "220 ready\r\n250 injected\r\n", err, sizeof err), -1);
	assert_int_equal(f.pending_at_handshake, 14);
	assert_string_equal(err, "step 1 (t.script:1) starttls: starttls-injection: 14 bytes");
	memset(&f, 0, sizeof f);
	assert_int_equal(run(&f, 1, "expect ^250\n", "554 5.5.1 no\r\n", err, sizeof err), -1);
	assert_string_equal(err, "step 1 (t.script:1) expect /^250/: got '554 5.5.1 no'");
}

/* ---------------------------------------------------------------- scenario */

static void
scenario_sections(void **state)
{
	static const char head[] =
		"[scenario]\nsummary = scripts\n"
		"[server mx]\nlisten = 127.0.0.1:2525\nscript = inj\n";
	static const struct {
		const char *tail;
		const char *err;	/* NULL: loads */
	} c[] = {
		{ "[script inj]\nsend 220 x\n# c\nexpect ^EHLO\n", NULL },
		{ "[script inj]\nsend 220 x\n\nbogus\n", "s.scn:9: [script inj]: unknown step 'bogus'" },
		{ "[script inj]\nsend 220 x\nexpect a(\n", "s.scn:8: [script inj]: bad regex 'a('" },
		{ "[script inj]\n\n", "s.scn:7: [script inj]: no steps in the script" },
		{ "[script other]\nsend x\n", "s.scn:5: script: no [script inj] in this file" },
		{ "[script inj]\nsend x\n[script inj]\nsend y\n",
		  "s.scn:8: script 'inj' declared twice (first at line 6)" },
		{ "[script]\nsend x\n", "s.scn:6: section [script] needs a name" },
	};
	char text[1024];

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		struct sc_errors errs = { 0 };
		struct scenario *sc;
		int found = 0;

		snprintf(text, sizeof text, "%s%s", head, c[i].tail);
		sc = sc_load_mem("s.scn", text, strlen(text), &errs);
		if (!c[i].err) {
			if (!sc)
				fail_msg("case %zu: %s", i, errs.n ? errs.msg[0] : "?");
			assert_int_equal(sc->nscripts, 1);
			assert_string_equal(sc->scripts[0].text, "send 220 x\n# c\nexpect ^EHLO\n");
			assert_non_null(sc_script_find(sc, "inj"));
			assert_null(sc_script_find(sc, "nope"));
			{
				mxlab_server_config *cfg = NULL;
				char err[300];

				assert_int_equal(sc_server_config(sc, &sc->servers[0], NULL, &cfg, NULL,
								  err, sizeof err), MXLAB_OK);
				mxlab_server_config_free(cfg);
			}
			sc_free(sc);
			continue;
		}
		assert_null(sc);
		for (size_t k = 0; k < errs.n; k++)
			found |= strncmp(errs.msg[k], c[i].err, strlen(c[i].err)) == 0;
		if (!found)
			fail_msg("case %zu: want '%s', got '%s'", i, c[i].err, errs.n ? errs.msg[0] : "");
		sc_errors_free(&errs);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_step),
		cmocka_unit_test(every_error),
		cmocka_unit_test(escapes),
		cmocka_unit_test(engine_server),
		cmocka_unit_test(engine_client),
		cmocka_unit_test(scenario_sections),
	};

	return cmocka_run_group_tests_name("script", tests, NULL, NULL);
}
