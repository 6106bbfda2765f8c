/*
 * A cage channel: its SUBMITTED slots taken, checked and forwarded to the
 * server by whichever worker serves it (pool.c).  The server answers an
 * untraced call straight into its slot (LIND_TAG_DIRECT); the others'
 * replies come back by the reply ring and are routed into the slots here
 * (relay_route_raw, relay_route_reply, called by the reply thread or a
 * spinning worker).
 */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "common.h"
#include "futex.h"
#include "relay.h"
#include "syscall.h"
#include "wire.h"

void relay_spin_pause(uint64_t until)
{
	/* Yield rather than pause once the first few microseconds have
	 * passed: on a machine with fewer cores than spinners (client, cage
	 * thread, server, reply thread), the party with work to do gets the
	 * CPU instead of waiting out a spinner's time. */
	if (until - lind_now_ns() < RELAY_SPIN_NS - 2000)
		sched_yield();
	else
		for (int k = 0; k < 16; k++)
			lind_cpu_relax();
}

int relay_thread_start(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	pthread_attr_t at;
	pthread_attr_init(&at);
	/* what a relay thread uses; thousands of cages, thousands of these */
	pthread_attr_setstacksize(&at, RELAY_STACK_BYTES);
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(t, &at, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&at);
	return -rc;
}

int relay_chan_create(struct relay_chan *ch)
{
	/* Memfds handed to the cage over its attach socket and to the server
	 * with CAGE_NEW: nothing in the runtime dir to guess, race or clean
	 * up.  The done page is a file of its own: the cage never gets it. */
	void *p, *d;
	int rc = lind_shm_create("lind-chan", sizeof(struct lind_chan),
				 &ch->chan_fd, &p);
	if (rc < 0)
		return rc;
	rc = lind_shm_create("lind-chan-done", sizeof(struct lind_chan_done),
			     &ch->done_fd, &d);
	if (rc < 0) {
		munmap(p, sizeof(struct lind_chan));
		close(ch->chan_fd);
		return rc;
	}
	ch->chan = p;
	ch->chan->magic = LIND_CHAN_MAGIC;
	ch->chan->version = LIND_PROTO_VERSION;
	ch->done = d;
	return 0;
}

void relay_chan_drop(struct relay_chan *ch)
{
	if (ch->chan)
		munmap(ch->chan, sizeof *ch->chan);
	if (ch->done)
		munmap(ch->done, sizeof *ch->done);
	if (ch->chan_fd >= 0)
		close(ch->chan_fd);
	if (ch->done_fd >= 0)
		close(ch->done_fd);
	*ch = (struct relay_chan){.chan_fd = -1, .done_fd = -1};
}

/* The relay's own answer (an error, or lind_refused's 0). */
static void slot_error(struct lind_slot *s, uint32_t slot, int err)
{
	Lind__Reply rep = LIND__REPLY__INIT;
	rep.tag = slot;
	rep.result = err;
	lind_slot_reply(s, &rep);
}

static void trace_record(struct relay_inflight *f, const Lind__Request *req,
			 uint32_t cap)
{
	f->nr = req->nr;
	f->data_cap = cap;
	f->n_args = req->n_args < 6 ? (uint32_t)req->n_args : 6;
	if (f->n_args)
		memcpy(f->args, req->args, f->n_args * sizeof f->args[0]);
	f->n_data = req->n_data < 6 ? (uint32_t)req->n_data : 6;
	for (uint32_t i = 0; i < f->n_data; i++) {
		size_t n = req->data[i].len;
		f->data_len[i] = n < cap ? (uint32_t)n : cap;
		if (f->data_len[i])
			memcpy(f->data[i], req->data[i].data, f->data_len[i]);
	}
	f->start_ns = lind_now_ns();
	f->start_wall = lind_wall_ns();
}

