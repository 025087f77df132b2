/*
 * server.c: the fake SMTP server's lifecycle (see mxlab/server.h).
 *
 * mxlab_server_start() loads the chains, sets up one shared TLS
 * configuration, binds every listener and starts the pool (server_pool.c:
 * an event thread that accepts and watches idle sessions, and workers
 * that run sessions, server_session.c); a connection is on srv->conns
 * while it lives. mxlab_server_stop() stops accepting, shuts down every
 * open socket (which ends blocked reads at once), hands the parked
 * sessions to workers and waits, on a condition variable, until no
 * connection is left.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

#include "mxlab/certs.h"
#include "mailbox.h"
#include "server_int.h"
#include "transcript.h"

#define BAD(code, ...) (snprintf(err, errlen, __VA_ARGS__), (code))

int
mx_server_stopping(struct mxlab_server *srv)
{
	int s;

	pthread_mutex_lock(&srv->lock);
	s = srv->stopping;
	pthread_mutex_unlock(&srv->lock);
	return s;
}

void
mx_server_count(struct mxlab_server *srv, unsigned long *field)
{
	pthread_mutex_lock(&srv->lock);
	(*field)++;
	pthread_mutex_unlock(&srv->lock);
}

/* Load one chain from its source into out. */
static mxlab_err
load_chain(const struct mxlab_server_config *cfg, const struct mx_chain_source *src,
	   struct mx_served_chain *out, char *err, size_t errlen)
{
	char cert[PATH_MAX], key[PATH_MAX];
	const char *profile = src->profile[0] ? src->profile : "good";
	mxlab_err r;

	snprintf(out->sni, sizeof out->sni, "%s", src->sni);
	if (src->host[0]) {
		if (mxlab_pki_path(cert, sizeof cert, cfg->pki, src->host, profile,
				   "fullchain.pem") != MXLAB_OK ||
		    mxlab_pki_path(key, sizeof key, cfg->pki, src->host, profile,
				   "leaf.key") != MXLAB_OK)
			return BAD(MXLAB_ERR_USAGE, "pki: path too long");
		if (access(cert, R_OK) != 0)
			return BAD(MXLAB_ERR_USAGE, "%s%s: no such PKI host/profile (%s: %s)",
				   src->sni[0] ? "sni: " : "cert: ", src->host, cert,
				   strerror(errno));
		snprintf(out->label, sizeof out->label, "%.200s/%.31s %s", src->host, profile,
			 cfg->leaf_only ? "leaf-only" : "full");
	} else {
		snprintf(cert, sizeof cert, "%s", src->cert_file);
		snprintf(key, sizeof key, "%s", src->key_file);
		snprintf(out->label, sizeof out->label, "%.280s %s", src->cert_file,
			 cfg->leaf_only ? "leaf-only" : "full");
	}
	mx_tls_chain_init(&out->chain);
	r = mx_tls_chain_load(&out->chain, cert, key, cfg->leaf_only, err, errlen);
	return r;
}

/* SNI callback: pick the chain for the name, and note what was asked. */
static int
sni_cb(void *arg, mbedtls_ssl_context *ssl, const unsigned char *name, size_t len)
{
	struct mxlab_server *srv = arg;
	struct mx_conn *c = (struct mx_conn *)(void *)((char *)ssl -
		offsetof(struct mx_conn, tls) - offsetof(struct mx_tls_conn, ssl));

	c->sni_seen = 1;
	snprintf(c->sni, sizeof c->sni, "%.*s", (int)(len < 255 ? len : 255), name);
	for (size_t i = 0; i < srv->nsni; i++) {
		if (strlen(srv->sni[i].sni) == len &&
		    strncasecmp(srv->sni[i].sni, (const char *)name, len) == 0) {
			c->served = &srv->sni[i];
			return mx_tls_set_hs_chain(ssl, &srv->sni[i].chain);
		}
	}
	return srv->cfg.sni_reject ? -1 : 0;
}

