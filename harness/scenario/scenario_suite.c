/*
 * scenario_suite.c: suites (scenario.h, docs/scenario-format.md "Suites").
 *
 * sc_suite_load_mem reads a suite.scn with the scenario reader in suite
 * mode (no [send], [expect] or seed; no summary needed) and keeps it as a
 * struct scenario of its own. sc_rd_merge applies suites, outer first, to
 * a scenario that has been read and checked as a file: what the scenario
 * gives wins, and what it does not give comes from the innermost suite
 * that gives it. Everything taken from a suite is copied (a suite may be
 * applied to many scenarios) and keeps its origin. Then the loader runs
 * the checks of the whole scenario on the result.
 */
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

struct sc_suite *
sc_suite_load_mem(const char *path, const char *text, size_t len, struct sc_errors *errs)
{
	struct rd r = { 0 };
	struct sc_suite *s = NULL;

	r.errs = errs;
	r.suite = 1;
	if (sc_rd_file(&r, path, text, len) < 0)
		return NULL;
	if (!r.oom && !r.nerr && !(s = calloc(1, sizeof *s)))
		r.oom = 1;
	if (r.oom)
		sc_rd_err(&r, 0, "out of memory");
	sc_rd_release(&r);
	if (r.nerr) {
		free(s);
		sc_free(r.sc);
		return NULL;
	}
	s->sc = r.sc;
	s->timeout_line = r.once_sc[SCN_TIMEOUT];
	s->dnssec_line = r.once_dnssec;
	return s;
}

void
sc_suite_free(struct sc_suite *s)
{
	if (!s)
		return;
	sc_free(s->sc);
	free(s);
}

/* ---- copies (each sets r->oom when it cannot allocate) */

static char *
dup_str(struct rd *r, const char *s)
{
	char *d;

	if (!s)
		return NULL;
	if (!(d = strdup(s)))
		r->oom = 1;
	return d;
}

static struct sc_kv *
dup_kv(struct rd *r, const struct sc_kv *kv, size_t n)
{
	struct sc_kv *d = n ? calloc(n, sizeof *d) : NULL;

	if (n && !d) {
		r->oom = 1;
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		d[i].line = kv[i].line;
		d[i].key = dup_str(r, kv[i].key);
		d[i].value = dup_str(r, kv[i].value);
	}
	return d;
}

/* ---- named sections and files: an inner one replaces an outer one of
 * the same name (path) in its place; others are added */

static void
put_server(struct rd *r, struct sc_server **arr, size_t *n, struct sc_server *srv)
{
	struct sc_server *o;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp((o = &(*arr)[i])->name, srv->name))
			continue;
		free(o->name);
		free(o->origin);
		sc_rd_free_kv(o->kv, o->nkv);
		*o = *srv;
		return;
	}
	if (sc_rd_push(arr, n, sizeof *srv, srv) < 0) {
		free(srv->name);
		free(srv->origin);
		sc_rd_free_kv(srv->kv, srv->nkv);
		r->oom = 1;
	}
}

static void
put_client(struct rd *r, struct sc_client **arr, size_t *n, struct sc_client *cl)
{
	struct sc_client *o;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp((o = &(*arr)[i])->name, cl->name))
			continue;
		free(o->name);
		free(o->origin);
		sc_rd_free_kv(o->kv, o->nkv);
		*o = *cl;
		return;
	}
	if (sc_rd_push(arr, n, sizeof *cl, cl) < 0) {
		free(cl->name);
		free(cl->origin);
		sc_rd_free_kv(cl->kv, cl->nkv);
		r->oom = 1;
	}
}

static void
put_file(struct rd *r, struct sc_file **arr, size_t *n, struct sc_file *f)
{
	struct sc_file *o;

	for (size_t i = 0; i < *n; i++) {
		if (strcmp((o = &(*arr)[i])->path, f->path))
			continue;
		free(o->origin);
		free(o->path);
		free(o->value);
		*o = *f;
		return;
	}
	if (sc_rd_push(arr, n, sizeof *f, f) < 0) {
		free(f->origin);
		free(f->path);
		free(f->value);
		r->oom = 1;
	}
}

static void
merge_servers(struct rd *r, const struct sc_suite *const *suites, size_t n)
{
	struct scenario *sc = r->sc;
	struct sc_server *arr = NULL, c;
	size_t na = 0;

	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < suites[s]->sc->nservers; i++) {
			const struct sc_server *o = &suites[s]->sc->servers[i];

			c.line = o->line;
			c.origin = dup_str(r, o->origin);
			c.nkv = o->nkv;
			c.kv = dup_kv(r, o->kv, o->nkv);
			/* a copy without its name would not compare: not put */
			if ((c.name = dup_str(r, o->name)) != NULL)
				put_server(r, &arr, &na, &c);
			else {
				free(c.origin);
				sc_rd_free_kv(c.kv, c.nkv);
			}
		}
	for (size_t i = 0; i < sc->nservers; i++)
		put_server(r, &arr, &na, &sc->servers[i]);
	free(sc->servers);
	sc->servers = arr;
	sc->nservers = na;
}

