/*
 * runner_int.h: between the runner's parent side (runner.c) and its
 * sandbox side (runner_sandbox.c).
 */
#ifndef MX_RUNNER_INT_H
#define MX_RUNNER_INT_H

#include "runner.h"

struct rn_sandbox_arg {
	const struct scenario *sc;
	const char *dir;
	const char *label;
	int verbose;
	const char *spool_template;	/* pf_template_make() dir, or NULL */
	int result_fd;		/* write end of the results pipe */
};

int rn_sandbox_main(void *arg);

#endif
