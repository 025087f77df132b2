/*
 * init_write.c: the suite directory of `mxlab init` (see init_write.h):
 * whether it may be written, postfix-config's relative path, and writing
 * the files (and, with --force, removing what an earlier init wrote that
 * is not written any more).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "init_write.h"

int
iw_check_out(const char *out, int force, char *err, size_t errlen)
{
	struct stat st;
	DIR *d;
	struct dirent *e;
	int empty = 1;

	if (lstat(out, &st) < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "--out %s: %s", out, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "--out %s: exists and is not a directory", out);
		return -1;
	}
	if (force)
		return 0;
	if (!(d = opendir(out))) {
		snprintf(err, errlen, "--out %s: %s", out, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			empty = 0;
	closedir(d);
	if (!empty) {
		snprintf(err, errlen, "--out %s: exists and is not empty; init does not overwrite "
			 "a suite (--force writes into it, replacing the files init writes)", out);
		return -1;
	}
	return 0;
}

/* The absolute path of p, which need not exist: its longest existing
 * prefix resolved, the rest (which holds no links) normalised as text. */
static int
abs_path(const char *p, char *out, size_t len)
{
	char full[PATH_MAX], rest[PATH_MAX] = "", cwd[PATH_MAX];

	if (p[0] == '/')
		snprintf(full, sizeof full, "%s", p);
	else if (!getcwd(cwd, sizeof cwd) ||
		 (size_t)snprintf(full, sizeof full, "%s/%s", cwd, p) >= sizeof full)
		return -1;
	while (!realpath(full, out)) {
		char *slash = strrchr(full, '/'), tmp[PATH_MAX];

		if (errno != ENOENT || !slash)
			return -1;
		snprintf(tmp, sizeof tmp, "%s%s%s", slash + 1, rest[0] ? "/" : "", rest);
		snprintf(rest, sizeof rest, "%s", tmp);
		if (slash == full)
			full[1] = '\0';
		else
			*slash = '\0';
	}
	for (char *save = NULL, *c = strtok_r(rest, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		size_t n = strlen(out);

		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..")) {
			char *s = strrchr(out, '/');

			if (s && s != out)
				*s = '\0';
			else
				snprintf(out, len, "/");
			continue;
		}
		if (n + strlen(c) + 2 > len)
			return -1;
		snprintf(out + n, len - n, "%s%s", strcmp(out, "/") ? "/" : "", c);
	}
	return 0;
}

static size_t
components(char *s, char **v, size_t max)
{
	size_t n = 0;

	for (char *save = NULL, *c = strtok_r(s, "/", &save); c && n < max;
	     c = strtok_r(NULL, "/", &save))
		v[n++] = c;
	return n;
}

int
iw_relative(const char *out, const char *conf_real, char *rel, size_t rlen, char *err,
	    size_t errlen)
{
	char from[PATH_MAX], to[PATH_MAX], *vf[512], *vt[512];
	size_t nf, nt, k = 0, n = 0;

	if (abs_path(out, from, sizeof from) < 0) {
		snprintf(err, errlen, "--out %s: %s", out, strerror(errno ? errno : ENAMETOOLONG));
		return -1;
	}
	snprintf(to, sizeof to, "%s", conf_real);
	nf = components(from, vf, 512);
	nt = components(to, vt, 512);
	while (k < nf && k < nt && !strcmp(vf[k], vt[k]))
		k++;
	rel[0] = '\0';
	for (size_t i = k; i < nf; i++)
		n += (size_t)snprintf(rel + n, n < rlen ? rlen - n : 0, "../");
	for (size_t i = k; i < nt; i++)
		n += (size_t)snprintf(rel + n, n < rlen ? rlen - n : 0, "%s/", vt[i]);
	if (n >= rlen) {
		snprintf(err, errlen, "--out %s: path too long", out);
		return -1;
	}
	if (n)
		rel[n - 1] = '\0';
	else
		snprintf(rel, rlen, ".");
	return 0;
}

static int
write_file(const char *path, const char *text, char *err, size_t errlen)
{
	char tmp[PATH_MAX + 32], dir[PATH_MAX];
	char *slash;
	size_t len = strlen(text);
	int fd;

	snprintf(dir, sizeof dir, "%s", path);
	if ((slash = strrchr(dir, '/'))) {
		*slash = '\0';
		if (mx_mkdir_p(dir) < 0) {
			snprintf(err, errlen, "%s: %s", dir, strerror(errno));
			return -1;
		}
	}
	snprintf(tmp, sizeof tmp, "%s.tmp-%ld", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)) < 0) {
		snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
		return -1;
	}
	for (size_t n = 0; n < len; ) {
		ssize_t w = write(fd, text + n, len - n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			snprintf(err, errlen, "%s: %s", tmp, strerror(errno));
			close(fd);
			unlink(tmp);
			return -1;
		}
		n += (size_t)w;
	}
	if (close(fd) < 0 || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
written(const struct ig_out *o, const char *rel)
{
	for (size_t i = 0; i < o->nfiles; i++)
		if (!strcmp(o->files[i].path, rel))
			return 1;
	return 0;
}

static int
marked(const char *path)
{
	char head[sizeof IG_MARK];
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, head, sizeof head - 1);
	close(fd);
	return n == (ssize_t)(sizeof head - 1) && !memcmp(head, IG_MARK, sizeof head - 1);
}

/* Remove files below top/rel that an earlier init wrote and o does not hold. */
static int
remove_stale(const char *top, const char *rel, const struct ig_out *o, int depth, char *err,
	     size_t errlen)
{
	char dir[PATH_MAX];
	DIR *d;
	struct dirent *e;
	int r = 0, removed = 0;

	snprintf(dir, sizeof dir, "%s%s%s", top, rel[0] ? "/" : "", rel);
	if (depth > 16 || !(d = opendir(dir)))
		return 0;
	while (!r && (e = readdir(d))) {
		char p[PATH_MAX], sub[PATH_MAX];
		struct stat st;

		if (e->d_name[0] == '.')
			continue;
		if ((size_t)snprintf(sub, sizeof sub, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name) >=
		    sizeof sub || (size_t)snprintf(p, sizeof p, "%s/%s", top, sub) >= sizeof p ||
		    lstat(p, &st) < 0)
			continue;
		if (S_ISDIR(st.st_mode))
			r = remove_stale(top, sub, o, depth + 1, err, errlen);
		else if (S_ISREG(st.st_mode) && !written(o, sub) && marked(p)) {
			if (unlink(p) < 0) {
				snprintf(err, errlen, "%s: %s", p, strerror(errno));
				r = -1;
			}
			removed = 1;
		}
	}
	closedir(d);
	if (removed && rel[0])
		(void)rmdir(dir);	/* only when that emptied it */
	return r;
}

int
iw_write(const char *out, const struct ig_out *o, int force, char *err, size_t errlen)
{
	if (mx_mkdir_p(out) < 0) {
		snprintf(err, errlen, "--out %s: %s", out, strerror(errno));
		return -1;
	}
	if (force && remove_stale(out, "", o, 0, err, errlen) < 0)
		return -1;
	for (size_t i = 0; i < o->nfiles; i++) {
		char path[PATH_MAX];

		if ((size_t)snprintf(path, sizeof path, "%s/%s", out, o->files[i].path) >= sizeof path) {
			snprintf(err, errlen, "%s/%s: path too long", out, o->files[i].path);
			return -1;
		}
		if (write_file(path, o->files[i].text, err, errlen) < 0)
			return -1;
	}
	return 0;
}
