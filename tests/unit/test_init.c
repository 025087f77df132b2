/*
 * test_init.c: the core of `mxlab init` without postconf or files: what
 * postconf prints and the configuration's files are handed in as text.
 * pcread (line numbers of parameters, services and -o overrides, the
 * value a service runs with), pfmap (map specs and sources, inline maps,
 * TLS policy values, protocol lists) and initgen (the files a
 * configuration gives, their summaries and expectations, notes,
 * neutralised parameters, errors, and the same output twice).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initgen.h"
#include "pcread.h"
#include "pfmap.h"

/* ---------------------------------------------------------------- a configuration */

static const char main_cf[] =
	"# main.cf\n"
	"myhostname = mail.example.com\n"
	"myorigin = /etc/mailname\n"
	"smtpd_tls_chain_files =\n"
	"    /etc/letsencrypt/live/mail.example.com/privkey.pem,\n"
	"    /etc/letsencrypt/live/mail.example.com/fullchain.pem\n"
	"smtpd_tls_security_level = may\n"
	"smtpd_tls_auth_only = yes\n"
	"smtpd_tls_protocols = >=TLSv1.2\n"
	"tls_server_sni_maps = hash:/etc/postfix/sni\n"
	"smtp_tls_security_level = may\n"
	"smtp_tls_policy_maps = hash:/etc/postfix/tls_policy\n"
	"relayhost = [smarthost.example]:587\n"
	"alias_maps = hash:/etc/aliases\n";

/* postconf -n of it: sorted, continuation lines joined. */
static const char pc_n[] =
	"alias_maps = hash:/etc/aliases\n"
	"myhostname = mail.example.com\n"
	"myorigin = /etc/mailname\n"
	"relayhost = [smarthost.example]:587\n"
	"smtp_tls_policy_maps = hash:/etc/postfix/tls_policy\n"
	"smtp_tls_security_level = may\n"
	"smtpd_tls_auth_only = yes\n"
	"smtpd_tls_chain_files = /etc/letsencrypt/live/mail.example.com/privkey.pem, "
	"/etc/letsencrypt/live/mail.example.com/fullchain.pem\n"
	"smtpd_tls_protocols = >=TLSv1.2\n"
	"smtpd_tls_security_level = may\n"
	"tls_server_sni_maps = hash:/etc/postfix/sni\n";

/* postconf -x: the same, and the defaults init reads. */
static const char pc_x_defaults[] =
	"smtp_tls_secure_cert_match = nexthop, dot-nexthop\n"
	"smtp_tls_verify_cert_match = hostname\n"
	"smtpd_tls_mandatory_protocols = >=TLSv1\n"
	"smtpd_tls_wrappermode = no\n"
	"smtpd_sasl_auth_enable = no\n"
	"syslog_name = postfix\n"
	"smtp_tls_CAfile =\n"
	"config_directory = /tmp/conf\n";

static const char master_cf[] =
	"# master.cf\n"
	"smtp      inet  n       -       y       -       -       smtpd\n"
	"submission inet n       -       y       -       -       smtpd\n"
	"  -o syslog_name=postfix/submission\n"
	"# a comment inside the entry\n"
	"  -o smtpd_tls_security_level=encrypt\n"
	"  -o smtpd_sasl_auth_enable=yes\n"
	"pickup    unix  n       -       y       60      1       pickup\n";

static const char pc_m[] =
	"smtp       inet  n       -       y       -       -       smtpd\n"
	"submission inet  n       -       y       -       -       smtpd -o syslog_name=postfix/submission "
	"-o smtpd_tls_security_level=encrypt -o smtpd_sasl_auth_enable=yes\n"
	"pickup     unix  n       -       y       60      1       pickup\n";

static const char pc_p[] =
	"submission/inet/smtpd_sasl_auth_enable = yes\n"
	"submission/inet/smtpd_tls_security_level = encrypt\n"
	"submission/inet/syslog_name = postfix/submission\n";

