/*
 * mta_exim_conf.c: a scenario's [exim.conf] overlay merged over the Exim
 * driver's base configuration (see mta_exim_conf.h for the rules).
 *
 * Each text is cut into sections, each section into parts (the main
 * options; the lines before a section's first instance or ACL; one part
 * per instance or ACL), each part into entries (one logical line: an
 * option with its continuation lines, a comment, a directive). Entries
 * point into the texts, which outlive the merge; the result is written
 * from them.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mta_exim_conf.h"

enum ekind { E_OPT, E_NOTE, E_DIR, E_RAW };
enum skind { S_MAIN, S_DRIVERS, S_ACL, S_RAW };

struct ent {
	enum ekind kind;
	const char *p;		/* its lines, the last without "\n" */
	size_t len;
	const char *name;	/* E_OPT: the option's name */
	size_t nlen;
	int inl;		/* on the instance's "NAME:" line */
	int line;		/* of its first line, from 0 */
};

struct part {
	const char *name;	/* NULL: the lines before the first instance */
	size_t nlen;
	const char *head;	/* "NAME:" line, up to an option on it */
	size_t hlen;
	struct ent *ev;
	size_t n, cap;
};

struct sect {
	enum skind kind;
	const char *name;	/* NULL: main options */
	size_t nlen;
	const char *head;	/* the "begin" line */
	size_t hlen;
	struct part *pv;	/* pv[0]: main options or lines before instances */
	size_t n, cap;
};

struct conf {
	struct sect *sv;	/* sv[0]: main */
	size_t n, cap;
	const char *who;	/* "" or "base line " */
	int first;		/* line number of the text's first line */
	char *err;
	size_t errlen;
};

static int
fail(struct conf *c, int line, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->err, c->errlen, "%s%d: ", c->who, c->first + line);
	if (n >= 0 && (size_t)n < c->errlen) {
		va_start(ap, fmt);
		vsnprintf(c->err + n, c->errlen - n, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Room for one more of size sz in *v (n used, cap allocated). */
static int
grow(void *v, size_t n, size_t *cap, size_t sz)
{
	void *nv;
	size_t ncap;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (!(nv = realloc(*(void **)v, ncap * sz)))
		return -1;
	*(void **)v = nv;
	*cap = ncap;
	return 0;
}

static int
ent_insert(struct part *pt, size_t at, const struct ent *e)
{
	if (grow(&pt->ev, pt->n, &pt->cap, sizeof(*e)) < 0)
		return -1;
	memmove(pt->ev + at + 1, pt->ev + at, (pt->n - at) * sizeof(*e));
	pt->ev[at] = *e;
	pt->n++;
	return 0;
}

static int
part_insert(struct sect *s, size_t at, struct part *pt)
{
	if (grow(&s->pv, s->n, &s->cap, sizeof(*pt)) < 0)
		return -1;
	memmove(s->pv + at + 1, s->pv + at, (s->n - at) * sizeof(*pt));
	s->pv[at] = *pt;
	s->n++;
	memset(pt, 0, sizeof(*pt));
	return 0;
}

static int
sect_add(struct conf *c, struct sect *s)
{
	if (grow(&c->sv, c->n, &c->cap, sizeof(*s)) < 0)
		return -1;
	c->sv[c->n++] = *s;
	memset(s, 0, sizeof(*s));
	return 0;
}

static void
sect_free(struct sect *s)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		free(s->pv[i].ev);
	free(s->pv);
	memset(s, 0, sizeof(*s));
}

static void
conf_free(struct conf *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		sect_free(&c->sv[i]);
	free(c->sv);
	c->sv = NULL;
	c->n = c->cap = 0;
}

#define BLANK(ch)	((ch) == ' ' || (ch) == '\t' || (ch) == '\r')
#define WORD(ch)	(((ch) >= 'a' && (ch) <= 'z') || ((ch) >= 'A' && (ch) <= 'Z') \
			|| ((ch) >= '0' && (ch) <= '9') || (ch) == '_')

static size_t
skip_blanks(const char *p, size_t i, size_t len)
{
	while (i < len && BLANK(p[i]))
		i++;
	return i;
}

