/*
 * scenario_files.c: the paths of a scenario file that name something on
 * the host or in the sandbox: the [files] section (sc_rd_files_line) and
 * the [scenario] key postfix-config (sc_rd_postfix_config).
 *
 * A [files] line is "PATH = VALUE": the sandbox will show a file at the
 * absolute, normalised PATH. The value is "${pki}/REL" (a file of the
 * scenario's PKI, kept as REL), "file:REL" (a host file beside the file
 * that says it, read now: the runner never reads host paths named by a
 * scenario), or literal text. file:REL is opened with openat2 beneath that
 * directory and without following any symbolic link, so a link cannot
 * make a scenario copy a host file from elsewhere into its sandbox.
 *
 * postfix-config names a directory holding main.cf and master.cf; it is
 * stored absolute and lexically normalised, relative to the directory of
 * the file that says it. Errors are "PATH: what" (a [files] line) and
 * "postfix-config DIR: what".
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "scenario_int.h"

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)

int
sc_path_absolute(const char *base, const char *path, char **out)
{
	char cwd[PATH_MAX], *in, *o, *p, *next;
	size_t n, len;

	*out = NULL;
	cwd[0] = '\0';
	if (path[0] != '/' && base[0] != '/' && !getcwd(cwd, sizeof cwd))
		return -1;
	len = strlen(cwd) + strlen(base) + strlen(path) + 3;
	if (len > PATH_MAX) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (!(in = malloc(len)) || !(o = malloc(len))) {
		free(in);
		errno = ENOMEM;
		return -1;
	}
	if ((path[0] == '/' ? snprintf(in, len, "%s", path) :
	     snprintf(in, len, "%s/%s/%s", cwd, base, path)) >= (int)len) {
		free(in);
		free(o);
		errno = ENAMETOOLONG;
		return -1;
	}
	/* Component by component into o: skip "" and ".", ".." drops one. */
	n = 0;
	for (p = in; *p; p = next) {
		size_t c;

		p += strspn(p, "/");
		c = strcspn(p, "/");
		next = p + c;
		if (c == 0 || (c == 1 && p[0] == '.'))
			continue;
		if (c == 2 && p[0] == '.' && p[1] == '.') {
			while (n > 0 && o[n - 1] != '/')
				n--;
			if (n > 0)
				n--;	/* the '/' before it */
			continue;
		}
		o[n++] = '/';
		memcpy(o + n, p, c);
		n += c;
	}
	if (n == 0)
		o[n++] = '/';
	o[n] = '\0';
	free(in);
	*out = o;
	return 0;
}

/* ---- postfix-config */

static const char *const system_trees[] = {
	"/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/var/spool/postfix",
	"/var/lib/postfix", "/proc", "/sys", "/dev", NULL
};

/* The system tree path is in, or NULL. */
static const char *
system_tree(const char *path)
{
	if (!strcmp(path, "/"))
		return "/";
	for (const char *const *t = system_trees; *t; t++) {
		size_t n = strlen(*t);

		if (!strncmp(path, *t, n) && (path[n] == '/' || path[n] == '\0'))
			return *t;
	}
	return NULL;
}

int
sc_rd_postfix_config(struct rd *r, const char *v, char *err, size_t errlen)
{
	static const char *const need[] = { "main.cf", "master.cf" };
	struct scenario *sc = r->sc;
	char file[PATH_MAX + 16], *dir;
	struct stat st;
	int rc = 0;

	if (sc_path_absolute(sc->dir, v, &dir) < 0)
		return BAD("postfix-config %s: %s", v, strerror(errno));
	/* Not even looked at: the host's system trees, where the system's own
	 * Postfix configuration lives (the runner refuses its exact
	 * directories too, and the real path behind links). */
	{
		char *real = realpath(dir, NULL);
		const char *tree = system_tree(dir);

		if (!tree && real)
			tree = system_tree(real);
		if (tree) {
			rc = BAD("postfix-config %s: refused: it is%s part of the host's system tree "
				 "(%s); keep the configuration in a directory of its own, such as a git "
				 "checkout", dir, system_tree(dir) ? "" : " (through a link)", tree);
			free(real);
			free(dir);
			return rc;
		}
		free(real);
	}
	if (stat(dir, &st) < 0)
		rc = BAD("postfix-config %s: %s", dir, strerror(errno));
	else if (!S_ISDIR(st.st_mode))
		rc = BAD("postfix-config %s: not a directory (%s)", dir, sc_mode_name(st.st_mode));
	for (size_t i = 0; rc == 0 && i < sizeof need / sizeof need[0]; i++) {
		snprintf(file, sizeof file, "%s/%s", strcmp(dir, "/") ? dir : "", need[i]);
		if (stat(file, &st) < 0)
			rc = errno == ENOENT ? BAD("postfix-config %s: no %s", dir, need[i]) :
			     BAD("postfix-config %s: %s: %s", dir, need[i], strerror(errno));
		else if (!S_ISREG(st.st_mode))
			rc = BAD("postfix-config %s: %s is not a regular file (%s)", dir, need[i],
				 sc_mode_name(st.st_mode));
	}
	if (rc < 0) {
		free(dir);
		return -1;
	}
	free(sc->postfix_config);
	free(sc->postfix_config_origin);
	sc->postfix_config = dir;
	if (!(sc->postfix_config_origin = strdup(r->file)))
		return BAD("out of memory");
	sc->postfix_config_line = r->line;
	return 0;
}

