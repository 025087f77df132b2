/*
 * scenario.h: reading scenario files (the grammar is docs/scenario-format.md).
 *
 * sc_load() reads one file into a struct scenario and checks everything it
 * can before anything starts: sections and keys, values, server keys (via
 * mxlab_server_config_set on the values with ${...} variables replaced by
 * placeholders), [dns] lines (dnsd_record_parse), [expect] lines
 * (ex_parse, regexes compiled), servers without an address, expectations
 * naming a server that does not exist. Every problem is reported as
 * "FILE:LINE: what is wrong" (several per file), and the run stops.
 *
 * Variables, replaced at run time by sc_expand() in [main.cf], [master.cf]
 * and the values of [server NAME] and [client NAME] (the only places they
 * are allowed): ${pki} (the PKI directory), ${instance} (the Postfix
 * instance directory, holding etc/ spool/ maillog), ${scenario} (the
 * scenario file's directory, absolute), ${name} (the scenario name).
 * Unknown variables are errors at load time; so is a known one written
 * where it is not expanded ([scenario], [dns], [send], [expect]).
 *
 * What the runner gets is stored raw: struct sc_kv values are as written,
 * ${...} included. sc_server_config() turns a [server NAME] into a server
 * configuration the way the loader checked it.
 *
 * Suites: a file named suite.scn is not a scenario; its sections are the
 * defaults of every scenario in its directory and below. sc_load() applies
 * the suite.scn of the scenario's directory and of every directory above
 * it, outermost first, then the scenario itself; the merge rules are in
 * docs/scenario-format.md ("Suites") and in the comments of struct
 * scenario below. Every check that needs the whole scenario (servers named
 * by [expect], recipients) runs on the result. Whatever came from a suite
 * records it: the origin fields name the file that said it.
 */
#ifndef MX_SCENARIO_H
#define MX_SCENARIO_H

#include <stddef.h>

#include "mxlab/error.h"
#include "mxlab/server.h"
#include "mxlab/client.h"
#include "dnsd.h"
#include "expect.h"
#include "mta.h"

struct sc_suite;		/* a suite.scn (sc_suite_load) */

struct sc_kv {
	int line;
	char *key;		/* trimmed left side of '=' */
	char *value;		/* trimmed right side, ${...} not expanded */
};

/* The [lab] section (scenario_lab.c, docs/labs.md); line 0: none. */
struct sc_lab {
	int line;		/* of [lab] */
	char *title, *difficulty;	/* difficulty: easy, medium or hard */
	char *task;		/* its task lines, joined by newlines */
	char **hints;		/* in order */
	size_t nhints;
	struct sc_kv *goals;	/* [expect] lines a fixed configuration meets */
	size_t ngoals;
	char *solution;		/* relative to the scenario's directory; NULL: none */
};

struct sc_server {
	char *name;		/* [server NAME] */
	char *origin;		/* the file that said it (the scenario or a suite.scn) */
	int line;		/* of the section header, in origin */
	struct sc_kv *kv;	/* its keys in file order: server keys (docs/serve.md),
				   values raw; apply with sc_server_config() */
	size_t nkv;
};

struct sc_client {		/* [client NAME] (fake client keys, docs/send.md, plus
				   service) and [probe NAME] (docs/probe.md keys) */
	char *name;
	char *origin;		/* the file that said it (the scenario or a suite.scn) */
	int line;		/* of the section header, in origin */
	struct sc_kv *kv;	/* in file order, values raw (${...} not expanded) */
	size_t nkv;
};

struct sc_sasl {		/* [sasl]: a real SASL backend for smtpd */
	int present;
	char *origin;		/* the file that said it (the scenario or a suite.scn) */
	int line;		/* of [sasl], in origin */
	char *backend;		/* "cyrus" (default) */
	char **users;		/* "name:password" */
	size_t nusers;
	char *mechanisms;	/* default "PLAIN LOGIN" */
};

/* [files]: files the sandbox shows, each at an absolute path. */
enum sc_file_kind {
	SC_FILE_TEXT,		/* literal text of the line */
	SC_FILE_PKI,		/* ${pki}/REL: a file of the scenario's PKI */
	SC_FILE_HOST		/* file:REL: a host file, read at load */
};

struct sc_file {
	int line;
	char *origin;		/* the file that said it (the scenario or a suite.scn) */
	char *path;		/* absolute path inside the sandbox: normalised, no
				   "." or ".." components, at most 1024 bytes */
	enum sc_file_kind kind;
	char *value;		/* TEXT/HOST: the content (a NUL follows it, and a
				   HOST file may hold NULs of its own: use len);
				   PKI: the path relative to the PKI directory */
	size_t len;		/* bytes of value (for PKI, its strlen) */
};

