/*
 * scenario_file.c: sc_load (scenario.h), a scenario file from disk: only a
 * regular file is read (a FIFO or a device is never opened), at most
 * SC_FILE_MAX bytes, then handed to sc_load_mem. Errors are "FILE: what"
 * (the file's own, no line).
 */
#include <errno.h>
#include <fcntl.h>
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
 * fstat again after it), at most SC_FILE_MAX bytes of it. */
static int
read_file(struct rd *r, char **out, size_t *len)
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
	rc = sc_read_fd(fd, (size_t)st.st_size, SC_FILE_MAX, out, len);
	if (rc == -2)
		sc_rd_err(r, 0, "larger than %u bytes (1 MiB)", SC_FILE_MAX);
	else if (rc < 0)
		sc_rd_err(r, 0, "%s", errno == ENOMEM ? "out of memory" : strerror(errno));
	close(fd);
	return rc < 0 ? -1 : 0;
}

struct scenario *
sc_load(const char *path, struct sc_errors *errs)
{
	struct rd r = { 0 };
	struct scenario *sc;
	char *buf;
	size_t len;

	r.file = path ? path : "(null)";
	r.errs = errs;
	if (!path || read_file(&r, &buf, &len) < 0)
		return NULL;
	sc = sc_load_mem(path, buf, len, errs);
	free(buf);
	return sc;
}
