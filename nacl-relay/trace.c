/*
 * The trace feed (nanomsg PUB on trace.ipc: TraceBatch messages) and the
 * admin socket (REP on admin.ipc).  Events are published only for
 * RELAY_TRACE_TTL_NS after the last TRACE_ON, so nobody pays for a feed
 * nobody reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/reqrep.h>

#include "common.h"
#include "relay.h"

static int bind_ipc(int proto, const char *rundir, const char *name,
		    char *url, size_t cap)
{
	int s = nn_socket(AF_SP, proto);
	if (s < 0)
		return -nn_errno();
	int n = snprintf(url, cap, "ipc://%s/%s", rundir, name);
	if (n < 0 || (size_t)n >= cap) {
		nn_close(s);
		return -ENAMETOOLONG;
	}
	if (nn_bind(s, url) < 0) {
		int e = nn_errno();
		nn_close(s);
		return -e;
	}
	return s;
}

static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents);

int relay_trace_open(struct relay *r)
{
	if (!(r->batch = malloc(RELAY_TRACE_BATCH)))
		return -ENOMEM;
	pthread_mutex_init(&r->batch_lock, NULL);
	ev_timer_init(&r->trace_tick, tick_cb, RELAY_TRACE_TICK_S,
		      RELAY_TRACE_TICK_S);
	r->trace_tick.data = r;
	int s = bind_ipc(NN_PUB, r->rundir, LIND_TRACE_IPC, r->trace_url,
			 sizeof r->trace_url);
	if (s < 0) {
		lind_log(0, "cannot bind %s: %s", r->trace_url, nn_strerror(-s));
		return s;
	}
	r->pub_sock = s;
	/* room for a tracer's bursts (the kernel may cap it): a batch it
	 * cannot take now is dropped, not waited for */
	int buf = 4 << 20;
	nn_setsockopt(s, NN_SOL_SOCKET, NN_SNDBUF, &buf, sizeof buf);
	char url[sizeof r->trace_url];
	s = bind_ipc(NN_REP, r->rundir, LIND_ADMIN_IPC, url, sizeof url);
	if (s < 0) {
		lind_log(0, "cannot bind %s: %s", url, nn_strerror(-s));
		return s;
	}
	r->rep_sock = s;
	return 0;
}

static void unlink_ipc(const char *rundir, const char *name)
{
	char path[PATH_MAX];
	if (lind_path_join(path, sizeof path, rundir, name) == 0)
		unlink(path);
}

void relay_trace_close(struct relay *r)
{
	if (r->pub_sock >= 0) {
		relay_trace_flush(r);
		nn_close(r->pub_sock);
		unlink_ipc(r->rundir, LIND_TRACE_IPC);
	}
	if (r->rep_sock >= 0) {
		nn_close(r->rep_sock);
		unlink_ipc(r->rundir, LIND_ADMIN_IPC);
	}
	r->pub_sock = r->rep_sock = -1;
	if (r->batch) {
		if (r->loop)
			ev_timer_stop(r->loop, &r->trace_tick);
		pthread_mutex_destroy(&r->batch_lock);
		free(r->batch);
		r->batch = NULL;
	}
	relay_trace_subs_free(r);
}

bool relay_tracing(struct relay *r)
{
	uint64_t until =
		atomic_load_explicit(&r->trace_until, memory_order_relaxed);
	return until != 0 && lind_now_ns() < until;
}

/*
 * Batches.  A message per call cost a cage a sendmsg and each tracer two
 * thread wake-ups (nanomsg's worker, then its own loop) per call: a
 * capture tripled the null call.  Events are packed straight into a
 * TraceBatch (proto/lind.proto), written by hand: each a field 1, the
 * seq a field 2 at the end (protobuf fields come in any order).  The
 * batch goes out when the next event would not fit, with a note (the
 * cage's life, shown at once), or at the main loop's tick.
 */
#define TAG_EVENTS 0x0a /* field 1, length-delimited */
#define TAG_SEQ 0x10    /* field 2, varint */
#define VARINT_MAX 10
#define SEQ_ROOM (1 + VARINT_MAX)

static size_t put_varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	for (; v >= 0x80; v >>= 7)
		p[n++] = (uint8_t)(v | 0x80);
	p[n++] = (uint8_t)v;
	return n;
}

/* One event record (tag, length, the packed event) at p: its size. */
static size_t put_event(uint8_t *p, const Lind__TraceEvent *ev, size_t n)
{
	size_t h = 1;
	p[0] = TAG_EVENTS;
	h += put_varint(p + 1, n);
	lind__trace_event__pack(ev, p + h);
	return h + n;
}

