/*
 * pfconf.h: a Postfix configuration directory as `mxlab init` reads it:
 * what postconf says about it, and where each thing is written.
 *
 * pfc_load() takes the text of `postconf -c DIR -n` (the parameters the
 * configuration sets), `postconf -c DIR -x` (every parameter, expanded),
 * `postconf -c DIR -M` (master.cf, one entry a line), `postconf -c DIR
 * -P -x` (the -o overrides, expanded), and the text of DIR/main.cf and
 * DIR/master.cf, from which it takes line numbers the way Postfix reads
 * those files (logical lines: a line starting with white space continues
 * the one before; comments and blank lines end nothing). Nothing here runs
 * a program or opens a file: cmd_init.c does, and the unit tests hand in
 * text.
 *
 * Lookups: pfc_value() the effective main.cf value (Postfix's default
 * when not set), pfc_set() what main.cf writes (with its line),
 * pfc_svc_value() the value a master.cf service runs with (its -o, else
 * main.cf's). Errors: pfc_load() returns -1 with a message (out of
 * memory, or postconf text it cannot read).
 */
#ifndef MX_PFCONF_H
#define MX_PFCONF_H

#include <stddef.h>

struct pfc_param {
	char *name;
	char *value;
	int line;		/* main.cf line (logical line start); 0: not known */
};

struct pfc_service {
	char *name;		/* "smtp", "submission", "127.0.0.1:2525" */
	char *type;		/* "inet", "unix", "pass", ... */
	char *fields[5];	/* private unpriv chroot wakeup maxproc */
	char *command;		/* "smtpd", "postscreen" */
	char *entry;		/* the whole entry as postconf -M prints it */
	int line;		/* master.cf line of the entry; 0: not known */
	struct pfc_param *opts;	/* -o overrides, expanded (postconf -P -x), with
				   the master.cf line of each -o */
	size_t nopts;
};

struct pfc_conf {
	struct pfc_param *set;	/* postconf -n, values as written */
	size_t nset;
	struct pfc_param *all;	/* postconf -x: every parameter, expanded */
	size_t nall;
	struct pfc_service *svc;	/* postconf -M, in master.cf order */
	size_t nsvc;
};

struct pfc_text {
	const char *n;		/* postconf -n */
	const char *x;		/* postconf -x */
	const char *m;		/* postconf -M */
	const char *p;		/* postconf -P -x */
	const char *main_cf;	/* DIR/main.cf (may be NULL: no line numbers) */
	const char *master_cf;	/* DIR/master.cf (may be NULL) */
};

int pfc_load(struct pfc_conf *c, const struct pfc_text *t, char *err, size_t errlen);
void pfc_free(struct pfc_conf *c);

/* The effective value (expanded; Postfix's default when main.cf does not
 * set it), or "" for a parameter postconf did not list. */
const char *pfc_value(const struct pfc_conf *c, const char *name);

/* The definition main.cf writes, or NULL. */
const struct pfc_param *pfc_set(const struct pfc_conf *c, const char *name);

/* The value service s runs with: its -o override (then *opt is set to it),
 * else pfc_value() (then *opt is NULL). opt may be NULL. */
const char *pfc_svc_value(const struct pfc_conf *c, const struct pfc_service *s,
			  const char *name, const struct pfc_param **opt);

/* Boolean parameters as Postfix reads them ("yes", "true", "1"...). */
int pfc_yes(const char *value);

/*
 * Postfix's logical lines over text: calls fn for each, with the line
 * number where it starts and its text (the physical lines joined with a
 * space, the leading white space of continuations dropped). Returns what
 * fn last returned when it was not 0, else 0.
 */
int pfc_logical_lines(const char *text, int (*fn)(void *arg, int line, const char *text),
		      void *arg);

#endif
