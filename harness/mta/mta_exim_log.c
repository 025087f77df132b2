/*
 * mta_exim_log.c: Exim 4.96 mainlog lines as neutral events (mta.h).
 *
 *   2026-11-30 15:28:38 1xY3J0-00000U-0i => bob@x R=r T=remote_smtp
 *     H=mx.x [127.0.0.10]:25 X=TLS1.2:...:256 CV=yes DN="CN=mx.x" C="250 2.0.0 Ok" DT=0s
 *   2026-11-30 15:28:40 1xY3J2-00000X-2i == bob@x R=r T=remote_smtp defer (-38)
 *     H=mx.x [127.0.0.10]:25 DT=0s: a TLS session is required, but ...
 *   2026-11-30 15:28:42 1xY3J4-00000W-1P H=mx.x [127.0.0.10]:25: TLS session:
 *     (certificate verification failed): certificate invalid
 *
 * The time is the first two words (a [PID] after them is taken too); a
 * message ID (4.96's 6-6-2 base-62 form) is the queue ID. "=>" and "->"
 * are status sent, "==" deferred, "**" bounced; the address after the
 * flag is the recipient; H=NAME [ADDR]:PORT the relay ("NAME[ADDR]:PORT",
 * as Postfix writes it); C="250 2.0.0 ..." gives the DSN; the text after
 * "DT=...: " or "defer (N) ...: " the status text. TLS: X= with CV=yes or
 * CV=dane is verified, CV=no established; "TLS session: " and "a TLS
 * session is required" are failures (Exim does not name which chain
 * problem it met: "certificate invalid" stands for all of them).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mta_exim.h"

static void
copy_cut(char *dst, size_t dstsz, const char *src, size_t n)
{
	if (n >= dstsz)
		n = dstsz - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* "1xY3J0-00000U-0i": 6 + '-' + 6 + '-' + 2 alphanumerics, then a blank. */
static int
is_message_id(const char *p)
{
	for (int i = 0; i < 16; i++) {
		int c = (unsigned char)p[i];

		if (i == 6 || i == 13) {
			if (c != '-')
				return 0;
		} else if (!isalnum(c))
			return 0;
	}
	return p[16] == ' ' || p[16] == '\0';
}

/* The value of " KEY=" in s, up to a blank (or the closing quote). */
static int
attr(const char *s, const char *key, char *out, size_t outsz)
{
	size_t kl = strlen(key);
	const char *p = s, *e;

	for (; (p = strstr(p, key)); p += kl) {
		if (p != s && p[-1] != ' ')
			continue;
		p += kl;
		if (*p == '"') {
			e = strchr(++p, '"');
			e = e ? e : p + strlen(p);
		} else
			e = p + strcspn(p, " ");
		copy_cut(out, outsz, p, (size_t)(e - p));
		return 1;
	}
	return 0;
}

static void
relay(struct mta_event *ev, const char *s)
{
	const char *h = strstr(s, " H=");
	char name[256], addr[128] = "", port[16] = "";
	const char *p, *e;

	if (!h)
		return;
	p = h + 3;
	e = p + strcspn(p, " :");
	copy_cut(name, sizeof name, p, (size_t)(e - p));
	if (e[0] == ' ' && e[1] == '[') {
		p = e + 2;
		e = strchr(p, ']');
		if (e) {
			copy_cut(addr, sizeof addr, p, (size_t)(e - p));
			if (e[1] == ':')
				copy_cut(port, sizeof port, e + 2, strspn(e + 2, "0123456789"));
		}
	}
	snprintf(ev->relay, sizeof ev->relay, "%s%s%s%s%s%s", name, addr[0] ? "[" : "", addr,
		 addr[0] ? "]" : "", port[0] ? ":" : "", port);
}

static void
tls(struct mta_event *ev, const char *t)
{
	char v[64];
	const char *f;

	if ((f = strstr(t, "TLS session: ")) ||
	    (f = strstr(t, "a TLS session is required"))) {
		ev->tls = MTA_TLS_FAILED;
		if (!strncmp(f, "TLS session: ", 13))
			f += 13;
		copy_cut(ev->tls_reason, sizeof ev->tls_reason, f, strlen(f));
		return;
	}
	if (!attr(t, "X=", v, sizeof v))
		return;
	ev->tls = MTA_TLS_ESTABLISHED;
	if (attr(t, "CV=", v, sizeof v) && (!strcmp(v, "yes") || !strcmp(v, "dane")))
		ev->tls = MTA_TLS_VERIFIED;
}

static void
delivery(struct mta_event *ev, const char *flag)
{
	static const char *const flags[][2] = {
		{ "=> ", "sent" }, { "-> ", "sent" }, { "== ", "deferred" }, { "** ", "bounced" },
	};
	const char *a = flag + 3, *e, *st;
	char c[256];
	size_t i;

	for (i = 0; i < 4 && strncmp(flag, flags[i][0], 3); i++)
		;
	if (i == 4)
		return;
	snprintf(ev->status, sizeof ev->status, "%s", flags[i][1]);
	e = a + strcspn(a, " ");
	copy_cut(ev->rcpt, sizeof ev->rcpt, a, (size_t)(e - a));
	if (*e == ' ' && e[1] == '<') {		/* "bob@x <orig@x>" */
		const char *o = e + 2, *oe = strchr(o, '>');

		if (oe)
			copy_cut(ev->orig_rcpt, sizeof ev->orig_rcpt, o, (size_t)(oe - o));
	}
	relay(ev, e);
	if (attr(e, "C=", c, sizeof c)) {
		const char *d = c + strcspn(c, " ");

		if (*d == ' ' && isdigit((unsigned char)d[1]) && d[2] == '.')
			copy_cut(ev->dsn, sizeof ev->dsn, d + 1, strcspn(d + 1, " "));
		snprintf(ev->status_text, sizeof ev->status_text, "%s", c);
	} else if ((st = strstr(e, ": ")))
		snprintf(ev->status_text, sizeof ev->status_text, "%s", st + 2);
}

int
mta_exim_parse(const char *line, size_t len, struct mta_event *ev)
{
	const char *p;

	memset(ev, 0, sizeof *ev);
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	copy_cut(ev->line, sizeof ev->line, line, len);
	ev->line[strlen(ev->line)] = '\0';	/* a NUL inside ends it */
	ev->text = ev->line;
	snprintf(ev->service, sizeof ev->service, "exim");
	/* "YYYY-MM-DD HH:MM:SS " */
	p = ev->line;
	if (strlen(p) < 20 || p[4] != '-' || p[7] != '-' || p[10] != ' ' || p[13] != ':' ||
	    p[16] != ':' || p[19] != ' ')
		return -1;
	copy_cut(ev->time, sizeof ev->time, p, 19);
	p += 20;
	if (*p == '[') {			/* log_selector +pid */
		const char *e = strchr(p, ']');

		if (e && e[1] == ' ') {
			sscanf(p + 1, "%ld", &ev->pid);
			p = e + 2;
		}
	}
	if (is_message_id(p)) {
		copy_cut(ev->queue_id, sizeof ev->queue_id, p, 16);
		p += p[16] ? 17 : 16;
	}
	ev->text = p;
	if (ev->queue_id[0])
		delivery(ev, p);
	tls(ev, p);
	return 0;
}
