/*
 * test_server_config.c: the fake server's configuration keys, its reply
 * table, the checks between keys, and a few sessions against an in-process
 * server on an ephemeral loopback port (plaintext: the TLS side is proven
 * with real clients in tests/integration).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "mxlab/mxlab.h"
#include "server_int.h"

static char err[1024];

static mxlab_err
set(mxlab_server_config *c, const char *k, const char *v)
{
	err[0] = '\0';
	return mxlab_server_config_set(c, k, v, err, sizeof err);
}

static void
test_defaults(void **state)
{
	mxlab_server_config *c = mxlab_server_config_new();

	(void)state;
	assert_non_null(c);
	assert_string_equal(c->hostname, "mx.example.test");
	assert_int_equal(c->max_line, 512);
	assert_int_equal(c->size, 10 << 20);
	assert_int_equal(c->pipelining, 1);
	assert_int_equal(c->timeout_ms, 60000);
	assert_int_equal(c->session_timeout_ms, 300000);	/* 5m */
	assert_int_equal(set(c, "session-timeout", "none"), MXLAB_OK);
	assert_int_equal(c->session_timeout_ms, 0);
	assert_int_equal(set(c, "session-timeout", "90s"), MXLAB_OK);
	assert_int_equal(c->session_timeout_ms, 90000);
	for (int s = 0; s < MX_STAGE_COUNT; s++) {
		assert_int_equal(c->rules[s].code, 0);
		assert_int_equal(c->rules[s].disconnect, 0);
	}
	/* No certificate: plaintext only, and that passes the checks. */
	assert_int_equal(mxlab_server_config_check(c, err, sizeof err), MXLAB_OK);
	mxlab_server_config_free(c);
	mxlab_server_config_free(NULL);
}

static void
test_reply_table(void **state)
{
	mxlab_server_config *c = mxlab_server_config_new();

	(void)state;
	assert_int_equal(set(c, "rcpt", "550 5.1.1 no such user"), MXLAB_OK);
	assert_int_equal(c->rules[MX_STAGE_RCPT].code, 550);
	assert_string_equal(c->rules[MX_STAGE_RCPT].text, "5.1.1 no such user");
	assert_int_equal(set(c, "greeting", "421"), MXLAB_OK);
	assert_int_equal(c->rules[MX_STAGE_GREETING].code, 421);
	assert_string_equal(c->rules[MX_STAGE_GREETING].text, "");
	/* starttls is the mode and, given a reply, the row of its stage. */
	assert_int_equal(set(c, "starttls", "454 4.7.0 not now"), MXLAB_OK);
	assert_int_equal(c->rules[MX_STAGE_STARTTLS].code, 454);
	assert_int_equal(set(c, "starttls", "refuse"), MXLAB_OK);
	assert_int_equal(c->starttls, MX_STARTTLS_REFUSE);
	assert_int_equal(set(c, "dot", "disconnect"), MXLAB_OK);
	assert_int_equal(c->rules[MX_STAGE_DOT].disconnect, 1);
	assert_int_equal(set(c, "data-delay", "250ms"), MXLAB_OK);
	assert_int_equal(c->rules[MX_STAGE_DATA].delay_ms, 250);
	assert_int_equal(set(c, "ehlo-delay", "2s"), MXLAB_OK);
	assert_int_equal(c->rules[MX_STAGE_EHLO].delay_ms, 2000);
	assert_int_equal(set(c, "quit-delay", "1"), MXLAB_OK);
	assert_int_equal(c->rules[MX_STAGE_QUIT].delay_ms, 1000);
	/* A later reply replaces a disconnect. */
	assert_int_equal(set(c, "dot", "250 2.0.0 fine"), MXLAB_OK);
	assert_int_equal(c->rules[MX_STAGE_DOT].disconnect, 0);
	assert_int_equal(c->rules[MX_STAGE_DOT].code, 250);

	/* Bad rows name the key. */
	assert_int_equal(set(c, "rcpt", "hello"), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "rcpt: bad value 'hello'"));
	assert_int_equal(set(c, "mail", "650 x"), MXLAB_ERR_USAGE);
	assert_int_equal(set(c, "mail", "25"), MXLAB_ERR_USAGE);
	assert_int_equal(set(c, "mail", "2500"), MXLAB_ERR_USAGE);
	assert_int_equal(set(c, "mail-delay", "soon"), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "mail-delay: bad duration 'soon'"));
	assert_int_equal(set(c, "mail-delay", "5h"), MXLAB_ERR_USAGE);
	assert_int_equal(set(c, "rcpt", "550 bad\001text"), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "control characters"));
	/* Rows left alone by failed sets. */
	assert_int_equal(c->rules[MX_STAGE_RCPT].code, 550);
	mxlab_server_config_free(c);
}