/* An option "[hide] name = value" or a bare boolean; its name, or -1. */
static int
opt_name(const char *p, size_t len, const char **name, size_t *nlen)
{
	size_t i = skip_blanks(p, 0, len), w;

	if (len - i > 5 && memcmp(p + i, "hide", 4) == 0 && BLANK(p[i + 4]))
		i = skip_blanks(p, i + 4, len);
	for (w = i; w < len && WORD(p[w]); w++)
		;
	if (w == i)
		return -1;
	*name = p + i;
	*nlen = w - i;
	w = skip_blanks(p, w, len);
	if (w < len && p[w] == '=')
		return 0;
	if (w < len)
		return -1;
	if (*nlen > 4 && memcmp(*name, "not_", 4) == 0)
		*name += 4, *nlen -= 4;
	else if (*nlen > 3 && memcmp(*name, "no_", 3) == 0)
		*name += 3, *nlen -= 3;
	return 0;
}

/* "NAME:" at column 0: the length up to and with the colon, or 0. */
static size_t
head_len(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		if (p[i] == ':')
			return i > 0 && (i + 1 == len || BLANK(p[i + 1])) ? i + 1 : 0;
		if (BLANK(p[i]) || p[i] == '=' || p[i] == '#')
			return 0;
	}
	return 0;
}

static enum skind
sect_kind(const char *name, size_t nlen)
{
	static const struct {
		const char *name;
		enum skind kind;
	} kinds[] = {
		{ "routers", S_DRIVERS },
		{ "transports", S_DRIVERS },
		{ "authenticators", S_DRIVERS },
		{ "acl", S_ACL },
	};
	size_t i;

	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strlen(kinds[i].name) == nlen && memcmp(kinds[i].name, name, nlen) == 0)
			return kinds[i].kind;
	return S_RAW;
}

static int
same(const char *a, size_t alen, const char *b, size_t blen)
{
	return a && b && alen == blen && memcmp(a, b, alen) == 0;
}

/* A "begin NAME" line starts section s; 1 when it is one, -1 on error. */
static int
begin_line(struct conf *c, const char *p, size_t len, int line, struct sect *s)
{
	size_t i = skip_blanks(p, 0, len), w, k;

	if (len - i < 5 || memcmp(p + i, "begin", 5) != 0
	    || (i + 5 < len && !BLANK(p[i + 5])))
		return 0;
	i = skip_blanks(p, i + 5, len);
	if (i < len && p[i] == '=')
		return 0;
	for (w = i; w < len && !BLANK(p[w]); w++)
		;
	if (w == i)
		return fail(c, line, "begin with no section name");
	for (k = 1; k < c->n; k++)
		if (same(c->sv[k].name, c->sv[k].nlen, p + i, w - i))
			return fail(c, line, "section %.*s begun twice", (int)(w - i), p + i);
	memset(s, 0, sizeof(*s));
	s->name = p + i;
	s->nlen = w - i;
	s->kind = sect_kind(s->name, s->nlen);
	s->head = p;
	s->hlen = len;
	return 1;
}

/* One logical line (first physical line: len1 bytes) into section s. */
static int
add_line(struct conf *c, struct sect *s, const char *p, size_t len, size_t len1, int line)
{
	struct part np = { 0 };
	struct part *cur = &s->pv[s->n - 1];
	struct ent e = { E_RAW, p, len, NULL, 0, 0, line };
	size_t i = skip_blanks(p, 0, len1), h;

	if (i == len1 || p[i] == '#')
		e.kind = E_NOTE;
	else if (p[i] == '.')
		e.kind = E_DIR;
	else if (s->kind != S_MAIN && s->kind != S_RAW && (h = head_len(p, len1))) {
		np.name = p;
		np.nlen = h - 1;
		np.head = p;
		np.hlen = len;
		i = skip_blanks(p, h, len1);
		if (s->kind == S_DRIVERS && i < len1) {
			np.hlen = i;
			e.p = p + i;
			e.len = len - i;
			e.inl = 1;
			if (opt_name(e.p, len1 - i, &e.name, &e.nlen) < 0)
				return fail(c, line, "not an option");
			e.kind = E_OPT;
			if (ent_insert(&np, 0, &e) < 0) {
				free(np.ev);
				return fail(c, line, "out of memory");
			}
		}
		if (part_insert(s, s->n, &np) < 0) {
			free(np.ev);
			return fail(c, line, "out of memory");
		}
		return 0;
	} else if (s->kind == S_MAIN || s->kind == S_DRIVERS) {
		if (opt_name(p, len1, &e.name, &e.nlen) < 0)
			return fail(c, line, "not an option");
		if (!cur->name && s->kind == S_DRIVERS)
			return fail(c, line, "option outside any driver instance in %.*s",
				    (int)s->nlen, s->name);
		e.kind = E_OPT;
	}
	if (ent_insert(cur, cur->n, &e) < 0)
		return fail(c, line, "out of memory");
	return 0;
}

