/*
 * client_config.c: the fake client's configuration from key = value pairs.
 *
 * One table (keys[]) names every key with its argument, help and setter;
 * `mxlab send --KEY VALUE` and a scenario's [client NAME] section both
 * come through mxlab_client_config_set(). mxlab_client_config_check()
 * resolves keys against each other; the defaults that depend on other
 * keys (SNI, the name to verify, where to stop) are resolved here too.
 *
 * Errors: MXLAB_ERR_USAGE with "KEY: bad value 'x' (...)" in err, in the
 * style of the server's configuration.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cfgval.h"
#include "tls_cfg.h"
#include "client_int.h"

typedef int (*setter_fn)(struct mxlab_client_config *, const char *key,
			 const char *value, char *err, size_t errlen);

struct key_row {
	struct mxlab_client_key pub;
	setter_fn set;
};

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)
#define USAGE(...) (snprintf(err, errlen, __VA_ARGS__), MXLAB_ERR_USAGE)

int
mx_client_is_ip(const char *s)
{
	unsigned char a[16];

	return inet_pton(AF_INET, s, a) == 1 || inet_pton(AF_INET6, s, a) == 1;
}

/* A DNS-ish name: no spaces, no control characters, not empty. */
static int
copy_name(char *dst, size_t cap, const char *k, const char *v, char *err, size_t errlen)
{
	if (!*v || strpbrk(v, " \t<>"))
		return BAD("%s: bad value '%s' (a host name without spaces)", k, v);
	return mx_cfg_copy_str(dst, cap, k, v, err, errlen);
}

static int
parse_port(const char *p, unsigned *port)
{
	static const struct { const char *name; unsigned port; } named[] = {
		{ "smtp", 25 }, { "submission", 587 }, { "smtps", 465 },
	};
	char *end;
	unsigned long n;

	for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
		if (!strcmp(p, named[i].name)) {
			*port = named[i].port;
			return 0;
		}
	if (!isdigit((unsigned char)*p))
		return -1;
	n = strtoul(p, &end, 10);
	if (*end || n == 0 || n > 65535)
		return -1;
	*port = (unsigned)n;
	return 0;
}

/* HOST[:PORT], [V6]:PORT, [V6], or a bare IPv6 literal. */
static int
set_connect(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	char host[256];
	const char *port = NULL;
	size_t n;

	if (v[0] == '[') {
		const char *rb = strchr(v, ']');

		if (!rb || (rb[1] && rb[1] != ':'))
			return BAD("%s: bad value '%s' ([IPV6]:PORT)", k, v);
		n = (size_t)(rb - v - 1);
		if (rb[1] == ':')
			port = rb + 2;
		v++;
	} else {
		const char *colon = strchr(v, ':');

		if (colon && strchr(colon + 1, ':'))	/* a bare IPv6 literal */
			n = strlen(v);
		else {
			n = colon ? (size_t)(colon - v) : strlen(v);
			if (colon)
				port = colon + 1;
		}
	}
	if (n == 0 || n >= sizeof host)
		return BAD("%s: bad value '%s' (HOST[:PORT])", k, v);
	memcpy(host, v, n);
	host[n] = '\0';
	if (strpbrk(host, " \t[]/") || (strchr(host, ':') && !mx_client_is_ip(host)))
		return BAD("%s: bad host '%s' (a name, an IPv4 address, or [IPV6])", k, host);
	if (port && parse_port(port, &c->port) < 0)
		return BAD("%s: bad port '%s' (1-65535, smtp, submission or smtps)", k, port);
	if (!port)
		c->port = 25;
	return mx_cfg_copy_str(c->host, sizeof c->host, k, host, err, errlen);
}

static int
set_tls(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	static const char *const names[] = { "starttls-optional", "starttls", "implicit", "none" };

	for (int i = 0; i < 4; i++)
		if (!strcmp(v, names[i])) {
			c->tls = (enum mx_client_tls_mode)i;
			return 0;
		}
	return BAD("%s: bad value '%s' (starttls, starttls-optional, implicit, none)", k, v);
}

static int
set_sni(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "none")) {
		c->sni_mode = MX_CSNI_NONE;
		c->sni[0] = '\0';
		return 0;
	}
	if (copy_name(c->sni, sizeof c->sni, k, v, err, errlen) < 0)
		return -1;
	c->sni_mode = MX_CSNI_NAME;
	return 0;
}

static int
set_path(char *dst, size_t cap, const char *k, const char *v, char *err, size_t errlen)
{
	if (!*v)
		return BAD("%s: empty path", k);
	return mx_cfg_copy_str(dst, cap, k, v, err, errlen);
}

static int
set_ca_file(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return set_path(c->ca_file, sizeof c->ca_file, k, v, err, errlen);
}

