/*
 * initgen.c: `mxlab init`'s generator (see initgen.h): the model of the
 * configuration (its own names; the smtpd services that speak TLS,
 * initgen_svc.c; the SNI names and the policy entries, read here from the
 * maps; the outbound destinations, initgen_out.c), then the writers
 * (initgen_in.c, initgen_out.c, initgen_files.c, initgen_suite.c) turn it
 * into files. Shared helpers: the text buffer, notes, errors.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initgen_int.h"

/* ---------------------------------------------------------------- helpers */

void
igb_printf(struct ig_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->oom)
		return;
	for (;;) {
		size_t room = b->cap - b->n;

		va_start(ap, fmt);
		n = vsnprintf(b->s ? b->s + b->n : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->oom = 1;
			return;
		}
		if ((size_t)n < room) {
			b->n += (size_t)n;
			return;
		}
		char *ns = realloc(b->s, b->cap = (b->n + (size_t)n + 1) * 2);
		if (!ns) {
			b->oom = 1;
			return;
		}
		b->s = ns;
	}
}

char *
igb_take(struct ig_buf *b)
{
	char *s = b->oom ? NULL : b->s ? b->s : strdup("");

	if (b->oom)
		free(b->s);
	memset(b, 0, sizeof *b);
	return s;
}

int
ig_fail(struct ig *g, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(g->err, g->errlen, fmt, ap);
	va_end(ap);
	return -1;
}

int
ig_note(struct ig *g, const char *fmt, ...)
{
	va_list ap;
	char *s = NULL, **nv;
	int r;

	va_start(ap, fmt);
	r = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (r < 0 || !(nv = realloc(g->out->notes, (g->out->nnotes + 1) * sizeof *nv))) {
		if (r >= 0)
			free(s);
		return ig_fail(g, "out of memory");
	}
	g->out->notes = nv;
	nv[g->out->nnotes++] = s;
	return 0;
}

int
ig_add_file(struct ig *g, const char *path, struct ig_buf *text)
{
	struct ig_file *nv = realloc(g->out->files, (g->out->nfiles + 1) * sizeof *nv);
	char *t = igb_take(text);

	if (!nv || !t) {
		free(t);
		if (nv)
			g->out->files = nv;
		return ig_fail(g, "out of memory");
	}
	g->out->files = nv;
	nv[g->out->nfiles].text = t;
	if (!(nv[g->out->nfiles].path = strdup(path))) {
		free(t);
		return ig_fail(g, "out of memory");
	}
	g->out->nfiles++;
	return 0;
}

void
ig_param_at(const struct ig *g, const char *name, char *buf, size_t len)
{
	const struct pcr_param *p = pcr_set(g->c, name);

	if (p && p->line)
		snprintf(buf, len, "main.cf:%d", p->line);
	else if (p)
		snprintf(buf, len, "main.cf");
	else
		snprintf(buf, len, "Postfix's default");
}

void
ig_rx(const char *s, char *buf, size_t len)
{
	size_t n = 0;

	for (; *s && n + 3 < len; s++) {
		if (strchr(".[]()*+?{}|^$\\", *s))
			buf[n++] = '\\';
		buf[n++] = *s;
	}
	buf[n] = '\0';
}

