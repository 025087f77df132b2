/*
 * maillog.h: Postfix maillog lines as neutral events (struct mta_event, mta.h).
 *
 * ml_parse_line() turns one line such as
 *   Nov 28 23:08:26 host postfix/smtp[140]: B7CDBA72345: to=<bob@x>,
 *   relay=mx.x[127.0.0.10]:25, delay=0.02, delays=0.01/0.01/0/0,
 *   dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 000001)
 * into daemon "smtp", service name "postfix/smtp", pid 140, queue id,
 * recipient, relay, dsn, status and the text in parentheses. Lines that
 * are not deliveries keep daemon, pid, queue id (if any) and text.
 * The time may also be ISO 8601 (syslog daemons); a line without time and
 * host ("postfix/smtp[1]: ...") parses too. A queue id is a short one
 * (uppercase hex, "8FCBEA74634") or a long one (enable_long_queue_ids:
 * "4jcQzP3dzpz1bd8q", 'z' at index 10); "warning: " or "NOQUEUE: " is not.
 * Postfix 3.7 logs an expired message as a qmgr line without to=:
 *   4jcQzP3dzpz1bd8q: from=<a@x>, status=expired, returned to sender
 * which gives status "expired", status_text "returned to sender", rcpt "".
 */
#ifndef MX_MAILLOG_H
#define MX_MAILLOG_H

#include <stddef.h>

#include "mta.h"

#define ML_LINE_MAX MTA_LINE_MAX

/* 0 when the line has the "service[pid]: " shape, -1 otherwise
 * (ev->line and ev->text still hold the line). */
int ml_parse_line(const char *line, size_t len, struct mta_event *ev);

#endif