/* buf (len bytes of records, SEQ_ROOM more free) out as events seq on.
 * Events nanomsg refused count as sent: the tracers see the gap.  PUB
 * never blocks: a tracer too slow to take a batch misses it. */
static void send_batch(struct relay *r, uint8_t *buf, size_t len,
		       uint32_t events)
{
	buf[len++] = TAG_SEQ;
	len += put_varint(buf + len, r->batch_seq);
	if (nn_send(r->pub_sock, buf, len, NN_DONTWAIT) >= 0)
		atomic_fetch_add_explicit(&r->published, events,
					  memory_order_relaxed);
	r->batch_seq += events;
}

/* Under batch_lock: whatever waits, out. */
static void flush_locked(struct relay *r)
{
	if (r->batch_n)
		send_batch(r, r->batch, r->batch_len, r->batch_n);
	r->batch_len = 0;
	r->batch_n = 0;
}

void relay_trace_flush(struct relay *r)
{
	if (r->pub_sock < 0 || !r->batch)
		return;
	pthread_mutex_lock(&r->batch_lock);
	flush_locked(r);
	pthread_mutex_unlock(&r->batch_lock);
}

/* An event bigger than a batch (an attach's long argv): alone. */
static void send_alone(struct relay *r, const Lind__TraceEvent *ev, size_t n)
{
	uint8_t *buf = malloc(1 + VARINT_MAX + n + SEQ_ROOM);
	if (!buf) {
		r->batch_seq++; /* lost: the tracers see the gap */
		return;
	}
	send_batch(r, buf, put_event(buf, ev, n), 1);
	free(buf);
}

void relay_trace_publish(struct relay *r, const Lind__TraceEvent *ev)
{
	if (r->pub_sock < 0 || !r->batch)
		return;
	size_t n = lind__trace_event__get_packed_size(ev);
	size_t need = 1 + VARINT_MAX + n, room = RELAY_TRACE_BATCH - SEQ_ROOM;
	bool urgent = ev->note && ev->note[0];
	pthread_mutex_lock(&r->batch_lock);
	if (r->batch_len + need > room)
		flush_locked(r);
	if (need > room) {
		send_alone(r, ev, n);
	} else {
		r->batch_len += put_event(r->batch + r->batch_len, ev, n);
		r->batch_n++;
		if (urgent)
			flush_locked(r);
	}
	pthread_mutex_unlock(&r->batch_lock);
}

/* The main loop, every RELAY_TRACE_TICK_S while tracing and once after:
 * calls wait at most that long to be seen. */
static void tick_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct relay *r = w->data;
	pthread_mutex_lock(&r->batch_lock);
	bool idle = r->batch_n == 0;
	flush_locked(r);
	pthread_mutex_unlock(&r->batch_lock);
	if (idle && !relay_tracing(r))
		ev_timer_stop(loop, w);
}

/* A note about cage_id for the tracers selecting it (cage 0: for all). */
static void note_to(struct relay *r, uint64_t cage_id, const char *note,
		    char **argv, size_t argc, int64_t *arg)
{
	uint32_t subs = cage_id ? relay_trace_selects(r, cage_id) : ~0u;
	if (!relay_tracing(r) || !subs)
		return;
	Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
	ProtobufCBinaryData *bins = NULL;
	if (argc) {
		bins = calloc(argc, sizeof *bins);
		if (!bins)
			return;
		for (size_t i = 0; i < argc; i++) {
			bins[i].data = (uint8_t *)argv[i];
			bins[i].len = strlen(argv[i]);
		}
	}
	ev.cage_id = cage_id;
	ev.note = (char *)note;
	ev.n_data = argc;
	ev.data = bins;
	ev.n_args = arg ? 1 : 0;
	ev.args = arg;
	ev.start_ns = lind_wall_ns();
	ev.subscribers = subs;
	relay_trace_publish(r, &ev);
	free(bins);
}

void relay_trace_note(struct relay *r, uint64_t cage_id, const char *note,
		      char **argv, size_t argc)
{
	note_to(r, cage_id, note, argv, argc, NULL);
}

void relay_trace_fds(struct relay *r, const Lind__Control *m)
{
	size_t n = m->n_fd_nums;
	if (n > m->n_fd_paths || n > m->n_fd_cloexec || m->tag >= RELAY_TRACE_SUBS)
		return; /* not from our server */
	uint32_t subs = relay_trace_selects(r, m->cage_id) & (1u << m->tag);
	int64_t *args = calloc(n + 1, sizeof *args);
	ProtobufCBinaryData *bins = calloc(n + 1, sizeof *bins);
	if (subs && args && bins) {
		for (size_t i = 0; i < n; i++) {
			args[i] = (uint32_t)m->fd_nums[i] |
				  (int64_t)(m->fd_cloexec[i] != 0) << 32;
			bins[i].data = (uint8_t *)m->fd_paths[i];
			bins[i].len = strlen(m->fd_paths[i]);
		}
		Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
		ev.cage_id = m->cage_id;
		ev.note = "fds";
		ev.n_args = ev.n_data = n;
		ev.args = args;
		ev.data = bins;
		ev.start_ns = lind_wall_ns();
		ev.subscribers = subs;
		relay_trace_publish(r, &ev);
	}
	free(args);
	free(bins);
}

