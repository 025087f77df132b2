/*
 * test_exim_conf.c: a scenario's [exim.conf] overlay merged over the Exim
 * driver's base configuration (mta_exim_conf.h): options replaced in
 * place or appended, driver instances merged, new routers first, ACLs
 * and list sections replaced, the driver's own options refused with the
 * scenario's line number, hostile texts refused or merged without harm.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mta_exim_conf.h"

static const char *const owned[] = {
	"exim_path", "spool_directory", "log_file_path", "pid_file_path",
	"keep_environment", NULL
};

static char err[256];

/* The merge must succeed and give want. */
static void
check(const char *base, const char *overlay, const char *want)
{
	char *t;

	err[0] = '\0';
	t = mta_exim_conf_merge(base, overlay, 10, owned, err, sizeof(err));
	if (!t)
		fail_msg("merge failed: %s", err);
	assert_string_equal(t, want);
	free(t);
}

/* The merge must fail with want. */
static void
check_err(const char *base, const char *overlay, const char *want)
{
	char *t;

	err[0] = '\0';
	t = mta_exim_conf_merge(base, overlay, 10, owned, err, sizeof(err));
	assert_null(t);
	assert_string_equal(err, want);
}

/* Tight copies merged: NULL or a text, no crash, no stray read. */
static void
hostile(const char *base, const char *overlay)
{
	char *b = strdup(base), *o = strdup(overlay);

	assert_non_null(b);
	assert_non_null(o);
	free(mta_exim_conf_merge(b, o, 1, owned, err, sizeof(err)));
	free(b);
	free(o);
}

static void
test_replace_in_place(void **state)
{
	(void)state;
	check("a = 1\nb = 2\nc = 3\n", "b = 20\n", "a = 1\nb = 20\nc = 3\n");
	/* Macros are options by name too. */
	check("MX = x\na = MX\n", "MX = y\n", "MX = y\na = MX\n");
}

static void
test_append(void **state)
{
	(void)state;
	/* After the last option; the comment that heads the next section
	 * stays last. */
	check("a = 1\n\n# routers\nbegin routers\n", "z = 9\n",
	      "a = 1\nz = 9\n\n# routers\nbegin routers\n");
	/* Set twice in the overlay: the last one, once. */
	check("a = 1\n", "z = 1\nz = 2\n", "a = 1\nz = 2\n");
}

static void
test_no_replaces(void **state)
{
	(void)state;
	check("a = 1\ntls_x\nb = 2\n", "no_tls_x\n", "a = 1\nno_tls_x\nb = 2\n");
	check("not_y\n", "y = true\n", "y = true\n");
	check("hide p = 1\n", "hide p = 2\n", "hide p = 2\n");
}

static void
test_instance_merge(void **state)
{
	(void)state;
	check("begin transports\n"
	      "remote_smtp: driver = smtp\n"
	      "  port = 25\n"
	      "  hosts_try_fastopen = *\n"
	      "local:\n"
	      "  driver = appendfile\n",
	      "begin transports\n"
	      "remote_smtp:\n"
	      "  port = 2525\n"
	      "  no_hosts_try_fastopen\n"
	      "  tls_verify_hosts = *\n",
	      "begin transports\n"
	      "remote_smtp: driver = smtp\n"
	      "  port = 2525\n"
	      "  no_hosts_try_fastopen\n"
	      "  tls_verify_hosts = *\n"
	      "local:\n"
	      "  driver = appendfile\n");
	/* An option on the "NAME:" line is replaced there. */
	check("begin transports\nt: driver = smtp\n  port = 25\n",
	      "begin transports\nt:\n  driver = lmtp\n",
	      "begin transports\nt: driver = lmtp\n  port = 25\n");
}

