/*
 * diagnose_report.c: mxlab diagnose's results as text and as JSON
 * (mxlab/diagnose.h; the JSON shape is documented in docs/diagnose.md).
 *
 * Offers mxlab_diagnose_text() and mxlab_diagnose_json(): malloc'ed
 * strings, NULL when out of memory. Both read the entries as
 * mxlab_diagnose_finish() sorted them: failures first.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose_int.h"
#include "jsonw.h"
#include "textbuf.h"

/* "3 deferred, 1 sent" */
static void
outcomes(char *buf, size_t len, const struct mxlab_diagnose_entry *e)
{
	const struct { const char *name; unsigned long long n; } o[] = {
		{ "deferred", e->deferred }, { "bounced", e->bounced }, { "sent", e->sent },
		{ "expired later", e->expired },
		{ !strcmp(e->daemon, "smtpd") ? "failed in the handshake"
		  : !strcmp(e->daemon, "mta-sts") ? "policy not used" : "without a status line",
		  e->other },
	};
	size_t at = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < sizeof o / sizeof o[0]; i++)
		if (o[i].n && at < len)
			at += (size_t)snprintf(buf + at, len - at, "%s%llu %s", at ? ", " : "",
					       o[i].n, o[i].name);
}

char *
mxlab_diagnose_text(const mxlab_diagnose *d)
{
	struct mx_text t = { 0 };
	struct mxlab_diagnose_stats st;
	struct mxlab_diagnose_entry e;
	size_t nfail = 0;
	char buf[256];

	mxlab_diagnose_get_stats(d, &st);
	for (size_t i = 0; mxlab_diagnose_entry(d, i, &e) == 0; i++)
		nfail += e.failure != 0;
	mx_text_put(&t, "mxlab diagnose: %llu lines, %llu from Postfix (%llu smtp, %llu smtpd)",
	    st.lines, st.postfix, st.smtp, st.smtpd);
	if (st.sts)
		mx_text_put(&t, ", %llu from the MTA-STS resolver", st.sts);
	mx_text_put(&t, "; %llu TLS events, %llu failures\n", st.tls_events, st.failures);
	for (size_t i = 0; mxlab_diagnose_entry(d, i, &e) == 0; i++) {
		mx_text_put(&t, "\n%s  %s %s%s%s%s: %s (%s; TLS-RPT %s)\n", e.failure ? "FAIL" : "NOTE",
		    e.daemon, !strcmp(e.daemon, "smtpd") ? "client " :
		    !strcmp(e.daemon, "mta-sts") ? "policy of " : "to ", e.destination,
		    e.domain[0] && strcmp(e.daemon, "mta-sts") ? " for " : "",
		    strcmp(e.daemon, "mta-sts") ? e.domain : "", e.cause, e.term, e.result_type);
		outcomes(buf, sizeof buf, &e);
		mx_text_put(&t, "      %llu time%s (%s)", e.count, e.count == 1 ? "" : "s", buf);
		if (e.messages)
			mx_text_put(&t, ", %llu message%s", e.messages, e.messages == 1 ? "" : "s");
		mx_text_put(&t, "\n      first %s, last %s\n", e.first, e.last);
		mx_text_put(&t, "      example (%s):\n        %s\n", e.example_where, e.example);
		mx_text_wrapped(&t, "      cause: ", e.why);
		mx_text_wrapped(&t, "      fix:   ", e.fix);
		if (e.meanwhile)
			mx_text_wrapped(&t, "      meanwhile: ", e.meanwhile);
		if (e.guide[0])
			mx_text_put(&t, "      guide: %s\n", e.guide);
	}
	if (mxlab_diagnose_count(d) == 0)
		mx_text_put(&t, "\nNo TLS failure found.\n");
	if (st.skipped || st.not_text || st.too_long || st.unterminated || st.evicted ||
	    st.folded) {
		mx_text_put(&t, "\nInput: %llu lines not from Postfix or not understood (skipped)",
		    st.skipped);
		if (st.not_text)
			mx_text_put(&t, ", %llu not text (skipped)", st.not_text);
		if (st.too_long)
			mx_text_put(&t, ", %llu cut at 8 KiB", st.too_long);
		if (st.unterminated)
			mx_text_put(&t, ", %llu input%s without a final newline", st.unterminated,
			    st.unterminated == 1 ? "" : "s");
		if (st.evicted)
			mx_text_put(&t, ", %llu links dropped for room", st.evicted);
		if (st.folded)
			mx_text_put(&t, ", %llu events under %s", st.folded, DG_OTHER);
		mx_text_put(&t, "\n");
		for (size_t i = 0; i < mxlab_diagnose_nnotes(d); i++)
			mx_text_put(&t, "  %s\n", mxlab_diagnose_note(d, i));
	}
	mx_text_put(&t, "\nSummary: %zu cause%s of TLS failure, %zu note%s\n", nfail,
	    nfail == 1 ? "" : "s", mxlab_diagnose_count(d) - nfail,
	    mxlab_diagnose_count(d) - nfail == 1 ? "" : "s");
	return mx_text_take(&t);
}

