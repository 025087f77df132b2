/*
 * test_expect.c: the [expect] engine fed with real Postfix 3.7 lines
 * (tests/unit/data/maillog/), and server facts from an in-process mxlab
 * server that received one plaintext message over a plain socket.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "test_data.h"
#include "expect.h"
#include "rxcheck.h"
#include "maillog.h"
#include "mxlab/mxlab.h"

static char err[1024];

/* s starts with p (shows both when not) */
#define assert_prefix(s, p) do { \
	if (strncmp((s), (p), strlen(p))) \
		fail_msg("'%s' does not start with '%s'", (s), (p)); \
} while (0)

/* ---- data files (as in test_maillog.c) ---- */

static const char *
data_dir(void)
{
	return test_data_dir("maillog");
}

static void
feed_file(struct ex_set *s, const char *name)
{
	char path[4200], line[8192];
	struct mta_event *ev = malloc(sizeof *ev);
	FILE *f;

	assert_non_null(ev);
	snprintf(path, sizeof path, "%s/%s", data_dir(), name);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	while (fgets(line, sizeof line, f)) {
		if (line[0] == '#')
			continue;
		ml_parse_line(line, strlen(line), ev);
		ex_feed(s, ev);
	}
	fclose(f);
	free(ev);
}

static void
feed_line(struct ex_set *s, const char *line)
{
	struct mta_event *ev = malloc(sizeof *ev);

	assert_non_null(ev);
	ml_parse_line(line, strlen(line), ev);
	ex_feed(s, ev);
	free(ev);
}

static struct ex_set *
set1(const char *key, const char *value, const char *rcpt)
{
	struct ex_set *s = ex_set_new();

	assert_non_null(s);
	if (ex_parse(s, 7, key, value, err, sizeof err) < 0)
		fail_msg("ex_parse(%s = %s): %s", key, value, err);
	if (rcpt)
		ex_set_recipients(s, &rcpt, 1);
	return s;
}

static const struct ex_result *
result0(struct ex_set *s)
{
	const struct ex_result *r;

	assert_int_equal(ex_results(s, &r), 1);
	return r;
}

/* One expectation, one file, finish; returns passed, keeps why/evidence. */
static int
run1(const char *key, const char *value, const char *rcpt, const char *file,
     int timed_out, char *why, char *evidence)
{
	struct ex_set *s = set1(key, value, rcpt);
	const struct ex_result *r;
	int passed;

	feed_file(s, file);
	ex_finish(s, NULL, 0, timed_out);
	r = result0(s);
	passed = r->passed;
	assert_int_equal(passed, ex_all_passed(s));
	if (why)
		snprintf(why, 1024, "%s", r->why);
	if (evidence)
		snprintf(evidence, 8192, "%s", r->evidence);
	ex_set_free(s);
	return passed;
}

/* ---- parsing ---- */

static void
expect_error(const char *key, const char *value, const char *msg)
{
	struct ex_set *s = ex_set_new();

	err[0] = '\0';
	assert_int_equal(ex_parse(s, 1, key, value, err, sizeof err), -1);
	if (!strstr(err, msg))
		fail_msg("%s = %s: '%s' lacks '%s'", key, value, err, msg);
	assert_int_equal(ex_count(s), 0);
	ex_set_free(s);
}

static void
test_parse_errors(void **state)
{
	(void)state;
	expect_error("status", "sending", "status: bad value 'sending' (sent, deferred, bounced, expired)");
	expect_error("status", "", "status: bad value");
	expect_error("status", "deferred 4.7.5 extra", "STATUS [DSN]");
	expect_error("status", "deferred 4.x", "status: bad DSN '4.x'");
	expect_error("status", "deferred 3.0.0", "bad DSN");
	expect_error("status", "deferred 4.7.5.1", "bad DSN");
	expect_error("status a@x b@y", "sent", "one recipient at most");
	expect_error("status <>", "sent", "bad recipient");
	expect_error("log", "(", "log: bad regex '(': ");
	expect_error("log smtp", "", "log smtp: empty regex");
	expect_error("log SMTP", "x", "log: bad daemon name 'SMTP'");
	expect_error("no-log smtp extra", "x", "no-log: bad daemon name");
	expect_error("no-log /smtpd", "x", "bad daemon name");
	expect_error("server mx", "yes", "server: expected 'server NAME FACT = VALUE'");
	expect_error("server mx colour", "blue", "server mx: unknown fact 'colour' (tls, handshake");
	expect_error("server mx tls", "maybe", "server mx tls: bad value 'maybe' (yes|no)");
	expect_error("server mx messages", "-1", "bad value '-1' (N)");
	expect_error("server mx certificates", "two", "(N)");
	expect_error("server sts requests", "one", "server sts requests: bad value 'one' (N)");
	expect_error("server mx tls-version", "TLSv1.4", "bad value 'TLSv1.4'");
	expect_error("server mx sni", "a b", "bad value");
	expect_error("server mx body", "a[", "server mx body: bad regex");
	expect_error("server mx discarded-plaintext", "some", "bad value 'some' (N)");
	expect_error("server m/x tls", "yes", "bad server name");
	expect_error("delivered", "yes", "unknown expectation 'delivered' (status, log, no-log, server, client, probe)");
	expect_error("", "yes", "missing expectation");
}

static void
test_parse_ok(void **state)
{
	struct ex_set *s = ex_set_new();
	const struct ex_result *r;
	const char *names[4];

	(void)state;
	assert_int_equal(ex_parse(s, 3, "status", " deferred   4.7.5 ", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 4, "status <Bob@Partner.example>", "sent", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 5, "log  smtp", "x", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 6, "no-log submission/smtpd", "x", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 7, "server mx tls", "yes", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 8, "server mx mail", "0", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 9, "server in chain", "mx.example.test/good full", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 10, "server mx tls-version", "1.2", err, sizeof err), 0);
	assert_int_equal(ex_count(s), 8);
	assert_int_equal(ex_server_refs(s, names, 4), 2);
	assert_string_equal(names[0], "mx");
	assert_string_equal(names[1], "in");
	assert_int_equal(ex_server_refs(s, names, 1), 2);	/* counts beyond max */
	assert_int_equal(ex_results(s, &r), 8);
	assert_string_equal(r[0].text, "status = deferred   4.7.5");
	assert_int_equal(r[0].line, 3);
	assert_string_equal(r[2].text, "log smtp = x");
	assert_int_equal(r[0].passed, 0);
	assert_string_equal(r[0].why, "not decided yet");
	assert_int_equal(ex_undecided(s), 3);	/* two status, one log */
	ex_set_free(s);
	ex_set_free(NULL);
}

