/*
 * pfinst.h: a private, stock Postfix instance for one scenario.
 *
 * The instance lives in one directory: etc/main.cf and etc/master.cf (a
 * safe base with the scenario's text applied over it), spool/ (the queue),
 * data/, and maillog (maillog_file). /etc/postfix and the system queue are
 * never read or written: every Postfix command gets -c DIR/etc.
 *
 * pf_write_config(): the base main.cf, then the scenario's parameters
 * replace base parameters of the same name (others are added); the base
 * master.cf, then the scenario's entries replace base entries with the
 * same service name and type (others are added).
 * pf_check(): `postfix -c DIR/etc check` (creates the queue directories).
 * pf_start(): execs the master daemon itself (so its PID is ours), under
 * libfaketime when a clock offset is asked for; pf_wait_ready() waits for
 * its "daemon started" line in the maillog; pf_stop() sends SIGTERM and
 * waits (bounded) for it to exit.
 */
#ifndef MX_PFINST_H
#define MX_PFINST_H

#include <stddef.h>
#include <sys/types.h>

#include "maillog.h"

struct pf_instance {
	char dir[1024];
	char etc[1100];
	char maillog[1100];
	pid_t master;
	char faketime[32];	/* "" when the clock is right */
	int master_exited;
	int master_status;
};

/* The libfaketime library, or NULL when it is not installed. */
const char *pf_faketime_lib(void);
/* Postfix's mail_version ("3.7.11") into buf; 0 or -1. */
int pf_version(char *buf, size_t len);

/* spool_template: a queue made once by pf_template_make(), copied instead
 * of letting `postfix check` create every queue directory (which takes
 * seconds: post-install runs a command per directory). NULL: none. */
int pf_write_config(struct pf_instance *pf, const char *dir, const char *main_cf,
		    const char *master_cf, const char *faketime,
		    const char *spool_template, char *err, size_t errlen);
/* An instance with the base config, checked, whose spool/ serves as the
 * template for a whole run. */
int pf_template_make(const char *dir, char *err, size_t errlen);
int pf_check(struct pf_instance *pf, char *err, size_t errlen);
int pf_start(struct pf_instance *pf, char *err, size_t errlen);
/* Wait for the master's start line through t; 0, or -1 with err set. */
int pf_wait_ready(struct pf_instance *pf, struct ml_tail *t, int timeout_ms,
		  void (*line_cb)(void *, const struct ml_event *), void *arg,
		  char *err, size_t errlen);
void pf_stop(struct pf_instance *pf, int timeout_ms);

/* Reap exited children (we are PID 1 of the sandbox, so orphans come to
 * us): call often. Notes the master's own exit. Returns 1 when the master
 * has exited (its status in *status), else 0. */
int pf_reap(struct pf_instance *pf, int *status);

#endif
