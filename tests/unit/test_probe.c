/*
 * test_probe.c: mxlab probe's findings on synthetic client results
 * (mxlab_probe_analyse is pure), the target parser, severity names, the
 * JSON and text shapes, and live probes of an in-process mxlab server
 * (a leaf-only chain, a full chain, an SNI table, STARTTLS hidden).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <ftw.h>
#include <unistd.h>

#include <cmocka.h>

#include <mbedtls/ssl.h>	/* which protocol versions this mbedTLS has */

#include "mxlab/mxlab.h"

#define NOW 1800000000LL	/* 2027-01-15 */

static void
cert(struct mxlab_client_cert *c, const char *subject, const char *issuer,
     const char *nb, const char *na, const char *names)
{
	memset(c, 0, sizeof *c);
	snprintf(c->subject, sizeof c->subject, "%s", subject);
	snprintf(c->issuer, sizeof c->issuer, "%s", issuer);
	snprintf(c->not_before, sizeof c->not_before, "%s", nb);
	snprintf(c->not_after, sizeof c->not_after, "%s", na);
	snprintf(c->names, sizeof c->names, "%s", names);
}

#define LEAF "CN=mx.example.test, OU=good, O=mxlab"
#define INTER "CN=mxlab Test Intermediate CA, O=mxlab"
#define ROOT "CN=mxlab Test Root CA, O=mxlab"

/* A good TLS session: 2 certificates, verified. */
static void
good_session(struct mxlab_client_result *r, const char *sni)
{
	memset(r, 0, sizeof *r);
	r->failed_stage = MXLAB_CS_DONE;
	r->tls = 1;
	snprintf(r->tls_version, sizeof r->tls_version, "TLSv1.2");
	snprintf(r->cipher, sizeof r->cipher, "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256");
	r->sni_sent = sni != NULL;
	snprintf(r->sni, sizeof r->sni, "%s", sni ? sni : "");
	r->nchain = 2;
	cert(&r->chain[0], LEAF, INTER, "2026-06-01T00:00:00Z", "2027-06-01T00:00:00Z",
	     "DNS:mx.example.test");
	cert(&r->chain[1], INTER, ROOT, "2026-01-01T00:00:00Z", "2036-01-01T00:00:00Z", "");
	r->chain[1].ca = 1;
	r->verified = 1;
	r->reply[MXLAB_CS_STARTTLS].code = 220;
	snprintf(r->caps_after, sizeof r->caps_after, "PIPELINING\nSIZE 10240000\nAUTH PLAIN LOGIN");
}

/* A healthy server, as mxlab_probe_run would fill it. */
static struct mxlab_probe_report *
good_report(void)
{
	struct mxlab_probe_report *rep = calloc(1, sizeof *rep);

	assert_non_null(rep);
	snprintf(rep->target, sizeof rep->target, "mx.example.test:25");
	snprintf(rep->host, sizeof rep->host, "mx.example.test");
	rep->port = 25;
	snprintf(rep->name, sizeof rep->name, "mx.example.test");
	rep->ca_given = 1;
	rep->now = NOW;
	rep->connected = 1;
	rep->greeting_code = 220;
	snprintf(rep->greeting, sizeof rep->greeting, "220 mx.example.test ESMTP");
	rep->ehlo_done = 1;
	rep->starttls_offered = 1;
	rep->nosni_done = rep->sni_done = 1;
	good_session(&rep->nosni, NULL);
	good_session(&rep->sni, "mx.example.test");
	snprintf(rep->auth_mechs_after, sizeof rep->auth_mechs_after, "PLAIN LOGIN");
	snprintf(rep->versions_tested, sizeof rep->versions_tested, "TLSv1.0 TLSv1.1 TLSv1.2");
	snprintf(rep->versions_accepted, sizeof rep->versions_accepted, "TLSv1.2");
	snprintf(rep->versions_refused, sizeof rep->versions_refused, "TLSv1.0 TLSv1.1");
	snprintf(rep->versions_untested, sizeof rep->versions_untested, "TLSv1.3");
	return rep;
}

static const struct mxlab_probe_finding *
must(const struct mxlab_probe_report *rep, const char *id, enum mxlab_probe_severity sev)
{
	const struct mxlab_probe_finding *f = mxlab_probe_find(rep, id);

	if (!f) {
		for (size_t i = 0; i < rep->nfindings; i++)
			fprintf(stderr, "# have %s %s: %s\n",
				mxlab_probe_severity_name(rep->findings[i].severity),
				rep->findings[i].id, rep->findings[i].seen);
		fail_msg("no finding %s", id);
	}
	assert_int_equal(f->severity, sev);
	assert_true(f->seen[0] != '\0');
	if (sev >= MXLAB_PROBE_WARN) {
		assert_true(f->cause[0] != '\0');
		assert_true(f->fix[0] != '\0');
	}
	return f;
}

