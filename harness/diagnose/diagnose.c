/*
 * diagnose.c: `mxlab diagnose`: each line of a Postfix maillog read, its
 * TLS failures linked to deliveries and counted per destination and cause
 * (mxlab/diagnose.h, docs/diagnose.md); the results.
 *
 * Offers dg_line() (diagnose_int.h), which diagnose_input.c calls with
 * each line of text, and mxlab_diagnose_finish/count/entry/get_stats/
 * nnotes/note. A line is parsed by the mta layer's maillog parser
 * (ml_parse_line: syslog, ISO and journalctl prefixes); only Postfix's
 * smtp, smtpd and qmgr lines matter, the rest is counted as skipped.
 *
 * Linking. A TLS line of smtp[PID] (a verification failure, SSL_connect
 * error, a TLS library problem, a TLSA line) is held in a small table of
 * in-flight links under its PID until that PID logs a delivery
 * (QUEUEID: to=<...>, relay=..., status=...): the delivery gives the
 * destination and the outcome. A delivery whose own status text names a
 * TLS cause (TLS is required, but was not offered; refused to start TLS;
 * Cannot start TLS; Server certificate not verified) counts without one.
 * On smtpd[PID], SSL_accept error / TLS library problem / lost connection
 * after STARTTLS are held until the session's disconnect (or the next
 * connect). Queue IDs of TLS-deferred messages are remembered, so a
 * message is counted once however often it is retried, and its qmgr
 * "status=expired" is counted against the cause. The next recipients of
 * a session (more deliveries of that PID) share its TLS line's cause; a
 * held line is not linked to a delivery through another host, nor to one
 * whose status names a cause that cannot follow it. The link table evicts
 * its oldest entry when full (counted, and the TLS event still counted
 * with outcome "other"); the queue ID table overwrites on collision. The
 * words that name each cause are tables below; the causes' texts are
 * probe's (tlscause.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose_int.h"
#include "maillog.h"

/* ------------------------------------------------------------ classifying */

/* The cause a text names, from the table of words below; -1 none. */
struct words {
	const char *word;
	enum tc_key key;
};

/* After "certificate verification failed for HOST: " (smtp). */
static const struct words verify_words[] = {
	{ "untrusted issuer", TC_UNTRUSTED_CHAIN },
	{ "unable to get local issuer", TC_UNTRUSTED_CHAIN },
	{ "self-signed certificate", TC_SELF_SIGNED },
	{ "self signed certificate", TC_SELF_SIGNED },
	{ "certificate has expired", TC_EXPIRED },
	{ "not yet valid", TC_NOT_YET_VALID },
	{ "hostname mismatch", TC_NAME_MISMATCH },
	{ "name mismatch", TC_NAME_MISMATCH },
	{ "TLSA", TC_DANE_MISMATCH },
	{ NULL, TC_VERIFY_FAILED },
};

/* A delivery's status text (smtp), when no TLS line came before it. */
static const struct words status_words[] = {
	{ "no TLSA records found", TC_DANE_REQUIRED },
	{ "non DNSSEC destination", TC_DNSSEC_INVALID },
	{ "TLS is required, but was not offered", TC_STARTTLS_MISSING },
	{ "refused to start TLS", TC_STARTTLS_REFUSED },
	{ "Cannot start TLS", TC_PROTOCOL_MISMATCH },
	{ "TLSA", TC_DANE_MISMATCH },
	{ "Server certificate not verified", TC_VERIFY_FAILED },
	{ "Server certificate not trusted", TC_VERIFY_FAILED },
	{ "certificate verification failed", TC_VERIFY_FAILED },
	{ NULL, TC_COUNT },
};

