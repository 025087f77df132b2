/*
 * server_int.h: what the fake server's modules share (not public).
 *
 * server_config.c fills struct mxlab_server_config from key = value pairs;
 * server.c owns listeners, connection bookkeeping and the TLS
 * configuration; server_pool.c runs the sessions on a bounded pool of
 * workers around one epoll set (docs/serve.md#concurrency); a session is
 * server_run.c (started, parked, resumed, ended on a worker),
 * server_session.c (the SMTP protocol, driven by the reply table: enum
 * mx_stage rows) and server_reply.c (its replies and deadlines).
 */
#ifndef MX_SERVER_INT_H
#define MX_SERVER_INT_H

#include <limits.h>
#include <pthread.h>
#include <stddef.h>

#include "mxlab/server.h"
#include "smtp_wire.h"
#include "tls_glue.h"
#include "jsonw.h"
#include "script_run.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

/* The rows of the reply table: the points of a session a script can change. */
enum mx_stage {
	MX_STAGE_GREETING = 0,
	MX_STAGE_EHLO,
	MX_STAGE_HELO,
	MX_STAGE_STARTTLS,
	MX_STAGE_MAIL,
	MX_STAGE_RCPT,
	MX_STAGE_DATA,
	MX_STAGE_DOT,		/* end of data */
	MX_STAGE_RSET,
	MX_STAGE_NOOP,
	MX_STAGE_QUIT,
	MX_STAGE_COUNT
};

const char *mx_stage_name(enum mx_stage s);

#define MX_REPLY_TEXT_MAX 512

/* One row: the reply that replaces the default, a delay, a disconnect. */
struct mx_reply_rule {
	int code;			/* 0: keep the default reply */
	char text[MX_REPLY_TEXT_MAX];	/* may be empty */
	int disconnect;			/* close without a reply */
	unsigned delay_ms;		/* wait before replying */
};

enum mx_starttls_mode {
	MX_STARTTLS_AUTO = 0,	/* offer when a certificate is set, else hide */
	MX_STARTTLS_OFFER,
	MX_STARTTLS_HIDE,
	MX_STARTTLS_REFUSE
};

enum mx_tls_fault {
	MX_TLS_FAULT_NONE = 0,
	MX_TLS_FAULT_CLOSE_AFTER_READY,
	MX_TLS_FAULT_GARBAGE
};

/* Where a chain comes from: a host/profile of a certs-gen PKI, or files. */
struct mx_chain_source {
	char sni[256];			/* SNI name; "" for the default chain */
	char host[256];			/* PKI host, or "" */
	char profile[32];		/* PKI profile (default "good") */
	char cert_file[PATH_MAX];	/* or explicit files */
	char key_file[PATH_MAX];	/* "" : the key is in cert_file */
};

struct mxlab_server_config {
	char **listen;
	size_t nlisten;
	char hostname[256];
	char banner[256];
	int implicit_tls;
	enum mx_starttls_mode starttls;
	char pki[PATH_MAX];
	struct mx_chain_source def;	/* the default chain */
	int leaf_only;			/* serve the leaf alone */
	struct mx_chain_source *sni;
	size_t nsni;
	int sni_reject;			/* unknown SNI: fatal alert */
	struct mx_tls_versions versions;
	int *ciphers;			/* 0-terminated suite ids, or NULL */
	enum mx_tls_fault tls_fault;
	struct mx_reply_rule rules[MX_STAGE_COUNT];
	size_t max_line;
	size_t size;
	unsigned max_connections;
	unsigned timeout_ms;		/* deadline of each line, reply, handshake */
	unsigned session_timeout_ms;	/* deadline of a whole session; 0: none */
	int pipelining;
	char transcript[PATH_MAX];
	char mailbox[PATH_MAX];
	int https;			/* mode = https (server_https.c) */
	char *policy;			/* its MTA-STS policy, CRLF lines */
	size_t policy_len;
	struct mx_script_src script;	/* a dialogue script replaces the table */
};

