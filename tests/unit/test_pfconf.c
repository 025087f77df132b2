/*
 * test_pfconf.c: reading a user's Postfix configuration the way Postfix
 * does (logical lines), writing layers over it, finding the files it
 * names, and the list of what the sandbox changes in it (the override
 * list of docs/runner.md).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfconf.h"
#include "pfinst.h"
#include "pfrefs.h"

static void
test_main_parse(void **state)
{
	struct cf_main m = { 0 };
	const struct cf_def *d;

	(void)state;
	assert_int_equal(cf_main_parse(&m, "# c\n"
				       "a = 1\n"
				       "b =\n"
				       "# a comment ends nothing\n"
				       "\n"
				       "    x,\n"
				       "\ty\n"
				       "a=2\n"
				       "junk line\n", "main.cf", 1), 0);
	assert_int_equal(m.n, 3);
	d = cf_main_get(&m, "a");
	assert_string_equal(d->value, "2");
	assert_int_equal(d->line, 8);
	d = cf_main_get(&m, "b");
	assert_string_equal(d->value, "x, y");
	assert_int_equal(d->line, 3);
	assert_string_equal(d->origin, "main.cf");
	assert_null(cf_main_get(&m, "junk"));
	cf_main_free(&m);
}

static void
test_master_parse(void **state)
{
	struct cf_master m = { 0 };

	(void)state;
	assert_int_equal(cf_master_parse(&m, "smtp inet n - y - - smtpd\n"
					 "submission inet n - y - - smtpd\n"
					 "  -o syslog_name=postfix/submission\n"
					 "# -o smtpd_tls_security_level=none\n"
					 "  -o smtpd_tls_security_level=encrypt\n"
					 "  -o { smtpd_x = 1 }\n"
					 "short line\n", "master.cf", 10), 0);
	assert_int_equal(m.n, 2);
	assert_string_equal(m.sv[1].f[0], "submission");
	assert_string_equal(m.sv[1].f[4], "y");
	assert_int_equal(m.sv[1].line, 11);
	assert_string_equal(cf_service_option(&m.sv[1], "smtpd_tls_security_level"), "encrypt");
	assert_string_equal(cf_service_option(&m.sv[1], "syslog_name"), "postfix/submission");
	assert_null(cf_service_option(&m.sv[0], "syslog_name"));
	cf_master_free(&m);
}

static void
test_overlay(void **state)
{
	char *t;

	(void)state;
	/* A definition the layer redefines becomes a comment, continuation
	 * lines included; comments and blank lines in between end nothing. */
	t = cf_overlay("a = 1\nb = x,\n# c\n\n  y\nc = 3\n", "b = z\n", "suite.scn:4", 0);
	assert_non_null(t);
	assert_string_equal(t, "a = 1\n# (replaced below) b = x,\n# c\n\n# (replaced below)   y\n"
			    "c = 3\n# --- from suite.scn:4 ---\nb = z\n");
	free(t);
	/* master.cf: by service name and type. */
	t = cf_overlay("smtp inet n - y - - smtpd\nsmtp unix - - y - - smtp\n",
		       "smtp inet n - n - - smtpd -o x=1", "t.scn:9", 1);
	assert_string_equal(t, "# (replaced below) smtp inet n - y - - smtpd\n"
			    "smtp unix - - y - - smtp\n# --- from t.scn:9 ---\n"
			    "smtp inet n - n - - smtpd -o x=1\n");
	free(t);
}

static void
test_expand(void **state)
{
	struct cf_main m = { 0 };
	const char *defaults[] = { "config_directory", "/etc/postfix", NULL };
	char *v;

	(void)state;
	assert_int_equal(cf_main_parse(&m, "d = $config_directory/certs\nloop = $loop\n", "m", 1), 0);
	v = cf_expand(&m, defaults, "${d}/a.pem $(config_directory) $$x");
	assert_string_equal(v, "/etc/postfix/certs/a.pem /etc/postfix $x");
	free(v);
	assert_null(cf_expand(&m, defaults, "$unknown/x"));
	assert_null(cf_expand(&m, defaults, "${d?yes}"));
	assert_null(cf_expand(&m, defaults, "$loop"));
	cf_main_free(&m);
}

static const struct cf_ref *
ref(const struct cf_refs *r, const char *path)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->r[i].path, path))
			return &r->r[i];
	return NULL;
}