char *
mxlab_diagnose_json(const mxlab_diagnose *d)
{
	struct jw w;
	struct mxlab_diagnose_stats st;
	struct mxlab_diagnose_entry e;
	size_t nfail = 0;

	mxlab_diagnose_get_stats(d, &st);
	jw_init(&w);
	jw_obj_begin(&w);
	jw_key(&w, "entries");
	jw_arr_begin(&w);
	for (size_t i = 0; mxlab_diagnose_entry(d, i, &e) == 0; i++) {
		nfail += e.failure != 0;
		jw_obj_begin(&w);
		jw_kstr(&w, "daemon", e.daemon);
		jw_kstr(&w, "destination", e.destination);
		jw_kstr(&w, "domain", e.domain[0] ? e.domain : NULL);
		jw_kstr(&w, "cause", e.cause);
		jw_kstr(&w, "term", e.term);
		jw_kbool(&w, "failure", e.failure);
		jw_kstr(&w, "result-type", e.result_type);
		jw_kint(&w, "count", (long long)e.count);
		jw_kint(&w, "deferred", (long long)e.deferred);
		jw_kint(&w, "bounced", (long long)e.bounced);
		jw_kint(&w, "sent", (long long)e.sent);
		jw_kint(&w, "expired", (long long)e.expired);
		jw_kint(&w, "other", (long long)e.other);
		jw_kint(&w, "messages", (long long)e.messages);
		jw_kstr(&w, "first", e.first);
		jw_kstr(&w, "last", e.last);
		jw_kstr(&w, "example", e.example);
		jw_kstr(&w, "example_where", e.example_where);
		jw_kstr(&w, "why", e.why);
		jw_kstr(&w, "fix", e.fix);
		jw_kstr(&w, "meanwhile", e.meanwhile);
		jw_kstr(&w, "guide", e.guide[0] ? e.guide : NULL);
		jw_obj_end(&w);
	}
	jw_arr_end(&w);
	jw_kint(&w, "failures", (long long)nfail);
	jw_key(&w, "input");
	jw_obj_begin(&w);
	jw_kint(&w, "lines", (long long)st.lines);
	jw_kint(&w, "postfix", (long long)st.postfix);
	jw_kint(&w, "smtp", (long long)st.smtp);
	jw_kint(&w, "smtpd", (long long)st.smtpd);
	jw_kint(&w, "mta_sts", (long long)st.sts);
	jw_kint(&w, "tls_events", (long long)st.tls_events);
	jw_kint(&w, "failed_events", (long long)st.failures);
	jw_kint(&w, "skipped", (long long)st.skipped);
	jw_kint(&w, "not_text", (long long)st.not_text);
	jw_kint(&w, "too_long", (long long)st.too_long);
	jw_kint(&w, "unterminated", (long long)st.unterminated);
	jw_kint(&w, "evicted", (long long)st.evicted);
	jw_kint(&w, "folded", (long long)st.folded);
	jw_key(&w, "notes");
	jw_arr_begin(&w);
	for (size_t i = 0; i < mxlab_diagnose_nnotes(d); i++)
		jw_str(&w, mxlab_diagnose_note(d, i));
	jw_arr_end(&w);
	jw_obj_end(&w);
	jw_obj_end(&w);
	return jw_finish(&w);
}
