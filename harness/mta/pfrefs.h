/*
 * pfrefs.h: the files a Postfix configuration refers to.
 *
 * cf_refs_find() reads the parameters in force (cf_main, every layer
 * applied) and the master.cf services' "-o" overrides, and lists every
 * file they name, each with the parameter and the file:line that says it:
 *   CERT, KEY      *_tls_cert_file, *_tls_dcert_file, *_tls_eccert_file and
 *                  their *_key_file counterparts
 *   CHAIN          each file of *_tls_chain_files (keys and certificates)
 *   CA             *_tls_CAfile
 *   MAP            the source of an indexed map (hash:, btree:, lmdb:, cdb:,
 *                  dbm:, sdbm:), which must be built (alias: the
 *                  alias_database's, built with postalias; sni: a
 *                  tls_server_sni_maps one, built with postmap -F)
 *   FILE           every other file: the tables of pcre:, regexp:, cidr:,
 *                  texthash: (and the client configuration files of
 *                  mysql:, pgsql:, ldap:, sqlite:, memcache:), the
 *                  "/file/name" entries of lists (myorigin, mydestination,
 *                  relay_domains, mynetworks, ...), and the other *_file
 *                  parameters
 * Values are expanded ($name through the definitions, then the defaults);
 * a value that cannot be (an unknown name, ${name?...}) is skipped. Caches
 * Postfix makes itself (*_cache_database, address_verify_map, ...) are not
 * references. proxy: is looked through.
 *
 * cf_refs_sni() reads the source text of a tls_server_sni_maps table: each
 * "NAME file..." entry (its files may go on over continuation lines, as
 * postmap reads them) gives CHAIN references that serve NAME.
 */
#ifndef MX_PFREFS_H
#define MX_PFREFS_H

#include <stddef.h>

#include "pfconf.h"

enum cf_ref_kind { CF_REF_CERT, CF_REF_KEY, CF_REF_CHAIN, CF_REF_CA, CF_REF_MAP, CF_REF_FILE };

struct cf_ref {
	enum cf_ref_kind kind;
	char *path;		/* absolute */
	char *what;		/* "smtpd_tls_cert_file", "submission inet -o smtpd_tls_CAfile" */
	char *maptype;		/* MAP: "hash", ...; else NULL */
	int alias;		/* MAP built with postalias */
	int sni;		/* MAP built with postmap -F */
	char *name;		/* from cf_refs_sni: the name the file serves; else NULL */
	int nfiles;		/* CHAIN: files in the same list (1: key and chain in one) */
	int index;		/* CHAIN: position in that list, from 0 */
	const char *origin;	/* file for messages (not owned) */
	int line;
};

struct cf_refs {
	struct cf_ref *r;
	size_t n;
};

/* defaults: NULL-terminated name, value pairs for $name expansion
 * (config_directory and the like). 0, or -1 when out of memory. */
int cf_refs_find(struct cf_refs *out, const struct cf_main *m, const struct cf_master *ms,
		 const char *const *defaults);
int cf_refs_sni(struct cf_refs *out, const char *text, const char *origin,
		const char *map_what);
void cf_refs_free(struct cf_refs *refs);

/* A certbot path ".../live/NAME/{cert,chain,fullchain,privkey}.pem": NAME
 * into name and the file's base ("fullchain") into base; 1, or 0 when the
 * path is not one. */
int cf_certbot_path(const char *path, char *name, size_t namelen, char *base, size_t baselen);

#endif
