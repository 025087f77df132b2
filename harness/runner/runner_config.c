/*
 * runner_config.c: the configuration a scenario's Postfix runs with.
 *
 * rn_layers(): the texts written over the configuration, in order: each
 * suite's [main.cf] / [master.cf] (outer first), the [sasl] layer, the
 * scenario's own; variables expanded.
 *
 * A user's own configuration (postfix-config = DIR), in four steps:
 * - rn_conf_prepare(), before the sandbox is entered: DIR is copied into
 *   the scenario's directory (postfix/etc) without following a single
 *   symbolic link (links are copied as links: they resolve inside the
 *   sandbox), its main.cf and master.cf read with every layer over them,
 *   and every file they name listed (pfrefs.h). What the sandbox must show
 *   is planned: certificates, keys and CA files from the PKI, [files]
 *   entries, the private directories they need. A file inside DIR that
 *   is named but missing is an error now.
 * - rn_conf_fs(): the copy is shown at the system's config_directory
 *   (with the system's meta files over it), /etc is private and writable,
 *   the host's /etc/ssl/certs is not shown (the test root takes the place
 *   of CA bundles).
 * - rn_conf_provide(), once the PKI exists: the planned files written.
 * - rn_conf_maps(), once main.cf is written: every file named exists (or
 *   the error names the parameter, its file and line), and the indexed
 *   maps are built with postmap / postalias.
 * Without postfix-config, [files] alone is planned, shown and written the
 * same way (rn_conf_plan_files).
 * Problems of the user's configuration are rn_box_config_fail (exit 2).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "runner_int.h"

#define COPY_MAX_BYTES	(64u << 20)
#define COPY_MAX_ENTRIES 4096
#define TEXT_MAX	(1u << 20)

static int
push_layer(struct pf_layer **arr, size_t *n, char *text, const char *file, int line)
{
	struct pf_layer *na;

	if (!text)
		return -1;
	if (!(na = realloc(*arr, (*n + 1) * sizeof *na))) {
		free(text);
		return -1;
	}
	*arr = na;
	na[(*n)++] = (struct pf_layer){ text, file, line };
	return 0;
}

int
rn_layers(struct box *b)
{
	const struct scenario *sc = b->sc;
	int bad = 0;

	for (size_t i = 0; i < sc->nmain_cf_layers && !bad; i++) {
		const struct sc_layer *l = &sc->main_cf_layers[i];

		bad = push_layer(&b->ml, &b->nml, sc_expand(sc, &b->vars, l->text), l->origin, l->line);
	}
	if (!bad && sc->sasl.present)
		bad = push_layer(&b->ml, &b->nml, rn_sasl_layer(b),
				 sc->sasl.origin ? sc->sasl.origin : sc->file, sc->sasl.line);
	if (!bad && sc->main_cf)
		bad = push_layer(&b->ml, &b->nml, sc_expand(sc, &b->vars, sc->main_cf),
				 sc->main_cf_origin ? sc->main_cf_origin : sc->file, sc->main_cf_line);
	for (size_t i = 0; i < sc->nmaster_cf_layers && !bad; i++) {
		const struct sc_layer *l = &sc->master_cf_layers[i];

		bad = push_layer(&b->msl, &b->nmsl, sc_expand(sc, &b->vars, l->text), l->origin, l->line);
	}
	if (!bad && sc->master_cf)
		bad = push_layer(&b->msl, &b->nmsl, sc_expand(sc, &b->vars, sc->master_cf),
				 sc->master_cf_origin ? sc->master_cf_origin : sc->file,
				 sc->master_cf_line);
	return bad ? rn_box_fail(b, "out of memory") : 0;
}

void
rn_layers_free(struct box *b)
{
	for (size_t i = 0; i < b->nml; i++)
		free((char *)b->ml[i].text);
	for (size_t i = 0; i < b->nmsl; i++)
		free((char *)b->msl[i].text);
	free(b->ml);
	free(b->msl);
	b->ml = b->msl = NULL;
	b->nml = b->nmsl = 0;
}

/* Copying DIR: entries counted and bytes summed across the whole tree. */
struct copy {
	size_t entries, bytes;
	char err[1400];
};

