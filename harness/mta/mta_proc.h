/*
 * mta_proc.h: the processes of the exim and exec drivers: started with
 * their output in a file, collected as PID 1 of a sandbox must (every
 * child, not only ours), stopped by PID with a bound.
 */
#ifndef MX_MTA_PROC_H
#define MX_MTA_PROC_H

#include <stddef.h>
#include <sys/types.h>

struct mta_proc {
	pid_t pid;		/* -1: none */
	int pgrp;		/* it leads its own process group (signals go to it) */
	int exited;
	int status;		/* waitpid's, once exited */
};

/* Start argv[0] (a path) with argv in dir, stdin /dev/null, stdout and
 * stderr appended to out; env: NULL-terminated NAME, VALUE pairs set in
 * the child; pgrp: give it its own process group. 0 or -1 with err. */
int mta_proc_start(struct mta_proc *p, const char *const *argv, const char *dir,
		   const char *out, const char *const *env, int pgrp, char *err, size_t errlen);
/* Collect every exited child without waiting; 1 when p has exited. */
int mta_proc_reap(struct mta_proc *p);
/* Until p exits, at most timeout_ms (a pidfd, no sleeping): 1 exited. */
int mta_proc_wait(struct mta_proc *p, int timeout_ms);
/* SIGTERM (to its group with pgrp), then SIGKILL after timeout_ms. */
void mta_proc_stop(struct mta_proc *p, int timeout_ms);
/* "exited with status N" / "killed by signal N" for p->status. */
void mta_proc_describe(const struct mta_proc *p, char *buf, size_t len);

#endif
