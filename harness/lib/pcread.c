/*
 * pcread.c: a Postfix configuration from postconf's output and the text of
 * its main.cf and master.cf (see pcread.h). Postfix parses; this file only
 * reads what postconf printed, and finds in the files the lines where each
 * parameter, service and -o override is written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pcread.h"

static void
set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* ---------------------------------------------------------------- lines */

static int
blank_or_comment(const char *p, size_t len)
{
	size_t ws = strspn(p, " \t");

	return ws >= len || p[ws] == '#';
}

int
pcr_logical_lines(const char *text, int (*fn)(void *, int, const char *), void *arg)
{
	const char *p = text;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	int line = 1, start = 0, r = 0;

	for (;;) {
		size_t len = p ? strcspn(p, "\n") : 0;
		int end = !p || !*p;
		int more = !end && !blank_or_comment(p, len) && (*p == ' ' || *p == '\t');
		int first = !end && !blank_or_comment(p, len) && !more;

		if ((end || first) && start) {
			buf[n] = '\0';
			if ((r = fn(arg, start, buf)) != 0)
				break;
			start = 0;
		}
		if (end)
			break;
		if (first || (more && start)) {
			const char *s = p;
			size_t l = len;

			if (more) {
				s += strspn(p, " \t");
				l -= (size_t)(s - p);
			}
			if (n + l + 2 > cap) {
				char *nb = realloc(buf, cap = (n + l + 2) * 2);

				if (!nb) {
					r = -1;
					break;
				}
				buf = nb;
			}
			if (first) {
				n = 0;
				start = line;
			} else
				buf[n++] = ' ';
			memcpy(buf + n, s, l);
			n += l;
			if (n && buf[n - 1] == '\r')
				n--;
		}
		p += len + (p[len] == '\n');
		line++;
	}
	free(buf);
	return r;
}

/* ---------------------------------------------------------------- params */

static int
push_param(struct pcr_param **v, size_t *n, const char *name, size_t nlen, const char *value,
	   int line)
{
	struct pcr_param *nv = realloc(*v, (*n + 1) * sizeof *nv);

	if (!nv)
		return -1;
	*v = nv;
	nv[*n].name = strndup(name, nlen);
	nv[*n].value = strdup(value);
	nv[*n].line = line;
	if (!nv[*n].name || !nv[*n].value) {
		free(nv[*n].name);
		free(nv[*n].value);
		return -1;
	}
	(*n)++;
	return 0;
}

