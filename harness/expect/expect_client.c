/*
 * expect_client.c: "client NAME FACT = VALUE" and "probe NAME FACT = VALUE"
 * expectations (see expect.h), decided at the end from what the scenario's
 * fake clients (struct mxlab_client_result) and probes (struct
 * mxlab_probe_report) reported. The evidence of a client fact, passed or
 * failed, is a summary of its session: where it stopped and why, each
 * reply, the TLS facts, the chain and the verdict (a pass first says what
 * it saw: "saw TLSv1.3"); of a probe fact, the probe's findings (a pass
 * first says "probe p reported ID").
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "expect_int.h"

static const struct {
	const char *name;
	enum ex_cfact fact;
	const char *values;
} cfacts[] = {
	{ "reply", EX_C_REPLY, "CODE [REGEX]" },
	{ "stopped", EX_C_STOPPED, "STAGE|done" },
	{ "tls", EX_C_TLS, "yes|no" },
	{ "tls-version", EX_C_VERSION, "TLSv1.0|TLSv1.1|TLSv1.2|TLSv1.3" },
	{ "caps-before", EX_C_CAPS_BEFORE, "REGEX" },
	{ "no-caps-before", EX_C_NO_CAPS_BEFORE, "REGEX" },
	{ "caps-after", EX_C_CAPS_AFTER, "REGEX" },
	{ "no-caps-after", EX_C_NO_CAPS_AFTER, "REGEX" },
	{ "chain-length", EX_C_CHAIN, "N" },
	{ "subject", EX_C_SUBJECT, "REGEX" },
	{ "issuer", EX_C_ISSUER, "REGEX" },
	{ "verify", EX_C_VERIFY, "ok|failed" },
	{ "reasons", EX_C_REASONS, "NAME... (untrusted-issuer, self-signed, expired, "
				   "not-yet-valid, name-mismatch, bad-usage, no-chain, other) or none" },
	{ "resumed", EX_C_RESUMED, "yes|no" },
	{ "sni", EX_C_SNI, "NAME|none" },
};
#define NCFACTS (sizeof cfacts / sizeof cfacts[0])

/* A reason name to its bit, 0 when unknown. */
static unsigned
reason_bit(const char *name, size_t len)
{
	for (unsigned b = 1; b <= MXLAB_VR_OTHER; b <<= 1) {
		const char *n = mxlab_client_reason_name(b);

		if (n && strlen(n) == len && !strncmp(n, name, len))
			return b;
	}
	return 0;
}

static int
yesno(const char *v, long *out)
{
	if (!strcmp(v, "yes") || !strcmp(v, "ok"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "failed"))
		*out = 0;
	else
		return -1;
	return 0;
}