/* "warning: TLS library problem: ..." on smtp. */
static const struct words smtp_lib_words[] = {
	{ "unsupported protocol", TC_PROTOCOL_MISMATCH },
	{ "wrong version number", TC_PROTOCOL_MISMATCH },
	{ "no shared cipher", TC_PROTOCOL_MISMATCH },
	{ "no protocols available", TC_PROTOCOL_MISMATCH },
	{ "version too low", TC_PROTOCOL_MISMATCH },
	{ "no suitable signature", TC_PROTOCOL_MISMATCH },
	{ "handshake failure", TC_PROTOCOL_MISMATCH },
	{ NULL, TC_PROTOCOL_MISMATCH },
};

/* "warning: TLS library problem: ..." and SSL_accept reasons on smtpd. */
static const struct words smtpd_lib_words[] = {
	{ "unsupported protocol", TC_CLIENT_PROTOCOL_MISMATCH },
	{ "wrong version number", TC_CLIENT_PROTOCOL_MISMATCH },
	{ "no shared cipher", TC_CLIENT_PROTOCOL_MISMATCH },
	{ "no protocols available", TC_CLIENT_PROTOCOL_MISMATCH },
	{ "version too low", TC_CLIENT_PROTOCOL_MISMATCH },
	{ "unknown ca", TC_CLIENT_REJECTED_CERT },
	{ "bad certificate", TC_CLIENT_REJECTED_CERT },
	{ "certificate unknown", TC_CLIENT_REJECTED_CERT },
	{ "certificate expired", TC_CLIENT_REJECTED_CERT },
	{ "unsupported certificate", TC_CLIENT_REJECTED_CERT },
	{ NULL, TC_CLIENT_TLS_FAILED },
};

static enum tc_key
classify(const struct words *w, const char *text)
{
	for (; w->word; w++)
		if (strstr(text, w->word))
			return w->key;
	return w->key;
}

/* ------------------------------------------------------------ aggregates */

static unsigned
hash_str(unsigned h, const char *s)
{
	while (*s)
		h = h * 31u + (unsigned char)*s++;
	return h;
}

/* Copy src into dst (size n), cut to fit. */
static void
copy(char *dst, size_t n, const char *src)
{
	size_t l = src ? strlen(src) : 0;

	if (n == 0)
		return;
	if (l >= n)
		l = n - 1;
	memcpy(dst, src ? src : "", l);
	dst[l] = '\0';
}

/* The aggregate of (direction, destination, cause), made when new; when
 * DG_MAX_AGG are in use, new destinations go to DG_OTHER. */
static struct dg_agg *
agg_get(mxlab_diagnose *d, int smtpd, const char *dest, enum tc_key cause)
{
	unsigned h;
	size_t i;

	if (!dest || !*dest)
		dest = "(unknown)";
	for (int pass = 0; pass < 2; pass++) {
		h = hash_str((unsigned)cause * 2u + (unsigned)smtpd, dest);
		for (i = h % d->nslots;; i = (i + 1) % d->nslots) {
			int k = d->slots[i];
			struct dg_agg *a;

			if (k < 0)
				break;
			a = &d->aggs[k];
			if (a->hash == h && a->smtpd == smtpd && a->cause == cause &&
			    strcmp(a->dest, dest) == 0)
				return a;
		}
		if (d->naggs < DG_MAX_AGG || pass == 1)
			break;
		dest = DG_OTHER;	/* full: fold, and look again */
		d->st.folded++;
	}
	if (d->naggs >= d->capaggs) {	/* grow, up to DG_AGG_LIMIT */
		size_t cap = d->capaggs ? 2 * d->capaggs : 64;
		struct dg_agg *na;

		if (cap > DG_AGG_LIMIT)
			cap = DG_AGG_LIMIT;
		if (cap <= d->naggs || !(na = realloc(d->aggs, cap * sizeof *na)))
			return NULL;	/* out of memory: counted in the stats only */
		d->aggs = na;
		d->capaggs = cap;
		d->norder = 0;	/* the sorted pointers moved: finish again */
	}
	struct dg_agg *a = &d->aggs[d->naggs];
	const struct tlscause *c = tlscause_get(cause);

	memset(a, 0, sizeof *a);
	a->smtpd = smtpd;
	a->cause = cause;
	a->hash = h;
	copy(a->dest, sizeof a->dest, dest);
	if (c->anchor)
		snprintf(a->guide, sizeof a->guide, "%s#%s", TLSCAUSE_GUIDE, c->anchor);
	d->slots[i] = (int)d->naggs++;
	return a;
}

