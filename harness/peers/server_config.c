/*
 * server_config.c: the fake server's configuration from key = value pairs.
 *
 * One table (keys[]) names every key with its argument, help and setter;
 * `mxlab serve --KEY VALUE` and a scenario's `[server NAME]` section both
 * come through mxlab_server_config_set(). The reply table is data: the
 * stage keys (greeting, ehlo, ..., quit and STAGE-delay) only fill rows of
 * cfg->rules[]; the session code reads the rows.
 *
 * Errors: MXLAB_ERR_USAGE with "KEY: what is wrong" in err.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/certs.h"
#include "cfgval.h"
#include "tls_cfg.h"
#include "server_int.h"

static const char *const stage_names[MX_STAGE_COUNT] = {
	"greeting", "ehlo", "helo", "starttls", "mail", "rcpt", "data",
	"dot", "rset", "noop", "quit"
};

const char *
mx_stage_name(enum mx_stage s)
{
	return s < MX_STAGE_COUNT ? stage_names[s] : "?";
}

typedef int (*setter_fn)(struct mxlab_server_config *, const char *key,
			 const char *value, char *err, size_t errlen);

struct key_row {
	struct mxlab_server_key pub;
	setter_fn set;
};

#define BAD(...) (snprintf(err, errlen, __VA_ARGS__), -1)
#define USAGE(...) (snprintf(err, errlen, __VA_ARGS__), MXLAB_ERR_USAGE)

static int
parse_bool(const char *key, const char *v, int *out, char *err, size_t errlen)
{
	if (!strcmp(v, "yes") || !strcmp(v, "true") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = 1;
	else if (!strcmp(v, "no") || !strcmp(v, "false") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = 0;
	else
		return BAD("%s: bad value '%s' (yes or no)", key, v);
	return 0;
}

static int
set_listen(struct mxlab_server_config *c, const char *key, const char *v, char *err, size_t errlen)
{
	char e[300];
	char **nl;

	if (mx_listen_check(v, e, sizeof e) < 0)
		return BAD("%s: %s", key, e);
	if (!(nl = realloc(c->listen, (c->nlisten + 1) * sizeof *nl)))
		return BAD("%s: out of memory", key);
	c->listen = nl;
	if (!(nl[c->nlisten] = strdup(v)))
		return BAD("%s: out of memory", key);
	c->nlisten++;
	return 0;
}

static int
set_hostname(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!*v || strpbrk(v, " \t"))
		return BAD("%s: bad value '%s' (a host name without spaces)", k, v);
	return mx_cfg_copy_str(c->hostname, sizeof c->hostname, k, v, err, errlen);
}

static int
set_banner(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_copy_str(c->banner, sizeof c->banner, k, v, err, errlen);
}

static int
set_implicit(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return parse_bool(k, v, &c->implicit_tls, err, errlen);
}

static int
set_pipelining(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return parse_bool(k, v, &c->pipelining, err, errlen);
}

static int set_stage(struct mxlab_server_config *c, const char *k, const char *v,
		     char *err, size_t errlen);

static int
set_starttls(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "offer"))
		c->starttls = MX_STARTTLS_OFFER;
	else if (!strcmp(v, "hide"))
		c->starttls = MX_STARTTLS_HIDE;
	else if (!strcmp(v, "refuse"))
		c->starttls = MX_STARTTLS_REFUSE;
	else if (isdigit((unsigned char)v[0]) || !strcmp(v, "disconnect"))
		return set_stage(c, k, v, err, errlen);	/* the reply row */
	else
		return BAD("%s: bad value '%s' (offer, hide, refuse, or a reply such as "
			   "\"454 4.7.0 text\", or disconnect)", k, v);
	return 0;
}

static int
set_pki(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_copy_str(c->pki, sizeof c->pki, k, v, err, errlen);
}

static int
set_cert(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!*v || strchr(v, '/'))
		return BAD("%s: bad value '%s' (a host of the PKI, as given to mxlab certs --host)", k, v);
	return mx_cfg_copy_str(c->def.host, sizeof c->def.host, k, v, err, errlen);
}

