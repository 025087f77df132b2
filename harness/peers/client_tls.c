/*
 * client_tls.c: the TLS side of the fake client.
 *
 * - One mx_tls_client (trust anchors, versions, suites) per run; authmode
 *   OPTIONAL, so the handshake completes and the verdict is ours to make.
 * - The verify callback copies the presented chain as DER when it sees the
 *   leaf (depth 0, whose ->next list is what the server sent), so the chain
 *   is reported even when the handshake fails afterwards.
 * - The verdict: mbedTLS's flags from the handshake, or from
 *   mbedtls_x509_crt_verify over the copied chain when the handshake
 *   failed; the name is checked again when it is not the SNI that was sent
 *   (no SNI, another verify-name, an IP literal: mbedTLS 2.28 does not match
 *   IP SANs, so they are compared here). With verify-name none no name is
 *   checked: the name bit of mbedTLS's check of the SNI is dropped too, so
 *   name-mismatch is never reported without a name to match.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <mbedtls/oid.h>

#include "client_int.h"

static void
drop_der(struct mx_client_tls *t)
{
	for (int i = 0; i < t->nder; i++)
		free(t->der[i]);
	t->nder = 0;
}

static void
drop_prev(struct mx_client_tls *t)
{
	for (int i = 0; i < t->nprev; i++)
		free(t->prev_der[i]);
	t->nprev = 0;
}

/* der <-> prev_der */
static void
swap_der(struct mx_client_tls *t)
{
	for (int i = 0; i < MXLAB_CLIENT_MAX_CHAIN; i++) {
		unsigned char *d = t->der[i];
		size_t n = t->der_len[i];

		t->der[i] = t->prev_der[i];
		t->der_len[i] = t->prev_len[i];
		t->prev_der[i] = d;
		t->prev_len[i] = n;
	}
	int n = t->nder;

	t->nder = t->nprev;
	t->nprev = n;
}

static int
vrfy_cb(void *arg, mbedtls_x509_crt *crt, int depth, uint32_t *flags)
{
	struct mx_client_tls *t = arg;

	t->cb_calls++;
	t->cb_flags |= *flags;
	if (depth != 0)
		return 0;
	drop_der(t);
	for (const mbedtls_x509_crt *p = crt; p && p->raw.len && t->nder < MXLAB_CLIENT_MAX_CHAIN;
	     p = p->next) {
		size_t n = p->raw.len > MX_CLIENT_DER_MAX ? 0 : p->raw.len;
		unsigned char *d = n ? malloc(n) : NULL;

		if (!d)
			break;
		memcpy(d, p->raw.p, n);
		t->der[t->nder] = d;
		t->der_len[t->nder++] = n;
	}
	return 0;
}

mxlab_err
mx_client_tls_init(struct mx_client_tls *t, const struct mxlab_client_config *c,
		   char *err, size_t errlen)
{
	char ca[PATH_MAX + 16];
	mxlab_err e;

	memset(t, 0, sizeof *t);
	mbedtls_ssl_session_init(&t->saved);
	if (c->pki[0])
		snprintf(ca, sizeof ca, "%s/ca/root.crt", c->pki);
	else
		snprintf(ca, sizeof ca, "%s", c->ca_file);
	e = mx_tls_client_setup(&t->cli, ca, c->ca_dir, &c->versions, c->ciphers,
				vrfy_cb, t, err, errlen);
	t->ready = 1;
	return e;
}

void
mx_client_tls_free(struct mx_client_tls *t)
{
	if (!t->ready)
		return;
	drop_der(t);
	drop_prev(t);
	mbedtls_ssl_session_free(&t->saved);
	mx_tls_client_free(&t->cli);
	t->ready = 0;
}

static void
fmt_time(char *buf, size_t len, const mbedtls_x509_time *tm)
{
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm->year, tm->mon,
		 tm->day, tm->hour, tm->min, tm->sec);
}