/* ---- status ---- */

static void
test_status_pass(void **state)
{
	char ev[8192];
	struct ex_set *s;

	(void)state;
	s = set1("status", "sent 2.0.0", "bob@verified.example");
	assert_int_equal(ex_undecided(s), 1);
	feed_file(s, "secure-verified.log");
	assert_int_equal(ex_undecided(s), 0);		/* decided on the line */
	assert_int_equal(result0(s)->passed, 1);
	/* a pass has its evidence too: the TLS line and the status line */
	assert_string_equal(result0(s)->evidence,
		"Nov 28 23:12:06 pf postfix/smtp[219]: Verified TLS connection established to "
		"verified.example[127.0.0.14]:25: TLSv1.2 with cipher ECDHE-ECDSA-CHACHA20-POLY1305 "
		"(256/256 bits)\n"
		"Nov 28 23:12:06 pf postfix/smtp[219]: D4AC0A74681: to=<bob@verified.example>, "
		"relay=verified.example[127.0.0.14]:25, delay=0.09, delays=0/0/0.09/0, dsn=2.0.0, "
		"status=sent (250 2.0.0 Ok: queued as 000001)");
	ex_set_free(s);
	assert_true(run1("status", "deferred 4.7.5", "bob@leafonly.example", "secure-leafonly.log", 0, NULL, ev));
	assert_non_null(strstr(ev, "postfix/smtp[219]: Untrusted TLS connection established to leafonly.example"));
	assert_non_null(strstr(ev, "to=<bob@leafonly.example>, relay=leafonly.example[127.0.0.16]:25, "
			       "delay=0.09, delays=0/0/0.09/0, dsn=4.7.5, status=deferred"));

	assert_true(run1("status bob@verified.example", "sent", NULL, "secure-verified.log", 0, NULL, NULL));
	assert_true(run1("status BOB@verified.example", "sent 2", NULL, "secure-verified.log", 0, NULL, NULL));
	assert_true(run1("status", "deferred 4.7.5", "bob@leafonly.example", "secure-leafonly.log", 0, NULL, NULL));
	assert_true(run1("status", "deferred 4.7", "bob@leafonly.example", "secure-leafonly.log", 0, NULL, NULL));
	assert_true(run1("status", "deferred 4", "bob@leafonly.example", "secure-leafonly.log", 0, NULL, NULL));
	assert_true(run1("status", "deferred 4.7.4", "bob@notls.example", "encrypt-notls.log", 0, NULL, NULL));
	assert_true(run1("status", "deferred 4.4.1", "bob@refused.example", "refused.log", 0, NULL, NULL));
	assert_true(run1("status", "bounced 5.1.1", "bob@bounce.example", "bounce.log", 0, NULL, NULL));
	assert_true(run1("status", "sent", "bob@clear.example", "clear.log", 0, NULL, NULL));
	assert_true(run1("status", "sent", "bob@untrusted.example", "may-untrusted.log", 0, NULL, NULL));
	/* the sender's bounce notice is no status of bob */
	assert_false(run1("status", "sent", "bob@bounce.example", "bounce.log", 0, NULL, NULL));
}

static void
test_status_fail_evidence(void **state)
{
	static const struct {
		const char *file, *rcpt, *reason;
	} c[] = {
		{ "secure-leafonly.log", "bob@leafonly.example", "untrusted issuer /CN=mxlab Test Intermediate CA" },
		{ "secure-selfsigned.log", "bob@selfsigned.example", "self-signed certificate" },
		{ "secure-expired.log", "bob@expired.example", "certificate has expired" },
		{ "secure-wrongname.log", "bob@wrongname.example", "num=62:hostname mismatch" },
		{ "secure-unknownroot.log", "bob@unknownroot.example", "untrusted issuer /CN=mxlab Unrelated Root CA" },
		{ "encrypt-tls11.log", "bob@tls11.example", "SSL_connect error to tls11.example" },
		{ "encrypt-notls.log", "bob@notls.example", "TLS is required, but was not offered" },
		{ "refused.log", "bob@refused.example", "Connection refused" },
	};
	char why[1024], ev[8192], want[300];

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		assert_false(run1("status", "sent", c[i].rcpt, c[i].file, 0, why, ev));
		if (!strstr(ev, c[i].reason))
			fail_msg("%s: evidence lacks '%s':\n%s", c[i].file, c[i].reason, ev);
		assert_non_null(strstr(ev, "status=deferred"));
		assert_null(strstr(ev, "postfix/smtpd"));	/* only smtp's lines */
		snprintf(want, sizeof want, "expected status sent for %s, saw deferred 4.", c[i].rcpt);
		if (strncmp(why, want, strlen(want)))
			fail_msg("why: '%s'", why);
	}
	/* the exact text */
	assert_false(run1("status", "sent", "bob@leafonly.example", "secure-leafonly.log", 0, why, ev));
	assert_string_equal(why, "expected status sent for bob@leafonly.example, saw deferred 4.7.5");
	assert_string_equal(ev,
		"Nov 28 23:12:08 pf postfix/smtp[219]: certificate verification failed for "
		"leafonly.example[127.0.0.16]:25: untrusted issuer /CN=mxlab Test Intermediate CA/O=mxlab\n"
		"Nov 28 23:12:08 pf postfix/smtp[219]: Untrusted TLS connection established to "
		"leafonly.example[127.0.0.16]:25: TLSv1.2 with cipher ECDHE-ECDSA-CHACHA20-POLY1305 (256/256 bits)\n"
		"Nov 28 23:12:08 pf postfix/smtp[219]: E1C84A74A74: to=<bob@leafonly.example>, "
		"relay=leafonly.example[127.0.0.16]:25, delay=0.09, delays=0/0/0.09/0, dsn=4.7.5, "
		"status=deferred (Server certificate not verified)");
	/* wrong DSN: 4.7.4 is not 4.7.5, 4.7 is not 4.70 */
	assert_false(run1("status", "deferred 4.7.4", "bob@leafonly.example", "secure-leafonly.log", 0, why, NULL));
	assert_string_equal(why, "expected status deferred 4.7.4 for bob@leafonly.example, saw deferred 4.7.5");
	assert_false(run1("status", "sent", "bob@bounce.example", "bounce.log", 0, why, ev));
	assert_string_equal(why, "expected status sent for bob@bounce.example, saw bounced 5.1.1");
	assert_non_null(strstr(ev, "Trusted TLS connection established to bounce.example"));
}

