/*
 * fuzz_maillog.c: libFuzzer target for the maillog line parsers:
 * Postfix's (ml_parse_line, harness/mta/maillog.c) and Exim's
 * (mta_exim_parse, harness/mta/mta_exim_log.c).
 *
 * Input: a piece of a maillog file. Every line of it (split at '\n', as
 * ml_tail does) is parsed, and so is the whole input as one line (NULs,
 * CRs and newlines inside, and lines longer than ML_LINE_MAX).
 *
 * Besides the sanitizers, it checks what maillog.h promises and aborts on
 * a violation: every field is a NUL-terminated string inside its buffer;
 * ev->line is the line without its trailing CR/LF, cut to ML_LINE_MAX - 1
 * bytes; ev->text points into ev->line (the whole of it when the line did
 * not parse); a parsed line has a service ("postfix/smtp") whose last part
 * is the daemon, and text starting right after "SERVICE[PID]: "; a queue
 * ID is 6 to 31 letters and digits and starts the text, followed by ": ";
 * delivery fields are only set with a queue ID and status is letters.
 * And parsing the stored line again gives the same event.
 *
 * Each line goes through Exim's parser too, with what it promises (mta.h):
 * NUL-terminated fields, the line kept as for Postfix, text inside it (the
 * whole of it when not parsed, with no queue ID or status), a queue ID of
 * 16 characters, delivery fields only with a queue ID, a known TLS value,
 * a reason only with a failure; parsing the stored line again gives the
 * same event.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "maillog.h"
#include "mta_exim.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)
#define TERMINATED(f) CHECK(memchr((f), '\0', sizeof(f)) != NULL)

static struct mta_event ev, again;

static void
check_event(const char *line, size_t len, int rc)
{
	size_t n = len, tl;
	const char *p;

	CHECK(rc == 0 || rc == -1);
	TERMINATED(ev.line);
	TERMINATED(ev.time);
	TERMINATED(ev.service);
	TERMINATED(ev.daemon);
	TERMINATED(ev.queue_id);
	TERMINATED(ev.rcpt);
	TERMINATED(ev.orig_rcpt);
	TERMINATED(ev.relay);
	TERMINATED(ev.dsn);
	TERMINATED(ev.status);
	TERMINATED(ev.status_text);

	/* The line: without trailing CR/LF, cut, bytes as given. */
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n > ML_LINE_MAX - 1)
		n = ML_LINE_MAX - 1;
	CHECK(memcmp(ev.line, line, n) == 0 && ev.line[n] == '\0');
	tl = strlen(ev.line);
	CHECK(ev.text >= ev.line && ev.text <= ev.line + tl);

	if (rc < 0) {
		CHECK(ev.text == ev.line);
		CHECK(!ev.service[0] && !ev.daemon[0] && !ev.queue_id[0] && ev.pid == 0);
		return;
	}
	CHECK(ev.service[0] && ev.pid >= 0);	/* "postfix/[1]:" has no daemon */
	p = strrchr(ev.service, '/');
	CHECK(strcmp(p ? p + 1 : ev.service, ev.daemon) == 0 ||
	      strlen(ev.service) == sizeof ev.service - 1 ||
	      strlen(ev.daemon) == sizeof ev.daemon - 1);	/* cut */
	/* "SERVICE[PID]:" then at most one space before the text. */
	p = ev.text;
	if (p > ev.line && p[-1] == ' ')
		p--;
	CHECK(p - ev.line >= 4 && p[-1] == ':' && p[-2] == ']' &&
	      isdigit((unsigned char)p[-3]));
	if (ev.queue_id[0]) {
		size_t q = strlen(ev.queue_id);

		CHECK(q >= 6 && q < 32);
		for (size_t i = 0; i < q; i++)
			CHECK(isalnum((unsigned char)ev.queue_id[i]));
		CHECK(strncmp(ev.text, ev.queue_id, q) == 0 &&
		      ev.text[q] == ':' && ev.text[q + 1] == ' ');
	} else {
		CHECK(!ev.rcpt[0] && !ev.orig_rcpt[0] && !ev.relay[0] && !ev.dsn[0] &&
		      !ev.status[0] && !ev.status_text[0]);
	}
	for (p = ev.status; *p; p++)
		CHECK(isalpha((unsigned char)*p));
}

