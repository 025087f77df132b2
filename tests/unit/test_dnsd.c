/*
 * test_dnsd.c: dnsd's record lines, TLSA data from a certs-gen PKI, and a
 * live server on 127.0.0.1:0 asked with hand-built packets over UDP and
 * TCP (answers parsed here, independently of dns_wire.c), hostile packets
 * included.
 *
 * The group setup writes one EC PKI into a mkdtemp directory; TLSA hashes
 * are checked against mbedtls_pk_write_pubkey_der + SHA-256 computed here
 * (the integration test dns-postfix.sh checks them against openssl too).
 */
#include <errno.h>
#include <ftw.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <setjmp.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <cmocka.h>

#include <mbedtls/pk.h>
#include <mbedtls/sha256.h>
#include <mbedtls/sha512.h>
#include <mbedtls/version.h>
#include <mbedtls/x509_crt.h>

#include "mxlab/certs.h"
#include "dns_wire.h"
#include "dnsd.h"

#if MBEDTLS_VERSION_NUMBER >= 0x03000000
#define SHA256(in, n, out) mbedtls_sha256((in), (n), (out), 0)
#define SHA512(in, n, out) mbedtls_sha512((in), (n), (out), 0)
#else
#define SHA256(in, n, out) mbedtls_sha256_ret((in), (n), (out), 0)
#define SHA512(in, n, out) mbedtls_sha512_ret((in), (n), (out), 0)
#endif

static char topdir[] = "/tmp/mxlab-dnsd-XXXXXX";
static char pkidir[300];

/* ---------------------------------------------------------------- parsing */

static void
parse_ok(const char *line, struct dnsd_record *r)
{
	char err[256] = "";

	if (dnsd_record_parse(r, line, err, sizeof err) != 0)
		fail_msg("'%s': %s", line, err);
}

static void
test_parse_good(void **state)
{
	struct dnsd_record r;
	static const uint8_t v6[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };

	(void)state;
	parse_ok("mx.partner.example A 127.0.0.10", &r);
	assert_string_equal(r.name, "mx.partner.example");
	assert_int_equal(r.type, DNSD_T_A);
	assert_int_equal(r.ttl, 300);
	assert_memory_equal(r.a, "\x7f\x00\x00\x0a", 4);

	parse_ok("  host.example.   aaaa   2001:db8::1  ", &r);
	assert_string_equal(r.name, "host.example");	/* trailing dot stripped */
	assert_int_equal(r.type, DNSD_T_AAAA);
	assert_memory_equal(r.a, v6, 16);

	parse_ok("partner.example MX 10 mx.partner.example.", &r);
	assert_int_equal(r.type, DNSD_T_MX);
	assert_int_equal(r.pref, 10);
	assert_string_equal(r.host, "mx.partner.example");
	parse_ok("partner.example MX 65535 .", &r);	/* null MX */
	assert_int_equal(r.pref, 65535);
	assert_string_equal(r.host, ".");

	parse_ok("www.partner.example CNAME mx.partner.example", &r);
	assert_int_equal(r.type, DNSD_T_CNAME);
	assert_string_equal(r.host, "mx.partner.example");

	parse_ok("_mta-sts.partner.example TXT v=STSv1; id=20240101", &r);
	assert_int_equal(r.type, DNSD_T_TXT);
	assert_string_equal(r.txt, "v=STSv1; id=20240101");
	parse_ok("partner.example TXT \"v=spf1 -all\"", &r);
	assert_string_equal(r.txt, "v=spf1 -all");

	parse_ok("_25._tcp.mx.partner.example TLSA 3 1 1 "
		 "00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff", &r);
	assert_int_equal(r.type, DNSD_T_TLSA);
	assert_int_equal(r.usage, 3);
	assert_int_equal(r.selector, 1);
	assert_int_equal(r.mtype, 1);
	assert_int_equal(r.datalen, 32);
	assert_int_equal(r.data[10], 0xAA);
	assert_int_equal(r.data[31], 0xFF);
	assert_string_equal(r.pki_ref, "");

	parse_ok("_25._tcp.mx TLSA 3 0 0 3082", &r);
	assert_int_equal(r.datalen, 2);

	parse_ok("_25._tcp.mx.partner.example TLSA 3 1 1 pki:mx.partner.example", &r);
	assert_string_equal(r.pki_ref, "mx.partner.example/good");
	assert_int_equal(r.datalen, 0);
	parse_ok("_25._tcp.mx TLSA 3 1 2 pki:mx.partner.example/expired", &r);
	assert_string_equal(r.pki_ref, "mx.partner.example/expired");
	parse_ok("_25._tcp.mx TLSA 2 1 1 pki:ca/intermediate", &r);
	assert_string_equal(r.pki_ref, "ca/intermediate");
	parse_ok("_25._tcp.mx TLSA 2 0 1 pki:ca/root", &r);
	assert_string_equal(r.pki_ref, "ca/root");
	parse_ok("_25._tcp.mx TLSA 2 0 1 pki:ca/other-root", &r);
	parse_ok("_25._tcp.mx TLSA 3 1 1 pki:_.wild.example/good", &r);
	assert_string_equal(r.pki_ref, "_.wild.example/good");
}

