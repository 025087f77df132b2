/*
 * probe_analyse.c: the findings of `mxlab probe` from the facts a probe
 * gathered (see mxlab/probe.h, docs/probe.md).
 *
 * Offers mxlab_probe_analyse(), mxlab_probe_has/find/worst and the
 * severity names. Pure: it reads the report (client results, plaintext
 * facts, version lists) and writes rep->findings; no network, no clock.
 * Each finding says what was seen, the usual cause and the fix; the cause
 * and the fix come from the table mxlab diagnose shares (tlscause.h), in
 * the words of docs/tls-guide.md (S6, S7, S12-S15) and of Postfix's
 * parameters.
 *
 * Certificates are judged per distinct chain: the SNI session when there
 * is one (what name-aware clients see), and the session without SNI when
 * it got another chain (what Postfix's smtp client sees by default; its
 * name mismatch is then explained by sni-differs rather than reported as
 * name-mismatch).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "mxlab/probe.h"
#include "tls_glue.h"
#include "tlscause.h"

/* The view of one presented chain that the certificate rules need. */
struct chain_view {
	const char *label;		/* "without SNI", "with SNI x", "" */
	const char *name;		/* name checked, "" none */
	int nchain;
	const char *subject, *issuer;	/* of the leaf */
	const char *not_before, *not_after;
	const char *names;
	const char *top_subject, *top_issuer;	/* the last certificate */
	int verified;
	unsigned reasons;
	const char *verify_text;
	int skip_name;			/* name mismatch explained elsewhere */
	int name_only;			/* chain already judged: the name alone */
};

const char *
mxlab_probe_severity_name(enum mxlab_probe_severity s)
{
	switch (s) {
	case MXLAB_PROBE_OK: return "OK";
	case MXLAB_PROBE_INFO: return "INFO";
	case MXLAB_PROBE_WARN: return "WARN";
	case MXLAB_PROBE_ERROR: return "ERROR";
	}
	return "?";
}

const struct mxlab_probe_finding *
mxlab_probe_find(const struct mxlab_probe_report *rep, const char *id)
{
	for (size_t i = 0; rep && i < rep->nfindings; i++)
		if (strcmp(rep->findings[i].id, id) == 0)
			return &rep->findings[i];
	return NULL;
}

int
mxlab_probe_has(const struct mxlab_probe_report *rep, const char *id)
{
	return mxlab_probe_find(rep, id) != NULL;
}

enum mxlab_probe_severity
mxlab_probe_worst(const struct mxlab_probe_report *rep)
{
	enum mxlab_probe_severity w = MXLAB_PROBE_OK;

	for (size_t i = 0; rep && i < rep->nfindings; i++)
		if (rep->findings[i].severity > w)
			w = rep->findings[i].severity;
	return w;
}

/* Add a finding; seen is a format. Silently dropped when the table is full
 * (32 findings: more than any probe produces). */
__attribute__((format(printf, 6, 7)))
static void
add(struct mxlab_probe_report *rep, const char *id, enum mxlab_probe_severity sev,
    const char *cause, const char *fix, const char *seenfmt, ...)
{
	struct mxlab_probe_finding *f;
	va_list ap;

	if (rep->nfindings >= MXLAB_PROBE_MAX_FINDINGS)
		return;
	f = &rep->findings[rep->nfindings++];
	memset(f, 0, sizeof *f);
	snprintf(f->id, sizeof f->id, "%s", id);
	f->severity = sev;
	snprintf(f->cause, sizeof f->cause, "%s", cause);
	snprintf(f->fix, sizeof f->fix, "%s", fix);
	va_start(ap, seenfmt);
	vsnprintf(f->seen, sizeof f->seen, seenfmt, ap);
	va_end(ap);
	if (f->seen[0] >= 'a' && f->seen[0] <= 'z')
		f->seen[0] = (char)(f->seen[0] - 'a' + 'A');
}

/* Add a finding worded by a row of the table (tlscause.h): its id, cause
 * and fix; seen is a format. */
