/*
 * test_scenario_suite.c: suites (suite.scn) in the scenario reader. The
 * merge rules one by one with suites from memory (sc_suite_load_mem,
 * sc_load_mem_suites): scalars replaced, lists united, [main.cf] and
 * [master.cf] kept as layers in order, servers, clients, probes and files
 * replaced by name or added, [dns] added, [sasl] replaced; the checks of
 * the whole scenario on the result; what a suite refuses; then sc_load
 * finding suites through two directory levels of a mkdtemp directory,
 * with paths relative to each suite's own directory, an error in a suite
 * reported at the suite's line, and the ownership rule.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "scenario.h"

#define TMPDIR_PREFIX "/tmp/mxlab-test-suite"
#include "test_tmpdir.h"


#define OUTER "/s/suite.scn"
#define INNER "/s/in/suite.scn"
#define SCN "/s/in/t.scn"

static void
show_errors(void)
{
	for (size_t i = 0; i < errs.n; i++)
		print_message("# %s\n", errs.msg[i]);
}

static struct sc_suite *
suite(const char *file, const char *text)
{
	struct sc_suite *s = sc_suite_load_mem(file, text, strlen(text), &errs);

	show_errors();
	assert_non_null(s);
	return s;
}

/* The scenario SCN with the suites given (outer first, NULL-terminated). */
static struct scenario *
with(const char *text, ...)
{
	const struct sc_suite *s[8];
	size_t n = 0;
	va_list ap;

	va_start(ap, text);
	while (n < 8 && (s[n] = va_arg(ap, const struct sc_suite *)) != NULL)
		n++;
	va_end(ap);
	sc_errors_free(&errs);
	return sc_load_mem_suites(SCN, text, strlen(text), s, n, &errs);
}

/* There were exactly these errors, in order. */
static void
errors_are(const char *first, ...)
{
	const char *m = first;
	va_list ap;
	size_t i = 0;

	va_start(ap, first);
	for (; m; m = va_arg(ap, const char *), i++) {
		if (i >= errs.n)
			fail_msg("missing error: %s", m);
		assert_string_equal(errs.msg[i], m);
	}
	va_end(ap);
	for (; i < errs.n; i++)
		fail_msg("unexpected error: %s", errs.msg[i]);
	sc_errors_free(&errs);
}

#define HEAD "[scenario]\nsummary = s\n"

static void
test_scalars(void **state)
{
	struct sc_suite *outer, *inner, *bare;
	struct scenario *sc;

	(void)state;
	outer = suite(OUTER, "[scenario]\nsummary = a suite may say what it is\n"
		      "timeout = 40s\nfaketime = +1y\ntags = a b\nrequires = ipv6\n"
		      "requires = postfix >= 3.4\npki-host = one.example\n");
	inner = suite(INNER, "[scenario]\ntimeout = 50s\ntags = b c\nrequires = ipv6\n"
		      "pki-host = two.example\npki-host = one.example\n");
	bare = suite("/s/other/suite.scn", "# nothing\n");
	sc = with(HEAD "tags = c d\nrequires = dane\n", outer, inner, bare, NULL);
	show_errors();
	assert_non_null(sc);
	assert_int_equal(sc->nsuites, 3);
	assert_string_equal(sc->suites[0], OUTER);
	assert_string_equal(sc->suites[1], INNER);
	assert_string_equal(sc->summary, "s");
	assert_int_equal(sc->timeout_ms, 50000);	/* the inner suite's */
	assert_string_equal(sc->faketime, "+1y");	/* only the outer gives one */
	assert_int_equal(sc->ntags, 4);
	assert_string_equal(sc->tags[0], "a");
	assert_string_equal(sc->tags[1], "b");
	assert_string_equal(sc->tags[2], "c");
	assert_string_equal(sc->tags[3], "d");
	assert_int_equal(sc->nrequires, 4);
	assert_string_equal(sc->requires[0], "ipv6");
	assert_string_equal(sc->requires[1], "postfix >= 3.4");
	assert_string_equal(sc->requires[2], "dane");
	assert_string_equal(sc->requires[3], "faketime");	/* implied by faketime */
	assert_int_equal(sc->npki_hosts, 2);
	assert_string_equal(sc->pki_hosts[0], "one.example");
	assert_string_equal(sc->pki_hosts[1], "two.example");
	sc_free(sc);

	/* The scenario's own scalars win. */
	sc = with(HEAD "timeout = 5s\nfaketime = -2d\n", outer, inner, NULL);
	assert_non_null(sc);
	assert_int_equal(sc->timeout_ms, 5000);
	assert_string_equal(sc->faketime, "-2d");
	sc_free(sc);
	/* Only the outer suite: its timeout; none: the default. */
	sc = with(HEAD, outer, NULL);
	assert_int_equal(sc->timeout_ms, 40000);
	sc_free(sc);
	sc = with(HEAD, bare, NULL);
	assert_int_equal(sc->timeout_ms, 20000);
	assert_null(sc->faketime);
	assert_int_equal(sc->ntags + sc->nrequires + sc->npki_hosts, 0);
	sc_free(sc);
	/* A summary is not inherited. */
	assert_null(with("[scenario]\ntags = x\n", outer, NULL));
	errors_are(SCN ":1: [scenario] has no summary", NULL);
	sc_suite_free(outer);
	sc_suite_free(inner);
	sc_suite_free(bare);
	sc_suite_free(NULL);
}