static void
test_parse_bad(void **state)
{
	static const struct {
		const char *line, *err;
	} t[] = {
		{ "", "empty record line" },
		{ "x.example", "record type missing" },
		{ "x.example SRV 0 0 25 mx", "unknown record type 'SRV' (A, AAAA, MX, CNAME, TXT, TLSA)" },
		{ "a..b A 1.2.3.4", "empty label" },
		{ ".x A 1.2.3.4", "empty label" },
		{ ". A 1.2.3.4", "empty name" },
		{ "a b.example A 1.2.3.4", "unknown record type 'b.example'" },
		{ "x!.example A 1.2.3.4", "character '!' not allowed" },
		{ "a234567890123456789012345678901234567890123456789012345678901234.x A 1.2.3.4",
		  "label longer than 63" },
		{ "x A 1.2.3", "A: '1.2.3' is not an IPv4 address" },
		{ "x a 1.2.3", "A: '1.2.3' is not an IPv4 address" },
		{ "x A ::1", "A: '::1' is not an IPv4 address" },
		{ "x A", "A: address missing" },
		{ "x A 1.2.3.4 5", "A: unexpected '5' at the end" },
		{ "x AAAA 1.2.3.4", "AAAA: '1.2.3.4' is not an IPv6 address" },
		{ "x MX mx.example", "MX: want PREFERENCE HOST" },
		{ "x MX 65536 mx.example", "MX: preference must be 0-65535, got 65536" },
		{ "x MX -1 mx.example", "MX: preference must be 0-65535, got -1" },
		{ "x MX 10 mx..example", "MX: 'mx..example': empty label" },
		{ "x MX 10 mx.example extra", "MX: unexpected 'extra'" },
		{ "x CNAME", "CNAME: target missing" },
		{ "x CNAME a_b!", "CNAME: 'a_b!': character '!'" },
		{ "x TLSA 3 1 1", "TLSA: want USAGE SELECTOR MTYPE DATA" },
		{ "x TLSA 7 1 1 00", "TLSA: usage must be 0-3, got 7" },
		{ "x TLSA 3 2 1 00", "TLSA: selector must be 0-1, got 2" },
		{ "x TLSA 3 1 3 00", "TLSA: matching type must be 0-2, got 3" },
		{ "x TLSA x 1 1 00", "TLSA: usage must be 0-3, got x" },
		{ "x TLSA 3 1 1 abc", "TLSA: odd number of hex digits (3)" },
		{ "x TLSA 3 1 0 zz", "TLSA: 'zz' is not hex" },
		{ "x TLSA 3 1 1 00112233", "TLSA: matching type 1 wants 32 bytes (64 hex digits), got 4" },
		{ "x TLSA 3 1 2 00112233445566778899AABBCCDDEEFF00112233445566778899aabbccddeeff",
		  "TLSA: matching type 2 wants 64 bytes (128 hex digits), got 32" },
		{ "x TLSA 3 1 1 00 extra", "TLSA: unexpected 'extra'" },
		{ "x TLSA 3 1 1 pki:", "TLSA: pki host: empty name" },
		{ "x TLSA 3 1 1 pki:mx.example/nosuch", "unknown profile 'nosuch'" },
		{ "x TLSA 3 1 1 pki:ca/nosuch", "unknown CA 'pki:ca/nosuch'" },
		{ "x TLSA 3 1 1 pki:a b", "TLSA: unexpected 'b'" },
		{ "x TLSA 3 1 1 pki:bad!host", "character '!' not allowed" },
	};
	struct dnsd_record r;
	char err[256], big[1100], txt[400], *huge;

	(void)state;
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		err[0] = '\0';
		if (dnsd_record_parse(&r, t[i].line, err, sizeof err) != -1)
			fail_msg("'%s' was accepted", t[i].line);
		if (!strstr(err, t[i].err))
			fail_msg("'%s': want '%s', got '%s'", t[i].line, t[i].err, err);
	}
	/* Lengths: a 254-character name, 256 bytes of TXT, 513 bytes of TLSA,
	 * a line over 1023 characters. */
	memset(big, 'a', sizeof big);
	for (int i = 63; i < 254; i += 64)
		big[i] = '.';
	strcpy(big + 254, " A 1.2.3.4");
	assert_int_equal(dnsd_record_parse(&r, big, err, sizeof err), -1);
	assert_non_null(strstr(err, "longer than 253"));
	strcpy(big + 253, " A 1.2.3.4");
	assert_int_equal(dnsd_record_parse(&r, big, err, sizeof err), 0);
	snprintf(txt, sizeof txt, "x TXT %0256d", 0);
	assert_int_equal(dnsd_record_parse(&r, txt, err, sizeof err), -1);
	assert_string_equal(err, "TXT: text longer than 255 bytes (256)");
	snprintf(txt, sizeof txt, "x TXT %0255d", 0);
	assert_int_equal(dnsd_record_parse(&r, txt, err, sizeof err), 0);
	/* 2049 bytes of TLSA data do not fit, 2048 do; 8193 characters are
	 * too long a line. */
	huge = malloc(9000);
	assert_non_null(huge);
	strcpy(huge, "x TLSA 3 0 0 ");
	memset(huge + 13, '0', 4098);
	huge[13 + 4098] = '\0';
	assert_int_equal(dnsd_record_parse(&r, huge, err, sizeof err), -1);
	assert_string_equal(err, "TLSA: data longer than 2048 bytes");
	huge[13 + 4096] = '\0';
	assert_int_equal(dnsd_record_parse(&r, huge, err, sizeof err), 0);
	assert_int_equal(r.datalen, 2048);
	memset(huge + 13, '0', 8200);
	huge[13 + 8200] = '\0';
	assert_int_equal(dnsd_record_parse(&r, huge, err, sizeof err), -1);
	assert_string_equal(err, "record line longer than 8192 characters");
	free(huge);
}

/* ---------------------------------------------------------------- resolve */

static int
rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb; (void)flag; (void)ftw;
	return remove(path);
}

static int
group_setup(void **state)
{
	const char *hosts[] = { "mx.partner.example,127.0.0.10", "other.example" };
	struct mxlab_pki_options o = { .hosts = hosts, .nhosts = 2 };
	char err[256];

	(void)state;
	if (!mkdtemp(topdir))
		return -1;
	snprintf(pkidir, sizeof pkidir, "%s/pki", topdir);
	o.dir = pkidir;
	if (mxlab_pki_generate(&o, err, sizeof err) != MXLAB_OK) {
		fprintf(stderr, "pki: %s\n", err);
		return -1;
	}
	return 0;
}