/* The physical line at p: its length without "\n"; 1 if it goes on. */
static int
phys_line(const char *p, size_t *len)
{
	size_t n = strcspn(p, "\n"), i = n, j;

	*len = n;
	while (i > 0 && BLANK(p[i - 1]))
		i--;
	j = skip_blanks(p, 0, n);
	return i > 0 && p[i - 1] == '\\' && j < n && p[j] != '#' && p[j] != '.';
}

static int
conf_parse(struct conf *c, const char *text)
{
	struct sect s = { 0 }, ns;
	struct part none = { 0 };
	size_t len, len1;
	int line = 0, first, r;

	if (sect_add(c, &s) < 0 || part_insert(&c->sv[0], 0, &none) < 0)
		return fail(c, 0, "out of memory");
	while (*text) {
		const char *p = text;

		first = line++;
		r = phys_line(p, &len1);
		len = len1;
		text = p + len1;
		while (r && text[0] == '\n' && text[1]) {
			size_t more;

			r = phys_line(text + 1, &more);
			len = (size_t)(text + 1 - p) + more;
			text = p + len;
			line++;
		}
		if (*text == '\n')
			text++;
		if ((r = begin_line(c, p, len1, first, &ns)) < 0)
			return -1;
		if (r > 0) {
			if (sect_add(c, &ns) < 0
			    || part_insert(&c->sv[c->n - 1], 0, &none) < 0)
				return fail(c, first, "out of memory");
		} else if (add_line(c, &c->sv[c->n - 1], p, len, len1, first) < 0)
			return -1;
	}
	return 0;
}

static int
find_opt(const struct part *pt, const struct ent *e)
{
	size_t i;

	for (i = 0; i < pt->n; i++)
		if (pt->ev[i].kind == E_OPT
		    && same(pt->ev[i].name, pt->ev[i].nlen, e->name, e->nlen))
			return (int)i;
	return -1;
}

/* Overlay options into base part b: in place, or after b's last option or
 * directive. */
static int
merge_opts(struct part *b, const struct part *o)
{
	size_t at = b->n, i;
	int k;

	while (at > 0 && b->ev[at - 1].kind == E_NOTE)
		at--;
	for (i = 0; i < o->n; i++) {
		struct ent e = o->ev[i];

		if (e.kind == E_OPT && (k = find_opt(b, &e)) >= 0) {
			e.inl = b->ev[k].inl;
			b->ev[k] = e;
			continue;
		}
		e.inl = 0;
		if (ent_insert(b, at++, &e) < 0)
			return -1;
	}
	return 0;
}

static int
find_part(const struct sect *s, const struct part *pt)
{
	size_t i;

	for (i = 1; i < s->n; i++)
		if (same(s->pv[i].name, s->pv[i].nlen, pt->name, pt->nlen))
			return (int)i;
	return -1;
}

/* Overlay instances or ACLs into base section b. */
static int
merge_parts(struct sect *b, struct sect *o)
{
	size_t at = 1, i;
	int k;
	int first = same(b->name, b->nlen, "routers", 7);	/* new ones first */

	for (i = 0; i < o->n; i++) {
		struct part *pt = &o->pv[i];

		if (!pt->name && pt->n == 0)
			continue;
		k = pt->name ? find_part(b, pt) : -1;
		if (k >= 0 && b->kind == S_DRIVERS) {
			if (merge_opts(&b->pv[k], pt) < 0)
				return -1;
		} else if (k >= 0) {
			free(b->pv[k].ev);
			b->pv[k] = *pt;
			memset(pt, 0, sizeof(*pt));
		} else if (part_insert(b, first ? at++ : b->n, pt) < 0)
			return -1;
	}
	return 0;
}

static int
find_sect(const struct conf *c, const struct sect *s)
{
	size_t i;

	for (i = 1; i < c->n; i++)
		if (same(c->sv[i].name, c->sv[i].nlen, s->name, s->nlen))
			return (int)i;
	return -1;
}

