/*
 * maillog.c: Postfix maillog lines as events, and a follower of the file
 * as it grows (see maillog.h).
 *
 * Parsing. postlogd (Postfix 3.7's maillog_file) writes
 *   Nov 28 23:11:48 HOST postfix/smtp[202]: TEXT
 * and syslog daemons may write an ISO time instead of "Nov 28 23:11:48".
 * The line is cut at the first word shaped "SERVICE[PID]:" among its first
 * eight words: the words before it are the time and the host. A queue ID is
 * the start of TEXT when it is a short ID (uppercase hex, 6+ characters:
 * "8FCBEA74634") or a long ID (enable_long_queue_ids: 10 characters of
 * time, 'z', the inode: "4jcQzP3dzpz1bd8q") followed by ": ". Lowercase
 * words ("warning: ", "error: ") and "NOQUEUE: " are not queue IDs.
 * Delivery attributes (to=<>, orig_to=<>, relay=, dsn=, status=) are
 * looked up where an attribute may start: at the start of the text after
 * the queue ID or after ", ". Every copy is bounded by its field; a field
 * too long for its buffer is cut.
 *
 * Following. ml_tail watches the file's directory with inotify (IN_CREATE,
 * IN_MOVED_TO, IN_MODIFY), so a file that does not exist yet is opened as
 * soon as it appears and growth wakes the reader. Lines are returned only
 * once their newline has been read; a line longer than ML_LINE_MAX - 1
 * bytes is cut to that length and the rest of it is skipped. A file that
 * shrinks (truncated) is read again from its start.
 *
 * Errors: ml_tail_open reports a missing or unwatchable directory with the
 * errno text; ml_tail_next returns -1 only on read/poll failures.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include "maillog.h"

/* Copy n bytes of src into dst (size dstsz), cut to fit, NUL-terminated. */
static void
copy_cut(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (dstsz == 0)
		return;
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int
is_service_char(int c)
{
	return isalnum(c) || c == '/' || c == '-' || c == '_' || c == '.';
}

/* Does [w, end) look like "SERVICE[PID]:"? Sets the service length and
 * the pid. */
static int
service_word(const char *w, const char *end, size_t *svclen, long *pid)
{
	const char *p = w, *b;
	long v = 0;

	while (p < end && is_service_char((unsigned char)*p))
		p++;
	if (p == w || p >= end || *p != '[')
		return 0;
	b = p++;
	if (p >= end || !isdigit((unsigned char)*p))
		return 0;
	while (p < end && isdigit((unsigned char)*p)) {
		if (v < LONG_MAX / 10)
			v = v * 10 + (*p - '0');
		p++;
	}
	if (end - p != 2 || p[0] != ']' || p[1] != ':')
		return 0;
	*svclen = (size_t)(b - w);
	*pid = v;
	return 1;
}

static size_t
queue_id_len(const char *t)
{
	size_t n = 0, upperhex = 1;

	while (isalnum((unsigned char)t[n])) {
		if (!isdigit((unsigned char)t[n]) &&
		    !(t[n] >= 'A' && t[n] <= 'F'))
			upperhex = 0;
		n++;
	}
	if (t[n] != ':' || t[n + 1] != ' ' || n < 6 || n >= 32)
		return 0;
	if (upperhex)
		return n;
	if (n >= 12 && t[10] == 'z')	/* long ID: 6 + 4 time characters, 'z' */
		return n;
	return 0;
}

/* Where attribute "key" (with its '=') starts in s, at an attribute
 * boundary; NULL when absent. */
static const char *
find_attr(const char *s, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = s; (p = strstr(p, key)) != NULL; p++)
		if (p == s || (p - s >= 2 && p[-2] == ',' && p[-1] == ' '))
			return p + kl;
	return NULL;
}

/* Copy the attribute value that ends at ", " (or at the end). */
static void
copy_attr(char *dst, size_t dstsz, const char *v)
{
	const char *e = strstr(v, ", ");

	copy_cut(dst, dstsz, v, e ? (size_t)(e - v) : strlen(v));
}

/* Copy an address value "<...>" (v points after '<'). */
static void
copy_addr(char *dst, size_t dstsz, const char *v)
{
	const char *e = strstr(v, ">, ");

	if (!e) {
		e = strrchr(v, '>');
		if (!e)
			e = v + strlen(v);
	}
	copy_cut(dst, dstsz, v, (size_t)(e - v));
}

