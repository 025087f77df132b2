/*
 * netio.c: sockets for mxlab's peers (see netio.h).
 */
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "netio.h"

long long
mx_clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
mx_sock_deadline_in(struct mx_sock *s, unsigned ms)
{
	s->deadline = ms ? mx_clock_ms() + ms : 0;
	s->timed_out = MX_SOCK_TO_NONE;
}

/* The nearer of deadline and limit, and which one it is. */
static long long
sock_end(const struct mx_sock *s, enum mx_sock_timeout *which)
{
	long long end = 0;

	*which = MX_SOCK_TO_NONE;
	if (s->deadline) {
		end = s->deadline;
		*which = MX_SOCK_TO_DEADLINE;
	}
	if (s->limit && (!end || s->limit <= end)) {
		end = s->limit;
		*which = MX_SOCK_TO_LIMIT;
	}
	return end;
}

long long
mx_sock_left_ms(const struct mx_sock *s)
{
	enum mx_sock_timeout which;
	long long end = sock_end(s, &which), now;

	if (!end)
		return -1;
	now = mx_clock_ms();
	return end > now ? end - now : 0;
}

static int sock_poll(struct mx_sock *s, struct pollfd *pp, long long end,
		     enum mx_sock_timeout which);

/* Wait until fd is ready for events, at most until the nearer of deadline
 * and limit; 1 ready, 0 timed out (timed_out set), -1 error. */
static int
sock_wait(struct mx_sock *s, short events)
{
	struct pollfd p = { .fd = s->fd, .events = events };
	enum mx_sock_timeout which;
	long long end = sock_end(s, &which);
	int r;

	if (s->wait_hook)
		s->wait_hook(s->wait_arg, 1);
	r = sock_poll(s, &p, end, which);
	if (s->wait_hook)
		s->wait_hook(s->wait_arg, 0);
	return r;
}

static int
sock_poll(struct mx_sock *s, struct pollfd *pp, long long end, enum mx_sock_timeout which)
{
	struct pollfd p = *pp;
	int r;

	for (;;) {
		long long wait = -1;

		if (end) {
			wait = end - mx_clock_ms();
			if (wait <= 0) {
				s->timed_out = which;
				return 0;
			}
			if (wait > 60000)
				wait = 60000;	/* poll's int; the loop goes on */
		}
		r = poll(&p, 1, (int)wait);
		if (r > 0 || (r < 0 && errno != EINTR))
			return r;
	}
}

/* Has the nearer of deadline and limit passed? (timed_out set when so)
 * Checked before the first try, so that a past deadline fails without
 * reading or writing, as sock_wait would. */
static int
sock_expired(struct mx_sock *s)
{
	enum mx_sock_timeout which;
	long long end = sock_end(s, &which);

	if (end && end <= mx_clock_ms()) {
		s->timed_out = which;
		return 1;
	}
	return 0;
}

int
mx_sock_recv(void *sock, unsigned char *buf, size_t len)
{
	struct mx_sock *s = sock;
	ssize_t n;
	int w;

	s->timed_out = MX_SOCK_TO_NONE;
	if (sock_expired(s))
		return MX_SOCK_ERR_TIMEOUT;
	for (;;) {
		n = recv(s->fd, buf, len, MSG_DONTWAIT);
		if (n >= 0)
			return (int)n;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return MX_SOCK_ERR_IO;
		if (errno != EINTR && (w = sock_wait(s, POLLIN)) <= 0)
			return w == 0 ? MX_SOCK_ERR_TIMEOUT : MX_SOCK_ERR_IO;
	}
}

int
mx_sock_send_some(struct mx_sock *s, const unsigned char *buf, size_t len)
{
	ssize_t n;
	int w;

	s->timed_out = MX_SOCK_TO_NONE;
	if (sock_expired(s))
		return MX_SOCK_ERR_TIMEOUT;
	for (;;) {
		n = send(s->fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n >= 0)
			return (int)n;
		if (errno != EINTR && errno != EAGAIN && errno != EWOULDBLOCK)
			return MX_SOCK_ERR_IO;
		if (errno != EINTR && (w = sock_wait(s, POLLOUT)) <= 0)
			return w == 0 ? MX_SOCK_ERR_TIMEOUT : MX_SOCK_ERR_IO;
	}
}

int
mx_sock_send_all(struct mx_sock *s, const void *buf, size_t len)
{
	const unsigned char *p = buf;

	while (len > 0) {
		int n = mx_sock_send_some(s, p, len > 65536 ? 65536 : len);

		if (n < 0)
			return n;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Split "ADDR:PORT" / "[ADDR]:PORT" into host and port strings. */
static int
split_spec(const char *spec, char *host, size_t hlen, char *port, size_t plen,
	   char *err, size_t errlen)
{
	const char *colon, *h = spec;
	size_t n;

	if (spec[0] == '[') {
		const char *rb = strchr(spec, ']');

		if (!rb || rb[1] != ':') {
			snprintf(err, errlen, "'%s': expected [IPV6]:PORT", spec);
			return -1;
		}
		h = spec + 1;
		n = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(spec, ':');
		if (!colon || strchr(spec, ':') != colon) {
			snprintf(err, errlen, "'%s': expected ADDR:PORT (IPv6 as [ADDR]:PORT)", spec);
			return -1;
		}
		n = (size_t)(colon - spec);
	}
	if (n == 0 || n >= hlen) {
		snprintf(err, errlen, "'%s': missing or too long address", spec);
		return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (strlen(colon + 1) == 0 || strlen(colon + 1) >= plen ||
	    strspn(colon + 1, "0123456789") != strlen(colon + 1) ||
	    atol(colon + 1) > 65535) {
		snprintf(err, errlen, "'%s': port must be a number from 0 to 65535", spec);
		return -1;
	}
	snprintf(port, plen, "%s", colon + 1);
	return 0;
}

int
mx_listen_check(const char *spec, char *err, size_t errlen)
{
	char host[256], port[8];

	return split_spec(spec, host, sizeof host, port, sizeof port, err, errlen);
}

int
mx_listen_open(const char *spec, int backlog, char *err, size_t errlen)
{
	char host[256], port[8];
	struct addrinfo hints = { 0 }, *res = NULL;
	int fd, on = 1, r;

	if (split_spec(spec, host, sizeof host, port, sizeof port, err, errlen) < 0)
		return -1;
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE;
	if ((r = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "'%s': cannot resolve '%s': %s", spec, host,
			 gai_strerror(r));
		return -1;
	}
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(err, errlen, "'%s': socket: %s", spec, strerror(errno));
		freeaddrinfo(res);
		return -1;
	}
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on);
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, backlog) < 0) {
		snprintf(err, errlen, "'%s': %s: %s", spec,
			 errno == EADDRINUSE ? "bind" : "bind/listen", strerror(errno));
		close(fd);
		freeaddrinfo(res);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

int
mx_net_nodelay(int fd)
{
	int on = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on) == 0)
		return 0;
	/* Not TCP (a Unix socket): there is no Nagle to turn off. */
	if (errno == EOPNOTSUPP || errno == ENOPROTOOPT)
		return 0;
	return -1;
}

void
mx_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;

		inet_ntop(AF_INET, &in->sin_addr, a, sizeof a);
		snprintf(buf, len, "%s:%u", a, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, a, sizeof a);
		snprintf(buf, len, "[%s]:%u", a, ntohs(in6->sin6_port));
	} else
		snprintf(buf, len, "unknown");
}

void
mx_sock_local_name(int fd, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
		mx_sockaddr_format((struct sockaddr *)&ss, buf, len);
	else
		snprintf(buf, len, "unknown");
}
