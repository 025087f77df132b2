/*
 * test_fsutil.c: paths are exact or an error (mx_path never cuts one off),
 * and mx_mkdir_p refuses a path longer than the kernel takes instead of
 * making a shorter one.
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
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"

static void
test_path_exact(void **state)
{
	char buf[16];

	(void)state;
	assert_int_equal(mx_path(buf, sizeof buf, "%s/%s", "/w", "pki"), 0);
	assert_string_equal(buf, "/w/pki");
	/* 15 bytes and the NUL: fits exactly */
	assert_int_equal(mx_path(buf, sizeof buf, "%s/%s", "/abcdefghij", "pki"), 0);
	assert_string_equal(buf, "/abcdefghij/pki");
}

static void
test_path_too_long(void **state)
{
	char buf[16], big[MX_PATH_MAX];
	char *dir = malloc(MX_PATH_MAX + 10);

	(void)state;
	assert_non_null(dir);
	/* one byte too many: an error, and nothing usable left in buf */
	errno = 0;
	assert_int_equal(mx_path(buf, sizeof buf, "%s/%s", "/abcdefghijk", "pki"), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	assert_string_equal(buf, "");
	assert_int_equal(mx_path(buf, 0, "%s", "x"), -1);

	memset(dir, 'd', MX_PATH_MAX + 9);
	dir[0] = '/';
	dir[MX_PATH_MAX + 9] = '\0';
	assert_int_equal(mx_path(big, sizeof big, "%s/etc", dir), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	free(dir);
}

static void
test_mkdir_p_too_long(void **state)
{
	char tmpl[] = "/tmp/mxlab-fsutil.XXXXXX", *p;
	size_t n;
	struct stat st;

	(void)state;
	assert_non_null(mkdtemp(tmpl));
	n = strlen(tmpl) + MX_PATH_MAX;
	p = malloc(n + 1);
	assert_non_null(p);
	memset(p, 'a', n);
	memcpy(p, tmpl, strlen(tmpl));
	p[strlen(tmpl)] = '/';
	for (size_t i = strlen(tmpl) + 100; i < n; i += 100)
		p[i] = '/';
	p[n] = '\0';
	errno = 0;
	assert_int_equal(mx_mkdir_p(p), -1);
	assert_int_equal(errno, ENAMETOOLONG);
	/* nothing made below the temporary directory */
	p[strlen(tmpl) + 100] = '\0';
	assert_int_equal(stat(p, &st), -1);
	free(p);
	assert_int_equal(mx_rm_tree(tmpl), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_exact),
		cmocka_unit_test(test_path_too_long),
		cmocka_unit_test(test_mkdir_p_too_long),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
