/*
 * run_select.c: which scenarios a run reads and runs (see run_int.h):
 * the *.scn files under its paths, their display names, the selection by
 * name and tag, and the shard.
 */
#include <dirent.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fsutil.h"
#include "run_int.h"
#include "scenario.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* A suite file holds the defaults of the scenarios in its directory and
 * below (the scenario loader applies it); it is not a scenario itself. */
#define SUITE_FILE "suite.scn"

static int
is_suite_file(const char *path)
{
	const char *base = strrchr(path, '/');

	return !strcmp(base ? base + 1 : path, SUITE_FILE);
}

/* Collect *.scn under dir (sorted, recursively). Directories are walked,
 * symbolic links to them are not (a link loop cannot make the walk
 * endless); every other *.scn entry is collected, whatever it is, so that
 * sc_load reports a FIFO, a socket or a dangling link by name; but not
 * suite.scn, which is no scenario. */
static int
find_files(const struct mxlab_run *run, const char *dir, char ***out, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t nn = 0;
	int r = 0;

	if (!d) {
		run_warn(run, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.' && run_push(&names, &nn, e->d_name) < 0)
			r = -1;
	closedir(d);
	if (nn)
		qsort(names, nn, sizeof *names, cmp_str);
	for (size_t i = 0; i < nn; i++) {
		char path[MX_PATH_MAX];
		struct stat st;
		size_t l = strlen(names[i]);

		if (mx_path(path, sizeof path, "%s/%s", dir, names[i]) < 0) {
			run_warn(run, "%s/%s: path too long", dir, names[i]);
			r = -1;
		} else if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (find_files(run, path, out, n) < 0)
				r = -1;
		} else if (l > 4 && !strcmp(names[i] + l - 4, ".scn") &&
			   strcmp(names[i], SUITE_FILE) != 0) {
			if (run_push(out, n, path) < 0)
				r = -1;
		}
		free(names[i]);
	}
	free(names);
	return r;
}

/* "scenarios/outbound/x.scn" under root "scenarios" -> "outbound/x". */
static char *
make_label(const char *path, const char *root)
{
	const char *p = path;
	size_t rl = root ? strlen(root) : 0;
	char *l;
	size_t n;

	if (root && !strncmp(path, root, rl) && path[rl] == '/')
		p = path + rl + 1;
	else if (strrchr(path, '/'))
		p = strrchr(path, '/') + 1;
	if (!(l = strdup(p)))
		return NULL;
	n = strlen(l);
	if (n > 4 && !strcmp(l + n - 4, ".scn"))
		l[n - 4] = '\0';
	return l;
}

size_t
run_load(struct mxlab_run *run)
{
	static const char *const defaults[] = { "scenarios" };
	const char *const *paths = (const char *const *)run->paths;
	size_t npaths = run->npaths, errors = 0;

	if (npaths == 0) {
		paths = defaults;
		npaths = 1;
	}
	for (size_t p = 0; p < npaths; p++) {
		char **files = NULL;
		size_t nf = 0;
		struct stat st;
		int isdir = stat(paths[p], &st) == 0 && S_ISDIR(st.st_mode);

		if (isdir) {
			if (find_files(run, paths[p], &files, &nf) < 0) {
				errors++;
				continue;
			}
		} else if (is_suite_file(paths[p])) {
			if (run->diag)
				fprintf(run->diag, "%s: a suite holds the defaults of the scenarios "
					"beside it; it is not a scenario\n", paths[p]);
			errors++;
			continue;
		} else
			run_push(&files, &nf, paths[p]);
		for (size_t f = 0; f < nf; f++) {
			struct sc_errors errs = { 0 };
			struct scenario *sc = sc_load(files[f], &errs);
			struct run_item *ni;

			for (size_t e = 0; e < errs.n; e++)
				if (run->diag)
					fprintf(run->diag, "%s\n", errs.msg[e]);
			errors += errs.n ? errs.n : !sc;
			sc_errors_free(&errs);
			if (sc && (run->lab_goals || run->lab_config)) {
				char e[4200];

				if (sc_lab_apply(sc, run->lab_goals, run->lab_config, e, sizeof e) < 0) {
					if (run->diag)
						fprintf(run->diag, "%s\n", e);
					errors++;
					sc_free(sc);
					sc = NULL;
				}
			}
			if (sc && (ni = realloc(run->items, (run->nitems + 1) * sizeof *ni))) {
				run->items = ni;
				ni[run->nitems].path = files[f];
				ni[run->nitems].label = make_label(files[f], isdir ? paths[p] : NULL);
				ni[run->nitems].sc = sc;
				run->nitems++;
				files[f] = NULL;
			} else
				sc_free(sc);
			free(files[f]);
		}
		free(files);
	}
	return errors;
}

static int
selected(const struct mxlab_run *o, const struct run_item *it)
{
	int ok = o->nnames == 0;

	for (size_t i = 0; i < o->nnames && !ok; i++)
		ok = fnmatch(o->names[i], it->label, 0) == 0 ||
		     fnmatch(o->names[i], it->sc->name, 0) == 0;
	if (!ok)
		return 0;
	if (o->ntags) {
		ok = 0;
		for (size_t i = 0; i < o->ntags && !ok; i++)
			ok = sc_has_tag(it->sc, o->tags[i]);
		if (!ok)
			return 0;
	}
	for (size_t i = 0; i < o->nskip_tags; i++)
		if (sc_has_tag(it->sc, o->skip_tags[i]))
			return 0;
	return 1;
}

int
run_select(struct mxlab_run *run)
{
	size_t n = 0;

	free(run->sel);
	if (!(run->sel = calloc(run->nitems + 1, sizeof *run->sel)))
		return -1;
	for (size_t i = 0; i < run->nitems; i++)
		if (selected(run, &run->items[i]))
			run->sel[n++] = &run->items[i];
	/* The shard: the selection's i-th (0-based, in path order) is in part
	 * (i mod N) + 1; every file was read and checked all the same. */
	run->nall = n;
	if (run->shard_n) {
		size_t k = 0;

		for (size_t i = 0; i < run->nall; i++)
			if (i % (size_t)run->shard_n == (size_t)run->shard_k - 1)
				run->sel[k++] = run->sel[i];
		n = k;
	}
	run->nsel = n;
	return 0;
}
