/*
 * initgen_out.c: the outbound side of `mxlab init`: a destination per
 * smtp_tls_policy_maps entry and one for the default level
 * (smtp_tls_security_level), each with a fake MX in suite.scn; then per
 * destination the scenarios its level calls for, from one table: the good
 * peer and the broken ones the level must refuse (secure, verify, dane),
 * or must still accept (encrypt, may), with the log lines Postfix 3.7
 * prints for each.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initgen_int.h"

/* One scenario per row whose level list holds the destination's level.
 * In the texts: @M@ the MX host, @H@ "MX[ADDR]" as a regex. */
static const struct ig_variant {
	const char *levels;	/* space-separated, with spaces around */
	const char *name;	/* file name suffix */
	const char *server;	/* keys added to the suite's good peer; NULL: as is */
	const char *what;	/* the summary's second half */
	const char *status;
	const char *log;	/* log smtp = */
	const char *nolog;	/* no-log smtp = */
	const char *tls;	/* server NAME tls = */
	int certs;		/* server NAME certificates = (0: not checked) */
	int messages;
} variants[] = {
	{ " secure verify dane dane-only ", "good", NULL,
	  "a full chain for @M@ is Verified and gets the mail", "sent 2.0.0",
	  "Verified TLS connection established to @H@:25", "certificate verification failed",
	  "yes", 2, 1 },
	{ " secure verify ", "leaf-only", "chain = leaf-only",
	  "@M@ sending its leaf without the intermediate is not verified: deferred",
	  "deferred 4.7.5", "certificate verification failed for @H@:25: untrusted issuer",
	  "Verified TLS connection established", "yes", 1, 0 },
	{ " dane dane-only ", "leaf-only", "chain = leaf-only",
	  "@M@ sending its leaf without the intermediate of its TLSA 2 1 1 record: deferred",
	  "deferred 4.7.5",
	  "server certificate verification failed for @H@:25: num=65:no matching DANE TLSA records",
	  "Verified TLS connection established", "yes", 1, 0 },
	{ " secure verify dane dane-only ", "wrong-name", "profile = wrong-name",
	  "a certificate for another name than @M@ is not verified: deferred", "deferred 4.7.5",
	  "server certificate verification failed for @H@:25: num=62:hostname mismatch",
	  "Verified TLS connection established", "yes", 0, 0 },
	{ " encrypt ", "no-starttls", "starttls = hide",
	  "@M@ without STARTTLS does not get the mail: deferred", "deferred 4.7.4",
	  "status=deferred \\(TLS is required, but was not offered by host @H@\\)", NULL,
	  "no", 0, 0 },
	{ " encrypt ", "self-signed", "profile = self-signed",
	  "a self-signed @M@ still gets the mail over TLS (encrypt does not verify)",
	  "sent 2.0.0", "Untrusted TLS connection established to @H@:25", NULL, "yes", 0, 1 },
	{ " may ", "self-signed", "profile = self-signed",
	  "a self-signed @M@ gets the mail over TLS (may does not verify)", "sent 2.0.0",
	  "Untrusted TLS connection established to @H@:25", NULL, "yes", 0, 1 },
	{ " may ", "no-starttls", "starttls = hide",
	  "@M@ without STARTTLS gets the mail in clear (may)", "sent 2.0.0", NULL,
	  "TLS connection established to @H@", "no", 0, 1 },
	{ " none ", "no-tls", NULL,
	  "@M@ offers STARTTLS, the mail goes in clear (level none)", "sent 2.0.0", NULL,
	  "TLS connection established to @H@", "no", 0, 1 },
};

/* ---------------------------------------------------------------- model */

/* The peer's MX and certificate name: what the level's match strategy
 * (match=, else the main.cf default) accepts, most specific first. */
static void
choose_mx(const struct ig *g, struct ig_peer *p)
{
	const char *m = p->pol.match;
	char best[256] = "";
	int rank = 0;

	if (!*m && !strcmp(p->pol.level, "secure"))
		m = pcr_value(g->c, "smtp_tls_secure_cert_match");
	else if (!*m && !strcmp(p->pol.level, "verify"))
		m = pcr_value(g->c, "smtp_tls_verify_cert_match");
	for (const char *s = m; *s; ) {
		size_t n;
		int r;

		s += strspn(s, " \t,:");
		n = strcspn(s, " \t,:");
		if (!n)
			break;
		if (n == 11 && !strncmp(s, "dot-nexthop", n))
			r = 3;
		else if (n == 8 && !strncmp(s, "hostname", n))
			r = 2;
		else if (n == 7 && !strncmp(s, "nexthop", n))
			r = 1;
		else
			r = s[0] == '.' ? 4 : 5;
		if (r > rank && n < sizeof best) {
			rank = r;
			snprintf(best, sizeof best, "%.*s", (int)n, s);
		}
		s += n;
	}
	if (rank == 5)
		snprintf(p->mx, sizeof p->mx, "%s", best);
	else if (rank == 4)
		snprintf(p->mx, sizeof p->mx, "mx%s", best);
	else
		snprintf(p->mx, sizeof p->mx, "mx.%.250s", p->domain);
	snprintf(p->cert, sizeof p->cert, "%s", rank == 1 ? p->domain : p->mx);
}

