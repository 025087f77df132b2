/*
 * inject.c: handing mail to the MTA under test over plain SMTP (inject.h).
 */
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "inject.h"
#include "netio.h"
#include "smtp_wire.h"

struct buf {
	char *p;
	size_t len, cap;
	int failed;
};

static void
add(struct buf *b, const char *s, size_t n)
{
	if (b->failed)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		char *np;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(np = realloc(b->p, cap))) {
			b->failed = 1;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
adds(struct buf *b, const char *s)
{
	add(b, s, strlen(s));
}

char *
mx_inject_message(const struct mx_inject_msg *m, size_t *len)
{
	struct buf b = { 0 };
	char line[1200], date[64];
	const char *body;
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &tm);
	snprintf(line, sizeof line, "From: <%s>\r\n", m->from);
	adds(&b, line);
	adds(&b, "To: ");
	for (size_t i = 0; i < m->nto; i++) {
		snprintf(line, sizeof line, "%s<%s>", i ? ", " : "", m->to[i]);
		adds(&b, line);
	}
	adds(&b, "\r\n");
	snprintf(line, sizeof line, "Subject: %s\r\nDate: %s\r\nMessage-ID: <mxlab.%ld.%d.%u@client.example.test>\r\n",
		 m->subject ? m->subject : "mxlab test message", date, (long)now,
		 (int)getpid(), m->seq);
	adds(&b, line);
	for (size_t i = 0; i < m->nheaders; i++) {
		adds(&b, m->headers[i]);
		adds(&b, "\r\n");
	}
	adds(&b, "\r\n");
	body = m->body ? m->body : "This message was sent by mxlab.\n";
	for (const char *p = body; *p; p++) {
		if (*p == '\n' && (p == body || p[-1] != '\r'))
			adds(&b, "\r\n");
		else
			add(&b, p, 1);
	}
	if (b.len >= 2 && memcmp(b.p + b.len - 2, "\r\n", 2) != 0)
		adds(&b, "\r\n");
	while (!b.failed && b.len < m->size) {
		size_t want = m->size - b.len;
		char pad[80];

		/* 76 characters and CRLF a line, the last line cut to fit. */
		memset(pad, 'x', 76);
		memcpy(pad + 76, "\r\n", 2);
		if (want >= 78)
			add(&b, pad, 78);
		else if (want >= 2) {
			add(&b, pad, want - 2);
			adds(&b, "\r\n");
		} else
			adds(&b, "\r\n");
	}
	if (b.failed) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}

static int
connect_to(const char *addr, unsigned timeout_ms, char *err, size_t errlen)
{
	char host[256], port[8];
	const char *colon = strrchr(addr, ':');
	struct addrinfo hints = { 0 }, *res = NULL;
	int fd, r;
	size_t hl;

	if (!colon || colon == addr || strlen(colon + 1) >= sizeof port) {
		snprintf(err, errlen, "'%s': expected ADDR:PORT", addr);
		return -1;
	}
	hl = (size_t)(colon - addr);
	if (addr[0] == '[' && colon[-1] == ']') {
		addr++;
		hl -= 2;
	}
	if (hl >= sizeof host) {
		snprintf(err, errlen, "'%s': address too long", addr);
		return -1;
	}
	memcpy(host, addr, hl);
	host[hl] = '\0';
	snprintf(port, sizeof port, "%s", colon + 1);
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "%s: %s", addr, gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0) {
		struct timeval tv = { (time_t)(timeout_ms / 1000), (long)(timeout_ms % 1000) * 1000 };

		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
		if (connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
			snprintf(err, errlen, "connect to %s: %s", addr, strerror(errno));
			close(fd);
			fd = -1;
		}
	} else
		snprintf(err, errlen, "socket: %s", strerror(errno));
	freeaddrinfo(res);
	return fd;
}