/* "name = value" at text: the name's length and the value's start. */
static int
split_def(const char *text, size_t *nlen, const char **value)
{
	const char *eq = strchr(text, '=');
	size_t n;

	if (!eq)
		return -1;
	n = (size_t)(eq - text);
	while (n && (text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	if (!n)
		return -1;
	*nlen = n;
	*value = eq + 1 + strspn(eq + 1, " \t");
	return 0;
}

struct params_arg {
	struct pcr_param **v;
	size_t *n;
};

static int
params_line(void *arg, int line, const char *text)
{
	struct params_arg *a = arg;
	const char *value;
	size_t nlen;

	(void)line;
	if (split_def(text, &nlen, &value) < 0)
		return -2;
	return push_param(a->v, a->n, text, nlen, value, 0);
}

/* main.cf: the line of each parameter's last definition (Postfix keeps the
 * last one). */
static int
main_line(void *arg, int line, const char *text)
{
	struct pcr_conf *c = arg;
	const char *value;
	size_t nlen;

	if (split_def(text, &nlen, &value) < 0)
		return 0;
	for (size_t i = 0; i < c->nset; i++)
		if (strlen(c->set[i].name) == nlen && !strncmp(c->set[i].name, text, nlen))
			c->set[i].line = line;
	return 0;
}

/* ---------------------------------------------------------------- master.cf */

static int
master_entry(void *arg, int line, const char *text)
{
	struct pcr_conf *c = arg;
	char f[8][256];
	struct pcr_service *s, *nv;
	const char *p = text;
	int k;

	(void)line;
	for (k = 0; k < 8; k++) {
		size_t l;

		p += strspn(p, " \t");
		l = strcspn(p, " \t");
		if (!l || l >= sizeof f[k])
			return -2;
		memcpy(f[k], p, l);
		f[k][l] = '\0';
		p += l;
	}
	if (!(nv = realloc(c->svc, (c->nsvc + 1) * sizeof *nv)))
		return -1;
	c->svc = nv;
	s = &c->svc[c->nsvc++];
	memset(s, 0, sizeof *s);
	s->name = strdup(f[0]);
	s->type = strdup(f[1]);
	for (k = 0; k < 5; k++)
		s->fields[k] = strdup(f[2 + k]);
	s->command = strdup(f[7]);
	s->entry = strdup(text);
	if (!s->name || !s->type || !s->command || !s->entry)
		return -1;
	for (k = 0; k < 5; k++)
		if (!s->fields[k])
			return -1;
	return 0;
}

static struct pcr_service *
find_svc(const struct pcr_conf *c, const char *name, size_t nlen, const char *type, size_t tlen)
{
	for (size_t i = 0; i < c->nsvc; i++)
		if (strlen(c->svc[i].name) == nlen && !strncmp(c->svc[i].name, name, nlen) &&
		    strlen(c->svc[i].type) == tlen && !strncmp(c->svc[i].type, type, tlen))
			return &c->svc[i];
	return NULL;
}

/* postconf -P: "service/type/name = value". */
static int
override_line(void *arg, int line, const char *text)
{
	struct pcr_conf *c = arg;
	const char *value, *s1, *s2;
	struct pcr_service *s;
	size_t nlen;

	(void)line;
	if (split_def(text, &nlen, &value) < 0)
		return -2;
	for (s2 = text + nlen; s2 > text && s2[-1] != '/'; s2--)
		;
	if (s2 <= text + 1)
		return -2;
	for (s1 = s2 - 1; s1 > text && s1[-1] != '/'; s1--)
		;
	if (s1 <= text + 1)
		return -2;
	s = find_svc(c, text, (size_t)(s1 - 1 - text), s1, (size_t)(s2 - 1 - s1));
	if (!s)
		return 0;	/* not listed by -M: nothing runs it */
	return push_param(&s->opts, &s->nopts, s2, (size_t)(text + nlen - s2), value, 0);
}

/* The physical lines of master.cf: the entry each belongs to, and the
 * line of every "-o name=..." in it. */
static void
master_lines(struct pcr_conf *c, const char *text)
{
	struct pcr_service *cur = NULL;
	int line = 1;

	for (const char *p = text; *p; line++) {
		size_t len = strcspn(p, "\n");
		char buf[4096];
		char *save = NULL, *tok, *prev = NULL;

		snprintf(buf, sizeof buf, "%.*s", (int)(len < sizeof buf ? len : sizeof buf - 1), p);
		p += len + (p[len] == '\n');
		if (blank_or_comment(buf, strlen(buf)))
			continue;
		if (buf[0] != ' ' && buf[0] != '\t') {
			char name[256], type[64];

			cur = NULL;
			if (sscanf(buf, "%255s %63s", name, type) == 2 &&
			    (cur = find_svc(c, name, strlen(name), type, strlen(type))))
				cur->line = line;
		}
		if (!cur)
			continue;
		for (tok = strtok_r(buf, " \t\r", &save); tok; tok = strtok_r(NULL, " \t\r", &save)) {
			const char *o = NULL;

			if (prev && !strcmp(prev, "-o") && strcmp(tok, "{"))
				o = tok;
			else if (prev && !strcmp(prev, "{") && strcmp(tok, "}"))
				o = tok;
			else if (!strncmp(tok, "-o", 2) && tok[2] && tok[2] != '{')
				o = tok + 2;
			prev = tok;
			if (!o)
				continue;
			for (size_t i = 0; i < cur->nopts; i++) {
				size_t n = strlen(cur->opts[i].name);

				if (!strncmp(o, cur->opts[i].name, n) && (o[n] == '=' || o[n] == '\0'))
					cur->opts[i].line = line;
			}
		}
	}
}

/* ---------------------------------------------------------------- load */

int
pcr_load(struct pcr_conf *c, const struct pcr_text *t, char *err, size_t errlen)
{
	struct params_arg a;
	int r;

	memset(c, 0, sizeof *c);
	a = (struct params_arg){ &c->set, &c->nset };
	if ((r = pcr_logical_lines(t->n ? t->n : "", params_line, &a)) != 0)
		goto fail;
	a = (struct params_arg){ &c->all, &c->nall };
	if ((r = pcr_logical_lines(t->x ? t->x : "", params_line, &a)) != 0)
		goto fail;
	if ((r = pcr_logical_lines(t->m ? t->m : "", master_entry, c)) != 0)
		goto fail;
	if ((r = pcr_logical_lines(t->p ? t->p : "", override_line, c)) != 0)
		goto fail;
	if (t->main_cf && (r = pcr_logical_lines(t->main_cf, main_line, c)) != 0)
		goto fail;
	if (t->master_cf)
		master_lines(c, t->master_cf);
	return 0;
fail:
	set_err(err, errlen, r == -1 ? "out of memory" :
		"postconf printed a line that is not 'name = value' or a master.cf entry");
	pcr_free(c);
	return -1;
}

static void
free_params(struct pcr_param *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].value);
	}
	free(v);
}

void
pcr_free(struct pcr_conf *c)
{
	if (!c)
		return;
	free_params(c->set, c->nset);
	free_params(c->all, c->nall);
	for (size_t i = 0; i < c->nsvc; i++) {
		struct pcr_service *s = &c->svc[i];

		free(s->name);
		free(s->type);
		for (int k = 0; k < 5; k++)
			free(s->fields[k]);
		free(s->command);
		free(s->entry);
		free_params(s->opts, s->nopts);
	}
	free(c->svc);
	memset(c, 0, sizeof *c);
}

/* ---------------------------------------------------------------- lookups */

static const struct pcr_param *
find_param(const struct pcr_param *v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i].name, name))
			return &v[i];
	return NULL;
}

const char *
pcr_value(const struct pcr_conf *c, const char *name)
{
	const struct pcr_param *p = find_param(c->all, c->nall, name);

	return p ? p->value : "";
}

const struct pcr_param *
pcr_set(const struct pcr_conf *c, const char *name)
{
	return find_param(c->set, c->nset, name);
}

const char *
pcr_svc_value(const struct pcr_conf *c, const struct pcr_service *s, const char *name,
	      const struct pcr_param **opt)
{
	const struct pcr_param *o = find_param(s->opts, s->nopts, name);

	if (opt)
		*opt = o;
	return o ? o->value : pcr_value(c, name);
}

int
pcr_yes(const char *value)
{
	return value && (!strcasecmp(value, "yes") || !strcasecmp(value, "true") ||
			 !strcmp(value, "1") || !strcasecmp(value, "on"));
}
