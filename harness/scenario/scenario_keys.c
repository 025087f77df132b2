/*
 * scenario_keys.c: the key sections of a scenario file.
 *
 * [scenario] and [send] are tables of keys (name, repeatable, empty value
 * allowed, setter); [dns] lines go to dnsd_record_parse, [server NAME]
 * keys to mxlab_server_config_set on a scratch configuration (variables
 * replaced by placeholders; what a server writes must stay inside the
 * scenario's directory), [client NAME] keys are only kept, [expect]
 * lines go to ex_parse. Errors are reported through sc_rd_err as
 * "FILE:LINE: KEY: what is wrong". sc_server_config builds the real server
 * configuration for the runner.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/certs.h"
#include "netio.h"
#include "scenario_int.h"
#include "tls_glue.h"

/* ---- [scenario] */

typedef int (*kset)(struct rd *r, const char *v, char *err, size_t errlen);

struct keydef {
	const char *name;
	int repeatable;
	int empty_ok;
	kset set;
	int whole;		/* set's message names the key itself */
};

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)
#define NOMEM() BAD("out of memory")

typedef int (*wcheck)(const char *w, char *err, size_t errlen);

/* Split v on spaces; check and append every word. */
static int
push_words(char ***arr, size_t *n, const char *v, wcheck check, char *err, size_t errlen)
{
	char *copy = strdup(v), *save = NULL, *w;
	int rc = 0;

	if (!copy)
		return NOMEM();
	for (w = strtok_r(copy, " \t", &save); w && !rc; w = strtok_r(NULL, " \t", &save)) {
		if (check && check(w, err, errlen) < 0)
			rc = -1;
		else if (sc_rd_push_str(arr, n, w) < 0)
			rc = NOMEM();
	}
	free(copy);
	return rc;
}

static int
tag_check(const char *w, char *err, size_t errlen)
{
	for (const char *p = w; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
		      (*p >= '0' && *p <= '9') || strchr("._-", *p)))
			return BAD("bad tag '%s' (letters, digits, '.', '_' and '-')", w);
	return 0;
}

static int
set_summary(struct rd *r, const char *v, char *err, size_t errlen)
{
	return (r->sc->summary = strdup(v)) ? 0 : NOMEM();
}

static int
set_seed(struct rd *r, const char *v, char *err, size_t errlen)
{
	return push_words(&r->sc->seed, &r->sc->nseed, v, sc_seed_check, err, errlen);
}

static int
set_tags(struct rd *r, const char *v, char *err, size_t errlen)
{
	return push_words(&r->sc->tags, &r->sc->ntags, v, tag_check, err, errlen);
}

static int
set_requires(struct rd *r, const char *v, char *err, size_t errlen)
{
	char norm[64];

	if (sc_requires_parse(v, norm, sizeof norm, err, errlen) < 0)
		return -1;
	return sc_rd_push_str(&r->sc->requires, &r->sc->nrequires, norm) < 0 ? NOMEM() : 0;
}

static int
set_timeout(struct rd *r, const char *v, char *err, size_t errlen)
{
	unsigned ms;

	if (sc_duration_parse(v, &ms, err, errlen) < 0)
		return -1;
	if (ms == 0 || ms > SC_TIMEOUT_MAX)
		return BAD("'%s' is out of range (more than 0, at most 10m)", v);
	r->sc->timeout_ms = ms;
	return 0;
}

static int
set_faketime(struct rd *r, const char *v, char *err, size_t errlen)
{
	if (sc_faketime_check(v, err, errlen) < 0)
		return -1;
	return (r->sc->faketime = strdup(v)) ? 0 : NOMEM();
}

static int
set_pki_host(struct rd *r, const char *v, char *err, size_t errlen)
{
	if (mxlab_pki_host_check(v, err, errlen) != MXLAB_OK)
		return -1;
	return sc_rd_push_str(&r->sc->pki_hosts, &r->sc->npki_hosts, v) < 0 ? NOMEM() : 0;
}

/* A DNS name as the resolver would see it: letters, digits, '-' and '.',
 * no empty label; for an mx, "*." may start it. Lowercased in place. */
