/*
 * epoll (Linux's fs/eventpoll.c): an instance is a description whose
 * items are (description, fd) pairs.  An item stays a callback waiter
 * (wait.h wait_cb) on the queues its description wakes, from ADD to DEL,
 * so a wake costs one callback that puts the item on the instance's
 * ready list and wakes the instance's own queue; epoll_wait looks only
 * at the ready list and parks on that one queue, however many fds are
 * watched.  Each reported item is asked again (ops->poll): a
 * level-triggered one still ready stays on the list, an edge-triggered
 * one leaves it until its next wake, an EPOLLONESHOT one is disabled
 * until EPOLL_CTL_MOD.  An item holds no reference: the last close of
 * its description takes it out of every instance (epoll_forget).  An
 * instance is a description like any other: watched by another
 * instance (no loops, at most EP_MAX_NESTS deep) or by poll.
 * EPOLLEXCLUSIVE items are exclusive callback waiters: a wake goes
 * through them in the order they were added until one reaches a parked
 * epoll_wait, as Linux wakes one exclusive entry (those passed over, with
 * nobody waiting, are on their instances' ready lists all the same).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <time.h>

#include "anon.h"
#include "epoll.h"
#include "sys.h"
#include "wait.h"

#define EP_MAX_NESTS 4
#define EP_PRIVATE (EPOLLONESHOT | EPOLLET | EPOLLEXCLUSIVE | EPOLLWAKEUP)
#define EXCLUSIVE_OK (EPOLLIN | EPOLLOUT | EPOLLERR | EPOLLHUP | EPOLLWAKEUP | \
		      EPOLLET | EPOLLEXCLUSIVE)

struct epitem {
	struct epoll *ep;
	struct ofd *o; /* no reference: epoll_forget at its last close */
	int fd;
	uint32_t events; /* as asked, with EPOLLERR | EPOLLHUP */
	uint64_t data;
	bool ready;
	struct ep_cb {
		struct wait_cb w;
		struct epitem *item;
	} cb[2]; /* on its POLLIN and POLLOUT queues */
	struct epitem *next, **pprev;   /* the instance's items */
	struct epitem *onext, **opprev; /* the description's (o->epitems) */
	struct epitem *rnext, **rpprev; /* the ready list */
	struct epitem *pnext, **ppprev; /* the polled list */
};

struct epoll {
	struct ofd *self; /* its description (no reference) */
	struct epitem *items;
	struct epitem *ready, **rtail;
	/* items whose readiness changes unseen (a signalfd's: the host's
	 * signals), asked at every epoll_wait */
	struct epitem *polled;
	struct waitq wq; /* epoll_wait callers and watchers of this fd */
};

/* ---- the ready list ---------------------------------------------------- */

static void ready_add(struct epitem *i)
{
	struct epoll *ep = i->ep;
	if (i->ready)
		return;
	i->ready = true;
	i->rnext = NULL;
	i->rpprev = ep->rtail;
	*ep->rtail = i;
	ep->rtail = &i->rnext;
}

static void ready_del(struct epitem *i)
{
	if (!i->ready)
		return;
	*i->rpprev = i->rnext;
	if (i->rnext)
		i->rnext->rpprev = i->rpprev;
	else
		i->ep->rtail = i->rpprev;
	i->ready = false;
}

/* An EPOLLEXCLUSIVE item's wake counts (stops the wake) when an
 * epoll_wait is parked on its instance and the wake is for what it
 * watches, as Linux's ep_poll_callback answers ewake. */
static bool exclusive_woke(const struct epitem *i, unsigned events)
{
	if (!waitq_count(&i->ep->wq, POLLIN))
		return false;
	switch (events & (POLLIN | POLLOUT)) {
	case POLLIN:
		return i->events & EPOLLIN;
	case POLLOUT:
		return i->events & EPOLLOUT;
	case 0:
		return true;
	default:
		return false;
	}
}

/* A watched queue woke (ep_poll_callback): the item is ready, unless
 * disabled (EPOLLONESHOT fired) or woken for what it does not watch.
 * True when it woke a waiter (wait.h: ends the wake of exclusive ones). */
