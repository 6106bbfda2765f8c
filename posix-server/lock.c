/* Record locks: one list per inode in a small hash table by inode
 * address.  Few files are locked at once, and a close with no locks at all
 * costs one test (lock_release). */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>

#include "cage.h"
#include "fdtable.h"
#include "lock.h"
#include "server.h"
#include "wait.h"

#define NBUCKETS 64

struct lock {
	const void *in;
	struct lock_req r;
	struct lock *next;
};

static struct lock *bucket[NBUCKETS];
static unsigned long nlocks;

/* F_SETLKW calls parked until a conflicting lock goes: all on one queue
 * (few wait at once), each noted with its request for the deadlock walk.
 * A note whose call is no longer parked (answered, its cage gone) is
 * dropped by the next walk. */
struct lock_wait {
	struct lock_wait *next;
	const void *in; /* the parked call holds its description */
	struct lock_req rq;
	uint64_t cage, tag;
};
static struct lock_wait *waits;
static struct waitq lock_waiters;
static void lock_wake(void);

static struct lock **head_of(const void *in)
{
	return &bucket[((uintptr_t)in >> 4) % NBUCKETS];
}

static bool overlap(const struct lock_req *a, const struct lock_req *b)
{
	return a->start <= b->end && b->start <= a->end;
}

/* Same file, same class (flock or fcntl). */
static bool same_class(const struct lock *l, const void *in,
		       const struct lock_req *rq)
{
	return l->in == in && l->r.flock == rq->flock;
}

static bool owned(const struct lock *l, const void *in,
		  const struct lock_req *rq)
{
	return same_class(l, in, rq) && l->r.owner == rq->owner;
}

static bool conflicts(const struct lock *l, const void *in,
		      const struct lock_req *rq)
{
	return same_class(l, in, rq) && l->r.owner != rq->owner &&
	       overlap(&l->r, rq) &&
	       (l->r.type == F_WRLCK || rq->type == F_WRLCK);
}

void lock_test(const void *in, struct lock_req *rq)
{
	for (struct lock *l = *head_of(in); l; l = l->next) {
		if (conflicts(l, in, rq)) {
			*rq = l->r;
			return;
		}
	}
	rq->type = F_UNLCK;
}

/* Each lock costs server memory and a cage could make one per byte: a
 * cage holds at most LOCKS_PER_CAGE (then ENOLCK, Linux's answer when its
 * lock table is full), so one cage cannot take every other's locks. */
static struct lock *lock_new(const void *in, const struct lock_req *r)
{
	struct cage *cg = cage_find(r->cage);
	if (cg && cg->locks >= LOCKS_PER_CAGE)
		return NULL;
	struct lock *l = malloc(sizeof *l);
	if (l) {
		l->in = in;
		l->r = *r;
		nlocks++;
		if (cg)
			cg->locks++;
	}
	return l;
}

/* The cage may be gone already (an OFD lock outlives it while its
 * description lives). */
static void lock_free(struct lock *l)
{
	struct cage *cg = cage_find(l->r.cage);
	if (cg && cg->locks)
		cg->locks--;
	nlocks--;
	free(l);
}

/* Cuts [start, end] out of owner's locks on in.  A lock that straddles
 * the range needs one more entry for its right part: made first, so
 * nothing changes when memory runs out. */
static int cut_range(const void *in, const struct lock_req *rq)
{
	for (struct lock **pp = head_of(in), *l; (l = *pp);) {
		if (!owned(l, in, rq) || !overlap(&l->r, rq)) {
			pp = &l->next;
			continue;
		}
		if (l->r.start < rq->start && l->r.end > rq->end) {
			struct lock *right = lock_new(in, &l->r);
			if (!right)
				return -ENOLCK;
			right->r.start = rq->end + 1;
			right->next = l->next;
			l->next = right;
			l->r.end = rq->start - 1;
			return 0; /* nothing else can overlap one owner's lock */
		}
		if (l->r.start < rq->start) {
			l->r.end = rq->start - 1;
		} else if (l->r.end > rq->end) {
			l->r.start = rq->end + 1;
		} else {
			*pp = l->next;
			lock_free(l);
			continue;
		}
		pp = &l->next;
	}
	return 0;
}

/* Owner's locks of the same type right next to l become part of it, as
 * Linux merges them (F_GETLK then reports the whole range). */