static void
test_refs(void **state)
{
	struct cf_main m = { 0 };
	struct cf_master ms = { 0 };
	struct cf_refs r = { 0 };
	const char *defaults[] = { "config_directory", "/etc/postfix", NULL };
	const struct cf_ref *x;

	(void)state;
	assert_int_equal(cf_main_parse(&m,
		"smtpd_tls_cert_file = /etc/ssl/mail.pem\n"
		"smtpd_tls_key_file = $config_directory/mail.key\n"
		"smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt\n"
		"smtpd_tls_chain_files = /le/live/m.example/privkey.pem,\n"
		"   /le/live/m.example/fullchain.pem\n"
		"smtp_tls_policy_maps = proxy:hash:/etc/postfix/tls_policy\n"
		"alias_maps = hash:/etc/aliases\n"
		"alias_database = hash:/etc/aliases\n"
		"tls_server_sni_maps = hash:$config_directory/sni\n"
		"header_checks = regexp:/etc/postfix/header_checks\n"
		"myorigin = /etc/mailname\n"
		"smtpd_tls_session_cache_database = btree:/var/lib/postfix/smtpd_scache\n"
		"smtp_tls_CApath = /etc/ssl/certs\n"
		"mydestination = $unknown/x\n"
		"smtpd_recipient_restrictions = check_recipient_access inline:{ a=OK },\n"
		"  check_client_access cidr:/etc/postfix/clients.cidr\n", "main.cf", 1), 0);
	assert_int_equal(cf_master_parse(&ms, "submission inet n - y - - smtpd\n"
					 "  -o smtpd_tls_cert_file=/etc/ssl/sub.pem\n", "master.cf", 1), 0);
	assert_int_equal(cf_refs_find(&r, &m, &ms, defaults), 0);

	assert_non_null(x = ref(&r, "/etc/ssl/mail.pem"));
	assert_int_equal(x->kind, CF_REF_CERT);
	assert_int_equal(x->line, 1);
	assert_non_null(x = ref(&r, "/etc/postfix/mail.key"));
	assert_int_equal(x->kind, CF_REF_KEY);
	assert_int_equal(ref(&r, "/etc/ssl/certs/ca-certificates.crt")->kind, CF_REF_CA);
	assert_non_null(x = ref(&r, "/le/live/m.example/fullchain.pem"));
	assert_int_equal(x->kind, CF_REF_CHAIN);
	assert_int_equal(x->nfiles, 2);
	assert_int_equal(x->index, 1);
	assert_non_null(x = ref(&r, "/etc/postfix/tls_policy"));
	assert_int_equal(x->kind, CF_REF_MAP);
	assert_string_equal(x->maptype, "hash");
	assert_non_null(x = ref(&r, "/etc/postfix/sni"));
	assert_true(x->sni);
	assert_int_equal(ref(&r, "/etc/postfix/header_checks")->kind, CF_REF_FILE);
	assert_int_equal(ref(&r, "/etc/postfix/clients.cidr")->kind, CF_REF_FILE);
	assert_int_equal(ref(&r, "/etc/mailname")->kind, CF_REF_FILE);
	assert_non_null(x = ref(&r, "/etc/ssl/sub.pem"));
	assert_string_equal(x->what, "submission inet -o smtpd_tls_cert_file");
	assert_string_equal(x->origin, "master.cf");
	/* Caches, directories, unknown names: not references. */
	assert_null(ref(&r, "/var/lib/postfix/smtpd_scache"));
	assert_null(ref(&r, "/etc/ssl/certs"));
	/* alias_database is built with postalias. */
	{
		int alias = 0;

		for (size_t i = 0; i < r.n; i++)
			alias |= !strcmp(r.r[i].path, "/etc/aliases") && r.r[i].alias;
		assert_true(alias);
	}
	cf_refs_free(&r);
	assert_int_equal(cf_refs_sni(&r, "# c\nmail.example.org /le/org/privkey.pem /le/org/fullchain.pem\n"
				     ".example.net /le/net/all.pem\n", "sni", "tls_server_sni_maps"), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.r[0].name, "mail.example.org");
	assert_int_equal(r.r[0].line, 2);
	assert_int_equal(r.r[1].nfiles, 2);
	assert_string_equal(r.r[2].name, ".example.net");
	assert_int_equal(r.r[2].nfiles, 1);
	cf_refs_free(&r);
	/* An entry's files on continuation lines (a comment between) are its. */
	assert_int_equal(cf_refs_sni(&r, "mail.example.org /le/org/privkey.pem\n# c\n"
				     "    /le/org/fullchain.pem\n\nb.example /b.pem\n", "sni",
				     "tls_server_sni_maps"), 0);
	assert_int_equal(r.n, 3);
	assert_string_equal(r.r[1].path, "/le/org/fullchain.pem");
	assert_string_equal(r.r[1].name, "mail.example.org");
	assert_int_equal(r.r[1].line, 3);
	assert_int_equal(r.r[1].index, 1);
	assert_int_equal(r.r[0].nfiles, 2);
	assert_string_equal(r.r[2].name, "b.example");
	assert_int_equal(r.r[2].nfiles, 1);
	cf_refs_free(&r);
	cf_main_free(&m);
	cf_master_free(&ms);
}

