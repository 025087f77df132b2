/*
 * expect.h: the assertion engine of a scenario's [expect] section.
 *
 * Each [expect] line becomes one expectation (ex_parse):
 *   status = deferred 4.7.5              every recipient of [send]
 *   status bob@partner.example = sent    one recipient (dsn optional)
 *   log = REGEX                          a maillog line matches (any daemon)
 *   log smtp = REGEX                     ... a line of that daemon
 *   no-log = REGEX / no-log smtp = REGEX no such line, ever
 *   server mx tls = yes|no               the server saw a TLS handshake
 *   server mx handshake = ok|failed      how its first handshake ended
 *   server mx sni = NAME|none            the SNI of its first handshake
 *   server mx chain = TEXT               its chain label contains TEXT
 *   server mx certificates = N           certificates in the chain served
 *   server mx tls-version = TLSv1.2
 *   server mx messages = N               messages accepted (alias: mail)
 *   server mx body = REGEX               a stored message matches
 *   client c reply STAGE = CODE [REGEX]  the reply the fake client got at a
 *                                        stage (greeting, ehlo, starttls,
 *                                        ehlo-tls, auth, mail, rcpt, data, dot)
 *   client c stopped = STAGE|done        where its session stopped
 *   client c tls = yes|no                a handshake completed
 *   client c tls-version = TLSv1.2
 *   client c caps-before = REGEX         an EHLO keyword line before TLS
 *   client c no-caps-before = REGEX      ... no such line (caps-after,
 *                                        no-caps-after: over TLS)
 *   client c chain-length = N            certificates the server presented
 *   client c subject = REGEX             of the leaf (issuer = REGEX too)
 *   client c verify = ok|failed          the verdict
 *   client c reasons = NAME...           each reason is among the reasons
 *                                        (untrusted-issuer, self-signed,
 *                                        expired, not-yet-valid,
 *                                        name-mismatch, bad-usage, no-chain)
 *   client c resumed = yes|no            the last session was resumed
 *   client c sni = NAME|none             the SNI the client sent
 *   probe p finding = ID                 mxlab probe reported that finding
 *   probe p no-finding = ID              ... did not
 * Statuses: sent, deferred, bounced, expired; a DSN after the status is
 * a prefix by whole fields ("4.7" matches 4.7.5, not 4.70.1). A recipient
 * is decided by the FIRST status= line whose to=<> (or orig_to=<>) it is,
 * compared case-insensitively. "expired": Postfix 3.7 logs the recipient
 * deferred and then qmgr's "QUEUEID: from=<...>, status=expired, returned
 * to sender" (no to=), so a deferred line waits for that line of the same
 * queue ID (whose DSN is the deferred one's); a bounced line that says
 * "expired" also counts. "status =" without a recipient needs every
 * recipient of ex_set_recipients to match and is decided when all have a
 * status.
 * Regexes are POSIX extended (regcomp), case-sensitive, matched anywhere
 * in the text after "daemon[pid]: ", in the bounded dialect of rxcheck.h
 * (refused by ex_parse otherwise; one set's regexes together have at most
 * RX_FILE_SIZE_MAX positions). A daemon is the service name's last
 * part ("smtp"); one with a slash ("submission/smtpd") is matched against
 * the end of the service name ("postfix/submission/smtpd"). body regexes
 * run on each stored .eml with CRLF read as LF, REG_NEWLINE (^ and $ per
 * line).
 *
 * Deciding: status and log expectations are decided as maillog events
 * arrive (ex_feed); no-log and server expectations, and whatever is left,
 * are decided by ex_finish at the end (timed_out: the undecided positive
 * ones fail with "not seen within the timeout"; otherwise "not seen before
 * the scenario ended"). A no-log fails at its first matching line.
 * Every decided expectation carries the evidence that decided it, passed
 * or failed. A status: the status lines seen for the recipient and the
 * TLS lines the same smtp[PID] logged for that delivery before them (a
 * failure with nothing seen: the lines that named the recipient and the
 * last lines of smtp). A log: the line that matched (failed: the last
 * lines of its daemon). A no-log: the lines that matched (at most 5), or
 * on a pass "no matching line among N maillog lines[ of DAEMON]". A
 * server fact: the server's handshakes and messages (one line each); a
 * client fact: a summary of the client's session; a probe fact: the
 * probe's findings; each of these three on a pass first says what was
 * seen ("saw TLSv1.3", "probe p reported ID").
 * ex_undecided counts status and log expectations only: a set of server
 * facts alone is "decided" at once, so a runner should also wait for the
 * delivery it causes.
 * Call ex_set_recipients before the first ex_feed.
 */
#ifndef MX_EXPECT_H
#define MX_EXPECT_H

#include <stddef.h>

#include "maillog.h"
#include "mxlab/server.h"
#include "mxlab/client.h"
#include "mxlab/probe.h"

struct ex_set;

struct ex_set *ex_set_new(void);
void ex_set_free(struct ex_set *s);		/* NULL ok */

/* Parse one line of [expect]: key is everything left of '=', trimmed
 * ("status bob@x", "log smtp", "server mx tls"), value the right side.
 * line is kept for reports. 0, or -1 with err set (no file:line prefix;
 * the caller adds it). */
int ex_parse(struct ex_set *s, int line, const char *key, const char *value,
	     char *err, size_t errlen);
size_t ex_count(const struct ex_set *s);
/* The server names referenced by server expectations (for checks that the
 * scenario declares them). */
size_t ex_server_refs(const struct ex_set *s, const char **names, size_t max);

/* The status expectations, in file order: the recipient of each (NULL for
 * "status =", every recipient) and its line. Returns how many there are
 * (may be more than max; only max are stored). */
size_t ex_status_list(const struct ex_set *s, const char **rcpt, int *line, size_t max);

/* The recipients "status =" without a recipient applies to. */
void ex_set_recipients(struct ex_set *s, const char *const *rcpt, size_t n);

/* Feed one maillog event (every line, in order). */
void ex_feed(struct ex_set *s, const struct mta_event *ev);
/* Positive expectations not yet decided (when 0, the scenario may end). */
size_t ex_undecided(const struct ex_set *s);

struct ex_server {
	const char *name;
	mxlab_server *srv;		/* read with the mxlab_server_*_log calls */
};
void ex_finish(struct ex_set *s, const struct ex_server *servers, size_t n, int timed_out);

/* What the fake clients and probes of a scenario saw. */
struct ex_client {
	const char *name;
	const struct mxlab_client_result *res;	/* NULL: it did not run */
};
struct ex_probe {
	const char *name;
	const struct mxlab_probe_report *rep;	/* NULL: it did not run */
};
struct ex_world {
	const struct ex_server *servers;
	size_t nservers;
	const struct ex_client *clients;
	size_t nclients;
	const struct ex_probe *probes;
	size_t nprobes;
};
/* ex_finish with clients and probes as well. */
void ex_finish_world(struct ex_set *s, const struct ex_world *w, int timed_out);

struct ex_result {
	int line;			/* in the scenario file */
	const char *text;		/* the expectation as written: "status = sent" */
	int passed;
	const char *why;		/* failed: what was expected and what was seen */
	const char *evidence;		/* passed or failed: the log lines / facts that decided
					 * it, '\n' separated; "" when undecided */
};
/* Results in file order; valid until ex_set_free. */
size_t ex_results(const struct ex_set *s, const struct ex_result **out);
int ex_all_passed(const struct ex_set *s);

#endif