static void
append(char *buf, size_t cap, const char *s)
{
	size_t n = strlen(buf);

	if (n + 1 < cap)
		snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", s);
}

/* "DNS:a.example, IP:127.0.0.1" from the SAN list (2.28 keeps the raw
 * GeneralName of every entry, tagged). */
static void
fmt_names(char *buf, size_t cap, const mbedtls_x509_crt *crt)
{
	buf[0] = '\0';
	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; s && s->buf.p; s = s->next) {
		int type = s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK;
		char item[300], ip[64];

		if (type == 2)		/* dNSName */
			snprintf(item, sizeof item, "DNS:%.*s", (int)s->buf.len, s->buf.p);
		else if (type == 7 && (s->buf.len == 4 || s->buf.len == 16) &&
			 inet_ntop(s->buf.len == 4 ? AF_INET : AF_INET6, s->buf.p, ip, sizeof ip))
			snprintf(item, sizeof item, "IP:%s", ip);
		else
			continue;
		append(buf, cap, item);
	}
}

/* Does an IP SAN of crt equal the literal name? */
static int
ip_san_match(const mbedtls_x509_crt *crt, const char *name)
{
	unsigned char a[16];
	size_t n = inet_pton(AF_INET, name, a) == 1 ? 4 :
		   inet_pton(AF_INET6, name, a) == 1 ? 16 : 0;

	for (const mbedtls_x509_sequence *s = &crt->subject_alt_names; n && s && s->buf.p; s = s->next)
		if ((s->buf.tag & MBEDTLS_ASN1_TAG_VALUE_MASK) == 7 && s->buf.len == n &&
		    memcmp(s->buf.p, a, n) == 0)
			return 1;
	return 0;
}

/* MBEDTLS_X509_BADCERT_CN_MISMATCH when name does not match the leaf. */
static uint32_t
name_check(struct mx_client_tls *t, mbedtls_x509_crt *leaf, const char *name)
{
	mbedtls_x509_crt one;
	uint32_t f = 0;

	if (mx_client_is_ip(name))
		return ip_san_match(leaf, name) ? 0 : MBEDTLS_X509_BADCERT_CN_MISMATCH;
	/* Verify the leaf alone: only the name bit is taken. */
	one = *leaf;
	one.next = NULL;
	(void)mbedtls_x509_crt_verify(&one, &t->cli.ca, NULL, name, &f, NULL, NULL);
	return f & MBEDTLS_X509_BADCERT_CN_MISMATCH;
}

static void
fill_chain(struct mxlab_client_result *res, const mbedtls_x509_crt *chain)
{
	res->nchain = 0;
	for (const mbedtls_x509_crt *p = chain; p && p->raw.len &&
	     res->nchain < MXLAB_CLIENT_MAX_CHAIN; p = p->next) {
		struct mxlab_client_cert *c = &res->chain[res->nchain++];

		if (mbedtls_x509_dn_gets(c->subject, sizeof c->subject, &p->subject) < 0)
			c->subject[0] = '\0';
		if (mbedtls_x509_dn_gets(c->issuer, sizeof c->issuer, &p->issuer) < 0)
			c->issuer[0] = '\0';
		fmt_time(c->not_before, sizeof c->not_before, &p->valid_from);
		fmt_time(c->not_after, sizeof c->not_after, &p->valid_to);
		fmt_names(c->names, sizeof c->names, p);
		c->ca = mx_tls_crt_is_ca(p);
	}
}