static int
conf_merge(struct conf *b, struct conf *o)
{
	size_t i;
	int k;

	if (merge_opts(&b->sv[0].pv[0], &o->sv[0].pv[0]) < 0)
		return -1;
	for (i = 1; i < o->n; i++) {
		struct sect *s = &o->sv[i];

		if ((k = find_sect(b, s)) < 0) {
			if (sect_add(b, s) < 0)
				return -1;
		} else if (s->kind == S_DRIVERS || s->kind == S_ACL) {
			if (merge_parts(&b->sv[k], s) < 0)
				return -1;
		} else {
			sect_free(&b->sv[k]);
			b->sv[k] = *s;
			memset(s, 0, sizeof(*s));
		}
	}
	return 0;
}

/* The overlay's main options the driver owns. */
static int
check_owned(struct conf *o, const char *const *owned)
{
	const struct part *pt = &o->sv[0].pv[0];
	size_t i, j;

	for (i = 0; owned && i < pt->n; i++)
		for (j = 0; pt->ev[i].kind == E_OPT && owned[j]; j++)
			if (same(pt->ev[i].name, pt->ev[i].nlen, owned[j], strlen(owned[j])))
				return fail(o, pt->ev[i].line,
					    "%s is set by mxlab's exim driver; remove it", owned[j]);
	return 0;
}

/* A growing string. */
struct buf {
	char *s;
	size_t len, cap;
	int oom;
};

static void
put(struct buf *b, const char *p, size_t n)
{
	char *ns;
	size_t cap;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		cap = (b->len + n + 1) * 2;
		if (!(ns = realloc(b->s, cap))) {
			b->oom = 1;
			return;
		}
		b->s = ns;
		b->cap = cap;
	}
	memcpy(b->s + b->len, p, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
put_part(struct buf *b, const struct part *pt)
{
	size_t i = 0, k;

	if (pt->name) {
		put(b, pt->head, pt->hlen);
		if (pt->n > 0 && pt->ev[0].inl) {
			k = skip_blanks(pt->ev[0].p, 0, pt->ev[0].len);
			put(b, pt->ev[0].p + k, pt->ev[0].len - k);
			i = 1;
		}
		put(b, "\n", 1);
	}
	for (; i < pt->n; i++) {
		put(b, pt->ev[i].p, pt->ev[i].len);
		put(b, "\n", 1);
	}
}

static char *
conf_text(const struct conf *c)
{
	struct buf b = { 0 };
	size_t i, j;

	put(&b, "", 0);
	for (i = 0; i < c->n; i++) {
		if (c->sv[i].name) {
			put(&b, c->sv[i].head, c->sv[i].hlen);
			put(&b, "\n", 1);
		}
		for (j = 0; j < c->sv[i].n; j++)
			put_part(&b, &c->sv[i].pv[j]);
	}
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

static int
check_size(struct conf *c, const char *text)
{
	size_t len = strlen(text), lines = 0;
	const char *p;

	if (len > MTA_EXIM_CONF_MAX_BYTES)
		return fail(c, 0, "text over %d bytes", MTA_EXIM_CONF_MAX_BYTES);
	for (p = text; (p = strchr(p, '\n')) != NULL; p++)
		if (++lines >= MTA_EXIM_CONF_MAX_LINES && p[1])
			return fail(c, 0, "text over %d lines", MTA_EXIM_CONF_MAX_LINES);
	return 0;
}

char *
mta_exim_conf_merge(const char *base, const char *overlay, int overlay_first_line,
		    const char *const *owned, char *err, size_t errlen)
{
	struct conf b = { NULL, 0, 0, "base line ", 1, err, errlen };
	struct conf o = { NULL, 0, 0, "", overlay_first_line, err, errlen };
	char *out = NULL;

	if (!overlay)
		overlay = "";
	if (check_size(&b, base) < 0 || check_size(&o, overlay) < 0
	    || conf_parse(&b, base) < 0 || conf_parse(&o, overlay) < 0
	    || check_owned(&o, owned) < 0)
		goto out;
	if (conf_merge(&b, &o) < 0 || !(out = conf_text(&b)))
		snprintf(err, errlen, "out of memory");
out:
	conf_free(&b);
	conf_free(&o);
	return out;
}
