/*
 * scenario_load.c: sc_load_mem and sc_load_mem_suites (scenario.h), the
 * order of a load: a new struct scenario named after its path, the lines
 * (sc_rd_text in scenario.c), the checks of the file (sc_rd_file_checks),
 * the suites applied (sc_rd_merge, scenario_suite.c), the checks of the
 * whole scenario (sc_rd_final_checks), then the defaults. Also sc_free,
 * sc_errors_free and sc_has_tag.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

static int
set_names(struct scenario *sc, const char *path)
{
	const char *base = strrchr(path, '/');
	char *real, *slash;
	size_t n;

	base = base ? base + 1 : path;
	n = strlen(base);
	if (n > 4 && !strcmp(base + n - 4, ".scn"))
		n -= 4;
	if (!(sc->file = strdup(path)) || !(sc->name = strndup(base, n)))
		return -1;
	if ((real = realpath(path, NULL)) != NULL && (slash = strrchr(real, '/')) != NULL) {
		slash[slash == real ? 1 : 0] = '\0';
		sc->dir = real;
	} else {
		free(real);
		sc->dir = base == path ? strdup(".") : strndup(path, (size_t)(base - path - 1));
	}
	return sc->dir ? 0 : -1;
}

static void
apply_defaults(struct rd *r)
{
	struct scenario *sc = r->sc;
	struct sc_send *s = &sc->send;
	char text[400];
	int has_faketime = 0, has_sts = 0;

	for (size_t i = 0; i < sc->nrequires; i++) {
		has_faketime |= !strcmp(sc->requires[i], "faketime");
		has_sts |= !strcmp(sc->requires[i], "mta-sts-resolver");
	}
	if (sc->faketime && !has_faketime &&
	    sc_rd_push_str(&sc->requires, &sc->nrequires, "faketime") < 0)
		r->oom = 1;
	if (!sc->mta_driver)
		sc->mta_driver = &mta_postfix;
	if (sc->nsts_cache && !has_sts)
		sc_rd_err(r, sc->sts_cache[0].line, "mta-sts-cache: the scenario does not "
			  "require mta-sts-resolver (no resolver, no cache)");
	if (!sc->mta && !(sc->mta = strdup(sc->mta_driver->name)))
		r->oom = 1;
	if (sc->sasl.present) {
		if (!sc->sasl.backend && !(sc->sasl.backend = strdup("cyrus")))
			r->oom = 1;
		if (!sc->sasl.mechanisms && !(sc->sasl.mechanisms = strdup("PLAIN LOGIN")))
			r->oom = 1;
	}
	if (!s->present)
		return;
	if (!s->from && !(s->from = strdup("sender@example.test")))
		r->oom = 1;
	snprintf(text, sizeof text, "mxlab: %s", sc->name);
	if (!s->subject && !(s->subject = strdup(text)))
		r->oom = 1;
	snprintf(text, sizeof text, "This is a test message of the mxlab scenario %s.\r\n", sc->name);
	if (!s->body && !(s->body = strdup(text)))
		r->oom = 1;
	if (!s->via && !(s->via = strdup("127.0.0.1:25")))
		r->oom = 1;
	if (!s->helo && !(s->helo = strdup("client.example.test")))
		r->oom = 1;
	if (!s->count)
		s->count = 1;
	ex_set_recipients(sc->expect, (const char *const *)s->to, s->nto);
}

/* r->sc: a new scenario named after path, read from text (len bytes),
 * with the checks of its own file; 0, or -1 when there is nothing to
 * go on with (r->sc NULL). The caller frees r->sc and sc_rd_release(r). */
int
sc_rd_file(struct rd *r, const char *path, const char *text, size_t len)
{
	struct scenario *sc;

	r->file = path ? path : "(null)";
	if (!path || (!text && len))
		return -1;
	if (len > SC_FILE_MAX) {
		sc_rd_err(r, 0, "larger than %u bytes", SC_FILE_MAX);
		return -1;
	}
	if (!(sc = calloc(1, sizeof *sc)) || set_names(sc, path) < 0 ||
	    !(sc->expect = ex_set_new())) {
		sc_rd_err(r, 0, "out of memory");
		sc_free(sc);
		return -1;
	}
	sc->timeout_ms = SC_TIMEOUT_DEF;
	r->sc = sc;
	sc_rd_text(r, text, len);
	if (!r->oom && r->nerr < SC_ERRORS_MAX) {
		r->checked = 1;
		sc_rd_file_checks(r);
		sc_rd_lab_checks(r);
	}
	return 0;
}

int
sc_is_suite_name(const char *path)
{
	const char *base = strrchr(path, '/');

	return !strcmp(base ? base + 1 : path, "suite.scn");
}

struct scenario *
sc_load_mem_suites(const char *path, const char *text, size_t len,
		   const struct sc_suite *const *suites, size_t n, struct sc_errors *errs)
{
	struct rd r = { 0 };
	struct scenario *sc;

	r.errs = errs;
	if (path && sc_is_suite_name(path)) {
		r.file = path;
		sc_rd_err(&r, 0, SC_SUITE_NOT_SCENARIO);
		return NULL;
	}
	if (sc_rd_file(&r, path, text, len) < 0)
		return NULL;
	if (r.checked && !r.oom) {
		if (n)
			sc_rd_merge(&r, suites, n);
		sc_rd_final_checks(&r);
		apply_defaults(&r);
	}
	if (r.oom)
		sc_rd_err(&r, 0, "out of memory");
	sc = r.sc;
	sc_rd_release(&r);
	if (r.nerr) {
		sc_free(sc);
		return NULL;
	}
	return sc;
}

