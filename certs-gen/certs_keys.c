/*
 * certs_keys.c: keys made ahead for several PKIs (mxlab_pki_keys, see
 * mxlab/certs.h).
 *
 * mxlab_pki_keys_new() generates the three CA keys and NHOSTS host keys
 * with its own RNG, makes each key's signer (certs_key_signer) and signs
 * one throwaway hash with it, so the signer's precomputed tables exist
 * before the set is used (or copied into forked processes, which then do
 * not each compute them again). Errors: MXLAB_ERR_USAGE (bad type, nhosts
 * over CERTS_KEYS_HOSTS_MAX, out NULL), _NOMEM, _TLS ("what: mbedTLS
 * text").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mbedtls/md.h>

#include "certs_int.h"

/* Generate one key and warm its signer with a signature nobody keeps. */
static int
make_warm(struct certs_key *k, enum mxlab_pki_key_type type,
	  struct certs_rng *rng)
{
	unsigned char hash[32] = { 0 }, sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
	size_t len = 0;
	int r;

	if ((r = certs_key_make(k, type, rng)) != 0)
		return r;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	return mbedtls_pk_sign(certs_key_signer(k), MBEDTLS_MD_SHA256, hash,
			       sizeof hash, sig, sizeof sig, &len,
			       mbedtls_ctr_drbg_random, &rng->drbg);
#else
	return mbedtls_pk_sign(certs_key_signer(k), MBEDTLS_MD_SHA256, hash,
			       sizeof hash, sig, &len, mbedtls_ctr_drbg_random,
			       &rng->drbg);
#endif
}

mxlab_err
mxlab_pki_keys_new(enum mxlab_pki_key_type type, size_t nhosts,
		   mxlab_pki_keys **out, char *err, size_t errlen)
{
	struct mxlab_pki_keys *k;
	struct certs_rng rng;
	char dummy[1], what[32];
	mxlab_err e = MXLAB_OK;
	int r;

	if (err == NULL || errlen == 0) {
		err = dummy;
		errlen = sizeof dummy;
	}
	err[0] = '\0';
	if (out == NULL) {
		snprintf(err, errlen, "no place for the keys given");
		return MXLAB_ERR_USAGE;
	}
	*out = NULL;
	if (type != MXLAB_PKI_KEY_EC_P256 && type != MXLAB_PKI_KEY_RSA2048) {
		snprintf(err, errlen, "unknown key type %d", (int)type);
		return MXLAB_ERR_USAGE;
	}
	if (nhosts > CERTS_KEYS_HOSTS_MAX) {
		snprintf(err, errlen, "%zu host keys asked for, at most %d",
			 nhosts, CERTS_KEYS_HOSTS_MAX);
		return MXLAB_ERR_USAGE;
	}
	if ((k = calloc(1, sizeof *k)) == NULL ||
	    (nhosts && (k->host = calloc(nhosts, sizeof *k->host)) == NULL)) {
		free(k);
		snprintf(err, errlen, "keys: out of memory");
		return MXLAB_ERR_NOMEM;
	}
	k->type = type;
	for (int i = 0; i < 3; i++)
		certs_key_init(&k->ca[i]);
	for (size_t i = 0; i < nhosts; i++)
		certs_key_init(&k->host[i]);
	k->nhosts = nhosts;
	if ((r = certs_rng_init(&rng)) != 0) {
		e = certs_tls_error(err, errlen, "random generator", r);
		goto out;
	}
	for (int i = 0; i < 3 && e == MXLAB_OK; i++)
		if ((r = make_warm(&k->ca[i], type, &rng)) != 0) {
			snprintf(what, sizeof what, "CA key %d", i + 1);
			e = certs_tls_error(err, errlen, what, r);
		}
	for (size_t i = 0; i < nhosts && e == MXLAB_OK; i++)
		if ((r = make_warm(&k->host[i], type, &rng)) != 0) {
			snprintf(what, sizeof what, "host key %zu", i + 1);
			e = certs_tls_error(err, errlen, what, r);
		}
	certs_rng_free(&rng);
out:
	if (e != MXLAB_OK)
		mxlab_pki_keys_free(k);
	else
		*out = k;
	return e;
}

void
mxlab_pki_keys_free(mxlab_pki_keys *k)
{
	if (k == NULL)
		return;
	for (int i = 0; i < 3; i++)
		certs_key_free(&k->ca[i]);
	for (size_t i = 0; i < k->nhosts; i++)
		certs_key_free(&k->host[i]);
	free(k->host);
	free(k);
}
