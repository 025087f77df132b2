/*
 * server_pool.c: who runs the fake server's sessions.
 *
 * A bounded pool of worker threads around one epoll set, leader/followers
 * style (docs/serve.md#concurrency has the measurements behind the choice):
 * every idle worker waits in epoll_wait for one event and runs what it
 * names, so a busy server goes from one ready session to the next without
 * a hand-off between threads.
 *
 * - The set holds the listeners (one-shot: the worker that accepts re-arms
 *   it, then runs the new session's greeting), the parked connections
 *   (one-shot, waiting idle for their client's next line), a timerfd for the
 *   nearest deadline of a parked connection, and a "kick" eventfd that
 *   counts the jobs of a small run queue (connections whose deadline
 *   passed, or left parked when the server stops) and tells workers to quit.
 * - A session runs (mx_session_run) until it ends or parks: it parks as
 *   soon as it waits for input with nothing buffered (server_session.c).
 *   Whatever may block in a session (a TLS handshake, a scripted delay, a
 *   line trickling in) blocks its worker only.
 * - An event names a connection by descriptor and generation, checked
 *   against a table under the lock, and a connection leaves the parked list
 *   under that lock exactly once: so a session never runs on two workers,
 *   and an event that arrives late never names a freed connection.
 * - As many workers as CPUs (at least 2) start with the pool; one more
 *   starts whenever a worker is about to block (mx_pool_waiting: a socket
 *   wait, a scripted delay) and none is left waiting for events, up to
 *   max_connections (a connection needs at most one worker, so the bound
 *   never starves one). They stay until the server stops. Few workers
 *   for the work that never blocks means a busy server finds the next
 *   event ready when it asks, instead of waking another thread for it.
 * A parked session holds no thread, no stack and no line buffers: those
 * are the worker's (struct mx_worker_bufs).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/timerfd.h>

#include "netio.h"
#include "server_int.h"

#define BAD(code, ...) (snprintf(err, errlen, __VA_ARGS__), (code))
/* Event tags below 2^32; a connection's is generation << 32 | fd. */
#define TAG_KICK ((uint64_t)1)
#define TAG_TIMER ((uint64_t)2)
#define TAG_LISTEN ((uint64_t)3)	/* + 4 * listener index */

struct slot {
	struct mx_conn *c;
	uint32_t gen;
};

struct mx_pool {
	struct mxlab_server *srv;
	int ep;				/* the epoll set */
	int kick;			/* eventfd (semaphore): jobs queued, quit */
	int timer;			/* timerfd: nearest parked deadline */
	pthread_attr_t attr;		/* the workers' */

	pthread_mutex_t lock;		/* guards what follows */
	struct mx_conn *qhead, *qtail;	/* the run queue */
	unsigned idle, workers, cap;
	pthread_t *tids;
	size_t ntids, tidcap;
	struct slot *slots;		/* by descriptor */
	size_t nslots;
	uint32_t gen;
	struct mx_conn *parked;		/* the parked list */
	long long timer_at;		/* the timer's deadline; 0: disarmed */
	int stopping;			/* no parking, no accepting */
	int quit;			/* workers leave */
};

static void *worker_main(void *arg);

/* Start one more worker (lock held); quietly none when it cannot. */
static void
spawn(struct mx_pool *p)
{
	pthread_t t;

	if (p->workers >= p->cap)
		return;
	if (p->ntids == p->tidcap) {
		size_t n = p->tidcap ? 2 * p->tidcap : 16;
		pthread_t *nt = realloc(p->tids, n * sizeof *nt);

		if (!nt)
			return;
		p->tids = nt;
		p->tidcap = n;
	}
	if (pthread_create(&t, &p->attr, worker_main, p) == 0) {
		p->tids[p->ntids++] = t;
		p->workers++;
	}
}

