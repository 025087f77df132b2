/*
 * mxlab/probe.h: `mxlab probe`, the seed guide's diagnostics done for the
 * user against one SMTP server.
 *
 * mxlab_probe_run() connects several times with the fake client
 * (mxlab/client.h): with and without SNI (and with each extra name given),
 * over STARTTLS or implicit TLS, once per TLS version to learn which are
 * accepted, and in plaintext to see what the server offers before TLS.
 * It compares what it saw and returns findings, each with an identifier,
 * a severity, what was seen, the likely cause and the fix in plain words
 * (for example: the server sends 1 certificate, so smtpd_tls_cert_file
 * most likely holds the leaf alone: serve the full chain).
 *
 * The work is split in two: mxlab_probe_run() gathers facts into a
 * struct mxlab_probe_report (no judgement), then mxlab_probe_analyse()
 * turns those facts into findings (no network). A report filled by hand
 * can be analysed on its own, which is how the findings are tested.
 *
 * Reentrant: no globals; every call works on the caller's report. The
 * report is large (about 100 KiB): allocate it on the heap in threads
 * with small stacks.
 *
 * Errors: MXLAB_ERR_USAGE for bad options (a target that cannot be
 * parsed, a CA file the client refuses), MXLAB_ERR_NOMEM. A server that
 * is broken or unreachable is not an error of the call: the findings say
 * so (connect-failed, tls-failed, ...).
 */
#ifndef MXLAB_PROBE_H
#define MXLAB_PROBE_H

#include <stddef.h>

#include "mxlab/client.h"
#include "mxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

struct mxlab_probe_options {
	const char *target;		/* HOST[:PORT], [IPv6]:PORT (PORT number or
					   smtp/submission/smtps); default port 25 */
	const char *ca_file;		/* trust; NULL: no CA (trust is not judged) */
	const char *ca_dir;
	const char *name;		/* the name the certificate must carry;
					   NULL: the host when it is a name */
	const char *const *sni_names;	/* extra SNI names to try (NULL-terminated or NULL) */
	int implicit_tls;		/* SMTPS (465 style) instead of STARTTLS;
					   port 465 implies it */
	unsigned timeout_ms;		/* each stage of a session as a whole (the
					   connect, the handshake, each command
					   with its whole reply); 0: 10000 */
	unsigned total_timeout_ms;	/* the whole probe, every session
					   included; 0: 6 x timeout_ms */
};

enum mxlab_probe_severity {
	MXLAB_PROBE_OK = 0,		/* a check that passed, for the record */
	MXLAB_PROBE_INFO,
	MXLAB_PROBE_WARN,
	MXLAB_PROBE_ERROR
};

/*
 * Finding identifiers (stable: scenarios and scripts match on them; the
 * exact rule of each is in docs/probe.md):
 * connect-failed, starttls-missing, starttls-refused, tls-failed,
 * chain-leaf-only, chain-ok, untrusted-issuer, self-signed, expired,
 * not-yet-valid, name-mismatch, bad-usage, verify-failed, sni-differs, sni-same,
 * auth-before-tls, auth-after-tls-only, old-protocols, protocols,
 * tls13-not-offered (1.3 tested and refused; not when this mbedTLS lacks it),
 * no-ca (trust not judged), probe-incomplete (the total ran out).
 */
struct mxlab_probe_finding {
	char id[32];
	enum mxlab_probe_severity severity;
	char seen[512];			/* what was observed */
	char cause[512];		/* why that usually happens */
	char fix[512];			/* what to change */
};

#define MXLAB_PROBE_MAX_FINDINGS 32
#define MXLAB_PROBE_MAX_SNI 4		/* extra SNI names probed */

/* What an extra SNI name got (the session's essentials). */
struct mxlab_probe_sni {
	char name[256];
	int tls;			/* the handshake completed */
	char error[512];		/* why not */
	int nchain;
	char subject[256];		/* of the leaf */
	char issuer[256];
	char not_before[24];
	char not_after[24];
	char names[512];		/* "DNS:a.example, IP:127.0.0.1" */
	char top_subject[256];		/* the last certificate of the chain */
	char top_issuer[256];
	int verified;
	unsigned verify_reasons;	/* MXLAB_VR_* */
	char verify_text[512];
};