static void
must_not(const struct mxlab_probe_report *rep, const char *id)
{
	const struct mxlab_probe_finding *f = mxlab_probe_find(rep, id);

	if (f)
		fail_msg("unexpected finding %s: %s", id, f->seen);
}

/* Both sessions get the same thing. */
#define BOTH(rep, stmt) do { struct mxlab_client_result *r_ = &(rep)->nosni; stmt; \
			     r_ = &(rep)->sni; stmt; } while (0)

static void
test_good(void **state)
{
	struct mxlab_probe_report *rep = good_report();

	(void)state;
	mxlab_probe_analyse(rep);
	must(rep, "chain-ok", MXLAB_PROBE_OK);
	must(rep, "sni-same", MXLAB_PROBE_OK);
	must(rep, "protocols", MXLAB_PROBE_OK);
	must(rep, "auth-after-tls-only", MXLAB_PROBE_OK);
	must_not(rep, "no-ca");
	must_not(rep, "old-protocols");
	assert_int_equal(mxlab_probe_worst(rep), MXLAB_PROBE_OK);
	free(rep);
}

static void
test_leaf_only(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	const struct mxlab_probe_finding *f;

	(void)state;
	BOTH(rep, (r_->nchain = 1, r_->verified = 0, r_->verify_reasons = MXLAB_VR_UNTRUSTED));
	mxlab_probe_analyse(rep);
	f = must(rep, "chain-leaf-only", MXLAB_PROBE_ERROR);
	assert_non_null(strstr(f->seen, "1 certificate (" LEAF ", issued by " INTER ")"));
	assert_non_null(strstr(f->cause, "smtpd_tls_cert_file"));
	assert_non_null(strstr(f->cause, "leaf alone"));
	assert_non_null(strstr(f->fix, "smtpd_tls_chain_files"));
	assert_non_null(strstr(f->fix, "intermediate"));
	must_not(rep, "untrusted-issuer");
	must_not(rep, "chain-ok");
	assert_int_equal(mxlab_probe_worst(rep), MXLAB_PROBE_ERROR);
	assert_string_equal(rep->findings[0].id, "chain-leaf-only");	/* errors first */
	free(rep);
}

static void
test_leaf_only_no_ca(void **state)
{
	struct mxlab_probe_report *rep = good_report();

	(void)state;
	rep->ca_given = 0;
	BOTH(rep, (r_->nchain = 1, r_->verified = 0, r_->verify_reasons = MXLAB_VR_UNTRUSTED));
	mxlab_probe_analyse(rep);
	must(rep, "chain-leaf-only", MXLAB_PROBE_WARN);
	must(rep, "no-ca", MXLAB_PROBE_INFO);
	must_not(rep, "untrusted-issuer");
	free(rep);
}

static void
test_root_signed_single(void **state)
{
	struct mxlab_probe_report *rep = good_report();

	(void)state;
	BOTH(rep, (r_->nchain = 1, snprintf(r_->chain[0].issuer, sizeof r_->chain[0].issuer, ROOT)));
	mxlab_probe_analyse(rep);
	must(rep, "chain-ok", MXLAB_PROBE_OK);
	must_not(rep, "chain-leaf-only");
	free(rep);
}

static void
test_untrusted(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	const struct mxlab_probe_finding *f;

	(void)state;
	BOTH(rep, (r_->verified = 0, r_->verify_reasons = MXLAB_VR_UNTRUSTED));
	mxlab_probe_analyse(rep);
	f = must(rep, "untrusted-issuer", MXLAB_PROBE_ERROR);
	assert_non_null(strstr(f->seen, "2 certificates"));
	assert_non_null(strstr(f->seen, ROOT));
	must_not(rep, "chain-leaf-only");
	free(rep);
}