__attribute__((format(printf, 4, 5)))
static void
finding(struct mxlab_probe_report *rep, enum tc_key key, enum mxlab_probe_severity sev,
	const char *seenfmt, ...)
{
	const struct tlscause *c = tlscause_get(key);
	char seen[sizeof rep->findings[0].seen];
	va_list ap;

	va_start(ap, seenfmt);
	vsnprintf(seen, sizeof seen, seenfmt, ap);
	va_end(ap);
	add(rep, c->id, sev, c->cause, c->fix, "%s", seen);
}

/* "2026-11-27T23:00:00Z" -> Unix seconds; -1 when not parsable. */
static long long
iso_time(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, se;

	if (!s || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &d, &h, &mi, &se) != 6)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	return (long long)timegm(&tm);
}

/* "In session X, " prefix for seen texts ("" when the label is empty). */
static void
prefix(char *buf, size_t len, const char *label)
{
	if (label && *label)
		snprintf(buf, len, "%c%s: ", label[0] == 'w' ? 'W' : label[0], label + 1);
	else
		buf[0] = '\0';
}

static void
view_from_result(struct chain_view *v, const struct mxlab_client_result *r,
		 const char *label, const char *name)
{
	memset(v, 0, sizeof *v);
	v->label = label;
	v->name = name;
	v->nchain = r->nchain;
	if (r->nchain > 0) {
		int top = r->nchain > MXLAB_CLIENT_MAX_CHAIN ? MXLAB_CLIENT_MAX_CHAIN - 1
							     : r->nchain - 1;

		v->subject = r->chain[0].subject;
		v->issuer = r->chain[0].issuer;
		v->not_before = r->chain[0].not_before;
		v->not_after = r->chain[0].not_after;
		v->names = r->chain[0].names;
		v->top_subject = r->chain[top].subject;
		v->top_issuer = r->chain[top].issuer;
	}
	v->verified = r->verified;
	v->reasons = r->verify_reasons;
	v->verify_text = r->verify_text;
}

static void
view_from_extra(struct chain_view *v, const struct mxlab_probe_sni *x, const char *label)
{
	memset(v, 0, sizeof *v);
	v->label = label;
	v->name = x->name;
	v->nchain = x->nchain;
	v->subject = x->subject;
	v->issuer = x->issuer;
	v->not_before = x->not_before;
	v->not_after = x->not_after;
	v->names = x->names;
	v->top_subject = x->top_subject;
	v->top_issuer = x->top_issuer;
	v->verified = x->verified;
	v->reasons = x->verify_reasons;
	v->verify_text = x->verify_text;
}

