/*
 * test_client.c: the fake SMTP client. Configuration keys and every error
 * message, stage and reason names, exit codes, the JSON shape, and real
 * sessions against an in-process mxlab server (one PKI from
 * mxlab_pki_generate in a temporary directory): every certs-gen profile,
 * leaf-only chains, STARTTLS refused or hidden, implicit TLS, SNI,
 * resumption, AUTH, scripted refusals, a client script's records (steps,
 * errors, the limits), and bad peers (a tiny listener
 * that sends garbage, closes, sends 10 MB without LF, or never answers).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <mbedtls/ssl.h>	/* which protocol versions this mbedTLS has */

#include "mxlab/mxlab.h"

#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
#define DEFAULT_TLS "TLSv1.3"
#else
#define DEFAULT_TLS "TLSv1.2"
#endif

static char err[1024];
static char pki[256];

/* ---------------------------------------------------------------- config */

static mxlab_err
set(mxlab_client_config *c, const char *k, const char *v)
{
	err[0] = '\0';
	return mxlab_client_config_set(c, k, v, err, sizeof err);
}

static void
test_keys_good(void **state)
{
	mxlab_client_config *c = mxlab_client_config_new();
	static const char *const good[][2] = {
		{ "connect", "mx.example.test" }, { "connect", "127.0.0.1:2525" },
		{ "connect", "[::1]:25" }, { "connect", "[::1]" }, { "connect", "::1" },
		{ "connect", "h:smtp" }, { "connect", "h:submission" }, { "connect", "h:smtps" },
		{ "tls", "starttls" }, { "tls", "starttls-optional" }, { "tls", "implicit" },
		{ "tls", "none" }, { "sni", "none" }, { "sni", "mx.example.test" },
		{ "ca-file", "/x/root.crt" }, { "ca-dir", "/etc/ssl/certs" },
		{ "verify-name", "mx.example.test" }, { "verify-name", "none" }, { "verify", "report" },
		{ "verify", "required" }, { "helo", "me.example" }, { "auth", "plain" },
		{ "auth", "login" }, { "auth", "none" }, { "user", "u" }, { "password", "p w" },
		{ "from", "a@example.test" }, { "from", "" }, { "to", "b@example.test" },
		{ "to", "c@example.test" }, { "subject", "hi there" }, { "body", "a\\nb" },
		{ "data-file", "/tmp/m.eml" }, { "stop-after", "greeting" },
		{ "stop-after", "dot" }, { "timeout", "500ms" }, { "timeout", "2" },
		{ "session-timeout", "2m" }, { "session-timeout", "none" },
		{ "quit-reply", "wait" }, { "quit-reply", "skip" },
		{ "tls-min", "1.2" }, { "tls-max", "TLSv1.2" },
		{ "ciphers", "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256" },
		{ "connections", "1" }, { "connections", "10" }, { "pki", "/tmp/pki" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
		if (set(c, good[i][0], good[i][1]) != MXLAB_OK)
			fail_msg("%s %s: %s", good[i][0], good[i][1], err);
	}
	mxlab_client_config_free(c);
	mxlab_client_config_free(NULL);
}

static void
test_keys_bad(void **state)
{
	static const char *const bad[][3] = {
		{ "nope", "x", "nope: unknown key" },
		{ "connect", "", "connect: bad value '' (HOST[:PORT])" },
		{ "connect", "h:0", "connect: bad port '0' (1-65535, smtp, submission or smtps)" },
		{ "connect", "h:70000", "connect: bad port '70000'" },
		{ "connect", "h:imap", "connect: bad port 'imap'" },
		{ "connect", "[::1", "connect: bad value '[::1' ([IPV6]:PORT)" },
		{ "connect", "a b:25", "connect: bad host 'a b'" },
		{ "connect", "x:y:z", "connect: bad host 'x:y:z'" },
		{ "tls", "maybe", "tls: bad value 'maybe' (starttls, starttls-optional, implicit, none)" },
		{ "sni", "", "sni: bad value '' (a host name without spaces)" },
		{ "sni", "a b", "sni: bad value 'a b'" },
		{ "ca-file", "", "ca-file: empty path" },
		{ "ca-dir", "", "ca-dir: empty path" },
		{ "pki", "", "pki: empty path" },
		{ "verify", "yes", "verify: bad value 'yes' (report, required)" },
		{ "verify-name", "", "verify-name: bad value ''" },
		{ "helo", "a\tb", "helo: bad value" },
		{ "auth", "cram-md5", "auth: bad value 'cram-md5' (none, plain, login)" },
		{ "user", "a\001", "user: control characters are not allowed" },
		{ "from", "<a@b>", "from: bad value '<a@b>' (an address" },
		{ "to", "", "to: bad value ''" },
		{ "to", "a b@c", "to: bad value 'a b@c'" },
		{ "subject", "a\nb", "subject: line breaks are not allowed" },
		{ "data-file", "", "data-file: empty path" },
		{ "stop-after", "connect", "stop-after: bad value 'connect' (greeting, ehlo," },
		{ "stop-after", "quit", "stop-after: bad value 'quit'" },
		{ "timeout", "0", "timeout: bad value '0' (a duration such as 10s, 500ms, 2m)" },
		{ "timeout", "soon", "timeout: bad duration 'soon'" },
		{ "session-timeout", "0", "session-timeout: bad value '0' (a duration such as 2m, 30s, or none)" },
		{ "session-timeout", "soon", "session-timeout: bad duration 'soon'" },
		{ "quit-reply", "no", "quit-reply: bad value 'no' (wait, skip)" },
		{ "tls-min", "2.0", "tls-min: bad value '2.0' (1.0, 1.1, 1.2, 1.3)" },
		{ "ciphers", "TLS-NOPE", "ciphers: unknown cipher suite 'TLS-NOPE'" },
		{ "connections", "0", "connections: bad value '0' (from 1 to 10)" },
		{ "connections", "11", "connections: bad value '11' (from 1 to 10)" },
		{ "connections", "2x", "connections: bad value '2x'" },
	};

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		mxlab_client_config *c = mxlab_client_config_new();

		if (set(c, bad[i][0], bad[i][1]) != MXLAB_ERR_USAGE)
			fail_msg("%s '%s' accepted", bad[i][0], bad[i][1]);
		if (strncmp(err, bad[i][2], strlen(bad[i][2])) != 0)
			fail_msg("%s '%s': got '%s', want '%s...'", bad[i][0], bad[i][1], err, bad[i][2]);
		mxlab_client_config_free(c);
	}
	/* tls-max below tls-min */
	{
		mxlab_client_config *c = mxlab_client_config_new();

#if defined(MBEDTLS_SSL_PROTO_TLS1_1)
		assert_int_equal(set(c, "tls-min", "1.2"), MXLAB_OK);
		assert_int_equal(set(c, "tls-max", "1.1"), MXLAB_ERR_USAGE);
		assert_non_null(strstr(err, "tls-max: tls-min TLSv1.2 is above tls-max TLSv1.1"));
#else	/* mbedTLS 3.x: no TLS 1.0 or 1.1 */
		assert_int_equal(set(c, "tls-max", "1.1"), MXLAB_ERR_USAGE);
		assert_non_null(strstr(err, "tls-max: TLSv1.1 is not supported by this mbedTLS"));
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
		assert_int_equal(set(c, "tls-min", "1.3"), MXLAB_OK);
		assert_int_equal(set(c, "tls-max", "1.2"), MXLAB_ERR_USAGE);
		assert_non_null(strstr(err, "tls-max: tls-min TLSv1.3 is above tls-max TLSv1.2"));
#endif
#endif
		mxlab_client_config_free(c);
	}
}

