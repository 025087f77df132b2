/*
 * run_int.h: what run.c (the public mxlab_run_*: options, execute, work
 * directory), run_select.c (finding, loading, selecting, sharding) and
 * run_jobs.c (scheduling the sandboxes) share. Private to harness/runner.
 */
#ifndef MX_RUN_INT_H
#define MX_RUN_INT_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#include "mxlab/runner.h"
#include "report.h"
#include "runner.h"

/* The exit statuses mxlab_run_execute returns (those of `mxlab run`). */
#define RUN_EXIT_OK 0
#define RUN_EXIT_FAIL 1
#define RUN_EXIT_USAGE 2

/* Shard counts: 1 <= K <= N <= RUN_SHARD_MAX. */
#define RUN_SHARD_MAX 1000

struct run_item {
	char *path;
	char *label;		/* "outbound/x" */
	struct scenario *sc;
};

struct mxlab_run {
	/* Options (mxlab_run_set). */
	int jobs;			/* scenarios at once (default 1) */
	char **names;			/* name: run only matching (globs) */
	size_t nnames;
	char **tags;			/* tag: only scenarios with one of them */
	size_t ntags;
	char **skip_tags;		/* skip-tag */
	size_t nskip_tags;
	int keep;			/* keep every scenario directory */
	int verbose;			/* log the maillogs */
	int list;			/* print the selection only */
	int check;			/* load files only */
	char *workdir;			/* NULL: a new /tmp/mxlab-run.XXXXXX */
	int shard_k, shard_n;		/* 0/0: no sharding */
	int tap;
	char *junit, *json;		/* report files */
	int lab_goals;			/* labs: goals for [expect] (sc_lab_apply) */
	char *lab_config;		/* labs: main.cf, master.cf from here */
	int lab_shell;			/* labs: the lab shell (lab_shell.c) */
	char **paths;			/* files and directories; none: scenarios */
	size_t npaths;
	FILE *report, *diag;		/* NULL: nowhere */
	FILE *html;			/* the HTML report (mxlab_run_set_html) */
	void (*log)(void *arg, const char *label, const char *line);
	void *log_arg;
	volatile sig_atomic_t interrupted;
	int executed;			/* mxlab_run_execute was called */

	/* What execute loaded and selected. */
	struct run_item *items;
	size_t nitems;
	struct run_item **sel;		/* the selection, then its shard */
	size_t nsel;
	size_t nall;			/* the selection before the shard */
};

/* "mxlab run: " + message + newline on run->diag (if any). */
void run_warn(const struct mxlab_run *run, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Append a copy of s to *v. 0, or -1 (out of memory). */
int run_push(char ***v, size_t *n, const char *s);

/* Load every file of run->paths (default "scenarios") into run->items,
 * writing every error on run->diag. Returns the number of errors. */
size_t run_load(struct mxlab_run *run);
/* Fill run->sel: the items selected by name and tag (run->nall of them),
 * then only the shard's (run->nsel). 0, or -1 (out of memory). */
int run_select(struct mxlab_run *run);
/* Run run->sel[0..nsel) in workdir, up to run->jobs at once, and report
 * (rp: the report's options). Returns the exit status. */
int run_jobs(struct mxlab_run *run, const struct rp_options *rp, const char *workdir,
	     const struct rn_options *base);

#endif
