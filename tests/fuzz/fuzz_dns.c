/*
 * fuzz_dns.c: libFuzzer target for dnsd's record lines (dnsd_record_parse,
 * harness/lib/dnsd_record.c) and its DNS codec (dns_wire_reply,
 * harness/lib/dns_wire.c): records parsed from the input make the table
 * a query from the input is answered from, so odd but valid records
 * (255-byte TXT, 2048-byte TLSA data, CNAME chains and loops, names of
 * 253 characters) meet hostile queries.
 *
 * Input: 1 flags byte, then [dns] lines ('\n' separated), then a NUL and
 * the query message (no NUL: the lines alone, no query).
 *   flags bit 0  set AD in replies (dnssec = yes)
 *         bit 1  add a fixed table (MX, A, AAAA, CNAMEs, a CNAME loop,
 *                TLSA, a 30 x 200-byte TXT set that overflows UDP)
 * TLSA records with pki: data get 32 bytes of 0x5A, as if resolved (no
 * PKI is read). No socket is opened: dnsd.c's framing is not covered.
 *
 * Besides the sanitizers, it checks and aborts on a violation: a record
 * that parses has a valid name, a known type and arguments in range, a
 * line that does not has an error message; the query is answered exactly
 * when it has a header and is not a response; every reply is a
 * well-formed message of its own (id, opcode and RD echoed, QR set, AA
 * and AD as the rcode and the AD setting say, at most one question, every record inside it, compression pointers
 * backwards only, the counts matching the records), within its transport
 * limit (512 bytes, 1232 with EDNS0, 65535 over TCP), with no records when
 * truncated, agreeing with what dns_wire_info reports; and a UDP reply
 * that was not truncated is byte for byte the TCP reply.
 */
#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_wire.h"
#include "dnsd.h"

#define CHECK(x) do { if (!(x)) abort(); } while (0)
#define MAXRECS 64

static const char *const fixed[] = {
	"partner.example MX 10 mx.partner.example",
	"partner.example MX 20 mx2.partner.example.",
	"mx.partner.example A 127.0.0.10",
	"mx.partner.example AAAA ::10",
	"mx2.partner.example A 127.0.0.11",
	"www.partner.example CNAME mx.partner.example",
	"dangling.partner.example CNAME nowhere.partner.example",
	"loop1.example CNAME loop2.example",
	"loop2.example CNAME loop1.example",
	"_25._tcp.mx.partner.example TLSA 3 1 1 pki:mx.partner.example",
	"_25._tcp.mx.partner.example TLSA 2 1 1 pki:ca/intermediate",
	"_25._tcp.mx2.partner.example TLSA 3 0 0 308201",
	"txt.example TXT \"hello world\"",
	"null.example MX 0 .",
};

static struct dnsd_record recs[MAXRECS + 64];
static uint8_t out_tcp[DNS_MSG_MAX], out_udp[DNS_MSG_MAX];

static int
name_valid(const char *s, int allow_root)
{
	size_t len = strlen(s), label = 0;

	if (allow_root && strcmp(s, ".") == 0)
		return 1;
	if (len == 0 || len > 253 || s[len - 1] == '.')
		return 0;
	for (size_t i = 0; i <= len; i++) {
		if (i == len || s[i] == '.') {
			if (label == 0)
				return 0;
			label = 0;
			continue;
		}
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_')
			return 0;
		if (++label > 63)
			return 0;
	}
	return 1;
}

/* Parse one line; 1 when it gave a record (checked). */
static int
record(struct dnsd_record *r, const char *line)
{
	char err[300];

	memset(err, 0, sizeof err);
	if (dnsd_record_parse(r, line, err, sizeof err) < 0) {
		CHECK(err[0] != '\0' && memchr(err, '\0', sizeof err));
		return 0;
	}
	CHECK(name_valid(r->name, 0) && r->ttl == 300);
	switch (r->type) {
	case DNSD_T_A:
	case DNSD_T_AAAA:
		break;
	case DNSD_T_MX:
		CHECK(name_valid(r->host, 1));
		break;
	case DNSD_T_CNAME:
		CHECK(name_valid(r->host, 0));
		break;
	case DNSD_T_TXT:
		CHECK(memchr(r->txt, '\0', sizeof r->txt));
		break;
	case DNSD_T_TLSA:
		CHECK(r->usage <= 3 && r->selector <= 1 && r->mtype <= 2);
		CHECK(memchr(r->pki_ref, '\0', sizeof r->pki_ref));
		if (r->pki_ref[0]) {
			CHECK(r->datalen == 0);
			memset(r->data, 0x5A, 32);	/* as dnsd_record_resolve would */
			r->datalen = 32;
		} else {
			CHECK(r->datalen > 0 && r->datalen <= sizeof r->data);
			CHECK(r->mtype == 0 || r->datalen == (r->mtype == 1 ? 32u : 64u));
		}
		break;
	default:
		CHECK(0);
	}
	return 1;
}

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* Skip a name of the reply m[0..len) at *off: labels inside the message,
 * pointers only backwards, at most 255 bytes uncompressed. */
