/*
 * pfmap.c: map specs, map source text, TLS policy values and protocol
 * lists, read the way Postfix reads them (see pfmap.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pfmap.h"

static int
push_str(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (!nv)
		return -1;
	*v = nv;
	if (!(nv[*n] = strndup(s, len)))
		return -1;
	(*n)++;
	return 0;
}

void
pfm_strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

int
pfm_specs(const char *value, char ***specs, size_t *n)
{
	const char *p = value;

	*specs = NULL;
	*n = 0;
	while (*p) {
		size_t len = 0;
		int depth = 0;

		p += strspn(p, " \t,");
		while (p[len] && (depth || !strchr(" \t,", p[len]))) {
			depth += p[len] == '{';
			depth -= p[len] == '}' && depth;
			len++;
		}
		if (len && push_str(specs, n, p, len) < 0) {
			pfm_strv_free(*specs, *n);
			*specs = NULL;
			*n = 0;
			errno = ENOMEM;
			return -1;
		}
		p += len;
	}
	return 0;
}

int
pfm_source(const char *spec, const char *const *dirs, char *type, size_t tlen, char *rel,
	   size_t rlen)
{
	static const char *const file_types[] = { "hash", "btree", "lmdb", "cdb", "dbm", "sdbm",
						  "texthash", NULL };
	const char *colon, *path;
	size_t n;
	int known = 0;

	while (!strncmp(spec, "proxy:", 6))
		spec += 6;
	colon = strchr(spec, ':');
	n = colon ? (size_t)(colon - spec) : strlen(spec);
	if (n + 1 > tlen)
		return -1;
	memcpy(type, spec, n);
	type[n] = '\0';
	for (const char *const *t = file_types; *t; t++)
		known |= !strcmp(*t, type);
	if (!colon || !known)
		return 2;
	path = colon + 1;
	for (const char *const *d = dirs; d && *d; d++) {
		size_t dl = strlen(*d);

		if (dl && !strncmp(path, *d, dl) && path[dl] == '/' && path[dl + 1]) {
			const char *r = path + dl + strspn(path + dl, "/");

			return (size_t)snprintf(rel, rlen, "%s", r) < rlen ? 0 : -1;
		}
	}
	return (size_t)snprintf(rel, rlen, "%s", path) < rlen ? 1 : -1;
}

/* ---------------------------------------------------------------- entries */

struct entries {
	struct pfm_entry *v;
	size_t n;
};

static int
push_entry(struct entries *e, const char *key, size_t klen, const char *value, size_t vlen,
	   int line)
{
	struct pfm_entry *nv = realloc(e->v, (e->n + 1) * sizeof *nv);

	if (!nv)
		return -1;
	e->v = nv;
	while (vlen && (value[vlen - 1] == ' ' || value[vlen - 1] == '\t'))
		vlen--;
	nv[e->n].key = strndup(key, klen);
	nv[e->n].value = strndup(value, vlen);
	nv[e->n].line = line;
	if (!nv[e->n].key || !nv[e->n].value) {
		free(nv[e->n].key);
		free(nv[e->n].value);
		return -1;
	}
	e->n++;
	return 0;
}

/* A map source line: blank or comment (skipped, ends nothing), the start
 * of an entry, or (leading white space) more of the entry before. */
enum src_kind { SRC_SKIP, SRC_START, SRC_MORE };

static enum src_kind
src_kind(const char *p, size_t len)
{
	size_t ws = strspn(p, " \t\r");

	if (ws >= len || p[ws] == '#')
		return SRC_SKIP;
	return ws ? SRC_MORE : SRC_START;
}

/* The entry in buf (its logical line): "key value". */
static int
source_entry(struct entries *e, const char *buf, size_t n, int line)
{
	size_t klen = strcspn(buf, " \t\r");
	const char *v = buf + klen + strspn(buf + klen, " \t\r");

	while (n && (buf[n - 1] == '\r' || buf[n - 1] == ' ' || buf[n - 1] == '\t'))
		n--;
	return push_entry(e, buf, klen, v, v < buf + n ? (size_t)(buf + n - v) : 0, line);
}

int
pfm_parse(const char *text, struct pfm_entry **out, size_t *n)
{
	struct entries e = { NULL, 0 };
	char *buf = NULL;
	size_t len = 0, cap = 0;
	int line = 1, start = 0, r = 0;

	for (const char *p = text;; line++) {
		size_t l = strcspn(p, "\n");
		enum src_kind k = *p ? src_kind(p, l) : SRC_START;

		if (k == SRC_START && start) {
			if ((r = source_entry(&e, buf, len, start)) < 0)
				break;
			start = 0;
		}
		if (!*p)
			break;
		if (k != SRC_SKIP && (k == SRC_START || start)) {
			size_t ws = k == SRC_MORE ? strspn(p, " \t") : 0;
			size_t use = l && p[l - 1] == '\r' ? l - 1 : l;	/* CRLF */

			if (len + l + 2 > cap) {
				char *nb = realloc(buf, cap = (len + l + 2) * 2);

				if (!nb) {
					r = -1;
					break;
				}
				buf = nb;
			}
			if (k == SRC_START) {
				len = 0;
				start = line;
			} else
				buf[len++] = ' ';
			memcpy(buf + len, p + ws, use - ws);
			len += use - ws;
			buf[len] = '\0';
		}
		p += l + (p[l] == '\n');
	}
	free(buf);
	if (r < 0) {
		pfm_entries_free(e.v, e.n);
		errno = ENOMEM;
		return -1;
	}
	*out = e.v;
	*n = e.n;
	return 0;
}

