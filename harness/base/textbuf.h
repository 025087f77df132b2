/*
 * textbuf.h: a growing text buffer for reports that are built in memory
 * and handed to the caller (probe's and diagnose's text reports). Any
 * failure (out of memory) sets failed and later calls do nothing.
 */
#ifndef MX_TEXTBUF_H
#define MX_TEXTBUF_H

#include <stddef.h>

struct mx_text {
	char *buf;
	size_t len, cap;
	int failed;
};

/* Append printf-style. */
__attribute__((format(printf, 2, 3)))
void mx_text_put(struct mx_text *t, const char *fmt, ...);
/* Append label, then s word-wrapped at 78 columns under a hanging indent
 * as wide as label, then a newline. */
void mx_text_wrapped(struct mx_text *t, const char *label, const char *s);
/* The text (the caller frees it), or NULL after a failure (freed). */
char *mx_text_take(struct mx_text *t);

#endif
