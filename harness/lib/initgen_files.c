/*
 * initgen_files.c: what suite.scn must add for `mxlab init`'s scenarios to
 * run: the files outside the configuration directory that the
 * configuration names ([files]: /etc/mailname, alias tables outside it,
 * certificates that are not certbot's; certbot's and CA files the runner
 * provides itself), and what must be neutralised (relayhost, content
 * filters, milters, a mynetworks without 127.0.0.1, a SASL type other than
 * Cyrus, no CA file for secure), each with why.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initgen_int.h"

/* ---------------------------------------------------------------- [files] */

static int
add_ref(struct ig *g, const char *path, const char *value, const char *why, const char *content,
	int commented)
{
	struct ig_fileref *nv;

	for (size_t i = 0; i < g->nfiles; i++)
		if (!strcmp(g->files[i].path, path))
			return 0;
	if (!(nv = realloc(g->files, (g->nfiles + 1) * sizeof *nv)))
		return ig_fail(g, "out of memory");
	g->files = nv;
	nv += g->nfiles;
	memset(nv, 0, sizeof *nv);
	snprintf(nv->path, sizeof nv->path, "%s", path);
	snprintf(nv->value, sizeof nv->value, "%s", value);
	snprintf(nv->why, sizeof nv->why, "%s", why);
	nv->commented = commented;
	if (content && !(nv->content = strdup(content)))
		return ig_fail(g, "out of memory");
	g->nfiles++;
	return 0;
}

/* A name for a file beside suite.scn, not taken yet. */
static void
local_name(const struct ig *g, const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int taken = !strcmp(base, "suite.scn") || !strcmp(base, "inbound") ||
		    !strcmp(base, "outbound") || !*base;

	for (size_t i = 0; i < g->nfiles; i++)
		taken |= !strcmp(g->files[i].value + 5, base) && !strncmp(g->files[i].value, "file:", 5);
	if (!taken) {
		snprintf(buf, len, "%s", base);
		return;
	}
	snprintf(buf, len, "files%s", path);
	for (char *c = buf; *c; c++)
		if (*c == '/')
			*c = '-';
}

static int
under_config(const struct ig *g, const char *path)
{
	for (const char *const *d = g->in->config_dirs; d && *d; d++) {
		size_t n = strlen(*d);

		if (n && !strncmp(path, *d, n) && path[n] == '/')
			return 1;
	}
	return 0;
}

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* One path a parameter names. */
static int
file_token(struct ig *g, const char *param, const char *at, const char *type, const char *path)
{
	static const char *const map_types[] = { "hash", "btree", "lmdb", "cdb", "dbm", "sdbm",
						 "texthash", "regexp", "pcre", "cidr", NULL };
	char why[256], name[300], value[600];
	int is_map = 0;

	if (under_config(g, path) || !strncmp(path, "/etc/letsencrypt/live/", 22) ||
	    ends_with(param, "_CAfile") || !strncmp(path, "/dev/", 5) || !strncmp(path, "/usr/", 5))
		return 0;
	for (const char *const *t = map_types; type && *t; t++)
		is_map |= !strcmp(*t, type);
	snprintf(why, sizeof why, "%s (%s)", param, at);
	if (is_map) {
		int aliases = !strcmp(param, "alias_maps") || !strcmp(param, "alias_database");
		char content[700];

		local_name(g, path, name, sizeof name);
		snprintf(value, sizeof value, "file:%s", name);
		snprintf(content, sizeof content, IG_MARK ": %s for the suite (the server's\n"
			 "# own is not in the configuration directory).%s\n", path,
			 aliases ? " Edit to taste." : " An empty table.");
		if (aliases)
			snprintf(content + strlen(content), sizeof content - strlen(content),
				 "postmaster: root\n");
		return add_ref(g, path, value, why, content, 0);
	}
	if (type)
		return ig_note(g, "%s: %s = %s:%s: a %s: table outside the configuration "
			       "directory: provide it in [files]", at, param, type, path, type);
	if (!strcmp(param, "myorigin") || !strcmp(param, "mydomain"))
		return add_ref(g, path, g->myhostname, why, NULL, 0);
	if (strstr(param, "_tls_") && (strstr(param, "_file") || strstr(param, "chain_files"))) {
		int key = strstr(param, "key") || ends_with(path, ".key") || strstr(path, "privkey") ||
			  strstr(path, "/private/");

		snprintf(value, sizeof value, "${pki}/%s/good/%s", g->main_cert[0] ? g->main_cert :
			 g->myhostname, key ? "leaf.key" : "fullchain.pem");
		return add_ref(g, path, value, why, NULL, 0);
	}
	if (!strstr(param, "_file"))
		return 0;
	if (ig_note(g, "%s: %s = %s: a file outside the configuration directory: see "
		    "[files] in suite.scn", at, param, path) < 0)
		return -1;
	snprintf(value, sizeof value, "file:%s", path + 1);
	return add_ref(g, path, value, why, NULL, 1);
}

