/*
 * client_session.c: one SMTP session of the fake client, stage by stage.
 *
 * connect → [implicit TLS] → greeting → EHLO → [STARTTLS → TLS → EHLO]
 * → [AUTH] → MAIL → RCPT... → DATA → message → QUIT, stopping after the
 * configured stage. Every reply is kept in res->reply[stage]; the first
 * failure sets res->failed_stage and res->error ("mail: 530 5.7.0 ...",
 * "greeting: no complete reply within 10000 ms"); then QUIT is sent when
 * the connection is still usable, and its reply read unless quit-reply is
 * skip.
 *
 * Deadlines, not read timeouts: each stage starts a unit of work on the
 * socket (stage_begin: deadline = now + timeout), and every recv and send
 * under it, TLS included, waits only until that deadline, so the connect,
 * the handshake, each command with its whole (multi-line) reply, and each
 * RCPT are bounded as a whole however the server drips its bytes. The
 * message itself gets timeout per started MiB, then its final reply
 * timeout again. session-timeout, when set, is the socket's outer limit
 * for the whole session. The wire reader bounds sizes (smtp_wire.h: no
 * line over 1000 bytes, no reply over 100 lines).
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sys/socket.h>

#include <mbedtls/base64.h>

#include "client_int.h"
#include "message.h"
#include "script.h"

int
mx_cs_fail(struct mx_csess *s, enum mxlab_client_stage st, const char *fmt, ...)
{
	char msg[480];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	s->res->failed_stage = st;
	snprintf(s->res->error, sizeof s->res->error, "%s: %s",
		 mxlab_client_stage_name(st), msg);
	return -1;
}

/* Start a unit of work that must be over within ms. */
static void
unit_begin(struct mx_csess *s, long long ms, int sending_message)
{
	s->unit_ms = ms;
	s->sending_message = sending_message;
	s->sock.deadline = ms ? mx_clock_ms() + ms : 0;	/* 0: the limit alone */
	s->sock.timed_out = MX_SOCK_TO_NONE;
}

/* A stage's unit: the timeout. */
void
mx_cs_stage_begin(struct mx_csess *s)
{
	unit_begin(s, s->cfg->timeout_ms, 0);
}

/* The session's outer limit has passed. */
static int
limit_passed(const struct mx_csess *s)
{
	return s->sock.limit && mx_clock_ms() >= s->sock.limit;
}

/* A unit ran out of time: say which bound it was. */
static int
timed_out(struct mx_csess *s, enum mxlab_client_stage st, const char *unit_text)
{
	s->usable = 0;
	if (limit_passed(s))
		return mx_cs_fail(s, st, "session-timeout of %u ms reached", s->cfg->session_timeout_ms);
	return mx_cs_fail(s, st, "%s within %lld ms", unit_text, s->unit_ms);
}

/* Non-blocking connect, at most until the socket's deadline or limit;
 * fd or -1 (err set, *late when the time ran out). */