/* One smtp process delivers one message after another: each status line
 * shows only the TLS lines of its own delivery. */
static void
test_status_evidence_per_delivery(void **state)
{
	const char *rcpts[] = { "bob@trusted.example", "bob@leafonly.example", "bob@wrongname.example" };
	struct ex_set *s = ex_set_new();
	const struct ex_result *r;

	(void)state;
	assert_int_equal(ex_parse(s, 1, "status", "sent", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 2, "status bob@wrongname.example", "deferred 4.7.5", err, sizeof err), 0);
	ex_set_recipients(s, rcpts, 3);
	feed_file(s, "may-trusted.log");
	assert_int_equal(ex_undecided(s), 2);	/* 1 of 3 recipients */
	feed_file(s, "secure-leafonly.log");
	feed_file(s, "secure-selfsigned.log");
	assert_int_equal(ex_undecided(s), 2);
	feed_file(s, "secure-wrongname.log");
	assert_int_equal(ex_undecided(s), 0);
	ex_finish(s, NULL, 0, 0);
	assert_int_equal(ex_results(s, &r), 2);
	assert_false(r[0].passed);
	assert_string_equal(r[0].why,
		"expected status sent for bob@leafonly.example, saw deferred 4.7.5; "
		"expected status sent for bob@wrongname.example, saw deferred 4.7.5");
	assert_non_null(strstr(r[0].evidence, "untrusted issuer"));
	assert_non_null(strstr(r[0].evidence, "hostname mismatch"));
	assert_null(strstr(r[0].evidence, "Trusted TLS connection established to trusted"));
	assert_null(strstr(r[0].evidence, "self-signed"));
	assert_true(r[1].passed);
	/* the passed one's evidence is its own delivery's lines only */
	assert_non_null(strstr(r[1].evidence, "hostname mismatch"));
	assert_non_null(strstr(r[1].evidence, "to=<bob@wrongname.example>"));
	assert_null(strstr(r[1].evidence, "leafonly"));
	assert_false(ex_all_passed(s));
	ex_set_free(s);
}

static void
test_status_expired(void **state)
{
	char why[1024], ev[8192];
	struct ex_set *s;

	(void)state;
	s = set1("status", "expired", "bob@notls.example");
	feed_file(s, "expired-notls.log");
	assert_int_equal(ex_undecided(s), 0);
	assert_true(result0(s)->passed);
	/* both lines that decided it: deferred, then qmgr's status=expired */
	assert_non_null(strstr(result0(s)->evidence, "to=<bob@notls.example>, relay=notls.example"));
	assert_non_null(strstr(result0(s)->evidence, "postfix/qmgr[131]: 4jcQzP3dzpz1bd8q: "
			       "from=<alice@sink.example>, status=expired, returned to sender"));
	ex_set_free(s);
	assert_true(run1("status", "expired 4.7.4", "bob@notls.example", "expired-notls.log", 0, NULL, NULL));
	assert_true(run1("status", "deferred 4.7.4", "bob@notls.example", "expired-notls.log", 0, NULL, NULL));
	assert_true(run1("status bob@refused.example", "expired 4.4.1", NULL, "expired-refused.log", 0, NULL, NULL));
	assert_false(run1("status", "expired 4.7.5", "bob@notls.example", "expired-notls.log", 0, why, ev));
	assert_string_equal(why, "expected status expired 4.7.5 for bob@notls.example, "
			    "saw expired (after deferred 4.7.4)");
	assert_non_null(strstr(ev, "status=expired, returned to sender"));
	/* another message's expiry is not ours */
	s = set1("status", "expired", "bob@leafonly.example");
	feed_file(s, "secure-leafonly.log");
	feed_file(s, "expired-notls.log");
	assert_int_equal(ex_undecided(s), 1);
	ex_finish(s, NULL, 0, 1);
	assert_false(result0(s)->passed);
	assert_string_equal(result0(s)->why, "expected status expired for bob@leafonly.example, "
			    "saw deferred 4.7.5, then no status=expired within the timeout");
	assert_non_null(strstr(result0(s)->evidence, "untrusted issuer"));
	ex_set_free(s);
	assert_false(run1("status", "expired", "bob@clear.example", "clear.log", 0, why, NULL));
	assert_string_equal(why, "expected status expired for bob@clear.example, saw sent 2.0.0");
}

static void
test_status_timeout(void **state)
{
	char why[1024], ev[8192];
	struct ex_set *s;

	(void)state;
	assert_false(run1("status carol@nowhere.example", "sent", NULL, "secure-leafonly.log", 1, why, ev));
	assert_string_equal(why, "expected status sent for carol@nowhere.example, not seen within the timeout");
	/* no line names carol: the evidence is smtp's last lines */
	assert_non_null(strstr(ev, "Untrusted TLS connection established"));
	assert_null(strstr(ev, "postfix/qmgr"));
	assert_false(run1("status carol@nowhere.example", "sent", NULL, "clear.log", 0, why, NULL));
	assert_string_equal(why, "expected status sent for carol@nowhere.example, not seen before the scenario ended");

	/* lines that named the recipient are shown */
	s = set1("status", "sent", "bob@clear.example");
	feed_line(s, "Nov 28 23:12:05 pf postfix/smtpd[135]: ABCDEF0123: client=localhost[127.0.0.1]");
	feed_line(s, "Nov 28 23:12:05 pf postfix/smtp[1]: ABCDEF0123: host clear.example said "
		  "<bob@clear.example> later");
	ex_finish(s, NULL, 0, 1);
	assert_non_null(strstr(result0(s)->evidence, "said <bob@clear.example> later"));
	ex_set_free(s);

	/* status without a recipient in a scenario that sends none */
	s = set1("status", "sent", NULL);
	feed_file(s, "clear.log");
	ex_finish(s, NULL, 0, 1);
	assert_false(result0(s)->passed);
	assert_non_null(strstr(result0(s)->why, "sends to none"));
	ex_set_free(s);
}

