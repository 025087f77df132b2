/*
 * server_reply.c: a fake server session's output and deadlines: the
 * transcript line, the unit of work and its deadline, buffered replies
 * and their flush, the reply table (cfg->rules[]: a replacement reply, a
 * delay, a disconnect) consulted before each default reply, timeouts
 * answered with 421, protocol errors (the 20th ends the session).
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

#define MAX_ERRORS 20

/* Start a transcript line; without a transcript the writer is left
 * failed, so the line's jw_ calls do nothing (mx_tr_end writes nothing). */
void
mx_ss_tr_begin(struct mx_session *s, const char *event)
{
	if (!s->srv->tr) {
		jw_reset(s->w);
		s->w->failed = 1;
		return;
	}
	mx_tr_begin(s->w, s->c->id, event);
}

/* Start a unit of work: over within the timeout (and the session limit). */
void
mx_ss_unit_begin(struct mx_session *s)
{
	mx_sock_deadline_in(&s->sock, s->cfg->timeout_ms);
}

/* Did the last failure run out of time? Which bound (MX_SOCK_TO_*)? The
 * clock decides when the socket cannot tell (mbedTLS may write an alert
 * after a read gave up, which clears timed_out). */
enum mx_sock_timeout
mx_ss_timeout_kind(const struct mx_session *s)
{
	long long now = mx_clock_ms();

	if (s->sock.limit && now >= s->sock.limit)
		return MX_SOCK_TO_LIMIT;
	if (s->sock.timed_out)
		return s->sock.timed_out;
	return s->sock.deadline && now >= s->sock.deadline ? MX_SOCK_TO_DEADLINE
							 : MX_SOCK_TO_NONE;
}

const char *
mx_ss_timeout_reason(enum mx_sock_timeout k)
{
	return k == MX_SOCK_TO_LIMIT ? "session-timeout" : "timeout";
}

static int
sess_send(struct mx_session *s, const void *buf, size_t len)
{
	mx_ss_unit_begin(s);
	if (s->tls)
		return mx_tls_conn_send_all(&s->c->tls, buf, len);
	return mx_sock_send_all(&s->sock, buf, len);
}

/* A write failed: nothing more can be said to this client. */
static void
write_failed(struct mx_session *s)
{
	enum mx_sock_timeout k = mx_ss_timeout_kind(s);

	s->dead = s->broken = 1;
	if (!s->reason)
		s->reason = k ? mx_ss_timeout_reason(k) : "write failed";
}

void
mx_ss_flush(struct mx_session *s)
{
	if (s->outlen && !s->broken && sess_send(s, s->out, s->outlen) < 0)
		write_failed(s);
	s->outlen = 0;
}

/* Queue one reply (buffered), with its transcript event. */
void
mx_ss_send_reply(struct mx_session *s, int code, const char *text)
{
	char buf[4096];
	size_t n = mx_reply_format(buf, sizeof buf, code, text);

	if (n >= sizeof buf)
		n = sizeof buf - 1;
	mx_ss_tr_begin(s, "reply");
	jw_kint(s->w, "code", code);
	jw_kstr(s->w, "text", text);
	mx_tr_end(s->srv->tr, s->w);
	if (s->outlen + n > MX_OUT_CAP)
		mx_ss_flush(s);
	if (n > MX_OUT_CAP) {
		if (!s->broken && sess_send(s, buf, n) < 0)
			write_failed(s);
		return;
	}
	memcpy(s->out + s->outlen, buf, n);
	s->outlen += n;
	if (code == 421) {
		mx_ss_flush(s);
		s->dead = 1;
		if (!s->reason)
			s->reason = "421 sent";
	}
}

/* A read or a scripted delay ran out of time (kind k): say so with 421,
 * given one more timeout to get it out even past the session limit, and
 * end the session. */
void
mx_ss_time_out(struct mx_session *s, enum mx_sock_timeout k)
{
	char text[320];

	snprintf(text, sizeof text, "4.4.2 %s Error: %stimeout exceeded", s->cfg->hostname,
		 k == MX_SOCK_TO_LIMIT ? "session " : "");
	s->reason = mx_ss_timeout_reason(k);
	s->sock.limit = 0;
	mx_ss_send_reply(s, 421, text);
	s->dead = 1;
}

/* Sleep in short steps so that a server stop is not held up; never past
 * the session limit. */
void
mx_ss_delay(struct mx_session *s, unsigned ms)
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

void
mx_ss_event_note(struct mx_session *s, const char *event, const char *key, const char *val)
{
	mx_ss_tr_begin(s, event);
	if (key)
		jw_kstr(s->w, key, val);
	mx_tr_end(s->srv->tr, s->w);
}

/*
 * Reply at a stage: the table row may delay, disconnect, or replace the
 * default reply. Returns the code actually sent (0 after a disconnect).
 */
int
mx_ss_reply(struct mx_session *s, enum mx_stage st, int code, const char *text)
{
	const struct mx_reply_rule *r = &s->cfg->rules[st];

	if (r->delay_ms) {
		mx_ss_flush(s);
		mx_ss_delay(s, r->delay_ms);
		if (!s->dead && s->sock.limit && mx_clock_ms() >= s->sock.limit) {
			mx_ss_time_out(s, MX_SOCK_TO_LIMIT);
			return 0;
		}
	}
	if (r->disconnect) {
		mx_ss_flush(s);
		mx_ss_event_note(s, "disconnect", "stage", mx_stage_name(st));
		s->dead = s->broken = 1;
		s->reason = "scripted disconnect";
		return 0;
	}
	if (r->code) {
		code = r->code;
		text = r->text;
	}
	mx_ss_send_reply(s, code, text);
	return code;
}

void
mx_ss_reset(struct mx_session *s)
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

void
mx_ss_protocol_error(struct mx_session *s, int code, const char *text)
{
	mx_ss_send_reply(s, code, text);
	if (++s->errors >= MAX_ERRORS && !s->dead) {
		char t[300];

		snprintf(t, sizeof t, "4.7.0 %s Error: too many errors", s->cfg->hostname);
		s->reason = "too many errors";
		mx_ss_send_reply(s, 421, t);
	}
}