static void
test_layers(void **state)
{
	static const char master[] = "[master.cf]\nsmtp inet n - n - - smtpd\n"
		"evil unix - n n - - /bin/sh\n";
	static const char main[] = "[main.cf]\nx = ${foo}\n";
	struct sc_suite *outer, *inner;
	struct scenario *sc;

	(void)state;
	outer = suite(OUTER, "# outer\n[main.cf]\na = 1\nb = ${pki}/x\n\n"
		      "[master.cf]\nsubmission inet n - n - - smtpd\n");
	inner = suite(INNER, "[main.cf]\nb = 2\n");
	sc = with(HEAD "[main.cf]\nc = 3\n", outer, inner, NULL);
	show_errors();
	assert_non_null(sc);
	assert_string_equal(sc->main_cf, "c = 3\n");
	assert_int_equal(sc->main_cf_line, 4);
	assert_int_equal(sc->nmain_cf_layers, 2);
	assert_string_equal(sc->main_cf_layers[0].origin, OUTER);
	assert_int_equal(sc->main_cf_layers[0].line, 3);
	assert_string_equal(sc->main_cf_layers[0].text, "a = 1\nb = ${pki}/x\n");
	assert_string_equal(sc->main_cf_layers[1].origin, INNER);
	assert_int_equal(sc->main_cf_layers[1].line, 2);
	assert_string_equal(sc->main_cf_layers[1].text, "b = 2\n");
	assert_null(sc->master_cf);
	assert_int_equal(sc->nmaster_cf_layers, 1);
	assert_string_equal(sc->master_cf_layers[0].origin, OUTER);
	assert_int_equal(sc->master_cf_layers[0].line, 7);
	assert_string_equal(sc->master_cf_layers[0].text, "submission inet n - n - - smtpd\n");
	sc_free(sc);
	/* Without suites, no layers. */
	sc = with(HEAD "[main.cf]\nc = 3\n", NULL);
	assert_non_null(sc);
	assert_int_equal(sc->nmain_cf_layers + sc->nmaster_cf_layers + sc->nsuites, 0);
	sc_free(sc);
	sc_suite_free(outer);
	sc_suite_free(inner);

	/* A suite's verbatim text is checked as a scenario's, at its lines. */
	assert_null(sc_suite_load_mem(OUTER, master, sizeof master - 1, &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], OUTER ":3: master.cf service evil: command "
			       "'/bin/sh'"));
	sc_errors_free(&errs);
	assert_null(sc_suite_load_mem(OUTER, main, sizeof main - 1, &errs));
	errors_are(OUTER ":2: unknown variable ${foo} (known: pki, instance, scenario, name; "
		   "a Postfix parameter is written $foo or $(foo))", NULL);
}

