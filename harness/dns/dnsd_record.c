/*
 * dnsd_record.c: dnsd's record lines (see dnsd.h for the syntax).
 *
 * dnsd_record_parse() checks one "NAME TYPE ARGS" line completely: the
 * name, the type, and every argument of that type. Errors name the type
 * and the bad value ("TLSA: usage must be 0-3, got 7"). TLSA data given as
 * pki:REF is only recorded; dnsd_record_resolve() later reads the
 * certificate from a certs-gen PKI and computes the association data
 * (selector 0: the certificate DER, 1: its SubjectPublicKeyInfo DER;
 * matching type 0: those bytes, 1: SHA-256, 2: SHA-512).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>

#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include "mxlab/certs.h"
#include "dns_wire.h"
#include "dnsd.h"

/* pk_raw (the SubjectPublicKeyInfo DER) is a public field in 2.28 and 3.x. */
#define CRT_PK_RAW(c) ((c)->pk_raw)
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define SHA256(in, n, out) mbedtls_sha256((in), (n), (out), 0)
#define SHA512(in, n, out) mbedtls_sha512((in), (n), (out), 0)
#else
#define SHA256(in, n, out) mbedtls_sha256_ret((in), (n), (out), 0)
#define SHA512(in, n, out) mbedtls_sha512_ret((in), (n), (out), 0)
#endif

#define WS " \t\r\n"

static int
fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -1;
}

/* Check a DNS name and copy it to out (256 bytes) without a trailing dot.
 * Labels: 1-63 of [A-Za-z0-9_-]; at most 253 characters in all. "." is
 * the root, accepted only when allow_root. */
static int
name_check(const char *s, char *out, int allow_root, const char *what,
	   char *err, size_t errlen)
{
	size_t len = strlen(s), label = 0;

	if (allow_root && strcmp(s, ".") == 0) {
		strcpy(out, ".");
		return 0;
	}
	if (len > 0 && s[len - 1] == '.')
		len--;
	if (len == 0)
		return fail(err, errlen, "%s: empty name", what);
	if (len > 253)
		return fail(err, errlen, "%s: name '%.40s...' longer than 253 characters",
			    what, s);
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0)
				return fail(err, errlen, "%s: '%s': empty label", what, s);
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return fail(err, errlen, "%s: '%s': character '%c' not allowed "
				    "(letters, digits, '-', '_')", what, s, s[i]);
		if (++label > 63)
			return fail(err, errlen, "%s: '%s': label longer than 63 characters",
				    what, s);
	}
	memcpy(out, s, len);
	out[len] = '\0';
	return 0;
}

/* A decimal number 0..max, digits only. */
static int
number(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!isdigit((unsigned char)*s) || strlen(s) > 10)
		return -1;
	*v = strtoul(s, &end, 10);
	return *end == '\0' && *v <= max ? 0 : -1;
}

/* Split off the next whitespace-separated word of *p ("" at the end). */
static char *
word(char **p)
{
	char *s = *p + strspn(*p, WS), *e = s + strcspn(s, WS);

	if (*e)
		*e++ = '\0';
	*p = e;
	return s;
}

