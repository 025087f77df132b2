/*
 * dnsd.c: the fake DNS responder's sockets and thread (see dnsd.h).
 *
 * dnsd_start() binds UDP first (port 0: the kernel picks one), then TCP on
 * the same port (retried with a new port when port 0 was asked and TCP finds
 * it taken), and starts one thread that polls the UDP socket, the TCP
 * listener, up to DNSD_TCP_MAX open TCP connections and a self-pipe that
 * dnsd_stop() writes to. TCP messages carry a 2-byte length prefix; a
 * connection (TCP_NODELAY, see mx_net_nodelay) is read without blocking
 * and closed after DNSD_TCP_IDLE_MS without a complete query, so a silent
 * client cannot hold the server.
 * Replies come from dns_wire_reply(). Errors: MXLAB_ERR_USAGE (bad
 * address), MXLAB_ERR_IO (socket, bind, thread), MXLAB_ERR_NOMEM.
 */
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "dns_wire.h"
#include "dnsd.h"
#include "netio.h"

#define DNSD_TCP_MAX 8
#define DNSD_TCP_IDLE_MS 2000
#define DNSD_BIND_TRIES 20

struct dnsd_conn {
	int fd;				/* -1: free */
	long long deadline;		/* monotonic ms */
	size_t have;
	uint8_t buf[2 + DNS_MSG_MAX];
};

struct dnsd {
	int udp, tcp, wake[2];
	int port, ad;
	struct dnsd_record *recs;
	size_t n;
	pthread_t thread;
	int running;
	pthread_mutex_t mu;		/* queries, log */
	unsigned long queries;
	FILE *log;
	struct dnsd_conn conn[DNSD_TCP_MAX];
	uint8_t in[DNS_MSG_MAX], out[2 + DNS_MSG_MAX];
};

static long long
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *const rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
};

/* Count a reply about to be sent and log one line about it. */
static void
note(struct dnsd *d, const char *proto, const struct dns_wire_info *in)
{
	char tb[16];

	pthread_mutex_lock(&d->mu);
	d->queries++;
	if (d->log) {
		fprintf(d->log, "dnsd: %s %s %s%s%s%s%s -> %s, %u answer%s%s\n", proto,
			in->qname[0] ? in->qname : in->qtype ? "." : "-",
			dns_wire_type_name(in->qtype, tb, sizeof tb),
			in->edns ? " edns" : "", in->do_bit ? " do" : "",
			in->ad_bit ? " ad" : "", in->cd_bit ? " cd" : "",
			in->rcode < 6 ? rcode_names[in->rcode] : "BADVERS",
			in->answers, in->answers == 1 ? "" : "s",
			in->truncated ? ", truncated" : "");
		fflush(d->log);
	}
	pthread_mutex_unlock(&d->mu);
}

static void
serve_udp(struct dnsd *d)
{
	for (int i = 0; i < 64; i++) {	/* a burst, then back to poll */
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		struct dns_wire_info info;
		ssize_t got;
		size_t len;

		got = recvfrom(d->udp, d->in, sizeof d->in, MSG_DONTWAIT,
			       (struct sockaddr *)&from, &flen);
		if (got < 0)
			return;
		len = dns_wire_reply(d->recs, d->n, d->ad, d->in, (size_t)got, 0,
				     d->out, sizeof d->out, &info);
		if (len == 0)
			continue;
		note(d, "udp", &info);	/* before the client can see the reply */
		sendto(d->udp, d->out, len, MSG_DONTWAIT, (struct sockaddr *)&from, flen);
	}
}

static void
conn_close(struct dnsd_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->have = 0;
}

/* Send all of buf, waiting at most DNSD_TCP_IDLE_MS for the client. */
static int
send_all(int fd, const uint8_t *buf, size_t len)
{
	long long end = now_ms() + DNSD_TCP_IDLE_MS;

	while (len > 0) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);

		if (n > 0) {
			buf += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno != EAGAIN && errno != EINTR)
			return -1;
		struct pollfd p = { .fd = fd, .events = POLLOUT };
		long long left = end - now_ms();

		if (left <= 0 || poll(&p, 1, (int)left) < 0)
			return -1;
	}
	return 0;
}

