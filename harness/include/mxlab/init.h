/*
 * mxlab/init.h: a starter suite of scenarios from a Postfix configuration
 * (what `mxlab init` does; docs/init.md).
 *
 * Three steps on one mxlab_init:
 *   - mxlab_init_open: the configuration directory (it must be one) and
 *     the suite directory to write (it must not exist, or be an empty
 *     directory, or any directory with force); works out postfix-config's
 *     value, the configuration directory relative to the suite;
 *   - mxlab_init_generate: asks postconf about the configuration (-n, -x,
 *     -M, -P -x, -d config_directory; nothing else reads or runs it),
 *     reads its main.cf, master.cf and the sources of the maps it names,
 *     and generates the files, in memory;
 *   - mxlab_init_write: writes them into the suite directory (with force,
 *     files an earlier init wrote that it no longer writes are removed;
 *     nothing else is).
 * The configuration is only read; the suite directory is the only place
 * written. The same configuration gives the same files, byte for byte.
 *
 * The library prints nothing: what the caller should show besides the
 * error (a configuration inside the host's trees, postconf's own
 * messages, each check that could not be generated, as "not checked:
 * WHY") goes, one line at a time without its newline, to the msg callback
 * given to mxlab_init_open (NULL: dropped). Errors: an mxlab_err and one
 * line in err naming the file (and line) or the option (--postfix-config,
 * --out) at fault.
 */
#ifndef MXLAB_INIT_H
#define MXLAB_INIT_H

#include <stddef.h>

#include "mxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxlab_init mxlab_init;

/* One line for the caller to show (no newline). */
typedef void (*mxlab_init_msg_fn)(void *ctx, const char *line);

/* config_dir: the Postfix configuration directory; out: the suite
 * directory; force: write into an existing, non-empty one. On success
 * *ini is to be freed with mxlab_init_free. MXLAB_ERR_USAGE (the
 * directory is not one, the suite directory may not be written),
 * MXLAB_ERR_NOMEM. */
MXLAB_API mxlab_err mxlab_init_open(const char *config_dir, const char *out, int force,
				    mxlab_init_msg_fn msg, void *ctx, mxlab_init **ini,
				    char *err, size_t errlen);
/* MXLAB_ERR_IO (postconf failed, a file cannot be read), MXLAB_ERR_PARSE
 * (a configuration Postfix would refuse, named with its file and line),
 * MXLAB_ERR_NOMEM. */
MXLAB_API mxlab_err mxlab_init_generate(mxlab_init *ini, char *err, size_t errlen);
/* After mxlab_init_generate. MXLAB_ERR_IO, naming the path. */
MXLAB_API mxlab_err mxlab_init_write(mxlab_init *ini, char *err, size_t errlen);
/* The number of files generated (0 before mxlab_init_generate). */
MXLAB_API size_t mxlab_init_nfiles(const mxlab_init *ini);
/* suite.scn's postfix-config value: the configuration directory relative
 * to the suite directory. */
MXLAB_API const char *mxlab_init_postfix_config(const mxlab_init *ini);
MXLAB_API void mxlab_init_free(mxlab_init *ini);

#ifdef __cplusplus
}
#endif
#endif
