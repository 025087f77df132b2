/*
 * cfgval.h: value checks shared by the peers' key = value configurations
 * (server_config.c, client_config.c). Each returns 0, or -1 with
 * "KEY: what is wrong" in err.
 */
#ifndef MX_CFGVAL_H
#define MX_CFGVAL_H

#include <stddef.h>

/* Copy v into dst[cap]: not too long, no control characters. */
int mx_cfg_copy_str(char *dst, size_t cap, const char *key, const char *v,
		    char *err, size_t errlen);
/*
 * The one DURATION grammar (the command line, scenario files, the peers'
 * keys): DIGITS[.DIGITS][ms|s|m], a bare number is seconds; a fraction
 * (at most 9 digits) is rounded to the nearest millisecond, half up
 * ("1.5s" 1500, "0.5m" 30000, "1.5ms" 2). No sign, space, exponent or
 * other unit. Into *ms, which it must fit (at most 4294967295 ms); the
 * caller checks its own bounds. 0, or -1 with the reason naming the value
 * (not the key) in err: "bad duration '5x' (...)".
 */
/* The peers' DURATION keys: at most a day. */
#define MX_CFG_DURATION_MAX 86400000U
int mx_duration_parse(const char *v, unsigned *ms, char *err, size_t errlen);
/*
 * The one BYTES grammar: DIGITS[k|K|m|M|g|G], the suffix 1024-based
 * (KiB, MiB, GiB), no fraction, sign or space. Into *bytes, which it must
 * fit (no wrap: 17179869185G is refused, not 1G); the caller checks its
 * own bounds. 0, or -1 with the reason naming the value in err.
 */
int mx_bytes_parse(const char *v, size_t *bytes, char *err, size_t errlen);
/* A BYTES key within [min, max]: "KEY: bad size ..." or "KEY: bad value 'V' (from MIN to MAX)". */
int mx_cfg_bytes(const char *key, const char *v, size_t min, size_t max, size_t *out,
		 char *err, size_t errlen);
/* A DURATION key from min_ms to MX_CFG_DURATION_MAX; example goes into the
 * out-of-range message ("a duration such as EXAMPLE"). */
int mx_cfg_duration(const char *key, const char *v, unsigned min_ms, const char *example,
		    unsigned *out, char *err, size_t errlen);

#endif