static void
test_self_signed(void **state)
{
	struct mxlab_probe_report *rep = good_report();

	(void)state;
	BOTH(rep, (r_->nchain = 1, r_->verified = 0,
		   r_->verify_reasons = MXLAB_VR_UNTRUSTED | MXLAB_VR_SELF_SIGNED,
		   snprintf(r_->chain[0].issuer, sizeof r_->chain[0].issuer, LEAF)));
	mxlab_probe_analyse(rep);
	must(rep, "self-signed", MXLAB_PROBE_ERROR);
	must_not(rep, "chain-leaf-only");
	must_not(rep, "untrusted-issuer");
	rep->ca_given = 0;
	mxlab_probe_analyse(rep);
	must(rep, "self-signed", MXLAB_PROBE_WARN);
	free(rep);
}

static void
test_dates(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	const struct mxlab_probe_finding *f;

	(void)state;
	/* expired by the client's verdict */
	BOTH(rep, (r_->verified = 0, r_->verify_reasons = MXLAB_VR_EXPIRED));
	mxlab_probe_analyse(rep);
	must(rep, "expired", MXLAB_PROBE_ERROR);
	must_not(rep, "not-yet-valid");
	/* expired by the dates alone (no CA: no verdict to read) */
	rep->ca_given = 0;
	BOTH(rep, (r_->verify_reasons = MXLAB_VR_UNTRUSTED,
		   snprintf(r_->chain[0].not_after, sizeof r_->chain[0].not_after,
			    "2026-12-01T00:00:00Z")));
	mxlab_probe_analyse(rep);
	f = must(rep, "expired", MXLAB_PROBE_ERROR);
	assert_non_null(strstr(f->seen, "2026-12-01T00:00:00Z"));
	assert_non_null(strstr(f->fix, "postfix reload"));
	/* not yet valid */
	free(rep);
	rep = good_report();
	BOTH(rep, (r_->verified = 0, r_->verify_reasons = MXLAB_VR_NOT_YET_VALID,
		   snprintf(r_->chain[0].not_before, sizeof r_->chain[0].not_before,
			    "2028-01-01T00:00:00Z")));
	mxlab_probe_analyse(rep);
	must(rep, "not-yet-valid", MXLAB_PROBE_ERROR);
	must_not(rep, "expired");
	free(rep);
}

static void
test_name_mismatch(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	const struct mxlab_probe_finding *f;

	(void)state;
	BOTH(rep, (r_->verified = 0, r_->verify_reasons = MXLAB_VR_NAME_MISMATCH,
		   snprintf(r_->chain[0].names, sizeof r_->chain[0].names,
			    "DNS:wrong-name.mxlab.invalid")));
	mxlab_probe_analyse(rep);
	f = must(rep, "name-mismatch", MXLAB_PROBE_ERROR);
	assert_non_null(strstr(f->seen, "wrong-name.mxlab.invalid"));
	assert_non_null(strstr(f->seen, "mx.example.test"));
	must(rep, "sni-same", MXLAB_PROBE_OK);
	/* no name (an IP address without --name): the name is not judged */
	rep->name[0] = '\0';
	rep->sni_done = 0;
	mxlab_probe_analyse(rep);
	must_not(rep, "name-mismatch");
	free(rep);
}

static void
test_sni_differs(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	const struct mxlab_probe_finding *f;

	(void)state;
	snprintf(rep->name, sizeof rep->name, "other.example.test");
	rep->nosni.verified = 0;
	rep->nosni.verify_reasons = MXLAB_VR_NAME_MISMATCH;
	snprintf(rep->sni.chain[0].subject, sizeof rep->sni.chain[0].subject,
		 "CN=other.example.test, OU=good, O=mxlab");
	mxlab_probe_analyse(rep);
	f = must(rep, "sni-differs", MXLAB_PROBE_WARN);
	assert_non_null(strstr(f->seen, "Without SNI the server presents " LEAF));
	assert_non_null(strstr(f->seen, "with SNI other.example.test it presents CN=other.example.test"));
	assert_non_null(strstr(f->cause, "no SNI"));
	assert_non_null(strstr(f->fix, "smtp_tls_servername"));
	must_not(rep, "name-mismatch");		/* explained by sni-differs */
	must_not(rep, "sni-same");
	/* both verify: only informative */
	rep->nosni.verified = 1;
	rep->nosni.verify_reasons = 0;
	mxlab_probe_analyse(rep);
	must(rep, "sni-differs", MXLAB_PROBE_INFO);
	/* the chain without SNI is judged on its own */
	rep->nosni.nchain = 1;
	rep->nosni.verified = 0;
	rep->nosni.verify_reasons = MXLAB_VR_UNTRUSTED;
	mxlab_probe_analyse(rep);
	f = must(rep, "chain-leaf-only", MXLAB_PROBE_ERROR);
	assert_non_null(strstr(f->seen, "Without SNI: "));
	free(rep);
}

