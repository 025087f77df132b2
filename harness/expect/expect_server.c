/*
 * expect_server.c: "server NAME FACT = VALUE" expectations (see expect.h),
 * decided at ex_finish from what the fake server recorded: its TLS
 * handshakes (mxlab_server_tls_log; sni, chain, certificates, tls-version
 * and handshake look at the first one, tls and discarded-plaintext at all
 * of them), its accepted messages (mxlab_server_msg_log), its HTTP
 * requests (requests, a count: mxlab_server_http_requests) and, for
 * body, the stored .eml files of its mailbox (CRLF read as LF, so ^ and $
 * work per line: REG_NEWLINE).
 * The evidence, of a pass as of a failure, is what was seen ("saw 1", on
 * a pass), then one line per handshake and one per message.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expect_int.h"

#define LOG_MAX		256		/* records the server keeps */
#define BODY_MAX	(16u << 20)	/* bytes of one message read for body */

static const struct {
	const char *name;
	enum ex_fact fact;
	const char *values;
} facts[] = {
	{ "tls", EX_F_TLS, "yes|no" },
	{ "handshake", EX_F_HANDSHAKE, "ok|failed" },
	{ "sni", EX_F_SNI, "NAME|none" },
	{ "chain", EX_F_CHAIN, "TEXT" },
	{ "certificates", EX_F_CERTS, "N" },
	{ "tls-version", EX_F_VERSION, "TLSv1.0|TLSv1.1|TLSv1.2|TLSv1.3" },
	{ "messages", EX_F_MESSAGES, "N" },
	{ "mail", EX_F_MESSAGES, "N" },
	{ "body", EX_F_BODY, "REGEX" },
	{ "discarded-plaintext", EX_F_DISCARDED, "N" },
	{ "requests", EX_F_REQUESTS, "N" },
};

static int
number(const char *v, long *out)
{
	char *end;
	long n;

	if (!isdigit((unsigned char)*v))
		return -1;
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end || errno || n > 100000)
		return -1;
	*out = n;
	return 0;
}

int
ex_server_parse(struct ex_item *it, const char *fact, const char *value,
		char *err, size_t errlen)
{
	const char *v = value;
	size_t i;

	for (i = 0; i < sizeof facts / sizeof facts[0]; i++)
		if (!strcmp(facts[i].name, fact))
			break;
	if (i == sizeof facts / sizeof facts[0]) {
		snprintf(err, errlen, "server %s: unknown fact '%s' (tls, handshake, sni, "
			 "chain, certificates, tls-version, messages, body, "
			 "discarded-plaintext, requests)", it->server, fact);
		return -1;
	}
	it->fact = facts[i].fact;
	switch (it->fact) {
	case EX_F_TLS:
		if (strcmp(v, "yes") && strcmp(v, "no"))
			goto bad;
		it->num = !strcmp(v, "yes");
		break;
	case EX_F_HANDSHAKE:
		if (strcmp(v, "ok") && strcmp(v, "failed"))
			goto bad;
		it->num = !strcmp(v, "ok");
		break;
	case EX_F_SNI:
	case EX_F_CHAIN:
		if (!*v || strlen(v) >= sizeof it->arg ||
		    (it->fact == EX_F_SNI && strpbrk(v, " \t")))
			goto bad;
		snprintf(it->arg, sizeof it->arg, "%s", v);
		break;
	case EX_F_CERTS:
	case EX_F_MESSAGES:
	case EX_F_DISCARDED:
	case EX_F_REQUESTS:
		if (number(v, &it->num) < 0)
			goto bad;
		break;
	case EX_F_VERSION:
		if (ex_tls_version(v, it->arg, sizeof it->arg) < 0)
			goto bad;
		break;
	case EX_F_BODY:
		return ex_compile(it, v, REG_NEWLINE, err, errlen);
	}
	return 0;
bad:
	snprintf(err, errlen, "server %s %s: bad value '%s' (%s)", it->server, fact,
		 value, facts[i].values);
	return -1;
}