/* mbedTLS flags to MXLAB_VR_* bits. */
static unsigned
reasons_of(uint32_t f, const mbedtls_x509_crt *chain, int nchain)
{
	unsigned r = 0;
	const uint32_t known = MBEDTLS_X509_BADCERT_NOT_TRUSTED | MBEDTLS_X509_BADCERT_EXPIRED |
		MBEDTLS_X509_BADCERT_FUTURE | MBEDTLS_X509_BADCERT_CN_MISMATCH |
		MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
		MBEDTLS_X509_BADCERT_NS_CERT_TYPE | MBEDTLS_X509_BADCERT_MISSING;

	if (f & MBEDTLS_X509_BADCERT_NOT_TRUSTED) {
		if (nchain == 1 && chain->issuer_raw.len == chain->subject_raw.len &&
		    memcmp(chain->issuer_raw.p, chain->subject_raw.p, chain->issuer_raw.len) == 0)
			r |= MXLAB_VR_SELF_SIGNED;
		else
			r |= MXLAB_VR_UNTRUSTED;
	}
	if (f & MBEDTLS_X509_BADCERT_EXPIRED)
		r |= MXLAB_VR_EXPIRED;
	if (f & MBEDTLS_X509_BADCERT_FUTURE)
		r |= MXLAB_VR_NOT_YET_VALID;
	if (f & MBEDTLS_X509_BADCERT_CN_MISMATCH)
		r |= MXLAB_VR_NAME_MISMATCH;
	if (f & (MBEDTLS_X509_BADCERT_KEY_USAGE | MBEDTLS_X509_BADCERT_EXT_KEY_USAGE |
		 MBEDTLS_X509_BADCERT_NS_CERT_TYPE))
		r |= MXLAB_VR_BAD_USAGE;
	if (f & MBEDTLS_X509_BADCERT_MISSING)
		r |= MXLAB_VR_NO_CHAIN;
	if (f & ~known)
		r |= MXLAB_VR_OTHER;
	return r;
}

static void
verdict(struct mx_client_tls *t, const struct mxlab_client_config *c,
	struct mxlab_client_result *res, int handshake_ok, const char *sni)
{
	const char *name = mx_client_verify_name(c);
	mbedtls_x509_crt chain;
	uint32_t f;

	snprintf(res->verify_name, sizeof res->verify_name, "%s", name ? name : "");
	mbedtls_x509_crt_init(&chain);
	for (int i = 0; i < t->nder; i++)
		if (mbedtls_x509_crt_parse_der(&chain, t->der[i], t->der_len[i]) != 0)
			break;
	fill_chain(res, &chain);
	if (res->nchain == 0) {
		res->verified = 0;
		res->verify_reasons = MXLAB_VR_NO_CHAIN;
		goto text;
	}
	if (handshake_ok)
		f = t->cb_flags;	/* mbedTLS's verify result */
	else {			/* the handshake failed after the chain came */
		f = 0;
		(void)mbedtls_x509_crt_verify(&chain, &t->cli.ca, NULL, NULL, &f, NULL, NULL);
		if (mbedtls_x509_crt_check_extended_key_usage(&chain, MBEDTLS_OID_SERVER_AUTH,
				MBEDTLS_OID_SIZE(MBEDTLS_OID_SERVER_AUTH)) != 0)
			f |= MBEDTLS_X509_BADCERT_EXT_KEY_USAGE;
	}
	/* The handshake checked the SNI name (if any); check ours, if any. */
	if (!name || !handshake_ok || !sni || strcasecmp(sni, name) != 0) {
		f &= ~(uint32_t)MBEDTLS_X509_BADCERT_CN_MISMATCH;
		if (name)
			f |= name_check(t, &chain, name);
	}
	res->verify_reasons = reasons_of(f, &chain, res->nchain);
	res->verified = res->verify_reasons == 0;
text:
	res->verify_text[0] = '\0';
	for (unsigned b = 1; b <= MXLAB_VR_OTHER; b <<= 1)
		if (res->verify_reasons & b)
			append(res->verify_text, sizeof res->verify_text, mxlab_client_reason_name(b));
	if ((res->verify_reasons & (MXLAB_VR_UNTRUSTED | MXLAB_VR_SELF_SIGNED)) && t->cli.nca == 0) {
		size_t n = strlen(res->verify_text);

		snprintf(res->verify_text + n, sizeof res->verify_text - n,
			 " (no CA configured: ca-file, ca-dir or pki)");
	}
	mbedtls_x509_crt_free(&chain);
}