enum outcome { OUT_SENT, OUT_DEFERRED, OUT_BOUNCED, OUT_OTHER };

static void
agg_count(struct dg_agg *a, enum outcome o, const char *time, const char *example,
	  const char *where)
{
	a->count++;
	switch (o) {
	case OUT_SENT: a->sent++; break;
	case OUT_DEFERRED: a->deferred++; break;
	case OUT_BOUNCED: a->bounced++; break;
	case OUT_OTHER: a->other++; break;
	}
	if (!a->first[0])
		copy(a->first, sizeof a->first, time && *time ? time : "-");
	copy(a->last, sizeof a->last, time && *time ? time : "-");
	if (!a->example[0] || (o != OUT_SENT && a->count == a->sent + 1)) {
		copy(a->example, sizeof a->example, example);
		copy(a->where, sizeof a->where, where);
	}
}

/* ------------------------------------------------------------ queue IDs */

static struct dg_qid *
qid_slot(mxlab_diagnose *d, const char *qid)
{
	return &d->qids[hash_str(7u, qid) % DG_QIDS];
}

/* ------------------------------------------------------------ in flight */

static struct dg_pending *
pending_find(mxlab_diagnose *d, int smtpd, long pid)
{
	for (size_t i = 0; i < DG_PENDING; i++)
		if (d->pending[i].used && d->pending[i].pid == pid &&
		    d->pending[i].smtpd == smtpd)
			return &d->pending[i];
	return NULL;
}

/* Count p's cause as an event with outcome o at destination dest (NULL:
 * the host its TLS line named); its aggregate. */
static struct dg_agg *
pending_count(mxlab_diagnose *d, struct dg_pending *p, const char *dest, enum outcome o)
{
	struct dg_agg *a = agg_get(d, p->smtpd, dest && *dest ? dest : p->host, p->cause);

	if (a)
		agg_count(a, o, p->time, p->example, p->where);
	d->st.tls_events++;
	if (o != OUT_SENT)
		d->st.failures++;
	return a;
}

/* The end of p: counted (outcome other) unless a delivery already was. */
static void
pending_close(mxlab_diagnose *d, struct dg_pending *p)
{
	if (!p->linked)
		pending_count(d, p, NULL, OUT_OTHER);
	p->used = 0;
}

/* A new in-flight link; the oldest is closed (outcome other) for room. */
static struct dg_pending *
pending_new(mxlab_diagnose *d, int smtpd, long pid)
{
	struct dg_pending *p = NULL;

	for (size_t i = 0; i < DG_PENDING && !p; i++)
		if (!d->pending[i].used)
			p = &d->pending[i];
	if (!p) {
		p = &d->pending[0];
		for (size_t i = 1; i < DG_PENDING; i++)
			if (d->pending[i].seq < p->seq)
				p = &d->pending[i];
		d->st.evicted += !p->linked;
		pending_close(d, p);
	}
	memset(p, 0, sizeof *p);
	p->used = 1;
	p->smtpd = smtpd;
	p->pid = pid;
	return p;
}

/* "HOST[ADDR]:PORT" -> "HOST" (smtp destinations: the host name). */
static void
host_name(char *dst, size_t n, const char *s, size_t len)
{
	size_t k = 0;

	while (k < len && s[k] != '[' && s[k] != ':' && s[k] != ' ' && s[k] != ',')
		k++;
	if (k == 0)		/* "[192.0.2.1]:25": the address is the name */
		k = len;
	snprintf(dst, n, "%.*s", (int)k, s);
}