static void
check_err(const char *const *kv, const char *want)
{
	mxlab_client_config *c = mxlab_client_config_new();

	for (; kv[0]; kv += 2)
		assert_int_equal(set(c, kv[0], kv[1]), MXLAB_OK);
	err[0] = '\0';
	if (mxlab_client_config_check(c, err, sizeof err) != MXLAB_ERR_USAGE ||
	    strncmp(err, want, strlen(want)) != 0)
		fail_msg("check: got '%s', want '%s'", err, want);
	mxlab_client_config_free(c);
}

static void
test_check(void **state)
{
	(void)state;
	check_err((const char *[]){ NULL }, "connect: missing");
	check_err((const char *[]){ "connect", "h", "pki", "/p", "ca-file", "/f", NULL },
		  "pki: is a shorthand for ca-file");
	check_err((const char *[]){ "connect", "h", "auth", "plain", NULL }, "auth: needs user and password");
	check_err((const char *[]){ "connect", "h", "user", "u", NULL }, "user: needs auth plain or auth login");
	check_err((const char *[]){ "connect", "h", "stop-after", "auth", NULL }, "stop-after: 'auth' needs auth");
	check_err((const char *[]){ "connect", "h", "stop-after", "rcpt", NULL }, "stop-after: 'rcpt' needs at least one to");
	check_err((const char *[]){ "connect", "h", "data-file", "/m", "body", "x", NULL }, "data-file: give either");
	check_err((const char *[]){ "connect", "h", "tls", "none", "stop-after", "tls", NULL },
		  "stop-after: 'tls' makes no sense with tls none");
	check_err((const char *[]){ "connect", "h", "tls", "implicit", "stop-after", "starttls", NULL },
		  "stop-after: 'starttls' makes no sense with tls implicit");
}

static void
test_names(void **state)
{
	static const char *const st[] = { "connect", "greeting", "ehlo", "starttls", "tls",
		"ehlo-tls", "auth", "mail", "rcpt", "data", "dot", "quit", "done" };

	(void)state;
	for (int s = 0; s < MXLAB_CS_COUNT; s++) {
		assert_string_equal(mxlab_client_stage_name((enum mxlab_client_stage)s), st[s]);
		assert_int_equal(mxlab_client_stage_lookup(st[s]), s);
	}
	assert_int_equal(mxlab_client_stage_lookup("nope"), -1);
	assert_int_equal(mxlab_client_stage_lookup(NULL), -1);
	assert_string_equal(mxlab_client_stage_name(MXLAB_CS_COUNT), "?");
	assert_string_equal(mxlab_client_reason_name(MXLAB_VR_UNTRUSTED), "untrusted-issuer");
	assert_string_equal(mxlab_client_reason_name(MXLAB_VR_SELF_SIGNED), "self-signed");
	assert_string_equal(mxlab_client_reason_name(MXLAB_VR_EXPIRED), "expired");
	assert_string_equal(mxlab_client_reason_name(MXLAB_VR_NOT_YET_VALID), "not-yet-valid");
	assert_string_equal(mxlab_client_reason_name(MXLAB_VR_NAME_MISMATCH), "name-mismatch");
	assert_string_equal(mxlab_client_reason_name(MXLAB_VR_BAD_USAGE), "bad-usage");
	assert_string_equal(mxlab_client_reason_name(MXLAB_VR_NO_CHAIN), "no-chain");
	assert_string_equal(mxlab_client_reason_name(MXLAB_VR_OTHER), "other");
	assert_null(mxlab_client_reason_name(0x100));
	assert_non_null(mxlab_client_keys()[0].key);
}

static void
test_exit_codes(void **state)
{
	static const int want[MXLAB_CS_COUNT] = { 20, 21, 22, 29, 29, 22, 28, 23, 24, 25, 26, 0, 0 };
	struct mxlab_client_result r;

	(void)state;
	memset(&r, 0, sizeof r);
	for (int s = 0; s < MXLAB_CS_COUNT; s++) {
		r.failed_stage = (enum mxlab_client_stage)s;
		assert_int_equal(mxlab_client_exit_code(&r), want[s]);
	}
}

