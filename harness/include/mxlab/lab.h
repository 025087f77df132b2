/*
 * mxlab/lab.h: training labs, as `mxlab lab` reads them (docs/labs.md).
 *
 * A lab is a scenario file with a [lab] section: a broken Postfix
 * configuration (its [main.cf] and [master.cf]), the task a student reads,
 * hints in order, goal expectations a fixed configuration meets and a
 * reference solution (a unified diff against main.cf / master.cf as
 * mxlab_lab_write_config writes them). This header reads a lab and writes
 * its configuration; checking one is a run (mxlab/runner.h) with the keys
 * lab-goals and lab-config.
 *
 * Errors: NULL or a code, with the reason in the caller's buffer
 * ("FILE:LINE: what is wrong", one per line, as `mxlab run` prints them).
 * The library prints nothing.
 */
#ifndef MXLAB_LAB_H
#define MXLAB_LAB_H

#include <stddef.h>

#include "mxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxlab_lab mxlab_lab;

/* Read and check the scenario file at path (with its suites, as a run
 * does). NULL: err holds its errors, or "PATH: not a lab (no [lab]
 * section)" with *notlab set to 1 (notlab may be NULL). */
MXLAB_API mxlab_lab *mxlab_lab_load(const char *path, int *notlab, char *err, size_t errlen);
MXLAB_API void mxlab_lab_free(mxlab_lab *lab);		/* NULL ok */

/* A field of the lab: "file" (the path as given), "title", "difficulty"
 * (easy, medium, hard), "task" (lines joined by newlines), "seed" (its
 * S-points, space-separated; "" without), "solution" (the diff's path,
 * joined to the scenario's directory; NULL without). NULL for an unknown
 * name. Valid until mxlab_lab_free. */
MXLAB_API const char *mxlab_lab_field(const mxlab_lab *lab, const char *name);
/* Hint i, from 0, in file order; NULL past the last. */
MXLAB_API const char *mxlab_lab_hint(const mxlab_lab *lab, size_t i);

/* Write the lab's broken configuration into the directory dir (made if
 * missing): main.cf, and master.cf when the lab has a [master.cf], each
 * its section's text as written (variables such as ${pki} unexpanded: the
 * run expands them). The solution diff applies to these files, and
 * `mxlab lab check --config DIR` reads them back. MXLAB_ERR_IO with err. */
MXLAB_API mxlab_err mxlab_lab_write_config(const mxlab_lab *lab, const char *dir,
					   char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
