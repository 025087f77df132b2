/*
 * scenario_int.h: what the files of the scenario reader share (private).
 *
 *   scenario.c        lines, section headers, verbatim sections
 *   scenario_load.c   sc_load_mem: the order of a load, defaults; sc_free
 *   scenario_keys.c   the key sections: [scenario], [send], [dns],
 *                     [server NAME], [client NAME], [expect];
 *                     sc_server_config
 *   scenario_value.c  value checkers and the variables (sc_expand)
 *   scenario_check.c  the checks that need the whole file
 *   scenario_file.c   sc_load: reading the file (regular files only)
 *   scenario_files.c  [files] and postfix-config: paths, host files
 *   scenario_suite.c  suites: sc_suite_load_mem, the merge
 *   scenario_mta.c    the MTA under test: mta, [exim.conf], [exec]
 */
#ifndef MX_SCENARIO_INT_H
#define MX_SCENARIO_INT_H

#include <sys/types.h>

#include "scenario.h"

#define SC_LINE_MAX	8192		/* bytes in one line, without the newline */
#define SC_FILE_MAX	(1u << 20)	/* bytes in one file */
#define SC_ERRORS_MAX	50		/* messages per file */
#define SC_TIMEOUT_DEF	20000u
#define SC_TIMEOUT_MAX	600000u
#define SC_SEND_MAX	(64u << 20)	/* bytes of one [send] message, and of all */
#define SC_FPATH_MAX	1024		/* bytes of a [files] path */
#define SC_FILES_MAX	1000		/* [files] lines of one file */
#define SC_FHOST_MAX	(1u << 20)	/* bytes of one file:REL */
#define SC_FILES_BYTES	(16u << 20)	/* bytes of one file's [files] contents */

/* Where [scenario]'s keys are in its table (once_sc). */
enum { SCN_SUMMARY, SCN_SEED, SCN_TAGS, SCN_REQUIRES, SCN_TIMEOUT, SCN_FAKETIME,
       SCN_PKI_HOST, SCN_POSTFIX_CONFIG, SCN_MTA, SCN_STS_CACHE };
/* Where [send]'s keys are in its table (once_send). */
enum { SEND_FROM, SEND_TO, SEND_SUBJECT, SEND_HEADER, SEND_BODY, SEND_SIZE, SEND_COUNT,
       SEND_VIA, SEND_HELO };

#if defined(__GNUC__)
#define PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define PRINTF(f, a)
#endif

/* What the loader puts in place of ${pki} and ${instance} to check values. */
extern const struct sc_vars sc_placeholder;

enum sect {
	S_NONE, S_SKIP, S_SCENARIO, S_MAIN_CF, S_MASTER_CF, S_DNS, S_SERVER,
	S_CLIENT, S_SEND, S_EXPECT, S_PROBE, S_SASL, S_FILES, S_EXIM_CONF, S_EXEC, S_LAB,
	S_SCRIPT, S_COUNT
};

struct ref {			/* a server, client or probe named in [expect] */
	char *name;
	int line;
	int kind;		/* 0 server, 1 client, 2 probe */
};

struct rd {
	const char *file;
	int suite;		/* reading a suite.scn: no [send], [expect], seed */
	struct scenario *sc;
	struct sc_errors *errs;
	size_t nerr;
	enum sect cur;
	int seen[S_COUNT];	/* header line of each single section */
	char *vb;		/* [main.cf] / [master.cf] being read */
	size_t vblen, vbcap, vbkeep;	/* vbkeep: up to the last non-blank line */
	mxlab_server_config *scratch;	/* [server NAME] being read */
	mxlab_client_config *cscratch;	/* [client NAME] being read */
	int cl_bad;
	int sasl_user_line;	/* a [sasl] user line was seen (good or bad) */
	int srv_bad, srv_listen;
	int *srv_once;		/* line of each server key, per section */
	size_t nsrvkeys;
	int once_sc[12], once_send[12], once_dnssec;
	int nexpect;		/* [expect] lines read */
	int line;		/* the line being read */
	size_t files_bytes;	/* contents of [files] so far */
	struct ref *refs;
	size_t nrefs;
	struct ref *srefs;	/* script = NAME keys */
	size_t nsrefs;
	int checked;		/* sc_rd_file_checks ran (the lines went well enough) */
	int oom;
};

/* Append "FILE:LINE: message" (line 0: "FILE: message") to r->errs;
 * sc_rd_err_in names another file (a suite's, for what came from it). */
void sc_rd_err(struct rd *r, int line, const char *fmt, ...) PRINTF(3, 4);
void sc_rd_err_in(struct rd *r, const char *file, int line, const char *fmt, ...) PRINTF(4, 5);
/* Append one item of size bytes to a growing array; 0 or -1. */
int sc_rd_push(void *arrp, size_t *n, size_t size, const void *item);
int sc_rd_push_str(char ***arr, size_t *n, const char *s);
/* Trim spaces and tabs in place. */
char *sc_rd_trim(char *s);