static void
test_certbot(void **state)
{
	char name[64], base[32];

	(void)state;
	assert_true(cf_certbot_path("/etc/letsencrypt/live/mail.example.com/fullchain.pem", name,
				    sizeof name, base, sizeof base));
	assert_string_equal(name, "mail.example.com");
	assert_string_equal(base, "fullchain");
	assert_true(cf_certbot_path("/x/live/a/privkey.pem", name, sizeof name, base, sizeof base));
	assert_string_equal(base, "privkey");
	assert_false(cf_certbot_path("/x/live/a/other.pem", name, sizeof name, base, sizeof base));
	assert_false(cf_certbot_path("/x/live/a/b/cert.pem", name, sizeof name, base, sizeof base));
	assert_false(cf_certbot_path("/x/archive/a/cert1.pem", name, sizeof name, base, sizeof base));
}

static int
has(const struct pf_changes *ch, const char *line)
{
	for (size_t i = 0; i < ch->n; i++)
		if (!strcmp(ch->v[i], line))
			return 1;
	return 0;
}

/* The override list: what the sandbox changes in a user's configuration,
 * each change recorded, nothing else touched. */
static void
test_user_config(void **state)
{
	struct pf_system sys = { { 0 } };
	struct pf_instance pf;
	const char *vals[PF_SYS_N] = {
		"3.7.11", "/etc/postfix", "/var/spool/postfix", "/var/lib/postfix", "/var/mail",
		"/usr/lib/postfix/sbin", "/usr/sbin", "/etc/postfix", "/usr/lib/postfix",
		"/usr/sbin/sendmail", "/usr/bin/newaliases", "/usr/bin/mailq", "postfix", "postdrop",
	};
	const struct pf_layer layer = { "myhostname = mx.test\ninet_interfaces = 10.0.0.1\n", "s.scn", 4 };
	struct pf_config cfg = {
		.user_main = "myhostname = mail.example.com\nqueue_directory = /var/spool/postfix\n"
			     "inet_interfaces = all\nsmtpd_tls_security_level = may\n",
		.user_master = "smtp inet n - y - - smtpd\n"
			       "192.0.2.1:submission inet n - - - - smtpd\n"
			       "  -o smtpd_tls_security_level=encrypt\n"
			       "pickup unix n - n 60 1 pickup\n",
		.etc = "/etc/postfix", .main_layers = &layer, .nmain = 1, .faketime = "+1d",
	};
	struct pf_changes ch = { 0 };
	char *m, *ms;

	(void)state;
	for (int i = 0; i < PF_SYS_N; i++)
		sys.v[i] = strdup(vals[i]);
	memset(&pf, 0, sizeof pf);
	snprintf(pf.dir, sizeof pf.dir, "/w/001-x/postfix");
	snprintf(pf.etc, sizeof pf.etc, "/etc/postfix");
	snprintf(pf.spool, sizeof pf.spool, "/w/001-x/postfix/spool");
	snprintf(pf.data, sizeof pf.data, "/w/001-x/postfix/data");
	snprintf(pf.maillog, sizeof pf.maillog, "/w/001-x/postfix/maillog");
	snprintf(pf.faketime, sizeof pf.faketime, "+1d");
	assert_non_null(m = pf_main_cf_text(&pf, &sys, &cfg, &ch));
	assert_true(has(&ch, "main.cf queue_directory: /var/spool/postfix -> /w/001-x/postfix/spool"));
	assert_true(has(&ch, "main.cf data_directory: (default) /var/lib/postfix -> /w/001-x/postfix/data"));
	assert_true(has(&ch, "main.cf maillog_file: (default) (empty) -> /w/001-x/postfix/maillog"));
	assert_true(has(&ch, "main.cf inet_interfaces: 10.0.0.1 -> loopback-only"));
	assert_non_null(strstr(m, "\nimport_environment = MAIL_CONFIG"));
	assert_non_null(strstr(m, " LD_PRELOAD FAKETIME\n"));
	/* Unchanged owned values are not listed; the user's own lines stay. */
	assert_false(has(&ch, "main.cf config_directory: (default) /etc/postfix -> /etc/postfix"));
	assert_non_null(strstr(m, "\nsmtpd_tls_security_level = may\n"));
	assert_non_null(strstr(m, "# (replaced below) myhostname = mail.example.com\n"));
	assert_non_null(strstr(m, "\nmyhostname = mx.test\n"));
	assert_non_null(strstr(m, "\n# owned by the mxlab sandbox: queue_directory = /var/spool/postfix\n"));
	free(m);

	assert_non_null(ms = pf_master_cf_text(&cfg, &ch));
	assert_true(has(&ch, "master.cf smtp inet: chroot y -> n"));
	assert_true(has(&ch, "master.cf 192.0.2.1:submission inet: chroot - -> n"));
	assert_true(has(&ch, "master.cf 192.0.2.1:submission inet: listens on 127.0.0.1:submission instead"));
	assert_true(has(&ch, "master.cf postlog unix-dgram: added (maillog_file needs it)"));
	assert_false(has(&ch, "master.cf pickup unix: chroot n -> n"));
	assert_non_null(strstr(ms, "smtp inet n - n - - smtpd\n"));
	assert_non_null(strstr(ms, "127.0.0.1:submission inet n - n - - smtpd\n"
			       "  -o smtpd_tls_security_level=encrypt\n"));
	assert_non_null(strstr(ms, "\npostlog   unix-dgram n"));
	free(ms);
	pf_changes_free(&ch);
	pf_system_free(&sys);
}

