/*
 * initgen_suite.c: suite.scn of `mxlab init`, what every scenario of the
 * suite starts from: postfix-config, the notes (what is not checked), the
 * neutralised parameters with why (initgen_files.c), the shared DNS (the
 * server's own names at 127.0.0.1, each destination's MX and, for DANE,
 * TLSA records), a fake MX per destination with a good chain, the [sasl]
 * user of the AUTH checks, and [files] (with the files beside suite.scn).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initgen_int.h"

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
cmp_ref(const void *a, const void *b)
{
	return strcmp(((const struct ig_fileref *)a)->path, ((const struct ig_fileref *)b)->path);
}

/* The server's own names, sorted, each once. */
static void
own_names(const struct ig *g, struct ig_buf *b)
{
	const char *v[1024];
	size_t n = 0;

	v[n++] = g->myhostname;
	if (g->main_cert[0])
		v[n++] = g->main_cert;
	for (size_t i = 0; i < g->nsvc && n < 1024; i++)
		v[n++] = g->svc[i].cert;
	for (size_t i = 0; i < g->nsni && n < 1024; i++)
		v[n++] = g->sni[i].name;
	qsort(v, n, sizeof *v, cmp_str);
	igb_printf(b, "# The server's own names: Postfix's smtpd is 127.0.0.1 in the sandbox.\n");
	for (size_t i = 0; i < n; i++)
		if (!i || strcmp(v[i], v[i - 1]))
			igb_printf(b, "%s A 127.0.0.1\n", v[i]);
}

static void
peer_what(const struct ig *g, const struct ig_peer *p, struct ig_buf *b)
{
	if (p->is_default)
		igb_printf(b, "a destination not in smtp_tls_policy_maps (%s "
			   "smtp_tls_security_level = %s)", p->at, p->pol.level);
	else
		igb_printf(b, "%s smtp_tls_policy_maps entry %s %s", p->at, p->key, p->pol.level);
	(void)g;
}

static void
dns_section(const struct ig *g, struct ig_buf *b)
{
	igb_printf(b, "\n[dns]\n");
	if (g->dane)
		igb_printf(b, "# DANE needs answers with the AD bit, as a validating resolver gives "
			   "them\n# for a signed zone.\ndnssec = yes\n");
	own_names(g, b);
	for (size_t i = 0; i < g->npeer; i++) {
		const struct ig_peer *p = &g->peer[i];

		igb_printf(b, "# %s: ", p->domain);
		peer_what(g, p, b);
		igb_printf(b, "\n%s MX 10 %s\n%s A %s\n", p->domain, p->mx, p->mx, p->addr);
		if (!p->is_default && !strncmp(p->pol.level, "dane", 4))
			igb_printf(b, "_25._tcp.%s TLSA 2 1 1 pki:ca/intermediate\n", p->mx);
	}
}

static void
servers(const struct ig *g, struct ig_buf *b)
{
	for (size_t i = 0; i < g->npeer; i++) {
		const struct ig_peer *p = &g->peer[i];

		igb_printf(b, "\n# The MX of ");
		peer_what(g, p, b);
		igb_printf(b, ":\n# STARTTLS with a full chain for %s. Scenarios replace it by name.\n"
			   "[server %s]\nlisten = %s:25\ncert   = %s\n", p->cert, p->server, p->addr,
			   p->cert);
	}
}

static int
sasl_needed(const struct ig *g)
{
	for (size_t i = 0; i < g->nsvc; i++) {
		const struct ig_svc *v = &g->svc[i];

		if (v->sasl && (v->wrapper || v->auth_only || !strcmp(v->level, "encrypt")))
			return 1;
	}
	return 0;
}

static int
files_section(struct ig *g, struct ig_buf *b)
{
	if (!g->nfiles)
		return 0;
	qsort(g->files, g->nfiles, sizeof *g->files, cmp_ref);
	igb_printf(b, "\n# Files outside the configuration directory that it names (certbot's\n"
		   "# certificates and the CA files are the test PKI's, provided by the runner).\n"
		   "[files]\n");
	for (size_t i = 0; i < g->nfiles; i++) {
		const struct ig_fileref *f = &g->files[i];

		igb_printf(b, "# %s%s\n%s%s = %s\n", f->why, f->commented ?
			   ": init cannot provide it; write it beside suite.scn" : "",
			   f->commented ? "# " : "", f->path, f->value);
		if (f->content) {
			struct ig_buf c = { 0 };

			igb_printf(&c, "%s", f->content);
			if (ig_add_file(g, f->value + 5, &c) < 0)
				return -1;
		}
	}
	return 0;
}

int
ig_write_suite(struct ig *g)
{
	struct ig_buf b = { 0 };

	ig_header(g, &b, "suite.scn: what every scenario in this directory and below starts from.");
	igb_printf(&b, "#\n# Run the suite: sudo mxlab run THIS-DIRECTORY (every *.scn below it).\n");
	if (g->out->nnotes) {
		igb_printf(&b, "#\n# Not checked (init said so when it ran):\n");
		for (size_t i = 0; i < g->out->nnotes; i++)
			igb_printf(&b, "#  - %s\n", g->out->notes[i]);
	}
	igb_printf(&b, "\n[scenario]\npostfix-config = %s\n", g->in->conf_rel);
	if (g->nneutral) {
		igb_printf(&b, "\n# Neutralised for the scenarios to run; everything else is the "
			   "configuration's.\n[main.cf]\n");
		for (size_t i = 0; i < g->nneutral; i++)
			igb_printf(&b, "# %s\n%s\n", g->neutral[i].why, g->neutral[i].line);
	}
	if (g->nmaster_override) {
		igb_printf(&b, "\n# The same services without the filters and milters that do not "
			   "run in the sandbox.\n[master.cf]\n");
		for (size_t i = 0; i < g->nmaster_override; i++)
			igb_printf(&b, "%s\n", g->master_override[i]);
	}
	dns_section(g, &b);
	servers(g, &b);
	if (sasl_needed(g))
		igb_printf(&b, "\n# The user the AUTH checks log in as (a private Cyrus sasldb).\n"
			   "[sasl]\nuser = %s:%s\n", IG_SASL_USER, IG_SASL_PASSWORD);
	if (files_section(g, &b) < 0) {
		free(igb_take(&b));
		return -1;
	}
	return ig_add_file(g, "suite.scn", &b);
}
