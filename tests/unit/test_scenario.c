/*
 * test_scenario.c: the scenario file reader. Each test writes scenario text
 * into a file of a mkdtemp directory and loads it: a complete good file
 * (every field checked), defaults, then one test per error message (the
 * exact "FILE:LINE: message"), several errors in one file, the value
 * checkers, sc_expand and sc_server_config; sc_load_mem on the same text.
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
#include "maillog.h"

#define TMPDIR_PREFIX "/tmp/mxlab-test-scenario"
#include "test_tmpdir.h"


/* The file fails with exactly these messages ("LINE: message", the file
 * name is prefixed here), in order. */
static void
fails_with(const char *text, ...)
{
	struct scenario *sc = load(text);
	char want[PATH_MAX + 2200];
	const char *m;
	va_list ap;
	size_t i = 0;

	assert_null(sc);
	va_start(ap, text);
	while ((m = va_arg(ap, const char *)) != NULL) {
		snprintf(want, sizeof want, "%s:%s", path, m);
		if (i >= errs.n)
			fail_msg("missing error: %s", want);
		assert_string_equal(errs.msg[i], want);
		i++;
	}
	va_end(ap);
	for (; i < errs.n; i++)
		fail_msg("unexpected error: %s", errs.msg[i]);
	sc_errors_free(&errs);
}

#define HEAD "[scenario]\nsummary = s\n"

/* The file fails with one message that holds this text. */
static void
fails_like(const char *text, const char *part)
{
	struct scenario *sc = load(text);

	assert_null(sc);
	if (errs.n != 1 || !strstr(errs.msg[0], part))
		fail_msg("want one error with '%s', got %zu: %s", part, errs.n,
			 errs.n ? errs.msg[0] : "");
	sc_errors_free(&errs);
}

static const char good[] =
	"# a complete scenario\n"				/* 1 */
	"[scenario]\n"						/* 2 */
	"summary  = secure policy defers a leaf-only peer\n"	/* 3 */
	"seed     = S6 S11  S14\n"				/* 4 */
	"tags     = outbound secure\n"				/* 5 */
	"requires = postfix>=3.4\n"				/* 6 */
	"requires = dane\n"					/* 7 */
	"timeout  = 30s\n"					/* 8 */
	"faketime = +5y\n"					/* 9 */
	"pki-host = other.example.test,127.0.0.11\n"		/* 10 */
	"\n"							/* 11 */
	"[main.cf]\n"						/* 12 */
	"\n"							/* 13 */
	"# Postfix comment, kept\n"				/* 14 */
	"smtp_tls_policy_maps = inline:{ partner.example = secure }\n" /* 15 */
	"smtp_tls_CAfile = ${pki}/ca/root.crt\n"		/* 16 */
	"\n"							/* 17 */
	"\n"							/* 18 */
	"[master.cf]\n"						/* 19 */
	"smtp      inet  n       -       n       -       -       smtpd\n" /* 20 */
	"[dns]\n"						/* 21 */
	"dnssec = yes\n"					/* 22 */
	"partner.example     MX 10 mx.partner.example\n"	/* 23 */
	"# comment\n"						/* 24 */
	"mx.partner.example  A  127.0.0.10\n"			/* 25 */
	"[server mx]\n"						/* 26 */
	"listen   = mx.partner.example:25\n"			/* 27 */
	"starttls = offer\n"					/* 28 */
	"cert     = mx.partner.example\n"			/* 29 */
	"chain    = leaf-only\n"				/* 30 */
	"transcript = mx-${name}.jsonl\n"			/* 31 */
	"[server backup]\n"					/* 32 */
	"listen=127.0.0.11:25\n"				/* 33 */
	"[client sub]\n"					/* 34 */
	"service = 587\n"					/* 35 */
	"tls = starttls\n"					/* 36 */
	"[send]\n"						/* 37 */
	"from = alice@example.test\n"				/* 38 */
	"to   = bob@partner.example carol@partner.example\n"	/* 39 */
	"to   = dave@partner.example\n"				/* 40 */
	"subject = hello\n"					/* 41 */
	"header = X-Test: yes\n"				/* 42 */
	"header = X-Other: 1\n"					/* 43 */
	"body = line one\\nline two \\\\n\n"			/* 44 */
	"size = 64k\n"						/* 45 */
	"count = 3\n"						/* 46 */
	"via = 127.0.0.1:2525\n"				/* 47 */
	"helo = me.example.test\n"				/* 48 */
	"[expect]\n"						/* 49 */
	"status          = deferred 4.7.5\n"			/* 50 */
	"log smtp        = certificate verification failed for mx\\.partner\\.example\n" /* 51 */
	"no-log smtp     = Verified TLS connection\n"		/* 52 */
	"server mx tls   = yes\n"				/* 53 */
	"server mx mail  = 0\n";				/* 54 */

static void
test_good(void **state)
{
	struct scenario *sc = load(good);
	char real[PATH_MAX];

	(void)state;
	for (size_t i = 0; i < errs.n; i++)
		print_message("# %s\n", errs.msg[i]);
	assert_non_null(sc);
	assert_int_equal(errs.n, 0);
	assert_string_equal(sc->file, path);
	assert_non_null(realpath(dir, real));
	assert_string_equal(sc->dir, real);
	assert_string_equal(sc->name, "t");
	assert_int_equal(sc->line, 2);
	assert_string_equal(sc->summary, "secure policy defers a leaf-only peer");
	assert_int_equal(sc->nseed, 3);
	assert_string_equal(sc->seed[0], "S6");
	assert_string_equal(sc->seed[1], "S11");
	assert_string_equal(sc->seed[2], "S14");
	assert_int_equal(sc->ntags, 2);
	assert_true(sc_has_tag(sc, "outbound"));
	assert_true(sc_has_tag(sc, "secure"));
	assert_false(sc_has_tag(sc, "inbound"));
	assert_int_equal(sc->nrequires, 3);
	assert_string_equal(sc->requires[0], "postfix >= 3.4");
	assert_string_equal(sc->requires[1], "dane");
	assert_string_equal(sc->requires[2], "faketime");	/* implied by faketime */
	assert_int_equal(sc->timeout_ms, 30000);
	assert_string_equal(sc->faketime, "+5y");
	assert_int_equal(sc->npki_hosts, 1);
	assert_string_equal(sc->pki_hosts[0], "other.example.test,127.0.0.11");

	assert_string_equal(sc->main_cf,
		"\n# Postfix comment, kept\n"
		"smtp_tls_policy_maps = inline:{ partner.example = secure }\n"
		"smtp_tls_CAfile = ${pki}/ca/root.crt\n");
	assert_int_equal(sc->main_cf_line, 13);
	assert_string_equal(sc->master_cf,
		"smtp      inet  n       -       n       -       -       smtpd\n");
	assert_int_equal(sc->master_cf_line, 20);

	assert_int_equal(sc->dnssec, 1);
	assert_int_equal(sc->ndns, 2);
	assert_string_equal(sc->dns[0].name, "partner.example");
	assert_int_equal(sc->dns[0].type, DNSD_T_MX);
	assert_int_equal(sc->dns[0].pref, 10);
	assert_string_equal(sc->dns[0].host, "mx.partner.example");
	assert_int_equal(sc->dns[1].type, DNSD_T_A);
	assert_memory_equal(sc->dns[1].a, "\x7f\x00\x00\x0a", 4);

	assert_int_equal(sc->nservers, 2);
	assert_string_equal(sc->servers[0].name, "mx");
	assert_int_equal(sc->servers[0].line, 26);
	assert_int_equal(sc->servers[0].nkv, 5);
	assert_int_equal(sc->servers[0].kv[0].line, 27);
	assert_string_equal(sc->servers[0].kv[0].key, "listen");
	assert_string_equal(sc->servers[0].kv[0].value, "mx.partner.example:25");
	assert_string_equal(sc->servers[0].kv[3].key, "chain");
	assert_string_equal(sc->servers[0].kv[3].value, "leaf-only");
	assert_string_equal(sc->servers[0].kv[4].value, "mx-${name}.jsonl");
	assert_string_equal(sc->servers[1].name, "backup");
	assert_int_equal(sc->servers[1].nkv, 1);
	assert_string_equal(sc->servers[1].kv[0].value, "127.0.0.11:25");

	assert_int_equal(sc->nclients, 1);
	assert_string_equal(sc->clients[0].name, "sub");
	assert_int_equal(sc->clients[0].line, 34);
	assert_int_equal(sc->clients[0].nkv, 2);
	assert_string_equal(sc->clients[0].kv[1].key, "tls");
	assert_string_equal(sc->clients[0].kv[1].value, "starttls");
	assert_int_equal(sc->clients[0].kv[1].line, 36);

	assert_true(sc->send.present);
	assert_int_equal(sc->send.line, 37);
	assert_string_equal(sc->send.from, "alice@example.test");
	assert_int_equal(sc->send.nto, 3);
	assert_string_equal(sc->send.to[0], "bob@partner.example");
	assert_string_equal(sc->send.to[1], "carol@partner.example");
	assert_string_equal(sc->send.to[2], "dave@partner.example");
	assert_string_equal(sc->send.subject, "hello");
	assert_int_equal(sc->send.nheaders, 2);
	assert_string_equal(sc->send.headers[0], "X-Test: yes");
	assert_string_equal(sc->send.headers[1], "X-Other: 1");
	assert_string_equal(sc->send.body, "line one\r\nline two \\n\r\n");
	assert_int_equal(sc->send.size, 65536);
	assert_int_equal(sc->send.count, 3);
	assert_string_equal(sc->send.via, "127.0.0.1:2525");
	assert_string_equal(sc->send.helo, "me.example.test");

	assert_non_null(sc->expect);
	assert_int_equal(sc->expect_line, 49);
	assert_int_equal(ex_count(sc->expect), 5);
	sc_free(sc);
}

