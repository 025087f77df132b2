/*
 * scenario_file.c: sc_load and sc_suite_load (scenario.h), a scenario or a
 * suite file from disk: only a regular file is read (a FIFO or a device is
 * never opened), at most SC_FILE_MAX bytes. sc_load looks for the suites
 * of the scenario (suite.scn in its directory and every one above), loads
 * them, then the scenario with them (sc_load_mem_suites). Errors are
 * "FILE: what" (the file's own, no line).
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "scenario_int.h"

const char *
sc_mode_name(mode_t m)
{
	return S_ISREG(m) ? "a regular file" : S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" :
	       S_ISLNK(m) ? "a symbolic link" : "not a file";
}

int
sc_read_fd(int fd, size_t size, size_t max, char **out, size_t *len)
{
	char *buf = NULL, *nb;
	size_t n = 0, cap;
	ssize_t got;

	if (size > max)
		return -2;
	/* Up to one byte more than the limit, to see a file that grew since. */
	cap = size + 1;
	for (;;) {
		if (n == cap && cap <= max)
			cap = cap * 2 > max + 1 ? max + 1 : cap * 2;
		if (!(nb = realloc(buf, cap + 1))) {
			free(buf);
			errno = ENOMEM;
			return -1;
		}
		buf = nb;
		if (n == cap || (got = read(fd, buf + n, cap - n)) == 0)
			break;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			free(buf);
			return -1;
		}
		n += (size_t)got;
	}
	if (n > max) {
		free(buf);
		return -2;
	}
	/* Exactly the text and its NUL: a read past the end is a sanitizer report. */
	buf[n] = '\0';
	*out = (nb = realloc(buf, n + 1)) ? nb : buf;
	*len = n;
	return 0;
}

/* Only a regular file is read (stat first, so that a FIFO or a device is
 * never opened; O_NONBLOCK in case it is swapped in before the open;
 * fstat again after it, into st), at most SC_FILE_MAX bytes of it. */
static int
read_file(struct rd *r, char **out, size_t *len, struct stat *fst)
{
	struct stat st;
	int fd, rc;

	if (stat(r->file, &st) < 0) {
		sc_rd_err(r, 0, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		sc_rd_err(r, 0, "not a regular file (%s)", sc_mode_name(st.st_mode));
		return -1;
	}
	if ((fd = open(r->file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
		sc_rd_err(r, 0, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		sc_rd_err(r, 0, "not a regular file (%s)", sc_mode_name(st.st_mode));
		close(fd);
		return -1;
	}
	*fst = st;
	rc = sc_read_fd(fd, (size_t)st.st_size, SC_FILE_MAX, out, len);
	if (rc == -2)
		sc_rd_err(r, 0, "larger than %u bytes (1 MiB)", SC_FILE_MAX);
	else if (rc < 0)
		sc_rd_err(r, 0, "%s", errno == ENOMEM ? "out of memory" : strerror(errno));
	close(fd);
	return rc < 0 ? -1 : 0;
}

/* A suite.scn from disk. Unless owner is -1 (sc_suite_load), it must
 * belong to root, to the effective user or to owner (the scenario's),
 * and not be writable by others: it applies to every scenario below it. */
static struct sc_suite *
load_suite(const char *path, uid_t owner, struct sc_errors *errs)
{
	struct rd r = { 0 };
	struct sc_suite *s = NULL;
	struct stat st;
	char *buf;
	size_t len;

	r.file = path;
	r.errs = errs;
	if (read_file(&r, &buf, &len, &st) < 0)
		return NULL;
	if (owner != (uid_t)-1 && st.st_uid != 0 && st.st_uid != geteuid() && st.st_uid != owner)
		sc_rd_err(&r, 0, "not used: owned by uid %u (a suite applies to every scenario "
			  "below it: it must belong to root, to you or to the scenario's owner)",
			  (unsigned)st.st_uid);
	else if (owner != (uid_t)-1 && (st.st_mode & S_IWOTH))
		sc_rd_err(&r, 0, "not used: anyone may write it (a suite applies to every "
			  "scenario below it)");
	else
		s = sc_suite_load_mem(path, buf, len, errs);
	free(buf);
	return s;
}

struct sc_suite *
sc_suite_load(const char *path, struct sc_errors *errs)
{
	return path ? load_suite(path, (uid_t)-1, errs) : NULL;
}

/* The suite.scn files of the directory of r->file (realpath'd) and of
 * every directory above it, loaded, outer first, into *out; 0, or -1
 * when one is unusable (reported: its errors, and one line of r->file). */
static int
find_suites(struct rd *r, uid_t owner, struct sc_suite ***out, size_t *n)
{
	const char *base = strrchr(r->file, '/');
	char *dir, *real, *slash, **paths = NULL, cand[PATH_MAX + 16];
	size_t np = 0;
	struct stat st;
	struct sc_suite *s;
	int rc = 0;

	dir = base ? strndup(r->file, base == r->file ? 1 : (size_t)(base - r->file)) : strdup(".");
	if (!dir || !(real = realpath(dir, NULL))) {
		sc_rd_err(r, 0, "looking for suites: %s", dir ? strerror(errno) : "out of memory");
		free(dir);
		return -1;
	}
	free(dir);
	for (;;) {
		snprintf(cand, sizeof cand, "%s/suite.scn", strcmp(real, "/") ? real : "");
		if (lstat(cand, &st) == 0) {
			if (sc_rd_push_str(&paths, &np, cand) < 0)
				rc = -1;
		} else if (errno != ENOENT && errno != ENOTDIR) {
			sc_rd_err(r, 0, "looking for suites: %s: %s", cand, strerror(errno));
			rc = -1;
		}
		if (!strcmp(real, "/"))
			break;
		slash = strrchr(real, '/');
		slash[slash == real ? 1 : 0] = '\0';
	}
	free(real);
	for (size_t i = np; i-- > 0 && rc == 0;) {	/* outer first */
		if (!(s = load_suite(paths[i], owner, r->errs)))
			rc = -1;
		else if (sc_rd_push(out, n, sizeof s, &s) < 0) {
			sc_suite_free(s);
			rc = -1;
		}
		if (rc < 0)
			sc_rd_err(r, 0, "not loaded: its suite %s has errors", paths[i]);
	}
	sc_rd_free_strv(paths, np);
	return rc;
}

struct scenario *
sc_load(const char *path, struct sc_errors *errs)
{
	struct rd r = { 0 };
	struct scenario *sc = NULL;
	struct sc_suite **suites = NULL;
	struct stat st;
	size_t len, n = 0;
	char *buf;

	r.file = path ? path : "(null)";
	r.errs = errs;
	if (!path)
		return NULL;
	if (sc_is_suite_name(path)) {
		sc_rd_err(&r, 0, SC_SUITE_NOT_SCENARIO);
		return NULL;
	}
	if (read_file(&r, &buf, &len, &st) < 0)
		return NULL;
	if (find_suites(&r, st.st_uid, &suites, &n) == 0)
		sc = sc_load_mem_suites(path, buf, len, (const struct sc_suite *const *)suites, n,
					errs);
	for (size_t i = 0; i < n; i++)
		sc_suite_free(suites[i]);
	free(suites);
	free(buf);
	return sc;
}
