/*
 * certs_compat.h: the mbedTLS 2.28 / 3.x differences certs-gen meets, in
 * one place.
 *
 * Offers:
 *   certs_compat_init()          before any key work (psa_crypto_init
 *                                once, pthread_once, on 3.x; nothing on 2.28)
 *   certs_compat_set_serial()    a serial from raw big-endian bytes
 *                                (set_serial with an mpi on 2.x,
 *                                set_serial_raw on 3.4+)
 *   certs_compat_parse_keyfile() mbedtls_pk_parse_keyfile (3.x wants an RNG)
 *   certs_compat_check_pair()    mbedtls_pk_check_pair (3.x wants an RNG)
 *   certs_compat_crt_ca()        basicConstraints of a parsed certificate
 *                                (private fields in 3.x)
 *   certs_compat_signer()        on 2.x, an ECDSA-type copy of an EC key
 *                                that keeps its precomputed tables between
 *                                signatures (1); on 3.x, and for RSA, none
 *                                is needed (0): the key signs itself
 * Every function returns the mbedTLS code (0 or negative).
 * Also used by tests/unit/test_certs.c.
 */
#ifndef CERTS_COMPAT_H
#define CERTS_COMPAT_H

#include <stddef.h>

#include <mbedtls/version.h>
#include <mbedtls/bignum.h>
#include <mbedtls/pk.h>
#include <mbedtls/x509_crt.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/ecdsa.h>
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#include <pthread.h>
#include <psa/crypto.h>
#endif

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
static pthread_once_t certs_compat_psa_once = PTHREAD_ONCE_INIT;
static psa_status_t certs_compat_psa_status;

static inline void
certs_compat_psa_init(void)
{
	certs_compat_psa_status = psa_crypto_init();
}
#endif

/* psa_crypto_init once (per file that includes this; psa_crypto_init itself
 * may be called again, it only must not race with itself before 3.6). */
static inline int
certs_compat_init(void)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	pthread_once(&certs_compat_psa_once, certs_compat_psa_init);
	return certs_compat_psa_status == PSA_SUCCESS ? 0 : -1;
#else
	return 0;
#endif
}

static inline int
certs_compat_set_serial(mbedtls_x509write_cert *crt,
			const unsigned char *buf, size_t len)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03040000
	/* set_serial is deprecated in 3.x and gone in 4.0 */
	return mbedtls_x509write_crt_set_serial_raw(crt,
						    (unsigned char *)buf, len);
#else
	mbedtls_mpi mpi;
	int r;

	mbedtls_mpi_init(&mpi);
	r = mbedtls_mpi_read_binary(&mpi, buf, len);
	if (r == 0)
		r = mbedtls_x509write_crt_set_serial(crt, &mpi);
	mbedtls_mpi_free(&mpi);
	return r;
#endif
}

static inline int
certs_compat_parse_keyfile(mbedtls_pk_context *pk, const char *path,
			   mbedtls_ctr_drbg_context *drbg)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	return mbedtls_pk_parse_keyfile(pk, path, NULL,
					mbedtls_ctr_drbg_random, drbg);
#else
	(void)drbg;
	return mbedtls_pk_parse_keyfile(pk, path, NULL);
#endif
}

static inline int
certs_compat_check_pair(const mbedtls_pk_context *pub,
			const mbedtls_pk_context *prv,
			mbedtls_ctr_drbg_context *drbg)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	return mbedtls_pk_check_pair(pub, prv, mbedtls_ctr_drbg_random, drbg);
#else
	(void)drbg;
	return mbedtls_pk_check_pair(pub, prv);
#endif
}

static inline int
certs_compat_signer(mbedtls_pk_context *sign, const mbedtls_pk_context *key)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	(void)sign;
	(void)key;
	return 0;
#else
	int r;

	if (mbedtls_pk_get_type(key) != MBEDTLS_PK_ECKEY)
		return 0;
	if ((r = mbedtls_pk_setup(sign, mbedtls_pk_info_from_type(MBEDTLS_PK_ECDSA))) != 0 ||
	    (r = mbedtls_ecdsa_from_keypair(mbedtls_pk_ec(*sign), mbedtls_pk_ec(*key))) != 0)
		return r;
	return 1;
#endif
}

/* 1 if CA:TRUE, else 0; *pathlen (if not NULL) gets the pathLenConstraint
 * or -1 when there is none (mbedTLS stores it plus one). */
static inline int
certs_compat_crt_ca(const mbedtls_x509_crt *c, int *pathlen)
{
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
	int ca = c->MBEDTLS_PRIVATE(ca_istrue);
	int max = c->MBEDTLS_PRIVATE(max_pathlen);
#else
	int ca = c->ca_istrue;
	int max = c->max_pathlen;
#endif
	if (pathlen)
		*pathlen = max > 0 ? max - 1 : -1;
	return ca;
}

#endif
