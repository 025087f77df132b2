/*
 * dns_wire.h: DNS messages for dnsd (private to the library).
 *
 * dns_wire_reply() turns one query message into dnsd's reply from a record
 * table: it decodes the header, the single question (compression pointers
 * followed only backwards, so a loop cannot hang it) and any EDNS0 OPT
 * record, looks the name up (chasing CNAMEs) and encodes the answer. Every
 * read is bounds-checked; input it cannot make sense of gets FORMERR, input
 * that does not even carry a header (or is itself a response) is dropped.
 */
#ifndef MX_DNS_WIRE_H
#define MX_DNS_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "dnsd.h"

#define DNS_T_OPT 41
#define DNS_T_NS 2
#define DNS_T_SOA 6
#define DNS_UDP_PLAIN 512	/* reply limit without EDNS0 */
#define DNS_UDP_EDNS 1232	/* the size we advertise and honour at most */
#define DNS_MSG_MAX 65535	/* a TCP message */

#define DNS_RCODE_NOERROR 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5
#define DNS_RCODE_BADVERS 16	/* extended, in the OPT record */

/* What dns_wire_reply saw and did, for dnsd's log. */
struct dns_wire_info {
	char qname[256];	/* "" when no question was decoded */
	uint16_t qtype;
	int edns, do_bit, ad_bit, cd_bit;
	int rcode;		/* of the reply (extended value) */
	unsigned answers;	/* records in the answer section */
	int truncated;		/* TC set: the answer did not fit */
};

/* Build the reply to the query q[0..qlen) into out (cap >= DNS_MSG_MAX is
 * always enough). tcp: replies may use up to 65535 bytes; otherwise the UDP
 * limit applies (512, or the client's EDNS0 size capped at 1232) and a
 * reply that does not fit is sent with TC and no records. ad: set the AD
 * bit in every reply. Returns the reply length, or 0 when the query is to be
 * dropped (shorter than a header, or a response). info may be NULL. */
size_t dns_wire_reply(const struct dnsd_record *recs, size_t n, int ad,
		      const uint8_t *q, size_t qlen, int tcp,
		      uint8_t *out, size_t cap, struct dns_wire_info *info);

/* The mnemonic of a type ("TLSA", "TYPE99" in buf otherwise). */
const char *dns_wire_type_name(uint16_t type, char *buf, size_t len);
/* The mnemonic of a record type dnsd serves, 0 if unknown. */
uint16_t dns_wire_type_lookup(const char *name);

#endif
