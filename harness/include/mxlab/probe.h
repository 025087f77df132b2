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
	const char *target;		/* HOST[:PORT] (PORT number or smtp/submission/smtps) */
	const char *ca_file;		/* trust; NULL: no CA (trust is not judged) */
	const char *ca_dir;
	const char *name;		/* the name the certificate must carry;
					   NULL: the host when it is a name */
	const char *const *sni_names;	/* extra SNI names to try (NULL-terminated or NULL) */
	int implicit_tls;		/* SMTPS (465 style) instead of STARTTLS */
	unsigned timeout_ms;		/* per connection; 0: 10000 */
};

enum mxlab_probe_severity {
	MXLAB_PROBE_OK = 0,		/* a check that passed, for the record */
	MXLAB_PROBE_INFO,
	MXLAB_PROBE_WARN,
	MXLAB_PROBE_ERROR
};

/*
 * Finding identifiers (stable: scenarios and scripts match on them):
 * starttls-missing, starttls-refused, tls-failed, chain-leaf-only,
 * chain-ok, untrusted-issuer, self-signed, expired, not-yet-valid,
 * name-mismatch, sni-differs, sni-same, auth-before-tls, auth-after-tls-only,
 * old-protocols, protocols, no-ca (trust not judged).
 */
struct mxlab_probe_finding {
	char id[32];
	enum mxlab_probe_severity severity;
	char seen[512];			/* what was observed */
	char cause[512];		/* why that usually happens */
	char fix[512];			/* what to change */
};

#define MXLAB_PROBE_MAX_FINDINGS 32

struct mxlab_probe_report {
	char target[300];
	int connected;
	char greeting[512];
	int starttls_offered;
	int auth_before_tls;		/* AUTH advertised in plaintext */
	char auth_mechs_before[256];
	char auth_mechs_after[256];
	struct mxlab_client_result nosni;	/* the session without SNI */
	struct mxlab_client_result sni;		/* the session with SNI (name) */
	char versions_accepted[64];	/* "TLSv1.2" (space separated) */
	char versions_refused[64];
	size_t nfindings;
	struct mxlab_probe_finding findings[MXLAB_PROBE_MAX_FINDINGS];
};

const char *mxlab_probe_severity_name(enum mxlab_probe_severity s);

/* Runs every check; MXLAB_OK even when the server is broken (that is what
 * the findings say); an error only for bad options (err says which). */
mxlab_err mxlab_probe_run(const struct mxlab_probe_options *opt,
			  struct mxlab_probe_report *rep, char *err, size_t errlen);

/* Does the report hold a finding with this id? */
int mxlab_probe_has(const struct mxlab_probe_report *rep, const char *id);

/* The report as JSON (malloc'ed) or as human text (malloc'ed). */
char *mxlab_probe_report_json(const struct mxlab_probe_report *rep);
char *mxlab_probe_report_text(const struct mxlab_probe_report *rep);

#ifdef __cplusplus
}
#endif
#endif