/* The certificate rules for one presented chain (docs/probe.md). */
static void
judge_chain(struct mxlab_probe_report *rep, const struct chain_view *v)
{
	char pre[300];
	long long nb = iso_time(v->not_before), na = iso_time(v->not_after);
	int self = v->nchain >= 1 && strcmp(v->subject, v->issuer) == 0;
	int untrusted = rep->ca_given && (v->reasons & MXLAB_VR_UNTRUSTED);
	int expired = (v->reasons & MXLAB_VR_EXPIRED) || (na >= 0 && na < rep->now);
	int future = (v->reasons & MXLAB_VR_NOT_YET_VALID) || (nb >= 0 && nb > rep->now);

	prefix(pre, sizeof pre, v->label);
	if (v->name_only) {
		expired = future = 0;
		goto name;
	}
	if (v->nchain == 0) {
		finding(rep, TC_TLS_NO_CERT, MXLAB_PROBE_ERROR,
		    "%sthe server presented no certificate.", pre);
		return;
	}
	if (self && !(rep->ca_given && v->verified))
		finding(rep, TC_SELF_SIGNED, rep->ca_given ? MXLAB_PROBE_ERROR : MXLAB_PROBE_WARN,
		    "%sthe server sends a self-signed certificate (%s, issued by itself)%s.",
		    pre, v->subject, rep->ca_given ? ", not trusted by the CA given" : "");
	else if (v->nchain == 1 && !self && untrusted)
		finding(rep, TC_CHAIN_LEAF_ONLY, MXLAB_PROBE_ERROR,
		    "%sthe server sends 1 certificate (%s, issued by %s), and it cannot be "
		    "verified against the CA given: the issuer is missing from the chain.",
		    pre, v->subject, v->issuer);
	else if (v->nchain == 1 && !self && !rep->ca_given)
		finding(rep, TC_CHAIN_LEAF_ONLY, MXLAB_PROBE_WARN,
		    "%sthe server sends 1 certificate (%s, issued by %s). Unless %s is itself "
		    "a root the senders trust, the intermediate is missing (no --ca-file: "
		    "not verified).", pre, v->subject, v->issuer, v->issuer);
	else if (untrusted)
		finding(rep, TC_UNTRUSTED_ISSUER, MXLAB_PROBE_ERROR,
		    "%sthe chain (%d certificates) ends at %s, issued by %s, which the CA "
		    "given does not trust.", pre, v->nchain, v->top_subject, v->top_issuer);
	else
		add(rep, "chain-ok", MXLAB_PROBE_OK, "", "",
		    "%s%d certificate%s: %s, issued by %s%s.", pre, v->nchain,
		    v->nchain == 1 ? "" : "s", v->subject, v->issuer,
		    rep->ca_given ? "; the chain leads to a trusted root"
				  : " (trust not judged: no CA given)");
	if (expired)
		finding(rep, TC_EXPIRED, MXLAB_PROBE_ERROR,
		    "%s%s%s expired on %s.", pre, na >= 0 && na < rep->now ? "" : "a certificate "
		    "of the chain has expired; the leaf ", v->subject, v->not_after);
	if (future)
		finding(rep, TC_NOT_YET_VALID, MXLAB_PROBE_ERROR,
		    "%s%s is valid only from %s.", pre, v->subject, v->not_before);
name:
	if (v->name && *v->name && (v->reasons & MXLAB_VR_NAME_MISMATCH) && !v->skip_name)
		finding(rep, TC_NAME_MISMATCH, MXLAB_PROBE_ERROR,
		    "%sthe certificate (%s; names %s) is not valid for %s.", pre, v->subject,
		    v->names && *v->names ? v->names : "none", v->name);
	if (v->name_only)
		return;
	if (v->reasons & MXLAB_VR_BAD_USAGE)
		finding(rep, TC_BAD_USAGE, MXLAB_PROBE_ERROR,
		    "%s%s may not be used by a TLS server.", pre, v->subject);
	if (rep->ca_given && !v->verified &&
	    ((v->reasons & (MXLAB_VR_OTHER | MXLAB_VR_NO_CHAIN)) || v->reasons == 0))
		finding(rep, TC_VERIFY_FAILED, MXLAB_PROBE_ERROR,
		    "%sverification failed: %s.", pre, v->verify_text);
}

/* Do two sessions show the same leaf? */
static int
same_leaf(const struct mxlab_client_result *a, const struct mxlab_client_result *b)
{
	return a->nchain == b->nchain && a->nchain > 0 &&
	       strcmp(a->chain[0].subject, b->chain[0].subject) == 0 &&
	       strcmp(a->chain[0].issuer, b->chain[0].issuer) == 0 &&
	       strcmp(a->chain[0].not_before, b->chain[0].not_before) == 0 &&
	       strcmp(a->chain[0].not_after, b->chain[0].not_after) == 0 &&
	       strcmp(a->chain[0].names, b->chain[0].names) == 0;
}

static int
tls_ok(const struct mxlab_client_result *r)
{
	return r->tls;
}