/* [script NAME]: a dialogue script (docs/scripts.md) that a [server] or
 * [client] runs with script = NAME. */
struct sc_script {
	char *name;
	char *origin;		/* the file that said it */
	int line;		/* of the header */
	char *text;		/* the lines after it, raw (first: line + 1) */
};


/* A suite's [main.cf] or [master.cf] text. The runner applies its base
 * configuration, then each layer in order, then the scenario's own text,
 * each replacing parameters by name (services by name and type). */
struct sc_layer {
	char *origin;		/* the suite.scn that said it */
	int line;		/* of its first text line, as main_cf_line */
	char *text;		/* verbatim, as main_cf */
};

/* [exec]: the thing under test for mta = exec, as commands (sh -c), with
 * ${pki} and ${instance} expanded when it runs (docs/mta-drivers.md). */
struct sc_exec {
	int present;
	int line;
	char *start;		/* required: runs in ${instance}, output to ${instance}/exec.out */
	char *stop;		/* optional; default SIGTERM to start's process group */
	char *ready;		/* optional regex: a log line that says ready */
	char *log;		/* the log file to follow; default ${instance}/exec.out */
	char *version;		/* optional: a command whose first line is the version */
	int once[5];
};

/* [scenario] mta-sts-cache: a policy the MTA-STS resolver holds in its
 * cache before it starts (docs/mta-sts.md, "A changed id"). */
struct sc_sts_cache {
	char *domain;		/* lowercase, no trailing dot */
	char *id;		/* 1 to 32 letters and digits (RFC 8461 3.1) */
	char *policy;		/* the policy text, "KEY: VALUE\n" lines, as if fetched */
	unsigned age_s;		/* stored this many seconds before the start */
	int line;
};

struct sc_send {
	int present;		/* the file has a [send] section */
	int line;
	char *from;		/* default "sender@example.test"; "" for the null
				   sender (written "from = <>") */
	char **to;		/* at least one when present; every "to" line,
				   split on spaces, in file order */
	size_t nto;
	char *subject;		/* default: "mxlab: " + scenario name */
	char **headers;		/* extra "Name: value" lines (no CRLF) */
	size_t nheaders;
	char *body;		/* default: a short text; "\n" written in the file
				   became CRLF, and it always ends in CRLF */
	size_t size;		/* pad the message (headers included) with lines
				   of 'x' to at least this many bytes (0: none) */
	unsigned count;		/* messages to send (default 1) */
	char *via;		/* where to inject: "127.0.0.1:25" by default */
	char *helo;		/* EHLO name (default "client.example.test") */
};

/*
 * A scenario, with its suites applied (outer first, then the scenario):
 * the scalars of [scenario] (timeout, faketime, postfix-config) and
 * [dns] dnssec are the innermost file's that gives them; tags, requires
 * and pki_hosts the union (outer first, no duplicates); servers, clients,
 * probes and files replace one of the same NAME (PATH) in an outer file,
 * in its place, or are added after; dns records are added, outer first;
 * [sasl] is the innermost file's. summary, seed, [send] and [expect] are
 * the scenario's own.
 */
