/*
 * test_cfgval.c: the one DURATION grammar and the one BYTES grammar
 * (cfgval.h), seen through every door: sc_duration_parse and
 * sc_size_parse (the scenario reader's), the server's and the client's
 * keys (mxlab serve, mxlab send, [server NAME], [client NAME]) and a
 * scenario's [scenario] timeout and [send] size. Boundaries: 0, the
 * largest value that fits, one more, numbers past 2^64, and what is no
 * number at all (signs, spaces, exponents, other units, trailing junk).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mxlab/mxlab.h"
#include "client_int.h"
#include "scenario.h"
#include "server_int.h"

static char e[512];

/* v is a DURATION of ms milliseconds. */
static void
dur_ok(const char *v, unsigned ms)
{
	unsigned got = 12345;

	e[0] = '\0';
	if (sc_duration_parse(v, &got, e, sizeof e) != 0)
		fail_msg("duration '%s' refused: %s", v, e);
	if (got != ms)
		fail_msg("duration '%s': got %u ms, want %u", v, got, ms);
}

/* v is refused, the reason names it and holds part. */
static void
dur_bad(const char *v, const char *part)
{
	unsigned got = 12345;
	char quoted[300];

	e[0] = '\0';
	if (sc_duration_parse(v, &got, e, sizeof e) != -1)
		fail_msg("duration '%s' accepted as %u ms", v, got);
	snprintf(quoted, sizeof quoted, "'%s'", v);
	if (!strstr(e, quoted) || !strstr(e, part))
		fail_msg("duration '%s': got '%s', want %s and '%s'", v, e, quoted, part);
	assert_int_equal(got, 12345);
}

static void
size_ok(const char *v, size_t n)
{
	size_t got = 12345;

	e[0] = '\0';
	if (sc_size_parse(v, &got, e, sizeof e) != 0)
		fail_msg("size '%s' refused: %s", v, e);
	if (got != n)
		fail_msg("size '%s': got %zu, want %zu", v, got, n);
}

static void
size_bad(const char *v, const char *part)
{
	size_t got = 12345;
	char quoted[300];

	e[0] = '\0';
	if (sc_size_parse(v, &got, e, sizeof e) != -1)
		fail_msg("size '%s' accepted as %zu", v, got);
	snprintf(quoted, sizeof quoted, "'%s'", v);
	if (!strstr(e, quoted) || !strstr(e, part))
		fail_msg("size '%s': got '%s', want %s and '%s'", v, e, quoted, part);
	assert_int_equal(got, 12345);
}

static void
test_duration(void **state)
{
	(void)state;
	dur_ok("0", 0);
	dur_ok("0s", 0);
	dur_ok("0ms", 0);
	dur_ok("7", 7000);		/* a bare number is seconds */
	dur_ok("250ms", 250);
	dur_ok("20s", 20000);
	dur_ok("2m", 120000);
	dur_ok("1.5s", 1500);
	dur_ok("0.5m", 30000);
	dur_ok("1.5", 1500);
	dur_ok("0.25", 250);
	dur_ok("1.4ms", 1);		/* rounded to the nearest millisecond */
	dur_ok("1.5ms", 2);		/* half up */
	dur_ok("0.0004s", 0);
	dur_ok("0.0005s", 1);
	dur_ok("0.000000001m", 0);	/* 9 digits after the point */
	dur_ok("007s", 7000);
	/* the largest that fits in the unsigned milliseconds, and one more */
	dur_ok("4294967295ms", UINT_MAX);
	dur_bad("4294967296ms", "too long");
	dur_ok("4294967.295s", UINT_MAX);
	dur_bad("4294967.2955s", "too long");	/* rounds up past the top */
	dur_bad("4294968s", "too long");
	dur_ok("71582m", 71582U * 60000U);
	dur_bad("71583m", "too long");
	dur_bad("18446744073709551616", "too long");	/* 2^64 */
	dur_bad("18446744073709551617ms", "too long");
	dur_bad("99999999999999999999999999999m", "too long");
	/* what is not the grammar */
	dur_bad("", "bad duration");
	dur_bad("-1s", "bad duration");
	dur_bad("+1s", "bad duration");
	dur_bad("1e3s", "bad duration");
	dur_bad("1e3", "bad duration");
	dur_bad("0x10s", "bad duration");
	dur_bad(" 5s", "bad duration");
	dur_bad("5 s", "bad duration");
	dur_bad("5s ", "bad duration");
	dur_bad("5x", "bad duration");
	dur_bad("5S", "bad duration");
	dur_bad("1h", "bad duration");
	dur_bad("5sec", "bad duration");
	dur_bad(".5s", "bad duration");
	dur_bad("1.s", "bad duration");
	dur_bad("1..5s", "bad duration");
	dur_bad("1.5.5s", "bad duration");
	dur_bad("1,5s", "bad duration");
	dur_bad("inf", "bad duration");
	dur_bad("nan", "bad duration");
	dur_bad("1.0000000001s", "at most 9 digits after the point");
}

