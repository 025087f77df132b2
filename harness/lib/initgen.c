/*
 * initgen.c: `mxlab init`'s generator (see initgen.h): the model of the
 * configuration (its own names, the smtpd services that speak TLS, the
 * SNI names, the outbound destinations of the TLS policy and the default
 * level), then the writers (initgen_in.c, initgen_out.c, initgen_suite.c)
 * turn it into files. Shared helpers: the text buffer, notes, errors.
 */
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
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

/* Where a service's value comes from: its -o line, else main.cf. */
static void
svc_at(const struct ig *g, const struct pcr_service *s, const char *name, char *buf, size_t len)
{
	const struct pcr_param *o;

	pcr_svc_value(g->c, s, name, &o);
	if (o)
		snprintf(buf, len, "master.cf:%d", o->line ? o->line : s->line);
	else
		ig_param_at(g, name, buf, len);
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

/* ---------------------------------------------------------------- names */

/* NAME of "/etc/letsencrypt/live/NAME/..." anywhere in value, or "". */
static void
certbot_name(const char *value, char *name, size_t len)
{
	static const char live[] = "/etc/letsencrypt/live/";
	const char *p = strstr(value, live);
	size_t n;

	name[0] = '\0';
	if (!p)
		return;
	p += sizeof live - 1;
	n = strcspn(p, "/ \t,");
	if (p[n] == '/' && n < len) {
		memcpy(name, p, n);
		name[n] = '\0';
		lower(name);
	}
}

static const char *const cert_params[] = { "smtpd_tls_chain_files", "smtpd_tls_cert_file",
					   "smtpd_tls_eccert_file", "smtpd_tls_dcert_file", NULL };

/* The name a service's certificate is for, and where it is configured. */
static void
svc_cert(const struct ig *g, const struct pcr_service *s, char *name, size_t len, char *at,
	 size_t atlen)
{
	name[0] = at[0] = '\0';
	for (const char *const *p = cert_params; *p; p++) {
		const char *v = s ? pcr_svc_value(g->c, s, *p, NULL) : pcr_value(g->c, *p);
		char where[96];

		if (!*v)
			continue;
		certbot_name(v, name, len);
		if (!name[0])
			snprintf(name, len, "%s", g->myhostname);
		if (s)
			svc_at(g, s, *p, where, sizeof where);
		else
			ig_param_at(g, *p, where, sizeof where);
		snprintf(at, atlen, "%s %s", where, *p);
		return;
	}
}

/* ---------------------------------------------------------------- services */

static int
svc_port(const char *name)
{
	static const struct { const char *name; int port; } known[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 },
		{ "submissions", 465 }, { "ssmtp", 465 },
	};
	const char *p = strrchr(name, ':');
	struct servent *se;

	p = p ? p + 1 : name;
	if (*p && strspn(p, "0123456789") == strlen(p))
		return atoi(p);
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (!strcmp(known[i].name, p))
			return known[i].port;
	se = getservbyname(p, "tcp");
	return se ? ntohs((unsigned short)se->s_port) : 0;
}

