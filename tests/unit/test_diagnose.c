/*
 * test_diagnose.c: mxlab diagnose (mxlab/diagnose.h) on real Postfix
 * maillogs captured from the catalogue (tests/unit/data/diagnose/, see its
 * README.md): every verdict class, the link from TLS line to delivery,
 * journalctl and ISO prefixes, chunked input, hostile input (NUL bytes,
 * control bytes, a missing final newline, an overlong line), the bounds
 * (evicted links, folded destinations), the cause texts shared with
 * mxlab probe, and each cause's RFC 8460 result type and report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "test_data.h"
#include "mxlab/diagnose.h"
#include "mxlab/probe.h"
#include "tlscause.h"

static const char *
data_dir(void)
{
	return test_data_dir("diagnose");
}

static char *
slurp(const char *name, size_t *len)
{
	char path[4352];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof path, "%s/%s", data_dir(), name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	assert_non_null(buf);
	assert_int_equal(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

/* A diagnosis of one data file, fed in chunks of step bytes. */
static mxlab_diagnose *
run_file(const char *name, size_t step)
{
	size_t len;
	char *buf = slurp(name, &len);
	mxlab_diagnose *d = mxlab_diagnose_new();

	assert_non_null(d);
	mxlab_diagnose_begin(d, name);
	for (size_t at = 0; at < len; at += step)
		mxlab_diagnose_feed(d, buf + at, len - at < step ? len - at : step);
	mxlab_diagnose_end(d);
	mxlab_diagnose_finish(d);
	free(buf);
	return d;
}

static mxlab_diagnose *
run_text(const char *text)
{
	mxlab_diagnose *d = mxlab_diagnose_new();

	assert_non_null(d);
	mxlab_diagnose_begin(d, "text");
	mxlab_diagnose_feed(d, text, strlen(text));
	mxlab_diagnose_end(d);
	mxlab_diagnose_finish(d);
	return d;
}

static size_t
nfailures(const mxlab_diagnose *d)
{
	struct mxlab_diagnose_entry e;
	size_t n = 0;

	for (size_t i = 0; mxlab_diagnose_entry(d, i, &e) == 0; i++)
		n += e.failure != 0;
	return n;
}

/* Every scenario with a TLS failure: the one entry diagnose finds. */
static const struct verdict {
	const char *file, *daemon, *dest, *cause, *guide, *example;
	unsigned deferred;
	const char *rpt;		/* its RFC 8460 result type */
} verdicts[] = {
	{ "secure-leaf-only.maillog", "smtp", "mx.partner.example", "untrusted-issuer",
	  "docs/tls-guide.md#s14-chain", "untrusted issuer /CN=mxlab Test Intermediate CA", 1,
	  "certificate-not-trusted" },
	{ "secure-unknown-root.maillog", "smtp", "mx.partner.example", "untrusted-issuer",
	  "docs/tls-guide.md#s14-chain", "untrusted issuer /CN=mxlab Unrelated Root CA", 1,
	  "certificate-not-trusted" },
	{ "secure-no-cafile.maillog", "smtp", "mx.partner.example", "untrusted-issuer",
	  "docs/tls-guide.md#s14-chain", "untrusted issuer /CN=mxlab Test Root CA", 1,
	  "certificate-not-trusted" },
	{ "loglevel-2.maillog", "smtp", "mx.partner.example", "untrusted-issuer",
	  "docs/tls-guide.md#s14-chain", "untrusted issuer", 1,
	  "certificate-not-trusted" },
	{ "rollout-encrypt-vs-secure.maillog", "smtp", "mx.partner.example", "untrusted-issuer",
	  "docs/tls-guide.md#s14-chain", "untrusted issuer", 1,
	  "certificate-not-trusted" },
	{ "secure-self-signed.maillog", "smtp", "mx.partner.example", "self-signed",
	  "docs/tls-guide.md#s14-self-signed", ": self-signed certificate", 1,
	  "certificate-not-trusted" },
	{ "secure-expired.maillog", "smtp", "mx.partner.example", "expired",
	  "docs/tls-guide.md#s14-expired", "certificate has expired", 1,
	  "certificate-expired" },
	{ "clock-ahead.maillog", "smtp", "mx.partner.example", "expired",
	  "docs/tls-guide.md#s14-expired", "certificate has expired", 1,
	  "certificate-expired" },
	{ "secure-not-yet-valid.maillog", "smtp", "mx.partner.example", "not-yet-valid",
	  "docs/tls-guide.md#s14-not-yet-valid", "certificate not yet valid", 1,
	  "certificate-not-trusted" },
	{ "secure-wrong-name.maillog", "smtp", "mx.partner.example", "name-mismatch",
	  "docs/tls-guide.md#s7", "num=62:hostname mismatch", 1,
	  "certificate-host-mismatch" },
	{ "sni-not-sent.maillog", "smtp", "mx.partner.example", "name-mismatch",
	  "docs/tls-guide.md#s7", "hostname mismatch", 1,
	  "certificate-host-mismatch" },
	{ "dane-mismatch.maillog", "smtp", "mx.partner.example", "dane-mismatch",
	  "docs/tls-guide.md#s14-dane", "no matching DANE TLSA records", 1,
	  "tlsa-invalid" },
	{ "dane-only-no-tlsa.maillog", "smtp", "mx.partner.example", "dane-required",
	  "docs/tls-guide.md#s14-dane-required", "no TLSA records found", 1,
	  "dane-required" },
	{ "dane-only-unsigned.maillog", "smtp", "mx.partner.example", "dnssec-invalid",
	  "docs/tls-guide.md#s14-dnssec", "non DNSSEC destination", 1,
	  "dnssec-invalid" },
	{ "encrypt-no-starttls.maillog", "smtp", "mx.partner.example", "starttls-missing",
	  "docs/tls-guide.md#s10", "TLS is required, but was not offered by host", 1,
	  "starttls-not-supported" },
	{ "encrypt-starttls-refused.maillog", "smtp", "mx.partner.example", "starttls-refused",
	  "docs/tls-guide.md#s10", "refused to start TLS: 454", 1,
	  "starttls-not-supported" },
	{ "protocols-mandatory.maillog", "smtp", "mx.partner.example", "protocol-mismatch",
	  "docs/tls-guide.md#s5", "unsupported protocol", 1,
	  "validation-failure" },
	{ "protocols.maillog", "smtpd", "localhost[127.0.0.1]", "client-protocol-mismatch",
	  "docs/tls-guide.md#s5", "unsupported protocol", 0,
	  "validation-failure" },
	{ "smtps-465.maillog", "smtpd", "localhost[127.0.0.1]", "client-tls-failed",
	  "docs/tls-guide.md#s2", "SSL_accept error from localhost[127.0.0.1]: lost connection", 0,
	  "validation-failure" },
};

