/*
 * maillog.h: reading a Postfix maillog_file as it grows, as events.
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
 *
 * ml_tail follows the file (which may not exist yet) with inotify, so a
 * caller waits on an event with a bound instead of sleeping.
 */
#ifndef MX_MAILLOG_H
#define MX_MAILLOG_H

#include <stddef.h>

#define ML_LINE_MAX 4096

struct ml_event {
	char line[ML_LINE_MAX];		/* the whole line, without the newline */
	char time[40];			/* "Nov 28 23:08:26" or ISO 8601, as logged */
	char service[64];		/* "postfix/smtp", "postfix-in/smtpd" */
	char daemon[32];		/* "smtp", "smtpd", "qmgr", ... (after the last '/') */
	long pid;
	char queue_id[32];		/* "" when the line has none */
	const char *text;		/* points into line: after "service[pid]: "
					 * (the whole line when not parsed);
					 * a copy of the struct must re-point it */
	/* delivery lines (those with status=) */
	char rcpt[512];			/* from to=<...>, "" otherwise */
	char orig_rcpt[512];		/* orig_to=<...> */
	char relay[300];
	char dsn[16];
	char status[16];		/* sent, deferred, bounced, expired, ... */
	char status_text[1024];		/* inside the parentheses */
};

/* 0 when the line has the "service[pid]: " shape, -1 otherwise
 * (ev->line and ev->text still hold the line). */
int ml_parse_line(const char *line, size_t len, struct ml_event *ev);

struct ml_tail;

/* Follow path from its start. NULL with err set on failure. */
struct ml_tail *ml_tail_open(const char *path, char *err, size_t errlen);
void ml_tail_close(struct ml_tail *t);		/* NULL ok */
/* Next complete line as an event: 1 got one, 0 none within timeout_ms
 * (0: do not wait), -1 error. A partial last line waits for its newline. */
int ml_tail_next(struct ml_tail *t, struct ml_event *ev, int timeout_ms);
/* The fd to poll for "more may have arrived" (inotify), for callers that
 * wait on several things at once. */
int ml_tail_fd(const struct ml_tail *t);

#endif
