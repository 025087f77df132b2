/*
 * test_diagnose_sts.c: `mxlab diagnose` on the MTA-STS resolver's log
 * (diagnose_sts.c): real lines of Debian's postfix-mta-sts-resolver 1.1.2
 * captured from the catalogue's scenarios/mta-sts runs
 * (data/diagnose/mta-sts-*.resolver.log beside their maillogs), the
 * sts-* causes and their TLS-RPT policy type; and the runner's reading of
 * those logs from a scenario's directory (runner_tls.c), which must not
 * follow a link or read a FIFO or device a sandbox left there.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "test_data.h"
#include "fsutil.h"
#include "mxlab/diagnose.h"
#include "runner.h"

static const char *
data_dir(void)
{
	return test_data_dir("diagnose");
}

static void
feed_file(mxlab_diagnose *d, const char *name)
{
	char path[4352], buf[4096];
	size_t n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", data_dir(), name);
	if (!(f = fopen(path, "rb")))
		fail_msg("cannot open %s", path);
	mxlab_diagnose_begin(d, name);
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		mxlab_diagnose_feed(d, buf, n);
	mxlab_diagnose_end(d);
	fclose(f);
}

/* The resolver's log and the maillog of scenario NAME, diagnosed. */
static mxlab_diagnose *
run_scenario(const char *name)
{
	char f[256];
	mxlab_diagnose *d = mxlab_diagnose_new();

	assert_non_null(d);
	snprintf(f, sizeof f, "mta-sts-%s.resolver.log", name);
	feed_file(d, f);
	snprintf(f, sizeof f, "mta-sts-%s.maillog", name);
	feed_file(d, f);
	mxlab_diagnose_finish(d);
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

static char *
tlsrpt(const mxlab_diagnose *d)
{
	struct mxlab_tlsrpt_options o = {
		.domain = "partner.example", .organization = "mxlab test",
		.contact = "tlsrpt@example.test", .year = 2026,
	};
	char *json = mxlab_diagnose_tlsrpt(d, &o);

	assert_non_null(json);
	return json;
}

static void
want(const char *json, const char *what)
{
	if (!json || !strstr(json, what))
		fail_msg("no %s in %s", what, json ? json : "(none)");
}

static void
want_not(const char *json, const char *what)
{
	if (!json || strstr(json, what))
		fail_msg("%s in %s", what, json ? json : "(none)");
}

/* The policy host's certificate expired: the resolver's WARNING names
 * it; sts-webpki-invalid for the domain, a failed "sts" session without
 * an MX in the report, and the delivery (sent, Trusted) under
 * no-policy-found. */
static void
test_webpki(void **state)
{
	struct mxlab_diagnose_stats st;
	struct mxlab_diagnose_entry e;
	mxlab_diagnose *d = run_scenario("policy-host-expired");
	char *json;

	(void)state;
	assert_int_equal(mxlab_diagnose_count(d), 1);
	assert_int_equal(mxlab_diagnose_entry(d, 0, &e), 0);
	assert_string_equal(e.daemon, "mta-sts");
	assert_string_equal(e.destination, "partner.example");
	assert_string_equal(e.cause, "sts-webpki-invalid");
	assert_string_equal(e.result_type, "sts-webpki-invalid");
	assert_string_equal(e.guide, "docs/tls-guide.md#sts-webpki");
	assert_true(e.failure);
	assert_non_null(strstr(e.example, "certificate has expired"));
	assert_non_null(strstr(e.example_where, "resolver.log:13"));
	mxlab_diagnose_get_stats(d, &st);
	assert_int_equal(st.sts, 1);
	json = tlsrpt(d);
	want(json, "{\"policy-type\":\"sts\",\"policy-domain\":\"partner.example\",\"mx-host\":[]}");
	want(json, "\"failure-details\":[{\"result-type\":\"sts-webpki-invalid\","
	     "\"failed-session-count\":1");
	want(json, "\"policy-type\":\"no-policy-found\"");
	want(json, "\"total-successful-session-count\":1");
	want_not(json, "\"receiving-mx-hostname\":\"\"");
	free(json);
	json = mxlab_diagnose_text(d);
	want(json, "1 from the MTA-STS resolver");
	want(json, "FAIL  mta-sts policy of partner.example: sts-webpki-invalid");
	free(json);
	mxlab_diagnose_free(d);
}

/* An enforce policy fetched ("Parsed policy", debug): the leaf-only MX's
 * failure is filed under policy type sts. A testing policy is not: the
 * resolver answers Postfix NOTFOUND for it. */
static void
test_policy_type(void **state)
{
	mxlab_diagnose *d = run_scenario("enforce-leaf-only");
	char *json = tlsrpt(d);

	(void)state;
	want(json, "\"policy-type\":\"sts\",\"policy-domain\":\"partner.example\","
	     "\"mx-host\":[\"mx.partner.example\"]");
	want(json, "\"result-type\":\"certificate-not-trusted\"");
	want_not(json, "no-policy-found");
	free(json);
	mxlab_diagnose_free(d);

	d = run_scenario("testing-mode");
	assert_int_equal(mxlab_diagnose_count(d), 0);
	json = tlsrpt(d);
	want(json, "\"policy-type\":\"no-policy-found\"");
	want(json, "\"total-successful-session-count\":1");
	want_not(json, "\"sts\"");
	free(json);
	mxlab_diagnose_free(d);
}

/* Each captured scenario: its one MTA-STS cause, or none. */
static void
test_scenarios(void **state)
{
	static const struct { const char *name, *cause; } c[] = {
		{ "policy-host-expired", "sts-webpki-invalid" },
		{ "policy-host-unreachable", "sts-policy-fetch-error" },
		{ "policy-invalid", "sts-policy-invalid" },
		{ "enforce-leaf-only", NULL },
		{ "testing-mode", NULL },
	};
	struct mxlab_diagnose_entry e;

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		mxlab_diagnose *d = run_scenario(c[i].name);
		const char *got = NULL;

		for (size_t k = 0; mxlab_diagnose_entry(d, k, &e) == 0; k++)
			if (!strcmp(e.daemon, "mta-sts")) {
				if (got)
					fail_msg("%s: two MTA-STS causes", c[i].name);
				got = e.cause;
				assert_string_equal(e.result_type, e.cause);
			}
		if (c[i].cause ? !got || strcmp(got, c[i].cause) : got != NULL)
			fail_msg("%s: %s, not %s", c[i].name, got ? got : "none",
				 c[i].cause ? c[i].cause : "none");
		mxlab_diagnose_free(d);
	}
}

