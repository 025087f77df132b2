/*
 * script_run.h: dialogue scripts run by the fake server and client
 * (docs/scripts.md; the reader is wire/script.h). Not public.
 *
 * A configuration keeps a script as its text (struct mx_script_src),
 * checked when set, read again by each session: copies of a configuration
 * copy text, never compiled regexes. mx_script_run() runs the steps over
 * one side's I/O (struct mx_script_io): the server's (server_script.c)
 * or the client's (client_script.c).
 *
 * Errors: the first step that fails ends the run with
 * "step N (FILE:LINE) STEP ...: got 'BYTES'" in err.
 */
#ifndef MX_SCRIPT_RUN_H
#define MX_SCRIPT_RUN_H

#include <limits.h>
#include <stddef.h>

#include "mxlab/error.h"
#include "script.h"
#include "smtp_wire.h"

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

struct mx_script_src {
	char *text;		/* NULL: no script */
	char file[PATH_MAX];	/* for messages */
	int line;		/* of the text's first line in file */
};

/* A script from a file (`script = PATH`, `--script PATH`) or from text
 * (a scenario's [script NAME], its first line at line of file); both are
 * read once to report errors now. 0, or -1 with err. */
int mx_script_src_file(struct mx_script_src *s, const char *path, char *err, size_t errlen);
int mx_script_src_text(struct mx_script_src *s, const char *text, const char *file, int line,
		       char *err, size_t errlen);
/* The key script of either peer: a FILE (err "KEY: FILE:LINE: what"),
 * or text given through the public call (s, text or file NULL: usage). */
int mx_script_src_key(struct mx_script_src *s, const char *key, const char *path, char *err,
		      size_t errlen);
mxlab_err mx_script_src_set(struct mx_script_src *s, const char *text, const char *file,
			    int line, char *err, size_t errlen);
int mx_script_src_copy(struct mx_script_src *dst, const struct mx_script_src *src);
void mx_script_src_free(struct mx_script_src *s);
/* The parsed script (NULL and err when the text no longer reads). */
struct mx_script *mx_script_src_parse(const struct mx_script_src *s, char *err, size_t errlen);

/* One side's I/O; every callback may be called with any step. */
struct mx_script_io {
	void *arg;
	int client;		/* the client side: expect reads whole replies */
	struct mx_reader *rd;	/* where lines come from (plain, then TLS) */
	/* Write n bytes in one write. 0, or -1 with why. */
	int (*write)(void *arg, const void *p, size_t n, char *why, size_t whylen);
	/* Start TLS now; pending = bytes read but not consumed. 0, or -1. */
	int (*handshake)(void *arg, size_t pending, char *why, size_t whylen);
	/* A new unit of work under the side's deadline. */
	void (*unit)(void *arg);
	void (*delay)(void *arg, unsigned ms);
	/* Say what a step did (transcript); dir "sent", "received", "tls". */
	void (*note)(void *arg, size_t step, const struct mx_step *st, const char *dir,
		     const void *p, size_t n);
	/* What an expect step read (lines joined with '\n', no CRLF); may be NULL. */
	void (*got)(void *arg, const char *text, size_t n);
	/* What the last failed read means: "EOF", "timeout", "read error". */
	const char *(*read_error)(void *arg);
};

/* Run sc. 0: all steps passed (or close); -1: step *failed (index) did
 * not, err says why; the connection may then be unusable. */
int mx_script_run(const struct mx_script *sc, struct mx_script_io *io, size_t *failed,
		  char *err, size_t errlen);

#endif