/* A master.cf line too long to rewrite is kept whole, never cut. */
/* A line of the layered text back to the file and line it came from. */
static void
test_origin_of_line(void **state)
{
	char *t1 = cf_overlay("a = 1\nb = 2\n", "c = 3\nd = 4\n", "lab/main.cf:1", 0);
	char *t2 = cf_overlay(t1, "e = 5\n", "x.scn:40", 0);
	char *t3 = NULL, buf[64];

	(void)state;
	assert_non_null(t2);
	/* 1 a, 2 b, 3 mark, 4 c, 5 d, 6 mark, 7 e */
	assert_int_equal(cf_origin_of_line(t2, 5, buf, sizeof buf), 0);
	assert_string_equal(buf, "lab/main.cf:2");
	assert_int_equal(cf_origin_of_line(t2, 7, buf, sizeof buf), 0);
	assert_string_equal(buf, "x.scn:40");
	assert_int_equal(cf_origin_of_line(t2, 2, buf, sizeof buf), -1);
	assert_string_equal(buf, "");
	assert_int_equal(cf_origin_of_line(t2, 99, buf, sizeof buf), -1);
	/* after another kind of mark: not a layer's line */
	assert_int_not_equal(asprintf(&t3, "%s# --- owned by the mxlab sandbox ---\nq = 1\n", t2), -1);
	assert_int_equal(cf_origin_of_line(t3, 9, buf, sizeof buf), -1);
	free(t1);
	free(t2);
	free(t3);
}

static void
test_master_long_line(void **state)
{
	struct pf_config cfg = { .user_main = "x = 1\n" };
	struct pf_changes ch = { 0 };
	size_t n = 6000;
	char *text = malloc(n + 64), *ms;
	size_t head;

	(void)state;
	assert_non_null(text);

	strcpy(text, "smtp inet n - y - - smtpd -o smtpd_banner=");
	head = strlen(text);
	memset(text + head, 'b', n);
	strcpy(text + head + n, "\n");
	cfg.user_master = text;
	assert_non_null(ms = pf_master_cf_text(&cfg, &ch));
	assert_non_null(strstr(ms, text));
	free(ms);
	free(text);
	pf_changes_free(&ch);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_main_parse),
		cmocka_unit_test(test_master_parse),
		cmocka_unit_test(test_overlay),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_refs),
		cmocka_unit_test(test_certbot),
		cmocka_unit_test(test_user_config),
		cmocka_unit_test(test_master_long_line),
		cmocka_unit_test(test_origin_of_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
