/*
 * server_pool.c: who runs the fake server's sessions.
 *
 * One event thread and a bounded pool of worker threads
 * (docs/serve.md#concurrency has the measurements behind the choice).
 *
 * - The event thread owns an epoll set: the listeners, a wake eventfd and
 *   the parked connections, those waiting idle for their client's next
 *   command. It accepts (until EAGAIN), refuses past max_connections, and
 *   queues work: a new connection, a parked one that became readable, a
 *   parked one whose deadline passed. Everything that un-parks happens on
 *   this thread (a registration it removes is removed before the
 *   connection is queued), so an epoll event never names a freed
 *   connection.
 * - A worker takes the oldest job and runs the session on it
 *   (mx_session_run) until the session ends or parks: a session whose
 *   client has sent nothing for MX_PARK_AFTER_MS, with nothing buffered,
 *   hands its socket back here and the worker takes the next job. A
 *   session is never on two workers: it is queued once, by whoever took it
 *   off the parked list.
 * - Workers start on demand, when more jobs are queued than workers are
 *   idle, up to max_connections (a connection needs at most one worker at
 *   a time, so the bound never starves one); they stay until the server
 *   stops and are joined then.
 * A parked session holds no thread, no stack and no line buffers: those
 * are the worker's (struct mx_worker_bufs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>

#include "netio.h"
#include "server_int.h"

#define BAD(code, ...) (snprintf(err, errlen, __VA_ARGS__), (code))
#define EV_BATCH 64
#define TAG_WAKE ((uint64_t)1)
#define TAG_LISTEN ((uint64_t)2)	/* + index * 4 */

struct mx_pool {
	struct mxlab_server *srv;
	int ep;				/* epoll set */
	int wake;			/* eventfd: stop, or an earlier deadline */
	pthread_t loop;
	int loop_started;
	pthread_attr_t attr;		/* the workers' */

	pthread_mutex_t lock;		/* guards what follows */
	pthread_cond_t work;		/* a job was queued, or quit */
	struct mx_conn *qhead, *qtail;
	unsigned queued, idle, workers, cap;
	pthread_t *tids;
	size_t ntids, tidcap;
	struct mx_conn *parked;		/* the parked list */
	long long loop_wakes_at;	/* the event thread's next timeout; 0: none */
	int stopping;			/* no more parking */
	int quit;			/* workers leave when the queue is empty */
};

static void *worker_main(void *arg);

/* Queue c for a worker (lock held); start one when none is free. */
static void
enqueue(struct mx_pool *p, struct mx_conn *c)
{
	c->qnext = NULL;
	if (p->qtail)
		p->qtail->qnext = c;
	else
		p->qhead = c;
	p->qtail = c;
	p->queued++;
	if (p->queued > p->idle && p->workers < p->cap) {
		pthread_t t;

		if (p->ntids == p->tidcap) {
			size_t n = p->tidcap ? 2 * p->tidcap : 16;
			pthread_t *nt = realloc(p->tids, n * sizeof *nt);

			if (!nt)
				goto signal;	/* the workers there are take it */
			p->tids = nt;
			p->tidcap = n;
		}
		if (pthread_create(&t, &p->attr, worker_main, p) == 0) {
			p->tids[p->ntids++] = t;
			p->workers++;
		}
	}
signal:
	pthread_cond_signal(&p->work);
}

static void
unlink_parked(struct mx_pool *p, struct mx_conn *c)
{
	if (c->pprev)
		c->pprev->pnext = c->pnext;
	else
		p->parked = c->pnext;
	if (c->pnext)
		c->pnext->pprev = c->pprev;
	c->pprev = c->pnext = NULL;
	c->parked = 0;
}

int
mx_pool_park(struct mx_conn *c, long long deadline)
{
	struct mx_pool *p = c->srv->pool;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT,
				  .data.ptr = c };
	int wake;

	pthread_mutex_lock(&p->lock);
	if (p->stopping) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	c->park_deadline = deadline;
	c->parked = 1;
	c->pprev = NULL;
	c->pnext = p->parked;
	if (p->parked)
		p->parked->pprev = c;
	p->parked = c;
	wake = deadline && (!p->loop_wakes_at || deadline < p->loop_wakes_at);
	/* Armed under the lock: the event thread cannot see the event before
	 * the connection is on the list. */
	if (epoll_ctl(p->ep, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		unlink_parked(p, c);
		pthread_mutex_unlock(&p->lock);
		return -1;	/* the worker keeps it and waits itself */
	}
	c->in_epoll = 1;
	pthread_mutex_unlock(&p->lock);
	if (wake)
		(void)!eventfd_write(p->wake, 1);
	return 0;
}