/* server_https.c: the keys mode and policy, and an HTTPS session (after
 * its handshake; it sets s->reason). */
#define MX_HTTPS_POLICY_MAX 4096
int mx_https_set_mode(struct mxlab_server_config *c, const char *k, const char *v, char *err,
		      size_t errlen);
int mx_https_set_policy(struct mxlab_server_config *c, const char *k, const char *v, char *err,
			size_t errlen);
struct mx_session;
void mx_https_session(struct mx_session *s);

/* Does the configuration hold any certificate? */
int mx_server_config_has_cert(const struct mxlab_server_config *cfg);

#define MX_OBS_MAX 256

struct mx_transcript;
struct mx_mailbox;
struct mx_conn;
struct mx_pool;

/* A loaded chain and its label for transcripts ("host/profile full"). */
struct mx_served_chain {
	char sni[256];
	char label[320];
	struct mx_tls_chain chain;
};

struct mxlab_server {
	struct mxlab_server_config cfg;		/* a private copy */
	int *lfd;				/* listening sockets */
	char (*laddr)[80];			/* their addresses */
	size_t nl;
	struct mx_pool *pool;			/* event thread and workers */

	struct mx_tls_server tls;		/* shared TLS setup, if any */
	int tls_ready;
	struct mx_served_chain def;
	struct mx_served_chain *sni;
	size_t nsni;

	struct mx_transcript *tr;
	struct mx_mailbox *mb;

	pthread_mutex_t lock;			/* guards what follows */
	pthread_cond_t idle;
	struct mx_conn *conns;			/* open connections */
	unsigned long next_id;
	int stopping;
	int stopped;
	struct mxlab_server_stats stats;
	struct mxlab_server_tls_info tls_log[MX_OBS_MAX];	/* what was seen */
	size_t ntls;
	struct mxlab_server_msg_info msg_log[MX_OBS_MAX];
	size_t nmsg;
	size_t nhttp;				/* HTTP requests read (https) */
};

/* server.c: keep a record of what a session saw (under the lock). */
void mx_server_note_tls(struct mxlab_server *srv, const struct mxlab_server_tls_info *t);
void mx_server_note_msg(struct mxlab_server *srv, const struct mxlab_server_msg_info *m);
void mx_server_note_http(struct mxlab_server *srv);

/* What a worker lends the session it runs: buffers that are empty
 * whenever a session is parked, so a parked session needs none of them. */
#define MX_OUT_CAP 8192
#define MX_DATA_PIECE 65536
struct mx_worker_bufs {
	struct mx_reader rd;		/* the session's input, re-pointed */
	char out[MX_OUT_CAP];		/* replies not yet flushed */
	unsigned char *line;		/* a command line (cfg->max_line) */
	unsigned char *piece;		/* message data (MX_DATA_PIECE) */
	struct jw w;			/* transcript lines */
};

/* server_session.c: run the connection's session on this worker until it
 * ends (the connection is then gone: mx_server_conn_done) or parks
 * (mx_pool_park accepted it). The first call starts the session. */
void mx_session_run(struct mx_conn *c, struct mx_worker_bufs *b);

/* server_pool.c */
mxlab_err mx_pool_start(struct mxlab_server *srv, char *err, size_t errlen);
/* Park c until its socket is readable or deadline (mx_clock_ms; 0: none)
 * passes; a worker then runs it again. 0, or -1 when the server is
 * stopping (the caller carries on; its reads end at once). */
int mx_pool_park(struct mx_conn *c, long long deadline);
/* A worker is about to block (waiting 1) or is back (0): mx_sock's
 * wait_hook, with the pool as its argument. */
void mx_pool_waiting(void *pool, int waiting);
/* c is about to be closed and freed: no event may name it any more. */
void mx_pool_forget(struct mx_conn *c);
/* Stop accepting, end parked sessions, stop the workers (in that order:
 * mxlab_server_stop waits for every session before mx_pool_free). */
