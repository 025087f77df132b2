/*
 * scenario.c: the scenario file reader (grammar: docs/scenario-format.md).
 *
 * Reads the lines of one file into a struct scenario (sc_rd_text, for
 * scenario_load.c, which orders a load). The key sections are read in
 * scenario_keys.c, values checked and variables expanded in
 * scenario_value.c (scenario_int.h lists the parts).
 *
 * One pass over the lines: a header line finishes the section before it
 * (a verbatim text is stored, a server configuration checked) and starts
 * the next; every other line goes to its section's reader. Checks that
 * need the whole file (summary, recipients, servers named by [expect])
 * come after it (scenario_check.c). Every problem is appended to the caller's sc_errors as
 * "FILE:LINE: what is wrong"; the reader goes on after one (skipping the
 * lines of a section it could not start, so one mistake gives one
 * message) and gives up after SC_ERRORS_MAX.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario_int.h"

const struct sc_vars sc_placeholder = { "/mxlab-pki", "/mxlab-instance" };

static const struct {
	const char *name;
	enum sect s;
	int labelled;
} sections[] = {
	{ "scenario", S_SCENARIO, 0 }, { "main.cf", S_MAIN_CF, 0 },
	{ "master.cf", S_MASTER_CF, 0 }, { "dns", S_DNS, 0 },
	{ "server", S_SERVER, 1 }, { "client", S_CLIENT, 1 },
	{ "send", S_SEND, 0 }, { "expect", S_EXPECT, 0 },
	{ "probe", S_PROBE, 1 }, { "sasl", S_SASL, 0 }, { "files", S_FILES, 0 },
	{ "exim.conf", S_EXIM_CONF, 0 }, { "exec", S_EXEC, 0 },
	{ "lab", S_LAB, 0 }, { "script", S_SCRIPT, 1 },
};
#define NSECTIONS (sizeof sections / sizeof sections[0])

static void
err_v(struct rd *r, const char *file, int line, const char *fmt, va_list ap)
{
	char msg[1200], full[1600];
	char **nm;

	/* At most SC_ERRORS_MAX messages, then one that says so, then none:
	 * whichever check finds them (lines, or the whole file at the end). */
	if (r->nerr > SC_ERRORS_MAX)
		return;
	r->nerr++;
	if (!r->errs)
		return;
	if (r->nerr > SC_ERRORS_MAX)
		snprintf(msg, sizeof msg, "too many errors, giving up");
	else
		vsnprintf(msg, sizeof msg, fmt, ap);
	if (line > 0)
		snprintf(full, sizeof full, "%s:%d: %s", file, line, msg);
	else
		snprintf(full, sizeof full, "%s: %s", file, msg);
	if (!(nm = realloc(r->errs->msg, (r->errs->n + 1) * sizeof *nm)))
		return;
	r->errs->msg = nm;
	if ((nm[r->errs->n] = strdup(full)) != NULL)
		r->errs->n++;
}

void
sc_rd_err(struct rd *r, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_v(r, r->file, line, fmt, ap);
	va_end(ap);
}

void
sc_rd_err_in(struct rd *r, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_v(r, file, line, fmt, ap);
	va_end(ap);
}

int
sc_rd_push(void *arrp, size_t *n, size_t size, const void *item)
{
	char **arr = arrp;
	char *na = realloc(*arr, (*n + 1) * size);

	if (!na)
		return -1;
	memcpy(na + *n * size, item, size);
	*arr = na;
	(*n)++;
	return 0;
}

int
sc_rd_push_str(char ***arr, size_t *n, const char *s)
{
	char *d = strdup(s);

	if (!d || sc_rd_push(arr, n, sizeof d, &d) < 0) {
		free(d);
		return -1;
	}
	return 0;
}

char *
sc_rd_trim(char *s)
{
	char *e;

	while (*s == ' ' || *s == '\t')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return s;
}