static void
test_json(void **state)
{
	struct mxlab_client_result r;
	char *j;

	(void)state;
	memset(&r, 0, sizeof r);
	r.failed_stage = MXLAB_CS_MAIL;
	snprintf(r.error, sizeof r.error, "mail: 530 5.7.0 \"x\"");
	r.reply[MXLAB_CS_GREETING].code = 220;
	snprintf(r.reply[MXLAB_CS_GREETING].text, sizeof r.reply[0].text, "mx ESMTP\nsecond");
	r.reply[MXLAB_CS_MAIL].code = 530;
	snprintf(r.caps_before, sizeof r.caps_before, "PIPELINING\nAUTH PLAIN LOGIN");
	r.tls = 1;
	snprintf(r.tls_version, sizeof r.tls_version, "TLSv1.2");
	r.nchain = 2;
	snprintf(r.chain[0].subject, sizeof r.chain[0].subject, "CN=a");
	snprintf(r.chain[0].names, sizeof r.chain[0].names, "DNS:a, IP:127.0.0.1");
	r.chain[1].ca = 1;
	r.verify_reasons = MXLAB_VR_EXPIRED | MXLAB_VR_NAME_MISMATCH;
	r.sessions = 1;
	j = mxlab_client_result_json(&r);
	assert_non_null(j);
	assert_non_null(strstr(j, "\"failed_stage\":\"mail\""));
	assert_non_null(strstr(j, "\"error\":\"mail: 530 5.7.0 \\\"x\\\"\""));
	assert_non_null(strstr(j, "\"exit_code\":23"));
	assert_non_null(strstr(j, "\"replies\":{\"greeting\":{\"code\":220,\"text\":\"mx ESMTP\\nsecond\"},\"mail\":{\"code\":530,"));
	assert_non_null(strstr(j, "\"caps_before\":[\"PIPELINING\",\"AUTH PLAIN LOGIN\"]"));
	assert_non_null(strstr(j, "\"caps_after\":[]"));
	assert_non_null(strstr(j, "\"tls\":true"));
	assert_non_null(strstr(j, "\"sni\":null"));
	assert_non_null(strstr(j, "\"chain\":[{\"subject\":\"CN=a\""));
	assert_non_null(strstr(j, "\"names\":[\"DNS:a\",\"IP:127.0.0.1\"],\"ca\":false}"));
	assert_non_null(strstr(j, "\"ca\":true}]"));
	assert_non_null(strstr(j, "\"reasons\":[\"expired\",\"name-mismatch\"]"));
	assert_non_null(strstr(j, "\"verified\":false"));
	assert_non_null(strstr(j, "\"resumed\":false,\"sessions\":1,\"queue_id\":null,"
				  "\"starttls_injection\":null,\"script\":null,\"script_omitted\":null}"));
	free(j);
	r.injected = 14;
	snprintf(r.injection, sizeof r.injection, "250 injected\\r\\n");
	j = mxlab_client_result_json(&r);
	assert_non_null(strstr(j, "\"starttls_injection\":{\"stage\":\"tls\",\"bytes\":14,"
				  "\"seen\":\"250 injected\\\\r\\\\n\"},\"script\":null,"));
	free(j);
	r.failed_stage = MXLAB_CS_DONE;
	j = mxlab_client_result_json(&r);
	assert_non_null(strstr(j, "\"failed_stage\":null,\"stage\":\"done\""));
	free(j);
	/* a script's records: escaped as the server's transcript, data cut
	 * (data_omitted), tls without data, the failed one with its error */
	r.script_ran = 1;
	assert_non_null(j = mxlab_client_result_json(&r));
	assert_non_null(strstr(j, "\"script\":[],\"script_omitted\":0}"));
	free(j);
	r.nsteps = 4;
	r.steps_omitted = 7;
	r.steps[0] = (struct mxlab_client_step){ .step = 1, .line = 3, .kind = "send-raw",
		.dir = "sent", .bytes = 9, .len = 9, .data = "a\"\\\x01\r\n\0b\xff" };
	r.steps[1] = (struct mxlab_client_step){ .step = 2, .line = 4, .kind = "expect",
		.dir = "received", .bytes = 300, .len = 2, .data = "25" };
	r.steps[2] = (struct mxlab_client_step){ .step = 3, .line = 5, .kind = "starttls",
		.dir = "tls" };
	r.steps[3] = (struct mxlab_client_step){ .step = 9, .line = 12, .kind = "expect",
		.failed = 1 };
	snprintf(r.script_error, sizeof r.script_error, "step 9 (c:12) expect /^2/: got 'EOF'");
	assert_non_null(j = mxlab_client_result_json(&r));
	assert_non_null(strstr(j, ",\"script\":["
		"{\"step\":1,\"line\":3,\"kind\":\"send-raw\",\"dir\":\"sent\","
		"\"data\":\"a\\\"\\\\\\u0001\\r\\n\\u0000b\\u00ff\"},"
		"{\"step\":2,\"line\":4,\"kind\":\"expect\",\"dir\":\"received\","
		"\"data\":\"25\",\"data_omitted\":298},"
		"{\"step\":3,\"line\":5,\"kind\":\"starttls\",\"dir\":\"tls\"},"
		"{\"step\":9,\"line\":12,\"kind\":\"expect\",\"dir\":null,"
		"\"error\":\"step 9 (c:12) expect /^2/: got 'EOF'\"}],\"script_omitted\":7}"));
	free(j);
}

/* ---------------------------------------------------------------- sessions */

static mxlab_server *
serve(const char *const *kv, char *addr, size_t alen)
{
	mxlab_server_config *c = mxlab_server_config_new();
	mxlab_server *srv = NULL;

	assert_int_equal(mxlab_server_config_set(c, "listen", "127.0.0.1:0", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_server_config_set(c, "pki", pki, err, sizeof err), MXLAB_OK);
	for (; kv && kv[0]; kv += 2)
		if (mxlab_server_config_set(c, kv[0], kv[1], err, sizeof err) != MXLAB_OK)
			fail_msg("server %s %s: %s", kv[0], kv[1], err);
	if (mxlab_server_start(c, &srv, err, sizeof err) != MXLAB_OK)
		fail_msg("server start: %s", err);
	mxlab_server_listener_address(srv, 0, addr, alen);
	mxlab_server_config_free(c);
	return srv;
}

/* Run the client against addr with kv (plus pki unless kv says ca-file). */
static void
run(const char *addr, const char *const *kv, struct mxlab_client_result *r)
{
	mxlab_client_config *c = mxlab_client_config_new();

	assert_int_equal(set(c, "connect", addr), MXLAB_OK);
	assert_int_equal(set(c, "timeout", "5s"), MXLAB_OK);
	for (; kv && kv[0]; kv += 2) {
		if (!strcmp(kv[0], "pki") && !strcmp(kv[1], "PKI"))
			assert_int_equal(set(c, "pki", pki), MXLAB_OK);
		else if (set(c, kv[0], kv[1]) != MXLAB_OK)
			fail_msg("client %s %s: %s", kv[0], kv[1], err);
	}
	if (mxlab_client_run(c, r, err, sizeof err) != MXLAB_OK)
		fail_msg("client run: %s", err);
	mxlab_client_config_free(c);
}

static void
expect_stage(const struct mxlab_client_result *r, enum mxlab_client_stage st, const char *errpart)
{
	if (r->failed_stage != st || (errpart && !strstr(r->error, errpart)))
		fail_msg("stopped at %s (%s), want %s (%s)", mxlab_client_stage_name(r->failed_stage),
			 r->error, mxlab_client_stage_name(st), errpart ? errpart : "");
}

struct profile_case {
	const char *profile;
	const char *chain;	/* full / leaf-only */
	int verified;
	unsigned reasons;
	int nchain;
};

static void
test_profiles(void **state)
{
	static const struct profile_case cases[] = {
		{ "good", "full", 1, 0, 2 },
		{ "good", "leaf-only", 0, MXLAB_VR_UNTRUSTED, 1 },
		{ "self-signed", "full", 0, MXLAB_VR_SELF_SIGNED, 1 },
		{ "expired", "full", 0, MXLAB_VR_EXPIRED, 2 },
		{ "not-yet-valid", "full", 0, MXLAB_VR_NOT_YET_VALID, 2 },
		{ "wrong-name", "full", 0, MXLAB_VR_NAME_MISMATCH, 2 },
		{ "unknown-root", "full", 0, MXLAB_VR_UNTRUSTED, 1 },
		{ "root-signed", "full", 1, 0, 1 },
		{ "ca-true", "full", 1, 0, 2 },
	};
	struct mxlab_client_result *r = calloc(1, sizeof *r);

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct profile_case *pc = &cases[i];
		char addr[80];
		mxlab_server *srv = serve((const char *[]){ "cert", "mx.example.test",
			"profile", pc->profile, "chain", pc->chain, NULL }, addr, sizeof addr);

		run(addr, (const char *[]){ "pki", "PKI", "sni", "mx.example.test", NULL }, r);
		if (r->failed_stage != MXLAB_CS_DONE || r->verified != pc->verified ||
		    r->verify_reasons != pc->reasons || r->nchain != pc->nchain || !r->tls)
			fail_msg("%s/%s: stage %s (%s) verified %d reasons 0x%x (%s) chain %d",
				 pc->profile, pc->chain, mxlab_client_stage_name(r->failed_stage),
				 r->error, r->verified, r->verify_reasons, r->verify_text, r->nchain);
		assert_string_equal(r->verify_name, "mx.example.test");
		assert_true(r->sni_sent);
		assert_non_null(strstr(r->chain[0].subject, pc->profile));
		assert_string_equal(r->reply[MXLAB_CS_STARTTLS].text, "2.0.0 Ready to start TLS");
		assert_non_null(strstr(r->caps_before, "STARTTLS"));
		assert_null(strstr(r->caps_after, "STARTTLS"));
		/* the library's highest version: what a peer without tls-max gets */
		assert_string_equal(r->tls_version, DEFAULT_TLS);
		mxlab_server_free(srv);
	}
	free(r);
}