static int
sts_name(char *w, int wild)
{
	size_t n = strlen(w);

	if (wild && !strncmp(w, "*.", 2))
		w += 2, n -= 2;
	if (!n || n > 253 || w[0] == '.' || w[n - 1] == '.' || strstr(w, ".."))
		return -1;
	for (char *p = w; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == '.'))
			return -1;
	}
	return 0;
}

/* mta-sts-cache = DOMAIN id=ID mode=MODE max_age=N [mx=NAME ...] [age=DURATION]:
 * the policy text is built as the policy host would serve it. */
static int
set_sts_cache(struct rd *r, const char *v, char *err, size_t errlen)
{
	char *copy = strdup(v), *save = NULL, *w, *domain = NULL, *id = NULL, *mode = NULL;
	char *max_age = NULL, pol[4096];
	size_t plen = 0, nmx = 0;
	unsigned age_ms = 3600000;
	struct sc_sts_cache *c;
	int rc = -1;

	if (!copy)
		return NOMEM();
	pol[0] = '\0';
	for (w = strtok_r(copy, " \t", &save); w; w = strtok_r(NULL, " \t", &save)) {
		char *eq = strchr(w, '=');

		if (!domain) {
			if (eq || sts_name(w, 0) < 0) {
				(void)BAD("bad domain '%s' (DOMAIN id=ID mode=MODE max_age=N mx=NAME... [age=DURATION])", w);
				goto out;
			}
			domain = w;
			continue;
		}
		if (!eq) {
			(void)BAD("'%s' is not KEY=VALUE (id, mode, max_age, mx, age)", w);
			goto out;
		}
		*eq++ = '\0';
		if (!strcmp(w, "id")) {
			size_t n = strlen(eq);

			if (id || !n || n > 32 || strspn(eq, "abcdefghijklmnopqrstuvwxyz"
							  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") != n) {
				(void)BAD("bad or second id '%s' (1 to 32 letters and digits)", eq);
				goto out;
			}
			id = eq;
		} else if (!strcmp(w, "mode")) {
			if (mode || (strcmp(eq, "enforce") && strcmp(eq, "testing") && strcmp(eq, "none"))) {
				(void)BAD("bad or second mode '%s' (enforce, testing, none)", eq);
				goto out;
			}
			mode = eq;
		} else if (!strcmp(w, "max_age")) {
			char *end;
			long n;

			errno = 0;
			n = strtol(eq, &end, 10);
			if (max_age || !*eq || *end || errno || eq[0] == '-' || eq[0] == '+' ||
			    n < 0 || n > 31557600) {
				(void)BAD("bad or second max_age '%s' (0 to 31557600 seconds)", eq);
				goto out;
			}
			max_age = eq;
		} else if (!strcmp(w, "mx")) {
			if (sts_name(eq, 1) < 0 || nmx == 20) {
				(void)BAD("bad mx '%s' (a host name, *.DOMAIN; at most 20)", eq);
				goto out;
			}
			plen += (size_t)snprintf(pol + plen, sizeof pol - plen, "mx: %s\n", eq);
			nmx++;
		} else if (!strcmp(w, "age")) {
			if (sc_duration_parse(eq, &age_ms, err, errlen) < 0)
				goto out;
		} else {
			(void)BAD("unknown key '%s' (id, mode, max_age, mx, age)", w);
			goto out;
		}
	}
	if (!domain || !id || !mode || !max_age || (!nmx && strcmp(mode, "none"))) {
		(void)BAD("needs a domain, id, mode, max_age and (but for mode=none) mx");
		goto out;
	}
	for (size_t i = 0; i < r->sc->nsts_cache; i++)
		if (!strcmp(r->sc->sts_cache[i].domain, domain)) {
			(void)BAD("%s is cached twice (first at line %d)", domain, r->sc->sts_cache[i].line);
			goto out;
		}
	if (!(c = realloc(r->sc->sts_cache, (r->sc->nsts_cache + 1) * sizeof *c))) {
		(void)NOMEM();
		goto out;
	}
	r->sc->sts_cache = c;
	c += r->sc->nsts_cache;
	{
		char text[4200];

		snprintf(text, sizeof text, "version: STSv1\nmode: %s\n%smax_age: %s\n", mode, pol, max_age);
		*c = (struct sc_sts_cache){ .domain = strdup(domain), .id = strdup(id),
					    .policy = strdup(text), .age_s = age_ms / 1000,
					    .line = r->line };
	}
	r->sc->nsts_cache++;
	rc = c->domain && c->id && c->policy ? 0 : NOMEM();
out:
	free(copy);
	return rc;
}

static const struct keydef scenario_keys[] = {
	{ "summary", 0, 0, set_summary, 0 },
	{ "seed", 0, 0, set_seed, 0 },
	{ "tags", 0, 1, set_tags, 0 },
	{ "requires", 1, 0, set_requires, 0 },
	{ "timeout", 0, 0, set_timeout, 0 },
	{ "faketime", 0, 0, set_faketime, 0 },
	{ "pki-host", 1, 0, set_pki_host, 0 },
	{ "postfix-config", 0, 0, sc_rd_postfix_config, 1 },
	{ "mta", 0, 0, sc_rd_mta, 0 },
	{ "mta-sts-cache", 1, 0, set_sts_cache, 0 },
};

/* ---- [send] */

static int
set_from(struct rd *r, const char *v, char *err, size_t errlen)
{
	if (strcmp(v, "<>") && sc_address_check(v, err, errlen) < 0)
		return -1;
	return (r->sc->send.from = strdup(strcmp(v, "<>") ? v : "")) ? 0 : NOMEM();
}

static int
set_to(struct rd *r, const char *v, char *err, size_t errlen)
{
	return push_words(&r->sc->send.to, &r->sc->send.nto, v, sc_address_check, err, errlen);
}

static int
set_subject(struct rd *r, const char *v, char *err, size_t errlen)
{
	return (r->sc->send.subject = strdup(v)) ? 0 : NOMEM();
}

static int
set_header(struct rd *r, const char *v, char *err, size_t errlen)
{
	if (sc_header_check(v, err, errlen) < 0)
		return -1;
	return sc_rd_push_str(&r->sc->send.headers, &r->sc->send.nheaders, v) < 0 ? NOMEM() : 0;
}

static int
set_body(struct rd *r, const char *v, char *err, size_t errlen)
{
	return (r->sc->send.body = sc_body_unescape(v)) ? 0 : NOMEM();
}

static int
set_size(struct rd *r, const char *v, char *err, size_t errlen)
{
	size_t n;

	if (sc_size_parse(v, &n, err, errlen) < 0)
		return -1;
	if (n > SC_SEND_MAX)
		return BAD("'%s' is too large (at most 64M)", v);
	r->sc->send.size = n;
	return 0;
}

static int
set_count(struct rd *r, const char *v, char *err, size_t errlen)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (!*v || *end || errno || v[0] == '+' || v[0] == '-' || n < 1 || n > 1000)
		return BAD("bad count '%s' (1 to 1000)", v);
	r->sc->send.count = (unsigned)n;
	return 0;
}

