/*
 * tls_glue.h: mbedTLS for mxlab's peers, with the 2.28 / 3.x differences
 * kept in this one place.
 *
 * - versions: "1.0".."1.3" to protocol numbers, and back to names;
 *   mx_tls_versions_check() refuses what this mbedTLS cannot do.
 * - chains: a certificate list plus its key, loaded from PEM files, the
 *   leaf alone on request.
 * - mx_tls_server: one shared ssl_config (RNG, session cache, versions,
 *   suites, default chain, SNI callback) for every connection.
 * - mx_tls_conn: one TLS session over an mx_sock, with the mx_recv_fn
 *   shaped reader the SMTP code uses.
 * Errors: mbedTLS codes are turned into text with mx_tls_strerror().
 */
#ifndef MX_TLS_GLUE_H
#define MX_TLS_GLUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include <mbedtls/version.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>
#if defined(MBEDTLS_SSL_CACHE_C)
#include <mbedtls/ssl_cache.h>
#endif

/* TLS 1.3 resumption: mbedTLS 3.x with TLS 1.3, session tickets and the
 * ticket module (the server issues NewSessionTicket, the client keeps the
 * last ticket it received). Never with 2.28. */
#if MBEDTLS_VERSION_NUMBER >= 0x03000000 && defined(MBEDTLS_SSL_PROTO_TLS1_3) && \
    defined(MBEDTLS_SSL_SESSION_TICKETS) && defined(MBEDTLS_SSL_TICKET_C)
#define MX_TLS13_TICKETS 1
#include <mbedtls/ssl_ticket.h>
#endif

#include "mxlab/error.h"
#include "netio.h"

/* Protocol versions as on the wire: 0x0301 is TLS 1.0 ... 0x0304 TLS 1.3. */
#define MX_TLS_1_0 0x0301
#define MX_TLS_1_1 0x0302
#define MX_TLS_1_2 0x0303
#define MX_TLS_1_3 0x0304

struct mx_tls_versions {
	int min;	/* 0: the library's default */
	int max;
};

/* "1.2" or "TLSv1.2" -> 0x0303; -1 when not a version. */
int mx_tls_version_parse(const char *s);
const char *mx_tls_version_name(int v);
/* Can this mbedTLS do [min, max]? 0, or -1 with err set. */
int mx_tls_versions_check(const struct mx_tls_versions *v, char *err, size_t errlen);

/* "TLS-ECDHE-...,TLS-..." (',' ':' or ' ' separated) -> 0-terminated ids
 * (malloc'ed); NULL with err set for an unknown suite. */
int *mx_tls_ciphers_parse(const char *list, char *err, size_t errlen);

struct mx_tls_chain {
	mbedtls_x509_crt crt;	/* leaf first, then what is sent with it */
	mbedtls_pk_context key;
	int ncerts;
};

void mx_tls_chain_init(struct mx_tls_chain *c);
void mx_tls_chain_free(struct mx_tls_chain *c);
/* Load certificates from cert_file and the key from key_file (NULL or "":
 * from cert_file). leaf_only keeps the first certificate alone. */
mxlab_err mx_tls_chain_load(struct mx_tls_chain *c, const char *cert_file,
			    const char *key_file, int leaf_only,
			    char *err, size_t errlen);

typedef int (*mx_tls_sni_fn)(void *arg, mbedtls_ssl_context *ssl,
			     const unsigned char *name, size_t len);

struct mx_tls_server {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	pthread_mutex_t rng_lock;
	mbedtls_ssl_config conf;
#if defined(MBEDTLS_SSL_CACHE_C)
	mbedtls_ssl_cache_context cache;
#endif
#ifdef MX_TLS13_TICKETS
	mbedtls_ssl_ticket_context ticket;	/* used when 1.3 is allowed */
#endif
};

mxlab_err mx_tls_server_setup(struct mx_tls_server *t, struct mx_tls_chain *def,
			      const struct mx_tls_versions *v, const int *ciphers,
			      mx_tls_sni_fn sni, void *sni_arg,
			      char *err, size_t errlen);
void mx_tls_server_free(struct mx_tls_server *t);
/* Inside an SNI callback: serve this chain for the handshake. */
int mx_tls_set_hs_chain(mbedtls_ssl_context *ssl, struct mx_tls_chain *c);