/* Read a stored message, CRLF as LF, NUL as space. NULL when unreadable. */
static char *
read_eml(const char *dir, const char *stem)
{
	char path[4200], *buf = NULL;
	size_t len = 0, n;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s.eml", dir, stem);
	if (!(f = fopen(path, "rb")))
		return NULL;
	if (!(buf = malloc(65536 + 1)))
		goto out;
	for (size_t cap = 65536; (n = fread(buf + len, 1, cap - len, f)) > 0; ) {
		char *p;

		len += n;
		if (len < cap)
			continue;
		if (cap >= BODY_MAX || !(p = realloc(buf, 2 * cap + 1)))
			break;
		buf = p;
		cap *= 2;
	}
	buf[len] = '\0';
	n = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\r' && i + 1 < len && buf[i + 1] == '\n')
			continue;
		buf[n++] = buf[i] ? buf[i] : ' ';
	}
	buf[n] = '\0';
out:
	fclose(f);
	return buf;
}

static void
evidence(struct ex_item *it, const struct mxlab_server_tls_info *t, size_t nt,
	 const struct mxlab_server_msg_info *m, size_t nm)
{
	if (nt == 0)
		ex_sb_add(&it->ev, "server %s: no TLS handshake", it->server);
	for (size_t i = 0; i < nt; i++) {
		if (t[i].discarded)
			ex_sb_add(&it->ev, "handshake %zu (connection %lu): %zu bytes of plaintext "
				  "after STARTTLS discarded", i + 1, t[i].conn, t[i].discarded);
		if (t[i].ok)
			ex_sb_add(&it->ev, "handshake %zu (connection %lu): ok, %s %s, sni %s, "
				  "chain %s (%d certificates)", i + 1, t[i].conn, t[i].version,
				  t[i].cipher, t[i].sni_sent ? t[i].sni : "none", t[i].chain,
				  t[i].certificates);
		else
			ex_sb_add(&it->ev, "handshake %zu (connection %lu): failed: %s, sni %s, "
				  "chain %s", i + 1, t[i].conn, t[i].error,
				  t[i].sni_sent ? t[i].sni : "none", t[i].chain);
	}
	if (nm == 0)
		ex_sb_add(&it->ev, "server %s: no message accepted", it->server);
	for (size_t i = 0; i < nm; i++)
		ex_sb_add(&it->ev, "message %zu (connection %lu): from=<%s> to=<%s>%s, "
			  "%zu bytes, %s%s%s", i + 1, m[i].conn, m[i].from, m[i].rcpt,
			  m[i].nrcpt > 1 ? " and more" : "", m[i].size,
			  m[i].tls ? "over TLS" : "in clear", m[i].file[0] ? ", file " : "",
			  m[i].file);
}

/* Does one stored message match? Writes what was looked at to seen (the
 * message that matched, or why none did). */
static int
body_matches(struct ex_item *it, mxlab_server *srv, const struct mxlab_server_msg_info *m,
	     size_t nm, char *seen, size_t seenlen)
{
	const char *dir = mxlab_server_mailbox(srv);
	size_t read = 0;

	snprintf(seen, seenlen, "no mailbox configured");
	if (!dir)
		return 0;
	for (size_t i = 0; i < nm; i++) {
		char *b = m[i].file[0] ? read_eml(dir, m[i].file) : NULL;
		int ok = b && regexec(&it->re, b, 0, NULL, 0) == 0;

		read += b != NULL;
		free(b);
		if (ok) {
			snprintf(seen, seenlen, "message %zu (file %s) matches", i + 1, m[i].file);
			return 1;
		}
	}
	snprintf(seen, seenlen, "%s", read ? "no stored message matched" : "no stored message");
	return 0;
}