/* Clients (probes too: which = 1). */
static void
merge_clients(struct rd *r, const struct sc_suite *const *suites, size_t n, int which)
{
	struct sc_client **own = which ? &r->sc->probes : &r->sc->clients, *arr = NULL, c;
	size_t *nown = which ? &r->sc->nprobes : &r->sc->nclients, na = 0;

	for (size_t s = 0; s < n; s++) {
		const struct scenario *ss = suites[s]->sc;
		const struct sc_client *list = which ? ss->probes : ss->clients;

		for (size_t i = 0; i < (which ? ss->nprobes : ss->nclients); i++) {
			c.line = list[i].line;
			c.origin = dup_str(r, list[i].origin);
			c.nkv = list[i].nkv;
			c.kv = dup_kv(r, list[i].kv, list[i].nkv);
			if ((c.name = dup_str(r, list[i].name)) != NULL)
				put_client(r, &arr, &na, &c);
			else {
				free(c.origin);
				sc_rd_free_kv(c.kv, c.nkv);
			}
		}
	}
	for (size_t i = 0; i < *nown; i++)
		put_client(r, &arr, &na, &(*own)[i]);
	free(*own);
	*own = arr;
	*nown = na;
}

static void
merge_files(struct rd *r, const struct sc_suite *const *suites, size_t n)
{
	struct scenario *sc = r->sc;
	struct sc_file *arr = NULL, c;
	size_t na = 0;

	for (size_t s = 0; s < n; s++)
		for (size_t i = 0; i < suites[s]->sc->nfiles; i++) {
			const struct sc_file *o = &suites[s]->sc->files[i];

			c.line = o->line;
			c.origin = dup_str(r, o->origin);
			c.kind = o->kind;
			c.len = o->len;
			/* the content may hold NULs: len bytes and the NUL after them */
			if ((c.value = malloc(o->len + 1)) != NULL)
				memcpy(c.value, o->value, o->len + 1);
			else
				r->oom = 1;
			if ((c.path = dup_str(r, o->path)) != NULL)
				put_file(r, &arr, &na, &c);
			else {
				free(c.origin);
				free(c.value);
			}
		}
	for (size_t i = 0; i < sc->nfiles; i++)
		put_file(r, &arr, &na, &sc->files[i]);
	free(sc->files);
	sc->files = arr;
	sc->nfiles = na;
}

/* ---- [scenario] lists: the union, outer first, no duplicates */

static void
add_words(struct rd *r, char ***arr, size_t *na, char *const *list, size_t nl)
{
	size_t j;

	for (size_t i = 0; i < nl; i++) {
		for (j = 0; j < *na && strcmp((*arr)[j], list[i]); j++)
			;
		if (j == *na && sc_rd_push_str(arr, na, list[i]) < 0)
			r->oom = 1;
	}
}

static void
merge_words(struct rd *r, const struct sc_suite *const *suites, size_t n)
{
	struct scenario *sc = r->sc;
	char **tags = NULL, **req = NULL, **hosts = NULL;
	size_t ntags = 0, nreq = 0, nhosts = 0;

	for (size_t s = 0; s <= n; s++) {
		const struct scenario *in = s < n ? suites[s]->sc : sc;

		add_words(r, &tags, &ntags, in->tags, in->ntags);
		add_words(r, &req, &nreq, in->requires, in->nrequires);
		add_words(r, &hosts, &nhosts, in->pki_hosts, in->npki_hosts);
	}
	sc_rd_free_strv(sc->tags, sc->ntags);
	sc_rd_free_strv(sc->requires, sc->nrequires);
	sc_rd_free_strv(sc->pki_hosts, sc->npki_hosts);
	sc->tags = tags;
	sc->ntags = ntags;
	sc->requires = req;
	sc->nrequires = nreq;
	sc->pki_hosts = hosts;
	sc->npki_hosts = nhosts;
}

/* ---- the rest */

static void
add_layers(struct rd *r, const struct sc_suite *const *suites, size_t n, int master)
{
	struct sc_layer l, **arr = master ? &r->sc->master_cf_layers : &r->sc->main_cf_layers;
	size_t *na = master ? &r->sc->nmaster_cf_layers : &r->sc->nmain_cf_layers;

	for (size_t s = 0; s < n; s++) {
		const struct scenario *ss = suites[s]->sc;
		const char *text = master ? ss->master_cf : ss->main_cf;

		if (!text)
			continue;
		l.origin = dup_str(r, ss->file);
		l.line = master ? ss->master_cf_line : ss->main_cf_line;
		l.text = dup_str(r, text);
		if (sc_rd_push(arr, na, sizeof l, &l) < 0) {
			free(l.origin);
			free(l.text);
			r->oom = 1;
		}
	}
}

