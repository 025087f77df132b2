/*
 * pfrefs.c: the files a Postfix configuration refers to (see pfrefs.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfrefs.h"

static const char *const indexed_types[] = { "hash", "btree", "lmdb", "cdb", "dbm", "sdbm", NULL };
static const char *const file_types[] = {
	"texthash", "pcre", "regexp", "cidr", "mysql", "pgsql", "ldap", "sqlite", "memcache", NULL
};
/* Lists whose "/file/name" entries are files (Postfix reads them). */
static const char *const file_lists[] = {
	"myorigin", "mydestination", "relay_domains", "virtual_alias_domains",
	"virtual_mailbox_domains", "mynetworks", "permit_mx_backup_networks", NULL
};

static int
in(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (!strcmp(s, *list))
			return 1;
	return 0;
}

static int
ends(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && !strcmp(s + a - b, suffix);
}

/* Postfix's own caches and the sandbox's files: not references. */
static int
not_a_reference(const char *name)
{
	return strstr(name, "cache") != NULL || !strcmp(name, "address_verify_map") ||
	       !strcmp(name, "maillog_file") || ends(name, "_directory") ||
	       ends(name, "_path") || !strcmp(name, "import_environment") ||
	       !strcmp(name, "export_environment");
}

static int
add(struct cf_refs *out, enum cf_ref_kind kind, const char *path, const char *what,
    const char *maptype, const char *origin, int line)
{
	struct cf_ref *nr = realloc(out->r, (out->n + 1) * sizeof *nr);

	if (!nr)
		return -1;
	out->r = nr;
	nr += out->n;
	memset(nr, 0, sizeof *nr);
	nr->kind = kind;
	nr->origin = origin;
	nr->line = line;
	nr->nfiles = 1;
	if (!(nr->path = strdup(path)) || !(nr->what = strdup(what)) ||
	    (maptype && !(nr->maptype = strdup(maptype)))) {
		free(nr->path);
		free(nr->what);
		return -1;
	}
	out->n++;
	return 0;
}

/* One token of a value: "type:/path" (proxy: looked through), or a path. */
static int
token(struct cf_refs *out, const char *name, const char *tok, const char *what,
      const char *origin, int line, int list_files)
{
	const char *colon;
	char type[64];

	while (!strncmp(tok, "proxy:", 6))
		tok += 6;
	if (tok[0] == '/')
		return list_files ? add(out, CF_REF_FILE, tok, what, NULL, origin, line) : 0;
	if (!(colon = strchr(tok, ':')) || colon[1] != '/' || (size_t)(colon - tok) >= sizeof type)
		return 0;
	snprintf(type, sizeof type, "%.*s", (int)(colon - tok), tok);
	if (in(type, indexed_types)) {
		if (add(out, CF_REF_MAP, colon + 1, what, type, origin, line) < 0)
			return -1;
		out->r[out->n - 1].alias = !strcmp(name, "alias_database");
		out->r[out->n - 1].sni = !strcmp(name, "tls_server_sni_maps");
		return 0;
	}
	if (in(type, file_types))
		return add(out, CF_REF_FILE, colon + 1, what, NULL, origin, line);
	return 0;
}

/* One parameter (from main.cf or a service's -o) with its expanded value. */
static int
param(struct cf_refs *out, const struct cf_main *m, const char *const *defaults,
      const char *name, const char *value, const char *what, const char *origin, int line)
{
	enum cf_ref_kind kind;
	char *v, *save = NULL;
	int r = 0, single = 1;

	if (not_a_reference(name))
		return 0;
	if (!(v = cf_expand(m, defaults, value)))
		return 0;	/* cannot be known here */
	if (ends(name, "_tls_cert_file") || ends(name, "_tls_dcert_file") ||
	    ends(name, "_tls_eccert_file"))
		kind = CF_REF_CERT;
	else if (ends(name, "_tls_key_file") || ends(name, "_tls_dkey_file") ||
		 ends(name, "_tls_eckey_file"))
		kind = CF_REF_KEY;
	else if (ends(name, "_tls_CAfile"))
		kind = CF_REF_CA;
	else if (ends(name, "_tls_chain_files")) {
		kind = CF_REF_CHAIN;
		single = 0;
	} else {
		int list_files = in(name, file_lists) || ends(name, "_file") || ends(name, "_files");

		for (char *t = strtok_r(v, " \t,{}", &save); t && r == 0; t = strtok_r(NULL, " \t,{}", &save))
			r = token(out, name, t, what, origin, line, list_files);
		free(v);
		return r;
	}
	if (single) {
		if (v[0] == '/')
			r = add(out, kind, v, what, NULL, origin, line);
	} else {
		size_t first = out->n;
		int n = 0;

		for (char *t = strtok_r(v, " \t,", &save); t && r == 0; t = strtok_r(NULL, " \t,", &save))
			if (t[0] == '/' && (r = add(out, kind, t, what, NULL, origin, line)) == 0)
				out->r[out->n - 1].index = n++;
		for (size_t i = first; i < out->n; i++)
			out->r[i].nfiles = n;
	}
	free(v);
	return r;
}

