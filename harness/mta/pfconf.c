/*
 * pfconf.c: Postfix configuration text, logical line by logical line (see
 * pfconf.h).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pfconf.h"

enum kind { START, MORE, SKIP };

static enum kind
line_kind(const char *p, size_t len)
{
	size_t ws = 0;

	while (ws < len && (p[ws] == ' ' || p[ws] == '\t' || p[ws] == '\r'))
		ws++;
	if (ws == len || p[ws] == '#')
		return SKIP;
	return ws ? MORE : START;
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
	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		size_t cap = (b->len + n + 1) * 2;
		char *ns = realloc(b->s, cap);

		if (!ns) {
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
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static char *
done(struct buf *b)
{
	if (b->oom) {
		free(b->s);
		return NULL;
	}
	return b->s ? b->s : strdup("");
}

/* The logical line that starts at p; *next is where the next physical line
 * after it (and its continuations) starts, *lines the physical lines used. */
static char *
join_logical(const char *p, const char **next, int *lines)
{
	struct buf b = { 0 };
	size_t len = strcspn(p, "\n");

	put(&b, p, len);
	p += len + (p[len] == '\n');
	*lines = 1;
	while (*p) {
		enum kind k;

		len = strcspn(p, "\n");
		if ((k = line_kind(p, len)) == START)
			break;
		if (k == MORE) {
			size_t ws = strspn(p, " \t");

			put(&b, " ", 1);
			put(&b, p + ws, len - ws);
		}
		p += len + (p[len] == '\n');
		(*lines)++;
	}
	*next = p;
	return done(&b);
}

static char *
trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

int
cf_main_parse(struct cf_main *m, const char *text, const char *origin, int first_line)
{
	const char *p = text;
	int line = first_line;

	while (p && *p) {
		size_t len = strcspn(p, "\n");
		const char *next;
		char *lt, *eq, *name, *value;
		struct cf_def *nd;
		int n;

		if (line_kind(p, len) != START) {
			p += len + (p[len] == '\n');
			line++;
			continue;
		}
		if (!(lt = join_logical(p, &next, &n)))
			return -1;
		if ((eq = strchr(lt, '=')) != NULL) {
			*eq = '\0';
			name = trim(lt);
			value = trim(eq + 1);
			if (*name && !strpbrk(name, " \t")) {
				if (!(nd = realloc(m->defs, (m->n + 1) * sizeof *nd))) {
					free(lt);
					return -1;
				}
				m->defs = nd;
				nd[m->n] = (struct cf_def){ strdup(name), strdup(value), origin, line };
				if (!nd[m->n].name || !nd[m->n].value) {
					free(nd[m->n].name);
					free(nd[m->n].value);
					free(lt);
					return -1;
				}
				m->n++;
			}
		}
		free(lt);
		p = next;
		line += n;
	}
	return 0;
}

const struct cf_def *
cf_main_get(const struct cf_main *m, const char *name)
{
	for (size_t i = m->n; i-- > 0;)
		if (!strcmp(m->defs[i].name, name))
			return &m->defs[i];
	return NULL;
}

void
cf_main_free(struct cf_main *m)
{
	for (size_t i = 0; i < m->n; i++) {
		free(m->defs[i].name);
		free(m->defs[i].value);
	}
	free(m->defs);
	m->defs = NULL;
	m->n = 0;
}

