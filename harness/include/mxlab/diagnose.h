/*
 * mxlab/diagnose.h: `mxlab diagnose`, the TLS failures of a Postfix
 * maillog, per destination and per cause, with the fix
 * (docs/diagnose.md, the causes: docs/tls-guide.md).
 *
 * Feed it the log as bytes, in chunks of any size, one input at a time
 * (mxlab_diagnose_begin / _feed / _end): plain syslog maillog lines
 * ("Nov 30 18:10:49 host postfix/smtp[13]: ..."), lines with an ISO time
 * or a year, and `journalctl -u postfix` output all parse. It reads
 * Postfix's smtp and smtpd lines, links each TLS line (a verification
 * failure, a handshake error, a TLS library problem) to the delivery line
 * of the same smtp[PID] (status=deferred/bounced/sent) or to the end of the
 * same smtpd[PID] session, follows queue IDs (a later "status=expired" of
 * a message deferred for a TLS cause), and keeps one aggregate per
 * direction, destination and cause: counts, first and last time, one
 * example line. The causes and fixes are those of `mxlab probe`'s findings
 * (one table), each with its docs/tls-guide.md anchor.
 *
 * Streaming, bounded memory: the aggregates are capped (beyond the cap a
 * destination is counted under "(other destinations)"), and the table of
 * in-flight smtp[PID]/smtpd[PID] links and of queue IDs is fixed in size
 * and evicts its oldest entries. A line longer than 8 KiB is cut; a line
 * it does not understand is counted and skipped; a line that is not text
 * (a NUL or another control byte) is counted, noted ("FILE: line N: not
 * text, skipped") and skipped. Nothing is fatal.
 *
 * Each cause is also named by its RFC 8460 result type, and
 * mxlab_diagnose_tlsrpt() writes an RFC 8460 aggregate report for one
 * recipient domain.
 *
 * The library prints nothing: mxlab_diagnose_text() and _json() return
 * malloc'ed strings. One handle, one thread. Errors: NULL from _new()
 * and the report functions when out of memory.
 */
#ifndef MXLAB_DIAGNOSE_H
#define MXLAB_DIAGNOSE_H

#include <stddef.h>

#include "mxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct mxlab_diagnose mxlab_diagnose;

/* One destination and cause. Strings stay valid until mxlab_diagnose_free. */
struct mxlab_diagnose_entry {
	const char *daemon;		/* "smtp" (outbound), "smtpd" (inbound) or
					   "mta-sts" (the MTA-STS resolver: a
					   policy of the destination domain) */
	const char *destination;	/* smtp: the relay host ("mx.partner.example"),
					   or the host named by the TLS line; smtpd:
					   the client ("mail.example[192.0.2.1]") */
	const char *domain;		/* smtp: a recipient domain seen, "" none */
	const char *cause;		/* stable identifier: untrusted-issuer,
					   self-signed, expired, not-yet-valid,
					   name-mismatch, dane-mismatch,
					   verify-failed, starttls-missing,
					   starttls-refused, protocol-mismatch,
					   client-protocol-mismatch,
					   client-rejected-cert, client-tls-failed */
	const char *term;		/* docs/tls-guide.md's words for it */
	const char *why;		/* the usual cause (shared with probe) */
	const char *fix;
	const char *meanwhile;		/* smtp: the sending side's option, or NULL */
	const char *guide;		/* "docs/tls-guide.md#s14-chain" */
	unsigned long long count;	/* TLS events of this cause */
	unsigned long long deferred, bounced, sent, expired;
	unsigned long long other;	/* no status line linked (smtpd: every one) */
	unsigned long long messages;	/* distinct queue IDs (smtp) */
	int failure;			/* a failure: anything but sent */
	const char *first, *last;	/* times as logged, in input order */
	const char *example;		/* one line of the log */
	const char *example_where;	/* "FILE:LINE" of it */
	const char *result_type;	/* its RFC 8460 result type:
					   "certificate-not-trusted", ... */
};

