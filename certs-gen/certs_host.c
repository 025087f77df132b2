/*
 * certs_host.c: host specs and the names in them.
 *
 * A host spec is a comma-separated list of names; the first one names the
 * host (its directory and its leaf's CN). A name is an IPv4 or IPv6
 * literal (by inet_pton; it becomes an iPAddress SAN of 4 or 16 bytes) or
 * a DNS name: at most 253 characters, labels of 1 to 63 characters from
 * [A-Za-z0-9-], separated by single dots, optionally led by "*." (a
 * wildcard). Errors (MXLAB_ERR_USAGE) read
 * "host spec 'a b': invalid name 'a b'".
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "certs_int.h"

static int
dns_char(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '-';
}

/* A DNS name (optionally "*."-led); NULL if fine, else a reason. */
static const char *
dns_check(const char *s, size_t len)
{
	size_t label = 0;

	if (len >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		len -= 2;
		if (len == 0)
			return "invalid name";
	}
	for (size_t i = 0; i < len; i++) {
		if (s[i] == '.') {
			if (label == 0)
				return "empty label in name";
			label = 0;
		} else if (dns_char((unsigned char)s[i])) {
			if (++label > 63)
				return "label longer than 63 characters in name";
		} else {
			return "invalid name";
		}
	}
	if (label == 0)
		return "empty label in name";
	return NULL;
}

const char *
certs_name_parse(const char *s, size_t len, struct certs_name *out)
{
	char tmp[CERTS_NAME_MAX + 1];
	const char *why;

	memset(out, 0, sizeof *out);
	if (len == 0)
		return "empty name";
	if (len > CERTS_NAME_MAX)
		return "name longer than 253 characters";
	memcpy(tmp, s, len);
	tmp[len] = '\0';
	if (memchr(s, '\0', len))
		return "invalid name";
	if (inet_pton(AF_INET, tmp, out->ip) == 1) {
		out->type = CERTS_IP4;
		out->iplen = 4;
		inet_ntop(AF_INET, out->ip, out->text, sizeof out->text);
		return NULL;
	}
	if (strchr(tmp, ':')) {
		if (inet_pton(AF_INET6, tmp, out->ip) != 1)
			return "invalid IPv6 address";
		out->type = CERTS_IP6;
		out->iplen = 16;
		inet_ntop(AF_INET6, out->ip, out->text, sizeof out->text);
		return NULL;
	}
	if ((why = dns_check(tmp, len)) != NULL)
		return why;
	out->type = CERTS_DNS;
	memcpy(out->text, tmp, len + 1);
	return NULL;
}

void
certs_host_dirname(const char *name, char *buf, size_t buflen)
{
	size_t i;

	if (buflen == 0)
		return;
	for (i = 0; name[i] && i + 1 < buflen; i++)
		buf[i] = name[i] == '*' ? '_' : name[i];
	buf[i] = '\0';
}

void
certs_name_format(const struct certs_name *n, char *buf, size_t buflen)
{
	snprintf(buf, buflen, "%s:%s", n->type == CERTS_DNS ? "DNS" : "IP",
		 n->text);
}

/* Long specs and names are cut to 60 characters in messages. */
#define CUT(s, n) (int)((n) > 60 ? 60 : (n)), (s), ((n) > 60 ? "..." : "")

mxlab_err
certs_host_parse(const char *spec, struct certs_host *h,
		 char *err, size_t errlen)
{
	const char *p, *end, *why;
	size_t len, slen;

	memset(h, 0, sizeof *h);
	h->spec = spec;
	if (spec == NULL || *spec == '\0') {
		snprintf(err, errlen, "host spec '': empty");
		return MXLAB_ERR_USAGE;
	}
	slen = strlen(spec);
	if (slen > CERTS_SPEC_MAX) {
		snprintf(err, errlen, "host spec '%.*s%s': longer than %d "
			 "characters", CUT(spec, slen), CERTS_SPEC_MAX);
		return MXLAB_ERR_USAGE;
	}
	for (p = spec;; p = end + 1) {
		end = strchr(p, ',');
		len = end ? (size_t)(end - p) : strlen(p);
		if (h->nnames == CERTS_NAMES_MAX) {
			snprintf(err, errlen, "host spec '%.*s%s': more than "
				 "%d names", CUT(spec, slen), CERTS_NAMES_MAX);
			return MXLAB_ERR_USAGE;
		}
		why = certs_name_parse(p, len, &h->names[h->nnames]);
		if (why) {
			snprintf(err, errlen, "host spec '%.*s%s': %s '%.*s%s'",
				 CUT(spec, slen), why, CUT(p, len));
			return MXLAB_ERR_USAGE;
		}
		for (size_t i = 0; i < h->nnames; i++) {
			if (strcasecmp(h->names[i].text,
				       h->names[h->nnames].text) == 0) {
				snprintf(err, errlen, "host spec '%.*s%s': "
					 "duplicate name '%s'", CUT(spec, slen),
					 h->names[i].text);
				return MXLAB_ERR_USAGE;
			}
		}
		h->nnames++;
		if (end == NULL)
			break;
	}
	certs_host_dirname(h->names[0].text, h->dirname, sizeof h->dirname);
	return MXLAB_OK;
}

mxlab_err
mxlab_pki_host_check(const char *spec, char *err, size_t errlen)
{
	struct certs_host *h = malloc(sizeof *h);
	mxlab_err rc;

	if (!h) {
		snprintf(err, errlen, "out of memory");
		return MXLAB_ERR_NOMEM;
	}
	rc = certs_host_parse(spec, h, err, errlen);
	free(h);
	return rc;
}