/* A TraceEvent over f (and rep's out-data); pointers into f/rep/bins. */
static void trace_fill(Lind__TraceEvent *ev, ProtobufCBinaryData *bins,
		       const struct relay_inflight *f, uint64_t cage_id)
{
	ev->cage_id = cage_id;
	ev->nr = f->nr;
	ev->data_cap = f->data_cap;
	ev->n_args = f->n_args;
	ev->args = (int64_t *)f->args;
	ev->n_data = f->n_data;
	ev->data = bins;
	for (uint32_t i = 0; i < f->n_data; i++) {
		bins[i].len = f->data_len[i];
		bins[i].data = (uint8_t *)f->data[i];
	}
	ev->start_ns = f->start_wall;
	ev->subscribers = f->subs;
}

/* The relay answers this call itself: trace it with no latency, and
 * with why it was refused ("relay check: ...", "policy: net"), if it was. */
static void trace_local(struct relay *r, uint64_t cage_id,
			struct relay_inflight *f, int err, const char *kind,
			const char *why)
{
	Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
	ProtobufCBinaryData bins[6];
	char refused[96];
	trace_fill(&ev, bins, f, cage_id);
	ev.result = err;
	if (why) {
		snprintf(refused, sizeof refused, "%s: %s", kind, why);
		ev.refused = refused;
	}
	relay_trace_publish(r, &ev);
}

/* lind_refused(nr, errno, args[6], 48): the client's SIGSYS handler
 * answered call nr itself.  Published as that call, marked "filter"; the
 * server never sees it.  What a cage says here only adds lines about
 * itself to its own trace. */
static int lind_refused(struct relay *r, uint64_t cage_id,
			const Lind__Request *req, uint32_t traced,
			const char **why)
{
	int64_t a[6];
	if (req->n_args < 4 || req->args[0] < 0 || req->args[0] > UINT32_MAX ||
	    req->args[3] != (int64_t)sizeof a) {
		*why = "lind_refused needs a call number and 6 arguments";
		return -EINVAL;
	}
	int64_t err = req->args[1];
	if (err == 0 || err < -4095 || err > 4095) {
		*why = "lind_refused needs an errno";
		return -EINVAL;
	}
	if (err < 0)
		err = -err;
	if (!traced)
		return 0;
	memcpy(a, req->data[0].data, sizeof a); /* relay_check: 48 bytes */
	Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
	ev.cage_id = cage_id;
	ev.nr = (uint32_t)req->args[0];
	ev.n_args = 6;
	ev.args = a;
	ev.result = -err;
	ev.start_ns = lind_wall_ns();
	ev.refused = (char *)"filter";
	ev.subscribers = traced;
	relay_trace_publish(r, &ev);
	return 0;
}

/* This slot's tag for the call being forwarded now. */
static uint64_t slot_tag(const struct relay_cage *c, uint32_t i)
{
	return RELAY_TAG(c->gen, c->idx, i) |
	       (c->inflight[i].direct ? LIND_TAG_DIRECT : 0);
}

/* lind_cancel names one of the cage's own slots; the server knows the
 * call by its relay tag, so the slot becomes that tag here (the cancel
 * comes from another slot of the same channel: this thread forwarded the
 * call it names and set its direct bit). */
static int check_lind_cancel(struct relay_cage *c, Lind__Request *req,
			     const char **why)
{
	if (req->n_args < 1 || req->args[0] < 0 ||
	    req->args[0] >= LIND_CHAN_SLOTS) {
		*why = "lind_cancel of no slot";
		return -EINVAL;
	}
	req->args[0] = (int64_t)slot_tag(c, (uint32_t)req->args[0]);
	return 0;
}

/* What the relay does with a frame: 0 forward it, 1 answer 0 here
 * (lind_refused), or -errno with *kind ("policy", "relay check") and *why
 * (NULL for an unserved call: ENOSYS is reason enough). */
static int screen(struct relay_cage *c, Lind__Request *req, uint32_t traced,
		  const char **kind, const char **why)
{
	/* policy first: a denied call is EPERM even where the frame or an
	 * unserved number would have another answer */
	*kind = "policy";
	int rc = relay_policy(c->deny, req, why);
	if (rc < 0)
		return rc;
	*kind = "relay check";
	rc = relay_check_why(req, why);
	if (rc == 0 && req->nr == LIND_SYS_lind_cancel)
		rc = check_lind_cancel(c, req, why);
	if (rc == 0 && req->nr == LIND_SYS_lind_refused) {
		rc = lind_refused(c->r, c->cage_id, req, traced, why);
		if (rc == 0)
			return 1;
	}
	return rc;
}

