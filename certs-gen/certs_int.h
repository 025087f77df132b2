/*
 * certs_int.h: what the files of certs-gen share (private to certs-gen/).
 *
 *   certs_profile.c   the profile table (data: signer, validity, EKU, CA,
 *                     expected verdicts), names, mxlab_pki_path()
 *   certs_host.c      host spec parsing and name validation
 *   certs_x509.c      RNG, key generation, issuing one certificate, reading
 *                     one back for the manifest
 *   certs_keys.c      keys made ahead for several PKIs (mxlab_pki_keys)
 *   certs_file.c      mkdir -p and write-then-rename with a given mode
 *   certs_manifest.c  the list of written files and manifest.json
 *   certs.c           mxlab_pki_generate(): the order of the work
 * Conventions: functions that can fail return mxlab_err and write
 * "what: why" into (err, errlen); the x509 layer returns mbedTLS codes and
 * certs_tls_error() turns one into text.
 */
#ifndef CERTS_INT_H
#define CERTS_INT_H

#include <stddef.h>
#include <time.h>

#include <mbedtls/pk.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ctr_drbg.h>

#include "mxlab/certs.h"

#define CERTS_NAME_MAX	253	/* longest DNS name accepted */
#define CERTS_SPEC_MAX	2048	/* longest host spec accepted */
#define CERTS_NAMES_MAX	32	/* names in one host spec */
#define CERTS_PEM_MAX	8192	/* one PEM certificate or key */
#define CERTS_DN_MAX	256
#define CERTS_DAY	(24L * 60 * 60)
#define CERTS_WRONG_NAME "wrong-name.mxlab.invalid"

/* ---- certs_host.c */

enum certs_name_type { CERTS_DNS, CERTS_IP4, CERTS_IP6 };

struct certs_name {
	enum certs_name_type type;
	char text[CERTS_NAME_MAX + 1];	/* as given (IPs: inet_ntop form) */
	unsigned char ip[16];
	size_t iplen;			/* 4 or 16 for IPs, else 0 */
};

struct certs_host {
	const char *spec;		/* as given by the caller */
	char dirname[CERTS_NAME_MAX + 1]; /* first name, '*' -> '_' */
	struct certs_name names[CERTS_NAMES_MAX];
	size_t nnames;
};

/* Parse one name; returns NULL or a short reason ("invalid name"). */
const char *certs_name_parse(const char *s, size_t len, struct certs_name *out);
/* "mx.example.test,127.0.0.1" -> host; USAGE with "host spec '...': ..." */
mxlab_err certs_host_parse(const char *spec, struct certs_host *h,
			   char *err, size_t errlen);
/* The on-disk form of a host name: a '*' becomes '_'. */
void certs_host_dirname(const char *name, char *buf, size_t buflen);
/* "DNS:x" or "IP:x" into buf. */
void certs_name_format(const struct certs_name *n, char *buf, size_t buflen);

/* ---- certs_profile.c */

enum certs_signer {
	CERTS_BY_INTERMEDIATE,
	CERTS_BY_ROOT,
	CERTS_BY_OTHER_ROOT,
	CERTS_BY_SELF
};

#define CERTS_EKU_SERVER 1u
#define CERTS_EKU_CLIENT 2u

struct certs_profile {
	const char *name;		/* on disk */
	enum certs_signer signer;
	long nb_days, na_days;		/* validity, days from now */
	int wrong_name;			/* SAN is the wrong name only */
	unsigned eku;			/* CERTS_EKU_* bits */
	int ca;				/* basicConstraints CA:TRUE */
	/* Expected verdicts, with the host's first name as the name to
	 * check and ca/root.crt as the only trust anchor: the BADCERT_ flags
	 * an mbedTLS TLS client reports (mbedtls_ssl_get_verify_result; plain
	 * mbedtls_x509_crt_verify does not check the EKU), "0" for none; and
	 * the `openssl verify -untrusted ca/intermediate.crt -purpose
	 * sslserver -verify_hostname NAME` error number, 0 for OK. */
	const char *mbedtls_flags;
	int openssl_error;
	const char *proves;		/* one line for docs and the manifest */
};

const struct certs_profile *certs_profile_get(enum mxlab_pki_profile p);

/* ---- certs_x509.c */

struct certs_rng {
	mbedtls_entropy_context entropy;
	mbedtls_ctr_drbg_context drbg;
};

