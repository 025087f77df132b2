/*
 * test_scenario_files.c: the [files] section and the postfix-config key of
 * the scenario reader. Each test writes scenario files (and the host files
 * they name) into a mkdtemp directory and loads them: the three kinds of
 * value, then every refusal with its exact "FILE:LINE: message" (paths,
 * variables, file: through a symbolic link, missing, too big, not a
 * regular file), then postfix-config resolved relative to the file and its
 * errors, and sc_path_absolute.
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

#include "scenario_int.h"

#define TMPDIR_PREFIX "/tmp/mxlab-test-files"
#include "test_tmpdir.h"


/* The file fails with exactly these messages ("LINE: message"; the file
 * name is prefixed here; "%D" in a message stands for the test directory). */
static void
fails_with(const char *text, ...)
{
	struct scenario *sc = load(text);
	char want[PATH_MAX * 2 + 2200], msg[2000], *d;
	const char *m;
	va_list ap;
	size_t i = 0;

	if (sc)
		fail_msg("loaded, but should not: %s", text);
	va_start(ap, text);
	while ((m = va_arg(ap, const char *)) != NULL) {
		snprintf(msg, sizeof msg, "%s", m);
		if ((d = strstr(msg, "%D")) != NULL) {
			*d = '\0';
			snprintf(want, sizeof want, "%s:%s%s%s", path, msg, dir, d + 2);
		} else
			snprintf(want, sizeof want, "%s:%s", path, msg);
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
#define FILES HEAD "[files]\n"		/* its lines start at line 4 */

static void
test_kinds(void **state)
{
	static const char bin[] = "a\0b\nc";
	struct scenario *sc;

	(void)state;
	make_dir("data");
	write_file("data/bin", bin, sizeof bin - 1);
	write_file("empty", "", 0);
	/* An empty file: fwrite of 0 bytes, so write_file wrote nothing. */
	sc = load(FILES
		  "/etc/postfix/access = a OK\\nb REJECT\n"		/* 4 */
		  "# a comment\n"					/* 5 */
		  "/etc/x/esc   =   back\\\\slash \\t # kept  \n"	/* 6 */
		  "/etc/ca.pem = ${pki}/ca/root.crt\n"			/* 7 */
		  "/etc/chain.pem = ${pki}/mx.example/good/fullchain.pem\n" /* 8 */
		  "/etc/data.bin = file:data/bin\n"			/* 9 */
		  "/etc/empty = file:./empty\n"				/* 10 */
		  "/etc/newline =\n"					/* 11 */
		  "/etc/cost$1 = $pki {pki} $ {x}\n");			/* 12 */
	for (size_t i = 0; i < errs.n; i++)
		print_message("# %s\n", errs.msg[i]);
	assert_non_null(sc);
	assert_int_equal(sc->nfiles, 8);
	for (size_t i = 0; i < sc->nfiles; i++)
		assert_string_equal(sc->files[i].origin, path);
	assert_int_equal(sc->files[0].line, 4);
	assert_string_equal(sc->files[0].path, "/etc/postfix/access");
	assert_int_equal(sc->files[0].kind, SC_FILE_TEXT);
	assert_string_equal(sc->files[0].value, "a OK\nb REJECT\n");
	assert_int_equal(sc->files[0].len, 14);
	assert_int_equal(sc->files[1].line, 6);
	assert_string_equal(sc->files[1].value, "back\\slash \\t # kept\n");
	assert_int_equal(sc->files[2].kind, SC_FILE_PKI);
	assert_string_equal(sc->files[2].value, "ca/root.crt");
	assert_int_equal(sc->files[3].kind, SC_FILE_PKI);
	assert_string_equal(sc->files[3].value, "mx.example/good/fullchain.pem");
	assert_int_equal(sc->files[4].kind, SC_FILE_HOST);
	assert_int_equal(sc->files[4].len, sizeof bin - 1);
	assert_memory_equal(sc->files[4].value, bin, sizeof bin - 1);
	assert_int_equal(sc->files[5].kind, SC_FILE_HOST);
	assert_int_equal(sc->files[5].len, 0);
	assert_string_equal(sc->files[5].value, "");
	assert_int_equal(sc->files[6].kind, SC_FILE_TEXT);
	assert_string_equal(sc->files[6].value, "\n");
	assert_string_equal(sc->files[7].path, "/etc/cost$1");
	assert_string_equal(sc->files[7].value, "$pki {pki} $ {x}\n");
	sc_free(sc);

	/* Read at load: the runner never reads the host file. */
	write_file("data/bin", "changed", 0);
	sc = load(FILES "/etc/d = file:data/bin\n");
	assert_non_null(sc);
	assert_string_equal(sc->files[0].value, "changed");
	assert_int_equal(sc->files[0].len, 7);
	sc_free(sc);
}

static void
test_paths(void **state)
{
	char text[2200];

	(void)state;
	fails_with(FILES "etc/x = y\n", "4: 'etc/x': not an absolute path (where the sandbox "
		   "shows the file, such as /etc/postfix/access)", NULL);
	{
		static const char *const bad[] = {
			"/etc/../x", "/..", "/etc/..", "/etc//x", "//etc", "/etc/x/", "/etc/./x",
			"/.",
		};

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			char want[300];

			snprintf(text, sizeof text, FILES "%s = y\n", bad[i]);
			snprintf(want, sizeof want, "4: '%s': not a normalised path (no '.' or "
				 "'..' components, no '//', no '/' at the end)", bad[i]);
			fails_with(text, want, NULL);
		}
	}
	fails_with(FILES "/ = y\n", "4: '/' is not a file", NULL);
	fails_with(FILES "/a b = y\n", "4: '/a b': bad path (printable characters, no spaces)", NULL);
	fails_with(FILES "/caf\xc3\xa9 = y\n",
		   "4: '/caf\xc3\xa9': bad path (printable characters, no spaces)", NULL);
	/* 1024 bytes is the most. */
	memset(text, 0, sizeof text);
	strcpy(text, FILES "/");
	memset(text + strlen(text), 'a', 1023);
	strcat(text, " = y\n");
	sc_free(load(text));
	assert_int_equal(errs.n, 0);
	memset(text, 0, sizeof text);
	strcpy(text, FILES "/");
	memset(text + strlen(text), 'a', 1024);
	strcat(text, " = y\n");
	{
		struct scenario *sc = load(text);

		assert_null(sc);
		assert_int_equal(errs.n, 1);
		assert_non_null(strstr(errs.msg[0], "t.scn:4: '/aaaaaaaa"));
		assert_non_null(strstr(errs.msg[0], "...': longer than 1024 bytes"));
		sc_errors_free(&errs);
	}
	fails_with(FILES "/etc/${pki}/x = y\n", "4: '/etc/${pki}/x': no variables in a [files] "
		   "path (it is where the sandbox shows the file)", NULL);
	fails_with(FILES "/etc/${foo} = y\n", "4: unknown variable ${foo} (known: pki, instance, "
		   "scenario, name; a Postfix parameter is written $foo or $(foo))", NULL);
	fails_with(FILES "/etc/x = a\n/etc/y = b\n/etc/x = c\n",
		   "6: /etc/x: given twice (first at line 4)", NULL);
	fails_with(FILES "no equals sign\n", "4: expected KEY = VALUE, got 'no equals sign'", NULL);
	fails_with(FILES "/a = 1\n[files]\n/b = 2\n", "5: section [files] given twice (first "
		   "at line 3)", NULL);
}

static void
test_values(void **state)
{
	(void)state;
	fails_with(FILES "/etc/x = ${foo}\n", "4: /etc/x: unknown variable ${foo} (known: pki, "
		   "instance, scenario, name; a Postfix parameter is written $foo or $(foo))", NULL);
	fails_with(FILES "/etc/x = a ${pki\n", "4: /etc/x: unterminated ${ (variables are ${pki}, "
		   "${instance}, ${scenario}, ${name})", NULL);
	fails_with(FILES "/etc/x = ${instance}/maillog\n", "4: /etc/x: ${instance} is not "
		   "expanded in [files] (a value is ${pki}/PATH, file:PATH or text)", NULL);
	fails_with(FILES "/etc/x = text ${name}\n", "4: /etc/x: ${name} is not expanded in "
		   "[files] (a value is ${pki}/PATH, file:PATH or text)", NULL);
	fails_with(FILES "/etc/x = ${pki}\n", "4: /etc/x: ${pki} is not expanded in [files] "
		   "(a value is ${pki}/PATH, file:PATH or text)", NULL);
	{
		static const char *const bad[] = {
			"${pki}/", "${pki}/../etc/passwd", "${pki}/ca/../../x", "${pki}//ca",
			"${pki}/ca/", "${pki}/./ca", "${pki}/a b", "${pki}/${name}",
		};
		char text[300], want[400];

		for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
			snprintf(text, sizeof text, FILES "/etc/x = %s\n", bad[i]);
			snprintf(want, sizeof want, "4: /etc/x: bad PKI file '%s' (${pki}/ and a path "
				 "inside the PKI without '.', '..' or empty components, such as "
				 "${pki}/ca/root.crt)", bad[i]);
			fails_with(text, want, NULL);
		}
	}
}

