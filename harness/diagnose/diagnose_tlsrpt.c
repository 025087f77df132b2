/*
 * diagnose_tlsrpt.c: mxlab diagnose's sessions counted for TLS-RPT, and
 * the RFC 8460 aggregate report of one recipient domain
 * (mxlab/diagnose.h; docs/diagnose.md, docs/tlsrpt.schema.json).
 *
 * Offers dg_rpt_count() (diagnose_int.h), which diagnose.c calls with the
 * first delivery of each smtp session, and mxlab_diagnose_tlsrpt().
 * Rows are (domain, MX host, address, cause or success), at most
 * DG_RPT_MAX; a session beyond is counted in rpt_lost only. With
 * mxlab_diagnose_tlsrpt_domain() set before the input, only that
 * domain's sessions are kept (a server that mails thousands of domains
 * then keeps the one asked for, whatever the cap). The report
 * has one policy per policy type the log shows for the domain: "tlsa"
 * for the MX hosts with a DANE failure linked; "sts" for the policies
 * the MTA-STS resolver could not use (its log, diagnose_sts.c: a fetch
 * is a failed session without an MX) and for every other session of a
 * domain whose policy it did use; "no-policy-found" for the rest. The
 * policies themselves are not logged whole, so no policy-string. Its
 * date range is the earliest and latest time of the lines read
 * (dg_rpt_time), as RFC 3339 UTC times. NULL when out of memory.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "diagnose_int.h"
#include "jsonw.h"

void
dg_rpt_count(mxlab_diagnose *d, const char *domain, const char *host, const char *ip,
	     int cause)
{
	char dom[256];
	struct dg_rpt *r;
	size_t i, k;
	unsigned h = (unsigned)cause * 31u;

	for (k = 0; domain[k] && k < sizeof dom - 1; k++)
		dom[k] = (char)tolower((unsigned char)domain[k]);
	dom[k] = '\0';
	if (d->rpt_domain[0] && strcmp(dom, d->rpt_domain) != 0)
		return;		/* not the domain asked for */
	for (const char *const *s = (const char *const[]){ dom, host, ip, NULL }; *s; s++)
		for (const char *c = *s; *c; c++)
			h = h * 31u + (unsigned char)*c;
	for (i = 0; i < d->nrpts; i++) {
		r = &d->rpts[i];
		if (r->hash == h && r->cause == cause && !strcmp(r->domain, dom) &&
		    !strcmp(r->host, host) && !strcmp(r->ip, ip))
			break;
	}
	if (i == d->nrpts) {
		if (d->nrpts == d->caprpts) {
			size_t cap = d->caprpts ? 2 * d->caprpts : 16;

			if (cap > DG_RPT_MAX)
				cap = DG_RPT_MAX;
			if (cap <= d->nrpts || !(r = realloc(d->rpts, cap * sizeof *r))) {
				d->rpt_lost++;
				return;
			}
			d->rpts = r;
			d->caprpts = cap;
		}
		r = &d->rpts[d->nrpts++];
		memset(r, 0, sizeof *r);
		snprintf(r->domain, sizeof r->domain, "%s", dom);
		snprintf(r->host, sizeof r->host, "%s", host);
		snprintf(r->ip, sizeof r->ip, "%s", ip);
		r->cause = cause;
		r->hash = h;
	}
	r = &d->rpts[i];
	r->sessions++;
	r->ptype = cause == TC_DANE_MISMATCH || cause == TC_DANE_REQUIRED ||
		   cause == TC_DNSSEC_INVALID ? DG_PT_TLSA
		 : cause == TC_STS_FETCH_ERROR || cause == TC_STS_WEBPKI ||
		   cause == TC_STS_INVALID ? DG_PT_STS : DG_PT_NONE;
}

/* Row r's policy type in the report of its domain: a session without one
 * of its own is under the domain's MTA-STS policy when the resolver used
 * one (sts: dg_sts_policy of the domain, asked once a report). */
static int
ptype(const struct dg_rpt *r, int sts)
{
	return r->ptype == DG_PT_NONE && sts ? DG_PT_STS : r->ptype;
}

void
mxlab_diagnose_tlsrpt_domain(mxlab_diagnose *d, const char *domain)
{
	size_t k;

	for (k = 0; domain && domain[k] && k < sizeof d->rpt_domain - 1; k++)
		d->rpt_domain[k] = (char)tolower((unsigned char)domain[k]);
	d->rpt_domain[k] = '\0';
}

/* A sortable key of a logged time: year (0 when not logged), month, day,
 * hour, minute, second; -1 when not a time. */
