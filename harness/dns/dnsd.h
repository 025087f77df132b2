/*
 * dnsd.h: the fake DNS responder of a scenario's sandbox.
 *
 * Serves a fixed table of records (A, AAAA, MX, TLSA, CNAME, TXT) over UDP
 * and TCP on one address (127.0.0.1:53 in the sandbox), authoritatively:
 * a name not in the table is NXDOMAIN, a known name without the asked type
 * is NOERROR with no answer (NODATA). When `ad` is set every answer carries
 * the AD bit, as a validating resolver would for a DNSSEC-signed zone.
 *
 * Record lines are the [dns] lines of a scenario file:
 *   NAME A 127.0.0.10
 *   NAME AAAA ::1
 *   NAME MX 10 mx.partner.example
 *   NAME CNAME other.name
 *   NAME TXT some text
 *   NAME TLSA 3 1 1 HEX
 *   NAME TLSA 3 1 1 pki:HOST[/PROFILE]      hash of that PKI leaf
 *   NAME TLSA 2 1 1 pki:ca/intermediate     hash of a PKI CA
 *   NAME TLSA 2 0 1 pki:ca/root
 * Selector 0 = the whole certificate, 1 = its SubjectPublicKeyInfo;
 * matching type 0 = exact, 1 = SHA-256, 2 = SHA-512. A pki: reference is
 * resolved by dnsd_record_resolve() once the PKI exists.
 * Names are compared case-insensitively, without a trailing dot.
 */
#ifndef MX_DNSD_H
#define MX_DNSD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "mxlab/error.h"

#define DNSD_T_A 1
#define DNSD_T_CNAME 5
#define DNSD_T_MX 15
#define DNSD_T_TXT 16
#define DNSD_T_AAAA 28
#define DNSD_T_TLSA 52
#define DNSD_LINE_MAX 8192		/* characters in a record line */

struct dnsd_record {
	char name[256];
	uint16_t type;
	uint32_t ttl;			/* 300 */
	uint8_t a[16];			/* A (4 bytes), AAAA (16) */
	uint16_t pref;			/* MX */
	char host[256];			/* MX exchange, CNAME target */
	char txt[256];			/* TXT */
	uint8_t usage, selector, mtype;	/* TLSA */
	uint8_t data[2048];		/* TLSA association data (2048: room for a
					   whole certificate, 2 0 0 / 3 0 0) */
	size_t datalen;
	char pki_ref[300];		/* TLSA "HOST/PROFILE" or "ca/NAME", "" if hex */
};

/* Parse one [dns] line. Syntax only: pki references are kept, not read.
 * Returns 0, or -1 with err set ("TLSA: usage must be 0-3", ...). */
int dnsd_record_parse(struct dnsd_record *r, const char *line, char *err, size_t errlen);

/* Fill a TLSA record's data from its pki reference, reading the PKI
 * written by certs-gen in pki_dir. No-op for other records. 0 or -1. */
int dnsd_record_resolve(struct dnsd_record *r, const char *pki_dir, char *err, size_t errlen);

struct dnsd;

/* Bind UDP and TCP on addr ("127.0.0.1:53", port 0 allowed) and serve on a
 * thread. The records are copied. */
mxlab_err dnsd_start(const char *addr, const struct dnsd_record *recs, size_t n,
		     int ad, struct dnsd **out, char *err, size_t errlen);
/* The port bound (useful with port 0). */
int dnsd_port(const struct dnsd *d);
/* Queries answered so far: every reply, errors included, counted just
 * before it is sent (a client that has its reply sees it counted). */
unsigned long dnsd_queries(struct dnsd *d);
/* Log one line per reply to fp (NULL: stop logging), e.g.
 * "dnsd: udp mx.partner.example MX edns do ad -> NOERROR, 1 answer". */
void dnsd_set_log(struct dnsd *d, FILE *fp);
void dnsd_stop(struct dnsd *d);		/* stops and frees; NULL ok */

#endif
