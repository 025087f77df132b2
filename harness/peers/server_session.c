/*
 * server_session.c: one SMTP session of the fake server.
 *
 * A session runs on a worker of the pool (server_pool.c) until it ends or
 * waits: when it needs the client's next line and nothing is buffered (in
 * the reader or inside TLS), its replies flushed, the session parks
 * (mx_pool_park) and the worker moves on; a worker, maybe another,
 * resumes it when the client writes or the line's deadline passes. The buffers are the worker's (struct mx_worker_bufs),
 * empty whenever a session parks; the state in struct mx_session is all
 * that a parked session keeps, with its TLS context.
 *
 * The session reads commands with the bounded reader of smtp_wire.c and
 * answers through reply(), which consults the reply table row of the stage
 * (cfg->rules[]: replacement reply, delay, disconnect) before sending the
 * default. Replies are buffered while pipelined commands are waiting and
 * flushed before the server would block on a read. STARTTLS drops any
 * plaintext the client sent after the command. Every command, reply, TLS
 * handshake and message goes to the transcript; accepted messages go to the
 * mailbox byte-exact. Protocol errors get Postfix-like replies; after 20 of
 * them the session ends with 421.
 *
 * Deadlines, not read timeouts (netio.h): every unit of work (a command
 * line, each line of message data, a reply written, a TLS handshake) must
 * be over within cfg->timeout_ms, and the whole session within
 * cfg->session_timeout_ms (the socket's limit; scripted delays stop there
 * too). A client trickling bytes therefore gets "421 4.4.2 HOST Error:
 * timeout exceeded" (or "session timeout exceeded") like an idle one, and
 * the session ends, freeing its slot; the close event says "timeout" or
 * "session-timeout".
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/socket.h>

#include "mailbox.h"
#include "server_int.h"
#include "smtp_wire.h"
#include "transcript.h"

#define MAX_RCPT 1000
#define MAX_ERRORS 20
#define PATH_CAP 1024

void mx_server_conn_done(struct mx_conn *c);

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
	char from[PATH_CAP];
	int have_from;
	char **rcpt;
	size_t nrcpt;
	unsigned char *msg;
	size_t msglen, msgcap;
	int errors;
	unsigned long messages;
};

/* Start a transcript line; without a transcript the writer is left
 * failed, so the line's jw_ calls do nothing (mx_tr_end writes nothing). */
static void
tr_begin(struct mx_session *s, const char *event)
{
	if (!s->srv->tr) {
		jw_reset(s->w);
		s->w->failed = 1;
		return;
	}
	mx_tr_begin(s->w, s->c->id, event);
}

/* Start a unit of work: over within the timeout (and the session limit). */
static void
unit_begin(struct mx_session *s)
{
	mx_sock_deadline_in(&s->sock, s->cfg->timeout_ms);
}

/* Did the last failure run out of time? Which bound (MX_SOCK_TO_*)? The
 * clock decides when the socket cannot tell (mbedTLS may write an alert
 * after a read gave up, which clears timed_out). */
static enum mx_sock_timeout
timeout_kind(const struct mx_session *s)
{
	long long now = mx_clock_ms();

	if (s->sock.limit && now >= s->sock.limit)
		return MX_SOCK_TO_LIMIT;
	if (s->sock.timed_out)
		return s->sock.timed_out;
	return s->sock.deadline && now >= s->sock.deadline ? MX_SOCK_TO_DEADLINE
							 : MX_SOCK_TO_NONE;
}

static const char *
timeout_reason(enum mx_sock_timeout k)
{
	return k == MX_SOCK_TO_LIMIT ? "session-timeout" : "timeout";
}

static int
sess_send(struct mx_session *s, const void *buf, size_t len)
{
	unit_begin(s);
	if (s->tls)
		return mx_tls_conn_send_all(&s->c->tls, buf, len);
	return mx_sock_send_all(&s->sock, buf, len);
}

/* A write failed: nothing more can be said to this client. */
static void
write_failed(struct mx_session *s)
{
	enum mx_sock_timeout k = timeout_kind(s);

	s->dead = s->broken = 1;
	if (!s->reason)
		s->reason = k ? timeout_reason(k) : "write failed";
}

