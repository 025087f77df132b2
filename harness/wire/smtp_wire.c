/*
 * smtp_wire.c: SMTP wire code shared by mxlab's server and client.
 *
 * Offers (see smtp_wire.h and docs/wire.md):
 *   mx_reader_*      a bounded line reader over a recv callback. It keeps
 *                    one fixed buffer, refills it only when it is empty, and
 *                    hands out at most one line per call, so pipelined
 *                    commands stay buffered (mx_reader_pending) and can be
 *                    dropped (mx_reader_discard) after STARTTLS.
 *   mx_command_parse verb + argument of one command line.
 *   mx_path_parse    "FROM:<path> params" / "TO:<path> params".
 *   mx_data_line     end-of-data detection and dot-unstuffing.
 *   mx_reply_format  a (multi-line) reply, snprintf-style.
 *
 * Errors: the reader reports the source's failure as MX_READ_ERROR with
 * r->error set (the callback's negative value, or -1 when a callback
 * claims more bytes than it was offered); parsers return -1 on syntax
 * errors. Nothing here allocates, prints or exits.
 */
#include <string.h>
#include <stdio.h>

#include "smtp_wire.h"

/* Longest verb that can still be a known one; longer ones are UNKNOWN. */
#define MX_VERB_MAXLEN	32

void
mx_reader_init(struct mx_reader *r, mx_recv_fn recv, void *io)
{
	r->pos = 0;
	r->len = 0;
	r->recv = recv;
	r->io = io;
	r->eof = 0;
	r->error = 0;
}

void
mx_reader_set_source(struct mx_reader *r, mx_recv_fn recv, void *io)
{
	mx_reader_init(r, recv, io);
}

size_t
mx_reader_pending(const struct mx_reader *r)
{
	return r->len - r->pos;
}

size_t
mx_reader_discard(struct mx_reader *r)
{
	size_t n = r->len - r->pos;

	r->pos = 0;
	r->len = 0;
	return n;
}

enum mx_read_status
mx_reader_line(struct mx_reader *r, unsigned char *out, size_t cap,
	       size_t *n)
{
	size_t got = 0;
	int rc;

	*n = 0;
	for (;;) {
		if (r->pos < r->len && got < cap) {
			size_t avail = r->len - r->pos;
			size_t take = cap - got < avail ? cap - got : avail;
			const unsigned char *lf = memchr(r->buf + r->pos, '\n',
							 take);

			if (lf)
				take = (size_t)(lf - (r->buf + r->pos)) + 1;
			memcpy(out + got, r->buf + r->pos, take);
			r->pos += take;
			got += take;
			if (r->pos == r->len)
				r->pos = r->len = 0;
			if (lf) {
				*n = got;
				return MX_READ_LINE;
			}
		}
		if (got == cap) {
			*n = got;
			return MX_READ_PARTIAL;
		}
		/* The buffer is empty and the line goes on: refill. */
		if (r->error) {
			*n = got;
			return MX_READ_ERROR;
		}
		if (r->eof || r->recv == 0) {
			r->eof = 1;
			*n = got;
			return MX_READ_EOF;
		}
		rc = r->recv(r->io, r->buf, sizeof r->buf);
		if (rc == 0) {
			r->eof = 1;
			*n = got;
			return MX_READ_EOF;
		}
		if (rc < 0 || (size_t)rc > sizeof r->buf) {
			r->error = rc < 0 ? rc : -1;
			*n = got;
			return MX_READ_ERROR;
		}
		r->pos = 0;
		r->len = (size_t)rc;
	}
}

