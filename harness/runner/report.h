/*
 * report.h: how `mxlab run` tells what happened: one line per scenario on
 * the report stream (or TAP with --tap), then a summary whose last line
 * reads "mxlab: N passed, N failed, N skipped"; --junit and --json write
 * files at the end, the HTML report (report_html.c) goes to o->html. The report goes to o->out, a file that could not be
 * written is named on o->diag (either NULL: nowhere); nothing else is
 * printed.
 */
#ifndef MX_REPORT_H
#define MX_REPORT_H

#include <stdio.h>

#include "runner.h"

struct rp_entry {
	const char *label;		/* "outbound/secure-leaf-only" */
	const struct scenario *sc;
	struct rn_result res;
};

struct rp_options {
	FILE *out;			/* the report (stdout for mxlab run); NULL */
	FILE *diag;			/* errors (stderr for mxlab run); NULL */
	int tap;
	int verbose;
	const char *junit;
	const char *json;
	FILE *html;			/* the HTML report's stream; NULL: none */
	int shard_k, shard_n;		/* --shard K/N; 0/0 without */
};

/* Called once before any scenario ends (TAP plan). */
void rp_begin(const struct rp_options *o, size_t total);
/* One scenario ended (number is 1-based, in the order they end). */
void rp_one(const struct rp_options *o, size_t number, const struct rp_entry *e);
/* The summary and the report files; returns 0, or -1 when a file could
 * not be written (named on o->diag). With a shard, the summary line reads
 * "mxlab: shard K/N: N passed, ..." and the files name the shard. workdir
 * may be NULL (nothing ran). */
/* The HTML report of n scenarios on fp (report_html.c): one page, inline
 * CSS, no script, no external resource; every text from a scenario, a log
 * or a peer is escaped. 0, or -1 when fp reported a write error. */
int rp_html(FILE *fp, const struct rp_options *o, const struct rp_entry *e, size_t n,
	    double seconds);
/* Shared by report_html.c and report_seq.c: text escaped for HTML and
 * SVG (& < > " ' as entities, control characters and invalid UTF-8 as
 * '?'), at most max characters, then an ellipsis; returns the characters
 * written. */
size_t rp_html_text(FILE *fp, const char *text, size_t max);
/* The steps of r as an inline <svg> sequence diagram; id makes its ids
 * unique in the page, mta names the middle column ("Postfix", "exim"). */
void rp_seq_svg(FILE *fp, const struct rn_result *r, size_t id, const char *mta);
int rp_end(const struct rp_options *o, const struct rp_entry *e, size_t n, double seconds,
	   const char *workdir, int interrupted);

#endif
