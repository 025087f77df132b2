/*
 * client_session.c: one SMTP session of the fake client, stage by stage.
 *
 * connect → [implicit TLS] → greeting → EHLO → [STARTTLS → TLS → EHLO]
 * → [AUTH] → MAIL → RCPT... → DATA → message → QUIT, stopping after the
 * configured stage. Every reply is kept in res->reply[stage]; the first
 * failure sets res->failed_stage and res->error ("mail: 530 5.7.0 ...",
 * "greeting: timeout after 10000 ms"); then QUIT is sent when the
 * connection is still usable. All I/O is bounded by the timeout and by the
 * wire reader (smtp_wire.h: no line over 1000 bytes, no reply over 100
 * lines), so a hostile server costs at most one timeout per operation.
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

struct sess {
	const struct mxlab_client_config *cfg;
	struct mx_client_tls *tls;
	struct mxlab_client_result *res;
	struct mx_sock sock;
	struct mx_tls_conn conn;
	struct mx_reader rd;
	int in_tls;
	int usable;		/* the connection can still carry QUIT */
};

static int
fail(struct sess *s, enum mxlab_client_stage st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
fail(struct sess *s, enum mxlab_client_stage st, const char *fmt, ...)
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

/* Non-blocking connect bounded by the timeout; fd or -1 (err set). */
static int
connect_to(const char *host, unsigned port, unsigned timeout_ms, char *err, size_t errlen)
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
		if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0)
			break;
		e = errno;
		if (e == EINPROGRESS) {
			p.fd = fd;
			p.events = POLLOUT;
			do
				r = poll(&p, 1, (int)timeout_ms);
			while (r < 0 && errno == EINTR);
			if (r == 0)
				e = ETIMEDOUT;
			else if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &sl) == 0 && e == 0)
				break;
		}
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0) {
		if (e == ETIMEDOUT)
			snprintf(err, errlen, "timeout after %u ms", timeout_ms);
		else
			snprintf(err, errlen, "%s", strerror(e));
		return -1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	return fd;
}

static int
send_raw(struct sess *s, enum mxlab_client_stage st, const void *buf, size_t len)
{
	int r = s->in_tls ? mx_tls_conn_send_all(&s->conn, buf, len) :
			    mx_sock_send_all(&s->sock, buf, len);

	if (r == 0)
		return 0;
	s->usable = 0;
	if (s->sock.timed_out)
		return fail(s, st, "timeout after %u ms (sending)", s->sock.timeout_ms);
	if (s->in_tls) {
		char e[200];

		mx_tls_strerror(r, e, sizeof e);
		return fail(s, st, "send failed: %s", e);
	}
	return fail(s, st, "send failed: %s", strerror(errno));
}

static int
send_cmd(struct sess *s, enum mxlab_client_stage st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
send_cmd(struct sess *s, enum mxlab_client_stage st, const char *fmt, ...)
{
	char line[1100];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof line - 2, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof line - 2)
		return fail(s, st, "command too long");
	memcpy(line + n, "\r\n", 2);
	return send_raw(s, st, line, (size_t)n + 2);
}

/* Read a reply into res->reply[st]; -1 (failed) when none came. */
static int
read_reply(struct sess *s, enum mxlab_client_stage st)
{
	struct mxlab_client_reply *rp = &s->res->reply[st];
	const char *what = "";

	if (mx_reply_read(&s->rd, &rp->code, rp->text, sizeof rp->text, &what) == 0)
		return 0;
	rp->code = 0;
	s->usable = 0;
	if (s->sock.timed_out || (s->in_tls && s->conn.last_error == MBEDTLS_ERR_SSL_TIMEOUT))
		return fail(s, st, "timeout after %u ms", s->sock.timeout_ms);
	if (!strcmp(what, "EOF"))
		return fail(s, st, "connection closed by the server");
	if (!strcmp(what, "read error") && s->in_tls && s->conn.last_error) {
		char e[200];

		mx_tls_strerror(s->conn.last_error, e, sizeof e);
		return fail(s, st, "read error: %s", e);
	}
	return fail(s, st, "%s", what);
}

/* The reply of stage st is a refusal: failed with it. */
static int
refused(struct sess *s, enum mxlab_client_stage st)
{
	const struct mxlab_client_reply *rp = &s->res->reply[st];
	char flat[sizeof rp->text];

	snprintf(flat, sizeof flat, "%s", rp->text);
	for (char *p = flat; *p; p++)
		if (*p == '\n')
			*p = ' ';
	if (rp->code == 421)
		s->usable = 0;
	return fail(s, st, "%d %s", rp->code, flat);
}

