/*
 * The relay's workers: a fixed pool of threads (--threads; default 4 a
 * CPU) serves every cage, so
 * 10,000 idle cages cost no thread each (docs/architecture.md "Waiting").
 *
 * Each cage has an eventfd, its bell, shared with the cage.  A cage
 * nobody serves is asleep (chan->relay_sleeping): a client that submits
 * a slot then writes 1 to the bell (client-libc/chan.c).  Every bell is
 * in one epoll set with EPOLLONESHOT, so a bell that rang is handed to
 * exactly one worker, and nobody else serves that cage until the worker
 * re-arms it.  The worker serves it as a cage thread did: takes its
 * slots, spins about RELAY_SPIN_NS for more (polling replies meanwhile),
 * and leaves it sooner when another bell rang; then the Dekker ordering
 * with the client (relay_sleeping = 1, re-scan) and the re-arm.
 *
 * A cage that keeps its worker busy is requeued after POOL_TURN frames
 * when others wait: its own bell written, re-armed, so it waits its turn.
 *
 * relay_cage_stop takes a cage out of the table first (no worker takes
 * it up from then on: the event's key carries its generation), then
 * waits until no worker holds it (users).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "futex.h"
#include "relay.h"

/* The stop eventfd's key: no cage has it (idx < RELAY_MAX_CHANS). */
#define POOL_STOP UINT64_MAX
/* Frames one cage gets in a row while other bells wait. */
#define POOL_TURN 64

static uint64_t key_of(const struct relay_cage *c)
{
	return (uint64_t)c->gen << 32 | c->idx;
}

static int arm(struct relay *r, struct relay_cage *c, int op)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLONESHOT,
				 .data.u64 = key_of(c)};
	return epoll_ctl(r->epfd, op, c->bell, &ev) < 0 ? -errno : 0;
}

int relay_pool_add(struct relay *r, struct relay_cage *c)
{
	/* asleep from the start: the cage's first call rings */
	atomic_store(&c->chan->relay_sleeping, 1);
	return arm(r, c, EPOLL_CTL_ADD);
}

void relay_pool_remove(struct relay *r, struct relay_cage *c)
{
	/* the cage keeps its copy of the eventfd: closing ours would leave
	 * it in the set */
	epoll_ctl(r->epfd, EPOLL_CTL_DEL, c->bell, NULL);
	uint32_t u;
	while ((u = atomic_load(&c->users)) != 0)
		lind_futex_wait(&c->users, u, 100);
}

/* The cage an event names, held; NULL when it has gone (or is going). */
static struct relay_cage *hold(struct relay *r, uint64_t key)
{
	uint32_t idx = (uint32_t)key, gen = (uint32_t)(key >> 32);
	if (idx >= RELAY_MAX_CHANS)
		return NULL;
	pthread_mutex_lock(&r->table_lock);
	struct relay_cage *c = r->chans[idx];
	if (c && (c->gen != gen || atomic_load(&c->stop)))
		c = NULL;
	if (c)
		atomic_fetch_add(&c->users, 1);
	pthread_mutex_unlock(&r->table_lock);
	return c;
}

static void release(struct relay_cage *c)
{
	if (atomic_fetch_sub(&c->users, 1) == 1 && atomic_load(&c->stop))
		lind_futex_wake(&c->users, INT_MAX);
}

/* Another bell rang: its event is ours now, in *next. */
static bool other_ready(struct relay *r, uint64_t *next)
{
	struct epoll_event ev;
	if (epoll_wait(r->epfd, &ev, 1, 0) != 1)
		return false;
	*next = ev.data.u64;
	return true;
}

/* The load hint for the cage's client (its channel's copy: a store only
 * when it changed, the header line being the doorbell's too). */
static void pass_hint(struct relay *r, struct lind_chan *ch)
{
	uint32_t b = relay_busy(r);
	if (atomic_load_explicit(&ch->busy, memory_order_relaxed) != b)
		atomic_store_explicit(&ch->busy, b, memory_order_relaxed);
}

/* Spin on c: 1 when it had work (or replies were routed), 0 when it
 * stayed idle, -1 when another bell rang (*next).  Not at all when no
 * core is free (load.c): the client then sleeps at once too, so it rings
 * its bell for the next call. */
static int spin(struct relay *r, struct relay_cage *c, uint64_t *next)
{
	uint64_t until = lind_now_ns() + RELAY_SPIN_NS;
	for (unsigned k = 1; !relay_busy(r) && lind_now_ns() < until; k++) {
		relay_spin_pause(until);
		if (relay_cage_scan(c))
			return 1;
		if (relay_cage_in_flight(c) && relay_replies_poll(r))
			return 1;
		if (k % 4 == 0 && other_ready(r, next))
			return -1;
	}
	return 0;
}

/* Put c to sleep: announce it, re-check (a slot submitted before the
 * announcement is taken here; one after it rings the bell), re-arm.
 * false when it had work again and nobody else waits: serve on. */