static int
group_teardown(void **state)
{
	(void)state;
	nftw(topdir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

/* The SPKI of a certificate file, re-encoded by mbedTLS, and the DER of the
 * whole certificate. */
static size_t
read_cert(const char *rel, uint8_t *spki, size_t spkicap, uint8_t *der, size_t *derlen)
{
	char path[600];
	mbedtls_x509_crt crt;
	int n;

	snprintf(path, sizeof path, "%s/%s", pkidir, rel);
	mbedtls_x509_crt_init(&crt);
	assert_int_equal(mbedtls_x509_crt_parse_file(&crt, path), 0);
	n = mbedtls_pk_write_pubkey_der(&crt.pk, spki, spkicap);
	assert_true(n > 0);
	memmove(spki, spki + spkicap - (size_t)n, (size_t)n);	/* written at the end */
	if (der) {
		memcpy(der, crt.raw.p, crt.raw.len);
		*derlen = crt.raw.len;
	}
	mbedtls_x509_crt_free(&crt);
	return (size_t)n;
}

static void
resolve_ok(const char *line, struct dnsd_record *r)
{
	char err[256] = "";

	parse_ok(line, r);
	if (dnsd_record_resolve(r, pkidir, err, sizeof err) != 0)
		fail_msg("'%s': %s", line, err);
}

static void
test_resolve(void **state)
{
	struct dnsd_record r, r2;
	uint8_t spki[1024], der[4096], h[64];
	size_t n, derlen;
	char err[256];

	(void)state;
	/* 3 1 1 on the leaf */
	n = read_cert("mx.partner.example/good/leaf.crt", spki, sizeof spki, der, &derlen);
	resolve_ok("_25._tcp.mx.partner.example TLSA 3 1 1 pki:mx.partner.example", &r);
	SHA256(spki, n, h);
	assert_int_equal(r.datalen, 32);
	assert_memory_equal(r.data, h, 32);
	/* 3 1 2, 3 1 0, 3 0 1, 3 0 0 */
	resolve_ok("x TLSA 3 1 2 pki:mx.partner.example/good", &r);
	SHA512(spki, n, h);
	assert_int_equal(r.datalen, 64);
	assert_memory_equal(r.data, h, 64);
	resolve_ok("x TLSA 3 1 0 pki:mx.partner.example", &r);
	assert_int_equal(r.datalen, n);
	assert_memory_equal(r.data, spki, n);
	resolve_ok("x TLSA 3 0 1 pki:mx.partner.example", &r);
	SHA256(der, derlen, h);
	assert_memory_equal(r.data, h, 32);
	resolve_ok("x TLSA 3 0 0 pki:mx.partner.example", &r);
	assert_int_equal(r.datalen, derlen);
	assert_memory_equal(r.data, der, derlen);

	/* Every profile of a host has the same key, another host another. */
	resolve_ok("x TLSA 3 1 1 pki:mx.partner.example/expired", &r2);
	resolve_ok("x TLSA 3 1 1 pki:mx.partner.example/good", &r);
	assert_memory_equal(r.data, r2.data, 32);
	resolve_ok("x TLSA 3 0 1 pki:mx.partner.example/expired", &r2);
	resolve_ok("x TLSA 3 0 1 pki:mx.partner.example/good", &r);
	assert_memory_not_equal(r.data, r2.data, 32);
	resolve_ok("x TLSA 3 1 1 pki:other.example", &r2);
	resolve_ok("x TLSA 3 1 1 pki:mx.partner.example", &r);
	assert_memory_not_equal(r.data, r2.data, 32);

	/* 2 1 1 on the intermediate, 2 0 1 on the root */
	n = read_cert("ca/intermediate.crt", spki, sizeof spki, NULL, NULL);
	resolve_ok("x TLSA 2 1 1 pki:ca/intermediate", &r);
	SHA256(spki, n, h);
	assert_memory_equal(r.data, h, 32);
	read_cert("ca/root.crt", spki, sizeof spki, der, &derlen);
	resolve_ok("x TLSA 2 0 1 pki:ca/root", &r);
	SHA256(der, derlen, h);
	assert_memory_equal(r.data, h, 32);
	resolve_ok("x TLSA 2 0 1 pki:ca/other-root", &r2);
	assert_memory_not_equal(r.data, r2.data, 32);

	/* Not a TLSA, or hex data: nothing to do. */
	parse_ok("x A 1.2.3.4", &r);
	assert_int_equal(dnsd_record_resolve(&r, "/nonexistent", err, sizeof err), 0);
	parse_ok("x TLSA 3 1 0 abcd", &r);
	assert_int_equal(dnsd_record_resolve(&r, "/nonexistent", err, sizeof err), 0);
	assert_int_equal(r.datalen, 2);

	/* Errors */
	parse_ok("x TLSA 3 1 1 pki:nosuch.example", &r);
	assert_int_equal(dnsd_record_resolve(&r, pkidir, err, sizeof err), -1);
	assert_non_null(strstr(err, "TLSA pki:nosuch.example/good: cannot read"));
	assert_non_null(strstr(err, "nosuch.example/good/leaf.crt"));
	assert_int_equal(r.datalen, 0);
	parse_ok("x TLSA 3 1 1 pki:ca/root", &r);
	assert_int_equal(dnsd_record_resolve(&r, "/nonexistent", err, sizeof err), -1);
	assert_non_null(strstr(err, "/nonexistent/ca/root.crt"));
}

/* ---------------------------------------------------------------- packets */

struct q {
	uint8_t b[600];
	size_t len;
};

static void
put16(struct q *q, unsigned v)
{
	q->b[q->len++] = (uint8_t)(v >> 8);
	q->b[q->len++] = (uint8_t)v;
}

static void
put_name(struct q *q, const char *name)
{
	while (*name) {
		size_t l = strcspn(name, ".");

		q->b[q->len++] = (uint8_t)l;
		memcpy(q->b + q->len, name, l);
		q->len += l;
		name += l;
		if (*name == '.')
			name++;
	}
	q->b[q->len++] = 0;
}

/* A query; edns: 0 none, else the UDP size, with the DO bit when do_bit. */
static struct q
query(unsigned id, const char *name, unsigned type, unsigned flags, unsigned edns, int do_bit)
{
	struct q q = { .len = 0 };

	put16(&q, id);
	put16(&q, flags);
	put16(&q, 1);
	put16(&q, 0);
	put16(&q, 0);
	put16(&q, edns ? 1 : 0);
	put_name(&q, name);
	put16(&q, type);
	put16(&q, 1);
	if (edns) {
		q.b[q.len++] = 0;
		put16(&q, DNS_T_OPT);
		put16(&q, edns);
		put16(&q, 0);
		put16(&q, do_bit ? 0x8000 : 0);
		put16(&q, 0);
	}
	return q;
}

struct rr {
	char name[256];
	unsigned type, rdlen;
	const uint8_t *rdata;
	size_t rdoff;
};

struct reply {
	uint8_t b[70000];
	size_t len;
	unsigned id, flags, qd, an, ns, ar;
	char qname[256];
	unsigned qtype;
	struct rr rr[64];		/* answers, then additional */
	int opt;			/* index of the OPT in rr, or -1 */
};

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* A name of the reply (compression allowed, backwards only). */
static size_t
get_name(const struct reply *r, size_t off, char *out)
{
	size_t o = 0, end = 0;
	int hops = 0;

	for (;;) {
		assert_true(off < r->len);
		uint8_t c = r->b[off];

		if ((c & 0xC0) == 0xC0) {
			assert_true(off + 1 < r->len);
			if (!end)
				end = off + 2;
			size_t to = (size_t)(c & 0x3F) << 8 | r->b[off + 1];
			assert_true(to < off && ++hops < 20);
			off = to;
			continue;
		}
		if (c == 0)
			break;
		assert_true(off + 1 + c <= r->len);
		if (o)
			out[o++] = '.';
		memcpy(out + o, r->b + off + 1, c);
		o += c;
		off += 1 + c;
	}
	out[o] = '\0';
	return end ? end : off + 1;
}

static void
parse_reply(struct reply *r)
{
	size_t off = 12;

	assert_true(r->len >= 12);
	r->id = get16(r->b);
	r->flags = get16(r->b + 2);
	r->qd = get16(r->b + 4);
	r->an = get16(r->b + 6);
	r->ns = get16(r->b + 8);
	r->ar = get16(r->b + 10);
	r->opt = -1;
	r->qname[0] = '\0';
	assert_true(r->qd <= 1);
	if (r->qd) {
		off = get_name(r, off, r->qname);
		assert_true(off + 4 <= r->len);
		r->qtype = get16(r->b + off);
		off += 4;
	}
	assert_true(r->an + r->ns + r->ar <= 64);
	for (unsigned i = 0; i < r->an + r->ns + r->ar; i++) {
		struct rr *x = &r->rr[i];

		off = get_name(r, off, x->name);
		assert_true(off + 10 <= r->len);
		x->type = get16(r->b + off);
		x->rdlen = get16(r->b + off + 8);
		off += 10;
		assert_true(off + x->rdlen <= r->len);
		x->rdata = r->b + off;
		x->rdoff = off;
		off += x->rdlen;
		if (x->type == DNS_T_OPT) {
			assert_true(i >= r->an + r->ns);
			r->opt = (int)i;
		}
	}
	assert_int_equal(off, r->len);
}

#define QR 0x8000
#define AA 0x0400
#define TC 0x0200
#define RD 0x0100
#define RA 0x0080
#define AD 0x0020
#define RCODE(r) ((r)->flags & 0xF)

static int
udp_socket(unsigned timeout_ms)
{
	struct timeval tv = { timeout_ms / 1000, (timeout_ms % 1000) * 1000 };
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	return fd;
}

static struct sockaddr_in
server_addr(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

/* Send bytes over UDP; 1 with a reply in r, 0 when none came in timeout_ms. */
static int
udp_raw(int port, const void *b, size_t len, struct reply *r, unsigned timeout_ms)
{
	struct sockaddr_in sa = server_addr(port);
	int fd = udp_socket(timeout_ms);
	ssize_t n;

	assert_int_equal(sendto(fd, b, len, 0, (struct sockaddr *)&sa, sizeof sa), (ssize_t)len);
	n = recv(fd, r->b, sizeof r->b, 0);
	close(fd);
	if (n < 0)
		return 0;
	r->len = (size_t)n;
	parse_reply(r);
	return 1;
}

static void
udp_ask(int port, const struct q *q, struct reply *r)
{
	assert_int_equal(udp_raw(port, q->b, q->len, r, 2000), 1);
	assert_int_equal(r->id, get16(q->b));
}

static int
tcp_connect(int port)
{
	struct sockaddr_in sa = server_addr(port);
	struct timeval tv = { 3, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}

static int
read_full(int fd, uint8_t *b, size_t len)
{
	while (len) {
		ssize_t n = recv(fd, b, len, 0);

		if (n <= 0)
			return -1;
		b += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
tcp_read_reply(int fd, struct reply *r)
{
	uint8_t l[2];

	assert_int_equal(read_full(fd, l, 2), 0);
	r->len = get16(l);
	assert_int_equal(read_full(fd, r->b, r->len), 0);
	parse_reply(r);
}

static void
tcp_send_query(int fd, const struct q *q)
{
	uint8_t l[2] = { (uint8_t)(q->len >> 8), (uint8_t)q->len };

	assert_int_equal(send(fd, l, 2, 0), 2);
	assert_int_equal(send(fd, q->b, q->len, 0), (ssize_t)q->len);
}

static void
tcp_ask(int port, const struct q *q, struct reply *r)
{
	int fd = tcp_connect(port);

	tcp_send_query(fd, q);
	tcp_read_reply(fd, r);
	assert_int_equal(r->id, get16(q->b));
	close(fd);
}

/* ---------------------------------------------------------------- server */

static const char *const table[] = {
	"partner.example MX 10 mx.partner.example",
	"partner.example MX 20 mx2.partner.example",
	"mx.partner.example A 127.0.0.10",
	"mx.partner.example AAAA ::10",
	"mx2.partner.example A 127.0.0.11",
	"www.partner.example CNAME mx.partner.example",
	"dangling.partner.example CNAME nowhere.partner.example",
	"loop1.example CNAME loop2.example",
	"loop2.example CNAME loop1.example",
	"_25._tcp.mx.partner.example TLSA 3 1 1 pki:mx.partner.example",
	"_25._tcp.mx.partner.example TLSA 2 1 1 pki:ca/intermediate",
	"_25._tcp.unresolved.example TLSA 3 1 1 pki:mx.partner.example",
	"txt.example TXT hello world",
};

struct srv {
	struct dnsd_record recs[64];
	size_t n;
	struct dnsd *d;
	int port;
};

/* The table above, 30 TXT records of 200 bytes at big.example, started. */
static void
srv_start(struct srv *s, int ad)
{
	char err[256], line[300];

	s->n = 0;
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
		parse_ok(table[i], &s->recs[s->n]);
		if (!strstr(table[i], "unresolved"))
			assert_int_equal(dnsd_record_resolve(&s->recs[s->n], pkidir,
							     err, sizeof err), 0);
		s->n++;
	}
	for (int i = 0; i < 30; i++) {
		snprintf(line, sizeof line, "big.example TXT %02d%0198d", i, 0);
		parse_ok(line, &s->recs[s->n++]);
	}
	if (dnsd_start("127.0.0.1:0", s->recs, s->n, ad, &s->d, err, sizeof err) != MXLAB_OK)
		fail_msg("dnsd_start: %s", err);
	s->port = dnsd_port(s->d);
	assert_true(s->port > 0);
}

static void
test_answers(void **state)
{
	struct srv s;
	struct reply *r = malloc(sizeof *r);
	struct q q;
	struct dnsd_record tl;
	char name[256];

	(void)state;
	assert_non_null(r);
	srv_start(&s, 1);
	/* Table order may not matter to the table's users: resolve here for
	 * the comparison. */
	resolve_ok("x TLSA 3 1 1 pki:mx.partner.example", &tl);

	/* A, with the header bits */
	q = query(0x1234, "mx.partner.example", DNSD_T_A, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->flags & (QR | AA | RD | RA | AD | TC), QR | AA | RD | RA | AD);
	assert_int_equal(RCODE(r), 0);
	assert_int_equal(r->an, 1);
	assert_string_equal(r->qname, "mx.partner.example");
	assert_string_equal(r->rr[0].name, "mx.partner.example");
	assert_int_equal(r->rr[0].type, DNSD_T_A);
	assert_int_equal(r->rr[0].rdlen, 4);
	assert_memory_equal(r->rr[0].rdata, "\x7f\x00\x00\x0a", 4);
	assert_int_equal(r->opt, -1);		/* no EDNS asked, none given */

	/* RD not set: not set in the reply; case kept in the question */
	q = query(7, "MX.Partner.EXAMPLE", DNSD_T_AAAA, 0, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->flags & RD, 0);
	assert_string_equal(r->qname, "MX.Partner.EXAMPLE");
	assert_int_equal(r->an, 1);
	assert_int_equal(r->rr[0].type, DNSD_T_AAAA);
	assert_int_equal(r->rr[0].rdlen, 16);
	assert_int_equal(r->rr[0].rdata[15], 0x10);

	/* MX: both, exchange names */
	q = query(8, "partner.example", DNSD_T_MX, RD, 1232, 1);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->an, 2);
	assert_int_equal(r->rr[0].type, DNSD_T_MX);
	assert_int_equal(get16(r->rr[0].rdata), 10);
	get_name(r, r->rr[0].rdoff + 2, name);
	assert_string_equal(name, "mx.partner.example");
	assert_int_equal(get16(r->rr[1].rdata), 20);
	get_name(r, r->rr[1].rdoff + 2, name);
	assert_string_equal(name, "mx2.partner.example");
	/* EDNS: OPT echoed, size 1232, DO echoed */
	assert_true(r->opt >= 0);
	assert_int_equal(r->ar, 1);
	assert_string_equal(r->rr[r->opt].name, "");
	assert_int_equal(get16(r->b + r->rr[r->opt].rdoff - 8), 1232);	/* class */
	assert_int_equal(get16(r->b + r->rr[r->opt].rdoff - 4) & 0x8000, 0x8000);

	/* TLSA over TCP: both records, unresolved ones never served */
	q = query(9, "_25._tcp.mx.partner.example", DNSD_T_TLSA, RD, 1232, 1);
	tcp_ask(s.port, &q, r);
	assert_int_equal(r->an, 2);
	assert_int_equal(r->rr[0].type, DNSD_T_TLSA);
	assert_int_equal(r->rr[0].rdlen, 35);
	assert_memory_equal(r->rr[0].rdata, "\x03\x01\x01", 3);
	assert_memory_equal(r->rr[0].rdata + 3, tl.data, 32);
	assert_memory_equal(r->rr[1].rdata, "\x02\x01\x01", 3);
	assert_true(r->flags & AD);
	q = query(10, "_25._tcp.unresolved.example", DNSD_T_TLSA, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), 0);
	assert_int_equal(r->an, 0);

	/* TXT */
	q = query(11, "txt.example", DNSD_T_TXT, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->an, 1);
	assert_int_equal(r->rr[0].rdlen, 12);
	assert_memory_equal(r->rr[0].rdata, "\x0bhello world", 12);

	/* NXDOMAIN, NODATA (AA and AD on both) */
	q = query(12, "nosuch.partner.example", DNSD_T_A, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_NXDOMAIN);
	assert_int_equal(r->an, 0);
	assert_int_equal(r->flags & (AA | AD), AA | AD);
	assert_int_equal(r->ns, 1);		/* the SOA of the apex (root) */
	assert_int_equal(r->rr[0].type, DNS_T_SOA);
	assert_string_equal(r->rr[0].name, "");
	q = query(13, "mx2.partner.example", DNSD_T_AAAA, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), 0);
	assert_int_equal(r->an, 0);
	assert_int_equal(r->ns, 1);
	assert_int_equal(r->rr[0].type, DNS_T_SOA);
	q = query(14, "mx2.partner.example", DNSD_T_TLSA, RD, 0, 0);
	tcp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), 0);
	assert_int_equal(r->an, 0);
	/* An empty non-terminal exists (NODATA); a name below a leaf not. */
	q = query(24, "_tcp.mx.partner.example", DNSD_T_TLSA, RD, 0, 0);
	r->len = dns_wire_reply(s.recs, s.n, 1, q.b, q.len, 0, r->b, sizeof r->b, NULL);
	parse_reply(r);
	assert_int_equal(RCODE(r), 0);
	assert_int_equal(r->an, 0);
	q = query(25, "x.mx.partner.example", DNSD_T_A, RD, 0, 0);
	r->len = dns_wire_reply(s.recs, s.n, 1, q.b, q.len, 0, r->b, sizeof r->b, NULL);
	parse_reply(r);
	assert_int_equal(RCODE(r), DNS_RCODE_NXDOMAIN);
	q = query(26, "tner.example", DNSD_T_A, RD, 0, 0);	/* not a label boundary */
	r->len = dns_wire_reply(s.recs, s.n, 1, q.b, q.len, 0, r->b, sizeof r->b, NULL);
	parse_reply(r);
	assert_int_equal(RCODE(r), DNS_RCODE_NXDOMAIN);
	q = query(27, "EXAMPLE", DNSD_T_A, RD, 0, 0);
	r->len = dns_wire_reply(s.recs, s.n, 1, q.b, q.len, 0, r->b, sizeof r->b, NULL);
	parse_reply(r);
	assert_int_equal(RCODE(r), 0);

	/* CNAME chased; asked as CNAME, not chased; dangling: NXDOMAIN with
	 * the CNAME; a loop ends. */
	q = query(15, "www.partner.example", DNSD_T_A, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->an, 2);
	assert_int_equal(r->ns, 0);
	assert_int_equal(r->rr[0].type, DNSD_T_CNAME);
	assert_string_equal(r->rr[0].name, "www.partner.example");
	get_name(r, r->rr[0].rdoff, name);
	assert_string_equal(name, "mx.partner.example");
	assert_int_equal(r->rr[1].type, DNSD_T_A);
	assert_string_equal(r->rr[1].name, "mx.partner.example");
	q = query(16, "www.partner.example", DNSD_T_CNAME, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->an, 1);
	q = query(17, "dangling.partner.example", DNSD_T_A, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_NXDOMAIN);
	assert_int_equal(r->an, 1);
	q = query(18, "loop1.example", DNSD_T_A, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), 0);
	assert_int_equal(r->an, 8);
	/* ANY: every record of the name */
	q = query(19, "mx.partner.example", 255, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->an, 2);

	/* Truncation: 30 x 203 bytes do not fit 512 nor 1232; TCP gets all */
	q = query(20, "big.example", DNSD_T_TXT, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_true(r->flags & TC);
	assert_int_equal(r->an, 0);
	assert_string_equal(r->qname, "big.example");
	q = query(21, "big.example", DNSD_T_TXT, RD, 4096, 1);
	udp_ask(s.port, &q, r);
	assert_true(r->flags & TC);
	assert_int_equal(r->an, 0);
	assert_true(r->opt >= 0);
	tcp_ask(s.port, &q, r);
	assert_int_equal(r->flags & TC, 0);
	assert_int_equal(r->an, 30);
	assert_true(r->len > 6000);
	/* Small answers are not truncated without EDNS */
	q = query(22, "partner.example", DNSD_T_MX, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->flags & TC, 0);

	/* The counter: every reply so far. */
	assert_int_equal(dnsd_queries(s.d), 18);

	/* The root: one NS (what Postfix's dnssec_probe "ns:." asks), one SOA */
	q = query(23, "", DNS_T_NS, RD, 1232, 1);
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), 0);
	assert_int_equal(r->flags & AD, AD);
	assert_int_equal(r->an, 1);
	assert_int_equal(r->rr[0].type, DNS_T_NS);
	assert_string_equal(r->rr[0].name, "");
	get_name(r, r->rr[0].rdoff, name);
	assert_string_equal(name, "dnsd.mxlab.invalid");
	q = query(24, "", DNS_T_SOA, RD, 0, 0);
	tcp_ask(s.port, &q, r);
	assert_int_equal(r->an, 1);
	assert_int_equal(r->rr[0].type, DNS_T_SOA);
	assert_int_equal(r->rr[0].rdlen, 20 + 20 + 26);
	dnsd_stop(s.d);

	/* AD off */
	srv_start(&s, 0);
	q = query(30, "partner.example", DNSD_T_MX, RD | AD, 1232, 1);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->flags & AD, 0);
	assert_int_equal(r->flags & AA, AA);
	assert_int_equal(r->an, 2);
	assert_true(r->opt >= 0);
	q = query(31, "mx.partner.example", DNSD_T_A, RD, 1232, 0);
	tcp_ask(s.port, &q, r);
	assert_int_equal(r->flags & AD, 0);
	assert_int_equal(get16(r->b + r->rr[r->opt].rdoff - 4) & 0x8000, 0); /* no DO */
	dnsd_stop(s.d);
	free(r);
}

