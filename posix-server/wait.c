/* Parked calls (wait.h): a copy of the call, its links on wait queues, a
 * timer, the description it holds; listed per cage (limits, cancel) and,
 * once woken, on one ready list run in wake order. */
#include <assert.h>
#include <errno.h>
#include <ev.h>
#include <stdlib.h>
#include <string.h>

#include "cage.h"
#include "fdtable.h"
#include "limit.h"
#include "server.h"
#include "wait.h"

struct wait_link {
	struct wait_link *next, **pprev;
	struct waitq *q;
	struct parked *p;   /* a parked call's link, or */
	struct wait_cb *cb; /* a callback waiter's */
	unsigned events;
};

struct parked {
	struct parked *next, **pprev; /* the cage's list */
	struct parked *rnext;         /* the ready list */
	bool ready;
	struct cage *cage;
	struct ofd *hold;
	struct ofd **holds; /* call.holds, referenced */
	unsigned nholds;
	ev_timer timer;
	uint64_t bytes; /* in-data copied, counted against the cage */
	unsigned nlinks;
	struct wait_link *links;
	struct call call;
	uint8_t *data;
};

static struct parked *ready_head, **ready_tail = &ready_head;
static unsigned busy;
static unsigned long nparked;

/* ---- queues ----------------------------------------------------------- */

static void link_one(struct waitq *q, struct wait_link *l)
{
	if (!q->tail)
		q->tail = &q->head;
	l->q = q;
	l->next = NULL;
	l->pprev = q->tail;
	*q->tail = l;
	q->tail = &l->next;
}

static void unlink_one(struct wait_link *l)
{
	if (!l->pprev)
		return;
	*l->pprev = l->next;
	if (l->next)
		l->next->pprev = l->pprev;
	else
		l->q->tail = l->pprev;
	l->pprev = NULL;
}

static void unlink_all(struct parked *p)
{
	for (unsigned i = 0; i < p->nlinks; i++)
		unlink_one(&p->links[i]);
	free(p->links);
	p->links = NULL;
	p->nlinks = 0;
}

static long link_all(struct parked *p, struct waitq *const *queues,
		     unsigned n, unsigned events)
{
	unlink_all(p);
	if (!n)
		return 0;
	p->links = calloc(n, sizeof *p->links);
	if (!p->links)
		return -ENOMEM;
	p->nlinks = n;
	for (unsigned i = 0; i < n; i++) {
		p->links[i] = (struct wait_link){.p = p, .events = events};
		link_one(queues[i], &p->links[i]);
	}
	return 0;
}

long waitq_add_cb(struct waitq *q, struct wait_cb *w)
{
	struct wait_link *l = calloc(1, sizeof *l);
	if (!l)
		return -ENOMEM;
	l->cb = w;
	w->link = l;
	link_one(q, l);
	return 0;
}

void waitq_del_cb(struct wait_cb *w)
{
	if (!w->link)
		return;
	unlink_one(w->link);
	free(w->link);
	w->link = NULL;
}

bool waitq_active(const struct waitq *q)
{
	return q->head != NULL;
}

/* Parked calls only: a callback waiter waits for nobody's open. */
unsigned waitq_count(const struct waitq *q, unsigned events)
{
	unsigned n = 0;
	for (const struct wait_link *l = q->head; l; l = l->next)
		n += l->p && (l->events & events) != 0;
	return n;
}

/* ---- running woken calls ---------------------------------------------- */

static void make_ready(struct parked *p)
{
	if (p->ready)
		return;
	unlink_all(p);
	p->ready = true;
	p->rnext = NULL;
	*ready_tail = p;
	ready_tail = &p->rnext;
}

static void unready(struct parked *p)
{
	if (!p->ready)
		return;
	struct parked **pp = &ready_head;
	while (*pp != p)
		pp = &(*pp)->rnext;
	*pp = p->rnext;
	if (ready_tail == &p->rnext)
		ready_tail = pp;
	p->ready = false;
}

static void put_holds(struct ofd **holds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		ofd_put(srv.vfs, holds[i]);
	free(holds);
}

/* c->holds replace what p held (a re-park may watch other fds). */
static long set_holds(struct parked *p, struct call *c)
{
	struct ofd **h = NULL;
	if (c->nholds && !(h = malloc(c->nholds * sizeof *h)))
		return -ENOMEM;
	for (unsigned i = 0; i < c->nholds; i++)
		ofd_ref(h[i] = c->holds[i]);
	put_holds(p->holds, p->nholds);
	p->holds = h;
	p->nholds = c->nholds;
	c->holds = p->call.holds = NULL; /* the handler's array */
	c->nholds = p->call.nholds = 0;
	return 0;
}

static void park_free(struct parked *p)
{
	unlink_all(p);
	unready(p);
	if (srv.loop)
		ev_timer_stop(srv.loop, &p->timer);
	*p->pprev = p->next;
	if (p->next)
		p->next->pprev = p->pprev;
	p->cage->nparked--;
	p->cage->parked_bytes -= p->bytes;
	nparked--;
	if (p->hold)
		ofd_put(srv.vfs, p->hold); /* may wake others: busy holds them */
	put_holds(p->holds, p->nholds);
	free(p->data);
	free(p);
}

