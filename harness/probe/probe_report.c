/*
 * probe_report.c: a probe report as JSON and as text (see mxlab/probe.h).
 *
 * Offers mxlab_probe_report_json() (one object; the shape is documented
 * in docs/probe.md) and mxlab_probe_report_text() (sections Connection,
 * STARTTLS, Certificate chain, Verification, Protocols, AUTH, Findings,
 * then the same checks by hand with openssl and postconf, as the seed
 * guide does them). Each finding the guide explains carries its link,
 * docs/tls-guide.md#ANCHOR, from the shared table (tlscause.h). Both
 * return malloc'ed strings, NULL when out of memory.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/probe.h"
#include "jsonw.h"
#include "textbuf.h"
#include "tlscause.h"

/* "docs/tls-guide.md#s6" for a finding the guide explains, else NULL. */
static const char *
guide_link(const char *id, char *buf, size_t len)
{
	const struct tlscause *c = tlscause_by_id(id);

	if (!c || !c->anchor)
		return NULL;
	snprintf(buf, len, "%s#%s", TLSCAUSE_GUIDE, c->anchor);
	return buf;
}

/* ---------------------------------------------------------------- JSON */

static void
json_words(struct jw *w, const char *key, const char *list)
{
	const char *p = list;

	jw_key(w, key);
	jw_arr_begin(w);
	while (*p) {
		size_t n = strcspn(p, " ");

		if (n)
			jw_strn(w, p, n);
		p += n;
		while (*p == ' ')
			p++;
	}
	jw_arr_end(w);
}

static void
json_reasons(struct jw *w, unsigned reasons)
{
	jw_key(w, "verify_reasons");
	jw_arr_begin(w);
	for (unsigned bit = 1; bit <= MXLAB_VR_OTHER; bit <<= 1)
		if (reasons & bit)
			jw_str(w, mxlab_client_reason_name(bit));
	jw_arr_end(w);
}

