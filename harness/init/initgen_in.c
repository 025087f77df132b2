/*
 * initgen_in.c: the inbound side of `mxlab init`: per smtpd service with
 * TLS, fake clients that check what Postfix serves there: STARTTLS (or
 * implicit TLS) with the full chain, verified against the test root, for
 * the name of its certificate; MAIL refused before STARTTLS where it is
 * required; AUTH only over TLS where the configuration says so; the
 * protocol versions it refuses. And per tls_server_sni_maps name, a
 * client asking for that name gets that name's certificate.
 */
#include <stdio.h>
#include <string.h>

#include "initgen_int.h"

/* What a client of this service says in its section; comment (may be
 * NULL) goes above it. On port 25 the client sends no SNI, as mail
 * servers usually do not (Postfix's smtp client does not). */
static void
client_head(struct ig_buf *b, const struct ig_svc *v, const char *name, const char *tls,
	    const char *comment)
{
	igb_printf(b, "\n%s%s[client %s]\nconnect = %s:%d\n", comment ? comment : "",
		   comment ? "\n" : "", name, v->cert, v->port);
	if (v->port == 25 && strcmp(tls, "none"))
		igb_printf(b, "sni = none\nverify-name = %s\n", v->cert);
	igb_printf(b, "tls = %s\n", tls);
}

static const char no_sni[] =
	"# Mail servers connecting to port 25 usually send no SNI (Postfix's smtp\n"
	"# client does not): the chain checked is the default one.";

static void
log_line(struct ig_buf *b, const struct ig_svc *v, const char *rx)
{
	igb_printf(b, "log%s%s = %s\n", v->daemon[0] ? " " : "", v->daemon, rx);
}

static int
tls_file(struct ig *g, const struct ig_svc *v)
{
	struct ig_buf b = { 0 };
	char path[300], rx[600];
	int enc = !v->wrapper && !strcmp(v->level, "encrypt");

	ig_rx(v->cert, rx, sizeof rx);
	snprintf(path, sizeof path, "inbound/%s-%s.scn", v->label,
		 v->wrapper ? "implicit-tls" : "starttls");
	ig_header(g, &b, "Inbound: fake clients against Postfix's smtpd.");
	igb_printf(&b, "[scenario]\nsummary = protects master.cf:%d %s (", v->s->line, v->s->name);
	if (v->wrapper)
		igb_printf(&b, "smtpd_tls_wrappermode = yes, %s", v->wrapper_at);
	else
		igb_printf(&b, "smtpd_tls_security_level = %s, %s", v->level, v->level_at);
	igb_printf(&b, ") and %s: %s, 2 certificates for %s, verified\ntags    = inbound tls %s\n",
		   v->cert_at, v->wrapper ? "implicit TLS" : enc ?
		   "STARTTLS required (MAIL before it refused)" : "STARTTLS offered", v->cert, v->label);
	if (v->wrapper) {
		client_head(&b, v, "implicit", "implicit", NULL);
		igb_printf(&b, "stop-after = ehlo\n");
		client_head(&b, v, "plaintext", "none",
			    "# A client that waits for a plaintext greeting gets none.");
		igb_printf(&b, "timeout = 1s\nstop-after = greeting\n");
	} else {
		client_head(&b, v, "starttls", "starttls", v->port == 25 ? no_sni : NULL);
		igb_printf(&b, "stop-after = ehlo-tls\n");
	}
	if (enc) {
		client_head(&b, v, "mail-in-clear", "none", NULL);
		igb_printf(&b, "from = mxlab-test@%s\nto   = mxlab-test@%s\nstop-after = mail\n",
			   g->myhostname, g->myhostname);
	}
	igb_printf(&b, "\n[expect]\n");
	if (v->wrapper)
		igb_printf(&b, "client implicit tls = yes\nclient implicit chain-length = 2\n"
			   "client implicit verify = ok\nclient implicit subject = CN=%s\n"
			   "client implicit no-caps-after = ^STARTTLS\n"
			   "client plaintext stopped = greeting\nclient plaintext tls = no\n", rx);
	else
		igb_printf(&b, "client starttls caps-before = ^STARTTLS$\nclient starttls tls = yes\n"
			   "client starttls chain-length = 2\nclient starttls verify = ok\n"
			   "client starttls subject = CN=%s\n", rx);
	if (enc)
		igb_printf(&b, "client mail-in-clear caps-before = ^STARTTLS$\n"
			   "client mail-in-clear reply mail = 530 5\\.7\\.0 Must issue a STARTTLS "
			   "command first\n");
	return ig_add_file(g, path, &b);
}

