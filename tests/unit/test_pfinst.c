/*
 * test_pfinst.c: what the runner writes for a Postfix instance. The
 * parameters the sandbox owns are defined once, with the sandbox's values,
 * whatever the scenario's main.cf says (also across continuation lines,
 * comments and blank lines, the way Postfix reads them); master.cf services
 * run programs of the daemon directory only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsutil.h"
#include "pfinst.h"

static char err[1024];
static int line;

static void
test_master_cf_check(void **state)
{
	(void)state;
	assert_int_equal(pf_master_cf_check("smtp inet n - n - - smtpd\n"
					    "  -o smtpd_tls_security_level=may\n"
					    "# x unix - n n - 1 ../sh\n"
					    "relay unix - - n - - smtp -o x=/y/z\n", 1, &line, err, sizeof err), 0);
	assert_int_equal(pf_master_cf_check("", 1, &line, err, sizeof err), 0);

	assert_int_equal(pf_master_cf_check("smtp inet n - n - - smtpd\n"
					    "x unix - n n - 1 ../../../bin/sh -c id\n", 10, &line, err, sizeof err), -1);
	assert_int_equal(line, 11);
	assert_non_null(strstr(err, "master.cf service x: command '../../../bin/sh'"));

	/* The command on a continuation line, after a comment and a blank line. */
	assert_int_equal(pf_master_cf_check("x unix - n n - 1\n# c\n\n   /usr/bin/perl -e 1\n", 5,
					    &line, err, sizeof err), -1);
	assert_int_equal(line, 5);
	assert_non_null(strstr(err, "master.cf service x: command '/usr/bin/perl'"));
}

static char *
slurp(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *buf = calloc(1, 65536);

	assert_non_null(fp);
	assert_non_null(buf);
	(void)!fread(buf, 1, 65535, fp);
	fclose(fp);
	return buf;
}

static int
count_lines_starting(const char *text, const char *prefix)
{
	int n = 0;
	size_t len = strlen(prefix);

	for (const char *p = text; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		n += !strncmp(p, prefix, len);
	return n;
}

static void
test_owned_parameters(void **state)
{
	char dir[] = "/tmp/mxlab-test-pfinst.XXXXXX", inst[200], path[300], *m;
	struct pf_system sys = { { 0 } };
	struct pf_instance pf;
	const char *vals[PF_SYS_N] = {
		"3.7.11", "/etc/postfix", "/var/spool/postfix", "/var/lib/postfix", "/var/mail",
		"/usr/lib/postfix/sbin", "/usr/sbin", "/etc/postfix", "/usr/lib/postfix",
		"/usr/sbin/sendmail", "/usr/bin/newaliases", "/usr/bin/mailq", "root", "root",
	};
	const char *scen =
		"queue_directory = /var/spool/postfix\n"
		"smtp_tls_security_level = may\n"
		"daemon_directory =\n"
		"# a comment ends nothing\n"
		"\n"
		"    /tmp/evil\n"
		"maillog_file=/tmp/host.log\n"
		"myhostname = mx.example\n";

	(void)state;
	for (int i = 0; i < PF_SYS_N; i++)
		sys.v[i] = strdup(vals[i]);
	assert_non_null(mkdtemp(dir));
	snprintf(inst, sizeof inst, "%s/postfix", dir);
	struct pf_layer layer = { scen, "t.scn", 3 };
	struct pf_config cfg = { .main_layers = &layer, .nmain = 1 };

	assert_int_equal(pf_write_config(&pf, inst, &cfg, &sys, NULL, err, sizeof err), 0);
	snprintf(path, sizeof path, "%s/etc/main.cf", inst);
	m = slurp(path);

	/* Each owned parameter once, the sandbox's value. */
	assert_int_equal(count_lines_starting(m, "queue_directory"), 1);
	snprintf(path, sizeof path, "\nqueue_directory = %s/spool\n", inst);
	assert_non_null(strstr(m, path));
	assert_int_equal(count_lines_starting(m, "daemon_directory"), 1);
	assert_non_null(strstr(m, "\ndaemon_directory = /usr/lib/postfix/sbin\n"));
	assert_int_equal(count_lines_starting(m, "maillog_file "), 1);
	snprintf(path, sizeof path, "\nmaillog_file = %s/maillog\n", inst);
	assert_non_null(strstr(m, path));
	assert_non_null(strstr(m, "\nmail_owner = root\n"));
	assert_non_null(strstr(m, "\nmulti_instance_enable = no\n"));
	/* The scenario's definitions, continuation included, are comments. */
	assert_non_null(strstr(m, "\n# owned by the mxlab sandbox: queue_directory = /var/spool/postfix\n"));
	assert_non_null(strstr(m, "\n# owned by the mxlab sandbox: daemon_directory =\n"));
	assert_non_null(strstr(m, "\n# owned by the mxlab sandbox:     /tmp/evil\n"));
	assert_non_null(strstr(m, "\n# owned by the mxlab sandbox: maillog_file=/tmp/host.log\n"));
	assert_null(strstr(m, "\n    /tmp/evil"));
	/* Everything else is the scenario's. */
	assert_non_null(strstr(m, "\nsmtp_tls_security_level = may\n"));
	assert_non_null(strstr(m, "\nmyhostname = mx.example\n"));
	assert_int_equal(count_lines_starting(m, "myhostname"), 1);
	free(m);

	/* A master.cf service outside the daemon directory is refused. */
	pf_instance_free(&pf);
	layer = (struct pf_layer){ "x unix - n n - 1 ../../bin/sh\n", "t.scn", 9 };
	cfg = (struct pf_config){ .master_layers = &layer, .nmaster = 1 };
	assert_int_equal(pf_write_config(&pf, inst, &cfg, &sys, NULL, err, sizeof err), -1);
	assert_non_null(strstr(err, "master.cf service x"));

	pf_system_free(&sys);
	mx_rm_tree(dir);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_master_cf_check),
		cmocka_unit_test(test_owned_parameters),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