static void
test_verdicts(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof verdicts / sizeof verdicts[0]; i++) {
		const struct verdict *v = &verdicts[i];
		mxlab_diagnose *d = run_file(v->file, 1 << 20);
		struct mxlab_diagnose_entry e;

		if (mxlab_diagnose_count(d) != 1)
			fail_msg("%s: %zu entries, want 1", v->file, mxlab_diagnose_count(d));
		assert_int_equal(mxlab_diagnose_entry(d, 0, &e), 0);
		if (strcmp(e.cause, v->cause) || strcmp(e.daemon, v->daemon) ||
		    strcmp(e.destination, v->dest) || strcmp(e.guide, v->guide) ||
		    !strstr(e.example, v->example) || !e.failure || e.count != 1 ||
		    e.deferred != v->deferred || strcmp(e.result_type, v->rpt))
			fail_msg("%s: got %s %s %s (%s) %s count %llu deferred %llu example '%s'",
				 v->file, e.daemon, e.destination, e.cause, e.result_type, e.guide,
				 e.count, e.deferred, e.example);
		if (!strcmp(e.daemon, "smtp")) {
			assert_non_null(e.meanwhile);
			assert_int_equal(e.messages, 1);
			assert_true(strstr(v->file, "rollout") ? !strcmp(e.domain, "partner-strict.example")
							      : !strcmp(e.domain, "partner.example"));
		} else {
			assert_null(e.meanwhile);
			assert_int_equal(e.other, 1);
		}
		assert_non_null(strstr(e.example_where, v->file));
		/* syslog times as logged: "Nov 30 18:10:49", "Dec 01 02:53:16" */
		if (!strstr("JanFebMarAprMayJunJulAugSepOctNovDec", (char[4]){ e.first[0],
			    e.first[1], e.first[2], 0 }) || e.first[3] != ' ' || strlen(e.first) != 15 ||
		    strlen(e.last) != 15)
			fail_msg("%s: first '%s', last '%s'", v->file, e.first, e.last);
		mxlab_diagnose_free(d);
	}
}

/* Scenarios where TLS worked, or failed only where the policy allows it
 * (may, encrypt): nothing to report. */