/* The word after marker in text, up to ": " or the end ("for HOST: why"). */
static void
word_after(char *dst, size_t n, const char *text, const char *marker, int smtp)
{
	const char *p = strstr(text, marker), *e;

	dst[0] = '\0';
	if (!p)
		return;
	p += strlen(marker);
	e = strstr(p, ": ");
	if (!e)
		e = p + strcspn(p, " ");
	if (smtp)
		host_name(dst, n, p, (size_t)(e - p));
	else
		snprintf(dst, n, "%.*s", (int)(e - p), p);
}

/* Can a delivery whose status text names k follow a TLS line of cause c?
 * "Server certificate not verified" follows any certificate cause. */
static int
consistent(enum tc_key c, enum tc_key k)
{
	if (c == k)
		return 1;
	if (k != TC_VERIFY_FAILED)
		return 0;
	return c == TC_UNTRUSTED_CHAIN || c == TC_SELF_SIGNED || c == TC_EXPIRED ||
	       c == TC_NOT_YET_VALID || c == TC_NAME_MISMATCH || c == TC_DANE_MISMATCH;
}

/* Set (or sharpen) the cause held for this PID from a TLS line. */
static void
hold(mxlab_diagnose *d, const struct mta_event *ev, int smtpd, enum tc_key cause,
     const char *host, int sharpen_only_generic)
{
	struct dg_pending *p = pending_find(d, smtpd, ev->pid);

	if (p && p->linked) {		/* a new attempt of the same process */
		memset(p, 0, sizeof *p);
		p->used = 1;
		p->smtpd = smtpd;
		p->pid = ev->pid;
	} else if (p && sharpen_only_generic && p->cause != TC_PROTOCOL_MISMATCH &&
	    p->cause != TC_CLIENT_TLS_FAILED && p->cause != TC_VERIFY_FAILED) {
		p->seq = ++d->seq;
		return;
	}
	if (!p)
		p = pending_new(d, smtpd, ev->pid);
	p->seq = ++d->seq;
	p->cause = cause;
	if (host && *host)
		copy(p->host, sizeof p->host, host);
	copy(p->time, sizeof p->time, ev->time);
	copy(p->example, sizeof p->example, ev->line);
	snprintf(p->where, sizeof p->where, "%s:%llu", d->name, d->lineno);
}

/* ------------------------------------------------------------ sessions */

/* The established-TLS record of smtp[pid], or NULL; with make, a new one
 * (the oldest dropped for room). */
static struct dg_est *
est_find(mxlab_diagnose *d, long pid, int make)
{
	struct dg_est *e = NULL;

	for (size_t i = 0; i < DG_PENDING; i++)
		if (d->est[i].used && d->est[i].pid == pid)
			return &d->est[i];
	if (!make)
		return NULL;
	for (size_t i = 0; i < DG_PENDING && !e; i++)
		if (!d->est[i].used)
			e = &d->est[i];
	if (!e) {
		e = &d->est[0];
		for (size_t i = 1; i < DG_PENDING; i++)
			if (d->est[i].seq < e->seq)
				e = &d->est[i];
	}
	memset(e, 0, sizeof *e);
	e->used = 1;
	e->pid = pid;
	return e;
}

/* "HOST[ADDR]:PORT" -> "ADDR" ("" none). */
static void
host_addr(char *dst, size_t n, const char *s)
{
	const char *b = strchr(s, '['), *e = b ? strchr(b, ']') : NULL;

	snprintf(dst, n, "%.*s", e ? (int)(e - b - 1) : 0, e ? b + 1 : "");
}

/* A delivery of smtp[PID] to rcpt through relay: the first of its session
 * counts the session for TLS-RPT, failed for cause (a TLS cause linked
 * to a deferral or a bounce) or successful (TLS established, no failure
 * linked); cause -1 none. */