static void
flush_out(struct mx_session *s)
{
	if (s->outlen && !s->broken && sess_send(s, s->out, s->outlen) < 0)
		write_failed(s);
	s->outlen = 0;
}

/* Queue one reply (buffered), with its transcript event. */
static void
send_reply(struct mx_session *s, int code, const char *text)
{
	char buf[4096];
	size_t n = mx_reply_format(buf, sizeof buf, code, text);

	if (n >= sizeof buf)
		n = sizeof buf - 1;
	tr_begin(s, "reply");
	jw_kint(s->w, "code", code);
	jw_kstr(s->w, "text", text);
	mx_tr_end(s->srv->tr, s->w);
	if (s->outlen + n > MX_OUT_CAP)
		flush_out(s);
	if (n > MX_OUT_CAP) {
		if (!s->broken && sess_send(s, buf, n) < 0)
			write_failed(s);
		return;
	}
	memcpy(s->out + s->outlen, buf, n);
	s->outlen += n;
	if (code == 421) {
		flush_out(s);
		s->dead = 1;
		if (!s->reason)
			s->reason = "421 sent";
	}
}

/* A read or a scripted delay ran out of time (kind k): say so with 421,
 * given one more timeout to get it out even past the session limit, and
 * end the session. */
static void
time_out(struct mx_session *s, enum mx_sock_timeout k)
{
	char text[320];

	snprintf(text, sizeof text, "4.4.2 %s Error: %stimeout exceeded", s->cfg->hostname,
		 k == MX_SOCK_TO_LIMIT ? "session " : "");
	s->reason = timeout_reason(k);
	s->sock.limit = 0;
	send_reply(s, 421, text);
	s->dead = 1;
}

/* Sleep in short steps so that a server stop is not held up; never past
 * the session limit. */
static void
delay(struct mx_session *s, unsigned ms)
{
	if (ms > 0)
		mx_pool_waiting(s->srv->pool, 1);
	while (ms > 0 && !mx_server_stopping(s->srv) &&
	       !(s->sock.limit && mx_clock_ms() >= s->sock.limit)) {
		unsigned step = ms > 50 ? 50 : ms;
		struct timespec ts = { 0, (long)step * 1000000L };

		nanosleep(&ts, NULL);
		ms -= step;
	}
}

static void
event_note(struct mx_session *s, const char *event, const char *key, const char *val)
{
	tr_begin(s, event);
	if (key)
		jw_kstr(s->w, key, val);
	mx_tr_end(s->srv->tr, s->w);
}

/*
 * Reply at a stage: the table row may delay, disconnect, or replace the
 * default reply. Returns the code actually sent (0 after a disconnect).
 */
static int
reply(struct mx_session *s, enum mx_stage st, int code, const char *text)
{
	const struct mx_reply_rule *r = &s->cfg->rules[st];

	if (r->delay_ms) {
		flush_out(s);
		delay(s, r->delay_ms);
		if (!s->dead && s->sock.limit && mx_clock_ms() >= s->sock.limit) {
			time_out(s, MX_SOCK_TO_LIMIT);
			return 0;
		}
	}
	if (r->disconnect) {
		flush_out(s);
		event_note(s, "disconnect", "stage", mx_stage_name(st));
		s->dead = s->broken = 1;
		s->reason = "scripted disconnect";
		return 0;
	}
	if (r->code) {
		code = r->code;
		text = r->text;
	}
	send_reply(s, code, text);
	return code;
}

static void
reset_transaction(struct mx_session *s)
{
	for (size_t i = 0; i < s->nrcpt; i++)
		free(s->rcpt[i]);
	free(s->rcpt);
	s->rcpt = NULL;
	s->nrcpt = 0;
	s->have_from = 0;
	s->from[0] = '\0';
	s->msglen = 0;
}

static void
protocol_error(struct mx_session *s, int code, const char *text)
{
	send_reply(s, code, text);
	if (++s->errors >= MAX_ERRORS && !s->dead) {
		char t[300];

		snprintf(t, sizeof t, "4.7.0 %s Error: too many errors", s->cfg->hostname);
		s->reason = "too many errors";
		send_reply(s, 421, t);
	}
}