static void
test_no_failure(void **state)
{
	static const char *const ok[] = {
		"may-no-starttls.maillog", "may-self-signed.maillog", "may-good-chain.maillog",
		"encrypt-self-signed.maillog", "secure-full-chain.maillog", "sni-sent.maillog",
		"verify-mx.maillog", "dane-match.maillog", "protocols-opportunistic.maillog",
		"port25-may.maillog", "chain-leaf-vs-full.maillog", "sni-maps.maillog",
		"submission-encrypt.maillog", "session-resumption.maillog",
		"probe-broken.maillog", "wrong-name.maillog",
	};
	struct mxlab_diagnose_stats st;

	(void)state;
	for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
		mxlab_diagnose *d = run_file(ok[i], 1 << 20);

		if (mxlab_diagnose_count(d) != 0)
			fail_msg("%s: %zu entries, want none", ok[i], mxlab_diagnose_count(d));
		mxlab_diagnose_get_stats(d, &st);
		assert_true(st.lines > 0 && st.lines == st.postfix);
		assert_int_equal(st.skipped + st.not_text + st.too_long + st.unterminated, 0);
		mxlab_diagnose_free(d);
	}
}

/* One byte at a time gives what one chunk gives. */
static void
test_chunks(void **state)
{
	mxlab_diagnose *a = run_file("loglevel-2.maillog", 1 << 20);
	mxlab_diagnose *b = run_file("loglevel-2.maillog", 1);
	char *ja = mxlab_diagnose_json(a), *jb = mxlab_diagnose_json(b);

	(void)state;
	assert_non_null(ja);
	assert_non_null(jb);
	assert_string_equal(ja, jb);
	free(ja);
	free(jb);
	mxlab_diagnose_free(a);
	mxlab_diagnose_free(b);
}

/* Real lines of secure-leaf-only.maillog under other prefixes: journalctl
 * -u postfix (short, short-iso, short-full, short-precise), and a
 * syslog file with a year; journalctl's own "-- ... --" lines are skipped. */
static void
test_prefixes(void **state)
{
	static const char *const pre[] = {
		"Nov 30 18:10:49 postfix",
		"2026-11-30T18:10:49+0000 postfix",
		"Mon 2026-11-30 18:10:49 UTC postfix",
		"Nov 30 18:10:49.123456 postfix",
		"2026 Nov 30 18:10:49 postfix",
		"2026-11-30T18:10:49.123456+00:00 postfix",
	};
	char text[2048];

	(void)state;
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
		mxlab_diagnose *d;
		struct mxlab_diagnose_entry e;
		struct mxlab_diagnose_stats st;

		snprintf(text, sizeof text,
			 "-- Journal begins at Mon 2026-11-30 18:00:00 UTC. --\n"
			 "%s postfix/smtp[13]: certificate verification failed for "
			 "mx.partner.example[127.0.0.10]:25: untrusted issuer /CN=mxlab Test "
			 "Intermediate CA/O=mxlab\n"
			 "%s postfix/smtp[13]: Untrusted TLS connection established to "
			 "mx.partner.example[127.0.0.10]:25: TLSv1.2 with cipher "
			 "ECDHE-ECDSA-CHACHA20-POLY1305 (256/256 bits)\n"
			 "%s postfix/smtp[13]: 2F8B4A84304: to=<bob@partner.example>, "
			 "relay=mx.partner.example[127.0.0.10]:25, delay=0.13, "
			 "delays=0.02/0.08/0.03/0, dsn=4.7.5, status=deferred (Server "
			 "certificate not verified)\n", pre[i], pre[i], pre[i]);
		d = run_text(text);
		assert_int_equal(mxlab_diagnose_count(d), 1);
		assert_int_equal(mxlab_diagnose_entry(d, 0, &e), 0);
		assert_string_equal(e.cause, "untrusted-issuer");
		assert_string_equal(e.destination, "mx.partner.example");
		assert_int_equal(e.deferred, 1);
		if (strncmp(e.first, pre[i], strlen(e.first)) != 0)
			fail_msg("first '%s' for prefix '%s'", e.first, pre[i]);
		mxlab_diagnose_get_stats(d, &st);
		assert_int_equal(st.skipped, 1);
		assert_int_equal(st.postfix, 3);
		mxlab_diagnose_free(d);
	}
}

/* Postfix's other wordings, not produced by the catalogue (hand-written
 * in its words): each names its cause. */
