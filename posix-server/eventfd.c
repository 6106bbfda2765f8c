/*
 * eventfd: a 64-bit counter (Linux's fs/eventfd.c).  A read takes the
 * count (EFD_SEMAPHORE: 1 of it) and waits while it is 0; a write adds to
 * it and waits while the sum would pass 2^64 - 2.  Readers and writers
 * park on their queue; poll sees POLLIN while the count is not 0 and
 * POLLOUT while 1 more fits.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <sys/eventfd.h>

#include "anon.h"
#include "sys.h"
#include "wait.h"

#define EFD_MAX (UINT64_MAX - 1)

struct efd {
	uint64_t count;
	bool semaphore;
	struct waitq rq, wq;
};

static long efd_wait(struct call *c, struct ofd *o, struct waitq *q,
		     unsigned ev)
{
	if (o->flags & O_NONBLOCK)
		return -EAGAIN;
	c->hold = o;
	return call_park(c, &q, 1, ev, -1);
}

static long efd_read(struct call *c, struct ofd *o, void *buf, size_t cap,
		     const int64_t *pos)
{
	struct efd *e = o->priv;
	if (pos)
		return -ESPIPE;
	if (cap < sizeof e->count)
		return -EINVAL;
	if (!e->count)
		return efd_wait(c, o, &e->rq, POLLIN);
	uint64_t v = e->semaphore ? 1 : e->count;
	e->count -= v;
	memcpy(buf, &v, sizeof v);
	waitq_wake(&e->wq, POLLOUT);
	return sizeof v;
}

static long efd_write(struct call *c, struct ofd *o, const void *buf,
		      size_t len, const int64_t *pos)
{
	struct efd *e = o->priv;
	uint64_t v;
	if (pos)
		return -ESPIPE;
	if (len < sizeof v)
		return -EINVAL;
	memcpy(&v, buf, sizeof v);
	if (v == UINT64_MAX)
		return -EINVAL;
	if (v > EFD_MAX - e->count)
		return efd_wait(c, o, &e->wq, POLLOUT);
	e->count += v;
	if (v)
		waitq_wake(&e->rq, POLLIN);
	return sizeof v;
}

static unsigned efd_poll(struct ofd *o)
{
	const struct efd *e = o->priv;
	return (e->count ? POLLIN : 0) | (e->count < EFD_MAX ? POLLOUT : 0);
}

static struct waitq *efd_waitq(struct ofd *o, unsigned events)
{
	struct efd *e = o->priv;
	return events & POLLOUT ? &e->wq : &e->rq;
}

static void efd_release(struct ofd *o)
{
	free(o->priv); /* nobody waits: a parked call holds o */
}

const struct ofd_ops ofd_eventfd_ops = {
	.kind = "eventfd",
	.read = efd_read,
	.write = efd_write,
	.poll = efd_poll,
	.waitq = efd_waitq,
	.release = efd_release,
	ANON_OPS,
};

static long do_eventfd(struct call *c, uint64_t count, long flags)
{
	if (flags & ~(long)(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK))
		return -EINVAL;
	struct efd *e = calloc(1, sizeof *e);
	if (!e)
		return -ENOMEM;
	e->count = count;
	e->semaphore = flags & EFD_SEMAPHORE;
	return anon_install(c, &ofd_eventfd_ops, e, (int)flags);
}

/* The count is an unsigned int, as the kernel's argument. */
long srv_eventfd(struct call *c)
{
	return do_eventfd(c, (uint32_t)c->a[0], 0);
}

long srv_eventfd2(struct call *c)
{
	return do_eventfd(c, (uint32_t)c->a[0], c->a[1]);
}