/* The reply to slot i was routed from the ring (the caller checked that
 * the slot is busy and holds table_lock): counted done before the client
 * can see it and submit again on this slot. */
static void inflight_routed(struct relay_cage *c, uint32_t i)
{
	atomic_fetch_add_explicit(&c->r->ring_replies, 1,
				  memory_order_relaxed);
	if (!c->inflight[i].direct)
		atomic_fetch_sub(&c->nbusy, 1);
	atomic_fetch_add(&c->done->done[i], 1);
}

/* Forward req on slot i: stamped and tagged; an untraced call of a cage
 * the server maps is answered straight into the slot by the server. */
static int forward(struct relay_cage *c, uint32_t i, Lind__Request *req)
{
	struct relay_inflight *f = &c->inflight[i];
	f->direct = c->direct && !f->traced;
	req->cage_id = c->cage_id; /* stamped: a cage never names itself */
	req->tag = slot_tag(c, i);
	if (!f->direct) /* the cage thread polls the ring for it */
		atomic_fetch_add(&c->nbusy, 1);
	atomic_fetch_add(&f->fwd, 1); /* before the server can answer */
	int rc = relay_forward(c->r, req, &c->stop);
	if (rc < 0) { /* never reached the ring */
		atomic_fetch_sub(&f->fwd, 1);
		if (!f->direct)
			atomic_fetch_sub(&c->nbusy, 1);
	}
	return rc == -E2BIG ? -EINVAL : rc;
}

/*
 * Request.area (checked: its count is the bulk in-buffer's, within
 * LIND_MAX_IO): on a call the server answers direct, the server reads
 * the bytes from its own mapping of the slot, so only the count goes on.
 * A traced call, or one of a cage the server does not map, gets them as
 * the data entry they stand for, copied once into the worker's private
 * frame buffer past the frame, so the trace and the server see the same
 * bytes.  0, or -EINVAL for a frame that runs into its own area.
 */
static int area_take(struct relay_cage *c, uint32_t i, uint32_t len,
		     struct lind_request_view *v, const char **why)
{
	Lind__Request *req = &v->rq;
	if (!req->area)
		return 0;
	if (len > LIND_AREA_OFF) {
		*why = "frame runs into its data area";
		return -EINVAL;
	}
	if (c->direct && !c->inflight[i].traced) /* forward()'s direct */
		return 0;
	const struct lind_syscall *row = lind_syscall_row(req->nr);
	int area = lind_area_arg(row, LIND_DIR_IN);
	size_t at = 0; /* its entry's place: after the in-arguments before it */
	for (int k = 0; k < area; k++)
		at += lind_kind_is_in(row->arg[k].kind);
	uint8_t *dst = c->frame + LIND_AREA_OFF;
	memcpy(dst, c->chan->slot[i].buf + LIND_AREA_OFF, req->area);
	memmove(&v->data[at + 1], &v->data[at],
		(req->n_data - at) * sizeof v->data[0]);
	v->data[at] = (ProtobufCBinaryData){req->area, dst};
	req->n_data++;
	req->area = 0;
	return 0;
}

