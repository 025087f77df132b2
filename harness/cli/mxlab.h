/*
 * mxlab.h (program): what the subcommands of the mxlab program share.
 *
 * Exit codes of every subcommand: 0 success, 1 the job failed (a peer, a
 * check), 2 usage error (bad option or value, named in the message).
 */
#ifndef MXLAB_PROGRAM_H
#define MXLAB_PROGRAM_H

#include <stddef.h>

#include "mxlab/runner.h"

#define MXLAB_EXIT_OK 0
#define MXLAB_EXIT_FAIL 1
#define MXLAB_EXIT_USAGE 2

int cmd_certs(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_probe(int argc, char **argv);
int cmd_send(int argc, char **argv);
int cmd_init(int argc, char **argv);
int cmd_diagnose(int argc, char **argv);
int cmd_lab(int argc, char **argv);

/* cmd_run.c: execute a run as `mxlab run` does (report on stdout and
 * stderr, -v lines on stderr, SIGINT/SIGTERM interrupt it); its exit code. */
int mx_run_execute(mxlab_run *run);

/* "mxlab SUBCOMMAND: " + message + newline, on stderr. */
void mx_warn(const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Split "--key=value" / "--key value" at argv[*i]. On success *key points
 * at the name after "--" (copied into keybuf), *value at the value, and *i
 * is advanced past what was consumed. Returns 0, 1 when argv[*i] is not an
 * option (a positional argument), or -1 when the value is missing (an error
 * message naming the option is printed).
 * Options listed in flags (NULL-terminated, without "--") take no value;
 * for them *value is "yes".
 */
int mx_opt_next(const char *sub, int argc, char **argv, int *i,
		const char *const *flags, char *keybuf, size_t keylen,
		const char **key, const char **value);

#endif