static void
tls_event(struct mx_session *s, int ok, int code, size_t discarded)
{
	struct mx_conn *c = s->c;
	const struct mx_served_chain *ch = c->served ? c->served : &s->srv->def;
	struct mxlab_server_tls_info info;

	memset(&info, 0, sizeof info);
	info.conn = c->id;
	info.ok = ok;
	info.sni_sent = c->sni_seen;
	snprintf(info.sni, sizeof info.sni, "%s", c->sni_seen ? c->sni : "");
	snprintf(info.chain, sizeof info.chain, "%s", ch->label);
	info.certificates = ch->chain.ncerts;
	if (ok) {
		snprintf(info.version, sizeof info.version, "%s",
			 mbedtls_ssl_get_version(&c->tls.ssl));
		snprintf(info.cipher, sizeof info.cipher, "%s",
			 mbedtls_ssl_get_ciphersuite(&c->tls.ssl));
	} else if (timeout_kind(s))
		snprintf(info.error, sizeof info.error, "%s", timeout_reason(timeout_kind(s)));
	else if (code)
		mx_tls_strerror(code, info.error, sizeof info.error);
	else
		snprintf(info.error, sizeof info.error, "no handshake");
	mx_server_note_tls(s->srv, &info);

	tr_begin(s, "tls");
	jw_kstr(s->w, "result", ok ? "ok" : "failed");
	jw_kstr(s->w, "mode", s->cfg->implicit_tls ? "implicit" : "starttls");
	if (ok) {
		jw_kstr(s->w, "version", mbedtls_ssl_get_version(&c->tls.ssl));
		jw_kstr(s->w, "cipher", mbedtls_ssl_get_ciphersuite(&c->tls.ssl));
		jw_kbool(s->w, "resumed", c->tls.resumed);
	}
	jw_key(s->w, "sni");
	if (c->sni_seen)
		jw_str(s->w, c->sni);
	else
		jw_null(s->w);
	jw_kstr(s->w, "chain", ch->label);
	jw_kint(s->w, "certificates", ch->chain.ncerts);
	if (discarded)
		jw_kint(s->w, "discarded_plaintext", (long long)discarded);
	if (!ok)
		jw_kstr(s->w, "error", info.error);
	mx_tr_end(s->srv->tr, s->w);
}

/* A fault: wait for the ClientHello, answer garbage, hang up. */
static void
send_garbage(struct mx_session *s)
{
	static const char junk[] = "mxlab garbage: this is not a TLS ServerHello\r\n"
				   "mxlab garbage: this is not a TLS ServerHello\r\n";
	unsigned char hello[512];

	unit_begin(s);
	(void)mx_sock_recv(&s->sock, hello, sizeof hello);
	(void)mx_sock_send_all(&s->sock, junk, sizeof junk - 1);
	shutdown(s->c->fd, SHUT_WR);
	event_note(s, "tls-fault", "fault", "garbage");
	s->dead = s->broken = 1;
	s->reason = "tls-fault garbage";
}

/* Start TLS on the connection (after 220 or at connect). 0 or -1. */
static int
start_tls(struct mx_session *s, size_t discarded)
{
	char e[300];
	int r;

	if (s->cfg->tls_fault == MX_TLS_FAULT_CLOSE_AFTER_READY) {
		event_note(s, "tls-fault", "fault", "close-after-ready");
		s->dead = s->broken = 1;
		s->reason = "tls-fault close-after-ready";
		return -1;
	}
	if (s->cfg->tls_fault == MX_TLS_FAULT_GARBAGE) {
		send_garbage(s);
		return -1;
	}
	if (mx_tls_conn_setup(&s->c->tls, &s->srv->tls.conf, &s->sock, e, sizeof e) != MXLAB_OK) {
		event_note(s, "error", "text", e);
		s->dead = s->broken = 1;
		s->reason = "TLS setup failed";
		return -1;
	}
	unit_begin(s);		/* the whole handshake */
	r = mx_tls_conn_handshake(&s->c->tls);
	tls_event(s, r == 0, r, discarded);
	if (r != 0) {
		enum mx_sock_timeout k = timeout_kind(s);

		mx_server_count(s->srv, &s->srv->stats.tls_failed);
		s->dead = s->broken = 1;
		s->reason = k ? timeout_reason(k) : "TLS handshake failed";
		return -1;
	}
	mx_server_count(s->srv, &s->srv->stats.tls_ok);
	s->tls = 1;
	mx_reader_set_source(s->rd, mx_tls_conn_recv, &s->c->tls);
	return 0;
}

