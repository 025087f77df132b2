/*
 * diagnose_sts.c: the MTA-STS resolver's log lines, for `mxlab diagnose`
 * (docs/diagnose.md#mta-sts): the policies it could not use, counted as
 * causes (tlscause.h: sts-policy-fetch-error, sts-webpki-invalid,
 * sts-policy-invalid), and the domains whose policy it did use, which
 * the TLS-RPT report files under policy type "sts".
 *
 * Offers dg_sts_line() and dg_sts_policy() (diagnose_int.h). The lines
 * are Debian's postfix-mta-sts-resolver 1.1's (mta-sts-daemon), in the
 * form of its own log file,
 *   2026-12-01 02:40:49 WARNING  RES: STS policy fetch for domain
 *     'partner.example' failed with error: Cannot connect to host ...
 * or after a syslog or journal prefix (mta-sts-daemon[PID]: 2026-...).
 * Two of its lines matter:
 * - "STS policy fetch for domain 'D' failed with error: WHY" (WARNING,
 *   logged at the daemon's default level): a certificate check in WHY
 *   makes it sts-webpki-invalid, anything else (no address, nothing
 *   listening, a timeout, an HTTP status other than 200, which the
 *   resolver logs with an empty WHY) sts-policy-fetch-error.
 * - "Parsed policy for domain D: {python dict}" (DEBUG only): the policy
 *   it fetched, which this file checks as the resolver does next (RFC
 *   8461 3.2: version STSv1, max_age 0-31557600, a mode of none, testing
 *   or enforce, an mx for the last two): invalid is sts-policy-invalid;
 *   valid with mode enforce makes D a domain with a policy, whose
 *   sessions TLS-RPT files under "sts". A testing policy does not: the
 *   resolver answers Postfix NOTFOUND for it (strict_testing false, its
 *   default), so Postfix checks nothing against it. At the default log
 *   level an invalid policy is not logged at all: the resolver then says
 *   nothing.
 * Errors: none; a line that is not one of these is left to the caller.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose_int.h"

#define FETCH_FAILED "STS policy fetch for domain "
#define PARSED "Parsed policy for domain "

/* What a failed fetch's error says when the certificate was the reason
 * (Python's ssl and aiohttp's words). */
static const char *const webpki_words[] = {
	"CERTIFICATE_VERIFY_FAILED", "certificate verify failed", "SSLCertVerificationError",
	"ClientConnectorCertificateError", "hostname mismatch", "doesn't match", NULL,
};

/* The value of 'key': 'VALUE' in a Python dict's repr, into out; 0, or
 * -1 when the key is not there (or not a string). */
static int
dict_str(const char *dict, const char *key, char *out, size_t n)
{
	char pat[64];
	const char *p, *e;

	snprintf(pat, sizeof pat, "'%s': '", key);
	if (!(p = strstr(dict, pat)))
		return -1;
	p += strlen(pat);
	if (!(e = strchr(p, '\'')))
		return -1;
	snprintf(out, n, "%.*s", (int)(e - p), p);
	return 0;
}

/* The resolver's checks after parsing (resolver.py, RFC 8461 3.2). */
static int
policy_valid(const char *dict, char *mode, size_t n)
{
	char v[64], age[32];
	char *end;
	long a;
	const char *mx;

	mode[0] = '\0';
	if (dict_str(dict, "version", v, sizeof v) < 0 || strcmp(v, "STSv1") != 0)
		return 0;
	if (dict_str(dict, "max_age", age, sizeof age) < 0 || !age[0])
		return 0;
	a = strtol(age, &end, 10);
	if (*end || a < 0 || a > 31557600)
		return 0;
	if (dict_str(dict, "mode", mode, n) < 0)
		return 0;
	if (!strcmp(mode, "none"))
		return 1;
	if (strcmp(mode, "testing") != 0 && strcmp(mode, "enforce") != 0)
		return 0;
	mx = strstr(dict, "'mx': [");
	return mx && mx[7] != ']';
}

/* Is D (lowercase) a domain whose enforce policy the resolver used? */
int
dg_sts_policy(const mxlab_diagnose *d, const char *domain)
{
	for (size_t i = 0; i < d->nsts; i++)
		if (!strcmp(d->sts[i], domain))
			return 1;
	return 0;
}

static void
policy_seen(mxlab_diagnose *d, const char *domain)
{
	if (dg_sts_policy(d, domain) || d->nsts == DG_STS_MAX)
		return;
	snprintf(d->sts[d->nsts++], sizeof d->sts[0], "%s", domain);
}

/* The time of a resolver line: the syslog or journal prefix's, else its
 * own "YYYY-MM-DD HH:MM:SS" as ISO (the resolver logs local time). */
static void
line_time(char *out, size_t n, const char *line, const struct mta_event *ev, int parsed)
{
	int y, mo, dd, h, mi, s;

	if (parsed && ev->time[0])
		snprintf(out, n, "%s", ev->time);
	else if (sscanf(line, "%4d-%2d-%2d %2d:%2d:%2d", &y, &mo, &dd, &h, &mi, &s) == 6)
		snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d", y, mo, dd, h, mi, s);
	else
		out[0] = '\0';
}

int
dg_sts_line(mxlab_diagnose *d, int parsed)
{
	const char *line = d->ev->line;	/* the line, NUL-terminated (cut) */
	const char *t = parsed ? d->ev->text : line, *p;
	char domain[256], time[40], where[300], mode[16];
	enum tc_key cause;
	size_t k;

	if ((p = strstr(t, "RES: " FETCH_FAILED "'"))) {
		p += strlen("RES: " FETCH_FAILED "'");
		for (k = 0; p[k] && p[k] != '\'' && k < sizeof domain - 1; k++)
			domain[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] + 32 : p[k]);
		domain[k] = '\0';
		cause = TC_STS_FETCH_ERROR;
		for (const char *const *w = webpki_words; *w; w++)
			if (strstr(p + k, *w))
				cause = TC_STS_WEBPKI;
	} else if ((p = strstr(t, "RES: " PARSED))) {
		p += strlen("RES: " PARSED);
		for (k = 0; p[k] && p[k] != ':' && p[k] != ' ' && k < sizeof domain - 1; k++)
			domain[k] = (char)(p[k] >= 'A' && p[k] <= 'Z' ? p[k] + 32 : p[k]);
		domain[k] = '\0';
		if (policy_valid(p + k, mode, sizeof mode)) {
			d->st.sts++;
			if (!strcmp(mode, "enforce"))
				policy_seen(d, domain);
			return 1;
		}
		cause = TC_STS_INVALID;
	} else
		return 0;
	d->st.sts++;
	if (!domain[0])
		return 1;
	line_time(time, sizeof time, line, d->ev, parsed);
	if (time[0])
		dg_rpt_time(d, time);
	snprintf(where, sizeof where, "%s:%llu", d->name, d->lineno);
	dg_sts_count(d, domain, cause, time, line, where);
	return 1;
}