/* Deep-copy what the config owns, so the caller may free theirs. */
static mxlab_err
copy_config(struct mxlab_server_config *dst, const struct mxlab_server_config *src)
{
	*dst = *src;
	dst->listen = NULL;
	dst->sni = NULL;
	dst->ciphers = NULL;
	dst->policy = NULL;
	dst->nlisten = 0;
	dst->nsni = 0;
	dst->script.text = NULL;
	if (mx_script_src_copy(&dst->script, &src->script) < 0)
		return MXLAB_ERR_NOMEM;
	if (src->nlisten) {
		if (!(dst->listen = calloc(src->nlisten, sizeof *dst->listen)))
			return MXLAB_ERR_NOMEM;
		for (; dst->nlisten < src->nlisten; dst->nlisten++)
			if (!(dst->listen[dst->nlisten] = strdup(src->listen[dst->nlisten])))
				return MXLAB_ERR_NOMEM;
	}
	if (src->nsni) {
		if (!(dst->sni = malloc(src->nsni * sizeof *dst->sni)))
			return MXLAB_ERR_NOMEM;
		memcpy(dst->sni, src->sni, src->nsni * sizeof *dst->sni);
		dst->nsni = src->nsni;
	}
	if (src->ciphers) {
		size_t n = 0;

		while (src->ciphers[n])
			n++;
		if (!(dst->ciphers = malloc((n + 1) * sizeof *dst->ciphers)))
			return MXLAB_ERR_NOMEM;
		memcpy(dst->ciphers, src->ciphers, (n + 1) * sizeof *dst->ciphers);
	}
	if (src->policy && !(dst->policy = strdup(src->policy)))
		return MXLAB_ERR_NOMEM;
	return MXLAB_OK;
}

/* Called by a session, on its worker, as its very last step (after its
 * lingering close, server_session.c). */
void mx_server_conn_done(struct mx_conn *c);
void
mx_server_conn_done(struct mx_conn *c)
{
	struct mxlab_server *srv = c->srv;

	mx_pool_forget(c);
	pthread_mutex_lock(&srv->lock);
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->conns = c->next;
	if (c->next)
		c->next->prev = c->prev;
	close(c->fd);
	free(c);
	srv->stats.active--;
	pthread_cond_broadcast(&srv->idle);
	pthread_mutex_unlock(&srv->lock);
}

static mxlab_err
setup_tls(struct mxlab_server *srv, char *err, size_t errlen)
{
	const struct mxlab_server_config *cfg = &srv->cfg;
	mxlab_err r;

	if (!mx_server_config_has_cert(cfg))
		return MXLAB_OK;
	if ((r = load_chain(cfg, &cfg->def, &srv->def, err, errlen)) != MXLAB_OK)
		return r;
	if (cfg->nsni && !(srv->sni = calloc(cfg->nsni, sizeof *srv->sni)))
		return BAD(MXLAB_ERR_NOMEM, "out of memory");
	for (; srv->nsni < cfg->nsni; srv->nsni++) {
		char e[PATH_MAX + 200];

		if ((r = load_chain(cfg, &cfg->sni[srv->nsni], &srv->sni[srv->nsni],
				    e, sizeof e)) != MXLAB_OK) {
			mx_tls_chain_free(&srv->sni[srv->nsni].chain);
			return BAD(r, "sni %s: %s", cfg->sni[srv->nsni].sni, e);
		}
	}
	if ((r = mx_tls_server_setup(&srv->tls, &srv->def.chain, &cfg->versions,
				     cfg->ciphers, sni_cb, srv, err, errlen)) != MXLAB_OK)
		return r;
	srv->tls_ready = 1;
	return MXLAB_OK;
}