static void
test_other_words(void **state)
{
	static const struct { const char *lines, *cause; } c[] = {
		{ "Nov 30 10:00:00 h postfix/smtp[5]: SSL_connect error to mx.old.example[192.0.2.5]:25: -1\n"
		  "Nov 30 10:00:00 h postfix/smtp[5]: warning: TLS library problem: error:0A00010B:SSL routines::wrong version number:../ssl/record/ssl3_record.c:354:\n"
		  "Nov 30 10:00:00 h postfix/smtp[5]: ABCDEF123: to=<a@old.example>, relay=mx.old.example[192.0.2.5]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Cannot start TLS: handshake failure)\n",
		  "protocol-mismatch" },
		{ "Nov 30 10:00:00 h postfix/smtpd[7]: connect from c.example[192.0.2.7]\n"
		  "Nov 30 10:00:00 h postfix/smtpd[7]: SSL_accept error from c.example[192.0.2.7]: -1\n"
		  "Nov 30 10:00:00 h postfix/smtpd[7]: warning: TLS library problem: error:0A0000C1:SSL routines::no shared cipher:../ssl/statem/statem_srvr.c:2220:\n"
		  "Nov 30 10:00:00 h postfix/smtpd[7]: lost connection after STARTTLS from c.example[192.0.2.7]\n"
		  "Nov 30 10:00:00 h postfix/smtpd[7]: disconnect from c.example[192.0.2.7] ehlo=1 starttls=0/1 commands=1/2\n",
		  "client-protocol-mismatch" },
		{ "Nov 30 10:00:00 h postfix/smtpd[8]: connect from c.example[192.0.2.8]\n"
		  "Nov 30 10:00:00 h postfix/smtpd[8]: SSL_accept error from c.example[192.0.2.8]: -1\n"
		  "Nov 30 10:00:00 h postfix/smtpd[8]: warning: TLS library problem: error:0A000418:SSL routines::tlsv1 alert unknown ca:../ssl/record/rec_layer_s3.c:1584:SSL alert number 48:\n"
		  "Nov 30 10:00:00 h postfix/smtpd[8]: lost connection after STARTTLS from c.example[192.0.2.8]\n",
		  "client-rejected-cert" },
		{ "Nov 30 10:00:00 h postfix/smtpd[9]: connect from c.example[192.0.2.9]\n"
		  "Nov 30 10:00:00 h postfix/smtpd[9]: lost connection after STARTTLS from c.example[192.0.2.9]\n"
		  "Nov 30 10:00:00 h postfix/smtpd[9]: disconnect from c.example[192.0.2.9] ehlo=1 starttls=1 commands=2\n",
		  "client-tls-failed" },
		{ "Nov 30 10:00:00 h postfix/smtp[6]: 1234567ABC: to=<a@x.example>, relay=mx.x.example[192.0.2.6]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n",
		  "verify-failed" },
		{ "Nov 30 10:00:00 h postfix/smtp[6]: warning: TLSA lookup error for mx.x.example:25\n"
		  "Nov 30 10:00:00 h postfix/smtp[6]: 1234567ABC: to=<a@x.example>, relay=none, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (TLSA lookup error for mx.x.example:25)\n",
		  "dane-mismatch" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		mxlab_diagnose *d = run_text(c[i].lines);
		struct mxlab_diagnose_entry e;

		if (mxlab_diagnose_entry(d, 0, &e) != 0 || strcmp(e.cause, c[i].cause) ||
		    mxlab_diagnose_count(d) != 1)
			fail_msg("case %zu: want %s, got %zu entries, first %s", i, c[i].cause,
				 mxlab_diagnose_count(d),
				 mxlab_diagnose_count(d) ? e.cause : "-");
		assert_true(e.failure);
		assert_true(e.destination[0] != '\0' && strcmp(e.destination, "(unknown)"));
		mxlab_diagnose_free(d);
	}
}

/* A message deferred at every retry is one message; qmgr's expiry of it
 * is counted against the cause; a delivery sent after a failure under
 * may/encrypt is a note, not a failure. */
static void
test_queue_ids(void **state)
{
	const char *retry =
		"Nov 30 10:00:00 h postfix/smtp[5]: certificate verification failed for mx.p.example[192.0.2.1]:25: certificate has expired\n"
		"Nov 30 10:00:00 h postfix/smtp[5]: AAAAAA1: to=<a@p.example>, relay=mx.p.example[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n"
		"Nov 30 11:00:00 h postfix/smtp[9]: certificate verification failed for mx.p.example[192.0.2.1]:25: certificate has expired\n"
		"Nov 30 11:00:00 h postfix/smtp[9]: AAAAAA1: to=<a@p.example>, relay=mx.p.example[192.0.2.1]:25, delay=3601, delays=3600/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n"
		"Dec  5 10:00:00 h postfix/qmgr[3]: AAAAAA1: from=<s@h.example>, status=expired, returned to sender\n"
		"Nov 30 12:00:00 h postfix/smtp[11]: certificate verification failed for mx.q.example[192.0.2.2]:25: self-signed certificate\n"
		"Nov 30 12:00:00 h postfix/smtp[11]: BBBBBB2: to=<b@q.example>, relay=mx.q.example[192.0.2.2]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n";
	mxlab_diagnose *d = run_text(retry);
	struct mxlab_diagnose_entry e;

	(void)state;
	assert_int_equal(mxlab_diagnose_count(d), 2);
	assert_int_equal(mxlab_diagnose_entry(d, 0, &e), 0);	/* failures first */
	assert_string_equal(e.cause, "expired");
	assert_int_equal(e.count, 2);
	assert_int_equal(e.deferred, 2);
	assert_int_equal(e.messages, 1);
	assert_int_equal(e.expired, 1);
	assert_string_equal(e.first, "Nov 30 10:00:00");
	assert_string_equal(e.last, "Nov 30 11:00:00");
	assert_int_equal(mxlab_diagnose_entry(d, 1, &e), 0);
	assert_string_equal(e.cause, "self-signed");
	assert_false(e.failure);
	assert_int_equal(e.sent, 1);
	assert_int_equal(nfailures(d), 1);
	mxlab_diagnose_free(d);
}

/* Links within one smtp process: the next recipients of a session share
 * the TLS line's cause; a TLS line for one MX does not stick to the
 * delivery through another; a stale link (the same PID in a later log)
 * does not colour a delivery whose status names another cause. */
static void
test_sessions(void **state)
{
	const char *log =
		/* three recipients, one verification failure */
		"Nov 30 10:00:00 h postfix/smtp[5]: certificate verification failed for mx.p.example[192.0.2.1]:25: untrusted issuer /CN=Some CA\n"
		"Nov 30 10:00:00 h postfix/smtp[5]: CCCCCC1: to=<a@p.example>, relay=mx.p.example[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n"
		"Nov 30 10:00:00 h postfix/smtp[5]: CCCCCC1: to=<b@p.example>, relay=mx.p.example[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n"
		"Nov 30 10:00:00 h postfix/smtp[5]: CCCCCC1: to=<c@p.example>, relay=mx.p.example[192.0.2.1]:25, delay=1, delays=0/0/1/0, dsn=4.7.5, status=deferred (Server certificate not verified)\n"
		/* the same PID later: a STARTTLS failure of its own */
		"Nov 30 11:00:00 h postfix/smtp[5]: DDDDDD2: to=<d@q.example>, relay=mx.q.example[192.0.2.2]:25, delay=1, delays=0/0/1/0, dsn=4.7.4, status=deferred (TLS is required, but was not offered by host mx.q.example[192.0.2.2])\n"
		/* MX fallback: mx1 fails, mx2 delivers */
		"Nov 30 12:00:00 h postfix/smtp[6]: server certificate verification failed for mx1.r.example[192.0.2.3]:25: num=62:hostname mismatch\n"
		"Nov 30 12:00:01 h postfix/smtp[6]: Verified TLS connection established to mx2.r.example[192.0.2.4]:25: TLSv1.3 with cipher TLS_AES_256_GCM_SHA384 (256/256 bits)\n"
		"Nov 30 12:00:01 h postfix/smtp[6]: EEEEEE3: to=<e@r.example>, relay=mx2.r.example[192.0.2.4]:25, delay=1, delays=0/0/1/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)\n";
	mxlab_diagnose *d = run_text(log);
	struct mxlab_diagnose_entry e;
	int seen = 0;

	(void)state;
	for (size_t i = 0; mxlab_diagnose_entry(d, i, &e) == 0; i++) {
		if (!strcmp(e.cause, "untrusted-issuer")) {
			assert_string_equal(e.destination, "mx.p.example");
			assert_int_equal(e.count, 3);
			assert_int_equal(e.deferred, 3);
			assert_int_equal(e.messages, 1);
			seen |= 1;
		} else if (!strcmp(e.cause, "starttls-missing")) {
			assert_string_equal(e.destination, "mx.q.example");
			assert_int_equal(e.count, 1);
			seen |= 2;
		} else if (!strcmp(e.cause, "name-mismatch")) {
			assert_string_equal(e.destination, "mx1.r.example");
			assert_int_equal(e.other, 1);
			assert_int_equal(e.sent, 0);
			seen |= 4;
		} else {
			fail_msg("unexpected entry %s %s", e.destination, e.cause);
		}
	}
	assert_int_equal(seen, 7);
	mxlab_diagnose_free(d);
}

/* Binary and broken input: counted, named, skipped; never fatal. */
static void
test_hostile(void **state)
{
	static const char good[] =
		"Nov 30 18:10:49 postfix postfix/smtp[13]: certificate verification failed for mx.partner.example[127.0.0.10]:25: self-signed certificate\n";
	char *buf = malloc(64 * 1024);
	size_t n = 0;
	mxlab_diagnose *d = mxlab_diagnose_new();
	struct mxlab_diagnose_stats st;
	char *text, *json;

	(void)state;
	assert_non_null(buf);
	memcpy(buf + n, "plain words\n", 12);		/* line 1: not a log line */
	n += 12;
	memcpy(buf + n, "Nov 30 postfix/smtp[1]: a\0b\n", 28);	/* line 2: NUL */
	n += 28;
	memcpy(buf + n, good, sizeof good - 1);		/* line 3 */
	n += sizeof good - 1;
	for (int i = 0; i < 256; i++)			/* line 4: every byte */
		buf[n++] = (char)(i == '\n' ? 'x' : i);
	buf[n++] = '\n';
	memset(buf + n, 'A', 20000);			/* line 5: too long */
	n += 20000;
	buf[n++] = '\n';
	n += (size_t)sprintf(buf + n, "%s", "Nov 30 18:10:49 postfix postfix/smtp[13]: "
			     "2F8B4A84304: to=<bob@partner.ex");	/* line 6: cut short */
	mxlab_diagnose_begin(d, "hostile");
	mxlab_diagnose_feed(d, buf, n);
	mxlab_diagnose_end(d);
	mxlab_diagnose_finish(d);
	mxlab_diagnose_get_stats(d, &st);
	assert_int_equal(st.lines, 6);
	assert_int_equal(st.not_text, 2);
	assert_int_equal(st.too_long, 1);
	assert_int_equal(st.unterminated, 1);
	assert_int_equal(st.skipped, 2);		/* line 1, line 5 */
	assert_true(mxlab_diagnose_nnotes(d) >= 4);
	assert_string_equal(mxlab_diagnose_note(d, 0), "hostile: line 2: not text (NUL byte), skipped");
	assert_string_equal(mxlab_diagnose_note(d, 1), "hostile: line 4: not text (NUL byte), skipped");
	assert_non_null(strstr(mxlab_diagnose_note(d, 2), "line 5: longer than 8192 bytes, cut"));
	assert_non_null(strstr(mxlab_diagnose_note(d, 3), "line 6: no newline at the end"));
	/* line 3's failure, never linked to a delivery: counted as other */
	assert_int_equal(mxlab_diagnose_count(d), 1);
	text = mxlab_diagnose_text(d);
	json = mxlab_diagnose_json(d);
	assert_non_null(text);
	assert_non_null(json);
	assert_non_null(strstr(text, "hostile: line 2: not text"));
	assert_non_null(strstr(json, "\"not_text\":2"));
	free(text);
	free(json);
	mxlab_diagnose_free(d);
	/* Only garbage: no entry, no crash. */
	d = mxlab_diagnose_new();
	for (size_t i = 0; i < 64 * 1024; i++)
		buf[i] = (char)(i * 7919 % 251);
	mxlab_diagnose_begin(d, "noise");
	mxlab_diagnose_feed(d, buf, 64 * 1024);
	mxlab_diagnose_end(d);
	mxlab_diagnose_finish(d);
	assert_int_equal(mxlab_diagnose_count(d), 0);
	mxlab_diagnose_free(d);
	free(buf);
}

/* The bounds: links without a delivery are evicted oldest first (and
 * still counted), destinations beyond the cap are folded. */
static void
test_bounds(void **state)
{
	mxlab_diagnose *d = mxlab_diagnose_new();
	struct mxlab_diagnose_stats st;
	struct mxlab_diagnose_entry e;
	char line[512];
	int n;

	(void)state;
	mxlab_diagnose_begin(d, "gen");
	for (int pid = 1; pid <= 1000; pid++) {
		n = snprintf(line, sizeof line, "Nov 30 10:00:00 h postfix/smtp[%d]: "
			     "certificate verification failed for mx%d.example[192.0.2.1]:25: "
			     "certificate has expired\n", pid, pid % 10);
		mxlab_diagnose_feed(d, line, (size_t)n);
	}
	for (int i = 0; i < 6000; i++) {
		n = snprintf(line, sizeof line, "Nov 30 10:00:01 h postfix/smtp[99999]: "
			     "%06X1: to=<a@d%d.example>, relay=mx.d%d.example[192.0.2.2]:25, "
			     "delay=1, delays=0/0/1/0, dsn=4.7.4, status=deferred (TLS is "
			     "required, but was not offered by host mx.d%d.example[192.0.2.2])\n",
			     i + 0x100000, i, i, i);
		mxlab_diagnose_feed(d, line, (size_t)n);
	}
	mxlab_diagnose_end(d);
	mxlab_diagnose_finish(d);
	mxlab_diagnose_get_stats(d, &st);
	assert_int_equal(st.evicted, 1000 - 256);
	assert_int_equal(st.tls_events, 7000);
	assert_true(st.folded > 0);
	assert_true(mxlab_diagnose_count(d) <= 4096 + 2 * TC_COUNT);
	/* 10 expired destinations, 100 events each, nothing lost */
	for (size_t i = 0; mxlab_diagnose_entry(d, i, &e) == 0; i++)
		if (!strcmp(e.cause, "expired"))
			assert_int_equal(e.count, 100);
	mxlab_diagnose_free(d);
}

/* diagnose and probe word a cause from the same row. */
static void
test_shared_table(void **state)
{
	struct mxlab_probe_report *rep = calloc(1, sizeof *rep);
	mxlab_diagnose *d = run_file("secure-expired.maillog", 1 << 20);
	const struct mxlab_probe_finding *f;
	struct mxlab_diagnose_entry e;
	char *json;

	(void)state;
	assert_non_null(rep);
	snprintf(rep->target, sizeof rep->target, "mx.example.test:25");
	snprintf(rep->name, sizeof rep->name, "mx.example.test");
	rep->connected = rep->ehlo_done = rep->starttls_offered = 1;
	rep->greeting_code = 220;
	rep->ca_given = 1;
	rep->now = 1796000000;
	rep->nosni_done = 1;
	rep->nosni.tls = 1;
	rep->nosni.nchain = 2;
	snprintf(rep->nosni.chain[0].subject, sizeof rep->nosni.chain[0].subject, "CN=mx");
	snprintf(rep->nosni.chain[0].issuer, sizeof rep->nosni.chain[0].issuer, "CN=ca");
	snprintf(rep->nosni.chain[0].not_before, 24, "2020-01-01T00:00:00Z");
	snprintf(rep->nosni.chain[0].not_after, 24, "2021-01-01T00:00:00Z");
	rep->nosni.verify_reasons = MXLAB_VR_EXPIRED;
	mxlab_probe_analyse(rep);
	f = mxlab_probe_find(rep, "expired");
	assert_non_null(f);
	assert_int_equal(mxlab_diagnose_entry(d, 0, &e), 0);
	assert_string_equal(e.cause, f->id);
	assert_string_equal(e.why, f->cause);
	assert_string_equal(e.fix, f->fix);
	json = mxlab_probe_report_json(rep);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"guide\":\"docs/tls-guide.md#s14-expired\""));
	assert_non_null(strstr(json, e.guide));
	free(json);
	free(rep);
	mxlab_diagnose_free(d);
	/* every row is filled, ids are set */
	for (int k = 0; k < TC_COUNT; k++) {
		const struct tlscause *c = tlscause_get((enum tc_key)k);

		assert_non_null(c->id);
		assert_non_null(c->term);
		assert_true(c->cause && c->cause[0] && c->fix && c->fix[0]);
	}
}

