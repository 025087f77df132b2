/*
 * tlscause.h: the one table of TLS causes and fixes that `mxlab probe`'s
 * findings and `mxlab diagnose`'s verdicts share (docs/tls-guide.md).
 *
 * Each row names a failure (or a check) in the words of docs/tls-guide.md:
 * the identifier the tools print (a probe finding id, a diagnose cause),
 * the guide's anchor, a short term, the usual cause and the fix. Outbound
 * rows also say what the sending side can do until the peer is fixed
 * (`meanwhile`): diagnose prints it for smtp lines, probe does not.
 * Several rows may share an identifier (probe words connect-failed three
 * ways); they then share the anchor too.
 *
 * The last column names each failure by its RFC 8460 (SMTP TLS
 * Reporting) result type, for the runner's reports and diagnose's
 * --tlsrpt; tlscause.c says which rows get the closest type and why.
 *
 * Rows TC_SNI_DIFFERS's cause and fix are printf formats (cause: the
 * subject, then ", which is not valid for this name" or ""; fix: the
 * name); every other text is plain.
 *
 * Pure data: no state, no errors.
 */
#ifndef MX_TLSCAUSE_H
#define MX_TLSCAUSE_H

#include <stddef.h>

/* Where the anchors live, for links printed to users. */
#define TLSCAUSE_GUIDE "docs/tls-guide.md"

enum tc_key {
	/* mxlab probe: reaching the server */
	TC_CONNECT_FAILED = 0,
	TC_CONNECT_GREETING,
	TC_CONNECT_EHLO,
	TC_PROBE_INCOMPLETE,
	/* STARTTLS and the handshake (probe, and diagnose on smtp lines) */
	TC_STARTTLS_MISSING,
	TC_STARTTLS_REFUSED,
	TC_TLS_FAILED,
	TC_TLS_NO_CERT,
	TC_TLS_FAILED_SNI,
	/* the certificate */
	TC_SELF_SIGNED,
	TC_CHAIN_LEAF_ONLY,
	TC_UNTRUSTED_ISSUER,
	TC_EXPIRED,
	TC_NOT_YET_VALID,
	TC_NAME_MISMATCH,
	TC_BAD_USAGE,
	TC_VERIFY_FAILED,
	TC_SNI_DIFFERS,
	TC_SNI_DIFFERS_EXTRA,
	/* versions, AUTH, trust */
	TC_OLD_PROTOCOLS,
	TC_PROTOCOLS_NONE,
	TC_TLS13_NOT_OFFERED,
	TC_AUTH_BEFORE_TLS,
	TC_NO_CA,
	/* mxlab diagnose: what only a maillog shows */
	TC_UNTRUSTED_CHAIN,		/* "untrusted issuer": leaf only or unknown CA */
	TC_PROTOCOL_MISMATCH,		/* smtp: no version or cipher in common */
	TC_DANE_MISMATCH,
	TC_DANE_REQUIRED,		/* dane-only: the MX has no TLSA record */
	TC_DNSSEC_INVALID,		/* dane-only: the answers are not DNSSEC-validated */
	TC_CLIENT_PROTOCOL_MISMATCH,	/* smtpd: the client's versions or ciphers */
	TC_CLIENT_REJECTED_CERT,	/* smtpd: the client refused our certificate */
	TC_CLIENT_TLS_FAILED,		/* smtpd: the handshake failed, no reason */
	/* mxlab probe and send: plaintext after the 220 to STARTTLS */
	TC_STARTTLS_INJECTION,
	/* mxlab diagnose: the MTA-STS resolver's log (policy lookups) */
	TC_STS_FETCH_ERROR,		/* the policy could not be fetched */
	TC_STS_WEBPKI,			/* the policy host's certificate failed */
	TC_STS_INVALID,			/* the policy fetched is not valid */
	TC_COUNT
};

struct tlscause {
	const char *id;		/* printed: "chain-leaf-only", "expired" */
	const char *anchor;	/* in docs/tls-guide.md: "s6", "s14-expired"; NULL none */
	const char *term;	/* the guide's words: "leaf-only chain" */
	const char *cause;	/* why that usually happens */
	const char *fix;	/* what to change on the side at fault */
	const char *meanwhile;	/* outbound: the sender's side until then; NULL none */
	const char *rpt;	/* its RFC 8460 result type ("certificate-expired"),
				   NULL for rows that are not a failed TLS
				   session (no connection, a probe's advice) */
};

/* The row of key (never NULL for key < TC_COUNT). */
const struct tlscause *tlscause_get(enum tc_key key);
/* The first row printed as id, or NULL. */
const struct tlscause *tlscause_by_id(const char *id);

#endif