struct mxlab_probe_report {
	/* What was asked (filled by mxlab_probe_run from the options). */
	char target[300];
	char host[256];
	unsigned port;
	int implicit_tls;
	char name[256];			/* name checked, "" none (an IP without --name) */
	int ca_given;			/* a CA file or dir was given: trust is judged */
	long long now;			/* time of the probe (Unix seconds), for dates */

	/* Plaintext session (STARTTLS mode only). */
	int connected;			/* TCP connect worked */
	char greeting[512];		/* "220 mx.example.test ESMTP" ("" none) */
	int greeting_code;
	char connect_error[512];	/* why not connected / no greeting */
	int ehlo_done;			/* EHLO in plaintext got 250 */
	int starttls_offered;
	int auth_before_tls;		/* AUTH advertised in plaintext */
	char auth_mechs_before[256];
	char auth_mechs_after[256];

	/* TLS sessions. */
	int nosni_done, sni_done;	/* the session was attempted */
	struct mxlab_client_result nosni;	/* the session without SNI */
	struct mxlab_client_result sni;		/* the session with SNI (name) */
	size_t nextra;
	struct mxlab_probe_sni extra[MXLAB_PROBE_MAX_SNI];

	/* One session per version this mbedTLS can speak. */
	char versions_tested[64];	/* "TLSv1.0 TLSv1.1 TLSv1.2" */
	char versions_accepted[64];	/* "TLSv1.2" (space separated) */
	char versions_refused[64];
	char versions_untested[64];	/* what this mbedTLS cannot speak */

	double seconds;			/* wall time of the probe */
	unsigned total_timeout_ms;	/* the bound of the whole probe */
	int out_of_time;		/* it ran out: sessions were cut short
					   (their error says session-timeout)
					   or not run */

	size_t nfindings;
	struct mxlab_probe_finding findings[MXLAB_PROBE_MAX_FINDINGS];
};

MXLAB_API const char *mxlab_probe_severity_name(enum mxlab_probe_severity s);	/* "OK", "INFO", "WARN", "ERROR" */

/* Runs every check; MXLAB_OK even when the server is broken (that is what
 * the findings say); an error only for bad options (err says which). */
MXLAB_API mxlab_err mxlab_probe_run(const struct mxlab_probe_options *opt,
			            struct mxlab_probe_report *rep, char *err, size_t errlen);

/* Recompute rep->findings from the facts in rep (everything above
 * nfindings). Pure: no network, no clock (rep->now is used for dates). */
MXLAB_API void mxlab_probe_analyse(struct mxlab_probe_report *rep);

/* Split a target: HOST, HOST:PORT, [IPv6]:PORT, bare IPv6; PORT a number
 * or smtp (25), submission (587), smtps/submissions (465). 0, or -1 with
 * err set. */
MXLAB_API int mxlab_probe_parse_target(const char *target, char *host, size_t hostlen,
			               unsigned *port, char *err, size_t errlen);

/* Does the report hold a finding with this id? */
MXLAB_API int mxlab_probe_has(const struct mxlab_probe_report *rep, const char *id);
/* The finding with this id (the first), or NULL. */
MXLAB_API const struct mxlab_probe_finding *mxlab_probe_find(const struct mxlab_probe_report *rep,
						             const char *id);
/* The highest severity among the findings (MXLAB_PROBE_OK when none). */
MXLAB_API enum mxlab_probe_severity mxlab_probe_worst(const struct mxlab_probe_report *rep);

/* The report as JSON (malloc'ed) or as human text (malloc'ed); NULL when
 * out of memory. */
MXLAB_API char *mxlab_probe_report_json(const struct mxlab_probe_report *rep);
MXLAB_API char *mxlab_probe_report_text(const struct mxlab_probe_report *rep);

#ifdef __cplusplus
}
#endif
#endif
