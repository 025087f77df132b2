/*
 * runner_provide.c: the files a user's configuration names, made real
 * inside the sandbox (see runner_config.c for the steps).
 *
 * What is provided, by reference kind (pfrefs.h), when [files] does not
 * say otherwise ([files] always wins):
 *   CA                 the PKI's test root (ca/root.crt), wherever it is
 *   CERT, KEY, CHAIN   outside the configuration's directory (inside, it
 *                      must be there, or [files] give it): the certbot layout .../live/NAME/{cert,chain,
 *                      fullchain,privkey}.pem as NAME's leaf, the
 *                      intermediate, leaf + intermediate, and key; any
 *                      other path as the certificate (leaf + intermediate)
 *                      or key of the name it serves (the tls_server_sni_maps
 *                      key, else myhostname); a chain file alone in its list
 *                      as key + leaf + intermediate
 *   MAP, FILE          nothing: inside the configuration's directory they
 *                      must be in it, elsewhere [files] must give them
 * Names the certificates are for are added to the PKI's hosts.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "runner_int.h"

/* The host trees a provided file cannot go into (read-only binds). */
static const char *const no_go[] = {
	"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/dev", "/sys", NULL
};

static int
add_host(struct rn_conf *c, const char *name)
{
	char **nh;

	for (size_t i = 0; i < c->npki_hosts; i++)
		if (!strcmp(c->pki_hosts[i], name))
			return 0;
	if (!(nh = realloc(c->pki_hosts, (c->npki_hosts + 1) * sizeof *nh)))
		return -1;
	c->pki_hosts = nh;
	return (nh[c->npki_hosts] = strdup(name)) ? (int)(c->npki_hosts++, 0) : -1;
}

static int
add_private(struct rn_conf *c, const char *top)
{
	const char **nd;

	for (size_t i = 0; i < c->nprivate; i++)
		if (!strcmp(c->private_dirs[i], top))
			return 0;
	if (!(nd = realloc(c->private_dirs, (c->nprivate + 2) * sizeof *nd)))
		return -1;
	c->private_dirs = nd;
	if (!(nd[c->nprivate] = strdup(top)))
		return -1;
	nd[++c->nprivate] = NULL;
	return 0;
}

/* Can the sandbox show a file at path? NULL, or why not. Paths outside
 * /etc, /var, /tmp, /run and the configuration get a private top-level
 * directory. */
static const char *
placeable(struct box *b, const char *path, const char *cfgdir)
{
	const struct pf_system *sys = b->a->sys;
	char top[256];
	size_t n;

	if (rn_path_inside(path, cfgdir))
		return b->conf.on ? NULL : "without postfix-config, the instance's configuration is "
		       "not there but in ${instance}/etc, and the system's is covered";
	for (const char *const *t = no_go; *t; t++)
		if (rn_path_inside(path, *t))
			return "that tree is the host's, read-only, in the sandbox";
	if (rn_path_inside(path, sys->v[PF_SYS_QUEUE_DIR]) ||
	    rn_path_inside(path, sys->v[PF_SYS_DATA_DIR]) ||
	    rn_path_inside(path, sys->v[PF_SYS_MAIL_SPOOL]))
		return "the system's Postfix directories are covered in the sandbox";
	if (rn_path_inside(path, "/etc") || rn_path_inside(path, "/var") ||
	    rn_path_inside(path, "/tmp") || rn_path_inside(path, "/run"))
		return NULL;
	n = strcspn(path + 1, "/");
	if (path[1 + n] != '/' || n + 2 > sizeof top)
		return "a file directly in / cannot be shown";
	snprintf(top, sizeof top, "/%.*s", (int)n, path + 1);
	return add_private(&b->conf, top) < 0 ? "out of memory" : NULL;
}

static const struct rn_provide *
planned(const struct rn_conf *c, const char *path)
{
	for (size_t i = 0; i < c->nprov; i++)
		if (!strcmp(c->prov[i].path, path))
			return &c->prov[i];
	return NULL;
}

static int
plan(struct box *b, const char *path, const char *pki_rel, const struct sc_file *f,
     const char *why)
{
	struct rn_conf *c = &b->conf;
	struct rn_provide *np;
	const char *no = placeable(b, path, b->a->sys->v[PF_SYS_CONFIG_DIR]);

	if (no)
		return rn_box_config_fail(b, "cannot provide %s (%s): %s", path, why, no);
	if (planned(c, path))
		return 0;
	if (!(np = realloc(c->prov, (c->nprov + 1) * sizeof *np)))
		return rn_box_fail(b, "out of memory");
	c->prov = np;
	np += c->nprov;
	memset(np, 0, sizeof *np);
	if (!(np->path = strdup(path)) || (pki_rel && !(np->pki_rel = strdup(pki_rel))) ||
	    !(np->why = strdup(why))) {
		free(np->path);
		free(np->pki_rel);
		return rn_box_fail(b, "out of memory");
	}
	if (f) {
		np->text = f->value;
		np->len = f->len;
	}
	c->nprov++;
	return 0;
}