static void
test_extra_sni(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	struct mxlab_probe_sni *x = &rep->extra[0];

	(void)state;
	rep->nextra = 2;
	snprintf(x->name, sizeof x->name, "other.example.test");
	x->tls = 1;
	x->nchain = 2;
	snprintf(x->subject, sizeof x->subject, "CN=other.example.test");
	snprintf(x->issuer, sizeof x->issuer, INTER);
	snprintf(x->not_after, sizeof x->not_after, "2027-06-01T00:00:00Z");
	x->verified = 1;
	x = &rep->extra[1];
	snprintf(x->name, sizeof x->name, "third.example.test");
	x->tls = 1;
	x->nchain = 2;
	snprintf(x->subject, sizeof x->subject, LEAF);	/* the default again */
	snprintf(x->issuer, sizeof x->issuer, INTER);
	snprintf(x->not_after, sizeof x->not_after, "2027-06-01T00:00:00Z");
	x->verify_reasons = MXLAB_VR_NAME_MISMATCH;
	mxlab_probe_analyse(rep);
	must(rep, "sni-differs", MXLAB_PROBE_INFO);
	assert_non_null(strstr(mxlab_probe_find(rep, "name-mismatch")->seen, "third.example.test"));
	free(rep);
}

static void
test_starttls(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	const struct mxlab_probe_finding *f;

	(void)state;
	rep->starttls_offered = 0;
	rep->nosni_done = rep->sni_done = 0;
	rep->versions_tested[0] = '\0';
	mxlab_probe_analyse(rep);
	f = must(rep, "starttls-missing", MXLAB_PROBE_ERROR);
	assert_non_null(strstr(f->fix, "smtpd_tls_security_level"));
	must_not(rep, "no-ca");
	must_not(rep, "protocols");
	free(rep);

	rep = good_report();
	rep->sni_done = 0;
	rep->nosni.failed_stage = MXLAB_CS_STARTTLS;
	rep->nosni.tls = 0;
	rep->nosni.nchain = 0;
	rep->nosni.reply[MXLAB_CS_STARTTLS].code = 454;
	snprintf(rep->nosni.reply[MXLAB_CS_STARTTLS].text, sizeof rep->nosni.reply[0].text,
		 "4.7.0 TLS not available");
	rep->versions_tested[0] = '\0';
	mxlab_probe_analyse(rep);
	f = must(rep, "starttls-refused", MXLAB_PROBE_ERROR);
	assert_non_null(strstr(f->seen, "454 4.7.0 TLS not available"));
	must_not(rep, "tls-failed");
	free(rep);
}

static void
test_tls_failed(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	const struct mxlab_probe_finding *f;

	(void)state;
	BOTH(rep, (r_->failed_stage = MXLAB_CS_TLS, r_->tls = 0, r_->nchain = 0,
		   snprintf(r_->error, sizeof r_->error, "SSL - Processing of the ServerHello failed")));
	mxlab_probe_analyse(rep);
	f = must(rep, "tls-failed", MXLAB_PROBE_ERROR);
	assert_non_null(strstr(f->seen, "ServerHello"));
	must_not(rep, "protocols");
	must_not(rep, "chain-ok");
	free(rep);
}

static void
test_connect_failed(void **state)
{
	struct mxlab_probe_report *rep = good_report();

	(void)state;
	rep->connected = 0;
	rep->greeting_code = 0;
	rep->ehlo_done = 0;
	rep->nosni_done = rep->sni_done = 0;
	snprintf(rep->connect_error, sizeof rep->connect_error, "Connection refused");
	mxlab_probe_analyse(rep);
	assert_non_null(strstr(must(rep, "connect-failed", MXLAB_PROBE_ERROR)->seen,
			       "Connection refused"));
	must_not(rep, "starttls-missing");
	/* a 421 greeting */
	rep->connected = 1;
	rep->greeting_code = 421;
	mxlab_probe_analyse(rep);
	must(rep, "connect-failed", MXLAB_PROBE_ERROR);
	free(rep);
}

