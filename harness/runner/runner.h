/*
 * runner.h: running one scenario against a private Postfix.
 *
 * The parent side (rn_job_*) makes the scenario's directory, clones the
 * sandbox (sandbox.h) and reads the results the sandbox writes on a pipe;
 * it kills the sandbox when the hard deadline passes. The sandbox side
 * (PID 1 of the namespaces) writes hosts and resolv.conf, generates the
 * PKI, starts the fake DNS and servers, writes and starts Postfix, sends
 * [send], feeds the maillog to the expectations until all are decided or
 * the timeout passes, then stops everything by PID.
 *
 * Scenario directory (kept with --keep, and on failure; inside the sandbox
 * it is also RN_BOX_DIR, /run/mxlab, where the instance runs):
 *   pki/                       the PKI (certs-gen, manifest.json)
 *   postfix/etc/main.cf ...    the instance (${instance}); postfix/maillog
 *   servers/NAME/transcript.jsonl, servers/NAME/mailbox/
 *   hosts, resolv.conf         what the sandbox sees as /etc/...
 *   result.txt                 what failed and why
 */
#ifndef MX_RUNNER_H
#define MX_RUNNER_H

#include <stddef.h>
#include <termios.h>
#include <sys/types.h>

#include "mxlab/certs.h"
#include "pfinst.h"
#include "scenario.h"

enum rn_status { RN_PASS = 0, RN_FAIL, RN_ERROR, RN_SKIP };

struct rn_check {
	int line;
	char *text;
	int passed;
	char *why;
	char *evidence;
};

struct rn_timing {
	char *name;
	long ms;		/* since the sandbox started */
};

/* One arrow or note of the scenario's dialogue (runner_steps.c): from and
 * to "client", "peer" or "postfix" (the MTA under test; equal: a note on
 * that column); kind
 * smtp, starttls, tls, verdict, status, message, note or chain. */
struct rn_step {
	char *from, *to, *kind, *text;
};

/* A TLS outcome of the scenario's maillog (runner_tls.c): a destination
 * and cause as `mxlab diagnose` reports them, with its RFC 8460 result
 * type. */
struct rn_tls {
	char *daemon;		/* "smtp" (outbound) or "smtpd" (inbound) */
	char *destination;	/* smtp: the MX host; smtpd: the client */
	char *cause;		/* "untrusted-issuer", "expired", ... */
	char *result_type;	/* "certificate-not-trusted", ... */
	int failure;		/* a failure (not a note: sent anyway) */
	unsigned long long count;
};

struct rn_result {
	enum rn_status status;
	double seconds;
	char *message;		/* error or skip reason; NULL */
	struct rn_check *checks;
	size_t nchecks;
	struct rn_timing *timings;
	size_t ntimings;
	char *dir;		/* the scenario directory */
	int kept;		/* dir was kept */
	int config_error;	/* the error is the user's configuration's
				   (postfix-config): the run exits 2 */
	char **changes;		/* what the sandbox changed in a user's
				   configuration, and the files it provided */
	size_t nchanges;
	struct rn_step *steps;	/* the dialogue (with rn_options.steps) */
	size_t nsteps;
	struct rn_tls *tls;	/* the maillog's TLS outcomes (Postfix) */
	size_t ntls;
};

void rn_result_free(struct rn_result *r);
/* runner_tls.c: r->tls from the logs beneath dir, the scenario's
 * directory: the MTA-STS resolver's, if any, and the maillog at
 * maillog_rel (Postfix's, "postfix/maillog"); nothing when they cannot
 * be read. */
void rn_tls_read(struct rn_result *r, const char *dir, const char *maillog_rel);

struct rn_options {
	int verbose;		/* stream the maillog, the configuration changes and
				   the clients' ends through log */
	/* Called, in the runner's process, with each such line as it comes
	 * (label: the scenario's display name). The library prints nothing
	 * itself. NULL: the lines are dropped. */
	void (*log)(void *arg, const char *label, const char *line);
	void *log_arg;
	int keep;		/* keep every scenario directory */
	int shell;		/* the lab shell once the world is up, on this
				   process's stdin/stdout (a new pty relayed to
				   them when stdin is a terminal); no deadline */
	int steps;		/* record the dialogue (rn_result.steps), for
				   the HTML report */
	const char *spool_template;	/* a Postfix queue made once per run */
	const struct pf_system *sys;	/* the system's Postfix (pf_system_load) */
	const char *sandbox_root;	/* an empty directory sandboxes build on */
	mxlab_pki_keys *pki_keys;	/* keys every scenario's PKI takes (made
					   once a run, inherited by the sandboxes),
					   or NULL: each makes its own */
};

/* Host keys made once a run: the catalogue's scenarios have 1-3 PKI hosts,
 * a suite `mxlab init` wrote from examples/postfix 9; a scenario with more
 * makes the others' keys itself. 13 keys: about 20-40 ms once a run. */
#define RN_PKI_HOST_KEYS 10

/* Make the run's queue template in dir, in a sandbox. 0 or -1 (err). */
int rn_template_make(const char *dir, const struct rn_options *opt, char *err, size_t errlen);

struct rn_job {
	const struct scenario *sc;
	const char *label;	/* display name */
	pid_t pid;		/* the sandbox, -1 when done */
	int fd;			/* results pipe, -1 when closed */
	char *buf;		/* what came on the pipe */
	size_t len, cap;
	long start_ms, deadline_ms;
	int killed;		/* hard deadline passed */
	int tty_saved;		/* the lab shell: tty's modes, restored at the end */
	struct termios tty;
	size_t scanned;		/* buf up to here holds whole records, log
				   records taken out */
	void (*log)(void *arg, const char *label, const char *line);
	void *log_arg;
	struct rn_result res;
};

/* Why the scenario cannot run here, or NULL (checked before starting);
 * sys: the system's Postfix (NULL: not installed). */
const char *rn_requires_unmet(const struct scenario *sc, const struct pf_system *sys,
			      char *buf, size_t len);

/* Start the scenario in its sandbox, in dir (created). 0 or -1 (err). */
int rn_job_start(struct rn_job *j, const struct scenario *sc, const char *label,
		 const char *dir, const struct rn_options *opt, char *err, size_t errlen);
/* Read what is there on j->fd (call when poll says so). Returns 1 when the
 * job has ended (results complete), else 0. */
int rn_job_read(struct rn_job *j);
/* Kill the sandbox if its hard deadline has passed; 1 when killed now. */
int rn_job_check_deadline(struct rn_job *j, long now_ms);
/* Finish j->res from what the sandbox sent. The sandbox is waited for,
 * except one that passed and whose directory is not kept: its PID is
 * returned (else -1), and the caller reaps it with rn_exiting_reap(),
 * which then removes its directory (j->res.dir). */
pid_t rn_job_finish(struct rn_job *j, const struct rn_options *opt);
/* Reap a sandbox rn_job_finish() returned and remove dir: 1 when done,
 * 0 while it is still exiting (wait 0: do not block). */
int rn_exiting_reap(pid_t pid, const char *dir, int wait);
void rn_job_kill(struct rn_job *j);

long rn_now_ms(void);

#endif