static void
test_named(void **state)
{
	static const char own[] =
		HEAD
		"[server extra]\nlisten = 127.0.0.30:25\n"
		"[client c1]\nservice = smtp\n"
		"[client c2]\nservice = 2525\n"
		"[send]\nto = b@x.test\n"
		"[expect]\nstatus = sent\nserver backup tls = yes\nclient c1 tls = yes\n"
		"probe p finding = chain-ok\nstatus s@x.test = sent\n";
	struct sc_suite *outer, *inner;
	struct scenario *sc;

	(void)state;
	outer = suite(OUTER, "[server mx]\nlisten = 127.0.0.10:25\ncert = a.example\n"
		      "[server backup]\nlisten = 127.0.0.11:25\n"
		      "[client c1]\nservice = 587\ntls = starttls\n"
		      "[client by-suite]\nto = s@x.test\nfrom = a@x.test\n"
		      "[probe p]\nname = postfix.mxlab.test\n");
	inner = suite(INNER, "[server mx]\nlisten = 127.0.0.20:25\n");
	sc = with(own, outer, inner, NULL);
	show_errors();
	assert_non_null(sc);
	assert_int_equal(sc->nservers, 3);
	/* mx: the inner one, whole (no cert), in the outer one's place */
	assert_string_equal(sc->servers[0].name, "mx");
	assert_string_equal(sc->servers[0].origin, INNER);
	assert_int_equal(sc->servers[0].line, 1);
	assert_int_equal(sc->servers[0].nkv, 1);
	assert_string_equal(sc->servers[0].kv[0].value, "127.0.0.20:25");
	assert_string_equal(sc->servers[1].name, "backup");
	assert_string_equal(sc->servers[1].origin, OUTER);
	assert_int_equal(sc->servers[1].line, 4);
	assert_string_equal(sc->servers[2].name, "extra");
	assert_string_equal(sc->servers[2].origin, SCN);
	assert_int_equal(sc->nclients, 3);
	assert_string_equal(sc->clients[0].name, "c1");
	assert_string_equal(sc->clients[0].origin, SCN);
	assert_int_equal(sc->clients[0].nkv, 1);
	assert_string_equal(sc->clients[0].kv[0].value, "smtp");
	assert_string_equal(sc->clients[1].name, "by-suite");
	assert_string_equal(sc->clients[1].origin, OUTER);
	assert_string_equal(sc->clients[2].name, "c2");
	assert_int_equal(sc->nprobes, 1);
	assert_string_equal(sc->probes[0].origin, OUTER);
	assert_int_equal(sc->probes[0].line, 12);
	sc_free(sc);

	/* The whole-scenario checks run on the result: without the suites
	 * the same file names what does not exist. */
	assert_null(with(own, NULL));
	errors_are(SCN ":13: no [server backup] in this file",
		   SCN ":15: no [probe p] in this file",
		   SCN ":16: status s@x.test: not a recipient of [send] (b@x.test); no status "
		   "line would ever come for it", NULL);
	assert_null(with(HEAD "[expect]\nserver ghost tls = yes\n", outer, NULL));
	errors_are(SCN ":4: no [server ghost] in this file or its suites", NULL);
	sc_suite_free(outer);
	sc_suite_free(inner);
}

static void
test_files_merge(void **state)
{
	struct sc_suite *outer, *inner;
	struct scenario *sc;

	(void)state;
	outer = suite(OUTER, "[files]\n/a = outer a\n/b = outer b\n");
	inner = suite(INNER, "[files]\n/b = inner b\n/c = ${pki}/ca/root.crt\n");
	sc = with(HEAD "[files]\n/d = own d\n/a = own a\n", outer, inner, NULL);
	show_errors();
	assert_non_null(sc);
	assert_int_equal(sc->nfiles, 4);
	assert_string_equal(sc->files[0].path, "/a");
	assert_string_equal(sc->files[0].value, "own a\n");
	assert_string_equal(sc->files[0].origin, SCN);
	assert_int_equal(sc->files[0].line, 5);
	assert_string_equal(sc->files[1].path, "/b");
	assert_string_equal(sc->files[1].value, "inner b\n");
	assert_string_equal(sc->files[1].origin, INNER);
	assert_int_equal(sc->files[1].line, 2);
	assert_string_equal(sc->files[2].path, "/c");
	assert_int_equal(sc->files[2].kind, SC_FILE_PKI);
	assert_string_equal(sc->files[2].value, "ca/root.crt");
	assert_string_equal(sc->files[3].path, "/d");
	assert_string_equal(sc->files[3].origin, SCN);
	sc_free(sc);
	sc_suite_free(outer);
	sc_suite_free(inner);
}