mxlab_err
mxlab_server_start(const mxlab_server_config *cfg, mxlab_server **out,
		   char *err, size_t errlen)
{
	static const char *const dflt[] = { "127.0.0.1:2525" };
	struct mxlab_server *srv;
	mxlab_err r;
	const char *const *listen;
	size_t nlisten;

	*out = NULL;
	if ((r = mxlab_server_config_check(cfg, err, errlen)) != MXLAB_OK)
		return r;
	if (!(srv = calloc(1, sizeof *srv)))
		return BAD(MXLAB_ERR_NOMEM, "out of memory");
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->idle, NULL);
	if (copy_config(&srv->cfg, cfg) != MXLAB_OK) {
		r = BAD(MXLAB_ERR_NOMEM, "out of memory");
		goto fail;
	}
	if (srv->cfg.starttls == MX_STARTTLS_AUTO)
		srv->cfg.starttls = mx_server_config_has_cert(cfg) && !cfg->implicit_tls ?
				    MX_STARTTLS_OFFER : MX_STARTTLS_HIDE;
	if ((r = setup_tls(srv, err, errlen)) != MXLAB_OK)
		goto fail;
	if (cfg->transcript[0] &&
	    !(srv->tr = mx_transcript_open(cfg->transcript, err, errlen))) {
		r = MXLAB_ERR_IO;
		goto fail;
	}
	if (cfg->mailbox[0] && !(srv->mb = mx_mailbox_open(cfg->mailbox, err, errlen))) {
		r = MXLAB_ERR_IO;
		goto fail;
	}
	listen = cfg->nlisten ? (const char *const *)srv->cfg.listen : dflt;
	nlisten = cfg->nlisten ? cfg->nlisten : 1;
	srv->lfd = calloc(nlisten, sizeof *srv->lfd);
	srv->laddr = calloc(nlisten, sizeof *srv->laddr);
	if (!srv->lfd || !srv->laddr) {
		r = BAD(MXLAB_ERR_NOMEM, "out of memory");
		goto fail;
	}
	for (; srv->nl < nlisten; srv->nl++) {
		char e[400];
		int fd = mx_listen_open(listen[srv->nl], 1024, e, sizeof e);

		if (fd < 0) {
			r = BAD(MXLAB_ERR_IO, "listen: %s", e);
			goto fail;
		}
		srv->lfd[srv->nl] = fd;
		mx_sock_local_name(fd, srv->laddr[srv->nl], sizeof srv->laddr[0]);
	}
	if ((r = mx_pool_start(srv, err, errlen)) != MXLAB_OK)
		goto fail;
	*out = srv;
	return MXLAB_OK;
fail:
	mxlab_server_free(srv);
	return r;
}

size_t
mxlab_server_listener_count(const mxlab_server *srv)
{
	return srv ? srv->nl : 0;
}

mxlab_err
mxlab_server_listener_address(const mxlab_server *srv, size_t i, char *buf, size_t len)
{
	if (!srv || i >= srv->nl || !buf || len == 0)
		return MXLAB_ERR_USAGE;
	snprintf(buf, len, "%s", srv->laddr[i]);
	return MXLAB_OK;
}

void
mxlab_server_get_stats(mxlab_server *srv, struct mxlab_server_stats *st)
{
	pthread_mutex_lock(&srv->lock);
	*st = srv->stats;
	pthread_mutex_unlock(&srv->lock);
}

void
mx_server_note_tls(struct mxlab_server *srv, const struct mxlab_server_tls_info *t)
{
	pthread_mutex_lock(&srv->lock);
	if (srv->ntls < MX_OBS_MAX)
		srv->tls_log[srv->ntls++] = *t;
	pthread_mutex_unlock(&srv->lock);
}

void
mx_server_note_msg(struct mxlab_server *srv, const struct mxlab_server_msg_info *m)
{
	pthread_mutex_lock(&srv->lock);
	if (srv->nmsg < MX_OBS_MAX)
		srv->msg_log[srv->nmsg++] = *m;
	pthread_mutex_unlock(&srv->lock);
}