static void
take_sasl(struct rd *r, const struct sc_sasl *from)
{
	struct sc_sasl *sa = &r->sc->sasl;

	sa->present = 1;
	sa->line = from->line;
	sa->origin = dup_str(r, from->origin);
	sa->backend = dup_str(r, from->backend);
	sa->mechanisms = dup_str(r, from->mechanisms);
	for (size_t i = 0; i < from->nusers; i++)
		if (sc_rd_push_str(&sa->users, &sa->nusers, from->users[i]) < 0)
			r->oom = 1;
}

static void
merge_dns(struct rd *r, const struct sc_suite *const *suites, size_t n)
{
	struct scenario *sc = r->sc;
	struct dnsd_record *arr = NULL;
	size_t na = 0;

	for (size_t s = 0; s <= n; s++) {
		const struct scenario *from = s < n ? suites[s]->sc : sc;

		for (size_t i = 0; i < from->ndns; i++)
			if (sc_rd_push(&arr, &na, sizeof *arr, &from->dns[i]) < 0)
				r->oom = 1;
	}
	free(sc->dns);
	sc->dns = arr;
	sc->ndns = na;
}

/* What a suite's server writes was checked with the suite's ${name}:
 * check it again with the scenario's, at the suite's line. */
static void
recheck_outputs(struct rd *r)
{
	const struct scenario *sc = r->sc;
	char e[600], *x;

	for (size_t i = 0; i < sc->nservers; i++) {
		const struct sc_server *srv = &sc->servers[i];

		if (!strcmp(srv->origin, r->file))
			continue;
		for (size_t k = 0; k < srv->nkv; k++) {
			if (!sc_output_key(srv->kv[k].key))
				continue;
			if (!(x = sc_expand(sc, &sc_placeholder, srv->kv[k].value))) {
				r->oom = 1;
				return;
			}
			if (sc_output_check(srv->kv[k].value, x, e, sizeof e) < 0)
				sc_rd_err_in(r, srv->origin, srv->kv[k].line, "%s: %s (for %s)",
					     srv->kv[k].key, e, r->file);
			free(x);
		}
	}
}

void
sc_rd_merge(struct rd *r, const struct sc_suite *const *suites, size_t n)
{
	struct scenario *sc = r->sc;
	const struct scenario *in;

	for (size_t s = 0; s < n; s++)
		if (sc_rd_push_str(&sc->suites, &sc->nsuites, suites[s]->sc->file) < 0)
			r->oom = 1;
	/* Scalars: the scenario's, or the innermost suite's that gives one. */
	for (size_t s = n; s-- > 0;) {
		in = suites[s]->sc;
		if (!r->once_sc[SCN_TIMEOUT] && suites[s]->timeout_line) {
			sc->timeout_ms = in->timeout_ms;
			r->once_sc[SCN_TIMEOUT] = suites[s]->timeout_line;
		}
		if (!sc->faketime && in->faketime)
			sc->faketime = dup_str(r, in->faketime);
		if (!sc->postfix_config && in->postfix_config) {
			sc->postfix_config = dup_str(r, in->postfix_config);
			sc->postfix_config_origin = dup_str(r, in->postfix_config_origin);
			sc->postfix_config_line = in->postfix_config_line;
		}
		if (!r->once_dnssec && suites[s]->dnssec_line) {
			sc->dnssec = in->dnssec;
			r->once_dnssec = suites[s]->dnssec_line;
		}
		if (!sc->sasl.present && in->sasl.present)
			take_sasl(r, &in->sasl);
		if (!r->once_sc[SCN_MTA] && in->mta_line) {
			sc->mta = dup_str(r, in->mta);
			sc->mta_driver = in->mta_driver;
			r->once_sc[SCN_MTA] = in->mta_line;
			sc->mta_line = in->mta_line;
		}
		if (!sc->exim_conf && in->exim_conf) {
			sc->exim_conf = dup_str(r, in->exim_conf);
			sc->exim_conf_line = in->exim_conf_line;
		}
		if (!sc->exec.present && in->exec.present) {
			const struct sc_exec *x = &in->exec;

			sc->exec = (struct sc_exec){ .present = 1, .line = x->line };
			sc->exec.start = x->start ? dup_str(r, x->start) : NULL;
			sc->exec.stop = x->stop ? dup_str(r, x->stop) : NULL;
			sc->exec.ready = x->ready ? dup_str(r, x->ready) : NULL;
			sc->exec.log = x->log ? dup_str(r, x->log) : NULL;
			sc->exec.version = x->version ? dup_str(r, x->version) : NULL;
		}
	}
	merge_words(r, suites, n);
	add_layers(r, suites, n, 0);
	add_layers(r, suites, n, 1);
	merge_dns(r, suites, n);
	merge_servers(r, suites, n);
	merge_clients(r, suites, n, 0);
	merge_clients(r, suites, n, 1);
	merge_files(r, suites, n);
	if (!r->oom)
		recheck_outputs(r);
}