/* ---- log, no-log ---- */

static void
test_log(void **state)
{
	char why[1024], ev[8192];
	struct ex_set *s;

	(void)state;
	s = set1("log smtp", "certificate verification failed for leafonly\\.example.*untrusted issuer", NULL);
	assert_int_equal(ex_undecided(s), 1);
	feed_file(s, "secure-leafonly.log");
	assert_int_equal(ex_undecided(s), 0);
	assert_true(result0(s)->passed);
	/* the evidence of a pass: the line that matched */
	assert_string_equal(result0(s)->evidence, "Nov 28 23:12:08 pf postfix/smtp[219]: certificate "
			    "verification failed for leafonly.example[127.0.0.16]:25: untrusted issuer "
			    "/CN=mxlab Test Intermediate CA/O=mxlab");
	ex_set_free(s);

	assert_true(run1("log", "^Anonymous TLS connection established from", NULL, "smtpd-tls.log", 0, NULL, NULL));
	assert_true(run1("log smtpd", "^Anonymous TLS", NULL, "smtpd-tls.log", 0, NULL, NULL));
	assert_true(run1("log smtp", "^Verified TLS connection established to verified", NULL, "secure-verified.log", 0, NULL, NULL));
	assert_true(run1("log qmgr", "status=expired, returned to sender", NULL, "expired-notls.log", 0, NULL, ev));
	assert_string_equal(ev, "Nov 28 23:12:17 pf postfix/qmgr[131]: 4jcQzP3dzpz1bd8q: "
			    "from=<alice@sink.example>, status=expired, returned to sender");
	/* the regex sees the text after "daemon[pid]: ", case-sensitive */
	assert_false(run1("log smtp", "^Nov 28", NULL, "clear.log", 0, NULL, NULL));
	assert_false(run1("log smtp", "verified TLS", NULL, "secure-verified.log", 0, NULL, NULL));
	/* a daemon filter: the line is smtpd's, not smtp's */
	assert_false(run1("log smtp", "Anonymous TLS", NULL, "smtpd-tls.log", 1, why, ev));
	assert_string_equal(why, "expected a line of smtp matching /Anonymous TLS/, not seen within the timeout");
	assert_non_null(strstr(ev, "postfix/smtp[219]: AC5B8A74AA4: to=<carol@sink.example>"));
	assert_null(strstr(ev, "smtpd["));
	assert_false(run1("log", "nothing like this", NULL, "clear.log", 1, why, ev));
	assert_string_equal(why, "expected a line of any daemon matching /nothing like this/, not seen within the timeout");
	assert_non_null(strstr(ev, "removed"));

	/* service names: submission/smtpd matches postfix/submission/smtpd */
	s = set1("log submission/smtpd", "sasl_method=PLAIN", NULL);
	feed_line(s, "Nov 28 23:12:05 pf postfix/smtpd[1]: A1B2C3D4E5: client=x, sasl_method=PLAIN");
	assert_int_equal(ex_undecided(s), 1);
	feed_line(s, "2026-11-28T23:08:26.1+00:00 pf postfix-in/submission/smtpd[2]: "
		  "A1B2C3D4E5: client=x, sasl_method=PLAIN");
	assert_int_equal(ex_undecided(s), 0);
	ex_set_free(s);
}

static void
test_nolog(void **state)
{
	char why[1024], ev[8192];
	struct ex_set *s;

	(void)state;
	/* a pass says how many lines were looked at: smtp's 3 of the 8 */
	assert_true(run1("no-log smtp", "Verified TLS connection", NULL, "secure-leafonly.log", 0, NULL, ev));
	assert_string_equal(ev, "no matching line among 3 maillog lines of smtp");
	assert_true(run1("no-log", "status=sent", NULL, "secure-leafonly.log", 1, NULL, ev));
	assert_string_equal(ev, "no matching line among 8 maillog lines");
	assert_false(run1("no-log smtp", "Verified TLS connection", NULL, "secure-verified.log", 0, why, ev));
	assert_string_equal(why, "expected no line of smtp matching /Verified TLS connection/, saw 1");
	assert_string_equal(ev, "Nov 28 23:12:06 pf postfix/smtp[219]: Verified TLS connection "
			    "established to verified.example[127.0.0.14]:25: TLSv1.2 with cipher "
			    "ECDHE-ECDSA-CHACHA20-POLY1305 (256/256 bits)");
	/* no-log does not hold the scenario open, and fails at once */
	s = set1("no-log", "TLS connection established", NULL);
	assert_int_equal(ex_undecided(s), 0);
	feed_file(s, "may-trusted.log");
	feed_file(s, "may-untrusted.log");
	assert_false(result0(s)->passed);
	ex_finish(s, NULL, 0, 0);
	assert_string_equal(result0(s)->why, "expected no line of any daemon matching "
			    "/TLS connection established/, saw 2");
	assert_non_null(strstr(result0(s)->evidence, "Untrusted TLS"));
	ex_set_free(s);
}

/* Every kind at once over the whole main run, as the runner would. */
static void
test_mixed(void **state)
{
	static const char *const files[] = {
		"clear.log", "may-trusted.log", "may-untrusted.log", "secure-verified.log",
		"encrypt-notls.log", "secure-leafonly.log",
	};
	const char *rcpts[] = { "bob@leafonly.example" };
	struct ex_set *s = ex_set_new();
	const struct ex_result *r;

	(void)state;
	assert_int_equal(ex_parse(s, 10, "status", "deferred 4.7.5", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 11, "log smtp", "certificate verification failed for "
				  "leafonly\\.example.*untrusted issuer", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 12, "no-log smtp", "Verified TLS connection established "
				  "to leafonly", err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 13, "status bob@clear.example", "sent", err, sizeof err), 0);
	ex_set_recipients(s, rcpts, 1);
	for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
		feed_file(s, files[i]);
	assert_int_equal(ex_undecided(s), 0);
	ex_finish(s, NULL, 0, 0);
	assert_true(ex_all_passed(s));
	assert_int_equal(ex_results(s, &r), 4);
	assert_int_equal(r[3].line, 13);
	assert_string_equal(r[3].text, "status bob@clear.example = sent");
	assert_string_equal(r[1].why, "");
	assert_non_null(strstr(r[0].evidence, "dsn=4.7.5, status=deferred"));
	assert_non_null(strstr(r[1].evidence, "untrusted issuer"));
	assert_non_null(strstr(r[2].evidence, "no matching line among "));
	assert_non_null(strstr(r[3].evidence, "to=<bob@clear.example>"));
	ex_set_free(s);
}