static void
test_defaults(void **state)
{
	struct scenario *sc;

	(void)state;
	sc = load("[scenario]\nsummary = minimal\n[send]\nto = b@x.test\n[expect]\nstatus = sent\n");
	assert_non_null(sc);
	assert_int_equal(sc->timeout_ms, 20000);
	assert_null(sc->faketime);
	assert_null(sc->main_cf);
	assert_null(sc->master_cf);
	assert_int_equal(sc->nseed + sc->ntags + sc->nrequires + sc->npki_hosts, 0);
	assert_int_equal(sc->dnssec, 0);
	assert_string_equal(sc->send.from, "sender@example.test");
	assert_string_equal(sc->send.subject, "mxlab: t");
	assert_string_equal(sc->send.body, "This is a test message of the mxlab scenario t.\r\n");
	assert_int_equal(sc->send.size, 0);
	assert_int_equal(sc->send.count, 1);
	assert_string_equal(sc->send.via, "127.0.0.1:25");
	assert_string_equal(sc->send.helo, "client.example.test");
	sc_free(sc);

	/* No [send]: nothing to default; [expect] may still be empty. */
	sc = load("[scenario]\nsummary = no mail\n");
	assert_non_null(sc);
	assert_false(sc->send.present);
	assert_null(sc->send.from);
	assert_non_null(sc->expect);
	assert_int_equal(sc->expect_line, 0);
	sc_free(sc);

	/* The null sender, an empty subject and body, CRLF line ends. */
	sc = load("[scenario]\r\nsummary = crlf\r\n[send]\r\nfrom = <>\r\nto = b@x.test\r\n"
		  "subject =\r\nbody=\r\n[expect]\r\nstatus = bounced\r\n");
	assert_non_null(sc);
	assert_string_equal(sc->summary, "crlf");
	assert_string_equal(sc->send.from, "");
	assert_string_equal(sc->send.subject, "");
	assert_string_equal(sc->send.body, "\r\n");
	sc_free(sc);
	sc_free(NULL);
	sc_errors_free(NULL);
}

static void
test_names(void **state)
{
	struct scenario *sc;

	(void)state;
	/* Without .scn the name is the whole basename. */
	write_file("plain-name", HEAD, 0);
	sc = sc_load(path, &errs);
	assert_non_null(sc);
	assert_string_equal(sc->name, "plain-name");
	sc_free(sc);
	write_file("outbound-secure.scn", HEAD, 0);
	sc = sc_load(path, &errs);
	assert_non_null(sc);
	assert_string_equal(sc->name, "outbound-secure");
	sc_free(sc);
	assert_int_equal(errs.n, 0);
}

/* sc_load_mem reads text in memory as the file it names, never opening it. */
static void
test_load_mem(void **state)
{
	static const char nul[] = HEAD "[dns]\nmx A 127.0.0.1\0x\n";
	struct scenario *sc, *mem;
	char *copy;
	size_t n = strlen(good);

	(void)state;
	sc = load(good);
	assert_non_null(sc);
	/* Exactly n bytes: no NUL after the text. */
	assert_non_null(copy = malloc(n));
	memcpy(copy, good, n);
	mem = sc_load_mem("/nonexistent-mxlab/dir/t.scn", copy, n, &errs);
	free(copy);
	assert_non_null(mem);
	assert_int_equal(errs.n, 0);
	assert_string_equal(mem->name, "t");
	assert_string_equal(mem->dir, "/nonexistent-mxlab/dir");
	assert_string_equal(mem->summary, sc->summary);
	assert_string_equal(mem->main_cf, sc->main_cf);
	assert_int_equal(mem->ndns, sc->ndns);
	assert_int_equal(mem->nservers, sc->nservers);
	assert_int_equal(ex_count(mem->expect), ex_count(sc->expect));
	sc_free(sc);
	sc_free(mem);

	/* A NUL byte is an error of its line, as in a file. */
	assert_null(sc_load_mem("m.scn", nul, sizeof nul - 1, &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], "m.scn:4: NUL byte in the line");
	sc_errors_free(&errs);
	/* Empty text: no [scenario]. */
	assert_null(sc_load_mem("e.scn", NULL, 0, &errs));
	assert_int_equal(errs.n, 1);
	assert_string_equal(errs.msg[0], "e.scn:1: no [scenario] section (every file "
			    "needs one, with a summary)");
	sc_errors_free(&errs);
	assert_null(sc_load_mem(NULL, good, n, NULL));
}

static void
test_unreadable(void **state)
{
	char want[PATH_MAX + 200];

	(void)state;
	snprintf(path, sizeof path, "%s/missing.scn", dir);
	assert_null(sc_load(path, &errs));
	assert_int_equal(errs.n, 1);
	snprintf(want, sizeof want, "%s: No such file or directory", path);
	assert_string_equal(errs.msg[0], want);
	sc_errors_free(&errs);
	assert_int_equal(errs.n, 0);
	assert_null(errs.msg);

	/* A directory. */
	assert_null(sc_load(dir, &errs));
	assert_int_equal(errs.n, 1);
	snprintf(want, sizeof want, "%s: not a regular file (a directory)", dir);
	assert_string_equal(errs.msg[0], want);
	sc_errors_free(&errs);
	/* errs may be NULL. */
	assert_null(sc_load(path, NULL));
}

/* Only regular files are read: a FIFO is refused at once (opening it to
 * read would wait for a writer forever), and so is a file over 1 MiB. */
static void
test_not_regular(void **state)
{
	char want[PATH_MAX + 200], *text;
	size_t n = (1u << 20) + 1;

	(void)state;
	snprintf(path, sizeof path, "%s/fifo.scn", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);		/* a hang is a failure, not a stuck suite */
	assert_null(sc_load(path, &errs));
	alarm(0);
	assert_int_equal(errs.n, 1);
	snprintf(want, sizeof want, "%s: not a regular file (a FIFO)", path);
	assert_string_equal(errs.msg[0], want);
	sc_errors_free(&errs);
	unlink(path);

	/* A symbolic link to a regular file is read; one to a FIFO is not. */
	write_file("real.scn", HEAD, 0);
	snprintf(want, sizeof want, "%s/link.scn", dir);
	assert_int_equal(symlink(path, want), 0);
	sc_free(sc_load(want, &errs));
	assert_int_equal(errs.n, 0);
	unlink(path);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	assert_null(sc_load(want, &errs));
	alarm(0);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "link.scn: not a regular file (a FIFO)"));
	sc_errors_free(&errs);
	unlink(want);
	unlink(path);

	/* 1 MiB is the most; a valid file one byte longer is refused. */
	text = malloc(n + 1);
	assert_non_null(text);
	memset(text, '#', n);
	memcpy(text, HEAD, strlen(HEAD));
	for (size_t i = strlen(HEAD) + 100; i < n; i += 100)
		text[i] = '\n';
	text[n] = '\0';
	write_file("big.scn", text, n - 1);
	sc_free(sc_load(path, &errs));
	assert_int_equal(errs.n, 0);
	write_file("big.scn", text, n);
	assert_null(sc_load(path, &errs));
	assert_int_equal(errs.n, 1);
	snprintf(want, sizeof want, "%s: larger than 1048576 bytes (1 MiB)", path);
	assert_string_equal(errs.msg[0], want);
	sc_errors_free(&errs);
	free(text);
}