/* Queue c for the next worker that takes a kick (lock held). */
static void
enqueue(struct mx_pool *p, struct mx_conn *c)
{
	c->qnext = NULL;
	if (p->qtail)
		p->qtail->qnext = c;
	else
		p->qhead = c;
	p->qtail = c;
	(void)!eventfd_write(p->kick, 1);
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

/* Take c off the parked list for a job (lock held): unregistered first,
 * so no event names it once it runs. */
static void
unpark_to_queue(struct mx_pool *p, struct mx_conn *c)
{
	(void)epoll_ctl(p->ep, EPOLL_CTL_DEL, c->fd, NULL);
	c->in_epoll = 0;
	unlink_parked(p, c);
	enqueue(p, c);
}

/* Point the timer at deadline (mx_clock_ms; 0: disarm), lock held. */
static void
timer_set(struct mx_pool *p, long long deadline)
{
	struct itimerspec its;

	memset(&its, 0, sizeof its);
	if (deadline) {
		its.it_value.tv_sec = deadline / 1000;
		its.it_value.tv_nsec = (deadline % 1000) * 1000000L;
	}
	(void)timerfd_settime(p->timer, TFD_TIMER_ABSTIME, &its, NULL);
	p->timer_at = deadline;
}

void
mx_pool_waiting(void *pool, int waiting)
{
	struct mx_pool *p = pool;

	if (!waiting)
		return;
	pthread_mutex_lock(&p->lock);
	if (p->idle == 0 && !p->quit)
		spawn(p);	/* someone must be left to wait for events */
	pthread_mutex_unlock(&p->lock);
}

int
mx_pool_park(struct mx_conn *c, long long deadline)
{
	struct mx_pool *p = c->srv->pool;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT };

	pthread_mutex_lock(&p->lock);
	if (p->stopping || (size_t)c->fd >= p->nslots || p->slots[c->fd].c != c) {
		pthread_mutex_unlock(&p->lock);
		return -1;
	}
	ev.data.u64 = (uint64_t)p->slots[c->fd].gen << 32 | (uint32_t)c->fd;
	c->park_deadline = deadline;
	c->parked = 1;
	c->pprev = NULL;
	c->pnext = p->parked;
	if (p->parked)
		p->parked->pprev = c;
	p->parked = c;
	if (epoll_ctl(p->ep, c->in_epoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev) < 0) {
		unlink_parked(p, c);
		pthread_mutex_unlock(&p->lock);
		return -1;	/* the worker keeps it and waits itself */
	}
	c->in_epoll = 1;
	if (deadline && (!p->timer_at || deadline < p->timer_at))
		timer_set(p, deadline);
	pthread_mutex_unlock(&p->lock);
	return 0;
}

void
mx_pool_forget(struct mx_conn *c)
{
	struct mx_pool *p = c->srv->pool;

	pthread_mutex_lock(&p->lock);
	if ((size_t)c->fd < p->nslots && p->slots[c->fd].c == c)
		p->slots[c->fd].c = NULL;
	if (c->parked)
		unlink_parked(p, c);
	pthread_mutex_unlock(&p->lock);
}

/* Give c a slot under its descriptor (lock held): 0, or -1. */
static int
slot_take(struct mx_pool *p, struct mx_conn *c)
{
	if ((size_t)c->fd >= p->nslots) {
		size_t n = p->nslots ? p->nslots : 64;
		struct slot *ns;

		while (n <= (size_t)c->fd)
			n *= 2;
		if (!(ns = realloc(p->slots, n * sizeof *ns)))
			return -1;
		memset(ns + p->nslots, 0, (n - p->nslots) * sizeof *ns);
		p->slots = ns;
		p->nslots = n;
	}
	p->slots[c->fd].c = c;
	p->slots[c->fd].gen = ++p->gen ? p->gen : ++p->gen;
	return 0;
}

/* Accept one connection on listener i, re-arm the listener. The new
 * connection, or NULL (nothing there, or refused with 421). */