/* Send a command (NULL: none) and read the reply; 0 when it is 2xx/3xx. */
static int
step(struct mx_sock *s, struct mx_reader *rd, const char *cmd, int want,
     char *text, size_t tlen, char *err, size_t errlen)
{
	const char *what = "";
	int code = 0;

	if (cmd && mx_sock_send_all(s, cmd, strlen(cmd)) < 0) {
		snprintf(err, errlen, "%.*s: write failed", (int)strcspn(cmd, "\r"), cmd);
		return -1;
	}
	if (mx_reply_read(rd, &code, text, tlen, &what) < 0) {
		snprintf(err, errlen, "%.*s: %s%s", cmd ? (int)strcspn(cmd, "\r") : 8,
			 cmd ? cmd : "greeting", what, s->timed_out ? " (timeout)" : "");
		return -1;
	}
	if (code / 100 != want) {
		snprintf(err, errlen, "%.*s: %d %s", cmd ? (int)strcspn(cmd, "\r") : 8,
			 cmd ? cmd : "greeting", code, text);
		return -1;
	}
	return 0;
}

mxlab_err
mx_inject(const char *addr, unsigned timeout_ms, const struct mx_inject_msg *m,
	  char *queue_id, size_t qlen, char *err, size_t errlen)
{
	struct mx_sock s = { .fd = -1, .timeout_ms = timeout_ms };
	struct mx_reader rd;
	char cmd[1200], text[2048];
	char *msg = NULL;
	size_t len = 0;
	mxlab_err r = MXLAB_ERR_IO;

	if (qlen)
		queue_id[0] = '\0';
	if (!(msg = mx_inject_message(m, &len))) {
		snprintf(err, errlen, "out of memory");
		return MXLAB_ERR_NOMEM;
	}
	if ((s.fd = connect_to(addr, timeout_ms, err, errlen)) < 0)
		goto out;
	mx_reader_init(&rd, mx_sock_recv, &s);
	if (step(&s, &rd, NULL, 2, text, sizeof text, err, errlen) < 0)
		goto out;
	snprintf(cmd, sizeof cmd, "EHLO %s\r\n", m->helo ? m->helo : "client.example.test");
	if (step(&s, &rd, cmd, 2, text, sizeof text, err, errlen) < 0)
		goto out;
	snprintf(cmd, sizeof cmd, "MAIL FROM:<%s>\r\n", m->from);
	if (step(&s, &rd, cmd, 2, text, sizeof text, err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < m->nto; i++) {
		snprintf(cmd, sizeof cmd, "RCPT TO:<%s>\r\n", m->to[i]);
		if (step(&s, &rd, cmd, 2, text, sizeof text, err, errlen) < 0)
			goto out;
	}
	if (step(&s, &rd, "DATA\r\n", 3, text, sizeof text, err, errlen) < 0)
		goto out;
	/* The message with dot-stuffing, then the end marker. */
	for (size_t i = 0; i < len;) {
		size_t e = i;

		while (e < len && msg[e] != '\n')
			e++;
		e = e < len ? e + 1 : e;
		if (msg[i] == '.' && mx_sock_send_all(&s, ".", 1) < 0)
			break;
		if (mx_sock_send_all(&s, msg + i, e - i) < 0)
			break;
		i = e;
	}
	if (step(&s, &rd, ".\r\n", 2, text, sizeof text, err, errlen) < 0) {
		if (strncmp(err, ".:", 2) == 0) {
			char t[512];

			snprintf(t, sizeof t, "end of data%s", err + 1);
			snprintf(err, errlen, "%s", t);
		}
		goto out;
	}
	{
		const char *q = strstr(text, "queued as ");

		if (q && qlen)
			snprintf(queue_id, qlen, "%.*s", (int)strcspn(q + 10, " \r\n"), q + 10);
	}
	(void)step(&s, &rd, "QUIT\r\n", 2, text, sizeof text, err, errlen);
	r = MXLAB_OK;
out:
	if (s.fd >= 0)
		close(s.fd);
	free(msg);
	return r;
}
