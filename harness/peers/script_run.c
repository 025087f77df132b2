/*
 * script_run.c: the steps of a dialogue script, run over one side's I/O
 * (script_run.h, docs/scripts.md), and the script sources configurations
 * keep.
 *
 * Writing steps (send, send-raw, pipeline, inject) collect their bytes;
 * they go out in one write when the next step is not an inject, so an
 * inject shares the previous step's write (and, on a quiet loopback, its
 * packet). expect reads one line on the server side and one whole reply
 * (its lines up to "NNN " ) on the client side, and passes when a line
 * matches. starttls is the exchange for the side: the client sends
 * STARTTLS and wants a 2xx; the server wants a STARTTLS line and answers
 * "220 2.0.0 Ready to start TLS"; then, like tls-handshake, the side's
 * handshake, told how many bytes were read and not consumed.
 *
 * Errors: "step N (FILE:LINE) STEP ARG: what" (N from 1); what arrived is
 * shown escaped and cut (mx_bytes_escape).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "script_run.h"

#define UNIT_MAX 8192		/* bytes of what one expect reads */
#define SHOWN 200		/* bytes of it shown in a message */

int
mx_script_src_text(struct mx_script_src *s, const char *text, const char *file, int line,
		   char *err, size_t errlen)
{
	struct mx_script *sc;
	char *t;

	if (mx_script_parse(text, strlen(text), file, line, &sc, err, errlen) < 0)
		return -1;
	mx_script_free(sc);
	if (!(t = strdup(text))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	free(s->text);
	s->text = t;
	snprintf(s->file, sizeof s->file, "%s", file);
	s->line = line;
	return 0;
}

int
mx_script_src_file(struct mx_script_src *s, const char *path, char *err, size_t errlen)
{
	struct mx_script *sc;
	FILE *fp;
	char *buf;
	long n;
	int rc;

	if (mx_script_load(path, &sc, err, errlen) < 0)
		return -1;
	mx_script_free(sc);
	if (!(fp = fopen(path, "re")) || fseek(fp, 0, SEEK_END) < 0 || (n = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) < 0 || !(buf = malloc((size_t)n + 1))) {
		if (fp)
			fclose(fp);
		snprintf(err, errlen, "%s: cannot read it again", path);
		return -1;
	}
	buf[fread(buf, 1, (size_t)n, fp)] = '\0';
	fclose(fp);
	rc = mx_script_src_text(s, buf, path, 1, err, errlen);
	free(buf);
	return rc;
}

int
mx_script_src_key(struct mx_script_src *s, const char *key, const char *path, char *err,
		  size_t errlen)
{
	char e[600];

	if (mx_script_src_file(s, path, e, sizeof e) == 0)
		return 0;
	snprintf(err, errlen, "%s: %s", key, e);
	return -1;
}

mxlab_err
mx_script_src_set(struct mx_script_src *s, const char *text, const char *file, int line,
		  char *err, size_t errlen)
{
	if (!s || !text || !file) {
		snprintf(err, errlen, "script: missing configuration, text or file");
		return MXLAB_ERR_USAGE;
	}
	return mx_script_src_text(s, text, file, line, err, errlen) < 0 ? MXLAB_ERR_USAGE : MXLAB_OK;
}

int
mx_script_src_copy(struct mx_script_src *dst, const struct mx_script_src *src)
{
	*dst = *src;
	if (src->text && !(dst->text = strdup(src->text)))
		return -1;
	return 0;
}

void
mx_script_src_free(struct mx_script_src *s)
{
	if (!s)
		return;
	free(s->text);
	s->text = NULL;
}

struct mx_script *
mx_script_src_parse(const struct mx_script_src *s, char *err, size_t errlen)
{
	struct mx_script *sc = NULL;

	if (!s->text)
		return NULL;
	if (mx_script_parse(s->text, strlen(s->text), s->file, s->line, &sc, err, errlen) < 0)
		return NULL;
	return sc;
}

/* "step N (FILE:LINE) STEP ARG: " into err, then the rest. */
static int
step_fail(const struct mx_script *sc, size_t i, char *err, size_t errlen, const char *what,
	  const void *got, size_t n)
{
	const struct mx_step *st = &sc->steps[i];
	char shown[SHOWN * 4 + 8], arg[120];

	if (st->kind == MX_STEP_EXPECT)
		snprintf(arg, sizeof arg, " /%.100s/", st->arg);
	else if (st->arg[0])
		snprintf(arg, sizeof arg, " %.100s", st->arg);
	else
		arg[0] = '\0';
	if (got) {
		mx_bytes_escape(got, n > SHOWN ? SHOWN : n, shown, sizeof shown);
		snprintf(err, errlen, "step %zu (%s:%d) %s%s: %s '%s'%s", i + 1, sc->file, st->line,
			 mx_step_name(st->kind), arg, what, shown, n > SHOWN ? "..." : "");
	} else
		snprintf(err, errlen, "step %zu (%s:%d) %s%s: %s", i + 1, sc->file, st->line,
			 mx_step_name(st->kind), arg, what);
	return -1;
}

/* One line, CRLF (or LF) stripped, appended to buf at *len. 0, or -1
 * with *what (EOF, a read error, a timeout). */
static int
read_line(struct mx_script_io *io, char *buf, size_t cap, size_t *len, const char **what)
{
	unsigned char line[1024];
	size_t n = 0, start = *len;
	enum mx_read_status st;

	for (;;) {
		st = mx_reader_line(io->rd, line, sizeof line, &n);
		if (*len + n >= cap)
			n = cap - 1 - *len;
		memcpy(buf + *len, line, n);
		*len += n;
		if (st == MX_READ_LINE)
			break;
		if (st != MX_READ_PARTIAL) {
			*what = st == MX_READ_EOF ? "EOF" : io->read_error(io->arg);
			return -1;
		}
	}
	while (*len > start && (buf[*len - 1] == '\n' || buf[*len - 1] == '\r'))
		(*len)--;
	return 0;
}

/* What one expect reads: a line, or (client) a whole reply. */
static int
read_unit(struct mx_script_io *io, char *buf, size_t cap, size_t *len, const char **what)
{
	*len = 0;
	for (;;) {
		size_t at = *len;

		if (read_line(io, buf, cap, len, what) < 0)
			return -1;
		if (!io->client || *len - at < 4 || buf[at + 3] != '-' ||
		    strspn(buf + at, "0123456789") < 3)
			return 0;
		if (*len + 1 < cap)
			buf[(*len)++] = '\n';
	}
}

/* Does a line of buf[0..n) match? */
static int
unit_matches(const struct mx_step *st, char *buf, size_t n)
{
	size_t b = 0;

	buf[n] = '\0';
	while (b <= n) {
		char *e = memchr(buf + b, '\n', n - b);
		size_t l = e ? (size_t)(e - buf) : n;
		char keep = buf[l];
		int ok;

		buf[l] = '\0';
		ok = regexec(&st->re, buf + b, 0, NULL, 0) == 0;
		buf[l] = keep;
		if (ok)
			return 1;
		b = l + 1;
	}
	return 0;
}

static int
flush(struct mx_script_io *io, unsigned char **out, size_t *n, char *why, size_t whylen)
{
	int r = 0;

	if (*n) {
		io->unit(io->arg);
		r = io->write(io->arg, *out, *n, why, whylen);
	}
	*n = 0;
	return r;
}

/* starttls's exchange, before the handshake. 0, or -1 (err). */
static int
starttls_exchange(const struct mx_script *sc, size_t i, struct mx_script_io *io, char *buf,
		  char *err, size_t errlen)
{
	static const char cmd[] = "STARTTLS\r\n", ready[] = "220 2.0.0 Ready to start TLS\r\n";
	const struct mx_step *st = &sc->steps[i];
	const char *what = "";
	char why[300];
	size_t n;

	io->unit(io->arg);
	if (io->client) {
		if (io->write(io->arg, cmd, sizeof cmd - 1, why, sizeof why) < 0)
			return step_fail(sc, i, err, errlen, why, NULL, 0);
		io->note(io->arg, i, st, "sent", cmd, sizeof cmd - 1);
	}
	if (read_unit(io, buf, UNIT_MAX, &n, &what) < 0)
		return step_fail(sc, i, err, errlen, "got", what, strlen(what));
	if (io->got)
		io->got(io->arg, buf, n);
	io->note(io->arg, i, st, "received", buf, n);
	if (io->client && (n < 3 || buf[0] != '2'))
		return step_fail(sc, i, err, errlen, "wanted a 2xx reply, got", buf, n);
	if (!io->client) {
		if (n != 8 || strncasecmp(buf, "STARTTLS", 8))
			return step_fail(sc, i, err, errlen, "wanted STARTTLS, got", buf, n);
		if (io->write(io->arg, ready, sizeof ready - 1, why, sizeof why) < 0)
			return step_fail(sc, i, err, errlen, why, NULL, 0);
		io->note(io->arg, i, st, "sent", ready, sizeof ready - 1);
	}
	return 0;
}

int
mx_script_run(const struct mx_script *sc, struct mx_script_io *io, size_t *failed,
	      char *err, size_t errlen)
{
	unsigned char *out = NULL;
	size_t outlen = 0, outcap = 0;
	char *buf = malloc(UNIT_MAX + 1), why[300];
	int rc = 0;

	*failed = 0;
	if (!buf) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i < sc->n && rc == 0; i++) {
		const struct mx_step *st = &sc->steps[i];
		const char *what = "";
		size_t n;

		*failed = i;
		switch (st->kind) {
		case MX_STEP_SEND:
		case MX_STEP_SEND_RAW:
		case MX_STEP_PIPELINE:
		case MX_STEP_INJECT:
			if (outlen + st->len > outcap) {
				unsigned char *nb = realloc(out, outlen + st->len);

				if (!nb) {
					rc = step_fail(sc, i, err, errlen, "out of memory", NULL, 0);
					break;
				}
				out = nb;
				outcap = outlen + st->len;
			}
			memcpy(out + outlen, st->bytes, st->len);
			outlen += st->len;
			io->note(io->arg, i, st, "sent", st->bytes, st->len);
			if (i + 1 < sc->n && sc->steps[i + 1].kind == MX_STEP_INJECT)
				break;
			if (flush(io, &out, &outlen, why, sizeof why) < 0)
				rc = step_fail(sc, i, err, errlen, why, NULL, 0);
			break;
		case MX_STEP_EXPECT:
			io->unit(io->arg);
			if (read_unit(io, buf, UNIT_MAX, &n, &what) < 0) {
				if (n)
					snprintf(why, sizeof why, "%s after", what);
				rc = step_fail(sc, i, err, errlen, n ? why : "got", n ? buf : what,
					       n ? n : strlen(what));
				break;
			}
			if (io->got)
				io->got(io->arg, buf, n);
			io->note(io->arg, i, st, "received", buf, n);
			if (!unit_matches(st, buf, n))
				rc = step_fail(sc, i, err, errlen, "got", buf, n);
			break;
		case MX_STEP_STARTTLS:
			if (starttls_exchange(sc, i, io, buf, err, errlen) < 0) {
				rc = -1;
				break;
			}
			/* fall through */
		case MX_STEP_TLS_HANDSHAKE:
			io->unit(io->arg);
			if (io->handshake(io->arg, mx_reader_pending(io->rd), why, sizeof why) < 0)
				rc = step_fail(sc, i, err, errlen, why, NULL, 0);
			else
				io->note(io->arg, i, st, "tls", NULL, 0);
			break;
		case MX_STEP_DELAY:
			io->delay(io->arg, st->ms);
			break;
		case MX_STEP_CLOSE:
		default:
			i = sc->n;	/* the end */
			break;
		}
	}
	free(out);
	free(buf);
	return rc;
}