static void run_ready(void)
{
	while (!busy && ready_head) {
		struct parked *p = ready_head;
		unready(p);
		struct call *c = &p->call;
		c->rerun = true;
		busy++;
		long r = srv_rerun(c);
		if (r != SRV_PARKED)
			park_free(p);
		else if (!p->ready)
			c->revents = 0;
		busy--;
	}
}

void wait_begin(void)
{
	busy++;
}

void wait_end(void)
{
	assert(busy > 0);
	busy--;
	run_ready();
}

void waitq_wake(struct waitq *q, unsigned events)
{
	busy++; /* what the callbacks wake runs after */
	bool one_woken = false; /* of the exclusive ones */
	for (struct wait_link *l = q->head, *next; l; l = next) {
		next = l->next;
		if (!l->cb || (l->cb->exclusive && one_woken))
			continue;
		if (l->cb->fn(l->cb, events) && l->cb->exclusive)
			one_woken = events != WAIT_ALL;
	}
	busy--;
	for (struct wait_link *l = q->head; l;) {
		if (l->cb) {
			l = l->next;
			continue;
		}
		if (events == WAIT_ALL || !l->events || (l->events & events)) {
			l->p->call.revents |= events & l->events;
			make_ready(l->p); /* unlinks it: look again from the top */
			l = q->head;
			continue;
		}
		l = l->next;
	}
	run_ready();
}

static void on_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	struct parked *p = w->data;
	p->call.expired = true;
	make_ready(p);
	run_ready();
}

/* ---- parking ---------------------------------------------------------- */

static uint64_t in_bytes(const struct call *c)
{
	uint64_t n = 0;
	for (int i = 0; i < 6; i++)
		if (c->in[i].ptr)
			n += c->in[i].len;
	return n;
}

uint64_t call_park_room(const struct cage *cg)
{
	return cg->parked_bytes < srv_limits.pending
		       ? srv_limits.pending - cg->parked_bytes : 0;
}

/* The first park: a copy whose in-data lives in p->data. */
static struct parked *park_new(struct call *c)
{
	struct cage *cg = c->cage;
	uint64_t bytes = in_bytes(c);
	if (cg->nparked >= srv_limits.parked || bytes > call_park_room(cg))
		return NULL;
	struct parked *p = calloc(1, sizeof *p);
	uint8_t *d = p ? malloc(bytes + 6) : NULL; /* paths keep their NUL */
	if (!p || !d) {
		free(p);
		return NULL;
	}
	p->call = *c;
	p->data = d;
	for (int i = 0; i < 6; i++) {
		if (!c->in[i].ptr)
			continue;
		memcpy(d, c->in[i].ptr, c->in[i].len);
		d[c->in[i].len] = '\0';
		p->call.in[i].ptr = d;
		d += c->in[i].len + 1;
	}
	for (int i = 0; i < 6; i++)
		p->call.out[i].buf = NULL; /* the dispatcher's: laid out again */
	p->call.park = p;
	p->cage = cg;
	p->bytes = bytes;
	if ((p->hold = c->hold))
		ofd_ref(p->hold);
	p->next = cg->parked;
	p->pprev = &cg->parked;
	if (p->next)
		p->next->pprev = &p->next;
	cg->parked = p;
	cg->nparked++;
	cg->parked_bytes += bytes;
	nparked++;
	ev_timer_init(&p->timer, on_timeout, 0, 0);
	p->timer.data = p;
	return p;
}

long call_park(struct call *c, struct waitq *const *queues, unsigned n,
	       unsigned events, int64_t timeout_ns)
{
	if (c->interrupted)
		return -EINTR;
	if (c->expired)
		return -ETIMEDOUT;
	struct parked *p = c->park;
	bool first = !p;
	if (first && !(p = park_new(c)))
		return -EAGAIN;
	long r = set_holds(p, c);
	if (r == 0)
		r = link_all(p, queues, n, events);
	if (r < 0) {
		if (first)
			park_free(p);
		return r;
	}
	if (first && timeout_ns >= 0 && srv.loop) {
		ev_now_update(srv.loop); /* from now, not the loop's last wake */
		ev_timer_set(&p->timer, (double)timeout_ns / 1e9, 0);
		ev_timer_start(srv.loop, &p->timer);
	}
	return SRV_PARKED;
}

/* ---- ends ------------------------------------------------------------- */

static struct parked *find(const struct cage *cg, uint64_t tag)
{
	for (struct parked *p = cg->parked; p; p = p->next)
		if (p->call.tag == tag)
			return p;
	return NULL;
}

long wait_interrupt(struct cage *cg, uint64_t tag)
{
	struct parked *p = find(cg, tag);
	if (!p)
		return -ESRCH; /* already answered: its reply is on the way */
	p->call.interrupted = true;
	make_ready(p);
	run_ready();
	return 0;
}

bool wait_parked(uint64_t cage_id, uint64_t tag)
{
	struct cage *cg = cage_find(cage_id);
	return cg && find(cg, tag);
}

void wait_cancel_cage(struct cage *cg)
{
	busy++;
	while (cg->parked)
		park_free(cg->parked);
	busy--;
}

unsigned long wait_count(void)
{
	return nparked;
}
