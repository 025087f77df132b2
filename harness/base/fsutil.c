/*
 * fsutil.c: files, directories and child processes (see fsutil.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/openat2.h>

#include "fsutil.h"

int
mx_path(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = len ? vsnprintf(buf, len, fmt, ap) : -1;
	va_end(ap);
	if (n < 0 || (size_t)n >= len) {
		if (len)
			buf[0] = '\0';
		return (errno = ENAMETOOLONG), -1;
	}
	return 0;
}

int
mx_mkdir_p(const char *path)
{
	char tmp[MX_PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof tmp)
		return (errno = ENAMETOOLONG), -1;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -1;
	return 0;
}

static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int
mx_rm_tree(const char *path)
{
	return nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static int
strip_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)ftw;
	int fd, r;

	if (flag != FTW_F || !S_ISREG(st->st_mode) || !(st->st_mode & (S_ISUID | S_ISGID)))
		return 0;
	/* the file itself, never what a link put in its place points to */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	r = fchmod(fd, st->st_mode & 0777);
	close(fd);
	return r;
}

int
mx_strip_setid(const char *path)
{
	return nftw(path, strip_entry, 16, FTW_PHYS | FTW_MOUNT);
}

int
mx_run(char *const argv[], const char *input, char *out, size_t outlen)
{
	int in[2], op[2], st, werr = 0;
	size_t n = 0;
	pid_t pid;

	if (pipe2(in, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(op, O_CLOEXEC) < 0) {
		close(in[0]);
		close(in[1]);
		return -1;
	}
	if ((pid = fork()) < 0) {
		close(in[0]);
		close(in[1]);
		close(op[0]);
		close(op[1]);
		return -1;
	}
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(op[1], 1);
		dup2(op[1], 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(op[1]);
	if (input) {	/* small (a password): fits the pipe, no deadlock */
		size_t len = strlen(input);
		ssize_t w;

		while ((w = write(in[1], input, len)) < 0 && errno == EINTR)
			;
		if (w < 0 || (size_t)w != len)
			werr = w < 0 ? errno : EIO;
	}
	close(in[1]);
	for (;;) {
		char tmp[512];
		ssize_t r = read(op[0], tmp, sizeof tmp);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (outlen && n + 1 < outlen) {
			size_t k = (size_t)r < outlen - 1 - n ? (size_t)r : outlen - 1 - n;

			memcpy(out + n, tmp, k);
			n += k;
		}
	}
	if (outlen)
		out[n] = '\0';
	close(op[0]);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (werr)	/* the program did not get its input */
		return (errno = werr), -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int
mx_write_text(const char *path, const char *text, unsigned mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, (mode_t)mode);
	size_t len = strlen(text), off = 0;

	if (fd < 0)
		return -1;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int e = w < 0 ? errno : EIO;

			close(fd);
			errno = e;
			return -1;
		}
		off += (size_t)w;
	}
	return close(fd);
}

int
mx_open_beneath(int dfd, const char *rel, int flags)
{
	struct open_how how = { 0 };

	how.flags = (unsigned long long)flags;
	how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS;
#ifdef SYS_openat2
	return (int)syscall(SYS_openat2, dfd, rel, &how, sizeof how);
#else
	(void)dfd, (void)rel, (void)how;
	errno = ENOSYS;
	return -1;
#endif
}