static int
add_service(struct ig *g, const struct pcr_service *s)
{
	struct ig_svc v, *nv;
	const char *level = pcr_svc_value(g->c, s, "smtpd_tls_security_level", NULL);
	const char *syslog = pcr_svc_value(g->c, s, "syslog_name", NULL);
	int mand;

	memset(&v, 0, sizeof v);
	v.s = s;
	for (size_t i = 0; s->name[i] && i + 1 < sizeof v.label; i++)
		v.label[i] = isalnum((unsigned char)s->name[i]) || strchr("._-", s->name[i]) ?
			s->name[i] : '-';
	v.port = svc_port(s->name);
	svc_at(g, s, "smtpd_tls_security_level", v.level_at, sizeof v.level_at);
	if (!*level && pcr_yes(pcr_svc_value(g->c, s, "smtpd_enforce_tls", NULL))) {
		level = "encrypt";
		svc_at(g, s, "smtpd_enforce_tls", v.level_at, sizeof v.level_at);
	} else if (!*level && pcr_yes(pcr_svc_value(g->c, s, "smtpd_use_tls", NULL))) {
		level = "may";
		svc_at(g, s, "smtpd_use_tls", v.level_at, sizeof v.level_at);
	}
	snprintf(v.level, sizeof v.level, "%s", level);
	v.wrapper = pcr_yes(pcr_svc_value(g->c, s, "smtpd_tls_wrappermode", NULL));
	svc_at(g, s, "smtpd_tls_wrappermode", v.wrapper_at, sizeof v.wrapper_at);
	if (!v.wrapper && strcmp(v.level, "may") && strcmp(v.level, "encrypt"))
		return ig_note(g, "master.cf:%d: service %s offers no TLS (smtpd_tls_security_level "
			       "'%s', %s): no TLS checks for it", s->line, s->name, v.level,
			       v.level_at);
	if (!v.port)
		return ig_note(g, "master.cf:%d: service %s: no port known for '%s': no checks "
			       "for it", s->line, s->name, s->name);
	v.sasl = pcr_yes(pcr_svc_value(g->c, s, "smtpd_sasl_auth_enable", NULL));
	svc_at(g, s, "smtpd_sasl_auth_enable", v.sasl_at, sizeof v.sasl_at);
	v.auth_only = pcr_yes(pcr_svc_value(g->c, s, "smtpd_tls_auth_only", NULL));
	svc_at(g, s, "smtpd_tls_auth_only", v.auth_only_at, sizeof v.auth_only_at);
	mand = v.wrapper || !strcmp(v.level, "encrypt");
	snprintf(v.proto_param, sizeof v.proto_param, "%s",
		 mand ? "smtpd_tls_mandatory_protocols" : "smtpd_tls_protocols");
	snprintf(v.proto, sizeof v.proto, "%s", pcr_svc_value(g->c, s, v.proto_param, NULL));
	svc_at(g, s, v.proto_param, v.proto_at, sizeof v.proto_at);
	svc_cert(g, s, v.cert, sizeof v.cert, v.cert_at, sizeof v.cert_at);
	if (!v.cert[0])
		return ig_note(g, "master.cf:%d: service %s has TLS but no certificate "
			       "(smtpd_tls_chain_files, smtpd_tls_cert_file): no TLS checks for it",
			       s->line, s->name);
	if (!strcmp(syslog, "postfix"))
		snprintf(v.daemon, sizeof v.daemon, "smtpd");
	else if (!strncmp(syslog, "postfix/", 8) && strlen(syslog) < 100)
		snprintf(v.daemon, sizeof v.daemon, "%s/smtpd", syslog + 8);
	if (v.sasl && !v.auth_only && strcmp(v.level, "encrypt") && !v.wrapper)
		ig_note(g, "master.cf:%d: service %s offers AUTH before TLS (smtpd_sasl_auth_enable "
			"= yes, %s; neither smtpd_tls_auth_only = yes nor smtpd_tls_security_level "
			"= encrypt): no TLS-before-AUTH check generated", s->line, s->name,
			v.sasl_at);
	if (!(nv = realloc(g->svc, (g->nsvc + 1) * sizeof *nv)))
		return ig_fail(g, "out of memory");
	g->svc = nv;
	nv[g->nsvc++] = v;
	return 0;
}

static int
find_services(struct ig *g)
{
	for (size_t i = 0; i < g->c->nsvc; i++) {
		const struct pcr_service *s = &g->c->svc[i];

		if (strcmp(s->type, "inet"))
			continue;
		if (!strcmp(s->command, "postscreen")) {
			if (ig_note(g, "master.cf:%d: service %s runs postscreen: its smtpd (a "
				    "'pass' service) is not checked by init", s->line, s->name) < 0)
				return -1;
			continue;
		}
		if (!strcmp(s->command, "smtpd") && add_service(g, s) < 0)
			return -1;
	}
	return 0;
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
	svc_cert(&g, NULL, g.main_cert, sizeof g.main_cert, g.main_cert_at, sizeof g.main_cert_at);
	if (!g.myhostname[0]) {
		snprintf(g.myhostname, sizeof g.myhostname, "%s",
			 g.main_cert[0] ? g.main_cert : "mail.example.invalid");
		if (ig_note(&g, "main.cf does not set myhostname (Postfix would use the "
			    "machine's name): the suite uses %s", g.myhostname) < 0)
			goto done;
		svc_cert(&g, NULL, g.main_cert, sizeof g.main_cert, g.main_cert_at,
			 sizeof g.main_cert_at);
	}
	lower(g.myhostname);
	if (find_services(&g) < 0 || find_sni(&g) < 0 || find_peers(&g) < 0 ||
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
