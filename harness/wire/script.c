/*
 * script.c: the reader of dialogue scripts (script.h, docs/scripts.md)
 * and the byte escapes.
 *
 * A script is one step a line: a step word, then its argument after
 * blanks. Blank lines and lines whose first non-blank is '#' are skipped;
 * blanks around the argument are not part of it (write \x20 for a space
 * that matters). Every argument but a regex is decoded for C escapes.
 *
 * Errors, each "FILE:LINE: what": an unknown step word, a missing or an
 * unwanted argument, a bad escape, a regex outside the scenario dialect
 * (rxcheck.h), a bad duration, an empty pipeline part, an inject that
 * follows no writing step, a step after close, a line over
 * MX_SCRIPT_LINE_MAX, more than MX_SCRIPT_STEPS_MAX steps, no step at all.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfgval.h"
#include "rxcheck.h"
#include "script.h"

static const struct {
	const char *name;
	int arg;	/* 1: needs an argument, 0: takes none */
} steps[MX_STEP_COUNT] = {
	[MX_STEP_EXPECT] = { "expect", 1 },
	[MX_STEP_SEND] = { "send", 1 },
	[MX_STEP_SEND_RAW] = { "send-raw", 1 },
	[MX_STEP_PIPELINE] = { "pipeline", 1 },
	[MX_STEP_INJECT] = { "inject", 1 },
	[MX_STEP_STARTTLS] = { "starttls", 0 },
	[MX_STEP_TLS_HANDSHAKE] = { "tls-handshake", 0 },
	[MX_STEP_DELAY] = { "delay", 1 },
	[MX_STEP_CLOSE] = { "close", 0 },
};

const char *
mx_step_name(enum mx_step_kind k)
{
	return (unsigned)k < MX_STEP_COUNT ? steps[k].name : "?";
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

long
mx_unescape(const char *s, size_t n, unsigned char *out, char *err, size_t errlen)
{
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\') {
			out[o++] = (unsigned char)s[i];
			continue;
		}
		if (++i == n) {
			snprintf(err, errlen, "'\\' at the end of the text");
			return -1;
		}
		switch (s[i]) {
		case 'r': out[o++] = '\r'; break;
		case 'n': out[o++] = '\n'; break;
		case 't': out[o++] = '\t'; break;
		case '\\': out[o++] = '\\'; break;
		case '|': out[o++] = '|'; break;
		case 'x':
			if (i + 2 >= n || hexval(s[i + 1]) < 0 || hexval(s[i + 2]) < 0) {
				snprintf(err, errlen, "'\\x' needs two hex digits");
				return -1;
			}
			out[o++] = (unsigned char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
			i += 2;
			break;
		default:
			if ((unsigned char)s[i] >= 0x21 && (unsigned char)s[i] < 0x7f)
				snprintf(err, errlen, "unknown escape '\\%c' (\\r \\n \\t \\\\ \\| \\xHH)", s[i]);
			else
				snprintf(err, errlen, "unknown escape '\\\\x%02x' (\\r \\n \\t \\\\ \\| \\xHH)",
					 (unsigned char)s[i]);
			return -1;
		}
	}
	return (long)o;
}

/* The escape of one byte into e (at most 5 bytes with the NUL). */
static size_t
escape1(unsigned char c, char e[5])
{
	switch (c) {
	case '\r': memcpy(e, "\\r", 3); return 2;
	case '\n': memcpy(e, "\\n", 3); return 2;
	case '\t': memcpy(e, "\\t", 3); return 2;
	case '\\': memcpy(e, "\\\\", 3); return 2;
	default:
		if (c >= 0x20 && c < 0x7f) {
			e[0] = (char)c;
			e[1] = '\0';
			return 1;
		}
		snprintf(e, 5, "\\x%02x", c);
		return 4;
	}
}

void
mx_bytes_escape(const void *p, size_t n, char *out, size_t cap)
{
	const unsigned char *b = p;
	size_t o = 0, full = 0;
	char e[5];

	if (cap == 0)
		return;
	for (size_t i = 0; i < n; i++)
		full += escape1(b[i], e);
	for (size_t i = 0; i < n; i++) {
		size_t el = escape1(b[i], e);

		/* all of it when it fits, else room kept for "..." */
		if (full < cap ? o + el >= cap : o + el + 3 >= cap) {
			if (o + 3 < cap) {
				memcpy(out + o, "...", 3);
				o += 3;
			}
			break;
		}
		memcpy(out + o, e, el);
		o += el;
	}
	out[o] = '\0';
}