static void
test_bad_values(void **state)
{
	static const struct { const char *k, *v, *msg; } bad[] = {
		{ "nosuch", "x", "nosuch: unknown key" },
		{ "starttls", "maybe", "starttls: bad value 'maybe' (offer, hide, refuse, or a reply" },
		{ "implicit-tls", "perhaps", "implicit-tls: bad value 'perhaps' (yes or no)" },
		{ "listen", "127.0.0.1", "expected ADDR:PORT" },
		{ "listen", "127.0.0.1:70000", "port must be a number" },
		{ "listen", "[::1]25", "expected [IPV6]:PORT" },
		{ "listen", ":25", "missing or too long address" },
		{ "chain", "half", "chain: bad value 'half' (full, leaf-only)" },
		{ "profile", "rotten", "profile: unknown profile 'rotten' (good, " },
		{ "tls-min", "2.0", "tls-min: bad value '2.0'" },
		{ "ciphers", "TLS-NOPE", "ciphers: unknown cipher suite 'TLS-NOPE'" },
		{ "tls-fault", "boom", "tls-fault: bad value 'boom'" },
		{ "sni", "nohost", "sni: bad value 'nohost'" },
		{ "sni", "=x", "sni: bad value '=x'" },
		{ "sni", "a b=x", "sni: bad SNI name 'a b'" },
		{ "sni", "a=x/rotten", "unknown profile 'rotten'" },
		{ "sni", "a=file:", "empty path after file:" },
		{ "max-line", "10", "max-line: bad value '10' (from 64 to 65536)" },
		{ "size", "lots", "size: bad size 'lots'" },
		{ "size", "2G", "size: bad value '2G'" },
		/* 2^54 + 1 kilobytes would wrap to 1024 bytes when shifted */
		{ "size", "18014398509481985k", "size: size '18014398509481985k' is too large" },
		{ "max-connections", "99999999999999999999", "bad value '99999999999999999999'" },
		{ "timeout", "0", "timeout: bad value '0'" },
		{ "session-timeout", "0", "session-timeout: bad value '0' (a duration such as 5m, 30s, or none)" },
		{ "session-timeout", "later", "session-timeout: bad duration 'later'" },
		{ "hostname", "two words", "hostname: bad value 'two words'" },
		{ "cert", "a/b", "cert: bad value 'a/b'" },
		{ "sni-unknown", "maybe", "sni-unknown: bad value 'maybe'" },
	};
	mxlab_server_config *c = mxlab_server_config_new();

	(void)state;
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(set(c, bad[i].k, bad[i].v), MXLAB_ERR_USAGE);
		if (!strstr(err, bad[i].msg))
			fail_msg("%s=%s: got '%s', want '%s'", bad[i].k, bad[i].v, err, bad[i].msg);
	}
	mxlab_server_config_free(c);
}

