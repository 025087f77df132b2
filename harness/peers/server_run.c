/*
 * server_run.c: a fake server session on a worker of the pool
 * (server_pool.c): started (greeting, or the handshake first with implicit
 * TLS), run until it ends or waits, parked whenever it needs the client's
 * next line with nothing buffered (in the reader or inside TLS) and its
 * replies flushed, resumed by whichever worker takes its event, ended with
 * a lingering close. The buffers are the worker's (struct
 * mx_worker_bufs), empty whenever a session parks.
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
				mx_ss_flush(s);
			if (s->dead)
				break;
			mx_ss_unit_begin(s);	/* one command line, however it trickles */
			s->waiting = 1;
		}
		if (!await_command(s))
			return 0;
		if (s->in_data) {
			st = mx_reader_line(s->rd, s->b->piece, MX_DATA_PIECE, &n);
			s->waiting = 0;
			mx_ss_data_line(s, st, s->b->piece, n);
			continue;
		}
		st = mx_reader_line(s->rd, line, cfg->max_line, &n);
		s->waiting = 0;
		if (st == MX_READ_LINE) {
			mx_ss_command(s, line, n);
			continue;
		}
		if (st == MX_READ_PARTIAL) {
			mx_ss_tr_begin(s, "command");
			jw_kstrn(s->w, "line", (const char *)line, n > 80 ? 80 : n);
			jw_kbool(s->w, "too_long", 1);
			mx_tr_end(s->srv->tr, s->w);
			if (mx_ss_skip_rest(s, line, cfg->max_line) < 0) {
				if (mx_ss_timeout_kind(s))
					mx_ss_time_out(s, mx_ss_timeout_kind(s));
				else
					s->reason = "client closed";
				break;
			}
			mx_ss_protocol_error(s, 500, "5.5.0 Error: line too long");
			continue;
		}
		if (n > 0) {
			mx_ss_tr_begin(s, "command");
			jw_kstrn(s->w, "line", (const char *)line, n);
			jw_kbool(s->w, "unterminated", 1);
			mx_tr_end(s->srv->tr, s->w);
		}
		if (st == MX_READ_ERROR && mx_ss_timeout_kind(s))
			mx_ss_time_out(s, mx_ss_timeout_kind(s));
		else
			s->reason = st == MX_READ_EOF ? "client closed" : "read error";
		break;
	}
	mx_ss_flush(s);
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

	mx_ss_tr_begin(s, "connect");
	jw_kstr(s->w, "client", c->peer);
	jw_kstr(s->w, "local", c->local);
	mx_tr_end(s->srv->tr, s->w);
	if (mx_server_stopping(s->srv) || (cfg->implicit_tls && mx_ss_start_tls(s, 0) != 0))
		return -1;
	if (cfg->https) {	/* one HTTP request, then it is over */
		mx_https_session(s);
		return -1;
	}
	snprintf(text, sizeof text, "%s %s", cfg->hostname, cfg->banner);
	s->refused = mx_ss_reply(s, MX_STAGE_GREETING, 220, text) / 100 != 2;
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

	mx_ss_flush(s);
	if (c->tls.setup)
		mx_tls_conn_close(&c->tls);
	mx_ss_tr_begin(s, "close");
	jw_kstr(s->w, "reason", s->reason ? s->reason : "server stopped");
	jw_kint(s->w, "messages", (long long)s->messages);
	mx_tr_end(s->srv->tr, s->w);
	mx_ss_reset(s);
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
		if (s->cfg->script.text) {
			mx_ss_script(s);	/* the whole session, on this worker */
			session_close(s);
		} else if (session_open(s) < 0)
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
