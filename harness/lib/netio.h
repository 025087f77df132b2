/*
 * netio.h: sockets for mxlab's peers.
 *
 * - mx_sock: a connected socket with an I/O timeout. mx_sock_recv has the
 *   mx_recv_fn shape (smtp_wire.h) and is also the BIO under TLS.
 * - mx_listen_parse / mx_listen_open: "ADDR:PORT" ([v6]:PORT, a name
 *   resolved through getaddrinfo, or port 0 for any free port).
 * - mx_sockaddr_format: "127.0.0.1:25" / "[::1]:25".
 * Errors are returned as negative values (recv/send) or written to a
 * caller buffer (listen).
 */
#ifndef MX_NETIO_H
#define MX_NETIO_H

#include <stddef.h>
#include <sys/socket.h>

#include "mxlab/error.h"

struct mx_sock {
	int fd;
	unsigned timeout_ms;	/* 0: wait forever */
	int timed_out;		/* the last recv/send gave up on the timeout */
};

#define MX_SOCK_ERR_TIMEOUT (-2)
#define MX_SOCK_ERR_IO (-1)

/* mx_recv_fn: bytes (> 0), 0 at EOF, MX_SOCK_ERR_* on failure. */
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

void mx_sockaddr_format(const struct sockaddr *sa, char *buf, size_t len);
/* The local address of fd, formatted. */
void mx_sock_local_name(int fd, char *buf, size_t len);

#endif
