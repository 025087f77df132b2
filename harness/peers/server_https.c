/*
 * server_https.c: the fake server's HTTPS mode (`mode = https`), the
 * policy host of MTA-STS (RFC 8461): after the TLS handshake (the same
 * certificates, SNI and faults as SMTP's implicit TLS), one HTTP/1.x
 * request a connection. GET (or HEAD) of /.well-known/mta-sts.txt gets
 * 200 and the policy (text/plain), any other path 404, any other method
 * 405; always "Connection: close". The transcript gets an "http-request"
 * event (method, path, host, status) for every request, and the server
 * counts it (mxlab_server_http_requests).
 *
 * Offers: mx_https_set_mode, mx_https_set_policy (the keys `mode` and
 * `policy`), mx_https_session (the whole exchange, on the session's
 * worker; it blocks that worker only, within the server's timeout).
 * Errors: a setter returns -1 with "KEY: what is wrong" in err; a session
 * that cannot read a request ends with its reason in the transcript.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server_int.h"
#include "transcript.h"

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)

int
mx_https_set_mode(struct mxlab_server_config *c, const char *k, const char *v, char *err,
		  size_t errlen)
{
	if (!strcmp(v, "smtp"))
		c->https = 0;
	else if (!strcmp(v, "https"))
		c->https = c->implicit_tls = 1;
	else
		return BAD("%s: bad value '%s' (smtp or https)", k, v);
	return 0;
}

/* One line of the policy: appended with CRLF (RFC 8461 3.2). */
int
mx_https_set_policy(struct mxlab_server_config *c, const char *k, const char *v, char *err,
		    size_t errlen)
{
	size_t n = strlen(v);
	char *p;

	if (strpbrk(v, "\r\n"))
		return BAD("%s: one line a key", k);
	if (c->policy_len + n + 2 > MX_HTTPS_POLICY_MAX)
		return BAD("%s: policy longer than %d bytes", k, MX_HTTPS_POLICY_MAX);
	if (!(p = realloc(c->policy, c->policy_len + n + 3)))
		return BAD("%s: out of memory", k);
	memcpy(p + c->policy_len, v, n);
	memcpy(p + c->policy_len + n, "\r\n", 3);
	c->policy = p;
	c->policy_len += n + 2;
	return 0;
}

/* Read one line into buf (CRLF or LF stripped): its length, or -1. */
static long
read_line(struct mx_session *s, char *buf, size_t cap)
{
	size_t n = 0;
	enum mx_read_status st = mx_reader_line(s->rd, (unsigned char *)buf, cap - 1, &n);

	if (st != MX_READ_LINE) {
		enum mx_sock_timeout k = mx_ss_timeout_kind(s);

		s->reason = st == MX_READ_PARTIAL ? "http line too long" :
			    k ? mx_ss_timeout_reason(k) : st == MX_READ_EOF ? "client closed" :
			    "read error";
		return -1;
	}
	while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return (long)n;
}

static void
respond(struct mx_session *s, int code, const char *reason, const char *body, size_t len,
	int head)
{
	int n = snprintf(s->out, MX_OUT_CAP, "HTTP/1.1 %d %s\r\nServer: mxlab\r\n"
			 "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
			 "Connection: close\r\n\r\n", code, reason, len);

	if (n < 0 || (size_t)n + len > MX_OUT_CAP) {
		s->reason = "http response too long";
		return;
	}
	if (!head)
		memcpy(s->out + n, body, len);
	s->outlen = (size_t)n + (head ? 0 : len);
	mx_ss_flush(s);
}

void
mx_https_session(struct mx_session *s)
{
	char line[1024], method[16] = "", path[512] = "", host[256] = "";
	const char *policy = s->cfg->policy ? s->cfg->policy : "";
	int code, head;

	mx_ss_unit_begin(s);		/* the whole request */
	if (read_line(s, line, sizeof line) < 0)
		return;
	if (sscanf(line, "%15s %511s HTTP/1.%*c", method, path) != 2) {
		s->reason = "bad http request line";
		mx_ss_event_note(s, "error", "text", "bad http request line");
		respond(s, 400, "Bad Request", "bad request\n", 12, 0);
		return;
	}
	for (;;) {
		long n = read_line(s, line, sizeof line);

		if (n < 0)
			return;
		if (n == 0)
			break;
		if (!strncasecmp(line, "Host:", 5)) {
			const char *v = line + 5;

			v += strspn(v, " \t");
			snprintf(host, sizeof host, "%s", v);
		}
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head)
		code = 405;
	else if (!strcmp(path, "/.well-known/mta-sts.txt"))
		code = 200;
	else
		code = 404;
	mx_ss_tr_begin(s, "http-request");
	jw_kstr(s->w, "method", method);
	jw_kstr(s->w, "path", path);
	jw_kstr(s->w, "host", host);
	jw_kint(s->w, "status", code);
	mx_tr_end(s->srv->tr, s->w);
	mx_server_note_http(s->srv);
	if (code == 200)
		respond(s, 200, "OK", policy, strlen(policy), head);
	else if (code == 404)
		respond(s, 404, "Not Found", "not found\n", 10, head);
	else
		respond(s, 405, "Method Not Allowed", "method not allowed\n", 19, 0);
	s->reason = "http done";
}