static int
check_profile(const char *k, const char *v, char *err, size_t errlen)
{
	if (mxlab_pki_profile_lookup(v) >= 0)
		return 0;
	snprintf(err, errlen, "%s: unknown profile '%s' (", k, v);
	for (int p = 0; p < MXLAB_PKI_PROFILE_COUNT; p++) {
		size_t n = strlen(err);

		snprintf(err + n, errlen - n, "%s%s", p ? ", " : "",
			 mxlab_pki_profile_name((enum mxlab_pki_profile)p));
	}
	if (strlen(err) + 2 < errlen)
		strcat(err, ")");
	return -1;
}

static int
set_profile(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (check_profile(k, v, err, errlen) < 0)
		return -1;
	return mx_cfg_copy_str(c->def.profile, sizeof c->def.profile, k, v, err, errlen);
}

static int
set_chain(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "full"))
		c->leaf_only = 0;
	else if (!strcmp(v, "leaf-only"))
		c->leaf_only = 1;
	else
		return BAD("%s: bad value '%s' (full, leaf-only)", k, v);
	return 0;
}

static int
set_cert_file(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!*v)
		return BAD("%s: empty path", k);
	return mx_cfg_copy_str(c->def.cert_file, sizeof c->def.cert_file, k, v, err, errlen);
}

static int
set_key_file(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!*v)
		return BAD("%s: empty path", k);
	return mx_cfg_copy_str(c->def.key_file, sizeof c->def.key_file, k, v, err, errlen);
}

/* NAME=HOST[/PROFILE] or NAME=file:PATH */
static int
set_sni(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	const char *eq = strchr(v, '=');
	struct mx_chain_source s, *ns;
	size_t n;

	memset(&s, 0, sizeof s);
	if (!eq || eq == v || !eq[1])
		return BAD("%s: bad value '%s' (NAME=HOST[/PROFILE] or NAME=file:PATH)", k, v);
	n = (size_t)(eq - v);
	if (n >= sizeof s.sni)
		return BAD("%s: name too long", k);
	memcpy(s.sni, v, n);
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s.sni[i]) && !strchr(".-_*", s.sni[i]))
			return BAD("%s: bad SNI name '%s'", k, s.sni);
	if (!strncmp(eq + 1, "file:", 5)) {
		if (mx_cfg_copy_str(s.cert_file, sizeof s.cert_file, k, eq + 6, err, errlen) < 0)
			return -1;
		if (!s.cert_file[0])
			return BAD("%s: empty path after file:", k);
	} else {
		const char *slash = strchr(eq + 1, '/');
		size_t hl = slash ? (size_t)(slash - eq - 1) : strlen(eq + 1);

		if (hl == 0 || hl >= sizeof s.host)
			return BAD("%s: bad host in '%s'", k, v);
		memcpy(s.host, eq + 1, hl);
		if (slash) {
			if (check_profile(k, slash + 1, err, errlen) < 0)
				return -1;
			snprintf(s.profile, sizeof s.profile, "%s", slash + 1);
		}
	}
	for (size_t i = 0; i < c->nsni; i++)
		if (!strcasecmp(c->sni[i].sni, s.sni))
			return BAD("%s: name '%s' given twice", k, s.sni);
	if (!(ns = realloc(c->sni, (c->nsni + 1) * sizeof *ns)))
		return BAD("%s: out of memory", k);
	c->sni = ns;
	c->sni[c->nsni++] = s;
	return 0;
}

static int
set_sni_unknown(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "default"))
		c->sni_reject = 0;
	else if (!strcmp(v, "reject"))
		c->sni_reject = 1;
	else
		return BAD("%s: bad value '%s' (default, reject)", k, v);
	return 0;
}

static int
set_version(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_tls_version(&c->versions, k, v, err, errlen);
}

static int
set_ciphers(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_ciphers(&c->ciphers, k, v, err, errlen);
}

static int
set_tls_fault(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!strcmp(v, "none"))
		c->tls_fault = MX_TLS_FAULT_NONE;
	else if (!strcmp(v, "close-after-ready"))
		c->tls_fault = MX_TLS_FAULT_CLOSE_AFTER_READY;
	else if (!strcmp(v, "garbage"))
		c->tls_fault = MX_TLS_FAULT_GARBAGE;
	else
		return BAD("%s: bad value '%s' (none, close-after-ready, garbage)", k, v);
	return 0;
}

