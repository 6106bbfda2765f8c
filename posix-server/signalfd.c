/*
 * signalfd (Linux's fs/signalfd.c).  Signals are the host kernel's: the
 * server routes kills between cages but never sees a process's mask or
 * pending set (sys_signal.c).  So a description holds only its mask, and
 *   read  is answered with Reply.dequeue and the mask: the reading thread
 *         takes its own signals with the host's rt_sigtimedwait (client-
 *         libc/signalfd.c), which are the ones Linux's read gives it, the
 *         reader's and not the creator's (a forked child reads its own);
 *   poll  is the caller's pending signals & mask: its process's SigPnd
 *         (main thread) | ShdPnd (shared) in the host's /proc/PID/status;
 *   wakes come from a signal the server routes (srv_signal_cage), looked
 *         for every RECHECK_FAST for FAST_FOR_NS while the relay delivers
 *         it, and for signals it never sees (from the host, timers, a
 *         cage's raise of its own) every RECHECK_SLOW while anything
 *         waits on a signalfd (docs/architecture.md "signalfd").
 */
#define _GNU_SOURCE
#include <ev.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/signalfd.h>

#include "anon.h"
#include "common.h"
#include "signalfd.h"
#include "sys.h"
#include "wait.h"

#define RECHECK_SLOW 0.05  /* s */
#define RECHECK_FAST 0.002 /* s */
#define FAST_FOR_NS 100000000ull
#define NEVER_MASK (CAGE_SIGBIT(SIGKILL) | CAGE_SIGBIT(SIGSTOP))

struct sfd {
	uint64_t mask; /* bit signo-1 */
	struct waitq rq;
	struct sfd *next, **pprev; /* every signalfd */
};

static struct sfd *all;
static const struct cage *caller;
static ev_timer recheck;
static bool recheck_init;
static uint64_t fast_until; /* lind_now_ns */

void signalfd_set_caller(const struct cage *c)
{
	caller = c;
}

/* ---- pending signals ---------------------------------------------------- */

static uint64_t hex_after(const char *text, const char *key)
{
	const char *p = strstr(text, key);
	return p ? strtoull(p + strlen(key), NULL, 16) : 0;
}

uint64_t signalfd_parse_status(const char *text)
{
	return hex_after(text, "\nSigPnd:") | hex_after(text, "\nShdPnd:");
}

uint64_t signalfd_pending(const struct cage *c)
{
	char buf[4096];
	if (!c || c->state != CAGE_RUNNING ||
	    !lind_proc_read((int)c->host_pid, "status", buf, sizeof buf))
		return 0;
	return signalfd_parse_status(buf);
}

/* ---- the re-check ------------------------------------------------------- */

static void on_recheck(struct ev_loop *loop, ev_timer *w, int revents);

/* Fast while a routed signal is on its way, else slow. */
static double recheck_every(void)
{
	return lind_now_ns() < fast_until ? RECHECK_FAST : RECHECK_SLOW;
}

/* Runs the re-check in `after` s unless it runs sooner already. */
static void recheck_in(double after)
{
	if (!srv.loop)
		return;
	if (!recheck_init) {
		ev_timer_init(&recheck, on_recheck, 0, 0);
		recheck_init = true;
	}
	if (ev_is_active(&recheck) &&
	    ev_timer_remaining(srv.loop, &recheck) <= after)
		return;
	ev_timer_stop(srv.loop, &recheck);
	ev_timer_set(&recheck, after, 0);
	ev_timer_start(srv.loop, &recheck);
}

/* Wakes every signalfd someone waits on (they look again: poll reads
 * the pending signals), and comes back while anyone does. */
static void on_recheck(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	bool waited = false;
	wait_begin(); /* no re-run frees a signalfd under this walk */
	for (struct sfd *s = all; s; s = s->next)
		if (waitq_active(&s->rq)) {
			waited = true;
			waitq_wake(&s->rq, POLLIN);
		}
	wait_end();
	if (waited)
		recheck_in(recheck_every());
}

void signalfd_signalled(const struct cage *c, int sig)
{
	(void)c; /* each waiter looks at its own caller's signals */
	for (struct sfd *s = all; s; s = s->next)
		if (s->mask & CAGE_SIGBIT(sig) && waitq_active(&s->rq)) {
			fast_until = lind_now_ns() + FAST_FOR_NS;
			recheck_in(0);
			return;
		}
}

/* ---- the description ---------------------------------------------------- */

/* The reading thread dequeues (Reply.dequeue) into at least one struct
 * signalfd_siginfo; no offset (pread: ESPIPE, as no FMODE_PREAD). */
static long sfd_read(struct call *c, struct ofd *o, void *buf, size_t cap,
		     const int64_t *pos)
{
	(void)buf;
	struct sfd *s = o->priv;
	if (pos)
		return -ESPIPE;
	if (cap < sizeof(struct signalfd_siginfo))
		return -EINVAL;
	c->dequeue = o->flags & O_NONBLOCK ? LIND_DEQUEUE_NOW
					   : LIND_DEQUEUE_WAIT;
	c->sigmask = s->mask;
	return 0;
}

static unsigned sfd_poll(struct ofd *o)
{
	const struct sfd *s = o->priv;
	return signalfd_pending(caller) & s->mask ? POLLIN : 0;
}

/* Asked whenever someone is about to wait on it: the re-check runs. */
static struct waitq *sfd_waitq(struct ofd *o, unsigned events)
{
	(void)events;
	struct sfd *s = o->priv;
	recheck_in(recheck_every());
	return &s->rq;
}

static void sfd_release(struct ofd *o)
{
	struct sfd *s = o->priv; /* nobody waits: a parked call holds o */
	*s->pprev = s->next;
	if (s->next)
		s->next->pprev = s->pprev;
	free(s);
	if (!all && recheck_init && srv.loop)
		ev_timer_stop(srv.loop, &recheck);
}

const struct ofd_ops ofd_signalfd_ops = {
	.kind = "signalfd",
	.read = sfd_read,
	.poll = sfd_poll,
	.waitq = sfd_waitq,
	.release = sfd_release,
	ANON_OPS,
};

/* ---- signalfd, signalfd4 ------------------------------------------------ */

static long sfd_create(struct call *c, uint64_t mask, int flags)
{
	struct sfd *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->mask = mask;
	s->next = all;
	s->pprev = &all;
	if (all)
		all->pprev = &s->next;
	all = s;
	return anon_install(c, &ofd_signalfd_ops, s, flags);
}

/* Linux's order: the size, the mask read, the flags, then the fd (-1: a
 * new one; a signalfd: its mask changes; EINVAL for another kind). */
static long do_signalfd4(struct call *c, long flags)
{
	uint64_t mask;
	if (c->a[2] != sizeof mask)
		return -EINVAL;
	if (!call_obj_in(c, 1, &mask, sizeof mask))
		return -EFAULT;
	if (flags & ~(long)(SFD_CLOEXEC | SFD_NONBLOCK))
		return -EINVAL;
	mask &= ~NEVER_MASK;
	if ((int)c->a[0] == -1)
		return sfd_create(c, mask, (int)flags);
	struct ofd *o = fd_get(c->cage->fds, c->a[0]);
	if (!o)
		return -EBADF;
	if (!ofd_is(o, &ofd_signalfd_ops))
		return -EINVAL;
	struct sfd *s = o->priv;
	s->mask = mask;
	waitq_wake(&s->rq, POLLIN);
	return (int)c->a[0];
}

long srv_signalfd(struct call *c)
{
	return do_signalfd4(c, 0);
}

long srv_signalfd4(struct call *c)
{
	return do_signalfd4(c, c->a[3]);
}