static void
session_count(mxlab_diagnose *d, const struct mta_event *ev, const char *host, int cause)
{
	struct dg_est *e = est_find(d, ev->pid, 0);
	const char *at = strrchr(ev->rcpt, '@');
	char ip[64];

	host_addr(ip, sizeof ip, ev->relay);
	if (at && cause >= 0)
		dg_rpt_count(d, at + 1, host, ip, cause);
	else if (at && e && !strcmp(e->host, host))
		dg_rpt_count(d, at + 1, host, ip[0] ? ip : e->ip, -1);
	if (e)
		e->used = 0;
}

/* ------------------------------------------------------------ lines */

static void
smtp_line(mxlab_diagnose *d, const struct mta_event *ev)
{
	const char *t = ev->text;
	char host[256];
	struct dg_pending *p;

	if (ev->queue_id[0] && ev->status[0]) {
		enum outcome o = !strcmp(ev->status, "sent") ? OUT_SENT
			       : !strcmp(ev->status, "deferred") ? OUT_DEFERRED
			       : !strcmp(ev->status, "bounced") ? OUT_BOUNCED : OUT_OTHER;
		enum tc_key k = classify(status_words, ev->status_text);
		const char *at = strrchr(ev->rcpt, '@');
		struct dg_qid *q = qid_slot(d, ev->queue_id);
		struct dg_agg *a;

		if (!strcmp(ev->status, "expired")) {	/* qmgr, below */
			return;
		}
		host_name(host, sizeof host, ev->relay, strlen(ev->relay));
		p = pending_find(d, 0, ev->pid);
		if (!strcmp(host, "none") || !host[0])	/* no connection: the MX a
							   policy line named, else the domain */
			copy(host, sizeof host, p && p->host[0] && !p->linked ? p->host
					      : at ? at + 1 : "");
		if (p && ((p->host[0] && strcmp(p->host, host) != 0) ||
			  (k != TC_COUNT && !consistent(p->cause, k)) ||
			  (p->linked && k == TC_COUNT))) {
			/* Not this delivery's story: another MX was tried after
			 * it, the status names another cause, or the session's
			 * later deliveries say nothing about TLS. */
			pending_close(d, p);
			p = NULL;
		}
		if (p && k == TC_COUNT && o != OUT_SENT)
			o = OUT_OTHER;		/* deferred, but for another reason */
		if (p) {
			/* The first delivery after the TLS line, or the next
			 * recipients of the same session: the line's cause. */
			if (!p->linked)
				session_count(d, ev, host, o == OUT_DEFERRED ||
					      o == OUT_BOUNCED ? (int)p->cause : -1);
			a = pending_count(d, p, host, o);
			p->linked = 1;
			p->seq = ++d->seq;
		} else if (k != TC_COUNT) {
			char where[300];

			session_count(d, ev, host, o == OUT_DEFERRED ||
				      o == OUT_BOUNCED ? (int)k : -1);

			snprintf(where, sizeof where, "%s:%llu", d->name, d->lineno);
			a = agg_get(d, 0, host, k);
			if (a)
				agg_count(a, o, ev->time, ev->line, where);
			d->st.tls_events++;
			if (o != OUT_SENT)
				d->st.failures++;
		} else {
			session_count(d, ev, host, -1);
			return;
		}
		if (!a)
			return;
		if (at && !a->domain[0])
			copy(a->domain, sizeof a->domain, at + 1);
		if (strcmp(q->id, ev->queue_id) != 0 || q->agg != (int)(a - d->aggs)) {
			a->messages++;
			copy(q->id, sizeof q->id, ev->queue_id);
			q->agg = (int)(a - d->aggs);
		}
		return;
	}
	if (strstr(t, "TLS connection established to ")) {
		struct dg_est *e = est_find(d, ev->pid, 1);
		const char *to = strstr(t, "established to ") + 15;

		e->seq = ++d->seq;
		host_name(e->host, sizeof e->host, to, strcspn(to, " "));
		host_addr(e->ip, sizeof e->ip, to);
	} else if (strstr(t, "certificate verification failed for ")) {
		word_after(host, sizeof host, t, "verification failed for ", 1);
		hold(d, ev, 0, classify(verify_words, t), host, 0);
	} else if (!strncmp(t, "SSL_connect error to ", 21)) {
		word_after(host, sizeof host, t, "SSL_connect error to ", 1);
		hold(d, ev, 0, TC_PROTOCOL_MISMATCH, host, 1);
	} else if (strstr(t, "TLS library problem")) {
		hold(d, ev, 0, classify(smtp_lib_words, t), NULL, 1);
	} else if (strstr(t, "TLS policy lookup for ") &&
		   (strstr(t, "no TLSA records found") || strstr(t, "non DNSSEC destination"))) {
		/* dane-only, before a connection: "for DOMAIN/MX: why" */
		word_after(host, sizeof host, t, "TLS policy lookup for ", 0);
		char *mx = strchr(host, '/');

		hold(d, ev, 0, strstr(t, "no TLSA") ? TC_DANE_REQUIRED : TC_DNSSEC_INVALID,
		     mx ? mx + 1 : NULL, 0);
	} else if (strstr(t, "TLSA") || strstr(t, "DANE")) {
		if (strstr(t, "warning") || strstr(t, "no matching") || strstr(t, "error"))
			hold(d, ev, 0, TC_DANE_MISMATCH, NULL, 0);
	}
}