static int
utf8_ok(const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned c = s[i], need, min, cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			need = 1, min = 0x80, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			need = 2, min = 0x800, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			need = 3, min = 0x10000, cp = c & 0x07;
		else
			return 0;
		for (unsigned k = 1; k <= need; k++) {
			if (i + k >= n || (s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += need + 1;
	}
	return 1;
}

/*
 * A line of [main.cf] or [master.cf] that is meant as a section header:
 * '[' in the first column, no '=', and either ']' as its last non-blank
 * character or only blanks and a '#' comment after its first ']'. Such a
 * line is never Postfix text: in main.cf a line that starts in the first
 * column is "name = value"; in master.cf it is a service entry of at least
 * eight fields, which (without an "-o name=value") does not end in ']'.
 */
static int
header_like(const char *s)
{
	const char *close, *e;

	if (s[0] != '[' || strchr(s, '=') || !(close = strchr(s, ']')))
		return 0;
	e = s + strlen(s);
	while (e[-1] == ' ' || e[-1] == '\t')
		e--;
	if (e[-1] == ']')
		return 1;
	close++;
	return close[strspn(close, " \t")] == '#';
}

/* Optimal string alignment distance of a and b (both short), ASCII case
 * ignored. */
static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), d[24][24];

	if (la > 22 || lb > 22)
		return 99;
	for (size_t i = 0; i <= la; i++)
		d[i][0] = i;
	for (size_t j = 0; j <= lb; j++)
		d[0][j] = j;
	for (size_t i = 1; i <= la; i++)
		for (size_t j = 1; j <= lb; j++) {
			size_t cost = tolower((unsigned char)a[i - 1]) != tolower((unsigned char)b[j - 1]);
			size_t v = d[i - 1][j - 1] + cost;

			if (d[i - 1][j] + 1 < v)
				v = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < v)
				v = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && d[i - 2][j - 2] + 1 < v &&
			    tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 2]) &&
			    tolower((unsigned char)a[i - 2]) == tolower((unsigned char)b[j - 1]))
				v = d[i - 2][j - 2] + 1;
			d[i][j] = v;
		}
	return d[la][lb];
}

/* The section a mistyped kind most likely means (case, a letter or two,
 * '_' for '.'), or -1. */
static int
near_miss(const char *kind)
{
	size_t best = 3, d;
	int found = -1;

	for (size_t i = 0; i < NSECTIONS; i++) {
		d = edit_distance(kind, sections[i].name);
		if (d < best && d * 3 <= strlen(sections[i].name)) {
			best = d;
			found = (int)i;
		}
	}
	return found;
}

static int
name_ok(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') ||
		      (*s >= '0' && *s <= '9') || *s == '_' || *s == '-'))
			return 0;
	return 1;
}
/* ---- verbatim sections */

static void
vb_add(struct rd *r, const char *s, size_t n)
{
	char *nb;

	if (r->vblen + n + 1 > r->vbcap) {
		size_t cap = r->vbcap ? r->vbcap * 2 : 1024;

		while (cap < r->vblen + n + 1)
			cap *= 2;
		if (!(nb = realloc(r->vb, cap))) {
			r->oom = 1;
			return;
		}
		r->vb = nb;
		r->vbcap = cap;
	}
	memcpy(r->vb + r->vblen, s, n);
	r->vblen += n;
	r->vb[r->vblen] = '\0';
}

static void
verbatim_line(struct rd *r, int line, char *text)
{
	char e[400];
	const char *t = text + strspn(text, " \t");

	/* [exim.conf]: ${...} is Exim's own expansion language too; what is
	 * not one of ours is left to Exim. */
	if (*t != '#' && r->cur != S_EXIM_CONF && sc_vars_check(text, NULL, e, sizeof e) < 0)
		sc_rd_err(r, line, "%s", e);
	vb_add(r, text, strlen(text));
	vb_add(r, "\n", 1);
	if (*t)
		r->vbkeep = r->vblen;
}
/* Does a [client NAME] give this key? */
static int
client_has(const struct sc_client *c, const char *key)
{
	for (size_t i = 0; i < c->nkv; i++)
		if (!strcmp(c->kv[i].key, key))
			return 1;
	return 0;
}

