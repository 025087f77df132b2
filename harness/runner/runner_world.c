/*
 * runner_world.c: the world a scenario's Postfix talks to, inside its
 * sandbox: the hosts and resolv.conf the sandbox shows (written before it
 * is entered), the PKI (the hosts its servers and the user's
 * configuration name; its keys made once a run, see run.c, its
 * certificates its own), the fake DNS on 127.0.0.1:53 and the fake servers
 * of [server NAME], their transcripts and mailboxes in the scenario's
 * directory. runner_sandbox.c calls them in that order; teardown stops
 * them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <arpa/inet.h>

#include "mxlab/certs.h"
#include "mxlab/server.h"
#include "dnsd.h"
#include "fsutil.h"
#include "runner_int.h"

/* /etc/hosts and /etc/resolv.conf as the sandbox sees them. */
/* The sandbox's resolv.conf: the fake DNS, with the MTA's options. */
static int
write_resolv(const char *path, const char *options)
{
	char text[200];

	snprintf(text, sizeof text, "# mxlab: the scenario's fake DNS\nnameserver 127.0.0.1\n"
		 "options %s\n", options);
	return rn_write_text(path, text);
}

int
rn_write_net_files(struct box *b, char *hosts, char *resolv, size_t len)
{
	const struct scenario *sc = b->sc;
	size_t cap = 256 + sc->ndns * 300;
	char *t = malloc(cap), *o = t;

	if (!t)
		return rn_box_fail(b, "out of memory");
	o += sprintf(o, "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
		     "127.0.0.1\t" INSTANCE_NAME "\n");
	for (size_t i = 0; i < sc->ndns; i++) {
		const struct dnsd_record *r = &sc->dns[i];
		char a[64];

		if (r->type == DNSD_T_A)
			snprintf(a, sizeof a, "%u.%u.%u.%u", r->a[0], r->a[1], r->a[2], r->a[3]);
		else if (r->type == DNSD_T_AAAA)
			inet_ntop(AF_INET6, r->a, a, sizeof a);
		else
			continue;
		o += sprintf(o, "%s\t%s\n", a, r->name);
	}
	if (rn_box_path(b, hosts, len, "%s/hosts", b->a->dir) < 0 ||
	    rn_box_path(b, resolv, len, "%s/resolv.conf", b->a->dir) < 0) {
		free(t);
		return -1;
	}
	if (rn_write_text(hosts, t) < 0 ||
	    write_resolv(resolv, b->sc->mta_driver->resolv_options) < 0) {
		free(t);
		return rn_box_fail(b, "%s: %s", b->a->dir, strerror(errno));
	}
	free(t);
	return 0;
}

/* Add the PKI host of a "cert" or "sni" value to the list (no duplicates). */
static void
add_host(char ***hosts, size_t *n, const char *h, size_t len)
{
	char **nh;

	for (size_t i = 0; i < *n; i++)
		if (strlen((*hosts)[i]) == len && !strncmp((*hosts)[i], h, len))
			return;
	if (len == 0 || !(nh = realloc(*hosts, (*n + 1) * sizeof *nh)))
		return;
	*hosts = nh;
	if ((nh[*n] = strndup(h, len)))
		(*n)++;
}

int
rn_make_pki(struct box *b)
{
	const struct scenario *sc = b->sc;
	char **hosts = NULL, e[1024];
	size_t n = 0;
	struct mxlab_pki_options o = { 0 };
	mxlab_err r;

	for (size_t i = 0; i < sc->npki_hosts; i++)
		add_host(&hosts, &n, sc->pki_hosts[i], strlen(sc->pki_hosts[i]));
	for (size_t i = 0; i < b->conf.npki_hosts; i++)
		add_host(&hosts, &n, b->conf.pki_hosts[i], strlen(b->conf.pki_hosts[i]));
	for (size_t s = 0; s < sc->nservers; s++) {
		for (size_t k = 0; k < sc->servers[s].nkv; k++) {
			const struct sc_kv *kv = &sc->servers[s].kv[k];
			const char *eq;

			if (!strcmp(kv->key, "cert"))
				add_host(&hosts, &n, kv->value, strlen(kv->value));
			else if (!strcmp(kv->key, "sni") && (eq = strchr(kv->value, '=')) &&
				 strncmp(eq + 1, "file:", 5) != 0)
				add_host(&hosts, &n, eq + 1, strcspn(eq + 1, "/"));
		}
	}
	o.dir = b->pki;
	o.keys = b->a->pki_keys;	/* the sandbox's own copy of the run's */
	o.hosts = (const char *const *)hosts;
	o.nhosts = n;
	r = mxlab_pki_generate(&o, e, sizeof e);
	for (size_t i = 0; i < n; i++)
		free(hosts[i]);
	free(hosts);
	if (r != MXLAB_OK)
		return rn_box_fail(b, "PKI: %s", e);
	return 0;
}