static const char *const verb_names[MX_VERB_COUNT] = {
	[MX_VERB_UNKNOWN] = "",
	[MX_VERB_HELO] = "HELO",
	[MX_VERB_EHLO] = "EHLO",
	[MX_VERB_MAIL] = "MAIL",
	[MX_VERB_RCPT] = "RCPT",
	[MX_VERB_DATA] = "DATA",
	[MX_VERB_RSET] = "RSET",
	[MX_VERB_NOOP] = "NOOP",
	[MX_VERB_QUIT] = "QUIT",
	[MX_VERB_VRFY] = "VRFY",
	[MX_VERB_STARTTLS] = "STARTTLS",
	[MX_VERB_AUTH] = "AUTH",
	[MX_VERB_HELP] = "HELP",
};

const char *
mx_verb_name(enum mx_verb v)
{
	if ((int)v < 0 || v >= MX_VERB_COUNT)
		return "";
	return verb_names[v];
}

static int
is_alnum(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9');
}

static unsigned char
to_upper(unsigned char c)
{
	return c >= 'a' && c <= 'z' ? (unsigned char)(c - 'a' + 'A') : c;
}

static int
case_equal(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (to_upper((unsigned char)a[i]) != to_upper((unsigned char)b[i]))
			return 0;
	return 1;
}

