/*
 * runner_int.h: between the runner's parent side (runner.c) and its
 * sandbox side (runner_sandbox.c).
 */
#ifndef MX_RUNNER_INT_H
#define MX_RUNNER_INT_H

#include <stdio.h>

#include "mxlab/server.h"
#include "dnsd.h"
#include "fsutil.h"
#include "expect.h"
#include "maillog.h"
#include "mta.h"
#include "mta_exec.h"
#include "mta_exim.h"
#include "mta_proc.h"
#include "mta_postfix.h"
#include "pfinst.h"
#include "pfrefs.h"
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
	mxlab_pki_keys *pki_keys;	/* rn_options' (the sandbox has a copy) */
	int keep;			/* the directory is kept even if it passes */
	int steps;			/* send the dialogue as "step" records */
	int result_fd;		/* write end of the results pipe */
	int shell;		/* the lab shell instead of the run (lab_shell.c) */
	int pty_master, pty_slave;	/* its terminal (runner.c), -1 without */
};

int rn_sandbox_main(void *arg);
/* Make the run's queue template (arg: struct rn_sandbox_arg, dir = the
 * template); reports "error" and "done" records like rn_sandbox_main. */
int rn_template_main(void *arg);
/* The file system of a's sandbox (its dir writable), and the lists it
 * points to. */
struct rn_fs {
	struct sb_fs fs;
	struct sb_cover cover[5];
	const char *rw[2], *ro[4], *ro_exec[2];
	const char *etc_skip[2];
};
void rn_sandbox_fs(const struct rn_sandbox_arg *a, struct rn_fs *f, const char *hosts,
		   const char *resolv);

/* The scenario's directory as the sandbox also shows it, and its Postfix
 * instance there: a short path whatever the work directory's, because
 * Postfix's socket paths (queue_directory/public/..., postlog) have at most
 * 107 bytes. */
#define RN_BOX_DIR "/run/mxlab"
#define RN_BOX_INSTANCE RN_BOX_DIR "/postfix"

/* The instance's name in the sandbox's /etc/hosts (127.0.0.1). */
#define INSTANCE_NAME "postfix.mxlab.test"
/* The realm of [sasl] users: the base main.cf's myhostname. */
#define INSTANCE_REALM "postfix.mxlab.test"

/* A file the sandbox shows at path (a user configuration's certificate,
 * a [files] entry): from the PKI (pki_rel) or the text. */
struct rn_provide {
	char *path;
	char *pki_rel;		/* relative to the PKI directory, or NULL */
	const char *text;	/* not owned (the scenario's) */
	size_t len;
	char *why;		/* "PKI mail.example/good/fullchain.pem for smtpd_tls_..." */
};

/* A user's own configuration (postfix-config), runner_config.c. */
struct rn_conf {
	int on;
	char *copy;		/* DIR/postfix/etc: the private copy */
	char *main_text, *master_text;
	char *main_origin, *master_origin;	/* "USERDIR/main.cf" */
	struct cf_refs refs;
	struct rn_provide *prov;
	size_t nprov;
	const char **private_dirs;	/* NULL-terminated, for sb_fs */
	size_t nprivate;
	char **pki_hosts;
	size_t npki_hosts;
	struct pf_changes changes;
};

/* The MTA-STS resolver beside the MTA (runner_sts.c). */
struct rn_sts {
	int on;				/* requires = mta-sts-resolver */
	char dir[MX_PATH_MAX];		/* DIR/mta-sts: config, log, CA bundle */
	char ca[MX_PATH_MAX];		/* the bundle /etc/ssl/certs shows */
	char seed[MX_PATH_MAX];		/* mta-sts-cache: DIR/mta-sts/cache-seed.json, or "" */
	const char *own[3];		/* sb_fs.etc_own */
	struct mta_proc proc;
	int notify;			/* its NOTIFY_SOCKET, or -1 */
};

/* The state of one scenario inside its sandbox. */
struct box {
	const struct rn_sandbox_arg *a;
	const struct scenario *sc;
	FILE *out;
	long t0;
	char pki[MX_PATH_MAX], inst[MX_PATH_MAX];
	int pki_under;			/* the host's pki/ under the PKI's tmpfs, or -1 */
	struct sc_vars vars;
	struct dnsd *dns;
	mxlab_server **srv;
	size_t nsrv;
	struct ex_server *exs;
	struct mta mta;			/* the MTA under test (its driver, mta.h) */
	struct mta_postfix_config pfc;	/* mta.cfg for the postfix driver */
	struct mta_exim_config exim;	/* ... for exim */
	struct mta_exec_config exec;	/* ... for exec */
	char *exim_own[7];		/* sb_fs.etc_own for exim (mta_exim_etc) */
	char *mta_text[6];		/* expanded [exim.conf] / [exec] values */
	size_t nmta_text;
	char box_inst[64];		/* the instance as the sandbox shows it:
					   RN_BOX_DIR/DRIVER (RN_BOX_INSTANCE
					   for postfix) */
	int mta_started;
	struct ml_tail *tail;
	char **status_seen;	/* recipients with a status line so far */
	size_t nstatus_seen;
	struct mxlab_client_result *cres;	/* one per [client NAME] */
	struct ex_client *exc;
	size_t nclients_run;
	struct mxlab_probe_report *prep;	/* one per [probe NAME] */
	struct ex_probe *exp;
	size_t nprobes_run;
	struct pf_layer *ml, *msl;	/* main.cf and master.cf layers, expanded */
	size_t nml, nmsl;
	struct rn_conf conf;
	struct ex_set *expect;		/* this run's state (sc_expect_new) */
	char **ml_steps;		/* maillog lines for the report's diagram
					   (runner_steps.c) */
	size_t nml_steps;
	FILE *say;			/* not NULL: errors go here as text, not to
					   the runner (a lab shell's check) */
	int checked, solved;		/* the lab shell: a check ran; it passed */
	struct rn_sts sts;
};