/* scenario_script.c: [script NAME] (its lines kept raw in r->vb), and
 * the script = NAME keys that name one. */
void sc_rd_script_start(struct rd *r, int line, const char *label);
void sc_rd_script_finish(struct rd *r);
/* A script = NAME of [server]/[client] at line: noted, checked at the end. */
void sc_rd_script_ref(struct rd *r, int line, const char *name);
void sc_rd_script_refs_check(struct rd *r);

/* One trimmed, non-comment line of a key section. */
void sc_rd_scenario_line(struct rd *r, int line, char *t);
void sc_rd_send_line(struct rd *r, int line, char *t);
void sc_rd_dns_line(struct rd *r, int line, char *t);
void sc_rd_server_line(struct rd *r, int line, char *t);
void sc_rd_client_line(struct rd *r, int line, char *t);
void sc_rd_probe_line(struct rd *r, int line, char *t);
void sc_rd_sasl_line(struct rd *r, int line, char *t);
/* Is a client's service value right ("smtp", "submission", "smtps",
 * or ADDR:PORT)? 0 or -1 with err. */
int sc_service_check(const char *v, char *err, size_t errlen);
void sc_rd_expect_line(struct rd *r, int line, char *t);
/* Split "KEY = VALUE" in place (trimmed); 0, or -1 reported. */
int sc_rd_kv_split(struct rd *r, int line, char *t, char **k, char **v);

/* scenario_mta.c: the [scenario] key mta, an [exec] line, and the checks
 * of what belongs to which MTA (at the end of a file, and after suites). */
int sc_rd_mta(struct rd *r, const char *v, char *err, size_t errlen);
void sc_rd_exec_line(struct rd *r, int line, char *t);
void sc_rd_mta_checks(struct rd *r);

/* scenario_files.c: a [files] line; the [scenario] key postfix-config
 * (checked and stored; err gets "postfix-config DIR: what", whole). */
void sc_rd_files_line(struct rd *r, int line, char *t);
int sc_rd_postfix_config(struct rd *r, const char *v, char *err, size_t errlen);
/* path (relative to base when not absolute; base relative to the current
 * directory when not absolute either) made absolute and lexically
 * normalised: no "." or ".." components, no "//", no "/" at the end.
 * malloc'ed into *out; 0, or -1 with errno (ENAMETOOLONG, ENOMEM). */
int sc_path_absolute(const char *base, const char *path, char **out);

/* scenario_file.c: what a file mode is ("a FIFO", "a directory"), and a
 * bounded read of fd (size: what fstat said) into a malloc'ed buffer with
 * a NUL after the len bytes: 0, -2 when longer than max, -1 with errno. */
const char *sc_mode_name(mode_t m);
int sc_read_fd(int fd, size_t size, size_t max, char **out, size_t *len);

/* scenario.c: the lines of text into r->sc (which the caller made), each
 * section checked on its own; sc_rd_release frees what r holds besides
 * r->sc. */
void sc_rd_text(struct rd *r, const char *text, size_t len);
void sc_rd_release(struct rd *r);
/* scenario_load.c: a new r->sc named after path, its lines, and
 * sc_rd_file_checks; 0, or -1 with nothing read (r->sc NULL). */
int sc_rd_file(struct rd *r, const char *path, const char *text, size_t len);

/* A suite.scn, read on its own (scenario_suite.c). */
struct sc_suite {
	struct scenario *sc;	/* its sections, read as a scenario's */
	int timeout_line;	/* of its [scenario] timeout, 0 without */
	int dnssec_line;	/* of its [dns] dnssec, 0 without */
};
/* Is path's file name suite.scn? Then it is not loaded as a scenario. */
#define SC_SUITE_NOT_SCENARIO "is a suite, not a scenario (its sections are the defaults " \
	"of the scenarios in its directory and below)"
int sc_is_suite_name(const char *path);
/* Apply the suites (outer first) to r->sc, the scenario's own file, read
 * and checked; what cannot be allocated sets r->oom. */
void sc_rd_merge(struct rd *r, const struct sc_suite *const *suites, size_t n);
/* scenario_load.c */
void sc_rd_lab_line(struct rd *r, int line, char *t);
void sc_rd_lab_checks(struct rd *r);
void sc_rd_free_kv(struct sc_kv *kv, size_t n);
void sc_rd_free_strv(char **v, size_t n);

/* scenario_check.c: the checks that need the whole file, and those that
 * need the whole scenario. */
void sc_rd_file_checks(struct rd *r);
void sc_rd_final_checks(struct rd *r);

#endif