static void
test_host(void **state)
{
	char *big, target[PATH_MAX + 64];
	size_t n = (1u << 20) + 1;

	(void)state;
	make_dir("h");
	write_file("h/real", "secret\n", 0);
	fails_with(FILES "/etc/x = file:\n", "4: /etc/x: file: names no file (file:PATH, "
		   "relative to the directory of %D/t.scn)", NULL);
	fails_with(FILES "/etc/x = file:/etc/passwd\n", "4: /etc/x: file:/etc/passwd: not "
		   "inside the directory of %D/t.scn (a relative path without '..')", NULL);
	fails_with(FILES "/etc/x = file:../x\n", "4: /etc/x: file:../x: not inside the "
		   "directory of %D/t.scn (a relative path without '..')", NULL);
	fails_with(FILES "/etc/x = file:h/../../x\n", "4: /etc/x: file:h/../../x: not inside "
		   "the directory of %D/t.scn (a relative path without '..')", NULL);
	fails_with(FILES "/etc/x = file:${name}\n", "4: /etc/x: file:${name}: no variables "
		   "in file:PATH", NULL);
	fails_with(FILES "/etc/x = file:h/missing\n", "4: /etc/x: file:h/missing: No such "
		   "file or directory", NULL);
	/* A symbolic link is never followed: not as the last component, not
	 * as a directory on the way, not even to a file beside it. */
	snprintf(target, sizeof target, "%s/h/real", dir);
	snprintf(path, sizeof path, "%s/h/link", dir);
	assert_int_equal(symlink(target, path), 0);
	fails_with(FILES "/etc/x = file:h/link\n", "4: /etc/x: file:h/link: a symbolic link is "
		   "in the way (links are not followed)", NULL);
	snprintf(path, sizeof path, "%s/h/rel", dir);
	assert_int_equal(symlink("real", path), 0);
	fails_with(FILES "/etc/x = file:h/rel\n", "4: /etc/x: file:h/rel: a symbolic link is "
		   "in the way (links are not followed)", NULL);
	snprintf(path, sizeof path, "%s/hl", dir);
	assert_int_equal(symlink("h", path), 0);
	fails_with(FILES "/etc/x = file:hl/real\n", "4: /etc/x: file:hl/real: a symbolic link "
		   "is in the way (links are not followed)", NULL);
	snprintf(path, sizeof path, "%s/out", dir);
	assert_int_equal(symlink("/etc/hostname", path), 0);
	fails_with(FILES "/etc/x = file:out\n", "4: /etc/x: file:out: a symbolic link is in "
		   "the way (links are not followed)", NULL);
	/* The real file itself is fine. */
	sc_free(load(FILES "/etc/x = file:h/real\n"));
	assert_int_equal(errs.n, 0);

	/* Not a regular file: a directory, a FIFO (never opened: no hang). */
	fails_with(FILES "/etc/x = file:h\n", "4: /etc/x: file:h: not a regular file "
		   "(a directory)", NULL);
	snprintf(path, sizeof path, "%s/h/fifo", dir);
	assert_int_equal(mkfifo(path, 0600), 0);
	alarm(10);
	fails_with(FILES "/etc/x = file:h/fifo\n", "4: /etc/x: file:h/fifo: not a regular "
		   "file (a FIFO)", NULL);
	alarm(0);

	/* 1 MiB is the most. */
	big = malloc(n);
	assert_non_null(big);
	memset(big, 'x', n);
	write_file("h/big", big, n - 1);
	{
		struct scenario *sc = load(FILES "/etc/big = file:h/big\n");

		assert_non_null(sc);
		assert_int_equal(sc->files[0].len, n - 1);
		sc_free(sc);
	}
	write_file("h/big", big, n);
	free(big);
	fails_with(FILES "/etc/x = file:h/big\n", "4: /etc/x: file:h/big: larger than 1048576 "
		   "bytes (1 MiB)", NULL);
	/* What one file's [files] hold together is bounded too (16M). */
	{
		char text[2000] = FILES;

		for (int i = 0; i < 17; i++)
			snprintf(text + strlen(text), sizeof text - strlen(text),
				 "/etc/b%d = file:h/big%d\n", i, i);
		big = calloc(1, 1u << 20);
		assert_non_null(big);
		for (int i = 0; i < 17; i++) {
			char name[32];

			snprintf(name, sizeof name, "h/big%d", i);
			write_file(name, big, 1u << 20);
		}
		free(big);
		fails_with(text, "20: /etc/b16: [files] of one file hold more than 16M in all", NULL);
	}
}