static void merge_adjacent(struct lock *l)
{
	for (struct lock **pp = head_of(l->in), *n; (n = *pp);) {
		bool next_to = n != l && owned(n, l->in, &l->r) &&
			       n->r.type == l->r.type &&
			       ((l->r.end != UINT64_MAX && n->r.start == l->r.end + 1) ||
				(n->r.end != UINT64_MAX && n->r.end + 1 == l->r.start));
		if (!next_to) {
			pp = &n->next;
			continue;
		}
		if (n->r.start < l->r.start)
			l->r.start = n->r.start;
		if (n->r.end > l->r.end)
			l->r.end = n->r.end;
		*pp = n->next;
		lock_free(n);
	}
}

int lock_set(const void *in, const struct lock_req *rq)
{
	struct lock_req probe = *rq;
	if (rq->type != F_UNLCK) {
		lock_test(in, &probe);
		if (probe.type != F_UNLCK)
			return -EAGAIN;
	}
	struct lock *l = NULL;
	if (rq->type != F_UNLCK && !(l = lock_new(in, rq)))
		return -ENOLCK;
	int r = cut_range(in, rq);
	if (r < 0) {
		if (l)
			lock_free(l);
		return r;
	}
	if (l) {
		struct lock **head = head_of(in);
		l->next = *head;
		*head = l;
		merge_adjacent(l);
	}
	if (rq->type != F_WRLCK)
		lock_wake(); /* an unlock or a downgrade may make room */
	return 0;
}

int lock_flock(const void *in, const struct lock_req *rq)
{
	for (struct lock *l = *head_of(in); l; l = l->next) {
		if (!owned(l, in, rq))
			continue;
		if (l->r.type == rq->type)
			return 0;
		struct lock_req un = *rq;
		un.type = F_UNLCK;
		(void)lock_set(in, &un); /* a removal needs no memory */
		break;
	}
	return rq->type == F_UNLCK ? 0 : lock_set(in, rq);
}

static void release_bucket(struct lock **pp, const void *in,
			   const void *owner)
{
	for (struct lock *l; (l = *pp);) {
		if (l->r.owner == owner && (!in || l->in == in)) {
			*pp = l->next;
			lock_free(l);
		} else {
			pp = &l->next;
		}
	}
}

void lock_release(const void *in, const void *owner)
{
	if (!nlocks)
		return;
	if (in) {
		release_bucket(head_of(in), in, owner);
	} else {
		for (int b = 0; b < NBUCKETS; b++)
			release_bucket(&bucket[b], NULL, owner);
	}
	lock_wake();
}

/* ---- waiting (F_SETLKW) ---------------------------------------------- */

static void forget(uint64_t cage, uint64_t tag, bool stale)
{
	for (struct lock_wait **pp = &waits, *w; (w = *pp);) {
		if ((w->cage == cage && w->tag == tag) ||
		    (stale && !wait_parked(w->cage, w->tag))) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static const struct lock_wait *waiting_owner(const void *owner)
{
	for (const struct lock_wait *w = waits; w; w = w->next)
		if (w->rq.owner == owner && !w->rq.flock)
			return w;
	return NULL;
}

bool lock_would_deadlock(const void *in, const struct lock_req *rq,
			 uint64_t tag)
{
	forget(rq->cage, tag, true);
	struct lock_req probe = *rq;
	lock_test(in, &probe);
	/* follow who waits on whom; a bounded walk, as Linux's */
	for (int depth = 0; depth < 16 && probe.type != F_UNLCK; depth++) {
		if (probe.owner == rq->owner)
			return true;
		const struct lock_wait *w = waiting_owner(probe.owner);
		if (!w)
			return false;
		const void *blocked = probe.owner;
		probe = w->rq;
		lock_test(w->in, &probe);
		if (probe.type != F_UNLCK && probe.owner == blocked)
			return false; /* cannot be: a lock never blocks its owner */
	}
	return false;
}

long lock_park(struct call *c, const void *in,
	       const struct lock_req *rq)
{
	forget(rq->cage, c->tag, false);
	struct lock_wait *w = malloc(sizeof *w);
	if (!w)
		return -ENOMEM;
	struct waitq *q = &lock_waiters;
	long r = call_park(c, &q, 1, 0, -1);
	if (r != SRV_PARKED) {
		free(w);
		return r;
	}
	*w = (struct lock_wait){waits, in, *rq, rq->cage, c->tag};
	waits = w;
	return r;
}

void lock_unpark(struct call *c)
{
	forget(c->cage->id, c->tag, false);
}

/* Whoever waits tries again (a re-run of its F_SETLKW). */
static void lock_wake(void)
{
	waitq_wake(&lock_waiters, WAIT_ALL);
}

unsigned long lock_count(void)
{
	return nlocks;
}
