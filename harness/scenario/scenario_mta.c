/*
 * scenario_mta.c: which MTA a scenario runs and what belongs to it
 * (docs/mta-drivers.md): the [scenario] key mta, the [exec] section, and
 * the checks that a section or an expectation fits the scenario's MTA.
 *
 *   mta = postfix   [main.cf] [master.cf] [sasl] postfix-config; log
 *                   expectations may name a daemon ("log smtp = ...")
 *   mta = exim      [exim.conf]; Exim's mainlog has no daemon names, so
 *                   its log expectations are "log = ..." / "no-log = ..."
 *   mta = exec      [exec] (start is required); log expectations match
 *                   the lines of its log file, "log = ..."
 * status, server, client and probe expectations mean the same for all.
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mta_exim.h"
#include "scenario_int.h"

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)
#define NOMEM() BAD("out of memory")

int
sc_rd_mta(struct rd *r, const char *v, char *err, size_t errlen)
{
	const struct mta_driver *d = mta_driver_find(v);

	if (!d)
		return BAD("unknown MTA '%.60s' (postfix, exim, exec)", v);
	free(r->sc->mta);
	if (!(r->sc->mta = strdup(v)))
		return NOMEM();
	r->sc->mta_driver = d;
	r->sc->mta_line = r->line;
	return 0;
}

/* ---- [exec] */

void
sc_rd_exec_line(struct rd *r, int line, char *t)
{
	static const char *const keys[] = { "start", "stop", "ready", "log", "version" };
	struct sc_exec *x = &r->sc->exec;
	char **slot[] = { &x->start, &x->stop, &x->ready, &x->log, &x->version };
	char *k, *v, e[400];
	size_t i;

	if (sc_rd_kv_split(r, line, t, &k, &v) < 0)
		return;
	for (i = 0; i < sizeof keys / sizeof keys[0] && strcmp(keys[i], k); i++)
		;
	if (i == sizeof keys / sizeof keys[0]) {
		sc_rd_err(r, line, "unknown key '%.60s' in [exec] (start, stop, ready, log, version)", k);
		return;
	}
	if (x->once[i]) {
		sc_rd_err(r, line, "%s: given twice (first at line %d)", k, x->once[i]);
		return;
	}
	x->once[i] = line;
	if (!*v) {
		sc_rd_err(r, line, "%s: empty value", k);
		return;
	}
	if (sc_vars_check(v, NULL, e, sizeof e) < 0) {
		sc_rd_err(r, line, "%s: %s", k, e);
		return;
	}
	if (i == 2) {
		regex_t re;
		int rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);

		if (rc) {
			regerror(rc, &re, e, sizeof e);
			sc_rd_err(r, line, "ready: bad regular expression '%.60s': %s", v, e);
			return;
		}
		regfree(&re);
	}
	if (i == 3 && v[0] != '/' && strncmp(v, "${instance}/", 12)) {
		sc_rd_err(r, line, "log: '%.60s': an absolute path inside the sandbox, such as "
			  "${instance}/app.log", v);
		return;
	}
	if (!(*slot[i] = strdup(v)))
		r->oom = 1;
}

/* ---- what belongs to which MTA */

/* A log or no-log expectation that names a daemon: its line, or 0. */
static int
daemon_log_line(const struct scenario *sc, char *daemon, size_t len)
{
	for (size_t i = 0; i < sc->nexpect_kv; i++) {
		const char *k = sc->expect_kv[i].key;

		if (!strncmp(k, "no-", 3))
			k += 3;
		if (!strncmp(k, "log ", 4) && k[4]) {
			snprintf(daemon, len, "%s", k + 4);
			return sc->expect_kv[i].line;
		}
	}
	return 0;
}

/* [exim.conf]'s main options that the exim driver owns (mta_exim_owned):
 * refused at load, with their line. */
static void
check_exim_owned(struct rd *r, const struct scenario *sc)
{
	const char *p = sc->exim_conf;
	int line = sc->exim_conf_line;

	for (; p && *p; line++) {
		size_t n = strcspn(p, "\n"), w;
		const char *t = p + strspn(p, " \t");

		if (!strncmp(t, "begin", 5) && (t[5] == ' ' || t[5] == '\t' || t[5] == '\n'))
			return;		/* the main part has ended */
		if (!strncmp(t, "hide ", 5))
			t += 5 + strspn(t + 5, " \t");
		w = strspn(t, "abcdefghijklmnopqrstuvwxyz0123456789_");
		for (size_t i = 0; w && mta_exim_owned[i]; i++)
			if (strlen(mta_exim_owned[i]) == w && !strncmp(t, mta_exim_owned[i], w) &&
			    (t[w] == '=' || t[w] == ' ' || t[w] == '\t' || t[w] == '\n' || !t[w]))
				sc_rd_err(r, line, "%s is set by mxlab's exim driver; remove it",
					  mta_exim_owned[i]);
		p += n + (p[n] == '\n');
	}
}

void
sc_rd_mta_checks(struct rd *r)
{
	struct scenario *sc = r->sc;
	const struct mta_driver *d = sc->mta_driver ? sc->mta_driver : &mta_postfix;
	const char *mta = d->name;
	int at = sc->mta_line ? sc->mta_line : sc->line;
	char daemon[80];
	int line;

	if (d != &mta_postfix) {
		if (sc->main_cf || sc->nmain_cf_layers)
			sc_rd_err(r, sc->main_cf ? sc->main_cf_line - 1 : at,
				  "[main.cf] is Postfix's: this scenario's mta is %s", mta);
		if (sc->master_cf || sc->nmaster_cf_layers)
			sc_rd_err(r, sc->master_cf ? sc->master_cf_line - 1 : at,
				  "[master.cf] is Postfix's: this scenario's mta is %s", mta);
		if (sc->sasl.present)
			sc_rd_err(r, sc->sasl.line, "[sasl] sets up Postfix's smtpd: this scenario's "
				  "mta is %s", mta);
		if (sc->postfix_config)
			sc_rd_err(r, sc->postfix_config_line, "postfix-config is Postfix's: this "
				  "scenario's mta is %s", mta);
		if ((line = daemon_log_line(sc, daemon, sizeof daemon)))
			sc_rd_err(r, line, "%.60s: %s's log has no daemon names: write "
				  "\"log = REGEX\" (or \"no-log = REGEX\")", daemon,
				  d == &mta_exim ? "Exim" : "the exec driver");
	}
	if (sc->exim_conf && d == &mta_exim)
		check_exim_owned(r, sc);
	if (sc->exim_conf && d != &mta_exim)
		sc_rd_err(r, sc->exim_conf_line - 1, "[exim.conf] needs mta = exim (this "
			  "scenario's mta is %s)", mta);
	if (sc->exec.present && d != &mta_exec)
		sc_rd_err(r, sc->exec.line, "[exec] needs mta = exec (this scenario's mta is %s)", mta);
	if (d == &mta_exec && !sc->exec.start)
		sc_rd_err(r, sc->exec.present ? sc->exec.line : at,
			  "mta = exec needs [exec] with start = COMMAND");
}