static int
set_via(struct rd *r, const char *v, char *err, size_t errlen)
{
	char e[300];
	const char *port = strrchr(v, ':');

	if (mx_listen_check(v, e, sizeof e) < 0)
		return BAD("%s", e);
	if (port && atoi(port + 1) == 0)
		return BAD("'%s': port 0 is not a destination", v);
	return (r->sc->send.via = strdup(v)) ? 0 : NOMEM();
}

static int
set_helo(struct rd *r, const char *v, char *err, size_t errlen)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return BAD("bad name '%s' (no spaces or control characters)", v);
	return (r->sc->send.helo = strdup(v)) ? 0 : NOMEM();
}

static const struct keydef send_keys[] = {	/* in the order of SEND_FROM ... */
	{ "from", 0, 0, set_from, 0 },
	{ "to", 1, 0, set_to, 0 },
	{ "subject", 0, 1, set_subject, 0 },
	{ "header", 1, 0, set_header, 0 },
	{ "body", 0, 1, set_body, 0 },
	{ "size", 0, 0, set_size, 0 },
	{ "count", 0, 0, set_count, 0 },
	{ "via", 0, 0, set_via, 0 },
	{ "helo", 0, 0, set_helo, 0 },
};

/* A key line of [scenario] or [send], through its table. */
static void
table_line(struct rd *r, int line, const char *section, const struct keydef *keys,
	   size_t nkeys, int *once, const char *k, const char *v)
{
	char e[600], known[200] = "";

	for (size_t i = 0; i < nkeys; i++) {
		if (strcmp(keys[i].name, k))
			continue;
		if (!keys[i].repeatable && once[i]) {
			sc_rd_err(r, line, "%s: given twice (first at line %d)", k, once[i]);
			return;
		}
		once[i] = line;
		if (!*v && !keys[i].empty_ok)
			sc_rd_err(r, line, "%s: empty value", k);
		else if (sc_vars_check(v, section, e, sizeof e) < 0)
			sc_rd_err(r, line, "%s: %s", k, e);
		else if (keys[i].set(r, v, e, sizeof e) < 0) {
			if (keys[i].whole)
				sc_rd_err(r, line, "%s", e);
			else
				sc_rd_err(r, line, "%s: %s", k, e);
		}
		return;
	}
	for (size_t i = 0; i < nkeys; i++)
		snprintf(known + strlen(known), sizeof known - strlen(known), "%s%s",
			 i ? ", " : "", keys[i].name);
	sc_rd_err(r, line, "unknown key '%.60s' in %s (%s)", k, section, known);
}

