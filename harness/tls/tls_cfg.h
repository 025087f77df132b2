/*
 * tls_cfg.h: the TLS keys of the peers' configurations (tls-min, tls-max,
 * ciphers), checked with the same messages as cfgval.h's keys.
 */
#ifndef MX_TLS_CFG_H
#define MX_TLS_CFG_H

#include <stddef.h>

#include "tls_glue.h"

/* tls-min / tls-max (the key says which) into *vers, checked together. */
int mx_cfg_tls_version(struct mx_tls_versions *vers, const char *key, const char *v,
		       char *err, size_t errlen);
/* A cipher suite list into *ids (the old list freed). */
int mx_cfg_ciphers(int **ids, const char *key, const char *v, char *err, size_t errlen);

#endif
