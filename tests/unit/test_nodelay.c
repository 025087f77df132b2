/*
 * test_nodelay.c: no Nagle stall in a TLS handshake (issue 10).
 *
 * mbedTLS sends each handshake message with its own send(); with Nagle on,
 * the second message of a flight waits for the peer's delayed ACK, up to
 * 40 ms a flight. Two checks, neither racing a clock:
 * - TCP_NODELAY read back with getsockopt on the socket the server
 *   accepted and on the socket the client connected. Both live in this
 *   process: the test connects (or listens) with a plain socket of its own
 *   and finds the library's end of that connection among its fds by
 *   address. The test's own socket, left alone, must read 0.
 * - 20 STARTTLS sessions between the in-process client and server: the
 *   median of (wall time - CPU time of the process) per session, the time
 *   nobody was computing, stays under 20 ms. A stall costs 40 ms; a slow
 *   or instrumented build costs CPU time, which is subtracted.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include "mxlab/mxlab.h"

#define SESSIONS 20

static char err[1024];
static char pki[256];

static int
nodelay_of(int fd)
{
	int on = -1;
	socklen_t l = sizeof on;

	assert_int_equal(getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, &l), 0);
	return on != 0;
}

static int
same_addr(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
	return a->sin_family == AF_INET && b->sin_family == AF_INET &&
	       a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
}

/* The fd of this process whose local address is local and whose peer is
 * peer: the other end of a loopback connection. -1 if none. */
static int
fd_of(const struct sockaddr_in *local, const struct sockaddr_in *peer)
{
	for (int fd = 3; fd < 4096; fd++) {
		struct sockaddr_in l, p;
		socklen_t ll = sizeof l, pl = sizeof p;

		if (getsockname(fd, (struct sockaddr *)&l, &ll) == 0 && ll == sizeof l &&
		    getpeername(fd, (struct sockaddr *)&p, &pl) == 0 && pl == sizeof p &&
		    same_addr(&l, local) && same_addr(&p, peer))
			return fd;
	}
	return -1;
}

static mxlab_server *
serve(char *addr, size_t alen)
{
	mxlab_server_config *c = mxlab_server_config_new();
	mxlab_server *srv = NULL;

	assert_non_null(c);
	assert_int_equal(mxlab_server_config_set(c, "listen", "127.0.0.1:0", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_server_config_set(c, "pki", pki, err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_server_config_set(c, "cert", "mx.example.test", err, sizeof err), MXLAB_OK);
	if (mxlab_server_start(c, &srv, err, sizeof err) != MXLAB_OK)
		fail_msg("server start: %s", err);
	mxlab_server_listener_address(srv, 0, addr, alen);
	mxlab_server_config_free(c);
	return srv;
}

static void
loopback(struct sockaddr_in *sa, const char *addr)
{
	memset(sa, 0, sizeof *sa);
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sa->sin_port = htons((uint16_t)atoi(strrchr(addr, ':') + 1));
}

/* The server's accepted socket has TCP_NODELAY. */
static void
test_server_end(void **state)
{
	char addr[64];
	mxlab_server *srv = serve(addr, sizeof addr);
	struct sockaddr_in to, me;
	socklen_t ml = sizeof me;
	struct pollfd p;
	int fd, theirs;

	(void)state;
	loopback(&to, addr);
	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&to, sizeof to), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&me, &ml), 0);
	/* The greeting: the server has accepted and set its socket up. */
	p = (struct pollfd){ .fd = fd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	theirs = fd_of(&to, &me);
	assert_true(theirs >= 0);
	assert_false(nodelay_of(fd));	/* the check can tell */
	assert_true(nodelay_of(theirs));
	close(fd);
	mxlab_server_free(srv);
}

struct client_run {
	char addr[64];
	struct mxlab_client_result res;
	mxlab_err rc;
};

static void *
client_main(void *arg)
{
	struct client_run *cr = arg;
	mxlab_client_config *c = mxlab_client_config_new();
	char e[300];

	if (!c) {
		cr->rc = MXLAB_ERR_NOMEM;
		return NULL;
	}
	cr->rc = mxlab_client_config_set(c, "connect", cr->addr, e, sizeof e);
	if (cr->rc == MXLAB_OK)
		cr->rc = mxlab_client_config_set(c, "timeout", "5s", e, sizeof e);
	if (cr->rc == MXLAB_OK)
		cr->rc = mxlab_client_run(c, &cr->res, e, sizeof e);
	mxlab_client_config_free(c);
	return NULL;
}