static void
test_sections(void **state)
{
	struct scenario *sc;

	(void)state;
	fails_with(HEAD "[foo]\nx = 1\ny = 2\n",
		   "3: [foo]: unknown section (known: scenario, main.cf, master.cf, dns, "
		   "server NAME, client NAME, probe NAME, sasl, files, send, expect, exim.conf, exec, lab, script NAME)", NULL);
	/* A near miss names the section meant. */
	fails_with(HEAD "[DNS]\n", "3: [DNS]: unknown section; did you mean [dns]?", NULL);
	fails_with(HEAD "[Server mx]\nlisten = 127.0.0.1:25\n",
		   "3: [Server mx]: unknown section; did you mean [server mx]?", NULL);
	fails_with(HEAD "[sever mx]\n", "3: [sever mx]: unknown section; did you mean [server mx]?", NULL);
	fails_with(HEAD "[expects]\n", "3: [expects]: unknown section; did you mean [expect]?", NULL);
	fails_with(HEAD "[sned]\n", "3: [sned]: unknown section; did you mean [send]?", NULL);
	fails_with(HEAD "[DNS x]\n", "3: [DNS x]: unknown section (known: scenario, main.cf, "
		   "master.cf, dns, server NAME, client NAME, probe NAME, sasl, files, send, expect, exim.conf, exec, lab, script NAME)", NULL);
	fails_with(HEAD "[main_cf]\n", "3: [main_cf]: unknown section; did you mean [main.cf]?", NULL);
	fails_with(HEAD "[MasterCF]\n", "3: [MasterCF]: unknown section; did you mean [master.cf]?", NULL);
	fails_with(HEAD "[ dns ]\n", "3: [ dns ]: unknown section; did you mean [dns]?", NULL);
	fails_with(HEAD "[]\n", "3: []: unknown section (known: scenario, main.cf, master.cf, dns, "
		   "server NAME, client NAME, probe NAME, sasl, files, send, expect, exim.conf, exec, lab, script NAME)", NULL);
	fails_with(HEAD "[dns]\na.test A 127.0.0.1\n[dns]\nb.test A 127.0.0.2\n",
		   "5: section [dns] given twice (first at line 3)", NULL);
	fails_with(HEAD "[scenario]\nsummary = again\n",
		   "3: section [scenario] given twice (first at line 1)", NULL);
	fails_with(HEAD "[server mx]\nlisten = 127.0.0.1:25\n[server mx]\nlisten = 127.0.0.2:25\n",
		   "5: server 'mx' declared twice (first at line 3)", NULL);
	fails_with(HEAD "[client c]\n[client c]\n",
		   "4: client 'c' declared twice (first at line 3)", NULL);
	fails_with(HEAD "[server]\nlisten = 127.0.0.1:25\n",
		   "3: section [server] needs a name: [server NAME]", NULL);
	fails_with(HEAD "[dns x]\n", "3: section [dns] takes no name", NULL);
	fails_with(HEAD "[server a.b]\n",
		   "3: bad name 'a.b' in [server ...] (letters, digits, '_' and '-')", NULL);
	fails_with(HEAD "[dns] # comment\n",
		   "3: bad section header '[dns] # comment' (a line [NAME] or [KIND LABEL])", NULL);
	fails_with("summary = x\n[scenario]\nsummary = s\n",
		   "1: text outside a section (a file starts with [scenario])", NULL);
	fails_with("", "1: no [scenario] section (every file needs one, with a summary)", NULL);
	fails_with("[scenario]\nseed = S1\n", "1: [scenario] has no summary", NULL);
	fails_with("[scenario]\nsummary =\n", "2: summary: empty value", NULL);
	/* Headers may be indented in key sections; a server and a client may
	 * share a name. */
	sc = load(HEAD "  [server a]  \nlisten = 127.0.0.1:25\n[client a]\n");
	assert_non_null(sc);
	sc_free(sc);
}

static void
test_verbatim(void **state)
{
	struct scenario *sc;
	static const char nul[] = HEAD "[main.cf]\nfoo = b\0r\n";

	(void)state;
	/* Postfix text with brackets: an indented (continuation) line, a line
	 * with '=' (a parameter, an -o option), a master.cf service on an IPv6
	 * address, a header followed by more text. */
	sc = load(HEAD "[main.cf]\nrelayhost =\n  [relay.example]\n[a]b = c\n[dns] x\n"
		  "# ${not checked}\na = $data_directory/$(queue_directory)\n\n"
		  "[master.cf]\n[::1]:2525 inet n - n - - smtpd\n"
		  "[::1]:2526 inet n - n - - smtpd -o relayhost=[x.example]\n"
		  "  [dns]\n\n\n");
	assert_non_null(sc);
	assert_string_equal(sc->main_cf, "relayhost =\n  [relay.example]\n[a]b = c\n[dns] x\n"
			    "# ${not checked}\na = $data_directory/$(queue_directory)\n");
	assert_int_equal(sc->main_cf_line, 4);
	assert_string_equal(sc->master_cf, "[::1]:2525 inet n - n - - smtpd\n"
			    "[::1]:2526 inet n - n - - smtpd -o relayhost=[x.example]\n  [dns]\n");
	assert_int_equal(sc->master_cf_line, 12);
	sc_free(sc);

	/* A line that looks like a header (first column '[', no '=', ending in
	 * ']' or in a comment after the ']') is one: never Postfix text, so a
	 * wrong one is refused, and a section given in the wrong case after
	 * [main.cf] is no longer taken for Postfix text. */
	fails_with(HEAD "[main.cf]\na = b\n[other]\nx = y\n",
		   "5: [other]: unknown section (known: scenario, main.cf, master.cf, dns, "
		   "server NAME, client NAME, probe NAME, sasl, files, send, expect, exim.conf, exec, lab, script NAME)", NULL);
	fails_with(HEAD "[main.cf]\na = b\n[DNS]\nmx.x.test A 127.0.0.1\n",
		   "5: [DNS]: unknown section; did you mean [dns]?", NULL);
	fails_with(HEAD "[master.cf]\nsmtp inet n - n - - smtpd\n[Expect] \nstatus = sent\n",
		   "5: [Expect]: unknown section; did you mean [expect]?", NULL);
	fails_with(HEAD "[main.cf]\n[x y z]\n",
		   "4: [x y z]: unknown section (known: scenario, main.cf, master.cf, dns, "
		   "server NAME, client NAME, probe NAME, sasl, files, send, expect, exim.conf, exec, lab, script NAME)", NULL);
	fails_with(HEAD "[main.cf]\n[dns] # the records\n",
		   "4: bad section header '[dns] # the records' (a line [NAME] or [KIND LABEL])", NULL);
	sc = load(HEAD "[main.cf]\na = b\n[dns]\nmx.x.test A 127.0.0.1\n");
	assert_non_null(sc);
	assert_string_equal(sc->main_cf, "a = b\n");
	assert_int_equal(sc->ndns, 1);
	sc_free(sc);

	write_file("t.scn", nul, sizeof nul - 1);
	assert_null(sc_load(path, &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], ".scn:4: NUL byte in the line"));
	sc_errors_free(&errs);
}

static void
test_lines(void **state)
{
	char *text = malloc(9000 + 64);

	(void)state;
	assert_non_null(text);
	snprintf(text, 64, HEAD "[main.cf]\nx = ");
	memset(text + strlen(text), 'a', 9000);
	text[strlen(HEAD "[main.cf]\nx = ") + 9000] = '\0';
	strcat(text, "\nafter = 1\n");
	fails_with(text, "4: line longer than 8192 bytes", NULL);
	free(text);
	fails_with(HEAD "tags = caf\xe9\n", "3: not valid UTF-8", NULL);
	fails_with(HEAD "tags = \xed\xa0\x80\n", "3: not valid UTF-8", NULL);
	sc_free(load(HEAD "tags = caf\xc3\xa9\n"));	/* "é": valid, but not a tag word */
	assert_int_equal(errs.n, 1);
	fails_with(HEAD "just words\n", "3: expected KEY = VALUE, got 'just words'", NULL);
	fails_with(HEAD "= value\n", "3: missing key before '='", NULL);
}