/* The resolver's lines in each form, and each verdict. */
static void
test_lines(void **state)
{
	static const struct { const char *line, *cause; } c[] = {
		/* its own file */
		{ "2026-12-01 02:40:49 WARNING  RES: STS policy fetch for domain 'Partner.Example' "
		  "failed with error: Cannot connect to host mta-sts.partner.example:443 ssl:default "
		  "[Connect call failed ('127.0.0.11', 443)]", "sts-policy-fetch-error" },
		/* an HTTP status other than 200: BadSTSPolicy, no text */
		{ "2026-12-01 02:40:49 WARNING  RES: STS policy fetch for domain 'partner.example' "
		  "failed with error: ", "sts-policy-fetch-error" },
		/* the journal of the Debian service, and syslog */
		{ "Dec 01 02:40:49 mail mta-sts-daemon[812]: 2026-12-01 02:40:49 WARNING  RES: STS "
		  "policy fetch for domain 'partner.example' failed with error: Cannot connect to "
		  "host mta-sts.partner.example:443 ssl:True [SSLCertVerificationError: (1, '[SSL: "
		  "CERTIFICATE_VERIFY_FAILED] certificate verify failed: Hostname mismatch')]",
		  "sts-webpki-invalid" },
		{ "2026-12-01T02:40:49.123456+00:00 mail mta-sts-daemon[812]: 2026-12-01 02:40:49 "
		  "WARNING  RES: STS policy fetch for domain 'partner.example' failed with error: "
		  "certificate verify failed: self-signed certificate", "sts-webpki-invalid" },
		/* invalid policies, as parsed (debug) */
		{ "2026-12-01 02:40:51 DEBUG    RES: Parsed policy for domain partner.example: "
		  "{'mx': [], 'version': 'STSv1', 'mode': 'enforce', 'max_age': '86400'}",
		  "sts-policy-invalid" },
		{ "2026-12-01 02:40:51 DEBUG    RES: Parsed policy for domain partner.example: "
		  "{'mx': ['mx.partner.example'], 'version': 'STSv1', 'mode': 'bogus', "
		  "'max_age': '86400'}", "sts-policy-invalid" },
		{ "2026-12-01 02:40:51 DEBUG    RES: Parsed policy for domain partner.example: "
		  "{'mx': ['mx.partner.example'], 'version': 'STSv1', 'mode': 'enforce', "
		  "'max_age': '31557601'}", "sts-policy-invalid" },
		{ "2026-12-01 02:40:51 DEBUG    RES: Parsed policy for domain partner.example: "
		  "{'mx': ['mx.partner.example'], 'version': 'STSv2', 'mode': 'enforce', "
		  "'max_age': '86400'}", "sts-policy-invalid" },
		{ "2026-12-01 02:40:51 DEBUG    RES: Parsed policy for domain partner.example: "
		  "{'mx': ['mx.partner.example'], 'mode': 'enforce', 'max_age': 'x'}",
		  "sts-policy-invalid" },
		/* valid: no entry */
		{ "2026-12-01 02:40:51 DEBUG    RES: Parsed policy for domain partner.example: "
		  "{'mx': [], 'version': 'STSv1', 'mode': 'none', 'max_age': '0'}", NULL },
		{ "2026-12-01 02:40:51 DEBUG    RES: Parsed policy for domain partner.example: "
		  "{'mx': ['*.partner.example'], 'version': 'STSv1', 'mode': 'enforce', "
		  "'max_age': '31557600'}", NULL },
	};
	struct mxlab_diagnose_stats st;
	struct mxlab_diagnose_entry e;
	char text[1024];

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		mxlab_diagnose *d;

		snprintf(text, sizeof text, "%s\n", c[i].line);
		d = run_text(text);
		mxlab_diagnose_get_stats(d, &st);
		if (st.sts != 1 || st.skipped != 0)
			fail_msg("line %zu: sts %llu, skipped %llu", i, st.sts, st.skipped);
		if (!c[i].cause) {
			assert_int_equal(mxlab_diagnose_count(d), 0);
		} else {
			assert_int_equal(mxlab_diagnose_entry(d, 0, &e), 0);
			if (strcmp(e.cause, c[i].cause) || strcmp(e.destination, "partner.example"))
				fail_msg("line %zu: %s %s", i, e.cause, e.destination);
			assert_string_equal(e.result_type, c[i].cause);
			assert_string_equal(e.first, i == 3 ? "2026-12-01T02:40:49.123456+00:00"
				: i == 2 ? "Dec 01 02:40:49" : i < 2 ? "2026-12-01T02:40:49"
				: "2026-12-01T02:40:51");
		}
		mxlab_diagnose_free(d);
	}
	/* other resolver lines, and look-alikes, are skipped; a quote never
	 * closed or an overlong domain is cut, not overrun */
	{
		char big[1200];

		snprintf(big, sizeof big, "2026-12-01 02:40:49 WARNING  RES: STS policy fetch for "
			 "domain '%0900d", 7);
		mxlab_diagnose *d = run_text("2026-12-01 02:40:49 INFO     MAIN: Server started.\n"
			 "STS policy fetch for domain 'x' failed with error: \n"
			 "2026-12-01 02:40:49 WARNING  RES: STS policy fetch for domain 'a\n");
		mxlab_diagnose_get_stats(d, &st);
		assert_int_equal(st.sts, 1);
		assert_int_equal(st.skipped, 2);
		mxlab_diagnose_free(d);
		strcat(big, "\n");
		d = run_text(big);
		assert_int_equal(mxlab_diagnose_entry(d, 0, &e), 0);
		assert_int_equal(strlen(e.destination), 255);
		mxlab_diagnose_free(d);
	}
}

