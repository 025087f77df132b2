/*
 * init_write.h: where `mxlab init` writes (init.c, mxlab_init_write).
 *
 * - iw_check_out: SUITE may be written: it does not exist, or is an empty
 *   directory, or (force) any directory.
 * - iw_relative: the configuration directory (absolute, resolved) as a
 *   path relative to SUITE, which need not exist yet: postfix-config's
 *   value.
 * - iw_write: the generated files into SUITE (directories made as
 *   needed; each file written beside itself and renamed into place). With
 *   force, files below SUITE that an earlier init wrote (they start with
 *   IG_MARK) and that are not written now are removed; nothing else is.
 * Errors: -1 with a message naming the path in err.
 */
#ifndef MX_INIT_WRITE_H
#define MX_INIT_WRITE_H

#include <stddef.h>

#include "initgen.h"

int iw_check_out(const char *out, int force, char *err, size_t errlen);
int iw_relative(const char *out, const char *conf_real, char *rel, size_t rlen, char *err,
		size_t errlen);
int iw_write(const char *out, const struct ig_out *o, int force, char *err, size_t errlen);

#endif