/* Length of s[0..len) without trailing CR, LF, space and tab. */
static size_t
trim_end(const char *s, size_t len)
{
	while (len > 0 && (s[len - 1] == '\r' || s[len - 1] == '\n' ||
			   s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	return len;
}

int
mx_command_parse(const char *line, size_t len, struct mx_command *cmd)
{
	size_t end, i = 0;

	cmd->verb = MX_VERB_UNKNOWN;
	cmd->verb_text = line;
	cmd->verb_len = 0;
	cmd->arg = line;
	cmd->arg_len = 0;
	if (len == 0 || memchr(line, '\0', len) != 0)
		return -1;
	end = trim_end(line, len);
	while (i < end && is_alnum((unsigned char)line[i]))
		i++;
	if (i == 0 || (i < end && line[i] != ' '))
		return -1;
	cmd->verb_len = i;
	if (i <= MX_VERB_MAXLEN) {
		for (int v = MX_VERB_UNKNOWN + 1; v < MX_VERB_COUNT; v++) {
			if (strlen(verb_names[v]) == i &&
			    case_equal(line, verb_names[v], i)) {
				cmd->verb = (enum mx_verb)v;
				break;
			}
		}
	}
	while (i < end && line[i] == ' ')
		i++;
	cmd->arg = line + i;
	cmd->arg_len = end - i;
	return 0;
}

int
mx_path_parse(const char *arg, size_t len, const char *prefix,
	      char *path, size_t pathcap, const char **params,
	      size_t *params_len)
{
	size_t plen = strlen(prefix), end, i, start, out = 0;
	int quoted = 0;

	if (params) {
		*params = arg + len;
		if (params_len)
			*params_len = 0;
	}
	if (pathcap == 0)
		return -1;
	path[0] = '\0';
	end = trim_end(arg, len);
	if (end < plen || !case_equal(arg, prefix, plen))
		return -1;
	i = plen;
	while (i < end && arg[i] == ' ')
		i++;
	if (i >= end || arg[i] != '<')
		return -1;
	start = ++i;
	/* '>' ends the path unless inside a quoted local part. */
	for (; i < end; i++) {
		unsigned char c = (unsigned char)arg[i];

		if (c < 0x20 || c == 0x7f)
			return -1;
		if (quoted) {
			if (c == '\\') {
				if (i + 1 >= end || (unsigned char)arg[i + 1] < 0x20 ||
				    arg[i + 1] == 0x7f)
					return -1;
				i++;
			} else if (c == '"')
				quoted = 0;
		} else if (c == '"')
			quoted = 1;
		else if (c == '>')
			break;
		else if (c == '<')
			return -1;
	}
	if (i >= end)
		return -1;		/* no closing '>' */
	out = i - start;
	if (out > pathcap - 1)
		return -1;
	i++;				/* past '>' */
	if (i < end && arg[i] != ' ')
		return -1;
	memcpy(path, arg + start, out);
	path[out] = '\0';
	while (i < end && arg[i] == ' ')
		i++;
	if (params) {
		*params = arg + i;
		if (params_len)
			*params_len = end - i;
	}
	return 0;
}

enum mx_data_kind
mx_data_line(const unsigned char *line, size_t n, int at_line_start,
	     size_t *skip)
{
	*skip = 0;
	if (!at_line_start || n == 0 || line[0] != '.')
		return MX_DATA_TEXT;
	if ((n == 3 && line[1] == '\r' && line[2] == '\n') ||
	    (n == 2 && line[1] == '\n'))
		return MX_DATA_END;
	*skip = 1;
	return MX_DATA_TEXT;
}

/* Append s[0..n) to buf as far as it fits, keeping room for the NUL. */
static void
put(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
	if (*pos < cap) {
		size_t room = cap - 1 - *pos;

		memcpy(buf + *pos, s, n < room ? n : room);
	}
	*pos += n;
}

size_t
mx_reply_format(char *buf, size_t cap, int code, const char *text)
{
	char cbuf[24];
	size_t pos = 0, clen, tlen;
	const char *p, *end;

	if (text == 0)
		text = "";
	tlen = strlen(text);
	p = text;
	end = text + tlen;
	clen = (size_t)snprintf(cbuf, sizeof cbuf, "%03d", code);
	/* One trailing newline does not make an empty last line. */
	if (tlen > 0 && end[-1] == '\n')
		end--;
	for (;;) {
		const char *nl = p < end ? memchr(p, '\n', (size_t)(end - p)) : 0;
		const char *le = nl ? nl : end;
		int last = nl == 0;

		if (le > p && le[-1] == '\r')
			le--;		/* "a\r\nb": no doubled CR */
		put(buf, cap, &pos, cbuf, clen);
		/* RFC 5321: code "-" [text] / code [SP text] */
		if (le > p || !last)
			put(buf, cap, &pos, last ? " " : "-", 1);
		put(buf, cap, &pos, p, (size_t)(le - p));
		put(buf, cap, &pos, "\r\n", 2);
		if (last)
			break;
		p = nl + 1;
	}
	if (cap > 0)
		buf[pos < cap ? pos : cap - 1] = '\0';
	return pos;
}

int
mx_reply_read(struct mx_reader *r, int *code, char *text, size_t cap,
	      const char **what)
{
	unsigned char line[1001];
	size_t used = 0;
	int first = -1;

	if (cap)
		text[0] = '\0';
	for (int lines = 0; lines < 100; lines++) {
		size_t n = 0, len;
		enum mx_read_status st = mx_reader_line(r, line, sizeof line - 1, &n);
		int c;

		if (st != MX_READ_LINE) {
			*what = st == MX_READ_EOF ? "EOF" : st == MX_READ_ERROR ?
				"read error" : "malformed reply (line too long)";
			return -1;
		}
		len = n;
		while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			len--;
		if (len < 3 || line[0] < '0' || line[0] > '9' || line[1] < '0' ||
		    line[1] > '9' || line[2] < '0' || line[2] > '9' ||
		    (len > 3 && line[3] != ' ' && line[3] != '-')) {
			*what = "malformed reply";
			return -1;
		}
		c = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
		if (first >= 0 && c != first) {
			*what = "malformed reply (codes differ)";
			return -1;
		}
		first = c;
		if (cap > 1) {
			size_t t = len > 4 ? len - 4 : 0;

			/* every line after the first, even after an empty
			 * one ("250-" then "250-STARTTLS": "\nSTARTTLS") */
			if (lines > 0 && used + 1 < cap)
				text[used++] = '\n';
			if (used + t >= cap)
				t = cap - 1 - used;
			memcpy(text + used, line + 4, t);
			used += t;
			text[used] = '\0';
		}
		if (len == 3 || line[3] == ' ') {
			*code = c;
			return 0;
		}
	}
	*what = "malformed reply (too many lines)";
	return -1;
}