static void
test_protocols_auth(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	const struct mxlab_probe_finding *f;

	(void)state;
	snprintf(rep->versions_accepted, sizeof rep->versions_accepted, "TLSv1.0 TLSv1.1 TLSv1.2");
	rep->versions_refused[0] = '\0';
	rep->auth_before_tls = 1;
	snprintf(rep->auth_mechs_before, sizeof rep->auth_mechs_before, "PLAIN LOGIN");
	mxlab_probe_analyse(rep);
	f = must(rep, "old-protocols", MXLAB_PROBE_WARN);
	assert_non_null(strstr(f->seen, "TLSv1.0 and TLSv1.1"));
	assert_non_null(strstr(f->fix, ">=TLSv1.2"));
	must_not(rep, "protocols");
	f = must(rep, "auth-before-tls", MXLAB_PROBE_WARN);
	assert_non_null(strstr(f->fix, "smtpd_tls_auth_only = yes"));
	must_not(rep, "auth-after-tls-only");
	assert_int_equal(mxlab_probe_worst(rep), MXLAB_PROBE_WARN);
	free(rep);
}

/* TLSv1.3: refused on its own while an older version works gives
 * tls13-not-offered (INFO); accepted, or not tested because this mbedTLS
 * cannot speak it (2.28), gives nothing of the kind. */
static void
test_tls13(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	const struct mxlab_probe_finding *f;

	(void)state;
	/* tested and refused */
	snprintf(rep->versions_tested, sizeof rep->versions_tested,
		 "TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3");
	snprintf(rep->versions_refused, sizeof rep->versions_refused, "TLSv1.0 TLSv1.1 TLSv1.3");
	rep->versions_untested[0] = '\0';
	mxlab_probe_analyse(rep);
	f = must(rep, "tls13-not-offered", MXLAB_PROBE_INFO);
	assert_non_null(strstr(f->seen, "TLSv1.3 not offered"));
	assert_non_null(strstr(f->cause, "Postfix"));
	assert_non_null(strstr(f->cause, "Exim"));
	assert_non_null(strstr(f->fix, "smtpd_tls_protocols"));
	must(rep, "protocols", MXLAB_PROBE_OK);
	assert_int_equal(mxlab_probe_worst(rep), MXLAB_PROBE_INFO);

	/* with old versions accepted too: both findings */
	snprintf(rep->versions_accepted, sizeof rep->versions_accepted, "TLSv1.0 TLSv1.1 TLSv1.2");
	snprintf(rep->versions_refused, sizeof rep->versions_refused, "TLSv1.3");
	mxlab_probe_analyse(rep);
	must(rep, "old-protocols", MXLAB_PROBE_WARN);
	must(rep, "tls13-not-offered", MXLAB_PROBE_INFO);

	/* accepted */
	snprintf(rep->versions_accepted, sizeof rep->versions_accepted, "TLSv1.2 TLSv1.3");
	snprintf(rep->versions_refused, sizeof rep->versions_refused, "TLSv1.0 TLSv1.1");
	mxlab_probe_analyse(rep);
	must_not(rep, "tls13-not-offered");
	assert_int_equal(mxlab_probe_worst(rep), MXLAB_PROBE_OK);

	/* no single version accepted: protocols INFO says it, not this */
	rep->versions_accepted[0] = '\0';
	snprintf(rep->versions_refused, sizeof rep->versions_refused,
		 "TLSv1.0 TLSv1.1 TLSv1.2 TLSv1.3");
	mxlab_probe_analyse(rep);
	must(rep, "protocols", MXLAB_PROBE_INFO);
	must_not(rep, "tls13-not-offered");
	free(rep);

	/* not tested: said so, never "not offered". Why depends on this
	 * mbedTLS: 2.28 cannot speak 1.3; 3.6 can, so its session got no
	 * verdict (the handshake timed out: probe.c, version_result). */
	rep = good_report();
	mxlab_probe_analyse(rep);
	must_not(rep, "tls13-not-offered");
	f = must(rep, "protocols", MXLAB_PROBE_OK);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	assert_non_null(strstr(f->seen, "no verdict: TLSv1.3 (the session timed out or ended "
				 "before the handshake: inconclusive)"));
	assert_null(strstr(f->seen, "cannot speak"));
#else
	assert_non_null(strstr(f->seen, "not tested: TLSv1.3 (this mbedTLS cannot speak it)"));
	assert_null(strstr(f->seen, "no verdict"));
#endif
	for (size_t i = 0; i < rep->nfindings; i++)
		assert_null(strstr(rep->findings[i].seen, "not offered"));

	/* both kinds at once (3.x: 1.0 and 1.1 gone, 1.3 no verdict; 2.28: the
	 * reverse) */
	snprintf(rep->versions_untested, sizeof rep->versions_untested,
		 "TLSv1.0 TLSv1.1 TLSv1.3");
	snprintf(rep->versions_tested, sizeof rep->versions_tested, "TLSv1.2");
	rep->versions_refused[0] = '\0';
	mxlab_probe_analyse(rep);
	must_not(rep, "tls13-not-offered");
	f = must(rep, "protocols", MXLAB_PROBE_OK);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	assert_non_null(strstr(f->seen, "not tested: TLSv1.0 TLSv1.1 (this mbedTLS cannot speak "
				 "it); no verdict: TLSv1.3 (the session timed out"));
#else
	assert_non_null(strstr(f->seen, "not tested: TLSv1.3 (this mbedTLS cannot speak it); "
				 "no verdict: TLSv1.0 TLSv1.1 (the session timed out"));
#endif
	free(rep);
}