int
pfm_parse_inline(const char *spec, struct pfm_entry **out, size_t *n)
{
	struct entries e = { NULL, 0 };
	const char *p = strchr(spec, '{');
	const char *end = strrchr(spec, '}');

	*out = NULL;
	*n = 0;
	if (!p || !end || end < p)
		return 0;
	for (p++; p < end; ) {
		const char *s, *eq, *stop;
		size_t len = 0;
		int braced;

		p += strspn(p, " \t,");
		if (p >= end)
			break;
		braced = *p == '{';
		s = p + braced;
		if (braced) {
			const char *close = memchr(s, '}', (size_t)(end - s));

			stop = close ? close : end;
			p = close ? close + 1 : end;
		} else {
			while (p + len < end && p[len] != ',')
				len++;
			stop = p + len;
			p += len;
		}
		s += strspn(s, " \t");
		eq = memchr(s, '=', (size_t)(stop - s));
		if (!eq)
			continue;
		len = (size_t)(eq - s);
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		eq++;
		eq += strspn(eq, " \t");
		if (push_entry(&e, s, len, eq, (size_t)(stop - eq), 0) < 0) {
			pfm_entries_free(e.v, e.n);
			errno = ENOMEM;
			return -1;
		}
	}
	*out = e.v;
	*n = e.n;
	return 0;
}

void
pfm_entries_free(struct pfm_entry *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].key);
		free(v[i].value);
	}
	free(v);
}

/* ---------------------------------------------------------------- policy */

int
pfm_policy_parse(const char *value, struct pfm_policy *p, char *err, size_t errlen)
{
	static const char *const levels[] = { "none", "may", "encrypt", "dane", "dane-only",
					      "fingerprint", "verify", "secure", NULL };
	const char *s = value + strspn(value, " \t");
	size_t n = strcspn(s, " \t");
	int ok = 0;

	memset(p, 0, sizeof *p);
	for (const char *const *l = levels; *l; l++)
		ok |= strlen(*l) == n && !strncasecmp(*l, s, n);
	if (!ok) {
		snprintf(err, errlen, "unknown TLS security level '%.*s' (none, may, encrypt, dane, "
			 "dane-only, fingerprint, verify, secure)", (int)(n > 64 ? 64 : n), s);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		p->level[i] = (char)(s[i] | 0x20);
	for (s += n; *s; ) {
		size_t len;

		s += strspn(s, " \t");
		len = strcspn(s, " \t");
		if (!strncasecmp(s, "match=", 6))
			snprintf(p->match, sizeof p->match, "%.*s", (int)(len - 6), s + 6);
		else if (!strncasecmp(s, "protocols=", 10))
			snprintf(p->protocols, sizeof p->protocols, "%.*s", (int)(len - 10), s + 10);
		s += len;
	}
	return 0;
}

/* "TLSv1.2" -> 2, "TLSv1" -> 0, "SSLv3" -> -1, "SSLv2" -> -2, else -9. */
static int
proto_minor(const char *s, size_t n)
{
	if (n == 5 && !strncasecmp(s, "TLSv1", 5))
		return 0;
	if (n == 7 && !strncasecmp(s, "TLSv1.", 6) && s[6] >= '0' && s[6] <= '9')
		return s[6] - '0';
	if (n == 5 && !strncasecmp(s, "SSLv3", 5))
		return -1;
	if (n == 5 && !strncasecmp(s, "SSLv2", 5))
		return -2;
	return -9;
}

int
pfm_proto_refused(const char *list, int minor)
{
	int includes = 0, included = 0;

	for (const char *s = list; *s; ) {
		size_t n;
		int m;

		s += strspn(s, " \t,:");
		n = strcspn(s, " \t,:");
		if (!n)
			break;
		if (s[0] == '!' && proto_minor(s + 1, n - 1) == minor)
			return 1;
		if (s[0] == '>' && s[1] == '=' && (m = proto_minor(s + 2, n - 2)) != -9 && minor < m)
			return 1;
		if (s[0] == '<' && s[1] == '=' && (m = proto_minor(s + 2, n - 2)) != -9 && minor > m)
			return 1;
		if (s[0] != '!' && s[0] != '<' && s[0] != '>' && (m = proto_minor(s, n)) != -9) {
			includes = 1;
			included |= m == minor;
		}
		s += n;
	}
	return includes && !included;
}
