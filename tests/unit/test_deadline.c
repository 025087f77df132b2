/*
 * test_deadline.c: timeouts are deadlines, not read timeouts.
 *
 * - netio: mx_sock_recv under a deadline gives up when the deadline
 *   passes however the peer drips its bytes; the limit is the nearer bound
 *   when it comes first, and timed_out says which; a deadline already past
 *   fails at once; mx_sock_left_ms.
 * - the client against in-process peers dripping a line (or a byte) every
 *   100 ms: the greeting and the EHLO reply fail as wholes within the
 *   timeout, naming the stage; session-timeout bounds a session of
 *   prompt stages; a server that stops reading the message costs the
 *   timeout per started MiB, then "dot: message not sent within N ms".
 * - the server (mxlab_server_start): a client trickling a command line a
 *   byte every 100 ms gets 421 4.4.2 ... timeout after the line timeout and
 *   its connection is closed and counted off (active back to 0); a client
 *   busy with NOOPs gets 421 ... session timeout after session-timeout.
 * Bounds are generous: "well under what the old per-read timeout allowed".
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
#include <sys/socket.h>

#include "mxlab/mxlab.h"
#include "netio.h"

static char err[1024];

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
nap_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/* ---------------------------------------------------------------- drip */

/* A peer writing data one piece at a time, every step_ms, until it has
 * written it all or the other side is gone. */
struct drip {
	int fd;
	const char *first;	/* sent at once (NULL: nothing) */
	const char *data;
	size_t piece;		/* bytes per step; 0: a line per step */
	unsigned step_ms;
	int read_first;		/* read one line (the EHLO) before dripping */
};

static void *
drip_main(void *arg)
{
	struct drip *d = arg;
	const char *p = d->data;
	char buf[512];

	if (d->first)
		(void)!send(d->fd, d->first, strlen(d->first), MSG_NOSIGNAL);
	if (d->read_first)
		(void)!recv(d->fd, buf, sizeof buf, 0);
	while (*p) {
		size_t n = d->piece;

		if (!n) {
			const char *nl = strchr(p, '\n');

			n = nl ? (size_t)(nl - p) + 1 : strlen(p);
		}
		if (n > strlen(p))
			n = strlen(p);
		if (send(d->fd, p, n, MSG_NOSIGNAL) < 0)
			break;
		p += n;
		nap_ms(d->step_ms);
	}
	return NULL;
}

/* 100 lines "CODE-drip N" and a last "CODE end". */
static char *
many_lines(int code)
{
	char *s = malloc(100 * 20 + 20), *p = s;

	for (int i = 0; i < 100; i++)
		p += sprintf(p, "%d-drip %d\r\n", code, i);
	sprintf(p, "%d end\r\n", code);
	return s;
}

/* ---------------------------------------------------------------- netio */

static void
test_sock_deadline(void **state)
{
	int sv[2];
	struct drip d = { .data = "0123456789abcdefghijklmnopqrstuvwxyz", .piece = 1,
			  .step_ms = 50 };
	struct mx_sock s = { 0 };
	unsigned char buf[64];
	pthread_t th;
	long long t0;
	int n, got = 0;

	(void)state;
	assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	d.fd = sv[1];
	s.fd = sv[0];
	assert_int_equal(mx_sock_left_ms(&s), -1);
	pthread_create(&th, NULL, drip_main, &d);
	t0 = now_ms();
	mx_sock_deadline_in(&s, 400);
	assert_true(mx_sock_left_ms(&s) > 300 && mx_sock_left_ms(&s) <= 400);
	while ((n = mx_sock_recv(&s, buf, sizeof buf)) > 0)
		got += n;
	assert_int_equal(n, MX_SOCK_ERR_TIMEOUT);
	assert_int_equal(s.timed_out, MX_SOCK_TO_DEADLINE);
	assert_true(got >= 3);			/* it was dripping all along */
	assert_true(now_ms() - t0 >= 390 && now_ms() - t0 < 1500);
	assert_int_equal(mx_sock_left_ms(&s), 0);
	/* past: fails at once, nothing read */
	t0 = now_ms();
	assert_int_equal(mx_sock_recv(&s, buf, sizeof buf), MX_SOCK_ERR_TIMEOUT);
	assert_true(now_ms() - t0 < 50);
	/* the limit comes first: it is the one reported */
	mx_sock_deadline_in(&s, 5000);
	s.limit = now_ms() + 200;
	while ((n = mx_sock_recv(&s, buf, sizeof buf)) > 0)
		;
	assert_int_equal(n, MX_SOCK_ERR_TIMEOUT);
	assert_int_equal(s.timed_out, MX_SOCK_TO_LIMIT);
	/* a new unit clears the verdict; no bounds at all: -1 */
	s.limit = 0;
	mx_sock_deadline_in(&s, 0);
	assert_int_equal(s.timed_out, MX_SOCK_TO_NONE);
	assert_int_equal(mx_sock_left_ms(&s), -1);
	close(sv[0]);
	pthread_join(th, NULL);
	close(sv[1]);
}

