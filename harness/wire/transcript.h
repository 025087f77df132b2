/*
 * transcript.h: JSON-lines transcripts of peer sessions.
 *
 * One JSON object per line, written whole under a lock and flushed at once,
 * so a transcript can be read while it grows and nothing is lost at a stop.
 * Every line starts with "time" (UTC, ms), "conn" and "event"; callers add
 * the rest with the jsonw calls between mx_tr_begin and mx_tr_end.
 */
#ifndef MX_TRANSCRIPT_H
#define MX_TRANSCRIPT_H

#include "jsonw.h"
#include "mxlab/error.h"

struct mx_transcript;

/* path "-" writes to stdout. NULL with err set on failure. */
struct mx_transcript *mx_transcript_open(const char *path, char *err, size_t errlen);
void mx_transcript_close(struct mx_transcript *t);	/* NULL ok */

/* Start an event in w (reset first). */
void mx_tr_begin(struct jw *w, unsigned long conn, const char *event);
/* Close the object and write it as one line; t may be NULL (no-op). */
void mx_tr_end(struct mx_transcript *t, struct jw *w);

/* "2026-11-28T23:01:02.345Z" */
void mx_time_iso(char *buf, size_t len);

#endif
