/*
 * mta_logtail.c: an MTA's log file followed as it grows, each line parsed
 * by the driver's parser into a neutral event (mta.h).
 *
 * ml_tail watches the file's directory with inotify (IN_CREATE,
 * IN_MOVED_TO, IN_MODIFY), so a file that does not exist yet is opened as
 * soon as it appears and growth wakes the reader. Lines are returned only
 * once their newline has been read; a line longer than ML_LINE_MAX - 1
 * bytes is cut to that length and the rest of it is skipped. A file that
 * shrinks (truncated) is read again from its start.
 *
 * Errors: ml_tail_open reports a missing or unwatchable directory with the
 * errno text; ml_tail_next returns -1 only on read/poll failures.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "mta.h"

#define TAIL_RBUF 65536

struct ml_tail {
	char *path;
	const char *base;		/* into path */
	int ifd;			/* inotify */
	int fd;				/* the file, -1 until it exists */
	off_t pos;			/* bytes consumed from the file */
	char rbuf[TAIL_RBUF];
	size_t rpos, rlen;
	mta_parse_fn parse;
	char cur[MTA_LINE_MAX];		/* the line being assembled */
	size_t curlen;
};

struct ml_tail *
ml_tail_open(const char *path, mta_parse_fn parse, char *err, size_t errlen)
{
	struct ml_tail *t;
	char *dir, *slash;

	if (!(t = calloc(1, sizeof *t)) || !(t->path = strdup(path))) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->fd = -1;
	t->parse = parse;
	if (!(dir = strdup(path))) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	slash = strrchr(t->path, '/');
	t->base = slash ? slash + 1 : t->path;
	if (!*t->base) {
		snprintf(err, errlen, "%s: not a file name", path);
		free(dir);
		goto fail;
	}
	t->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (t->ifd < 0) {
		snprintf(err, errlen, "inotify: %s", strerror(errno));
		free(dir);
		goto fail;
	}
	if (inotify_add_watch(t->ifd, dir, IN_CREATE | IN_MOVED_TO | IN_MODIFY) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		free(dir);
		close(t->ifd);
		goto fail;
	}
	free(dir);
	/* After the watch: a file created from now on wakes us. */
	t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
	return t;
fail:
	free(t->path);
	free(t);
	return NULL;
}

void
ml_tail_close(struct ml_tail *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	close(t->ifd);
	free(t->path);
	free(t);
}

int
ml_tail_fd(const struct ml_tail *t)
{
	return t->ifd;
}

/* Take bytes from rbuf into cur; 1 when a line is complete. */
static int
take_line(struct ml_tail *t)
{
	const char *s = t->rbuf + t->rpos;
	size_t avail = t->rlen - t->rpos, n, room;
	const char *nl = memchr(s, '\n', avail);

	n = nl ? (size_t)(nl - s) : avail;
	room = sizeof t->cur - 1 - t->curlen;
	memcpy(t->cur + t->curlen, s, n < room ? n : room);
	t->curlen += n < room ? n : room;
	t->rpos += nl ? n + 1 : n;
	return nl != NULL;
}

/* Read what the file has; 1 read something, 0 nothing new, -1 error. */
static int
fill(struct ml_tail *t)
{
	struct stat st;
	ssize_t r;

	if (t->fd < 0) {
		t->fd = open(t->path, O_RDONLY | O_CLOEXEC);
		if (t->fd < 0)
			return errno == ENOENT ? 0 : -1;
	}
	for (;;) {
		r = read(t->fd, t->rbuf, sizeof t->rbuf);
		if (r > 0) {
			t->rpos = 0;
			t->rlen = (size_t)r;
			t->pos += r;
			return 1;
		}
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return -1;
		break;
	}
	if (fstat(t->fd, &st) == 0 && st.st_size < t->pos) {
		/* truncated: start again */
		if (lseek(t->fd, 0, SEEK_SET) == 0) {
			t->pos = 0;
			t->curlen = 0;
			return fill(t);
		}
	}
	return 0;
}

static void
drain_inotify(int ifd)
{
	_Alignas(struct inotify_event) char buf[4096];

	while (read(ifd, buf, sizeof buf) > 0)
		;
}

static long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
ml_tail_next(struct ml_tail *t, struct mta_event *ev, int timeout_ms)
{
	long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct pollfd pfd;
	int r, left;

	for (;;) {
		while (t->rpos < t->rlen) {
			if (take_line(t)) {
				t->parse(t->cur, t->curlen, ev);
				t->curlen = 0;
				return 1;
			}
		}
		r = fill(t);
		if (r < 0)
			return -1;
		if (r > 0)
			continue;
		left = (int)(deadline - now_ms());
		if (left <= 0)
			return 0;
		pfd.fd = t->ifd;
		pfd.events = POLLIN;
		r = poll(&pfd, 1, left);
		if (r < 0 && errno != EINTR)
			return -1;
		if (r > 0)
			drain_inotify(t->ifd);
	}
}