void
mx_script_free(struct mx_script *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->steps[i].arg);
		free(s->steps[i].bytes);
		if (s->steps[i].have_re)
			regfree(&s->steps[i].re);
	}
	free(s->steps);
	free(s->file);
	free(s);
}

/* The pipeline's parts, split at '|' not escaped, each trimmed, decoded
 * and ended with CRLF, into st->bytes. 0 or -1 (err). */
static int
pipeline_parts(struct mx_step *st, const char *a, size_t n, char *err, size_t errlen)
{
	size_t start = 0, o = 0, parts = 0;
	unsigned char *out = malloc(n + 2 * (n + 1));

	if (!out) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (size_t i = 0; i <= n; i++) {
		size_t b, e;
		long k;

		if (i < n && a[i] == '\\') {
			if (++i == n) {
				snprintf(err, errlen, "'\\' at the end of the text");
				free(out);
				return -1;
			}
			continue;
		}
		if (i < n && a[i] != '|')
			continue;
		b = start;
		e = i > n ? n : i;
		while (b < e && (a[b] == ' ' || a[b] == '\t'))
			b++;
		while (e > b && (a[e - 1] == ' ' || a[e - 1] == '\t') &&
		       !(e - b >= 2 && a[e - 2] == '\\'))
			e--;
		if (b == e) {
			snprintf(err, errlen, "empty part %zu of the pipeline", parts + 1);
			free(out);
			return -1;
		}
		if ((k = mx_unescape(a + b, e - b, out + o, err, errlen)) < 0) {
			free(out);
			return -1;
		}
		o += (size_t)k;
		out[o++] = '\r';
		out[o++] = '\n';
		parts++;
		start = i + 1;
	}
	st->bytes = out;
	st->len = o;
	return 0;
}