/* Read what a connection has, answer every complete query in it. */
static void
serve_conn(struct dnsd *d, struct dnsd_conn *c)
{
	ssize_t got = recv(c->fd, c->buf + c->have, sizeof c->buf - c->have,
			   MSG_DONTWAIT);

	if (got == 0 || (got < 0 && errno != EAGAIN && errno != EINTR)) {
		conn_close(c);
		return;
	}
	if (got < 0)
		return;
	c->have += (size_t)got;
	while (c->have >= 2) {
		size_t qlen = (size_t)c->buf[0] << 8 | c->buf[1], len;
		struct dns_wire_info info;

		if (qlen == 0) {
			conn_close(c);
			return;
		}
		if (c->have < 2 + qlen)
			break;
		len = dns_wire_reply(d->recs, d->n, d->ad, c->buf + 2, qlen, 1,
				     d->out + 2, sizeof d->out - 2, &info);
		if (len == 0) {		/* not a query: give up on this peer */
			conn_close(c);
			return;
		}
		d->out[0] = (uint8_t)(len >> 8);
		d->out[1] = (uint8_t)len;
		note(d, "tcp", &info);
		if (send_all(c->fd, d->out, 2 + len) < 0) {
			conn_close(c);
			return;
		}
		c->have -= 2 + qlen;
		memmove(c->buf, c->buf + 2 + qlen, c->have);
		c->deadline = now_ms() + DNSD_TCP_IDLE_MS;
	}
}

static void
accept_conn(struct dnsd *d)
{
	int fd = accept4(d->tcp, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (mx_net_nodelay(fd) < 0) {		/* as if accept had failed */
		close(fd);
		return;
	}
	for (int i = 0; i < DNSD_TCP_MAX; i++)
		if (d->conn[i].fd < 0) {
			d->conn[i].fd = fd;
			d->conn[i].have = 0;
			d->conn[i].deadline = now_ms() + DNSD_TCP_IDLE_MS;
			return;
		}
	close(fd);			/* not reached: the listener is not polled when full */
}

static void *
dnsd_main(void *arg)
{
	struct dnsd *d = arg;

	for (;;) {
		struct pollfd p[3 + DNSD_TCP_MAX];
		int who[3 + DNSD_TCP_MAX], np = 0, nconn = 0, timeout = -1;
		long long now = now_ms();

		for (int i = 0; i < DNSD_TCP_MAX; i++) {
			struct dnsd_conn *c = &d->conn[i];

			if (c->fd < 0)
				continue;
			if (c->deadline <= now) {
				conn_close(c);
				continue;
			}
			if (timeout < 0 || c->deadline - now < timeout)
				timeout = (int)(c->deadline - now);
			p[np] = (struct pollfd){ .fd = c->fd, .events = POLLIN };
			who[np++] = i;
			nconn++;
		}
		p[np] = (struct pollfd){ .fd = d->wake[0], .events = POLLIN };
		who[np++] = -1;
		p[np] = (struct pollfd){ .fd = d->udp, .events = POLLIN };
		who[np++] = -2;
		if (nconn < DNSD_TCP_MAX) {
			p[np] = (struct pollfd){ .fd = d->tcp, .events = POLLIN };
			who[np++] = -3;
		}
		if (poll(p, (nfds_t)np, timeout) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int i = 0; i < np; i++) {
			if (!p[i].revents)
				continue;
			if (who[i] == -1)
				return NULL;
			if (who[i] == -2)
				serve_udp(d);
			else if (who[i] == -3)
				accept_conn(d);
			else
				serve_conn(d, &d->conn[who[i]]);
		}
	}
	return NULL;
}

/* "HOST:PORT" or "[V6]:PORT", numeric. */
static int
addr_parse(const char *spec, struct sockaddr_storage *ss, socklen_t *sslen,
	   char *err, size_t errlen)
{
	char host[128];
	const char *colon, *h = spec;
	size_t hl;
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE,
				  .ai_socktype = SOCK_DGRAM }, *ai;
	char *end;
	unsigned long port;

	colon = strrchr(spec, ':');
	if (!colon || colon == spec)
		goto bad;
	hl = (size_t)(colon - spec);
	if (spec[0] == '[') {
		if (colon[-1] != ']')
			goto bad;
		h++;
		hl -= 2;
	}
	if (hl == 0 || hl >= sizeof host)
		goto bad;
	memcpy(host, h, hl);
	host[hl] = '\0';
	port = strtoul(colon + 1, &end, 10);
	if (!colon[1] || *end || port > 65535)
		goto bad;
	if (getaddrinfo(host, colon + 1, &hints, &ai) != 0)
		goto bad;
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	freeaddrinfo(ai);
	return 0;
bad:
	snprintf(err, errlen, "dnsd: bad address '%s' (want IP:PORT or [IPv6]:PORT)", spec);
	return -1;
}