static int
scan_value(struct ig *g, const char *param, const char *value, const char *at)
{
	for (const char *s = value; *s; ) {
		char tok[1024], *path, *type = NULL;
		size_t n;

		s += strspn(s, " \t,");
		n = strcspn(s, " \t,");
		if (!n)
			break;
		snprintf(tok, sizeof tok, "%.*s", (int)(n < sizeof tok ? n : sizeof tok - 1), s);
		s += n;
		if (strchr(tok, '$') || strchr(tok, '{'))
			continue;
		path = tok;
		while (!strncmp(path, "proxy:", 6))
			path += 6;
		if (path[0] != '/') {
			char *colon = strchr(path, ':');

			if (!colon || colon[1] != '/')
				continue;
			*colon = '\0';
			type = path;
			path = colon + 1;
		}
		if (file_token(g, param, at, type, path) < 0)
			return -1;
	}
	return 0;
}

/* ---------------------------------------------------------------- neutral */

static int
neutral(struct ig *g, const char *line, const char *why)
{
	struct ig_neutral *nv = realloc(g->neutral, (g->nneutral + 1) * sizeof *nv);

	if (!nv)
		return ig_fail(g, "out of memory");
	g->neutral = nv;
	snprintf(nv[g->nneutral].line, sizeof nv->line, "%s", line);
	snprintf(nv[g->nneutral].why, sizeof nv->why, "%s", why);
	g->nneutral++;
	return 0;
}

static const struct {
	const char *param;
	const char *why;
} stoppers[] = {
	{ "relayhost", "would send every message there, not to the destinations' MX hosts "
	  "that the outbound checks stand in for" },
	{ "content_filter", "hands mail to a filter that does not run in the sandbox: "
	  "mail would stay in the queue" },
	{ "smtpd_proxy_filter", "hands SMTP sessions to a filter that does not run in the sandbox" },
	{ "smtpd_milters", "names milters that do not run in the sandbox" },
	{ "non_smtpd_milters", "names milters that do not run in the sandbox" },
};

/* An smtpd service's entry with the -o overrides that stop mail emptied. */
static int
master_override(struct ig *g, const struct pcr_service *s)
{
	char *e, **nv;
	int hit = 0;

	for (size_t k = 0; k < sizeof stoppers / sizeof stoppers[0]; k++) {
		const struct pcr_param *o;

		if (*pcr_svc_value(g->c, s, stoppers[k].param, &o) && o)
			hit = 1;
	}
	if (!hit)
		return 0;
	if (strstr(s->entry, "${") || strstr(s->entry, "{ "))
		return ig_note(g, "master.cf:%d: service %s hands mail to a filter or milter; its "
			       "entry cannot be rewritten by init: neutralise it in suite.scn by hand",
			       s->line, s->name);
	if (!(e = strdup(s->entry)))
		return ig_fail(g, "out of memory");
	for (size_t k = 0; k < sizeof stoppers / sizeof stoppers[0]; k++) {
		char pat[64], *p;

		snprintf(pat, sizeof pat, "-o %s=", stoppers[k].param);
		if ((p = strstr(e, pat))) {
			char *q = p + strlen(pat), *end = q + strcspn(q, " \t");

			memmove(q, end, strlen(end) + 1);
		}
	}
	if (!(nv = realloc(g->master_override, (g->nmaster_override + 1) * sizeof *nv))) {
		free(e);
		return ig_fail(g, "out of memory");
	}
	g->master_override = nv;
	nv[g->nmaster_override++] = e;
	return 0;
}

