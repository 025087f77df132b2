/*
 * test_run.c: mxlab/runner.h through the public header only: the keys,
 * mxlab_run_set's checks and error texts (those `mxlab run` prints after
 * "--"), and what execute writes, and where, for check, list, a selection
 * that matches nothing and a broken file (none of them needs root).
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
#include <sys/stat.h>

#include <mxlab/mxlab.h>

static char dir[PATH_MAX];

static int
setup(void **state)
{
	char tmp[] = "/tmp/mxlab-test-run-XXXXXX", p[PATH_MAX + 32];
	FILE *f;

	(void)state;
	if (!mkdtemp(tmp) || !realpath(tmp, dir))
		return -1;
	snprintf(p, sizeof p, "%s/sub", dir);
	if (mkdir(p, 0700) < 0)
		return -1;
	snprintf(p, sizeof p, "%s/sub/a.scn", dir);
	if (!(f = fopen(p, "w")) || fputs("[scenario]\nsummary = first\ntags = x\n", f) < 0 ||
	    fclose(f) != 0)
		return -1;
	snprintf(p, sizeof p, "%s/b.scn", dir);
	if (!(f = fopen(p, "w")) || fputs("[scenario]\nsummary = second\n", f) < 0 ||
	    fclose(f) != 0)
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

static void
test_keys(void **state)
{
	static const char *const want[] = { "jobs", "name", "tag", "skip-tag", "keep", "verbose",
		"tap", "list", "check", "workdir", "shard", "junit", "json", "lab-goals",
		"lab-config", "lab-shell" };
	const struct mxlab_run_key *k = mxlab_run_keys();
	size_t n = 0;

	(void)state;
	for (; k[n].key; n++) {
		assert_true(n < sizeof want / sizeof want[0]);
		assert_string_equal(k[n].key, want[n]);
		assert_non_null(k[n].help);
	}
	assert_int_equal(n, sizeof want / sizeof want[0]);
	assert_null(k[4].arg);		/* keep: a flag */
	assert_string_equal(k[0].arg, "N");
	assert_true(k[1].repeatable);
}

static void
bad(mxlab_run *run, const char *key, const char *value, const char *msg)
{
	char err[512];

	assert_int_equal(mxlab_run_set(run, key, value, err, sizeof err), MXLAB_ERR_USAGE);
	assert_string_equal(err, msg);
}