/* A reply of the wanted class (2 for 2xx, 3 for 3xx), else failed. */
static int
expect(struct sess *s, enum mxlab_client_stage st, int cls)
{
	if (read_reply(s, st) < 0)
		return -1;
	return s->res->reply[st].code / 100 == cls ? 0 : refused(s, st);
}

/* Keep the EHLO keywords (the reply's lines after the first). */
static void
keep_caps(char *caps, size_t cap, const char *text)
{
	const char *nl = strchr(text, '\n');

	snprintf(caps, cap, "%s", nl ? nl + 1 : "");
}

static int
has_cap(const char *caps, const char *kw)
{
	size_t n = strlen(kw);

	for (const char *p = caps; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncasecmp(p, kw, n) && (p[n] == '\0' || p[n] == '\n' || p[n] == ' '))
			return 1;
	return 0;
}

static int
tls_start(struct sess *s)
{
	char err[300];
	int r;

	s->rd.pos = s->rd.len = 0;
	r = mx_client_tls_handshake(s->tls, s->cfg, &s->conn, &s->sock, s->res,
				    err, sizeof err);
	if (r != 0) {
		s->usable = 0;
		return fail(s, MXLAB_CS_TLS, "%s", err);
	}
	s->in_tls = 1;
	mx_reader_set_source(&s->rd, mx_tls_conn_recv, &s->conn);
	if (s->cfg->verify_required && !s->res->verified)
		return fail(s, MXLAB_CS_TLS, "certificate not verified: %s", s->res->verify_text);
	return 0;
}

static int
b64(char *out, size_t cap, const unsigned char *in, size_t n)
{
	size_t olen = 0;

	return mbedtls_base64_encode((unsigned char *)out, cap, &olen, in, n) == 0 ? 0 : -1;
}