static void
test_dns_sasl(void **state)
{
	struct sc_suite *outer, *inner;
	struct scenario *sc;

	(void)state;
	outer = suite(OUTER, "[dns]\ndnssec = yes\nmx.x.test A 127.0.0.10\n"
		      "[sasl]\nuser = a:b\nuser = c:d\n");
	inner = suite(INNER, "[dns]\nx.test MX 10 mx.x.test\n"
		      "[sasl]\nuser = e:f\nmechanisms = PLAIN\n");
	sc = with(HEAD "[dns]\nmx.x.test A 127.0.0.11\n", outer, inner, NULL);
	show_errors();
	assert_non_null(sc);
	assert_int_equal(sc->ndns, 3);
	assert_memory_equal(sc->dns[0].a, "\x7f\x00\x00\x0a", 4);
	assert_int_equal(sc->dns[1].type, DNSD_T_MX);
	assert_memory_equal(sc->dns[2].a, "\x7f\x00\x00\x0b", 4);
	assert_int_equal(sc->dnssec, 1);
	assert_true(sc->sasl.present);
	assert_string_equal(sc->sasl.origin, INNER);
	assert_int_equal(sc->sasl.line, 3);
	assert_int_equal(sc->sasl.nusers, 1);
	assert_string_equal(sc->sasl.users[0], "e:f");
	assert_string_equal(sc->sasl.mechanisms, "PLAIN");
	assert_string_equal(sc->sasl.backend, "cyrus");
	sc_free(sc);
	/* The scenario's own [sasl] and dnssec win, whole. */
	sc = with(HEAD "[dns]\ndnssec = no\n[sasl]\nuser = g:h\n", outer, inner, NULL);
	assert_non_null(sc);
	assert_int_equal(sc->dnssec, 0);
	assert_int_equal(sc->ndns, 2);
	assert_string_equal(sc->sasl.origin, SCN);
	assert_int_equal(sc->sasl.nusers, 1);
	assert_string_equal(sc->sasl.users[0], "g:h");
	assert_string_equal(sc->sasl.mechanisms, "PLAIN LOGIN");
	sc_free(sc);
	sc_suite_free(outer);
	sc_suite_free(inner);
	/* A suite's [sasl] must be complete on its own. */
	assert_null(sc_suite_load_mem(OUTER, "[sasl]\nmechanisms = PLAIN\n", 26, &errs));
	errors_are(OUTER ":1: [sasl] has no user (user = NAME:PASSWORD)", NULL);
}

static void
test_refusals(void **state)
{
	static const char bad[] =
		"[scenario]\nseed = S6\n"			/* 1-2 */
		"[send]\nto = a@x.test\n"			/* 3-4 */
		"[expect]\nstatus = sent\nlog = x\n"		/* 5-7 */
		"[server mx]\nlisten = nowhere\n";		/* 8-9 */
	static const char cache[] = "[scenario]\nmta-sts-cache = a.example\n";
	struct sc_suite *s;
	struct scenario *sc;

	(void)state;
	assert_null(sc_suite_load_mem(OUTER, bad, sizeof bad - 1, &errs));
	assert_int_equal(errs.n, 4);
	assert_string_equal(errs.msg[0], OUTER ":2: seed: belongs in a scenario, not in a suite");
	assert_string_equal(errs.msg[1], OUTER ":3: [send] belongs in a scenario, not in a suite");
	assert_string_equal(errs.msg[2], OUTER ":5: [expect] belongs in a scenario, not in a "
			    "suite");
	assert_non_null(strstr(errs.msg[3], OUTER ":9: "));
	sc_errors_free(&errs);
	assert_null(sc_suite_load_mem(OUTER, cache, sizeof cache - 1, &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], OUTER ":2: mta-sts-cache: belongs in a scenario, "
			    "not in a suite");
	sc_errors_free(&errs);

	/* A suite is not a scenario, even in memory. */
	assert_null(sc_load_mem("x/suite.scn", HEAD, strlen(HEAD), &errs));
	errors_are("x/suite.scn: is a suite, not a scenario (its sections are the defaults of "
		   "the scenarios in its directory and below)", NULL);

	/* What a suite's server writes is checked again with the scenario's
	 * name: "...scn" is named "..". */
	s = suite(OUTER, "[server mx]\nlisten = 127.0.0.1:25\nmailbox = ${name}/mb\n");
	sc = with(HEAD, s, NULL);
	assert_non_null(sc);
	sc_free(sc);
	sc_errors_free(&errs);
	assert_null(sc_load_mem_suites("/s/...scn", HEAD, strlen(HEAD),
				       (const struct sc_suite *const *)&s, 1, &errs));
	errors_are(OUTER ":3: mailbox: '${name}/mb' is not inside the scenario's directory "
		   "(a relative path without '..', such as mx.jsonl; ${pki}, ${instance} and "
		   "${scenario} are absolute) (for /s/...scn)", NULL);
	sc_suite_free(s);
}