/* ---------------------------------------------------------------- client */

struct peer {
	int lfd;
	struct drip d;
};

static void *
peer_main(void *arg)
{
	struct peer *p = arg;

	p->d.fd = accept(p->lfd, NULL, NULL);
	if (p->d.fd >= 0) {
		drip_main(&p->d);
		close(p->d.fd);
	}
	return NULL;
}

/* Run the client (kv pairs, NULL-terminated) against a dripping peer;
 * returns the milliseconds it took. */
static long long
client_vs(struct drip d, const char *const *kv, struct mxlab_client_result *r)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	struct peer p = { .d = d };
	mxlab_client_config *c = mxlab_client_config_new();
	char addr[64];
	pthread_t th;
	long long t0;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(p.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(p.lfd, 4), 0);
	getsockname(p.lfd, (struct sockaddr *)&sa, &sl);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
	pthread_create(&th, NULL, peer_main, &p);
	assert_int_equal(mxlab_client_config_set(c, "connect", addr, err, sizeof err), MXLAB_OK);
	for (; kv[0]; kv += 2)
		if (mxlab_client_config_set(c, kv[0], kv[1], err, sizeof err) != MXLAB_OK)
			fail_msg("client %s %s: %s", kv[0], kv[1], err);
	t0 = now_ms();
	assert_int_equal(mxlab_client_run(c, r, err, sizeof err), MXLAB_OK);
	t0 = now_ms() - t0;
	mxlab_client_config_free(c);
	shutdown(p.d.fd, SHUT_RDWR);	/* the dripper stops at its next send */
	pthread_join(th, NULL);
	close(p.lfd);
	return t0;
}

static void
expect_fail(const struct mxlab_client_result *r, enum mxlab_client_stage st, const char *error)
{
	if (r->failed_stage != st || strcmp(r->error, error) != 0)
		fail_msg("stopped at %s (%s), want %s (%s)", mxlab_client_stage_name(r->failed_stage),
			 r->error, mxlab_client_stage_name(st), error);
}

static void
test_client_dripped_replies(void **state)
{
	struct mxlab_client_result *r = calloc(1, sizeof *r);
	char *greet = many_lines(220), *ehlo = many_lines(250);
	long long ms;

	(void)state;
	/* a multi-line greeting, a line every 100 ms: 10 s in all */
	ms = client_vs((struct drip){ .data = greet, .step_ms = 100 },
		       (const char *[]){ "timeout", "500ms", NULL }, r);
	expect_fail(r, MXLAB_CS_GREETING, "greeting: no complete reply within 500 ms");
	assert_int_equal(mxlab_client_exit_code(r), 21);
	assert_true(ms < 2000);
	/* one byte every 100 ms */
	ms = client_vs((struct drip){ .data = "220 drip.example.test ESMTP\r\n", .piece = 1,
				      .step_ms = 100 },
		       (const char *[]){ "timeout", "500ms", NULL }, r);
	expect_fail(r, MXLAB_CS_GREETING, "greeting: no complete reply within 500 ms");
	assert_true(ms < 2000);
	/* a prompt greeting, then the EHLO reply a line every 100 ms */
	ms = client_vs((struct drip){ .first = "220 drip.example.test\r\n", .read_first = 1,
				      .data = ehlo, .step_ms = 100 },
		       (const char *[]){ "timeout", "500ms", NULL }, r);
	expect_fail(r, MXLAB_CS_EHLO, "ehlo: no complete reply within 500 ms");
	assert_int_equal(r->reply[MXLAB_CS_GREETING].code, 220);
	assert_true(ms < 2000);
	/* the whole session: every stage prompt enough, the session not */
	ms = client_vs((struct drip){ .first = "220 drip.example.test\r\n", .read_first = 1,
				      .data = ehlo, .step_ms = 100 },
		       (const char *[]){ "timeout", "5s", "session-timeout", "700ms", NULL }, r);
	expect_fail(r, MXLAB_CS_EHLO, "ehlo: session-timeout of 700 ms reached");
	assert_true(ms < 2000);
	free(greet);
	free(ehlo);
	free(r);
}