static int
do_auth(struct sess *s)
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
			return fail(s, MXLAB_CS_AUTH, "credentials too long");
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
message(struct sess *s, size_t *len)
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
			fail(s, MXLAB_CS_DATA, "out of memory");
		return buf;
	}
	if (!(fp = fopen(c->data_file, "rb"))) {
		fail(s, MXLAB_CS_DATA, "data-file %s: %s", c->data_file, strerror(errno));
		return NULL;
	}
	buf = NULL;
	for (;;) {
		char *nb;

		if (n + 65536 > cap) {
			if (cap >= (size_t)256 << 20) {
				free(buf);
				fclose(fp);
				fail(s, MXLAB_CS_DATA, "data-file %s: over 256 MiB", c->data_file);
				return NULL;
			}
			if (!(nb = realloc(buf, cap = cap ? cap * 2 : 131072))) {
				free(buf);
				fclose(fp);
				fail(s, MXLAB_CS_DATA, "out of memory");
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
		fail(s, MXLAB_CS_DATA, "out of memory");
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
send_message(struct sess *s)
{
	size_t len = 0, start = 0;
	char *msg = message(s, &len);
	int r = 0;

	if (!msg)
		return -1;
	for (size_t i = 0; i <= len && r == 0; i++) {
		if (i < len && msg[i] != '\n')
			continue;
		if (i == len && start == len)
			break;
		if (msg[start] == '.')
			r = send_raw(s, MXLAB_CS_DOT, ".", 1);
		if (r == 0)
			r = send_raw(s, MXLAB_CS_DOT, msg + start, (i < len ? i + 1 : len) - start);
		start = i + 1;
	}
	free(msg);
	return r == 0 ? send_raw(s, MXLAB_CS_DOT, ".\r\n", 3) : -1;
}

static void
queue_id(struct mxlab_client_result *res)
{
	const char *q = strstr(res->reply[MXLAB_CS_DOT].text, "queued as ");
	size_t n;

	if (!q)
		return;
	q += strlen("queued as ");
	n = strcspn(q, " \n\r;,)");
	snprintf(res->queue_id, sizeof res->queue_id, "%.*s", (int)n, q);
}

/* The stages; 0 to go on to QUIT, -1 failed, 1 stop here (stop-after). */
static int
dialogue(struct sess *s)
{
	const struct mxlab_client_config *c = s->cfg;
	enum mxlab_client_stage stop = mx_client_stop_after(c);
	struct mxlab_client_result *res = s->res;
	enum mxlab_client_stage ehlo_st = MXLAB_CS_EHLO;

	if (c->tls == MX_CTLS_IMPLICIT && tls_start(s) < 0)
		return -1;
	if (expect(s, MXLAB_CS_GREETING, 2) < 0)
		return -1;
	if (stop == MXLAB_CS_GREETING)
		return 0;
	if (send_cmd(s, MXLAB_CS_EHLO, "EHLO %s", c->helo) < 0 || expect(s, MXLAB_CS_EHLO, 2) < 0)
		return -1;
	keep_caps(s->in_tls ? res->caps_after : res->caps_before,
		  sizeof res->caps_before, res->reply[MXLAB_CS_EHLO].text);
	if (stop == MXLAB_CS_EHLO)
		return 0;
	if (c->tls == MX_CTLS_STARTTLS || c->tls == MX_CTLS_STARTTLS_OPTIONAL) {
		if (!has_cap(res->caps_before, "STARTTLS")) {
			if (c->tls == MX_CTLS_STARTTLS)
				return fail(s, MXLAB_CS_STARTTLS, "STARTTLS not offered");
		} else {
			if (send_cmd(s, MXLAB_CS_STARTTLS, "STARTTLS") < 0 ||
			    read_reply(s, MXLAB_CS_STARTTLS) < 0)
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
			if (tls_start(s) < 0)
				return -1;
			if (stop == MXLAB_CS_TLS)
				return 0;
			ehlo_st = MXLAB_CS_EHLO_TLS;
			if (send_cmd(s, ehlo_st, "EHLO %s", c->helo) < 0 || expect(s, ehlo_st, 2) < 0)
				return -1;
			keep_caps(res->caps_after, sizeof res->caps_after, res->reply[ehlo_st].text);
		}
	}
plain:
	if (stop <= MXLAB_CS_EHLO_TLS)
		return 0;
	if (c->auth != MX_CAUTH_NONE && do_auth(s) < 0)
		return -1;
	if (stop == MXLAB_CS_AUTH)
		return 0;
	if (send_cmd(s, MXLAB_CS_MAIL, "MAIL FROM:<%s>", c->from) < 0 ||
	    expect(s, MXLAB_CS_MAIL, 2) < 0)
		return -1;
	if (stop == MXLAB_CS_MAIL)
		return 0;
	for (size_t i = 0; i < c->nto; i++)
		if (send_cmd(s, MXLAB_CS_RCPT, "RCPT TO:<%s>", c->to[i]) < 0 ||
		    expect(s, MXLAB_CS_RCPT, 2) < 0)
			return -1;
	if (stop == MXLAB_CS_RCPT)
		return 0;
	if (send_cmd(s, MXLAB_CS_DATA, "DATA") < 0 || expect(s, MXLAB_CS_DATA, 3) < 0)
		return -1;
	if (stop == MXLAB_CS_DATA) {
		s->usable = 0;	/* inside the message: QUIT would be text */
		return 1;
	}
	if (send_message(s) < 0 || expect(s, MXLAB_CS_DOT, 2) < 0)
		return -1;
	queue_id(res);
	return 0;
}

void
mx_client_session(const struct mxlab_client_config *c, struct mx_client_tls *t,
		  struct mxlab_client_result *res)
{
	struct sess *s = calloc(1, sizeof *s);
	char err[300];
	int fd, r;

	if (!s) {
		res->failed_stage = MXLAB_CS_CONNECT;
		snprintf(res->error, sizeof res->error, "connect: out of memory");
		return;
	}
	s->cfg = c;
	s->tls = t;
	s->res = res;
	res->failed_stage = MXLAB_CS_DONE;
	if ((fd = connect_to(c->host, c->port, c->timeout_ms, err, sizeof err)) < 0) {
		fail(s, MXLAB_CS_CONNECT, "%s", err);
		free(s);
		return;
	}
	s->sock.fd = fd;
	s->sock.timeout_ms = c->timeout_ms;
	s->usable = 1;
	mx_reader_init(&s->rd, mx_sock_recv, &s->sock);
	r = dialogue(s);
	if (s->usable && r <= 0) {
		/* QUIT; its failure is reported only when all else went well. */
		enum mxlab_client_stage st = res->failed_stage;
		char keep[sizeof res->error];

		memcpy(keep, res->error, sizeof keep);
		if (send_cmd(s, MXLAB_CS_QUIT, "QUIT") == 0)
			(void)read_reply(s, MXLAB_CS_QUIT);
		if (st != MXLAB_CS_DONE) {
			res->failed_stage = st;
			memcpy(res->error, keep, sizeof keep);
		}
	}
	mx_tls_conn_close(&s->conn);
	close(fd);
	free(s);
}
