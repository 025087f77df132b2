/*
 * server_session.c: the SMTP protocol of one fake server session: the
 * commands, STARTTLS and the handshake, message data and the mailbox.
 * server_run.c runs a session on a worker (and parks it between lines);
 * server_reply.c writes its replies.
 *
 * The session reads commands with the bounded reader of smtp_wire.c and
 * answers through mx_ss_reply(), which consults the reply table row of
 * the stage
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
#define PATH_CAP MX_SS_PATH_CAP

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
	info.discarded = discarded;
	if (ok) {
		snprintf(info.version, sizeof info.version, "%s",
			 mbedtls_ssl_get_version(&c->tls.ssl));
		snprintf(info.cipher, sizeof info.cipher, "%s",
			 mbedtls_ssl_get_ciphersuite(&c->tls.ssl));
	} else if (mx_ss_timeout_kind(s))
		snprintf(info.error, sizeof info.error, "%s", mx_ss_timeout_reason(mx_ss_timeout_kind(s)));
	else if (code)
		mx_tls_strerror(code, info.error, sizeof info.error);
	else
		snprintf(info.error, sizeof info.error, "no handshake");
	mx_server_note_tls(s->srv, &info);

	mx_ss_tr_begin(s, "tls");
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

	mx_ss_unit_begin(s);
	(void)mx_sock_recv(&s->sock, hello, sizeof hello);
	(void)mx_sock_send_all(&s->sock, junk, sizeof junk - 1);
	shutdown(s->c->fd, SHUT_WR);
	mx_ss_event_note(s, "tls-fault", "fault", "garbage");
	s->dead = s->broken = 1;
	s->reason = "tls-fault garbage";
}

/* Start TLS on the connection (after 220 or at connect). 0 or -1. */
int
mx_ss_start_tls(struct mx_session *s, size_t discarded)
{
	char e[300];
	int r;

	if (s->cfg->tls_fault == MX_TLS_FAULT_CLOSE_AFTER_READY) {
		mx_ss_event_note(s, "tls-fault", "fault", "close-after-ready");
		s->dead = s->broken = 1;
		s->reason = "tls-fault close-after-ready";
		return -1;
	}
	if (s->cfg->tls_fault == MX_TLS_FAULT_GARBAGE) {
		send_garbage(s);
		return -1;
	}
	if (mx_tls_conn_setup(&s->c->tls, &s->srv->tls.conf, &s->sock, e, sizeof e) != MXLAB_OK) {
		mx_ss_event_note(s, "error", "text", e);
		s->dead = s->broken = 1;
		s->reason = "TLS setup failed";
		return -1;
	}
	mx_ss_unit_begin(s);		/* the whole handshake */
	r = mx_tls_conn_handshake(&s->c->tls);
	tls_event(s, r == 0, r, discarded);
	if (r != 0) {
		enum mx_sock_timeout k = mx_ss_timeout_kind(s);

		mx_server_count(s->srv, &s->srv->stats.tls_failed);
		s->dead = s->broken = 1;
		s->reason = k ? mx_ss_timeout_reason(k) : "TLS handshake failed";
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
		mx_ss_protocol_error(s, 501, ehlo ? "5.5.4 Syntax: EHLO hostname" : "5.5.4 Syntax: HELO hostname");
		return;
	}
	mx_ss_reset(s);
	if (ehlo) {
		snprintf(text, sizeof text, "%s%s\nSIZE %zu\n8BITMIME\nENHANCEDSTATUSCODES%s",
			 cfg->hostname, cfg->pipelining ? "\nPIPELINING" : "", cfg->size,
			 !s->tls && (cfg->starttls == MX_STARTTLS_OFFER ||
				     cfg->starttls == MX_STARTTLS_REFUSE) ? "\nSTARTTLS" : "");
		code = mx_ss_reply(s, MX_STAGE_EHLO, 250, text);
	} else
		code = mx_ss_reply(s, MX_STAGE_HELO, 250, cfg->hostname);
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
		mx_ss_protocol_error(s, 554, "5.5.1 Error: TLS already active");
		return;
	}
	if (s->cfg->starttls == MX_STARTTLS_HIDE || !s->srv->tls_ready) {
		mx_ss_protocol_error(s, 502, "5.5.1 Error: command not implemented");
		return;
	}
	if (cmd->arg_len) {
		mx_ss_protocol_error(s, 501, "5.5.4 Syntax: STARTTLS");
		return;
	}
	if (s->cfg->starttls == MX_STARTTLS_REFUSE) {
		mx_ss_reply(s, MX_STAGE_STARTTLS, 454, "4.7.0 TLS not available due to local problem");
		return;
	}
	if (mx_ss_reply(s, MX_STAGE_STARTTLS, 220, "2.0.0 Ready to start TLS") != 220)
		return;
	mx_ss_flush(s);
	if (s->dead)
		return;
	discarded = mx_reader_discard(s->rd);
	if (mx_ss_start_tls(s, discarded) == 0) {
		s->have_helo = 0;
		mx_ss_reset(s);
	}
}

