/*
 * initgen_svc.c: the smtpd services of `mxlab init`'s model: which inet
 * services run smtpd with TLS (level may or encrypt, or wrapper mode), on
 * which port, with which SASL, AUTH and protocol settings, and the name of
 * the certificate each serves (certbot's NAME, else myhostname), each
 * with the line of the configuration it comes from (its -o, else main.cf).
 * What is left out is a note (postscreen, no TLS, no certificate, AUTH
 * before TLS).
 */
#include <ctype.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "initgen_int.h"
#include "pfrefs.h"

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


/* NAME of the first certbot path (".../live/NAME/fullchain.pem") in a
 * list of files, or "". */
static void
certbot_name(const char *value, char *name, size_t len)
{
	char *v = strdup(value), *save = NULL, base[32];

	name[0] = '\0';
	for (char *t = v ? strtok_r(v, " \t,", &save) : NULL; t; t = strtok_r(NULL, " \t,", &save))
		if (cf_certbot_path(t, name, len, base, sizeof base)) {
			for (char *c = name; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			break;
		}
	free(v);
}

static const char *const cert_params[] = { "smtpd_tls_chain_files", "smtpd_tls_cert_file",
					   "smtpd_tls_eccert_file", "smtpd_tls_dcert_file", NULL };

/* The name a service's certificate is for, and where it is configured. */
void
ig_svc_cert(const struct ig *g, const struct pcr_service *s, char *name, size_t len, char *at,
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
	ig_svc_cert(g, s, v.cert, sizeof v.cert, v.cert_at, sizeof v.cert_at);
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

int
ig_find_services(struct ig *g)
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