static void
test_scenario_keys(void **state)
{
	(void)state;
	fails_with(HEAD "colour = red\n",
		   "3: unknown key 'colour' in [scenario] (summary, seed, tags, requires, "
		   "timeout, faketime, pki-host, postfix-config, mta, mta-sts-cache)", NULL);
	fails_with(HEAD "seed = S1 S99\n", "3: seed: unknown seed point 'S99' (S1 to S17)", NULL);
	fails_with(HEAD "seed = S01\n", "3: seed: unknown seed point 'S01' (S1 to S17)", NULL);
	fails_with(HEAD "seed = S1\nseed = S2\n", "4: seed: given twice (first at line 3)", NULL);
	fails_with(HEAD "tags = a b!\n",
		   "3: tags: bad tag 'b!' (letters, digits, '.', '_' and '-')", NULL);
	fails_with(HEAD "timeout = 5x\n",
		   "3: timeout: bad duration '5x' (such as 500ms, 1.5s, 20s, 2m; a bare number is seconds)", NULL);
	fails_with(HEAD "timeout = 1e3s\n",
		   "3: timeout: bad duration '1e3s' (such as 500ms, 1.5s, 20s, 2m; a bare number is seconds)", NULL);
	fails_with(HEAD "timeout = 4294967296ms\n",
		   "3: timeout: duration '4294967296ms' is too long (at most 4294967295ms)", NULL);
	fails_with(HEAD "timeout = 11m\n",
		   "3: timeout: '11m' is out of range (more than 0, at most 10m)", NULL);
	fails_with(HEAD "timeout = 0\n",
		   "3: timeout: '0' is out of range (more than 0, at most 10m)", NULL);
	fails_with(HEAD "faketime = 5y\n",
		   "3: faketime: bad offset '5y' (a sign, a number and one of s m h d y, "
		   "such as +5y, -2d, +400d)", NULL);
	fails_with(HEAD "faketime = +5w\n",
		   "3: faketime: bad offset '+5w' (a sign, a number and one of s m h d y, "
		   "such as +5y, -2d, +400d)", NULL);
	fails_with(HEAD "requires = openssl\n",
		   "3: requires: unknown requirement 'openssl' (postfix >= X.Y, faketime, ipv6, dane, tls13, mta-sts-resolver)", NULL);
	fails_with(HEAD "requires = postfix >= 3\n",
		   "3: requires: unknown requirement 'postfix >= 3' (postfix >= X.Y, faketime, ipv6, dane, tls13, mta-sts-resolver)", NULL);
	fails_with(HEAD "pki-host = a b\n",
		   "3: pki-host: host spec 'a b': invalid name 'a b'", NULL);
	fails_with(HEAD "summary = again\n", "3: summary: given twice (first at line 2)", NULL);
}

/* mta-sts-cache: a policy the resolver holds before it starts. */
static void
test_sts_cache(void **state)
{
	struct scenario *sc;

	(void)state;
	sc = load(HEAD "requires = mta-sts-resolver\n"
		  "mta-sts-cache = Partner.Example id=20261101T000000 mode=enforce "
		  "mx=old-mx.partner.example mx=*.partner.example max_age=86400\n"
		  "mta-sts-cache = other.example id=1 mode=none max_age=0 age=90\n");
	assert_non_null(sc);
	assert_int_equal(sc->nsts_cache, 2);
	assert_string_equal(sc->sts_cache[0].domain, "partner.example");
	assert_string_equal(sc->sts_cache[0].id, "20261101T000000");
	assert_string_equal(sc->sts_cache[0].policy, "version: STSv1\nmode: enforce\n"
			    "mx: old-mx.partner.example\nmx: *.partner.example\nmax_age: 86400\n");
	assert_int_equal(sc->sts_cache[0].age_s, 3600);
	assert_int_equal(sc->sts_cache[0].line, 4);
	assert_string_equal(sc->sts_cache[1].policy, "version: STSv1\nmode: none\nmax_age: 0\n");
	assert_int_equal(sc->sts_cache[1].age_s, 90);
	sc_free(sc);

#define STS HEAD "requires = mta-sts-resolver\nmta-sts-cache = "
	fails_with(HEAD "mta-sts-cache = a.example id=1 mode=none max_age=1\n",
		   "3: mta-sts-cache: the scenario does not require mta-sts-resolver "
		   "(no resolver, no cache)", NULL);
	fails_with(STS "a..example id=1 mode=none max_age=1\n",
		   "4: mta-sts-cache: bad domain 'a..example' (DOMAIN id=ID mode=MODE "
		   "max_age=N mx=NAME... [age=DURATION])", NULL);
	fails_with(STS "a.example id=1-2 mode=none max_age=1\n",
		   "4: mta-sts-cache: bad or second id '1-2' (1 to 32 letters and digits)", NULL);
	fails_with(STS "a.example id=1 mode=strict max_age=1\n",
		   "4: mta-sts-cache: bad or second mode 'strict' (enforce, testing, none)", NULL);
	fails_with(STS "a.example id=1 mode=none max_age=31557601\n",
		   "4: mta-sts-cache: bad or second max_age '31557601' (0 to 31557600 seconds)", NULL);
	fails_with(STS "a.example id=1 mode=enforce max_age=1\n",
		   "4: mta-sts-cache: needs a domain, id, mode, max_age and (but for mode=none) mx", NULL);
	fails_with(STS "a.example id=1 mode=enforce max_age=1 mx=a_b\n",
		   "4: mta-sts-cache: bad mx 'a_b' (a host name, *.DOMAIN; at most 20)", NULL);
	fails_with(STS "a.example id=1 mode=none max_age=1 colour=red\n",
		   "4: mta-sts-cache: unknown key 'colour' (id, mode, max_age, mx, age)", NULL);
	fails_with(STS "a.example id=1 mode=none max_age=1 mx\n",
		   "4: mta-sts-cache: 'mx' is not KEY=VALUE (id, mode, max_age, mx, age)", NULL);
	fails_with(STS "a.example id=1 mode=none max_age=1\n"
		   "mta-sts-cache = A.example id=2 mode=none max_age=1\n",
		   "5: mta-sts-cache: a.example is cached twice (first at line 4)", NULL);
#undef STS
}

#define SEND_TAIL "[expect]\nstatus = sent\n"

/* A fraction of a second is a duration in [scenario] as in [server NAME]. */
static void
test_fractions(void **state)
{
	struct scenario *sc;

	(void)state;
	sc = load(HEAD "timeout = 1.5s\n[server mx]\nlisten = 127.0.0.1:0\ntimeout = 1.5s\n"
		  "[send]\nto = b@x.test\nsize = 1m\n" SEND_TAIL);
	if (!sc)
		fail_msg("refused: %s", errs.n ? errs.msg[0] : "?");
	assert_int_equal(sc->timeout_ms, 1500);
	assert_int_equal(sc->send.size, 1 << 20);
	sc_free(sc);
	sc_errors_free(&errs);
}