static int
connect_to(const char *host, unsigned port, const struct mx_sock *bound, int *late,
	   char *err, size_t errlen)
{
	struct addrinfo hints = { 0 }, *res = NULL, *ai;
	char ps[8];
	int fd = -1, r, e = 0;

	snprintf(ps, sizeof ps, "%u", port);
	hints.ai_socktype = SOCK_STREAM;
	if ((r = getaddrinfo(host, ps, &hints, &res)) != 0) {
		snprintf(err, errlen, "cannot resolve '%s': %s", host, gai_strerror(r));
		return -1;
	}
	for (ai = res; ai; ai = ai->ai_next) {
		struct pollfd p;
		socklen_t sl = sizeof e;

		if ((fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0) {
			e = errno;
			continue;
		}
		if (mx_net_nodelay(fd) < 0) {
			e = errno;
			close(fd);
			fd = -1;
			continue;
		}
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			for (;;) {
				long long left = mx_sock_left_ms(bound);

				if (left == 0) {
					r = 0;
					break;
				}
				r = poll(&p, 1, left < 0 || left > 60000 ? 60000 : (int)left);
				if (r > 0 || (r < 0 && errno != EINTR))
					break;
			}
			if (r == 0)
				e = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	*late = fd < 0 && e == ETIMEDOUT;
	if (fd < 0) {
		snprintf(err, errlen, "%s", strerror(e));
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

int
mx_cs_send(struct mx_csess *s, enum mxlab_client_stage st, const void *buf, size_t len)
{
	int r = s->in_tls ? mx_tls_conn_send_all(&s->conn, buf, len) :
			    mx_sock_send_all(&s->sock, buf, len);

	if (r == 0)
		return 0;
	s->usable = 0;
	if (s->sock.timed_out || r == MBEDTLS_ERR_SSL_TIMEOUT)
		return timed_out(s, st, s->sending_message ? "message not sent"
					: "command not sent");
	if (s->in_tls) {
		char e[200];

		mx_tls_strerror(r, e, sizeof e);
		return mx_cs_fail(s, st, "send failed: %s", e);
	}
	return mx_cs_fail(s, st, "send failed: %s", strerror(errno));
}

static int
send_cmd(struct mx_csess *s, enum mxlab_client_stage st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
send_cmd(struct mx_csess *s, enum mxlab_client_stage st, const char *fmt, ...)
{
	char line[1100];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line - 2)
		return mx_cs_fail(s, st, "command too long");
	memcpy(line + n, "\r\n", 2);
	return mx_cs_send(s, st, line, (size_t)n + 2);
}

/* Read a reply into res->reply[st]; -1 (failed) when none came. */
int
mx_cs_read_reply(struct mx_csess *s, enum mxlab_client_stage st)
{
	const char *what;

	if (mx_client_reply_read(&s->rd, &s->res->reply[st], &what) == 0)
		return 0;
	s->usable = 0;
	if (s->sock.timed_out || (s->in_tls && s->conn.last_error == MBEDTLS_ERR_SSL_TIMEOUT))
		return timed_out(s, st, "no complete reply");
	if (!strcmp(what, "EOF"))
		return mx_cs_fail(s, st, "connection closed by the server");
	if (!strcmp(what, "read error") && s->in_tls && s->conn.last_error) {
		char e[200];

		mx_tls_strerror(s->conn.last_error, e, sizeof e);
		return mx_cs_fail(s, st, "read error: %s", e);
	}
	return mx_cs_fail(s, st, "%s", what);
}

/* The reply of stage st is a refusal: failed with it. */
static int
refused(struct mx_csess *s, enum mxlab_client_stage st)
{
	const struct mxlab_client_reply *rp = &s->res->reply[st];
	char flat[sizeof rp->text];

	snprintf(flat, sizeof flat, "%s", rp->text);
	for (char *p = flat; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (rp->code == 421)
		s->usable = 0;
	return mx_cs_fail(s, st, "%d %s", rp->code, flat);
}

/* A reply of the wanted class (2 for 2xx, 3 for 3xx), else failed. */
static int
expect(struct mx_csess *s, enum mxlab_client_stage st, int cls)
{
	if (mx_cs_read_reply(s, st) < 0)
		return -1;
	return s->res->reply[st].code / 100 == cls ? 0 : refused(s, st);
}

/*
 * Plaintext the server sent after its reply to STARTTLS, before the
 * handshake: already in the reader, or already readable on the socket
 * (it came in the same packet). An attack (CVE-2011-0411 and kin) or a
 * broken server; either way never read as if it came over TLS. Noted in
 * res (starttls-injection) and failed at the TLS stage; 0 when none.
 */
static int
starttls_injection(struct mx_csess *s)
{
	struct mxlab_client_result *res = s->res;
	unsigned char peek[512];
	size_t have = s->rd.len - s->rd.pos;
	ssize_t n;

	memcpy(peek, s->rd.buf + s->rd.pos, have < sizeof peek ? have : sizeof peek);
	res->injected = have;
	n = recv(s->sock.fd, peek + (have < sizeof peek ? have : sizeof peek),
		 have < sizeof peek ? sizeof peek - have : 0, MSG_PEEK | MSG_DONTWAIT);
	if (n > 0)
		res->injected += (size_t)n;
	s->rd.pos = s->rd.len = 0;
	if (!res->injected)
		return 0;
	mx_bytes_escape(peek, res->injected < sizeof peek ? res->injected : sizeof peek,
			res->injection, sizeof res->injection);
	s->usable = 0;
	return mx_cs_fail(s, MXLAB_CS_TLS, "starttls-injection: %zu bytes after the reply to "
		    "STARTTLS, before the handshake: '%s'", res->injected, res->injection);
}

int
mx_cs_tls_start(struct mx_csess *s)
{
	char err[300];
	int r;

	if (s->cfg->tls != MX_CTLS_IMPLICIT && starttls_injection(s) < 0)
		return -1;
	s->rd.pos = s->rd.len = 0;
	mx_cs_stage_begin(s);		/* the whole handshake, as one unit */
	r = mx_client_tls_handshake(s->tls, s->cfg, &s->conn, &s->sock, s->res,
				    err, sizeof err);
	if (r != 0) {
		s->usable = 0;
		return mx_cs_fail(s, MXLAB_CS_TLS, "%s", err);
	}
	s->in_tls = 1;
	mx_reader_set_source(&s->rd, mx_tls_conn_recv, &s->conn);
	if (s->cfg->verify_required && !s->res->verified)
		return mx_cs_fail(s, MXLAB_CS_TLS, "certificate not verified: %s", s->res->verify_text);
	return 0;
}

static int
b64(char *out, size_t cap, const unsigned char *in, size_t n)
{
	size_t olen = 0;

	return mbedtls_base64_encode((unsigned char *)out, cap, &olen, in, n) == 0 ? 0 : -1;
}

static int
do_auth(struct mx_csess *s)
{
	const struct mxlab_client_config *c = s->cfg;
	char enc[1100];
	unsigned char raw[600];
	size_t ul = strlen(c->user), pl = strlen(c->password);

	if (c->auth == MX_CAUTH_PLAIN) {
		raw[0] = '\0';
		memcpy(raw + 1, c->user, ul);
		raw[1 + ul] = '\0';
		memcpy(raw + 2 + ul, c->password, pl);
		if (b64(enc, sizeof enc, raw, ul + pl + 2) < 0)
			return mx_cs_fail(s, MXLAB_CS_AUTH, "credentials too long");
		if (send_cmd(s, MXLAB_CS_AUTH, "AUTH PLAIN %s", enc) < 0)
			return -1;
		return expect(s, MXLAB_CS_AUTH, 2);
	}
	if (send_cmd(s, MXLAB_CS_AUTH, "AUTH LOGIN") < 0 || expect(s, MXLAB_CS_AUTH, 3) < 0)
		return -1;
	if (b64(enc, sizeof enc, (const unsigned char *)c->user, ul) < 0 ||
	    send_cmd(s, MXLAB_CS_AUTH, "%s", enc) < 0 || expect(s, MXLAB_CS_AUTH, 3) < 0)
		return -1;
	if (b64(enc, sizeof enc, (const unsigned char *)c->password, pl) < 0 ||
	    send_cmd(s, MXLAB_CS_AUTH, "%s", enc) < 0)
		return -1;
	return expect(s, MXLAB_CS_AUTH, 2);
}

/* The message: data-file, or built from subject/body; CRLF line ends. */
static char *
message(struct mx_csess *s, size_t *len)
{
	const struct mxlab_client_config *c = s->cfg;
	struct mx_message m = { 0 };
	char *buf, *out;
	size_t n = 0, cap = 0, o = 0;
	FILE *fp;

	if (!c->data_file[0]) {
		m.from = c->from;
		m.to = (const char *const *)c->to;
		m.nto = c->nto;
		m.subject = c->subject;
		m.body = c->body;
		if (!(buf = mx_message_build(&m, len)))
			mx_cs_fail(s, MXLAB_CS_DATA, "out of memory");
		return buf;
	}
	if (!(fp = fopen(c->data_file, "rb"))) {
		mx_cs_fail(s, MXLAB_CS_DATA, "data-file %s: %s", c->data_file, strerror(errno));
		return NULL;
	}
	buf = NULL;
	for (;;) {
		char *nb;

		if (n + 65536 > cap) {
			if (cap >= (size_t)256 << 20) {
				free(buf);
				fclose(fp);
				mx_cs_fail(s, MXLAB_CS_DATA, "data-file %s: over 256 MiB", c->data_file);
				return NULL;
			}
			if (!(nb = realloc(buf, cap = cap ? cap * 2 : 131072))) {
				free(buf);
				fclose(fp);
				mx_cs_fail(s, MXLAB_CS_DATA, "out of memory");
				return NULL;
			}
			buf = nb;
		}
		size_t r = fread(buf + n, 1, cap - n, fp);

		n += r;
		if (r == 0)
			break;
	}
	fclose(fp);
	/* Bare LF become CRLF; a missing final line end is added. */
	if (!(out = malloc(2 * n + 3))) {
		free(buf);
		mx_cs_fail(s, MXLAB_CS_DATA, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		if (buf[i] == '\n' && (i == 0 || buf[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = buf[i];
	}
	if (o && out[o - 1] != '\n') {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	free(buf);
	*len = o;
	return out;
}

/* Send the message dot-stuffed, then ".\r\n". */
static int
send_message(struct mx_csess *s)
{
	size_t len = 0, start = 0;
	char *msg = message(s, &len);
	int r = 0;

	if (!msg)
		return -1;
	/* The transfer: the timeout per started MiB (a server may read
	 * slowly, not forever); the final reply gets its own stage. */
	unit_begin(s, (long long)s->cfg->timeout_ms *
		   (long long)(len ? (len + (1u << 20) - 1) >> 20 : 1), 1);
	for (size_t i = 0; i <= len && r == 0; i++) {
		if (i < len && msg[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if (msg[start] == '.')
			r = mx_cs_send(s, MXLAB_CS_DOT, ".", 1);
		if (r == 0)
			r = mx_cs_send(s, MXLAB_CS_DOT, msg + start, (i < len ? i + 1 : len) - start);
		start = i + 1;
	}
	free(msg);
	if (r == 0)
		r = mx_cs_send(s, MXLAB_CS_DOT, ".\r\n", 3);
	s->sending_message = 0;
	return r;
}

/* The stages; 0 to go on to QUIT, -1 failed, 1 stop here (stop-after). */
static int
dialogue(struct mx_csess *s)
{
	const struct mxlab_client_config *c = s->cfg;
	enum mxlab_client_stage stop = mx_client_stop_after(c);
	struct mxlab_client_result *res = s->res;
	enum mxlab_client_stage ehlo_st = MXLAB_CS_EHLO;

	if (c->tls == MX_CTLS_IMPLICIT && mx_cs_tls_start(s) < 0)
		return -1;
	mx_cs_stage_begin(s);
	if (expect(s, MXLAB_CS_GREETING, 2) < 0)
		return -1;
	if (stop == MXLAB_CS_GREETING)
		return 0;
	mx_cs_stage_begin(s);
	if (send_cmd(s, MXLAB_CS_EHLO, "EHLO %s", c->helo) < 0 || expect(s, MXLAB_CS_EHLO, 2) < 0)
		return -1;
	mx_client_caps_keep(s->in_tls ? res->caps_after : res->caps_before,
			    sizeof res->caps_before, res->reply[MXLAB_CS_EHLO].text);
	if (stop == MXLAB_CS_EHLO)
		return 0;
	if (c->tls == MX_CTLS_STARTTLS || c->tls == MX_CTLS_STARTTLS_OPTIONAL) {
		if (!mx_client_caps_has(res->caps_before, "STARTTLS")) {
			if (c->tls == MX_CTLS_STARTTLS)
				return mx_cs_fail(s, MXLAB_CS_STARTTLS, "STARTTLS not offered");
		} else {
			mx_cs_stage_begin(s);
			if (send_cmd(s, MXLAB_CS_STARTTLS, "STARTTLS") < 0 ||
			    mx_cs_read_reply(s, MXLAB_CS_STARTTLS) < 0)
				return -1;
			if (res->reply[MXLAB_CS_STARTTLS].code / 100 != 2 &&
			    (c->tls == MX_CTLS_STARTTLS || res->reply[MXLAB_CS_STARTTLS].code == 421))
				return refused(s, MXLAB_CS_STARTTLS);
			if (res->reply[MXLAB_CS_STARTTLS].code / 100 != 2)
				goto plain;	/* optional: go on in plaintext, as Postfix "may" */
			if (stop == MXLAB_CS_STARTTLS) {
				s->usable = 0;	/* the server now waits for a ClientHello */
				return 1;
			}
			if (mx_cs_tls_start(s) < 0)
				return -1;
			if (stop == MXLAB_CS_TLS)
				return 0;
			ehlo_st = MXLAB_CS_EHLO_TLS;
			mx_cs_stage_begin(s);
			if (send_cmd(s, ehlo_st, "EHLO %s", c->helo) < 0 || expect(s, ehlo_st, 2) < 0)
				return -1;
			mx_client_caps_keep(res->caps_after, sizeof res->caps_after,
					    res->reply[ehlo_st].text);
		}
	}
plain:
	if (stop <= MXLAB_CS_EHLO_TLS)
		return 0;
	mx_cs_stage_begin(s);		/* AUTH LOGIN: its round trips together */
	if (c->auth != MX_CAUTH_NONE && do_auth(s) < 0)
		return -1;
	if (stop == MXLAB_CS_AUTH)
		return 0;
	mx_cs_stage_begin(s);
	if (send_cmd(s, MXLAB_CS_MAIL, "MAIL FROM:<%s>", c->from) < 0 ||
	    expect(s, MXLAB_CS_MAIL, 2) < 0)
		return -1;
	if (stop == MXLAB_CS_MAIL)
		return 0;
	for (size_t i = 0; i < c->nto; i++) {
		mx_cs_stage_begin(s);		/* each recipient */
		if (send_cmd(s, MXLAB_CS_RCPT, "RCPT TO:<%s>", c->to[i]) < 0 ||
		    expect(s, MXLAB_CS_RCPT, 2) < 0)
			return -1;
	}
	if (stop == MXLAB_CS_RCPT)
		return 0;
	mx_cs_stage_begin(s);
	if (send_cmd(s, MXLAB_CS_DATA, "DATA") < 0 || expect(s, MXLAB_CS_DATA, 3) < 0)
		return -1;
	if (stop == MXLAB_CS_DATA) {
		s->usable = 0;	/* inside the message: QUIT would be text */
		return 1;
	}
	if (send_message(s) < 0)
		return -1;
	mx_cs_stage_begin(s);		/* the reply to the final dot */
	if (expect(s, MXLAB_CS_DOT, 2) < 0)
		return -1;
	mx_client_queue_id(res->queue_id, sizeof res->queue_id, res->reply[MXLAB_CS_DOT].text);
	return 0;
}

void
mx_client_session(const struct mxlab_client_config *c, struct mx_client_tls *t,
		  struct mxlab_client_result *res)
{
	struct mx_csess *s = calloc(1, sizeof *s);
	char err[300];
	int fd, r, late = 0;

	if (!s) {
		res->failed_stage = MXLAB_CS_CONNECT;
		snprintf(res->error, sizeof res->error, "connect: out of memory");
		return;
	}
	s->cfg = c;
	s->tls = t;
	s->res = res;
	res->failed_stage = MXLAB_CS_DONE;
	s->sock.fd = -1;
	s->sock.limit = c->session_timeout_ms ? mx_clock_ms() + c->session_timeout_ms : 0;
	mx_cs_stage_begin(s);
	if ((fd = connect_to(c->host, c->port, &s->sock, &late, err, sizeof err)) < 0) {
		if (late)
			timed_out(s, MXLAB_CS_CONNECT, "not connected");
		else
			mx_cs_fail(s, MXLAB_CS_CONNECT, "%s", err);
		free(s);
		return;
	}
	s->sock.fd = fd;
	s->usable = 1;
	mx_reader_init(&s->rd, mx_sock_recv, &s->sock);
	r = c->script.text ? mx_client_script(s) : dialogue(s);
	if (s->usable && r <= 0) {
		/* QUIT; its failure is reported only when all else went well. */
		enum mxlab_client_stage st = res->failed_stage;
		char keep[sizeof res->error];

		memcpy(keep, res->error, sizeof keep);
		mx_cs_stage_begin(s);
		if (send_cmd(s, MXLAB_CS_QUIT, "QUIT") == 0 && !c->quit_skip_reply)
			(void)mx_cs_read_reply(s, MXLAB_CS_QUIT);
		if (st != MXLAB_CS_DONE) {
			res->failed_stage = st;
			memcpy(res->error, keep, sizeof keep);
		}
	}
	mx_tls_conn_close(&s->conn);
	close(fd);
	free(s);
}