static void
do_mail(struct mx_session *s, const struct mx_command *cmd)
{
	char path[PATH_CAP];
	const char *params, *p;
	size_t plen;

	if (!s->have_helo) {
		mx_ss_protocol_error(s, 503, "5.5.1 Error: send HELO/EHLO first");
		return;
	}
	if (s->have_from) {
		mx_ss_protocol_error(s, 503, "5.5.1 Error: nested MAIL command");
		return;
	}
	if (mx_path_parse(cmd->arg, cmd->arg_len, "FROM:", path, sizeof path, &params, &plen) < 0) {
		mx_ss_protocol_error(s, 501, "5.5.4 Syntax: MAIL FROM:<address>");
		return;
	}
	for (p = params; p < params + plen; p++) {
		if ((p == params || p[-1] == ' ') && (size_t)(params + plen - p) > 5 &&
		    strncasecmp(p, "SIZE=", 5) == 0 &&
		    strtoull(p + 5, NULL, 10) > (unsigned long long)s->cfg->size) {
			mx_ss_send_reply(s, 552, "5.3.4 Message size exceeds fixed limit");
			return;
		}
	}
	if (mx_ss_reply(s, MX_STAGE_MAIL, 250, "2.1.0 Ok") / 100 == 2) {
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
		mx_ss_protocol_error(s, 503, "5.5.1 Error: need MAIL command");
		return;
	}
	if (mx_path_parse(cmd->arg, cmd->arg_len, "TO:", path, sizeof path, &params, &plen) < 0 ||
	    path[0] == '\0') {
		mx_ss_protocol_error(s, 501, "5.5.4 Syntax: RCPT TO:<address>");
		return;
	}
	if (s->nrcpt >= MAX_RCPT) {
		mx_ss_send_reply(s, 452, "4.5.3 Error: too many recipients");
		return;
	}
	if (mx_ss_reply(s, MX_STAGE_RCPT, 250, "2.1.5 Ok") / 100 != 2)
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
	mx_ss_tr_begin(s, "message");
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
		mx_ss_reply(s, MX_STAGE_DOT, 250, "2.0.0 Ok");
		return;
	}
	if (s->srv->mb &&
	    mx_mailbox_store(s->srv->mb, &env, s->msg, s->msglen, name, sizeof name,
			     e, sizeof e) != MXLAB_OK) {
		mx_ss_event_note(s, "error", "text", e);
		mx_ss_send_reply(s, 451, "4.3.0 Error: queue file write error");
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
	mx_ss_reply(s, MX_STAGE_DOT, 250, text);
}

