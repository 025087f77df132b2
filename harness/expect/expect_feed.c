/*
 * expect_feed.c: deciding [expect] lines on maillog events (ex_feed) and
 * at the end (ex_finish); the rules are in expect.c's header.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expect_int.h"

static const char *const tls_words[] = {
	"TLS connection established", "verification failed", "TLS is required",
	"SSL_connect error", "Trusted", "Untrusted", "Verified", "hostname mismatch",
	"TLS library problem", "Cannot start TLS", "connect to ", "lost connection",
	"timed out", NULL,
};

void
ex_ensure_slots(struct ex_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		struct ex_item *it = &s->items[i];
		size_t n = it->rcpt ? 1 : s->nrcpts;

		if (it->kind != EX_STATUS || it->slots_ready)
			continue;
		it->slots_ready = 1;
		if (n && !(it->slots = calloc(n, sizeof *it->slots)))
			continue;
		for (size_t k = 0; k < n; k++)
			if ((it->slots[k].rcpt = strdup(it->rcpt ? it->rcpt : s->rcpts[k])))
				it->nslots++;
	}
}

/* ---- feeding ---- */

static int
tls_related(const char *text)
{
	for (size_t i = 0; tls_words[i]; i++)
		if (strstr(text, tls_words[i]))
			return 1;
	return 0;
}

static struct pidring *
pid_slot(struct ex_set *s, long pid, int create)
{
	struct pidring *old = &s->pids[0];

	for (size_t i = 0; i < PID_SLOTS; i++) {
		if (s->pids[i].used && s->pids[i].pid == pid) {
			s->pids[i].used = ++s->tick;
			return &s->pids[i];
		}
		if (s->pids[i].used < old->used)
			old = &s->pids[i];
	}
	if (!create)
		return NULL;
	for (size_t k = 0; k < PID_LINES; k++) {
		free(old->line[k]);
		old->line[k] = NULL;
	}
	free(old->snap);
	memset(old, 0, sizeof *old);
	old->pid = pid;
	old->used = ++s->tick;
	return old;
}

/* The TLS lines the status line's PID logged for this delivery. */
static const char *
pid_snapshot(struct ex_set *s, const struct mta_event *ev)
{
	struct pidring *p = pid_slot(s, ev->pid, 1);
	struct ex_sb b = { 0 };
	unsigned long last = p->mark;

	if (p->qid[0] && !strcmp(p->qid, ev->queue_id))
		return p->snap ? p->snap : "";
	for (size_t k = 0; k < PID_LINES; k++) {
		size_t i = (p->head + k) % PID_LINES;

		if (p->line[i] && p->seq[i] > p->mark) {
			if (p->tls[i])
				ex_sb_add(&b, "%s", p->line[i]);
			if (p->seq[i] > last)
				last = p->seq[i];
		}
	}
	p->mark = last;
	snprintf(p->qid, sizeof p->qid, "%s", ev->queue_id);
	free(p->snap);
	p->snap = b.s;
	return ex_sb_str(&b);
}

static void
pid_add(struct ex_set *s, const struct mta_event *ev)
{
	struct pidring *p = pid_slot(s, ev->pid, 1);

	free(p->line[p->head]);
	p->line[p->head] = strdup(ev->line);
	p->seq[p->head] = ++s->tick;
	/* The driver's parser says what is about TLS; a few more words
	 * (connection trouble around a TLS failure) are kept as evidence. */
	p->tls[p->head] = ev->tls != MTA_TLS_NONE || tls_related(ev->text);
	p->head = (p->head + 1) % PID_LINES;
}

static int
daemon_ok(const struct ex_item *it, const struct mta_event *ev)
{
	size_t n, d = strlen(it->daemon);

	if (!d)
		return 1;
	if (!strchr(it->daemon, '/'))
		return !strcmp(it->daemon, ev->daemon);
	n = strlen(ev->service);
	return !strcmp(ev->service, it->daemon) ||
	       (n > d && ev->service[n - d - 1] == '/' && !strcmp(ev->service + n - d, it->daemon));
}

static int
dsn_matches(const char *want, const char *got)
{
	size_t n = strlen(want);

	return !n || (!strncmp(got, want, n) && (got[n] == '\0' || got[n] == '.'));
}