/* A server that answers up to DATA, then never reads the message. */
static void *
stall_main(void *arg)
{
	static const char *const replies[] = {
		"220 stall.example.test\r\n", "250 stall.example.test\r\n", "250 2.1.0 Ok\r\n",
		"250 2.1.5 Ok\r\n", "354 go ahead\r\n",
	};
	struct peer *p = arg;
	struct pollfd pf;
	char buf[512];

	if ((p->d.fd = accept(p->lfd, NULL, NULL)) < 0)
		return NULL;
	for (size_t i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		if (i > 0 && recv(p->d.fd, buf, sizeof buf, 0) <= 0)	/* one command */
			break;
		(void)!send(p->d.fd, replies[i], strlen(replies[i]), MSG_NOSIGNAL);
	}
	pf.fd = p->d.fd;
	pf.events = POLLRDHUP;		/* until the test shuts it down */
	(void)poll(&pf, 1, 20000);
	close(p->d.fd);
	return NULL;
}

static void
test_client_message_deadline(void **state)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof sa;
	struct peer p = { 0 };
	struct mxlab_client_result *r = calloc(1, sizeof *r);
	mxlab_client_config *c = mxlab_client_config_new();
	size_t big = (size_t)8 << 20;
	char addr[64], path[] = "/tmp/mxlab-deadline-msg.XXXXXX", *body = malloc(big);
	pthread_t th;
	long long t0;
	int fd;

	(void)state;
	memset(body, 'x', big);
	for (size_t i = 900; i < big; i += 901)
		body[i] = '\n';
	assert_true((fd = mkstemp(path)) >= 0);
	assert_int_equal(write(fd, body, big), (ssize_t)big);
	close(fd);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	p.lfd = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(bind(p.lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	assert_int_equal(listen(p.lfd, 4), 0);
	getsockname(p.lfd, (struct sockaddr *)&sa, &sl);
	snprintf(addr, sizeof addr, "127.0.0.1:%u", ntohs(sa.sin_port));
	pthread_create(&th, NULL, stall_main, &p);
	assert_int_equal(mxlab_client_config_set(c, "connect", addr, err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_client_config_set(c, "timeout", "200ms", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_client_config_set(c, "from", "a@example.test", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_client_config_set(c, "to", "b@example.test", err, sizeof err), MXLAB_OK);
	assert_int_equal(mxlab_client_config_set(c, "data-file", path, err, sizeof err), MXLAB_OK);
	t0 = now_ms();
	assert_int_equal(mxlab_client_run(c, r, err, sizeof err), MXLAB_OK);
	t0 = now_ms() - t0;
	shutdown(p.d.fd, SHUT_RDWR);	/* the client's FIN waits behind its data */
	pthread_join(th, NULL);
	close(p.lfd);
	/* 8 MiB and a little: 9 started MiB, 200 ms each */
	expect_fail(r, MXLAB_CS_DOT, "dot: message not sent within 1800 ms");
	assert_int_equal(mxlab_client_exit_code(r), 26);
	if (t0 < 1700 || t0 > 5000)
		fail_msg("gave up after %lld ms, want about 1800", t0);
	mxlab_client_config_free(c);
	unlink(path);
	free(body);
	free(r);
}

/* ---------------------------------------------------------------- server */

static mxlab_server *
serve(const char *const *kv, unsigned *port)
{
	mxlab_server_config *c = mxlab_server_config_new();
	mxlab_server *srv = NULL;
	char addr[80];

	assert_int_equal(mxlab_server_config_set(c, "listen", "127.0.0.1:0", err, sizeof err), MXLAB_OK);
	for (; kv[0]; kv += 2)
		if (mxlab_server_config_set(c, kv[0], kv[1], err, sizeof err) != MXLAB_OK)
			fail_msg("server %s %s: %s", kv[0], kv[1], err);
	if (mxlab_server_start(c, &srv, err, sizeof err) != MXLAB_OK)
		fail_msg("server start: %s", err);
	mxlab_server_config_free(c);
	mxlab_server_listener_address(srv, 0, addr, sizeof addr);
	*port = (unsigned)atoi(strrchr(addr, ':') + 1);
	return srv;
}

static int
dial(unsigned port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { 10, 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);	/* a hang fails */
	return fd;
}

/* Everything the server sends until it closes (at most cap - 1 bytes). */
static size_t
read_all(int fd, char *buf, size_t cap)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < cap && (r = recv(fd, buf + n, cap - 1 - n, 0)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return n;
}

/* A client dripping data on its own thread while the test reads. */
static void
server_vs_drip(const char *const *kv, struct drip d, char *out, size_t cap, long long *ms,
	       struct mxlab_server_stats *after)
{
	unsigned port;
	mxlab_server *srv = serve(kv, &port);
	pthread_t th;
	long long t0;

	t0 = now_ms();		/* before the connect: every bound starts later */
	d.fd = dial(port);
	pthread_create(&th, NULL, drip_main, &d);
	read_all(d.fd, out, cap);
	*ms = now_ms() - t0;
	shutdown(d.fd, SHUT_RDWR);
	pthread_join(th, NULL);
	close(d.fd);
	assert_true(mxlab_server_wait_idle(srv, 5000));
	mxlab_server_get_stats(srv, after);
	mxlab_server_free(srv);
}

static void
test_server_trickled_line(void **state)
{
	struct mxlab_server_stats st;
	char out[4096];
	long long ms;

	(void)state;
	/* a byte every 100 ms: never idle for the 500 ms of the old timeout */
	server_vs_drip((const char *[]){ "timeout", "500ms", "max-connections", "1", NULL },
		       (struct drip){ .data = "EHLO trickle.example.test\r\n", .piece = 1,
				      .step_ms = 100 }, out, sizeof out, &ms, &st);
	if (!strstr(out, "\r\n421 4.4.2 mx.example.test Error: timeout exceeded\r\n"))
		fail_msg("no 421 timeout in '%s'", out);
	assert_null(strstr(out, "\r\n250"));	/* the EHLO never completed */
	if (ms < 490 || ms >= 2500)
		fail_msg("closed after %lld ms, want 500 ms or a little more", ms);
	assert_int_equal(st.active, 0);
	/* the same inside DATA: each line of the message has the deadline */
	server_vs_drip((const char *[]){ "timeout", "500ms", NULL },
		       (struct drip){ .first = "EHLO a.test\r\nMAIL FROM:<a@a.test>\r\n"
				      "RCPT TO:<b@b.test>\r\nDATA\r\n",
				      .data = "Subject: slow\r\n\r\nxxxxxxxxxxxxxxxxxxxxxxxxxxxx\r\n.\r\n",
				      .piece = 1, .step_ms = 100 }, out, sizeof out, &ms, &st);
	if (!strstr(out, "\r\n354 ") || !strstr(out, "\r\n421 4.4.2 mx.example.test Error: timeout exceeded\r\n"))
		fail_msg("no 354 then 421 timeout in '%s'", out);
	assert_true(ms < 2500);
	assert_int_equal(st.messages, 0);
}

static void
test_server_session_timeout(void **state)
{
	struct mxlab_server_stats st;
	char out[16384], noops[6 * 40 + 1] = "";
	long long ms;

	(void)state;
	for (int i = 0; i < 40; i++)
		strcat(noops, "NOOP\r\n");
	/* a line every 100 ms, each in time: only the session bound ends it */
	server_vs_drip((const char *[]){ "timeout", "2s", "session-timeout", "700ms", NULL },
		       (struct drip){ .data = noops, .step_ms = 100 }, out, sizeof out, &ms, &st);
	if (!strstr(out, "\r\n250 2.0.0 Ok\r\n") ||
	    !strstr(out, "\r\n421 4.4.2 mx.example.test Error: session timeout exceeded\r\n"))
		fail_msg("no NOOP answers then 421 session timeout in '%s'", out);
	if (ms < 690 || ms >= 2500)
		fail_msg("closed after %lld ms, want 700 ms or a little more", ms);
	assert_int_equal(st.active, 0);
	/* a scripted delay longer than the session stops at the bound */
	server_vs_drip((const char *[]){ "session-timeout", "500ms", "ehlo-delay", "30s", NULL },
		       (struct drip){ .data = "EHLO a.test\r\n" }, out, sizeof out, &ms, &st);
	if (!strstr(out, "\r\n421 4.4.2 mx.example.test Error: session timeout exceeded\r\n"))
		fail_msg("no 421 session timeout in '%s'", out);
	assert_true(ms < 2500);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sock_deadline),
		cmocka_unit_test(test_client_dripped_replies),
		cmocka_unit_test(test_client_message_deadline),
		cmocka_unit_test(test_server_trickled_line),
		cmocka_unit_test(test_server_session_timeout),
	};

	return cmocka_run_group_tests_name("deadline", tests, NULL, NULL);
}