static void
test_send_keys(void **state)
{
	(void)state;
	fails_with(HEAD "[send]\nto = b@x.test\nbcc = c@x.test\n" SEND_TAIL,
		   "5: unknown key 'bcc' in [send] (from, to, subject, header, body, size, "
		   "count, via, helo)", NULL);
	fails_with(HEAD "[send]\nfrom = a@x.test\n" SEND_TAIL,
		   "3: [send] has no 'to' (at least one recipient)", NULL);
	fails_with(HEAD "[send]\nto = <b@x.test>\n" SEND_TAIL,
		   "4: to: bad address '<b@x.test>' (local@domain, without <>, spaces or "
		   "control characters)", NULL);
	fails_with(HEAD "[send]\nto = b@x.test\nheader = no colon\n" SEND_TAIL,
		   "5: header: bad header 'no colon' (Name: value)", NULL);
	fails_with(HEAD "[send]\nto = b@x.test\nsize = 10 k\n" SEND_TAIL,
		   "5: size: bad size '10 k' "
		   "(a whole number of bytes, such as 2000, 64k, 2M, 1G; k, M, G are 1024-based)", NULL);
	/* 2^34 + 1 GiB: shifted without a check it would be 1G */
	fails_like(HEAD "[send]\nto = b@x.test\nsize = 17179869185G\n" SEND_TAIL,
		   "t.scn:5: size: size '17179869185G' is too large (at most ");
	fails_with(HEAD "[send]\nto = b@x.test\nsize = 1.5M\n" SEND_TAIL,
		   "5: size: bad size '1.5M' "
		   "(a whole number of bytes, such as 2000, 64k, 2M, 1G; k, M, G are 1024-based)", NULL);
	fails_with(HEAD "[send]\nto = b@x.test\ncount = 1001\n" SEND_TAIL,
		   "5: count: bad count '1001' (1 to 1000)", NULL);
	fails_with(HEAD "[send]\nto = b@x.test\nvia = localhost\n" SEND_TAIL,
		   "5: via: 'localhost': expected ADDR:PORT (IPv6 as [ADDR]:PORT)", NULL);
	fails_with(HEAD "[send]\nto = b@x.test\nhelo = a b\n" SEND_TAIL,
		   "5: helo: bad name 'a b' (no spaces or control characters)", NULL);
	fails_with(HEAD "[send]\nto = b@x.test\nsubject = ${name}\n" SEND_TAIL,
		   "5: subject: ${name} is not expanded in [send] (only in [main.cf], "
		   "[master.cf], [server NAME] and [client NAME])", NULL);
	fails_with(HEAD "[send]\nto = b@x.test\n",
		   "3: nothing to expect: [send] without [expect] lines", NULL);
	/* What [send] writes is bounded: each size alone (64M) and size x count
	 * together (64M), reported at the later of the two lines. */
	fails_with(HEAD "[send]\nto = b@x.test\nsize = 65M\n" SEND_TAIL,
		   "5: size: '65M' is too large (at most 64M)", NULL);
	fails_with(HEAD "[send]\nto = b@x.test\nsize = 64M\ncount = 1000\n" SEND_TAIL,
		   "6: count: 1000 messages of 64M make 62.5G to write; at most 64M in all "
		   "(count x size)", NULL);
	fails_with(HEAD "[send]\ncount = 3\nto = b@x.test\nsize = 22M\n" SEND_TAIL,
		   "6: size: 3 messages of 22M make 66M to write; at most 64M in all "
		   "(count x size)", NULL);
	{	/* Without size, the headers and body make the message. */
		char *t = malloc(100 * 8100 + 200), *o = t;

		assert_non_null(t);
		o += sprintf(o, HEAD "[send]\nto = b@x.test\ncount = 100\n");
		for (int i = 0; i < 100; i++) {
			o += sprintf(o, "header = X-Pad: ");
			memset(o, 'p', 8000);
			o += 8000;
			*o++ = '\n';
		}
		strcpy(o, SEND_TAIL);
		fails_with(t, "5: count: 100 messages of about 783.1k make 76.5M to write; "
			   "at most 64M in all (count x size)", NULL);
		free(t);
	}
	sc_free(load(HEAD "[send]\nto = b@x.test\nsize = 64k\ncount = 1000\n" SEND_TAIL));
	assert_int_equal(errs.n, 0);
	sc_free(load(HEAD "[send]\nto = b@x.test\nsize = 64M\n" SEND_TAIL));
	assert_int_equal(errs.n, 0);
}

static void
test_server_keys(void **state)
{
	(void)state;
	fails_with(HEAD "[server mx]\nlisten = 127.0.0.1:25\n\nstarttls = maybe\n",
		   "6: starttls: bad value 'maybe' (offer, hide, refuse, or a reply such as \"454 4.7.0 text\", or disconnect)", NULL);
	fails_with(HEAD "[server mx]\ncert = mx.example.test\n",
		   "3: server 'mx' has no listen address", NULL);
	fails_with(HEAD "[server mx]\nlisten = 127.0.0.1:25\ncolour = red\n",
		   "5: colour: unknown key", NULL);
	fails_with(HEAD "[server mx]\nlisten = 127.0.0.1:25\nchain = leaf-only\nchain = full\n",
		   "6: chain: given twice (first at line 5)", NULL);
	/* Checks between keys are reported at the header. */
	fails_with(HEAD "[server mx]\nlisten = 127.0.0.1:25\nkey-file = /k.pem\n",
		   "3: key-file: needs cert-file", NULL);
	/* A key that failed does not also give a check error (no cascade). */
	fails_with(HEAD "[server mx]\nlisten = 127.0.0.1:25\ncert = a/b\nimplicit-tls = yes\n",
		   "5: cert: bad value 'a/b' (a host of the PKI, as given to mxlab certs --host)", NULL);
	/* Variables become valid-looking paths; repeatable keys repeat. */
	sc_free(load(HEAD "[server mx]\nlisten = 127.0.0.1:25\nlisten = [::1]:25\n"
		     "cert-file = ${pki}/mx.example.test/good/key-chain.pem\n"
		     "mailbox = mb-${name}\ntranscript = out/t..jsonl\n"));
	assert_int_equal(errs.n, 0);
	fails_with(HEAD "[server mx]\nlisten = 127.0.0.1:25\nmailbox = ${tmp}/mb\n",
		   "5: mailbox: unknown variable ${tmp} (known: pki, instance, scenario, name; "
		   "a Postfix parameter is written $tmp or $(tmp))", NULL);
	/* What a server writes stays inside the scenario's directory: no
	 * absolute path (the variables but ${name} give one), no "..". */
	{
		static const char *const outside[][2] = {
			{ "transcript", "/tmp/mx.jsonl" }, { "mailbox", "../mb" },
			{ "mailbox", "a/../../mb" }, { "transcript", "${scenario}/t.jsonl" },
			{ "transcript", "${instance}/../t.jsonl" }, { "mailbox", "${pki}" },
			{ "mailbox", "a/.." }, { "mailbox", "./.." }, { "mailbox", ".." },
		};
		char text[300], want[600];

		for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
			snprintf(text, sizeof text, HEAD "[server mx]\nlisten = 127.0.0.1:25\n%s = %s\n",
				 outside[i][0], outside[i][1]);
			snprintf(want, sizeof want, "5: %s: '%s' is not inside the scenario's "
				 "directory (a relative path without '..', such as mx.jsonl; ${pki}, "
				 "${instance} and ${scenario} are absolute)", outside[i][0], outside[i][1]);
			fails_with(text, want, NULL);
		}
	}
	fails_with(HEAD "[server mx]\nlisten = 127.0.0.1:25\ntranscript = -\n",
		   "5: transcript: '-' (standard output) is for mxlab serve; in a scenario "
		   "it would mix with the runner's report", NULL);
	/* ${name} is a file name, but the name of "...scn" is "..". */
	write_file("...scn", HEAD "[server mx]\nlisten = 127.0.0.1:25\nmailbox = ${name}/x\n", 0);
	assert_null(sc_load(path, &errs));
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "...scn:5: mailbox: '${name}/x' is not inside"));
	sc_errors_free(&errs);
	fails_with(HEAD "[client c]\nService = 587\n",
		   "4: bad key 'Service' (lowercase letters, digits and '-')", NULL);
}

static void
test_dns_errors(void **state)
{
	struct scenario *sc;

	(void)state;
	sc = load(HEAD "[dns]\nmx.x.test A 300.1.1.1\n");
	assert_null(sc);
	assert_int_equal(errs.n, 1);
	/* dnsd's own message, prefixed with FILE:4: */
	assert_non_null(strstr(errs.msg[0], "t.scn:4: "));
	assert_non_null(strstr(errs.msg[0], "t.scn:4: A: "));
	assert_non_null(strstr(errs.msg[0], "300.1.1.1"));
	sc_errors_free(&errs);
	fails_with(HEAD "[dns]\ndnssec = maybe\n", "4: dnssec: bad value 'maybe' (yes, no)", NULL);
	/* A short last line: looking for "dnssec =" must not read past it. */
	sc = load(HEAD "[dns]\na");
	assert_null(sc);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "t.scn:4: "));
	sc_errors_free(&errs);
	fails_with(HEAD "[dns]\ndnssec = yes\ndnssec = no\n",
		   "5: dnssec: given twice (first at line 4)", NULL);
	fails_with(HEAD "[dns]\nx.test TLSA 3 1 1 ${pki}\n",
		   "4: ${pki} is not expanded in [dns] (only in [main.cf], [master.cf], "
		   "[server NAME] and [client NAME])", NULL);
	sc = load(HEAD "[dns]\ndnssec=no\nx.test TLSA 3 1 1 pki:mx.example.test\n");
	assert_non_null(sc);
	assert_int_equal(sc->dnssec, 0);
	assert_string_equal(sc->dns[0].pki_ref, "mx.example.test/good");
	sc_free(sc);
}