int
rn_start_dns(struct box *b)
{
	const struct scenario *sc = b->sc;
	struct dnsd_record *recs = NULL;
	char e[600];

	if (sc->ndns && !(recs = malloc(sc->ndns * sizeof *recs)))
		return rn_box_fail(b, "out of memory");
	for (size_t i = 0; i < sc->ndns; i++) {
		recs[i] = sc->dns[i];
		if (dnsd_record_resolve(&recs[i], b->pki, e, sizeof e) < 0) {
			rn_box_fail(b, "[dns] %s: %s", recs[i].name, e);
			free(recs);
			return -1;
		}
	}
	if (dnsd_start("127.0.0.1:53", recs, sc->ndns, sc->dnssec, &b->dns, e, sizeof e) != MXLAB_OK) {
		free(recs);
		return rn_box_fail(b, "fake DNS: %s", e);
	}
	free(recs);
	return 0;
}

int
rn_start_servers(struct box *b)
{
	const struct scenario *sc = b->sc;

	b->srv = calloc(sc->nservers + 1, sizeof *b->srv);
	b->exs = calloc(sc->nservers + 1, sizeof *b->exs);
	if (!b->srv || !b->exs)
		return rn_box_fail(b, "out of memory");
	for (size_t s = 0; s < sc->nservers; s++) {
		const struct sc_server *ss = &sc->servers[s];
		mxlab_server_config *cfg = mxlab_server_config_new();
		char path[MX_PATH_MAX], e[1400];
		int has_pki = 0, has_tr = 0, has_mb = 0;
		const char *origin = ss->origin ? ss->origin : sc->file;

		if (!cfg)
			return rn_box_fail(b, "out of memory");
		for (size_t k = 0; k < ss->nkv; k++) {
			has_pki |= !strcmp(ss->kv[k].key, "pki");
			has_tr |= !strcmp(ss->kv[k].key, "transcript");
			has_mb |= !strcmp(ss->kv[k].key, "mailbox");
		}
		if (rn_box_path(b, path, sizeof path, "%s/servers/%s", b->a->dir, ss->name) < 0)
			goto failed;
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			rn_box_fail(b, "%s: %s", path, strerror(errno));
			goto failed;
		}
		if (!has_pki && mxlab_server_config_set(cfg, "pki", b->pki, e, sizeof e) != MXLAB_OK)
			goto set_failed;
		if (rn_box_path(b, path, sizeof path, "%s/servers/%s/transcript.jsonl", b->a->dir,
				ss->name) < 0)
			goto failed;
		if (!has_tr && mxlab_server_config_set(cfg, "transcript", path, e, sizeof e) != MXLAB_OK)
			goto set_failed;
		if (rn_box_path(b, path, sizeof path, "%s/servers/%s/mailbox", b->a->dir, ss->name) < 0)
			goto failed;
		if (!has_mb && mxlab_server_config_set(cfg, "mailbox", path, e, sizeof e) != MXLAB_OK)
			goto set_failed;
		for (size_t k = 0; k < ss->nkv; k++) {
			char *v = sc_expand(sc, &b->vars, ss->kv[k].value), *o, *slash;

			/* transcript, mailbox: relative to the scenario's directory
			 * (checked at load), their directories made */
			if (v && sc_output_key(ss->kv[k].key)) {
				o = sc_output_path(b->a->dir, v);
				free(v);
				if ((v = o) != NULL && (slash = strrchr(o, '/')) != NULL) {
					int r;

					*slash = '\0';
					r = mx_mkdir_p(o);
					if (r < 0)
						rn_box_fail(b, "%s:%d: %s: %s", origin, ss->kv[k].line, o,
							    errno == ENAMETOOLONG ? "path too long" : strerror(errno));
					*slash = '/';
					if (r < 0) {
						free(v);
						goto failed;
					}
				}
			}
			if (!v || sc_peer_set(sc, 1, cfg, ss->kv[k].key, v, e, sizeof e) != MXLAB_OK) {
				free(v);
				mxlab_server_config_free(cfg);
				return rn_box_fail(b, "%s:%d: %s", origin, ss->kv[k].line, v ? e : "out of memory");
			}
			free(v);
		}
		if (mxlab_server_start(cfg, &b->srv[s], e, sizeof e) != MXLAB_OK) {
			mxlab_server_config_free(cfg);
			return rn_box_fail(b, "%s:%d: server %s: %s", origin, ss->line, ss->name, e);
		}
		mxlab_server_config_free(cfg);
		b->exs[s].name = ss->name;
		b->exs[s].srv = b->srv[s];
		b->nsrv = s + 1;
		continue;
set_failed:
		rn_box_fail(b, "%s:%d: server %s: %s", origin, ss->line, ss->name, e);
failed:
		mxlab_server_config_free(cfg);
		return -1;
	}
	return 0;
}