static void
test_set(void **state)
{
	mxlab_run *run = mxlab_run_new();
	char err[512];

	(void)state;
	assert_non_null(run);
	bad(run, "jobs", "0", "jobs: bad value '0' (1 to 64)");
	bad(run, "jobs", "65", "jobs: bad value '65' (1 to 64)");
	bad(run, "jobs", "2x", "jobs: bad value '2x' (1 to 64)");
	bad(run, "shard", "4/3", "shard: bad value '4/3': needs K/N, whole numbers with "
	    "1 <= K <= N <= 1000 (e.g. --shard 2/3)");
	bad(run, "shard", " 1/2", "shard: bad value ' 1/2': needs K/N, whole numbers with "
	    "1 <= K <= N <= 1000 (e.g. --shard 2/3)");
	bad(run, "keep", "maybe", "keep: bad value 'maybe' (yes or no)");
	bad(run, "nope", "x", "nope: unknown key");
	bad(run, "workdir", NULL, "workdir: needs a value");
	bad(run, "lab-goals", "maybe", "lab-goals: bad value 'maybe' (yes or no)");
	bad(run, "lab-config", NULL, "lab-config: needs a value");
	assert_int_equal(mxlab_run_set(run, "lab-goals", NULL, err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "lab-config", "a", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "lab-config", "b", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "jobs", "64", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "shard", "1000/1000", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "keep", NULL, err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "keep", "no", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "name", "a*", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "name", "b*", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "json", "x.json", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_set(run, "json", "y.json", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_add_path(run, dir), MXLAB_OK);
	mxlab_run_interrupt(run);
	mxlab_run_free(run);
	mxlab_run_free(NULL);
	mxlab_run_interrupt(NULL);
}

/* Execute a run with these key = value pairs (NULL-terminated) on the
 * test directory; *out and *diag: what it wrote (malloc'ed). */
static int
execute(char **out, char **diag, const char *path, ...)
{
	mxlab_run *run = mxlab_run_new();
	size_t lo, ld;
	FILE *fo = open_memstream(out, &lo), *fd = open_memstream(diag, &ld);
	const char *k, *v;
	char err[512];
	va_list ap;
	int rc;

	assert_non_null(run);
	assert_non_null(fo);
	assert_non_null(fd);
	va_start(ap, path);
	while ((k = va_arg(ap, const char *)) != NULL) {
		v = va_arg(ap, const char *);
		assert_int_equal(mxlab_run_set(run, k, v, err, sizeof err), MXLAB_OK);
	}
	va_end(ap);
	assert_int_equal(mxlab_run_add_path(run, path), MXLAB_OK);
	mxlab_run_set_output(run, fo, fd);
	rc = mxlab_run_execute(run);
	assert_int_equal(mxlab_run_execute(run), 2);	/* once only */
	mxlab_run_free(run);
	fclose(fo);
	fclose(fd);
	return rc;
}

static void
test_check_list(void **state)
{
	char *out, *diag, want[PATH_MAX + 256];

	(void)state;
	assert_int_equal(execute(&out, &diag, dir, "check", "yes", NULL), 0);
	assert_string_equal(out, "mxlab run: 2 scenario files read, no errors\n");
	assert_string_equal(diag, "mxlab run: a run can be executed only once\n");
	free(out);
	free(diag);

	assert_int_equal(execute(&out, &diag, dir, "check", "yes", "shard", "2/3", NULL), 0);
	assert_string_equal(out, "mxlab run: 2 scenario files read, no errors "
			    "(shard 2/3: 1 of 2 selected)\n");
	free(out);
	free(diag);

	/* Sorted by name: b.scn before sub/. */
	assert_int_equal(execute(&out, &diag, dir, "list", NULL, NULL), 0);
	snprintf(want, sizeof want, "%-44s %s\n%-44s %s\n", "b", "second", "sub/a", "first");
	assert_string_equal(out, want);
	free(out);
	free(diag);

	assert_int_equal(execute(&out, &diag, dir, "list", NULL, "tag", "x", NULL), 0);
	snprintf(want, sizeof want, "%-44s %s\n", "sub/a", "first");
	assert_string_equal(out, want);
	free(out);
	free(diag);
}

static void
test_errors(void **state)
{
	char *out, *diag, want[PATH_MAX + 256], p[PATH_MAX + 32];
	FILE *f;

	(void)state;
	assert_int_equal(execute(&out, &diag, dir, "name", "zzz*", NULL), 2);
	assert_string_equal(out, "");
	assert_string_equal(diag, "mxlab run: no scenario matches (2 read)\n"
			    "mxlab run: a run can be executed only once\n");
	free(out);
	free(diag);

	snprintf(p, sizeof p, "%s/suite.scn", dir);
	assert_int_equal(execute(&out, &diag, p, NULL), 2);
	snprintf(want, sizeof want, "%s: a suite holds the defaults of the scenarios beside it; "
		 "it is not a scenario\nmxlab run: 1 error in scenario files: nothing was run\n",
		 p);
	assert_true(!strncmp(diag, want, strlen(want)));
	free(out);
	free(diag);

	snprintf(p, sizeof p, "%s/bad", dir);
	assert_int_equal(mkdir(p, 0700), 0);
	snprintf(p, sizeof p, "%s/bad/c.scn", dir);
	assert_non_null(f = fopen(p, "w"));
	assert_true(fputs("[scenario]\nsummary = s\nbogus = 1\n", f) >= 0);
	assert_int_equal(fclose(f), 0);
	assert_int_equal(execute(&out, &diag, dir, "check", NULL, NULL), 2);
	assert_string_equal(out, "");
	assert_non_null(strstr(diag, "c.scn:3: "));
	assert_non_null(strstr(diag, "mxlab run: 1 error in scenario files: nothing was run\n"));
	free(out);
	free(diag);
	assert_int_equal(remove(p), 0);
}

/* No output streams: nothing written anywhere, the same status. */
static void
test_silent(void **state)
{
	mxlab_run *run = mxlab_run_new();
	char err[512];

	(void)state;
	assert_int_equal(mxlab_run_set(run, "check", NULL, err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_run_add_path(run, dir), MXLAB_OK);
	assert_int_equal(mxlab_run_execute(run), 0);
	mxlab_run_free(run);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_check_list),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_silent),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
