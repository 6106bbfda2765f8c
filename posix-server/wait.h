/*
 * Parked calls: the one way a call waits in the server (the loop never
 * blocks).  How a handler parks:
 *
 *	long r = try_it(c);                    // -EAGAIN: not now
 *	if (r != -EAGAIN || nonblocking)
 *		return r;
 *	c->hold = o;                           // optional: kept alive
 *	return call_park(c, &obj->waitq, 1, POLLIN, -1);
 *
 * call_park copies the call (arguments, in-data, out capacities: the
 * dispatcher's buffers are reused by the next call) and returns
 * SRV_PARKED; the copy waits on the queues.  Whoever changes the object
 * calls waitq_wake(q, events); a waiter whose events match is taken off
 * every queue and its handler runs again on the copy, with c->rerun set,
 * exactly as the first time (so it re-checks everything and may park
 * again, or answer).  A handler that did part of its work keeps the count
 * in c->progress, which survives re-runs.
 *
 * Ends other than a wake go through the handler too:
 *   lind_cancel (a signal without SA_RESTART): re-run with c->interrupted;
 *       call_park then answers -EINTR instead of parking (a write that got
 *       somewhere returns its count instead);
 *   timeout_ns elapsed: re-run with c->expired; call_park answers
 *       -ETIMEDOUT (the handler maps it: poll 0, wait -EAGAIN...);
 *   the cage going away (wait_cancel_cage): dropped unanswered.
 * The per-cage limits (srv_limits.parked calls, srv_limits.pending bytes
 * of copied in-data) are checked here: call_park answers -EAGAIN.
 *
 * Re-runs never nest in a handler: a wake inside one is run once the
 * current call has been answered.
 */
#ifndef SRV_WAIT_H
#define SRV_WAIT_H

#include <stdbool.h>
#include <stdint.h>

struct call;
struct cage;
struct wait_link;

/* Parked calls waiting on one object, woken in the order they came;
 * zeroed is empty. */
struct waitq {
	struct wait_link *head, **tail; /* tail NULL: &head */
};

#define WAIT_ALL (~0u) /* waitq_wake: every waiter, whatever it waits for */

/* Parks c on queues[0..n-1] for events (POLLIN, POLLOUT...; 0 waits for
 * any wake); timeout_ns < 0: none, kept from the first park on re-parks.
 * SRV_PARKED, or -EINTR, -ETIMEDOUT, -EAGAIN (limits), -ENOMEM. */
long call_park(struct call *c, struct waitq *const *queues, unsigned n,
	       unsigned events, int64_t timeout_ns);
/* Bytes of in-data c's cage may still have copied by parked calls (a
 * write parks with what fits). */
uint64_t call_park_room(const struct cage *cg);

/* Re-runs the calls on q waiting for any of events (and calls the
 * callback waiters first). */
void waitq_wake(struct waitq *q, unsigned events);

/*
 * A callback waiter (epoll's, as Linux's ep_poll_callback): it stays on
 * its queue until waitq_del_cb, and every wake of the queue calls fn with
 * the wake's events (WAIT_ALL: all).  fn must not add or remove waiters
 * of the queue that woke it; whatever it wakes is run after the wake.
 * An exclusive one (EPOLLEXCLUSIVE) is called only until one of them
 * answers true, that it woke somebody (Linux's exclusive wait entries,
 * woken one at a time); a WAIT_ALL wake calls them all.
 */
struct wait_cb {
	struct wait_link *link; /* wait.c's; NULL: on no queue */
	bool (*fn)(struct wait_cb *w, unsigned events);
	bool exclusive;
};
/* 0, or -ENOMEM. */
long waitq_add_cb(struct waitq *q, struct wait_cb *w);
void waitq_del_cb(struct wait_cb *w);
/* True when a call waits on q. */
bool waitq_active(const struct waitq *q);
/* Calls waiting on q for any of events (a FIFO's openers by side). */
unsigned waitq_count(const struct waitq *q, unsigned events);

/* lind_cancel: re-runs cg's parked call tag as interrupted; 0, or -ESRCH
 * when none is parked (its reply is on the way). */
long wait_interrupt(struct cage *cg, uint64_t tag);
/* True when cage id's call tag is parked. */
bool wait_parked(uint64_t cage_id, uint64_t tag);
/* cg goes away: its parked calls are dropped without a reply. */
void wait_cancel_cage(struct cage *cg);
/* Calls parked, all cages (tests: nothing leaks). */
unsigned long wait_count(void);

/* Re-runs are held back while a handler runs (dispatch.c brackets each
 * call, cage_free its teardown); wait_end runs what was woken meanwhile. */
void wait_begin(void);
void wait_end(void);

#endif