static void
finish_section(struct rd *r)
{
	struct scenario *sc = r->sc;
	struct sc_server *srv;
	char e[600], *text;

	switch (r->cur) {
	case S_MAIN_CF:
	case S_MASTER_CF:
	case S_EXIM_CONF:
		if (!(text = strndup(r->vb ? r->vb : "", r->vbkeep)))
			r->oom = 1;
		if (r->cur == S_MAIN_CF)
			sc->main_cf = text;
		else if (r->cur == S_MASTER_CF)
			sc->master_cf = text;
		else
			sc->exim_conf = text;
		r->vblen = r->vbkeep = 0;
		break;
	case S_SCRIPT:
		sc_rd_script_finish(r);
		break;
	case S_SERVER:
		srv = &sc->servers[sc->nservers - 1];
		if (r->srv_bad)
			;	/* reported already: no cascade */
		else if (!r->srv_listen)
			sc_rd_err(r, srv->line, "server '%s' has no listen address", srv->name);
		else if (mxlab_server_config_check(r->scratch, e, sizeof e) != MXLAB_OK)
			sc_rd_err(r, srv->line, "%s", e);
		mxlab_server_config_free(r->scratch);
		r->scratch = NULL;
		break;
	case S_CLIENT:
		/* Without connect, the runner connects to the client's service:
		 * check the rest with a stand-in address. */
		if (!r->cl_bad && r->cscratch && !client_has(&sc->clients[sc->nclients - 1], "connect") &&
		    mxlab_client_config_set(r->cscratch, "connect", "127.0.0.1:25", e, sizeof e) != MXLAB_OK)
			r->oom = 1;
		if (!r->cl_bad && r->cscratch &&
		    mxlab_client_config_check(r->cscratch, e, sizeof e) != MXLAB_OK)
			sc_rd_err(r, sc->clients[sc->nclients - 1].line, "%s", e);
		mxlab_client_config_free(r->cscratch);
		r->cscratch = NULL;
		break;
	default:
		break;
	}
	r->cur = S_NONE;
}

static void
start_named(struct rd *r, int line, enum sect s, const char *label)
{
	struct scenario *sc = r->sc;
	struct sc_server srv = { 0 };
	struct sc_client cl = { 0 };
	char e[300];

	if (s == S_SCRIPT) {
		sc_rd_script_start(r, line, label);
		return;
	}
	if (s == S_SERVER) {
		for (size_t i = 0; i < sc->nservers; i++)
			if (!strcmp(sc->servers[i].name, label)) {
				sc_rd_err(r, line, "server '%s' declared twice (first at line %d)",
				       label, sc->servers[i].line);
				r->cur = S_SKIP;
				return;
			}
		srv.line = line;
		if (!(srv.name = strdup(label)) || !(srv.origin = strdup(r->file)) ||
		    sc_rd_push(&sc->servers, &sc->nservers, sizeof srv, &srv) < 0) {
			free(srv.name);
			free(srv.origin);
			r->oom = 1;
			r->cur = S_SKIP;
			return;
		}
		r->scratch = mxlab_server_config_new();
		r->srv_bad = r->srv_listen = 0;
		memset(r->srv_once, 0, r->nsrvkeys * sizeof *r->srv_once);
		if (r->scratch)
			mxlab_server_config_set(r->scratch, "pki", sc_placeholder.pki, e, sizeof e);
	} else {
		struct sc_client **arr = s == S_PROBE ? &sc->probes : &sc->clients;
		size_t *n = s == S_PROBE ? &sc->nprobes : &sc->nclients;
		const char *kind = s == S_PROBE ? "probe" : "client";

		for (size_t i = 0; i < *n; i++)
			if (!strcmp((*arr)[i].name, label)) {
				sc_rd_err(r, line, "%s '%s' declared twice (first at line %d)",
				       kind, label, (*arr)[i].line);
				r->cur = S_SKIP;
				return;
			}
		cl.line = line;
		if (!(cl.name = strdup(label)) || !(cl.origin = strdup(r->file)) ||
		    sc_rd_push(arr, n, sizeof cl, &cl) < 0) {
			free(cl.name);
			free(cl.origin);
			r->oom = 1;
			r->cur = S_SKIP;
			return;
		}
		if (s == S_CLIENT) {
			r->cscratch = mxlab_client_config_new();
			r->cl_bad = 0;
		}
	}
	r->cur = s;
}