struct scenario {
	char *file;		/* as given */
	char *dir;		/* its directory */
	char *name;		/* file name without directory and ".scn" */
	int line;		/* of [scenario] */
	char **suites;		/* the suite.scn files applied, outer first (absolute
				   paths with sc_load) */
	size_t nsuites;
	char *summary;
	char **seed;		/* "S6", ... */
	size_t nseed;
	char **tags;
	size_t ntags;
	char **requires;	/* "postfix >= 3.4", "faketime", "ipv6", "dane",
				   normalised; "faketime" added when faketime is set,
				   "mbedtls TLSv1.1" when a [server]/[client]
				   tls-min/tls-max names a version this mbedTLS
				   lacks */
	size_t nrequires;
	unsigned timeout_ms;	/* default 20 s, at most 10 min */
	char *faketime;		/* libfaketime offset for Postfix ("+5y"), or NULL */
	char **pki_hosts;	/* extra host specs for the PKI */
	size_t npki_hosts;
	struct sc_sts_cache *sts_cache;	/* mta-sts-cache: the scenario's own */
	size_t nsts_cache;
	char *postfix_config;	/* postfix-config: the user's Postfix configuration
				   directory (holding main.cf and master.cf),
				   absolute and normalised, or NULL */
	char *postfix_config_origin;	/* the file that said it (scenario or suite.scn) */
	int postfix_config_line;
	char *mta;		/* [scenario] mta: "postfix" (default), "exim", "exec" */
	const struct mta_driver *mta_driver;	/* never NULL in a loaded scenario */
	int mta_line;		/* where mta was given (0: the default) */
	char *exim_conf;	/* [exim.conf], verbatim as main_cf, or NULL */
	int exim_conf_line;
	struct sc_exec exec;	/* [exec] */
	char *main_cf;		/* verbatim text, or NULL without the section;
				   every line ends in "\n", trailing blank lines
				   are dropped, leading ones kept */
	int main_cf_line;	/* file line of its first text line (the line
				   after the header), for mapping Postfix errors */
	char *master_cf;
	int master_cf_line;
	char *main_cf_origin, *master_cf_origin;	/* the file main_cf / master_cf
							   came from when not this
							   one (a lab's --config
							   DIR/main.cf), or NULL */
	struct sc_layer *main_cf_layers;	/* the suites' [main.cf], outer first;
						   main_cf is the scenario's own */
	size_t nmain_cf_layers;
	struct sc_layer *master_cf_layers;	/* the suites' [master.cf] */
	size_t nmaster_cf_layers;
	int dnssec;		/* [dns] dnssec = yes: answers carry AD */
	struct dnsd_record *dns;
	size_t ndns;
	struct sc_server *servers;
	size_t nservers;
	struct sc_client *clients;
	size_t nclients;
	struct sc_client *probes;
	size_t nprobes;
	struct sc_script *scripts;	/* [script NAME] */
	size_t nscripts;
	struct sc_sasl sasl;
	struct sc_file *files;	/* [files], in file order */
	size_t nfiles;
	struct sc_send send;
	struct ex_set *expect;	/* never NULL in a loaded scenario (may be empty);
				   what the loader checked: a run takes its own
				   state from sc_expect_new() */
	struct sc_kv *expect_kv;	/* the [expect] lines, as written */
	size_t nexpect_kv;
	int expect_line;	/* of [expect], 0 without one */
	struct sc_lab lab;	/* [lab]: line 0 without one */
};

/* Problems found while loading, each "FILE:LINE: message" ("FILE: message"
 * when the file cannot be read). Start with { NULL, 0 }; sc_load appends,
 * so one sc_errors may collect the errors of several files. */
struct sc_errors {
	char **msg;
	size_t n;
};
void sc_errors_free(struct sc_errors *e);

/* Load and check one file, with its suites: every suite.scn in the
 * directory of path (realpath'd) and in each directory above it, up to
 * "/". Returns the scenario, or NULL when there were errors (all appended
 * to errs, which may be NULL; at most 50 per file). An error in a suite
 * (reported as SUITE:LINE) fails the load, and so does a suite.scn that
 * is not owned by root, by the effective user or by the owner of path,
 * or that anyone may write. A file named suite.scn is refused ("is a
 * suite, not a scenario"). */
struct scenario *sc_load(const char *path, struct sc_errors *errs);
/* The same on text already in memory (len bytes, no NUL needed), read as
 * the file path, which names the scenario and its directory in messages
 * and ${scenario} but is not opened; no suite is looked for. Paths the
 * text names (postfix-config, [files] file:PATH) are relative to the
 * directory of path. For tests and the fuzzer. */
struct scenario *sc_load_mem(const char *path, const char *text, size_t len,
			     struct sc_errors *errs);
/* sc_load_mem with these n suites applied, suites[0] the outermost (none
 * NULL). They stay the caller's, and may be applied to several scenarios. */
struct scenario *sc_load_mem_suites(const char *path, const char *text, size_t len,
				    const struct sc_suite *const *suites, size_t n,
				    struct sc_errors *errs);
void sc_free(struct scenario *sc);		/* NULL ok */

/* One suite.scn, read and checked on its own: the sections of a scenario
 * but [send] and [expect] ([scenario] optional, summary allowed and not
 * inherited, seed refused). Paths it names are relative to its directory;
 * variables are left for the scenario's run. NULL on errors, appended to
 * errs as "PATH:LINE: ...". Any file name is accepted here; no ownership
 * check (that is sc_load's). */
struct sc_suite *sc_suite_load(const char *path, struct sc_errors *errs);
struct sc_suite *sc_suite_load_mem(const char *path, const char *text, size_t len,
				   struct sc_errors *errs);
void sc_suite_free(struct sc_suite *s);		/* NULL ok */

struct sc_vars {
	const char *pki;
	const char *instance;
};
/* Replace ${pki}, ${instance}, ${scenario}, ${name} in text; a variable
 * without a value (v or its field NULL) and anything else is left as
 * written. malloc'ed result, NULL on allocation failure. */