/* The client's connected socket has TCP_NODELAY. */
static void
test_client_end(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET }, peer;
	socklen_t sl = sizeof sa, pl = sizeof peer;
	struct client_run cr = { .rc = MXLAB_OK };
	static const char bye[] = "421 test done\r\n";
	struct pollfd p;
	pthread_t t;
	int lfd, fd, theirs;

	(void)state;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_true((lfd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(lfd, 1), 0);
	assert_int_equal(getsockname(lfd, (struct sockaddr *)&sa, &sl), 0);
	snprintf(cr.addr, sizeof cr.addr, "127.0.0.1:%u", ntohs(sa.sin_port));
	assert_int_equal(pthread_create(&t, NULL, client_main, &cr), 0);
	p = (struct pollfd){ .fd = lfd, .events = POLLIN };
	assert_int_equal(poll(&p, 1, 5000), 1);
	assert_true((fd = accept(lfd, (struct sockaddr *)&peer, &pl)) >= 0);
	/* The client sets its socket up before connect: it is ready now. */
	theirs = fd_of(&peer, &sa);
	assert_true(theirs >= 0);
	assert_false(nodelay_of(fd));
	assert_true(nodelay_of(theirs));
	assert_int_equal(send(fd, bye, sizeof bye - 1, MSG_NOSIGNAL), (ssize_t)(sizeof bye - 1));
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(cr.rc, MXLAB_OK);
	assert_int_equal(cr.res.failed_stage, MXLAB_CS_GREETING);
	close(fd);
	close(lfd);
}

static double
ms_of(clockid_t id)
{
	struct timespec ts;

	assert_int_equal(clock_gettime(id, &ts), 0);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* STARTTLS sessions spend their time computing, not waiting for ACKs. */
static void
test_no_stall(void **state)
{
	char addr[64], e[300];
	mxlab_server *srv = serve(addr, sizeof addr);
	mxlab_client_config *c = mxlab_client_config_new();
	double idle[SESSIONS];

	(void)state;
	assert_non_null(c);
	assert_int_equal(mxlab_client_config_set(c, "connect", addr, e, sizeof e), MXLAB_OK);
	assert_int_equal(mxlab_client_config_set(c, "pki", pki, e, sizeof e), MXLAB_OK);
	assert_int_equal(mxlab_client_config_set(c, "verify-name", "mx.example.test", e, sizeof e), MXLAB_OK);
	assert_int_equal(mxlab_client_config_set(c, "tls", "starttls", e, sizeof e), MXLAB_OK);
	assert_int_equal(mxlab_client_config_set(c, "stop-after", "ehlo-tls", e, sizeof e), MXLAB_OK);
	for (int i = 0; i < SESSIONS; i++) {
		struct mxlab_client_result r;
		double w0 = ms_of(CLOCK_MONOTONIC), c0 = ms_of(CLOCK_PROCESS_CPUTIME_ID);

		if (mxlab_client_run(c, &r, e, sizeof e) != MXLAB_OK)
			fail_msg("client run: %s", e);
		if (r.failed_stage != MXLAB_CS_DONE || !r.tls || !r.verified)
			fail_msg("session %d: %s", i, r.error);
		idle[i] = (ms_of(CLOCK_MONOTONIC) - w0) - (ms_of(CLOCK_PROCESS_CPUTIME_ID) - c0);
	}
	qsort(idle, SESSIONS, sizeof *idle, cmp_double);
	print_message("idle ms a session: min %.1f median %.1f max %.1f\n",
		      idle[0], idle[SESSIONS / 2], idle[SESSIONS - 1]);
	if (idle[SESSIONS / 2] >= 20)
		fail_msg("median idle %.1f ms a STARTTLS session: a Nagle stall is back",
			 idle[SESSIONS / 2]);
	mxlab_client_config_free(c);
	mxlab_server_free(srv);
}

static int
setup_pki(void **state)
{
	const char *hosts[] = { "mx.example.test,127.0.0.1" };
	struct mxlab_pki_options o = { .hosts = hosts, .nhosts = 1 };

	(void)state;
	snprintf(pki, sizeof pki, "/tmp/mxlab-nodelay-pki.XXXXXX");
	if (!mkdtemp(pki))
		return -1;
	o.dir = pki;
	return mxlab_pki_generate(&o, err, sizeof err) == MXLAB_OK ? 0 : -1;
}

static int
teardown_pki(void **state)
{
	char cmd[300];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", pki);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_server_end),
		cmocka_unit_test(test_client_end),
		cmocka_unit_test(test_no_stall),
	};

	return cmocka_run_group_tests_name("nodelay", tests, setup_pki, teardown_pki);
}