static void
test_good_values(void **state)
{
	mxlab_server_config *c = mxlab_server_config_new();

	(void)state;
	assert_int_equal(set(c, "listen", "127.0.0.1:0"), MXLAB_OK);
	assert_int_equal(set(c, "listen", "[::1]:2525"), MXLAB_OK);
	assert_int_equal(c->nlisten, 2);
	assert_int_equal(set(c, "size", "10M"), MXLAB_OK);
	assert_int_equal(c->size, 10u << 20);
	assert_int_equal(set(c, "size", "64k"), MXLAB_OK);
	assert_int_equal(c->size, 65536);
#if defined(MBEDTLS_SSL_PROTO_TLS1) && defined(MBEDTLS_SSL_PROTO_TLS1_1)
	assert_int_equal(set(c, "tls-min", "1.0"), MXLAB_OK);
	assert_int_equal(set(c, "tls-max", "TLSv1.1"), MXLAB_OK);
	assert_int_equal(c->versions.min, MX_TLS_1_0);
	assert_int_equal(c->versions.max, MX_TLS_1_1);
	/* min above max is refused, and the old range kept. */
	assert_int_equal(set(c, "tls-min", "1.2"), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "above tls-max"));
	assert_int_equal(c->versions.min, MX_TLS_1_0);
#else	/* mbedTLS 3.x: no TLS 1.0 or 1.1 */
	assert_int_equal(set(c, "tls-min", "1.0"), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "TLSv1.0 is not supported by this mbedTLS"));
	assert_int_equal(set(c, "tls-min", "1.2"), MXLAB_OK);
	assert_int_equal(set(c, "tls-max", "TLSv1.2"), MXLAB_OK);
	assert_int_equal(c->versions.min, MX_TLS_1_2);
	assert_int_equal(c->versions.max, MX_TLS_1_2);
#if defined(MBEDTLS_SSL_PROTO_TLS1_3)
	/* min above max is refused, and the old range kept. */
	assert_int_equal(set(c, "tls-min", "1.3"), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "above tls-max"));
	assert_int_equal(c->versions.min, MX_TLS_1_2);
#endif
#endif
#if !defined(MBEDTLS_SSL_PROTO_TLS1_3)
	assert_int_equal(set(c, "tls-max", "1.3"), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "TLSv1.3 is not supported by this mbedTLS"));
#endif
	assert_int_equal(set(c, "ciphers",
			     "TLS-ECDHE-ECDSA-WITH-AES-128-GCM-SHA256,TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256"),
			 MXLAB_OK);
	assert_non_null(c->ciphers);
	assert_int_not_equal(c->ciphers[0], 0);
	assert_int_not_equal(c->ciphers[1], 0);
	assert_int_equal(c->ciphers[2], 0);
	assert_int_equal(set(c, "sni", "a.example=mx.example.test/expired"), MXLAB_OK);
	assert_int_equal(set(c, "sni", "b.example=file:/tmp/x.pem"), MXLAB_OK);
	assert_int_equal(set(c, "sni", "A.EXAMPLE=other"), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "given twice"));
	assert_int_equal(c->nsni, 2);
	assert_string_equal(c->sni[0].host, "mx.example.test");
	assert_string_equal(c->sni[0].profile, "expired");
	assert_string_equal(c->sni[1].cert_file, "/tmp/x.pem");
	assert_int_equal(set(c, "pipelining", "no"), MXLAB_OK);
	assert_int_equal(c->pipelining, 0);
	mxlab_server_config_free(c);
}

static void
test_keys_table(void **state)
{
	const struct mxlab_server_key *k = mxlab_server_keys();
	size_t n = 0;

	(void)state;
	for (; k->key; k++, n++) {
		assert_non_null(k->arg);
		assert_non_null(k->help);
		assert_true(strlen(k->help) > 10);
	}
	/* Every stage has a reply key and a delay key. */
	for (int s = 0; s < MX_STAGE_COUNT; s++) {
		char dk[64];
		int found = 0, founddelay = 0;

		snprintf(dk, sizeof dk, "%s-delay", mx_stage_name((enum mx_stage)s));
		for (k = mxlab_server_keys(); k->key; k++) {
			found |= !strcmp(k->key, mx_stage_name((enum mx_stage)s));
			founddelay |= !strcmp(k->key, dk);
		}
		assert_true(found && founddelay);
	}
	assert_true(n > 30);
}

