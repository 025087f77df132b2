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

static const char *
file_kind(mode_t m)
{
	return S_ISDIR(m) ? "a directory" : S_ISFIFO(m) ? "a FIFO" : S_ISSOCK(m) ? "a socket" :
	       S_ISCHR(m) ? "a character device" : S_ISBLK(m) ? "a block device" : "not a file";
}

/* Only a regular file is read (stat first, so that a FIFO or a device is
 * never opened; O_NONBLOCK in case it is swapped in before the open;
 * fstat again after it), at most SC_FILE_MAX bytes of it. */
static int
read_file(struct rd *r, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL, *nb;
	size_t n = 0, cap;
	ssize_t got;
	int fd;

	if (stat(r->file, &st) < 0) {
		sc_rd_err(r, 0, "%s", strerror(errno));
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		sc_rd_err(r, 0, "not a regular file (%s)", file_kind(st.st_mode));
		return -1;
	}
	if ((fd = open(r->file, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY)) < 0) {
		sc_rd_err(r, 0, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		sc_rd_err(r, 0, "not a regular file (%s)", file_kind(st.st_mode));
		goto fail;
	}
	if (st.st_size > (off_t)SC_FILE_MAX)
		goto too_big;
	/* Up to one byte more than the limit, to see a file that grew since. */
	cap = (size_t)st.st_size + 1;
	for (;;) {
		if (n == cap && cap <= SC_FILE_MAX)
			cap = cap * 2 > SC_FILE_MAX + 1 ? SC_FILE_MAX + 1 : cap * 2;
		if (!(nb = realloc(buf, cap + 1))) {
			sc_rd_err(r, 0, "out of memory");
			goto fail;
		}
		buf = nb;
		if (n == cap || (got = read(fd, buf + n, cap - n)) == 0)
			break;
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0) {
			sc_rd_err(r, 0, "%s", strerror(errno));
			goto fail;
		}
		n += (size_t)got;
	}
	if (n > SC_FILE_MAX)
		goto too_big;
	close(fd);
	/* Exactly the text and its NUL: a read past the end is a sanitizer report. */
	buf[n] = '\0';
	*out = (nb = realloc(buf, n + 1)) ? nb : buf;
	*len = n;
	return 0;
too_big:
	sc_rd_err(r, 0, "larger than %u bytes (1 MiB)", SC_FILE_MAX);
fail:
	free(buf);
	close(fd);
	return -1;
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