void
ex_server_eval(struct ex_item *it, const struct ex_server *servers, size_t n)
{
	struct mxlab_server_tls_info *t = NULL;
	struct mxlab_server_msg_info *m = NULL;
	mxlab_server *srv = NULL;
	size_t nt, nm;
	char seen[400] = "";
	int pass = 0;

	for (size_t i = 0; i < n && !srv; i++)
		if (servers[i].name && !strcmp(servers[i].name, it->server))
			srv = servers[i].srv;
	it->state = 2;
	if (!srv) {
		ex_set_why(it, "expected %s, but server %s is not running", it->text, it->server);
		return;
	}
	t = calloc(LOG_MAX, sizeof *t);
	m = calloc(LOG_MAX, sizeof *m);
	if (!t || !m) {
		ex_set_why(it, "out of memory");
		goto out;
	}
	nt = mxlab_server_tls_log(srv, t, LOG_MAX);
	nm = mxlab_server_msg_log(srv, m, LOG_MAX);
	nt = nt < LOG_MAX ? nt : LOG_MAX;
	nm = nm < LOG_MAX ? nm : LOG_MAX;

	switch (it->fact) {
	case EX_F_TLS: {
		size_t ok = 0;

		for (size_t i = 0; i < nt; i++)
			ok += t[i].ok != 0;
		pass = (ok > 0) == (it->num != 0);
		snprintf(seen, sizeof seen, "%zu completed handshake%s, %zu failed", ok,
			 ok == 1 ? "" : "s", nt - ok);
		break;
	}
	case EX_F_MESSAGES:
		pass = (long)nm == it->num;
		snprintf(seen, sizeof seen, "%zu", nm);
		break;
	case EX_F_BODY:
		pass = body_matches(it, srv, m, nm, seen, sizeof seen);
		break;
	case EX_F_DISCARDED: {
		size_t d = 0;

		for (size_t i = 0; i < nt; i++)
			d += t[i].discarded;
		pass = d == (size_t)it->num;
		snprintf(seen, sizeof seen, "%zu bytes discarded after STARTTLS", d);
		break;
	}
	case EX_F_REQUESTS: {
		size_t nr = mxlab_server_http_requests(srv);

		pass = (long)nr == it->num;
		snprintf(seen, sizeof seen, "%zu HTTP request%s", nr, nr == 1 ? "" : "s");
		break;
	}
	default:
		if (nt == 0) {
			snprintf(seen, sizeof seen, "no TLS handshake");
			break;
		}
		switch (it->fact) {
		case EX_F_HANDSHAKE:
			pass = (t[0].ok != 0) == (it->num != 0);
			snprintf(seen, sizeof seen, "%s%s%s", t[0].ok ? "ok" : "failed",
				 t[0].ok ? "" : ": ", t[0].error);
			break;
		case EX_F_SNI:
			pass = !strcmp(it->arg, "none") ? !t[0].sni_sent :
			       t[0].sni_sent && !strcasecmp(t[0].sni, it->arg);
			snprintf(seen, sizeof seen, "%s", t[0].sni_sent ? t[0].sni : "none");
			break;
		case EX_F_CHAIN:
			pass = strstr(t[0].chain, it->arg) != NULL;
			snprintf(seen, sizeof seen, "'%s'", t[0].chain);
			break;
		case EX_F_CERTS:
			pass = t[0].ok && t[0].certificates == it->num;
			snprintf(seen, sizeof seen, "%d", t[0].certificates);
			break;
		case EX_F_VERSION:
			pass = t[0].ok && !strcasecmp(t[0].version, it->arg);
			snprintf(seen, sizeof seen, "%s", t[0].ok ? t[0].version : "a failed handshake");
			break;
		default:
			break;
		}
	}
	/* Passed or failed, the evidence is what was seen, then the server's
	 * handshakes and messages. */
	if (pass) {
		it->state = 1;
		ex_sb_add(&it->ev, "saw %s", seen);
	} else
		ex_set_why(it, "expected %s, saw %s", it->text, seen);
	evidence(it, t, nt, m, nm);
out:
	free(t);
	free(m);
}