static void
test_postfix_config(void **state)
{
	char want[PATH_MAX * 2], text[PATH_MAX + 100];
	struct scenario *sc;

	(void)state;
	make_dir("pf");
	write_file("pf/main.cf", "myhostname = x\n", 0);
	write_file("pf/master.cf", "smtp inet n - n - - smtpd\n", 0);
	snprintf(want, sizeof want, "%s/pf", dir);
	{
		static const char *const same[] = { "pf", "./pf/", "pf/../pf//.", "../%B/pf" };
		const char *base = strrchr(dir, '/') + 1;

		for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) {
			char v[PATH_MAX];

			snprintf(v, sizeof v, "%s", same[i]);
			if (strstr(v, "%B"))
				snprintf(v, sizeof v, "../%s/pf", base);
			snprintf(text, sizeof text, HEAD "postfix-config = %s\n", v);
			sc = load(text);
			for (size_t e = 0; e < errs.n; e++)
				print_message("# %s\n", errs.msg[e]);
			assert_non_null(sc);
			assert_string_equal(sc->postfix_config, want);
			assert_string_equal(sc->postfix_config_origin, path);
			assert_int_equal(sc->postfix_config_line, 3);
			sc_free(sc);
		}
	}
	snprintf(text, sizeof text, HEAD "postfix-config = %s/pf/\n", dir);
	sc = load(text);
	assert_non_null(sc);
	assert_string_equal(sc->postfix_config, want);
	sc_free(sc);
	sc = load(HEAD);
	assert_non_null(sc);
	assert_null(sc->postfix_config);
	assert_null(sc->postfix_config_origin);
	sc_free(sc);

	fails_with(HEAD "postfix-config = nope\n",
		   "3: postfix-config %D/nope: No such file or directory", NULL);
	fails_with(HEAD "postfix-config = pf/main.cf\n",
		   "3: postfix-config %D/pf/main.cf: not a directory (a regular file)", NULL);
	fails_with(HEAD "postfix-config = .\n", "3: postfix-config %D: no main.cf", NULL);
	make_dir("half");
	write_file("half/main.cf", "", 0);
	fails_with(HEAD "postfix-config = half\n", "3: postfix-config %D/half: no master.cf", NULL);
	make_dir("dirs");
	make_dir("dirs/main.cf");
	fails_with(HEAD "postfix-config = dirs\n", "3: postfix-config %D/dirs: main.cf is not a "
		   "regular file (a directory)", NULL);
	fails_with(HEAD "postfix-config = ${scenario}/pf\n", "3: postfix-config: ${scenario} is "
		   "not expanded in [scenario] (only in [main.cf], [master.cf], [server NAME] and "
		   "[client NAME])", NULL);
	/* The host's system trees are refused before anything is looked at. */
	fails_with(HEAD "postfix-config = /etc/postfix\n", "3: postfix-config /etc/postfix: refused: "
		   "it is part of the host's system tree (/etc)" "; keep the configuration in a directory of its own, such as a git checkout", NULL);
	fails_with(HEAD "postfix-config = /usr/../etc/./postfix-x\n", "3: postfix-config "
		   "/etc/postfix-x: refused: it is part of the host's system tree (/etc)" "; keep the configuration in a directory of its own, such as a git checkout", NULL);
	fails_with(HEAD "postfix-config = /\n", "3: postfix-config /: refused: it is part of the host's system tree (/)" "; keep the configuration in a directory of its own, such as a git checkout", NULL);
	fails_with(HEAD "postfix-config = pf\npostfix-config = pf\n",
		   "4: postfix-config: given twice (first at line 3)", NULL);
	fails_with(HEAD "postfix-config =\n", "3: postfix-config: empty value", NULL);
}

static void
test_path_absolute(void **state)
{
	static const char *const cases[][3] = {
		{ "/a/b", "c", "/a/b/c" },
		{ "/a/b", "../c/./d//", "/a/c/d" },
		{ "/a/b", "/x/../../y/", "/y" },
		{ "/", "..", "/" },
		{ "/a", "../../..", "/" },
		{ "/a", ".", "/a" },
		{ "/a/", "b/..", "/a" },
		{ "/", "x", "/x" },
	};
	char cwd[PATH_MAX], want[PATH_MAX + 8], *out;

	(void)state;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		assert_int_equal(sc_path_absolute(cases[i][0], cases[i][1], &out), 0);
		assert_string_equal(out, cases[i][2]);
		free(out);
	}
	/* A relative base is relative to the current directory. */
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(sc_path_absolute("sub", "x", &out), 0);
	snprintf(want, sizeof want, "%s/sub/x", strcmp(cwd, "/") ? cwd : "");
	assert_string_equal(out, want);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_values),
		cmocka_unit_test(test_host),
		cmocka_unit_test(test_postfix_config),
		cmocka_unit_test(test_path_absolute),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);

	sc_errors_free(&errs);
	return rc;
}