void mx_pool_stop_accepting(struct mx_pool *p);
void mx_pool_drain(struct mx_pool *p);
void mx_pool_free(struct mx_pool *p);

struct mx_session;

struct mx_conn {
	struct mxlab_server *srv;
	unsigned long id;
	int fd;
	char peer[80];
	char local[80];
	struct mx_conn *prev, *next;
	struct mx_session *sess;	/* server_session.c's state */
	/* server_pool.c, under its lock */
	struct mx_conn *qnext;		/* the run queue */
	struct mx_conn *pprev, *pnext;	/* the parked list */
	int parked;
	int in_epoll;			/* registered (maybe disarmed) */
	long long park_deadline;
	struct mx_tls_conn tls;		/* TLS session, when started */
	const struct mx_served_chain *served;
	char sni[256];
	int sni_seen;
};

/* server.c: is the server being stopped? (connection threads poll this) */
int mx_server_stopping(struct mxlab_server *srv);
void mx_server_count(struct mxlab_server *srv, unsigned long *field);

/*
 * One SMTP session (server_session.c: the protocol; server_reply.c: its
 * output, deadlines and replies; server_run.c: running, parking and
 * ending it on a worker). A parked session keeps this and its TLS context,
 * nothing else.
 */
#define MX_SS_PATH_CAP 1024
struct mx_session {
	struct mx_conn *c;
	struct mxlab_server *srv;
	const struct mxlab_server_config *cfg;
	struct mx_sock sock;
	struct mx_worker_bufs *b;	/* the worker's, while it runs us */
	struct mx_reader *rd;		/* &b->rd */
	int tls;
	struct jw *w;			/* &b->w */
	char *out;			/* b->out */
	size_t outlen;
	int waiting;			/* the next line's deadline is set */
	int woken;			/* resumed from parked: read */
	int in_data;			/* reading message data */
	int data_at_start;		/* at the start of a data line */
	int data_toobig;
	int lingering;			/* over: draining until linger_until */
	long long linger_until;
	int dead;			/* the session must end */
	int broken;			/* nothing more can be written */
	const char *reason;		/* why the session ended */
	int refused;			/* greeting was not 2xx */
	char helo[256];
	int have_helo;
	char from[MX_SS_PATH_CAP];
	int have_from;
	char **rcpt;
	size_t nrcpt;
	unsigned char *msg;
	size_t msglen, msgcap;
	int errors;
	unsigned long messages;
};

/* server_reply.c */
void mx_ss_tr_begin(struct mx_session *s, const char *event);
void mx_ss_unit_begin(struct mx_session *s);
enum mx_sock_timeout mx_ss_timeout_kind(const struct mx_session *s);
const char *mx_ss_timeout_reason(enum mx_sock_timeout k);
void mx_ss_flush(struct mx_session *s);
void mx_ss_send_reply(struct mx_session *s, int code, const char *text);
void mx_ss_time_out(struct mx_session *s, enum mx_sock_timeout k);
void mx_ss_delay(struct mx_session *s, unsigned ms);
void mx_ss_event_note(struct mx_session *s, const char *event, const char *key, const char *val);
int mx_ss_reply(struct mx_session *s, enum mx_stage st, int code, const char *text);
void mx_ss_reset(struct mx_session *s);
void mx_ss_protocol_error(struct mx_session *s, int code, const char *text);
/* server_session.c */
int mx_ss_start_tls(struct mx_session *s, size_t discarded);
void mx_ss_data_line(struct mx_session *s, enum mx_read_status st, const unsigned char *piece, size_t n);
void mx_ss_command(struct mx_session *s, const unsigned char *line, size_t n);
int mx_ss_skip_rest(struct mx_session *s, unsigned char *buf, size_t cap);
/* server_script.c: the whole session by cfg->script (then it is over). */
void mx_ss_script(struct mx_session *s);
/* server.c: the connection's very last step. */
void mx_server_conn_done(struct mx_conn *c);

#endif
