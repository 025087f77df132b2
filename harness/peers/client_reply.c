/*
 * client_reply.c: what the fake client reads from the server's replies.
 *
 * Offers mx_client_reply_read (one possibly multi-line reply into a
 * struct mxlab_client_reply), mx_client_caps_keep / mx_client_caps_has
 * (the EHLO keywords) and mx_client_queue_id ("250 ... queued as X").
 * Nothing here does I/O but through the reader's source, and nothing
 * knows about time: the socket under the reader carries the deadline
 * (netio.h), and client_session.c turns a failure into the stage's error.
 * Everything the server sends is bounded: lines over 1000 bytes and
 * replies over 100 lines are malformed (smtp_wire.h), texts are truncated
 * to their fixed buffers and always terminated. Fuzzed by
 * tests/fuzz/fuzz_reply.c.
 *
 * Errors: mx_client_reply_read returns -1 with *what set to "EOF",
 * "read error" or "malformed reply (...)".
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "client_int.h"

int
mx_client_reply_read(struct mx_reader *rd, struct mxlab_client_reply *rp, const char **what)
{
	*what = "";
	if (mx_reply_read(rd, &rp->code, rp->text, sizeof rp->text, what) == 0)
		return 0;
	rp->code = 0;
	return -1;
}

void
mx_client_caps_keep(char *caps, size_t cap, const char *text)
{
	const char *nl = strchr(text, '\n');

	snprintf(caps, cap, "%s", nl ? nl + 1 : "");
}

int
mx_client_caps_has(const char *caps, const char *kw)
{
	size_t n = strlen(kw);

	for (const char *p = caps; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL)
		if (!strncasecmp(p, kw, n) && (p[n] == '\0' || p[n] == '\n' || p[n] == ' '))
			return 1;
	return 0;
}

void
mx_client_queue_id(char *out, size_t cap, const char *text)
{
	const char *q = strstr(text, "queued as ");
	size_t n;

	if (!q)
		return;
	q += strlen("queued as ");
	n = strcspn(q, " \n\r;,)");
	snprintf(out, cap, "%.*s", (int)n, q);
}