/* ---- [files] */

/* Does p (a relative path) have a ".." component (or, strict, a "." or
 * empty one)? */
static int
bad_components(const char *p, int strict)
{
	for (;;) {
		size_t c = strcspn(p, "/");

		if (c == 2 && p[0] == '.' && p[1] == '.')
			return 1;
		if (strict && (c == 0 || (c == 1 && p[0] == '.')))
			return 1;
		if (!p[c])
			return 0;
		p += c + 1;
	}
}

/* Printable ASCII, no spaces. */
static int
graphic(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || (unsigned char)*s >= 0x7f)
			return 0;
	return 1;
}

static int
path_check(const char *p, char *err, size_t errlen)
{
	char e[400];

	if (strlen(p) > SC_FPATH_MAX)
		return BAD("'%.60s...': longer than %d bytes", p, SC_FPATH_MAX);
	if (strstr(p, "${")) {
		if (sc_vars_check(p, NULL, e, sizeof e) < 0)
			return BAD("%s", e);
		return BAD("'%.200s': no variables in a [files] path (it is where the sandbox "
			   "shows the file)", p);
	}
	if (!graphic(p))
		return BAD("'%.200s': bad path (printable characters, no spaces)", p);
	if (p[0] != '/')
		return BAD("'%.200s': not an absolute path (where the sandbox shows the file, "
			   "such as /etc/postfix/access)", p);
	if (!p[1])
		return BAD("'/' is not a file");
	if (bad_components(p + 1, 1))
		return BAD("'%.200s': not a normalised path (no '.' or '..' components, "
			   "no '//', no '/' at the end)", p);
	return 0;
}

static int
open_error(const char *rel, const char *dir, char *err, size_t errlen)
{
	if (errno == ELOOP)
		return BAD("file:%s: a symbolic link is in the way (links are not followed)", rel);
	if (errno == EXDEV)
		return BAD("file:%s: not beneath %s", rel, dir);
	if (errno == ENOSYS)
		return BAD("file:%s: openat2 is not available (Linux 5.6 or later reads a file "
			   "without following symbolic links)", rel);
	return BAD("file:%s: %s", rel, strerror(errno));
}

/* file:REL beneath dir, no symbolic link followed: a regular file of at
 * most SC_FHOST_MAX bytes, into f. What it is is seen through an O_PATH
 * descriptor first, so a FIFO or a device is never opened; the file then
 * opened must be the same. */