static void
decide_slot(struct ex_item *it, struct ex_slot *sl, const struct mta_event *ev)
{
	const char *st = ev->status;

	snprintf(sl->seen, sizeof sl->seen, "%s%s%s", st, ev->dsn[0] ? " " : "", ev->dsn);
	if (strcmp(it->want, "expired")) {
		sl->state = !strcmp(st, it->want) && dsn_matches(it->dsn, ev->dsn) ? 1 : 2;
		return;
	}
	if (!strcmp(st, "expired") ||
	    (!strcmp(st, "bounced") && strstr(ev->status_text, "expired")))
		sl->state = dsn_matches(it->dsn, ev->dsn) ? 1 : 2;
	else if (!strcmp(st, "deferred")) {	/* wait for qmgr's status=expired */
		snprintf(sl->qid, sizeof sl->qid, "%s", ev->queue_id);
		snprintf(sl->dsn, sizeof sl->dsn, "%s", ev->dsn);
	} else
		sl->state = 2;
}

static void
item_done(struct ex_item *it)
{
	struct ex_sb why = { .sep = "; " };
	int bad = 0;

	if (it->nslots == 0)
		return;
	for (size_t i = 0; i < it->nslots; i++)
		if (it->slots[i].state == 0)
			return;
	for (size_t i = 0; i < it->nslots; i++) {
		struct ex_slot *sl = &it->slots[i];

		if (sl->state == 1)
			continue;
		bad = 1;
		ex_sb_add(&why, "expected status %s%s%s for %s, saw %s",
			  it->want, it->dsn[0] ? " " : "", it->dsn, sl->rcpt, sl->seen);
	}
	/* The evidence: the failed slots' lines, or when all matched, every
	 * slot's (its TLS lines and the status line that decided it). */
	for (size_t i = 0; i < it->nslots; i++)
		if (it->slots[i].state == 2 || !bad)
			ex_sb_add(&it->ev, "%s", ex_sb_str(&it->slots[i].ev));
	it->state = bad ? 2 : 1;
	if (bad) {
		ex_set_why(it, "%s", ex_sb_str(&why));
	}
	free(why.s);
}

static int
same_addr(const char *a, const char *b)
{
	return b[0] && !strcasecmp(a, b);
}

static void
feed_status(struct ex_item *it, const struct mta_event *ev, const char *tls)
{
	for (size_t i = 0; i < it->nslots; i++) {
		struct ex_slot *sl = &it->slots[i];

		if (sl->state)
			continue;
		if (sl->nmention < MENTIONS && strcasestr(ev->line, sl->rcpt)) {
			ex_sb_add(&sl->mention, "%s", ev->line);
			sl->nmention++;
		}
		if (ev->status[0] && (same_addr(sl->rcpt, ev->rcpt) ||
				      same_addr(sl->rcpt, ev->orig_rcpt))) {
			if (tls && *tls)
				ex_sb_add(&sl->ev, "%s", tls);
			ex_sb_add(&sl->ev, "%s", ev->line);
			decide_slot(it, sl, ev);
		} else if (sl->qid[0] && !ev->rcpt[0] && !strcmp(ev->status, "expired") &&
			   !strcmp(ev->queue_id, sl->qid)) {
			ex_sb_add(&sl->ev, "%s", ev->line);
			snprintf(sl->seen, sizeof sl->seen, "expired (after deferred %s)", sl->dsn);
			sl->state = dsn_matches(it->dsn, sl->dsn) ? 1 : 2;
		}
	}
	item_done(it);
}

void
ex_feed(struct ex_set *s, const struct mta_event *ev)
{
	const char *tls = NULL;
	struct recent *r;

	ex_ensure_slots(s);
	if (!ev->queue_id[0] && ev->pid > 0)
		pid_add(s, ev);
	else if (ev->status[0] && ev->rcpt[0])
		tls = pid_snapshot(s, ev);
	for (size_t i = 0; i < s->n; i++) {
		struct ex_item *it = &s->items[i];

		if (it->kind == EX_STATUS && it->state == 0)
			feed_status(it, ev, tls);
		else if (it->kind == EX_LOG && it->state == 0 && daemon_ok(it, ev) &&
			 regexec(&it->re, ev->text, 0, NULL, 0) == 0) {
			it->state = 1;
			ex_sb_add(&it->ev, "%s", ev->line);	/* the line that matched */
		} else if (it->kind == EX_NOLOG && daemon_ok(it, ev)) {
			it->nlines++;
			if (regexec(&it->re, ev->text, 0, NULL, 0) == 0) {
				it->state = 2;
				if (++it->nmatch <= NOLOG_LINES)
					ex_sb_add(&it->ev, "%s", ev->line);
			}
		}
	}
	r = &s->recent[s->rhead];
	s->rhead = (s->rhead + 1) % RECENT;
	free(r->line);
	r->line = strdup(ev->line);
	snprintf(r->daemon, sizeof r->daemon, "%s", ev->daemon);
}

