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
 * and every value: ${pki} (the PKI directory), ${instance} (the Postfix
 * instance directory, holding etc/ spool/ maillog), ${scenario} (the
 * scenario file's directory), ${name} (the scenario name). Unknown
 * variables are errors at load time.
 */
#ifndef MX_SCENARIO_H
#define MX_SCENARIO_H

#include <stddef.h>

#include "dnsd.h"
#include "expect.h"

struct sc_kv {
	int line;
	char *key;
	char *value;
};

struct sc_server {
	char *name;		/* [server NAME] */
	int line;		/* of the section header */
	struct sc_kv *kv;	/* its keys in order: server keys (mxlab serve) */
	size_t nkv;
};

struct sc_client {		/* [client NAME]: read and kept, run in a later release */
	char *name;
	int line;
	struct sc_kv *kv;
	size_t nkv;
};

struct sc_send {
	int present;		/* the file has a [send] section */
	int line;
	char *from;		/* default "sender@example.test" */
	char **to;		/* at least one when present */
	size_t nto;
	char *subject;		/* default: "mxlab: " + scenario name */
	char **headers;		/* extra "Name: value" lines */
	size_t nheaders;
	char *body;		/* default: a short text; "\n" become CRLF */
	size_t size;		/* pad the body to this many bytes (0: no padding) */
	unsigned count;		/* messages to send (default 1) */
	char *via;		/* where to inject: "127.0.0.1:25" by default */
	char *helo;		/* EHLO name (default "client.example.test") */
};

struct scenario {
	char *file;		/* as given */
	char *dir;		/* its directory */
	char *name;		/* file name without directory and ".scn" */
	int line;		/* of [scenario] */
	char *summary;
	char **seed;		/* "S6", ... */
	size_t nseed;
	char **tags;
	size_t ntags;
	char **requires;	/* "postfix >= 3.4", "faketime", "ipv6", "dane" */
	size_t nrequires;
	unsigned timeout_ms;	/* default 20 s */
	char *faketime;		/* libfaketime offset for Postfix ("+5y"), or NULL */
	char **pki_hosts;	/* extra host specs for the PKI */
	size_t npki_hosts;
	char *main_cf;		/* verbatim text, or NULL */
	int main_cf_line;	/* line of its first text line */
	char *master_cf;
	int master_cf_line;
	int dnssec;		/* [dns] dnssec = yes: answers carry AD */
	struct dnsd_record *dns;
	size_t ndns;
	struct sc_server *servers;
	size_t nservers;
	struct sc_client *clients;
	size_t nclients;
	struct sc_send send;
	struct ex_set *expect;
	int expect_line;
};

/* Problems found while loading, each "FILE:LINE: message". */
struct sc_errors {
	char **msg;
	size_t n;
};
void sc_errors_free(struct sc_errors *e);

/* Load and check one file. Returns the scenario, or NULL when there were
 * errors (all appended to errs). */
struct scenario *sc_load(const char *path, struct sc_errors *errs);
void sc_free(struct scenario *sc);		/* NULL ok */

struct sc_vars {
	const char *pki;
	const char *instance;
};
/* Replace ${...} in text; malloc'ed result, NULL on allocation failure. */
char *sc_expand(const struct scenario *sc, const struct sc_vars *v, const char *text);

/* Does the scenario carry this tag? */
int sc_has_tag(const struct scenario *sc, const char *tag);

#endif