/* The PKI directory of a host spec's first name ('*' written '_'). */
static void
host_dir(const char *name, char *out, size_t len)
{
	snprintf(out, len, "%s", name);
	for (char *p = out; *p; p++)
		if (*p == '*')
			*p = '_';
}

static int
lower_has(const char *s, const char *sub)
{
	char buf[512];

	snprintf(buf, sizeof buf, "%s", s);
	for (char *p = buf; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p += 'a' - 'A';
	return strstr(buf, sub) != NULL;
}

/* A certificate, key or chain reference: which PKI file, for which name. */
static int
plan_cert(struct box *b, const struct cf_ref *r, const char *myhostname)
{
	char name[256], base[64], dir[300], rel[600], why[1500];
	const char *file;

	if (cf_certbot_path(r->path, name, sizeof name, base, sizeof base)) {
		host_dir(name, dir, sizeof dir);
		if (!strcmp(base, "chain"))
			snprintf(rel, sizeof rel, "ca/intermediate.crt");
		else
			snprintf(rel, sizeof rel, "%s/good/%s", dir, !strcmp(base, "cert") ? "leaf.crt" :
				 !strcmp(base, "privkey") ? "leaf.key" : "fullchain.pem");
	} else {
		const char *slash = strrchr(r->path, '/');

		if (r->name ? mx_path(name, sizeof name, "%s%s", r->name[0] == '.' ? "*" : "", r->name) < 0 :
			      mx_path(name, sizeof name, "%s", myhostname) < 0)
			return rn_box_config_fail(b, "%s:%d: %s: host name too long", r->origin, r->line,
						  r->what);
		host_dir(name, dir, sizeof dir);	/* fits: dir is larger than name */
		if (r->kind == CF_REF_KEY)
			file = "leaf.key";
		else if (r->kind == CF_REF_CERT)
			file = "fullchain.pem";
		else if (r->nfiles <= 1)
			file = "key-chain.pem";
		else
			file = lower_has(slash ? slash : r->path, "key") ||
			       lower_has(slash ? slash : r->path, "priv") ? "leaf.key" : "fullchain.pem";
		snprintf(rel, sizeof rel, "%s/good/%s", dir, file);
	}
	if (add_host(&b->conf, name) < 0)
		return rn_box_fail(b, "out of memory");
	snprintf(why, sizeof why, "PKI %s, for %s (%s:%d)", rel, r->what, r->origin, r->line);
	return plan(b, r->path, rel, NULL, why);
}

static const struct sc_file *
files_entry(const struct scenario *sc, const char *path)
{
	for (size_t i = 0; i < sc->nfiles; i++)
		if (!strcmp(sc->files[i].path, path))
			return &sc->files[i];
	return NULL;
}

/* The file at path as the sandbox will show it, when known before: the
 * copy's, or a [files] text. malloc'ed, or NULL. */
static char *
known_text(struct box *b, const char *path, const char *cfgdir)
{
	const struct sc_file *f = files_entry(b->sc, path);
	char *p = NULL, *t = NULL;
	int fd = -1;

	if (f && f->kind != SC_FILE_PKI)
		return strndup(f->value, f->len);
	if (!rn_path_inside(path, cfgdir) ||
	    asprintf(&p, "%s%s", b->conf.copy, path + strlen(cfgdir)) < 0)
		return NULL;
	/* Before the sandbox is entered: never follow a link of the copy. */
	if ((fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) >= 0 && (t = malloc(1u << 20))) {
		ssize_t n = 0, r;

		while (n < (1 << 20) - 1 && (r = read(fd, t + n, (size_t)((1 << 20) - 1 - n))) > 0)
			n += r;
		t[n] = '\0';
	}
	if (fd >= 0)
		close(fd);
	free(p);
	return t;
}

static int
in_copy(struct box *b, const char *path, const char *cfgdir)
{
	char *p = NULL;
	struct stat st;
	int r;

	if (!rn_path_inside(path, cfgdir) || asprintf(&p, "%s%s", b->conf.copy, path + strlen(cfgdir)) < 0)
		return 0;
	r = lstat(p, &st) == 0;
	free(p);
	return r;
}

int
rn_conf_plan_files(struct box *b)
{
	const struct scenario *sc = b->sc;

	for (size_t i = 0; i < sc->nfiles; i++) {
		const struct sc_file *f = &sc->files[i];
		char why[1400];

		snprintf(why, sizeof why, "[files] %s:%d", f->origin, f->line);
		if (plan(b, f->path, f->kind == SC_FILE_PKI ? f->value : NULL,
			 f->kind == SC_FILE_PKI ? NULL : f, why) < 0)
			return -1;
	}
	return 0;
}

int
rn_conf_plan(struct box *b)
{
	const struct scenario *sc = b->sc;
	const struct pf_system *sys = b->a->sys;
	struct rn_conf *c = &b->conf;
	const char *cfgdir = sys->v[PF_SYS_CONFIG_DIR];
	const char *defaults[] = {
		"config_directory", cfgdir, "queue_directory", sys->v[PF_SYS_QUEUE_DIR],
		"data_directory", sys->v[PF_SYS_DATA_DIR], "daemon_directory", sys->v[PF_SYS_DAEMON_DIR],
		"command_directory", sys->v[PF_SYS_COMMAND_DIR], "meta_directory", sys->v[PF_SYS_META_DIR],
		"shlib_directory", sys->v[PF_SYS_SHLIB_DIR], "mail_owner", sys->v[PF_SYS_MAIL_OWNER],
		NULL,
	};
	struct cf_main m = { 0 };
	struct cf_master ms = { 0 };
	char myhostname[256] = "", *mh;
	int bad = 0;
	size_t n;

	if (cf_main_parse(&m, c->main_text, c->main_origin, 1) < 0 ||
	    cf_master_parse(&ms, c->master_text, c->master_origin, 1) < 0)
		bad = 1;
	for (size_t i = 0; i < b->nml && !bad; i++)
		bad = cf_main_parse(&m, b->ml[i].text, b->ml[i].file, b->ml[i].line) < 0;
	for (size_t i = 0; i < b->nmsl && !bad; i++)
		bad = cf_master_parse(&ms, b->msl[i].text, b->msl[i].file, b->msl[i].line) < 0;
	if (bad || cf_refs_find(&c->refs, &m, &ms, defaults) < 0) {
		bad = rn_box_fail(b, "out of memory");
		goto out;
	}
	if (cf_main_get(&m, "myhostname") && (mh = cf_expand(&m, defaults, cf_main_get(&m, "myhostname")->value))) {
		snprintf(myhostname, sizeof myhostname, "%s", mh);
		free(mh);
	}
	if (!myhostname[0] && gethostname(myhostname, sizeof myhostname - 1) < 0)
		snprintf(myhostname, sizeof myhostname, "localhost");
	/* The tables of tls_server_sni_maps name certificates too. */
	n = c->refs.n;
	for (size_t i = 0; i < n && !bad; i++) {
		const struct cf_ref *r = &c->refs.r[i];
		char *t;

		if (!r->sni || !(t = known_text(b, r->path, cfgdir)))
			continue;
		bad = cf_refs_sni(&c->refs, t, r->path, r->what) < 0 ? rn_box_fail(b, "out of memory") : 0;
		free(t);
	}
	/* [files] first: they win over what would be provided. */
	if (!bad)
		bad = rn_conf_plan_files(b);
	for (size_t i = 0; i < c->refs.n && !bad; i++) {
		const struct cf_ref *r = &c->refs.r[i];
		char why[1400];

		if (planned(c, r->path))
			continue;
		switch (r->kind) {
		case CF_REF_CA:
			snprintf(why, sizeof why, "the test root, for %s (%s:%d)", r->what, r->origin, r->line);
			bad = plan(b, r->path, "ca/root.crt", NULL, why);
			break;
		case CF_REF_CERT:
		case CF_REF_KEY:
		case CF_REF_CHAIN:
			if (!rn_path_inside(r->path, cfgdir)) {
				bad = plan_cert(b, r, myhostname);
				break;
			}
			/* inside the directory, the file must be there */
			__attribute__((fallthrough));
		case CF_REF_MAP:
		case CF_REF_FILE:
			if (rn_path_inside(r->path, cfgdir) && !in_copy(b, r->path, cfgdir))
				bad = rn_box_config_fail(b, "%s:%d: %s names %s, which is not in %s "
							 "(and no [files] entry gives it)", r->origin,
							 r->line, r->what, r->path, sc->postfix_config);
			break;
		}
	}
	if (!bad && myhostname[0] && add_host(c, myhostname) < 0)
		bad = rn_box_fail(b, "out of memory");
out:
	cf_main_free(&m);
	cf_master_free(&ms);
	return bad ? -1 : 0;
}

static int
write_all(const char *path, const char *data, size_t len, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, mode);
	ssize_t w = 0;

	if (fd < 0)
		return -1;
	for (size_t off = 0; off < len && w >= 0; off += (size_t)w)
		w = write(fd, data + off, len - off);
	if (close(fd) < 0 || w < 0)
		return -1;
	return 0;
}

