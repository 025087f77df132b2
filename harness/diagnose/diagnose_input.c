/*
 * diagnose_input.c: the input side of mxlab diagnose (mxlab/diagnose.h):
 * the handle, and the fed bytes cut into lines.
 *
 * Offers mxlab_diagnose_new/free/begin/feed/end. Bytes come in chunks of
 * any size; a line is at most DG_LINE_MAX bytes (the rest is skipped up
 * to its newline, and the line noted as cut). A line holding a control
 * byte other than tab (a NUL, binary data) is counted and noted, not
 * read; a last line without its newline is read and noted. Every other
 * line goes to dg_line() (diagnose.c). The notes name the input and the
 * line: "maillog: line 7: not text (NUL byte), skipped"; the first
 * DG_NOTES are kept.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diagnose_int.h"

static void
note(mxlab_diagnose *d, const char *what)
{
	if (d->nnotes < DG_NOTES)
		snprintf(d->notes[d->nnotes++], sizeof d->notes[0], "%s: line %llu: %s",
			 d->name, d->lineno, what);
}

/* A control byte other than tab, or DEL: not text. */
static int
bad_byte(unsigned char c)
{
	return (c < 0x20 && c != '\t') || c == 0x7f;
}

/* No bad byte in line? Eight bytes at a time: a word with a byte below
 * 0x20 or equal to 0x7f (a tab too) is looked at byte by byte. */
static int
is_text(const char *line, size_t len)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	size_t i = 0;

	for (; i + 8 <= len; i += 8) {
		uint64_t x, y;

		memcpy(&x, line + i, 8);
		y = x ^ (ones * 0x7f);
		if ((((x - ones * 0x20) & ~x) | ((y - ones) & ~y)) & highs)
			for (size_t k = i; k < i + 8; k++)
				if (bad_byte((unsigned char)line[k]))
					return 0;
	}
	for (; i < len; i++)
		if (bad_byte((unsigned char)line[i]))
			return 0;
	return 1;
}

/* One line, its newline gone: counted, checked for text, read. */
static void
one_line(mxlab_diagnose *d, const char *line, size_t len)
{
	size_t i;

	d->st.lines++;
	d->lineno++;
	if (len && line[len - 1] == '\r')
		len--;
	if (!is_text(line, len)) {
		for (i = 0; i < len && !bad_byte((unsigned char)line[i]); i++)
			;
		d->st.not_text++;
		note(d, line[i] == '\0' ? "not text (NUL byte), skipped"
					: "not text (a control byte), skipped");
		return;
	}
	dg_line(d, line, len);
}

mxlab_diagnose *
mxlab_diagnose_new(void)
{
	mxlab_diagnose *d = calloc(1, sizeof *d);

	if (!d)
		return NULL;
	d->nslots = 2 * DG_AGG_LIMIT + 1;
	d->slots = malloc(d->nslots * sizeof *d->slots);
	d->buf = malloc(DG_LINE_MAX + 1);
	d->ev = malloc(sizeof *d->ev);
	if (!d->slots || !d->buf || !d->ev) {
		mxlab_diagnose_free(d);
		return NULL;
	}
	for (size_t i = 0; i < d->nslots; i++)
		d->slots[i] = -1;
	for (size_t i = 0; i < DG_QIDS; i++)
		d->qids[i].agg = -1;
	snprintf(d->name, sizeof d->name, "-");
	return d;
}

void
mxlab_diagnose_free(mxlab_diagnose *d)
{
	if (!d)
		return;
	free(d->aggs);
	free(d->rpts);
	free(d->slots);
	free(d->order);
	free(d->buf);
	free(d->ev);
	free(d);
}

void
mxlab_diagnose_begin(mxlab_diagnose *d, const char *name)
{
	snprintf(d->name, sizeof d->name, "%s", name && *name ? name : "-");
	d->lineno = 0;
	d->len = 0;
	d->cut = 0;
}

/* The line in d->buf is complete. */
static void
line_done(mxlab_diagnose *d)
{
	if (d->cut) {
		d->st.too_long++;
		one_line(d, d->buf, d->len);
		if (d->nnotes < DG_NOTES)
			snprintf(d->notes[d->nnotes++], sizeof d->notes[0],
				 "%s: line %llu: longer than %d bytes, cut", d->name,
				 d->lineno, DG_LINE_MAX);
	} else {
		one_line(d, d->buf, d->len);
	}
	d->len = 0;
	d->cut = 0;
}

void
mxlab_diagnose_feed(mxlab_diagnose *d, const char *buf, size_t len)
{
	while (len > 0) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len, room = DG_LINE_MAX - d->len;

		if (n > room) {
			d->cut = 1;
			memcpy(d->buf + d->len, buf, room);
			d->len += room;
		} else {
			memcpy(d->buf + d->len, buf, n);
			d->len += n;
		}
		if (!nl)
			return;
		line_done(d);
		buf += n + 1;
		len -= n + 1;
	}
}

void
mxlab_diagnose_end(mxlab_diagnose *d)
{
	if (d->len == 0 && !d->cut)
		return;
	d->st.unterminated++;
	line_done(d);
	if (d->nnotes < DG_NOTES)
		snprintf(d->notes[d->nnotes++], sizeof d->notes[0],
			 "%s: line %llu: no newline at the end (truncated input?), read as is",
			 d->name, d->lineno);
}