static void
test_errors(void **state)
{
	struct srv s;
	struct reply *r = malloc(sizeof *r);
	struct q q;
	uint8_t raw[600];

	(void)state;
	assert_non_null(r);
	srv_start(&s, 1);

	/* Opcode 2 (STATUS): NOTIMP, opcode echoed */
	q = query(1, "mx.partner.example", DNSD_T_A, 2 << 11, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_NOTIMP);
	assert_int_equal(r->flags >> 11 & 0xF, 2);
	/* AXFR: NOTIMP; class CH: REFUSED */
	q = query(2, "partner.example", 252, 0, 0, 0);
	tcp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_NOTIMP);
	q = query(3, "partner.example", DNSD_T_TXT, 0, 0, 0);
	q.b[q.len - 1] = 3;
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_REFUSED);
	/* EDNS version 1: BADVERS (extended rcode 1 in the OPT) */
	q = query(4, "partner.example", DNSD_T_MX, 0, 1232, 0);
	q.b[q.len - 5] = 1;		/* the version byte of the OPT TTL */
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), 0);
	assert_int_equal(r->an, 0);
	assert_true(r->opt >= 0);
	assert_int_equal(r->b[r->rr[r->opt].rdoff - 6], 1);

	/* qdcount 0, 2, 65535: FORMERR */
	q = query(5, "mx.partner.example", DNSD_T_A, 0, 0, 0);
	q.b[5] = 0;
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	q.b[5] = 2;
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	q.b[4] = q.b[5] = 0xFF;
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	/* arcount 65535 with no records: FORMERR */
	q = query(6, "mx.partner.example", DNSD_T_A, 0, 0, 0);
	q.b[10] = q.b[11] = 0xFF;
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	/* Two OPT records: FORMERR */
	q = query(7, "mx.partner.example", DNSD_T_A, 0, 1232, 0);
	memcpy(q.b + q.len, q.b + q.len - 11, 11);
	q.len += 11;
	q.b[11] = 2;
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);

	/* Names: a pointer to itself, a forward pointer, a pointer past the
	 * end, a label past the end, 0x40 label type, a name over 255 bytes,
	 * a label holding a dot. */
	memset(raw, 0, sizeof raw);
	raw[0] = 0xAB; raw[5] = 1;
	raw[12] = 0xC0; raw[13] = 12; raw[15] = 1; raw[17] = 1;
	assert_int_equal(udp_raw(s.port, raw, 18, r, 2000), 1);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	assert_int_equal(r->qd, 0);
	raw[13] = 14;
	assert_int_equal(udp_raw(s.port, raw, 18, r, 2000), 1);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	raw[12] = 0xFF; raw[13] = 0xFF;
	assert_int_equal(udp_raw(s.port, raw, 18, r, 2000), 1);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	raw[12] = 60;
	assert_int_equal(udp_raw(s.port, raw, 18, r, 2000), 1);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	raw[12] = 0x41;
	assert_int_equal(udp_raw(s.port, raw, 18, r, 2000), 1);
	assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	/* 5 labels of 63: 320 bytes */
	{
		size_t o = 12;

		for (int i = 0; i < 5; i++) {
			raw[o++] = 63;
			memset(raw + o, 'a', 63);
			o += 63;
		}
		raw[o++] = 0;
		raw[o++] = 0; raw[o++] = 1; raw[o++] = 0; raw[o++] = 1;
		assert_int_equal(udp_raw(s.port, raw, o, r, 2000), 1);
		assert_int_equal(RCODE(r), DNS_RCODE_FORMERR);
	}
	q = query(8, "mx.partner.example", DNSD_T_A, 0, 0, 0);
	q.b[12 + 1] = '.';		/* the label ".x": no table name */
	udp_ask(s.port, &q, r);
	assert_int_equal(RCODE(r), DNS_RCODE_NXDOMAIN);
	/* A valid compressed question: a pointer back into the header is
	 * nonsense but legal (bytes 2..: flags 0x00 0x00 = root). */
	memset(raw, 0, 18);
	raw[5] = 1; raw[12] = 0xC0; raw[13] = 2; raw[15] = 1; raw[17] = 1;
	assert_int_equal(udp_raw(s.port, raw, 18, r, 2000), 1);
	assert_int_equal(RCODE(r), 0);	/* the root exists, without A */
	assert_int_equal(r->an, 0);
	assert_string_equal(r->qname, "");

	/* Dropped: short packets, responses, empty datagrams. */
	assert_int_equal(udp_raw(s.port, "\x12\x34\x01\x00\x00", 5, r, 200), 0);
	q = query(9, "mx.partner.example", DNSD_T_A, QR, 0, 0);
	assert_int_equal(udp_raw(s.port, q.b, q.len, r, 200), 0);
	assert_int_equal(udp_raw(s.port, "", 0, r, 200), 0);

	/* Still serving */
	q = query(10, "mx.partner.example", DNSD_T_A, RD, 0, 0);
	udp_ask(s.port, &q, r);
	assert_int_equal(r->an, 1);
	dnsd_stop(s.d);
	free(r);
}

