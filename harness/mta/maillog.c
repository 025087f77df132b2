/*
 * maillog.c: Postfix maillog lines as neutral events (mta.h, maillog.h).
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
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
parse_delivery(struct mta_event *ev, const char *a)
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
ml_parse_line(const char *line, size_t len, struct mta_event *ev)
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
	mta_postfix_tls(ev);
	return 0;
}

/* The rest of ev->text after the first ": " following from, cut to fit. */
static void
reason_after(struct mta_event *ev, const char *from)
{
	const char *r = strstr(from, ": ");

	r = r ? r + 2 : from;
	copy_cut(ev->tls_reason, sizeof ev->tls_reason, r, strlen(r));
}

/*
 * What Postfix 3.7's smtp and smtpd say about TLS (tls_level(5) wording):
 *   Verified|Trusted|Untrusted|Anonymous TLS connection established to|from ...
 *   [server ]certificate verification failed for HOST: REASON
 *   SSL_connect error to HOST: ..., SSL_accept error from HOST: ...
 *   TLS is required, but was not offered by host HOST
 *   ... Cannot start TLS: handshake failure
 */
void
mta_postfix_tls(struct mta_event *ev)
{
	static const struct {
		const char *word;
		enum mta_tls tls;
	} est[] = {
		{ "Verified TLS connection established", MTA_TLS_VERIFIED },
		{ "Trusted TLS connection established", MTA_TLS_TRUSTED },
		{ "Untrusted TLS connection established", MTA_TLS_ESTABLISHED },
		{ "Anonymous TLS connection established", MTA_TLS_ESTABLISHED },
	};
	static const char *const failed[] = {
		"certificate verification failed for ", "SSL_connect error to ",
		"SSL_accept error from ", "TLS is required, but was not offered",
		"Cannot start TLS: ",
	};
	const char *t = ev->text, *hit;

	ev->tls = MTA_TLS_NONE;
	ev->tls_reason[0] = '\0';
	for (size_t i = 0; i < sizeof est / sizeof est[0]; i++)
		if (!strncmp(t, est[i].word, strlen(est[i].word))) {
			ev->tls = est[i].tls;
			return;
		}
	for (size_t i = 0; i < sizeof failed / sizeof failed[0]; i++)
		if ((hit = strstr(t, failed[i]))) {
			ev->tls = MTA_TLS_FAILED;
			if (i == 3 || i == 4)
				copy_cut(ev->tls_reason, sizeof ev->tls_reason, hit, strlen(hit));
			else
				reason_after(ev, hit + strlen(failed[i]));
			return;
		}
}