static int
rest_empty(char *p, const char *type, char *err, size_t errlen)
{
	p += strspn(p, WS);
	return *p ? fail(err, errlen, "%s: unexpected '%s' at the end", type, p) : 0;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* pki:HOST[/PROFILE] or pki:ca/root|intermediate|other-root, kept as
 * "HOST/PROFILE" or "ca/NAME". */
static int
pki_ref_parse(struct dnsd_record *r, const char *ref, char *err, size_t errlen)
{
	static const char *const cas[] = { "root", "intermediate", "other-root" };
	const char *slash = strchr(ref, '/');
	char host[256];

	if (strncmp(ref, "ca/", 3) == 0) {
		for (size_t i = 0; i < 3; i++)
			if (strcmp(ref + 3, cas[i]) == 0) {
				snprintf(r->pki_ref, sizeof r->pki_ref, "%s", ref);
				return 0;
			}
		return fail(err, errlen, "TLSA: unknown CA 'pki:%s' (pki:ca/root, "
			    "pki:ca/intermediate, pki:ca/other-root)", ref);
	}
	if (slash) {
		if ((size_t)(slash - ref) >= sizeof host)
			return fail(err, errlen, "TLSA: 'pki:%.40s...': host name too long", ref);
		memcpy(host, ref, (size_t)(slash - ref));
		host[slash - ref] = '\0';
		if (mxlab_pki_profile_lookup(slash + 1) < 0)
			return fail(err, errlen, "TLSA: 'pki:%s': unknown profile '%s'",
				    ref, slash + 1);
	} else {
		snprintf(host, sizeof host, "%s", ref);
	}
	if (name_check(host, host, 0, "TLSA: pki host", err, errlen) < 0)
		return -1;
	snprintf(r->pki_ref, sizeof r->pki_ref, "%s/%s", host,
		 slash ? slash + 1 : mxlab_pki_profile_name(MXLAB_PKI_GOOD));
	return 0;
}

static int
parse_tlsa(struct dnsd_record *r, char *p, char *err, size_t errlen)
{
	static const size_t hashlen[3] = { 0, 32, 64 };
	char *u = word(&p), *s = word(&p), *m = word(&p), *d = word(&p);
	unsigned long v;
	size_t hl;

	if (!*u || !*s || !*m || !*d)
		return fail(err, errlen, "TLSA: want USAGE SELECTOR MTYPE DATA "
			    "(DATA: hex or pki:HOST[/PROFILE])");
	if (number(u, 3, &v) < 0)
		return fail(err, errlen, "TLSA: usage must be 0-3, got %s", u);
	r->usage = (uint8_t)v;
	if (number(s, 1, &v) < 0)
		return fail(err, errlen, "TLSA: selector must be 0-1, got %s", s);
	r->selector = (uint8_t)v;
	if (number(m, 2, &v) < 0)
		return fail(err, errlen, "TLSA: matching type must be 0-2, got %s", m);
	r->mtype = (uint8_t)v;
	if (rest_empty(p, "TLSA", err, errlen) < 0)
		return -1;
	if (strncmp(d, "pki:", 4) == 0)
		return pki_ref_parse(r, d + 4, err, errlen);
	hl = strlen(d);
	if (hl % 2)
		return fail(err, errlen, "TLSA: odd number of hex digits (%zu)", hl);
	if (hl / 2 > sizeof r->data)
		return fail(err, errlen, "TLSA: data longer than %zu bytes", sizeof r->data);
	for (size_t i = 0; i < hl; i += 2) {
		int hi = hexval(d[i]), lo = hexval(d[i + 1]);

		if (hi < 0 || lo < 0)
			return fail(err, errlen, "TLSA: '%c%c' is not hex", d[i], d[i + 1]);
		r->data[i / 2] = (uint8_t)(hi << 4 | lo);
	}
	r->datalen = hl / 2;
	if (hashlen[r->mtype] && r->datalen != hashlen[r->mtype])
		return fail(err, errlen, "TLSA: matching type %u wants %zu bytes "
			    "(%zu hex digits), got %zu", r->mtype, hashlen[r->mtype],
			    2 * hashlen[r->mtype], r->datalen);
	return 0;
}

/* The TXT text: the rest of the line; one pair of enclosing double quotes
 * is removed. */
static int
parse_txt(struct dnsd_record *r, char *p, char *err, size_t errlen)
{
	size_t len;

	p += strspn(p, WS);
	len = strlen(p);
	while (len && strchr(WS, p[len - 1]))
		len--;
	if (len >= 2 && p[0] == '"' && p[len - 1] == '"') {
		p++;
		len -= 2;
	}
	if (len > 255)
		return fail(err, errlen, "TXT: text longer than 255 bytes (%zu)", len);
	memcpy(r->txt, p, len);
	r->txt[len] = '\0';
	return 0;
}

static int
parse_line(struct dnsd_record *r, char *p, char *err, size_t errlen)
{
	char tb[16], *name, *type, *a, *b;
	unsigned long v;

	name = word(&p);
	type = word(&p);
	if (!*name)
		return fail(err, errlen, "empty record line (want NAME TYPE VALUE)");
	if (name_check(name, r->name, 0, "name", err, errlen) < 0)
		return -1;
	if (!*type)
		return fail(err, errlen, "'%s': record type missing "
			    "(A, AAAA, MX, CNAME, TXT, TLSA)", name);
	r->type = dns_wire_type_lookup(type);
	if (r->type) {		/* errors name the type in capitals */
		snprintf(tb, sizeof tb, "%s", dns_wire_type_name(r->type, NULL, 0));
		type = tb;
	}
	switch (r->type) {
	case DNSD_T_A:
	case DNSD_T_AAAA:
		a = word(&p);
		if (!*a)
			return fail(err, errlen, "%s: address missing", type);
		if (inet_pton(r->type == DNSD_T_A ? AF_INET : AF_INET6, a, r->a) != 1)
			return fail(err, errlen, "%s: '%s' is not an IPv%d address",
				    type, a, r->type == DNSD_T_A ? 4 : 6);
		return rest_empty(p, type, err, errlen);
	case DNSD_T_MX:
		a = word(&p);
		b = word(&p);
		if (!*a || !*b)
			return fail(err, errlen, "MX: want PREFERENCE HOST");
		if (number(a, 65535, &v) < 0)
			return fail(err, errlen, "MX: preference must be 0-65535, got %s", a);
		r->pref = (uint16_t)v;
		if (name_check(b, r->host, 1, "MX", err, errlen) < 0)
			return -1;
		return rest_empty(p, "MX", err, errlen);
	case DNSD_T_CNAME:
		a = word(&p);
		if (!*a)
			return fail(err, errlen, "CNAME: target missing");
		if (name_check(a, r->host, 0, "CNAME", err, errlen) < 0)
			return -1;
		return rest_empty(p, "CNAME", err, errlen);
	case DNSD_T_TXT:
		return parse_txt(r, p, err, errlen);
	case DNSD_T_TLSA:
		return parse_tlsa(r, p, err, errlen);
	default:
		return fail(err, errlen, "unknown record type '%s' "
			    "(A, AAAA, MX, CNAME, TXT, TLSA)", type);
	}
}

int
dnsd_record_parse(struct dnsd_record *r, const char *line, char *err, size_t errlen)
{
	char *buf, *p;
	int rc;

	memset(r, 0, sizeof *r);
	r->ttl = 300;
	if (strlen(line) > DNSD_LINE_MAX)
		return fail(err, errlen, "record line longer than %d characters",
			    DNSD_LINE_MAX);
	if (!(buf = strdup(line)))
		return fail(err, errlen, "out of memory");
	p = buf;
	rc = parse_line(r, p, err, errlen);
	free(buf);
	return rc;
}

int
dnsd_record_resolve(struct dnsd_record *r, const char *pki_dir, char *err, size_t errlen)
{
	mbedtls_x509_crt crt;
	char path[1024];
	const unsigned char *der;
	size_t derlen;
	int ret, rc = -1;

	if (r->type != DNSD_T_TLSA || r->pki_ref[0] == '\0')
		return 0;
	if (strncmp(r->pki_ref, "ca/", 3) == 0)
		ret = snprintf(path, sizeof path, "%s/%s.crt", pki_dir, r->pki_ref);
	else
		ret = snprintf(path, sizeof path, "%s/%s/leaf.crt", pki_dir, r->pki_ref);
	if (ret < 0 || (size_t)ret >= sizeof path)
		return fail(err, errlen, "TLSA pki:%s: path too long", r->pki_ref);
	mbedtls_x509_crt_init(&crt);
	if ((ret = mbedtls_x509_crt_parse_file(&crt, path)) != 0) {
		fail(err, errlen, "TLSA pki:%s: cannot read %s (mbedTLS -0x%04x)",
		     r->pki_ref, path, (unsigned)-ret);
		goto out;
	}
	der = r->selector == 0 ? crt.raw.p : CRT_PK_RAW(&crt).p;
	derlen = r->selector == 0 ? crt.raw.len : CRT_PK_RAW(&crt).len;
	switch (r->mtype) {
	case 0:
		if (derlen > sizeof r->data) {
			fail(err, errlen, "TLSA pki:%s: %s is %zu bytes, more than %zu "
			     "(use matching type 1 or 2)", r->pki_ref,
			     r->selector ? "the public key" : "the certificate",
			     derlen, sizeof r->data);
			goto out;
		}
		memcpy(r->data, der, derlen);
		r->datalen = derlen;
		break;
	case 1:
		ret = SHA256(der, derlen, r->data);
		r->datalen = 32;
		break;
	default:
		ret = SHA512(der, derlen, r->data);
		r->datalen = 64;
		break;
	}
	if (ret != 0) {
		r->datalen = 0;
		fail(err, errlen, "TLSA pki:%s: hashing failed (mbedTLS -0x%04x)",
		     r->pki_ref, (unsigned)-ret);
		goto out;
	}
	rc = 0;
out:
	mbedtls_x509_crt_free(&crt);
	return rc;
}