void
ig_header(const struct ig *g, struct ig_buf *b, const char *what)
{
	igb_printf(b, IG_MARK " from the Postfix configuration %s.\n# %s\n"
		   "# Edit freely: init never overwrites a suite without --force.\n",
		   g->in->conf_rel, what);
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* ---------------------------------------------------------------- maps */

/* The entries of every map a parameter names. */
static int
map_entries(struct ig *g, const char *param, struct ig_mapent **out, size_t *nout)
{
	char **specs = NULL, at[96];
	size_t nspecs = 0;
	int r = 0;

	*out = NULL;
	*nout = 0;
	ig_param_at(g, param, at, sizeof at);
	if (pfm_specs(pcr_value(g->c, param), &specs, &nspecs) < 0)
		return ig_fail(g, "out of memory");
	for (size_t i = 0; i < nspecs && !r; i++) {
		char type[64], rel[1024], err[512], *text = NULL;
		struct pfm_entry *e = NULL;
		size_t ne = 0;
		int k = pfm_source(specs[i], g->in->config_dirs, type, sizeof type, rel, sizeof rel);

		if (!strcmp(type, "inline")) {
			if (pfm_parse_inline(specs[i], &e, &ne) < 0)
				r = ig_fail(g, "out of memory");
			snprintf(rel, sizeof rel, "%s", at);
		} else if (k == 0) {
			if (g->in->read(g->in->ctx, rel, &text, err, sizeof err) < 0)
				r = ig_fail(g, "%s: %s = %s: cannot read its source %s: %s", at, param,
					    specs[i], rel, err);
			else if (pfm_parse(text, &e, &ne) < 0)
				r = ig_fail(g, "out of memory");
			free(text);
		} else if (k == 1) {
			r = ig_note(g, "%s: %s = %s: the source is outside the configuration "
				    "directory: not read", at, param, specs[i]);
			continue;
		} else {
			r = ig_note(g, "%s: %s = %s: a %s: table is not read by init", at, param,
				    specs[i], type);
			continue;
		}
		for (size_t j = 0; !r && j < ne; j++) {
			struct ig_mapent *nv = realloc(*out, (*nout + 1) * sizeof *nv);

			if (!nv) {
				r = ig_fail(g, "out of memory");
				break;
			}
			*out = nv;
			snprintf(nv[*nout].key, sizeof nv->key, "%s", e[j].key);
			lower(nv[*nout].key);
			snprintf(nv[*nout].value, sizeof nv->value, "%s", e[j].value);
			if (e[j].line)
				snprintf(nv[*nout].at, sizeof nv->at, "%.140s:%d", rel, e[j].line);
			else
				snprintf(nv[*nout].at, sizeof nv->at, "%.150s", rel);
			(*nout)++;
		}
		pfm_entries_free(e, ne);
	}
	pfm_strv_free(specs, nspecs);
	return r;
}

static int
find_sni(struct ig *g)
{
	struct ig_mapent *e;
	size_t n;

	ig_param_at(g, "tls_server_sni_maps", g->sni_param_at, sizeof g->sni_param_at);
	if (map_entries(g, "tls_server_sni_maps", &e, &n) < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		struct ig_sni *nv;
		int dup = 0;

		for (size_t j = 0; j < g->nsni; j++)
			dup |= !strcmp(g->sni[j].name, e[i].key);
		if (dup)
			continue;
		if (e[i].key[0] == '.' || strspn(e[i].key, "abcdefghijklmnopqrstuvwxyz0123456789.-") !=
		    strlen(e[i].key)) {
			if (ig_note(g, "%s: tls_server_sni_maps key '%s': only plain host names "
				    "get a check", e[i].at, e[i].key) < 0)
				break;
			continue;
		}
		if (!(nv = realloc(g->sni, (g->nsni + 1) * sizeof *nv))) {
			free(e);
			return ig_fail(g, "out of memory");
		}
		g->sni = nv;
		snprintf(nv[g->nsni].name, sizeof nv->name, "%s", e[i].key);
		snprintf(nv[g->nsni].at, sizeof nv->at, "%s", e[i].at);
		g->nsni++;
	}
	free(e);
	return g->err[0] ? -1 : 0;
}

static int
find_peers(struct ig *g)
{
	struct ig_mapent *e;
	size_t n;
	int r;

	ig_param_at(g, "smtp_tls_policy_maps", g->policy_param_at, sizeof g->policy_param_at);
	if (map_entries(g, "smtp_tls_policy_maps", &e, &n) < 0)
		return -1;
	r = ig_find_peers(g, e, n);
	free(e);
	return r;
}

/* ---------------------------------------------------------------- run */

static int
cmp_file(const void *a, const void *b)
{
	return strcmp(((const struct ig_file *)a)->path, ((const struct ig_file *)b)->path);
}

int
ig_generate(const struct ig_in *in, struct ig_out *out, char *err, size_t errlen)
{
	struct ig g;
	int r = -1;

	memset(&g, 0, sizeof g);
	memset(out, 0, sizeof *out);
	g.in = in;
	g.c = in->conf;
	g.out = out;
	g.err = err;
	g.errlen = errlen;
	err[0] = '\0';
	if (pcr_set(g.c, "myhostname"))
		snprintf(g.myhostname, sizeof g.myhostname, "%s", pcr_value(g.c, "myhostname"));
	ig_svc_cert(&g, NULL, g.main_cert, sizeof g.main_cert, g.main_cert_at, sizeof g.main_cert_at);
	if (!g.myhostname[0]) {
		snprintf(g.myhostname, sizeof g.myhostname, "%s",
			 g.main_cert[0] ? g.main_cert : "mail.example.invalid");
		if (ig_note(&g, "main.cf does not set myhostname (Postfix would use the "
			    "machine's name): the suite uses %s", g.myhostname) < 0)
			goto done;
		ig_svc_cert(&g, NULL, g.main_cert, sizeof g.main_cert, g.main_cert_at,
			 sizeof g.main_cert_at);
	}
	lower(g.myhostname);
	if (ig_find_services(&g) < 0 || find_sni(&g) < 0 || find_peers(&g) < 0 ||
	    ig_files_scan(&g) < 0 || ig_write_inbound(&g) < 0 || ig_write_outbound(&g) < 0 ||
	    ig_write_suite(&g) < 0)
		goto done;
	qsort(out->files, out->nfiles, sizeof *out->files, cmp_file);
	r = 0;
done:
	for (size_t i = 0; i < g.nfiles; i++)
		free(g.files[i].content);
	free(g.files);
	for (size_t i = 0; i < g.nmaster_override; i++)
		free(g.master_override[i]);
	free(g.master_override);
	free(g.neutral);
	free(g.svc);
	free(g.sni);
	free(g.peer);
	if (r < 0) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		ig_out_free(out);
	}
	return r;
}

void
ig_out_free(struct ig_out *out)
{
	if (!out)
		return;
	for (size_t i = 0; i < out->nfiles; i++) {
		free(out->files[i].path);
		free(out->files[i].text);
	}
	free(out->files);
	for (size_t i = 0; i < out->nnotes; i++)
		free(out->notes[i]);
	free(out->notes);
	memset(out, 0, sizeof *out);
}
