/*
 * mxlab/runner.h: running scenario files against a real Postfix, as
 * `mxlab run` does.
 *
 * A run is configured from key = value pairs, the same keys as the long
 * options of `mxlab run` (mxlab_run_keys() lists them), and from the
 * scenario files and directories to read (mxlab_run_add_path(); none:
 * ./scenarios). mxlab_run_execute() loads every file first (any error:
 * nothing runs), selects by name and tag, takes its shard, skips what
 * cannot run here, then runs up to `jobs` scenarios at once, each as root
 * in its own namespaces with a private Postfix, and reports as they end.
 *
 * Output: the library writes only to the streams the caller gives
 * (mxlab_run_set_output, and mxlab_run_set_html for the HTML report): the report (one line per scenario, or TAP, the
 * summary, and what `list` and `check` print) and the diagnostics (the
 * scenario files' errors, as FILE:LINE: ..., and the run's own messages,
 * which start with "mxlab run: "). With `verbose`, the scenarios' maillog
 * lines, configuration changes and clients' ends reach the log callback
 * (mxlab_run_set_log), never a stream.
 *
 * Signals: mxlab_run_interrupt() may be called from a signal handler; the
 * run then kills every sandbox, starts nothing more and ends with what was
 * decided so far. The caller installs the handlers (and should ignore
 * SIGPIPE, see docs/library.md).
 *
 * Not thread-safe: one run, one thread (the interrupt excepted).
 */
#ifndef MXLAB_RUNNER_H
#define MXLAB_RUNNER_H

#include <stddef.h>
#include <stdio.h>

#include "mxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxlab_run mxlab_run;

struct mxlab_run_key {
	const char *key;	/* "jobs" */
	const char *arg;	/* "N"; NULL: a flag ("yes" or "no", NULL is "yes") */
	const char *help;
	int repeatable;		/* each value adds to the others */
};
/* jobs name tag skip-tag keep verbose tap list check workdir shard junit
 * json lab-goals lab-config lab-shell; ends with key NULL. The last three
 * are for labs (mxlab/lab.h, docs/labs.md): lab-goals decides each file's
 * [lab] goal lines instead of its [expect] lines, lab-config DIR takes
 * DIR/main.cf and DIR/master.cf (where they exist) instead of its
 * [main.cf] and [master.cf]; a selected file without [lab] is then an
 * error (exit 2). lab-shell (one lab selected, else exit 2): once the
 * lab's world is up and its mail sent, a shell (bash) runs inside it on
 * this process's standard input and output until it exits; when standard
 * input is a terminal the shell gets a new pseudo-terminal, relayed, with
 * the caller's terminal in raw mode meanwhile (put back as it was when the
 * run ends). In that shell `mxlab lab check` decides the goals; the run's
 * result is the last check's. No deadline: the run lasts as long as the
 * shell. */
MXLAB_API const struct mxlab_run_key *mxlab_run_keys(void);

MXLAB_API mxlab_run *mxlab_run_new(void);		/* NULL: out of memory */
MXLAB_API void mxlab_run_free(mxlab_run *run);		/* NULL ok */
/* MXLAB_ERR_USAGE with "KEY: what is wrong" in err; MXLAB_ERR_NOMEM. */
MXLAB_API mxlab_err mxlab_run_set(mxlab_run *run, const char *key, const char *value,
				  char *err, size_t errlen);
/* A scenario file, or a directory searched recursively for *.scn (its
 * suite.scn files are suites, not scenarios). */
MXLAB_API mxlab_err mxlab_run_add_path(mxlab_run *run, const char *path);
/* Where the report and the diagnostics go; NULL: nowhere (the default). */
MXLAB_API void mxlab_run_set_output(mxlab_run *run, FILE *report, FILE *diag);
/* Where the HTML report goes (NULL: none, the default): one
 * self-contained page (inline CSS, no script, nothing fetched) written at
 * the end of the run, with every scenario's result, its expectations and
 * their evidence, its SMTP/TLS dialogue as a sequence diagram (inline SVG)
 * and the certificate chains each side presented. The stream is the
 * caller's: the run writes and flushes it, never closes it. */
MXLAB_API void mxlab_run_set_html(mxlab_run *run, FILE *html);
/* With the key verbose: called with each line of a scenario as it comes
 * (label: the scenario's display name, "outbound/secure-leaf-only"). */
MXLAB_API void mxlab_run_set_log(mxlab_run *run,
				 void (*log)(void *arg, const char *label, const char *line),
				 void *arg);
/* Async-signal-safe: asks a running mxlab_run_execute() to stop. */
MXLAB_API void mxlab_run_interrupt(mxlab_run *run);

/* Run it. Returns `mxlab run`'s exit status: 0 every scenario passed
 * (skips allowed; also list and check done), 1 one failed or could not
 * run, or the run was interrupted, 2 a scenario-file or configuration
 * error (nothing run), no scenario selected, or no sandbox possible here
 * (not root). Call it once per run. */
MXLAB_API int mxlab_run_execute(mxlab_run *run);

#ifdef __cplusplus
}
#endif
#endif