void
mx_server_note_http(struct mxlab_server *srv)
{
	pthread_mutex_lock(&srv->lock);
	srv->nhttp++;
	pthread_mutex_unlock(&srv->lock);
}

size_t
mxlab_server_http_requests(mxlab_server *srv)
{
	size_t n;

	pthread_mutex_lock(&srv->lock);
	n = srv->nhttp;
	pthread_mutex_unlock(&srv->lock);
	return n;
}

size_t
mxlab_server_tls_log(mxlab_server *srv, struct mxlab_server_tls_info *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&srv->lock);
	n = srv->ntls;
	if (out)
		memcpy(out, srv->tls_log, (n < max ? n : max) * sizeof *out);
	pthread_mutex_unlock(&srv->lock);
	return n;
}

size_t
mxlab_server_msg_log(mxlab_server *srv, struct mxlab_server_msg_info *out, size_t max)
{
	size_t n;

	pthread_mutex_lock(&srv->lock);
	n = srv->nmsg;
	if (out)
		memcpy(out, srv->msg_log, (n < max ? n : max) * sizeof *out);
	pthread_mutex_unlock(&srv->lock);
	return n;
}

int
mxlab_server_wait_idle(mxlab_server *srv, unsigned timeout_ms)
{
	struct timespec end;
	int idle;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += timeout_ms / 1000;
	end.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (end.tv_nsec >= 1000000000L) {
		end.tv_sec++;
		end.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&srv->lock);
	while (srv->stats.active > 0)
		if (pthread_cond_timedwait(&srv->idle, &srv->lock, &end) != 0)
			break;
	idle = srv->stats.active == 0;
	pthread_mutex_unlock(&srv->lock);
	return idle;
}

const char *
mxlab_server_mailbox(const mxlab_server *srv)
{
	return srv && srv->cfg.mailbox[0] ? srv->cfg.mailbox : NULL;
}

void
mxlab_server_stop(mxlab_server *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	if (srv->stopped) {
		pthread_mutex_unlock(&srv->lock);
		return;
	}
	srv->stopping = 1;
	pthread_mutex_unlock(&srv->lock);
	mx_pool_stop_accepting(srv->pool);
	pthread_mutex_lock(&srv->lock);
	for (struct mx_conn *c = srv->conns; c; c = c->next)
		shutdown(c->fd, SHUT_RDWR);
	pthread_mutex_unlock(&srv->lock);
	mx_pool_drain(srv->pool);
	pthread_mutex_lock(&srv->lock);
	while (srv->stats.active > 0)
		pthread_cond_wait(&srv->idle, &srv->lock);
	srv->stopped = 1;
	pthread_mutex_unlock(&srv->lock);
	for (size_t i = 0; i < srv->nl; i++)
		close(srv->lfd[i]);
	srv->nl = 0;
}

void
mxlab_server_free(mxlab_server *srv)
{
	if (!srv)
		return;
	mxlab_server_stop(srv);
	mx_pool_free(srv->pool);
	free(srv->lfd);
	free(srv->laddr);
	if (srv->tls_ready)
		mx_tls_server_free(&srv->tls);
	if (srv->def.chain.ncerts || srv->def.label[0])
		mx_tls_chain_free(&srv->def.chain);
	for (size_t i = 0; i < srv->nsni; i++)
		mx_tls_chain_free(&srv->sni[i].chain);
	free(srv->sni);
	mx_transcript_close(srv->tr);
	mx_mailbox_close(srv->mb);
	for (size_t i = 0; i < srv->cfg.nlisten; i++)
		free(srv->cfg.listen[i]);
	free(srv->cfg.listen);
	free(srv->cfg.sni);
	free(srv->cfg.ciphers);
	free(srv->cfg.policy);
	mx_script_src_free(&srv->cfg.script);
	pthread_cond_destroy(&srv->idle);
	pthread_mutex_destroy(&srv->lock);
	free(srv);
}
