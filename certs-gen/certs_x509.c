/*
 * certs_x509.c: keys and certificates, on mbedTLS's x509write API.
 *
 * Offers the RNG (entropy + CTR-DRBG), key generation (EC P-256 or
 * RSA-2048), issuing one certificate as PEM (v3, SHA-256, random positive
 * 16-byte serial, SKI/AKI, basicConstraints and keyUsage critical, EKU and
 * SAN written as raw extensions since 2.28 has no setter for them), and
 * reading a certificate back for the manifest. Functions return mbedTLS
 * codes; certs_tls_error() turns one into "what: text (-0xNNNN)".
 * Version differences live in certs_compat.h.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <mbedtls/asn1write.h>
#include <mbedtls/ecp.h>
#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/rsa.h>
#include <mbedtls/x509_crt.h>

#include "certs_int.h"
#include "certs_compat.h"

#define CK(x) do { if ((r = (x)) < 0) return r; } while (0)

int
certs_rng_init(struct certs_rng *rng)
{
	static const char pers[] = "mxlab certs-gen";
	int r;

	mbedtls_entropy_init(&rng->entropy);
	mbedtls_ctr_drbg_init(&rng->drbg);
	if ((r = certs_compat_init()) != 0)
		return r;
	return mbedtls_ctr_drbg_seed(&rng->drbg, mbedtls_entropy_func,
				     &rng->entropy,
				     (const unsigned char *)pers,
				     sizeof pers - 1);
}

void
certs_rng_free(struct certs_rng *rng)
{
	mbedtls_ctr_drbg_free(&rng->drbg);
	mbedtls_entropy_free(&rng->entropy);
}

int
certs_key_gen(mbedtls_pk_context *key, enum mxlab_pki_key_type type,
	      struct certs_rng *rng)
{
	int r;

	if (type == MXLAB_PKI_KEY_RSA2048) {
		CK(mbedtls_pk_setup(key,
				    mbedtls_pk_info_from_type(MBEDTLS_PK_RSA)));
		return mbedtls_rsa_gen_key(mbedtls_pk_rsa(*key),
					   mbedtls_ctr_drbg_random,
					   &rng->drbg, 2048, 65537);
	}
	CK(mbedtls_pk_setup(key, mbedtls_pk_info_from_type(MBEDTLS_PK_ECKEY)));
	return mbedtls_ecp_gen_key(MBEDTLS_ECP_DP_SECP256R1,
				   mbedtls_pk_ec(*key),
				   mbedtls_ctr_drbg_random, &rng->drbg);
}

void
certs_key_init(struct certs_key *k)
{
	mbedtls_pk_init(&k->pk);
	mbedtls_pk_init(&k->sign);
	k->has_sign = 0;
}

void
certs_key_free(struct certs_key *k)
{
	mbedtls_pk_free(&k->pk);
	mbedtls_pk_free(&k->sign);
	k->has_sign = 0;
}

int
certs_key_make(struct certs_key *k, enum mxlab_pki_key_type type,
	       struct certs_rng *rng)
{
	int r;

	CK(certs_key_gen(&k->pk, type, rng));
	CK(certs_compat_signer(&k->sign, &k->pk));
	k->has_sign = r;
	return 0;
}

mbedtls_pk_context *
certs_key_signer(struct certs_key *k)
{
	return k->has_sign ? &k->sign : &k->pk;
}

int
certs_key_pem(mbedtls_pk_context *key, char *buf, size_t buflen)
{
	return mbedtls_pk_write_key_pem(key, (unsigned char *)buf, buflen);
}

/* One GeneralName: [tag] IMPLICIT value, written backwards at *p. */
static int
write_general_name(unsigned char **p, unsigned char *start, int tag,
		   const unsigned char *val, size_t len)
{
	size_t l = 0;
	int r;

	CK(mbedtls_asn1_write_raw_buffer(p, start, val, len));
	l += (size_t)r;
	CK(mbedtls_asn1_write_len(p, start, l));
	l += (size_t)r;
	CK(mbedtls_asn1_write_tag(p, start,
				  (unsigned char)(MBEDTLS_ASN1_CONTEXT_SPECIFIC |
						  tag)));
	l += (size_t)r;
	return (int)l;
}

/* subjectAltName: dNSName [2] and iPAddress [7], in the given order. */
static int
write_san(mbedtls_x509write_cert *crt, const struct certs_name *names,
	  size_t n)
{
	unsigned char buf[CERTS_NAMES_MAX * (CERTS_NAME_MAX + 8) + 16];
	unsigned char *p = buf + sizeof buf;
	size_t len = 0;
	int r;

	for (size_t i = n; i-- > 0;) {
		const struct certs_name *nm = &names[i];

		if (nm->type == CERTS_DNS)
			CK(write_general_name(&p, buf, 2,
					      (const unsigned char *)nm->text,
					      strlen(nm->text)));
		else
			CK(write_general_name(&p, buf, 7, nm->ip, nm->iplen));
		len += (size_t)r;
	}
	CK(mbedtls_asn1_write_len(&p, buf, len));
	len += (size_t)r;
	CK(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED |
					   MBEDTLS_ASN1_SEQUENCE));
	len += (size_t)r;
	return mbedtls_x509write_crt_set_extension(crt,
		MBEDTLS_OID_SUBJECT_ALT_NAME,
		MBEDTLS_OID_SIZE(MBEDTLS_OID_SUBJECT_ALT_NAME), 0, p, len);
}