/* Copy data file name to path. */
static void
copy_data(const char *name, const char *path)
{
	char cmd[4608];

	snprintf(cmd, sizeof cmd, "cp %s/%s %s", data_dir(), name, path);
	assert_int_equal(system(cmd), 0);
}

/* The runner reads a scenario's logs beneath its directory: a link (in
 * the last component or on the way, to a log that would count) is not
 * followed, a FIFO is not opened for reading, a path out of the
 * directory is refused; the real files are read. */
static void
test_runner_reads_beneath(void **state)
{
	char dir[] = "/tmp/mxlab-rntls.XXXXXX", out[] = "/tmp/mxlab-rntls-out.XXXXXX";
	char p[512], q[512];
	struct rn_result r;

	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(mkdtemp(out));
	/* outside: logs that would give an entry each */
	snprintf(q, sizeof q, "%s/maillog", out);
	copy_data("mta-sts-enforce-leaf-only.maillog", q);
	snprintf(q, sizeof q, "%s/resolver.log", out);
	copy_data("mta-sts-policy-host-expired.resolver.log", q);
	snprintf(p, sizeof p, "%s/mta-sts", dir);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/mta-sts/mta-sts-daemon.log", dir);
	assert_int_equal(symlink(q, p), 0);		/* a link at the end */
	snprintf(p, sizeof p, "%s/postfix", dir);
	assert_int_equal(symlink(out, p), 0);		/* a link on the way */
	memset(&r, 0, sizeof r);
	rn_tls_read(&r, dir, "postfix/maillog");
	assert_int_equal(r.ntls, 0);
	snprintf(q, sizeof q, "../%s/maillog", out + 5);
	rn_tls_read(&r, dir, q);			/* out of the directory */
	assert_int_equal(r.ntls, 0);
	/* a FIFO and a link to a device */
	snprintf(p, sizeof p, "%s/mta-sts/mta-sts-daemon.log", dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkfifo(p, 0600), 0);
	snprintf(p, sizeof p, "%s/postfix", dir);
	assert_int_equal(unlink(p), 0);
	assert_int_equal(mkdir(p, 0755), 0);
	snprintf(p, sizeof p, "%s/postfix/maillog", dir);
	assert_int_equal(symlink("/dev/zero", p), 0);
	rn_tls_read(&r, dir, "postfix/maillog");
	assert_int_equal(r.ntls, 0);
	/* the real logs: read */
	assert_int_equal(unlink(p), 0);
	copy_data("mta-sts-policy-host-expired.maillog", p);
	snprintf(p, sizeof p, "%s/mta-sts/mta-sts-daemon.log", dir);
	assert_int_equal(unlink(p), 0);
	copy_data("mta-sts-policy-host-expired.resolver.log", p);
	rn_tls_read(&r, dir, "postfix/maillog");
	assert_int_equal(r.ntls, 1);
	assert_string_equal(r.tls[0].cause, "sts-webpki-invalid");
	assert_string_equal(r.tls[0].daemon, "mta-sts");
	rn_result_free(&r);
	assert_int_equal(mx_rm_tree(dir), 0);
	assert_int_equal(mx_rm_tree(out), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_webpki),
		cmocka_unit_test(test_policy_type),
		cmocka_unit_test(test_scenarios),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_runner_reads_beneath),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
