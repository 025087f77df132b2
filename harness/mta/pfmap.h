/*
 * pfmap.h: Postfix lookup tables as `mxlab init` reads them: the map specs
 * a parameter names, the source text of a map (what postmap reads), TLS
 * policy entries and protocol lists.
 *
 * - pfm_specs: "hash:/etc/postfix/sni, inline:{a=b}" -> its specs, split
 *   the way Postfix splits a map list (commas and white space outside {}).
 * - pfm_source: where the source of a file-based map is, relative to the
 *   configuration directory (hash:/etc/postfix/x -> "x"), for the indexed
 *   types and texthash (a proxy: prefix is dropped).
 * - pfm_parse: the entries of a map source file: "key value" logical
 *   lines (a line starting with white space continues the one before,
 *   comments and blank lines are skipped), each with its line; or of an
 *   inline:{...} spec ({key=value, {key = value with, commas}}).
 * - pfm_policy_parse: an smtp_tls_policy_maps value: the level and the
 *   attributes init cares about (match=, protocols=).
 * - pfm_proto_refused: whether a protocol list (smtpd_tls_protocols
 *   syntax: ">=TLSv1.2", "!SSLv3, !TLSv1", "TLSv1.2 TLSv1.3") refuses
 *   TLSv1.MINOR.
 * Errors: -1 with errno ENOMEM, or (parse) a message in err.
 */
#ifndef MX_PFMAP_H
#define MX_PFMAP_H

#include <stddef.h>

struct pfm_entry {
	char *key;
	char *value;
	int line;		/* of the source file; 0 for inline maps */
};

int pfm_specs(const char *value, char ***specs, size_t *n);
void pfm_strv_free(char **v, size_t n);

/* The map's type ("hash"), with any proxy: prefix dropped, into type; the
 * path relative to one of dirs (NULL-terminated, each without a trailing
 * '/') into rel. Returns 0, 1 when the map is file-based but outside every
 * dir (rel holds the absolute path), 2 when it is not a file-based map
 * (inline:, static:, regexp:, mysql:...), -1 when a buffer is too small. */
int pfm_source(const char *spec, const char *const *dirs, char *type, size_t tlen,
	       char *rel, size_t rlen);

int pfm_parse(const char *text, struct pfm_entry **out, size_t *n);
int pfm_parse_inline(const char *spec, struct pfm_entry **out, size_t *n);
void pfm_entries_free(struct pfm_entry *v, size_t n);

struct pfm_policy {
	char level[16];		/* none may encrypt dane dane-only fingerprint
				   verify secure */
	char match[512];	/* match= as written ("a:b"), or "" */
	char protocols[256];	/* protocols= as written, or "" */
};

int pfm_policy_parse(const char *value, struct pfm_policy *p, char *err, size_t errlen);

/* 1 when the list refuses TLSv1.minor (0..3), 0 when it allows it. */
int pfm_proto_refused(const char *list, int minor);

#endif