static void
test_router_first(void **state)
{
	(void)state;
	check("begin routers\n"
	      "# base routers\n"
	      "dnslookup:\n  driver = dnslookup\n"
	      "local:\n  driver = accept\n",
	      "begin routers\n"
	      "mine:\n  driver = manualroute\n"
	      "mine2:\n  driver = redirect\n",
	      "begin routers\n"
	      "# base routers\n"
	      "mine:\n  driver = manualroute\n"
	      "mine2:\n  driver = redirect\n"
	      "dnslookup:\n  driver = dnslookup\n"
	      "local:\n  driver = accept\n");
}

static void
test_transport_last(void **state)
{
	(void)state;
	check("begin transports\nt1:\n  driver = smtp\nbegin retry\n* * F,1h,1m\n",
	      "begin transports\nt2:\n  driver = lmtp\n",
	      "begin transports\nt1:\n  driver = smtp\nt2:\n  driver = lmtp\n"
	      "begin retry\n* * F,1h,1m\n");
	check("begin authenticators\na1:\n  driver = plaintext\n",
	      "begin authenticators\na2:\n  driver = cram_md5\n",
	      "begin authenticators\na1:\n  driver = plaintext\n"
	      "a2:\n  driver = cram_md5\n");
}

static void
test_acl_wholesale(void **state)
{
	(void)state;
	check("acl_smtp_rcpt = rcpt\n"
	      "begin acl\n"
	      "rcpt:\n  accept hosts = :\n  deny message = no\n"
	      "data:\n  accept\n",
	      "begin acl\n"
	      "rcpt:\n  accept\n"
	      "mail:\n  deny\n",
	      "acl_smtp_rcpt = rcpt\n"
	      "begin acl\n"
	      "rcpt:\n  accept\n"
	      "data:\n  accept\n"
	      "mail:\n  deny\n");
}

static void
test_retry_replaced(void **state)
{
	(void)state;
	check("begin retry\n* * F,2h,15m; G,16h,1h,1.5\n"
	      "begin rewrite\n*@x $1@y\n",
	      "begin retry\n* * F,1m,10s\n",
	      "begin retry\n* * F,1m,10s\n"
	      "begin rewrite\n*@x $1@y\n");
}

static void
test_new_section(void **state)
{
	(void)state;
	/* Base order, then the overlay's new sections in overlay order. */
	check("a = 1\nbegin routers\nr:\n  driver = accept\n",
	      "begin rewrite\n*@x $1@y\nbegin acl\nc:\n  accept\n",
	      "a = 1\nbegin routers\nr:\n  driver = accept\n"
	      "begin rewrite\n*@x $1@y\nbegin acl\nc:\n  accept\n");
}

static void
test_errors(void **state)
{
	(void)state;
	/* Overlay line 3 is the scenario's line 12. */
	check_err("a = 1\n", "# c\nb = 2\nspool_directory = /tmp\n",
		  "12: spool_directory is set by mxlab's exim driver; remove it");
	check_err("a = 1\n", "no_keep_environment\n",
		  "10: keep_environment is set by mxlab's exim driver; remove it");
	check_err("", "begin routers\n# c\n  driver = accept\nr:\n",
		  "12: option outside any driver instance in routers");
	check_err("", "a = 1\nwhat is this\n", "11: not an option");
	check_err("", "a = 1\nbegin\n", "11: begin with no section name");
	check_err("", "begin acl\nbegin acl\n", "11: section acl begun twice");
	check_err("x y\n", "", "base line 1: not an option");
}

static void
test_continuation(void **state)
{
	(void)state;
	/* Replaced together, continuation lines included. */
	check("a = 1, \\\n    2, \\\n    3\nb = 4\n", "a = 5 \\\n  6\n",
	      "a = 5 \\\n  6\nb = 4\n");
	/* A continuation at column 0 that looks like a header stays. */
	check("begin routers\nr:\n  domains = a \\\nx: \\\n b\n", "",
	      "begin routers\nr:\n  domains = a \\\nx: \\\n b\n");
}

