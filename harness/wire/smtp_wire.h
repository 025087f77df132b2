/*
 * smtp_wire.h: SMTP wire code shared by mxlab's server and client.
 *
 * - mx_reader: a bounded line reader over any byte source (a socket or a
 *   TLS session, through a recv callback). It never allocates and never
 *   holds more than its fixed buffer: a line longer than the caller's
 *   buffer comes back in pieces (MX_READ_PARTIAL), so callers decide
 *   whether that is an error (a command line) or data (message text).
 * - mx_command_parse: splits a command line into a verb and its argument.
 * - mx_path_parse: MAIL FROM:<path> params / RCPT TO:<path> params.
 * - mx_data_line: end-of-data detection and dot-unstuffing (RFC 5321
 *   4.5.2) for one piece of a DATA line.
 * - mx_reply_format: a possibly multi-line reply ("250-a\r\n250 b\r\n").
 *
 * Nothing here does I/O except through the recv callback.
 */
#ifndef MX_SMTP_WIRE_H
#define MX_SMTP_WIRE_H

#include <stddef.h>

/* Returns bytes read (> 0), 0 at end of stream, < 0 on error or timeout. */
typedef int (*mx_recv_fn)(void *io, unsigned char *buf, size_t len);

#define MX_READER_BUFSIZE 4096

struct mx_reader {
	unsigned char buf[MX_READER_BUFSIZE];
	size_t pos;		/* first unread byte */
	size_t len;		/* bytes in buf */
	mx_recv_fn recv;
	void *io;
	int eof;		/* the source returned 0 */
	int error;		/* the source returned < 0 (its value) */
};

enum mx_read_status {
	MX_READ_LINE,		/* a whole line, ending in LF, is in out */
	MX_READ_PARTIAL,	/* out is full (n == cap) and the line goes on */
	MX_READ_EOF,		/* the stream ended; n bytes of an unfinished line */
	MX_READ_ERROR		/* the source failed; n bytes of an unfinished line */
};

void mx_reader_init(struct mx_reader *r, mx_recv_fn recv, void *io);
/* Switch the byte source (plain socket to TLS) keeping no buffered bytes;
 * also clears eof and error (they belonged to the old source). */
void mx_reader_set_source(struct mx_reader *r, mx_recv_fn recv, void *io);
/* Bytes received but not consumed yet (pipelined commands). */
size_t mx_reader_pending(const struct mx_reader *r);
/* Drop buffered bytes, returning how many (plaintext sent after STARTTLS
 * must never be read as if it had come over TLS). */
size_t mx_reader_discard(struct mx_reader *r);

/*
 * Read one line (through and including LF) into out, at most cap bytes.
 * *n receives the number of bytes stored. The line is not NUL-terminated.
 * CR handling is the caller's: the bytes are returned exactly as received.
 * A line of exactly cap bytes ending in LF is MX_READ_LINE; a longer one
 * comes back as MX_READ_PARTIAL pieces of cap bytes, then the rest. At most
 * one line is consumed per call; later bytes stay buffered. The source is
 * called only when the buffer is empty. EOF and errors are sticky: later
 * calls return them again with *n == 0. A callback returning more than it
 * was offered is an error (r->error = -1). cap must be > 0 (with cap 0 the
 * call returns MX_READ_PARTIAL, n 0, and reads nothing).
 */
enum mx_read_status mx_reader_line(struct mx_reader *r, unsigned char *out,
				   size_t cap, size_t *n);

enum mx_verb {
	MX_VERB_UNKNOWN = 0,
	MX_VERB_HELO, MX_VERB_EHLO, MX_VERB_MAIL, MX_VERB_RCPT, MX_VERB_DATA,
	MX_VERB_RSET, MX_VERB_NOOP, MX_VERB_QUIT, MX_VERB_VRFY,
	MX_VERB_STARTTLS, MX_VERB_AUTH, MX_VERB_HELP,
	MX_VERB_COUNT
};

/* "EHLO" etc.; "" for MX_VERB_UNKNOWN. */
const char *mx_verb_name(enum mx_verb v);