static int
copy_file(int sfd, const char *name, int dfd, mode_t mode, struct copy *c)
{
	int in = openat(sfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK), out;
	char buf[65536];
	ssize_t n;
	struct stat st;

	if (in < 0 || fstat(in, &st) < 0 || !S_ISREG(st.st_mode)) {
		snprintf(c->err, sizeof c->err, "%s: %s", name, in < 0 ? strerror(errno) : "not a regular file");
		if (in >= 0)
			close(in);
		return -1;
	}
	if ((out = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			  mode & 0755)) < 0) {
		snprintf(c->err, sizeof c->err, "%s: %s", name, strerror(errno));
		close(in);
		return -1;
	}
	while ((n = read(in, buf, sizeof buf)) > 0) {
		if ((c->bytes += (size_t)n) > COPY_MAX_BYTES) {
			snprintf(c->err, sizeof c->err, "more than %u MiB in all", COPY_MAX_BYTES >> 20);
			n = -1;
			errno = EFBIG;
			break;
		}
		if (write(out, buf, (size_t)n) != n) {
			n = -1;
			break;
		}
	}
	if (n < 0 && !c->err[0])
		snprintf(c->err, sizeof c->err, "%s: %s", name, strerror(errno));
	close(in);
	if (close(out) < 0 && n >= 0) {
		snprintf(c->err, sizeof c->err, "%s: %s", name, strerror(errno));
		n = -1;
	}
	return n < 0 ? -1 : 0;
}

/* Copy the directory sfd into dfd: regular files, directories and links;
 * nothing else (sockets, FIFOs, devices) is copied. */