static struct mx_conn *
accept_one(struct mx_pool *p, size_t i)
{
	struct mxlab_server *srv = p->srv;
	struct epoll_event le = { .events = EPOLLIN | EPOLLONESHOT,
				  .data.u64 = TAG_LISTEN + ((uint64_t)i << 2) };
	struct sockaddr_storage ss;
	socklen_t sl = sizeof ss;
	struct mx_conn *c = NULL;
	int fd, full;

	do
		fd = accept4(srv->lfd[i], (struct sockaddr *)&ss, &sl, SOCK_CLOEXEC);
	while (fd < 0 && (errno == EINTR || errno == ECONNABORTED));
	pthread_mutex_lock(&p->lock);
	if (!p->stopping)
		(void)epoll_ctl(p->ep, EPOLL_CTL_MOD, srv->lfd[i], &le);
	pthread_mutex_unlock(&p->lock);
	if (fd < 0)
		return NULL;	/* EAGAIN, or out of descriptors: later */
	if (mx_net_nodelay(fd) < 0) {	/* as if accept had failed */
		close(fd);
		return NULL;
	}
	pthread_mutex_lock(&srv->lock);
	full = srv->stats.active >= srv->cfg.max_connections;
	if (full)
		srv->stats.refused++;
	pthread_mutex_unlock(&srv->lock);
	if (!full && (c = calloc(1, sizeof *c))) {
		c->srv = srv;
		c->fd = fd;
		pthread_mutex_lock(&p->lock);
		if (slot_take(p, c) < 0) {
			free(c);
			c = NULL;
		}
		pthread_mutex_unlock(&p->lock);
	}
	if (!c) {
		static const char busy[] = "421 4.3.2 Too many connections, try again later\r\n";

		(void)!send(fd, busy, sizeof busy - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
		close(fd);
		return NULL;
	}
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
	return c;
}

/* The timer fired: queue the parked connections whose deadline passed
 * (their read then times out), aim the timer at the next one (lock held). */
static void
expire_parked(struct mx_pool *p)
{
	struct epoll_event te = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = TAG_TIMER };
	long long now = mx_clock_ms(), next = 0;
	struct mx_conn *c = p->parked, *n;
	uint64_t ticks;

	(void)!read(p->timer, &ticks, sizeof ticks);
	for (; c; c = n) {
		n = c->pnext;
		if (!c->park_deadline)
			continue;
		if (c->park_deadline <= now)
			unpark_to_queue(p, c);
		else if (!next || c->park_deadline < next)
			next = c->park_deadline;
	}
	timer_set(p, next);
	(void)epoll_ctl(p->ep, EPOLL_CTL_MOD, p->timer, &te);
}

/* What one event asks of this worker (lock held): a connection to run,
 * or NULL. *leave is set when the worker must quit. */
static struct mx_conn *
take_event(struct mx_pool *p, uint64_t tag, int *leave)
{
	struct mx_conn *c;

	if (tag == TAG_KICK) {
		eventfd_t v;

		if (eventfd_read(p->kick, &v) < 0)
			return NULL;	/* another worker took the token */
		if ((c = p->qhead)) {
			p->qhead = c->qnext;
			if (!p->qhead)
				p->qtail = NULL;
			return c;
		}
		*leave = p->quit;
		return NULL;
	}
	if (tag == TAG_TIMER) {
		expire_parked(p);
		return NULL;
	}
	if (tag >> 32 == 0) {
		size_t i = (size_t)((tag - TAG_LISTEN) >> 2);

		if (p->stopping)
			return NULL;
		pthread_mutex_unlock(&p->lock);
		c = accept_one(p, i);
		pthread_mutex_lock(&p->lock);
		return c;
	}
	{
		uint32_t fd = (uint32_t)tag, gen = (uint32_t)(tag >> 32);

		if (fd >= p->nslots || p->slots[fd].gen != gen || !(c = p->slots[fd].c) ||
		    !c->parked)
			return NULL;	/* late: it ended, or a job has it */
		unlink_parked(p, c);	/* one-shot: disarmed, stays registered */
		return c;
	}
}

