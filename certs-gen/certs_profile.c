/*
 * certs_profile.c: the leaf profiles of certs-gen, as one table.
 *
 * Each row says how a host's leaf is issued (signer, validity relative to
 * now, names, EKU, CA flag) and what a verifier should conclude (mbedTLS
 * flags, the `openssl verify` error number); the generator, the manifest
 * and the docs all read this table. Offers mxlab_pki_profile_name(),
 * mxlab_pki_profile_lookup(), mxlab_pki_profile_summary(),
 * mxlab_pki_file_count() and mxlab_pki_path() (MXLAB_ERR_USAGE on a
 * NULL argument or a short buffer).
 */
#include <stdio.h>
#include <string.h>

#include "certs_int.h"

#define BOTH (CERTS_EKU_SERVER | CERTS_EKU_CLIENT)

static const struct certs_profile profiles[MXLAB_PKI_PROFILE_COUNT] = {
	[MXLAB_PKI_GOOD] = { "good", CERTS_BY_INTERMEDIATE, -1, 365, 0,
		BOTH, 0, "0", 0,
		"valid chain leaf+intermediate to the root: must verify" },
	[MXLAB_PKI_SELF_SIGNED] = { "self-signed", CERTS_BY_SELF, -1, 365, 0,
		BOTH, 0, "NOT_TRUSTED", 18,
		"leaf signs itself: a verifying client must refuse it" },
	[MXLAB_PKI_EXPIRED] = { "expired", CERTS_BY_INTERMEDIATE, -730, -365,
		0, BOTH, 0, "EXPIRED", 10,
		"notAfter one year ago: expiry is checked" },
	[MXLAB_PKI_NOT_YET_VALID] = { "not-yet-valid", CERTS_BY_INTERMEDIATE,
		365, 730, 0, BOTH, 0, "FUTURE", 9,
		"notBefore one year ahead: notBefore is checked" },
	[MXLAB_PKI_WRONG_NAME] = { "wrong-name", CERTS_BY_INTERMEDIATE, -1,
		365, 1, BOTH, 0, "CN_MISMATCH", 62,
		"trusted chain, but the SAN names another host: the name is "
		"checked" },
	[MXLAB_PKI_UNKNOWN_ROOT] = { "unknown-root", CERTS_BY_OTHER_ROOT, -1,
		365, 0, BOTH, 0, "NOT_TRUSTED", 20,
		"issued by an unrelated root: the trust anchor is checked" },
	[MXLAB_PKI_ROOT_SIGNED] = { "root-signed", CERTS_BY_ROOT, -1, 365, 0,
		BOTH, 0, "0", 0,
		"issued directly by the trusted root: must verify without an "
		"intermediate" },
	[MXLAB_PKI_NO_SERVERAUTH] = { "no-serverauth", CERTS_BY_INTERMEDIATE,
		-1, 365, 0, CERTS_EKU_CLIENT, 0, "EXT_KEY_USAGE", 26,
		"EKU clientAuth only: a client checking the purpose refuses it "
		"(openssl -purpose sslserver)" },
	[MXLAB_PKI_CA_TRUE] = { "ca-true", CERTS_BY_INTERMEDIATE, -1, 365, 0,
		BOTH, 1, "0", 0,
		"leaf with basicConstraints CA:TRUE: what a lax client accepts" },
};

const struct certs_profile *
certs_profile_get(enum mxlab_pki_profile p)
{
	if ((int)p < 0 || p >= MXLAB_PKI_PROFILE_COUNT)
		return NULL;
	return &profiles[p];
}

const char *
mxlab_pki_profile_name(enum mxlab_pki_profile p)
{
	const struct certs_profile *pr = certs_profile_get(p);

	return pr ? pr->name : NULL;
}

const char *
mxlab_pki_profile_summary(enum mxlab_pki_profile p)
{
	const struct certs_profile *pr = certs_profile_get(p);

	return pr ? pr->proves : NULL;
}

size_t
mxlab_pki_file_count(size_t nhosts)
{
	/* 3 CAs x (crt, key), 5 files per host profile, the manifest */
	return 6 + (nhosts ? nhosts : 1) * MXLAB_PKI_PROFILE_COUNT * 5 + 1;
}

int
mxlab_pki_profile_lookup(const char *name)
{
	if (name == NULL)
		return -1;
	for (int i = 0; i < MXLAB_PKI_PROFILE_COUNT; i++)
		if (strcmp(profiles[i].name, name) == 0)
			return i;
	return -1;
}

mxlab_err
mxlab_pki_path(char *buf, size_t buflen, const char *dir, const char *host,
	       const char *profile, const char *role)
{
	char hdir[CERTS_NAME_MAX + 1];
	size_t hlen;
	int n;

	if (buf == NULL || buflen == 0)
		return MXLAB_ERR_USAGE;
	buf[0] = '\0';
	if (dir == NULL || host == NULL || profile == NULL || role == NULL)
		return MXLAB_ERR_USAGE;
	hlen = strcspn(host, ",");	/* a whole spec names its first host */
	if (hlen == 0 || hlen > CERTS_NAME_MAX)
		return MXLAB_ERR_USAGE;
	memcpy(hdir, host, hlen);
	hdir[hlen] = '\0';
	certs_host_dirname(hdir, hdir, sizeof hdir);
	n = snprintf(buf, buflen, "%s/%s/%s/%s", dir, hdir, profile, role);
	if (n < 0 || (size_t)n >= buflen) {
		buf[0] = '\0';
		return MXLAB_ERR_USAGE;
	}
	return MXLAB_OK;
}
