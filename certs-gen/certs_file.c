/*
 * certs_file.c: the file system side of certs-gen.
 *
 * certs_file_mkdirs() is mkdir -p (mode 0755, existing directories are
 * fine). certs_file_write() writes a file whole: a temporary ".NAME.PID"
 * beside it, created with the final mode (0600 for keys, so a key is never
 * readable by others even for a moment), then renamed over NAME.
 * Errors are MXLAB_ERR_IO with "path: strerror" (the path relative to the
 * PKI dir for files, as in "ca/root.key: Permission denied"), or
 * MXLAB_ERR_USAGE when a path does not fit PATH_MAX.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certs_int.h"

static mxlab_err
join(char *buf, size_t buflen, const char *dir, const char *rel,
     char *err, size_t errlen)
{
	int n;

	if (rel && *rel)
		n = snprintf(buf, buflen, "%s/%s", dir, rel);
	else
		n = snprintf(buf, buflen, "%s", dir);
	if (n < 0 || (size_t)n >= buflen) {
		snprintf(err, errlen, "%s/%s: path too long", dir,
			 rel ? rel : "");
		return MXLAB_ERR_USAGE;
	}
	return MXLAB_OK;
}

mxlab_err
certs_file_mkdirs(const char *dir, const char *rel, char *err, size_t errlen)
{
	char path[PATH_MAX];
	struct stat st;
	mxlab_err e;
	char *p;

	if ((e = join(path, sizeof path, dir, rel, err, errlen)) != MXLAB_OK)
		return e;
	for (p = path + 1;; p++) {
		char c = *p;

		if (c != '/' && c != '\0')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return MXLAB_ERR_IO;
		}
		*p = c;
		if (c == '\0')
			break;
	}
	if (stat(path, &st) != 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MXLAB_ERR_IO;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s: %s", path, strerror(ENOTDIR));
		return MXLAB_ERR_IO;
	}
	return MXLAB_OK;
}

static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

mxlab_err
certs_file_write(const char *dir, const char *rel, int mode,
		 const char *const *parts, size_t nparts,
		 char *err, size_t errlen)
{
	char path[PATH_MAX], tmp[PATH_MAX];
	const char *base;
	mxlab_err e;
	int fd, n;

	if ((e = join(path, sizeof path, dir, rel, err, errlen)) != MXLAB_OK)
		return e;
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	n = snprintf(tmp, sizeof tmp, "%.*s.%s.%ld", (int)(base - path), path,
		     base, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp) {
		snprintf(err, errlen, "%s: path too long", rel);
		return MXLAB_ERR_USAGE;
	}
	(void)unlink(tmp);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
	if (fd < 0) {
		snprintf(err, errlen, "%s: %s", rel, strerror(errno));
		return MXLAB_ERR_IO;
	}
	for (size_t i = 0; i < nparts; i++) {
		if (write_all(fd, parts[i], strlen(parts[i])) != 0) {
			snprintf(err, errlen, "%s: write: %s", rel,
				 strerror(errno));
			(void)close(fd);
			(void)unlink(tmp);
			return MXLAB_ERR_IO;
		}
	}
	if (close(fd) != 0) {
		snprintf(err, errlen, "%s: close: %s", rel, strerror(errno));
		(void)unlink(tmp);
		return MXLAB_ERR_IO;
	}
	if (rename(tmp, path) != 0) {
		snprintf(err, errlen, "%s: rename: %s", rel, strerror(errno));
		(void)unlink(tmp);
		return MXLAB_ERR_IO;
	}
	return MXLAB_OK;
}
