/*
 * initgen_files.c: what suite.scn must add for `mxlab init`'s scenarios to
 * run: the files the configuration names outside its directory, found the
 * way the runner finds them (pfrefs.h), that the runner does not provide
 * itself ([files]: /etc/mailname, tables and lists outside it; the runner
 * provides certificates, keys and CA files), a note for those missing
 * inside it; and what must be neutralised (relayhost, content filters,
 * milters, a mynetworks without 127.0.0.1, no CA file for secure and
 * verify, TLS log levels of 0, under which the lines the checks read are
 * not logged), each with why. (The runner itself makes [sasl] Cyrus.)
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initgen_int.h"
#include "pfrefs.h"

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

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && !strcmp(s + n - t, tail);
}

/* A name for a file beside suite.scn, not taken yet. */
static void
local_name(const struct ig *g, const char *path, char *buf, size_t len)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	int taken = !strcmp(base, "suite.scn") || !strcmp(base, "inbound") ||
		    !strcmp(base, "outbound") || !*base || ends_with(base, ".scn");

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
under(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return n && !strncmp(path, dir, n) && (path[n] == '/' || !path[n]);
}

static int
under_config(const struct ig *g, const char *path)
{
	for (const char *const *d = g->in->config_dirs; d && *d; d++)
		if (under(path, *d))
			return 1;
	return 0;
}

/* The table type a value gives path ("pcre" of "pcre:/x/y"), from every
 * main.cf value and -o override, or "". */
static void
table_type(const struct ig *g, const char *path, char *type, size_t len)
{
	size_t pl = strlen(path);

	type[0] = '\0';
	for (size_t i = 0; i < g->c->nall + g->c->nsvc && !type[0]; i++) {
		const char *v = i < g->c->nall ? g->c->all[i].value : "";
		const struct pcr_service *s = i < g->c->nall ? NULL : &g->c->svc[i - g->c->nall];

		for (size_t k = 0; k <= (s ? s->nopts : 0) && !type[0]; k++) {
			const char *hit;

			if (s && k < s->nopts)
				v = s->opts[k].value;
			else if (s)
				break;
			for (hit = strstr(v, path); hit && !type[0]; hit = strstr(hit + 1, path)) {
				const char *t = hit - 1;

				if (hit == v || *t != ':' || (hit[pl] && !strchr(" \t,}", hit[pl])))
					continue;
				while (t > v && (isalnum((unsigned char)t[-1]) || t[-1] == '_'))
					t--;
				if ((size_t)(hit - 1 - t) < len)
					snprintf(type, len, "%.*s", (int)(hit - 1 - t), t);
			}
		}
	}
}

/* One MAP or FILE reference outside the configuration directory. */
static int
outside_ref(struct ig *g, const struct cf_ref *r, const char *at)
{
	static const char *const tables[] = { "texthash", "pcre", "regexp", "cidr", NULL };
	static const char *const lists[] = { "mydestination", "relay_domains",
		"virtual_alias_domains", "virtual_mailbox_domains", "mynetworks",
		"permit_mx_backup_networks", NULL };
	char why[400], name[300], value[600], type[32], content[900];
	int table = r->kind == CF_REF_MAP, list = 0;
	int alias = r->alias || !strcmp(r->what, "alias_maps");

	snprintf(why, sizeof why, "%s (%s)", r->what, at);
	if (!strcmp(r->what, "myorigin"))
		return add_ref(g, r->path, g->myhostname, why, NULL, 0);
	table_type(g, r->path, type, sizeof type);
	for (const char *const *t = tables; *t; t++)
		table |= !strcmp(type, *t);
	for (const char *const *l = lists; *l; l++)
		list |= !strcmp(r->what, *l);
	if (!table && !list) {
		if (ig_note(g, "%s: %s names %s, outside the configuration directory: give it "
			    "in suite.scn's [files]", at, r->what, r->path) < 0)
			return -1;
		snprintf(value, sizeof value, "file:%s", strrchr(r->path, '/') + 1);
		return add_ref(g, r->path, value, why, NULL, 1);
	}
	local_name(g, r->path, name, sizeof name);
	snprintf(value, sizeof value, "file:%s", name);
	snprintf(content, sizeof content, IG_MARK ": %s for the suite (the server's\n"
		 "# own is not in the configuration directory).%s\n", r->path,
		 alias ? " Edit to taste." : list ? " An empty list." : " An empty table.");
	if (alias)
		snprintf(content + strlen(content), sizeof content - strlen(content),
			 "postmaster: root\n");
	return add_ref(g, r->path, value, why, content, 0);
}

