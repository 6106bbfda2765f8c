/*
 * timerfd (Linux's fs/timerfd.c): a timer on CLOCK_REALTIME, MONOTONIC or
 * BOOTTIME whose expiries are counted for read.  The server never
 * blocks: the next expiry is an ev_timer in the loop (libev's own clock
 * is monotonic; on firing, the timer's clock is read again and an early
 * wake re-arms for the rest).  Readers park on one queue; poll sees
 * POLLIN while expiries are unread.  A set of the realtime clock
 * (clock_settime, a step of NTP) is learnt from the server's own host
 * timerfd, armed with TFD_TIMER_CANCEL_ON_SET for the far future while
 * any realtime timer is armed: its read says ECANCELED.  Then every
 * realtime timer is re-armed for the new time, and one set with
 * TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET is canceled as Linux's
 * timerfd_clock_was_set does: readable, its next read ECANCELED.
 */
#define _GNU_SOURCE
#include <ev.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "anon.h"
#include "common.h"
#include "sys.h"
#include "wait.h"

#define NS 1000000000LL

struct tfd {
	clockid_t clock;
	int64_t expiry;   /* in clock's ns; 0: disarmed */
	int64_t interval; /* ns; 0: once */
	uint64_t ticks;   /* expiries not read yet */
	bool might_cancel; /* set ABSTIME | CANCEL_ON_SET, realtime */
	bool canceled;     /* the clock was set since: read ECANCELED */
	ev_timer timer;
	struct waitq rq;
	struct tfd *next, **pprev; /* rt.timers */
};

/* The watch of the realtime clock: a host timerfd that reads ECANCELED
 * when the clock is set, open while a realtime timer is armed or may be
 * canceled. */
static struct {
	int fd; /* -1: none */
	ev_io io;
	struct tfd *timers; /* realtime, armed or might_cancel */
} rt = {.fd = -1};

static int64_t clock_ns(clockid_t clock)
{
	struct timespec t;
	clock_gettime(clock, &t);
	return (int64_t)t.tv_sec * NS + t.tv_nsec;
}

static void rt_watch(struct tfd *t, bool on);

static void arm(struct tfd *t)
{
	rt_watch(t, t->clock == CLOCK_REALTIME && (t->expiry || t->might_cancel));
	if (!srv.loop)
		return;
	ev_timer_stop(srv.loop, &t->timer);
	if (!t->expiry)
		return;
	int64_t left = t->expiry - clock_ns(t->clock);
	ev_timer_set(&t->timer, left > 0 ? (double)left / 1e9 : 0, 0);
	ev_timer_start(srv.loop, &t->timer);
}

/* Counts what expired by now and moves the expiry past it. */
static void expire(struct tfd *t)
{
	int64_t now = clock_ns(t->clock);
	if (!t->expiry || now < t->expiry)
		return;
	if (!t->interval) {
		t->ticks++;
		t->expiry = 0;
		return;
	}
	uint64_t n = (uint64_t)((now - t->expiry) / t->interval) + 1;
	t->ticks += n;
	t->expiry += (int64_t)n * t->interval;
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct tfd *t = w->data;
	uint64_t before = t->ticks;
	expire(t);
	arm(t);
	if (t->ticks != before)
		waitq_wake(&t->rq, POLLIN);
}

/* ---- the realtime clock's sets ------------------------------------------ */

/* Linux's timerfd_clock_was_set, for every armed realtime timer. */
static void clock_was_set(void)
{
	wait_begin(); /* no re-run changes the list under this walk */
	for (struct tfd *t = rt.timers, *next; t; t = next) {
		next = t->next;
		if (t->might_cancel && !t->canceled) {
			t->canceled = true;
			t->ticks++;
			waitq_wake(&t->rq, POLLIN);
		}
		arm(t); /* its time is another distance away */
	}
	wait_end();
}

static void on_clock(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	uint64_t n;
	if (read(w->fd, &n, sizeof n) < 0 && errno == ECANCELED)
		clock_was_set();
}

static void rt_close(void)
{
	if (rt.fd < 0)
		return;
	if (srv.loop)
		ev_io_stop(srv.loop, &rt.io);
	close(rt.fd);
	rt.fd = -1;
}

/* The host timerfd, armed for the far future to hear of clock sets. */
static void rt_open(void)
{
	if (rt.fd >= 0 || !srv.loop)
		return;
	rt.fd = timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
	struct itimerspec far = {{0, 0}, {(time_t)1 << 40, 0}};
	if (rt.fd < 0 || timerfd_settime(rt.fd, TFD_TIMER_ABSTIME |
					 TFD_TIMER_CANCEL_ON_SET, &far,
					 NULL) < 0) {
		lind_log(0, "timerfd: clock sets will not be seen: %s",
			 strerror(errno));
		if (rt.fd >= 0)
			close(rt.fd);
		rt.fd = -1;
		return;
	}
	ev_io_init(&rt.io, on_clock, rt.fd, EV_READ);
	ev_io_start(srv.loop, &rt.io);
}

/* t joins or leaves the armed realtime timers. */
static void rt_watch(struct tfd *t, bool on)
{
	if (on == (t->pprev != NULL))
		return;
	if (on) {
		t->next = rt.timers;
		t->pprev = &rt.timers;
		if (t->next)
			t->next->pprev = &t->next;
		rt.timers = t;
		rt_open();
		return;
	}
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->pprev = NULL;
	if (!rt.timers)
		rt_close();
}

