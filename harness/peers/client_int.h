/*
 * client_int.h: what the fake SMTP client's modules share (not public).
 *
 * client_config.c fills struct mxlab_client_config from key = value pairs;
 * client_session.c runs the SMTP dialogue stage by stage, each stage under
 * a deadline carried by the socket (netio.h); client_reply.c reads replies
 * and what they say (EHLO keywords, queue id); client_tls.c
 * does the handshake, keeps the presented chain (copied in the verify
 * callback, so it survives a failed handshake) and computes the verdict;
 * client_result.c names stages and reasons, exit codes and the JSON.
 */
#ifndef MX_CLIENT_INT_H
#define MX_CLIENT_INT_H

#include <limits.h>
#include <stddef.h>

#include "mxlab/client.h"
#include "tls_glue.h"
#include "smtp_wire.h"
#include "netio.h"
#include "script_run.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

enum mx_client_tls_mode {
	MX_CTLS_STARTTLS_OPTIONAL = 0,	/* STARTTLS when offered (default) */
	MX_CTLS_STARTTLS,		/* STARTTLS or fail */
	MX_CTLS_IMPLICIT,		/* TLS from the first byte */
	MX_CTLS_NONE			/* never TLS */
};

enum mx_client_sni_mode {
	MX_CSNI_DEFAULT = 0,	/* the host when it is a name */
	MX_CSNI_NONE,
	MX_CSNI_NAME
};

enum mx_client_auth {
	MX_CAUTH_NONE = 0,
	MX_CAUTH_PLAIN,
	MX_CAUTH_LOGIN
};

struct mxlab_client_config {
	char host[256];			/* without brackets */
	unsigned port;
	enum mx_client_tls_mode tls;
	enum mx_client_sni_mode sni_mode;
	char sni[256];
	char ca_file[PATH_MAX];
	char ca_dir[PATH_MAX];
	char pki[PATH_MAX];
	char verify_name[256];		/* "" : the SNI name, else the host */
	int verify_no_name;		/* verify-name none: check no name */
	int verify_required;
	char helo[256];
	enum mx_client_auth auth;
	char user[256];
	char password[256];
	int from_set;
	char from[256];
	char **to;
	size_t nto;
	char *subject;
	char *body;			/* "\n" escapes already turned into LF */
	char data_file[PATH_MAX];
	int stop_after;			/* enum mxlab_client_stage, -1: default */
	unsigned timeout_ms;		/* bound of each stage, reply, handshake */
	unsigned session_timeout_ms;	/* bound of a whole session; 0: none */
	int quit_skip_reply;		/* quit-reply skip: close after QUIT */
	struct mx_tls_versions versions;
	int *ciphers;
	int connections;
	struct mx_script_src script;	/* a dialogue script replaces the stages */
};

/* Is s an IPv4 or IPv6 literal? */
int mx_client_is_ip(const char *s);
/* The SNI to send (NULL: none) and the name to verify (NULL: none). */
const char *mx_client_sni(const struct mxlab_client_config *c);
const char *mx_client_verify_name(const struct mxlab_client_config *c);
/* The stage to stop after (resolving the default). */
enum mxlab_client_stage mx_client_stop_after(const struct mxlab_client_config *c);

/* client_tls.c: the TLS side of one run. */
#define MX_CLIENT_DER_MAX 16384

struct mx_client_tls {
	struct mx_tls_client cli;
	int ready;
	/* The chain presented in the current handshake, copied as DER. */
	unsigned char *der[MXLAB_CLIENT_MAX_CHAIN];
	size_t der_len[MXLAB_CLIENT_MAX_CHAIN];
	int nder;
	/* The chain of the last completed handshake (a resumed one has no
	 * Certificate message; its chain is that of the session resumed). */
	unsigned char *prev_der[MXLAB_CLIENT_MAX_CHAIN];
	size_t prev_len[MXLAB_CLIENT_MAX_CHAIN];
	int nprev;
	int cb_calls;			/* verify callback calls this handshake */
	uint32_t cb_flags;		/* flags merged over the callback calls */
	mbedtls_ssl_session saved;	/* the session to offer next */
	int have_saved;
};

mxlab_err mx_client_tls_init(struct mx_client_tls *t, const struct mxlab_client_config *c,
			     char *err, size_t errlen);
void mx_client_tls_free(struct mx_client_tls *t);
/* Handshake on conn over sock, within the socket's deadline and limit
 * (set by the caller); fills the TLS part of res (tls, version, cipher,
 * sni, chain, verdict, resumed). 0 or the mbedTLS error (err says why;
 * MBEDTLS_ERR_SSL_TIMEOUT when the deadline or the limit passed). */
int mx_client_tls_handshake(struct mx_client_tls *t, const struct mxlab_client_config *c,
			    struct mx_tls_conn *conn, struct mx_sock *sock,
			    struct mxlab_client_result *res, char *err, size_t errlen);

/* client_reply.c: one reply into rp (code 0 on failure): 0, or -1 with
 * *what "EOF", "read error" or "malformed reply (...)". */
int mx_client_reply_read(struct mx_reader *rd, struct mxlab_client_reply *rp,
			 const char **what);
/* The EHLO keywords: the reply's lines after the first, into caps. */
void mx_client_caps_keep(char *caps, size_t cap, const char *text);
/* Is kw (case-insensitive) one of the '\n' separated keywords? */
int mx_client_caps_has(const char *caps, const char *kw);
/* X of "queued as X" in text into out (unchanged when there is none). */
void mx_client_queue_id(char *out, size_t cap, const char *text);

/* client_session.c: the state of one session, and what client_script.c
 * borrows of it. */
struct mx_csess {
	const struct mxlab_client_config *cfg;
	struct mx_client_tls *tls;
	struct mxlab_client_result *res;
	struct mx_sock sock;
	struct mx_tls_conn conn;
	struct mx_reader rd;
	long long unit_ms;	/* length of the current unit (for messages) */
	int sending_message;	/* the unit is the message transfer */
	int in_tls;
	int usable;		/* the connection can still carry QUIT */
};

int mx_cs_fail(struct mx_csess *s, enum mxlab_client_stage st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A unit of work of the timeout (a stage). */
void mx_cs_stage_begin(struct mx_csess *s);
/* Send, plain or TLS; -1 failed at st (res->error set). */
int mx_cs_send(struct mx_csess *s, enum mxlab_client_stage st, const void *buf, size_t len);
/* A reply into res->reply[st]; -1 (failed) when none came. */
int mx_cs_read_reply(struct mx_csess *s, enum mxlab_client_stage st);
/* The handshake (starttls-injection checked first, unless implicit). */
int mx_cs_tls_start(struct mx_csess *s);
/* client_script.c: the session by cfg->script after the connect; 0 or
 * -1 (res says where and why). */
int mx_client_script(struct mx_csess *s);

/* client_session.c: one session; fills res. */
void mx_client_session(const struct mxlab_client_config *c, struct mx_client_tls *t,
		       struct mxlab_client_result *res);

#endif