/* ---- the other key sections */

int
sc_rd_kv_split(struct rd *r, int line, char *t, char **k, char **v)
{
	char *eq = strchr(t, '=');

	if (!eq) {
		sc_rd_err(r, line, "expected KEY = VALUE, got '%.60s%s'", t,
		       strlen(t) > 60 ? "..." : "");
		return -1;
	}
	*eq = '\0';
	*k = sc_rd_trim(t);
	*v = sc_rd_trim(eq + 1);
	if (!**k) {
		sc_rd_err(r, line, "missing key before '='");
		return -1;
	}
	return 0;
}

void
sc_rd_dns_line(struct rd *r, int line, char *t)
{
	struct scenario *sc = r->sc;
	struct dnsd_record rec;
	char e[400], *k, *v;
	const char *p = t;

	if (!strncmp(t, "dnssec", 6))	/* only then is t + 6 in the line */
		p = t + 6 + strspn(t + 6, " \t");
	if (p != t && *p == '=') {
		if (sc_rd_kv_split(r, line, t, &k, &v) < 0)
			return;
		if (r->once_dnssec)
			sc_rd_err(r, line, "dnssec: given twice (first at line %d)", r->once_dnssec);
		else if (strcmp(v, "yes") && strcmp(v, "no"))
			sc_rd_err(r, line, "dnssec: bad value '%s' (yes, no)", v);
		else
			sc->dnssec = !strcmp(v, "yes");
		r->once_dnssec = line;
		return;
	}
	if (sc_vars_check(t, "[dns]", e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s", e);
		return;
	}
	memset(&rec, 0, sizeof rec);
	if (dnsd_record_parse(&rec, t, e, sizeof e) < 0)
		sc_rd_err(r, line, "%s", e);
	else if (sc_rd_push(&sc->dns, &sc->ndns, sizeof rec, &rec) < 0)
		r->oom = 1;
}

static int
kv_push(struct sc_kv **kv, size_t *n, int line, const char *k, const char *v)
{
	struct sc_kv item = { line, strdup(k), strdup(v) };

	if (!item.key || !item.value || sc_rd_push(kv, n, sizeof item, &item) < 0) {
		free(item.key);
		free(item.value);
		return -1;
	}
	return 0;
}

/* tls-min / tls-max naming a version this mbedTLS cannot speak (3.x has
 * no TLS 1.0 or 1.1) is not an error but an implied requirement,
 * "mbedtls TLSv1.1": the scenario is skipped here with that reason, as a
 * faketime scenario is without libfaketime. 1 when it is one (the key is
 * then not checked further), else 0. */
static int
tls_version_unmet(struct rd *r, const char *k, const char *v)
{
	struct mx_tls_versions vers;
	char req[64], e[200];
	int ver;

	if ((strcmp(k, "tls-min") && strcmp(k, "tls-max")) ||
	    (ver = mx_tls_version_parse(v)) < 0)
		return 0;
	vers.min = vers.max = ver;
	if (mx_tls_versions_check(&vers, e, sizeof e) == 0)
		return 0;
	snprintf(req, sizeof req, "mbedtls %s", mx_tls_version_name(ver));
	for (size_t i = 0; i < r->sc->nrequires; i++)
		if (!strcmp(r->sc->requires[i], req))
			return 1;
	if (sc_rd_push_str(&r->sc->requires, &r->sc->nrequires, req) < 0)
		r->oom = 1;
	return 1;
}

void
sc_rd_server_line(struct rd *r, int line, char *t)
{
	struct sc_server *srv = &r->sc->servers[r->sc->nservers - 1];
	const struct mxlab_server_key *keys = mxlab_server_keys();
	char e[600], *k, *v, *x;

	if (sc_rd_kv_split(r, line, t, &k, &v) < 0) {
		r->srv_bad = 1;
		return;
	}
	if (kv_push(&srv->kv, &srv->nkv, line, k, v) < 0)
		r->oom = 1;
	for (size_t i = 0; i < r->nsrvkeys; i++) {
		if (strcmp(keys[i].key, k) || keys[i].repeatable || !strcmp(k, "starttls"))
			continue;
		if (r->srv_once[i]) {
			sc_rd_err(r, line, "%s: given twice (first at line %d)", k, r->srv_once[i]);
			r->srv_bad = 1;
			return;
		}
		r->srv_once[i] = line;
		break;
	}
	if (sc_vars_check(v, NULL, e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s: %s", k, e);
		r->srv_bad = 1;
		return;
	}
	if (!(x = sc_expand(r->sc, &sc_placeholder, v))) {
		r->oom = 1;
		return;
	}
	if (sc_output_key(k) && sc_output_check(v, x, e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s: %s", k, e);
		r->srv_bad = 1;
	} else if (tls_version_unmet(r, k, x)) {
		;
	} else if (!strcmp(k, "script")) {
		sc_rd_script_ref(r, line, x);
	} else if (!r->scratch || mxlab_server_config_set(r->scratch, k, x, e, sizeof e) != MXLAB_OK) {
		sc_rd_err(r, line, "%s", r->scratch ? e : "out of memory");
		r->srv_bad = 1;
	} else if (!strcmp(k, "listen")) {
		r->srv_listen = 1;
	}
	free(x);
}

int
sc_service_check(const char *v, char *err, size_t errlen)
{
	char e[300];

	if (!strcmp(v, "smtp") || !strcmp(v, "submission") || !strcmp(v, "smtps"))
		return 0;
	if (*v && strspn(v, "0123456789") == strlen(v) && strlen(v) <= 5 && atol(v) > 0 &&
	    atol(v) <= 65535)
		return 0;
	if (strchr(v, ':') && mx_listen_check(v, e, sizeof e) == 0)
		return 0;
	snprintf(err, errlen, "bad value '%.100s' (smtp, submission, smtps, a port, or ADDR:PORT)", v);
	return -1;
}

/* A key of [client NAME] or [probe NAME]: lowercase, digits, '-'. */
static int
key_syntax(struct rd *r, int line, const char *k)
{
	const char *p;

	for (p = k; (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'; p++)
		;
	if (*p || k[0] < 'a' || k[0] > 'z') {
		sc_rd_err(r, line, "bad key '%.60s' (lowercase letters, digits and '-')", k);
		return -1;
	}
	return 0;
}

void
sc_rd_client_line(struct rd *r, int line, char *t)
{
	struct sc_client *cl = &r->sc->clients[r->sc->nclients - 1];
	char e[600], *k, *v, *x;

	if (sc_rd_kv_split(r, line, t, &k, &v) < 0 || key_syntax(r, line, k) < 0) {
		r->cl_bad = 1;
		return;
	}
	if (sc_vars_check(v, NULL, e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s: %s", k, e);
		r->cl_bad = 1;
		return;
	}
	if (kv_push(&cl->kv, &cl->nkv, line, k, v) < 0) {
		r->oom = 1;
		return;
	}
	if (!strcmp(k, "service")) {	/* the runner's own key */
		if (sc_service_check(v, e, sizeof e) < 0) {
			sc_rd_err(r, line, "service: %s", e);
			r->cl_bad = 1;
		}
		return;
	}
	if (!(x = sc_expand(r->sc, &sc_placeholder, v))) {
		r->oom = 1;
		return;
	}
	if (!strcmp(k, "script"))
		sc_rd_script_ref(r, line, x);
	else if (!tls_version_unmet(r, k, x) &&
	    (!r->cscratch || mxlab_client_config_set(r->cscratch, k, x, e, sizeof e) != MXLAB_OK)) {
		sc_rd_err(r, line, "%s", r->cscratch ? e : "out of memory");
		r->cl_bad = 1;
	}
	free(x);
}

void
sc_rd_probe_line(struct rd *r, int line, char *t)
{
	static const char *const keys[] = { "service", "name", "sni", "pki", "ca-file",
					     "implicit-tls", "timeout", NULL };
	struct sc_client *pr = &r->sc->probes[r->sc->nprobes - 1];
	char e[600], *k, *v;
	size_t i;
	unsigned ms;

	if (sc_rd_kv_split(r, line, t, &k, &v) < 0 || key_syntax(r, line, k) < 0)
		return;
	for (i = 0; keys[i] && strcmp(keys[i], k); i++)
		;
	if (!keys[i]) {
		sc_rd_err(r, line, "%s: unknown key in [probe] (service, name, sni, pki, "
		       "ca-file, implicit-tls, timeout)", k);
		return;
	}
	if (sc_vars_check(v, NULL, e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s: %s", k, e);
		return;
	}
	if (!strcmp(k, "service") && sc_service_check(v, e, sizeof e) < 0) {
		sc_rd_err(r, line, "service: %s", e);
		return;
	}
	if (!strcmp(k, "implicit-tls") && strcmp(v, "yes") && strcmp(v, "no")) {
		sc_rd_err(r, line, "implicit-tls: bad value '%.60s' (yes or no)", v);
		return;
	}
	if (!strcmp(k, "timeout") && sc_duration_parse(v, &ms, e, sizeof e) < 0) {
		sc_rd_err(r, line, "timeout: %s", e);
		return;
	}
	if (kv_push(&pr->kv, &pr->nkv, line, k, v) < 0)
		r->oom = 1;
}

void
sc_rd_sasl_line(struct rd *r, int line, char *t)
{
	struct sc_sasl *sa = &r->sc->sasl;
	char *k, *v;

	if (sc_rd_kv_split(r, line, t, &k, &v) < 0)
		return;
	if (!strcmp(k, "backend")) {
		if (strcmp(v, "cyrus")) {
			sc_rd_err(r, line, "backend: bad value '%.60s' (cyrus)", v);
			return;
		}
		free(sa->backend);
		if (!(sa->backend = strdup(v)))
			r->oom = 1;
	} else if (!strcmp(k, "user")) {
		const char *colon = strchr(v, ':');

		r->sasl_user_line = line;
		if (!colon || colon == v || !colon[1] || strpbrk(v, " \t@")) {
			sc_rd_err(r, line, "user: bad value '%.60s' (NAME:PASSWORD, no spaces, "
			       "no '@': the realm is the instance's)", v);
			return;
		}
		if (sc_rd_push_str(&sa->users, &sa->nusers, v) < 0)
			r->oom = 1;
	} else if (!strcmp(k, "mechanisms")) {
		for (const char *p = v; *p; p++)
			if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-' || *p == ' ')) {
				sc_rd_err(r, line, "mechanisms: bad value '%.60s' (such as PLAIN LOGIN)", v);
				return;
			}
		free(sa->mechanisms);
		if (!(sa->mechanisms = strdup(v)))
			r->oom = 1;
	} else
		sc_rd_err(r, line, "%s: unknown key in [sasl] (backend, user, mechanisms)", k);
}

void
sc_rd_expect_line(struct rd *r, int line, char *t)
{
	struct ref ref;
	char e[600], *k, *v;
	size_t n;

	if (sc_rd_kv_split(r, line, t, &k, &v) < 0)
		return;
	r->nexpect++;
	if (sc_vars_check(k, "[expect]", e, sizeof e) < 0 ||
	    sc_vars_check(v, "[expect]", e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s", e);
		return;
	}
	if (ex_parse(r->sc->expect, line, k, v, e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s", e);
		return;
	}
	if (kv_push(&r->sc->expect_kv, &r->sc->nexpect_kv, line, k, v) < 0) {
		r->oom = 1;
		return;
	}
	if (!strncmp(k, "server", 6) && (k[6] == ' ' || k[6] == '\t')) {
		ref.kind = 0;
		k += 6;
	} else if (!strncmp(k, "client", 6) && (k[6] == ' ' || k[6] == '\t')) {
		ref.kind = 1;
		k += 6;
	} else if (!strncmp(k, "probe", 5) && (k[5] == ' ' || k[5] == '\t')) {
		ref.kind = 2;
		k += 5;
	} else
		return;
	k += strspn(k, " \t");
	n = strcspn(k, " \t");
	ref.line = line;
	if (!(ref.name = strndup(k, n)) || sc_rd_push(&r->refs, &r->nrefs, sizeof ref, &ref) < 0) {
		free(ref.name);
		r->oom = 1;
	}
}

void
sc_rd_scenario_line(struct rd *r, int line, char *t)
{
	char *k, *v;

	if (sc_rd_kv_split(r, line, t, &k, &v) < 0)
		return;
	if (r->suite && (!strcmp(k, "seed") || !strcmp(k, "mta-sts-cache")))
		sc_rd_err(r, line, "%s: belongs in a scenario, not in a suite", k);
	else
		table_line(r, line, "[scenario]", scenario_keys,
			   sizeof scenario_keys / sizeof scenario_keys[0], r->once_sc, k, v);
}

void
sc_rd_send_line(struct rd *r, int line, char *t)
{
	char *k, *v;

	if (sc_rd_kv_split(r, line, t, &k, &v) == 0)
		table_line(r, line, "[send]", send_keys,
			   sizeof send_keys / sizeof send_keys[0], r->once_send, k, v);
}

mxlab_err
sc_server_config(const struct scenario *sc, const struct sc_server *srv,
		 const struct sc_vars *v, mxlab_server_config **out,
		 int *line, char *err, size_t errlen)
{
	mxlab_server_config *cfg = mxlab_server_config_new();
	mxlab_err rc = MXLAB_OK;
	char *x;

	*out = NULL;
	if (line)
		*line = srv->line;
	if (!cfg) {
		snprintf(err, errlen, "out of memory");
		return MXLAB_ERR_NOMEM;
	}
	if (v && v->pki)
		rc = mxlab_server_config_set(cfg, "pki", v->pki, err, errlen);
	for (size_t i = 0; i < srv->nkv && rc == MXLAB_OK; i++) {
		if (line)
			*line = srv->kv[i].line;
		if (!(x = sc_expand(sc, v, srv->kv[i].value))) {
			snprintf(err, errlen, "out of memory");
			rc = MXLAB_ERR_NOMEM;
			break;
		}
		rc = sc_peer_set(sc, 1, cfg, srv->kv[i].key, x, err, errlen);
		free(x);
	}
	if (rc == MXLAB_OK) {
		if (line)
			*line = srv->line;
		rc = mxlab_server_config_check(cfg, err, errlen);
	}
	if (rc != MXLAB_OK) {
		mxlab_server_config_free(cfg);
		return rc;
	}
	*out = cfg;
	return MXLAB_OK;
}