static bool on_wake(struct wait_cb *w, unsigned events)
{
	struct epitem *i = ((struct ep_cb *)w)->item;
	if (!(i->events & ~EP_PRIVATE))
		return false;
	if (events != WAIT_ALL && !(events & i->events))
		return false;
	ready_add(i);
	bool woke = exclusive_woke(i, events);
	waitq_wake(&i->ep->wq, POLLIN);
	return woke;
}

/* What the item reports now: its description's mask, as asked. */
static uint32_t item_mask(struct epitem *i)
{
	return sys_poll_mask(i->o) & i->events & ~EP_PRIVATE;
}

/* Asks the description for its queues again: a stream re-arms its host
 * watcher there (the queues themselves never change). */
static void item_rearm(struct epitem *i)
{
	(void)i->o->ops->waitq(i->o, POLLIN);
	(void)i->o->ops->waitq(i->o, POLLOUT);
}

/* ---- items ------------------------------------------------------------ */

static struct epitem *item_find(struct epoll *ep, const struct ofd *o, int fd)
{
	for (struct epitem *i = ep->items; i; i = i->next)
		if (i->o == o && i->fd == fd)
			return i;
	return NULL;
}

static long item_watch(struct epitem *i)
{
	struct waitq *in = i->o->ops->waitq(i->o, POLLIN);
	struct waitq *out = i->o->ops->waitq(i->o, POLLOUT);
	for (int k = 0; k < 2; k++) {
		i->cb[k] = (struct ep_cb){
			{NULL, on_wake, (i->events & EPOLLEXCLUSIVE) != 0}, i};
	}
	long r = in ? waitq_add_cb(in, &i->cb[0].w) : 0;
	if (r == 0 && out && out != in)
		r = waitq_add_cb(out, &i->cb[1].w);
	return r;
}

static void item_free(struct epitem *i)
{
	waitq_del_cb(&i->cb[0].w);
	waitq_del_cb(&i->cb[1].w);
	ready_del(i);
	*i->pprev = i->next;
	if (i->next)
		i->next->pprev = i->pprev;
	*i->opprev = i->onext;
	if (i->onext)
		i->onext->opprev = i->opprev;
	if (i->ppprev) {
		*i->ppprev = i->pnext;
		if (i->pnext)
			i->pnext->ppprev = i->ppprev;
	}
	free(i);
}

void epoll_forget(struct ofd *o)
{
	while (o->epitems)
		item_free(o->epitems);
}

static long item_add(struct epoll *ep, struct ofd *o, int fd,
		     const struct epoll_event *ev)
{
	struct epitem *i = calloc(1, sizeof *i);
	if (!i)
		return -ENOMEM;
	*i = (struct epitem){.ep = ep, .o = o, .fd = fd,
			     .events = ev->events | EPOLLERR | EPOLLHUP,
			     .data = ev->data.u64};
	i->next = ep->items;
	i->pprev = &ep->items;
	if (i->next)
		i->next->pprev = &i->next;
	ep->items = i;
	i->onext = o->epitems;
	i->opprev = &o->epitems;
	if (i->onext)
		i->onext->opprev = &i->onext;
	o->epitems = i;
	if (ofd_is(o, &ofd_signalfd_ops)) {
		i->pnext = ep->polled;
		i->ppprev = &ep->polled;
		if (i->pnext)
			i->pnext->ppprev = &i->pnext;
		ep->polled = i;
	}
	long r = item_watch(i);
	if (r < 0) {
		item_free(i);
		return r;
	}
	if (item_mask(i)) {
		ready_add(i);
		waitq_wake(&ep->wq, POLLIN);
	}
	return 0;
}

static long item_mod(struct epitem *i, const struct epoll_event *ev)
{
	if (i->events & EPOLLEXCLUSIVE)
		return -EINVAL;
	i->events = ev->events | EPOLLERR | EPOLLHUP;
	i->data = ev->data.u64;
	item_rearm(i);
	if (item_mask(i)) {
		ready_add(i);
		waitq_wake(&i->ep->wq, POLLIN);
	}
	return 0;
}

