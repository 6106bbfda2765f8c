/*
 * Readiness: poll, ppoll, select, pselect6.  Every kind of description
 * answers its mask through ops->poll (NULL: Linux's DEFAULT_POLLMASK, a
 * file is always ready) and wakes waiters on the queues ops->waitq gives
 * for POLLIN and POLLOUT; a call that finds nothing ready parks on all of
 * them (for any wake: POLLHUP and POLLERR come on the same queues),
 * holding each description, and looks again whenever one is woken.
 * The signal mask of ppoll and pselect6 is the client's (client-libc/
 * hooks.c): the server never sees it.
 */
#define _GNU_SOURCE
#include <poll.h>
#include <stdlib.h>
#include <sys/select.h>
#include <time.h>

#include "sys.h"
#include "wait.h"

#define POLL_DEFAULT (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)
/* select's sets, as Linux's fs/select.c reads a mask */
#define SEL_IN (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define SEL_OUT (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define SEL_EX POLLPRI

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

unsigned sys_poll_mask(struct ofd *o)
{
	if (!o->ops->poll)
		return POLL_DEFAULT;
	unsigned m = o->ops->poll(o);
	m |= m & POLLIN ? POLLRDNORM : 0;
	m |= m & POLLOUT ? POLLWRNORM : 0;
	return m;
}

/* The queues fds' descriptions wake (each once), and the descriptions to
 * hold while parked. */
struct watch {
	struct waitq **q;
	struct ofd **o;
	unsigned nq, no;
};

static long watch_init(struct watch *w, size_t n)
{
	w->nq = w->no = 0;
	w->q = calloc(2 * n + 1, sizeof *w->q);
	w->o = calloc(n + 1, sizeof *w->o);
	if (w->q && w->o)
		return 0;
	free(w->q);
	free(w->o);
	return -ENOMEM;
}

static void watch_free(struct watch *w)
{
	free(w->q);
	free(w->o);
}

static void watch_queue(struct watch *w, struct waitq *q)
{
	if (!q)
		return;
	for (unsigned i = 0; i < w->nq; i++)
		if (w->q[i] == q)
			return;
	w->q[w->nq++] = q;
}

static void watch_fd(struct watch *w, struct ofd *o)
{
	if (!o->ops->waitq)
		return; /* never waits: always ready */
	w->o[w->no++] = o;
	watch_queue(w, o->ops->waitq(o, POLLIN));
	watch_queue(w, o->ops->waitq(o, POLLOUT));
}

/* Nothing ready: park on every queue until a wake, the deadline
 * (progress: CLOCK_MONOTONIC ns + 1, 0 none) or a signal.  0 when the
 * time is up, -EINTR, -ENOMEM... or SRV_PARKED. */
static long watch_park(struct call *c, struct watch *w)
{
	int64_t left = -1;
	if (c->progress) {
		left = (int64_t)c->progress - 1 - now_ns();
		if (left <= 0)
			return 0;
	}
	c->holds = w->o;
	c->nholds = w->no;
	long r = call_park(c, w->q, w->nq, 0, left);
	return r == -ETIMEDOUT ? 0 : r;
}

/* A timeout as a deadline in c->progress, the first time only. */
static void set_deadline(struct call *c, int64_t ns)
{
	if (!c->rerun && ns >= 0)
		c->progress = (uint64_t)(now_ns() + ns) + 1;
}

/* ---- poll ------------------------------------------------------------- */

/* One pass over the array in c->out[0] (events in, revents out): how
 * many have revents; w gets what to wait on (NULL: not needed). */
static long poll_pass(struct call *c, struct pollfd *pf, size_t n,
		      struct watch *w)
{
	long count = 0;
	for (size_t i = 0; i < n; i++) {
		pf[i].revents = 0;
		if (pf[i].fd < 0)
			continue;
		struct ofd *o = fd_get(c->cage->fds, pf[i].fd);
		unsigned m = o ? sys_poll_mask(o) : POLLNVAL;
		m &= (unsigned)(uint16_t)pf[i].events | POLLERR | POLLHUP | POLLNVAL;
		pf[i].revents = (short)m;
		count += m != 0;
		if (o && w)
			watch_fd(w, o);
	}
	return count;
}

/* pollfds in argument 0, count in 1, timeout_ns (< 0: none). */
static long do_poll(struct call *c, int64_t timeout_ns)
{
	size_t n = (size_t)c->a[1];
	if (n > (size_t)fd_table_limit(c->cage->fds))
		return -EINVAL;
	struct pollfd *pf = c->out[0].buf;
	if (n && !pf)
		return -ENOMEM;
	if (n)
		memcpy(pf, c->in[0].ptr, n * sizeof *pf);
	c->out[0].len = n * sizeof *pf;
	set_deadline(c, timeout_ns);
	long count = poll_pass(c, pf, n, NULL);
	if (count || timeout_ns == 0 || c->expired)
		return count;
	struct watch w;
	long r = watch_init(&w, n);
	if (r == 0) {
		count = poll_pass(c, pf, n, &w); /* the same: nothing ready */
		r = count ? count : watch_park(c, &w);
		watch_free(&w);
	}
	return r;
}

long srv_poll(struct call *c)
{
	int ms = (int)c->a[2];
	return do_poll(c, ms < 0 ? -1 : (int64_t)ms * 1000000);
}