int
ex_client_parse(struct ex_item *it, const char *fact, const char *stage,
		const char *value, char *err, size_t errlen)
{
	const char *v = value;
	size_t i;
	char *end;

	for (i = 0; i < NCFACTS && strcmp(cfacts[i].name, fact); i++)
		;
	if (i == NCFACTS) {
		snprintf(err, errlen, "client: unknown fact '%s' (reply, stopped, tls, tls-version, "
			 "caps-before, no-caps-before, caps-after, no-caps-after, chain-length, "
			 "subject, issuer, verify, reasons, resumed, sni)", fact);
		return -1;
	}
	it->cfact = cfacts[i].fact;
	switch (it->cfact) {
	case EX_C_REPLY:
		if (!stage || (it->stage = mxlab_client_stage_lookup(stage)) < 0 ||
		    it->stage == MXLAB_CS_CONNECT || it->stage == MXLAB_CS_TLS ||
		    it->stage == MXLAB_CS_DONE) {
			snprintf(err, errlen, "client: 'reply' needs a stage with a reply (greeting, "
				 "ehlo, starttls, ehlo-tls, auth, mail, rcpt, data, dot, quit), "
				 "got '%s'", stage ? stage : "");
			return -1;
		}
		errno = 0;
		it->num = strtol(v, &end, 10);
		if (end - v != 3 || it->num < 200 || it->num > 599 || (*end && *end != ' ')) {
			snprintf(err, errlen, "client reply %s: bad value '%s' (CODE [REGEX], "
				 "like 530 5\\.7\\.0 Must issue)", stage, v);
			return -1;
		}
		v = end + strspn(end, " ");
		return *v ? ex_compile(it, v, 0, err, errlen) : 0;
	case EX_C_STOPPED:
		if (mxlab_client_stage_lookup(v) < 0) {
			snprintf(err, errlen, "client stopped: bad value '%s' (connect, greeting, ehlo, "
				 "starttls, tls, ehlo-tls, auth, mail, rcpt, data, dot, quit, done)", v);
			return -1;
		}
		it->num = mxlab_client_stage_lookup(v);
		return 0;
	case EX_C_TLS:
	case EX_C_VERIFY:
	case EX_C_RESUMED:
		if (yesno(v, &it->num) < 0 || (it->cfact == EX_C_VERIFY && (!strcmp(v, "yes") ||
									   !strcmp(v, "no")))) {
			snprintf(err, errlen, "client %s: bad value '%s' (%s)", fact, v, cfacts[i].values);
			return -1;
		}
		return 0;
	case EX_C_VERSION:
		if (ex_tls_version(v, it->arg, sizeof it->arg) < 0) {
			snprintf(err, errlen, "client tls-version: bad value '%s' (%s)", v, cfacts[i].values);
			return -1;
		}
		return 0;
	case EX_C_CHAIN:
		errno = 0;
		it->num = strtol(v, &end, 10);
		if (!isdigit((unsigned char)*v) || *end || it->num > MXLAB_CLIENT_MAX_CHAIN) {
			snprintf(err, errlen, "client chain-length: bad value '%s' (0 to %d)", v,
				 MXLAB_CLIENT_MAX_CHAIN);
			return -1;
		}
		return 0;
	case EX_C_REASONS: {
		unsigned bits = 0;

		if (strcmp(v, "none")) {
			for (const char *p = v; *p;) {
				size_t n = strcspn(p, " ,");
				unsigned b = n ? reason_bit(p, n) : 0;

				if (n && !b) {
					snprintf(err, errlen, "client reasons: unknown reason '%.*s' (%s)",
						 (int)n, p, cfacts[i].values);
					return -1;
				}
				bits |= b;
				p += n;
				p += strspn(p, " ,");
			}
		}
		it->num = bits;
		return 0;
	}
	case EX_C_SNI:
		if (strlen(v) >= sizeof it->arg || !*v) {
			snprintf(err, errlen, "client sni: bad value '%s' (NAME or none)", v);
			return -1;
		}
		snprintf(it->arg, sizeof it->arg, "%s", v);
		return 0;
	default:		/* the regex facts */
		return ex_compile(it, v, 0, err, errlen);
	}
}

/* Does some '\n'-separated line of text match the item's regex? The
 * first that does is copied to hit (when not NULL). */
static int
any_line(struct ex_item *it, const char *text, char *hit, size_t hitlen)
{
	char line[1100];

	while (text && *text) {
		size_t n = strcspn(text, "\n");

		snprintf(line, sizeof line, "%.*s", (int)(n < sizeof line - 1 ? n : sizeof line - 1), text);
		if (regexec(&it->re, line, 0, NULL, 0) == 0) {
			if (hit)
				snprintf(hit, hitlen, "%.*s", (int)(hitlen - 1), line);
			return 1;
		}
		text += n;
		text += *text == '\n';
	}
	return 0;
}