static void
test_expect(void **state)
{
	struct scenario *sc;

	(void)state;
	/* A bad regex: ex_parse's message at its line. */
	sc = load(HEAD "[send]\nto = a@x.test\n[expect]\nstatus = sent\nlog smtp = (unclosed\n");
	assert_null(sc);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], "t.scn:7: "));
	assert_non_null(strstr(errs.msg[0], "(unclosed"));
	sc_errors_free(&errs);
	/* A regex outside the bounded dialect is refused before regcomp sees
	 * it (twenty-four stacked '+' would take glibc gigabytes). */
	fails_with(HEAD "[expect]\nlog = a++++++++++++++++++++++++\n",
		   "4: log: bad regex 'a++++++++++++++++++++++++': '+' follows another "
		   "quantifier (stacked quantifiers such as a++, a*?, a{2}* are not allowed) "
		   "at byte 3", NULL);
	fails_with(HEAD "[expect]\nserver mx body = ((a{10}){10}){10}\n[server mx]\n"
		   "listen = 127.0.0.1:25\n",
		   "4: server mx body: bad regex '((a{10}){10}){10}': too big once its "
		   "repetitions are expanded (more than 1000 positions: {M,N}, + and nested "
		   "counts multiply)", NULL);
	fails_with(HEAD "[server mx]\nlisten = 127.0.0.1:25\n[expect]\nserver mx tls = no\n"
		   "server other tls = yes\n",
		   "7: no [server other] in this file", NULL);
	fails_with(HEAD "[expect]\nlog = ${name} started\n",
		   "4: ${name} is not expanded in [expect] (only in [main.cf], [master.cf], "
		   "[server NAME] and [client NAME])", NULL);
	/* A status for a recipient nothing mails would only fail after the
	 * timeout: refused at load, naming the recipients of [send]. */
	fails_with(HEAD "[send]\nto = a@x.test B@x.test\nto = c@x.test\n[expect]\n"
		   "status b@x.test = sent\nstatus <A@X.test> = sent\nstatus d@x.test = sent\n",
		   "9: status d@x.test: not a recipient of [send] (a@x.test B@x.test c@x.test); "
		   "no status line would ever come for it", NULL);
	fails_with(HEAD "[expect]\nstatus d@x.test = sent\n",
		   "4: status d@x.test: this file mails no one (no [send], no [client NAME] "
		   "with to); no status line would ever come for it", NULL);
	fails_with(HEAD "[expect]\nstatus = sent\n",
		   "4: status: without a recipient it is about the recipients of [send], "
		   "and there is no [send]", NULL);
	/* A [client NAME] that mails a recipient makes its status come. */
	sc = load(HEAD "[client c]\nfrom = a@x.test\nto = ${name}@x.test\n[send]\nto = a@x.test\n"
		  "[expect]\nstatus t@x.test = sent\nstatus = sent\n");
	assert_non_null(sc);
	sc_free(sc);
	fails_with(HEAD "[client c]\nfrom = a@x.test\nto = c@x.test\n[send]\nto = a@x.test\n"
		   "[expect]\nstatus d@x.test = sent\n",
		   "9: status d@x.test: not a recipient of [send] (a@x.test) or of a [client NAME] "
		   "(c@x.test); no status line would ever come for it", NULL);
	/* Recipients reach the expectations: status without one is fine. */
	sc = load(HEAD "[send]\nto = a@x.test b@x.test\n[expect]\nstatus = sent\n"
		  "status b@x.test = deferred 4.7.5\n");
	assert_non_null(sc);
	assert_int_equal(ex_count(sc->expect), 2);
	sc_free(sc);
}

static void
test_variables(void **state)
{
	(void)state;
	fails_with(HEAD "[main.cf]\nsmtp_tls_CAfile = ${foo}/ca.pem\n",
		   "4: unknown variable ${foo} (known: pki, instance, scenario, name; "
		   "a Postfix parameter is written $foo or $(foo))", NULL);
	fails_with(HEAD "[main.cf]\nx = ${data_directory}/scache\n",
		   "4: unknown variable ${data_directory} (known: pki, instance, scenario, name; "
		   "a Postfix parameter is written $data_directory or $(data_directory))", NULL);
	fails_with(HEAD "[master.cf]\nsmtp inet n - n - - smtpd -o x=${pki\n",
		   "4: unterminated ${ (variables are ${pki}, ${instance}, ${scenario}, ${name})", NULL);
	fails_with(HEAD "summary2 = ${pki}\n",
		   "3: unknown key 'summary2' in [scenario] (summary, seed, tags, requires, "
		   "timeout, faketime, pki-host, postfix-config, mta, mta-sts-cache)", NULL);
}

static void
test_expand(void **state)
{
	struct scenario *sc = load(HEAD);
	struct sc_vars v = { "/tmp/pki", "/tmp/inst" };
	char want[PATH_MAX * 2], *x;

	(void)state;
	assert_non_null(sc);
	x = sc_expand(sc, &v, "${pki}/ca/root.crt ${instance}/maillog ${scenario}/f ${name}");
	snprintf(want, sizeof want, "/tmp/pki/ca/root.crt /tmp/inst/maillog %s/f t", sc->dir);
	assert_string_equal(x, want);
	free(x);
	x = sc_expand(sc, &v, "${pki}${pki}");
	assert_string_equal(x, "/tmp/pki/tmp/pki");
	free(x);
	x = sc_expand(sc, NULL, "${pki} $pki ${other} ${name} ${unclosed");
	assert_string_equal(x, "${pki} $pki ${other} t ${unclosed");
	free(x);
	x = sc_expand(sc, &v, "");
	assert_string_equal(x, "");
	free(x);
	assert_null(sc_expand(sc, &v, NULL));
	sc_free(sc);
}

static void
test_several(void **state)
{
	(void)state;
	fails_with("# several mistakes\n"
		   "[scenario]\n"
		   "seed = S0\n"
		   "timeout = forever\n"
		   "[dns]\n"
		   "dnssec = perhaps\n"
		   "[server mx]\n"
		   "starttls = maybe\n"
		   "[bogus]\n"
		   "anything = at all\n"
		   "[send]\n"
		   "count = 0\n"
		   "[expect]\n"
		   "server nosuch tls = yes\n",
		   "3: seed: unknown seed point 'S0' (S1 to S17)",
		   "4: timeout: bad duration 'forever' (such as 500ms, 1.5s, 20s, 2m; a bare number is seconds)",
		   "6: dnssec: bad value 'perhaps' (yes, no)",
		   "8: starttls: bad value 'maybe' (offer, hide, refuse, or a reply such as \"454 4.7.0 text\", or disconnect)",
		   "9: [bogus]: unknown section (known: scenario, main.cf, master.cf, dns, "
		   "server NAME, client NAME, probe NAME, sasl, files, send, expect, exim.conf, exec, lab, script NAME)",
		   "12: count: bad count '0' (1 to 1000)",
		   "2: [scenario] has no summary",
		   "11: [send] has no 'to' (at least one recipient)",
		   "14: no [server nosuch] in this file",
		   NULL);
}

static void
test_too_many(void **state)
{
	char text[8192] = HEAD;
	struct scenario *sc;

	(void)state;
	for (int i = 0; i < 80; i++)
		strcat(text, "bad line\n");
	sc = load(text);
	assert_null(sc);
	assert_int_equal(errs.n, 51);
	assert_non_null(strstr(errs.msg[50], ":53: too many errors, giving up"));
	sc_errors_free(&errs);
}