static void
judge_connection(struct mxlab_probe_report *rep)
{
	if (!rep->connected)
		finding(rep, TC_CONNECT_FAILED, MXLAB_PROBE_ERROR,
		    "could not connect to %s: %s.", rep->target,
		    rep->connect_error[0] ? rep->connect_error : "no answer");
	else if (!rep->implicit_tls && rep->greeting_code != 220)
		finding(rep, TC_CONNECT_GREETING, MXLAB_PROBE_ERROR,
		    "connected, but the greeting was '%s'%s%s.",
		    rep->greeting[0] ? rep->greeting : "(none)",
		    rep->connect_error[0] ? ": " : "", rep->connect_error);
	else if (!rep->implicit_tls && !rep->ehlo_done)
		finding(rep, TC_CONNECT_EHLO, MXLAB_PROBE_ERROR,
		    "EHLO failed: %s.", rep->connect_error[0] ? rep->connect_error : "no 250");
}

static void
judge_starttls(struct mxlab_probe_report *rep)
{
	const struct mxlab_client_result *n = &rep->nosni;

	if (rep->implicit_tls || !rep->ehlo_done)
		return;
	if (!rep->starttls_offered) {
		finding(rep, TC_STARTTLS_MISSING, MXLAB_PROBE_ERROR,
		    "EHLO on port %u does not advertise STARTTLS%s.", rep->port,
		    rep->port == 25 || rep->port == 587
			? ": senders deliver in clear or not at all" : "");
		return;
	}
	if (rep->nosni_done && n->failed_stage == MXLAB_CS_STARTTLS)
		finding(rep, TC_STARTTLS_REFUSED, MXLAB_PROBE_ERROR,
		    "STARTTLS is advertised, but the command got '%d %s'.",
		    n->reply[MXLAB_CS_STARTTLS].code,
		    n->reply[MXLAB_CS_STARTTLS].code ? n->reply[MXLAB_CS_STARTTLS].text
						      : n->error);
}

static void
judge_handshake(struct mxlab_probe_report *rep, const struct mxlab_client_result *r,
		const char *label)
{
	if (r->failed_stage != MXLAB_CS_TLS || r->tls)
		return;
	if (r->injected) {
		finding(rep, TC_STARTTLS_INJECTION, MXLAB_PROBE_ERROR,
		    "%zu bytes of plaintext followed the 220 reply to STARTTLS (session %s), before the "
		    "handshake (stage tls): '%s'; the probe did not go on.", r->injected, label,
		    r->injection);
		return;
	}
	finding(rep, TC_TLS_FAILED, MXLAB_PROBE_ERROR,
	    "the TLS handshake %s failed: %s.", label, r->error[0] ? r->error : "no reason given");
}

static void
judge_sni(struct mxlab_probe_report *rep, int *nosni_skip_name)
{
	const struct mxlab_client_result *a = &rep->nosni, *b = &rep->sni;
	const struct tlscause *sd;
	char cause[512], fix[512];
	int nosni_bad, sni_good;

	*nosni_skip_name = 0;
	if (!rep->sni_done || !tls_ok(a) || !tls_ok(b) || a->nchain == 0 || b->nchain == 0)
		return;
	if (same_leaf(a, b)) {
		add(rep, "sni-same", MXLAB_PROBE_OK, "", "",
		    "with and without SNI %s the server presents the same certificate (%s).",
		    rep->name, a->chain[0].subject);
		return;
	}
	*nosni_skip_name = 1;
	nosni_bad = !a->verified && (a->verify_reasons & MXLAB_VR_NAME_MISMATCH);
	sni_good = !(b->verify_reasons & MXLAB_VR_NAME_MISMATCH);
	sd = tlscause_get(TC_SNI_DIFFERS);
	snprintf(cause, sizeof cause, sd->cause, a->chain[0].subject,
		 nosni_bad ? ", which is not valid for this name" : "");
	snprintf(fix, sizeof fix, sd->fix, rep->name);
	add(rep, sd->id, nosni_bad && sni_good ? MXLAB_PROBE_WARN : MXLAB_PROBE_INFO,
	    cause, fix,
	    "without SNI the server presents %s (issued by %s); with SNI %s it presents %s "
	    "(issued by %s).", a->chain[0].subject, a->chain[0].issuer, rep->name,
	    b->chain[0].subject, b->chain[0].issuer);
}