/* Accept what is waiting on listener i; queue it or refuse it. */
static void
accept_batch(struct mx_pool *p, size_t i)
{
	struct mxlab_server *srv = p->srv;

	for (;;) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof ss;
		struct mx_conn *c;
		int fd = accept4(srv->lfd[i], (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
		int full;

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			return;		/* EAGAIN, or out of descriptors: later */
		}
		if (mx_net_nodelay(fd) < 0) {	/* as if accept had failed */
			close(fd);
			continue;
		}
		pthread_mutex_lock(&srv->lock);
		full = srv->stats.active >= srv->cfg.max_connections;
		if (full)
			srv->stats.refused++;
		pthread_mutex_unlock(&srv->lock);
		if (full || !(c = calloc(1, sizeof *c))) {
			static const char busy[] = "421 4.3.2 Too many connections, try again later\r\n";

			(void)!send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
			close(fd);
			continue;
		}
		c->srv = srv;
		c->fd = fd;
		mx_sockaddr_format((struct sockaddr *)&ss, c->peer, sizeof c->peer);
		snprintf(c->local, sizeof c->local, "%s", srv->laddr[i]);
		pthread_mutex_lock(&srv->lock);
		c->id = ++srv->next_id;
		c->next = srv->conns;
		if (srv->conns)
			srv->conns->prev = c;
		srv->conns = c;
		srv->stats.connections++;
		srv->stats.active++;
		pthread_mutex_unlock(&srv->lock);
		pthread_mutex_lock(&p->lock);
		enqueue(p, c);
		pthread_mutex_unlock(&p->lock);
	}
}

/* Queue the parked connections whose deadline has passed; return the
 * nearest deadline still ahead (0: none). Lock held. */
static long long
expire_parked(struct mx_pool *p)
{
	long long now = mx_clock_ms(), next = 0;
	struct mx_conn *c = p->parked, *n;

	for (; c; c = n) {
		n = c->pnext;
		if (!c->park_deadline)
			continue;
		if (c->park_deadline <= now) {
			/* Removed before queued: no event can name it later. */
			(void)epoll_ctl(p->ep, EPOLL_CTL_DEL, c->fd, NULL);
			c->in_epoll = 0;
			unlink_parked(p, c);
			enqueue(p, c);
		} else if (!next || c->park_deadline < next)
			next = c->park_deadline;
	}
	return next;
}

static void *
loop_main(void *arg)
{
	struct mx_pool *p = arg;
	struct epoll_event ev[EV_BATCH];
	int timeout = -1;

	for (;;) {
		int n = epoll_wait(p->ep, ev, EV_BATCH, timeout);
		long long next;

		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			uint64_t tag = ev[i].data.u64;

			if (tag == TAG_WAKE) {
				eventfd_t v;

				(void)eventfd_read(p->wake, &v);
				pthread_mutex_lock(&p->lock);
				if (p->stopping) {
					pthread_mutex_unlock(&p->lock);
					return NULL;
				}
				pthread_mutex_unlock(&p->lock);
			} else if ((tag & 3) == TAG_LISTEN) {
				accept_batch(p, (size_t)(tag >> 2));
			} else {
				struct mx_conn *c = ev[i].data.ptr;

				pthread_mutex_lock(&p->lock);
				if (c->parked) {	/* ONESHOT: disarmed now */
					unlink_parked(p, c);
					enqueue(p, c);
				}
				pthread_mutex_unlock(&p->lock);
			}
		}
		pthread_mutex_lock(&p->lock);
		next = expire_parked(p);
		p->loop_wakes_at = next;
		pthread_mutex_unlock(&p->lock);
		if (next) {
			long long left = next - mx_clock_ms();

			timeout = left <= 0 ? 0 : left > 60000 ? 60000 : (int)left;
		} else
			timeout = -1;
	}
	return NULL;
}