static int
read_host(const char *dir, const char *rel, struct sc_file *f, char *err, size_t errlen)
{
	struct stat st, st2;
	int dfd, fd, rc;

	if ((dfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC)) < 0)
		return BAD("file:%s: %s: %s", rel, dir, strerror(errno));
	if ((fd = mx_open_beneath(dfd, rel, O_PATH | O_CLOEXEC)) < 0 || fstat(fd, &st) < 0) {
		rc = open_error(rel, dir, err, errlen);
		goto out;
	}
	close(fd);
	fd = -1;
	if (!S_ISREG(st.st_mode)) {
		rc = BAD("file:%s: not a regular file (%s)", rel, sc_mode_name(st.st_mode));
		goto out;
	}
	if ((fd = mx_open_beneath(dfd, rel, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC)) < 0 ||
	    fstat(fd, &st2) < 0) {
		rc = open_error(rel, dir, err, errlen);
		goto out;
	}
	if (st2.st_dev != st.st_dev || st2.st_ino != st.st_ino) {
		rc = BAD("file:%s: replaced while it was opened", rel);
		goto out;
	}
	rc = sc_read_fd(fd, (size_t)st2.st_size, SC_FHOST_MAX, &f->value, &f->len);
	if (rc == -2)
		rc = BAD("file:%s: larger than %u bytes (1 MiB)", rel, SC_FHOST_MAX);
	else if (rc < 0)
		rc = BAD("file:%s: %s", rel, strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

/* Literal text: "\n" a newline, "\\" a backslash, and a newline added. */
static int
text_value(const char *v, struct sc_file *f)
{
	char *o = malloc(strlen(v) + 2);
	size_t n = 0;

	if (!o)
		return -1;
	for (const char *p = v; *p; p++) {
		if (p[0] == '\\' && (p[1] == 'n' || p[1] == '\\')) {
			o[n++] = p[1] == 'n' ? '\n' : '\\';
			p++;
		} else
			o[n++] = *p;
	}
	o[n++] = '\n';
	o[n] = '\0';
	f->value = o;
	f->len = n;
	return 0;
}

/* The value of a [files] line into f (kind, value, len). */
static int
file_value(struct rd *r, const char *v, struct sc_file *f, char *err, size_t errlen)
{
	const char *var;
	char e[400];

	if (!strncmp(v, "${pki}/", 7)) {
		const char *rel = v + 7;

		f->kind = SC_FILE_PKI;
		if (!*rel || !graphic(rel) || strstr(rel, "${") || bad_components(rel, 1))
			return BAD("bad PKI file '%.100s' (${pki}/ and a path inside the PKI "
				   "without '.', '..' or empty components, such as "
				   "${pki}/ca/root.crt)", v);
		if (!(f->value = strdup(rel)))
			return BAD("out of memory");
		f->len = strlen(rel);
		return 0;
	}
	if (!strncmp(v, "file:", 5)) {
		const char *rel = v + 5;

		f->kind = SC_FILE_HOST;
		if (!*rel)
			return BAD("file: names no file (file:PATH, relative to the directory "
				   "of %s)", r->file);
		if (sc_vars_check(rel, NULL, e, sizeof e) < 0)
			return BAD("%s", e);
		if (strstr(rel, "${"))
			return BAD("file:%.100s: no variables in file:PATH", rel);
		if (rel[0] == '/' || bad_components(rel, 0))
			return BAD("file:%.100s: not inside the directory of %s (a relative "
				   "path without '..')", rel, r->file);
		return read_host(r->sc->dir, rel, f, err, errlen);
	}
	f->kind = SC_FILE_TEXT;
	if (sc_vars_check(v, NULL, e, sizeof e) < 0)
		return BAD("%s", e);
	if ((var = strstr(v, "${")) != NULL)	/* known, and closed: checked */
		return BAD("%.*s is not expanded in [files] (a value is ${pki}/PATH, "
			   "file:PATH or text)", (int)(strchr(var, '}') + 1 - var), var);
	return text_value(v, f) < 0 ? BAD("out of memory") : 0;
}

void
sc_rd_files_line(struct rd *r, int line, char *t)
{
	struct scenario *sc = r->sc;
	struct sc_file f = { 0 };
	char e[600], *k, *v;

	if (sc_rd_kv_split(r, line, t, &k, &v) < 0)
		return;
	if (path_check(k, e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s", e);
		return;
	}
	for (size_t i = 0; i < sc->nfiles; i++)
		if (!strcmp(sc->files[i].path, k)) {
			sc_rd_err(r, line, "%s: given twice (first at line %d)", k,
				  sc->files[i].line);
			return;
		}
	if (sc->nfiles >= SC_FILES_MAX) {
		sc_rd_err(r, line, "%s: more than %d [files] in one file", k, SC_FILES_MAX);
		return;
	}
	if (file_value(r, v, &f, e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s: %s", k, e);
		free(f.value);
		return;
	}
	if (f.kind != SC_FILE_PKI && (r->files_bytes += f.len) > SC_FILES_BYTES) {
		sc_rd_err(r, line, "%s: [files] of one file hold more than %uM in all", k,
			  SC_FILES_BYTES >> 20);
		free(f.value);
		return;
	}
	f.line = line;
	if (!(f.path = strdup(k)) || !(f.origin = strdup(r->file)) ||
	    sc_rd_push(&sc->files, &sc->nfiles, sizeof f, &f) < 0) {
		free(f.path);
		free(f.origin);
		free(f.value);
		r->oom = 1;
	}
}