static void
test_bytes(void **state)
{
	char max[32], over[32];

	(void)state;
	size_ok("0", 0);
	size_ok("2000", 2000);
	size_ok("64k", 65536);
	size_ok("64K", 65536);
	size_ok("2m", 2u << 20);
	size_ok("2M", 2u << 20);
	size_ok("1g", 1u << 30);
	size_ok("1G", 1u << 30);
	size_ok("0G", 0);
	/* the largest that fits in a size_t, and one more */
	snprintf(max, sizeof max, "%zu", (size_t)SIZE_MAX);
	size_ok(max, SIZE_MAX);
	if (SIZE_MAX == UINT64_MAX) {
		snprintf(over, sizeof over, "18446744073709551616");
		size_bad(over, "too large");
		size_ok("17179869183G", (size_t)17179869183ULL << 30);
		size_bad("17179869184G", "too large");	/* 2^64 */
		size_bad("17179869185G", "too large");	/* would wrap to 1G */
		size_ok("18014398509481983k", (size_t)18014398509481983ULL << 10);
		size_bad("18014398509481984k", "too large");
		size_bad("17592186044416M", "too large");
	}
	size_bad("99999999999999999999999999", "too large");
	/* no fraction, sign, space or other unit */
	size_bad("", "bad size");
	size_bad("1.5k", "bad size");
	size_bad("-1", "bad size");
	size_bad("+1", "bad size");
	size_bad(" 5", "bad size");
	size_bad("5 k", "bad size");
	size_bad("5k ", "bad size");
	size_bad("5x", "bad size");
	size_bad("1kb", "bad size");
	size_bad("1KiB", "bad size");
	size_bad("1T", "bad size");
	size_bad("1e3", "bad size");
	size_bad("0x10", "bad size");
}

static char err[1024];

static void
server_ok(mxlab_server_config *c, const char *k, const char *v)
{
	err[0] = '\0';
	if (mxlab_server_config_set(c, k, v, err, sizeof err) != MXLAB_OK)
		fail_msg("[server] %s = %s refused: %s", k, v, err);
}

static void
server_bad(const char *k, const char *v, const char *part)
{
	mxlab_server_config *c = mxlab_server_config_new();

	err[0] = '\0';
	if (mxlab_server_config_set(c, k, v, err, sizeof err) != MXLAB_ERR_USAGE)
		fail_msg("[server] %s = %s accepted", k, v);
	if (!strstr(err, part))
		fail_msg("[server] %s = %s: got '%s', want '%s'", k, v, err, part);
	mxlab_server_config_free(c);
}

/* The peers' keys: the same grammar, their own bounds (a day for
 * durations; size, max-line). */
static void
test_server_keys(void **state)
{
	mxlab_server_config *c = mxlab_server_config_new();

	(void)state;
	server_ok(c, "timeout", "1.5s");
	assert_int_equal(c->timeout_ms, 1500);
	server_ok(c, "session-timeout", "0.5m");
	assert_int_equal(c->session_timeout_ms, 30000);
	server_ok(c, "rcpt-delay", "250ms");
	assert_int_equal(c->rules[MX_STAGE_RCPT].delay_ms, 250);
	server_ok(c, "rcpt-delay", "0");
	assert_int_equal(c->rules[MX_STAGE_RCPT].delay_ms, 0);
	server_ok(c, "timeout", "1440m");		/* a day */
	assert_int_equal(c->timeout_ms, 86400000);
	server_ok(c, "timeout", "86400000ms");
	server_ok(c, "size", "1G");
	assert_int_equal(c->size, (size_t)1 << 30);
	server_ok(c, "size", "1");
	server_ok(c, "max-line", "64");
	server_ok(c, "max-line", "64k");
	assert_int_equal(c->max_line, 65536);
	mxlab_server_config_free(c);

	server_bad("timeout", "86400001ms", "timeout: bad value '86400001ms'");
	server_bad("timeout", "1440.001m", "out of range");
	server_bad("timeout", "0", "timeout: bad value '0'");
	server_bad("timeout", "0.0004s", "timeout: bad value '0.0004s'");	/* 0 ms */
	server_bad("rcpt-delay", "1e3s", "rcpt-delay: bad duration '1e3s'");
	server_bad("rcpt-delay", "-1s", "rcpt-delay: bad duration '-1s'");
	server_bad("timeout", "0x10s", "timeout: bad duration '0x10s'");
	server_bad("timeout", " 5s", "timeout: bad duration ' 5s'");
	server_bad("timeout", "5 s", "timeout: bad duration '5 s'");
	server_bad("timeout", "5x", "timeout: bad duration '5x'");
	server_bad("timeout", "18446744073709551616", "timeout: duration '18446744073709551616' is too long");
	server_bad("size", "17179869185G", "size: size '17179869185G' is too large");
	server_bad("size", "18446744073709551616", "size: size '18446744073709551616' is too large");
	server_bad("size", "1025M", "size: bad value '1025M' (from 1 to 1073741824)");
	server_bad("size", "0", "size: bad value '0' (from 1 to 1073741824)");
	server_bad("size", "1.5M", "size: bad size '1.5M'");
	server_bad("size", "-5", "size: bad size '-5'");
	server_bad("max-line", "63", "max-line: bad value '63' (from 64 to 65536)");
	server_bad("max-line", "65537", "max-line: bad value '65537' (from 64 to 65536)");
	server_bad("max-connections", "1k", "max-connections: bad value '1k' (from 1 to 100000)");
	server_bad("max-connections", "100001", "max-connections: bad value '100001'");
	server_bad("max-connections", "18446744073709551617", "max-connections: bad value");
}

