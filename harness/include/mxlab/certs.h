/*
 * mxlab/certs.h: certs-gen, the test PKI written at run time with mbedTLS.
 *
 * mxlab_pki_generate() writes into one directory:
 *   ca/root.crt ca/root.key              the trusted root ("mxlab Test Root CA")
 *   ca/intermediate.crt ca/intermediate.key   issued by the root, pathlen 0
 *   ca/other-root.crt ca/other-root.key  an unrelated root nobody trusts
 *   HOST/PROFILE/leaf.crt               the leaf certificate
 *   HOST/PROFILE/leaf.key               its key (mode 0600)
 *   HOST/PROFILE/fullchain.pem          leaf + the intermediates that lead
 *                                       to its root (root never included)
 *   HOST/PROFILE/leaf-only.pem          the leaf alone
 *   HOST/PROFILE/key-chain.pem          key, then leaf, then intermediates:
 *                                       what smtpd_tls_chain_files and
 *                                       tls_server_sni_maps take
 *   manifest.json                       every file with role, subject,
 *                                       issuer, validity and names
 * for every host and every profile below. HOST is the first name of a host
 * spec, with a '*' written as '_' ("*.example.test" -> "_.example.test");
 * a spec "mx.example.test,127.0.0.10,alt.example.test" gives one leaf
 * whose SANs hold all three (IP literals become iPAddress SANs, 4 or 16
 * bytes). Names: IPv4/IPv6 literals, or DNS names of [A-Za-z0-9-] labels
 * (1-63 characters, at most 253 in all), optionally led by "*.".
 * Leaf subjects are "CN=<first name>,OU=<profile>,O=mxlab"; the CAs are
 * "CN=mxlab Test Root CA,O=mxlab", "CN=mxlab Test Intermediate CA,O=mxlab"
 * and "CN=mxlab Unrelated Root CA,O=mxlab".
 *
 * Profiles (enum mxlab_pki_profile, names as on disk):
 *   good          issued by the intermediate, valid now, serverAuth EKU
 *   self-signed   leaf signs itself (CA:FALSE)
 *   expired       valid from now-2y to now-1y
 *   not-yet-valid valid from now+1y to now+2y
 *   wrong-name    SAN (and CN) wrong-name.mxlab.invalid only
 *   unknown-root  issued directly by the unrelated other root
 *   root-signed   issued directly by the trusted root (no intermediate)
 *   no-serverauth EKU clientAuth only
 *   ca-true       basicConstraints CA:TRUE on the leaf
 * Good leaves carry EKU serverAuth+clientAuth; keyUsage digitalSignature
 * (+keyEncipherment for RSA). Serials are 16 random bytes, positive.
 * The bundles of a leaf that is not issued by the intermediate
 * (self-signed, unknown-root, root-signed) hold the leaf alone.
 * All leaves of one host share one key, so certificates can be swapped;
 * the hosts of one PKI have keys of their own.
 * Good certificates are valid from now-1d to now+1y (CAs now-1d to now+10y).
 */
#ifndef MXLAB_CERTS_H
#define MXLAB_CERTS_H

#include <stddef.h>
#include "mxlab/error.h"

#ifdef __cplusplus
extern "C" {
#endif

enum mxlab_pki_key_type {
	MXLAB_PKI_KEY_EC_P256 = 0,	/* default: ~1.5 ms a key */
	MXLAB_PKI_KEY_RSA2048		/* ~0.2 s a key, with a long tail */
};

enum mxlab_pki_profile {
	MXLAB_PKI_GOOD = 0,
	MXLAB_PKI_SELF_SIGNED,
	MXLAB_PKI_EXPIRED,
	MXLAB_PKI_NOT_YET_VALID,
	MXLAB_PKI_WRONG_NAME,
	MXLAB_PKI_UNKNOWN_ROOT,
	MXLAB_PKI_ROOT_SIGNED,
	MXLAB_PKI_NO_SERVERAUTH,
	MXLAB_PKI_CA_TRUE,
	MXLAB_PKI_PROFILE_COUNT
};

/* The name of a profile as used on disk and in scenario files, or NULL. */
MXLAB_API const char *mxlab_pki_profile_name(enum mxlab_pki_profile p);
/* Look up a profile by name; returns -1 when unknown. */
MXLAB_API int mxlab_pki_profile_lookup(const char *name);
/* One line on what a profile proves and how a verifier should react, or
 * NULL. */
MXLAB_API const char *mxlab_pki_profile_summary(enum mxlab_pki_profile p);

/*
 * Keys made ahead, for several PKIs (a run of scenarios): the three CA keys
 * and the keys of the first nhosts hosts. A PKI generated with them (the
 * keys field below) takes its CA keys and its i-th host's key (i < nhosts,
 * in the order of opt->hosts) from them, and makes fresh keys only for
 * further hosts; its certificates are still issued afresh, with their own
 * serials and validity. Keys reused across PKIs are the only thing they
 * share. Made once, the set is read by mxlab_pki_generate() but also
 * caches signing state in place: one generate at a time (or each in its
 * own forked process, as the runner does). mxlab_pki_keys_new() returns
 * MXLAB_OK, MXLAB_ERR_USAGE (a bad type, nhosts over 64), _NOMEM or _TLS.
 */
typedef struct mxlab_pki_keys mxlab_pki_keys;

MXLAB_API mxlab_err mxlab_pki_keys_new(enum mxlab_pki_key_type type, size_t nhosts,
				       mxlab_pki_keys **out, char *err, size_t errlen);
MXLAB_API void mxlab_pki_keys_free(mxlab_pki_keys *keys);

struct mxlab_pki_options {
	const char *dir;		/* output directory; created (0755) if missing */
	const char *const *hosts;	/* host specs, see above; NULL or empty:
					   { "mx.example.test,localhost,127.0.0.1" } */
	size_t nhosts;
	enum mxlab_pki_key_type key_type;
	const char *wrong_name;		/* SAN of the wrong-name profile; NULL:
					   "wrong-name.mxlab.invalid" */
	mxlab_pki_keys *keys;		/* NULL: every key made here; else its
					   type must be key_type (see above) */
};

/*
 * Write the whole PKI. Existing files of the same names are replaced.
 * On failure, err receives "what: why" (for example
 * "ca/root.key: Permission denied").
 */
MXLAB_API mxlab_err mxlab_pki_generate(const struct mxlab_pki_options *opt,
			               char *err, size_t errlen);

/* How many files mxlab_pki_generate() writes for nhosts hosts (0 counts
 * as the one default host), manifest.json included. */
MXLAB_API size_t mxlab_pki_file_count(size_t nhosts);

/* Check one host spec as mxlab_pki_generate() would read it: MXLAB_OK, or
 * MXLAB_ERR_USAGE with "host spec '...': what is wrong" in err. */
MXLAB_API mxlab_err mxlab_pki_host_check(const char *spec, char *err, size_t errlen);

/*
 * Roles of the files of a host profile, as on disk:
 * "leaf.crt", "leaf.key", "fullchain.pem", "leaf-only.pem", "key-chain.pem".
 * mxlab_pki_path() formats DIR/HOST/PROFILE/ROLE into buf. HOST may be a
 * whole host spec (its first name is used); a '*' in it becomes '_' as on
 * disk. Returns MXLAB_ERR_USAGE when buf is too small or an argument is
 * NULL or empty.
 */
MXLAB_API mxlab_err mxlab_pki_path(char *buf, size_t buflen, const char *dir,
			           const char *host, const char *profile,
			           const char *role);

#ifdef __cplusplus
}
#endif
#endif