int
rn_conf_provide(struct box *b)
{
	struct rn_conf *c = &b->conf;

	for (size_t i = 0; i < c->nprov; i++) {
		const struct rn_provide *p = &c->prov[i];
		char *dir = strdup(p->path), *slash, *data = (char *)p->text, *pki = NULL, *line = NULL;
		size_t len = p->len;
		int r = -1;

		if (!dir)
			return rn_box_fail(b, "out of memory");
		if ((slash = strrchr(dir, '/')) && slash != dir) {
			*slash = '\0';
			if (mx_mkdir_p(dir) < 0) {
				int e = errno;

				rn_box_config_fail(b, "cannot provide %s (%s): %s: %s", p->path, p->why,
						   dir, e == ENAMETOOLONG ? "path too long" : strerror(e));
				free(dir);
				return -1;
			}
		}
		if (p->pki_rel) {
			FILE *fp;

			data = NULL;
			if (asprintf(&pki, "%s/%s", b->pki, p->pki_rel) >= 0 && (fp = fopen(pki, "re"))) {
				if ((data = malloc(1u << 20)))
					len = fread(data, 1, 1u << 20, fp);
				if (data && ferror(fp)) {	/* not part of the file */
					free(data);
					data = NULL;
				}
				fclose(fp);
			}
		}
		if (data)
			r = write_all(p->path, data, len, strstr(p->path, "key") ? 0600 : 0644);
		if (r < 0) {
			int e = errno;

			free(dir);
			if (p->pki_rel)
				free(data);
			free(pki);
			return rn_box_config_fail(b, "cannot provide %s (%s): %s", p->path, p->why,
						  data ? strerror(e) : "no such file in the PKI");
		}
		if (asprintf(&line, "provided %s: %s", p->path, p->why) >= 0)
			rn_box_change(b, line);
		free(line);
		free(dir);
		if (p->pki_rel)
			free(data);
		free(pki);
	}
	return 0;
}