static int
covered(const struct ig *g, const char *domain)
{
	for (size_t i = 0; i < g->npeer; i++) {
		const char *k = g->peer[i].key;
		size_t kl = strlen(k), dl = strlen(domain);

		if (!strcmp(k, domain))
			return 1;
		if (kl < dl && !strcmp(domain + dl - kl, k) && (k[0] == '.' || domain[dl - kl - 1] == '.'))
			return 1;
	}
	return 0;
}

static int
known_domain(const struct ig *g, const char *domain)
{
	for (size_t i = 0; i < g->npeer; i++)
		if (!strcmp(g->peer[i].domain, domain))
			return 1;
	return 0;
}

static int
add_peer(struct ig *g, const struct ig_peer *p)
{
	struct ig_peer *nv = realloc(g->peer, (g->npeer + 1) * sizeof *nv);

	if (!nv)
		return ig_fail(g, "out of memory");
	g->peer = nv;
	nv[g->npeer++] = *p;
	return 0;
}

static int
cmp_peer(const void *a, const void *b)
{
	const struct ig_peer *x = a, *y = b;

	if (x->is_default != y->is_default)
		return x->is_default - y->is_default;
	return strcmp(x->domain, y->domain);
}

static int
default_peer(struct ig *g)
{
	static const char *const candidates[] = { "unlisted.example", "unlisted.example.com",
						  "unlisted.test", "unlisted.invalid", NULL };
	const char *level = pcr_value(g->c, "smtp_tls_security_level");
	struct ig_peer p;

	memset(&p, 0, sizeof p);
	p.is_default = 1;
	ig_param_at(g, "smtp_tls_security_level", p.at, sizeof p.at);
	if (!*level && pcr_yes(pcr_value(g->c, "smtp_enforce_tls"))) {
		level = "encrypt";
		ig_param_at(g, "smtp_enforce_tls", p.at, sizeof p.at);
	} else if (!*level && pcr_yes(pcr_value(g->c, "smtp_use_tls"))) {
		level = "may";
		ig_param_at(g, "smtp_use_tls", p.at, sizeof p.at);
	} else if (!*level)
		level = "none";
	snprintf(p.pol.level, sizeof p.pol.level, "%s", level);
	if (!strcmp(level, "fingerprint") || !strcmp(level, "dane-only"))
		return ig_note(g, "%s: smtp_tls_security_level = %s: no check for the default "
			       "level", p.at, level);
	for (const char *const *c = candidates; *c; c++)
		if (!covered(g, *c)) {
			snprintf(p.domain, sizeof p.domain, "%s", *c);
			break;
		}
	if (!p.domain[0])
		return ig_note(g, "smtp_tls_policy_maps covers every test domain: no check for "
			       "the default level");
	snprintf(p.key, sizeof p.key, "%s", p.domain);
	choose_mx(g, &p);
	return add_peer(g, &p);
}

int
ig_find_peers(struct ig *g, struct ig_mapent *e, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct ig_peer p;
		char err[256];

		memset(&p, 0, sizeof p);
		if (e[i].key[0] == '[') {
			if (ig_note(g, "%s: smtp_tls_policy_maps key %s: a nexthop in brackets is "
				    "reached through relayhost or transport_maps only: no check",
				    e[i].at, e[i].key) < 0)
				return -1;
			continue;
		}
		if (pfm_policy_parse(e[i].value, &p.pol, err, sizeof err) < 0)
			return ig_fail(g, "%s: smtp_tls_policy_maps entry %s: %s", e[i].at, e[i].key,
				       err);
		if (!strcmp(p.pol.level, "fingerprint")) {
			if (ig_note(g, "%s: %s fingerprint: the fake peers' keys are made at run "
				    "time, no fingerprint can match them: no check", e[i].at,
				    e[i].key) < 0)
				return -1;
			continue;
		}
		snprintf(p.key, sizeof p.key, "%s", e[i].key);
		snprintf(p.domain, sizeof p.domain, "%s%s", e[i].key[0] == '.' ? "sub" : "", e[i].key);
		snprintf(p.at, sizeof p.at, "%s", e[i].at);
		if (known_domain(g, p.domain)) {
			if (ig_note(g, "%s: %s given again: Postfix uses the first entry", e[i].at,
				    e[i].key) < 0)
				return -1;
			continue;
		}
		choose_mx(g, &p);
		if (add_peer(g, &p) < 0)
			return -1;
	}
	if (default_peer(g) < 0)
		return -1;
	qsort(g->peer, g->npeer, sizeof *g->peer, cmp_peer);
	if (g->npeer > 200) {
		if (ig_note(g, "more than 200 destinations: only the first 200 are checked") < 0)
			return -1;
		g->npeer = 200;
	}
	for (size_t i = 0; i < g->npeer; i++) {
		struct ig_peer *p = &g->peer[i];

		snprintf(p->addr, sizeof p->addr, "127.0.0.%zu", 10 + i);
		snprintf(p->server, sizeof p->server, "%s", p->domain);
		for (char *c = p->server; *c; c++)
			if (*c == '.')
				*c = '-';
		if (!p->is_default && !strncmp(p->pol.level, "dane", 4))
			g->dane = 1;
	}
	return 0;
}