static const char tls_policy[] =
	"# partners\n"
	"partner.example   secure match=.partner.example\n"
	"bank.example      secure\n"
	"    match=mx1.bank.example:mx2.bank.example\n"
	"legacy.example    encrypt\n"
	"[relay.example]:25 encrypt\n"
	"fp.example        fingerprint match=AA:BB\n";

static const char sni[] =
	"mail.example.org /etc/letsencrypt/live/mail.example.org/privkey.pem\n"
	"                 /etc/letsencrypt/live/mail.example.org/fullchain.pem\n";

static char *pc_x;
static int missing_policy;

static int
read_map(void *ctx, const char *rel, char **text, char *err, size_t errlen)
{
	(void)ctx;
	*text = NULL;
	if (!strcmp(rel, "tls_policy") && !missing_policy)
		*text = strdup(tls_policy);
	else if (!strcmp(rel, "sni"))
		*text = strdup(sni);
	if (!*text) {
		snprintf(err, errlen, "%s: No such file or directory", rel);
		return -1;
	}
	return 0;
}

static int
load(struct pcr_conf *c)
{
	struct pcr_text t = { pc_n, pc_x, pc_m, pc_p, main_cf, master_cf };
	char err[256];

	return pcr_load(c, &t, err, sizeof err);
}

static int
setup(void **state)
{
	(void)state;
	if (asprintf(&pc_x, "%s%s", pc_n, pc_x_defaults) < 0)
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	free(pc_x);
	return 0;
}

/* ---------------------------------------------------------------- pcread */

static void
test_pcread(void **state)
{
	struct pcr_conf c;
	const struct pcr_param *o;
	const struct pcr_service *sub = NULL;

	(void)state;
	assert_int_equal(load(&c), 0);
	assert_int_equal(pcr_set(&c, "myhostname")->line, 2);
	assert_int_equal(pcr_set(&c, "smtpd_tls_chain_files")->line, 4);	/* continued */
	assert_int_equal(pcr_set(&c, "alias_maps")->line, 14);
	assert_null(pcr_set(&c, "syslog_name"));
	assert_string_equal(pcr_value(&c, "syslog_name"), "postfix");
	assert_string_equal(pcr_value(&c, "no_such_parameter"), "");
	assert_int_equal(c.nsvc, 3);
	assert_int_equal(c.svc[0].line, 2);
	for (size_t i = 0; i < c.nsvc; i++)
		if (!strcmp(c.svc[i].name, "submission"))
			sub = &c.svc[i];
	assert_non_null(sub);
	assert_string_equal(sub->type, "inet");
	assert_string_equal(sub->command, "smtpd");
	assert_string_equal(sub->fields[2], "y");
	assert_int_equal(sub->line, 3);
	assert_string_equal(pcr_svc_value(&c, sub, "smtpd_tls_security_level", &o), "encrypt");
	assert_non_null(o);
	assert_int_equal(o->line, 6);	/* after a comment line */
	assert_string_equal(pcr_svc_value(&c, sub, "smtpd_tls_auth_only", &o), "yes");
	assert_null(o);
	assert_true(pcr_yes("yes") && pcr_yes("TRUE") && !pcr_yes("no") && !pcr_yes(""));
	pcr_free(&c);
	pcr_free(NULL);
}

/* ---------------------------------------------------------------- pfmap */

