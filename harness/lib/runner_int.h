/*
 * runner_int.h: between the runner's parent side (runner.c) and its
 * sandbox side (runner_sandbox.c).
 */
#ifndef MX_RUNNER_INT_H
#define MX_RUNNER_INT_H

#include <stdio.h>

#include "mxlab/server.h"
#include "dnsd.h"
#include "expect.h"
#include "maillog.h"
#include "pfinst.h"
#include "runner.h"
#include "sandbox.h"

struct rn_sandbox_arg {
	const struct scenario *sc;
	const char *dir;
	const char *label;
	int verbose;
	const char *spool_template;	/* pf_template_make() dir, or NULL */
	const struct pf_system *sys;	/* the system's Postfix (postconf -d) */
	const char *sandbox_root;	/* empty dir the sandbox's root is built on */
	int result_fd;		/* write end of the results pipe */
};

int rn_sandbox_main(void *arg);
/* Make the run's queue template (arg: struct rn_sandbox_arg, dir = the
 * template); reports "error" and "done" records like rn_sandbox_main. */
int rn_template_main(void *arg);
/* The file system of a's sandbox (its dir writable), and the lists it
 * points to. */
struct rn_fs {
	struct sb_fs fs;
	struct sb_cover cover[4];
	const char *rw[2], *ro[3];
};
void rn_sandbox_fs(const struct rn_sandbox_arg *a, struct rn_fs *f, const char *hosts,
		   const char *resolv);

/* The instance's name in the sandbox's /etc/hosts (127.0.0.1). */
#define INSTANCE_NAME "postfix.mxlab.test"
/* The realm of [sasl] users: the base main.cf's myhostname. */
#define INSTANCE_REALM "postfix.mxlab.test"

/* The state of one scenario inside its sandbox. */
struct box {
	const struct rn_sandbox_arg *a;
	const struct scenario *sc;
	FILE *out;
	long t0;
	char pki[1200], inst[1200];
	struct sc_vars vars;
	struct dnsd *dns;
	mxlab_server **srv;
	size_t nsrv;
	struct ex_server *exs;
	struct pf_instance pf;
	int pf_started;
	struct ml_tail *tail;
	char **status_seen;	/* recipients with a status line so far */
	size_t nstatus_seen;
	struct mxlab_client_result *cres;	/* one per [client NAME] */
	struct ex_client *exc;
	size_t nclients_run;
	struct mxlab_probe_report *prep;	/* one per [probe NAME] */
	struct ex_probe *exp;
	size_t nprobes_run;
};

/* runner_sandbox.c */
int rn_box_fail(struct box *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rn_box_phase(struct box *b, const char *name);
int rn_write_text(const char *path, const char *text);

/* runner_inbound.c */
int rn_setup_sasl(struct box *b, char **main_cf);
int rn_run_clients(struct box *b);
int rn_run_probes(struct box *b);

#endif
