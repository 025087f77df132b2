/*
 * dns_wire.c: decoding dnsd's queries and encoding its replies (see
 * dns_wire.h).
 *
 * Decoding never trusts a count or a length: every read goes through
 * rd_*() against the message end, names follow compression pointers only
 * to earlier offsets (and at most 64 of them), and a name may not exceed
 * 255 bytes on the wire. Encoding writes into a bounded buffer that notes
 * an overflow instead of writing past its end; owner names equal to the
 * question name are written as a pointer to it (offset 12), others in full.
 *
 * dnsd is authoritative for everything, as if it served the root zone: the
 * root always exists with a synthetic NS and SOA, and negative answers
 * (NXDOMAIN, NODATA) carry that SOA in the authority section.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns_wire.h"

#define F_QR 0x8000
#define F_AA 0x0400
#define F_TC 0x0200
#define F_RD 0x0100
#define F_RA 0x0080
#define F_AD 0x0020
#define F_CD 0x0010
#define CLASS_IN 1
#define CLASS_ANY 255
#define T_IXFR 251
#define T_AXFR 252
#define T_ANY 255
#define CNAME_HOPS 8
#define DNS_APEX_NS "dnsd.mxlab.invalid"
#define DNS_NEG_TTL 60

/* ---------------------------------------------------------------- reading */

struct rd {
	const uint8_t *m;
	size_t len, off;
};

static int
rd_16(struct rd *r, uint16_t *v)
{
	if (r->len - r->off < 2)
		return -1;
	*v = (uint16_t)(r->m[r->off] << 8 | r->m[r->off + 1]);
	r->off += 2;
	return 0;
}

static int
rd_32(struct rd *r, uint32_t *v)
{
	uint16_t hi, lo;

	if (rd_16(r, &hi) < 0 || rd_16(r, &lo) < 0)
		return -1;
	*v = (uint32_t)hi << 16 | lo;
	return 0;
}

/* A name at r->off, possibly compressed. wire (>= 255 bytes) receives it
 * uncompressed, text (>= 256) dotted ("" for the root). *odd is set when a
 * label holds a '.' or a NUL, which no table name can match. */
static int
rd_name(struct rd *r, uint8_t *wire, size_t *wlen, char *text, int *odd)
{
	size_t p = r->off, end = 0, w = 0, t = 0;
	int jumped = 0, hops = 0;

	*odd = 0;
	for (;;) {
		uint8_t c;

		if (p >= r->len)
			return -1;
		c = r->m[p];
		if ((c & 0xC0) == 0xC0) {
			size_t to;

			if (r->len - p < 2)
				return -1;
			to = (size_t)(c & 0x3F) << 8 | r->m[p + 1];
			if (!jumped)
				end = p + 2;
			jumped = 1;
			if (to >= p || ++hops > 64)	/* backwards only: no loops */
				return -1;
			p = to;
			continue;
		}
		if (c & 0xC0)			/* 0x40, 0x80: extended label types */
			return -1;
		if (c == 0)
			break;
		if (r->len - p - 1 < c || w + 1 + c + 1 > 255)
			return -1;
		wire[w++] = c;
		memcpy(wire + w, r->m + p + 1, c);
		w += c;
		if (t)
			text[t++] = '.';
		for (size_t i = 0; i < c; i++) {
			char ch = (char)r->m[p + 1 + i];

			if (ch == '.' || ch == '\0')
				*odd = 1;
			text[t++] = ch;
		}
		p += 1 + (size_t)c;
	}
	wire[w++] = 0;
	text[t] = '\0';
	*wlen = w;
	r->off = jumped ? end : p + 1;
	return 0;
}