/* A key, and what signs with it. mbedTLS 2.28 signs with an EC key of
 * type ECKEY through a temporary ECDSA context whose group is loaded
 * afresh, so the precomputed multiples of the generator are computed again
 * for every signature (about half of its cost); sign is then an ECDSA-type
 * copy of the key that keeps them. On 3.x, and for RSA, sign is unused and
 * pk signs itself (certs_key_signer). */
struct certs_key {
	mbedtls_pk_context pk;		/* written to files and certificates */
	mbedtls_pk_context sign;
	int has_sign;
};

struct certs_issue {
	const char *subject;		/* "CN=..,O=.." */
	const char *issuer;		/* issuer's subject */
	mbedtls_pk_context *subject_key;
	mbedtls_pk_context *issuer_key;	/* == subject_key: self-signed */
	mbedtls_pk_context *issuer_signer; /* signs for issuer_key; NULL: itself */
	time_t not_before, not_after;
	int ca, pathlen;		/* pathlen -1: none */
	unsigned key_usage;		/* MBEDTLS_X509_KU_* */
	unsigned eku;			/* CERTS_EKU_*; 0: no extension */
	const struct certs_name *names;	/* SANs; none if nnames == 0 */
	size_t nnames;
};

/* What the manifest says about a certificate, read back from its PEM. */
struct certs_info {
	char subject[CERTS_DN_MAX];
	char issuer[CERTS_DN_MAX];
	char not_before[24], not_after[24];	/* 2026-11-28T10:00:00Z */
	char serial[64];			/* hex */
};

int certs_rng_init(struct certs_rng *rng);
void certs_rng_free(struct certs_rng *rng);
int certs_key_gen(mbedtls_pk_context *key, enum mxlab_pki_key_type type,
		  struct certs_rng *rng);
void certs_key_init(struct certs_key *k);
void certs_key_free(struct certs_key *k);
/* Generate k->pk, then its signer (certs_compat_signer). */
int certs_key_make(struct certs_key *k, enum mxlab_pki_key_type type,
		   struct certs_rng *rng);
mbedtls_pk_context *certs_key_signer(struct certs_key *k);
int certs_key_pem(mbedtls_pk_context *key, char *buf, size_t buflen);
int certs_x509_issue(const struct certs_issue *is, struct certs_rng *rng,
		     char *pem, size_t pemlen);
int certs_x509_info(const char *pem, struct certs_info *info);
/* "what: mbedTLS text (-0xNNNN)" into err; returns MXLAB_ERR_TLS. */
mxlab_err certs_tls_error(char *err, size_t errlen, const char *what, int code);
/* "2026-11-28T10:00:00Z" */
void certs_iso_time(time_t t, char *buf, size_t buflen);

/* ---- certs_keys.c */

#define CERTS_KEYS_HOSTS_MAX 64

struct mxlab_pki_keys {
	enum mxlab_pki_key_type type;
	struct certs_key ca[3];		/* root, intermediate, other root */
	struct certs_key *host;
	size_t nhosts;
};

/* ---- certs_file.c */

/* mkdir -p DIR/REL (REL may be NULL or ""); mode 0755. */
mxlab_err certs_file_mkdirs(const char *dir, const char *rel,
			    char *err, size_t errlen);
/* Write the concatenation of parts to DIR/REL via a temporary file that
 * is created with mode and renamed into place. Errors name REL. */
mxlab_err certs_file_write(const char *dir, const char *rel, int mode,
			   const char *const *parts, size_t nparts,
			   char *err, size_t errlen);

/* ---- certs_manifest.c */

struct certs_mf_file {
	char path[CERTS_NAME_MAX + 64];	/* relative to the PKI dir */
	const char *role;
	const char *host;		/* first name; NULL for CA files */
	const char *profile;		/* NULL for CA files */
	struct certs_info info;		/* of the (first) certificate */
	const struct certs_name *names;
	size_t nnames;
	int certificates;		/* certificates in the file */
	int has_key;			/* holds a private key */
};

struct certs_manifest {
	struct certs_mf_file *files;
	size_t nfiles, cap;
};

void certs_manifest_init(struct certs_manifest *mf);
void certs_manifest_free(struct certs_manifest *mf);
/* Append one entry (copied); MXLAB_ERR_NOMEM on failure. */
mxlab_err certs_manifest_add(struct certs_manifest *mf,
			     const struct certs_mf_file *f);
mxlab_err certs_manifest_write(const struct certs_manifest *mf,
			       const struct mxlab_pki_options *opt,
			       const struct certs_host *hosts, size_t nhosts,
			       const char *wrong_name, time_t now,
			       char *err, size_t errlen);

#endif