static void
test_pfmap_specs(void **state)
{
	const char *const dirs[] = { "/etc/postfix", "conf", NULL };
	char **v, type[32], rel[256];
	size_t n;

	(void)state;
	assert_int_equal(pfm_specs("hash:/etc/postfix/a, inline:{x=y, {k = v, w}} texthash:b", &v, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(v[1], "inline:{x=y, {k = v, w}}");
	pfm_strv_free(v, n);

	assert_int_equal(pfm_source("proxy:hash:/etc/postfix/tls_policy", dirs, type, sizeof type,
				    rel, sizeof rel), 0);
	assert_string_equal(type, "hash");
	assert_string_equal(rel, "tls_policy");
	assert_int_equal(pfm_source("lmdb:conf/sub/sni", dirs, type, sizeof type, rel, sizeof rel), 0);
	assert_string_equal(rel, "sub/sni");
	assert_int_equal(pfm_source("hash:/etc/aliases", dirs, type, sizeof type, rel, sizeof rel), 1);
	assert_string_equal(rel, "/etc/aliases");
	assert_int_equal(pfm_source("/etc/postfixx/a", dirs, type, sizeof type, rel, sizeof rel), 2);
	assert_int_equal(pfm_source("hash:/etc/postfixx/a", dirs, type, sizeof type, rel, sizeof rel), 1);
	assert_int_equal(pfm_source("regexp:/etc/postfix/r", dirs, type, sizeof type, rel, sizeof rel), 2);
	assert_int_equal(pfm_source("inline:{a=b}", dirs, type, sizeof type, rel, sizeof rel), 2);
	assert_string_equal(type, "inline");
}

static void
test_pfmap_parse(void **state)
{
	struct pfm_entry *e;
	size_t n;

	(void)state;
	assert_int_equal(pfm_parse(tls_policy, &e, &n), 0);
	assert_int_equal(n, 5);
	assert_string_equal(e[0].key, "partner.example");
	assert_string_equal(e[0].value, "secure match=.partner.example");
	assert_int_equal(e[0].line, 2);
	assert_string_equal(e[1].value, "secure match=mx1.bank.example:mx2.bank.example");
	assert_int_equal(e[1].line, 3);
	assert_int_equal(e[2].line, 5);
	pfm_entries_free(e, n);

	/* CRLF, a comment inside an entry, a last line without LF, blanks. */
	assert_int_equal(pfm_parse("a b\r\n# c\n  c\r\n\n   \nd   e f  ", &e, &n), 0);
	assert_int_equal(n, 2);
	assert_string_equal(e[0].value, "b c");
	assert_string_equal(e[1].value, "e f");
	assert_int_equal(e[1].line, 6);
	pfm_entries_free(e, n);
	assert_int_equal(pfm_parse("", &e, &n), 0);
	assert_int_equal(n, 0);
	pfm_entries_free(e, n);

	assert_int_equal(pfm_parse_inline("inline:{a.example=secure, { b.example = secure "
					  "match=x:y }, c=may}", &e, &n), 0);
	assert_int_equal(n, 3);
	assert_string_equal(e[1].key, "b.example");
	assert_string_equal(e[1].value, "secure match=x:y");
	assert_string_equal(e[2].value, "may");
	pfm_entries_free(e, n);
}

static void
test_pfmap_policy(void **state)
{
	struct pfm_policy p;
	char err[256];

	(void)state;
	assert_int_equal(pfm_policy_parse("Secure match=.a.example:b protocols=>=TLSv1.2", &p, err,
					  sizeof err), 0);
	assert_string_equal(p.level, "secure");
	assert_string_equal(p.match, ".a.example:b");
	assert_string_equal(p.protocols, ">=TLSv1.2");
	assert_int_equal(pfm_policy_parse("dane-only", &p, err, sizeof err), 0);
	assert_string_equal(p.level, "dane-only");
	assert_int_equal(pfm_policy_parse("strict", &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "unknown TLS security level 'strict'"));

	assert_true(pfm_proto_refused(">=TLSv1.2", 1));
	assert_false(pfm_proto_refused(">=TLSv1.2", 2));
	assert_true(pfm_proto_refused("!SSLv2, !SSLv3, !TLSv1, !TLSv1.1", 0));
	assert_false(pfm_proto_refused("!SSLv2, !SSLv3, !TLSv1", 1));
	assert_true(pfm_proto_refused("TLSv1.2 TLSv1.3", 1));
	assert_false(pfm_proto_refused("TLSv1.2:TLSv1.3", 3));
	assert_true(pfm_proto_refused("<=TLSv1.1", 2));
	assert_false(pfm_proto_refused("", 0));
	assert_false(pfm_proto_refused(">=TLSv1", 0));
}

/* ---------------------------------------------------------------- initgen */

static const char *
file_text(const struct ig_out *o, const char *path)
{
	for (size_t i = 0; i < o->nfiles; i++)
		if (!strcmp(o->files[i].path, path))
			return o->files[i].text;
	return NULL;
}

static int
generate(struct ig_out *o, char *err, size_t errlen)
{
	const char *const dirs[] = { "/etc/postfix", "/tmp/conf", NULL };
	struct pcr_conf c;
	struct ig_in in;
	int r;

	if (load(&c) < 0)
		return -2;
	in = (struct ig_in){ &c, "../conf", dirs, read_map, NULL };
	r = ig_generate(&in, o, err, errlen);
	pcr_free(&c);
	return r;
}

static void
test_initgen_files(void **state)
{
	struct ig_out o;
	char err[512];
	const char *t;

	(void)state;
	assert_int_equal(generate(&o, err, sizeof err), 0);
	for (size_t i = 1; i < o.nfiles; i++)
		assert_true(strcmp(o.files[i - 1].path, o.files[i].path) < 0);
	assert_non_null(t = file_text(&o, "suite.scn"));
	assert_non_null(strstr(t, "postfix-config = ../conf\n"));
	/* relayhost would take the mail elsewhere; no CA file for secure. */
	assert_non_null(strstr(t, "relayhost = [smarthost.example]:587 (main.cf:13)"));
	assert_non_null(strstr(t, "\nrelayhost =\n"));
	assert_non_null(strstr(t, "\nsmtp_tls_CAfile = ${pki}/ca/root.crt\n"));
	/* Level 0 (the default) logs none of the lines the checks read. */
	assert_non_null(strstr(t, "\nsmtp_tls_loglevel = 1\n"));
	assert_non_null(strstr(t, "\nsmtpd_tls_loglevel = 1\n"));
	assert_non_null(strstr(t, "\nmail.example.com A 127.0.0.1\n"));
	assert_non_null(strstr(t, "\nmail.example.org A 127.0.0.1\n"));
	assert_non_null(strstr(t, "\nbank.example MX 10 mx1.bank.example\n"));
	assert_non_null(strstr(t, "\npartner.example MX 10 mx.partner.example\n"));
	assert_non_null(strstr(t, "[server bank-example]\nlisten = 127.0.0.10:25\n"));
	assert_non_null(strstr(t, "/etc/mailname = mail.example.com\n"));
	assert_non_null(strstr(t, "/etc/aliases = file:aliases\n"));
	assert_non_null(strstr(t, "[sasl]\nuser = "));
	assert_null(strstr(t, "dnssec"));
	/* Not checked, and said so. */
	assert_non_null(strstr(t, "tls_policy:6: smtp_tls_policy_maps key [relay.example]:25"));
	assert_non_null(strstr(t, "tls_policy:7: fp.example fingerprint"));
	assert_non_null(t = file_text(&o, "aliases"));
	assert_non_null(strstr(t, "postmaster: root\n"));

	/* Outbound: the level's peers, each naming the line it protects. */
	assert_non_null(t = file_text(&o, "outbound/bank.example-secure-leaf-only.scn"));
	assert_non_null(strstr(t, "summary = protects tls_policy:3 smtp_tls_policy_maps entry "
			       "bank.example secure (main.cf:12): "));
	assert_non_null(strstr(t, "[server bank-example]\nlisten = 127.0.0.10:25\n"
			       "cert   = mx1.bank.example\nchain = leaf-only\n"));
	assert_non_null(strstr(t, "status = deferred 4.7.5\n"));
	assert_non_null(strstr(t, "log smtp = certificate verification failed for "
			       "mx1\\.bank\\.example\\[127\\.0\\.0\\.10\\]:25: untrusted issuer\n"));
	assert_non_null(file_text(&o, "outbound/bank.example-secure-good.scn"));
	assert_non_null(file_text(&o, "outbound/bank.example-secure-wrong-name.scn"));
	assert_non_null(t = file_text(&o, "outbound/legacy.example-encrypt-no-starttls.scn"));
	assert_non_null(strstr(t, "starttls = hide\n"));
	assert_non_null(strstr(t, "status = deferred 4.7.4\n"));
	assert_non_null(file_text(&o, "outbound/legacy.example-encrypt-self-signed.scn"));
	assert_null(file_text(&o, "outbound/legacy.example-encrypt-good.scn"));
	assert_non_null(t = file_text(&o, "outbound/default-may-no-starttls.scn"));
	assert_non_null(strstr(t, "summary = protects main.cf:11 smtp_tls_security_level = may"));

	/* Inbound. */
	assert_non_null(t = file_text(&o, "inbound/submission-starttls.scn"));
	assert_non_null(strstr(t, "summary = protects master.cf:3 submission "
			       "(smtpd_tls_security_level = encrypt, master.cf:6) and main.cf:4 "
			       "smtpd_tls_chain_files: STARTTLS required"));
	assert_non_null(strstr(t, "connect = mail.example.com:587\n"));
	assert_non_null(strstr(t, "client starttls chain-length = 2\n"));
	assert_non_null(strstr(t, "client mail-in-clear reply mail = 530 5\\.7\\.0 Must issue"));
	assert_non_null(t = file_text(&o, "inbound/smtp-starttls.scn"));
	assert_non_null(strstr(t, "sni = none\nverify-name = mail.example.com\n"));
	assert_non_null(strstr(t, "client starttls subject = CN=mail\\.example\\.com\n"));
	assert_non_null(t = file_text(&o, "inbound/submission-auth.scn"));
	assert_non_null(strstr(t, "client auth-in-clear reply auth = 530 "));
	assert_non_null(strstr(t, "client auth-after-tls reply auth = 235\n"));
	assert_null(file_text(&o, "inbound/smtp-auth.scn"));	/* no SASL on 25 */
	assert_non_null(t = file_text(&o, "inbound/smtp-protocols.scn"));
	assert_non_null(strstr(t, "main.cf:9 smtpd_tls_protocols = >=TLSv1.2 on master.cf:2 smtp: "
			       "TLSv1 and TLSv1.1 refused, TLSv1.2 accepted"));
	assert_non_null(strstr(t, "log smtpd = SSL_accept error from"));
	assert_null(file_text(&o, "inbound/submission-protocols.scn"));	/* >=TLSv1 */
	assert_non_null(t = file_text(&o, "inbound/sni-mail.example.org.scn"));
	assert_non_null(strstr(t, "protects sni:1 tls_server_sni_maps entry mail.example.org "
			       "(main.cf:10)"));
	assert_non_null(strstr(t, "client sni subject = CN=mail\\.example\\.org\n"));
	for (size_t i = 0; i < o.nfiles; i++)
		assert_int_equal(strncmp(o.files[i].text, IG_MARK, strlen(IG_MARK)), 0);
	ig_out_free(&o);
	ig_out_free(NULL);
}

static void
test_initgen_same_twice(void **state)
{
	struct ig_out a, b;
	char err[512];

	(void)state;
	assert_int_equal(generate(&a, err, sizeof err), 0);
	assert_int_equal(generate(&b, err, sizeof err), 0);
	assert_int_equal(a.nfiles, b.nfiles);
	for (size_t i = 0; i < a.nfiles; i++) {
		assert_string_equal(a.files[i].path, b.files[i].path);
		assert_string_equal(a.files[i].text, b.files[i].text);
	}
	ig_out_free(&a);
	ig_out_free(&b);
}

static void
test_initgen_errors(void **state)
{
	struct ig_out o;
	char err[512];

	(void)state;
	missing_policy = 1;
	assert_int_equal(generate(&o, err, sizeof err), -1);
	missing_policy = 0;
	assert_non_null(strstr(err, "main.cf:12: smtp_tls_policy_maps = hash:/etc/postfix/tls_policy: "
			       "cannot read its source tls_policy: tls_policy: No such file"));
	assert_int_equal(o.nfiles, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pcread),
		cmocka_unit_test(test_pfmap_specs),
		cmocka_unit_test(test_pfmap_parse),
		cmocka_unit_test(test_pfmap_policy),
		cmocka_unit_test(test_initgen_files),
		cmocka_unit_test(test_initgen_same_twice),
		cmocka_unit_test(test_initgen_errors),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
