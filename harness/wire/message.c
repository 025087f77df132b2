/*
 * message.c: the test message the fake client sends (message.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "message.h"

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
mx_message_build(const struct mx_message *m, size_t *len)
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