static void
test_tcp(void **state)
{
	struct srv s;
	struct reply *r = malloc(sizeof *r);
	struct q q1, q2;
	uint8_t both[1200];
	int silent, fd, many[12];

	(void)state;
	assert_non_null(r);
	srv_start(&s, 1);
	/* A silent client and a half-sent one do not stop others. */
	silent = tcp_connect(s.port);
	fd = tcp_connect(s.port);
	assert_int_equal(send(fd, "\x00\x20\x01\x02", 4, 0), 4);
	q1 = query(1, "mx.partner.example", DNSD_T_A, RD, 0, 0);
	tcp_ask(s.port, &q1, r);
	assert_int_equal(r->an, 1);
	/* The silent one is closed after the idle timeout (2 s). */
	assert_int_equal(recv(silent, both, 1, 0), 0);
	close(silent);
	close(fd);

	/* Two queries in one write, a third in pieces: three replies in order. */
	q2 = query(2, "partner.example", DNSD_T_MX, RD, 0, 0);
	fd = tcp_connect(s.port);
	both[0] = 0; both[1] = (uint8_t)q1.len;
	memcpy(both + 2, q1.b, q1.len);
	both[2 + q1.len] = 0; both[3 + q1.len] = (uint8_t)q2.len;
	memcpy(both + 4 + q1.len, q2.b, q2.len);
	assert_int_equal(send(fd, both, 4 + q1.len + q2.len, 0), (ssize_t)(4 + q1.len + q2.len));
	tcp_read_reply(fd, r);
	assert_int_equal(r->id, 1);
	tcp_read_reply(fd, r);
	assert_int_equal(r->id, 2);
	assert_int_equal(r->an, 2);
	q1.b[1] = 3;
	assert_int_equal(send(fd, "\x00", 1, 0), 1);
	assert_int_equal(send(fd, (uint8_t[]){ (uint8_t)q1.len }, 1, 0), 1);
	assert_int_equal(send(fd, q1.b, 5, 0), 5);
	assert_int_equal(send(fd, q1.b + 5, q1.len - 5, 0), (ssize_t)(q1.len - 5));
	tcp_read_reply(fd, r);
	assert_int_equal(r->id, 3);
	/* A response sent to the server: it hangs up. A zero length too. */
	q1.b[2] |= 0x80;
	tcp_send_query(fd, &q1);
	assert_int_equal(recv(fd, both, 1, 0), 0);
	close(fd);
	fd = tcp_connect(s.port);
	assert_int_equal(send(fd, "\x00\x00", 2, 0), 2);
	assert_int_equal(recv(fd, both, 1, 0), 0);
	close(fd);

	/* More connections than the server keeps open at once (8): the rest
	 * wait in the backlog and are served as the first ones go. */
	for (int i = 0; i < 12; i++)
		many[i] = tcp_connect(s.port);
	q1.b[2] &= 0x7F;
	for (int i = 11; i >= 0; i--) {
		q1.b[1] = (uint8_t)(100 + i);
		tcp_send_query(many[i], &q1);
	}
	for (int i = 0; i < 12; i++) {
		tcp_read_reply(many[i], r);
		assert_int_equal(r->id, 100 + i);
		close(many[i]);
	}
	dnsd_stop(s.d);
	free(r);
}