/* One step from its word and argument into st. 0 or -1 (err, no file:line). */
static int
step_parse(struct mx_step *st, const char *word, size_t wl, const char *a, size_t al,
	   const struct mx_script *sc, char *err, size_t errlen)
{
	int k;
	long n;

	for (k = 0; k < MX_STEP_COUNT; k++)
		if (strlen(steps[k].name) == wl && !memcmp(steps[k].name, word, wl))
			break;
	if (k == MX_STEP_COUNT) {
		snprintf(err, errlen, "unknown step '%.*s' (expect, send, send-raw, pipeline, "
			 "inject, starttls, tls-handshake, delay, close)", (int)(wl > 40 ? 40 : wl), word);
		return -1;
	}
	st->kind = (enum mx_step_kind)k;
	if (steps[k].arg && al == 0) {
		snprintf(err, errlen, "%s needs an argument", steps[k].name);
		return -1;
	}
	if (!steps[k].arg && al) {
		snprintf(err, errlen, "%s takes no argument", steps[k].name);
		return -1;
	}
	if (sc->n && sc->steps[sc->n - 1].kind == MX_STEP_CLOSE) {
		snprintf(err, errlen, "%s after close (close ends the script)", steps[k].name);
		return -1;
	}
	if (k == MX_STEP_INJECT &&
	    (!sc->n || (sc->steps[sc->n - 1].kind != MX_STEP_SEND &&
			sc->steps[sc->n - 1].kind != MX_STEP_SEND_RAW &&
			sc->steps[sc->n - 1].kind != MX_STEP_PIPELINE &&
			sc->steps[sc->n - 1].kind != MX_STEP_INJECT))) {
		snprintf(err, errlen, "inject must follow send, send-raw, pipeline or inject "
			 "(its bytes go in the same write)");
		return -1;
	}
	if (!(st->arg = malloc(al + 1))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	memcpy(st->arg, a, al);
	st->arg[al] = '\0';
	switch (st->kind) {
	case MX_STEP_EXPECT:
		if (strlen(st->arg) != al) {
			snprintf(err, errlen, "NUL byte in the regex");
			return -1;
		}
		if (rx_compile(&st->re, st->arg, 0, NULL, err, errlen) < 0)
			return -1;
		st->have_re = 1;
		return 0;
	case MX_STEP_DELAY:
		return mx_duration_parse(st->arg, &st->ms, err, errlen) < 0 ? -1 : 0;
	case MX_STEP_PIPELINE:
		return pipeline_parts(st, a, al, err, errlen);
	case MX_STEP_SEND:
	case MX_STEP_SEND_RAW:
	case MX_STEP_INJECT:
		if (!(st->bytes = malloc(al + 2))) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		if ((n = mx_unescape(a, al, st->bytes, err, errlen)) < 0)
			return -1;
		st->len = (size_t)n;
		if (st->kind == MX_STEP_SEND) {
			st->bytes[st->len++] = '\r';
			st->bytes[st->len++] = '\n';
		}
		return 0;
	default:
		return 0;
	}
}

static int
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

int
mx_script_parse(const char *text, size_t len, const char *file, int first_line,
		struct mx_script **out, char *err, size_t errlen)
{
	struct mx_script *sc = calloc(1, sizeof *sc);
	size_t pos = 0;
	int line = first_line;
	char why[400];

	*out = NULL;
	if (!sc || !(sc->file = strdup(file ? file : "-"))) {
		free(sc);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (; pos < len; line++) {
		const char *l = text + pos, *nl = memchr(l, '\n', len - pos);
		size_t ll = nl ? (size_t)(nl - l) : len - pos, b = 0, e = ll, w;
		struct mx_step *ns;

		pos += ll + (nl ? 1 : 0);
		while (b < e && is_blank(l[b]))
			b++;
		while (e > b && is_blank(l[e - 1]))
			e--;
		if (b == e || l[b] == '#')
			continue;
		if (ll > MX_SCRIPT_LINE_MAX) {
			snprintf(why, sizeof why, "line longer than %d bytes", MX_SCRIPT_LINE_MAX);
			goto bad;
		}
		if (sc->n >= MX_SCRIPT_STEPS_MAX) {
			snprintf(why, sizeof why, "more than %d steps", MX_SCRIPT_STEPS_MAX);
			goto bad;
		}
		if (!(ns = realloc(sc->steps, (sc->n + 1) * sizeof *ns))) {
			snprintf(why, sizeof why, "out of memory");
			goto bad;
		}
		sc->steps = ns;
		memset(&ns[sc->n], 0, sizeof ns[sc->n]);
		ns[sc->n].line = line;
		for (w = b; w < e && !is_blank(l[w]); w++)
			;
		{
			size_t a = w;

			while (a < e && is_blank(l[a]))
				a++;
			if (step_parse(&ns[sc->n], l + b, w - b, l + a, e - a, sc, why,
				       sizeof why) < 0) {
				sc->n++;
				goto bad;
			}
			sc->n++;
		}
	}
	if (sc->n == 0) {
		snprintf(err, errlen, "%s:%d: no steps in the script", sc->file, first_line);
		mx_script_free(sc);
		return -1;
	}
	*out = sc;
	return 0;
bad:
	snprintf(err, errlen, "%s:%d: %s", sc->file, line, why);
	mx_script_free(sc);
	return -1;
}

int
mx_script_load(const char *path, struct mx_script **out, char *err, size_t errlen)
{
	FILE *fp = fopen(path, "re");
	char *buf = NULL;
	size_t n = 0, cap = 0, r;
	int rc;

	*out = NULL;
	if (!fp) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	do {
		if (n + 4096 > cap) {
			char *nb;

			if (cap >= (size_t)4 << 20 ||
			    !(nb = realloc(buf, cap = cap ? cap * 2 : 8192))) {
				snprintf(err, errlen, "%s: %s", path,
					 cap >= (size_t)4 << 20 ? "over 4 MiB" : "out of memory");
				free(buf);
				fclose(fp);
				return -1;
			}
			buf = nb;
		}
		r = fread(buf + n, 1, cap - n, fp);
		n += r;
	} while (r > 0);
	fclose(fp);
	rc = mx_script_parse(buf, n, path, 1, out, err, errlen);
	free(buf);
	return rc;
}
