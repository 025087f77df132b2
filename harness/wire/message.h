/*
 * message.h: the test message the fake client sends (the runner's [send],
 * and `mxlab send` without a data-file).
 *
 * mx_message_build(): From, To, Subject, Date, Message-ID, the extra
 * headers, a blank line, the body (LF turned into CRLF), padded with lines
 * of 'x' to size bytes. The result ends in CRLF and is not dot-stuffed
 * (the client does that on the wire).
 */
#ifndef MX_MESSAGE_H
#define MX_MESSAGE_H

#include <stddef.h>

struct mx_message {
	const char *from;
	const char *const *to;
	size_t nto;
	const char *subject;
	const char *const *headers;
	size_t nheaders;
	const char *body;
	size_t size;
	unsigned seq;		/* message number, for Message-ID */
};

/* The message text (malloc'ed, CRLF line ends); NULL on no memory. */
char *mx_message_build(const struct mx_message *m, size_t *len);

#endif