struct mx_tls_conn {
	mbedtls_ssl_context ssl;
	struct mx_sock *sock;
	int setup;		/* ssl is initialised */
	int active;		/* handshake completed */
	int last_error;		/* last mbedTLS error code */
	int resumed;		/* server: the handshake resumed a session */
	/* Client, TLS 1.3: called when a NewSessionTicket came (during a
	 * read or write); NULL: nothing is done with it. */
	void (*on_ticket)(void *arg, struct mx_tls_conn *c);
	void *ticket_arg;
};

/* Set up a server-side session over sock; no I/O yet. */
mxlab_err mx_tls_conn_setup(struct mx_tls_conn *c, const mbedtls_ssl_config *conf,
			    struct mx_sock *sock, char *err, size_t errlen);
/* Run the handshake: 0, or the mbedTLS error code (negative). */
int mx_tls_conn_handshake(struct mx_tls_conn *c);
/* mx_recv_fn over TLS: > 0 bytes, 0 on close_notify or EOF, < 0 error. */
int mx_tls_conn_recv(void *conn, unsigned char *buf, size_t len);
/* Are bytes waiting inside the session, decrypted or as an unread record,
 * so that a read would not touch the socket? (1 or 0) */
int mx_tls_conn_pending(const struct mx_tls_conn *c);
/* Send everything: 0 or a negative error. */
int mx_tls_conn_send_all(struct mx_tls_conn *c, const void *buf, size_t len);
/* Send close_notify (best effort: within a second, never past the
 * socket's limit) and free the session. */
void mx_tls_conn_close(struct mx_tls_conn *c);

/* "SSL - The connection indicated an EOF (-0x7280)" */
void mx_tls_strerror(int code, char *buf, size_t len);

/* ---- client side (mxlab send, the fake client) ---- */

/* mbedTLS's per-certificate verify callback (root first, leaf last). */
typedef int (*mx_tls_vrfy_fn)(void *arg, mbedtls_x509_crt *crt, int depth,
			      uint32_t *flags);

/* One client configuration: RNG, trust anchors (maybe none), versions,
 * suites, authmode OPTIONAL (the handshake completes whatever the
 * verification says; the caller reads the flags), a verify callback. */
struct mx_tls_client {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
	mbedtls_ssl_config conf;
	mbedtls_x509_crt ca;
	int nca;		/* trust anchors loaded */
};

/* ca_file / ca_dir may be NULL or "". */
mxlab_err mx_tls_client_setup(struct mx_tls_client *t, const char *ca_file,
			      const char *ca_dir, const struct mx_tls_versions *v,
			      const int *ciphers, mx_tls_vrfy_fn vrfy, void *vrfy_arg,
			      char *err, size_t errlen);
void mx_tls_client_free(struct mx_tls_client *t);

/* A client session over sock: sni (NULL: send none, and no name check in
 * the handshake), offer (NULL or a session saved by mx_tls_conn_save). */
mxlab_err mx_tls_conn_client_setup(struct mx_tls_conn *c, struct mx_tls_client *t,
				   struct mx_sock *sock, const char *sni,
				   const mbedtls_ssl_session *offer,
				   char *err, size_t errlen);
/* Client handshake: 0 or the mbedTLS error. *resumed: 1 the server took
 * the offered session (TLS 1.2: it echoed the session id we sent), 0 not,
 * -1 cannot tell with this mbedTLS (the caller decides another way). */
int mx_tls_client_handshake(struct mx_tls_conn *c, int *resumed);
/* Copy the negotiated session for a later offer (0 or an mbedTLS error).
 * Under TLS 1.3 a session is a ticket: call it from on_ticket. */
int mx_tls_conn_save(struct mx_tls_conn *c, mbedtls_ssl_session *out);
/* Did the handshake negotiate TLS 1.3? */
int mx_tls_conn_is_tls13(const struct mx_tls_conn *c);
uint32_t mx_tls_conn_verify_result(const struct mx_tls_conn *c);
const char *mx_tls_conn_version(const struct mx_tls_conn *c);
const char *mx_tls_conn_cipher(const struct mx_tls_conn *c);

/* basicConstraints CA:TRUE (a private field in 3.x). */
int mx_tls_crt_is_ca(const mbedtls_x509_crt *crt);

#endif
