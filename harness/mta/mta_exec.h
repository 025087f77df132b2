/*
 * mta_exec.h: what the exec driver (mta_exec.c) is given as struct mta's
 * cfg: a scenario's [exec], its variables expanded.
 */
#ifndef MX_MTA_EXEC_H
#define MX_MTA_EXEC_H

struct mta_exec_config {
	const char *start;	/* sh -c, in the instance directory */
	const char *stop;	/* sh -c, or NULL: SIGTERM to start's group */
	const char *ready;	/* regex over the log's lines, or NULL */
	const char *log;	/* the log to follow, or NULL: DIR/exec.out */
	const char *version;	/* sh -c, first line of its output, or NULL */
};

#endif