static int
set_ca_dir(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return set_path(c->ca_dir, sizeof c->ca_dir, k, v, err, errlen);
}

static int
set_pki(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (strlen(v) + sizeof "/ca/root.crt" > sizeof c->pki)
		return BAD("%s: path too long", k);
	return set_path(c->pki, sizeof c->pki, k, v, err, errlen);
}

static int
set_verify_name(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	c->verify_no_name = !strcmp(v, "none");
	if (c->verify_no_name) {
		c->verify_name[0] = '\0';
		return 0;
	}
	return copy_name(c->verify_name, sizeof c->verify_name, k, v, err, errlen);
}

static int
set_verify(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "report"))
		c->verify_required = 0;
	else if (!strcmp(v, "required"))
		c->verify_required = 1;
	else
		return BAD("%s: bad value '%s' (report, required)", k, v);
	return 0;
}

static int
set_helo(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return copy_name(c->helo, sizeof c->helo, k, v, err, errlen);
}

static int
set_auth(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "none"))
		c->auth = MX_CAUTH_NONE;
	else if (!strcmp(v, "plain"))
		c->auth = MX_CAUTH_PLAIN;
	else if (!strcmp(v, "login"))
		c->auth = MX_CAUTH_LOGIN;
	else
		return BAD("%s: bad value '%s' (none, plain, login)", k, v);
	return 0;
}

static int
set_user(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_copy_str(c->user, sizeof c->user, k, v, err, errlen);
}

static int
set_password(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_copy_str(c->password, sizeof c->password, k, v, err, errlen);
}

/* An address for MAIL FROM / RCPT TO: no brackets, spaces or controls. */
static int
check_addr(const char *k, const char *v, char *err, size_t errlen)
{
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= 0x20 || *p == '<' || *p == '>' || *p == 0x7f)
			return BAD("%s: bad value '%s' (an address such as a@example.test, "
				   "without <> or spaces)", k, v);
	return 0;
}

static int
set_from(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (check_addr(k, v, err, errlen) < 0 ||
	    mx_cfg_copy_str(c->from, sizeof c->from, k, v, err, errlen) < 0)
		return -1;
	c->from_set = 1;
	return 0;
}

static int
set_to(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	char **nt;

	if (!*v)
		return BAD("%s: bad value '' (an address such as b@example.test)", k);
	if (check_addr(k, v, err, errlen) < 0)
		return -1;
	if (strlen(v) > 255)
		return BAD("%s: value too long (at most 255 bytes)", k);
	if (c->nto >= 1000)
		return BAD("%s: too many recipients (at most 1000)", k);
	if (!(nt = realloc(c->to, (c->nto + 1) * sizeof *nt)))
		return BAD("%s: out of memory", k);
	c->to = nt;
	if (!(nt[c->nto] = strdup(v)))
		return BAD("%s: out of memory", k);
	c->nto++;
	return 0;
}

static int
set_text(char **dst, const char *k, const char *v, int unescape, char *err, size_t errlen)
{
	char *s;
	size_t o = 0;

	if (strlen(v) > 1 << 20)
		return BAD("%s: value too long (at most 1 MiB)", k);
	if (!(s = malloc(strlen(v) + 1)))
		return BAD("%s: out of memory", k);
	for (const char *p = v; *p; p++) {
		if (unescape && p[0] == '\\' && p[1] == 'n') {
			s[o++] = '\n';
			p++;
		} else if (!unescape && (*p == '\r' || *p == '\n')) {
			free(s);
			return BAD("%s: line breaks are not allowed", k);
		} else
			s[o++] = *p;
	}
	s[o] = '\0';
	free(*dst);
	*dst = s;
	return 0;
}

static int
set_subject(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return set_text(&c->subject, k, v, 0, err, errlen);
}

static int
set_body(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return set_text(&c->body, k, v, 1, err, errlen);
}

static int
set_data_file(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return set_path(c->data_file, sizeof c->data_file, k, v, err, errlen);
}

static int
set_stop_after(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	int s = mxlab_client_stage_lookup(v);

	if (s < MXLAB_CS_GREETING || s > MXLAB_CS_DOT)
		return BAD("%s: bad value '%s' (greeting, ehlo, starttls, tls, ehlo-tls, "
			   "auth, mail, rcpt, data, dot)", k, v);
	c->stop_after = s;
	return 0;
}

static int
set_timeout(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_duration(k, v, 1, "10s, 500ms, 2m", &c->timeout_ms, err, errlen);
}

static int
set_session_timeout(struct mxlab_client_config *c, const char *k, const char *v, char *err,
		    size_t errlen)
{
	if (!strcmp(v, "none")) {
		c->session_timeout_ms = 0;
		return 0;
	}
	return mx_cfg_duration(k, v, 1, "2m, 30s, or none", &c->session_timeout_ms, err, errlen);
}

