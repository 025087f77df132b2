/*
 * cfgval.c: value checks shared by the peers' configurations (cfgval.h).
 */
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/duration.h"
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

#define DURATION_FORM "such as 500ms, 1.5s, 20s, 2m; a bare number is seconds"
#define BYTES_FORM "a whole number of bytes, such as 2000, 64k, 2M, 1G; k, M, G are 1024-based"

/* Leading decimal digits of s into *n; the rest in *end. -1 when there is
 * no digit, -2 when the number does not fit (*end then past the digits). */
static int
digits(const char *s, unsigned long long *n, const char **end)
{
	unsigned long long v = 0;
	const char *p = s;
	int over = 0;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (ULLONG_MAX - (unsigned)(*p - '0')) / 10)
			over = 1;
		else
			v = v * 10 + (unsigned)(*p - '0');
	}
	*n = v;
	*end = p;
	return over ? -2 : 0;
}

int
mx_duration_parse(const char *v, unsigned *ms, char *err, size_t errlen)
{
	unsigned long long whole, frac = 0, scale = 1, mult, total;
	const char *p, *f;
	int r = digits(v, &whole, &p);

	if (r == -1)
		goto bad;
	if (*p == '.') {
		f = p + 1;
		if (*f < '0' || *f > '9')
			goto bad;
		for (p = f; *p >= '0' && *p <= '9'; p++) {
			if (p - f >= 9)
				return BAD("bad duration '%s' (at most 9 digits after the point; %s)",
					   v, DURATION_FORM);
			frac = frac * 10 + (unsigned)(*p - '0');
			scale *= 10;
		}
	}
	if (!strcmp(p, "ms"))
		mult = 1;
	else if (!strcmp(p, "s") || !*p)
		mult = 1000;
	else if (!strcmp(p, "m"))
		mult = 60000;
	else
		goto bad;
	if (r == -2 || whole > UINT_MAX / mult)
		goto big;
	/* frac / scale < 1 and scale <= 10^9: frac * mult * 2 fits */
	total = whole * mult + (frac * mult * 2 + scale) / (scale * 2);
	if (total > UINT_MAX)
		goto big;
	*ms = (unsigned)total;
	return 0;
big:
	return BAD("duration '%s' is too long (at most %ums)", v, UINT_MAX);
bad:
	return BAD("bad duration '%s' (%s)", v, DURATION_FORM);
}

int
mx_bytes_parse(const char *v, size_t *bytes, char *err, size_t errlen)
{
	unsigned long long n, mult = 1;
	const char *p;
	int r = digits(v, &n, &p);

	if (r == -1)
		goto bad;
	if (*p == 'k' || *p == 'K')
		mult = 1ULL << 10, p++;
	else if (*p == 'm' || *p == 'M')
		mult = 1ULL << 20, p++;
	else if (*p == 'g' || *p == 'G')
		mult = 1ULL << 30, p++;
	if (*p)
		goto bad;
	if (r == -2 || n > (unsigned long long)SIZE_MAX / mult)
		return BAD("size '%s' is too large (at most %zu bytes)", v, (size_t)SIZE_MAX);
	*bytes = (size_t)(n * mult);
	return 0;
bad:
	return BAD("bad size '%s' (%s)", v, BYTES_FORM);
}

int
mx_cfg_bytes(const char *key, const char *v, size_t min, size_t max, size_t *out,
	     char *err, size_t errlen)
{
	char e[200];
	size_t n;

	if (mx_bytes_parse(v, &n, e, sizeof e) < 0)
		return BAD("%s: %s", key, e);
	if (n < min || n > max)
		return BAD("%s: bad value '%s' (from %zu to %zu)", key, v, min, max);
	*out = n;
	return 0;
}

int
mx_cfg_duration(const char *key, const char *v, unsigned min_ms, const char *example,
		unsigned *out, char *err, size_t errlen)
{
	char e[200];
	unsigned ms;

	if (mx_duration_parse(v, &ms, e, sizeof e) < 0)
		return BAD("%s: %s", key, e);
	if (ms < min_ms || ms > MX_CFG_DURATION_MAX)
		return BAD("%s: bad value '%s' (a duration such as %s): out of range, %s to 24h",
			   key, v, example, min_ms ? "1ms" : "0");
	*out = ms;
	return 0;
}

mxlab_err
mxlab_duration_parse(const char *v, unsigned *ms, char *err, size_t errlen)
{
	return mx_duration_parse(v, ms, err, errlen) < 0 ? MXLAB_ERR_USAGE : MXLAB_OK;
}