/* The unknown section of header text t ("[DNS]"): what it most likely
 * means, or the list of sections. */
static void
unknown_section(struct rd *r, int line, const char *t)
{
	char kind[64], label[64] = "";
	int i;

	if (sscanf(t + 1, " %63[^] \t] %63[^] \t]", kind, label) < 1 ||
	    (i = near_miss(kind)) < 0 || (sections[i].labelled && !label[0]) ||
	    (!sections[i].labelled && label[0]))
		sc_rd_err(r, line, "%.60s: unknown section (known: scenario, main.cf, master.cf, "
			  "dns, server NAME, client NAME, probe NAME, sasl, files, send, expect, "
			  "exim.conf, exec, lab, script NAME)", t);
	else
		sc_rd_err(r, line, "%.60s: unknown section; did you mean [%s%s%s]?", t,
			  sections[i].name, label[0] ? " " : "", label);
}

/* A line that starts with '[' (after spaces, in key sections), or a
 * header_like line of a verbatim section. */
static void
header(struct rd *r, int line, char *t)
{
	char *close = strchr(t, ']'), *inner, *label;
	size_t i, n;

	finish_section(r);
	r->cur = S_SKIP;
	if (!close || close[1 + strspn(close + 1, " \t")] != '\0') {
		sc_rd_err(r, line, "bad section header '%.60s' (a line [NAME] or [KIND LABEL])", t);
		return;
	}
	close[1] = '\0';	/* t: the header without trailing blanks, for messages */
	inner = t + 1;
	for (i = 0; i < NSECTIONS; i++) {
		n = strlen(sections[i].name);
		if (!strncmp(inner, sections[i].name, n) && (inner[n] == ']' || inner[n] == ' '))
			break;
	}
	if (i == NSECTIONS) {
		unknown_section(r, line, t);
		return;
	}
	*close = '\0';
	label = strchr(inner, ' ');
	if (label)
		*label++ = '\0';
	if (sections[i].labelled && !label) {
		sc_rd_err(r, line, "section [%s] needs a name: [%s NAME]", inner, inner);
		return;
	}
	if (!sections[i].labelled && label) {
		sc_rd_err(r, line, "section [%s] takes no name", inner);
		return;
	}
	if (r->suite && (sections[i].s == S_SEND || sections[i].s == S_EXPECT ||
			 sections[i].s == S_LAB || sections[i].s == S_SCRIPT)) {
		sc_rd_err(r, line, "[%s] belongs in a scenario, not in a suite", inner);
		return;
	}
	if (label && !name_ok(label)) {
		sc_rd_err(r, line, "bad name '%.60s' in [%s ...] (letters, digits, '_' and '-')",
		       label, inner);
		return;
	}
	if (label) {
		start_named(r, line, sections[i].s, label);
		return;
	}
	if (r->seen[sections[i].s]) {
		sc_rd_err(r, line, "section [%s] given twice (first at line %d)", inner,
		       r->seen[sections[i].s]);
		return;
	}
	r->seen[sections[i].s] = line;
	r->cur = sections[i].s;
	switch (r->cur) {
	case S_SCENARIO: r->sc->line = line; break;
	case S_MAIN_CF: r->sc->main_cf_line = line + 1; break;
	case S_MASTER_CF: r->sc->master_cf_line = line + 1; break;
	case S_EXIM_CONF: r->sc->exim_conf_line = line + 1; break;
	case S_EXEC: r->sc->exec.present = 1; r->sc->exec.line = line; break;
	case S_SEND: r->sc->send.present = 1; r->sc->send.line = line; break;
	case S_SASL:
		r->sc->sasl.present = 1;
		r->sc->sasl.line = line;
		if (!(r->sc->sasl.origin = strdup(r->file)))
			r->oom = 1;
		break;
	case S_EXPECT: r->sc->expect_line = line; break;
	case S_LAB: r->sc->lab.line = line; break;
	default: break;
	}
}