static int
set_quit_reply(struct mxlab_client_config *c, const char *k, const char *v, char *err,
	       size_t errlen)
{
	if (strcmp(v, "wait") && strcmp(v, "skip"))
		return BAD("%s: bad value '%s' (wait, skip)", k, v);
	c->quit_skip_reply = !strcmp(v, "skip");
	return 0;
}

static int
set_version(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_tls_version(&c->versions, k, v, err, errlen);
}

static int
set_ciphers(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_ciphers(&c->ciphers, k, v, err, errlen);
}

static int
set_script(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_script_src_key(&c->script, k, v, err, errlen);
}

static int
set_connections(struct mxlab_client_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	char *end;
	long n = strtol(v, &end, 10);

	if (!isdigit((unsigned char)*v) || *end || n < 1 || n > 10)
		return BAD("%s: bad value '%s' (from 1 to 10)", k, v);
	c->connections = (int)n;
	return 0;
}

static const struct key_row keys[] = {
	{ { "connect", "HOST[:PORT]", "server to connect to; PORT a number or smtp, submission, smtps; [::1]:25 for IPv6 (default port 25)", 0 }, set_connect },
	{ { "tls", "starttls|starttls-optional|implicit|none", "starttls: STARTTLS or fail; starttls-optional: STARTTLS when offered (default); implicit: TLS from the first byte; none: never", 0 }, set_tls },
	{ { "sni", "NAME|none", "SNI to send (default: the host when it is a name; an IP literal is never sent)", 0 }, set_sni },
	{ { "ca-file", "PATH", "PEM trust anchors (without any, every chain is untrusted-issuer)", 0 }, set_ca_file },
	{ { "ca-dir", "PATH", "a directory of PEM trust anchors", 0 }, set_ca_dir },
	{ { "pki", "DIR", "a mxlab certs directory: shorthand for ca-file DIR/ca/root.crt", 0 }, set_pki },
	{ { "verify-name", "NAME|none", "name the certificate must match (default: the SNI, else the host; an IP is matched against IP SANs); none: check no name, the chain alone (never name-mismatch)", 0 }, set_verify_name },
	{ { "verify", "report|required", "report: report the verdict (default); required: stop at stage tls when not verified", 0 }, set_verify },
	{ { "helo", "NAME", "EHLO name (default client.example.test)", 0 }, set_helo },
	{ { "auth", "none|plain|login", "authenticate after EHLO (default none); tried even without TLS", 0 }, set_auth },
	{ { "user", "NAME", "AUTH user name", 0 }, set_user },
	{ { "password", "TEXT", "AUTH password", 0 }, set_password },
	{ { "from", "ADDR", "envelope sender (MAIL FROM)", 0 }, set_from },
	{ { "to", "ADDR", "envelope recipient (RCPT TO)", 1 }, set_to },
	{ { "subject", "TEXT", "Subject of the generated message", 0 }, set_subject },
	{ { "body", "TEXT", "body of the generated message (\\n is a line break)", 0 }, set_body },
	{ { "data-file", "PATH", "send this file as the message (bare LF become CRLF; dot-stuffed on the wire)", 0 }, set_data_file },
	{ { "stop-after", "STAGE", "send QUIT after this stage: greeting, ehlo, starttls, tls, ehlo-tls, auth, mail, rcpt, data, dot (default: dot with from and to, else ehlo-tls)", 0 }, set_stop_after },
	{ { "timeout", "DURATION", "deadline of each stage as a whole: the connect, the TLS handshake, each command with its whole (multi-line) reply, each RCPT; the message gets DURATION per started MiB, then its reply DURATION (default 10s)", 0 }, set_timeout },
	{ { "session-timeout", "DURATION|none", "deadline of the whole session, connect to QUIT (default none: the stages alone bound it)", 0 }, set_session_timeout },
	{ { "quit-reply", "wait|skip", "wait: read the reply to QUIT (default); skip: close once QUIT is sent, as Postfix's smtp client does (smtp_skip_quit_response)", 0 }, set_quit_reply },
	{ { "tls-min", "VERSION", "lowest TLS version offered (1.0, 1.1, 1.2, 1.3)", 0 }, set_version },
	{ { "tls-max", "VERSION", "highest TLS version offered", 0 }, set_version },
	{ { "ciphers", "LIST", "mbedTLS cipher suite names, comma separated, in order of preference", 0 }, set_ciphers },
	{ { "script", "FILE", "run this dialogue script (docs/scripts.md) after the connect instead of the stages", 0 }, set_script },
	{ { "connections", "N", "run N sessions one after the other (1-10), offering the previous TLS session for resumption", 0 }, set_connections },
};