/* TLS 1.3: a NewSessionTicket came after the handshake (the server sends
 * it unasked, read along with the next reply); it is the session to offer
 * next. The last one received wins. */
static void
on_ticket(void *arg, struct mx_tls_conn *c)
{
	struct mx_client_tls *t = arg;
	mbedtls_ssl_session s;

	mbedtls_ssl_session_init(&s);
	if (mx_tls_conn_save(c, &s) != 0) {
		mbedtls_ssl_session_free(&s);
		return;
	}
	mbedtls_ssl_session_free(&t->saved);
	t->saved = s;		/* s's buffers now belong to saved */
	t->have_saved = 1;
}

int
mx_client_tls_handshake(struct mx_client_tls *t, const struct mxlab_client_config *c,
			struct mx_tls_conn *conn, struct mx_sock *sock,
			struct mxlab_client_result *res, char *err, size_t errlen)
{
	const char *sni = mx_client_sni(c);
	int r, resumed = 0;

	drop_der(t);
	t->cb_calls = 0;
	t->cb_flags = 0;
	res->sni_sent = sni != NULL;
	snprintf(res->sni, sizeof res->sni, "%s", sni ? sni : "");
	if (mx_tls_conn_client_setup(conn, &t->cli, sock, sni,
				     t->have_saved ? &t->saved : NULL, err, errlen) != MXLAB_OK)
		return conn->last_error ? conn->last_error : -1;
	conn->on_ticket = on_ticket;
	conn->ticket_arg = t;
	r = mx_tls_client_handshake(conn, &resumed);
	if (r == 0) {
		res->tls = 1;
		snprintf(res->tls_version, sizeof res->tls_version, "%s", mx_tls_conn_version(conn));
		snprintf(res->cipher, sizeof res->cipher, "%s", mx_tls_conn_cipher(conn));
		if (resumed < 0)	/* cannot tell: no Certificate message came */
			resumed = t->have_saved && t->cb_calls == 0;
		res->resumed = resumed;
		if (t->cb_calls == 0 && t->nder == 0) {
			/* A resumed session has no Certificate message: report the
			 * chain of the session it resumed. */
			swap_der(t);
		}
		drop_prev(t);
		for (int i = 0; i < t->nder; i++) {	/* keep a copy for next time */
			if (!(t->prev_der[i] = malloc(t->der_len[i])))
				break;
			memcpy(t->prev_der[i], t->der[i], t->der_len[i]);
			t->prev_len[i] = t->der_len[i];
			t->nprev = i + 1;
		}
		/* The handshake's verdict: chain flags plus the TLS usage checks. */
		t->cb_flags = mx_tls_conn_verify_result(conn);
		/* TLS 1.2: the session just negotiated (id or ticket). TLS 1.3:
		 * only a ticket can be resumed, and it comes later (on_ticket);
		 * until then the last one received stays the offer. */
		if (!mx_tls_conn_is_tls13(conn)) {
			mbedtls_ssl_session_free(&t->saved);
			mbedtls_ssl_session_init(&t->saved);
			t->have_saved = mx_tls_conn_save(conn, &t->saved) == 0;
		}
	} else {
		char e[200];

		mx_tls_strerror(r, e, sizeof e);
		if (r == MBEDTLS_ERR_SSL_TIMEOUT && sock->limit && mx_clock_ms() >= sock->limit)
			snprintf(err, errlen, "session-timeout of %u ms reached", c->session_timeout_ms);
		else if (r == MBEDTLS_ERR_SSL_TIMEOUT)
			snprintf(err, errlen, "handshake not complete within %u ms", c->timeout_ms);
		else
			snprintf(err, errlen, "%s", e);
	}
	verdict(t, c, res, r == 0, sni);
	return r;
}