static void
do_line(struct rd *r, int line, char *text)
{
	char *t;

	if (r->cur == S_SCRIPT) {	/* raw: the script reader trims and skips */
		if (header_like(text))
			header(r, line, text);
		else {
			vb_add(r, text, strlen(text));
			vb_add(r, "\n", 1);
		}
		return;
	}
	if (r->cur == S_MAIN_CF || r->cur == S_MASTER_CF || r->cur == S_EXIM_CONF) {
		if (header_like(text))
			header(r, line, text);
		else
			verbatim_line(r, line, text);
		return;
	}
	t = sc_rd_trim(text);
	if (!*t || *t == '#')
		return;
	if (*t == '[') {
		header(r, line, t);
		return;
	}
	switch (r->cur) {
	case S_NONE:
		sc_rd_err(r, line, "text outside a section (a file starts with [scenario])");
		r->cur = S_SKIP;
		break;
	case S_SCENARIO: sc_rd_scenario_line(r, line, t); break;
	case S_SEND: sc_rd_send_line(r, line, t); break;
	case S_DNS: sc_rd_dns_line(r, line, t); break;
	case S_SERVER: sc_rd_server_line(r, line, t); break;
	case S_CLIENT: sc_rd_client_line(r, line, t); break;
	case S_PROBE: sc_rd_probe_line(r, line, t); break;
	case S_SASL: sc_rd_sasl_line(r, line, t); break;
	case S_EXPECT: sc_rd_expect_line(r, line, t); break;
	case S_FILES: sc_rd_files_line(r, line, t); break;
	case S_EXEC: sc_rd_exec_line(r, line, t); break;
	case S_LAB: sc_rd_lab_line(r, line, t); break;
	default: break;
	}
}

/* ---- the text of one file */

void
sc_rd_text(struct rd *r, const char *text, size_t len)
{
	char *buf, *p, *end, *nl;
	size_t n;
	int line = 0;

	if (!(buf = malloc(len + 1))) {	/* lines are cut in place */
		r->oom = 1;
		return;
	}
	if (len)
		memcpy(buf, text, len);
	buf[len] = '\0';
	while (mxlab_server_keys()[r->nsrvkeys].key)
		r->nsrvkeys++;
	r->srv_once = calloc(r->nsrvkeys + 1, sizeof *r->srv_once);
	if (!r->srv_once)
		r->oom = 1;
	for (p = buf, end = buf + len; p < end && !r->oom; p = nl ? nl + 1 : end) {
		line++;
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (r->nerr >= SC_ERRORS_MAX) {
			sc_rd_err(r, line, "too many errors, giving up");
			break;
		}
		if (n > SC_LINE_MAX)
			sc_rd_err(r, line, "line longer than %d bytes", SC_LINE_MAX);
		else if (memchr(p, '\0', n))
			sc_rd_err(r, line, "NUL byte in the line");
		else if (!utf8_ok((const unsigned char *)p, n))
			sc_rd_err(r, line, "not valid UTF-8");
		else {
			p[n] = '\0';
			r->line = line;
			do_line(r, line, p);
			continue;
		}
		r->srv_bad = 1;	/* no "no listen address" after a lost line */
	}
	finish_section(r);
	mxlab_server_config_free(r->scratch);
	r->scratch = NULL;
	free(buf);
}

void
sc_rd_release(struct rd *r)
{
	free(r->vb);
	free(r->srv_once);
	for (size_t i = 0; i < r->nrefs; i++)
		free(r->refs[i].name);
	free(r->refs);
	for (size_t i = 0; i < r->nsrefs; i++)
		free(r->srefs[i].name);
	free(r->srefs);
	r->vb = NULL;
	r->srv_once = NULL;
	r->refs = NULL;
	r->nrefs = 0;
}
