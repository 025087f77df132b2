/*
 * scenario_value.c: the value checkers of the scenario grammar, and the
 * variables (${pki}, ${instance}, ${scenario}, ${name}).
 *
 * Offers sc_duration_parse, sc_size_parse, sc_seed_check,
 * sc_requires_parse, sc_faketime_check, sc_address_check,
 * sc_header_check, sc_vars_check, sc_body_unescape, sc_expand and the
 * output paths (sc_output_key, sc_output_check, sc_output_path; see
 * scenario.h). The checkers write the reason into (err, errlen) without the
 * key: the reader prefixes "FILE:LINE: KEY: ".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgval.h"
#include "scenario.h"

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)

static const char *const var_names[] = { "pki", "instance", "scenario", "name" };
#define NVARS (sizeof var_names / sizeof var_names[0])

/* Leading decimal digits of s into *n (no sign, no overflow); the rest in *end. */
static int
parse_digits(const char *s, unsigned long long *n, const char **end)
{
	unsigned long long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (~0ULL - 9) / 10)
			return -1;
		v = v * 10 + (unsigned)(*p - '0');
	}
	*n = v;
	*end = p;
	return 0;
}

/* The one grammar of each, shared with the command line and the peers' keys. */
int
sc_duration_parse(const char *s, unsigned *ms, char *err, size_t errlen)
{
	return mx_duration_parse(s, ms, err, errlen);
}

int
sc_size_parse(const char *s, size_t *bytes, char *err, size_t errlen)
{
	return mx_bytes_parse(s, bytes, err, errlen);
}

int
sc_seed_check(const char *s, char *err, size_t errlen)
{
	unsigned long long n;
	const char *end;

	if (s[0] == 'S' && s[1] != '0' && parse_digits(s + 1, &n, &end) == 0 &&
	    !*end && n >= 1 && n <= 17)
		return 0;
	return BAD("unknown seed point '%s' (S1 to S17)", s);
}

static const char *
skip_sp(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

int
sc_requires_parse(const char *s, char *out, size_t outlen, char *err, size_t errlen)
{
	static const char *const words[] = { "faketime", "ipv6", "dane", "tls13", "mta-sts-resolver" };
	unsigned long long major, minor, patch;
	const char *p, *ver;

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (!strcmp(s, words[i])) {
			snprintf(out, outlen, "%s", words[i]);
			return 0;
		}
	if (strncmp(s, "postfix", 7))
		goto bad;
	p = skip_sp(s + 7);
	if (strncmp(p, ">=", 2))
		goto bad;
	ver = p = skip_sp(p + 2);
	if (parse_digits(p, &major, &p) < 0 || *p != '.' ||
	    parse_digits(p + 1, &minor, &p) < 0)
		goto bad;
	if (*p == '.' && parse_digits(p + 1, &patch, &p) < 0)
		goto bad;
	if (*p || major > 99 || minor > 99)
		goto bad;
	snprintf(out, outlen, "postfix >= %s", ver);
	return 0;
bad:
	return BAD("unknown requirement '%s' (postfix >= X.Y, faketime, ipv6, dane, tls13, mta-sts-resolver)", s);
}

int
sc_faketime_check(const char *s, char *err, size_t errlen)
{
	unsigned long long n;
	const char *u;

	if ((s[0] == '+' || s[0] == '-') && parse_digits(s + 1, &n, &u) == 0 &&
	    u[0] && strchr("smhdy", u[0]) && !u[1])
		return 0;
	return BAD("bad offset '%s' (a sign, a number and one of s m h d y, such as +5y, -2d, +400d)", s);
}

int
sc_address_check(const char *s, char *err, size_t errlen)
{
	if (!*s)
		return BAD("empty address");
	if (strlen(s) > 254)
		return BAD("address '%.40s...' is longer than 254 bytes", s);
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '<' || *p == '>' || *p == 0x7f)
			return BAD("bad address '%s' (local@domain, without <>, spaces or control characters)", s);
	return 0;
}

