/*
 * scenario_lab.c: the [lab] section of a scenario (docs/labs.md).
 *
 * A lab is a scenario whose Postfix configuration is broken on purpose:
 * its [expect] lines describe the broken world (so `mxlab run` passes it),
 * its [lab] section tells a student what to fix: title, difficulty
 * (easy, medium, hard), task (repeatable: one line of text each), hint
 * (repeatable, in order), goal (repeatable: an [expect] line, "KIND ... =
 * VALUE", that a fixed configuration meets) and solution (a unified diff
 * against the lab's main.cf / master.cf, relative to the scenario).
 *
 * sc_rd_lab_line reads one line (errors as FILE:LINE); sc_lab_apply turns
 * a loaded lab into the run `mxlab lab check` wants: goals for [expect],
 * and a configuration directory's main.cf / master.cf for the scenario's
 * [main.cf] / [master.cf].
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario_int.h"

#define SC_LAB_CONF_MAX (1 << 20)

static int
lab_set_once(struct rd *r, int line, char **dst, const char *k, const char *v)
{
	if (*dst) {
		sc_rd_err(r, line, "%s: given twice in [lab]", k);
		return -1;
	}
	if (!(*dst = strdup(v)))
		r->oom = 1;
	return 0;
}

/* Append v as a new line of *dst. */
static void
lab_append(struct rd *r, char **dst, const char *v)
{
	size_t n = *dst ? strlen(*dst) : 0;
	char *nb = realloc(*dst, n + strlen(v) + 2);

	if (!nb) {
		r->oom = 1;
		return;
	}
	if (n)
		nb[n++] = '\n';
	strcpy(nb + n, v);
	*dst = nb;
}

static void
lab_goal(struct rd *r, int line, char *v)
{
	struct sc_lab *lab = &r->sc->lab;
	struct ex_set *s;
	struct sc_kv item = { line, NULL, NULL };
	char e[600], *gk, *gv;

	if (sc_rd_kv_split(r, line, v, &gk, &gv) < 0)
		return;
	if (sc_vars_check(gk, "[lab] goal", e, sizeof e) < 0 ||
	    sc_vars_check(gv, "[lab] goal", e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s", e);
		return;
	}
	if (!(s = ex_set_new())) {
		r->oom = 1;
		return;
	}
	if (ex_parse(s, line, gk, gv, e, sizeof e) < 0) {
		sc_rd_err(r, line, "goal: %s", e);
		ex_set_free(s);
		return;
	}
	ex_set_free(s);
	item.key = strdup(gk);
	item.value = strdup(gv);
	if (!item.key || !item.value ||
	    sc_rd_push(&lab->goals, &lab->ngoals, sizeof item, &item) < 0) {
		free(item.key);
		free(item.value);
		r->oom = 1;
	}
}

void
sc_rd_lab_line(struct rd *r, int line, char *t)
{
	struct sc_lab *lab = &r->sc->lab;
	char *k, *v;

	if (sc_rd_kv_split(r, line, t, &k, &v) < 0)
		return;
	if (!*v) {
		sc_rd_err(r, line, "%s: empty value", k);
		return;
	}
	if (!strcmp(k, "title"))
		lab_set_once(r, line, &lab->title, k, v);
	else if (!strcmp(k, "difficulty")) {
		if (strcmp(v, "easy") && strcmp(v, "medium") && strcmp(v, "hard"))
			sc_rd_err(r, line, "difficulty: bad value '%.60s' (easy, medium, hard)", v);
		else
			lab_set_once(r, line, &lab->difficulty, k, v);
	} else if (!strcmp(k, "task"))
		lab_append(r, &lab->task, v);
	else if (!strcmp(k, "hint")) {
		if (sc_rd_push_str(&lab->hints, &lab->nhints, v) < 0)
			r->oom = 1;
	} else if (!strcmp(k, "solution")) {
		if (v[0] == '/' || !strcmp(v, "..") || !strncmp(v, "../", 3) || strstr(v, "/../"))
			sc_rd_err(r, line, "solution: '%.60s': a path relative to the scenario's "
				  "directory, without '..'", v);
		else
			lab_set_once(r, line, &lab->solution, k, v);
	} else if (!strcmp(k, "goal"))
		lab_goal(r, line, v);
	else
		sc_rd_err(r, line, "unknown key '%.60s' in [lab] (title, difficulty, task, "
			  "hint, goal, solution)", k);
}

/* The whole section, once read: what a lab cannot do without. */
void
sc_rd_lab_checks(struct rd *r)
{
	struct sc_lab *lab = &r->sc->lab;

	if (!lab->line)
		return;
	if (!lab->title)
		sc_rd_err(r, lab->line, "[lab] needs a title");
	if (!lab->difficulty)
		sc_rd_err(r, lab->line, "[lab] needs a difficulty (easy, medium, hard)");
	if (!lab->task)
		sc_rd_err(r, lab->line, "[lab] needs a task (the text a student reads first)");
	if (!lab->ngoals)
		sc_rd_err(r, lab->line, "[lab] needs at least one goal (an [expect] line a "
			  "fixed configuration meets)");
}

void
sc_lab_free(struct sc_lab *lab)
{
	free(lab->title);
	free(lab->difficulty);
	free(lab->task);
	free(lab->solution);
	sc_rd_free_strv(lab->hints, lab->nhints);
	sc_rd_free_kv(lab->goals, lab->ngoals);
	memset(lab, 0, sizeof *lab);
}

/* DIR/name into *dst when the file is there; 0, or -1 with err. */
static int
read_conf(const char *dir, const char *name, char **dst, int *line, char **origin, char *err,
	  size_t errlen)
{
	char path[4096];
	char *text;
	size_t len;
	FILE *f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	if (access(path, F_OK) < 0)
		return 0;
	if (!(f = fopen(path, "r")) || !(text = malloc(SC_LAB_CONF_MAX + 1))) {
		snprintf(err, errlen, "%s: cannot read it", path);
		if (f)
			fclose(f);
		return -1;
	}
	len = fread(text, 1, SC_LAB_CONF_MAX + 1, f);
	fclose(f);
	if (len > SC_LAB_CONF_MAX) {
		snprintf(err, errlen, "%s: larger than %d bytes", path, SC_LAB_CONF_MAX);
		free(text);
		return -1;
	}
	text[len] = '\0';
	free(*origin);
	if (!(*origin = strdup(path))) {
		snprintf(err, errlen, "%s: out of memory", path);
		free(text);
		return -1;
	}
	free(*dst);
	*dst = text;
	*line = 1;
	return 0;
}

int
sc_lab_apply(struct scenario *sc, int goals, const char *config, char *err, size_t errlen)
{
	if (!sc->lab.line) {
		snprintf(err, errlen, "%s: not a lab (no [lab] section)", sc->file);
		return -1;
	}
	if (config && (read_conf(config, "main.cf", &sc->main_cf, &sc->main_cf_line,
				 &sc->main_cf_origin, err, errlen) < 0 ||
		       read_conf(config, "master.cf", &sc->master_cf, &sc->master_cf_line,
				 &sc->master_cf_origin, err, errlen) < 0))
		return -1;
	if (goals) {
		struct sc_kv *kv = sc->expect_kv;
		size_t n = sc->nexpect_kv;

		sc->expect_kv = sc->lab.goals;
		sc->nexpect_kv = sc->lab.ngoals;
		sc->lab.goals = kv;
		sc->lab.ngoals = n;
	}
	return 0;
}