static void
set_port(struct sockaddr_storage *ss, int port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons((uint16_t)port);
}

static int
bound_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;

	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -1;
	return ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		     : ((struct sockaddr_in *)&ss)->sin_port);
}

/* UDP, then TCP on the port UDP got. MXLAB_OK, MXLAB_ERR_USAGE for an
 * address that does not parse, MXLAB_ERR_IO when it cannot be bound. */
static mxlab_err
bind_both(struct dnsd *d, const char *spec, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	int want, one = 1;

	if (addr_parse(spec, &ss, &sslen, err, errlen) < 0)
		return MXLAB_ERR_USAGE;
	want = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
		     : ((struct sockaddr_in *)&ss)->sin_port);
	for (int tries = 0; tries < DNSD_BIND_TRIES; tries++) {
		d->udp = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (d->udp < 0)
			break;
		set_port(&ss, want);
		if (bind(d->udp, (struct sockaddr *)&ss, sslen) < 0)
			break;
		d->port = bound_port(d->udp);
		d->tcp = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (d->tcp < 0)
			break;
		setsockopt(d->tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
		set_port(&ss, d->port);
		if (bind(d->tcp, (struct sockaddr *)&ss, sslen) == 0 &&
		    listen(d->tcp, 16) == 0)
			return MXLAB_OK;
		if (errno != EADDRINUSE || want != 0)
			break;
		close(d->tcp);
		close(d->udp);
		d->tcp = d->udp = -1;
	}
	snprintf(err, errlen, "dnsd: %s: %s", spec, strerror(errno));
	return MXLAB_ERR_IO;
}

mxlab_err
dnsd_start(const char *addr, const struct dnsd_record *recs, size_t n,
	   int ad, struct dnsd **out, char *err, size_t errlen)
{
	struct dnsd *d;
	mxlab_err rc = MXLAB_ERR_IO;

	*out = NULL;
	if (!(d = calloc(1, sizeof *d))) {
		snprintf(err, errlen, "dnsd: out of memory");
		return MXLAB_ERR_NOMEM;
	}
	d->udp = d->tcp = d->wake[0] = d->wake[1] = -1;
	for (int i = 0; i < DNSD_TCP_MAX; i++)
		d->conn[i].fd = -1;
	pthread_mutex_init(&d->mu, NULL);
	d->ad = ad;
	d->n = n;
	if (n && !(d->recs = malloc(n * sizeof *recs))) {
		snprintf(err, errlen, "dnsd: out of memory");
		rc = MXLAB_ERR_NOMEM;
		goto fail;
	}
	if (n)
		memcpy(d->recs, recs, n * sizeof *recs);
	if ((rc = bind_both(d, addr, err, errlen)) != MXLAB_OK)
		goto fail;
	rc = MXLAB_ERR_IO;
	if (pipe2(d->wake, O_CLOEXEC) < 0) {
		snprintf(err, errlen, "dnsd: pipe: %s", strerror(errno));
		goto fail;
	}
	if ((errno = pthread_create(&d->thread, NULL, dnsd_main, d)) != 0) {
		snprintf(err, errlen, "dnsd: thread: %s", strerror(errno));
		goto fail;
	}
	d->running = 1;
	*out = d;
	return MXLAB_OK;
fail:
	dnsd_stop(d);
	return rc;
}

int
dnsd_port(const struct dnsd *d)
{
	return d ? d->port : -1;
}

unsigned long
dnsd_queries(struct dnsd *d)
{
	unsigned long n;

	pthread_mutex_lock(&d->mu);
	n = d->queries;
	pthread_mutex_unlock(&d->mu);
	return n;
}

void
dnsd_set_log(struct dnsd *d, FILE *fp)
{
	pthread_mutex_lock(&d->mu);
	d->log = fp;
	pthread_mutex_unlock(&d->mu);
}

void
dnsd_stop(struct dnsd *d)
{
	if (!d)
		return;
	if (d->running) {
		ssize_t w;

		do
			w = write(d->wake[1], "x", 1);
		while (w < 0 && errno == EINTR);
		pthread_join(d->thread, NULL);
	}
	for (int i = 0; i < DNSD_TCP_MAX; i++)
		conn_close(&d->conn[i]);
	for (int i = 0; i < 2; i++)
		if (d->wake[i] >= 0)
			close(d->wake[i]);
	if (d->udp >= 0)
		close(d->udp);
	if (d->tcp >= 0)
		close(d->tcp);
	pthread_mutex_destroy(&d->mu);
	free(d->recs);
	free(d);
}
