/*
 * mxlab/duration.h: the DURATION grammar of mxlab's values (the command
 * line, scenario files, the server's and client's keys).
 *
 * DIGITS[.DIGITS][ms|s|m]; a bare number is seconds; a fraction (at most
 * 9 digits) is rounded to the nearest millisecond, half up ("1.5s" 1500,
 * "0.5m" 30000, "1.5ms" 2). No sign, space, exponent or other unit.
 */
#ifndef MXLAB_DURATION_H
#define MXLAB_DURATION_H

#include <stddef.h>

#include "mxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * v into *ms, which it must fit (at most 4294967295 ms); the caller checks
 * its own bounds. MXLAB_OK, or MXLAB_ERR_USAGE with the reason naming the
 * value in err: "bad duration '5x' (...)".
 */
MXLAB_API mxlab_err mxlab_duration_parse(const char *v, unsigned *ms, char *err, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