static void
test_checks(void **state)
{
	mxlab_server_config *c = mxlab_server_config_new();

	(void)state;
	assert_int_equal(set(c, "implicit-tls", "yes"), MXLAB_OK);
	assert_int_equal(mxlab_server_config_check(c, err, sizeof err), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "implicit-tls: needs a certificate"));
	mxlab_server_config_free(c);

	c = mxlab_server_config_new();
	assert_int_equal(set(c, "starttls", "offer"), MXLAB_OK);
	assert_int_equal(mxlab_server_config_check(c, err, sizeof err), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "starttls: 'offer' needs a certificate"));
	assert_int_equal(set(c, "cert", "mx.example.test"), MXLAB_OK);
	assert_int_equal(mxlab_server_config_check(c, err, sizeof err), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "cert: needs pki"));
	assert_int_equal(set(c, "cert-file", "/x.pem"), MXLAB_OK);
	assert_int_equal(mxlab_server_config_check(c, err, sizeof err), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "not both"));
	mxlab_server_config_free(c);

	c = mxlab_server_config_new();
	assert_int_equal(set(c, "profile", "expired"), MXLAB_OK);
	assert_int_equal(mxlab_server_config_check(c, err, sizeof err), MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "profile: needs cert"));
	mxlab_server_config_free(c);
}

/* ---- in-process sessions ---- */

static int
connect_to(mxlab_server *srv)
{
	char addr[80];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd;

	assert_int_equal(mxlab_server_listener_address(srv, 0, addr, sizeof addr), MXLAB_OK);
	assert_int_equal(strncmp(addr, "127.0.0.1:", 10), 0);
	sin.sin_port = htons((unsigned short)atoi(addr + 10));
	inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr);
	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof sin), 0);
	return fd;
}