static void
auth_client(struct ig_buf *b, const struct ig_svc *v, const char *name, const char *tls)
{
	client_head(b, v, name, tls, NULL);
	igb_printf(b, "auth = plain\nuser = %s\npassword = %s\n", IG_SASL_USER, IG_SASL_PASSWORD);
}

static int
auth_file(struct ig *g, const struct ig_svc *v)
{
	struct ig_buf b = { 0 };
	char path[300];
	int enc = !strcmp(v->level, "encrypt");

	if (!v->sasl || (!v->wrapper && !enc && !v->auth_only))
		return 0;
	snprintf(path, sizeof path, "inbound/%s-auth.scn", v->label);
	ig_header(g, &b, "Inbound: AUTH with the [sasl] user of suite.scn.");
	igb_printf(&b, "[scenario]\nsummary = protects master.cf:%d %s (smtpd_sasl_auth_enable = "
		   "yes, %s", v->s->line, v->s->name, v->sasl_at);
	if (v->wrapper)
		igb_printf(&b, "; smtpd_tls_wrappermode = yes, %s): AUTH over implicit TLS works\n",
			   v->wrapper_at);
	else if (enc)
		igb_printf(&b, "; smtpd_tls_security_level = encrypt, %s): AUTH refused before "
			   "STARTTLS, works after it\n", v->level_at);
	else
		igb_printf(&b, "; smtpd_tls_auth_only = yes, %s): AUTH not offered before STARTTLS, "
			   "works after it\n", v->auth_only_at);
	igb_printf(&b, "tags    = inbound sasl %s\n", v->label);
	if (v->wrapper)
		auth_client(&b, v, "auth-implicit", "implicit");
	else {
		auth_client(&b, v, "auth-in-clear", "none");
		auth_client(&b, v, "auth-after-tls", "starttls");
	}
	igb_printf(&b, "\n[expect]\n");
	if (v->wrapper)
		igb_printf(&b, "client auth-implicit caps-after = ^AUTH\n"
			   "client auth-implicit reply auth = 235\n");
	else {
		igb_printf(&b, "client auth-in-clear no-caps-before = ^AUTH\n"
			   "client auth-in-clear stopped = auth\n");
		if (enc)
			igb_printf(&b, "client auth-in-clear reply auth = 530 5\\.7\\.0 Must issue a "
				   "STARTTLS command first\n");
		else
			igb_printf(&b, "client auth-in-clear reply auth = 503 5\\.5\\.1 Error: "
				   "authentication not enabled\n");
		igb_printf(&b, "client auth-after-tls caps-after = ^AUTH\n"
			   "client auth-after-tls reply auth = 235\n");
	}
	return ig_add_file(g, path, &b);
}