/* A struct timespec argument i as ns: -1 for NULL, -EINVAL when bad. */
static int64_t timespec_ns(const struct call *c, int i)
{
	struct timespec ts;
	if (!call_obj_in(c, i, &ts, sizeof ts))
		return -1;
	if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		return -EINVAL;
	if (ts.tv_sec > INT64_MAX / 1000000000 - 1)
		return INT64_MAX / 2; /* forever, as far as anyone waits */
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The time left of a call that answered r: none once nothing came or the
 * timeout expired (its time is up, as Linux says, even if the loop's
 * timer fired a little before the deadline). */
static int64_t time_left(const struct call *c, long r)
{
	int64_t left = c->progress && r > 0 ? (int64_t)c->progress - 1 - now_ns()
					    : 0;
	return c->expired || left < 0 ? 0 : left;
}

/* The time left written back to timespec argument i (ppoll, pselect6). */
static void timespec_left(struct call *c, int i, long r)
{
	if (!call_obj_out(c, i))
		return;
	int64_t left = time_left(c, r);
	struct timespec ts = {left / 1000000000, left % 1000000000};
	call_obj_out_set(c, i, &ts);
}

/* The remaining time is written back, as Linux's ppoll does (glibc's
 * wrapper hides it); a signal mask is the client's (sigsetsize 8). */
long srv_ppoll(struct call *c)
{
	int64_t ns = timespec_ns(c, 2);
	if (ns < -1)
		return ns;
	if (c->a[3] && c->a[4] != 8)
		return -EINVAL;
	long r = do_poll(c, ns);
	if (r >= 0 && r != SRV_PARKED)
		timespec_left(c, 2, r);
	return r;
}

/* ---- select ----------------------------------------------------------- */

#define SEL_WORDS (FD_SETSIZE / 64)

struct sel {
	uint64_t in[3][SEL_WORDS];  /* what was asked: read, write, except */
	uint64_t out[3][SEL_WORDS]; /* what is ready */
};

static bool sel_bit(const uint64_t *set, int fd)
{
	return set[fd / 64] >> (fd % 64) & 1;
}

/* One pass: the count of bits set in s->out, or -EBADF for a closed fd
 * in any set. */
static long sel_pass(struct call *c, struct sel *s, int n, struct watch *w)
{
	static const unsigned want[3] = {SEL_IN, SEL_OUT, SEL_EX};
	long count = 0;
	memset(s->out, 0, sizeof s->out);
	for (int fd = 0; fd < n; fd++) {
		bool asked[3], any = false;
		for (int k = 0; k < 3; k++)
			any |= asked[k] = sel_bit(s->in[k], fd);
		if (!any)
			continue;
		struct ofd *o = fd_get(c->cage->fds, fd);
		if (!o)
			return -EBADF;
		unsigned m = sys_poll_mask(o);
		for (int k = 0; k < 3; k++)
			if (asked[k] && (m & want[k])) {
				s->out[k][fd / 64] |= 1ull << (fd % 64);
				count++;
			}
		if (w)
			watch_fd(w, o);
	}
	return count;
}

/* Sets in arguments 1-3 (NULL: none asked), n fds, timeout_ns. */
static long do_select(struct call *c, long nfds, int64_t timeout_ns)
{
	if (nfds < 0 || (int)nfds != nfds)
		return -EINVAL;
	int n = nfds > FD_SETSIZE ? FD_SETSIZE : (int)nfds;
	struct sel s;
	for (int k = 0; k < 3; k++)
		if (!call_obj_in(c, 1 + k, s.in[k], sizeof s.in[k]))
			memset(s.in[k], 0, sizeof s.in[k]);
	set_deadline(c, timeout_ns);
	long r = sel_pass(c, &s, n, NULL);
	if (r == 0 && timeout_ns != 0 && !c->expired) {
		struct watch w;
		if ((r = watch_init(&w, (size_t)n)) == 0) {
			r = sel_pass(c, &s, n, &w);
			r = r ? r : watch_park(c, &w);
			watch_free(&w);
		}
	}
	if (r >= 0 && r != SRV_PARKED)
		for (int k = 0; k < 3; k++)
			call_obj_out_set(c, 1 + k, s.out[k]);
	return r;
}

/* Linux writes back the time left (select's timeval). */
long srv_select(struct call *c)
{
	struct timeval tv;
	int64_t ns = -1;
	if (call_obj_in(c, 4, &tv, sizeof tv)) {
		if (tv.tv_sec < 0 || tv.tv_usec < 0)
			return -EINVAL;
		int64_t sec = tv.tv_sec + tv.tv_usec / 1000000;
		ns = sec > INT64_MAX / 1000000000 - 1
			     ? INT64_MAX / 2
			     : sec * 1000000000 + tv.tv_usec % 1000000 * 1000;
	}
	long r = do_select(c, c->a[0], ns);
	if (r >= 0 && r != SRV_PARKED) {
		int64_t left = time_left(c, r);
		tv = (struct timeval){left / 1000000000, left % 1000000000 / 1000};
		call_obj_out_set(c, 4, &tv);
	}
	return r;
}

/* pselect6's sixth argument (the mask and its size) is the client's. */
long srv_pselect6(struct call *c)
{
	int64_t ns = timespec_ns(c, 4);
	if (ns < -1)
		return ns;
	long r = do_select(c, c->a[0], ns);
	if (r >= 0 && r != SRV_PARKED)
		timespec_left(c, 4, r);
	return r;
}