static long long
time_key(const char *t)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	int y = 0, mo = 0, dd, h, mi, sec;
	char mon[4] = "";
	const char *p;

	if (sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d", &y, &mo, &dd, &h, &mi, &sec) != 6 &&
	    sscanf(t, "%*3s %4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &dd, &h, &mi, &sec) != 6) {
		if (sscanf(t, "%4d %3s %2d %2d:%2d:%2d", &y, mon, &dd, &h, &mi, &sec) != 6 &&
		    (y = 0, sscanf(t, "%3s %2d %2d:%2d:%2d", mon, &dd, &h, &mi, &sec) != 5))
			return -1;
		if (!(p = strstr(months, mon)) || strlen(mon) != 3 || (p - months) % 3)
			return -1;
		mo = (int)(p - months) / 3 + 1;
	}
	return ((((y * 13LL + mo) * 32 + dd) * 24 + h) * 60 + mi) * 61 + sec;
}

void
dg_rpt_time(mxlab_diagnose *d, const char *t)
{
	long long k;

	if (!strcmp(t, d->last_read))	/* the same second as the line before */
		return;
	snprintf(d->last_read, sizeof d->last_read, "%s", t);
	if ((k = time_key(t)) < 0)
		return;
	if (!d->first_time[0] || k < d->first_key) {
		snprintf(d->first_time, sizeof d->first_time, "%s", t);
		d->first_key = k;
	}
	if (!d->last_time[0] || k > d->last_key) {
		snprintf(d->last_time, sizeof d->last_time, "%s", t);
		d->last_key = k;
	}
}

/* A logged time as an RFC 3339 UTC time ("2026-11-30T18:10:49Z"): ISO
 * times with their offset, "[YEAR ]Mon DD HH:MM:SS[.frac]" and
 * journalctl's "Www YYYY-MM-DD HH:MM:SS ZONE" as local time. 0, or -1
 * when it is none of these. */
static int
rfc3339(const char *logged, int year, char *out, size_t n)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm = { 0 };
	char mon[4] = "";
	int off_h = 0, off_m = 0, y = 0, used = 0;
	time_t t;
	char sign = 0;
	const char *p;

	tm.tm_isdst = -1;
	if (sscanf(logged, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
		   &tm.tm_min, &tm.tm_sec, &used) == 6) {
		p = logged + used + strspn(logged + used, ".0123456789");
		if (*p == '+' || *p == '-')
			sscanf(p, "%c%2d:%2d", &sign, &off_h, &off_m);
		tm.tm_year = y - 1900;
		tm.tm_mon--;
		tm.tm_isdst = 0;
		t = timegm(&tm);
		if (sign)
			t -= (sign == '-' ? -1 : 1) * (time_t)(off_h * 3600 + off_m * 60);
	} else if (sscanf(logged, "%*3s %4d-%2d-%2d %2d:%2d:%2d", &y, &tm.tm_mon, &tm.tm_mday,
			  &tm.tm_hour, &tm.tm_min, &tm.tm_sec) == 6) {
		tm.tm_year = y - 1900;
		tm.tm_mon--;
		t = strstr(logged, " UTC") ? timegm(&tm) : mktime(&tm);
	} else {
		if (sscanf(logged, "%4d %3s %2d %2d:%2d:%2d", &y, mon, &tm.tm_mday, &tm.tm_hour,
			   &tm.tm_min, &tm.tm_sec) != 6) {
			y = 0;
			if (sscanf(logged, "%3s %2d %2d:%2d:%2d", mon, &tm.tm_mday, &tm.tm_hour,
				   &tm.tm_min, &tm.tm_sec) != 5)
				return -1;
		}
		p = strlen(mon) == 3 ? strstr(months, mon) : NULL;
		if (!p || (p - months) % 3)
			return -1;
		tm.tm_mon = (int)(p - months) / 3;
		if (!y && !(y = year)) {	/* no year logged: this one, or the last */
			time_t now = time(NULL);
			struct tm nt;

			gmtime_r(&now, &nt);
			y = nt.tm_year + 1900;
			if (tm.tm_mon > nt.tm_mon + 1)
				y--;
		}
		tm.tm_year = y - 1900;
		t = mktime(&tm);
	}
	if (t == (time_t)-1 || !gmtime_r(&t, &tm))
		return -1;
	strftime(out, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
	return 0;
}

/* Is row i the first of its host for this domain and policy type? */
static int
first_host(const mxlab_diagnose *d, size_t i, int sts)
{
	const struct dg_rpt *r = &d->rpts[i];

	for (size_t k = 0; k < i; k++)
		if (!strcmp(d->rpts[k].domain, r->domain) && ptype(&d->rpts[k], sts) == ptype(r, sts) &&
		    !strcmp(d->rpts[k].host, r->host))
			return 0;
	return r->host[0] != '\0';	/* a policy fetch: no MX */
}

