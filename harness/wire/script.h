/*
 * script.h: dialogue scripts of the fake peers (docs/scripts.md), read
 * from a `[script NAME]` section or a `--script FILE`: one step a line,
 * run in order by peers/script_run.c. Also the byte escapes they share
 * with reports ("\r\n", "\xHH").
 *
 * Errors: mx_script_parse stops at the first bad line and says
 * "FILE:LINE: what" in err; nothing here prints, exits or touches the
 * network.
 */
#ifndef MX_SCRIPT_H
#define MX_SCRIPT_H

#include <regex.h>
#include <stddef.h>

#define MX_SCRIPT_STEPS_MAX 1000	/* steps in one script */
#define MX_SCRIPT_LINE_MAX 4096	/* bytes of one line of a script */

enum mx_step_kind {
	MX_STEP_EXPECT = 0,	/* read a line; it must match a regex */
	MX_STEP_SEND,		/* a line: the text and CRLF */
	MX_STEP_SEND_RAW,	/* bytes as written, nothing added */
	MX_STEP_PIPELINE,	/* several lines in one write */
	MX_STEP_INJECT,		/* bytes in the same write as the previous step */
	MX_STEP_STARTTLS,	/* the STARTTLS exchange, then the handshake */
	MX_STEP_TLS_HANDSHAKE,	/* the handshake alone */
	MX_STEP_DELAY,		/* wait */
	MX_STEP_CLOSE,		/* hang up (the last step) */
	MX_STEP_COUNT
};

struct mx_step {
	enum mx_step_kind kind;
	int line;		/* in the file */
	char *arg;		/* the argument as written ("" for none) */
	unsigned char *bytes;	/* what a writing step writes */
	size_t len;
	regex_t re;		/* expect */
	int have_re;
	unsigned ms;		/* delay */
};

struct mx_script {
	char *file;		/* for messages */
	struct mx_step *steps;
	size_t n;
};

/* "expect", "send", "send-raw", ... */
const char *mx_step_name(enum mx_step_kind k);

/* Read the script text[0..len) of file, whose first line is first_line.
 * MXLAB_OK-style: 0 with *out set, or -1 with err "FILE:LINE: what". */
int mx_script_parse(const char *text, size_t len, const char *file, int first_line,
		    struct mx_script **out, char *err, size_t errlen);
/* The same from a file on disk (err: "PATH: why" when it cannot be read). */
int mx_script_load(const char *path, struct mx_script **out, char *err, size_t errlen);
void mx_script_free(struct mx_script *s);	/* NULL ok */

/* Decode the C escapes of s[0..n) (\r \n \t \\ \| \xHH) into out (cap at
 * least n): the length, or -1 with the bad escape in err. */
long mx_unescape(const char *s, size_t n, unsigned char *out, char *err, size_t errlen);
/* Bytes for people: printable ASCII as is, \r \n \t \\ and \xHH for the
 * rest, cut with "..." to fit cap (always NUL-terminated when cap > 0). */
void mx_bytes_escape(const void *p, size_t n, char *out, size_t cap);

#endif