/* The files the configuration names, as the runner finds them (pfrefs.h):
 * certificates, keys and CA files it provides itself; inside the
 * configuration directory a file must be there; outside it, [files]. */
static int
scan_refs(struct ig *g)
{
	static const char *const host[] = { "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64",
					     "/libx32", "/proc", "/dev", "/sys", NULL };
	const char **defaults = calloc(2 * g->c->nall + 3, sizeof *defaults);
	struct cf_refs refs = { 0 };
	int r = 0;

	if (!defaults)
		return ig_fail(g, "out of memory");
	defaults[0] = "config_directory";
	defaults[1] = g->in->config_dirs[0];
	for (size_t i = 0, k = 2; i < g->c->nall; i++, k += 2) {
		defaults[k] = g->c->all[i].name;
		defaults[k + 1] = g->c->all[i].value;
	}
	if (cf_refs_find(&refs, &g->c->main_cf, &g->c->master_cf, defaults) < 0)
		r = ig_fail(g, "out of memory");
	for (size_t i = 0; !r && i < refs.n; i++) {
		const struct cf_ref *f = &refs.r[i];
		char at[96], *text = NULL, err[256];
		int skip = f->kind != CF_REF_MAP && f->kind != CF_REF_FILE;

		for (const char *const *h = host; *h; h++)
			skip |= under(f->path, *h);
		if (skip)
			continue;
		snprintf(at, sizeof at, "%s:%d", f->origin, f->line);
		if (!under_config(g, f->path))
			r = outside_ref(g, f, at);
		else if (g->in->read(g->in->ctx, f->path + strlen(g->in->config_dirs[0]) + 1, &text,
				     err, sizeof err) < 0)
			r = ig_note(g, "%s: %s names %s, which is not in the configuration "
				    "directory (%s): mxlab run stops until it is there", at, f->what,
				    f->path, err);
		free(text);
	}
	cf_refs_free(&refs);
	free(defaults);
	return r;
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
	int verify = 0;

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
	/* The checks read Postfix's TLS lines, which level 0 does not log. */
	if (g->npeer && atoi(pcr_value(g->c, "smtp_tls_loglevel")) < 1) {
		ig_param_at(g, "smtp_tls_loglevel", at, sizeof at);
		snprintf(why, sizeof why, "smtp_tls_loglevel = %s (%s) logs no TLS connection: the "
			 "outbound checks read Postfix's \"... TLS connection established\" lines.",
			 pcr_value(g->c, "smtp_tls_loglevel"), at);
		if (neutral(g, "smtp_tls_loglevel = 1", why) < 0)
			return -1;
	}
	if (g->nsvc && atoi(pcr_value(g->c, "smtpd_tls_loglevel")) < 1) {
		ig_param_at(g, "smtpd_tls_loglevel", at, sizeof at);
		snprintf(why, sizeof why, "smtpd_tls_loglevel = %s (%s) logs no TLS handshake: the "
			 "protocol checks read smtpd's \"SSL_accept error\" lines.",
			 pcr_value(g->c, "smtpd_tls_loglevel"), at);
		if (neutral(g, "smtpd_tls_loglevel = 1", why) < 0)
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
	if (scan_refs(g) < 0)
		return -1;
	return find_neutral(g);
}
