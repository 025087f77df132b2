/*
 * runner_inbound.c: the inbound side of a scenario, inside its sandbox:
 * the [sasl] backend (a private Cyrus sasldb and smtpd.conf, written before
 * Postfix starts), and the [client NAME] sessions and [probe NAME] checks
 * run against the instance once it is up (runner_sandbox.c calls them).
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "mxlab/client.h"
#include "mxlab/probe.h"
#include "fsutil.h"
#include "runner_int.h"

/*
 * [sasl] with Cyrus SASL: a private sasldb with the scenario's users, and
 * an smtpd.conf that points at it. main.cf gets, as a layer over the
 * configuration (before the scenario's own [main.cf]): Cyrus as smtpd's
 * SASL, cyrus_sasl_config_path, and the users' realm as
 * smtpd_sasl_local_domain, so that a user configuration's own myhostname
 * does not matter.
 */
char *
rn_sasl_layer(struct box *b)
{
	char *t = NULL;

	if (!b->sc->sasl.present)
		return NULL;
	if (asprintf(&t, "smtpd_sasl_type = cyrus\nsmtpd_sasl_path = smtpd\n"
		     "cyrus_sasl_config_path = %s/etc/sasl\nsmtpd_sasl_local_domain = %s\n",
		     b->vars.instance, INSTANCE_REALM) < 0)
		return NULL;
	return t;
}

int
rn_setup_sasl(struct box *b)
{
	const struct sc_sasl *sa = &b->sc->sasl;
	char dir[MX_PATH_MAX], conf[MX_PATH_MAX], db[MX_PATH_MAX], text[MX_PATH_MAX], *ctext;
	struct group *gr = getgrnam("postfix");

	if (!sa->present)
		return 0;
	if (access("/usr/sbin/saslpasswd2", X_OK) != 0)
		return rn_box_fail(b, "[sasl]: /usr/sbin/saslpasswd2 is missing (Debian packages "
			    "sasl2-bin and libsasl2-modules)");
	if (rn_box_path(b, dir, sizeof dir, "%s/etc/sasl", b->inst) < 0 ||
	    rn_box_path(b, db, sizeof db, "%s/etc/sasldb2", b->inst) < 0 ||
	    rn_box_path(b, conf, sizeof conf, "%s/smtpd.conf", dir) < 0 ||
	    rn_box_path(b, text, sizeof text, "%s/etc", b->inst) < 0)
		return -1;
	{
		const char *mk[] = { b->inst, text, dir };

		for (size_t i = 0; i < sizeof mk / sizeof mk[0]; i++)
			if (mkdir(mk[i], 0755) < 0 && errno != EEXIST)
				return rn_box_fail(b, "%s: %s", mk[i], strerror(errno));
	}
	if (asprintf(&ctext, "pwcheck_method: auxprop\nauxprop_plugin: sasldb\n"
		     "mech_list: %s\nsasldb_path: %s\n", sa->mechanisms, db) < 0)
		return rn_box_fail(b, "out of memory");
	if (rn_write_text(conf, ctext) < 0) {
		free(ctext);
		return rn_box_fail(b, "%s: %s", conf, strerror(errno));
	}
	free(ctext);
	for (size_t i = 0; i < sa->nusers; i++) {
		const char *colon = strchr(sa->users[i], ':');
		char user[256];
		char *argv[] = { "/usr/sbin/saslpasswd2", "-p", "-c", "-f", db, "-u",
				 INSTANCE_REALM, user, NULL };

		if ((size_t)(colon - sa->users[i]) >= sizeof user)
			return rn_box_fail(b, "%s:%d: [sasl] user name too long",
					   sa->origin ? sa->origin : b->sc->file, sa->line);
		snprintf(user, sizeof user, "%.*s", (int)(colon - sa->users[i]), sa->users[i]);
		if (mx_run(argv, colon + 1, NULL, 0) != 0)
			return rn_box_fail(b, "%s:%d: [sasl] saslpasswd2 failed for user %s",
				    sa->origin ? sa->origin : b->sc->file,
				    sa->line, user);
	}
	if (!gr || chown(db, 0, gr->gr_gid) < 0 || chmod(db, 0640) < 0)
		return rn_box_fail(b, "%s: cannot give it to group postfix: %s", db, strerror(errno));
	return 0;
}

/* A service ("smtp", "submission", "smtps" or a port: the client and the
 * probe know those names) on the instance, or an ADDR:PORT as it is. */
static void
service_address(const char *service, char *buf, size_t len)
{
	if (strchr(service, ':'))
		snprintf(buf, len, "%s", service);
	else
		snprintf(buf, len, INSTANCE_NAME ":%s", service);
}

static int
kv_has(const struct sc_client *c, const char *key)
{
	for (size_t k = 0; k < c->nkv; k++)
		if (!strcmp(c->kv[k].key, key))
			return 1;
	return 0;
}