/* ---- server facts against a real in-process server ---- */

static void
say(int fd, const char *s)
{
	assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Read one reply (all its lines); return its code. */
static int
reply(int fd)
{
	char buf[2048];
	size_t n = 0;
	ssize_t r;

	for (;;) {
		r = read(fd, buf + n, sizeof buf - 1 - n);
		assert_true(r > 0);
		n += (size_t)r;
		buf[n] = '\0';
		/* complete when the last line is "NNN " ... CRLF */
		if (n >= 2 && buf[n - 2] == '\r' && buf[n - 1] == '\n') {
			char *last = buf + n - 2;

			while (last > buf && last[-1] != '\n')
				last--;
			if (strlen(last) >= 4 && last[3] == ' ')
				return atoi(last);
		}
	}
}

static void
send_plain(const char *addr)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	const char *colon = strrchr(addr, ':');
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0 && colon);
	sa.sin_port = htons((uint16_t)atoi(colon + 1));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(reply(fd), 220);
	say(fd, "EHLO client.test\r\n");
	assert_int_equal(reply(fd), 250);
	say(fd, "MAIL FROM:<alice@example.test>\r\n");
	assert_int_equal(reply(fd), 250);
	say(fd, "RCPT TO:<bob@partner.example>\r\n");
	assert_int_equal(reply(fd), 250);
	say(fd, "DATA\r\n");
	assert_int_equal(reply(fd), 354);
	say(fd, "Subject: mxlab body test\r\n\r\nhello from test_expect\r\n..dot line\r\n.\r\n");
	assert_int_equal(reply(fd), 250);
	say(fd, "QUIT\r\n");
	assert_int_equal(reply(fd), 221);
	close(fd);
}

static void
test_server_facts(void **state)
{
	static const struct {
		const char *key, *value;
		int pass;
		const char *why;
	} c[] = {
		{ "server mx messages", "1", 1, NULL },
		{ "server mx mail", "1", 1, NULL },
		{ "server mx tls", "no", 1, NULL },
		{ "server mx body", "^hello from test_expect$", 1, NULL },
		{ "server mx body", "^Subject: mxlab", 1, NULL },
		{ "server mx body", "^\\.dot line$", 1, NULL },	/* dot-unstuffed */
		{ "server mx messages", "2", 0, "expected server mx messages = 2, saw 1" },
		{ "server mx tls", "yes", 0, "expected server mx tls = yes, saw 0 completed handshakes, 0 failed" },
		{ "server mx handshake", "ok", 0, "expected server mx handshake = ok, saw no TLS handshake" },
		{ "server mx sni", "none", 0, "saw no TLS handshake" },
		{ "server mx body", "goodbye", 0, "expected server mx body = goodbye, saw no stored message matched" },
		{ "server other tls", "no", 0, "expected server other tls = no, but server other is not running" },
		{ "server mx discarded-plaintext", "0", 1, NULL },
		{ "server mx discarded-plaintext", "6", 0,
		  "expected server mx discarded-plaintext = 6, saw 0 bytes discarded after STARTTLS" },
	};
	char tmp[] = "/tmp/test_expect.XXXXXX", addr[64], cmd[128];
	mxlab_server_config *cfg = mxlab_server_config_new();
	mxlab_server *srv = NULL;
	struct ex_server exs[1];
	struct ex_set *s = ex_set_new();
	const struct ex_result *r;
	struct mxlab_server_stats st;

	(void)state;
	assert_non_null(mkdtemp(tmp));
	assert_int_equal(mxlab_server_config_set(cfg, "listen", "127.0.0.1:0", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_server_config_set(cfg, "mailbox", tmp, err, sizeof err), MXLAB_OK);
	if (mxlab_server_start(cfg, &srv, err, sizeof err) != MXLAB_OK)
		fail_msg("server: %s", err);
	assert_int_equal(mxlab_server_listener_address(srv, 0, addr, sizeof addr), MXLAB_OK);
	send_plain(addr);
	for (int i = 0; i < 200; i++) {		/* the session thread stores, then counts */
		struct timespec d = { 0, 5 * 1000000L };

		mxlab_server_get_stats(srv, &st);
		if (st.messages == 1 && st.active == 0)
			break;
		nanosleep(&d, NULL);
	}
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++)
		if (ex_parse(s, (int)i + 1, c[i].key, c[i].value, err, sizeof err) < 0)
			fail_msg("%s: %s", c[i].key, err);
	assert_int_equal(ex_undecided(s), 0);
	exs[0].name = "mx";
	exs[0].srv = srv;
	ex_finish(s, exs, 1, 0);
	assert_int_equal(ex_results(s, &r), sizeof c / sizeof c[0]);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		if (r[i].passed != c[i].pass)
			fail_msg("%s = %s: passed %d (%s)", c[i].key, c[i].value, r[i].passed, r[i].why);
		if (c[i].why && !strstr(r[i].why, c[i].why))
			fail_msg("%s = %s: why '%s'", c[i].key, c[i].value, r[i].why);
	}
	/* evidence: one line per handshake (none here) and per message */
	assert_non_null(strstr(r[6].evidence, "server mx: no TLS handshake"));
	assert_non_null(strstr(r[6].evidence, "message 1 (connection 1): from=<alice@example.test> "
					      "to=<bob@partner.example>"));
	assert_non_null(strstr(r[6].evidence, "in clear, file 000001"));
	assert_string_equal(r[11].evidence, "");
	/* a pass: what was seen, then the same lines */
	assert_prefix(r[0].evidence, "saw 1\nserver mx: no TLS handshake\nmessage 1 "
			     "(connection 1): from=<alice@example.test>");
	assert_prefix(r[2].evidence, "saw 0 completed handshakes, 0 failed\n");
	assert_prefix(r[3].evidence, "saw message 1 (file 000001) matches\n");
	assert_non_null(strstr(r[3].evidence, "in clear, file 000001"));
	ex_set_free(s);
	mxlab_server_free(srv);
	mxlab_server_config_free(cfg);
	snprintf(cmd, sizeof cmd, "rm -rf %s", tmp);
	assert_int_equal(system(cmd), 0);
}


