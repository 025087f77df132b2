/*
 * test_tmpdir.h: what the scenario reader's tests share: a private
 * temporary directory for the whole test file (cmocka group setup and
 * teardown), files and directories written into it, and a scenario loaded
 * from text. Include after <cmocka.h> and scenario.h; define TMPDIR_PREFIX
 * ("/tmp/mxlab-test-x") first.
 */
#ifndef MX_TEST_TMPDIR_H
#define MX_TEST_TMPDIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char dir[PATH_MAX];		/* the test directory, realpath'd */
static char path[PATH_MAX + 64];	/* the file write_file wrote last */

static int
setup(void **state)
{
	char tmp[] = TMPDIR_PREFIX "-XXXXXX";

	(void)state;
	if (!mkdtemp(tmp) || !realpath(tmp, dir))
		return -1;
	return 0;
}

static int
teardown(void **state)
{
	char cmd[PATH_MAX + 16];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write len bytes of text (strlen when 0) to DIR/file; path holds it. */
static void
write_file(const char *file, const char *text, size_t len)
{
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, file);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(text, 1, len ? len : strlen(text), f), len ? len : strlen(text));
	assert_int_equal(fclose(f), 0);
}

static struct sc_errors errs;		/* what the last load reported */

/* Write text to DIR/t.scn and load it (errors in errs). */
static inline struct scenario *
load(const char *text)
{
	write_file("t.scn", text, 0);
	sc_errors_free(&errs);
	return sc_load(path, &errs);
}

static inline void
make_dir(const char *d)
{
	char p[PATH_MAX + 64];

	snprintf(p, sizeof p, "%s/%s", dir, d);
	assert_int_equal(mkdir(p, 0700), 0);
}

#endif