/* ---------------------------------------------------------------- files */

/* text with @M@ and @H@ replaced. */
static void
subst(struct ig_buf *b, const char *text, const struct ig_peer *p)
{
	char host[700], rx[300], addr[64];

	ig_rx(p->mx, rx, sizeof rx);
	ig_rx(p->addr, addr, sizeof addr);
	snprintf(host, sizeof host, "%s\\[%s\\]", rx, addr);
	for (const char *s = text; *s; s++) {
		if (!strncmp(s, "@M@", 3)) {
			igb_printf(b, "%s", p->mx);
			s += 2;
		} else if (!strncmp(s, "@H@", 3)) {
			igb_printf(b, "%s", host);
			s += 2;
		} else
			igb_printf(b, "%c", *s);
	}
}

static int
write_variant(struct ig *g, const struct ig_peer *p, const struct ig_variant *v, const char *lv)
{
	struct ig_buf b = { 0 };
	char path[600];

	if (p->is_default)
		snprintf(path, sizeof path, "outbound/default-%s-%s.scn", p->pol.level, v->name);
	else
		snprintf(path, sizeof path, "outbound/%s-%s-%s.scn", p->domain, p->pol.level,
			 v->name);
	ig_header(g, &b, "Outbound: Postfix's smtp client and one fake MX.");
	igb_printf(&b, "[scenario]\nsummary = protects %s ", p->at);
	if (p->is_default)
		igb_printf(&b, "smtp_tls_security_level = %s, for destinations not in "
			   "smtp_tls_policy_maps%s: ", p->pol.level,
			   strcmp(lv, p->pol.level) ? " (no TLSA records: opportunistic)" : "");
	else
		igb_printf(&b, "smtp_tls_policy_maps entry %s %s (%s): ", p->key, p->pol.level,
			   g->policy_param_at);
	subst(&b, v->what, p);
	igb_printf(&b, "\ntags    = outbound %s %s\n", p->is_default ? "default" : "policy",
		   p->pol.level);
	if (!strncmp(lv, "dane", 4))
		igb_printf(&b, "requires = dane\n");
	if (v->server) {
		igb_printf(&b, "\n# %s's MX as in suite.scn, but: %s.\n[server %s]\n"
			   "listen = %s:25\ncert   = %s\n%s\n", p->domain, v->server, p->server,
			   p->addr, p->cert, v->server);
	}
	igb_printf(&b, "\n[send]\nfrom = mxlab-test@%s\nto   = mxlab-test@%s\n\n[expect]\n"
		   "status = %s\n", g->myhostname, p->domain, v->status);
	if (v->log) {
		igb_printf(&b, "log smtp = ");
		subst(&b, v->log, p);
		igb_printf(&b, "\n");
	}
	if (v->nolog) {
		igb_printf(&b, "no-log smtp = ");
		subst(&b, v->nolog, p);
		igb_printf(&b, "\n");
	}
	igb_printf(&b, "server %s tls = %s\n", p->server, v->tls);
	if (v->certs)
		igb_printf(&b, "server %s certificates = %d\n", p->server, v->certs);
	igb_printf(&b, "server %s messages = %d\n", p->server, v->messages);
	return ig_add_file(g, path, &b);
}

int
ig_write_outbound(struct ig *g)
{
	for (size_t i = 0; i < g->npeer; i++) {
		const struct ig_peer *p = &g->peer[i];
		char lv[24];

		/* The default dane level without TLSA records is opportunistic. */
		snprintf(lv, sizeof lv, " %s ", p->is_default && !strcmp(p->pol.level, "dane") ?
			 "may" : p->pol.level);
		for (size_t k = 0; k < sizeof variants / sizeof variants[0]; k++) {
			char bare[24];

			if (!strstr(variants[k].levels, lv))
				continue;
			snprintf(bare, sizeof bare, "%.*s", (int)strlen(lv) - 2, lv + 1);
			if (write_variant(g, p, &variants[k], bare) < 0)
				return -1;
		}
	}
	return 0;
}