void relay_trace_lifecycle(struct relay *r, uint64_t cage_id,
			   const char *note, int64_t arg)
{
	note_to(r, cage_id, note, NULL, 0, &arg);
}

/* rep packed (malloc'd, *n bytes), with the cages' count and, when
 * asked (--top), each cage's calls in flight and argv. */
static uint8_t *answer_pack(struct relay *r, bool cages,
			    Lind__AdminReply *rep, size_t *n)
{
	Lind__CageInfo *info = NULL, **ptrs = NULL;
	pthread_mutex_lock(&r->table_lock);
	rep->cages = r->ncages;
	if (cages && r->ncages) {
		info = calloc(r->ncages, sizeof *info);
		ptrs = calloc(r->ncages, sizeof *ptrs);
	}
	for (uint32_t i = 0; info && ptrs && i < RELAY_MAX_CHANS &&
			     rep->n_cage_info < r->ncages; i++) {
		struct relay_cage *c = r->chans[i];
		if (!c)
			continue;
		Lind__CageInfo *x = &info[rep->n_cage_info];
		lind__cage_info__init(x);
		x->cage_id = c->cage_id;
		x->inflight = relay_cage_inflight(c);
		x->cmd = c->cmd;
		ptrs[rep->n_cage_info++] = x;
	}
	rep->cage_info = ptrs;
	*n = lind__admin_reply__get_packed_size(rep);
	uint8_t *buf = malloc(*n ? *n : 1);
	if (buf)
		lind__admin_reply__pack(rep, buf);
	pthread_mutex_unlock(&r->table_lock);
	free(info);
	free(ptrs);
	return buf;
}

static void admin_answer(struct relay *r, const Lind__Admin *a)
{
	Lind__AdminReply rep = LIND__ADMIN_REPLY__INIT;
	bool on = a && a->kind == LIND__ADMIN__KIND__TRACE_ON;
	if (a && a->kind == LIND__ADMIN__KIND__TRACE_OFF &&
	    !relay_trace_unsubscribe(r, a->filter ? a->filter->subscriber : 0))
		atomic_store(&r->trace_until, 0); /* the last one left */
	int slot = on ? relay_trace_subscribe(r, a->filter) : 0;
	if (slot < 0) {
		lind_log(0, "trace: a tracer's filter refused: %s",
			 strerror(-slot));
		on = false;
	}
	/* RELAY_TRACE_SUBS: refused (the tracer says so and leaves) */
	rep.slot = slot < 0 ? RELAY_TRACE_SUBS : (uint32_t)slot;
	rep.published = atomic_load(&r->published);
	rep.calls = atomic_load(&r->calls);
	rep.ring_replies = atomic_load(&r->ring_replies);
	rep.trace_url = r->trace_url;
	size_t n;
	uint8_t *buf = answer_pack(r, a && a->cages, &rep, &n);
	if (!buf || nn_send(r->rep_sock, buf, n, NN_DONTWAIT) < 0)
		lind_log(0, "admin reply lost: %s",
			 buf ? nn_strerror(nn_errno()) : "out of memory");
	free(buf);
	if (on) {
		atomic_store(&r->trace_until, lind_now_ns() + RELAY_TRACE_TTL_NS);
		if (r->loop && !ev_is_active(&r->trace_tick))
			ev_timer_start(r->loop, &r->trace_tick);
		/* lets the subscriber know its feed is live */
		relay_trace_note(r, 0, "trace-on", NULL, 0);
	}
}

void relay_admin_handle(struct relay *r)
{
	for (;;) {
		void *msg = NULL;
		int n = nn_recv(r->rep_sock, &msg, NN_MSG, NN_DONTWAIT);
		if (n < 0) {
			if (nn_errno() != EAGAIN && nn_errno() != EINTR)
				lind_log(0, "admin socket: %s",
					 nn_strerror(nn_errno()));
			return;
		}
		Lind__Admin *a = lind__admin__unpack(NULL, (size_t)n, msg);
		nn_freemsg(msg);
		admin_answer(r, a); /* REP must answer before the next request */
		if (a)
			lind__admin__free_unpacked(a, NULL);
	}
}