static void *
worker_main(void *arg)
{
	struct mx_pool *p = arg;
	struct mx_worker_bufs *b = calloc(1, sizeof *b);
	int leave = 0;

	if (b) {
		b->line = malloc(p->srv->cfg.max_line);
		b->piece = malloc(MX_DATA_PIECE);
		jw_init(&b->w);
	}
	if (!b || !b->line || !b->piece)
		leave = 1;	/* this worker cannot run sessions; others do */
	pthread_mutex_lock(&p->lock);
	while (!leave) {
		struct epoll_event ev;
		struct mx_conn *c;
		int n;

		p->idle++;
		pthread_mutex_unlock(&p->lock);
		n = epoll_wait(p->ep, &ev, 1, -1);
		pthread_mutex_lock(&p->lock);
		p->idle--;
		if (n < 0 && errno != EINTR)
			break;
		if (n <= 0 || !(c = take_event(p, ev.data.u64, &leave)))
			continue;
		pthread_mutex_unlock(&p->lock);
		mx_session_run(c, b);
		pthread_mutex_lock(&p->lock);
	}
	p->workers--;
	pthread_mutex_unlock(&p->lock);
	if (b) {
		jw_free(&b->w);
		free(b->line);
		free(b->piece);
		free(b);
	}
	return NULL;
}

mxlab_err
mx_pool_start(struct mxlab_server *srv, char *err, size_t errlen)
{
	struct mx_pool *p = calloc(1, sizeof *p);
	struct epoll_event ke = { .events = EPOLLIN, .data.u64 = TAG_KICK };
	struct epoll_event te = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = TAG_TIMER };

	if (!p)
		return BAD(MXLAB_ERR_NOMEM, "out of memory");
	srv->pool = p;
	p->srv = srv;
	p->cap = srv->cfg.max_connections ? srv->cfg.max_connections : 1;
	p->ep = p->kick = p->timer = -1;
	pthread_mutex_init(&p->lock, NULL);
	pthread_attr_init(&p->attr);
	pthread_attr_setstacksize(&p->attr, 256 * 1024);
	if ((p->ep = epoll_create1(EPOLL_CLOEXEC)) < 0 ||
	    (p->kick = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK | EFD_SEMAPHORE)) < 0 ||
	    (p->timer = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK)) < 0 ||
	    epoll_ctl(p->ep, EPOLL_CTL_ADD, p->kick, &ke) < 0 ||
	    epoll_ctl(p->ep, EPOLL_CTL_ADD, p->timer, &te) < 0)
		return BAD(MXLAB_ERR_IO, "epoll: %s", strerror(errno));
	for (size_t i = 0; i < srv->nl; i++) {
		struct epoll_event le = { .events = EPOLLIN | EPOLLONESHOT,
					  .data.u64 = TAG_LISTEN + ((uint64_t)i << 2) };
		int fl = fcntl(srv->lfd[i], F_GETFL);

		if (fl < 0 || fcntl(srv->lfd[i], F_SETFL, fl | O_NONBLOCK) < 0 ||
		    epoll_ctl(p->ep, EPOLL_CTL_ADD, srv->lfd[i], &le) < 0)
			return BAD(MXLAB_ERR_IO, "epoll: %s", strerror(errno));
	}
	pthread_mutex_lock(&p->lock);
	for (long i = 0, n = sysconf(_SC_NPROCESSORS_ONLN); i < (n > 2 ? n : 2); i++)
		spawn(p);
	pthread_mutex_unlock(&p->lock);
	if (!p->workers)
		return BAD(MXLAB_ERR_IO, "cannot start a worker thread");
	return MXLAB_OK;
}

void
mx_pool_stop_accepting(struct mx_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	p->stopping = 1;
	for (size_t i = 0; i < p->srv->nl; i++)
		(void)epoll_ctl(p->ep, EPOLL_CTL_DEL, p->srv->lfd[i], NULL);
	pthread_mutex_unlock(&p->lock);
}

void
mx_pool_drain(struct mx_pool *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->lock);
	/* Every parked session to a worker: their sockets are shut down, so
	 * each ends at its next read. */
	while (p->parked)
		unpark_to_queue(p, p->parked);
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
	if (p->kick >= 0 && p->workers)
		(void)!eventfd_write(p->kick, p->workers);
	pthread_mutex_unlock(&p->lock);
	for (size_t i = 0; i < p->ntids; i++)
		pthread_join(p->tids[i], NULL);
	free(p->tids);
	free(p->slots);
	if (p->ep >= 0)
		close(p->ep);
	if (p->kick >= 0)
		close(p->kick);
	if (p->timer >= 0)
		close(p->timer);
	pthread_attr_destroy(&p->attr);
	pthread_mutex_destroy(&p->lock);
	free(p);
}
