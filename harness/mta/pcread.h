/*
 * pcread.h: a Postfix configuration directory as `mxlab init` reads it:
 * what postconf says about it, and where each thing is written.
 *
 * pcr_load() takes the text of `postconf -c DIR -n` (the parameters the
 * configuration sets), `postconf -c DIR -x` (every parameter, expanded),
 * `postconf -c DIR -M` (master.cf, one entry a line), `postconf -c DIR
 * -P -x` (the -o overrides, expanded), and the text of DIR/main.cf and
 * DIR/master.cf, from which it takes line numbers. Every text is read with
 * pfconf.h (Postfix's logical lines). Nothing here runs a program or opens
 * a file: cmd_init.c does, and the unit tests hand in text.
 *
 * Lookups: pcr_value() the effective main.cf value (Postfix's default
 * when not set), pcr_set() what main.cf writes (with its line),
 * pcr_svc_value() the value a master.cf service runs with (its -o, else
 * main.cf's). The files themselves stay available as pfconf's cf_main and
 * cf_master (for pfrefs.h). Errors: pcr_load() returns -1 with a message
 * (out of memory, or postconf text it cannot read).
 */
#ifndef MX_PCREAD_H
#define MX_PCREAD_H

#include <stddef.h>

#include "pfconf.h"

struct pcr_param {
	char *name;
	char *value;
	int line;		/* main.cf line (logical line start); 0: not known */
};

struct pcr_service {
	char *name;		/* "smtp", "submission", "127.0.0.1:2525" */
	char *type;		/* "inet", "unix", "pass", ... */
	char *fields[5];	/* private unpriv chroot wakeup maxproc */
	char *command;		/* "smtpd", "postscreen" */
	char *entry;		/* the whole entry as postconf -M prints it */
	int line;		/* master.cf line of the entry; 0: not known */
	struct pcr_param *opts;	/* -o overrides, expanded (postconf -P -x), with
				   the master.cf line of each -o */
	size_t nopts;
};

struct pcr_conf {
	struct pcr_param *set;	/* postconf -n, values as written */
	size_t nset;
	struct pcr_param *all;	/* postconf -x: every parameter, expanded */
	size_t nall;
	struct pcr_service *svc;	/* postconf -M, in master.cf order */
	size_t nsvc;
	struct cf_main main_cf;		/* DIR/main.cf as written (origin "main.cf") */
	struct cf_master master_cf;	/* DIR/master.cf as written */
};

struct pcr_text {
	const char *n;		/* postconf -n */
	const char *x;		/* postconf -x */
	const char *m;		/* postconf -M */
	const char *p;		/* postconf -P -x */
	const char *main_cf;	/* DIR/main.cf (may be NULL: no line numbers) */
	const char *master_cf;	/* DIR/master.cf (may be NULL) */
};

int pcr_load(struct pcr_conf *c, const struct pcr_text *t, char *err, size_t errlen);
void pcr_free(struct pcr_conf *c);

/* The effective value (expanded; Postfix's default when main.cf does not
 * set it), or "" for a parameter postconf did not list. */
const char *pcr_value(const struct pcr_conf *c, const char *name);

/* The definition main.cf writes, or NULL. */
const struct pcr_param *pcr_set(const struct pcr_conf *c, const char *name);

/* The value service s runs with: its -o override (then *opt is set to it),
 * else pcr_value() (then *opt is NULL). opt may be NULL. */
const char *pcr_svc_value(const struct pcr_conf *c, const struct pcr_service *s,
			  const char *name, const struct pcr_param **opt);

/* Boolean parameters as Postfix reads them ("yes", "true", "1"...). */
int pcr_yes(const char *value);

#endif