static void
test_client_keys(void **state)
{
	mxlab_client_config *c = mxlab_client_config_new();

	(void)state;
	err[0] = '\0';
	assert_int_equal(mxlab_client_config_set(c, "timeout", "1.5s", err, sizeof err), MXLAB_OK);
	assert_int_equal(c->timeout_ms, 1500);
	assert_int_equal(mxlab_client_config_set(c, "session-timeout", "0.5m", err, sizeof err),
			 MXLAB_OK);
	assert_int_equal(c->session_timeout_ms, 30000);
	assert_int_equal(mxlab_client_config_set(c, "timeout", "1e3s", err, sizeof err),
			 MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "timeout: bad duration '1e3s'"));
	assert_int_equal(mxlab_client_config_set(c, "timeout", "4294967296ms", err, sizeof err),
			 MXLAB_ERR_USAGE);
	assert_non_null(strstr(err, "timeout: duration '4294967296ms' is too long"));
	assert_int_equal(c->timeout_ms, 1500);
	mxlab_client_config_free(c);
}

static struct scenario *
load(const char *text, struct sc_errors *errs)
{
	memset(errs, 0, sizeof *errs);
	return sc_load_mem("/nonexistent/t.scn", text, strlen(text), errs);
}

/* A scenario reads the same grammar in its own sections and in the
 * peers' ones: 1.5s is as good in [scenario] as in [server]. */
static void
test_scenario(void **state)
{
	struct sc_errors errs;
	struct scenario *sc;

	(void)state;
	sc = load("[scenario]\nsummary = s\ntimeout = 1.5s\n"
		  "[server mx]\nlisten = 127.0.0.1:0\ntimeout = 1.5s\nrcpt-delay = 0.25\n", &errs);
	if (!sc)
		fail_msg("refused: %s", errs.n ? errs.msg[0] : "?");
	assert_int_equal(sc->timeout_ms, 1500);
	sc_free(sc);
	sc_errors_free(&errs);

	sc = load("[scenario]\nsummary = s\ntimeout = 1e3s\n", &errs);
	assert_null(sc);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], ":3: timeout: bad duration '1e3s'"));
	sc_errors_free(&errs);

	sc = load("[scenario]\nsummary = s\n[server mx]\nlisten = 127.0.0.1:0\n"
		  "rcpt-delay = 1e3s\n", &errs);
	assert_null(sc);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], ":5: rcpt-delay: bad duration '1e3s'"));
	sc_errors_free(&errs);

	sc = load("[scenario]\nsummary = s\n[send]\nto = b@x.test\nsize = 17179869185G\n"
		  "[expect]\nstatus = sent\n", &errs);
	assert_null(sc);
	assert_int_equal(errs.n, 1);
	assert_non_null(strstr(errs.msg[0], ":5: size: size '17179869185G' is too large"));
	sc_errors_free(&errs);
}

/* The key tables are asked for from threads at once (the library serves
 * and runs scenarios on threads): each sees the whole table. Run under
 * -Db_sanitize=thread to see the old unsynchronised first copy race. */
static void *
ask_keys(void *arg)
{
	size_t n = 0;

	(void)arg;
	for (const struct mxlab_server_key *k = mxlab_server_keys(); k->key; k++)
		n++;
	for (const struct mxlab_client_key *k = mxlab_client_keys(); k->key; k++)
		n++;
	return (void *)n;
}

static void
test_key_tables_threads(void **state)
{
	pthread_t t[8];
	void *n[8];

	(void)state;
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_create(&t[i], NULL, ask_keys, NULL), 0);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pthread_join(t[i], &n[i]), 0);
	for (int i = 1; i < 8; i++)
		assert_ptr_equal(n[i], n[0]);
	assert_true((size_t)n[0] > 40);
	assert_string_equal(mxlab_server_keys()[0].key, "listen");
	assert_string_equal(mxlab_client_keys()[0].key, "connect");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_server_keys),
		cmocka_unit_test(test_client_keys),
		cmocka_unit_test(test_scenario),
		cmocka_unit_test(test_key_tables_threads),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
