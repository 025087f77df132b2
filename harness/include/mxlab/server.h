/*
 * mxlab/server.h: the fake SMTP server on mbedTLS.
 *
 * A server is described by a configuration built from key = value pairs,
 * the same keys as `mxlab serve --KEY VALUE` and a scenario's
 * `[server NAME]` section (mxlab_server_keys() lists them with their help).
 * mxlab_server_start() binds every listener and serves connections on a
 * pool of threads of its own (an idle connection holds none) until
 * mxlab_server_stop().
 *
 * Per connection it writes one JSON object per line to the transcript (when
 * configured) and stores every accepted message byte-exact, with its
 * envelope, in the mailbox directory (when configured).
 *
 * Errors: mxlab_server_config_set() returns MXLAB_ERR_USAGE and writes
 * "KEY: what is wrong" into err; mxlab_server_start() reports bind, file and
 * TLS setup failures the same way.
 */
#ifndef MXLAB_SERVER_H
#define MXLAB_SERVER_H

#include <stddef.h>
#include "mxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxlab_server_config mxlab_server_config;
typedef struct mxlab_server mxlab_server;

/* One configuration key, for help texts and completion. */
struct mxlab_server_key {
	const char *key;	/* "starttls" */
	const char *arg;	/* "offer|hide|refuse" */
	const char *help;	/* one line */
	int repeatable;		/* may be given more than once */
};

/* The table of keys; ends with an entry whose key is NULL. */
MXLAB_API const struct mxlab_server_key *mxlab_server_keys(void);

MXLAB_API mxlab_server_config *mxlab_server_config_new(void);
MXLAB_API void mxlab_server_config_free(mxlab_server_config *cfg);	/* NULL ok */

/* Set one key. Values are checked here, files are read at start. */
MXLAB_API mxlab_err mxlab_server_config_set(mxlab_server_config *cfg, const char *key,
				            const char *value, char *err, size_t errlen);

/* Resolve keys against each other (for example: a PKI host needs pki).
 * Called by mxlab_server_start(); useful to report errors early. */
/* The key script, given as text rather than a file (a scenario's
 * [script NAME]): file and line say where its first line is, for the
 * messages ("FILE:LINE: what"; docs/scripts.md). */
MXLAB_API mxlab_err mxlab_server_config_script(mxlab_server_config *cfg, const char *text,
					       const char *file, int line, char *err, size_t errlen);
MXLAB_API mxlab_err mxlab_server_config_check(const mxlab_server_config *cfg,
				              char *err, size_t errlen);

MXLAB_API mxlab_err mxlab_server_start(const mxlab_server_config *cfg,
			               mxlab_server **out, char *err, size_t errlen);

MXLAB_API size_t mxlab_server_listener_count(const mxlab_server *srv);
/* "127.0.0.1:2525" or "[::1]:2525", with the port actually bound. */
MXLAB_API mxlab_err mxlab_server_listener_address(const mxlab_server *srv, size_t i,
					          char *buf, size_t buflen);

struct mxlab_server_stats {
	unsigned long connections;	/* accepted so far */
	unsigned long active;		/* open now */
	unsigned long messages;		/* accepted messages (250 after DATA) */
	unsigned long tls_ok;		/* completed handshakes */
	unsigned long tls_failed;	/* failed handshakes */
	unsigned long refused;		/* over max-connections */
};
MXLAB_API void mxlab_server_get_stats(mxlab_server *srv, struct mxlab_server_stats *st);

/* What the server saw, for assertions: one record per TLS handshake and
 * one per accepted message, oldest first (the first 256 of each are kept). */
struct mxlab_server_tls_info {
	unsigned long conn;		/* connection number, as in the transcript */
	int ok;				/* the handshake completed */
	char version[16];		/* "TLSv1.2" */
	char cipher[96];		/* mbedTLS suite name */
	int sni_sent;			/* the client sent SNI */
	char sni[256];			/* the name it sent */
	char chain[320];		/* label of the chain served: "HOST/PROFILE full" */
	int certificates;		/* certificates in that chain */
	char error[200];		/* why it failed, "" when ok */
	size_t discarded;		/* plaintext bytes the client sent after
					 * STARTTLS, dropped before the handshake */
};

struct mxlab_server_msg_info {
	unsigned long conn;
	int tls;			/* received over TLS */
	char from[256];
	char rcpt[256];			/* the first recipient */
	size_t nrcpt;
	size_t size;			/* bytes stored */
	char file[32];			/* mailbox file stem, "" without a mailbox */
};

/* Copy up to max records into out; return how many exist. */
MXLAB_API size_t mxlab_server_tls_log(mxlab_server *srv, struct mxlab_server_tls_info *out,
			              size_t max);
MXLAB_API size_t mxlab_server_msg_log(mxlab_server *srv, struct mxlab_server_msg_info *out,
			              size_t max);
/* HTTP requests read (mode https: every request, whatever its answer). */
MXLAB_API size_t mxlab_server_http_requests(mxlab_server *srv);
/* The mailbox directory, or NULL when none is configured. */
MXLAB_API const char *mxlab_server_mailbox(const mxlab_server *srv);

/* Wait until no connection is open (every session has ended and been
 * recorded), at most timeout_ms. Returns 1 when idle, 0 on timeout. */
MXLAB_API int mxlab_server_wait_idle(mxlab_server *srv, unsigned timeout_ms);

/* Stop accepting, close every connection, wait for every session to end,
 * flush the transcript. Safe to call twice. */
MXLAB_API void mxlab_server_stop(mxlab_server *srv);
MXLAB_API void mxlab_server_free(mxlab_server *srv);	/* stops first; NULL ok */

#ifdef __cplusplus
}
#endif
#endif
