/*
 * pcread.c: a Postfix configuration from postconf's output and the text of
 * its main.cf and master.cf (see pcread.h). Postfix parses; this file only
 * reads what postconf printed (with pfconf's readers: its output is
 * main.cf and master.cf syntax), and finds in the files the lines where
 * each parameter, service and -o override is written.
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

/* postconf -n / -x: "name = value" lines, main.cf's syntax. */
static int
params(const char *text, const struct cf_main *lines, struct pcr_param **v, size_t *n)
{
	struct cf_main m = { 0 };
	int r = cf_main_parse(&m, text, "postconf", 1);

	for (size_t i = 0; r == 0 && i < m.n; i++) {
		const struct cf_def *d = lines ? cf_main_get(lines, m.defs[i].name) : NULL;

		r = push_param(v, n, m.defs[i].name, strlen(m.defs[i].name), m.defs[i].value,
			       d ? d->line : 0);
	}
	cf_main_free(&m);
	return r;
}

/* postconf -M: the services, with the line of each in master.cf. */
static int
services(struct pcr_conf *c, const char *text)
{
	struct cf_master m = { 0 };
	int r = cf_master_parse(&m, text, "postconf -M", 1);

	if (r == 0 && !(c->svc = calloc(m.n ? m.n : 1, sizeof *c->svc)))
		r = -1;
	for (size_t i = 0; r == 0 && i < m.n; i++) {
		struct pcr_service *s = &c->svc[c->nsvc++];
		const struct cf_service *f = &m.sv[i];
		size_t len = 1;

		for (int k = 0; k < CF_MASTER_FIELDS; k++)
			len += strlen(f->f[k]) + 1;
		for (size_t a = 0; a < f->nargs; a++)
			len += strlen(f->args[a]) + 1;
		s->name = strdup(f->f[0]);
		s->type = strdup(f->f[1]);
		for (int k = 0; k < 5; k++)
			s->fields[k] = strdup(f->f[2 + k]);
		s->command = strdup(f->f[7]);
		if ((s->entry = malloc(len))) {
			s->entry[0] = '\0';
			for (int k = 0; k < CF_MASTER_FIELDS; k++)
				sprintf(s->entry + strlen(s->entry), "%s%s", k ? " " : "", f->f[k]);
			for (size_t a = 0; a < f->nargs; a++)
				sprintf(s->entry + strlen(s->entry), " %s", f->args[a]);
		}
		if (!s->name || !s->type || !s->command || !s->entry)
			r = -1;
		for (int k = 0; k < 5; k++)
			if (!s->fields[k])
				r = -1;
		for (size_t k = 0; k < c->master_cf.n; k++)
			if (!strcmp(c->master_cf.sv[k].f[0], f->f[0]) &&
			    !strcmp(c->master_cf.sv[k].f[1], f->f[1]))
				s->line = c->master_cf.sv[k].line;
	}
	cf_master_free(&m);
	return r;
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
overrides(struct pcr_conf *c, const char *text)
{
	struct cf_main m = { 0 };
	int r = cf_main_parse(&m, text, "postconf -P", 1);

	for (size_t i = 0; r == 0 && i < m.n; i++) {
		const char *name = m.defs[i].name, *s1, *s2 = strrchr(name, '/');
		struct pcr_service *s;

		for (s1 = s2 ? s2 : name; s1 > name && s1[-1] != '/'; s1--)
			;
		if (!s2 || s1 <= name + 1) {
			r = -2;
			break;
		}
		s = find_svc(c, name, (size_t)(s1 - 1 - name), s1, (size_t)(s2 - s1));
		if (s)		/* else not listed by -M: nothing runs it */
			r = push_param(&s->opts, &s->nopts, s2 + 1, strlen(s2 + 1), m.defs[i].value, 0);
	}
	cf_main_free(&m);
	return r;
}

static int
blank_or_comment(const char *p, size_t len)
{
	size_t ws = strspn(p, " \t\r");

	return ws >= len || p[ws] == '#';
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
	int r = 0;

	memset(c, 0, sizeof *c);
	if (t->main_cf)
		r = cf_main_parse(&c->main_cf, t->main_cf, "main.cf", 1);
	if (r == 0 && t->master_cf)
		r = cf_master_parse(&c->master_cf, t->master_cf, "master.cf", 1);
	if (r == 0)
		r = params(t->n ? t->n : "", &c->main_cf, &c->set, &c->nset);
	if (r == 0)
		r = params(t->x ? t->x : "", NULL, &c->all, &c->nall);
	if (r == 0)
		r = services(c, t->m ? t->m : "");
	if (r == 0)
		r = overrides(c, t->p ? t->p : "");
	if (r == 0 && t->master_cf)
		master_lines(c, t->master_cf);
	if (r == 0)
		return 0;
	set_err(err, errlen, r == -1 ? "out of memory" :
		"postconf -P printed a line that is not 'service/type/name = value'");
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
	cf_main_free(&c->main_cf);
	cf_master_free(&c->master_cf);
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
