/*
 * scenario_script.c: [script NAME] sections (docs/scripts.md) and the
 * `script = NAME` keys of [server NAME] and [client NAME] that run them.
 *
 * A script's lines are kept raw (scenario.c collects them like a
 * verbatim section) and read with the peers' script reader at the end of
 * the section, so a bad step is reported at its own line of the scenario.
 * A script = NAME is checked once the whole file is read: the section
 * may come after the peer that names it. sc_peer_set() is how the runner
 * applies a peer's keys, script = NAME included.
 *
 * Errors (FILE:LINE): a script declared twice, a bad step (the reader's
 * message), a script = NAME without its section.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"
#include "script.h"

void
sc_rd_script_start(struct rd *r, int line, const char *label)
{
	struct scenario *sc = r->sc;
	struct sc_script s = { 0 };

	r->cur = S_SKIP;
	for (size_t i = 0; i < sc->nscripts; i++)
		if (!strcmp(sc->scripts[i].name, label)) {
			sc_rd_err(r, line, "script '%s' declared twice (first at line %d)", label,
				  sc->scripts[i].line);
			return;
		}
	s.line = line;
	if (!(s.name = strdup(label)) || !(s.origin = strdup(r->file)) ||
	    sc_rd_push(&sc->scripts, &sc->nscripts, sizeof s, &s) < 0) {
		free(s.name);
		free(s.origin);
		r->oom = 1;
		return;
	}
	r->vblen = r->vbkeep = 0;
	r->cur = S_SCRIPT;
}

void
sc_rd_script_finish(struct rd *r)
{
	struct sc_script *s = &r->sc->scripts[r->sc->nscripts - 1];
	struct mx_script *parsed;
	char e[600];
	const char *msg;
	char *end;
	long line;

	if (!(s->text = strndup(r->vb ? r->vb : "", r->vblen))) {
		r->oom = 1;
		return;
	}
	r->vblen = r->vbkeep = 0;
	if (mx_script_parse(s->text, strlen(s->text), "", s->line + 1, &parsed, e, sizeof e) == 0) {
		mx_script_free(parsed);
		return;
	}
	/* e is ":LINE: what" (the file left empty): say it at that line. */
	line = strtol(e + 1, &end, 10);
	msg = *end == ':' ? end + 2 : e;
	sc_rd_err(r, *end == ':' ? (int)line : s->line, "[script %s]: %s", s->name, msg);
}

void
sc_rd_script_ref(struct rd *r, int line, const char *name)
{
	struct ref ref = { .line = line };

	if (!(ref.name = strdup(name)) || sc_rd_push(&r->srefs, &r->nsrefs, sizeof ref, &ref) < 0) {
		free(ref.name);
		r->oom = 1;
	}
}

void
sc_rd_script_refs_check(struct rd *r)
{
	for (size_t i = 0; i < r->nsrefs; i++)
		if (!sc_script_find(r->sc, r->srefs[i].name))
			sc_rd_err(r, r->srefs[i].line, "script: no [script %s] in this file",
				  r->srefs[i].name);
}

const struct sc_script *
sc_script_find(const struct scenario *sc, const char *name)
{
	for (size_t i = 0; sc && name && i < sc->nscripts; i++)
		if (!strcmp(sc->scripts[i].name, name))
			return &sc->scripts[i];
	return NULL;
}

mxlab_err
sc_peer_set(const struct scenario *sc, int server, void *cfg, const char *key,
	    const char *value, char *err, size_t errlen)
{
	const struct sc_script *s;

	if (strcmp(key, "script"))
		return server ? mxlab_server_config_set(cfg, key, value, err, errlen)
			      : mxlab_client_config_set(cfg, key, value, err, errlen);
	if (!(s = sc_script_find(sc, value))) {
		snprintf(err, errlen, "script: no [script %s]", value);
		return MXLAB_ERR_USAGE;
	}
	return server ? mxlab_server_config_script(cfg, s->text, s->origin, s->line + 1, err, errlen)
		      : mxlab_client_config_script(cfg, s->text, s->origin, s->line + 1, err, errlen);
}