static void
smtpd_line(mxlab_diagnose *d, const struct mta_event *ev)
{
	const char *t = ev->text;
	char host[256];
	struct dg_pending *p;

	if (!strncmp(t, "SSL_accept error from ", 22)) {
		word_after(host, sizeof host, t, "SSL_accept error from ", 0);
		hold(d, ev, 1, classify(smtpd_lib_words, t + 22), host, 1);
	} else if (strstr(t, "TLS library problem")) {
		hold(d, ev, 1, classify(smtpd_lib_words, t), NULL, 1);
	} else if (!strncmp(t, "lost connection after STARTTLS from ", 36)) {
		word_after(host, sizeof host, t, "STARTTLS from ", 0);
		if (!(p = pending_find(d, 1, ev->pid)))
			hold(d, ev, 1, TC_CLIENT_TLS_FAILED, host, 0);
		else if (!p->host[0])
			copy(p->host, sizeof p->host, host);
	} else if (!strncmp(t, "disconnect from ", 16) || !strncmp(t, "connect from ", 13)) {
		if ((p = pending_find(d, 1, ev->pid))) {
			if (!p->host[0])
				word_after(p->host, sizeof p->host, t, "from ", 0);
			pending_close(d, p);
		}
	}
}

/* qmgr: "QUEUEID: from=<...>, status=expired, returned to sender". */
static void
qmgr_line(mxlab_diagnose *d, const struct mta_event *ev)
{
	struct dg_qid *q;

	if (!ev->queue_id[0] || strcmp(ev->status, "expired") != 0)
		return;
	q = qid_slot(d, ev->queue_id);
	if (q->agg >= 0 && !strcmp(q->id, ev->queue_id) && (size_t)q->agg < d->naggs)
		d->aggs[q->agg].expired++;
}

void
dg_sts_count(mxlab_diagnose *d, const char *domain, enum tc_key cause, const char *time,
	     const char *example, const char *where)
{
	struct dg_agg *a = agg_get(d, DG_STS, domain, cause);

	if (a) {
		agg_count(a, OUT_OTHER, time, example, where);
		if (!a->domain[0])
			copy(a->domain, sizeof a->domain, domain);
	}
	d->st.tls_events++;
	d->st.failures++;
	dg_rpt_count(d, domain, "", "", (int)cause);
}

