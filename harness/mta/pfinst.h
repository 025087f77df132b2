/*
 * pfinst.h: a private, stock Postfix instance for one scenario.
 *
 * The instance lives in one directory: etc/main.cf and etc/master.cf (a
 * safe base with the scenario's text applied over it), spool/ (the queue),
 * data/, and maillog (maillog_file). /etc/postfix and the system queue are
 * never read or written: every Postfix command gets -c DIR/etc.
 *
 * pf_system_load(): the system's Postfix as compiled in (`postconf -d`
 * with an empty configuration): its version, its binaries' directories,
 * and the locations of its own configuration, queue, data and mail spool.
 * The binaries an instance runs come from here, never from a scenario.
 *
 * pf_write_config(): the base main.cf, then the scenario's parameters
 * replace base parameters of the same name (others are added), then the
 * parameters the sandbox owns (PF_OWNED_PARAMS: the instance's directories
 * and maillog, the system's binaries, mail_owner, setgid_group, no
 * multi-instance), last so that they win over anything said before; the
 * base master.cf, then the scenario's entries replace base entries with the
 * same service name and type (others are added).
 * pf_check(): `postfix -c DIR/etc check` (creates the queue directories).
 * pf_start(): execs the system's master daemon itself (so its PID is ours),
 * under libfaketime when a clock offset is asked for; pf_wait_ready() waits
 * for its "daemon started" line in the maillog; pf_stop() sends SIGTERM and
 * waits (bounded) for it to exit.
 */
#ifndef MX_PFINST_H
#define MX_PFINST_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "maillog.h"

/* The main.cf parameters the sandbox owns, in the order written. */
#define PF_OWNED_PARAMS "config_directory", "queue_directory", "data_directory", \
	"maillog_file", "maillog_file_prefixes", "daemon_directory", "command_directory", \
	"meta_directory", "shlib_directory", "sendmail_path", "newaliases_path", \
	"mailq_path", "mail_owner", "setgid_group", "multi_instance_enable", \
	"multi_instance_directories"

/* postconf -d values; each a malloc'd string. */
enum pf_sys_param {
	PF_SYS_VERSION, PF_SYS_CONFIG_DIR, PF_SYS_QUEUE_DIR, PF_SYS_DATA_DIR,
	PF_SYS_MAIL_SPOOL, PF_SYS_DAEMON_DIR, PF_SYS_COMMAND_DIR, PF_SYS_META_DIR,
	PF_SYS_SHLIB_DIR, PF_SYS_SENDMAIL, PF_SYS_NEWALIASES, PF_SYS_MAILQ,
	PF_SYS_MAIL_OWNER, PF_SYS_SETGID_GROUP, PF_SYS_N
};

struct pf_system {
	char *v[PF_SYS_N];
};

/* 0, or -1 with err set (Postfix not installed, postconf failed). */
int pf_system_load(struct pf_system *sys, char *err, size_t errlen);
void pf_system_free(struct pf_system *sys);

/* Entries of the system's meta_directory an instance reads (dynamicmaps,
 * postfix-files, post-install's scripts): NULL-terminated. */
extern const char *const pf_meta_files[];

struct pf_instance {
	char dir[PATH_MAX];	/* each exact: pf_write_config() refuses longer */
	char etc[PATH_MAX];
	char maillog[PATH_MAX];
	char spool[PATH_MAX];
	char data[PATH_MAX];
	char *master;		/* the system's master daemon */
	char *postfix;		/* the system's postfix command */
	pid_t master_pid;
	char faketime[32];	/* "" when the clock is right */
	int master_exited;
	int master_status;
};

/* The libfaketime library, or NULL when it is not installed. */
const char *pf_faketime_lib(void);

/* A text written over the configuration: a suite's or the scenario's
 * [main.cf] / [master.cf] (variables expanded), in the order applied. */
struct pf_layer {
	const char *text;
	const char *file;	/* where it was written, and its first line */
	int line;
};

/*
 * What an instance's configuration is made of. Without user_main, the
 * safe base (catalogue scenarios); with it, the user's own configuration
 * (postfix-config), which lives in the system's config_directory inside
 * the sandbox (etc: a private copy bound there), and which the sandbox
 * changes only as pf_changes records: the owned parameters, plus
 * inet_interfaces; every master.cf chroot column set to n, inet services'
 * host parts made 127.0.0.1; a postlog service added when missing.
 */
struct pf_config {
	const char *user_main, *user_master;
	const char *etc;	/* where the configuration is (with user_main: where
				   it is seen); NULL: DIR/etc */
	const struct pf_layer *main_layers;
	size_t nmain;
	const struct pf_layer *master_layers;
	size_t nmaster;
	const char *faketime;	/* libfaketime offset, or NULL */
	/* a queue made once by pf_template_make(), copied instead of letting
	 * `postfix check` create every queue directory (which takes seconds:
	 * post-install runs a command per directory). NULL: none. */
	const char *spool_template;
};

/* Changes the sandbox made to a user's configuration, one line each:
 * "queue_directory: /var/spool/postfix -> /w/001-x/postfix/spool". */
struct pf_changes {
	char **v;
	size_t n;
};
int pf_changes_add(struct pf_changes *ch, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void pf_changes_free(struct pf_changes *ch);

/* Write etc/main.cf and etc/master.cf (ch may be NULL). */
int pf_write_config(struct pf_instance *pf, const char *dir, const struct pf_config *cfg,
		    const struct pf_system *sys, struct pf_changes *ch, char *err, size_t errlen);
/* An instance with the base config, checked, whose spool/ serves as the
 * template for a whole run (run it inside a sandbox). */
int pf_template_make(const char *dir, const struct pf_system *sys, char *err, size_t errlen);
/* Every service of master.cf text runs a program of the daemon directory:
 * a command with '/' (say ../../../bin/sh) is refused: -1, the line of the
 * service in *bad_line (counted from first_line), "master.cf service NAME:
 * ..." in err. 0 when every command is a plain name. pf_write_config()
 * checks it too. */
int pf_master_cf_check(const char *text, int first_line, int *bad_line, char *err,
		       size_t errlen);
/* pfinst_text.c: the files pf_write_config() writes (malloc'd, NULL when
 * out of memory). */
char *pf_main_cf_text(const struct pf_instance *pf, const struct pf_system *sys,
		      const struct pf_config *cfg, struct pf_changes *ch);
char *pf_master_cf_text(const struct pf_config *cfg, struct pf_changes *ch);
/* Free what pf_write_config() allocated (after pf_stop). */
void pf_instance_free(struct pf_instance *pf);
int pf_check(struct pf_instance *pf, char *err, size_t errlen);
/* The cheap check: `postconf -c ETC -n` (main.cf's syntax), tens of ms
 * where `postfix check` takes hundreds. 0, or -1 with postconf's fatal line. */
int pf_check_syntax(struct pf_instance *pf, char *err, size_t errlen);
int pf_start(struct pf_instance *pf, char *err, size_t errlen);
/* Wait for the master's start line through t; 0, or -1 with err set. */
int pf_wait_ready(struct pf_instance *pf, struct ml_tail *t, int timeout_ms,
		  void (*line_cb)(void *, const struct mta_event *), void *arg,
		  char *err, size_t errlen);
void pf_stop(struct pf_instance *pf, int timeout_ms);

/* Reap exited children (we are PID 1 of the sandbox, so orphans come to
 * us): call often. Notes the master's own exit. Returns 1 when the master
 * has exited (its status in *status), else 0. */
int pf_reap(struct pf_instance *pf, int *status);

#endif