/* sc_load: suites found in the scenario's directory and above, outer
 * first, each with paths relative to its own directory. */
static void
test_lookup(void **state)
{
	char want[PATH_MAX * 2], scn[PATH_MAX + 64], top[PATH_MAX + 64], mid[PATH_MAX + 64];
	struct scenario *sc;

	(void)state;
	make_dir("data");
	make_dir("pf");
	make_dir("pf2");
	make_dir("a");
	make_dir("a/b");
	write_file("pf/main.cf", "", 0);
	write_file("pf/master.cf", "", 0);
	write_file("pf2/main.cf", "", 0);
	write_file("pf2/master.cf", "", 0);
	write_file("data/h", "from the top\n", 0);
	write_file("suite.scn", "[scenario]\ntags = top\npostfix-config = pf\n"
		   "[files]\n/etc/h = file:data/h\n/etc/x = top\n", 0);
	snprintf(top, sizeof top, "%s", path);
	write_file("a/suite.scn", "[scenario]\ntags = mid\n\n\npostfix-config = ../pf2\n"
		   "[files]\n/etc/x = mid\n", 0);
	snprintf(mid, sizeof mid, "%s", path);
	write_file("a/b/t.scn", HEAD "tags = own\n", 0);
	snprintf(scn, sizeof scn, "%s", path);
	sc = sc_load(scn, &errs);
	show_errors();
	assert_non_null(sc);
	assert_int_equal(sc->nsuites, 2);
	assert_string_equal(sc->suites[0], top);
	assert_string_equal(sc->suites[1], mid);
	assert_int_equal(sc->ntags, 3);
	assert_string_equal(sc->tags[0], "top");
	assert_string_equal(sc->tags[1], "mid");
	assert_string_equal(sc->tags[2], "own");
	snprintf(want, sizeof want, "%s/pf2", dir);
	assert_string_equal(sc->postfix_config, want);
	assert_string_equal(sc->postfix_config_origin, mid);
	assert_int_equal(sc->postfix_config_line, 5);
	assert_int_equal(sc->nfiles, 2);
	assert_string_equal(sc->files[0].value, "from the top\n");
	assert_string_equal(sc->files[0].origin, top);
	assert_string_equal(sc->files[1].value, "mid\n");
	sc_free(sc);

	/* A suite is not loaded as a scenario. */
	assert_null(sc_load(mid, &errs));
	snprintf(want, sizeof want, "%s: is a suite, not a scenario (its sections are the "
		 "defaults of the scenarios in its directory and below)", mid);
	errors_are(want, NULL);
	/* sc_suite_load reads one from disk. */
	{
		struct sc_suite *s = sc_suite_load(mid, &errs);

		assert_non_null(s);
		sc_suite_free(s);
	}

	/* An error in a suite fails every scenario below it, reported at the
	 * suite's line. */
	write_file("a/suite.scn", "[scenario]\ntags = mid\n[expect]\nstatus = sent\n"
		   "[files]\n/etc/y = file:../x\n", 0);
	{
		char m1[PATH_MAX * 3], m2[PATH_MAX * 3], m3[PATH_MAX * 3];

		assert_null(sc_load(scn, &errs));
		snprintf(m1, sizeof m1, "%s:3: [expect] belongs in a scenario, not in a suite", mid);
		snprintf(m2, sizeof m2, "%s:6: /etc/y: file:../x: not inside the directory of %s "
			 "(a relative path without '..')", mid, mid);
		snprintf(m3, sizeof m3, "%s: not loaded: its suite %s has errors", scn, mid);
		errors_are(m1, m2, m3, NULL);
		/* Named itself, a suite is refused before it is read at all. */
		assert_null(sc_load(mid, &errs));
		snprintf(m1, sizeof m1, "%s: is a suite, not a scenario (its sections are the "
			 "defaults of the scenarios in its directory and below)", mid);
		errors_are(m1, NULL);
	}
	/* So does one anyone may write. */
	write_file("a/suite.scn", "[scenario]\ntags = mid\n", 0);
	assert_int_equal(chmod(mid, 0646), 0);
	{
		char m1[PATH_MAX * 3], m2[PATH_MAX * 3];

		assert_null(sc_load(scn, &errs));
		snprintf(m1, sizeof m1, "%s: not used: anyone may write it (a suite applies to "
			 "every scenario below it)", mid);
		snprintf(m2, sizeof m2, "%s: not loaded: its suite %s has errors", scn, mid);
		errors_are(m1, m2, NULL);
	}
	assert_int_equal(chmod(mid, 0644), 0);
	/* And one of another user (only root can make one here). */
	if (geteuid() == 0) {
		assert_int_equal(chown(mid, 4242, 4242), 0);
		assert_null(sc_load(scn, &errs));
		assert_int_equal(errs.n, 2);
		assert_non_null(strstr(errs.msg[0], "suite.scn: not used: owned by uid 4242 (a "
				       "suite applies to every scenario below it: it must belong "
				       "to root, to you or to the scenario's owner)"));
		sc_errors_free(&errs);
		/* ... unless that user owns the scenario too. */
		assert_int_equal(chown(scn, 4242, 4242), 0);
		sc = sc_load(scn, &errs);
		show_errors();
		assert_non_null(sc);
		sc_free(sc);
		assert_int_equal(chown(mid, 0, 0), 0);
		assert_int_equal(chown(scn, 0, 0), 0);
	} else
		print_message("# not root: the owner rule is not tried\n");
	/* A suite.scn that is a dangling link is an error, not ignored. */
	assert_int_equal(unlink(mid), 0);
	assert_int_equal(symlink("nowhere", mid), 0);
	assert_null(sc_load(scn, &errs));
	assert_int_equal(errs.n, 2);
	snprintf(want, sizeof want, "%s: No such file or directory", mid);
	assert_string_equal(errs.msg[0], want);
	sc_errors_free(&errs);
	assert_int_equal(unlink(mid), 0);
	/* Without it, only the top one. */
	sc = sc_load(scn, &errs);
	assert_non_null(sc);
	assert_int_equal(sc->nsuites, 1);
	snprintf(want, sizeof want, "%s/pf", dir);
	assert_string_equal(sc->postfix_config, want);
	sc_free(sc);
}