/* One line of text (no control bytes): parsed, and handed to its daemon's
 * reader; the MTA-STS resolver's lines to diagnose_sts.c. */
void
dg_line(mxlab_diagnose *d, const char *line, size_t len)
{
	struct mta_event *ev = d->ev;
	int parsed = ml_parse_line(line, len, ev) == 0;

	if (!parsed || strncmp(ev->service, "postfix", 7) != 0) {
		if (!dg_sts_line(d, parsed))
			d->st.skipped++;
		return;
	}
	d->st.postfix++;
	dg_rpt_time(d, ev->time);
	if (!strcmp(ev->daemon, "smtp")) {
		d->st.smtp++;
		smtp_line(d, ev);
	} else if (!strcmp(ev->daemon, "smtpd")) {
		d->st.smtpd++;
		smtpd_line(d, ev);
	} else if (!strcmp(ev->daemon, "qmgr")) {
		qmgr_line(d, ev);
	}
}

/* ------------------------------------------------------------ results */

static int
by_weight(const void *a, const void *b)
{
	const struct dg_agg *x = *(const struct dg_agg *const *)a;
	const struct dg_agg *y = *(const struct dg_agg *const *)b;
	int fx = x->count > x->sent, fy = y->count > y->sent;

	if (fx != fy)
		return fy - fx;
	if (x->count != y->count)
		return x->count < y->count ? 1 : -1;
	if (x->smtpd != y->smtpd)
		return x->smtpd - y->smtpd;
	return strcmp(x->dest, y->dest);
}

void
mxlab_diagnose_finish(mxlab_diagnose *d)
{
	struct dg_agg **order;

	for (size_t i = 0; i < DG_PENDING; i++)
		if (d->pending[i].used)
			pending_close(d, &d->pending[i]);
	order = realloc(d->order, (d->naggs ? d->naggs : 1) * sizeof *order);
	d->norder = 0;
	if (!order)
		return;		/* out of memory: no entries */
	d->order = order;
	for (size_t i = 0; i < d->naggs; i++)
		d->order[i] = &d->aggs[i];
	d->norder = d->naggs;
	qsort(d->order, d->norder, sizeof *d->order, by_weight);
}

size_t
mxlab_diagnose_count(const mxlab_diagnose *d)
{
	return d ? d->norder : 0;
}

int
mxlab_diagnose_entry(const mxlab_diagnose *d, size_t i, struct mxlab_diagnose_entry *e)
{
	const struct dg_agg *a;
	const struct tlscause *c;

	if (!d || i >= d->norder)
		return -1;
	a = d->order[i];
	c = tlscause_get(a->cause);
	memset(e, 0, sizeof *e);
	e->daemon = a->smtpd == DG_STS ? "mta-sts" : a->smtpd ? "smtpd" : "smtp";
	e->destination = a->dest;
	e->domain = a->domain;
	e->cause = c->id;
	e->term = c->term;
	e->why = c->cause;
	e->fix = c->fix;
	e->meanwhile = a->smtpd == DG_SMTPD ? NULL : c->meanwhile;
	e->guide = a->guide;
	e->result_type = c->rpt;
	e->count = a->count;
	e->deferred = a->deferred;
	e->bounced = a->bounced;
	e->sent = a->sent;
	e->expired = a->expired;
	e->other = a->other;
	e->messages = a->messages;
	e->failure = a->count > a->sent;
	e->first = a->first;
	e->last = a->last;
	e->example = a->example;
	e->example_where = a->where;
	return 0;
}

void
mxlab_diagnose_get_stats(const mxlab_diagnose *d, struct mxlab_diagnose_stats *s)
{
	*s = d->st;
}

size_t
mxlab_diagnose_nnotes(const mxlab_diagnose *d)
{
	return d->nnotes;
}

const char *
mxlab_diagnose_note(const mxlab_diagnose *d, size_t i)
{
	return i < d->nnotes ? d->notes[i] : NULL;
}