/* Random and mutated packets straight into dns_wire_reply (ASan watches);
 * every reply must parse. */
static void
test_fuzz(void **state)
{
	struct srv s;
	struct reply *r = malloc(sizeof *r);
	uint8_t *out = malloc(DNS_MSG_MAX);
	uint32_t x = 12345;
	struct q base = query(1, "_25._tcp.mx.partner.example", DNSD_T_TLSA, RD, 1232, 1);

	(void)state;
	assert_non_null(r);
	assert_non_null(out);
	srv_start(&s, 1);
	for (int i = 0; i < 20000; i++) {
		uint8_t pkt[600];
		size_t len;

		if (i % 2) {
			len = base.len;
			memcpy(pkt, base.b, len);
			for (int k = 0; k < 1 + i % 4; k++) {
				x = x * 1103515245 + 12345;
				pkt[(x >> 8) % len] = (uint8_t)(x >> 20);
			}
			x = x * 1103515245 + 12345;
			if (x % 5 == 0)
				len = (x >> 8) % len;
		} else {
			x = x * 1103515245 + 12345;
			len = (x >> 8) % 100;
			for (size_t k = 0; k < len; k++) {
				x = x * 1103515245 + 12345;
				pkt[k] = (uint8_t)(x >> 16);
			}
			if (len > 12)	/* a question count of 1, so names are read */
				pkt[4] = 0, pkt[5] = 1, pkt[2] &= 0x7F;
		}
		r->len = dns_wire_reply(s.recs, s.n, 1, pkt, len, i % 3 == 0, r->b,
					DNS_MSG_MAX, NULL);
		if (r->len)
			parse_reply(r);
	}
	/* The server itself, with hostile bytes over the wire */
	for (int i = 0; i < 200; i++) {
		uint8_t pkt[64];

		for (size_t k = 0; k < sizeof pkt; k++) {
			x = x * 1103515245 + 12345;
			pkt[k] = (uint8_t)(x >> 16);
		}
		pkt[2] &= 0x7F;
		pkt[4] = 0; pkt[5] = 1;
		udp_raw(s.port, pkt, sizeof pkt, r, 50);
	}
	{
		struct q q = query(2, "mx.partner.example", DNSD_T_A, RD, 0, 0);

		udp_ask(s.port, &q, r);
		assert_int_equal(r->an, 1);
	}
	dnsd_stop(s.d);
	free(out);
	free(r);
}