/* Skip one resource record; report an OPT record's fields. */
static int
rd_rr(struct rd *r, uint16_t *type, uint16_t *class, uint32_t *ttl, int *root)
{
	uint8_t wire[256];
	char text[256];
	size_t wlen;
	uint16_t rdlen;
	int odd;

	if (rd_name(r, wire, &wlen, text, &odd) < 0 || rd_16(r, type) < 0 ||
	    rd_16(r, class) < 0 || rd_32(r, ttl) < 0 || rd_16(r, &rdlen) < 0 ||
	    r->len - r->off < rdlen)
		return -1;
	r->off += rdlen;
	*root = wlen == 1;
	return 0;
}

/* ---------------------------------------------------------------- writing */

struct wr {
	uint8_t *p;
	size_t len, cap;
	int full;
};

static void
wr_bytes(struct wr *w, const void *b, size_t n)
{
	if (w->full || w->cap - w->len < n) {
		w->full = 1;
		return;
	}
	memcpy(w->p + w->len, b, n);
	w->len += n;
}

static void
wr_16(struct wr *w, unsigned v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	wr_bytes(w, b, 2);
}

static void
wr_32(struct wr *w, uint32_t v)
{
	wr_16(w, v >> 16);
	wr_16(w, v & 0xFFFF);
}

/* A table name (validated by dnsd_record_parse: labels of 1-63, "" or "."
 * the root) in uncompressed wire form. */
static void
wr_name(struct wr *w, const char *name)
{
	const char *s = name;

	while (*s && strcmp(s, ".") != 0) {
		size_t l = strcspn(s, ".");
		uint8_t c = (uint8_t)(l > 63 ? 63 : l);

		wr_bytes(w, &c, 1);
		wr_bytes(w, s, c);
		s += l;
		if (*s == '.')
			s++;
	}
	wr_bytes(w, "", 1);
}

/* ---------------------------------------------------------------- lookup */

struct query {
	uint16_t id, flags, qtype, qclass;
	uint8_t qwire[256];
	size_t qwlen;
	char qname[256];
	int odd;			/* the name cannot be in the table */
	int edns, do_bit;
	uint16_t udp_size;
	uint8_t edns_version;
};

static int
name_eq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* A name exists when it owns records or is an ancestor of a name that
 * does (an empty non-terminal such as _tcp.mx.example: NODATA, not
 * NXDOMAIN, RFC 8020). */
static int
name_known(const struct dnsd_record *recs, size_t n, const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < n; i++) {
		size_t rl = strlen(recs[i].name);

		if (rl == nl ? name_eq(recs[i].name, name)
		    : rl > nl && recs[i].name[rl - nl - 1] == '.' &&
		      name_eq(recs[i].name + rl - nl, name))
			return 1;
	}
	return 0;
}

static const struct dnsd_record *
find_cname(const struct dnsd_record *recs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (recs[i].type == DNSD_T_CNAME && name_eq(recs[i].name, name))
			return &recs[i];
	return NULL;
}

/* One answer record; the owner is written as a pointer to the question
 * name when it is that name. */
static void
wr_rr(struct wr *w, const struct query *q, const struct dnsd_record *r)
{
	size_t at;

	if (name_eq(r->name, q->qname))
		wr_16(w, 0xC00C);
	else
		wr_name(w, r->name);
	wr_16(w, r->type);
	wr_16(w, CLASS_IN);
	wr_32(w, r->ttl);
	at = w->len;
	wr_16(w, 0);			/* rdlength, filled in below */
	switch (r->type) {
	case DNSD_T_A:
		wr_bytes(w, r->a, 4);
		break;
	case DNSD_T_AAAA:
		wr_bytes(w, r->a, 16);
		break;
	case DNSD_T_MX:
		wr_16(w, r->pref);
		wr_name(w, r->host);
		break;
	case DNSD_T_CNAME:
		wr_name(w, r->host);
		break;
	case DNSD_T_TXT: {
		size_t l = strlen(r->txt);
		uint8_t c = (uint8_t)(l > 255 ? 255 : l);

		wr_bytes(w, &c, 1);
		wr_bytes(w, r->txt, c);
		break;
	}
	case DNSD_T_TLSA: {
		uint8_t h[3] = { r->usage, r->selector, r->mtype };

		wr_bytes(w, h, 3);
		wr_bytes(w, r->data, r->datalen);
		break;
	}
	default:
		break;
	}
	if (!w->full) {
		size_t rdlen = w->len - at - 2;

		w->p[at] = (uint8_t)(rdlen >> 8);
		w->p[at + 1] = (uint8_t)rdlen;
	}
}