/* The mbedTLS server cannot serve a leaf without serverAuth at all. */
static void
test_no_serverauth(void **state)
{
	struct mxlab_client_result r;
	char addr[80];
	mxlab_server *srv = serve((const char *[]){ "cert", "mx.example.test",
		"profile", "no-serverauth", NULL }, addr, sizeof addr);

	(void)state;
	run(addr, (const char *[]){ "pki", "PKI", NULL }, &r);
	expect_stage(&r, MXLAB_CS_TLS, "tls: SSL - ");
	assert_int_equal(mxlab_client_exit_code(&r), 29);
	assert_int_equal(r.verify_reasons, MXLAB_VR_NO_CHAIN);
	assert_int_equal(r.nchain, 0);
	mxlab_server_free(srv);
}

static void
test_verify_modes(void **state)
{
	struct mxlab_client_result r;
	char addr[80];
	mxlab_server *srv = serve((const char *[]){ "cert", "mx.example.test",
		"profile", "expired", NULL }, addr, sizeof addr);

	(void)state;
	/* required: stops at tls, QUIT still sent over TLS */
	run(addr, (const char *[]){ "pki", "PKI", "verify", "required", "from", "a@x.test",
		"to", "b@x.test", NULL }, &r);
	expect_stage(&r, MXLAB_CS_TLS, "tls: certificate not verified: expired");
	assert_int_equal(r.reply[MXLAB_CS_QUIT].code, 221);
	assert_int_equal(r.reply[MXLAB_CS_MAIL].code, 0);
	/* no CA at all: everything is untrusted, and the text says why */
	run(addr, (const char *[]){ NULL }, &r);
	expect_stage(&r, MXLAB_CS_DONE, NULL);
	assert_true(r.verify_reasons & MXLAB_VR_UNTRUSTED);
	assert_true(r.verify_reasons & MXLAB_VR_EXPIRED);
	assert_non_null(strstr(r.verify_text, "no CA configured"));
	/* the IP literal: no SNI, the IP SAN matches (mbedTLS 2.28 cannot) */
	run(addr, (const char *[]){ "pki", "PKI", NULL }, &r);
	assert_false(r.sni_sent);
	assert_string_equal(r.verify_name, "127.0.0.1");
	assert_int_equal(r.verify_reasons, MXLAB_VR_EXPIRED);
	assert_non_null(strstr(r.chain[0].names, "IP:127.0.0.1"));
	mxlab_server_free(srv);
}

static void
test_sni(void **state)
{
	struct mxlab_client_result r;
	struct mxlab_server_tls_info ti[4];
	char addr[80];
	mxlab_server *srv = serve((const char *[]){ "cert", "mx.example.test",
		"sni", "other.example.test=other.example.test", NULL }, addr, sizeof addr);

	(void)state;
	run(addr, (const char *[]){ "pki", "PKI", "sni", "other.example.test", NULL }, &r);
	expect_stage(&r, MXLAB_CS_DONE, NULL);
	assert_true(r.verified);
	assert_non_null(strstr(r.chain[0].subject, "CN=other.example.test"));
	/* no SNI: the default chain, re-verified against the name asked for */
	run(addr, (const char *[]){ "pki", "PKI", "sni", "none", "verify-name",
		"other.example.test", NULL }, &r);
	assert_false(r.sni_sent);
	assert_non_null(strstr(r.chain[0].subject, "CN=mx.example.test"));
	assert_int_equal(r.verify_reasons, MXLAB_VR_NAME_MISMATCH);
	run(addr, (const char *[]){ "pki", "PKI", "sni", "none", "verify-name",
		"mx.example.test", NULL }, &r);
	assert_true(r.verified);
	/* SNI one name, verify another */
	run(addr, (const char *[]){ "pki", "PKI", "sni", "other.example.test", "verify-name",
		"mx.example.test", NULL }, &r);
	assert_int_equal(r.verify_reasons, MXLAB_VR_NAME_MISMATCH);
	/* an IP literal as sni is never sent */
	run(addr, (const char *[]){ "pki", "PKI", "sni", "127.0.0.1", NULL }, &r);
	assert_false(r.sni_sent);
	assert_true(r.verified);
	assert_int_equal(mxlab_server_tls_log(srv, ti, 4), 5);
	assert_true(ti[0].sni_sent);
	assert_string_equal(ti[0].sni, "other.example.test");
	assert_false(ti[1].sni_sent);
	mxlab_server_free(srv);
}

/* verify-name none: no name is checked, so name-mismatch is never
 * reported (by mxlab's own check or by mbedTLS's check of the SNI). */
static void
test_no_name(void **state)
{
	struct mxlab_client_result r;
	char addr[80], *j;
	mxlab_server *srv = serve((const char *[]){ "cert", "mx.example.test", NULL },
				  addr, sizeof addr);

	(void)state;
	/* an SNI the leaf does not carry: mbedTLS's handshake flags it */
	run(addr, (const char *[]){ "pki", "PKI", "sni", "other.example.test", NULL }, &r);
	assert_int_equal(r.verify_reasons, MXLAB_VR_NAME_MISMATCH);
	run(addr, (const char *[]){ "pki", "PKI", "sni", "other.example.test", "verify-name",
		"none", NULL }, &r);
	expect_stage(&r, MXLAB_CS_DONE, NULL);
	assert_true(r.sni_sent);
	assert_true(r.verified);
	assert_int_equal(r.verify_reasons, 0);
	assert_string_equal(r.verify_name, "");
	mxlab_server_free(srv);
	/* a leaf without the address, sent alone: its chain still judged */
	srv = serve((const char *[]){ "cert", "other.example.test", "chain", "leaf-only", NULL },
		    addr, sizeof addr);
	run(addr, (const char *[]){ "pki", "PKI", NULL }, &r);
	assert_int_equal(r.verify_reasons, MXLAB_VR_UNTRUSTED | MXLAB_VR_NAME_MISMATCH);
	assert_string_equal(r.verify_name, "127.0.0.1");
	run(addr, (const char *[]){ "pki", "PKI", "verify-name", "none", NULL }, &r);
	assert_false(r.sni_sent);
	assert_int_equal(r.verify_reasons, MXLAB_VR_UNTRUSTED);
	assert_string_equal(r.verify_text, "untrusted-issuer");
	assert_string_equal(r.verify_name, "");
	j = mxlab_client_result_json(&r);
	assert_non_null(strstr(j, "\"reasons\":[\"untrusted-issuer\"],\"verify_text\":"
			       "\"untrusted-issuer\",\"verify_name\":null"));
	free(j);
	mxlab_server_free(srv);
}