static void
do_ehlo(struct mx_session *s, const struct mx_command *cmd, int ehlo)
{
	const struct mxlab_server_config *cfg = s->cfg;
	char text[1024];
	int code;

	if (cmd->arg_len == 0) {
		protocol_error(s, 501, ehlo ? "5.5.4 Syntax: EHLO hostname" : "5.5.4 Syntax: HELO hostname");
		return;
	}
	reset_transaction(s);
	if (ehlo) {
		snprintf(text, sizeof text, "%s%s\nSIZE %zu\n8BITMIME\nENHANCEDSTATUSCODES%s",
			 cfg->hostname, cfg->pipelining ? "\nPIPELINING" : "", cfg->size,
			 !s->tls && (cfg->starttls == MX_STARTTLS_OFFER ||
				     cfg->starttls == MX_STARTTLS_REFUSE) ? "\nSTARTTLS" : "");
		code = reply(s, MX_STAGE_EHLO, 250, text);
	} else
		code = reply(s, MX_STAGE_HELO, 250, cfg->hostname);
	if (code >= 200 && code < 300) {
		snprintf(s->helo, sizeof s->helo, "%.*s",
			 (int)(cmd->arg_len < 255 ? cmd->arg_len : 255), cmd->arg);
		s->have_helo = 1;
	}
}

static void
do_starttls(struct mx_session *s, const struct mx_command *cmd)
{
	size_t discarded;

	if (s->tls) {
		protocol_error(s, 554, "5.5.1 Error: TLS already active");
		return;
	}
	if (s->cfg->starttls == MX_STARTTLS_HIDE || !s->srv->tls_ready) {
		protocol_error(s, 502, "5.5.1 Error: command not implemented");
		return;
	}
	if (cmd->arg_len) {
		protocol_error(s, 501, "5.5.4 Syntax: STARTTLS");
		return;
	}
	if (s->cfg->starttls == MX_STARTTLS_REFUSE) {
		reply(s, MX_STAGE_STARTTLS, 454, "4.7.0 TLS not available due to local problem");
		return;
	}
	if (reply(s, MX_STAGE_STARTTLS, 220, "2.0.0 Ready to start TLS") != 220)
		return;
	flush_out(s);
	if (s->dead)
		return;
	discarded = mx_reader_discard(s->rd);
	if (start_tls(s, discarded) == 0) {
		s->have_helo = 0;
		reset_transaction(s);
	}
}