static void
judge_extras(struct mxlab_probe_report *rep)
{
	for (size_t i = 0; i < rep->nextra && i < MXLAB_PROBE_MAX_SNI; i++) {
		const struct mxlab_probe_sni *x = &rep->extra[i];
		char label[300];
		struct chain_view v;

		snprintf(label, sizeof label, "with SNI %s", x->name);
		if (!x->tls) {
			finding(rep, TC_TLS_FAILED_SNI, MXLAB_PROBE_ERROR,
			    "the TLS handshake %s failed: %s.", label,
			    x->error[0] ? x->error : "no reason given");
			continue;
		}
		view_from_extra(&v, x, label);
		v.name_only = (rep->nosni.tls && rep->nosni.nchain > 0 &&
			       !strcmp(rep->nosni.chain[0].subject, x->subject) &&
			       !strcmp(rep->nosni.chain[0].not_after, x->not_after)) ||
			      (rep->sni.tls && rep->sni.nchain > 0 &&
			       !strcmp(rep->sni.chain[0].subject, x->subject) &&
			       !strcmp(rep->sni.chain[0].not_after, x->not_after));
		judge_chain(rep, &v);
		if (tls_ok(&rep->nosni) && rep->nosni.nchain > 0 &&
		    strcmp(rep->nosni.chain[0].subject, x->subject) != 0)
			finding(rep, TC_SNI_DIFFERS_EXTRA, MXLAB_PROBE_INFO,
			    "with SNI %s the server presents %s; without SNI %s.", x->name,
			    x->subject, rep->nosni.chain[0].subject);
	}
}

/* The protocols finding's note on the versions not tested: those this
 * mbedTLS cannot speak, and those it can whose session got no verdict
 * (the handshake timed out, or the session ended before it: probe.c). */
static void
untested_note(const char *words, char *buf, size_t len)
{
	char cannot[64] = "", none[64] = "";
	size_t k;

	for (const char *p = words; *p; p += strspn(p, " ")) {
		size_t n = strcspn(p, " ");
		char v[16], why[160], *to;
		struct mx_tls_versions tv;

		snprintf(v, sizeof v, "%.*s", (int)n, p);
		tv.min = tv.max = mx_tls_version_parse(v);
		to = tv.min > 0 && mx_tls_versions_check(&tv, why, sizeof why) == 0 ? none : cannot;
		k = strlen(to);
		snprintf(to + k, sizeof cannot - k, "%s%s", k ? " " : "", v);
		p += n;
	}
	buf[0] = '\0';
	if (cannot[0])
		snprintf(buf, len, "; not tested: %s (this mbedTLS cannot speak it)", cannot);
	k = strlen(buf);
	if (none[0])
		snprintf(buf + k, len - k, "; no verdict: %s (the session timed out or ended "
			 "before the handshake: inconclusive)", none);
}

static void
judge_protocols(struct mxlab_probe_report *rep)
{
	char untested[256];

	if (!rep->versions_tested[0])
		return;
	untested_note(rep->versions_untested, untested, sizeof untested);
	if (strstr(rep->versions_accepted, "TLSv1.0") || strstr(rep->versions_accepted, "TLSv1.1"))
		finding(rep, TC_OLD_PROTOCOLS, MXLAB_PROBE_WARN,
		    "the server accepts %s (accepted: %s; refused: %s%s).",
		    strstr(rep->versions_accepted, "TLSv1.0") && strstr(rep->versions_accepted, "TLSv1.1")
			? "TLSv1.0 and TLSv1.1"
			: strstr(rep->versions_accepted, "TLSv1.0") ? "TLSv1.0" : "TLSv1.1",
		    rep->versions_accepted, rep->versions_refused[0] ? rep->versions_refused : "none",
		    untested);
	else if (rep->versions_accepted[0])
		add(rep, "protocols", MXLAB_PROBE_OK, "", "",
		    "accepted: %s; refused: %s%s.", rep->versions_accepted,
		    rep->versions_refused[0] ? rep->versions_refused : "none", untested);
	else
		finding(rep, TC_PROTOCOLS_NONE, MXLAB_PROBE_INFO,
		    "no single version was accepted on its own (tried %s)%s.",
		    rep->versions_tested, untested);
	/* Only when 1.3 was tried and refused while another version works:
	 * an mbedTLS without 1.3 (2.28) lists it as not tested above. */
	if (strstr(rep->versions_refused, "TLSv1.3") && rep->versions_accepted[0])
		finding(rep, TC_TLS13_NOT_OFFERED, MXLAB_PROBE_INFO,
		    "TLSv1.3 not offered: a session limited to TLSv1.3 was refused "
		    "(accepted: %s).", rep->versions_accepted);
}

