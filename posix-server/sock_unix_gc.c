/*
 * The garbage collector of unix sockets in flight (sock_unix.h), as
 * Linux's unix_gc: a socket whose description is held only by messages
 * in flight (SCM_RIGHTS) is a candidate; a candidate referenced from
 * anywhere but candidates' queues (an fd, a live socket's queue) is live,
 * and so is every candidate in a live one's queue; the others make
 * cycles no cage can reach (a socket passed into its own queue, two each
 * in the other's), and their queues are dropped, which frees them.  A
 * listener's queue includes its embryos'.  It runs when a socket's
 * description loses a reference and is left only in flight, so garbage
 * never waits for the server's exit.
 */
#define _GNU_SOURCE
#include "sock_unix.h"
#include "sys.h"

static bool running;
static bool changed;

/* Held only by messages in flight: in a cycle, or on its way. */
static bool only_in_flight(const struct unix_sock *u)
{
	return u->sk && u->inflight && u->sk->file->refs == u->inflight;
}

/* fn on each unix socket passed in u's messages (its embryos' too). */
static void each_passed(struct unix_sock *u, void (*fn)(struct unix_sock *))
{
	for (struct unix_msg *g = u->q; g; g = g->next)
		for (unsigned i = 0; i < g->nfds; i++) {
			struct unix_sock *v = unix_of(g->fds[i]);
			if (v)
				fn(v);
		}
	for (struct unix_sock *n = u->pending; n; n = n->next_pending)
		each_passed(n, fn);
}

static void count_ref(struct unix_sock *v)
{
	if (v->gc_cand)
		v->gc_refs++;
}

static void mark_live(struct unix_sock *v)
{
	if (v->gc_cand && !v->gc_live)
		v->gc_live = changed = true;
}

/* The candidates; false when there is none. */
static bool find_candidates(void)
{
	bool any = false;
	for (struct unix_sock *u = unix_all; u; u = u->next_all) {
		u->gc_cand = only_in_flight(u);
		u->gc_live = false;
		u->gc_refs = 0;
		any |= u->gc_cand;
	}
	return any;
}

/* Live: referenced from outside the candidates' queues, or from a live
 * one's (to a fixed point: no recursion, a chain may be long). */
static void find_live(void)
{
	for (struct unix_sock *u = unix_all; u; u = u->next_all)
		if (u->gc_cand)
			each_passed(u, count_ref);
	for (struct unix_sock *u = unix_all; u; u = u->next_all)
		if (u->gc_cand && u->sk->file->refs > u->gc_refs)
			u->gc_live = true;
	do {
		changed = false;
		for (struct unix_sock *u = unix_all; u; u = u->next_all)
			if (u->gc_cand && u->gc_live)
				each_passed(u, mark_live);
	} while (changed);
}

/* The messages of q (a list) appended to *tail; the new tail. */
static struct unix_msg **append(struct unix_msg **tail, struct unix_msg *q)
{
	*tail = q;
	while (*tail)
		tail = &(*tail)->next;
	return tail;
}

void unix_gc(void)
{
	if (running || !find_candidates())
		return;
	running = true; /* freeing below drops references: no re-entry */
	find_live();
	struct unix_msg *hit = NULL, **tail = &hit;
	for (struct unix_sock *u = unix_all; u; u = u->next_all) {
		if (!u->gc_cand || u->gc_live)
			continue;
		tail = append(tail, unix_queue_take(u));
		for (struct unix_sock *n = u->pending; n; n = n->next_pending)
			tail = append(tail, unix_queue_take(n));
	}
	unix_msgs_free(hit);
	running = false;
}

void unix_gc_maybe(struct unix_sock *u)
{
	if (!running && only_in_flight(u))
		unix_gc();
}