static bool sleep_cage(struct relay *r, struct relay_cage *c, bool others)
{
	struct lind_chan *ch = c->chan;
	atomic_store(&ch->relay_sleeping, 1); /* seq_cst: Dekker with client */
	if (relay_cage_scan(c) && !others) {
		atomic_store(&ch->relay_sleeping, 0);
		return false;
	}
	arm(r, c, EPOLL_CTL_MOD); /* ENOENT: it is being stopped */
	return true;
}

/* Leave a busy cage for others: its own bell rung, so it comes back. */
static void requeue(struct relay *r, struct relay_cage *c)
{
	uint64_t one = 1;
	if (write(c->bell, &one, sizeof one) < 0) {
		/* a counter at its maximum is readable already */
	}
	arm(r, c, EPOLL_CTL_MOD);
}

/* Serve c (held) until it sleeps or yields; true with another cage's
 * event in *next. */
static bool serve(struct relay_worker *w, struct relay_cage *c,
		  uint64_t *next)
{
	struct relay *r = w->r;
	uint64_t v;
	atomic_fetch_add_explicit(&r->serving, 1, memory_order_relaxed);
	atomic_store(&c->chan->relay_sleeping, 0);
	if (read(c->bell, &v, sizeof v) < 0) {
		/* EAGAIN: the ring came before we looked, or none (requeued) */
	}
	c->frame = w->frame;
	bool got_next = false;
	for (unsigned run = 0; !atomic_load(&c->stop);) {
		pass_hint(r, c->chan);
		int n = relay_cage_scan(c);
		if (n) {
			run += (unsigned)n;
			if (run >= POOL_TURN) {
				run = 0;
				if ((got_next = other_ready(r, next))) {
					requeue(r, c);
					break;
				}
			}
			continue;
		}
		int s = spin(r, c, next);
		if (s > 0)
			continue;
		got_next = s < 0;
		if (sleep_cage(r, c, got_next))
			break;
	}
	atomic_fetch_sub_explicit(&r->serving, 1, memory_order_relaxed);
	release(c);
	return got_next;
}

static void *worker_main(void *arg)
{
	struct relay_worker *w = arg;
	struct relay *r = w->r;
	uint64_t key = 0;
	bool have = false;
	for (;;) {
		if (!have) {
			struct epoll_event ev;
			if (epoll_wait(r->epfd, &ev, 1, -1) != 1)
				continue; /* EINTR */
			key = ev.data.u64;
		}
		if (key == POOL_STOP)
			break;
		struct relay_cage *c = hold(r, key);
		have = c && serve(w, c, &key);
	}
	return NULL;
}

/* 4 a CPU: on a busy 2-core machine, 64 cages calling at once got half
 * the calls per second a thread per cage got with 2 workers, as many
 * with 8 (the workers compete with every other process for the CPU). */
static unsigned default_workers(void)
{
	long n = 4 * sysconf(_SC_NPROCESSORS_ONLN);
	return n < 4 ? 4 : n > 64 ? 64 : (unsigned)n;
}

int relay_pool_start(struct relay *r)
{
	if (!r->nworkers)
		r->nworkers = default_workers();
	r->epfd = epoll_create1(EPOLL_CLOEXEC);
	r->pool_stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	r->workers = calloc(r->nworkers, sizeof *r->workers);
	if (r->epfd < 0 || r->pool_stop_fd < 0 || !r->workers)
		return r->workers ? -errno : -ENOMEM;
	/* level-triggered: once written, every worker sees it */
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = POOL_STOP};
	if (epoll_ctl(r->epfd, EPOLL_CTL_ADD, r->pool_stop_fd, &ev) < 0)
		return -errno;
	for (unsigned i = 0; i < r->nworkers; i++) {
		struct relay_worker *w = &r->workers[i];
		w->r = r;
		void *p = mmap(NULL, LIND_MAX_FRAME, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return -ENOMEM;
		w->frame = p;
		int rc = relay_thread_start(&w->thread, worker_main, w);
		if (rc < 0)
			return rc;
		w->running = true;
	}
	return 0;
}

/* After every cage has stopped. */
void relay_pool_stop(struct relay *r)
{
	uint64_t one = 1;
	if (r->pool_stop_fd >= 0 &&
	    write(r->pool_stop_fd, &one, sizeof one) < 0)
		lind_log(0, "cannot stop the workers: %s", strerror(errno));
	for (unsigned i = 0; r->workers && i < r->nworkers; i++) {
		struct relay_worker *w = &r->workers[i];
		if (w->running)
			pthread_join(w->thread, NULL);
		if (w->frame)
			munmap(w->frame, LIND_MAX_FRAME);
	}
	free(r->workers);
	r->workers = NULL;
	if (r->epfd >= 0)
		close(r->epfd);
	if (r->pool_stop_fd >= 0)
		close(r->pool_stop_fd);
	r->epfd = r->pool_stop_fd = -1;
}