/* The root, apex of everything dnsd serves, always exists with one NS and
 * one SOA record: Postfix's DNSSEC probe (dnssec_probe = ns:.) asks for
 * the root's NS and wants a validated answer, and negative answers carry
 * the SOA in their authority section (RFC 2308). */
static void
wr_soa(struct wr *w)
{
	size_t at;

	wr_bytes(w, "", 1);
	wr_16(w, DNS_T_SOA);
	wr_16(w, CLASS_IN);
	wr_32(w, DNS_NEG_TTL);
	at = w->len;
	wr_16(w, 0);
	wr_name(w, DNS_APEX_NS);
	wr_name(w, "hostmaster.mxlab.invalid");
	wr_32(w, 1);			/* serial */
	wr_32(w, 3600);			/* refresh */
	wr_32(w, 600);			/* retry */
	wr_32(w, 86400);		/* expire */
	wr_32(w, DNS_NEG_TTL);		/* minimum: the negative TTL */
	if (!w->full) {
		w->p[at] = (uint8_t)((w->len - at - 2) >> 8);
		w->p[at + 1] = (uint8_t)(w->len - at - 2);
	}
}

static unsigned
wr_root(struct wr *w, uint16_t qtype)
{
	unsigned count = 0;

	if (qtype == DNS_T_NS || qtype == T_ANY) {
		size_t at;

		wr_16(w, 0xC00C);
		wr_16(w, DNS_T_NS);
		wr_16(w, CLASS_IN);
		wr_32(w, 86400);
		at = w->len;
		wr_16(w, 0);
		wr_name(w, DNS_APEX_NS);
		if (!w->full) {
			w->p[at] = (uint8_t)((w->len - at - 2) >> 8);
			w->p[at + 1] = (uint8_t)(w->len - at - 2);
		}
		count++;
	}
	if (qtype == DNS_T_SOA || qtype == T_ANY) {
		wr_soa(w);
		count++;
	}
	return count;
}

/* Does a record answer qtype? An unresolved TLSA (no data) never does. */
static int
rr_matches(const struct dnsd_record *r, uint16_t qtype)
{
	if (r->type == DNSD_T_TLSA && r->datalen == 0)
		return 0;
	return qtype == T_ANY || r->type == qtype;
}

/* The answer section: CNAMEs chased, then the records of the final name.
 * Returns the count and sets *rcode (NXDOMAIN for a name, or a CNAME
 * target, that is not in the table). */