static void
summary(struct ex_item *it, const struct mxlab_client_result *r)
{
	ex_sb_add(&it->ev, "client %s: stopped at %s%s%s", it->server,
		  mxlab_client_stage_name(r->failed_stage), r->error[0] ? ": " : "", r->error);
	for (int s = 0; s < MXLAB_CS_COUNT; s++)
		if (r->reply[s].code)
			ex_sb_add(&it->ev, "client %s: %s -> %d %.200s", it->server,
				  mxlab_client_stage_name((enum mxlab_client_stage)s), r->reply[s].code,
				  r->reply[s].text);
	if (r->tls)
		ex_sb_add(&it->ev, "client %s: %s %s, SNI %s%s", it->server, r->tls_version,
			  r->cipher, r->sni_sent ? r->sni : "none", r->resumed ? ", resumed" : "");
	for (int c = 0; c < r->nchain && c < MXLAB_CLIENT_MAX_CHAIN; c++)
		ex_sb_add(&it->ev, "client %s: chain %d: %s (issuer %s)", it->server, c,
			  r->chain[c].subject, r->chain[c].issuer);
	if (r->tls || r->nchain)
		ex_sb_add(&it->ev, "client %s: verification %s%s%s", it->server,
			  r->verified ? "ok" : "failed", r->verified ? "" : ": ",
			  r->verified ? "" : r->verify_text);
}

void
ex_client_eval(struct ex_item *it, const struct ex_client *clients, size_t n)
{
	const struct mxlab_client_result *r = NULL;
	char seen[700] = "";
	int pass = 0;

	for (size_t i = 0; i < n && !r; i++)
		if (clients[i].name && !strcmp(clients[i].name, it->server))
			r = clients[i].res;
	it->state = 2;
	if (!r) {
		ex_set_why(it, "expected %s, but client %s did not run", it->text, it->server);
		return;
	}
	switch (it->cfact) {
	case EX_C_REPLY: {
		const struct mxlab_client_reply *rp = &r->reply[it->stage];

		pass = rp->code == it->num && (!it->has_re || any_line(it, rp->text, NULL, 0));
		if (rp->code)
			snprintf(seen, sizeof seen, "%d %.500s", rp->code, rp->text);
		else
			snprintf(seen, sizeof seen, "no reply at that stage");
		break;
	}
	case EX_C_STOPPED:
		pass = (long)r->failed_stage == it->num;
		snprintf(seen, sizeof seen, "%s%s%.400s", mxlab_client_stage_name(r->failed_stage),
			 r->error[0] ? ": " : "", r->error);
		break;
	case EX_C_TLS:
		pass = (r->tls != 0) == (it->num != 0);
		snprintf(seen, sizeof seen, "%s", r->tls ? "yes" : "no");
		break;
	case EX_C_VERSION:
		pass = r->tls && !strcmp(r->tls_version, it->arg);
		snprintf(seen, sizeof seen, "%s", r->tls ? r->tls_version : "no TLS");
		break;
	case EX_C_CAPS_BEFORE:
	case EX_C_NO_CAPS_BEFORE:
	case EX_C_CAPS_AFTER:
	case EX_C_NO_CAPS_AFTER: {
		int after = it->cfact == EX_C_CAPS_AFTER || it->cfact == EX_C_NO_CAPS_AFTER;
		int neg = it->cfact == EX_C_NO_CAPS_BEFORE || it->cfact == EX_C_NO_CAPS_AFTER;
		const char *caps = after ? r->caps_after : r->caps_before;
		char line[100] = "";
		int hit = any_line(it, caps, line, sizeof line);

		pass = neg ? !hit : hit;
		/* a pass says what decided it: the line that matched, or that
		 * none did */
		if (pass && hit)
			snprintf(seen, sizeof seen, "'%s' among [%.500s]", line, caps);
		else if (pass)
			snprintf(seen, sizeof seen, "no matching line among [%.550s]", caps);
		else
			snprintf(seen, sizeof seen, "[%.600s]", caps);
		for (char *p = seen; *p; p++)
			if (*p == '\n')
				*p = ' ';
		break;
	}
	case EX_C_CHAIN:
		pass = r->nchain == it->num;
		snprintf(seen, sizeof seen, "%d", r->nchain);
		break;
	case EX_C_SUBJECT:
	case EX_C_ISSUER: {
		const char *t = r->nchain ? (it->cfact == EX_C_SUBJECT ? r->chain[0].subject
								       : r->chain[0].issuer) : NULL;

		pass = t && regexec(&it->re, t, 0, NULL, 0) == 0;
		snprintf(seen, sizeof seen, "%s", t ? t : "no certificate");
		break;
	}
	case EX_C_VERIFY:
		pass = (r->verified != 0) == (it->num != 0) && (r->tls || r->nchain);
		snprintf(seen, sizeof seen, "%s%s%s", r->verified ? "ok" : "failed",
			 r->verified ? "" : ": ", r->verified ? "" : r->verify_text);
		break;
	case EX_C_REASONS:
		pass = it->num ? (r->verify_reasons & (unsigned)it->num) == (unsigned)it->num
			       : r->verify_reasons == 0;
		snprintf(seen, sizeof seen, "%s", r->verify_reasons ? r->verify_text : "none");
		break;
	case EX_C_RESUMED:
		pass = (r->resumed != 0) == (it->num != 0);
		snprintf(seen, sizeof seen, "%s (%d session%s)", r->resumed ? "yes" : "no",
			 r->sessions, r->sessions == 1 ? "" : "s");
		break;
	case EX_C_SNI:
		pass = !strcmp(it->arg, "none") ? !r->sni_sent :
		       r->sni_sent && !strcasecmp(r->sni, it->arg);
		snprintf(seen, sizeof seen, "%s", r->sni_sent ? r->sni : "none");
		break;
	default:
		break;
	}
	/* Passed or failed, the evidence is what was seen, then the session's
	 * summary. */
	if (pass) {
		it->state = 1;
		ex_sb_add(&it->ev, "saw %s", seen);
	} else
		ex_set_why(it, "expected %s, saw %s", it->text, seen);
	summary(it, r);
}