static void take_slot(struct relay_cage *c, uint32_t i)
{
	struct relay *r = c->r;
	struct lind_slot *s = &c->chan->slot[i];
	struct relay_inflight *f = &c->inflight[i];
	if (relay_slot_busy(c, i)) {
		/* resubmitted while in flight: a broken cage; the reply to the
		 * first frame will land here anyway */
		atomic_store(&s->state, LIND_SLOT_TAKEN);
		return;
	}
	uint32_t len = *(volatile uint32_t *)&s->len;
	if (len > LIND_MAX_FRAME) {
		atomic_store(&s->state, LIND_SLOT_TAKEN);
		slot_error(s, i, -EINVAL);
		return;
	}
	memcpy(c->frame, s->buf, len);
	atomic_store_explicit(&s->state, LIND_SLOT_TAKEN, memory_order_release);
	atomic_fetch_add_explicit(&r->calls, 1, memory_order_relaxed);

	/* in place, in the private copy: in-data is packed into the ring
	 * straight from it */
	struct lind_request_view view;
	if (lind_request_view(c->frame, len, &view) < 0) {
		slot_error(s, i, -EINVAL);
		return;
	}
	Lind__Request *req = &view.rq;
	/* lind_refused is traced as the call it answered */
	uint64_t nr = req->nr == LIND_SYS_lind_refused && req->n_args
			      ? (uint64_t)req->args[0]
			      : req->nr;
	f->traced = relay_trace_wants(c, nr, &f->subs);
	if (f->traced)
		trace_record(f, req, atomic_load_explicit(&c->r->trace_data,
							  memory_order_relaxed));
	const char *kind, *why;
	int rc = screen(c, req, f->traced ? f->subs : 0, &kind, &why);
	if (rc == 1) {
		slot_error(s, i, 0); /* lind_refused: answered here */
		return;
	}
	if (rc == 0 && req->area) {
		kind = "relay check";
		rc = area_take(c, i, len, &view, &why);
		if (rc == 0 && f->traced) /* with the bytes it now carries */
			trace_record(f, req, f->data_cap);
	}
	if (rc == 0)
		rc = forward(c, i, req);
	if (rc < 0) {
		slot_error(s, i, rc);
		if (f->traced)
			trace_local(r, c->cage_id, f, rc, kind, why);
	}
}

/* How many slots to scan: what the cage says it used (its own word: a
 * lie only hides its own calls), within the channel. */
static uint32_t slots_used(const struct lind_chan *ch)
{
	uint32_t n = atomic_load(&ch->slots_used);
	return n < LIND_CHAN_SCAN_MIN ? LIND_CHAN_SCAN_MIN
	       : n > LIND_CHAN_SLOTS  ? LIND_CHAN_SLOTS
				      : n;
}

uint32_t relay_cage_inflight(struct relay_cage *c)
{
	uint32_t n = 0;
	for (uint32_t i = 0, used = slots_used(c->chan); i < used; i++)
		n += relay_slot_busy(c, i);
	return n;
}

int relay_cage_scan(struct relay_cage *c)
{
	int n = 0;
	for (uint32_t i = 0, used = slots_used(c->chan); i < used; i++) {
		if (atomic_load_explicit(&c->chan->slot[i].state,
					 memory_order_acquire) ==
		    LIND_SLOT_SUBMITTED) {
			take_slot(c, i);
			n++;
		}
	}
	return n;
}

bool relay_cage_in_flight(struct relay_cage *c)
{
	return atomic_load_explicit(&c->nbusy, memory_order_relaxed) != 0;
}

/* A cage's record (~1.7 MiB, mostly inflight[]'s trace buffers) from mmap: zero
 * pages, faulted in as slots are used (an idle one-thread cage: one page).  From calloc it would come off the
 * heap once glibc's dynamic mmap threshold has risen past its size (after
 * the first cage's free), and be cleared whole on every attach and fork,
 * on the critical path of both (3-4% of the relay's time in a fork loop). */