/* ---- the instance as a description ------------------------------------- */

static unsigned ep_poll(struct ofd *o)
{
	struct epoll *ep = o->priv;
	for (struct epitem *i = ep->ready; i; i = i->rnext)
		if (item_mask(i))
			return POLLIN;
	for (struct epitem *i = ep->polled; i; i = i->pnext)
		if (item_mask(i))
			return POLLIN;
	return 0;
}

static struct waitq *ep_waitq(struct ofd *o, unsigned events)
{
	(void)events;
	struct epoll *ep = o->priv;
	return &ep->wq;
}

static void ep_release(struct ofd *o)
{
	struct epoll *ep = o->priv;
	while (ep->items)
		item_free(ep->items);
	free(ep);
}

const struct ofd_ops ofd_epoll_ops = {
	.kind = "eventpoll",
	.poll = ep_poll,
	.waitq = ep_waitq,
	.release = ep_release,
	ANON_OPS,
};

static long ep_create(struct call *c, int flags)
{
	struct epoll *ep = calloc(1, sizeof *ep);
	if (!ep)
		return -ENOMEM;
	ep->rtail = &ep->ready;
	long fd = anon_install(c, &ofd_epoll_ops, ep, flags);
	if (fd >= 0)
		ep->self = fd_get(c->cage->fds, fd);
	return fd;
}

long srv_epoll_create(struct call *c)
{
	if ((int)c->a[0] <= 0)
		return -EINVAL;
	return ep_create(c, 0);
}

long srv_epoll_create1(struct call *c)
{
	if (c->a[0] & ~(long)EPOLL_CLOEXEC)
		return -EINVAL;
	return ep_create(c, (int)c->a[0]);
}

/* ---- epoll_ctl --------------------------------------------------------- */

/* How deep instances nest below o (0: o is not one), or -ELOOP when
 * target is among them. */
static int depth_below(struct ofd *o, const struct ofd *target, int level)
{
	if (!ofd_is(o, &ofd_epoll_ops))
		return 0;
	if (o == target || level > EP_MAX_NESTS)
		return -ELOOP;
	int deepest = 1;
	struct epoll *ep = o->priv;
	for (struct epitem *i = ep->items; i; i = i->next) {
		int d = depth_below(i->o, target, level + 1);
		if (d < 0)
			return d;
		if (d + 1 > deepest)
			deepest = d + 1;
	}
	return deepest;
}

/* How deep instances nest above o (instances watching it). */
static int depth_above(const struct ofd *o, int level)
{
	int deepest = 0;
	for (const struct epitem *i = o->epitems; i && level <= EP_MAX_NESTS;
	     i = i->onext) {
		int d = 1 + depth_above(i->ep->self, level + 1);
		deepest = d > deepest ? d : deepest;
	}
	return deepest;
}

/* Adding instance t to instance e must make no loop and no chain of more
 * than EP_MAX_NESTS + 1 instances. */
static long loop_check(struct ofd *e, struct ofd *t)
{
	int below = depth_below(t, e, 1);
	if (below < 0)
		return below;
	if (below + 1 + depth_above(e, 1) > EP_MAX_NESTS + 1)
		return -ELOOP;
	return 0;
}