static void
skip_name(const uint8_t *m, size_t len, size_t *off)
{
	size_t p = *off, end = 0, wire = 0;

	for (;;) {
		CHECK(p < len);
		if ((m[p] & 0xC0) == 0xC0) {
			size_t to;

			CHECK(p + 1 < len);
			to = (size_t)(m[p] & 0x3F) << 8 | m[p + 1];
			CHECK(to < p && to >= 12);
			if (!end)
				end = p + 2;
			p = to;
			continue;
		}
		CHECK((m[p] & 0xC0) == 0);
		wire += 1 + m[p];
		CHECK(wire <= 255);
		if (m[p] == 0)
			break;
		CHECK(p + 1 + m[p] < len);
		p += 1 + (size_t)m[p];
	}
	*off = end ? end : p + 1;
}

/* The reply is a well-formed message answering q; returns its TC bit. */
static int
check_reply(const uint8_t *q, size_t qlen, const uint8_t *m, size_t len,
	    int tcp, int ad, const struct dns_wire_info *info)
{
	unsigned flags, qd, an, ns, ar, opt = 0;
	size_t off = 12;

	CHECK(len >= 12 && qlen >= 12);
	flags = get16(m + 2);
	qd = get16(m + 4);
	an = get16(m + 6);
	ns = get16(m + 8);
	ar = get16(m + 10);
	CHECK(get16(m) == get16(q));			/* id */
	CHECK(flags & 0x8000);				/* QR */
	CHECK((flags & 0x7800) == (get16(q + 2) & 0x7800));	/* opcode */
	CHECK((flags & 0x0100) == (get16(q + 2) & 0x0100));	/* RD */
	CHECK(qd <= 1 && ar <= 1 && ns <= 1);
	if (qd) {
		skip_name(m, len, &off);
		CHECK(off + 4 <= len);
		CHECK(get16(m + off) == info->qtype);
		off += 4;
	}
	for (unsigned i = 0; i < an + ns + ar; i++) {
		unsigned type, class, rdlen;

		skip_name(m, len, &off);
		CHECK(off + 10 <= len);
		type = get16(m + off);
		class = get16(m + off + 2);
		rdlen = get16(m + off + 8);
		off += 10;
		CHECK(off + rdlen <= len);
		off += rdlen;
		if (type == DNS_T_OPT) {
			CHECK(i >= an + ns);
			opt = 1;
		} else {
			CHECK(class == 1);
			CHECK(type == DNSD_T_A || type == DNSD_T_AAAA || type == DNSD_T_MX ||
			      type == DNSD_T_CNAME || type == DNSD_T_TXT ||
			      type == DNSD_T_TLSA || type == DNS_T_NS || type == DNS_T_SOA);
		}
	}
	CHECK(off == len);
	CHECK(ar == opt && opt == (unsigned)info->edns);
	if (tcp)
		CHECK(len <= DNS_MSG_MAX);
	else
		CHECK(len <= (opt ? DNS_UDP_EDNS : DNS_UDP_PLAIN));
	if (flags & 0x0200)
		CHECK(an == 0 && ns == 0 && info->truncated);
	else
		CHECK(!info->truncated);
	CHECK(info->answers == an);
	CHECK((unsigned)(info->rcode & 0xF) == (flags & 0xF));
	/* Authoritative answers (AA, and AD with dnssec) for NOERROR and
	 * NXDOMAIN only. */
	if (info->rcode == DNS_RCODE_NOERROR || info->rcode == DNS_RCODE_NXDOMAIN)
		CHECK((flags & 0x0400) && !(flags & 0x0020) == !ad);
	else
		CHECK(!(flags & 0x0400) && !(flags & 0x0020));
	CHECK(memchr(info->qname, '\0', sizeof info->qname));
	return (flags & 0x0200) != 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nul, *q = NULL;
	struct dns_wire_info it, iu;
	size_t n = 0, tl, qlen = 0, lt, lu;
	char *text, *line, *save = NULL;
	unsigned flags;

	if (size < 1)
		return 0;
	flags = data[0];
	data++, size--;
	nul = memchr(data, '\0', size);
	tl = nul ? (size_t)(nul - data) : size;
	if (nul) {
		q = nul + 1;
		qlen = size - tl - 1;
	}
	if (!(text = malloc(tl + 1)))
		return 0;
	memcpy(text, data, tl);
	text[tl] = '\0';
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
		if (record(&recs[n], line) && n < MAXRECS)
			n++;
	free(text);
	if (flags & 2)
		for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
			CHECK(record(&recs[n++], fixed[i]));
	if (!q)
		return 0;

	lt = dns_wire_reply(recs, n, flags & 1, q, qlen, 1, out_tcp, sizeof out_tcp, &it);
	lu = dns_wire_reply(recs, n, flags & 1, q, qlen, 0, out_udp, sizeof out_udp, &iu);
	if (qlen < 12 || (q[2] & 0x80)) {
		CHECK(lt == 0 && lu == 0);
		return 0;
	}
	CHECK(lt > 0 && lu > 0);
	check_reply(q, qlen, out_tcp, lt, 1, flags & 1, &it);
	if (!check_reply(q, qlen, out_udp, lu, 0, flags & 1, &iu))
		CHECK(lu == lt && memcmp(out_udp, out_tcp, lt) == 0);
	{
		char tb[16];

		CHECK(dns_wire_type_name(it.qtype, tb, sizeof tb) != NULL);
	}
	return 0;
}
