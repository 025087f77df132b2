/*
 * mailbox.h: the fake server's message store.
 *
 * Every accepted message is written byte-exact (after dot-unstuffing, as
 * the client meant it) to DIR/NNNNNN.eml, and its envelope to
 * DIR/NNNNNN.json. Numbers start after the highest one already in DIR, and
 * files are created exclusively, so several servers may share a mailbox.
 */
#ifndef MX_MAILBOX_H
#define MX_MAILBOX_H

#include <stddef.h>

#include "mxlab/error.h"

struct mx_mailbox;

struct mx_envelope {
	const char *from;
	const char *const *rcpt;
	size_t nrcpt;
	const char *helo;
	const char *client;
	int tls;
	unsigned long conn;
};

/* Create DIR if missing. NULL with err set on failure. */
struct mx_mailbox *mx_mailbox_open(const char *dir, char *err, size_t errlen);
void mx_mailbox_close(struct mx_mailbox *mb);	/* NULL ok */

/* Store one message; name receives "NNNNNN" (the file stem). */
mxlab_err mx_mailbox_store(struct mx_mailbox *mb, const struct mx_envelope *env,
			   const unsigned char *data, size_t len,
			   char *name, size_t namelen, char *err, size_t errlen);

#endif