#define NKEYS (sizeof keys / sizeof keys[0])

/* The public table: keys[].pub with a NULL row, copied once. The library
 * is used from threads: pthread_once orders the copy before every read
 * (a plain "done" flag did not). */
static struct mxlab_client_key pub_keys[NKEYS + 1];
static pthread_once_t pub_once = PTHREAD_ONCE_INIT;

static void
pub_init(void)
{
	for (size_t i = 0; i < NKEYS; i++)
		pub_keys[i] = keys[i].pub;
}

const struct mxlab_client_key *
mxlab_client_keys(void)
{
	pthread_once(&pub_once, pub_init);
	return pub_keys;
}

mxlab_client_config *
mxlab_client_config_new(void)
{
	struct mxlab_client_config *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	c->port = 25;
	snprintf(c->helo, sizeof c->helo, "client.example.test");
	c->stop_after = -1;
	c->timeout_ms = 10000;
	c->connections = 1;
	return c;
}

void
mxlab_client_config_free(mxlab_client_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nto; i++)
		free(c->to[i]);
	free(c->to);
	free(c->subject);
	free(c->body);
	free(c->ciphers);
	mx_script_src_free(&c->script);
	free(c);
}

mxlab_err
mxlab_client_config_set(mxlab_client_config *c, const char *key, const char *value,
			char *err, size_t errlen)
{
	if (!c || !key || !value) {
		snprintf(err, errlen, "missing key or value");
		return MXLAB_ERR_USAGE;
	}
	for (size_t i = 0; i < NKEYS; i++)
		if (!strcmp(keys[i].pub.key, key))
			return keys[i].set(c, key, value, err, errlen) < 0 ?
			       MXLAB_ERR_USAGE : MXLAB_OK;
	snprintf(err, errlen, "%s: unknown key", key);
	return MXLAB_ERR_USAGE;
}

const char *
mx_client_sni(const struct mxlab_client_config *c)
{
	const char *s = c->sni_mode == MX_CSNI_NAME ? c->sni :
			c->sni_mode == MX_CSNI_DEFAULT ? c->host : NULL;

	return s && *s && !mx_client_is_ip(s) ? s : NULL;
}

const char *
mx_client_verify_name(const struct mxlab_client_config *c)
{
	if (c->verify_no_name)
		return NULL;
	if (c->verify_name[0])
		return c->verify_name;
	if (c->sni_mode == MX_CSNI_NAME)
		return c->sni;
	return c->host;
}

enum mxlab_client_stage
mx_client_stop_after(const struct mxlab_client_config *c)
{
	if (c->stop_after >= 0)
		return (enum mxlab_client_stage)c->stop_after;
	if (c->from_set && c->nto)
		return MXLAB_CS_DOT;
	return c->auth != MX_CAUTH_NONE ? MXLAB_CS_AUTH : MXLAB_CS_EHLO_TLS;
}

mxlab_err
mxlab_client_config_check(const mxlab_client_config *c, char *err, size_t errlen)
{
	enum mxlab_client_stage stop = mx_client_stop_after(c);

	if (!c->host[0])
		return USAGE("connect: missing (HOST[:PORT] of the server)");
	if (c->pki[0] && c->ca_file[0])
		return USAGE("pki: is a shorthand for ca-file DIR/ca/root.crt; give one of them");
	if (c->auth != MX_CAUTH_NONE && (!c->user[0] || !c->password[0]))
		return USAGE("auth: needs user and password");
	if (c->auth == MX_CAUTH_NONE && (c->user[0] || c->password[0]))
		return USAGE("user: needs auth plain or auth login");
	if (stop == MXLAB_CS_AUTH && c->auth == MX_CAUTH_NONE)
		return USAGE("stop-after: 'auth' needs auth plain or auth login");
	if (stop >= MXLAB_CS_RCPT && !c->nto)
		return USAGE("stop-after: '%s' needs at least one to", mxlab_client_stage_name(stop));
	if (c->data_file[0] && (c->subject || c->body))
		return USAGE("data-file: give either data-file or subject/body");
	if ((c->tls == MX_CTLS_NONE) &&
	    (c->stop_after == MXLAB_CS_STARTTLS || c->stop_after == MXLAB_CS_TLS ||
	     c->stop_after == MXLAB_CS_EHLO_TLS))
		return USAGE("stop-after: '%s' makes no sense with tls none",
			     mxlab_client_stage_name(stop));
	if (c->tls == MX_CTLS_IMPLICIT && c->stop_after == MXLAB_CS_STARTTLS)
		return USAGE("stop-after: 'starttls' makes no sense with tls implicit");
	return MXLAB_OK;
}
