/*
 * lab.c: mxlab/lab.h, a lab read for `mxlab lab` (docs/labs.md).
 *
 * A lab is loaded as any scenario (sc_load, suites applied) and must have
 * a [lab] section; its fields are copied out once, so the getters are
 * plain reads. mxlab_lab_write_config writes the [main.cf] / [master.cf]
 * text as written, the files the solution diff is against.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsutil.h"
#include "mxlab/lab.h"
#include "scenario.h"

struct mxlab_lab {
	struct scenario *sc;
	char *file;
	char *seed;		/* "S6 S11" */
	char *solution;		/* dir/solution, NULL without */
};

static void
errs_join(const struct sc_errors *errs, char *err, size_t errlen)
{
	size_t n = 0;

	if (!errlen)
		return;
	err[0] = '\0';
	for (size_t i = 0; i < errs->n && n + 1 < errlen; i++) {
		snprintf(err + n, errlen - n, "%s%s", i ? "\n" : "", errs->msg[i]);
		n += strlen(err + n);
	}
}

mxlab_lab *
mxlab_lab_load(const char *path, int *notlab, char *err, size_t errlen)
{
	struct sc_errors errs = { 0 };
	struct scenario *sc;
	mxlab_lab *lab;
	size_t n = 1;

	if (notlab)
		*notlab = 0;
	if (!(sc = sc_load(path, &errs))) {
		errs_join(&errs, err, errlen);
		sc_errors_free(&errs);
		return NULL;
	}
	sc_errors_free(&errs);
	if (!sc->lab.line) {
		snprintf(err, errlen, "%s: not a lab (no [lab] section)", path);
		if (notlab)
			*notlab = 1;
		sc_free(sc);
		return NULL;
	}
	for (size_t i = 0; i < sc->nseed; i++)
		n += strlen(sc->seed[i]) + 1;
	if (!(lab = calloc(1, sizeof *lab)) || !(lab->file = strdup(path)) ||
	    !(lab->seed = calloc(1, n)))
		goto nomem;
	for (size_t i = 0; i < sc->nseed; i++) {
		if (i)
			strcat(lab->seed, " ");
		strcat(lab->seed, sc->seed[i]);
	}
	if (sc->lab.solution) {
		n = strlen(sc->dir) + strlen(sc->lab.solution) + 2;
		if (!(lab->solution = malloc(n)))
			goto nomem;
		snprintf(lab->solution, n, "%s/%s", sc->dir, sc->lab.solution);
	}
	lab->sc = sc;
	return lab;
nomem:
	snprintf(err, errlen, "%s: out of memory", path);
	sc_free(sc);
	mxlab_lab_free(lab);
	return NULL;
}

void
mxlab_lab_free(mxlab_lab *lab)
{
	if (!lab)
		return;
	sc_free(lab->sc);
	free(lab->file);
	free(lab->seed);
	free(lab->solution);
	free(lab);
}

const char *
mxlab_lab_field(const mxlab_lab *lab, const char *name)
{
	if (!lab || !name)
		return NULL;
	if (!strcmp(name, "file"))
		return lab->file;
	if (!strcmp(name, "title"))
		return lab->sc->lab.title;
	if (!strcmp(name, "difficulty"))
		return lab->sc->lab.difficulty;
	if (!strcmp(name, "task"))
		return lab->sc->lab.task;
	if (!strcmp(name, "seed"))
		return lab->seed;
	if (!strcmp(name, "solution"))
		return lab->solution;
	return NULL;
}

const char *
mxlab_lab_hint(const mxlab_lab *lab, size_t i)
{
	return lab && i < lab->sc->lab.nhints ? lab->sc->lab.hints[i] : NULL;
}

mxlab_err
mxlab_lab_write_config(const mxlab_lab *lab, const char *dir, char *err, size_t errlen)
{
	char path[MX_PATH_MAX];

	if (!lab || !dir) {
		snprintf(err, errlen, "no lab or no directory");
		return MXLAB_ERR_USAGE;
	}
	if (mx_mkdir_p(dir) < 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return MXLAB_ERR_IO;
	}
	if (mx_path(path, sizeof path, "%s/main.cf", dir) < 0 ||
	    mx_write_text(path, lab->sc->main_cf ? lab->sc->main_cf : "", 0644) < 0) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MXLAB_ERR_IO;
	}
	if (lab->sc->master_cf &&
	    (mx_path(path, sizeof path, "%s/master.cf", dir) < 0 ||
	     mx_write_text(path, lab->sc->master_cf, 0644) < 0)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return MXLAB_ERR_IO;
	}
	return MXLAB_OK;
}