int
rn_conf_maps(struct box *b)
{
	const struct pf_system *sys = b->a->sys;
	struct rn_conf *c = &b->conf;
	const char *cfgdir = sys->v[PF_SYS_CONFIG_DIR];

	for (size_t i = 0; i < c->refs.n; i++) {
		const struct cf_ref *r = &c->refs.r[i];
		struct stat st;
		char map[MX_PATH_MAX + 64], cmd[MX_PATH_MAX], out[2048], *line = NULL;
		int dup = 0, alias;

		if (stat(r->path, &st) < 0)
			return rn_box_config_fail(b, "%s:%d: %s names %s, which %s: give it in [files]",
						  r->origin, r->line, r->what, r->path,
						  rn_path_inside(r->path, cfgdir) ? "is missing" :
						  "is outside the configuration and not provided");
		if (r->kind != CF_REF_MAP)
			continue;
		for (size_t k = 0; k < i && !dup; k++)
			dup = c->refs.r[k].kind == CF_REF_MAP && !strcmp(c->refs.r[k].path, r->path) &&
			      !strcmp(c->refs.r[k].maptype, r->maptype);
		if (dup)
			continue;
		alias = r->alias;
		for (size_t k = i + 1; k < c->refs.n; k++)
			alias |= c->refs.r[k].kind == CF_REF_MAP && c->refs.r[k].alias &&
				 !strcmp(c->refs.r[k].path, r->path) &&
				 !strcmp(c->refs.r[k].maptype, r->maptype);
		if (mx_path(map, sizeof map, "%s:%s", r->maptype, r->path) < 0)
			return rn_box_config_fail(b, "%s:%d: %s: %s: path too long", r->origin, r->line,
						  r->what, r->path);
		if (rn_box_path(b, cmd, sizeof cmd, "%s/%s", sys->v[PF_SYS_COMMAND_DIR],
				alias ? "postalias" : "postmap") < 0)
			return -1;
		{
			char *argv[] = { cmd, "-c", (char *)cfgdir, r->sni ? "-F" : map, map, NULL };

			if (!r->sni)
				argv[4] = NULL;
			/* postmap -F skips an entry whose file it cannot read, with
			 * only a warning: that name would quietly get the default
			 * certificate, so a warning is an error here. */
			if (mx_run(argv, NULL, out, sizeof out) != 0 || (r->sni && strstr(out, "warning:")))
				return rn_box_config_fail(b, "%s:%d: %s: %s %s%s failed: %s", r->origin, r->line,
							  r->what, alias ? "postalias" : "postmap",
							  r->sni ? "-F " : "", map, out);
		}
		if (asprintf(&line, "built %s with %s%s", map, alias ? "postalias" : "postmap",
			     r->sni ? " -F" : "") >= 0)
			rn_box_change(b, line);
		free(line);
	}
	return 0;
}