static void
test_comments_directives(void **state)
{
	(void)state;
	check("# head\n.ifdef X\na = 1\n.endif\n\n.include /etc/x\n"
	      "begin routers\n# r\nr:\n.ifdef Y\n  driver = accept\n.endif\n",
	      "a = 2\nb = 3\nbegin routers\nr:\n  driver = redirect\n",
	      "# head\n.ifdef X\na = 2\n.endif\n\n.include /etc/x\nb = 3\n"
	      "begin routers\n# r\nr:\n.ifdef Y\n  driver = redirect\n.endif\n");
}

static void
test_empty_overlay(void **state)
{
	(void)state;
	check("a = 1\nbegin acl\nx:\n  accept", NULL, "a = 1\nbegin acl\nx:\n  accept\n");
	check("a = 1\n", "", "a = 1\n");
	check("", "", "");
}

static void
test_hostile(void **state)
{
	size_t n = MTA_EXIM_CONF_MAX_BYTES + 10, i;
	char *big = malloc(n + 1), *t;

	(void)state;
	assert_non_null(big);
	/* One line over the limit. */
	memset(big, 'a', n);
	big[n] = '\0';
	assert_null(mta_exim_conf_merge("a = 1\n", big, 1, owned, err, sizeof(err)));
	assert_string_equal(err, "1: text over 1048576 bytes");
	/* One long line under it is a bare boolean. */
	big[MTA_EXIM_CONF_MAX_BYTES / 2] = '\0';
	t = mta_exim_conf_merge("a = 1", big, 1, owned, err, sizeof(err));
	assert_non_null(t);
	assert_int_equal(strlen(t), strlen("a = 1\n") + MTA_EXIM_CONF_MAX_BYTES / 2 + 1);
	free(t);
	/* Too many lines. */
	memset(big, '\n', MTA_EXIM_CONF_MAX_LINES + 1);
	big[MTA_EXIM_CONF_MAX_LINES + 1] = '\0';
	assert_null(mta_exim_conf_merge(big, "", 1, owned, err, sizeof(err)));
	assert_string_equal(err, "base line 1: text over 10000 lines");
	big[MTA_EXIM_CONF_MAX_LINES] = '\0';
	t = mta_exim_conf_merge(big, "", 1, owned, err, sizeof(err));
	assert_non_null(t);
	free(t);
	/* Garbage, every byte but NUL, in short lines: an error or a text,
	 * never a crash (tight copies, for valgrind). */
	for (i = 0; i < 200000; i++)
		big[i] = (char)(1 + (i * 7919 + i / 3) % 255);
	big[i] = '\0';
	hostile("", big);
	hostile(big, "begin acl\n");
	for (i = 0; i < 200000; i++)
		big[i] = "begin acl\\\n:x#.= \t\r"[(i * 31 + i / 7) % 19];
	hostile(big, big);
	/* Continued at the end, no newline at the end. */
	hostile("a = 1 \\", "b = 2 \\");
	hostile("begin routers\nr: driver = x \\", "begin routers\nr:\\");
	check("a = 1 \\", "b = 2", "a = 1 \\\nb = 2\n");
	/* A tiny error buffer is enough. */
	assert_null(mta_exim_conf_merge("", "begin\n", 1, owned, err, 4));
	assert_string_equal(err, "1: ");
	assert_null(mta_exim_conf_merge("", "begin\n", 1, owned, NULL, 0));
	free(big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_replace_in_place),
		cmocka_unit_test(test_append),
		cmocka_unit_test(test_no_replaces),
		cmocka_unit_test(test_instance_merge),
		cmocka_unit_test(test_router_first),
		cmocka_unit_test(test_transport_last),
		cmocka_unit_test(test_acl_wholesale),
		cmocka_unit_test(test_retry_replaced),
		cmocka_unit_test(test_new_section),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_continuation),
		cmocka_unit_test(test_comments_directives),
		cmocka_unit_test(test_empty_overlay),
		cmocka_unit_test(test_hostile),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