/* ---- client and probe facts ---- */

/* Decide one client or probe expectation against r / rep. */
static int
client1(const char *key, const char *value, const struct mxlab_client_result *r,
	const struct mxlab_probe_report *rep, char *why)
{
	struct ex_set *s = set1(key, value, NULL);
	struct ex_client c = { "c", r };
	struct ex_probe p = { "p", rep };
	struct ex_world w = { .clients = &c, .nclients = 1, .probes = &p, .nprobes = 1 };
	const struct ex_result *res;
	int passed;

	assert_int_equal(ex_undecided(s), 0);	/* decided at the end only */
	ex_finish_world(s, &w, 0);
	res = result0(s);
	passed = res->passed;
	if (why)
		snprintf(why, 1024, "%s\n%s", res->why ? res->why : "", res->evidence ? res->evidence : "");
	ex_set_free(s);
	return passed;
}

static void
test_client_facts(void **state)
{
	struct mxlab_client_result r;
	struct mxlab_probe_report rep;
	char why[1024];

	(void)state;
	memset(&r, 0, sizeof r);
	r.failed_stage = MXLAB_CS_MAIL;
	snprintf(r.error, sizeof r.error, "mail: 530 5.7.0 Must issue a STARTTLS command first");
	r.reply[MXLAB_CS_MAIL].code = 530;
	snprintf(r.reply[MXLAB_CS_MAIL].text, sizeof r.reply[0].text,
		 "5.7.0 Must issue a STARTTLS command first");
	snprintf(r.caps_before, sizeof r.caps_before, "PIPELINING\nSIZE 10240000\nSTARTTLS");
	snprintf(r.caps_after, sizeof r.caps_after, "PIPELINING\nAUTH PLAIN LOGIN");
	r.tls = 1;
	snprintf(r.tls_version, sizeof r.tls_version, "TLSv1.2");
	r.nchain = 1;
	snprintf(r.chain[0].subject, sizeof r.chain[0].subject, "CN=postfix.mxlab.test, O=mxlab");
	snprintf(r.chain[0].issuer, sizeof r.chain[0].issuer, "CN=mxlab Test Intermediate CA");
	r.verify_reasons = MXLAB_VR_UNTRUSTED | MXLAB_VR_EXPIRED;
	snprintf(r.verify_text, sizeof r.verify_text, "untrusted-issuer, expired");
	r.sessions = 2;
	r.resumed = 1;

	assert_true(client1("client c reply mail", "530 5\\.7\\.0 Must issue", &r, NULL, NULL));
	assert_false(client1("client c reply mail", "250", &r, NULL, why));
	assert_non_null(strstr(why, "saw 530 5.7.0 Must issue"));
	assert_non_null(strstr(why, "client c: stopped at mail"));	/* evidence */
	assert_false(client1("client c reply rcpt", "250", &r, NULL, why));
	assert_non_null(strstr(why, "no reply at that stage"));
	assert_true(client1("client c stopped", "mail", &r, NULL, why));
	/* a pass: what was seen, then the session's summary (why is "") */
	assert_prefix(why, "\nsaw mail: mail: 530 5.7.0 Must issue a STARTTLS command first\n"
			     "client c: stopped at mail");
	assert_non_null(strstr(why, "client c: mail -> 530 5.7.0 Must issue"));
	assert_false(client1("client c stopped", "done", &r, NULL, NULL));
	assert_true(client1("client c caps-before", "^STARTTLS$", &r, NULL, why));
	assert_prefix(why, "\nsaw 'STARTTLS' among [PIPELINING SIZE 10240000 STARTTLS]\n");
	assert_true(client1("client c no-caps-before", "^AUTH", &r, NULL, why));
	assert_prefix(why, "\nsaw no matching line among [PIPELINING SIZE 10240000 STARTTLS]\n");
	assert_false(client1("client c no-caps-after", "^AUTH", &r, NULL, NULL));
	assert_true(client1("client c caps-after", "^AUTH PLAIN LOGIN$", &r, NULL, NULL));
	assert_true(client1("client c tls", "yes", &r, NULL, NULL));
	assert_true(client1("client c tls-version", "TLSv1.2", &r, NULL, why));
	assert_prefix(why, "\nsaw TLSv1.2\n");
	assert_non_null(strstr(why, "client c: chain 0: CN=postfix.mxlab.test, O=mxlab"));
	assert_true(client1("client c chain-length", "1", &r, NULL, NULL));
	assert_false(client1("client c chain-length", "2", &r, NULL, NULL));
	assert_true(client1("client c subject", "CN=postfix\\.mxlab", &r, NULL, NULL));
	assert_true(client1("client c issuer", "Intermediate", &r, NULL, NULL));
	assert_true(client1("client c verify", "failed", &r, NULL, NULL));
	assert_false(client1("client c verify", "ok", &r, NULL, why));
	assert_non_null(strstr(why, "saw failed: untrusted-issuer, expired"));
	assert_true(client1("client c reasons", "untrusted-issuer", &r, NULL, NULL));
	assert_true(client1("client c reasons", "expired untrusted-issuer", &r, NULL, NULL));
	assert_false(client1("client c reasons", "name-mismatch", &r, NULL, NULL));
	assert_false(client1("client c reasons", "none", &r, NULL, NULL));
	assert_true(client1("client c resumed", "yes", &r, NULL, NULL));
	assert_true(client1("client c sni", "none", &r, NULL, NULL));
	/* A client that did not run fails every fact. */
	assert_false(client1("client c tls", "yes", NULL, NULL, why));
	assert_non_null(strstr(why, "did not run"));

	memset(&rep, 0, sizeof rep);
	rep.nfindings = 1;
	snprintf(rep.findings[0].id, sizeof rep.findings[0].id, "chain-leaf-only");
	rep.findings[0].severity = MXLAB_PROBE_ERROR;
	assert_true(client1("probe p finding", "chain-leaf-only", NULL, &rep, why));
	assert_prefix(why, "\nprobe p reported chain-leaf-only (1 finding)\n"
			     "probe p: ERROR chain-leaf-only");
	assert_false(client1("probe p finding", "sni-differs", NULL, &rep, why));
	assert_non_null(strstr(why, "did not report"));
	assert_non_null(strstr(why, "chain-leaf-only"));
	assert_true(client1("probe p no-finding", "sni-differs", NULL, &rep, why));
	assert_prefix(why, "\nprobe p did not report sni-differs (1 finding)\n");

	expect_error("client c", "x", "client: expected 'client NAME FACT = VALUE'");
	expect_error("client c colour", "x", "client: unknown fact 'colour'");
	expect_error("client c reply", "250", "needs a stage");
	expect_error("client c reply tls", "250", "needs a stage with a reply");
	expect_error("client c reply mail", "25x", "bad value '25x'");
	expect_error("client c reply mail", "250 (", "client c reply mail");
	expect_error("client c stopped", "later", "bad value 'later'");
	expect_error("client c verify", "yes", "bad value 'yes' (ok|failed)");
	expect_error("client c reasons", "grumpy", "unknown reason 'grumpy'");
	expect_error("client c chain-length", "many", "bad value 'many'");
	expect_error("client c tls-version", "SSLv3", "bad value 'SSLv3'");
	/* Cut short or too long: refused without reading past the value. */
	expect_error("client c tls-version", "TLSv1.", "bad value 'TLSv1.'");
	expect_error("client c tls-version", "TLSv1", "bad value 'TLSv1'");
	expect_error("client c tls-version", "TLSv1.23", "bad value 'TLSv1.23'");
	expect_error("server mx tls-version", "TLSv1.", "bad value 'TLSv1.'");
	expect_error("server mx tls-version", "TLSv", "bad value 'TLSv'");
	/* Both accept the same spellings. */
	assert_true(client1("client c tls-version", "1.2", &r, NULL, NULL));
	assert_true(client1("client c tls-version", "tlsv1.2", &r, NULL, NULL));
	/* The daemon named in the message is the key's, whatever its first word. */
	expect_error("no-log a b", "x", "no-log: bad daemon name 'a b'");
	expect_error("probe p colour", "x", "probe: unknown fact 'colour'");
	expect_error("probe p finding", "Not An Id", "bad finding id");
}

