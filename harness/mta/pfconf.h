/*
 * pfconf.h: Postfix configuration text read the way Postfix reads it.
 *
 * Logical lines (Postfix's readlline): a line that starts with white space
 * continues the one before it; comments (first non-blank character '#')
 * and blank lines are skipped and end nothing. A main.cf logical line is
 * "name = value"; a master.cf one is a service entry whose key is its
 * first two fields ("submission inet", "127.0.0.1:smtp inet").
 *
 * - cf_main_parse(): the parameter definitions of a main.cf text, with the
 *   file and line each came from, appended to a cf_main; several texts
 *   (the user's main.cf, then each layer over it) make one cf_main in
 *   which the last definition of a name wins.
 * - cf_master_parse(): the services of a master.cf text, fields split, with
 *   their "-o name=value" overrides.
 * - cf_overlay(): the text that results from writing over on top of under:
 *   under's definitions that over redefines become comments, then over
 *   follows. How a suite's or a scenario's [main.cf] applies over a
 *   configuration.
 * - cf_comment_out(): turn the definitions (continuation lines included)
 *   of the names a predicate picks into comments starting with mark.
 * - cf_expand(): $name, ${name} and $(name) replaced by their values as
 *   defined (recursively, to a bounded depth); NULL when a name is not
 *   known or a conditional form (${name?x}, ${name:x}) is used.
 *
 * Text results are malloc'ed; NULL when out of memory.
 */
#ifndef MX_PFCONF_H
#define MX_PFCONF_H

#include <stddef.h>

struct cf_def {
	char *name;
	char *value;		/* continuation lines joined by one space, trimmed */
	const char *origin;	/* file for messages (not owned: outlives the cf_main) */
	int line;		/* of its first physical line */
};

struct cf_main {
	struct cf_def *defs;	/* in file order */
	size_t n;
};

/* Append text's definitions; first_line is the line number of its first
 * line in origin. 0, or -1 when out of memory. */
int cf_main_parse(struct cf_main *m, const char *text, const char *origin, int first_line);
/* The definition in force (the last one), or NULL. */
const struct cf_def *cf_main_get(const struct cf_main *m, const char *name);
void cf_main_free(struct cf_main *m);

#define CF_MASTER_FIELDS 8	/* service type private unpriv chroot wakeup maxproc command */

struct cf_service {
	char *f[CF_MASTER_FIELDS];
	char **args;		/* after the command, "-o name=value" joined */
	size_t nargs;
	const char *origin;
	int line;
};

struct cf_master {
	struct cf_service *sv;
	size_t n;
};

/* Append text's services (a logical line with fewer than 8 fields is
 * skipped: `postfix check` reports it). 0, or -1 when out of memory. */
int cf_master_parse(struct cf_master *m, const char *text, const char *origin, int first_line);
void cf_master_free(struct cf_master *m);
/* The value of "-o name=value" (or "-o name = value") among a service's
 * args: a pointer into args, or NULL. */
const char *cf_service_option(const struct cf_service *s, const char *name);

/* under with over written on top (master: 1 for master.cf text); origin
 * names over in the separating comment. */
char *cf_overlay(const char *under, const char *over, const char *origin, int master);

/* The file and line a line of a layered text (cf_overlay's output) came
 * from: "lc/main.cf:4" into buf for line 29 under "# --- from lc/main.cf:1
 * ---" at line 25. -1 (buf "") for a line of no layer (the base, the
 * sandbox's own). */
int cf_origin_of_line(const char *text, int line, char *buf, size_t len);

/* Definitions whose key pick() accepts become "mark" + line. */
char *cf_comment_out(const char *text, int master, int (*pick)(const char *key, void *arg),
		     void *arg, const char *mark);

/* The key of the logical line starting at p (len bytes): a main.cf name or
 * "service type"; "" when the line is not a definition's first line. */
void cf_line_key(const char *p, size_t len, int master, char *key, size_t keylen);

/* value with every $name expanded through m, then defaults (NULL-terminated
 * name, value pairs). malloc'ed; NULL when something cannot be expanded
 * (or out of memory). */
char *cf_expand(const struct cf_main *m, const char *const *defaults, const char *value);

#endif