static void
test_start_errors(void **state)
{
	struct dnsd *d = (struct dnsd *)1, *d2;
	struct dnsd_record rec;
	char err[256], addr[64];

	(void)state;
	parse_ok("x A 1.2.3.4", &rec);
	assert_int_equal(dnsd_start("nonsense", &rec, 1, 0, &d, err, sizeof err), MXLAB_ERR_USAGE);
	assert_null(d);
	assert_non_null(strstr(err, "bad address 'nonsense'"));
	assert_int_equal(dnsd_start("127.0.0.1:99999", &rec, 1, 0, &d, err, sizeof err), MXLAB_ERR_USAGE);
	assert_int_equal(dnsd_start("localhost:53", &rec, 1, 0, &d, err, sizeof err), MXLAB_ERR_USAGE);
	/* A good address that cannot be bound here is not the caller's mistake. */
	assert_int_equal(dnsd_start("192.0.2.1:0", &rec, 1, 0, &d, err, sizeof err), MXLAB_ERR_IO);
	assert_null(d);
	assert_non_null(strstr(err, "dnsd: 192.0.2.1:0: "));
	/* IPv6 form, if the host has ::1 */
	if (dnsd_start("[::1]:0", &rec, 1, 0, &d, err, sizeof err) == MXLAB_OK) {
		assert_true(dnsd_port(d) > 0);
		dnsd_stop(d);
	}
	/* A port in use */
	assert_int_equal(dnsd_start("127.0.0.1:0", NULL, 0, 0, &d, err, sizeof err), MXLAB_OK);
	snprintf(addr, sizeof addr, "127.0.0.1:%d", dnsd_port(d));
	assert_int_equal(dnsd_start(addr, &rec, 1, 0, &d2, err, sizeof err), MXLAB_ERR_IO);
	assert_non_null(strstr(err, "in use"));
	dnsd_stop(d);
	dnsd_stop(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_answers),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_tcp),
		cmocka_unit_test(test_fuzz),
		cmocka_unit_test(test_start_errors),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