static void
test_names_and_shapes(void **state)
{
	struct mxlab_probe_report *rep = good_report();
	char *json, *text;

	(void)state;
	assert_string_equal(mxlab_probe_severity_name(MXLAB_PROBE_OK), "OK");
	assert_string_equal(mxlab_probe_severity_name(MXLAB_PROBE_INFO), "INFO");
	assert_string_equal(mxlab_probe_severity_name(MXLAB_PROBE_WARN), "WARN");
	assert_string_equal(mxlab_probe_severity_name(MXLAB_PROBE_ERROR), "ERROR");
	BOTH(rep, (r_->nchain = 1, r_->verified = 0, r_->verify_reasons = MXLAB_VR_UNTRUSTED));
	mxlab_probe_analyse(rep);
	assert_true(mxlab_probe_has(rep, "chain-leaf-only"));
	assert_false(mxlab_probe_has(rep, "nonsense"));
	json = mxlab_probe_report_json(rep);
	assert_non_null(json);
	assert_true(json[0] == '{');
	assert_non_null(strstr(json, "\"target\":\"mx.example.test:25\""));
	assert_non_null(strstr(json, "\"findings\":[{\"id\":\"chain-leaf-only\",\"severity\":\"ERROR\""));
	assert_non_null(strstr(json, "\"verify_reasons\":[\"untrusted-issuer\"]"));
	assert_non_null(strstr(json, "\"accepted\":[\"TLSv1.2\"]"));
	assert_non_null(strstr(json, "\"refused\":[\"TLSv1.0\",\"TLSv1.1\"]"));
	assert_non_null(strstr(json, "\"errors\":1"));
	free(json);
	text = mxlab_probe_report_text(rep);
	assert_non_null(text);
	for (const char *const *s = (const char *const[]){ "\nConnection\n", "\nSTARTTLS\n",
			"\nCertificate chain without SNI\n",
			"\nCertificate chain with SNI mx.example.test\n", "\nVerification ",
			"\nProtocols\n", "\nAUTH\n", "\nFindings\n", "  ERROR chain-leaf-only\n",
			"        seen:  ", "        cause: ", "        fix:   ",
			"openssl s_client -starttls smtp", "-servername mx.example.test",
			"Summary: 1 error", NULL }; *s; s++)
		if (!strstr(text, *s))
			fail_msg("text lacks '%s':\n%s", *s, text);
	for (char *line = text; *line; ) {	/* wrapped at 80 columns at most */
		size_t n = strcspn(line, "\n");

		if (n > 80 && strncmp(line, "  openssl", 9) != 0)
			fail_msg("line of %zu columns: %.*s", n, (int)n, line);
		line += n + (line[n] == '\n');
	}
	free(text);
	free(rep);
}

static void
test_parse_target(void **state)
{
	static const struct { const char *in, *host; unsigned port; int ok; } c[] = {
		{ "mx.example.test", "mx.example.test", 25, 1 },
		{ "mx.example.test:587", "mx.example.test", 587, 1 },
		{ "mx.example.test:submission", "mx.example.test", 587, 1 },
		{ "mx.example.test:smtps", "mx.example.test", 465, 1 },
		{ "127.0.0.1:2525", "127.0.0.1", 2525, 1 },
		{ "[::1]:2525", "::1", 2525, 1 },
		{ "[::1]", "::1", 25, 1 },
		{ "::1", "::1", 25, 1 },
		{ "", NULL, 0, 0 },
		{ "host:0", NULL, 0, 0 },
		{ "host:70000", NULL, 0, 0 },
		{ "host:imap", NULL, 0, 0 },
		{ "[::1", NULL, 0, 0 },
		{ ":25", NULL, 0, 0 },
	};
	char host[256], err[256];
	unsigned port;

	(void)state;
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		int r = mxlab_probe_parse_target(c[i].in, host, sizeof host, &port, err, sizeof err);

		if (!c[i].ok) {
			if (r == 0)
				fail_msg("'%s' accepted", c[i].in);
			assert_true(err[0] != '\0');
			continue;
		}
		if (r != 0)
			fail_msg("'%s': %s", c[i].in, err);
		assert_string_equal(host, c[i].host);
		assert_int_equal(port, c[i].port);
	}
}