static unsigned
wr_answers(struct wr *w, const struct dnsd_record *recs, size_t n,
	   const struct query *q, int *rcode)
{
	const char *name = q->qname;
	unsigned count = 0;

	*rcode = DNS_RCODE_NOERROR;
	if (!q->odd && name[0] == '\0')
		return wr_root(w, q->qtype);
	if (q->odd || !name_known(recs, n, name)) {
		*rcode = DNS_RCODE_NXDOMAIN;
		return 0;
	}
	for (int hop = 0; q->qtype != DNSD_T_CNAME && q->qtype != T_ANY; hop++) {
		const struct dnsd_record *c = find_cname(recs, n, name);

		if (!c || hop == CNAME_HOPS)
			break;
		wr_rr(w, q, c);
		count++;
		name = c->host;
		if (!name_known(recs, n, name)) {
			*rcode = DNS_RCODE_NXDOMAIN;
			return count;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (name_eq(recs[i].name, name) && rr_matches(&recs[i], q->qtype)) {
			wr_rr(w, q, &recs[i]);
			count++;
		}
	return count;
}

/* ---------------------------------------------------------------- decoding */

/* The question and the OPT record; returns an rcode (FORMERR when the
 * message cannot be decoded, BADVERS for EDNS versions other than 0). */
static int
parse_query(struct query *q, const uint8_t *m, size_t len, int *have_question)
{
	struct rd r = { m, len, 12 };
	uint16_t qd = (uint16_t)(m[4] << 8 | m[5]);
	uint16_t an = (uint16_t)(m[6] << 8 | m[7]);
	uint16_t ns = (uint16_t)(m[8] << 8 | m[9]);
	uint16_t ar = (uint16_t)(m[10] << 8 | m[11]);

	*have_question = 0;
	if ((q->flags >> 11 & 0xF) != 0)
		return DNS_RCODE_NOTIMP;
	if (qd != 1)
		return DNS_RCODE_FORMERR;
	if (rd_name(&r, q->qwire, &q->qwlen, q->qname, &q->odd) < 0 ||
	    rd_16(&r, &q->qtype) < 0 || rd_16(&r, &q->qclass) < 0)
		return DNS_RCODE_FORMERR;
	*have_question = 1;
	/* Records in the answer and authority sections are skipped; each
	 * takes at least 11 bytes, so the counts cannot make this loop long. */
	for (unsigned i = 0; i < (unsigned)an + ns + ar; i++) {
		uint16_t type, class;
		uint32_t ttl;
		int root;

		if (rd_rr(&r, &type, &class, &ttl, &root) < 0)
			return DNS_RCODE_FORMERR;
		if (i < (unsigned)an + ns || type != DNS_T_OPT)
			continue;
		if (q->edns || !root)
			return DNS_RCODE_FORMERR;	/* RFC 6891 6.1.1 */
		q->edns = 1;
		q->udp_size = class;
		q->edns_version = (uint8_t)(ttl >> 16);
		q->do_bit = (ttl & 0x8000) != 0;
	}
	if (q->edns && q->edns_version != 0)
		return DNS_RCODE_BADVERS;
	if (q->qclass != CLASS_IN && q->qclass != CLASS_ANY)
		return DNS_RCODE_REFUSED;
	if (q->qtype == T_AXFR || q->qtype == T_IXFR || q->qtype == DNS_T_OPT)
		return DNS_RCODE_NOTIMP;
	return DNS_RCODE_NOERROR;
}

/* ---------------------------------------------------------------- encoding */

static size_t
build(struct wr *w, const struct query *q, int have_question, int rcode,
      int ad, int with_answers, const struct dnsd_record *recs, size_t n,
      unsigned *answers, int *final_rcode)
{
	unsigned an = 0, ns = 0;
	uint16_t flags;
	size_t flags_at;

	w->len = 0;
	w->full = 0;
	wr_16(w, q->id);
	flags_at = w->len;
	wr_16(w, 0);
	wr_16(w, have_question);
	wr_16(w, 0);			/* ancount and nscount, filled in below */
	wr_16(w, 0);
	wr_16(w, q->edns ? 1 : 0);
	if (have_question) {
		wr_bytes(w, q->qwire, q->qwlen);
		wr_16(w, q->qtype);
		wr_16(w, q->qclass);
	}
	if (rcode == DNS_RCODE_NOERROR && with_answers) {
		an = wr_answers(w, recs, n, q, &rcode);
		if (rcode == DNS_RCODE_NXDOMAIN || an == 0) {
			wr_soa(w);	/* negative answer: the apex SOA */
			ns = 1;
		}
	}
	if (q->edns) {
		wr_bytes(w, "", 1);
		wr_16(w, DNS_T_OPT);
		wr_16(w, DNS_UDP_EDNS);
		wr_32(w, (uint32_t)(rcode >> 4) << 24 | (q->do_bit ? 0x8000u : 0));
		wr_16(w, 0);
	}
	if (w->full)
		return 0;
	flags = F_QR | (q->flags & (0x7800 | F_RD | F_CD)) | F_RA | (rcode & 0xF);
	if (rcode == DNS_RCODE_NOERROR || rcode == DNS_RCODE_NXDOMAIN)
		flags |= F_AA | (ad ? F_AD : 0);
	if (!with_answers)
		flags |= F_TC;
	w->p[flags_at] = (uint8_t)(flags >> 8);
	w->p[flags_at + 1] = (uint8_t)flags;
	w->p[6] = (uint8_t)(an >> 8);
	w->p[7] = (uint8_t)an;
	w->p[9] = (uint8_t)ns;
	*answers = an;
	*final_rcode = rcode;
	return w->len;
}

size_t
dns_wire_reply(const struct dnsd_record *recs, size_t n, int ad,
	       const uint8_t *m, size_t len, int tcp,
	       uint8_t *out, size_t cap, struct dns_wire_info *info)
{
	struct query q;
	struct wr w = { out, 0, cap, 0 };
	size_t limit, rlen;
	unsigned answers = 0;
	int rcode, have_question, final = 0;

	if (info)
		memset(info, 0, sizeof *info);
	if (len < 12 || (m[2] & 0x80))	/* no header, or a response */
		return 0;
	memset(&q, 0, sizeof q);
	q.id = (uint16_t)(m[0] << 8 | m[1]);
	q.flags = (uint16_t)(m[2] << 8 | m[3]);
	rcode = parse_query(&q, m, len, &have_question);
	if (rcode == DNS_RCODE_FORMERR)
		q.edns = 0;		/* the OPT may be what is broken */
	limit = tcp ? DNS_MSG_MAX : DNS_UDP_PLAIN;
	if (!tcp && q.edns && q.udp_size > DNS_UDP_PLAIN)
		limit = q.udp_size < DNS_UDP_EDNS ? q.udp_size : DNS_UDP_EDNS;
	if (limit > cap)
		limit = cap;
	w.cap = limit;
	rlen = build(&w, &q, have_question, rcode, ad, 1, recs, n, &answers, &final);
	if (rlen == 0) {		/* too big for the transport: TC */
		rlen = build(&w, &q, have_question, rcode, ad, 0, recs, n,
			     &answers, &final);
		if (info)
			info->truncated = 1;
	}
	if (info) {
		if (have_question)
			memcpy(info->qname, q.qname, sizeof info->qname);
		info->qtype = q.qtype;
		info->edns = q.edns;
		info->do_bit = q.do_bit;
		info->ad_bit = (q.flags & F_AD) != 0;
		info->cd_bit = (q.flags & F_CD) != 0;
		info->rcode = final;
		info->answers = answers;
	}
	return rlen;
}

/* ---------------------------------------------------------------- names */

static const struct {
	uint16_t type;
	const char *name;
} types[] = {
	{ DNSD_T_A, "A" }, { DNSD_T_AAAA, "AAAA" }, { DNSD_T_MX, "MX" },
	{ DNSD_T_CNAME, "CNAME" }, { DNSD_T_TXT, "TXT" }, { DNSD_T_TLSA, "TLSA" },
};

uint16_t
dns_wire_type_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (strcasecmp(types[i].name, name) == 0)
			return types[i].type;
	return 0;
}

const char *
dns_wire_type_name(uint16_t type, char *buf, size_t len)
{
	for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
		if (types[i].type == type)
			return types[i].name;
	switch (type) {
	case DNS_T_NS: return "NS";
	case DNS_T_SOA: return "SOA";
	case 12: return "PTR";
	case DNS_T_OPT: return "OPT";
	case T_ANY: return "ANY";
	default: break;
	}
	snprintf(buf, len, "TYPE%u", (unsigned)type);
	return buf;
}