static struct relay_cage *cage_alloc(void)
{
	void *p = mmap(NULL, sizeof(struct relay_cage), PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

static void cage_free(struct relay_cage *c)
{
	munmap(c, sizeof *c);
}

/* A free channel index, registered as c's: -EAGAIN when none. */
static int table_add(struct relay *r, struct relay_cage *c)
{
	pthread_mutex_lock(&r->table_lock);
	uint32_t idx = RELAY_MAX_CHANS;
	for (uint32_t k = 0; k < RELAY_MAX_CHANS; k++) {
		uint32_t j = (r->next_idx + k) % RELAY_MAX_CHANS;
		if (!r->chans[j]) {
			idx = j;
			break;
		}
	}
	if (idx == RELAY_MAX_CHANS) {
		pthread_mutex_unlock(&r->table_lock);
		return -EAGAIN;
	}
	r->next_idx = (idx + 1) % RELAY_MAX_CHANS;
	c->idx = idx;
	c->gen = ++r->gens[idx];
	r->chans[idx] = c;
	r->ncages++;
	pthread_mutex_unlock(&r->table_lock);
	return 0;
}

/* From now on its replies are stale and no worker takes it up. */
static void table_remove(struct relay *r, struct relay_cage *c)
{
	pthread_mutex_lock(&r->table_lock);
	assert(r->chans[c->idx] == c);
	r->chans[c->idx] = NULL;
	r->ncages--;
	atomic_store(&c->stop, 1);
	pthread_mutex_unlock(&r->table_lock);
}

int relay_cage_start(struct relay *r, uint64_t cage_id, uint32_t deny,
		     struct relay_chan *ch, int bell, struct relay_cage **out)
{
	struct relay_cage *c = cage_alloc();
	if (!c)
		return -ENOMEM;
	c->r = r;
	c->cage_id = cage_id;
	c->deny = deny;
	c->chan = ch->chan;
	c->done = ch->done;
	c->direct = r->direct;
	c->bell = bell;
	int rc = table_add(r, c);
	if (rc == 0 && (rc = relay_pool_add(r, c)) < 0)
		table_remove(r, c);
	if (rc < 0) {
		cage_free(c);
		return rc;
	}
	ch->chan = NULL; /* the cage's now */
	ch->done = NULL;
	*out = c;
	return 0;
}

void relay_cage_stop(struct relay *r, struct relay_cage *c)
{
	table_remove(r, c);
	relay_pool_remove(r, c); /* no worker holds it after this */
	close(c->bell);
	munmap(c->chan, sizeof *c->chan);
	munmap(c->done, sizeof *c->done);
	cage_free(c);
}

/* Reply.tag is field 1, packed first: 0x08 then a varint.  Its value, and
 * the offset of what follows it; -1 when the frame does not start so. */
static long reply_tag(const uint8_t *p, size_t len, uint64_t *tag)
{
	*tag = 0;
	if (len == 0 || p[0] != 0x08)
		return 0; /* no tag field: proto3 left out a zero tag */
	for (size_t i = 1, shift = 0; i < len && i <= 10; i++, shift += 7) {
		*tag |= (uint64_t)(p[i] & 0x7f) << shift;
		if (!(p[i] & 0x80))
			return (long)i + 1;
	}
	return -1;
}

/*
 * The fast path for a packed reply straight from the ring: when nobody
 * traces the call, the frame is copied into the cage's slot with only its
 * tag rewritten (the server is trusted; the client validates anyway), no
 * unpack, no repack.  Returns false when the caller must unpack and use
 * relay_route_reply (a traced call, or a frame we cannot re-tag).
 */
_Static_assert(LIND_CHAN_SLOTS <= 1 << 14, "a slot index is a 2-byte varint");

/* Reply.tag = slot at the start of buf: its length (2 or 3 bytes). */
static size_t put_slot_tag(uint8_t *buf, uint32_t slot)
{
	buf[0] = 0x08; /* field 1, varint */
	if (slot < 128) {
		buf[1] = (uint8_t)slot;
		return 2;
	}
	buf[1] = (uint8_t)(slot | 0x80);
	buf[2] = (uint8_t)(slot >> 7);
	return 3;
}

bool relay_route_raw(struct relay *r, const uint8_t *p, size_t len)
{
	uint64_t tag;
	long off = reply_tag(p, len, &tag);
	if (off < 0 || len - (size_t)off > LIND_MAX_FRAME - 3)
		return false;
	uint32_t gen = RELAY_TAG_GEN(tag), idx = RELAY_TAG_IDX(tag);
	uint32_t slot = RELAY_TAG_SLOT(tag);
	if (idx >= RELAY_MAX_CHANS || slot >= LIND_CHAN_SLOTS)
		return true; /* not ours to route: dropped */
	pthread_mutex_lock(&r->table_lock);
	struct relay_cage *c = r->chans[idx];
	if (!c || c->gen != gen || !relay_slot_busy(c, slot)) {
		pthread_mutex_unlock(&r->table_lock);
		return true; /* the cage is gone, or the server answered twice */
	}
	if (c->inflight[slot].traced) {
		pthread_mutex_unlock(&r->table_lock);
		return false;
	}
	inflight_routed(c, slot);
	struct lind_slot *s = &c->chan->slot[slot];
	size_t head = put_slot_tag(s->buf, slot);
	memcpy(s->buf + head, p + off, len - (size_t)off);
	s->len = (uint32_t)(len - (size_t)off + head);
	/* seq_cst: pairs with the client's waiting=1 before its re-check */
	atomic_store(&s->state, LIND_SLOT_REPLIED);
	if (atomic_load(&s->waiting))
		lind_futex_wake(&s->state, INT_MAX);
	pthread_mutex_unlock(&r->table_lock);
	return true;
}

void relay_route_reply(struct relay *r, Lind__Reply *rep)
{
	uint64_t tag = rep->tag;
	uint32_t gen = RELAY_TAG_GEN(tag), idx = RELAY_TAG_IDX(tag);
	uint32_t slot = RELAY_TAG_SLOT(tag);
	if (idx >= RELAY_MAX_CHANS || slot >= LIND_CHAN_SLOTS)
		return;

	Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
	ProtobufCBinaryData bins[6];
	struct relay_inflight f;
	bool traced = false;

	pthread_mutex_lock(&r->table_lock);
	struct relay_cage *c = r->chans[idx];
	if (!c || c->gen != gen || !relay_slot_busy(c, slot)) {
		pthread_mutex_unlock(&r->table_lock);
		return; /* the cage is gone, or the server answered twice */
	}
	struct relay_inflight *fi = &c->inflight[slot];
	uint64_t cage_id = c->cage_id;
	if (fi->traced) {
		/* copy: the slot may be reused as soon as it is REPLIED */
		f = *fi;
		traced = true;
	}
	inflight_routed(c, slot);
	rep->tag = slot;
	if (traced) {
		/* out-data prefixes, copied before the slot is handed back */
		trace_fill(&ev, bins, &f, cage_id);
		ev.result = rep->result;
		ev.latency_ns = lind_now_ns() - f.start_ns;
	}
	size_t nout = rep->n_data < 6 ? rep->n_data : 6;
	uint8_t outbuf[6][LIND_TRACE_DATA_MAX];
	ProtobufCBinaryData outs[6];
	if (traced) {
		for (size_t k = 0; k < nout; k++) {
			size_t n = rep->data[k].len < f.data_cap
					   ? rep->data[k].len
					   : f.data_cap;
			if (n)
				memcpy(outbuf[k], rep->data[k].data, n);
			outs[k].len = n;
			outs[k].data = outbuf[k];
		}
		ev.n_out = nout;
		ev.out = outs;
	}
	lind_slot_reply(&c->chan->slot[slot], rep);
	pthread_mutex_unlock(&r->table_lock);
	if (traced)
		relay_trace_publish(r, &ev);
}

void relay_cages_fail_all(struct relay *r)
{
	pthread_mutex_lock(&r->table_lock);
	for (uint32_t i = 0; i < RELAY_MAX_CHANS; i++) {
		struct relay_cage *c = r->chans[i];
		if (!c)
			continue;
		struct lind_chan *ch = c->chan;
		atomic_store(&ch->relay_gone, 1);
		for (uint32_t s = 0, used = slots_used(ch); s < used; s++)
			lind_futex_wake(&ch->slot[s].state, INT_MAX);
		atomic_fetch_add(&ch->free_seq, 1);
		lind_futex_wake(&ch->free_seq, INT_MAX);
	}
	pthread_mutex_unlock(&r->table_lock);
}

void relay_init(struct relay *r)
{
	memset(r, 0, sizeof *r);
	r->server_fd = -1;
	r->bell_fd = -1;
	r->pub_sock = -1;
	r->rep_sock = -1;
	r->listen_fd = -1;
	r->closer_pipe[0] = r->closer_pipe[1] = -1;
	r->sock_mode = 0600;
	r->sock_gid = -1;
	r->epfd = -1;
	r->pool_stop_fd = -1;
	r->load_fd = -1;
	/* 10,000 idle cages fit (pool.c); one user's are capped lower */
	r->limits = (struct relay_limits){16384, 1024};
	pthread_mutex_init(&r->ring_lock, NULL);
	pthread_mutex_init(&r->table_lock, NULL);
	pthread_mutex_init(&r->rep_lock, NULL);
}