/* ---------------------------------------------------------------- live */

static char topdir[] = "/tmp/test_probe.XXXXXX";
static char pkidir[300], rootca[400];

static int
rm_one(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(p);
}

static int
live_setup(void **state)
{
	static const char *const hosts[] = { "mx.example.test,localhost,127.0.0.1",
					     "other.example.test" };
	struct mxlab_pki_options o = { .hosts = hosts, .nhosts = 2 };
	char err[256];

	(void)state;
	if (!mkdtemp(topdir))
		return -1;
	snprintf(pkidir, sizeof pkidir, "%s/pki", topdir);
	snprintf(rootca, sizeof rootca, "%s/ca/root.crt", pkidir);
	o.dir = pkidir;
	if (mxlab_pki_generate(&o, err, sizeof err) != MXLAB_OK) {
		fprintf(stderr, "# pki: %s\n", err);
		return -1;
	}
	return 0;
}

static int
live_teardown(void **state)
{
	(void)state;
	nftw(topdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* Start a server with key/value pairs (NULL-terminated), probe it. */
static struct mxlab_probe_report *
probe_server(const char *name, const char *const *sni, ...)
{
	mxlab_server_config *cfg = mxlab_server_config_new();
	mxlab_server *srv = NULL;
	struct mxlab_probe_report *rep = calloc(1, sizeof *rep);
	struct mxlab_probe_options po = { .ca_file = rootca, .name = name,
					  .sni_names = sni, .timeout_ms = 5000 };
	char err[512], addr[80];
	struct timespec t0, t1;
	va_list ap;
	const char *k;

	assert_non_null(rep);
	assert_int_equal(mxlab_server_config_set(cfg, "listen", "127.0.0.1:0", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_server_config_set(cfg, "pki", pkidir, err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_server_config_set(cfg, "cert", "mx.example.test", err, sizeof err), MXLAB_OK);
	va_start(ap, sni);
	while ((k = va_arg(ap, const char *))) {
		const char *v = va_arg(ap, const char *);

		if (mxlab_server_config_set(cfg, k, v, err, sizeof err) != MXLAB_OK)
			fail_msg("server %s: %s", k, err);
	}
	va_end(ap);
	if (mxlab_server_start(cfg, &srv, err, sizeof err) != MXLAB_OK)
		fail_msg("server: %s", err);
	assert_int_equal(mxlab_server_listener_address(srv, 0, addr, sizeof addr), MXLAB_OK);
	po.target = addr;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (mxlab_probe_run(&po, rep, err, sizeof err) != MXLAB_OK)
		fail_msg("probe: %s", err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	assert_true((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000 < 2000);
	mxlab_server_free(srv);
	mxlab_server_config_free(cfg);
	return rep;
}

static void
test_live_leaf_only(void **state)
{
	struct mxlab_probe_report *rep =
		probe_server("mx.example.test", NULL, "chain", "leaf-only", (char *)NULL);

	(void)state;
	assert_true(rep->connected);
	assert_true(rep->starttls_offered);
	assert_int_equal(rep->nosni.nchain, 1);
	must(rep, "chain-leaf-only", MXLAB_PROBE_ERROR);
	must(rep, "sni-same", MXLAB_PROBE_OK);
	assert_non_null(strstr(rep->versions_accepted, "TLSv1.2"));
	free(rep);
}

static void
test_live_full_and_sni(void **state)
{
	static const char *const extra[] = { "other.example.test", NULL };
	struct mxlab_probe_report *rep =
		probe_server("mx.example.test", extra, "sni", "other.example.test=other.example.test",
			     "tls-min", "1.2", (char *)NULL);

	(void)state;
	assert_int_equal(rep->nosni.nchain, 2);
	assert_true(rep->sni.verified);
	must(rep, "chain-ok", MXLAB_PROBE_OK);
	must(rep, "protocols", MXLAB_PROBE_OK);
	must(rep, "sni-differs", MXLAB_PROBE_INFO);	/* the extra name */
	assert_int_equal(rep->nextra, 1);
	assert_true(rep->extra[0].verified);
	assert_int_equal(mxlab_probe_worst(rep), MXLAB_PROBE_INFO);
	free(rep);

	rep = probe_server("other.example.test", NULL, "sni", "other.example.test=other.example.test",
			   (char *)NULL);
	must(rep, "sni-differs", MXLAB_PROBE_WARN);
	must_not(rep, "name-mismatch");
#if defined(MBEDTLS_SSL_PROTO_TLS1_1)	/* mbedTLS 3.x cannot test 1.0, 1.1 */
	must(rep, "old-protocols", MXLAB_PROBE_WARN);
#endif
	free(rep);
}

static void
test_live_starttls_hidden(void **state)
{
	struct mxlab_probe_report *rep =
		probe_server(NULL, NULL, "starttls", "hide", (char *)NULL);

	(void)state;
	must(rep, "starttls-missing", MXLAB_PROBE_ERROR);
	assert_false(rep->nosni_done);
	free(rep);
}

/* An address without --name: no name is checked, so neither the verdict
 * nor the findings nor the text say name-mismatch, though the leaf does
 * not name the address; the chain's own fault is still there. */
static void
test_live_address_without_name(void **state)
{
	struct mxlab_probe_report *rep =
		probe_server(NULL, NULL, "cert", "other.example.test", "chain", "leaf-only",
			     (char *)NULL);
	char *text, *json;

	(void)state;
	assert_string_equal(rep->name, "");
	assert_true(rep->nosni_done);
	assert_false(rep->sni_done);
	assert_int_equal(rep->nosni.verify_reasons, MXLAB_VR_UNTRUSTED);
	assert_string_equal(rep->nosni.verify_text, "untrusted-issuer");
	assert_string_equal(rep->nosni.verify_name, "");
	must(rep, "chain-leaf-only", MXLAB_PROBE_ERROR);
	must_not(rep, "name-mismatch");
	text = mxlab_probe_report_text(rep);
	assert_non_null(strstr(text, "Verification (name not checked"));
	assert_null(strstr(text, "name-mismatch"));
	json = mxlab_probe_report_json(rep);
	assert_null(strstr(json, "name-mismatch"));
	assert_non_null(strstr(json, "\"verify_name\":null"));
	free(text);
	free(json);
	free(rep);
}

/* A server limited to TLSv1.2 gets tls13-not-offered; one allowing 1.3
 * gets it accepted (only where this mbedTLS speaks 1.3). */
static void
test_live_tls13(void **state)
{
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	struct mxlab_probe_report *rep =
		probe_server("mx.example.test", NULL, "tls-max", "1.2", (char *)NULL);

	(void)state;
	assert_non_null(strstr(rep->versions_refused, "TLSv1.3"));
	must(rep, "tls13-not-offered", MXLAB_PROBE_INFO);
	free(rep);
	rep = probe_server("mx.example.test", NULL, "tls-max", "1.3", (char *)NULL);
	assert_non_null(strstr(rep->versions_accepted, "TLSv1.3"));
	must_not(rep, "tls13-not-offered");
	free(rep);
#else
	struct mxlab_probe_report *rep = probe_server("mx.example.test", NULL, (char *)NULL);

	(void)state;
	assert_non_null(strstr(rep->versions_untested, "TLSv1.3"));
	assert_null(strstr(rep->versions_refused, "TLSv1.3"));
	must_not(rep, "tls13-not-offered");
	free(rep);
#endif
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_leaf_only),
		cmocka_unit_test(test_leaf_only_no_ca),
		cmocka_unit_test(test_root_signed_single),
		cmocka_unit_test(test_untrusted),
		cmocka_unit_test(test_self_signed),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_name_mismatch),
		cmocka_unit_test(test_sni_differs),
		cmocka_unit_test(test_extra_sni),
		cmocka_unit_test(test_starttls),
		cmocka_unit_test(test_tls_failed),
		cmocka_unit_test(test_connect_failed),
		cmocka_unit_test(test_protocols_auth),
		cmocka_unit_test(test_tls13),
		cmocka_unit_test(test_names_and_shapes),
		cmocka_unit_test(test_parse_target),
		/* live: an in-process mxlab server and a PKI in a temp dir */
		cmocka_unit_test(test_live_leaf_only),
		cmocka_unit_test(test_live_full_and_sni),
		cmocka_unit_test(test_live_starttls_hidden),
		cmocka_unit_test(test_live_address_without_name),
		cmocka_unit_test(test_live_tls13),
	};
	return cmocka_run_group_tests_name("probe", tests, live_setup, live_teardown);
}