/* Linux's order of checks (do_epoll_ctl). */
long srv_epoll_ctl(struct call *c)
{
	int op = (int)c->a[1], fd = (int)c->a[2];
	struct epoll_event ev = {0};
	bool has_event = op != EPOLL_CTL_DEL;
	if (has_event && !call_obj_in(c, 3, &ev, sizeof ev))
		return -EFAULT;
	struct ofd *e = fd_get(c->cage->fds, c->a[0]);
	struct ofd *t = fd_get(c->cage->fds, fd);
	if (!e || !t)
		return -EBADF;
	if (!t->ops->poll || !t->ops->waitq || !t->ops->waitq(t, POLLIN))
		return -EPERM; /* Linux's file_can_poll */
	if (has_event && (ev.events & EPOLLEXCLUSIVE) &&
	    (op == EPOLL_CTL_MOD ||
	     (op == EPOLL_CTL_ADD && (ofd_is(t, &ofd_epoll_ops) ||
				      (ev.events & ~EXCLUSIVE_OK)))))
		return -EINVAL;
	if (e == t || !ofd_is(e, &ofd_epoll_ops))
		return -EINVAL;
	struct epoll *ep = e->priv;
	struct epitem *i = item_find(ep, t, fd);
	long r;
	switch (op) {
	case EPOLL_CTL_ADD:
		if (i)
			return -EEXIST;
		if (ofd_is(t, &ofd_epoll_ops) && (r = loop_check(e, t)) < 0)
			return r;
		return item_add(ep, t, fd, &ev);
	case EPOLL_CTL_MOD:
		return i ? item_mod(i, &ev) : -ENOENT;
	case EPOLL_CTL_DEL:
		if (!i)
			return -ENOENT;
		item_free(i);
		return 0;
	default:
		return -EINVAL;
	}
}

/* ---- epoll_wait -------------------------------------------------------- */

/* Takes up to max ready items into out (packed epoll_event): what each
 * reports now; level-triggered ones still ready go back on the list. */
static int harvest(struct epoll *ep, uint8_t *out, int max)
{
	int n = 0, todo = 0;
	for (struct epitem *i = ep->ready; i; i = i->rnext)
		todo++; /* each item once per call: level ones come back */
	for (; n < max && todo > 0; todo--) {
		struct epitem *i = ep->ready;
		ready_del(i);
		uint32_t m = item_mask(i);
		if (m) {
			struct epoll_event ev = {.events = m, .data.u64 = i->data};
			memcpy(out + (size_t)n * sizeof ev, &ev, sizeof ev);
			n++;
			if (i->events & EPOLLONESHOT)
				i->events &= EP_PRIVATE; /* disabled */
			else if (!(i->events & EPOLLET))
				ready_add(i); /* level: look again next time */
		}
		if (!m || (i->events & EPOLLET))
			item_rearm(i);
	}
	return n;
}

/* timeout_ns < 0: none. */
static long do_epoll_wait(struct call *c, int64_t timeout_ns)
{
	int max = (int)c->a[2];
	if (max <= 0 || max > INT32_MAX / (int)sizeof(struct epoll_event))
		return -EINVAL;
	struct ofd *e = fd_get(c->cage->fds, c->a[0]);
	if (!e)
		return -EBADF;
	if (!ofd_is(e, &ofd_epoll_ops))
		return -EINVAL;
	struct epoll *ep = e->priv;
	size_t cap = c->out[1].cap / sizeof(struct epoll_event);
	if ((size_t)max > cap)
		max = (int)cap; /* what one frame carries */
	if (max && !c->out[1].buf)
		return -ENOMEM;
	for (struct epitem *i = ep->polled; i; i = i->pnext)
		if (item_mask(i))
			ready_add(i);
	int n = harvest(ep, c->out[1].buf, max);
	c->out[1].len = (size_t)n * sizeof(struct epoll_event);
	if (n || timeout_ns == 0 || c->expired)
		return n;
	struct waitq *q = &ep->wq;
	c->hold = e;
	long r = call_park(c, &q, 1, POLLIN, timeout_ns);
	return r == -ETIMEDOUT ? 0 : r;
}

static int64_t ms_ns(int ms)
{
	return ms < 0 ? -1 : (int64_t)ms * 1000000;
}

long srv_epoll_wait(struct call *c)
{
	return do_epoll_wait(c, ms_ns((int)c->a[3]));
}

/* The signal mask is the client's (client-libc/hooks.c). */
long srv_epoll_pwait(struct call *c)
{
	return do_epoll_wait(c, ms_ns((int)c->a[3]));
}

/* As epoll_pwait, the timeout a timespec (NULL: none), checked first. */
long srv_epoll_pwait2(struct call *c)
{
	int64_t ns = sys_poll_timespec(c, 3);
	return ns < -1 ? ns : do_epoll_wait(c, ns);
}