/* Split a master.cf logical line into s (fields and args). */
static int
split_service(char *lt, struct cf_service *s)
{
	char *save = NULL, *tok;
	int nf = 0;

	memset(s, 0, sizeof *s);
	for (tok = strtok_r(lt, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
		if (nf < CF_MASTER_FIELDS) {
			if (!(s->f[nf++] = strdup(tok)))
				return -1;
			continue;
		}
		{
			char **na = realloc(s->args, (s->nargs + 1) * sizeof *na);

			if (!na)
				return -1;
			s->args = na;
			/* "-o" "name=value" -> one arg "-o name=value" */
			if (s->nargs && !strcmp(s->args[s->nargs - 1], "-o") && *tok != '-') {
				char *j = NULL;

				if (asprintf(&j, "-o %s", tok) < 0)
					return -1;
				free(s->args[s->nargs - 1]);
				s->args[s->nargs - 1] = j;
			} else if (!(s->args[s->nargs++] = strdup(tok)))
				return -1;
		}
	}
	return nf == CF_MASTER_FIELDS ? 1 : 0;
}

static void
service_free(struct cf_service *s)
{
	for (int i = 0; i < CF_MASTER_FIELDS; i++)
		free(s->f[i]);
	for (size_t i = 0; i < s->nargs; i++)
		free(s->args[i]);
	free(s->args);
}

int
cf_master_parse(struct cf_master *m, const char *text, const char *origin, int first_line)
{
	const char *p = text;
	int line = first_line;

	while (p && *p) {
		size_t len = strcspn(p, "\n");
		const char *next;
		struct cf_service s, *ns;
		char *lt;
		int n, r;

		if (line_kind(p, len) != START) {
			p += len + (p[len] == '\n');
			line++;
			continue;
		}
		if (!(lt = join_logical(p, &next, &n)))
			return -1;
		r = split_service(lt, &s);
		free(lt);
		if (r < 0) {
			service_free(&s);
			return -1;
		}
		if (r == 1) {
			if (!(ns = realloc(m->sv, (m->n + 1) * sizeof *ns))) {
				service_free(&s);
				return -1;
			}
			m->sv = ns;
			s.origin = origin;
			s.line = line;
			ns[m->n++] = s;
		} else
			service_free(&s);
		p = next;
		line += n;
	}
	return 0;
}

void
cf_master_free(struct cf_master *m)
{
	for (size_t i = 0; i < m->n; i++)
		service_free(&m->sv[i]);
	free(m->sv);
	m->sv = NULL;
	m->n = 0;
}

const char *
cf_service_option(const struct cf_service *s, const char *name)
{
	size_t n = strlen(name);
	const char *found = NULL;

	for (size_t i = 0; i < s->nargs; i++) {
		const char *a = s->args[i];

		if (strncmp(a, "-o ", 3) != 0)
			continue;
		a += 3;
		if (!strncmp(a, name, n) && a[n] == '=')
			found = a + n + 1;
	}
	return found;
}

void
cf_line_key(const char *p, size_t len, int master, char *key, size_t keylen)
{
	char line[1024], a[256], b[256];

	key[0] = '\0';
	if (line_kind(p, len) != START)
		return;
	snprintf(line, sizeof line, "%.*s", (int)(len < sizeof line - 1 ? len : sizeof line - 1), p);
	if (master) {
		if (sscanf(line, "%255s %255s", a, b) == 2)
			snprintf(key, keylen, "%s %s", a, b);
	} else {
		size_t n = strcspn(line, " \t=");

		snprintf(key, keylen, "%.*s", (int)n, line);
	}
}

char *
cf_comment_out(const char *text, int master, int (*pick)(const char *key, void *arg), void *arg,
	       const char *mark)
{
	struct buf b = { 0 };
	int in = 0;

	for (const char *p = text; p && *p;) {
		size_t len = strcspn(p, "\n");
		char key[600];

		switch (line_kind(p, len)) {
		case START:
			cf_line_key(p, len, master, key, sizeof key);
			in = key[0] && pick(key, arg);
			/* fall through */
		case MORE:
			if (in)
				puts_(&b, mark);
			break;
		case SKIP:
			break;	/* comments and blank lines end nothing */
		}
		put(&b, p, len);
		put(&b, "\n", 1);
		p += len + (p[len] == '\n');
	}
	return done(&b);
}

/* Is key defined in the text arg (a main.cf or master.cf text)? */
struct defined_arg {
	const char *text;
	int master;
};

static int
defined_in(const char *key, void *arg)
{
	const struct defined_arg *d = arg;

	for (const char *p = d->text; p && *p;) {
		size_t len = strcspn(p, "\n");
		char k[600];

		cf_line_key(p, len, d->master, k, sizeof k);
		if (k[0] && !strcmp(k, key))
			return 1;
		p += len + (p[len] == '\n');
	}
	return 0;
}

char *
cf_overlay(const char *under, const char *over, const char *origin, int master)
{
	struct defined_arg d = { over, master };
	char *kept;
	struct buf b = { 0 };

	if (!over)
		return strdup(under ? under : "");
	if (!(kept = cf_comment_out(under ? under : "", master, defined_in, &d,
				    "# (replaced below) ")))
		return NULL;
	puts_(&b, kept);
	free(kept);
	puts_(&b, "# --- from ");
	puts_(&b, origin ? origin : "the scenario");
	puts_(&b, " ---\n");
	puts_(&b, over);
	if (b.len && b.s[b.len - 1] != '\n')
		put(&b, "\n", 1);
	return done(&b);
}

int
cf_origin_of_line(const char *text, int line, char *buf, size_t len)
{
	const char *mark = NULL, *p = text;
	int n = 1, at = 0;

	/* the last "# --- from ORIGIN ---" before the line, no other mark
	 * ("# --- owned by ...") in between */
	for (; p && *p && n < line; n++) {
		if (!strncmp(p, "# --- ", 6)) {
			mark = strncmp(p, "# --- from ", 11) ? NULL : p + 11;
			at = n;
		}
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (n != line || !p || !mark) {
		if (len)
			buf[0] = '\0';
		return -1;
	}
	{
		const char *end = strstr(mark, " ---\n"), *colon;
		long first;

		if (!end)
			return -1;
		for (colon = end; colon > mark && colon[-1] != ':'; colon--)
			;
		if (colon == mark || (first = strtol(colon, NULL, 10)) < 1)
			return -1;
		snprintf(buf, len, "%.*s:%ld", (int)(colon - 1 - mark), mark, first + (line - at - 1));
	}
	return 0;
}

static int
expand_into(struct buf *b, const struct cf_main *m, const char *const *defaults,
	    const char *v, int depth)
{
	if (depth > 8)
		return -1;
	while (*v) {
		const char *d = strchr(v, '$'), *name, *val = NULL;
		size_t n;

		if (!d) {
			puts_(b, v);
			break;
		}
		put(b, v, (size_t)(d - v));
		v = d + 1;
		if (*v == '$') {
			put(b, "$", 1);
			v++;
			continue;
		}
		if (*v == '{' || *v == '(') {
			char close = *v == '{' ? '}' : ')';
			const char *e = strchr(v, close);

			if (!e)
				return -1;
			name = v + 1;
			n = (size_t)(e - name);
			if (strcspn(name, "?:") < n)
				return -1;	/* conditional forms: not followed */
			v = e + 1;
		} else {
			name = v;
			n = 0;
			while (isalnum((unsigned char)name[n]) || name[n] == '_')
				n++;
			if (!n)
				return -1;
			v = name + n;
		}
		for (size_t i = m->n; i-- > 0 && !val;)
			if (strlen(m->defs[i].name) == n && !strncmp(m->defs[i].name, name, n))
				val = m->defs[i].value;
		for (const char *const *p = defaults; !val && p && *p; p += 2)
			if (strlen(*p) == n && !strncmp(*p, name, n))
				val = p[1];
		if (!val || expand_into(b, m, defaults, val, depth + 1) < 0)
			return -1;
	}
	return 0;
}

char *
cf_expand(const struct cf_main *m, const char *const *defaults, const char *value)
{
	struct buf b = { 0 };

	if (expand_into(&b, m, defaults, value, 0) < 0) {
		free(b.s);
		return NULL;
	}
	return done(&b);
}