static void
test_starttls_modes(void **state)
{
	struct mxlab_client_result r;
	char addr[80];
	mxlab_server *srv = serve((const char *[]){ "cert", "mx.example.test",
		"starttls", "refuse", NULL }, addr, sizeof addr);

	(void)state;
	run(addr, (const char *[]){ "pki", "PKI", "tls", "starttls", NULL }, &r);
	expect_stage(&r, MXLAB_CS_STARTTLS, "starttls: 454 4.7.0 TLS not available");
	assert_int_equal(mxlab_client_exit_code(&r), 29);
	assert_int_equal(r.reply[MXLAB_CS_QUIT].code, 221);
	mxlab_server_free(srv);

	srv = serve((const char *[]){ "starttls", "hide", NULL }, addr, sizeof addr);
	run(addr, (const char *[]){ "tls", "starttls", NULL }, &r);
	expect_stage(&r, MXLAB_CS_STARTTLS, "starttls: STARTTLS not offered");
	run(addr, (const char *[]){ NULL }, &r);	/* starttls-optional */
	expect_stage(&r, MXLAB_CS_DONE, NULL);
	assert_false(r.tls);
	assert_int_equal(r.reply[MXLAB_CS_EHLO].code, 250);
	assert_int_equal(r.reply[MXLAB_CS_EHLO_TLS].code, 0);
	assert_int_equal(r.reply[MXLAB_CS_QUIT].code, 221);
	/* quit-reply skip: QUIT sent, its reply not waited for */
	run(addr, (const char *[]){ "quit-reply", "skip", NULL }, &r);
	expect_stage(&r, MXLAB_CS_DONE, NULL);
	assert_int_equal(r.reply[MXLAB_CS_EHLO].code, 250);
	assert_int_equal(r.reply[MXLAB_CS_QUIT].code, 0);
	/* plaintext AUTH and a scripted MAIL refusal */
	run(addr, (const char *[]){ "tls", "none", "auth", "plain", "user", "u",
		"password", "p", NULL }, &r);
	expect_stage(&r, MXLAB_CS_AUTH, "auth: 502");
	assert_int_equal(r.reply[MXLAB_CS_AUTH].code, 502);
	assert_int_equal(mxlab_client_exit_code(&r), 28);
	mxlab_server_free(srv);

	srv = serve((const char *[]){ "starttls", "hide", "mail",
		"530 5.7.0 Must issue a STARTTLS command first", NULL }, addr, sizeof addr);
	run(addr, (const char *[]){ "tls", "none", "from", "a@x.test", "to", "b@x.test", NULL }, &r);
	expect_stage(&r, MXLAB_CS_MAIL, NULL);
	assert_string_equal(r.error, "mail: 530 5.7.0 Must issue a STARTTLS command first");
	assert_int_equal(mxlab_client_exit_code(&r), 23);
	mxlab_server_free(srv);
}

static void
test_implicit_and_message(void **state)
{
	struct mxlab_client_result r;
	struct mxlab_server_msg_info mi[2];
	char addr[80], dir[] = "/tmp/mxlab-client-mb.XXXXXX", path[300];
	FILE *fp;
	mxlab_server *srv;

	(void)state;
	assert_non_null(mkdtemp(dir));
	srv = serve((const char *[]){ "cert", "mx.example.test", "implicit-tls", "yes",
		"mailbox", dir, NULL }, addr, sizeof addr);
	run(addr, (const char *[]){ "pki", "PKI", "tls", "implicit", "from", "a@x.test",
		"to", "b@x.test", "to", "c@x.test", "subject", "t", "body", "one\\n.dot\\n", NULL }, &r);
	expect_stage(&r, MXLAB_CS_DONE, NULL);
	assert_true(r.tls && r.verified);
	assert_int_equal(r.reply[MXLAB_CS_GREETING].code, 220);
	assert_non_null(strstr(r.caps_after, "PIPELINING"));
	assert_string_equal(r.caps_before, "");
	assert_int_equal(r.reply[MXLAB_CS_DOT].code, 250);
	assert_string_not_equal(r.queue_id, "");
	assert_int_equal(mxlab_server_msg_log(srv, mi, 2), 1);
	assert_int_equal(mi[0].nrcpt, 2);
	snprintf(path, sizeof path, "%s/%s.eml", dir, mi[0].file);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	{
		char buf[4096];
		size_t n = fread(buf, 1, sizeof buf - 1, fp);

		buf[n] = '\0';
		assert_non_null(strstr(buf, "\r\n\r\none\r\n.dot\r\n"));	/* unstuffed */
		assert_non_null(strstr(buf, "Subject: t\r\n"));
	}
	fclose(fp);
	mxlab_server_free(srv);
	snprintf(path, sizeof path, "rm -rf '%s'", dir);
	assert_int_equal(system(path), 0);
}

static void
test_resumption(void **state)
{
	struct mxlab_client_result r;
	char addr[80];
	mxlab_server *srv = serve((const char *[]){ "cert", "mx.example.test", NULL },
				  addr, sizeof addr);

	(void)state;
	run(addr, (const char *[]){ "pki", "PKI", NULL }, &r);
	assert_false(r.resumed);
	assert_int_equal(r.sessions, 1);
	run(addr, (const char *[]){ "pki", "PKI", "connections", "2", NULL }, &r);
	expect_stage(&r, MXLAB_CS_DONE, NULL);
	assert_true(r.resumed);
	assert_int_equal(r.sessions, 2);
	assert_int_equal(r.nchain, 2);		/* the chain of the session resumed */
	assert_true(r.verified);
	mxlab_server_free(srv);
}

/* TLS 1.3 (mbedTLS 3.x): a session is a ticket, sent by the server after
 * the handshake and read along with the next reply; connections 2 offers
 * it, the server takes it: no Certificate message, the chain is that of
 * the session resumed. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_3) && \
    defined(MBEDTLS_SSL_SESSION_TICKETS)
#define HAVE_TLS13_TICKETS 1	/* else (2.28) the test is left out */
static void
test_resumption_tls13(void **state)
{
	struct mxlab_client_result r;
	char addr[80];
	mxlab_server *srv = serve((const char *[]){ "cert", "mx.example.test", "tls-max", "1.3", NULL },
				  addr, sizeof addr);

	(void)state;
	run(addr, (const char *[]){ "pki", "PKI", "tls-max", "1.3", NULL }, &r);
	expect_stage(&r, MXLAB_CS_DONE, NULL);
	assert_string_equal(r.tls_version, "TLSv1.3");
	assert_false(r.resumed);
	run(addr, (const char *[]){ "pki", "PKI", "tls-max", "1.3", "connections", "2", NULL }, &r);
	expect_stage(&r, MXLAB_CS_DONE, NULL);
	assert_string_equal(r.tls_version, "TLSv1.3");
	assert_true(r.resumed);
	assert_int_equal(r.sessions, 2);
	assert_int_equal(r.nchain, 2);
	assert_true(r.verified);
	mxlab_server_free(srv);
}
#endif