static int
set_max_line(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_bytes(k, v, 64, 65536, &c->max_line, err, errlen);
}

static int
set_size(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_bytes(k, v, 1, (size_t)1 << 30, &c->size, err, errlen);
}

static int
set_max_conn(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	unsigned long long n = 0;

	/* a count, not BYTES: whole digits, no suffix */
	for (const char *p = v; *p && n <= 100000; p++) {
		if (!isdigit((unsigned char)*p))
			return BAD("%s: bad value '%s' (from 1 to 100000)", k, v);
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (!*v || n < 1 || n > 100000)
		return BAD("%s: bad value '%s' (from 1 to 100000)", k, v);
	c->max_connections = (unsigned)n;
	return 0;
}

static int
set_timeout(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_cfg_duration(k, v, 1, "30s, 500ms, 2m", &c->timeout_ms, err, errlen);
}

static int
set_session_timeout(struct mxlab_server_config *c, const char *k, const char *v, char *err,
		    size_t errlen)
{
	if (!strcmp(v, "none")) {
		c->session_timeout_ms = 0;
		return 0;
	}
	if (mx_cfg_duration(k, v, 1, "5m, 30s, or none", &c->session_timeout_ms, err, errlen) < 0) {
		size_t n = strlen(err);

		if (n + sizeof " (or none: no deadline)" <= errlen && !strstr(err, "none"))
			strcpy(err + n, " (or none: no deadline)");
		return -1;
	}
	return 0;
}

static int
set_transcript(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!*v)
		return BAD("%s: empty path", k);
	return mx_cfg_copy_str(c->transcript, sizeof c->transcript, k, v, err, errlen);
}

static int
set_mailbox(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	if (!*v)
		return BAD("%s: empty path", k);
	return mx_cfg_copy_str(c->mailbox, sizeof c->mailbox, k, v, err, errlen);
}

/* Which stage a key names: "rcpt" -> MX_STAGE_RCPT, *delay = 0;
 * "rcpt-delay" -> MX_STAGE_RCPT, *delay = 1; -1 if neither. */
static int
stage_of(const char *key, int *delay)
{
	for (int s = 0; s < MX_STAGE_COUNT; s++) {
		size_t n = strlen(stage_names[s]);

		if (strncmp(key, stage_names[s], n) != 0)
			continue;
		if (key[n] == '\0') {
			*delay = 0;
			return s;
		}
		if (!strcmp(key + n, "-delay")) {
			*delay = 1;
			return s;
		}
	}
	return -1;
}

/* "CODE [TEXT]" or "disconnect" */
static int
set_script(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	return mx_script_src_key(&c->script, k, v, err, errlen);
}

static int
set_stage(struct mxlab_server_config *c, const char *k, const char *v, char *err, size_t errlen)
{
	int delay = 0, s = stage_of(k, &delay);
	struct mx_reply_rule *r = &c->rules[s];

	if (delay) {
		return mx_cfg_duration(k, v, 0, "500ms, 2s", &r->delay_ms, err, errlen);
	}
	if (!strcmp(v, "disconnect")) {
		r->disconnect = 1;
		r->code = 0;
		return 0;
	}
	if (!isdigit((unsigned char)v[0]) || !isdigit((unsigned char)v[1]) ||
	    !isdigit((unsigned char)v[2]) || (v[3] && v[3] != ' ') ||
	    v[0] < '2' || v[0] > '5')
		return BAD("%s: bad value '%s' (a reply such as \"550 5.7.1 text\", or disconnect)", k, v);
	if (mx_cfg_copy_str(r->text, sizeof r->text, k, v[3] ? v + 4 : "", err, errlen) < 0)
		return -1;
	r->code = atoi(v);
	r->disconnect = 0;
	return 0;
}

#define STAGE_ROWS(name, what) \
	{ { name, "CODE TEXT|disconnect", "reply to " what " instead of the default", 0 }, set_stage }, \
	{ { name "-delay", "DURATION", "wait before replying to " what, 0 }, set_stage }

