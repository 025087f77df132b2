/*
 * examples/embed/embed.c: libmxlab embedded in a test of your own.
 *
 * A cmocka test that uses only the installed public API (<mxlab/mxlab.h>,
 * found through `pkg-config libmxlab`):
 *   1. mxlab_pki_generate() writes a test PKI into a temporary directory;
 *   2. a fake SMTP server runs in this process on an ephemeral loopback
 *      port (listen 127.0.0.1:0; mxlab_server_listener_address() says
 *      which port it got), serving the leaf of mx.example.test alone;
 *   3. the fake client connects with STARTTLS, trusts the PKI's root and
 *      stops after the handshake: verification fails with
 *      untrusted-issuer, and the server presented 1 certificate;
 *   4. the same with the full chain (leaf + intermediate) verifies.
 * Build and run: see README.md in this directory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <mxlab/mxlab.h>

#define HOST "mx.example.test"

struct fixture {
	char dir[64];			/* the PKI */
};

static int setup(void **state)
{
	static struct fixture f;
	const char *hosts[] = { HOST ",127.0.0.1" };
	struct mxlab_pki_options opt = { 0 };
	char err[256];

	snprintf(f.dir, sizeof f.dir, "/tmp/mxlab-embed.XXXXXX");
	if (!mkdtemp(f.dir))
		return -1;
	opt.dir = f.dir;
	opt.hosts = hosts;
	opt.nhosts = 1;
	opt.key_type = MXLAB_PKI_KEY_EC_P256;
	if (mxlab_pki_generate(&opt, err, sizeof err) != MXLAB_OK) {
		fprintf(stderr, "mxlab_pki_generate: %s\n", err);
		return -1;
	}
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char cmd[128];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void set_server(mxlab_server_config *cfg, const char *key, const char *value)
{
	char err[256] = "";

	if (mxlab_server_config_set(cfg, key, value, err, sizeof err) != MXLAB_OK)
		fail_msg("server %s = %s: %s", key, value, err);
}

static void set_client(mxlab_client_config *cfg, const char *key, const char *value)
{
	char err[256] = "";

	if (mxlab_client_config_set(cfg, key, value, err, sizeof err) != MXLAB_OK)
		fail_msg("client %s = %s: %s", key, value, err);
}

/* Serve the PKI's host with CHAIN ("full" or "leaf-only") and run one
 * client session against it into res. */
static void session(const struct fixture *f, const char *chain,
		    struct mxlab_client_result *res)
{
	mxlab_server_config *scfg = mxlab_server_config_new();
	mxlab_client_config *ccfg = mxlab_client_config_new();
	mxlab_server *srv = NULL;
	char addr[64], err[256] = "";

	assert_non_null(scfg);
	assert_non_null(ccfg);
	set_server(scfg, "listen", "127.0.0.1:0");
	set_server(scfg, "pki", f->dir);
	set_server(scfg, "cert", HOST);
	set_server(scfg, "chain", chain);
	set_server(scfg, "starttls", "offer");
	if (mxlab_server_start(scfg, &srv, err, sizeof err) != MXLAB_OK)
		fail_msg("mxlab_server_start: %s", err);
	assert_int_equal(mxlab_server_listener_count(srv), 1);
	assert_int_equal(mxlab_server_listener_address(srv, 0, addr, sizeof addr),
			 MXLAB_OK);

	set_client(ccfg, "connect", addr);		/* 127.0.0.1:PORT */
	set_client(ccfg, "pki", f->dir);		/* trust DIR/ca/root.crt */
	set_client(ccfg, "tls", "starttls");
	set_client(ccfg, "sni", HOST);
	set_client(ccfg, "verify-name", HOST);
	set_client(ccfg, "stop-after", "tls");
	memset(res, 0, sizeof *res);
	if (mxlab_client_run(ccfg, res, err, sizeof err) != MXLAB_OK)
		fail_msg("mxlab_client_run: %s", err);

	mxlab_server_wait_idle(srv, 5000);
	mxlab_server_free(srv);
	mxlab_server_config_free(scfg);
	mxlab_client_config_free(ccfg);
}

/* The leaf alone: the client cannot reach the root. */
static void test_leaf_only_is_untrusted(void **state)
{
	struct mxlab_client_result *res = calloc(1, sizeof *res);

	assert_non_null(res);
	session(*state, "leaf-only", res);
	assert_true(res->tls);			/* the handshake itself completed */
	assert_false(res->verified);
	assert_true(res->verify_reasons & MXLAB_VR_UNTRUSTED);
	assert_string_equal(mxlab_client_reason_name(MXLAB_VR_UNTRUSTED),
			    "untrusted-issuer");
	assert_non_null(strstr(res->verify_text, "untrusted-issuer"));
	assert_int_equal(res->nchain, 1);
	free(res);
}

/* The full chain: leaf + intermediate, verified against the root. */
static void test_full_chain_verifies(void **state)
{
	struct mxlab_client_result *res = calloc(1, sizeof *res);

	assert_non_null(res);
	session(*state, "full", res);
	assert_true(res->tls);
	assert_true(res->verified);
	assert_int_equal(res->verify_reasons, 0);
	assert_int_equal(res->nchain, 2);
	assert_int_equal(res->failed_stage, MXLAB_CS_DONE);
	free(res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_leaf_only_is_untrusted),
		cmocka_unit_test(test_full_chain_verifies),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
