/*
 * inject.h: handing mail to the MTA under test over plain SMTP.
 *
 * mx_inject() connects to ADDR:PORT, and runs EHLO, MAIL, RCPT (each
 * recipient), DATA with the message dot-stuffed, QUIT. The message is built
 * by mx_inject_message(): From, To, Subject, Date, Message-ID, the extra
 * headers, a blank line, the body (LF turned into CRLF) padded to size.
 * Errors name the stage and the reply: "RCPT TO:<b@x>: 554 5.7.1 ...".
 */
#ifndef MX_INJECT_H
#define MX_INJECT_H

#include <stddef.h>

#include "mxlab/error.h"

struct mx_inject_msg {
	const char *helo;
	const char *from;
	const char *const *to;
	size_t nto;
	const char *subject;
	const char *const *headers;
	size_t nheaders;
	const char *body;
	size_t size;
	unsigned seq;		/* message number, for Message-ID and padding */
};

/* Build the message text (malloc'ed, CRLF line ends); NULL on no memory. */
char *mx_inject_message(const struct mx_inject_msg *m, size_t *len);

/* Send it; queue_id receives what the 250 after DATA said ("queued as X"
 * → X), or "". */
mxlab_err mx_inject(const char *addr, unsigned timeout_ms, const struct mx_inject_msg *m,
		    char *queue_id, size_t qlen, char *err, size_t errlen);

#endif
