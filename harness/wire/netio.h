/*
 * netio.h: sockets for mxlab's peers.
 *
 * - mx_sock: a connected socket carrying deadlines, not read timeouts: an
 *   absolute CLOCK_MONOTONIC time by which the current unit of work (a
 *   reply, a command line, a handshake, a stage) must be done, and an outer
 *   limit (a whole session, a whole run). Every wait in recv and send polls
 *   only until the nearer of the two, so a peer dripping a byte at a time
 *   cannot stretch a unit: time spent across many reads adds up. Both try
 *   first (MSG_DONTWAIT) and poll only when the socket is not ready, so a
 *   ready socket costs one system call, not two.
 *   mx_sock_recv has the mx_recv_fn shape (smtp_wire.h) and is also the BIO
 *   under TLS.
 * - mx_clock_ms: the monotonic clock the deadlines are expressed in.
 * - mx_listen_parse / mx_listen_open: "ADDR:PORT" ([v6]:PORT, a name
 *   resolved through getaddrinfo, or port 0 for any free port).
 * - mx_sockaddr_format: "127.0.0.1:25" / "[::1]:25".
 * - mx_net_nodelay: TCP_NODELAY on a connected socket. Every TCP socket
 *   mxlab opens or accepts gets it: mbedTLS sends each handshake message
 *   with its own send(), and Nagle would hold the second one of a flight
 *   until the peer's delayed ACK (up to 40 ms a flight).
 * Errors are returned as negative values (recv/send: MX_SOCK_ERR_TIMEOUT
 * once a deadline or the limit has passed, with timed_out saying which) or
 * written to a caller buffer (listen).
 */
#ifndef MX_NETIO_H
#define MX_NETIO_H

#include <stddef.h>
#include <sys/socket.h>

#include "mxlab/error.h"

/* Why the last recv/send gave up (mx_sock.timed_out). */
enum mx_sock_timeout {
	MX_SOCK_TO_NONE = 0,
	MX_SOCK_TO_DEADLINE,	/* the unit's deadline passed */
	MX_SOCK_TO_LIMIT	/* the outer limit passed */
};

struct mx_sock {
	int fd;
	long long deadline;	/* mx_clock_ms() the unit must end by; 0: none */
	long long limit;	/* mx_clock_ms() of the outer bound; 0: none */
	enum mx_sock_timeout timed_out;	/* of the last recv/send */
	/* Called with 1 before a recv or send waits for the socket, with 0
	 * after (a server's pool starts a worker when one blocks); NULL: none. */
	void (*wait_hook)(void *arg, int waiting);
	void *wait_arg;
};

#define MX_SOCK_ERR_TIMEOUT (-2)
#define MX_SOCK_ERR_IO (-1)

/* Milliseconds of CLOCK_MONOTONIC. */
long long mx_clock_ms(void);
/* Start a unit of work: deadline = now + ms (0: no deadline, the limit
 * alone). Clears timed_out. */
void mx_sock_deadline_in(struct mx_sock *s, unsigned ms);
/* Milliseconds left before the nearer of deadline and limit (0 when it has
 * passed), or -1 when neither is set. */
long long mx_sock_left_ms(const struct mx_sock *s);

/* mx_recv_fn: bytes (> 0), 0 at EOF, MX_SOCK_ERR_* on failure. A deadline
 * or limit already past fails at once, without reading. */
int mx_sock_recv(void *sock, unsigned char *buf, size_t len);
/* Send everything; 0 or MX_SOCK_ERR_*. Never raises SIGPIPE. */
int mx_sock_send_all(struct mx_sock *s, const void *buf, size_t len);
/* Send at most len bytes once (for a TLS BIO); bytes sent or MX_SOCK_ERR_*. */
int mx_sock_send_some(struct mx_sock *s, const unsigned char *buf, size_t len);

/* Parse "ADDR:PORT" without resolving; checks the shape and the port.
 * Returns 0 or -1 with err set. */
int mx_listen_check(const char *spec, char *err, size_t errlen);
/* Resolve and bind+listen; returns the fd or -1 with err set. */
int mx_listen_open(const char *spec, int backlog, char *err, size_t errlen);

/* Turn Nagle off on fd: 0, or -1 with errno. A socket that is not TCP
 * (EOPNOTSUPP, ENOPROTOOPT) is 0: there is no Nagle to turn off. Callers
 * treat -1 like a failed accept or connect. */
int mx_net_nodelay(int fd);

void mx_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len);
/* The local address of fd, formatted. */
void mx_sock_local_name(int fd, char *buf, size_t len);

#endif
