/*
 * cfgval.h: value checks shared by the peers' key = value configurations
 * (server_config.c, client_config.c). Each returns 0, or -1 with
 * "KEY: what is wrong" in err.
 */
#ifndef MX_CFGVAL_H
#define MX_CFGVAL_H

#include <stddef.h>

#include "tls_glue.h"

/* Copy v into dst[cap]: not too long, no control characters. */
int mx_cfg_copy_str(char *dst, size_t cap, const char *key, const char *v,
		    char *err, size_t errlen);
/* NUMBER[ms|s|m]; a bare number is seconds; at most a day. 0 or -1 (no err). */
int mx_parse_duration_ms(const char *v, unsigned *ms);
/* tls-min / tls-max (the key says which) into *vers, checked together. */
int mx_cfg_tls_version(struct mx_tls_versions *vers, const char *key, const char *v,
		       char *err, size_t errlen);
/* A cipher suite list into *ids (the old list freed). */
int mx_cfg_ciphers(int **ids, const char *key, const char *v, char *err, size_t errlen);

#endif