int
ex_probe_parse(struct ex_item *it, const char *fact, const char *value,
	       char *err, size_t errlen)
{
	if (strcmp(fact, "finding") && strcmp(fact, "no-finding")) {
		snprintf(err, errlen, "probe: unknown fact '%s' (finding, no-finding)", fact);
		return -1;
	}
	if (!*value || strlen(value) >= sizeof it->arg ||
	    strspn(value, "abcdefghijklmnopqrstuvwxyz0123456789-") != strlen(value)) {
		snprintf(err, errlen, "probe %s: bad finding id '%s' (like chain-leaf-only)", fact, value);
		return -1;
	}
	it->cfact = fact[0] == 'f' ? EX_P_FINDING : EX_P_NO_FINDING;
	snprintf(it->arg, sizeof it->arg, "%s", value);
	return 0;
}

void
ex_probe_eval(struct ex_item *it, const struct ex_probe *probes, size_t n)
{
	const struct mxlab_probe_report *rep = NULL;
	int has;

	for (size_t i = 0; i < n && !rep; i++)
		if (probes[i].name && !strcmp(probes[i].name, it->server))
			rep = probes[i].rep;
	it->state = 2;
	if (!rep) {
		ex_set_why(it, "expected %s, but probe %s did not run", it->text, it->server);
		return;
	}
	has = mxlab_probe_has(rep, it->arg);
	if ((it->cfact == EX_P_FINDING) == (has != 0)) {
		it->state = 1;
		ex_sb_add(&it->ev, "probe %s %s %s (%zu finding%s)", it->server,
			  has ? "reported" : "did not report", it->arg, rep->nfindings,
			  rep->nfindings == 1 ? "" : "s");
	} else
		ex_set_why(it, "expected %s, the probe %s it", it->text,
			   has ? "reported" : "did not report");
	for (size_t f = 0; f < rep->nfindings && f < MXLAB_PROBE_MAX_FINDINGS; f++)
		ex_sb_add(&it->ev, "probe %s: %s %s: %.300s", it->server,
			  mxlab_probe_severity_name(rep->findings[f].severity), rep->findings[f].id,
			  rep->findings[f].seen);
}