/* One suite may be applied to many scenarios; it is not changed. */
static void
test_reuse(void **state)
{
	struct sc_suite *s;
	struct scenario *a, *b;

	(void)state;
	s = suite(OUTER, "[scenario]\ntags = x\n[server mx]\nlisten = 127.0.0.1:25\n"
		  "[files]\n/f = text\n[sasl]\nuser = a:b\n");
	a = with(HEAD "[server mx]\nlisten = 127.0.0.2:25\n", s, NULL);
	b = with(HEAD "[files]\n/f = other\n", s, NULL);
	assert_non_null(a);
	assert_non_null(b);
	assert_string_equal(a->servers[0].kv[0].value, "127.0.0.2:25");
	assert_string_equal(b->servers[0].kv[0].value, "127.0.0.1:25");
	assert_string_equal(a->files[0].value, "text\n");
	assert_string_equal(b->files[0].value, "other\n");
	sc_free(a);
	sc_free(b);
	a = with(HEAD, s, NULL);
	assert_non_null(a);
	assert_string_equal(a->servers[0].kv[0].value, "127.0.0.1:25");
	assert_string_equal(a->files[0].value, "text\n");
	assert_string_equal(a->sasl.users[0], "a:b");
	sc_free(a);
	sc_suite_free(s);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars),
		cmocka_unit_test(test_layers),
		cmocka_unit_test(test_named),
		cmocka_unit_test(test_files_merge),
		cmocka_unit_test(test_dns_sasl),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_lookup),
		cmocka_unit_test(test_reuse),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	sc_errors_free(&errs);
	return rc;
}