/* TLS versions the fake client (mbedTLS 2.28) can offer: 1.0 to 1.2. */
static int
protocols_file(struct ig *g, const struct ig_svc *v)
{
	static const char *const names[] = { "TLSv1", "TLSv1.1", "TLSv1.2" };
	struct ig_buf b = { 0 };
	char path[300];
	int refused[3], any = 0, ok = -1;
	const char *tls = v->wrapper ? "implicit" : "starttls";

	for (int m = 0; m < 3; m++) {
		refused[m] = pfm_proto_refused(v->proto, m);
		any |= refused[m];
		if (!refused[m])
			ok = m;
	}
	if (!any)
		return 0;
	snprintf(path, sizeof path, "inbound/%s-protocols.scn", v->label);
	ig_header(g, &b, "Inbound: the TLS versions smtpd accepts and refuses.");
	igb_printf(&b, "[scenario]\nsummary = protects %s %s = %s on master.cf:%d %s:", v->proto_at,
		   v->proto_param, v->proto, v->s->line, v->s->name);
	for (int m = 0, k = 0; m < 3; m++)
		if (refused[m])
			igb_printf(&b, "%s %s", k++ ? " and" : "", names[m]);
	igb_printf(&b, " refused");
	if (ok >= 0)
		igb_printf(&b, ", %s accepted", names[ok]);
	igb_printf(&b, "\ntags    = inbound protocols %s\n", v->label);
	for (int m = 0, first = 1; m < 3; m++) {
		char name[16];

		if (!refused[m] && m != ok)
			continue;
		snprintf(name, sizeof name, "tls-1-%d", m);
		client_head(&b, v, name, tls, first && v->port == 25 ? no_sni : NULL);
		first = 0;
		igb_printf(&b, "tls-min = 1.%d\ntls-max = 1.%d\nstop-after = tls\n", m, m);
	}
	igb_printf(&b, "\n[expect]\n");
	for (int m = 0; m < 3; m++) {
		if (refused[m])
			igb_printf(&b, "client tls-1-%d stopped = tls\nclient tls-1-%d tls = no\n", m, m);
		else if (m == ok)
			igb_printf(&b, "client tls-1-%d tls = yes\nclient tls-1-%d tls-version = "
				   "TLSv1.%d\n", m, m, m);
	}
	log_line(&b, v, "SSL_accept error from [^ ]*\\[127\\.0\\.0\\.1\\]");
	return ig_add_file(g, path, &b);
}

static int
sni_file(struct ig *g, const struct ig_sni *n, const struct ig_svc *v)
{
	struct ig_buf b = { 0 };
	char path[400], rx[600];

	ig_rx(n->name, rx, sizeof rx);
	snprintf(path, sizeof path, "inbound/sni-%s.scn", n->name);
	ig_header(g, &b, "Inbound: a client asking for one name with SNI.");
	igb_printf(&b, "[scenario]\nsummary = protects %s tls_server_sni_maps entry %s (%s): SNI "
		   "%s gets its own certificate, 2 certificates, verified\n"
		   "tags    = inbound sni\n", n->at, n->name, g->sni_param_at, n->name);
	igb_printf(&b, "\n[client sni]\nconnect = %s:%d\nsni = %s\ntls = %s\nstop-after = tls\n",
		   n->name, v->port, n->name, v->wrapper ? "implicit" : "starttls");
	igb_printf(&b, "\n[expect]\nclient sni tls = yes\nclient sni sni = %s\n"
		   "client sni subject = CN=%s\nclient sni chain-length = 2\n"
		   "client sni verify = ok\n", n->name, rx);
	return ig_add_file(g, path, &b);
}

int
ig_write_inbound(struct ig *g)
{
	const struct ig_svc *sni_svc = NULL;

	for (size_t i = 0; i < g->nsvc; i++) {
		const struct ig_svc *v = &g->svc[i];

		if (tls_file(g, v) < 0 || auth_file(g, v) < 0 || protocols_file(g, v) < 0)
			return -1;
		if (!sni_svc || (v->port == 25 && sni_svc->port != 25))
			sni_svc = v;
	}
	if (g->nsni && !sni_svc)
		return ig_note(g, "%s: tls_server_sni_maps: no smtpd service with TLS to check it "
			       "on", g->sni_param_at);
	for (size_t i = 0; i < g->nsni; i++)
		if (sni_file(g, &g->sni[i], sni_svc) < 0)
			return -1;
	return 0;
}