/* The RFC 8460 report: one failed session of a catalogue scenario under
 * its result type and policy type, the successful ones, the date range
 * from each time format, another domain's report empty. */
static void
test_tlsrpt(void **state)
{
	static const struct { const char *file, *want[4]; } c[] = {
		{ "dane-mismatch.maillog", { "\"policy-type\":\"tlsa\"",
		  "\"result-type\":\"tlsa-invalid\"", "\"failed-session-count\":1",
		  "\"total-successful-session-count\":0" } },
		{ "secure-leaf-only.maillog", { "\"policy-type\":\"no-policy-found\"",
		  "\"result-type\":\"certificate-not-trusted\",\"receiving-mx-hostname\":"
		  "\"mx.partner.example\",\"receiving-ip\":\"127.0.0.10\"",
		  "\"failure-reason-code\":\"untrusted-issuer\"",
		  "\"total-failure-session-count\":1" } },
		{ "encrypt-no-starttls.maillog", { "\"no-policy-found\"",
		  "\"result-type\":\"starttls-not-supported\"",
		  "\"total-successful-session-count\":0", "\"failed-session-count\":1" } },
		{ "secure-full-chain.maillog", { "\"no-policy-found\"", "\"mx-host\":[\"mx.partner.example\"]",
		  "\"total-successful-session-count\":1,\"total-failure-session-count\":0",
		  "\"failure-details\":[]" } },
	};
	static const char *const pre[] = {
		"Nov 30 18:10:49", "2026-11-30T18:10:49+0000", "Mon 2026-11-30 18:10:49 UTC",
		"Nov 30 18:10:49.123456", "2026 Nov 30 18:10:49",
		"2026-11-30T19:10:49.123456+01:00",
	};
	struct mxlab_tlsrpt_options o = {
		.domain = "Partner.Example", .organization = "mxlab test",
		.contact = "tlsrpt@example.test", .year = 2026,
	};
	char text[1024], *json;
	mxlab_diagnose *d;

	(void)state;
	setenv("TZ", "UTC", 1);
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		d = run_file(c[i].file, 1 << 20);
		json = mxlab_diagnose_tlsrpt(d, &o);
		assert_non_null(json);
		for (size_t k = 0; k < 4; k++)
			if (!strstr(json, c[i].want[k]))
				fail_msg("%s: no %s in %s", c[i].file, c[i].want[k], json);
		assert_non_null(strstr(json, "\"policy-domain\":\"partner.example\""));
		free(json);
		mxlab_diagnose_free(d);
	}
	for (size_t i = 0; i < sizeof pre / sizeof pre[0]; i++) {
		snprintf(text, sizeof text, "%s postfix postfix/smtp[13]: Verified TLS connection "
			 "established to mx.partner.example[127.0.0.10]:25: TLSv1.2 with cipher "
			 "ECDHE-ECDSA-CHACHA20-POLY1305 (256/256 bits)\n", pre[i]);
		d = run_text(text);
		json = mxlab_diagnose_tlsrpt(d, &o);
		assert_non_null(json);
		if (!strstr(json, "\"date-range\":{\"start-datetime\":\"2026-11-30T18:10:49Z\","
			    "\"end-datetime\":\"2026-11-30T18:10:49Z\"}"))
			fail_msg("'%s': %s", pre[i], json);
		/* no delivery line: the session is not counted */
		assert_non_null(strstr(json, "\"total-successful-session-count\":0"));
		free(json);
		mxlab_diagnose_free(d);
	}
	/* a domain kept apart before the input: the others are not counted */
	d = mxlab_diagnose_new();
	assert_non_null(d);
	mxlab_diagnose_tlsrpt_domain(d, "PARTNER-strict.example");
	{
		size_t len;
		char *buf = slurp("rollout-encrypt-vs-secure.maillog", &len);

		mxlab_diagnose_begin(d, "rollout");
		mxlab_diagnose_feed(d, buf, len);
		mxlab_diagnose_end(d);
		free(buf);
	}
	mxlab_diagnose_finish(d);
	o.domain = "partner-strict.example";
	json = mxlab_diagnose_tlsrpt(d, &o);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"total-successful-session-count\":0,"
			       "\"total-failure-session-count\":1"));
	free(json);
	o.domain = "partner.example";	/* sent over TLS, but not kept */
	json = mxlab_diagnose_tlsrpt(d, &o);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"total-successful-session-count\":0,"
			       "\"total-failure-session-count\":0"));
	free(json);
	mxlab_diagnose_free(d);
	o.domain = "other.example";
	o.report_id = "r1";
	d = run_file("secure-leaf-only.maillog", 1 << 20);
	json = mxlab_diagnose_tlsrpt(d, &o);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"report-id\":\"r1\",\"policies\":[{\"policy\":{"
			       "\"policy-type\":\"no-policy-found\",\"policy-domain\":"
			       "\"other.example\",\"mx-host\":[]},\"summary\":{"
			       "\"total-successful-session-count\":0,"
			       "\"total-failure-session-count\":0}"));
	free(json);
	mxlab_diagnose_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verdicts),
		cmocka_unit_test(test_no_failure),
		cmocka_unit_test(test_chunks),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_other_words),
		cmocka_unit_test(test_queue_ids),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_hostile),
		cmocka_unit_test(test_bounds),
		cmocka_unit_test(test_shared_table),
		cmocka_unit_test(test_tlsrpt),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