/* One policy object: the rows of domain of policy type pt (DG_PT_*).
 * Nothing when there is none, unless always (the report of a domain
 * without sessions: no-policy-found, counts 0). */
static void
policy(struct jw *w, const mxlab_diagnose *d, const char *domain, int pt, int always)
{
	int sts = dg_sts_policy(d, domain);
	static const char *const names[] = { "no-policy-found", "tlsa", "sts" };
	unsigned long long ok = 0, failed = 0;
	size_t n = 0;

	for (size_t i = 0; i < d->nrpts; i++) {
		const struct dg_rpt *r = &d->rpts[i];

		if (strcmp(r->domain, domain) || ptype(r, sts) != pt)
			continue;
		n++;
		if (r->cause < 0)
			ok += r->sessions;
		else
			failed += r->sessions;
	}
	if (!n && !always)
		return;
	jw_obj_begin(w);
	jw_key(w, "policy");
	jw_obj_begin(w);
	jw_kstr(w, "policy-type", names[pt]);
	jw_kstr(w, "policy-domain", domain);
	jw_key(w, "mx-host");
	jw_arr_begin(w);
	for (size_t i = 0; i < d->nrpts; i++)
		if (!strcmp(d->rpts[i].domain, domain) && ptype(&d->rpts[i], sts) == pt &&
		    first_host(d, i, sts))
			jw_str(w, d->rpts[i].host);
	jw_arr_end(w);
	jw_obj_end(w);
	jw_key(w, "summary");
	jw_obj_begin(w);
	jw_kint(w, "total-successful-session-count", (long long)ok);
	jw_kint(w, "total-failure-session-count", (long long)failed);
	jw_obj_end(w);
	jw_key(w, "failure-details");
	jw_arr_begin(w);
	for (size_t i = 0; i < d->nrpts; i++) {
		const struct dg_rpt *r = &d->rpts[i];
		const struct tlscause *c = r->cause >= 0 ? tlscause_get((enum tc_key)r->cause) : NULL;

		if (!c || strcmp(r->domain, domain) || ptype(r, sts) != pt)
			continue;
		jw_obj_begin(w);
		jw_kstr(w, "result-type", c->rpt ? c->rpt : "validation-failure");
		if (r->host[0])		/* none for a policy fetch */
			jw_kstr(w, "receiving-mx-hostname", r->host);
		if (r->ip[0])
			jw_kstr(w, "receiving-ip", r->ip);
		jw_kint(w, "failed-session-count", (long long)r->sessions);
		jw_kstr(w, "failure-reason-code", c->id);
		jw_obj_end(w);
	}
	jw_arr_end(w);
	jw_obj_end(w);
}

char *
mxlab_diagnose_tlsrpt(const mxlab_diagnose *d, const struct mxlab_tlsrpt_options *o)
{
	char domain[256], start[40], end[40], id[400];
	struct jw w;
	size_t k;

	for (k = 0; o->domain[k] && k < sizeof domain - 1; k++)
		domain[k] = (char)tolower((unsigned char)o->domain[k]);
	domain[k] = '\0';
	if (rfc3339(d->first_time, o->year, start, sizeof start) != 0 ||
	    rfc3339(d->last_time, o->year, end, sizeof end) != 0) {
		time_t now = time(NULL);	/* no time read: the report's time */
		struct tm tm;

		gmtime_r(&now, &tm);
		strftime(start, sizeof start, "%Y-%m-%dT%H:%M:%SZ", &tm);
		memcpy(end, start, sizeof end);
	}
	snprintf(id, sizeof id, "%s_%s", start, domain);
	jw_init(&w);
	jw_obj_begin(&w);
	jw_kstr(&w, "organization-name", o->organization);
	jw_key(&w, "date-range");
	jw_obj_begin(&w);
	jw_kstr(&w, "start-datetime", start);
	jw_kstr(&w, "end-datetime", end);
	jw_obj_end(&w);
	jw_kstr(&w, "contact-info", o->contact);
	jw_kstr(&w, "report-id", o->report_id ? o->report_id : id);
	jw_key(&w, "policies");
	jw_arr_begin(&w);
	for (k = 0; k < d->nrpts && strcmp(d->rpts[k].domain, domain); k++)
		;
	policy(&w, d, domain, DG_PT_TLSA, 0);
	policy(&w, d, domain, DG_PT_STS, 0);
	policy(&w, d, domain, DG_PT_NONE, k == d->nrpts);
	jw_arr_end(&w);
	jw_obj_end(&w);
	return jw_finish(&w);
}