/* ---- the regex dialect (rxcheck.c) ---- */

static void
test_regex_dialect(void **state)
{
	static const char *const good[] = {
		"certificate verification failed for mx\\.partner\\.example.*untrusted issuer",
		"status=deferred \\(TLS is required, but was not offered by host mx\\.x\\[127\\.0\\.0\\.10\\]\\)",
		"^STARTTLS$", "^AUTH", "^Subject: ", "^a|^b$|c", "a{2,5}", "(ab|cd)+x",
		"[]a]", "[^]a-z]*", "[[:alpha:]]+ [[.-.]][[=e=]]", "[\\]", "x\\{", "a}", "(a|b){0}",
		"\\w+\\s\\W\\S", "()", "(|a)", "a|", "caf\xc3\xa9", "a{0,499}", "(a?){249}",
		"^$", "^", "^|x", "^x+y", "^.{2}", "^[a-z]{1,3}(a|b)*$", "^\\.x$|^\\w", "a$|b$",
		"((((((((((((((((a))))))))))))))))",
	};
	static const struct { const char *re, *why; } bad[] = {
		{ "a++", "'+' follows another quantifier (stacked quantifiers such as a++, a*?, "
			 "a{2}* are not allowed) at byte 3" },
		{ "a*?", "'?' follows another quantifier" },
		{ "a{2}*", "'*' follows another quantifier" },
		{ "a+{2}", "'{' follows another quantifier" },
		{ "(a+)+?", "'?' follows another quantifier (stacked quantifiers such as a++, a*?, a{2}* are not allowed) at byte 6" },
		{ "*a", "'*' has nothing to repeat at byte 1" },
		{ "(+a)", "'+' has nothing to repeat at byte 2" },
		{ "a|?b", "'?' has nothing to repeat at byte 3" },
		{ "^*a", "'*' has nothing to repeat (an anchor) at byte 2" },
		{ "(a)\\1", "back-reference \\1 is not allowed at byte 4" },
		{ "\\bword", "anchor \\b is not allowed" },
		{ "a\\>", "anchor \\> is not allowed" },
		{ "\\d+", "\\d is not POSIX (write [0-9]" },
		{ "x^", "'^' is allowed only first in the regex or in a top-level alternative at byte 2" },
		{ "(^a)", "'^' is allowed only first" },
		{ "a$b", "'$' is allowed only last in the regex or in a top-level alternative at byte 2" },
		{ "(a$)", "'$' is allowed only last" },
		{ "^(a)", "after '^' comes a character, '.', a bracket expression or an escape that "
			  "is not optional (no group, no *, ? or {0,N} on it) at byte 2" },
		{ "^a?b", "after '^' comes a character" },
		{ "^.*x", "after '^' comes a character" },
		{ "x|^[a]{0,2}", "after '^' comes a character" },
		{ "^((|a)?){80}", "after '^' comes" },
		{ "a{,2}", "bad interval ({M}, {M,} or {M,N}, counts 0 to 1000; a literal brace is \\{) at byte 2" },
		{ "a{1001}", "bad interval" },
		{ "a{00001}", "bad interval" },
		{ "a{5,2}", "bad interval (the minimum is larger than the maximum) at byte 2" },
		{ "a{x}", "bad interval" },
		{ "a{", "bad interval" },
		{ "a{2", "bad interval" },
		{ "(((((((((((((((((a)))))))))))))))))", "groups nested more than 16 deep at byte 17" },
		{ "a)", "unmatched ')' (a literal parenthesis is \\)) at byte 2" },
		{ "x(a", "unclosed '(' at byte 2" },
		{ "[a", "unclosed '[' at byte 1" },
		{ "[[:alpha:]", "unclosed '['" },
		{ "a\\", "a backslash ends the regex at byte 2" },
		{ "a{1,1000}", "too big once its repetitions are expanded (more than 1000 positions" },
		{ "(a?){500}", "too big" },
		{ "((a{10}){10}){10}", "too big" },
		{ "(((((((((((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+)+", "nested" },
		{ "((((((((((((((a+)+)+)+)+)+)+)+)+)+)+)+)+)+)+", "too big" },
		{ "a++++++++++++++++++++++++", "follows another quantifier" },
	};
	char long_re[RX_LEN_MAX + 2], e[600];
	unsigned size = 0;

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		if (rx_check(good[i], &size, e, sizeof e) < 0)
			fail_msg("'%s' refused: %s", good[i], e);
	assert_int_equal(rx_check("abc", &size, e, sizeof e), 0);
	assert_int_equal(size, 4);		/* three characters and the end */
	assert_int_equal(rx_check("(a?){249}", &size, e, sizeof e), 0);
	assert_int_equal(size, 997);		/* 249 * (a 1, ? 1, group 2) + the end */
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		e[0] = '\0';
		if (rx_check(bad[i].re, &size, e, sizeof e) == 0 || !strstr(e, bad[i].why))
			fail_msg("'%s': want '%s', got '%s'", bad[i].re, bad[i].why, e);
	}
	memset(long_re, 'a', sizeof long_re - 1);
	long_re[RX_LEN_MAX] = '\0';
	assert_int_equal(rx_check(long_re, &size, e, sizeof e), -1);	/* 1001 positions */
	long_re[RX_LEN_MAX - 1] = '\0';
	assert_int_equal(rx_check(long_re, &size, e, sizeof e), 0);
	long_re[RX_LEN_MAX - 1] = 'a';
	long_re[RX_LEN_MAX] = 'a';
	long_re[RX_LEN_MAX + 1] = '\0';
	assert_int_equal(rx_check(long_re, &size, e, sizeof e), -1);
	assert_string_equal(e, "1001 bytes long (at most 1000)");

	/* Through ex_parse, every regex expectation: the key and the pattern. */
	expect_error("log smtp", "a++", "log smtp: bad regex 'a++': '+' follows another quantifier");
	expect_error("no-log", "x\\1", "no-log: bad regex 'x\\1': back-reference");
	expect_error("server mx body", "(a", "server mx body: bad regex '(a': unclosed '('");
	expect_error("client c reply mail", "530 a**", "client c reply mail: bad regex 'a**'");
	expect_error("client c caps-before", "^A|B^", "client c caps-before: bad regex");
	expect_error("client c subject", "\\<CN", "client c subject: bad regex");
	expect_error("log", "a++++++++++++++++++++++++", "log: bad regex 'a++++++++++++++++++++++++'");
}