static void
json_session(struct jw *w, const char *key, int done, const struct mxlab_client_result *r)
{
	jw_key(w, key);
	if (!done) {
		jw_null(w);
		return;
	}
	jw_obj_begin(w);
	jw_kbool(w, "tls", r->tls);
	jw_kstr(w, "stopped_at", mxlab_client_stage_name(r->failed_stage));
	jw_kstr(w, "error", r->error);
	jw_kstr(w, "version", r->tls_version);
	jw_kstr(w, "cipher", r->cipher);
	jw_key(w, "sni");
	jw_str(w, r->sni_sent ? r->sni : NULL);
	jw_kint(w, "certificates", r->nchain);
	jw_key(w, "chain");
	jw_arr_begin(w);
	for (int i = 0; i < r->nchain && i < MXLAB_CLIENT_MAX_CHAIN; i++) {
		const struct mxlab_client_cert *c = &r->chain[i];

		jw_obj_begin(w);
		jw_kstr(w, "subject", c->subject);
		jw_kstr(w, "issuer", c->issuer);
		jw_kstr(w, "not_before", c->not_before);
		jw_kstr(w, "not_after", c->not_after);
		jw_kstr(w, "names", c->names);
		jw_kbool(w, "ca", c->ca);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_kbool(w, "verified", r->verified);
	json_reasons(w, r->verify_reasons);
	jw_kstr(w, "verify_name", r->verify_name[0] ? r->verify_name : NULL);
	jw_obj_end(w);
}

char *
mxlab_probe_report_json(const struct mxlab_probe_report *rep)
{
	struct jw w;
	int counts[4] = { 0 };
	char link[128];

	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "target", rep->target);
	jw_kstr(&w, "host", rep->host);
	jw_kint(&w, "port", rep->port);
	jw_kstr(&w, "mode", rep->implicit_tls ? "implicit" : "starttls");
	jw_key(&w, "name");
	jw_str(&w, rep->name[0] ? rep->name : NULL);
	jw_kbool(&w, "ca_given", rep->ca_given);
	jw_kbool(&w, "connected", rep->connected);
	jw_kstr(&w, "greeting", rep->greeting);
	jw_kstr(&w, "connect_error", rep->connect_error);
	jw_kbool(&w, "starttls_offered", rep->starttls_offered);
	json_session(&w, "nosni", rep->nosni_done, &rep->nosni);
	json_session(&w, "sni", rep->sni_done, &rep->sni);
	jw_key(&w, "extra_sni");
	jw_arr_begin(&w);
	for (size_t i = 0; i < rep->nextra && i < MXLAB_PROBE_MAX_SNI; i++) {
		const struct mxlab_probe_sni *x = &rep->extra[i];

		jw_obj_begin(&w);
		jw_kstr(&w, "name", x->name);
		jw_kbool(&w, "tls", x->tls);
		jw_kstr(&w, "error", x->error);
		jw_kint(&w, "certificates", x->nchain);
		jw_kstr(&w, "subject", x->subject);
		jw_kstr(&w, "issuer", x->issuer);
		jw_kstr(&w, "not_after", x->not_after);
		jw_kbool(&w, "verified", x->verified);
		json_reasons(&w, x->verify_reasons);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_key(&w, "protocols");
	jw_obj_begin(&w);
	json_words(&w, "accepted", rep->versions_accepted);
	json_words(&w, "refused", rep->versions_refused);
	json_words(&w, "untested", rep->versions_untested);
	jw_obj_end(&w);
	jw_key(&w, "auth");
	jw_obj_begin(&w);
	json_words(&w, "before_tls", rep->auth_mechs_before);
	json_words(&w, "after_tls", rep->auth_mechs_after);
	jw_obj_end(&w);
	jw_key(&w, "findings");
	jw_arr_begin(&w);
	for (size_t i = 0; i < rep->nfindings; i++) {
		const struct mxlab_probe_finding *f = &rep->findings[i];

		counts[f->severity & 3]++;
		jw_obj_begin(&w);
		jw_kstr(&w, "id", f->id);
		jw_kstr(&w, "severity", mxlab_probe_severity_name(f->severity));
		jw_kstr(&w, "seen", f->seen);
		jw_kstr(&w, "cause", f->cause);
		jw_kstr(&w, "fix", f->fix);
		jw_key(&w, "guide");
		jw_str(&w, guide_link(f->id, link, sizeof link));
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_kint(&w, "errors", counts[MXLAB_PROBE_ERROR]);
	jw_kint(&w, "warnings", counts[MXLAB_PROBE_WARN]);
	jw_key(&w, "seconds");
	jw_double(&w, rep->seconds);
	jw_kint(&w, "total_timeout_ms", rep->total_timeout_ms);
	jw_kbool(&w, "out_of_time", rep->out_of_time);
	jw_obj_end(&w);
	return jw_finish(&w);
}

/* ---------------------------------------------------------------- text */

static void
text_chain(struct mx_text *t, const char *title, const struct mxlab_client_result *r)
{
	mx_text_put(t, "\nCertificate chain %s\n", title);
	if (!r->tls) {
		mx_text_put(t, "  no TLS: stopped at %s: %s\n", mxlab_client_stage_name(r->failed_stage),
		    r->error[0] ? r->error : "?");
		if (r->nchain == 0)
			return;
	} else {
		mx_text_put(t, "  %s, %s, %d certificate%s\n", r->tls_version, r->cipher, r->nchain,
		    r->nchain == 1 ? "" : "s");
	}
	for (int i = 0; i < r->nchain && i < MXLAB_CLIENT_MAX_CHAIN; i++) {
		const struct mxlab_client_cert *c = &r->chain[i];

		mx_text_put(t, "  %d s: %s\n", i, c->subject);
		mx_text_put(t, "    i: %s\n", c->issuer);
		mx_text_put(t, "    valid %s .. %s%s\n", c->not_before, c->not_after, c->ca ? ", CA" : "");
		if (c->names[0])
			mx_text_put(t, "    names: %s\n", c->names);
	}
}

static void
text_verdict(struct mx_text *t, const char *label, int verified, const char *why)
{
	mx_text_put(t, "  %-28s %s%s\n", label, verified ? "verified" : "NOT verified: ",
	    verified ? "" : (why && *why ? why : "?"));
}

static int
same_chain(const struct mxlab_client_result *a, const struct mxlab_client_result *b)
{
	if (a->nchain != b->nchain)
		return 0;
	for (int i = 0; i < a->nchain && i < MXLAB_CLIENT_MAX_CHAIN; i++)
		if (strcmp(a->chain[i].subject, b->chain[i].subject) ||
		    strcmp(a->chain[i].not_after, b->chain[i].not_after))
			return 0;
	return 1;
}

static void
text_by_hand(struct mx_text *t, const struct mxlab_probe_report *rep)
{
	char hp[300];
	const char *st = rep->implicit_tls ? "" : "-starttls smtp ";

	snprintf(hp, sizeof hp, strchr(rep->host, ':') ? "[%s]:%u" : "%s:%u", rep->host,
		 rep->port);
	mx_text_put(t, "\nBy hand (seed guide, diagnostics)\n");
	mx_text_put(t, "  openssl s_client %s-connect %s -showcerts -noservername\n", st, hp);
	if (rep->name[0])
		mx_text_put(t, "  openssl s_client %s-connect %s -showcerts -servername %s\n", st, hp,
		    rep->name);
	mx_text_put(t, "  on the server: postconf -n | grep -E 'tls|sni|policy|CA'\n"
	       "  while investigating: smtpd_tls_loglevel = 2 (then back to 1)\n");
}

char *
mxlab_probe_report_text(const struct mxlab_probe_report *rep)
{
	struct mx_text t = { 0 };
	int counts[4] = { 0 };
	char label[300];

	mx_text_put(&t, "mxlab probe %s (%s, name %s, %s)\n", rep->target,
	    rep->implicit_tls ? "implicit TLS" : "STARTTLS", rep->name[0] ? rep->name : "none",
	    rep->ca_given ? "CA given" : "no CA: trust not judged");
	mx_text_put(&t, "\nConnection\n");
	mx_text_put(&t, "  %-12s %s:%u %s\n", "address", rep->host, rep->port,
	    rep->connected ? "connected" : "NOT connected");
	if (rep->connect_error[0])
		mx_text_put(&t, "  %-12s %s\n", "error", rep->connect_error);
	mx_text_put(&t, "  %-12s %s\n", "greeting", rep->greeting[0] ? rep->greeting : "(none)");

	if (!rep->implicit_tls && rep->ehlo_done) {
		mx_text_put(&t, "\nSTARTTLS\n");
		mx_text_put(&t, "  %-12s %s\n", "offered", rep->starttls_offered ? "yes" : "NO");
		if (rep->nosni_done && rep->nosni.reply[MXLAB_CS_STARTTLS].code)
			mx_text_put(&t, "  %-12s %d %.*s\n", "reply", rep->nosni.reply[MXLAB_CS_STARTTLS].code,
			    (int)strcspn(rep->nosni.reply[MXLAB_CS_STARTTLS].text, "\n"),
			    rep->nosni.reply[MXLAB_CS_STARTTLS].text);
	}
	if (rep->nosni_done)
		text_chain(&t, "without SNI", &rep->nosni);
	if (rep->sni_done) {
		snprintf(label, sizeof label, "with SNI %s", rep->name);
		if (rep->nosni.tls && rep->sni.tls && same_chain(&rep->nosni, &rep->sni))
			mx_text_put(&t, "\nCertificate chain %s\n  the same as without SNI\n", label);
		else
			text_chain(&t, label, &rep->sni);
	}
	for (size_t i = 0; i < rep->nextra && i < MXLAB_PROBE_MAX_SNI; i++) {
		const struct mxlab_probe_sni *x = &rep->extra[i];

		mx_text_put(&t, "\nCertificate chain with SNI %s\n", x->name);
		if (!x->tls)
			mx_text_put(&t, "  no TLS: %s\n", x->error);
		else
			mx_text_put(&t, "  %d certificate%s, leaf %s\n    i: %s\n    valid until %s\n",
			    x->nchain, x->nchain == 1 ? "" : "s", x->subject, x->issuer,
			    x->not_after);
	}
	if ((rep->nosni_done && rep->nosni.tls) || (rep->sni_done && rep->sni.tls) ||
	    rep->nextra) {
		mx_text_put(&t, "\nVerification (name %s, %s)\n", rep->name[0] ? rep->name : "not checked",
		    rep->ca_given ? "against the CA given" : "no CA: never trusted");
		if (rep->nosni_done && rep->nosni.tls)
			text_verdict(&t, "without SNI", rep->nosni.verified, rep->nosni.verify_text);
		if (rep->sni_done && rep->sni.tls)
			text_verdict(&t, label, rep->sni.verified, rep->sni.verify_text);
		for (size_t i = 0; i < rep->nextra && i < MXLAB_PROBE_MAX_SNI; i++)
			if (rep->extra[i].tls) {
				char l[300];

				snprintf(l, sizeof l, "with SNI %s", rep->extra[i].name);
				text_verdict(&t, l, rep->extra[i].verified, rep->extra[i].verify_text);
			}
	}
	if (rep->versions_tested[0] || rep->versions_untested[0]) {
		mx_text_put(&t, "\nProtocols\n");
		mx_text_put(&t, "  %-12s %s\n", "accepted", rep->versions_accepted[0] ? rep->versions_accepted : "none");
		mx_text_put(&t, "  %-12s %s\n", "refused", rep->versions_refused[0] ? rep->versions_refused : "none");
		if (rep->versions_untested[0])
			mx_text_put(&t, "  %-12s %s\n", "not tested", rep->versions_untested);
	}
	mx_text_put(&t, "\nAUTH\n");
	if (!rep->implicit_tls)
		mx_text_put(&t, "  %-12s %s\n", "before TLS", rep->auth_mechs_before[0] ? rep->auth_mechs_before : "not offered");
	mx_text_put(&t, "  %-12s %s\n", "after TLS", rep->auth_mechs_after[0] ? rep->auth_mechs_after
				: (rep->nosni.tls || rep->sni.tls) ? "not offered" : "(no TLS session)");

	mx_text_put(&t, "\nFindings\n");
	for (size_t i = 0; i < rep->nfindings; i++) {
		const struct mxlab_probe_finding *f = &rep->findings[i];

		counts[f->severity & 3]++;
		mx_text_put(&t, "  %-5s %s\n", mxlab_probe_severity_name(f->severity), f->id);
		mx_text_wrapped(&t, "        seen:  ", f->seen);
		if (f->cause[0])
			mx_text_wrapped(&t, "        cause: ", f->cause);
		if (f->fix[0])
			mx_text_wrapped(&t, "        fix:   ", f->fix);
		if (f->severity != MXLAB_PROBE_OK && guide_link(f->id, label, sizeof label))
			mx_text_put(&t, "        guide: %s\n", label);
	}
	if (!rep->nfindings)
		mx_text_put(&t, "  none\n");
	text_by_hand(&t, rep);
	mx_text_put(&t, "\nSummary: %d error%s, %d warning%s, %d info, %d ok (%.2f s)\n",
	    counts[MXLAB_PROBE_ERROR], counts[MXLAB_PROBE_ERROR] == 1 ? "" : "s",
	    counts[MXLAB_PROBE_WARN], counts[MXLAB_PROBE_WARN] == 1 ? "" : "s",
	    counts[MXLAB_PROBE_INFO], counts[MXLAB_PROBE_OK], rep->seconds);
	return mx_text_take(&t);
}