struct mx_command {
	enum mx_verb verb;
	const char *verb_text;	/* points into the line */
	size_t verb_len;
	const char *arg;	/* after the verb and its spaces; not terminated */
	size_t arg_len;		/* without trailing CR LF and spaces */
};

/*
 * Parse one command line (with or without CR LF). The verb is matched
 * case-insensitively. Returns 0, or -1 when the line is empty, holds a NUL
 * byte, or the verb is not followed by a space or the end of line
 * (cmd->verb is MX_VERB_UNKNOWN for an unknown but well-formed verb and
 * 0 is returned).
 * The verb is a run of ASCII letters and digits; only SP separates it from
 * the argument ("HELO\tx" is -1). A verb longer than 32 characters is
 * UNKNOWN. Trailing CR, LF, SP and TAB are trimmed from the argument.
 */
int mx_command_parse(const char *line, size_t len, struct mx_command *cmd);

/*
 * Parse "FROM:<path> params" (prefix "FROM:") or "TO:<path> params"
 * (prefix "TO:"), prefix matched case-insensitively, a space after the colon
 * tolerated. The path without its angle brackets goes into path
 * (NUL-terminated, may be empty for the null sender); *params points at the
 * parameters (or the end). Returns 0, or -1 on a syntax error (missing
 * prefix or brackets, path longer than pathcap - 1, control characters).
 * The path ends at the first '>' outside a quoted local part; '>' must be
 * followed by a space or the end ("<a@b>SIZE=1" is -1). '<' inside the
 * path is -1. params and params_len may be NULL; on error path is "".
 */
int mx_path_parse(const char *arg, size_t len, const char *prefix,
		  char *path, size_t pathcap, const char **params,
		  size_t *params_len);

enum mx_data_kind {
	MX_DATA_TEXT,		/* message text: store line[skip .. n) */
	MX_DATA_END		/* the terminating "." line: store nothing */
};

/*
 * Classify one piece of a DATA line as read by mx_reader_line.
 * at_line_start: this piece begins a line (the previous piece ended with LF,
 * or it is the first piece after the DATA reply). The end of data is
 * "." CR LF, and "." LF alone is accepted as well. *skip is set to 1 when a
 * leading dot is to be removed (dot-unstuffing), else 0.
 * Callers must read DATA with cap >= MX_DATA_MINCAP: then "." CR LF always
 * arrives as one piece. With a smaller cap a piece "." or ".\r" at line
 * start is TEXT with skip 1 and the end marker split over pieces is missed.
 */
#define MX_DATA_MINCAP 3

enum mx_data_kind mx_data_line(const unsigned char *line, size_t n,
			       int at_line_start, size_t *skip);

/*
 * Format a reply: code plus text, where text may hold several lines
 * separated by '\n'; every line but the last gets "CODE-", the last
 * "CODE ". Each line ends in CR LF. Returns the length written (without the
 * NUL that is always written when cap > 0), or the length that would have
 * been needed if it is >= cap (as snprintf).
 * Empty (or NULL) text gives "CODE\r\n" (no space); an empty line that is
 * not the last gives "CODE-\r\n". One trailing '\n' does not make an
 * empty last line; a CR just before a '\n' (or at the end) is dropped so
 * "a\r\nb" does not double it. code is printed as "%03d", unchecked, so
 * fault injection can send odd codes. buf may be NULL when cap is 0.
 */
size_t mx_reply_format(char *buf, size_t cap, int code, const char *text);

/*
 * Read one reply, possibly multi-line ("250-a" ... "250 b"), as a client.
 * *code receives the code of the last line; text the lines without their
 * codes, joined with '\n' (an empty line stays an empty line) and
 * truncated to cap - 1 (always terminated).
 * Returns 0, or -1 when the stream ended or failed, a line is longer than
 * 1000 bytes, a line has no 3-digit code, or the codes disagree, or more
 * than 100 lines come (what: "EOF", "read error", "malformed reply").
 */
int mx_reply_read(struct mx_reader *r, int *code, char *text, size_t cap,
		  const char **what);

#endif