int
cf_refs_find(struct cf_refs *out, const struct cf_main *m, const struct cf_master *ms,
	     const char *const *defaults)
{
	for (size_t i = 0; i < m->n; i++) {
		const struct cf_def *d = &m->defs[i];

		if (cf_main_get(m, d->name) != d)
			continue;	/* replaced later */
		if (param(out, m, defaults, d->name, d->value, d->name, d->origin, d->line) < 0)
			return -1;
	}
	for (size_t s = 0; ms && s < ms->n; s++) {
		const struct cf_service *sv = &ms->sv[s];

		for (size_t a = 0; a < sv->nargs; a++) {
			const char *o = sv->args[a], *eq;
			char name[256], what[700];

			if (strncmp(o, "-o ", 3) != 0 || !(eq = strchr(o + 3, '=')) ||
			    (size_t)(eq - o - 3) >= sizeof name)
				continue;
			snprintf(name, sizeof name, "%.*s", (int)(eq - o - 3), o + 3);
			snprintf(what, sizeof what, "%s %s -o %s", sv->f[0], sv->f[1], name);
			if (param(out, m, defaults, name, eq + 1, what, sv->origin, sv->line) < 0)
				return -1;
		}
	}
	return 0;
}

int
cf_refs_sni(struct cf_refs *out, const char *text, const char *origin, const char *map_what)
{
	char key[1024] = "", what[1100] = "";
	size_t first = out->n;
	int line = 0, n = 0;

	/* Postfix's logical lines: a line that starts with white space
	 * continues the entry before it (its files go on there); comments and
	 * blank lines end nothing. */
	for (const char *p = text; p && *p;) {
		size_t len = strcspn(p, "\n");
		char buf[4096], *save = NULL, *t, *s;
		int more;

		line++;
		snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf - 1 ? len : sizeof buf - 1), p);
		p += len + (p[len] == '\n');
		s = buf + strspn(buf, " \t\r");
		if (!*s || *s == '#')
			continue;
		more = s != buf;
		if (!more) {
			t = strtok_r(buf, " \t\r", &save);
			snprintf(key, sizeof key, "%s", t);
			snprintf(what, sizeof what, "%s entry %s", map_what, key);
			first = out->n;
			n = 0;
		} else if (!key[0])
			continue;
		while ((t = strtok_r(more ? s : NULL, " \t,\r", &save)) != NULL) {
			more = 0;
			if (t[0] != '/')
				continue;
			if (add(out, CF_REF_CHAIN, t, what, NULL, origin, line) < 0 ||
			    !(out->r[out->n - 1].name = strdup(key)))
				return -1;
			out->r[out->n - 1].index = n++;
		}
		for (size_t i = first; i < out->n; i++)
			out->r[i].nfiles = n;
	}
	return 0;
}

void
cf_refs_free(struct cf_refs *refs)
{
	for (size_t i = 0; i < refs->n; i++) {
		free(refs->r[i].path);
		free(refs->r[i].what);
		free(refs->r[i].maptype);
		free(refs->r[i].name);
	}
	free(refs->r);
	refs->r = NULL;
	refs->n = 0;
}

int
cf_certbot_path(const char *path, char *name, size_t namelen, char *base, size_t baselen)
{
	static const char *const bases[] = { "cert", "chain", "fullchain", "privkey", NULL };
	const char *live = NULL, *p, *slash, *file;

	for (p = strstr(path, "/live/"); p; p = strstr(p + 1, "/live/"))
		live = p;
	if (!live)
		return 0;
	p = live + 6;
	if (!(slash = strchr(p, '/')) || slash == p || strchr(slash + 1, '/'))
		return 0;
	file = slash + 1;
	if (!ends(file, ".pem"))
		return 0;
	snprintf(base, baselen, "%.*s", (int)(strlen(file) - 4), file);
	if (!in(base, bases))
		return 0;
	snprintf(name, namelen, "%.*s", (int)(slash - p), p);
	return 1;
}