/* extKeyUsage: serverAuth and/or clientAuth, not critical. */
static int
write_eku(mbedtls_x509write_cert *crt, unsigned eku)
{
	unsigned char buf[64], *p = buf + sizeof buf;
	size_t len = 0;
	int r;

	if (eku & CERTS_EKU_CLIENT) {
		CK(mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_CLIENT_AUTH,
				MBEDTLS_OID_SIZE(MBEDTLS_OID_CLIENT_AUTH)));
		len += (size_t)r;
	}
	if (eku & CERTS_EKU_SERVER) {
		CK(mbedtls_asn1_write_oid(&p, buf, MBEDTLS_OID_SERVER_AUTH,
				MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)));
		len += (size_t)r;
	}
	CK(mbedtls_asn1_write_len(&p, buf, len));
	len += (size_t)r;
	CK(mbedtls_asn1_write_tag(&p, buf, MBEDTLS_ASN1_CONSTRUCTED |
					   MBEDTLS_ASN1_SEQUENCE));
	len += (size_t)r;
	return mbedtls_x509write_crt_set_extension(crt,
		MBEDTLS_OID_EXTENDED_KEY_USAGE,
		MBEDTLS_OID_SIZE(MBEDTLS_OID_EXTENDED_KEY_USAGE), 0, p, len);
}

/* "YYYYMMDDhhmmss" in UTC, as x509write_crt_set_validity wants. */
static void
x509_time(time_t t, char *buf, size_t buflen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, buflen, "%Y%m%d%H%M%S", &tm);
}

static int
issue(mbedtls_x509write_cert *crt, const struct certs_issue *is,
      struct certs_rng *rng, char *pem, size_t pemlen)
{
	unsigned char serial[16];
	char nb[32], na[32];
	int r;

	mbedtls_x509write_crt_set_version(crt, MBEDTLS_X509_CRT_VERSION_3);
	mbedtls_x509write_crt_set_md_alg(crt, MBEDTLS_MD_SHA256);
	mbedtls_x509write_crt_set_subject_key(crt, is->subject_key);
	mbedtls_x509write_crt_set_issuer_key(crt, is->issuer_key);
	CK(mbedtls_x509write_crt_set_subject_name(crt, is->subject));
	CK(mbedtls_x509write_crt_set_issuer_name(crt, is->issuer));
	CK(mbedtls_ctr_drbg_random(&rng->drbg, serial, sizeof serial));
	/* Positive and minimal (DER): 0x01..0x7f first. A 0x00 first byte
	 * is "illegal padding" to OpenSSL 3 (Postfix then cannot load the
	 * CA file) where mbedTLS 3.x writes the raw bytes as they are. */
	serial[0] &= 0x7f;
	if (serial[0] == 0)
		serial[0] = 0x01;
	CK(certs_compat_set_serial(crt, serial, sizeof serial));
	x509_time(is->not_before, nb, sizeof nb);
	x509_time(is->not_after, na, sizeof na);
	CK(mbedtls_x509write_crt_set_validity(crt, nb, na));
	CK(mbedtls_x509write_crt_set_basic_constraints(crt, is->ca,
						       is->pathlen));
	CK(mbedtls_x509write_crt_set_subject_key_identifier(crt));
	CK(mbedtls_x509write_crt_set_authority_key_identifier(crt));
	CK(mbedtls_x509write_crt_set_key_usage(crt, is->key_usage));
	if (is->eku)
		CK(write_eku(crt, is->eku));
	if (is->nnames)
		CK(write_san(crt, is->names, is->nnames));
	/* the key identifier above was written from issuer_key; its signer
	 * (same key, another type) only signs */
	if (is->issuer_signer)
		mbedtls_x509write_crt_set_issuer_key(crt, is->issuer_signer);
	return mbedtls_x509write_crt_pem(crt, (unsigned char *)pem, pemlen,
					 mbedtls_ctr_drbg_random, &rng->drbg);
}

int
certs_x509_issue(const struct certs_issue *is, struct certs_rng *rng,
		 char *pem, size_t pemlen)
{
	mbedtls_x509write_cert crt;
	int r;

	mbedtls_x509write_crt_init(&crt);
	r = issue(&crt, is, rng, pem, pemlen);
	mbedtls_x509write_crt_free(&crt);
	return r;
}

static void
iso_x509(const mbedtls_x509_time *t, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%04d-%02d-%02dT%02d:%02d:%02dZ", t->year,
		 t->mon, t->day, t->hour, t->min, t->sec);
}

void
certs_iso_time(time_t t, char *buf, size_t buflen)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, buflen, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int
certs_x509_info(const char *pem, struct certs_info *info)
{
	mbedtls_x509_crt c;
	size_t i, o = 0;
	int r;

	memset(info, 0, sizeof *info);
	mbedtls_x509_crt_init(&c);
	r = mbedtls_x509_crt_parse(&c, (const unsigned char *)pem,
				   strlen(pem) + 1);
	if (r == 0) {
		if (mbedtls_x509_dn_gets(info->subject, sizeof info->subject,
					 &c.subject) < 0 ||
		    mbedtls_x509_dn_gets(info->issuer, sizeof info->issuer,
					 &c.issuer) < 0)
			r = MBEDTLS_ERR_X509_BUFFER_TOO_SMALL;
		iso_x509(&c.valid_from, info->not_before,
			 sizeof info->not_before);
		iso_x509(&c.valid_to, info->not_after, sizeof info->not_after);
		for (i = 0; i < c.serial.len && o + 3 <= sizeof info->serial;
		     i++, o += 2)
			snprintf(info->serial + o, 3, "%02x", c.serial.p[i]);
	}
	mbedtls_x509_crt_free(&c);
	return r;
}

mxlab_err
certs_tls_error(char *err, size_t errlen, const char *what, int code)
{
	char text[160];

	mbedtls_strerror(code, text, sizeof text);
	snprintf(err, errlen, "%s: %s (-0x%04x)", what, text,
		 (unsigned)-code);
	return MXLAB_ERR_TLS;
}
