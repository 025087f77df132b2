/*
 * jsonw.c: a small JSON writer into a growing buffer (see jsonw.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonw.h"

void
jw_init(struct jw *w)
{
	memset(w, 0, sizeof *w);
}

void
jw_free(struct jw *w)
{
	free(w->buf);
	jw_init(w);
}

void
jw_reset(struct jw *w)
{
	w->len = 0;
	w->failed = 0;
	w->depth = 0;
	w->after_key = 0;
	w->count[0] = 0;
	if (w->buf)
		w->buf[0] = '\0';
}

static void
put(struct jw *w, const char *s, size_t n)
{
	if (w->failed)
		return;
	if (w->len + n + 1 > w->cap) {
		size_t cap = w->cap ? w->cap : 256;
		char *nb;

		while (cap < w->len + n + 1)
			cap *= 2;
		nb = realloc(w->buf, cap);
		if (!nb) {
			w->failed = 1;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, s, n);
	w->len += n;
	w->buf[w->len] = '\0';
}

/* A comma before every value or key but the first at its level. */
static void
sep(struct jw *w)
{
	if (w->after_key) {
		w->after_key = 0;
		return;
	}
	if (w->count[w->depth]++ > 0)
		put(w, ",", 1);
}

static void
open_(struct jw *w, char c)
{
	sep(w);
	put(w, &c, 1);
	if (w->depth + 1 < JW_MAX_DEPTH)
		w->depth++;
	else
		w->failed = 1;
	w->count[w->depth] = 0;
}

static void
close_(struct jw *w, char c)
{
	put(w, &c, 1);
	if (w->depth > 0)
		w->depth--;
}

void jw_obj_begin(struct jw *w) { open_(w, '{'); }
void jw_obj_end(struct jw *w) { close_(w, '}'); }
void jw_arr_begin(struct jw *w) { open_(w, '['); }
void jw_arr_end(struct jw *w) { close_(w, ']'); }

/* Length of the valid UTF-8 sequence at s (at most n bytes), or 0. */
static size_t
utf8_len(const unsigned char *s, size_t n)
{
	size_t need;
	unsigned cp;

	if (s[0] < 0xC2)
		return 0;
	if (s[0] < 0xE0) {
		need = 2;
		cp = s[0] & 0x1F;
	} else if (s[0] < 0xF0) {
		need = 3;
		cp = s[0] & 0x0F;
	} else if (s[0] < 0xF5) {
		need = 4;
		cp = s[0] & 0x07;
	} else
		return 0;
	if (n < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if ((need == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
	    (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
		return 0;
	return need;
}

static void
put_string(struct jw *w, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0, run = 0;
	char esc[8];

	put(w, "\"", 1);
	while (i < n) {
		unsigned char c = s[i];
		size_t u;

		if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
			i++;
			run++;
			continue;
		}
		if (c >= 0x80 && (u = utf8_len(s + i, n - i)) > 0) {
			i += u;
			run += u;
			continue;
		}
		put(w, (const char *)s + i - run, run);
		run = 0;
		switch (c) {
		case '"': put(w, "\\\"", 2); break;
		case '\\': put(w, "\\\\", 2); break;
		case '\n': put(w, "\\n", 2); break;
		case '\r': put(w, "\\r", 2); break;
		case '\t': put(w, "\\t", 2); break;
		default:
			snprintf(esc, sizeof esc, "\\u%04x", c);
			put(w, esc, 6);
		}
		i++;
	}
	put(w, (const char *)s + i - run, run);
	put(w, "\"", 1);
}

void
jw_key(struct jw *w, const char *key)
{
	if (w->failed)
		return;
	sep(w);
	put_string(w, key, strlen(key));
	put(w, ":", 1);
	w->after_key = 1;
}

void
jw_strn(struct jw *w, const char *s, size_t n)
{
	if (w->failed)
		return;
	sep(w);
	put_string(w, s, n);
}

void
jw_str(struct jw *w, const char *s)
{
	if (!s) {
		jw_null(w);
		return;
	}
	jw_strn(w, s, strlen(s));
}

void
jw_int(struct jw *w, long long v)
{
	char b[32];
	int n;

	if (w->failed)
		return;
	n = snprintf(b, sizeof b, "%lld", v);
	sep(w);
	put(w, b, (size_t)n);
}

void
jw_double(struct jw *w, double v)
{
	char b[64];
	int n = snprintf(b, sizeof b, "%.3f", v);

	sep(w);
	put(w, b, (size_t)n);
}

void
jw_bool(struct jw *w, int v)
{
	sep(w);
	put(w, v ? "true" : "false", v ? 4 : 5);
}

void
jw_null(struct jw *w)
{
	sep(w);
	put(w, "null", 4);
}

void
jw_raw(struct jw *w, const char *s)
{
	put(w, s, strlen(s));
}

void jw_kstr(struct jw *w, const char *k, const char *s) { jw_key(w, k); jw_str(w, s); }
void jw_kstrn(struct jw *w, const char *k, const char *s, size_t n) { jw_key(w, k); jw_strn(w, s, n); }
void jw_kint(struct jw *w, const char *k, long long v) { jw_key(w, k); jw_int(w, v); }
void jw_kbool(struct jw *w, const char *k, int v) { jw_key(w, k); jw_bool(w, v); }

char *
jw_finish(struct jw *w)
{
	jw_raw(w, "\n");
	if (w->failed) {
		jw_free(w);
		return NULL;
	}
	return w->buf;
}