int
sc_header_check(const char *s, char *err, size_t errlen)
{
	const char *p = s;

	while ((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f && *p != ':')
		p++;
	if (p == s || *p != ':')
		return BAD("bad header '%s' (Name: value)", s);
	for (; *p; p++)
		if ((unsigned char)*p < ' ' && *p != '\t')
			return BAD("header '%s' has control characters", s);
	return 0;
}

/* The variable at p (which points at "${"): its index, -1 when unknown
 * (name and length in *name, *len), -2 when not closed. */
static int
var_at(const char *p, const char **name, size_t *len)
{
	const char *close = strchr(p + 2, '}');

	if (!close)
		return -2;
	*name = p + 2;
	*len = (size_t)(close - *name);
	for (size_t i = 0; i < NVARS; i++)
		if (strlen(var_names[i]) == *len && !strncmp(var_names[i], *name, *len))
			return (int)i;
	return -1;
}

int
sc_vars_check(const char *text, const char *where, char *err, size_t errlen)
{
	const char *p = text, *name;
	size_t len;
	int v;

	while ((p = strstr(p, "${")) != NULL) {
		v = var_at(p, &name, &len);
		if (v == -2)
			return BAD("unterminated ${ (variables are ${pki}, ${instance}, ${scenario}, ${name})");
		if (v == -1)
			return BAD("unknown variable ${%.*s%s} (known: pki, instance, scenario, name; "
				   "a Postfix parameter is written $%.*s%s or $(%.*s%s))",
				   len > 40 ? 40 : (int)len, name, len > 40 ? "..." : "",
				   len > 40 ? 40 : (int)len, name, len > 40 ? "..." : "",
				   len > 40 ? 40 : (int)len, name, len > 40 ? "..." : "");
		if (where)
			return BAD("${%s} is not expanded in %s (only in [main.cf], [master.cf], "
				   "[server NAME] and [client NAME])", var_names[v], where);
		p = name + len + 1;
	}
	return 0;
}

int
sc_output_key(const char *key)
{
	return !strcmp(key, "transcript") || !strcmp(key, "mailbox");
}

int
sc_output_check(const char *value, const char *x, char *err, size_t errlen)
{
	if (!strcmp(x, "-"))
		return BAD("'-' (standard output) is for mxlab serve; in a scenario it would mix "
			   "with the runner's report");
	if (x[0] == '/')
		goto outside;
	for (const char *p = x; *p; p += strcspn(p, "/"), p += *p == '/')
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || !p[2]))
			goto outside;
	return 0;
outside:
	return BAD("'%s' is not inside the scenario's directory (a relative path without '..', "
		   "such as mx.jsonl; ${pki}, ${instance} and ${scenario} are absolute)", value);
}

char *
sc_output_path(const char *dir, const char *x)
{
	char *out;

	if (x[0] == '/' || !dir)
		return strdup(x);
	if (asprintf(&out, "%s/%s", dir, x) < 0)
		return NULL;
	return out;
}

/* A growing string. */
struct sbuf {
	char *s;
	size_t len, cap;
	int oom;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	char *ns;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;

		while (cap < b->len + n + 1)
			cap *= 2;
		if (!(ns = realloc(b->s, cap))) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static char *
sb_done(struct sbuf *b)
{
	sb_add(b, "", 0);
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	return b->s;
}

char *
sc_body_unescape(const char *s)
{
	struct sbuf b = { 0 };

	for (const char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] == 'n') {
			sb_add(&b, "\r\n", 2);
			p++;
		} else if (p[0] == '\\' && p[1] == '\\') {
			sb_add(&b, "\\", 1);
			p++;
		} else {
			sb_add(&b, p, 1);
		}
	}
	if (b.len < 2 || b.s[b.len - 2] != '\r' || b.s[b.len - 1] != '\n')
		sb_add(&b, "\r\n", 2);
	return sb_done(&b);
}

char *
sc_expand(const struct scenario *sc, const struct sc_vars *v, const char *text)
{
	struct sbuf b = { 0 };
	const char *p = text, *q, *name, *val;
	size_t len;
	int i;

	if (!text)
		return NULL;
	while ((q = strstr(p, "${")) != NULL) {
		sb_add(&b, p, (size_t)(q - p));
		i = var_at(q, &name, &len);
		if (i == -2) {
			p = q;
			break;
		}
		val = NULL;
		switch (i) {
		case 0: val = v ? v->pki : NULL; break;
		case 1: val = v ? v->instance : NULL; break;
		case 2: val = sc ? sc->dir : NULL; break;
		case 3: val = sc ? sc->name : NULL; break;
		default: break;
		}
		if (val)
			sb_add(&b, val, strlen(val));
		else
			sb_add(&b, q, len + 3);
		p = name + len + 1;
	}
	sb_add(&b, p, strlen(p));
	return sb_done(&b);
}
