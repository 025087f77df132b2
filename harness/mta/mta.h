/*
 * mta.h: the MTA under test, behind one interface (docs/mta-drivers.md).
 *
 * A driver knows one MTA: how to write its configuration into an instance
 * directory, start it, tell when it is ready, stop it and reap it, say its
 * version, and read its log. Its log lines become neutral events (struct
 * mta_event): the expectations (expect.h) and the runner see queue IDs,
 * recipients, statuses and TLS outcomes the same way whichever MTA wrote
 * them; only `log` expectations match the driver's own wording.
 *
 * Drivers: "postfix" (mta_postfix.c over pfinst.h), "exim" (mta_exim.c,
 * Debian's Exim 4.96 unpacked beside Postfix), "exec" (mta_exec.c, any
 * program described by commands). All run inside the scenario's sandbox.
 */
#ifndef MX_MTA_H
#define MX_MTA_H

#include <stddef.h>
#include <sys/types.h>

#define MTA_LINE_MAX 4096

/* What a log line says about TLS. */
enum mta_tls {
	MTA_TLS_NONE = 0,	/* nothing */
	MTA_TLS_ESTABLISHED,	/* a TLS session, the peer not verified */
	MTA_TLS_TRUSTED,	/* the peer's chain verified, its name not checked */
	MTA_TLS_VERIFIED,	/* chain and name verified (or DANE) */
	MTA_TLS_FAILED,		/* TLS or its verification failed: tls_reason */
};

/* "none", "established", "trusted", "verified", "failed". */
const char *mta_tls_name(enum mta_tls t);

/* One log line as an event. Fields a line does not have are "" (0). */
struct mta_event {
	char line[MTA_LINE_MAX];	/* the whole line, without the newline */
	char time[40];			/* as logged */
	char service[64];		/* "postfix/smtp", "postfix-in/smtpd", "exim" */
	char daemon[32];		/* "smtp", "smtpd", "qmgr", ... ("" for Exim) */
	long pid;
	char queue_id[32];		/* "8FCBEA74634", "1tHxyz-000123-AB" */
	const char *text;		/* points into line: the message after the
					 * prefix (the whole line when not parsed);
					 * a copy of the struct must re-point it */
	/* delivery lines */
	char rcpt[512];
	char orig_rcpt[512];
	char relay[300];		/* "mx.x[127.0.0.10]:25" */
	char dsn[16];			/* "2.0.0" */
	char status[16];		/* sent, deferred, bounced, expired */
	char status_text[1024];
	/* TLS */
	enum mta_tls tls;
	char tls_reason[256];		/* MTA_TLS_FAILED: the MTA's words */
};

/* A driver's line parser: 0 when the line has its log's shape, -1 when
 * not (ev->line and ev->text still hold the line). */
typedef int (*mta_parse_fn)(const char *line, size_t len, struct mta_event *ev);

/* ---- following a log file as it grows (mta_logtail.c) ----------------- */

struct ml_tail;

/* Follow path from its start, each line parsed by parse. NULL with err. */
struct ml_tail *ml_tail_open(const char *path, mta_parse_fn parse, char *err, size_t errlen);
void ml_tail_close(struct ml_tail *t);		/* NULL ok */
/* Next complete line as an event: 1 got one, 0 none within timeout_ms
 * (0: do not wait), -1 error. A partial last line waits for its newline. */
int ml_tail_next(struct ml_tail *t, struct mta_event *ev, int timeout_ms);
/* The fd to poll for "more may have arrived" (inotify). */
int ml_tail_fd(const struct ml_tail *t);

/* ---- the driver interface ---------------------------------------------- */

typedef void (*mta_event_fn)(void *arg, const struct mta_event *ev);

/*
 * One instance of an MTA in a sandbox. The runner fills dir, faketime and
 * cfg (the driver's own description: struct pf_config for postfix, struct
 * mta_exim_config, struct mta_exec_config), then calls the driver in this
 * order: render, start, wait_ready, (the scenario runs; reap now and then),
 * stop, release. The driver sets log (the file the runner follows) in
 * render and keeps its state in priv.
 */
struct mta {
	const struct mta_driver *drv;
	const char *dir;		/* the instance directory (created) */
	const char *faketime;		/* libfaketime offset, or NULL */
	const void *cfg;
	char log[4096];			/* set by render */
	void *priv;
};

struct mta_driver {
	const char *name;		/* "postfix", "exim", "exec" */
	const char *log_rel;		/* where its log usually is, relative to
					   the instance directory ("maillog") */
	const char *resolv_options;	/* the sandbox's resolv.conf "options"
					   line: Exim takes DNSSEC from the AD
					   bit, which glibc passes on only with
					   trust-ad; Postfix asks for it itself */
	/* Why the MTA cannot run on this machine (a skip reason), or NULL;
	 * called outside any sandbox, before a run. */
	const char *(*unmet)(char *buf, size_t len);
	/* Once per run, before any scenario, in a sandbox of its own: what
	 * every instance copies instead of making it again (Postfix: a queue
	 * template, pf_template_make), in dir. sys: the driver's view of the
	 * system (struct pf_system for postfix). NULL: nothing to prepare. */
	int (*prepare)(const char *dir, const void *sys, char *err, size_t errlen);
	/* The MTA's name and version ("Exim 4.96"), once m->cfg is set: 0,
	 * or -1 with err. */
	int (*version)(struct mta *m, char *buf, size_t len, char *err, size_t errlen);
	/* Write the configuration into m->dir and check it. */
	int (*render)(struct mta *m, char *err, size_t errlen);
	int (*start)(struct mta *m, char *err, size_t errlen);
	/* Until the MTA is ready (its log's word for it), feeding each line
	 * to fn; at most timeout_ms. */
	int (*wait_ready)(struct mta *m, struct ml_tail *t, int timeout_ms, mta_event_fn fn,
			  void *arg, char *err, size_t errlen);
	/* Collect what exited, without waiting: 1 when the MTA's main process
	 * has exited, 0 when it runs. */
	int (*reap)(struct mta *m);
	/* Stop what start started, by its PID, within timeout_ms (then kill). */
	void (*stop)(struct mta *m, int timeout_ms);
	void (*release)(struct mta *m);	/* free priv */
	mta_parse_fn parse;
};

extern const struct mta_driver mta_postfix, mta_exim, mta_exec;

/* The driver called name, or NULL. */
const struct mta_driver *mta_driver_find(const char *name);

/* The line's TLS outcome from Postfix's words (mta_postfix.c's parser uses
 * it; exported for tests). */
void mta_postfix_tls(struct mta_event *ev);

#endif