/* Each [client NAME], in file order, against the instance. */
int
rn_run_clients(struct box *b)
{
	const struct scenario *sc = b->sc;

	if (!sc->nclients)
		return 0;
	b->cres = calloc(sc->nclients, sizeof *b->cres);
	b->exc = calloc(sc->nclients, sizeof *b->exc);
	if (!b->cres || !b->exc)
		return rn_box_fail(b, "out of memory");
	for (size_t i = 0; i < sc->nclients; i++) {
		const struct sc_client *c = &sc->clients[i];
		mxlab_client_config *cfg = mxlab_client_config_new();
		char e[MX_PATH_MAX + 200], addr[300];
		int has_connect = kv_has(c, "connect");

		if (!cfg)
			return rn_box_fail(b, "out of memory");
		if ((!kv_has(c, "pki") && !kv_has(c, "ca-file") && !kv_has(c, "ca-dir") &&
		     mxlab_client_config_set(cfg, "pki", b->pki, e, sizeof e) != MXLAB_OK) ||
		    (!has_connect && !kv_has(c, "service") &&
		     (service_address("smtp", addr, sizeof addr),
		      mxlab_client_config_set(cfg, "connect", addr, e, sizeof e) != MXLAB_OK))) {
			mxlab_client_config_free(cfg);
			return rn_box_fail(b, "%s:%d: client %s: %s", c->origin ? c->origin : sc->file,
					   c->line, c->name, e);
		}
		for (size_t k = 0; k < c->nkv; k++) {
			char *v = sc_expand(sc, &b->vars, c->kv[k].value);
			mxlab_err r;

			if (!v) {
				mxlab_client_config_free(cfg);
				return rn_box_fail(b, "out of memory");
			}
			if (!strcmp(c->kv[k].key, "service")) {
				service_address(v, addr, sizeof addr);
				r = has_connect ? MXLAB_OK :
				    mxlab_client_config_set(cfg, "connect", addr, e, sizeof e);
			} else
				r = sc_peer_set(sc, 0, cfg, c->kv[k].key, v, e, sizeof e);
			free(v);
			if (r != MXLAB_OK) {
				mxlab_client_config_free(cfg);
				return rn_box_fail(b, "%s:%d: %s", c->origin ? c->origin : sc->file, c->kv[k].line, e);
			}
		}
		if (mxlab_client_run(cfg, &b->cres[i], e, sizeof e) != MXLAB_OK) {
			mxlab_client_config_free(cfg);
			return rn_box_fail(b, "%s:%d: client %s: %s", c->origin ? c->origin : sc->file, c->line, c->name, e);
		}
		mxlab_client_config_free(cfg);
		b->exc[i].name = c->name;
		b->exc[i].res = &b->cres[i];
		b->nclients_run = i + 1;
		rn_box_log(b, "client %s: stopped at %s%s%s", c->name,
			   mxlab_client_stage_name(b->cres[i].failed_stage),
			   b->cres[i].error[0] ? ": " : "", b->cres[i].error);
	}
	rn_box_phase(b, "clients");
	return 0;
}

/* Each [probe NAME] against the instance. */
int
rn_run_probes(struct box *b)
{
	const struct scenario *sc = b->sc;

	if (!sc->nprobes)
		return 0;
	b->prep = calloc(sc->nprobes, sizeof *b->prep);
	b->exp = calloc(sc->nprobes, sizeof *b->exp);
	if (!b->prep || !b->exp)
		return rn_box_fail(b, "out of memory");
	for (size_t i = 0; i < sc->nprobes; i++) {
		const struct sc_client *p = &sc->probes[i];
		struct mxlab_probe_options o = { 0 };
		char target[300] = "", ca[MX_PATH_MAX], e[1024];
		char *vals[64] = { 0 };
		const char *snis[17] = { 0 };
		size_t nsni = 0, nv = 0;
		int toolong = 0;
		mxlab_err r;

		service_address("smtp", target, sizeof target);
		if (rn_box_path(b, ca, sizeof ca, "%s/ca/root.crt", b->pki) < 0)
			return -1;
		o.ca_file = ca;
		for (size_t k = 0; k < p->nkv && nv < 64; k++) {
			char *v = sc_expand(sc, &b->vars, p->kv[k].value);
			const char *key = p->kv[k].key;

			if (!v)
				break;
			vals[nv++] = v;
			if (!strcmp(key, "service"))
				service_address(v, target, sizeof target);
			else if (!strcmp(key, "name"))
				o.name = v;
			else if (!strcmp(key, "sni") && nsni < 16)
				snis[nsni++] = v;
			else if (!strcmp(key, "ca-file"))
				o.ca_file = v;
			else if (!strcmp(key, "pki")) {
				if (mx_path(ca, sizeof ca, "%s/ca/root.crt", v) < 0) {
					snprintf(e, sizeof e, "pki %.900s: path too long", v);
					toolong = 1;
					break;
				}
				o.ca_file = ca;
			} else if (!strcmp(key, "implicit-tls"))
				o.implicit_tls = !strcmp(v, "yes");
			else if (!strcmp(key, "timeout"))
				sc_duration_parse(v, &o.timeout_ms, e, sizeof e);
		}
		o.target = target;
		o.sni_names = nsni ? snis : NULL;
		r = toolong ? MXLAB_ERR_USAGE : mxlab_probe_run(&o, &b->prep[i], e, sizeof e);
		for (size_t k = 0; k < nv; k++)
			free(vals[k]);
		if (r != MXLAB_OK)
			return rn_box_fail(b, "%s:%d: probe %s: %s", p->origin ? p->origin : sc->file, p->line, p->name, e);
		b->exp[i].name = p->name;
		b->exp[i].rep = &b->prep[i];
		b->nprobes_run = i + 1;
	}
	rn_box_phase(b, "probes");
	return 0;
}

