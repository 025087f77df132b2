/*
 * fuzz_scenario.c: libFuzzer target for the scenario reader
 * (harness/lib/scenario*.c), with what it calls while loading: [expect]
 * lines through ex_parse (expect*.c, regexes compiled), [dns] lines
 * through dnsd_record_parse, [server NAME] and [client NAME] keys through
 * the server and client configuration setters.
 *
 * Input: the text of a whole scenario file, loaded with sc_load_mem as
 * "fuzz.scn". Only parsing: nothing is written, nothing is started (no
 * server, dnsd, Postfix or client; the runner is not linked in for this).
 * The only files looked at are those the text names relative to the
 * current directory, as a scenario there would: a [files] file:PATH (read,
 * beneath it, no symbolic link followed) and postfix-config (stat only). A scenario that loads is then taken through what the
 * runner computes before it starts anything: sc_server_config for every
 * server and sc_expand on the verbatim sections.
 *
 * The same bytes are then read as a suite ("suite.scn", sc_suite_load_mem)
 * and, when that loads, applied to a small scenario of its own (a server
 * and a [files] line a suite may replace) with sc_load_mem_suites: the
 * merge and the checks of the whole scenario on the result.
 *
 * Besides the sanitizers, it checks and aborts on a violation:
 * sc_load_mem returns a scenario exactly when it reported no error, every
 * message is "fuzz.scn:..." and there are at most SC_ERRORS_MAX of them
 * (plus "too many errors" and one for the section that was open); a
 * loaded scenario has the defaults scenario.h promises ([send] filled in,
 * a body ending in CRLF, a timeout in range, "faketime" required when
 * faketime is set, verbatim text ending in a newline), and every [server NAME] the loader accepted gives a server
 * configuration with sc_server_config (the loader checked it the same
 * way, with placeholder paths). A suite loads exactly when it reported no
 * error, all "suite.scn:..."; the merged scenario's messages are its own
 * or the suite's, it names the suite, and it passes the same checks, its
 * layers too.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)
#define NAME "fuzz.scn"
#define SUITE "suite.scn"

/* The scenario a suite is applied to. */
static const char under[] =
	"[scenario]\nsummary = under a suite\n"
	"[server own]\nlisten = 127.0.0.1:2525\n"
	"[files]\n/etc/own = own\n";

static int
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && memcmp(s + n - t, tail, t) == 0;
}

static void
check_verbatim(const struct scenario *sc, const char *text)
{
	char *x;

	if (!text)
		return;
	CHECK(*text == '\0' || ends_with(text, "\n"));
	CHECK((x = sc_expand(sc, &sc_placeholder, text)) != NULL);
	free(x);
	CHECK((x = sc_expand(sc, NULL, text)) != NULL);
	CHECK(strstr(text, "${") || strcmp(x, text) == 0);
	free(x);
}

static void
check_loaded(const struct scenario *sc)
{
	const struct sc_send *s = &sc->send;

	CHECK(sc->expect != NULL);
	CHECK(strcmp(sc->name, "fuzz") == 0 && strcmp(sc->file, NAME) == 0);
	CHECK(sc->summary != NULL);
	CHECK(sc->timeout_ms > 0 && sc->timeout_ms <= SC_TIMEOUT_MAX);
	if (sc->faketime) {		/* implies the requirement */
		size_t i;

		for (i = 0; i < sc->nrequires && strcmp(sc->requires[i], "faketime"); i++)
			;
		CHECK(i < sc->nrequires);
	}
	if (s->present) {
		CHECK(s->nto > 0 && s->from && s->subject && s->body && s->via &&
		      s->helo && s->count >= 1 && s->count <= 1000);
		CHECK(ends_with(s->body, "\r\n"));
		for (size_t i = 0; i < s->nto; i++)
			CHECK(s->to[i][0] != '\0');
	}
	check_verbatim(sc, sc->main_cf);
	check_verbatim(sc, sc->master_cf);
	for (size_t i = 0; i < sc->ndns; i++)
		CHECK(sc->dns[i].name[0] != '\0' && sc->dns[i].type != 0);
	for (size_t i = 0; i < sc->nservers; i++) {
		mxlab_server_config *cfg = NULL;
		char err[600];
		int line = -1;

		CHECK(sc_server_config(sc, &sc->servers[i], &sc_placeholder, &cfg,
				       &line, err, sizeof err) == MXLAB_OK);
		CHECK(cfg != NULL && line == sc->servers[i].line);
		mxlab_server_config_free(cfg);
	}
}

/* Every message is about one of the two files. */
static void
check_messages(const struct sc_errors *errs, int suite_too)
{
	CHECK(errs->n <= 2 * (SC_ERRORS_MAX + 2));
	for (size_t i = 0; i < errs->n; i++)
		CHECK(strncmp(errs->msg[i], NAME ":", sizeof NAME) == 0 ||
		      (suite_too && strncmp(errs->msg[i], SUITE ":", sizeof SUITE) == 0));
}

static void
fuzz_suite(const uint8_t *data, size_t size)
{
	struct sc_errors errs = { NULL, 0 };
	struct sc_suite *s;
	struct scenario *sc;

	s = sc_suite_load_mem(SUITE, (const char *)data, size, &errs);
	CHECK((s == NULL) == (errs.n > 0));
	CHECK(errs.n <= SC_ERRORS_MAX + 2);
	for (size_t i = 0; i < errs.n; i++)
		CHECK(strncmp(errs.msg[i], SUITE ":", sizeof SUITE) == 0);
	sc_errors_free(&errs);
	if (!s)
		return;
	sc = sc_load_mem_suites(NAME, under, sizeof under - 1, (const struct sc_suite *const *)&s,
				1, &errs);
	CHECK((sc == NULL) == (errs.n > 0));
	check_messages(&errs, 1);
	if (sc) {
		check_loaded(sc);
		CHECK(sc->nsuites == 1 && strcmp(sc->suites[0], SUITE) == 0);
		for (size_t i = 0; i < sc->nmain_cf_layers; i++)
			check_verbatim(sc, sc->main_cf_layers[i].text);
		for (size_t i = 0; i < sc->nmaster_cf_layers; i++)
			check_verbatim(sc, sc->master_cf_layers[i].text);
		CHECK(sc->nservers >= 1 && sc->nfiles >= 1);
	}
	sc_free(sc);
	sc_errors_free(&errs);
	sc_suite_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sc_errors errs = { NULL, 0 };
	struct scenario *sc;

	sc = sc_load_mem(NAME, (const char *)data, size, &errs);
	CHECK((sc == NULL) == (errs.n > 0));
	CHECK(errs.n <= SC_ERRORS_MAX + 2);
	for (size_t i = 0; i < errs.n; i++)
		CHECK(strncmp(errs.msg[i], NAME ":", sizeof NAME) == 0);
	if (sc)
		check_loaded(sc);
	sc_free(sc);
	sc_errors_free(&errs);
	fuzz_suite(data, size);
	return 0;
}
