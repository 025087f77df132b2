/*
 * jsonw.h: a small JSON writer into a growing buffer.
 *
 * Used for transcripts (one object per line) and the certs-gen manifest.
 * Commas are placed by the writer. Strings may hold any bytes: control
 * characters are escaped, valid UTF-8 is kept, and each byte of invalid
 * UTF-8 becomes \u00XX, so the output is always valid JSON. An allocation
 * failure sets jw->failed and later calls do nothing.
 */
#ifndef MX_JSONW_H
#define MX_JSONW_H

#include <stddef.h>

#define JW_MAX_DEPTH 32

struct jw {
	char *buf;
	size_t len, cap;
	int failed;
	int depth;
	int count[JW_MAX_DEPTH];	/* members written at each level */
	int after_key;
};

void jw_init(struct jw *w);
void jw_free(struct jw *w);
void jw_reset(struct jw *w);		/* empty, keep the memory */

void jw_obj_begin(struct jw *w);
void jw_obj_end(struct jw *w);
void jw_arr_begin(struct jw *w);
void jw_arr_end(struct jw *w);
void jw_key(struct jw *w, const char *key);
void jw_str(struct jw *w, const char *s);	/* NULL writes null */
void jw_strn(struct jw *w, const char *s, size_t n);
void jw_int(struct jw *w, long long v);
void jw_double(struct jw *w, double v);	/* %.3f */
void jw_bool(struct jw *w, int v);
void jw_null(struct jw *w);
void jw_raw(struct jw *w, const char *s);	/* append as is */
/* The document done: a newline appended, the text returned (the caller's
 * to free), or NULL (everything freed) when any call failed. */
char *jw_finish(struct jw *w);

/* key + value shorthands */
void jw_kstr(struct jw *w, const char *key, const char *s);
void jw_kstrn(struct jw *w, const char *key, const char *s, size_t n);
void jw_kint(struct jw *w, const char *key, long long v);
void jw_kbool(struct jw *w, const char *key, int v);

#endif