size_t
ex_undecided(const struct ex_set *s)
{
	size_t n = 0;

	for (size_t i = 0; i < s->n; i++)
		if ((s->items[i].kind == EX_STATUS || s->items[i].kind == EX_LOG) &&
		    s->items[i].state == 0)
			n++;
	return n;
}

/* ---- finishing ---- */

/* The last max recent lines of a daemon ("" any), oldest first. */
static void
recent_lines(const struct ex_set *s, struct ex_sb *b, const char *daemon, size_t max)
{
	size_t k, n = 0, first = RECENT;

	for (k = RECENT; k-- > 0 && n < max; ) {
		const struct recent *r = &s->recent[(s->rhead + k) % RECENT];

		if (r->line && (!*daemon || !strcmp(daemon, r->daemon)))
			n++, first = k;
	}
	for (k = first; k < RECENT; k++) {
		const struct recent *r = &s->recent[(s->rhead + k) % RECENT];

		if (r->line && (!*daemon || !strcmp(daemon, r->daemon)))
			ex_sb_add(b, "%s", r->line);
	}
}

static void
finish_status(struct ex_set *s, struct ex_item *it, const char *late)
{
	struct ex_sb why = { .sep = "; " };

	if (it->nslots == 0) {
		ex_set_why(it, "expected status %s for every recipient, but the scenario "
			   "sends to none", it->want);
		it->state = 2;
		return;
	}
	for (size_t i = 0; i < it->nslots; i++) {
		struct ex_slot *sl = &it->slots[i];

		if (sl->state == 0 && sl->seen[0])
			ex_sb_add(&why, "expected status %s%s%s for %s, saw %s, then no "
				  "status=expired %s", it->want,
				  it->dsn[0] ? " " : "", it->dsn, sl->rcpt, sl->seen, late);
		else if (sl->state == 0)
			ex_sb_add(&why, "expected status %s%s%s for %s, not seen %s",
				  it->want, it->dsn[0] ? " " : "",
				  it->dsn, sl->rcpt, late);
		else if (sl->state == 2)
			ex_sb_add(&why, "expected status %s%s%s for %s, saw %s",
				  it->want, it->dsn[0] ? " " : "",
				  it->dsn, sl->rcpt, sl->seen);
		if (sl->state != 1) {
			ex_sb_add(&it->ev, "%s", ex_sb_str(sl->state ? &sl->ev : &sl->mention));
			if (sl->state == 0 && sl->ev.len)
				ex_sb_add(&it->ev, "%s", ex_sb_str(&sl->ev));
		}
	}
	recent_lines(s, &it->ev, "smtp", 5);
	ex_set_why(it, "%s", ex_sb_str(&why));
	free(why.s);
	it->state = 2;
}

void
ex_finish(struct ex_set *s, const struct ex_server *servers, size_t n, int timed_out)
{
	struct ex_world w = { .servers = servers, .nservers = n };

	ex_finish_world(s, &w, timed_out);
}

void
ex_finish_world(struct ex_set *s, const struct ex_world *w, int timed_out)
{
	const char *late = timed_out ? "within the timeout" : "before the scenario ended";

	ex_ensure_slots(s);
	for (size_t i = 0; i < s->n; i++) {
		struct ex_item *it = &s->items[i];

		switch (it->kind) {
		case EX_STATUS:
			if (it->state == 0)
				finish_status(s, it, late);
			break;
		case EX_LOG:
			if (it->state)
				break;
			ex_set_why(it, "expected a line of %s matching /%s/, not seen %s",
				   it->daemon[0] ? it->daemon : "any daemon", it->value, late);
			recent_lines(s, &it->ev, it->daemon, 8);
			it->state = 2;
			break;
		case EX_NOLOG:
			if (it->state == 0) {
				it->state = 1;
				ex_sb_add(&it->ev, "no matching line among %lu maillog line%s%s%s",
					  it->nlines, it->nlines == 1 ? "" : "s",
					  it->daemon[0] ? " of " : "", it->daemon);
			} else
				ex_set_why(it, "expected no line of %s matching /%s/, saw %d",
					   it->daemon[0] ? it->daemon : "any daemon", it->value,
					   it->nmatch);
			break;
		case EX_SERVER:
			if (it->state == 0)
				ex_server_eval(it, w->servers, w->nservers);
			break;
		case EX_CLIENT:
			if (it->state == 0)
				ex_client_eval(it, w->clients, w->nclients);
			break;
		case EX_PROBE:
			if (it->state == 0)
				ex_probe_eval(it, w->probes, w->nprobes);
			break;
		}
	}
}