static void
do_mail(struct mx_session *s, const struct mx_command *cmd)
{
	char path[PATH_CAP];
	const char *params, *p;
	size_t plen;

	if (!s->have_helo) {
		protocol_error(s, 503, "5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->have_from) {
		protocol_error(s, 503, "5.5.1 Error: nested MAIL command");
		return;
	}
	if (mx_path_parse(cmd->arg, cmd->arg_len, "FROM:", path, sizeof path, &params, &plen) < 0) {
		protocol_error(s, 501, "5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	for (p = params; p < params + plen; p++) {
		if ((p == params || p[-1] == ' ') && (size_t)(params + plen - p) > 5 &&
		    strncasecmp(p, "SIZE=", 5) == 0 &&
		    strtoull(p + 5, NULL, 10) > (unsigned long long)s->cfg->size) {
			send_reply(s, 552, "5.3.4 Message size exceeds fixed limit");
			return;
		}
	}
	if (reply(s, MX_STAGE_MAIL, 250, "2.1.0 Ok") / 100 == 2) {
		snprintf(s->from, sizeof s->from, "%s", path);
		s->have_from = 1;
	}
}

static void
do_rcpt(struct mx_session *s, const struct mx_command *cmd)
{
	char path[PATH_CAP];
	const char *params;
	size_t plen;
	char **nr;

	if (!s->have_from) {
		protocol_error(s, 503, "5.5.1 Error: need MAIL command");
		return;
	}
	if (mx_path_parse(cmd->arg, cmd->arg_len, "TO:", path, sizeof path, &params, &plen) < 0 ||
	    path[0] == '\0') {
		protocol_error(s, 501, "5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (s->nrcpt >= MAX_RCPT) {
		send_reply(s, 452, "4.5.3 Error: too many recipients");
		return;
	}
	if (reply(s, MX_STAGE_RCPT, 250, "2.1.5 Ok") / 100 != 2)
		return;
	if (!(nr = realloc(s->rcpt, (s->nrcpt + 1) * sizeof *nr)) ||
	    !(nr[s->nrcpt] = strdup(path))) {
		if (nr)
			s->rcpt = nr;
		s->dead = 1;
		s->reason = "out of memory";
		return;
	}
	s->rcpt = nr;
	s->nrcpt++;
}

/* Keep a piece of message text, unless the message is already too big. */
static int
keep(struct mx_session *s, const unsigned char *p, size_t n, int *toobig)
{
	if (*toobig || s->msglen + n > s->cfg->size) {
		*toobig = 1;
		return 0;
	}
	if (s->msglen + n > s->msgcap) {
		size_t cap = s->msgcap ? s->msgcap : 65536;
		unsigned char *nm;

		while (cap < s->msglen + n)
			cap *= 2;
		if (!(nm = realloc(s->msg, cap)))
			return -1;
		s->msg = nm;
		s->msgcap = cap;
	}
	memcpy(s->msg + s->msglen, p, n);
	s->msglen += n;
	return 0;
}

static void
message_event(struct mx_session *s, const char *status, const char *file)
{
	tr_begin(s, "message");
	jw_kstr(s->w, "status", status);
	jw_kstr(s->w, "from", s->from);
	jw_key(s->w, "rcpt");
	jw_arr_begin(s->w);
	for (size_t i = 0; i < s->nrcpt; i++)
		jw_str(s->w, s->rcpt[i]);
	jw_arr_end(s->w);
	jw_kint(s->w, "size", (long long)s->msglen);
	jw_kbool(s->w, "tls", s->tls);
	if (file)
		jw_kstr(s->w, "file", file);
	mx_tr_end(s->srv->tr, s->w);
}

static void
store_and_answer(struct mx_session *s)
{
	struct mx_envelope env = {
		.from = s->from, .rcpt = (const char *const *)s->rcpt, .nrcpt = s->nrcpt,
		.helo = s->helo, .client = s->c->peer, .tls = s->tls, .conn = s->c->id,
	};
	const struct mx_reply_rule *r = &s->cfg->rules[MX_STAGE_DOT];
	char name[64] = "", text[128], e[300];

	/* A scripted refusal or hang-up at the dot means nothing was accepted. */
	if (r->disconnect || (r->code && r->code / 100 != 2)) {
		message_event(s, "refused", NULL);
		reply(s, MX_STAGE_DOT, 250, "2.0.0 Ok");
		return;
	}
	if (s->srv->mb &&
	    mx_mailbox_store(s->srv->mb, &env, s->msg, s->msglen, name, sizeof name,
			     e, sizeof e) != MXLAB_OK) {
		event_note(s, "error", "text", e);
		send_reply(s, 451, "4.3.0 Error: queue file write error");
		return;
	}
	if (!name[0]) {
		pthread_mutex_lock(&s->srv->lock);
		snprintf(name, sizeof name, "%06lu", s->srv->stats.messages + 1);
		pthread_mutex_unlock(&s->srv->lock);
	}
	mx_server_count(s->srv, &s->srv->stats.messages);
	s->messages++;
	{
		struct mxlab_server_msg_info m;

		memset(&m, 0, sizeof m);
		m.conn = s->c->id;
		m.tls = s->tls;
		snprintf(m.from, sizeof m.from, "%.*s", (int)sizeof m.from - 1, s->from);
		snprintf(m.rcpt, sizeof m.rcpt, "%s", s->nrcpt ? s->rcpt[0] : "");
		m.nrcpt = s->nrcpt;
		m.size = s->msglen;
		snprintf(m.file, sizeof m.file, "%s", s->srv->mb ? name : "");
		mx_server_note_msg(s->srv, &m);
	}
	message_event(s, "accepted", s->srv->mb ? name : NULL);
	snprintf(text, sizeof text, "2.0.0 Ok: queued as %s", name);
	reply(s, MX_STAGE_DOT, 250, text);
}

static void
do_data(struct mx_session *s, const struct mx_command *cmd)
{
	if (cmd->arg_len) {
		protocol_error(s, 501, "5.5.4 Syntax: DATA");
		return;
	}
	if (!s->have_from || s->nrcpt == 0) {
		protocol_error(s, 503, s->have_from ? "5.5.1 Error: need RCPT command"
				       : "5.5.1 Error: need MAIL command");
		return;
	}
	if (reply(s, MX_STAGE_DATA, 354, "End data with <CR><LF>.<CR><LF>") != 354)
		return;
	flush_out(s);
	if (s->dead)
		return;
	s->msglen = 0;
	s->in_data = 1;
	s->data_at_start = 1;
	s->data_toobig = 0;
}

/*
 * One line (or 64 KiB piece) of message data, read like a command line:
 * the session loop waits for it (and may park) in between, so a message
 * that arrives slowly holds no worker.
 */
static void
data_line(struct mx_session *s, enum mx_read_status st, const unsigned char *piece, size_t n)
{
	size_t skip = 0;

	if (st == MX_READ_EOF || st == MX_READ_ERROR) {
		enum mx_sock_timeout k = st == MX_READ_ERROR ? timeout_kind(s) : MX_SOCK_TO_NONE;

		(void)keep(s, piece, n, &s->data_toobig);
		message_event(s, "aborted", NULL);
		s->dead = 1;
		if (k)
			time_out(s, k);
		else
			s->reason = st == MX_READ_EOF ? "client closed during DATA"
				    : "read error during DATA";
		s->in_data = 0;
		reset_transaction(s);
		return;
	}
	if (mx_data_line(piece, n, s->data_at_start, &skip) == MX_DATA_END) {
		if (s->data_toobig) {
			message_event(s, "too-big", NULL);
			send_reply(s, 552, "5.3.4 Message size exceeds fixed limit");
		} else
			store_and_answer(s);
		s->in_data = 0;
		reset_transaction(s);
		return;
	}
	if (keep(s, piece + skip, n - skip, &s->data_toobig) < 0) {
		s->dead = 1;
		s->reason = "out of memory";
		s->in_data = 0;
		reset_transaction(s);
		return;
	}
	s->data_at_start = (st == MX_READ_LINE);
}

static void
do_command(struct mx_session *s, const unsigned char *line, size_t n)
{
	struct mx_command cmd;
	size_t shown = n;

	while (shown > 0 && (line[shown - 1] == '\n' || line[shown - 1] == '\r'))
		shown--;
	tr_begin(s, "command");
	jw_kstrn(s->w, "line", (const char *)line, shown);
	mx_tr_end(s->srv->tr, s->w);

	if (mx_command_parse((const char *)line, n, &cmd) < 0) {
		protocol_error(s, 500, "5.5.2 Error: bad syntax");
		return;
	}
	if (s->refused && cmd.verb != MX_VERB_QUIT) {
		protocol_error(s, 503, "5.5.1 Error: service refused, only QUIT is accepted");
		return;
	}
	switch (cmd.verb) {
	case MX_VERB_EHLO: do_ehlo(s, &cmd, 1); break;
	case MX_VERB_HELO: do_ehlo(s, &cmd, 0); break;
	case MX_VERB_STARTTLS: do_starttls(s, &cmd); break;
	case MX_VERB_MAIL: do_mail(s, &cmd); break;
	case MX_VERB_RCPT: do_rcpt(s, &cmd); break;
	case MX_VERB_DATA: do_data(s, &cmd); break;
	case MX_VERB_RSET:
		reset_transaction(s);
		reply(s, MX_STAGE_RSET, 250, "2.0.0 Ok");
		break;
	case MX_VERB_NOOP: reply(s, MX_STAGE_NOOP, 250, "2.0.0 Ok"); break;
	case MX_VERB_QUIT:
		reply(s, MX_STAGE_QUIT, 221, "2.0.0 Bye");
		s->dead = 1;
		if (!s->reason)
			s->reason = "quit";
		break;
	case MX_VERB_VRFY: send_reply(s, 252, "2.0.0 Cannot VRFY user"); break;
	case MX_VERB_HELP: send_reply(s, 214, "2.0.0 mxlab fake SMTP server"); break;
	case MX_VERB_AUTH:
		protocol_error(s, 502, "5.5.1 Error: authentication not enabled");
		break;
	default:
		protocol_error(s, 502, "5.5.2 Error: command not recognized");
	}
}

/* Read what is left of an overlong command line. 0, or -1 at EOF/error. */
static int
skip_rest(struct mx_session *s, unsigned char *buf, size_t cap)
{
	for (;;) {
		size_t n;
		enum mx_read_status st = mx_reader_line(s->rd, buf, cap, &n);

		if (st == MX_READ_LINE)
			return 0;
		if (st != MX_READ_PARTIAL)
			return -1;
	}
}

/*
 * Wait for the next command line. 1: read it (bytes are there, or the
 * deadline has passed and the read will say so); 0: the session is
 * parked and this worker must let go of it.
 */
static int
await_command(struct mx_session *s)
{
	long long left;

	if (s->woken) {		/* the client wrote, or the deadline passed */
		s->woken = 0;
		return 1;
	}
	if (mx_reader_pending(s->rd) || (s->tls && mx_tls_conn_pending(&s->c->tls)))
		return 1;
	if ((left = mx_sock_left_ms(&s->sock)) == 0)
		return 1;
	/* Idle: nothing of ours may stay in the worker's buffers; a message
	 * buffer between messages goes too (a message being received stays).
	 * No look at the socket first: a client's reply is rarely there yet,
	 * and one that is makes the parked socket ready at once. */
	if (!s->in_data) {
		free(s->msg);
		s->msg = NULL;
		s->msglen = s->msgcap = 0;
	}
	return mx_pool_park(s->c, left > 0 ? mx_clock_ms() + left : 0) != 0;
}

/* The command loop. 1: the session is over; 0: it is parked. */
static int
session_loop(struct mx_session *s)
{
	const struct mxlab_server_config *cfg = s->cfg;
	unsigned char *line = s->b->line;

	while (!s->dead) {
		size_t n = 0;
		enum mx_read_status st;

		if (!s->waiting) {
			if (mx_reader_pending(s->rd) == 0)
				flush_out(s);
			if (s->dead)
				break;
			unit_begin(s);	/* one command line, however it trickles */
			s->waiting = 1;
		}
		if (!await_command(s))
			return 0;
		if (s->in_data) {
			st = mx_reader_line(s->rd, s->b->piece, MX_DATA_PIECE, &n);
			s->waiting = 0;
			data_line(s, st, s->b->piece, n);
			continue;
		}
		st = mx_reader_line(s->rd, line, cfg->max_line, &n);
		s->waiting = 0;
		if (st == MX_READ_LINE) {
			do_command(s, line, n);
			continue;
		}
		if (st == MX_READ_PARTIAL) {
			tr_begin(s, "command");
			jw_kstrn(s->w, "line", (const char *)line, n > 80 ? 80 : n);
			jw_kbool(s->w, "too_long", 1);
			mx_tr_end(s->srv->tr, s->w);
			if (skip_rest(s, line, cfg->max_line) < 0) {
				if (timeout_kind(s))
					time_out(s, timeout_kind(s));
				else
					s->reason = "client closed";
				break;
			}
			protocol_error(s, 500, "5.5.0 Error: line too long");
			continue;
		}
		if (n > 0) {
			tr_begin(s, "command");
			jw_kstrn(s->w, "line", (const char *)line, n);
			jw_kbool(s->w, "unterminated", 1);
			mx_tr_end(s->srv->tr, s->w);
		}
		if (st == MX_READ_ERROR && timeout_kind(s))
			time_out(s, timeout_kind(s));
		else
			s->reason = st == MX_READ_EOF ? "client closed" : "read error";
		break;
	}
	flush_out(s);
	return 1;
}

/* Lend the worker's buffers to the session (empty: see await_command). */
static void
bind_worker(struct mx_session *s, struct mx_worker_bufs *b)
{
	s->b = b;
	s->rd = &b->rd;
	s->w = &b->w;
	s->out = b->out;
	s->outlen = 0;
	if (s->tls)
		mx_reader_init(s->rd, mx_tls_conn_recv, &s->c->tls);
	else
		mx_reader_init(s->rd, mx_sock_recv, &s->sock);
}

/* Greet (after the handshake, with implicit TLS). 0, or -1: it is over. */
static int
session_open(struct mx_session *s)
{
	const struct mxlab_server_config *cfg = s->cfg;
	struct mx_conn *c = s->c;
	char text[600];

	tr_begin(s, "connect");
	jw_kstr(s->w, "client", c->peer);
	jw_kstr(s->w, "local", c->local);
	mx_tr_end(s->srv->tr, s->w);
	if (mx_server_stopping(s->srv) || (cfg->implicit_tls && start_tls(s, 0) != 0))
		return -1;
	snprintf(text, sizeof text, "%s %s", cfg->hostname, cfg->banner);
	s->refused = reply(s, MX_STAGE_GREETING, 220, text) / 100 != 2;
	return 0;
}

/*
 * A lingering close. Bytes the client sent that were never read make the
 * kernel answer close() with a reset, and a reset can destroy the last
 * reply (a 421 for a timeout) before the client reads it: a client that
 * pipelines, or keeps writing, would see "connection reset" instead of
 * the reason. So: no more writes, read and drop what comes for at most
 * LINGER_MS (a client that hangs up ends it at once; so does the server
 * stopping, which shuts every connection down), then close. The wait
 * parks like any other: it holds no worker. A session ended by QUIT with
 * nothing unread closes at once: its client has nothing more to send.
 * 1: done, close now; 0: parked.
 */
#define LINGER_MS 200

static int
linger_step(struct mx_session *s)
{
	char junk[4096];

	if (!s->linger_until)
		return 1;
	for (;;) {
		ssize_t n = recv(s->c->fd, junk, sizeof junk, MSG_DONTWAIT);

		if (n > 0)
			continue;
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
			return 1;
		if (mx_clock_ms() >= s->linger_until)
			return 1;
		return mx_pool_park(s->c, s->linger_until) != 0;	/* stopping: close */
	}
}

/* The session is over: say so, then linger (and close). */
static void
session_close(struct mx_session *s)
{
	struct mx_conn *c = s->c;

	flush_out(s);
	if (c->tls.setup)
		mx_tls_conn_close(&c->tls);
	tr_begin(s, "close");
	jw_kstr(s->w, "reason", s->reason ? s->reason : "server stopped");
	jw_kint(s->w, "messages", (long long)s->messages);
	mx_tr_end(s->srv->tr, s->w);
	reset_transaction(s);
	free(s->msg);
	s->msg = NULL;
	s->msglen = s->msgcap = 0;
	(void)shutdown(c->fd, SHUT_WR);
	s->lingering = 1;
	/* After QUIT, with nothing unread, the client has said all it will
	 * say: no lingering (the next step closes at once). */
	s->linger_until = s->reason && strcmp(s->reason, "quit") == 0 &&
			  mx_reader_pending(s->rd) == 0 ? 0 : mx_clock_ms() + LINGER_MS;
}

/* Free the session and its connection (after the lingering close). */
static void
session_free(struct mx_session *s)
{
	struct mx_conn *c = s->c;

	free(s);
	c->sess = NULL;
	mx_server_conn_done(c);
}

void
mx_session_run(struct mx_conn *c, struct mx_worker_bufs *b)
{
	struct mx_session *s = c->sess;

	if (!s) {
		if (!(s = calloc(1, sizeof *s))) {
			mx_server_conn_done(c);
			return;
		}
		c->sess = s;
		s->c = c;
		s->srv = c->srv;
		s->cfg = &c->srv->cfg;
		s->sock.fd = c->fd;
		s->sock.wait_hook = mx_pool_waiting;
		s->sock.wait_arg = c->srv->pool;
		if (s->cfg->session_timeout_ms)
			s->sock.limit = mx_clock_ms() + s->cfg->session_timeout_ms;
		bind_worker(s, b);
		if (session_open(s) < 0)
			session_close(s);
	} else {
		bind_worker(s, b);
		s->woken = 1;
	}
	/* Once parked, the session may already run on another worker: this
	 * one must not touch it again. */
	if (!s->lingering) {
		if (!session_loop(s))
			return;
		session_close(s);
	}
	if (linger_step(s))
		session_free(s);
}
