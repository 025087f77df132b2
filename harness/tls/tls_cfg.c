/*
 * tls_cfg.c: the TLS keys of the peers' configurations (tls_cfg.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tls_cfg.h"

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)

int
mx_cfg_tls_version(struct mx_tls_versions *vers, const char *key, const char *v,
		   char *err, size_t errlen)
{
	int ver = mx_tls_version_parse(v);
	struct mx_tls_versions t = *vers;
	char e[200];

	if (ver < 0)
		return BAD("%s: bad value '%s' (1.0, 1.1, 1.2, 1.3)", key, v);
	if (!strcmp(key, "tls-min"))
		t.min = ver;
	else
		t.max = ver;
	if (mx_tls_versions_check(&t, e, sizeof e) < 0)
		return BAD("%s: %s", key, e);
	*vers = t;
	return 0;
}

int
mx_cfg_ciphers(int **ids, const char *key, const char *v, char *err, size_t errlen)
{
	char e[300];
	int *n = mx_tls_ciphers_parse(v, e, sizeof e);

	if (!n)
		return BAD("%s: %s", key, e);
	free(*ids);
	*ids = n;
	return 0;
}