static void
do_data(struct mx_session *s, const struct mx_command *cmd)
{
	if (cmd->arg_len) {
		mx_ss_protocol_error(s, 501, "5.5.4 Syntax: DATA");
		return;
	}
	if (!s->have_from || s->nrcpt == 0) {
		mx_ss_protocol_error(s, 503, s->have_from ? "5.5.1 Error: need RCPT command"
				       : "5.5.1 Error: need MAIL command");
		return;
	}
	if (mx_ss_reply(s, MX_STAGE_DATA, 354, "End data with <CR><LF>.<CR><LF>") != 354)
		return;
	mx_ss_flush(s);
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
void
mx_ss_data_line(struct mx_session *s, enum mx_read_status st, const unsigned char *piece, size_t n)
{
	size_t skip = 0;

	if (st == MX_READ_EOF || st == MX_READ_ERROR) {
		enum mx_sock_timeout k = st == MX_READ_ERROR ? mx_ss_timeout_kind(s) : MX_SOCK_TO_NONE;

		(void)keep(s, piece, n, &s->data_toobig);
		message_event(s, "aborted", NULL);
		s->dead = 1;
		if (k)
			mx_ss_time_out(s, k);
		else
			s->reason = st == MX_READ_EOF ? "client closed during DATA"
				    : "read error during DATA";
		s->in_data = 0;
		mx_ss_reset(s);
		return;
	}
	if (mx_data_line(piece, n, s->data_at_start, &skip) == MX_DATA_END) {
		if (s->data_toobig) {
			message_event(s, "too-big", NULL);
			mx_ss_send_reply(s, 552, "5.3.4 Message size exceeds fixed limit");
		} else
			store_and_answer(s);
		s->in_data = 0;
		mx_ss_reset(s);
		return;
	}
	if (keep(s, piece + skip, n - skip, &s->data_toobig) < 0) {
		s->dead = 1;
		s->reason = "out of memory";
		s->in_data = 0;
		mx_ss_reset(s);
		return;
	}
	s->data_at_start = (st == MX_READ_LINE);
}

void
mx_ss_command(struct mx_session *s, const unsigned char *line, size_t n)
{
	struct mx_command cmd;
	size_t shown = n;

	while (shown > 0 && (line[shown - 1] == '\n' || line[shown - 1] == '\r'))
		shown--;
	mx_ss_tr_begin(s, "command");
	jw_kstrn(s->w, "line", (const char *)line, shown);
	mx_tr_end(s->srv->tr, s->w);

	if (mx_command_parse((const char *)line, n, &cmd) < 0) {
		mx_ss_protocol_error(s, 500, "5.5.2 Error: bad syntax");
		return;
	}
	if (s->refused && cmd.verb != MX_VERB_QUIT) {
		mx_ss_protocol_error(s, 503, "5.5.1 Error: service refused, only QUIT is accepted");
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
		mx_ss_reset(s);
		mx_ss_reply(s, MX_STAGE_RSET, 250, "2.0.0 Ok");
		break;
	case MX_VERB_NOOP: mx_ss_reply(s, MX_STAGE_NOOP, 250, "2.0.0 Ok"); break;
	case MX_VERB_QUIT:
		mx_ss_reply(s, MX_STAGE_QUIT, 221, "2.0.0 Bye");
		s->dead = 1;
		if (!s->reason)
			s->reason = "quit";
		break;
	case MX_VERB_VRFY: mx_ss_send_reply(s, 252, "2.0.0 Cannot VRFY user"); break;
	case MX_VERB_HELP: mx_ss_send_reply(s, 214, "2.0.0 mxlab fake SMTP server"); break;
	case MX_VERB_AUTH:
		mx_ss_protocol_error(s, 502, "5.5.1 Error: authentication not enabled");
		break;
	default:
		mx_ss_protocol_error(s, 502, "5.5.2 Error: command not recognized");
	}
}

/* Read what is left of an overlong command line. 0, or -1 at EOF/error. */
int
mx_ss_skip_rest(struct mx_session *s, unsigned char *buf, size_t cap)
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