static const struct key_row keys[] = {
	{ { "listen", "ADDR:PORT", "address to listen on ([::1]:PORT for IPv6, port 0 picks one); default 127.0.0.1:2525", 1 }, set_listen },
	{ { "hostname", "NAME", "name in the greeting and EHLO reply (default mx.example.test)", 0 }, set_hostname },
	{ { "banner", "TEXT", "greeting text after the host name (default \"ESMTP mxlab\")", 0 }, set_banner },
	{ { "implicit-tls", "yes|no", "TLS from the first byte (SMTPS, port 465 style)", 0 }, set_implicit },
	{ { "starttls", "offer|hide|refuse|CODE TEXT|disconnect", "offer: advertised; hide: not advertised, 502 if tried; refuse: advertised, 454 (default offer with a certificate, else hide); a reply or disconnect replaces the answer to STARTTLS", 0 }, set_starttls },
	{ { "pki", "DIR", "a directory written by mxlab certs", 0 }, set_pki },
	{ { "cert", "HOST", "serve the certificate of this PKI host (the first name of its --host spec)", 0 }, set_cert },
	{ { "profile", "NAME", "certificate profile of that host (good, expired, self-signed, ...; default good)", 0 }, set_profile },
	{ { "chain", "full|leaf-only", "send the intermediates with the leaf, or the leaf alone (default full)", 0 }, set_chain },
	{ { "cert-file", "PATH", "PEM certificates, leaf first (may also hold the key)", 0 }, set_cert_file },
	{ { "key-file", "PATH", "PEM private key of the leaf", 0 }, set_key_file },
	{ { "sni", "NAME=HOST[/PROFILE]|NAME=file:PATH", "serve another chain to clients that send this SNI name", 1 }, set_sni },
	{ { "sni-unknown", "default|reject", "an SNI name not in the table: serve the default chain, or fail the handshake", 0 }, set_sni_unknown },
	{ { "tls-min", "VERSION", "lowest TLS version accepted (1.0, 1.1, 1.2, 1.3)", 0 }, set_version },
	{ { "tls-max", "VERSION", "highest TLS version accepted", 0 }, set_version },
	{ { "ciphers", "LIST", "mbedTLS cipher suite names, comma separated, in order of preference", 0 }, set_ciphers },
	{ { "tls-fault", "none|close-after-ready|garbage", "break TLS: close after '220 Ready to start TLS', or send garbage instead of a ServerHello", 0 }, set_tls_fault },
	STAGE_ROWS("greeting", "a new connection"),
	STAGE_ROWS("ehlo", "EHLO"),
	STAGE_ROWS("helo", "HELO"),
	{ { "starttls-delay", "DURATION", "wait before replying to STARTTLS", 0 }, set_stage },
	STAGE_ROWS("mail", "MAIL FROM"),
	STAGE_ROWS("rcpt", "RCPT TO"),
	STAGE_ROWS("data", "DATA"),
	STAGE_ROWS("dot", "the end of message data"),
	STAGE_ROWS("rset", "RSET"),
	STAGE_ROWS("noop", "NOOP"),
	STAGE_ROWS("quit", "QUIT"),
	{ { "max-line", "BYTES", "longest command line with CRLF; longer gets 500 5.5.0 (default 512)", 0 }, set_max_line },
	{ { "size", "BYTES", "SIZE advertised and enforced; bigger gets 552 5.3.4 (default 10M)", 0 }, set_size },
	{ { "max-connections", "N", "connections served at once; more get 421 (default 1000)", 0 }, set_max_conn },
	{ { "timeout", "DURATION", "deadline of each command line (idle or trickled), each line of message data, each reply written and each TLS handshake; then 421 4.4.2 and hang up (default 60s)", 0 }, set_timeout },
	{ { "session-timeout", "DURATION|none", "deadline of a whole session, connect to close, scripted delays included; then 421 4.4.2 and hang up (default 5m)", 0 }, set_session_timeout },
	{ { "pipelining", "yes|no", "advertise PIPELINING (default yes)", 0 }, set_pipelining },
	{ { "transcript", "PATH", "append a JSON-lines transcript of every session (- for stdout)", 0 }, set_transcript },
	{ { "script", "FILE", "run this dialogue script (docs/scripts.md) on every connection instead of the reply table", 0 }, set_script },
	{ { "mailbox", "DIR", "store every accepted message as DIR/NNNNNN.eml with its envelope in .json", 0 }, set_mailbox },
	{ { "mode", "smtp|https", "https: an MTA-STS policy host (TLS from the first byte, GET /.well-known/mta-sts.txt answers the policy; default smtp)", 0 }, mx_https_set_mode },
	{ { "policy", "LINE", "one line of the MTA-STS policy served in https mode (version: STSv1, mode: enforce, mx: NAME, max_age: SECONDS)", 1 }, mx_https_set_policy },
};