static void
test_server_faults(void **state)
{
	struct mxlab_client_result r;
	char addr[80];
	struct timespec t0, t1;
	mxlab_server *srv;

	(void)state;
	srv = serve((const char *[]){ "cert", "mx.example.test", "tls-fault", "garbage", NULL },
		    addr, sizeof addr);
	run(addr, (const char *[]){ "pki", "PKI", NULL }, &r);
	expect_stage(&r, MXLAB_CS_TLS, "tls: ");
	assert_int_equal(r.verify_reasons, MXLAB_VR_NO_CHAIN);
	mxlab_server_free(srv);
	srv = serve((const char *[]){ "cert", "mx.example.test", "tls-fault",
		"close-after-ready", NULL }, addr, sizeof addr);
	run(addr, (const char *[]){ "pki", "PKI", NULL }, &r);
	expect_stage(&r, MXLAB_CS_TLS, "tls: ");
	mxlab_server_free(srv);
	srv = serve((const char *[]){ "greeting", "disconnect", NULL }, addr, sizeof addr);
	run(addr, (const char *[]){ NULL }, &r);
	expect_stage(&r, MXLAB_CS_GREETING, "greeting: connection closed by the server");
	mxlab_server_free(srv);
	srv = serve((const char *[]){ "ehlo-delay", "30s", NULL }, addr, sizeof addr);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run(addr, (const char *[]){ "timeout", "300ms", NULL }, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	expect_stage(&r, MXLAB_CS_EHLO, "ehlo: no complete reply within 300 ms");
	assert_true(t1.tv_sec - t0.tv_sec < 3);
	mxlab_server_free(srv);
}

/* ------------------------------------------------------ STARTTLS injection */

/* A scripted server: its 220 to STARTTLS, then tail in the same write. */
static mxlab_server *
serve_script(const char *tail, char *addr, size_t alen, char *path)
{
	char text[600];
	FILE *f;
	int fd;

	snprintf(path, 64, "/tmp/test_client.script.XXXXXX");
	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	snprintf(text, sizeof text, "send 220 mx ESMTP\nexpect ^EHLO\nsend 250-mx\n"
		 "send 250 STARTTLS\nexpect ^STARTTLS$\nsend 220 2.0.0 Ready to start TLS\n"
		 "%s\ntls-handshake\nexpect ^EHLO\nsend 250 mx\nexpect ^QUIT\nsend 221 bye\n",
		 tail);
	fputs(text, f);
	fclose(f);
	return serve((const char *[]){ "cert", "mx.example.test", "script", path, NULL },
		     addr, alen);
}

static void
test_starttls_injection(void **state)
{
	struct mxlab_client_result r;
	struct mxlab_server_tls_info t[4];
	mxlab_client_config *c;
	char addr[80], path[64];
	mxlab_server *srv;

	(void)state;
	srv = serve_script("inject 250 injected\\r\\n", addr, sizeof addr, path);
	run(addr, (const char *[]){ "pki", "PKI", "tls", "starttls", NULL }, &r);
	expect_stage(&r, MXLAB_CS_TLS, "tls: starttls-injection: 14 bytes after the reply to "
		     "STARTTLS, before the handshake: '250 injected\\r\\n'");
	assert_int_equal(r.injected, 14);
	assert_string_equal(r.injection, "250 injected\\r\\n");
	assert_false(r.tls);
	assert_int_equal(mxlab_client_exit_code(&r), 29);
	mxlab_server_free(srv);
	unlink(path);
	/* the same server without the inject: a plain handshake */
	srv = serve_script("# no inject", addr, sizeof addr, path);
	run(addr, (const char *[]){ "pki", "PKI", "tls", "starttls", NULL }, &r);
	assert_int_equal(r.failed_stage, MXLAB_CS_DONE);
	assert_true(r.tls);
	assert_int_equal(r.injected, 0);
	mxlab_server_free(srv);
	unlink(path);
	/* the other way: a scripted client pipelines RSET behind STARTTLS;
	 * the (table) server drops the 6 bytes and counts them */
	srv = serve((const char *[]){ "cert", "mx.example.test", NULL }, addr, sizeof addr);
	c = mxlab_client_config_new();
	assert_int_equal(set(c, "connect", addr), MXLAB_OK);
	assert_int_equal(set(c, "pki", pki), MXLAB_OK);
	assert_int_equal(mxlab_client_config_script(c, "expect ^220\nsend EHLO c\nexpect ^250 \n"
		"pipeline STARTTLS | RSET\nexpect ^220\ntls-handshake\nsend EHLO c\n"
		"expect ^250-mx\nsend QUIT\nexpect ^221\n", "c.scn", 10, err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_client_run(c, &r, err, sizeof err), MXLAB_OK);
	if (r.failed_stage != MXLAB_CS_DONE)
		fail_msg("%s", r.error);
	assert_true(r.tls);
	assert_int_equal(r.reply[MXLAB_CS_STARTTLS].code, 220);
	assert_int_equal(r.reply[MXLAB_CS_EHLO_TLS].code, 250);
	assert_int_equal(r.reply[MXLAB_CS_QUIT].code, 221);
	assert_true(mxlab_server_wait_idle(srv, 5000));
	assert_int_equal(mxlab_server_tls_log(srv, t, 4), 1);
	assert_int_equal(t[0].discarded, 6);
	/* a step that fails: its stage, the script's words, the line */
	assert_int_equal(mxlab_client_config_script(c, "expect ^220\nsend EHLO c\n"
		"expect ^554\n", "c.scn", 10, err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_client_run(c, &r, err, sizeof err), MXLAB_OK);
	expect_stage(&r, MXLAB_CS_EHLO, "ehlo: step 3 (c.scn:12) expect /^554/: got '250-mx.example.test");
	mxlab_client_config_free(c);
	mxlab_server_free(srv);
}

/* ------------------------------------------------------- script records */

/* Run text as the client's script (file c.script from line 1) against addr. */
static void
run_script(const char *addr, const char *text, struct mxlab_client_result *r)
{
	mxlab_client_config *c = mxlab_client_config_new();

	assert_int_equal(set(c, "connect", addr), MXLAB_OK);
	assert_int_equal(set(c, "pki", pki), MXLAB_OK);
	assert_int_equal(set(c, "timeout", "5s"), MXLAB_OK);
	if (mxlab_client_config_script(c, text, "c.script", 1, err, sizeof err) != MXLAB_OK)
		fail_msg("script: %s", err);
	assert_int_equal(mxlab_client_run(c, r, err, sizeof err), MXLAB_OK);
	mxlab_client_config_free(c);
}

/* Record i is step/line, kind, dir, data (NULL: none to check). */
static void
want_record(const struct mxlab_client_result *r, size_t i, unsigned step, const char *kind,
	    const char *dir, const char *data)
{
	const struct mxlab_client_step *st = &r->steps[i];

	if (i >= r->nsteps)
		fail_msg("record %zu: only %zu", i, r->nsteps);
	if (st->step != step || st->line != step || strcmp(st->kind, kind) || strcmp(st->dir, dir))
		fail_msg("record %zu: step %u line %u %s %s, want step %u %s %s", i, st->step,
			 st->line, st->kind, st->dir, step, kind, dir);
	if (data && (st->len != strlen(data) || st->bytes != st->len ||
		     memcmp(st->data, data, st->len)))
		fail_msg("record %zu: data '%.*s' (%zu of %zu), want '%s'", i, (int)st->len,
			 (const char *)st->data, st->len, st->bytes, data);
}

static void
test_script_records(void **state)
{
	struct mxlab_client_result *r = calloc(1, sizeof *r);
	char addr[80], *j;
	mxlab_server *srv;

	(void)state;
	assert_non_null(r);
	srv = serve((const char *[]){ "cert", "mx.example.test", NULL }, addr, sizeof addr);
	/* every step passes: one record a direction, nothing failed */
	run_script(addr, "expect ^220\nsend EHLO c\nexpect ^250 \npipeline STARTTLS | RSET\n"
		   "expect ^220\ntls-handshake\nsend EHLO c\nexpect ^250 \ndelay 1ms\nsend QUIT\n"
		   "expect ^221\n", r);
	if (r->failed_stage != MXLAB_CS_DONE)
		fail_msg("%s", r->error);
	assert_true(r->script_ran);
	assert_int_equal(r->nsteps, 10);
	assert_int_equal(r->steps_omitted, 0);
	want_record(r, 0, 1, "expect", "received", NULL);
	assert_memory_equal(r->steps[0].data, "220 ", 4);
	want_record(r, 1, 2, "send", "sent", "EHLO c\r\n");
	want_record(r, 2, 3, "expect", "received", NULL);
	assert_memory_equal(r->steps[2].data, "250-mx.example.test\n250-", 24);
	want_record(r, 3, 4, "pipeline", "sent", "STARTTLS\r\nRSET\r\n");
	want_record(r, 4, 5, "expect", "received", "220 2.0.0 Ready to start TLS");
	want_record(r, 5, 6, "tls-handshake", "tls", "");
	want_record(r, 6, 7, "send", "sent", "EHLO c\r\n");
	want_record(r, 7, 8, "expect", "received", NULL);
	want_record(r, 8, 10, "send", "sent", "QUIT\r\n");
	want_record(r, 9, 11, "expect", "received", NULL);
	assert_memory_equal(r->steps[9].data, "221 ", 4);
	for (size_t i = 0; i < r->nsteps; i++)
		assert_false(r->steps[i].failed);
	assert_string_equal(r->script_error, "");
	assert_non_null(j = mxlab_client_result_json(r));
	assert_non_null(strstr(j, "\"script\":[{\"step\":1,\"line\":1,\"kind\":\"expect\","
				  "\"dir\":\"received\",\"data\":\"220 "));
	assert_non_null(strstr(j, "{\"step\":4,\"line\":4,\"kind\":\"pipeline\",\"dir\":\"sent\","
				  "\"data\":\"STARTTLS\\r\\nRSET\\r\\n\"},"));
	assert_non_null(strstr(j, "{\"step\":6,\"line\":6,\"kind\":\"tls-handshake\",\"dir\":\"tls\"},"));
	assert_non_null(strstr(j, "\"data\":\"221 2.0.0 Bye\"}],\"script_omitted\":0}"));
	assert_null(strstr(j, "\"error\":\"step"));
	free(j);
	/* a step that does not match: its record carries the error */
	run_script(addr, "expect ^220\nsend EHLO c\nexpect ^554\n", r);
	expect_stage(r, MXLAB_CS_EHLO, "ehlo: step 3 (c.script:3) expect /^554/");
	assert_int_equal(r->nsteps, 3);
	want_record(r, 2, 3, "expect", "received", NULL);
	assert_false(r->steps[1].failed);
	assert_true(r->steps[2].failed);
	assert_string_equal(r->script_error, r->error + strlen("ehlo: "));
	assert_non_null(j = mxlab_client_result_json(r));
	assert_non_null(strstr(j, "\"kind\":\"expect\",\"dir\":\"received\",\"data\":\"250-mx.example.test"));
	assert_non_null(strstr(j, "\",\"error\":\"step 3 (c.script:3) expect /^554/: got '250-mx.example.test"));
	free(j);
	/* a step that fails before it reads anything: a record of its own */
	run_script(addr, "expect ^220\nsend QUIT\nexpect ^221\nexpect ^220\n", r);
	expect_stage(r, MXLAB_CS_QUIT, "quit: step 4 (c.script:4) expect /^220/: got 'EOF'");
	assert_int_equal(r->nsteps, 4);
	want_record(r, 3, 4, "expect", "", "");
	assert_true(r->steps[3].failed);
	assert_string_equal(r->script_error, "step 4 (c.script:4) expect /^220/: got 'EOF'");
	assert_non_null(j = mxlab_client_result_json(r));
	assert_non_null(strstr(j, "{\"step\":4,\"line\":4,\"kind\":\"expect\",\"dir\":null,"
				  "\"error\":\"step 4 (c.script:4) expect /^220/: got 'EOF'\"}],"
				  "\"script_omitted\":0}"));
	free(j);
	/* no script: nothing recorded, null in the JSON */
	run(addr, (const char *[]){ "pki", "PKI", "stop-after", "ehlo", NULL }, r);
	assert_false(r->script_ran);
	assert_int_equal(r->nsteps, 0);
	assert_non_null(j = mxlab_client_result_json(r));
	assert_non_null(strstr(j, "\"script\":null,\"script_omitted\":null}"));
	free(j);
	mxlab_server_free(srv);
	free(r);
}

/* The limits: 64 records, 256 bytes of data (not inside a character),
 * the failed record kept last. */
static void
test_script_limits(void **state)
{
	static const char noop_long[] = "send NOOP %0250d\xc3\xa9\n";	/* e-acute: bytes 255, 256 */
	struct mxlab_client_result *r = calloc(1, sizeof *r);
	char addr[80], text[4096], *j;
	size_t o;
	mxlab_server *srv;

	(void)state;
	assert_non_null(r);
	srv = serve((const char *[]){ "cert", "mx.example.test", NULL }, addr, sizeof addr);
	/* the long NOOP kept: 259 bytes with CRLF, 255 kept */
	o = (size_t)snprintf(text, sizeof text, "expect ^220\n");
	o += (size_t)snprintf(text + o, sizeof text - o, noop_long, 0);
	snprintf(text + o, sizeof text - o, "expect ^250\nsend QUIT\nexpect ^221\n");
	run_script(addr, text, r);
	if (r->failed_stage != MXLAB_CS_DONE)
		fail_msg("%s", r->error);
	assert_int_equal(r->nsteps, 5);
	want_record(r, 1, 2, "send", "sent", NULL);
	assert_int_equal(r->steps[1].bytes, 259);
	assert_int_equal(r->steps[1].len, 255);
	assert_memory_equal(r->steps[1].data, "NOOP 0000", 9);
	assert_int_equal(r->steps[1].data[254], '0');
	assert_non_null(j = mxlab_client_result_json(r));
	assert_non_null(strstr(j, "00000\",\"data_omitted\":4},{\"step\":3,"));
	free(j);
	/* line 1: the greeting; lines 2..81: 40 NOOPs and their replies;
	 * 82, 83: the long NOOP and its reply; 84: QUIT; 85: its reply */
	o = (size_t)snprintf(text, sizeof text, "expect ^220\n");
	for (int i = 0; i < 40; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "send NOOP\nexpect ^250\n");
	o += (size_t)snprintf(text + o, sizeof text - o, noop_long, 0);
	o += (size_t)snprintf(text + o, sizeof text - o, "expect ^250\nsend QUIT\n");
	snprintf(text + o, sizeof text - o, "expect ^221\n");
	run_script(addr, text, r);
	if (r->failed_stage != MXLAB_CS_DONE)
		fail_msg("%s", r->error);
	assert_int_equal(r->nsteps, MXLAB_CLIENT_MAX_STEPS);
	assert_int_equal(r->steps_omitted, 85 - MXLAB_CLIENT_MAX_STEPS);
	want_record(r, 62, 63, "expect", "received", "250 2.0.0 Ok");
	want_record(r, 63, 64, "send", "sent", "NOOP\r\n");
	assert_false(r->steps[63].failed);
	assert_non_null(j = mxlab_client_result_json(r));
	assert_non_null(strstr(j, "\"data\":\"NOOP\\r\\n\"}],\"script_omitted\":21}"));
	free(j);
	/* failing at its last step: that record takes the last place */
	snprintf(text + o, sizeof text - o, "expect ^554\n");
	run_script(addr, text, r);
	expect_stage(r, MXLAB_CS_QUIT, "quit: step 85 (c.script:85) expect /^554/: got '221 ");
	assert_int_equal(r->nsteps, MXLAB_CLIENT_MAX_STEPS);
	assert_int_equal(r->steps_omitted, 85 - MXLAB_CLIENT_MAX_STEPS);
	want_record(r, 62, 63, "expect", "received", "250 2.0.0 Ok");
	want_record(r, 63, 85, "expect", "received", NULL);
	assert_memory_equal(r->steps[63].data, "221 ", 4);
	assert_true(r->steps[63].failed);
	assert_false(r->steps[62].failed);
	assert_string_equal(r->script_error, r->error + strlen("quit: "));
	/* failing past the limit before reading anything: a record of its own */
	snprintf(text + o, sizeof text - o, "expect ^221\nexpect ^220\n");
	run_script(addr, text, r);
	expect_stage(r, MXLAB_CS_QUIT, "quit: step 86 (c.script:86) expect /^220/: got 'EOF'");
	assert_int_equal(r->nsteps, MXLAB_CLIENT_MAX_STEPS);
	assert_int_equal(r->steps_omitted, 86 - MXLAB_CLIENT_MAX_STEPS);
	want_record(r, 63, 86, "expect", "", "");
	assert_true(r->steps[63].failed);
	assert_non_null(j = mxlab_client_result_json(r));
	assert_non_null(strstr(j, "{\"step\":86,\"line\":86,\"kind\":\"expect\",\"dir\":null,"
				  "\"error\":\"step 86 (c.script:86) expect /^220/: got 'EOF'\"}],"
				  "\"script_omitted\":22}"));
	free(j);
	mxlab_server_free(srv);
	free(r);
}

/* ---------------------------------------------------------------- bad peers */

enum peer_mode { PEER_GARBAGE, PEER_CLOSE, PEER_HUGE, PEER_SILENT };

struct peer {
	int lfd;
	enum peer_mode mode;
};

static void *
peer_main(void *arg)
{
	struct peer *p = arg;
	int fd = accept(p->lfd, NULL, NULL);
	static char chunk[65536];
	char buf[256];

	if (fd < 0)
		return NULL;
	switch (p->mode) {
	case PEER_GARBAGE:
		(void)!write(fd, "\x16\x03\x01garbage\r\n", 12);
		break;
	case PEER_CLOSE:
		break;
	case PEER_HUGE:
		memset(chunk, 'x', sizeof chunk);
		for (int i = 0; i < 160; i++)	/* 10 MB, no LF */
			if (send(fd, chunk, sizeof chunk, MSG_NOSIGNAL) < 0)
				break;
		break;
	case PEER_SILENT:
		(void)!read(fd, buf, sizeof buf);	/* until the client gives up */
		break;
	}
	close(fd);
	return NULL;
}

static void
bad_peer(enum peer_mode mode, enum mxlab_client_stage st, const char *errpart)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	struct peer p = { .mode = mode };
	struct mxlab_client_result r;
	struct timespec t0, t1;
	pthread_t th;
	char addr[64];

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(p.lfd >= 0);
	assert_int_equal(bind(p.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(p.lfd, 4), 0);
	getsockname(p.lfd, (struct sockaddr *)&sa, &sl);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
	pthread_create(&th, NULL, peer_main, &p);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	run(addr, (const char *[]){ "timeout", "500ms", NULL }, &r);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	pthread_join(th, NULL);
	close(p.lfd);
	expect_stage(&r, st, errpart);
	assert_true(t1.tv_sec - t0.tv_sec < 3);
}

static void
test_bad_peers(void **state)
{
	struct mxlab_client_result r;
	int fd;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	char addr[64];

	(void)state;
	bad_peer(PEER_GARBAGE, MXLAB_CS_GREETING, "greeting: malformed reply");
	bad_peer(PEER_CLOSE, MXLAB_CS_GREETING, "greeting: connection closed by the server");
	bad_peer(PEER_HUGE, MXLAB_CS_GREETING, "greeting: malformed reply (line too long)");
	bad_peer(PEER_SILENT, MXLAB_CS_GREETING, "greeting: no complete reply within 500 ms");
	/* a port nobody listens on */
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	bind(fd, (struct sockaddr *)&sa, sizeof sa);
	getsockname(fd, (struct sockaddr *)&sa, &sl);
	close(fd);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
	run(addr, (const char *[]){ NULL }, &r);
	expect_stage(&r, MXLAB_CS_CONNECT, NULL);
	assert_string_equal(r.error, "connect: Connection refused");
	assert_int_equal(mxlab_client_exit_code(&r), 20);
}

/* ---------------------------------------------------------------- main */

static int
setup_pki(void **state)
{
	const char *hosts[] = { "mx.example.test,127.0.0.1", "other.example.test" };
	struct mxlab_pki_options o = { .hosts = hosts, .nhosts = 2 };

	(void)state;
	snprintf(pki, sizeof pki, "/tmp/mxlab-client-pki.XXXXXX");
	if (!mkdtemp(pki))
		return -1;
	o.dir = pki;
	return mxlab_pki_generate(&o, err, sizeof err) == MXLAB_OK ? 0 : -1;
}

static int
teardown_pki(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", pki);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys_good),
		cmocka_unit_test(test_keys_bad),
		cmocka_unit_test(test_check),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_exit_codes),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_profiles),
		cmocka_unit_test(test_no_serverauth),
		cmocka_unit_test(test_verify_modes),
		cmocka_unit_test(test_sni),
		cmocka_unit_test(test_no_name),
		cmocka_unit_test(test_starttls_modes),
		cmocka_unit_test(test_implicit_and_message),
		cmocka_unit_test(test_resumption),
#ifdef HAVE_TLS13_TICKETS
		cmocka_unit_test(test_resumption_tls13),
#endif
		cmocka_unit_test(test_server_faults),
		cmocka_unit_test(test_starttls_injection),
		cmocka_unit_test(test_script_records),
		cmocka_unit_test(test_script_limits),
		cmocka_unit_test(test_bad_peers),
	};

	return cmocka_run_group_tests_name("client", tests, setup_pki, teardown_pki);
}