static int
find_neutral(struct ig *g)
{
	const struct pcr_param *p;
	char line[1200], why[400], at[96];
	int sasl = 0, verify = 0;

	for (size_t k = 0; k < sizeof stoppers / sizeof stoppers[0]; k++) {
		if (!(p = pcr_set(g->c, stoppers[k].param)) || !*p->value)
			continue;
		ig_param_at(g, p->name, at, sizeof at);
		snprintf(why, sizeof why, "%s = %s (%s) %s.", p->name, p->value, at, stoppers[k].why);
		snprintf(line, sizeof line, "%s =", p->name);
		if (neutral(g, line, why) < 0)
			return -1;
	}
	if ((p = pcr_set(g->c, "mynetworks")) && !strstr(p->value, "127.")) {
		ig_param_at(g, "mynetworks", at, sizeof at);
		snprintf(why, sizeof why, "mynetworks (%s) does not hold 127.0.0.1, where the "
			 "scenarios inject mail from: it must be allowed to relay.", at);
		snprintf(line, sizeof line, "mynetworks = 127.0.0.0/8, %s", p->value);
		if (neutral(g, line, why) < 0)
			return -1;
	}
	for (size_t i = 0; i < g->nsvc; i++)
		sasl |= g->svc[i].sasl;
	if (sasl && strcmp(pcr_value(g->c, "smtpd_sasl_type"), "cyrus")) {
		ig_param_at(g, "smtpd_sasl_type", at, sizeof at);
		snprintf(why, sizeof why, "smtpd_sasl_type = %s (%s): the suite's [sasl] users live "
			 "in a Cyrus sasldb.", pcr_value(g->c, "smtpd_sasl_type"), at);
		if (neutral(g, "smtpd_sasl_type = cyrus", why) < 0)
			return -1;
	}
	for (size_t i = 0; i < g->npeer; i++)
		verify |= !strcmp(g->peer[i].pol.level, "secure") ||
			  !strcmp(g->peer[i].pol.level, "verify");
	if (verify && !*pcr_value(g->c, "smtp_tls_CAfile")) {
		snprintf(why, sizeof why, "No smtp_tls_CAfile: the secure and verify checks trust "
			 "the suite's test root from a CA file (the configuration's own trust "
			 "anchors stay too).");
		if (neutral(g, "smtp_tls_CAfile = ${pki}/ca/root.crt", why) < 0)
			return -1;
	}
	for (size_t i = 0; i < g->c->nsvc; i++)
		if (!strcmp(g->c->svc[i].type, "inet") && !strcmp(g->c->svc[i].command, "smtpd") &&
		    master_override(g, &g->c->svc[i]) < 0)
			return -1;
	return 0;
}

int
ig_files_scan(struct ig *g)
{
	for (size_t i = 0; i < g->c->nset; i++) {
		const struct pcr_param *p = &g->c->set[i];
		char at[96];

		if (ends_with(p->name, "_directory") || ends_with(p->name, "_path") ||
		    ends_with(p->name, "_command") || ends_with(p->name, "_CApath") ||
		    !strncmp(p->name, "maillog_file", 12))
			continue;
		ig_param_at(g, p->name, at, sizeof at);
		if (scan_value(g, p->name, p->value, at) < 0)
			return -1;
	}
	for (size_t i = 0; i < g->c->nsvc; i++) {
		const struct pcr_service *s = &g->c->svc[i];

		for (size_t k = 0; k < s->nopts; k++) {
			char at[96];

			snprintf(at, sizeof at, "master.cf:%d", s->opts[k].line);
			if (!ends_with(s->opts[k].name, "_directory") &&
			    scan_value(g, s->opts[k].name, s->opts[k].value, at) < 0)
				return -1;
		}
	}
	return find_neutral(g);
}