struct mxlab_diagnose_stats {
	unsigned long long lines;	/* lines read */
	unsigned long long postfix;	/* lines from Postfix (service postfix.../NAME[PID]) */
	unsigned long long smtp, smtpd;	/* of those, smtp and smtpd lines */
	unsigned long long tls_events;	/* TLS causes recognised */
	unsigned long long failures;	/* of those, failures (not sent) */
	unsigned long long skipped;	/* lines not understood (not a log line,
					   not Postfix): counted, skipped */
	unsigned long long not_text;	/* lines with NUL or control bytes */
	unsigned long long too_long;	/* lines cut at 8 KiB */
	unsigned long long unterminated;/* inputs whose last line had no newline */
	unsigned long long evicted;	/* in-flight links dropped for room */
	unsigned long long folded;	/* events counted under "(other destinations)" */
	unsigned long long sts;		/* lines of the MTA-STS resolver read
					   (a policy fetched or not) */
};

MXLAB_API mxlab_diagnose *mxlab_diagnose_new(void);
MXLAB_API void mxlab_diagnose_free(mxlab_diagnose *d);	/* NULL ok */

/* One input: begin names it (for notes: "FILE: line N"), feed gives its
 * bytes in chunks of any size, end finishes its last line. */
MXLAB_API void mxlab_diagnose_begin(mxlab_diagnose *d, const char *name);
MXLAB_API void mxlab_diagnose_feed(mxlab_diagnose *d, const char *buf, size_t len);
MXLAB_API void mxlab_diagnose_end(mxlab_diagnose *d);

/* After the last input: links still in flight become entries (outcome
 * "other"), the entries are sorted (failures first, most frequent
 * first). Feeding after it is allowed; call it again before reading. */
MXLAB_API void mxlab_diagnose_finish(mxlab_diagnose *d);

MXLAB_API size_t mxlab_diagnose_count(const mxlab_diagnose *d);
/* Entry i (0 <= i < count) into *e: 0, or -1 when out of range. */
MXLAB_API int mxlab_diagnose_entry(const mxlab_diagnose *d, size_t i,
				   struct mxlab_diagnose_entry *e);
MXLAB_API void mxlab_diagnose_get_stats(const mxlab_diagnose *d, struct mxlab_diagnose_stats *s);
/* The first notes about the input ("maillog: line 7: not text (NUL byte),
 * skipped"); at most 20 are kept (the stats count all). */
MXLAB_API size_t mxlab_diagnose_nnotes(const mxlab_diagnose *d);
MXLAB_API const char *mxlab_diagnose_note(const mxlab_diagnose *d, size_t i);

/* Malloc'ed reports (NULL when out of memory): text for people, JSON
 * (docs/diagnose.md) for machines. */
MXLAB_API char *mxlab_diagnose_text(const mxlab_diagnose *d);
MXLAB_API char *mxlab_diagnose_json(const mxlab_diagnose *d);

/* An RFC 8460 (SMTP TLS Reporting) aggregate report for one recipient
 * domain (docs/diagnose.md, docs/tlsrpt.schema.json). */
struct mxlab_tlsrpt_options {
	const char *domain;		/* the policy domain: recipients @domain */
	const char *organization;	/* organization-name */
	const char *contact;		/* contact-info */
	const char *report_id;		/* NULL: START-DATETIME_DOMAIN */
	int year;			/* for log times without a year; 0: the
					   current one (or the last, for a date
					   ahead of now) */
};

/* Before the input: keep TLS-RPT sessions of this domain only (NULL:
 * all, up to 1024 domain x MX x address x cause rows; sessions beyond
 * are not counted). Set it when the report's domain is known: a log of
 * many domains then cannot crowd it out. */
MXLAB_API void mxlab_diagnose_tlsrpt_domain(mxlab_diagnose *d, const char *domain);

/* The report as malloc'ed JSON (NULL when out of memory), read from the
 * sessions to the domain's MX hosts since mxlab_diagnose_new: each
 * "TLS connection established" with no TLS failure linked to its first
 * delivery is a successful session, each delivery failed for a TLS cause
 * (the first of its session) a failed one, under its result type. The
 * date range is that of the Postfix lines read. */
MXLAB_API char *mxlab_diagnose_tlsrpt(const mxlab_diagnose *d,
				      const struct mxlab_tlsrpt_options *o);

#ifdef __cplusplus
}
#endif
#endif