static void *
worker_main(void *arg)
{
	struct mx_pool *p = arg;
	struct mx_worker_bufs *b = calloc(1, sizeof *b);

	if (b) {
		b->line = malloc(p->srv->cfg.max_line);
		b->piece = malloc(MX_DATA_PIECE);
		jw_init(&b->w);
	}
	pthread_mutex_lock(&p->lock);
	if (!b || !b->line || !b->piece) {
		/* This worker cannot run sessions; the others (or the next one
		 * started) take the queue. */
		p->workers--;
		pthread_mutex_unlock(&p->lock);
		if (b) {
			free(b->line);
			free(b->piece);
			free(b);
		}
		return NULL;
	}
	for (;;) {
		struct mx_conn *c;

		while (!p->qhead && !p->quit) {
			p->idle++;
			pthread_cond_wait(&p->work, &p->lock);
			p->idle--;
		}
		if (!(c = p->qhead))
			break;
		p->qhead = c->qnext;
		if (!p->qhead)
			p->qtail = NULL;
		p->queued--;
		pthread_mutex_unlock(&p->lock);
		mx_session_run(c, b);
		pthread_mutex_lock(&p->lock);
	}
	p->workers--;
	pthread_mutex_unlock(&p->lock);
	jw_free(&b->w);
	free(b->line);
	free(b->piece);
	free(b);
	return NULL;
}

mxlab_err
mx_pool_start(struct mxlab_server *srv, char *err, size_t errlen)
{
	struct mx_pool *p = calloc(1, sizeof *p);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TAG_WAKE };

	if (!p)
		return BAD(MXLAB_ERR_NOMEM, "out of memory");
	srv->pool = p;
	p->srv = srv;
	p->cap = srv->cfg.max_connections ? srv->cfg.max_connections : 1;
	p->ep = p->wake = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_cond_init(&p->work, NULL);
	pthread_attr_init(&p->attr);
	pthread_attr_setstacksize(&p->attr, 256 * 1024);
	if ((p->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (p->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) < 0 ||
	    epoll_ctl(p->ep, EPOLL_CTL_ADD, p->wake, &ev) < 0)
		return BAD(MXLAB_ERR_IO, "epoll: %s", strerror(errno));
	for (size_t i = 0; i < srv->nl; i++) {
		struct epoll_event le = { .events = EPOLLIN,
					  .data.u64 = TAG_LISTEN + ((uint64_t)i << 2) };
		int fl = fcntl(srv->lfd[i], F_GETFL);

		if (fl < 0 || fcntl(srv->lfd[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
		    epoll_ctl(p->ep, EPOLL_CTL_ADD, srv->lfd[i], &le) < 0)
			return BAD(MXLAB_ERR_IO, "epoll: %s", strerror(errno));
	}
	if (pthread_create(&p->loop, NULL, loop_main, p) != 0)
		return BAD(MXLAB_ERR_IO, "cannot start the event thread");
	p->loop_started = 1;
	return MXLAB_OK;
}

void
mx_pool_stop_accepting(struct mx_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	pthread_mutex_unlock(&p->lock);
	if (p->loop_started) {
		(void)!eventfd_write(p->wake, 1);
		pthread_join(p->loop, NULL);
		p->loop_started = 0;
	}
}

void
mx_pool_drain(struct mx_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	/* The event thread is gone: hand every parked session to a worker
	 * (their sockets are shut down, so each ends at its next read). */
	while (p->parked) {
		struct mx_conn *c = p->parked;

		unlink_parked(p, c);
		enqueue(p, c);
	}
	pthread_mutex_unlock(&p->lock);
}

void
mx_pool_free(struct mx_pool *p)
{
	if (!p)
		return;
	mx_pool_stop_accepting(p);
	pthread_mutex_lock(&p->lock);
	p->quit = 1;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < p->ntids; i++)
		pthread_join(p->tids[i], NULL);
	free(p->tids);
	if (p->ep >= 0)
		close(p->ep);
	if (p->wake >= 0)
		close(p->wake);
	pthread_attr_destroy(&p->attr);
	pthread_cond_destroy(&p->work);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