static void
judge_auth(struct mxlab_probe_report *rep)
{
	if (rep->auth_before_tls)
		finding(rep, TC_AUTH_BEFORE_TLS, MXLAB_PROBE_WARN,
		    "AUTH %s is advertised before STARTTLS.", rep->auth_mechs_before);
	else if (!rep->implicit_tls && rep->auth_mechs_after[0])
		add(rep, "auth-after-tls-only", MXLAB_PROBE_OK, "", "",
		    "AUTH %s is advertised only after STARTTLS.", rep->auth_mechs_after);
}

/* Stable sort: ERROR first, OK last. */
static void
sort_findings(struct mxlab_probe_report *rep)
{
	for (size_t i = 1; i < rep->nfindings; i++) {
		struct mxlab_probe_finding f = rep->findings[i];
		size_t j = i;

		while (j > 0 && rep->findings[j - 1].severity < f.severity) {
			rep->findings[j] = rep->findings[j - 1];
			j--;
		}
		rep->findings[j] = f;
	}
}

void
mxlab_probe_analyse(struct mxlab_probe_report *rep)
{
	struct chain_view v;
	char label[300];
	int skip_name = 0, any_tls;

	rep->nfindings = 0;
	judge_connection(rep);
	if (rep->out_of_time)
		finding(rep, TC_PROBE_INCOMPLETE, MXLAB_PROBE_ERROR,
		    "the probe ran out of its total time (%u ms, --total-timeout) after %.1f s: "
		    "sessions were cut short or not run, the findings are incomplete.",
		    rep->total_timeout_ms, rep->seconds);
	judge_starttls(rep);
	if (rep->nosni_done)
		judge_handshake(rep, &rep->nosni, "without SNI");
	if (rep->sni_done) {
		snprintf(label, sizeof label, "with SNI %s", rep->name);
		judge_handshake(rep, &rep->sni, label);
	}
	judge_sni(rep, &skip_name);
	if (rep->sni_done && tls_ok(&rep->sni)) {
		int same = tls_ok(&rep->nosni) && same_leaf(&rep->nosni, &rep->sni);

		view_from_result(&v, &rep->sni, same || !tls_ok(&rep->nosni) ? "" : label,
				 rep->name);
		judge_chain(rep, &v);
		if (!same && tls_ok(&rep->nosni)) {
			view_from_result(&v, &rep->nosni, "without SNI", rep->name);
			v.skip_name = skip_name;
			judge_chain(rep, &v);
		}
	} else if (rep->nosni_done && tls_ok(&rep->nosni)) {
		view_from_result(&v, &rep->nosni, rep->sni_done ? "without SNI" : "", rep->name);
		judge_chain(rep, &v);
	}
	judge_extras(rep);
	any_tls = (rep->nosni_done && tls_ok(&rep->nosni)) || (rep->sni_done && tls_ok(&rep->sni));
	if (any_tls)
		judge_protocols(rep);
	judge_auth(rep);
	if (any_tls && !rep->ca_given)
		finding(rep, TC_NO_CA, MXLAB_PROBE_INFO,
		    "no --ca-file or --ca-dir given: trust is not judged (dates and names are).");
	sort_findings(rep);
}