/* ---- the description ---------------------------------------------------- */

static long tfd_read(struct call *c, struct ofd *o, void *buf, size_t cap,
		     const int64_t *pos)
{
	struct tfd *t = o->priv;
	if (pos)
		return -ESPIPE;
	if (cap < sizeof t->ticks)
		return -EINVAL;
	expire(t); /* the loop may not have run since */
	if (!t->ticks) {
		if (o->flags & O_NONBLOCK)
			return -EAGAIN;
		struct waitq *q = &t->rq;
		c->hold = o;
		return call_park(c, &q, 1, POLLIN, -1);
	}
	if (t->canceled) { /* Linux's timerfd_canceled */
		t->canceled = false;
		t->ticks = 0;
		return -ECANCELED;
	}
	memcpy(buf, &t->ticks, sizeof t->ticks);
	t->ticks = 0;
	return sizeof t->ticks;
}

static unsigned tfd_poll(struct ofd *o)
{
	struct tfd *t = o->priv;
	expire(t);
	return t->ticks ? POLLIN : 0;
}

static struct waitq *tfd_waitq(struct ofd *o, unsigned events)
{
	(void)events;
	struct tfd *t = o->priv;
	return &t->rq;
}

static void tfd_release(struct ofd *o)
{
	struct tfd *t = o->priv;
	if (srv.loop)
		ev_timer_stop(srv.loop, &t->timer);
	rt_watch(t, false);
	free(t);
}

const struct ofd_ops ofd_timerfd_ops = {
	.kind = "timerfd",
	.read = tfd_read,
	.poll = tfd_poll,
	.waitq = tfd_waitq,
	.release = tfd_release,
	ANON_OPS,
};

long srv_timerfd_create(struct call *c)
{
	clockid_t clock = (clockid_t)c->a[0];
	long flags = c->a[1];
	if (flags & ~(long)(TFD_NONBLOCK | TFD_CLOEXEC))
		return -EINVAL;
	if (clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM)
		return -EPERM; /* CAP_WAKE_ALARM: never a cage's */
	if (clock != CLOCK_REALTIME && clock != CLOCK_MONOTONIC &&
	    clock != CLOCK_BOOTTIME)
		return -EINVAL;
	struct tfd *t = calloc(1, sizeof *t);
	if (!t)
		return -ENOMEM;
	t->clock = clock;
	ev_timer_init(&t->timer, on_timer, 0, 0);
	t->timer.data = t;
	return anon_install(c, &ofd_timerfd_ops, t, (int)flags);
}

/* The timerfd at fd: EBADF, or EINVAL for another kind. */
static long tfd_get(struct call *c, long fd, struct tfd **out)
{
	struct ofd *o = fd_get(c->cage->fds, fd);
	if (!o)
		return -EBADF;
	if (!ofd_is(o, &ofd_timerfd_ops))
		return -EINVAL;
	*out = o->priv;
	return 0;
}

static struct timespec ts_of(int64_t ns)
{
	return (struct timespec){ns / NS, ns % NS};
}

/* The current setting as timerfd_gettime answers it. */
static struct itimerspec current(struct tfd *t)
{
	expire(t);
	int64_t left = 0;
	if (t->expiry) {
		left = t->expiry - clock_ns(t->clock);
		left = left > 0 ? left : 0;
	}
	return (struct itimerspec){ts_of(t->interval), ts_of(left)};
}

/* A valid timespec as ns, saturated far in the future (as ktime); -1
 * when invalid. */
static int64_t ts_ns(const struct timespec *ts)
{
	if (ts->tv_sec < 0 || ts->tv_nsec < 0 || ts->tv_nsec >= NS)
		return -1;
	if (ts->tv_sec >= INT64_MAX / NS / 4)
		return INT64_MAX / 4;
	return ts->tv_sec * NS + ts->tv_nsec;
}

/* Linux's order: the new value read (EFAULT), checked (EINVAL), then
 * the fd (EBADF, EINVAL for another kind). */
long srv_timerfd_settime(struct call *c)
{
	long flags = c->a[1];
	struct itimerspec nv;
	struct tfd *t;
	if (!call_obj_in(c, 2, &nv, sizeof nv))
		return -EFAULT;
	int64_t v = ts_ns(&nv.it_value), iv = ts_ns(&nv.it_interval);
	if ((flags & ~(long)(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET)) ||
	    v < 0 || iv < 0)
		return -EINVAL;
	long r = tfd_get(c, c->a[0], &t);
	if (r < 0)
		return r;
	struct itimerspec old = current(t);
	t->interval = iv;
	t->ticks = 0;
	t->expiry = 0;
	t->canceled = false;
	t->might_cancel = t->clock == CLOCK_REALTIME &&
			  (flags & TFD_TIMER_ABSTIME) &&
			  (flags & TFD_TIMER_CANCEL_ON_SET);
	if (v) {
		t->expiry = flags & TFD_TIMER_ABSTIME ? v : clock_ns(t->clock) + v;
		t->expiry += !t->expiry; /* 0 means disarmed */
	}
	arm(t);
	call_obj_out_set(c, 3, &old);
	return 0;
}

long srv_timerfd_gettime(struct call *c)
{
	struct tfd *t;
	long r = tfd_get(c, c->a[0], &t);
	if (r < 0)
		return r;
	if (!call_obj_out(c, 1))
		return -EFAULT;
	struct itimerspec cur = current(t);
	call_obj_out_set(c, 1, &cur);
	return 0;
}