/* runner_sandbox.c */
int rn_box_fail(struct box *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void rn_box_phase(struct box *b, const char *name);
int rn_write_text(const char *path, const char *text);
/* mx_path() into buf, or rn_box_fail "PATH: path too long": 0 or -1. */
int rn_box_path(struct box *b, char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A problem of the user's configuration (postfix-config): like
 * rn_box_fail, and the run exits 2. */
int rn_box_config_fail(struct box *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A change the sandbox made to the user's configuration (recorded, and
 * printed with -v). */
void rn_box_change(struct box *b, const char *text);
/* A record on the results pipe: kind, then n fields (escaped); rn_record
 * writes one to out before a box exists (the queue template's sandbox).
 * runner_box.c. */
void rn_record(FILE *out, const char *kind, int n, const char *const *fields);
void rn_box_record(struct box *b, const char *kind, int n, const char *const *fields);
/* A line for the runner's log (-v only): a "log" record on the pipe. */
void rn_box_log(struct box *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* runner_config.c and runner_provide.c */
int rn_layers(struct box *b);		/* b->ml / b->msl from the scenario */
void rn_layers_free(struct box *b);
int rn_conf_prepare(struct box *b);	/* before sb_enter: copy, read, plan */
int rn_conf_plan(struct box *b);	/* runner_provide.c: the files to show */
int rn_conf_plan_files(struct box *b);	/* [files] alone (also without postfix-config) */
int rn_path_inside(const char *path, const char *dir);	/* dir itself or below */
/* Copy the tree of directory sfd into dfd (files, directories, links; at
 * most 64 MiB and 4096 entries): 0, or -1 with "NAME: why" in err. */
int rn_copy_tree(int sfd, int dfd, char *err, size_t errlen);
void rn_conf_fs(struct box *b, struct rn_fs *f);	/* what the sandbox adds */
int rn_conf_provide(struct box *b);	/* after the PKI: write the files */
int rn_conf_maps(struct box *b);	/* after main.cf: references exist, maps built */
void rn_conf_free(struct box *b);

/* runner_world.c: hosts and resolv.conf for the sandbox (their paths into
 * hosts and resolv), the PKI, the fake DNS, the fake servers; 0 or -1
 * (reported). */
int rn_write_net_files(struct box *b, char *hosts, char *resolv, size_t len);
int rn_make_pki(struct box *b);
int rn_start_dns(struct box *b);
int rn_start_servers(struct box *b);

/* runner_mta.c: before the sandbox, exim's /etc files (rn_mta_prepare)
 * and what its file system adds (rn_mta_fs); inside, the exim and exec
 * drivers' descriptions (b->mta.cfg) from the scenario. 0 or -1 (reported). */
int rn_mta_prepare(struct box *b);
void rn_mta_fs(struct box *b, struct rn_fs *f);
int rn_mta_config(struct box *b);
void rn_mta_free(struct box *b);
/* Configure, start and wait for the scenario's MTA: 0 or -1 (reported);
 * in two steps, launch (configure, check, exec) and ready (its ready
 * line), so that a daemon that needs no peer to start (rn_mta_starts_early)
 * starts while the PKI and the peers are made. */
int rn_start_mta(struct box *b);
int rn_mta_starts_early(const struct box *b);
int rn_mta_launch(struct box *b);
int rn_mta_ready(struct box *b);

/* runner_sts.c: the MTA-STS resolver (docs/mta-sts.md): wanted, unmet
 * (a reason, or NULL), prepared before the sandbox, its file system, the
 * PKI's root as its CA bundle, launched early, waited for, stopped. */
const char *rn_sts_root(void);
int rn_sts_wanted(const struct scenario *sc);
const char *rn_sts_unmet(const struct scenario *sc, char *buf, size_t len);
int rn_sts_prepare(struct box *b);
void rn_sts_fs(struct box *b, struct rn_fs *f);
int rn_sts_trust(struct box *b);
int rn_sts_launch(struct box *b);
int rn_sts_ready(struct box *b);
void rn_sts_stop(struct box *b);

/* runner_sandbox.c: every line of the MTA's log: to the expectations, to
 * the runner's log with -v; which recipients have a status. */
void rn_on_line(void *arg, const struct mta_event *ev);

/* runner_steps.c: the dialogue as "step" records for the HTML report:
 * each maillog event first (rn_steps_event), at the end rn_steps_report
 * (stops the fake servers to read their transcripts). */
void rn_steps_event(struct box *b, const struct mta_event *ev);
void rn_steps_report(struct box *b);
void rn_steps_free(struct box *b);

/* runner_sandbox.c: the scenario's [send], and the maillog fed to the
 * expectations until they are decided or the timeout (from b->t0). */
int rn_send_mail(struct box *b);
int rn_observe(struct box *b);

/* lab_shell.c: the lab shell, once the world is up: 1 when the last
 * `mxlab lab check` passed, 0 when it failed, -1 (reported) when none ran
 * or the shell could not start. lab_check.c: one check, its text on out:
 * 1 every goal holds, 0 not, -1 it could not run. */
int rn_lab_shell(struct box *b);
int rn_lab_check(struct box *b, FILE *out);

/* runner_inbound.c */
char *rn_sasl_layer(struct box *b);	/* the [sasl] main.cf text, or NULL */
int rn_setup_sasl(struct box *b);
int rn_run_clients(struct box *b);
int rn_run_probes(struct box *b);

#endif