/* Parsing the stored line (up to its first NUL) again gives the same. */
static void
check_again(int rc)
{
	size_t tl = strlen(ev.line);

	if (tl > 0 && (ev.line[tl - 1] == '\r' || ev.line[tl - 1] == '\n'))
		return;		/* cut right after a CR: stripped the second time */
	CHECK(ml_parse_line(ev.line, tl, &again) == rc);
	CHECK(strcmp(again.line, ev.line) == 0);
	CHECK(again.text - again.line == ev.text - ev.line);
	CHECK(!strcmp(again.time, ev.time) && !strcmp(again.service, ev.service) &&
	      !strcmp(again.daemon, ev.daemon) && again.pid == ev.pid &&
	      !strcmp(again.queue_id, ev.queue_id) && !strcmp(again.rcpt, ev.rcpt) &&
	      !strcmp(again.orig_rcpt, ev.orig_rcpt) && !strcmp(again.relay, ev.relay) &&
	      !strcmp(again.dsn, ev.dsn) && !strcmp(again.status, ev.status) &&
	      !strcmp(again.status_text, ev.status_text));
}

static void
exim_check(const char *line, size_t len, int rc)
{
	size_t n = len, tl;

	CHECK(rc == 0 || rc == -1);
	TERMINATED(ev.line);
	TERMINATED(ev.time);
	TERMINATED(ev.service);
	TERMINATED(ev.daemon);
	TERMINATED(ev.queue_id);
	TERMINATED(ev.rcpt);
	TERMINATED(ev.orig_rcpt);
	TERMINATED(ev.relay);
	TERMINATED(ev.dsn);
	TERMINATED(ev.status);
	TERMINATED(ev.status_text);
	TERMINATED(ev.tls_reason);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	if (n > ML_LINE_MAX - 1)
		n = ML_LINE_MAX - 1;
	CHECK(memcmp(ev.line, line, n) == 0 && ev.line[n] == '\0');
	tl = strlen(ev.line);
	CHECK(ev.text >= ev.line && ev.text <= ev.line + tl);
	CHECK(ev.tls >= MTA_TLS_NONE && ev.tls <= MTA_TLS_FAILED);
	CHECK(ev.tls == MTA_TLS_FAILED || !ev.tls_reason[0]);
	CHECK(!ev.daemon[0]);
	if (rc < 0) {
		CHECK(ev.text == ev.line && !ev.time[0] && !ev.queue_id[0] && !ev.status[0]);
		return;
	}
	CHECK(strlen(ev.time) == 19 && !strcmp(ev.service, "exim"));
	if (ev.queue_id[0])
		CHECK(strlen(ev.queue_id) == 16);
	else
		CHECK(!ev.rcpt[0] && !ev.orig_rcpt[0] && !ev.relay[0] && !ev.dsn[0] &&
		      !ev.status[0] && !ev.status_text[0]);
	CHECK(!ev.status[0] || !strcmp(ev.status, "sent") || !strcmp(ev.status, "deferred") ||
	      !strcmp(ev.status, "bounced"));
}

static void
exim_again(int rc)
{
	size_t tl = strlen(ev.line);

	if (tl > 0 && (ev.line[tl - 1] == '\r' || ev.line[tl - 1] == '\n'))
		return;
	CHECK(mta_exim_parse(ev.line, tl, &again) == rc);
	CHECK(strcmp(again.line, ev.line) == 0);
	CHECK(again.text - again.line == ev.text - ev.line);
	CHECK(!strcmp(again.time, ev.time) && again.pid == ev.pid &&
	      !strcmp(again.queue_id, ev.queue_id) && !strcmp(again.rcpt, ev.rcpt) &&
	      !strcmp(again.orig_rcpt, ev.orig_rcpt) && !strcmp(again.relay, ev.relay) &&
	      !strcmp(again.dsn, ev.dsn) && !strcmp(again.status, ev.status) &&
	      !strcmp(again.status_text, ev.status_text) && again.tls == ev.tls &&
	      !strcmp(again.tls_reason, ev.tls_reason));
}

static void
parse(const char *line, size_t len)
{
	int rc = ml_parse_line(line, len, &ev);

	check_event(line, len, rc);
	check_again(rc);
	rc = mta_exim_parse(line, len, &ev);
	exim_check(line, len, rc);
	exim_again(rc);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *end = s + size, *nl;
	char *copy;

	/* Each line in a block of its own size, so that reading past it is
	 * caught (libFuzzer's data is such a block for the whole input). */
	for (; s < end; s = nl + 1) {
		nl = memchr(s, '\n', (size_t)(end - s));
		if (!nl)
			nl = end;
		if (!(copy = malloc(nl > s ? (size_t)(nl - s) : 1)))
			return 0;
		memcpy(copy, s, (size_t)(nl - s));
		parse(copy, (size_t)(nl - s));
		free(copy);
	}
	parse((const char *)data, size);
	return 0;
}