/* Read until the peer closes (bounded by SO_RCVTIMEO) into buf. */
static size_t
read_all(int fd, char *buf, size_t cap)
{
	struct timeval tv = { 5, 0 };
	size_t n = 0;
	ssize_t r;

	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	while (n + 1 < cap && (r = recv(fd, buf + n, cap - 1 - n, 0)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *b;
	long n;

	if (!fp)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	b = calloc(1, (size_t)n + 1);
	if (fread(b, 1, (size_t)n, fp) != (size_t)n) {
		free(b);
		b = NULL;
	}
	fclose(fp);
	*len = (size_t)n;
	return b;
}

static void
test_session_pipelined(void **state)
{
	char dir[] = "/tmp/mxlab-srv-XXXXXX", path[256], out[8192];
	mxlab_server_config *c = mxlab_server_config_new();
	mxlab_server *srv = NULL;
	struct mxlab_server_stats st;
	/* One write: a pipelined transaction with a stuffed dot line. */
	static const char in[] =
		"EHLO client.test\r\n"
		"MAIL FROM:<a@example.test> SIZE=100\r\n"
		"RCPT TO:<b@example.test>\r\n"
		"RCPT TO:<nobody@example.test>\r\n"
		"DATA\r\n"
		"Subject: t\r\n\r\n..leading dot\r\nlast line\r\n.\r\n"
		"QUIT\r\n";
	static const char want[] = "Subject: t\r\n\r\n.leading dot\r\nlast line\r\n";
	char *eml, *tr;
	size_t len;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/mb", dir);
	assert_int_equal(set(c, "mailbox", path), MXLAB_OK);
	snprintf(path, sizeof path, "%s/tr.jsonl", dir);
	assert_int_equal(set(c, "transcript", path), MXLAB_OK);
	assert_int_equal(set(c, "listen", "127.0.0.1:0"), MXLAB_OK);
	assert_int_equal(set(c, "hostname", "sink.test"), MXLAB_OK);
	assert_int_equal(mxlab_server_start(c, &srv, err, sizeof err), MXLAB_OK);
	mxlab_server_config_free(c);	/* the server keeps its own copy */

	fd = connect_to(srv);
	assert_int_equal(send(fd, in, sizeof in - 1, 0), (ssize_t)(sizeof in - 1));
	read_all(fd, out, sizeof out);
	close(fd);
	assert_int_equal(mxlab_server_wait_idle(srv, 5000), 1);
	assert_int_equal(mxlab_server_msg_log(srv, NULL, 0), 1);	/* recorded by now */
	assert_non_null(strstr(out, "220 sink.test ESMTP mxlab\r\n"));
	assert_non_null(strstr(out, "250-PIPELINING\r\n"));
	assert_null(strstr(out, "STARTTLS"));		/* no certificate: hidden */
	assert_non_null(strstr(out, "250 2.1.0 Ok\r\n"));
	assert_non_null(strstr(out, "354 End data"));
	assert_non_null(strstr(out, "250 2.0.0 Ok: queued as 000001\r\n"));
	assert_non_null(strstr(out, "221 2.0.0 Bye\r\n"));

	mxlab_server_stop(srv);
	mxlab_server_get_stats(srv, &st);
	assert_int_equal(st.connections, 1);
	assert_int_equal(st.messages, 1);
	assert_int_equal(st.active, 0);
	{
		struct mxlab_server_msg_info m[2];

		assert_int_equal(mxlab_server_msg_log(srv, m, 2), 1);
		assert_string_equal(m[0].from, "a@example.test");
		assert_string_equal(m[0].rcpt, "b@example.test");
		assert_int_equal(m[0].nrcpt, 2);
		assert_int_equal(m[0].size, sizeof want - 1);
		assert_string_equal(m[0].file, "000001");
		assert_int_equal(mxlab_server_tls_log(srv, NULL, 0), 0);
		assert_non_null(mxlab_server_mailbox(srv));
	}
	mxlab_server_free(srv);

	snprintf(path, sizeof path, "%s/mb/000001.eml", dir);
	eml = slurp(path, &len);
	assert_non_null(eml);
	assert_int_equal(len, sizeof want - 1);
	assert_memory_equal(eml, want, len);
	free(eml);
	snprintf(path, sizeof path, "%s/mb/000001.json", dir);
	eml = slurp(path, &len);
	assert_non_null(eml);
	assert_non_null(strstr(eml, "\"rcpt\":[\"b@example.test\",\"nobody@example.test\"]"));
	assert_non_null(strstr(eml, "\"helo\":\"client.test\""));
	free(eml);
	snprintf(path, sizeof path, "%s/tr.jsonl", dir);
	tr = slurp(path, &len);
	assert_non_null(tr);
	assert_non_null(strstr(tr, "\"event\":\"connect\""));
	assert_non_null(strstr(tr, "\"event\":\"message\",\"status\":\"accepted\""));
	assert_non_null(strstr(tr, "\"event\":\"close\",\"reason\":\"quit\",\"messages\":1"));
	free(tr);
}

static void
test_session_scripted(void **state)
{
	mxlab_server_config *c = mxlab_server_config_new();
	mxlab_server *srv = NULL;
	char out[8192];
	static const char in[] =
		"MAIL FROM:<a@b>\r\n"			/* before EHLO: 503 */
		"HELO x\r\n"
		"MAIL FROM:<a@b>\r\n"
		"RCPT TO:<c@d>\r\n"			/* scripted 550 */
		"DATA\r\n"				/* no recipient: 503 */
		"XYZZY\r\n"
		"STARTTLS\r\n"				/* no TLS here: 502 */
		"RSET\r\n";
	char longline[700];
	int fd;

	(void)state;
	assert_int_equal(set(c, "listen", "127.0.0.1:0"), MXLAB_OK);
	assert_int_equal(set(c, "rcpt", "550 5.1.1 no such user"), MXLAB_OK);
	assert_int_equal(set(c, "rset", "421 4.3.2 going away"), MXLAB_OK);
	assert_int_equal(mxlab_server_start(c, &srv, err, sizeof err), MXLAB_OK);
	fd = connect_to(srv);
	memset(longline, 'x', sizeof longline);
	memcpy(longline + sizeof longline - 2, "\r\n", 2);
	assert_int_equal(send(fd, longline, sizeof longline, 0), (ssize_t)sizeof longline);
	assert_int_equal(send(fd, in, sizeof in - 1, 0), (ssize_t)(sizeof in - 1));
	read_all(fd, out, sizeof out);		/* ends: 421 closes */
	close(fd);
	assert_non_null(strstr(out, "500 5.5.0 Error: line too long\r\n"));
	assert_non_null(strstr(out, "503 5.5.1 Error: send HELO/EHLO first\r\n"));
	assert_non_null(strstr(out, "550 5.1.1 no such user\r\n"));
	assert_non_null(strstr(out, "503 5.5.1 Error: need RCPT command\r\n"));
	assert_non_null(strstr(out, "502 5.5.2 Error: command not recognized\r\n"));
	assert_non_null(strstr(out, "502 5.5.1 Error: command not implemented\r\n"));
	assert_non_null(strstr(out, "421 4.3.2 going away\r\n"));
	mxlab_server_free(srv);
	mxlab_server_config_free(c);
}

static void
test_start_errors(void **state)
{
	mxlab_server_config *c = mxlab_server_config_new();
	mxlab_server *srv = NULL, *srv2 = NULL;
	char addr[80];

	(void)state;
	/* A PKI host that is not there is named. */
	assert_int_equal(set(c, "pki", "/nonexistent/pki"), MXLAB_OK);
	assert_int_equal(set(c, "cert", "mx.example.test"), MXLAB_OK);
	assert_int_equal(mxlab_server_start(c, &srv, err, sizeof err), MXLAB_ERR_USAGE);
	assert_null(srv);
	assert_non_null(strstr(err, "mx.example.test: no such PKI host/profile"));
	mxlab_server_config_free(c);

	/* A port in use is named. */
	c = mxlab_server_config_new();
	assert_int_equal(set(c, "listen", "127.0.0.1:0"), MXLAB_OK);
	assert_int_equal(mxlab_server_start(c, &srv, err, sizeof err), MXLAB_OK);
	mxlab_server_config_free(c);
	mxlab_server_listener_address(srv, 0, addr, sizeof addr);
	c = mxlab_server_config_new();
	assert_int_equal(set(c, "listen", addr), MXLAB_OK);
	assert_int_equal(mxlab_server_start(c, &srv2, err, sizeof err), MXLAB_ERR_IO);
	assert_non_null(strstr(err, "listen: '"));
	assert_non_null(strstr(err, "Address already in use"));
	assert_int_equal(mxlab_server_listener_address(srv, 5, addr, sizeof addr), MXLAB_ERR_USAGE);
	mxlab_server_stop(srv);
	mxlab_server_stop(srv);		/* twice is fine */
	mxlab_server_free(srv);
	mxlab_server_free(NULL);
	mxlab_server_config_free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_reply_table),
		cmocka_unit_test(test_bad_values),
		cmocka_unit_test(test_good_values),
		cmocka_unit_test(test_keys_table),
		cmocka_unit_test(test_checks),
		cmocka_unit_test(test_session_pipelined),
		cmocka_unit_test(test_session_scripted),
		cmocka_unit_test(test_start_errors),
	};

	return cmocka_run_group_tests_name("server_config", tests, NULL, NULL);
}