struct scenario *
sc_load_mem(const char *path, const char *text, size_t len, struct sc_errors *errs)
{
	return sc_load_mem_suites(path, text, len, NULL, 0, errs);
}

void
sc_rd_free_strv(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void
sc_rd_free_kv(struct sc_kv *kv, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(kv[i].key);
		free(kv[i].value);
	}
	free(kv);
}

static void
free_layers(struct sc_layer *l, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(l[i].origin);
		free(l[i].text);
	}
	free(l);
}

void
sc_free(struct scenario *sc)
{
	if (!sc)
		return;
	free(sc->file);
	free(sc->dir);
	free(sc->name);
	sc_rd_free_strv(sc->suites, sc->nsuites);
	free(sc->summary);
	sc_rd_free_strv(sc->seed, sc->nseed);
	sc_rd_free_strv(sc->tags, sc->ntags);
	sc_rd_free_strv(sc->requires, sc->nrequires);
	free(sc->faketime);
	free(sc->mta);
	free(sc->exim_conf);
	free(sc->exec.start);
	free(sc->exec.stop);
	free(sc->exec.ready);
	free(sc->exec.log);
	free(sc->exec.version);
	sc_rd_free_strv(sc->pki_hosts, sc->npki_hosts);
	for (size_t i = 0; i < sc->nsts_cache; i++) {
		free(sc->sts_cache[i].domain);
		free(sc->sts_cache[i].id);
		free(sc->sts_cache[i].policy);
	}
	free(sc->sts_cache);
	free(sc->main_cf);
	free(sc->main_cf_origin);
	free(sc->master_cf_origin);
	free(sc->master_cf);
	for (size_t i = 0; i < sc->nscripts; i++) {
		free(sc->scripts[i].name);
		free(sc->scripts[i].origin);
		free(sc->scripts[i].text);
	}
	free(sc->scripts);
	sc_lab_free(&sc->lab);
	free_layers(sc->main_cf_layers, sc->nmain_cf_layers);
	free_layers(sc->master_cf_layers, sc->nmaster_cf_layers);
	free(sc->dns);
	free(sc->postfix_config);
	free(sc->postfix_config_origin);
	for (size_t i = 0; i < sc->nservers; i++) {
		free(sc->servers[i].name);
		free(sc->servers[i].origin);
		sc_rd_free_kv(sc->servers[i].kv, sc->servers[i].nkv);
	}
	free(sc->servers);
	for (size_t i = 0; i < sc->nclients; i++) {
		free(sc->clients[i].name);
		free(sc->clients[i].origin);
		sc_rd_free_kv(sc->clients[i].kv, sc->clients[i].nkv);
	}
	free(sc->clients);
	for (size_t i = 0; i < sc->nprobes; i++) {
		free(sc->probes[i].name);
		free(sc->probes[i].origin);
		sc_rd_free_kv(sc->probes[i].kv, sc->probes[i].nkv);
	}
	free(sc->probes);
	free(sc->sasl.origin);
	free(sc->sasl.backend);
	for (size_t i = 0; i < sc->sasl.nusers; i++)
		free(sc->sasl.users[i]);
	free(sc->sasl.users);
	free(sc->sasl.mechanisms);
	for (size_t i = 0; i < sc->nfiles; i++) {
		free(sc->files[i].origin);
		free(sc->files[i].path);
		free(sc->files[i].value);
	}
	free(sc->files);
	free(sc->send.from);
	sc_rd_free_strv(sc->send.to, sc->send.nto);
	free(sc->send.subject);
	sc_rd_free_strv(sc->send.headers, sc->send.nheaders);
	free(sc->send.body);
	free(sc->send.via);
	free(sc->send.helo);
	ex_set_free(sc->expect);
	sc_rd_free_kv(sc->expect_kv, sc->nexpect_kv);
	free(sc);
}

struct ex_set *
sc_expect_new(const struct scenario *sc, char *err, size_t errlen)
{
	struct ex_set *s = ex_set_new();

	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < sc->nexpect_kv; i++) {
		const struct sc_kv *kv = &sc->expect_kv[i];
		char e[600];

		if (ex_parse(s, kv->line, kv->key, kv->value, e, sizeof e) < 0) {
			snprintf(err, errlen, "%s:%d: %s", sc->file, kv->line, e);
			ex_set_free(s);
			return NULL;
		}
	}
	ex_set_recipients(s, (const char *const *)sc->send.to, sc->send.nto);
	return s;
}

void
sc_errors_free(struct sc_errors *e)
{
	if (!e)
		return;
	sc_rd_free_strv(e->msg, e->n);
	e->msg = NULL;
	e->n = 0;
}

int
sc_has_tag(const struct scenario *sc, const char *tag)
{
	for (size_t i = 0; sc && tag && i < sc->ntags; i++)
		if (!strcmp(sc->tags[i], tag))
			return 1;
	return 0;
}