static void
parse_delivery(struct ml_event *ev, const char *a)
{
	const char *v, *e;
	size_t n;

	if ((v = find_attr(a, "to=<")))
		copy_addr(ev->rcpt, sizeof ev->rcpt, v);
	if ((v = find_attr(a, "orig_to=<")))
		copy_addr(ev->orig_rcpt, sizeof ev->orig_rcpt, v);
	if ((v = find_attr(a, "relay=")))
		copy_attr(ev->relay, sizeof ev->relay, v);
	if ((v = find_attr(a, "dsn=")))
		copy_attr(ev->dsn, sizeof ev->dsn, v);
	if (!(v = find_attr(a, "status=")))
		return;
	for (n = 0; isalpha((unsigned char)v[n]); n++)
		;
	copy_cut(ev->status, sizeof ev->status, v, n);
	v += n;
	if (v[0] == ' ' && v[1] == '(') {
		v += 2;
		e = strrchr(v, ')');
		n = e ? (size_t)(e - v) : strlen(v);
		copy_cut(ev->status_text, sizeof ev->status_text, v, n);
	} else if (v[0] == ',' && v[1] == ' ') {
		/* qmgr: "from=<a>, status=expired, returned to sender" */
		copy_cut(ev->status_text, sizeof ev->status_text, v + 2, strlen(v + 2));
	}
}

int
ml_parse_line(const char *line, size_t len, struct ml_event *ev)
{
	const char *w[8], *we[8], *p, *end;
	size_t nw = 0, svclen = 0, i, qn;
	long pid = 0;
	int found = -1;

	memset(ev, 0, sizeof *ev);
	if (!line)
		line = "";
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	copy_cut(ev->line, sizeof ev->line, line, len);
	for (p = ev->line; *p; p++)	/* a NUL inside the line ends it */
		;
	end = p;
	ev->text = ev->line;

	for (p = ev->line; nw < 8 && p < end; nw++) {
		while (p < end && isspace((unsigned char)*p))
			p++;
		if (p >= end)
			break;
		w[nw] = p;
		while (p < end && !isspace((unsigned char)*p))
			p++;
		we[nw] = p;
		if (service_word(w[nw], we[nw], &svclen, &pid)) {
			found = (int)nw;
			nw++;
			break;
		}
	}
	if (found < 0)
		return -1;

	copy_cut(ev->service, sizeof ev->service, w[found], svclen);
	p = memrchr(w[found], '/', svclen);
	p = p ? p + 1 : w[found];
	copy_cut(ev->daemon, sizeof ev->daemon, p, (size_t)(w[found] + svclen - p));
	ev->pid = pid;
	if (found >= 2) {		/* time words, then the host */
		i = (size_t)(we[found - 2] - w[0]);
		copy_cut(ev->time, sizeof ev->time, w[0], i);
	}
	p = we[found];
	if (*p == ' ')
		p++;
	ev->text = p;

	if ((qn = queue_id_len(p)) > 0) {
		copy_cut(ev->queue_id, sizeof ev->queue_id, p, qn);
		parse_delivery(ev, p + qn + 2);
	}
	return 0;
}

/* ------------------------------------------------------------------ */

#define TAIL_RBUF 65536

struct ml_tail {
	char *path;
	const char *base;		/* into path */
	int ifd;			/* inotify */
	int fd;				/* the file, -1 until it exists */
	off_t pos;			/* bytes consumed from the file */
	char rbuf[TAIL_RBUF];
	size_t rpos, rlen;
	char cur[ML_LINE_MAX];		/* the line being assembled */
	size_t curlen;
};

struct ml_tail *
ml_tail_open(const char *path, char *err, size_t errlen)
{
	struct ml_tail *t;
	char *dir, *slash;

	if (!(t = calloc(1, sizeof *t)) || !(t->path = strdup(path))) {
		free(t);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	t->fd = -1;
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
ml_tail_next(struct ml_tail *t, struct ml_event *ev, int timeout_ms)
{
	long deadline = now_ms() + (timeout_ms > 0 ? timeout_ms : 0);
	struct pollfd pfd;
	int r, left;

	for (;;) {
		while (t->rpos < t->rlen) {
			if (take_line(t)) {
				ml_parse_line(t->cur, t->curlen, ev);
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