static void
test_values(void **state)
{
	char e[300], out[64];
	unsigned ms;
	size_t n;

	(void)state;
	assert_int_equal(sc_duration_parse("500ms", &ms, e, sizeof e), 0);
	assert_int_equal(ms, 500);
	assert_int_equal(sc_duration_parse("20", &ms, e, sizeof e), 0);
	assert_int_equal(ms, 20000);
	assert_int_equal(sc_duration_parse("2m", &ms, e, sizeof e), 0);
	assert_int_equal(ms, 120000);
	assert_int_equal(sc_duration_parse("-1s", &ms, e, sizeof e), -1);
	assert_int_equal(sc_duration_parse("1h", &ms, e, sizeof e), -1);
	assert_int_equal(sc_duration_parse("99999999999999999999", &ms, e, sizeof e), -1);
	assert_int_equal(sc_size_parse("2000", &n, e, sizeof e), 0);
	assert_int_equal(n, 2000);
	assert_int_equal(sc_size_parse("2M", &n, e, sizeof e), 0);
	assert_int_equal(n, 2 << 20);
	assert_int_equal(sc_size_parse("2m", &n, e, sizeof e), 0);	/* m and M alike */
	assert_int_equal(n, 2 << 20);
	assert_int_equal(sc_seed_check("S17", e, sizeof e), 0);
	assert_int_equal(sc_seed_check("S18", e, sizeof e), -1);
	assert_int_equal(sc_seed_check("s1", e, sizeof e), -1);
	assert_int_equal(sc_requires_parse("postfix>=3.7.11", out, sizeof out, e, sizeof e), 0);
	assert_string_equal(out, "postfix >= 3.7.11");
	assert_int_equal(sc_requires_parse("ipv6", out, sizeof out, e, sizeof e), 0);
	assert_int_equal(sc_requires_parse("postfix 3.4", out, sizeof out, e, sizeof e), -1);
	assert_int_equal(sc_faketime_check("-2d", e, sizeof e), 0);
	assert_int_equal(sc_faketime_check("+400d", e, sizeof e), 0);
	assert_int_equal(sc_faketime_check("+d", e, sizeof e), -1);
	assert_int_equal(sc_header_check("X-A:", e, sizeof e), 0);
	assert_int_equal(sc_header_check(": x", e, sizeof e), -1);
	assert_int_equal(sc_address_check("postmaster", e, sizeof e), 0);
	assert_int_equal(sc_address_check("a b@x", e, sizeof e), -1);
	assert_int_equal(sc_vars_check("${pki} ${name}", NULL, e, sizeof e), 0);
	assert_int_equal(sc_vars_check("$pki ${", NULL, e, sizeof e), -1);
	{
		char *o = sc_output_path("/w/001-x", "servers/mx/t.jsonl");

		assert_string_equal(o, "/w/001-x/servers/mx/t.jsonl");
		free(o);
		o = sc_output_path("/w/001-x", "/abs");
		assert_string_equal(o, "/abs");
		free(o);
	}
	assert_true(sc_output_key("transcript") && sc_output_key("mailbox"));
	assert_false(sc_output_key("cert-file"));
	assert_int_equal(sc_output_check("a/..b/c..", "a/..b/c..", e, sizeof e), 0);
	assert_int_equal(sc_output_check("x", "x/../..", e, sizeof e), -1);
}

static void
test_server_config(void **state)
{
	struct scenario *sc;
	mxlab_server_config *cfg;
	struct sc_vars v = { "/tmp/pki", "/tmp/inst" };
	char e[600];
	int line = 0;

	(void)state;
	sc = load(HEAD "[server mx]\nlisten = 127.0.0.1:0\ncert = mx.example.test\n"
		  "mailbox = mb\n");
	assert_non_null(sc);
	assert_int_equal(sc_server_config(sc, &sc->servers[0], &v, &cfg, &line, e, sizeof e), MXLAB_OK);
	assert_non_null(cfg);
	mxlab_server_config_free(cfg);
	/* Without a PKI directory the check fails at the header. */
	assert_int_equal(sc_server_config(sc, &sc->servers[0], NULL, &cfg, &line, e, sizeof e),
			 MXLAB_ERR_USAGE);
	assert_null(cfg);
	assert_int_equal(line, 3);
	assert_string_equal(e, "cert: needs pki (the directory written by mxlab certs)");
	sc_free(sc);
}


static void
test_inbound_sections(void **state)
{
	struct scenario *sc;

	(void)state;
	sc = load(HEAD "pki-host = postfix.mxlab.test\n"
		  "[sasl]\nuser = alice:secret\nuser = bob:pw2\n"
		  "[client sub]\nservice = submission\ntls = starttls\nauth = plain\n"
		  "user = alice\npassword = secret\n"
		  "[client port]\nservice = 2525\nstop-after = tls\n"
		  "[probe p]\nname = postfix.mxlab.test\nsni = one.example\nsni = two.example\n"
		  "[expect]\nclient sub reply auth = 235\nprobe p finding = chain-ok\n");
	assert_non_null(sc);
	assert_int_equal(sc->nclients, 2);
	assert_string_equal(sc->clients[0].name, "sub");
	assert_int_equal(sc->clients[0].nkv, 5);
	assert_int_equal(sc->nprobes, 1);
	assert_int_equal(sc->probes[0].nkv, 3);
	assert_true(sc->sasl.present);
	assert_int_equal(sc->sasl.nusers, 2);
	assert_string_equal(sc->sasl.backend, "cyrus");
	assert_string_equal(sc->sasl.mechanisms, "PLAIN LOGIN");
	sc_free(sc);

	fails_like(HEAD "[client c]\ntls = sometimes\n", "4: tls: bad value 'sometimes'");
	fails_like(HEAD "[client c]\nservice = pop3\n", "4: service: bad value 'pop3'");
	fails_like(HEAD "[client c]\nwhatever = 1\n", "4: whatever: unknown");
	/* Without connect (the service gives the address) the other checks
	 * still run: AUTH without a user is an error when the file is read. */
	fails_like(HEAD "[client c]\nservice = submission\nauth = plain\n",
		   "3: auth: needs user and password");
	fails_like(HEAD "[probe p]\nflavour = 1\n", "4: flavour: unknown key in [probe]");
	fails_like(HEAD "[probe p]\nimplicit-tls = maybe\n", "4: implicit-tls: bad value 'maybe'");
	fails_like(HEAD "[probe p]\n[probe p]\n", "4: probe 'p' declared twice");
	fails_like(HEAD "[sasl]\nbackend = ldap\nuser = a:b\n", "4: backend: bad value 'ldap'");
	fails_like(HEAD "[sasl]\nuser = nopassword\n", "4: user: bad value 'nopassword'");
	fails_like(HEAD "[sasl]\nuser = a:b\nmechanisms = plain\n", "5: mechanisms: bad value 'plain'");
	fails_like(HEAD "[sasl]\n", "3: [sasl] has no user");
	fails_like(HEAD "[expect]\nclient ghost tls = yes\n", "4: no [client ghost] in this file");
	fails_like(HEAD "[expect]\nprobe ghost finding = chain-ok\n", "4: no [probe ghost] in this file");
}

/* A run's expectation state is its own: feeding and deciding one never
 * writes the loaded scenario, nor another run's state. */
static void
test_expect_state_per_run(void **state)
{
	static const char line[] = "Nov 30 12:00:00 postfix postfix/smtp[90]: ABC123: "
		"to=<bob@partner.example>, relay=mx.partner.example[127.0.0.10]:25, delay=0.1, "
		"delays=0/0/0.1/0, dsn=2.0.0, status=sent (250 2.0.0 Ok)";
	struct scenario *sc;
	struct mta_event *ev = calloc(1, sizeof *ev);
	struct ex_set *one, *two;
	char err[200];

	(void)state;
	assert_non_null(ev);
	sc = load(HEAD "[send]\nto = bob@partner.example\n"
		  "[expect]\nstatus bob@partner.example = sent\nlog smtp = status=sent\n");
	assert_non_null(sc);
	assert_int_equal(sc->nexpect_kv, 2);
	assert_string_equal(sc->expect_kv[1].key, "log smtp");
	assert_non_null(one = sc_expect_new(sc, err, sizeof err));
	assert_int_equal(ex_undecided(one), 2);
	assert_int_equal(ml_parse_line(line, sizeof line - 1, ev), 0);
	ex_feed(one, ev);
	assert_int_equal(ex_undecided(one), 0);
	/* The scenario's own set and a second run's are untouched. */
	assert_int_equal(ex_undecided(sc->expect), 2);
	assert_non_null(two = sc_expect_new(sc, err, sizeof err));
	assert_int_equal(ex_undecided(two), 2);
	ex_set_free(one);
	ex_set_free(two);
	sc_free(sc);
	free(ev);
}

/* mta = postfix | exim | exec, and what belongs to which MTA
 * (scenario_mta.c). */