static int
copy_dir(int sfd, int dfd, int depth, struct copy *c)
{
	int fd = dup(sfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	struct dirent *e;
	int r = 0;

	if (!d) {
		if (fd >= 0)
			close(fd);
		snprintf(c->err, sizeof c->err, "opendir: %s", strerror(errno));
		return -1;
	}
	while (r == 0 && (e = readdir(d)) != NULL) {
		struct stat st;

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (++c->entries > COPY_MAX_ENTRIES) {
			snprintf(c->err, sizeof c->err, "more than %d entries", COPY_MAX_ENTRIES);
			r = -1;
		} else if (fstatat(sfd, e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
			snprintf(c->err, sizeof c->err, "%s: %s", e->d_name, strerror(errno));
			r = -1;
		} else if (S_ISREG(st.st_mode)) {
			r = copy_file(sfd, e->d_name, dfd, st.st_mode, c);
		} else if (S_ISLNK(st.st_mode)) {
			char target[4096];
			ssize_t n = readlinkat(sfd, e->d_name, target, sizeof target - 1);

			if (n < 0 || (target[n] = '\0', symlinkat(target, dfd, e->d_name) < 0)) {
				snprintf(c->err, sizeof c->err, "%s: %s", e->d_name, strerror(errno));
				r = -1;
			}
		} else if (S_ISDIR(st.st_mode) && depth < 16) {
			int s2 = openat(sfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), d2;

			if (s2 < 0 || mkdirat(dfd, e->d_name, 0755) < 0 ||
			    (d2 = openat(dfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
				snprintf(c->err, sizeof c->err, "%s: %s", e->d_name, strerror(errno));
				r = -1;
			} else {
				if ((r = copy_dir(s2, d2, depth + 1, c)) < 0 && !strchr(c->err, '/')) {
					char sub[sizeof c->err];
					int nl = (int)strnlen(e->d_name, 255);

					memcpy(sub, c->err, sizeof sub);
					snprintf(c->err, sizeof c->err, "%.*s/%.1100s", nl, e->d_name, sub);
				}
				close(d2);
			}
			if (s2 >= 0)
				close(s2);
		}
	}
	closedir(d);
	return r;
}

int
rn_copy_tree(int sfd, int dfd, char *err, size_t errlen)
{
	struct copy cp = { 0 };

	if (copy_dir(sfd, dfd, 0, &cp) < 0) {
		snprintf(err, errlen, "%s", cp.err);
		return -1;
	}
	return 0;
}

/* The text of a copied file (at most TEXT_MAX bytes), or NULL. */
static char *
read_text(const char *path)
{
	int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	char *t = fd >= 0 ? malloc(TEXT_MAX + 1) : NULL;
	ssize_t n = 0, r;

	if (!t) {
		if (fd >= 0)
			close(fd);
		return NULL;
	}
	while (n < (ssize_t)TEXT_MAX && (r = read(fd, t + n, TEXT_MAX - (size_t)n)) != 0) {
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {	/* a read error: no text, not part of one */
			close(fd);
			free(t);
			return NULL;
		}
		n += r;
	}
	close(fd);
	t[n] = '\0';
	return t;
}

int
rn_path_inside(const char *path, const char *dir)
{
	size_t n = strlen(dir);

	return !strncmp(path, dir, n) && (path[n] == '/' || path[n] == '\0');
}

/* Where a user's configuration may not be taken from: the system's
 * Postfix, and the trees the sandbox shows from the host. */
static const char *
forbidden_source(const char *real, const struct pf_system *sys)
{
	static const enum pf_sys_param dirs[] = {
		PF_SYS_CONFIG_DIR, PF_SYS_QUEUE_DIR, PF_SYS_DATA_DIR, PF_SYS_MAIL_SPOOL,
		PF_SYS_META_DIR, PF_SYS_DAEMON_DIR,
	};

	for (size_t i = 0; i < sizeof dirs / sizeof dirs[0]; i++)
		if (rn_path_inside(real, sys->v[dirs[i]]) || rn_path_inside(sys->v[dirs[i]], real))
			return "it holds the system's Postfix, which mxlab never reads";
	if (sb_fs_is_host_tree(real) || !strcmp(real, "/"))
		return "it is part of the host's system tree (/etc, /usr, ...); keep the "
		       "configuration in a directory of its own, such as a git checkout";
	return NULL;
}

int
rn_conf_prepare(struct box *b)
{
	const struct scenario *sc = b->sc;
	struct rn_conf *c = &b->conf;
	char real[4096], *path = NULL;
	const char *why;
	struct copy cp = { 0, 0, "" };
	int sfd = -1, dfd = -1, r = -1;

	if (!sc->postfix_config)
		return rn_conf_plan_files(b);
	c->on = 1;
	if (!realpath(sc->postfix_config, real))
		return rn_box_config_fail(b, "%s:%d: postfix-config %s: %s", sc->postfix_config_origin,
					  sc->postfix_config_line, sc->postfix_config, strerror(errno));
	if ((why = forbidden_source(real, b->a->sys)) != NULL)
		return rn_box_config_fail(b, "%s:%d: postfix-config %s: refused: %s",
					  sc->postfix_config_origin, sc->postfix_config_line,
					  sc->postfix_config, why);
	if (asprintf(&c->copy, "%s/etc", b->inst) < 0 ||
	    asprintf(&c->main_origin, "%s/main.cf", sc->postfix_config) < 0 ||
	    asprintf(&c->master_origin, "%s/master.cf", sc->postfix_config) < 0)
		return rn_box_fail(b, "out of memory");
	if ((mkdir(b->inst, 0755) < 0 && errno != EEXIST) || mkdir(c->copy, 0755) < 0)
		return rn_box_fail(b, "%s: %s", c->copy, strerror(errno));
	if ((sfd = open(real, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    (dfd = open(c->copy, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		rn_box_config_fail(b, "%s:%d: postfix-config %s: %s", sc->postfix_config_origin,
				   sc->postfix_config_line, sc->postfix_config, strerror(errno));
		goto out;
	}
	if (copy_dir(sfd, dfd, 0, &cp) < 0) {
		rn_box_config_fail(b, "%s:%d: postfix-config %s: copying %s: %s",
				   sc->postfix_config_origin, sc->postfix_config_line,
				   sc->postfix_config, sc->postfix_config, cp.err);
		goto out;
	}
	if (asprintf(&path, "%s/main.cf", c->copy) < 0 || !(c->main_text = read_text(path))) {
		rn_box_config_fail(b, "%s: cannot be read", c->main_origin);
		goto out;
	}
	free(path);
	if (asprintf(&path, "%s/master.cf", c->copy) < 0 || !(c->master_text = read_text(path))) {
		rn_box_config_fail(b, "%s: cannot be read", c->master_origin);
		goto out;
	}
	for (const char *const *m = pf_meta_files; *m; m++) {
		struct stat st;

		free(path);
		if (asprintf(&path, "%s/%s", c->copy, *m) >= 0 && lstat(path, &st) == 0) {
			char *t = NULL;

			if (asprintf(&t, "%s/%s: the system's is used (meta_directory)",
				     sc->postfix_config, *m) >= 0)
				pf_changes_add(&c->changes, "%s", t);
			free(t);
		}
	}
	r = rn_conf_plan(b);
out:
	free(path);
	if (sfd >= 0)
		close(sfd);
	if (dfd >= 0)
		close(dfd);
	return r;
}

void
rn_conf_fs(struct box *b, struct rn_fs *f)
{
	f->fs.private_dirs = b->conf.private_dirs;
	for (size_t i = 0; i < b->conf.nprov; i++)
		f->fs.etc_rw |= rn_path_inside(b->conf.prov[i].path, "/etc");
	if (!b->conf.on)
		return;
	f->cover[0].src = b->conf.copy;
	f->etc_skip[0] = "ssl/certs";
	f->etc_skip[1] = NULL;
	f->fs.etc_rw = 1;
	f->fs.etc_skip = f->etc_skip;
}

void
rn_conf_free(struct box *b)
{
	struct rn_conf *c = &b->conf;

	free(c->copy);
	free(c->main_text);
	free(c->master_text);
	free(c->main_origin);
	free(c->master_origin);
	cf_refs_free(&c->refs);
	for (size_t i = 0; i < c->nprov; i++) {
		free(c->prov[i].path);
		free(c->prov[i].pki_rel);
		free(c->prov[i].why);
	}
	free(c->prov);
	for (size_t i = 0; i < c->nprivate; i++)
		free((char *)c->private_dirs[i]);
	free(c->private_dirs);
	for (size_t i = 0; i < c->npki_hosts; i++)
		free(c->pki_hosts[i]);
	free(c->pki_hosts);
	pf_changes_free(&c->changes);
	memset(c, 0, sizeof *c);
}