char *sc_expand(const struct scenario *sc, const struct sc_vars *v, const char *text);

/*
 * Output paths. The keys of [server NAME] that name a file or directory the
 * server writes (transcript, mailbox: sc_output_key) must stay inside the
 * scenario's directory (its work directory, NNN-LABEL/ of docs/runner.md):
 * the loader refuses, after expanding variables, an absolute path, a ".."
 * component, and "-" (standard output). The runner joins the value to that
 * directory (sc_output_path). [client NAME] and [probe NAME] have no keys
 * that write.
 */
int sc_output_key(const char *key);
/* 0, or -1 with the reason in err (value as written, x as expanded). */
int sc_output_check(const char *value, const char *x, char *err, size_t errlen);
/* dir/x (x as is when absolute); malloc'ed, NULL on allocation failure. */
char *sc_output_path(const char *dir, const char *x);

/* A fresh expectation state for one run of the scenario (its [expect]
 * lines parsed again, its [send] recipients set): what a run feeds and
 * decides, so that the loaded scenario is never written. NULL with err
 * set when out of memory. Free with ex_set_free(). */
struct ex_set *sc_expect_new(const struct scenario *sc, char *err, size_t errlen);

/* Make a loaded lab the run `mxlab lab check` wants: with goals, its
 * [lab] goal lines become its [expect] lines (and the [expect] lines go
 * to lab.goals); with config (a directory, NULL: none), DIR/main.cf and
 * DIR/master.cf, where they exist, replace the scenario's [main.cf] and
 * [master.cf]. 0, or -1 with err (not a lab, a file unreadable). */
int sc_lab_apply(struct scenario *sc, int goals, const char *config, char *err, size_t errlen);
void sc_lab_free(struct sc_lab *lab);

/* Does the scenario carry this tag? */
int sc_has_tag(const struct scenario *sc, const char *tag);

/* The configuration of one [server NAME] as the runner starts it: "pki"
 * set to v->pki first (a key of the section may override it), then every
 * key in file order with its value expanded by sc_expand(), then
 * mxlab_server_config_check(). The runner adds what it needs afterwards
 * (mailbox, transcript). On failure *line (if not NULL) is the line of the
 * key at fault, or the header's for the check, and err holds "KEY: what". */
mxlab_err sc_server_config(const struct scenario *sc, const struct sc_server *srv,
			   const struct sc_vars *v, mxlab_server_config **out,
			   int *line, char *err, size_t errlen);

/* The [script NAME], or NULL. */
const struct sc_script *sc_script_find(const struct scenario *sc, const char *name);
/* Set one key of a [server NAME] (server 1) or [client NAME] (0) on cfg:
 * script = NAME gives the [script NAME]'s text, any other key goes to
 * mxlab_server_config_set / mxlab_client_config_set. */
mxlab_err sc_peer_set(const struct scenario *sc, int server, void *cfg, const char *key,
		      const char *value, char *err, size_t errlen);

/*
 * Value checkers of the grammar (scenario_value.c), also useful to the
 * runner and to tools. Each returns 0, or -1 with err set to the reason
 * without the key ("bad duration '5x' (...)").
 */
/* DURATION: "500ms", "1.5s", "20s", "2m", or a bare number of seconds
 * (mx_duration_parse in cfgval.h: the one grammar). */
int sc_duration_parse(const char *s, unsigned *ms, char *err, size_t errlen);
/* BYTES: "2000", "64k" (1024), "2M" (1024 * 1024), "1G" (mx_bytes_parse). */
int sc_size_parse(const char *s, size_t *bytes, char *err, size_t errlen);
/* "S1" to "S17". */
int sc_seed_check(const char *s, char *err, size_t errlen);
/* A requirement, normalised into out ("postfix>=3.4" -> "postfix >= 3.4"). */
int sc_requires_parse(const char *s, char *out, size_t outlen, char *err, size_t errlen);
/* A libfaketime offset: [+-]N[smhdy]. */
int sc_faketime_check(const char *s, char *err, size_t errlen);
/* An envelope address: no spaces, no angle brackets, at most 254 bytes. */
int sc_address_check(const char *s, char *err, size_t errlen);
/* A header line "Name: value". */
int sc_header_check(const char *s, char *err, size_t errlen);
/* The ${...} in text: every one must be a known variable and, when where
 * is not NULL (a section name such as "[dns]"), none is allowed at all. */
int sc_vars_check(const char *text, const char *where, char *err, size_t errlen);
/* A body line: "\n" becomes CRLF, "\\" a backslash; the result ends in
 * CRLF. malloc'ed, NULL on allocation failure. */
char *sc_body_unescape(const char *s);

#endif