#define NKEYS (sizeof keys / sizeof keys[0])

/* The public table: keys[].pub with a NULL row, copied once. The library
 * is used from threads: pthread_once orders the copy before every read
 * (a plain "done" flag did not). */
static struct mxlab_server_key pub_keys[NKEYS + 1];
static pthread_once_t pub_once = PTHREAD_ONCE_INIT;

static void
pub_init(void)
{
	for (size_t i = 0; i < NKEYS; i++)
		pub_keys[i] = keys[i].pub;
}

const struct mxlab_server_key *
mxlab_server_keys(void)
{
	pthread_once(&pub_once, pub_init);
	return pub_keys;
}

mxlab_server_config *
mxlab_server_config_new(void)
{
	struct mxlab_server_config *c = calloc(1, sizeof *c);

	if (!c)
		return NULL;
	snprintf(c->hostname, sizeof c->hostname, "mx.example.test");
	snprintf(c->banner, sizeof c->banner, "ESMTP mxlab");
	c->max_line = 512;
	c->size = 10 << 20;
	c->max_connections = 1000;
	c->timeout_ms = 60000;
	c->session_timeout_ms = 300000;
	c->pipelining = 1;
	return c;
}

void
mxlab_server_config_free(mxlab_server_config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nlisten; i++)
		free(c->listen[i]);
	free(c->listen);
	free(c->sni);
	free(c->ciphers);
	free(c->policy);
	mx_script_src_free(&c->script);
	free(c);
}

mxlab_err
mxlab_server_config_set(mxlab_server_config *c, const char *key, const char *value,
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

int
mx_server_config_has_cert(const struct mxlab_server_config *c)
{
	return c->def.host[0] || c->def.cert_file[0];
}

mxlab_err
mxlab_server_config_check(const mxlab_server_config *c, char *err, size_t errlen)
{
	int cert = mx_server_config_has_cert(c);

	if (c->def.host[0] && c->def.cert_file[0])
		return USAGE("cert: give either cert (a PKI host) or cert-file, not both");
	if (c->def.key_file[0] && !c->def.cert_file[0])
		return USAGE("key-file: needs cert-file");
	if (c->def.profile[0] && !c->def.host[0])
		return USAGE("profile: needs cert (a PKI host)");
	if (c->def.host[0] && !c->pki[0])
		return USAGE("cert: needs pki (the directory written by mxlab certs)");
	for (size_t i = 0; i < c->nsni; i++)
		if (c->sni[i].host[0] && !c->pki[0])
			return USAGE("sni: '%s' names a PKI host, but pki is not set", c->sni[i].sni);
	if (!cert && c->implicit_tls)
		return USAGE("implicit-tls: needs a certificate (cert or cert-file)");
	if (!cert && c->starttls == MX_STARTTLS_OFFER)
		return USAGE("starttls: 'offer' needs a certificate (cert or cert-file)");
	if (!cert && c->nsni)
		return USAGE("sni: needs a default certificate (cert or cert-file)");
	if (c->https && !cert)
		return USAGE("mode: https needs a certificate (cert or cert-file)");
	if (c->policy_len && !c->https)
		return USAGE("policy: needs mode = https");
	if (c->implicit_tls && c->starttls != MX_STARTTLS_AUTO && c->starttls != MX_STARTTLS_HIDE)
		return USAGE("starttls: makes no sense with implicit-tls");
	return MXLAB_OK;
}