/* One file's regexes together: at most RX_FILE_SIZE_MAX positions. */
static void
test_regex_budget(void **state)
{
	struct ex_set *s = ex_set_new();
	char re[1000];
	int i;

	(void)state;
	memset(re, 'x', 999);		/* 999 characters and the end: 1000 */
	re[999] = '\0';
	for (i = 0; i < 5; i++)
		assert_int_equal(ex_parse(s, i + 1, "log", re, err, sizeof err), 0);
	assert_int_equal(ex_parse(s, 6, "no-log", "abc", err, sizeof err), -1);
	assert_string_equal(err, "no-log: this regex and the ones before it are too big "
			    "together (5004 positions, at most 5000 in one file)");
	assert_int_equal(ex_parse(s, 6, "status", "sent", err, sizeof err), 0);
	assert_int_equal(ex_count(s), 6);
	ex_set_free(s);
}

/* The worst shapes the dialect lets through, at its limit, compile in a
 * few MiB with glibc (mallinfo2 reads 0 under ASan: nothing to check). */
static void
test_regex_memory(void **state)
{
	static const char *const shapes[] = {
		"(()|a)", "(a?)", "(a|b?)", "(a*)", "(()|()|()|a)", "((|a)?)", "(a{1,5})",
		"([a-z]?)", "(\\w|\\s?)", "(.?.?.?)", "((a?){3})", "((){0,8})", "((){0,20})",
		"(()|())", "((()?){0,5})",
	};
	char pat[300], e[600];
	unsigned size;

	(void)state;
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		for (int anchors = 0; anchors < 2; anchors++) {
			int k = 1;
			regex_t re;
			struct mallinfo2 before, after;
			size_t used;

			/* The largest count of the shape the dialect accepts. */
			while (k < RX_COUNT_MAX) {
				snprintf(pat, sizeof pat, "%s%s{%d}%s", anchors ? "^x" : "", shapes[i],
					 k + 1, anchors ? "$" : "");
				if (rx_check(pat, &size, e, sizeof e) < 0)
					break;
				k++;
			}
			snprintf(pat, sizeof pat, "%s%s{%d}%s", anchors ? "^x" : "", shapes[i], k,
				 anchors ? "$" : "");
			before = mallinfo2();
			if (rx_compile(&re, pat, 0, &size, e, sizeof e) < 0)
				fail_msg("%s: %s", pat, e);
			after = mallinfo2();
			used = after.uordblks > before.uordblks ? after.uordblks - before.uordblks : 0;
			print_message("# %-24s %4u positions %6zu KiB\n", pat, size, used / 1024);
			assert_true(size > RX_SIZE_MAX * 3 / 4);
			if (used > (16u << 20))
				fail_msg("%s: %zu bytes", pat, used);
			regfree(&re);
		}
	}
}

int
main(void)
{
	const struct CMUnitTest t[] = {
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_parse_ok),
		cmocka_unit_test(test_status_pass),
		cmocka_unit_test(test_status_fail_evidence),
		cmocka_unit_test(test_status_evidence_per_delivery),
		cmocka_unit_test(test_status_expired),
		cmocka_unit_test(test_status_timeout),
		cmocka_unit_test(test_log),
		cmocka_unit_test(test_nolog),
		cmocka_unit_test(test_mixed),
		cmocka_unit_test(test_server_facts),
		cmocka_unit_test(test_client_facts),
		cmocka_unit_test(test_regex_dialect),
		cmocka_unit_test(test_regex_budget),
		cmocka_unit_test(test_regex_memory),
	};

	return cmocka_run_group_tests(t, NULL, NULL);
}
