/*
 * cfgval.c: value checks shared by the peers' configurations (cfgval.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgval.h"

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)

int
mx_cfg_copy_str(char *dst, size_t cap, const char *key, const char *v,
		char *err, size_t errlen)
{
	if (strlen(v) >= cap)
		return BAD("%s: value too long (at most %zu bytes)", key, cap - 1);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20)
			return BAD("%s: control characters are not allowed", key);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

int
mx_parse_duration_ms(const char *v, unsigned *ms)
{
	char *end;
	double n;

	if (!isdigit((unsigned char)v[0]))
		return -1;
	n = strtod(v, &end);
	if (!strcmp(end, "ms"))
		;
	else if (!strcmp(end, "s") || !*end)
		n *= 1000;
	else if (!strcmp(end, "m"))
		n *= 60000;
	else
		return -1;
	if (n > 86400000.0)
		return -1;
	*ms = (unsigned)n;
	return 0;
}

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
