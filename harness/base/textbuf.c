/*
 * textbuf.c: a growing text buffer (textbuf.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "textbuf.h"

void
mx_text_put(struct mx_text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (t->failed)
		return;
	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->buf ? t->buf + t->len : NULL, t->buf ? t->cap - t->len : 0,
			      fmt, ap);
		va_end(ap);
		if (n < 0) {
			t->failed = 1;
			return;
		}
		if (t->buf && t->len + (size_t)n < t->cap) {
			t->len += (size_t)n;
			return;
		}
		size_t cap = (t->cap ? t->cap : 2048) * 2 + (size_t)n;
		char *nb = realloc(t->buf, cap);

		if (!nb) {
			t->failed = 1;
			return;
		}
		t->buf = nb;
		t->cap = cap;
	}
}

void
mx_text_wrapped(struct mx_text *t, const char *label, const char *s)
{
	size_t indent = strlen(label), col = indent;

	mx_text_put(t, "%s", label);
	while (*s) {
		size_t n = strcspn(s, " ");

		if (col > indent && col + 1 + n > 78) {
			mx_text_put(t, "\n%*s", (int)indent, "");
			col = indent;
		} else if (col > indent) {
			mx_text_put(t, " ");
			col++;
		}
		mx_text_put(t, "%.*s", (int)n, s);
		col += n;
		s += n;
		while (*s == ' ')
			s++;
	}
	mx_text_put(t, "\n");
}

char *
mx_text_take(struct mx_text *t)
{
	char *b = t->buf;

	if (t->failed) {
		free(b);
		b = NULL;
	}
	t->buf = NULL;
	t->len = t->cap = 0;
	return b;
}