static void
test_mta(void **state)
{
	struct scenario *sc;
	char *x;
	struct sc_vars v = { "/tmp/pki", "/tmp/inst" };

	(void)state;
	sc = load(HEAD);
	assert_non_null(sc);
	assert_ptr_equal(sc->mta_driver, &mta_postfix);
	sc_free(sc);
	sc = load(HEAD "mta = postfix\n[main.cf]\nsmtp_tls_security_level = may\n");
	assert_non_null(sc);
	assert_ptr_equal(sc->mta_driver, &mta_postfix);
	assert_string_equal(sc->mta, "postfix");
	sc_free(sc);
	sc = load(HEAD "mta = exim\n[expect]\nlog = => bob@x\n");
	assert_non_null(sc);
	assert_ptr_equal(sc->mta_driver, &mta_exim);
	assert_string_equal(sc->mta, "exim");
	assert_int_equal(sc->mta_line, 3);
	sc_free(sc);
	sc = load(HEAD "mta = exec\n[exec]\nstart = /bin/true\nready = ^up$\n"
		  "log = ${instance}/app.log\nversion = /bin/echo 1\nstop = /bin/true\n");
	assert_non_null(sc);
	assert_ptr_equal(sc->mta_driver, &mta_exec);
	assert_string_equal(sc->exec.start, "/bin/true");
	assert_string_equal(sc->exec.ready, "^up$");
	assert_string_equal(sc->exec.log, "${instance}/app.log");
	sc_free(sc);

	fails_with(HEAD "mta = sendmail\n",
		   "3: mta: unknown MTA 'sendmail' (postfix, exim, exec)", NULL);
	fails_with(HEAD "[exim.conf]\nbegin transports\n",
		   "3: [exim.conf] needs mta = exim (this scenario's mta is postfix)", NULL);
	fails_with(HEAD "mta = postfix\n[exim.conf]\nbegin transports\n",
		   "4: [exim.conf] needs mta = exim (this scenario's mta is postfix)", NULL);
	fails_with(HEAD "mta = exim\n[main.cf]\nsmtp_tls_security_level = may\n",
		   "4: [main.cf] is Postfix's: this scenario's mta is exim", NULL);
	fails_with(HEAD "mta = exec\n[exec]\nstop = /bin/true\n",
		   "4: mta = exec needs [exec] with start = COMMAND", NULL);
	fails_with(HEAD "mta = exec\n",
		   "3: mta = exec needs [exec] with start = COMMAND", NULL);
	fails_with(HEAD "[exec]\nstart = /bin/true\n",
		   "3: [exec] needs mta = exec (this scenario's mta is postfix)", NULL);
	fails_with(HEAD "mta = exim\n[expect]\nlog smtp = x\n",
		   "5: smtp: Exim's log has no daemon names: write \"log = REGEX\" "
		   "(or \"no-log = REGEX\")", NULL);
	fails_with(HEAD "mta = exec\n[exec]\nstart = /bin/true\n[expect]\nno-log smtpd = x\n",
		   "7: smtpd: the exec driver's log has no daemon names: write \"log = REGEX\" "
		   "(or \"no-log = REGEX\")", NULL);
	/* regerror's words are the C library's. */
	fails_like(HEAD "mta = exec\n[exec]\nstart = /bin/true\nready = (up\n",
		   ":6: ready: bad regular expression '(up': ");
	fails_with(HEAD "mta = exec\n[exec]\nstart = /bin/true\nlog = app.log\n",
		   "6: log: 'app.log': an absolute path inside the sandbox, such as "
		   "${instance}/app.log", NULL);
	fails_with(HEAD "mta = exec\n[exec]\nstart = /bin/true\nlog = ${pki}/app.log\n",
		   "6: log: '${pki}/app.log': an absolute path inside the sandbox, such as "
		   "${instance}/app.log", NULL);

	/* [exim.conf]: Exim's own ${if ...} is left alone, ${pki} is ours. */
	sc = load(HEAD "mta = exim\n[exim.conf]\nbegin transports\nremote_smtp:\n"
		  "  tls_verify_certificates = ${pki}/ca/root.crt\n"
		  "  tls_sni = ${if eq{$host}{}{none}{$host}}\n"
		  "  hosts_require_tls = ${lookup{$domain}lsearch{${instance}/req}}\n");
	if (!sc)
		fail_msg("unexpected error: %s", errs.n ? errs.msg[0] : "");
	assert_non_null(strstr(sc->exim_conf, "${if eq{$host}{}{none}{$host}}"));
	x = sc_expand(sc, &v, sc->exim_conf);
	assert_non_null(strstr(x, "tls_verify_certificates = /tmp/pki/ca/root.crt\n"));
	assert_non_null(strstr(x, "tls_sni = ${if eq{$host}{}{none}{$host}}\n"));
	assert_non_null(strstr(x, "lsearch{/tmp/inst/req}}\n"));
	free(x);
	sc_free(sc);
	/* ... while outside it an unknown ${...} is still an error. */
	fails_with(HEAD "mta = exec\n[exec]\nstart = /bin/echo ${if}\n",
		   "5: start: unknown variable ${if} (known: pki, instance, scenario, name; "
		   "a Postfix parameter is written $if or $(if))",
		   "4: mta = exec needs [exec] with start = COMMAND", NULL);
}

/* [lab]: its keys, its checks, and sc_lab_apply's swap of goals for
 * [expect] and of a directory's main.cf for [main.cf]. */
#define LAB_SEND "[send]\nto = b@x.test\n[expect]\nstatus b@x.test = deferred\n"
static void
test_lab(void **state)
{
	struct scenario *sc;
	char err[600], cdir[PATH_MAX + 16], f[PATH_MAX + 32];
	FILE *fp;

	(void)state;
	sc = load(HEAD "[main.cf]\nsmtp_tls_CAfile =\n" LAB_SEND
		  "[lab]\ntitle = T\ndifficulty = medium\ntask = one\ntask = two\n"
		  "hint = h1\nhint = h2\ngoal = status b@x.test = sent\n"
		  "goal = log smtp = Verified\nsolution = sol/x.diff\n");
	assert_non_null(sc);
	assert_int_equal(sc->lab.line, 9);
	assert_string_equal(sc->lab.title, "T");
	assert_string_equal(sc->lab.difficulty, "medium");
	assert_string_equal(sc->lab.task, "one\ntwo");
	assert_int_equal(sc->lab.nhints, 2);
	assert_string_equal(sc->lab.hints[1], "h2");
	assert_int_equal(sc->lab.ngoals, 2);
	assert_string_equal(sc->lab.goals[0].key, "status b@x.test");
	assert_string_equal(sc->lab.goals[0].value, "sent");
	assert_int_equal(sc->lab.goals[0].line, 16);
	assert_string_equal(sc->lab.solution, "sol/x.diff");

	snprintf(cdir, sizeof cdir, "%s/labconf", dir);
	mkdir(cdir, 0700);
	snprintf(f, sizeof f, "%s/main.cf", cdir);
	assert_non_null(fp = fopen(f, "w"));
	fputs("smtp_tls_CAfile = ${pki}/ca/root.crt\n", fp);
	fclose(fp);
	assert_int_equal(sc_lab_apply(sc, 1, cdir, err, sizeof err), 0);
	assert_string_equal(sc->main_cf, "smtp_tls_CAfile = ${pki}/ca/root.crt\n");
	assert_int_equal(sc->nexpect_kv, 2);
	assert_string_equal(sc->expect_kv[1].value, "Verified");
	assert_int_equal(sc->lab.ngoals, 1);	/* the [expect] lines, kept */
	sc_free(sc);

	sc = load(HEAD LAB_SEND);
	assert_non_null(sc);
	assert_int_equal(sc_lab_apply(sc, 1, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "not a lab"));
	sc_free(sc);

	fails_with(HEAD LAB_SEND "[lab]\ntitle = T\ndifficulty = tricky\ntask = t\n"
		   "goal = status b@x.test = sometimes\ncolour = red\ntitle = U\n",
		   "9: difficulty: bad value 'tricky' (easy, medium, hard)",
		   "11: goal: status b@x.test: bad value 'sometimes' (sent, deferred, bounced, "
		   "expired)",
		   "12: unknown key 'colour' in [lab] (title, difficulty, task, hint, goal, "
		   "solution)",
		   "13: title: given twice in [lab]",
		   "7: [lab] needs a difficulty (easy, medium, hard)",
		   "7: [lab] needs at least one goal (an [expect] line a fixed configuration "
		   "meets)", NULL);
	fails_with(HEAD LAB_SEND "[lab]\ntitle = T\ndifficulty = easy\ntask = t\n"
		   "goal = status b@x.test = sent\nsolution = ../x.diff\n",
		   "12: solution: '../x.diff': a path relative to the scenario's directory, "
		   "without '..'", NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_load_mem),
		cmocka_unit_test(test_unreadable),
		cmocka_unit_test(test_not_regular),
		cmocka_unit_test(test_sections),
		cmocka_unit_test(test_verbatim),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_scenario_keys),
		cmocka_unit_test(test_sts_cache),
		cmocka_unit_test(test_fractions),
		cmocka_unit_test(test_send_keys),
		cmocka_unit_test(test_server_keys),
		cmocka_unit_test(test_dns_errors),
		cmocka_unit_test(test_expect),
		cmocka_unit_test(test_variables),
		cmocka_unit_test(test_expand),
		cmocka_unit_test(test_several),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_server_config),
		cmocka_unit_test(test_inbound_sections),
		cmocka_unit_test(test_expect_state_per_run),
		cmocka_unit_test(test_mta),
		cmocka_unit_test(test_lab),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	sc_errors_free(&errs);
	return rc;
}
