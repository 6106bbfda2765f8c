/* The relay's data path in one process: a fake cage writes frames into a
 * channel, a worker of the relay's pool checks and forwards them into the
 * request ring, a fake server answers on the reply ring, and the reply
 * thread routes the answers back into the slots; or, for a direct call,
 * the fake server answers into the slot itself.  Also the trace feed. */
#define _GNU_SOURCE /* pipe2 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/reqrep.h>

#include "common.h"
#include "futex.h"
#include "relay.h"
#include "ring.h"
#include "syscall.h"

struct env {
	struct relay *r;
	int bell[2];
	struct lind_chan *chan;
	struct lind_chan_done *done;
	struct relay_cage *cage;
};

static void *shm(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(p != MAP_FAILED);
	return p;
}

/* The cage's bell (the relay's copy is the cage's record's). */
static int cage_bell = -1;

/* A cage id with a fresh channel, done page and bell (relay_cage_stop
 * unmaps and closes them). */
static void start_cage(struct env *e, uint64_t id)
{
	struct relay_chan ch = {shm(sizeof(struct lind_chan)),
				shm(sizeof(struct lind_chan_done)), -1, -1};
	e->chan = ch.chan;
	e->done = ch.done;
	int fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	assert_true(fd >= 0);
	if (cage_bell >= 0)
		close(cage_bell);
	cage_bell = dup(fd);
	assert_int_equal(relay_cage_start(e->r, id, 0, &ch, fd, &e->cage), 0);
	assert_null(ch.chan); /* taken over */
}

static void cage_stop(struct env *e)
{
	relay_cage_stop(e->r, e->cage); /* unmaps the channel */
	e->cage = NULL;
	close(cage_bell);
	cage_bell = -1;
}

/* As client-libc rings: only when nobody serves the channel. */
static void ring(struct lind_chan *ch)
{
	static const uint64_t one = 1;
	atomic_fetch_add(&ch->doorbell, 1);
	if (atomic_load(&ch->relay_sleeping))
		assert_int_equal(write(cage_bell, &one, sizeof one), 8);
}

static int setup(void **st)
{
	struct env *e = calloc(1, sizeof *e);
	e->r = calloc(1, sizeof *e->r);
	relay_init(e->r);
	e->r->rings = shm(sizeof(struct lind_rings));
	e->r->rings_len = sizeof(struct lind_rings);
	lind_ring_init(&e->r->rings->req);
	lind_ring_init(&e->r->rings->rep);
	assert_int_equal(pipe2(e->bell, O_NONBLOCK | O_CLOEXEC), 0);
	e->r->bell_fd = e->bell[1];
	assert_int_equal(relay_replies_start(e->r), 0);
	e->r->nworkers = 2;
	assert_int_equal(relay_pool_start(e->r), 0);
	start_cage(e, 7);
	*st = e;
	return 0;
}

static int teardown(void **st)
{
	struct env *e = *st;
	if (e->cage)
		cage_stop(e);
	relay_pool_stop(e->r);
	relay_server_close(e->r);           /* closes the bell's write end */
	close(e->bell[0]);
	relay_trace_close(e->r);
	pthread_mutex_destroy(&e->r->ring_lock);
	pthread_mutex_destroy(&e->r->table_lock);
	pthread_mutex_destroy(&e->r->rep_lock);
	free(e->r);
	free(e);
	return 0;
}

/* The client side of a slot, as client-libc does it. */
static void submit_raw(struct lind_chan *ch, int i, const void *buf,
		       uint32_t len)
{
	struct lind_slot *s = &ch->slot[i];
	assert_int_equal(atomic_load(&s->state), LIND_SLOT_FREE);
	memcpy(s->buf, buf, len);
	s->len = len;
	if (atomic_load(&ch->slots_used) <= (uint32_t)i)
		atomic_store(&ch->slots_used, (uint32_t)i + 1);
	atomic_store(&s->state, LIND_SLOT_SUBMITTED);
	ring(ch);
}

static void submit(struct lind_chan *ch, int i, const Lind__Request *req)
{
	uint8_t buf[LIND_MAX_FRAME];
	size_t n = lind__request__pack(req, buf);
	submit_raw(ch, i, buf, (uint32_t)n);
}

/* Wait for the slot's reply; NULL after 2 s. */
static Lind__Reply *wait_reply(struct lind_chan *ch, int i)
{
	struct lind_slot *s = &ch->slot[i];
	uint64_t deadline = lind_now_ns() + 2000000000ull;
	uint32_t v;
	while ((v = atomic_load(&s->state)) != LIND_SLOT_REPLIED) {
		if (lind_now_ns() > deadline)
			return NULL;
		atomic_store(&s->waiting, 1);
		lind_futex_wait(&s->state, v, 50);
	}
	atomic_store(&s->waiting, 0);
	Lind__Reply *rep = lind__reply__unpack(NULL, s->len, s->buf);
	atomic_store(&s->state, LIND_SLOT_FREE);
	return rep;
}

/* The fake server: the next request from the ring, NULL after ms. */
static Lind__Request *server_take(struct relay *r, int ms)
{
	uint64_t deadline = lind_now_ns() + (uint64_t)ms * 1000000u;
	for (;;) {
		uint32_t len;
		const void *p = lind_ring_peek(&r->rings->req, &len);
		if (p) {
			Lind__Request *req = lind__request__unpack(NULL, len, p);
			lind_ring_release(&r->rings->req);
			return req;
		}
		if (lind_now_ns() > deadline)
			return NULL;
		usleep(100);
	}
}

static void server_reply(struct relay *r, uint64_t tag, int64_t result,
			 const void *out, size_t outlen)
{
	Lind__Reply rep = LIND__REPLY__INIT;
	ProtobufCBinaryData d = {outlen, (uint8_t *)out};
	rep.tag = tag;
	rep.result = result;
	if (out) {
		rep.n_data = 1;
		rep.data = &d;
	}
	size_t n = lind__reply__get_packed_size(&rep);
	void *p = lind_ring_reserve(&r->rings->rep, (uint32_t)n);
	assert_non_null(p);
	lind__reply__pack(&rep, p);
	if (lind_ring_commit(&r->rings->rep, (uint32_t)n))
		lind_futex_wake(&r->rings->rep.seq, 1);
}

static void req_init(Lind__Request *req, int64_t *args, uint32_t nr)
{
	lind__request__init(req);
	req->nr = nr;
	req->args = args;
	req->n_args = 6;
}

static void test_forward_and_stamp(void **st)
{
	struct env *e = *st;
	int64_t args[6] = {0};
	Lind__Request req;
	req_init(&req, args, LIND_SYS_getpid);
	req.cage_id = 999; /* forged: the relay overwrites it */
	req.tag = 12345;
	submit(e->chan, 3, &req);
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	assert_int_equal(got->cage_id, 7);
	assert_int_equal(got->nr, LIND_SYS_getpid);
	assert_int_equal(RELAY_TAG_SLOT(got->tag), 3);
	assert_int_equal(RELAY_TAG_IDX(got->tag), e->cage->idx);
	assert_int_equal(RELAY_TAG_GEN(got->tag), e->cage->gen);
	server_reply(e->r, got->tag, 42, NULL, 0);
	lind__request__free_unpacked(got, NULL);
	Lind__Reply *rep = wait_reply(e->chan, 3);
	assert_non_null(rep);
	assert_int_equal(rep->result, 42);
	assert_int_equal(rep->tag, 3);
	lind__reply__free_unpacked(rep, NULL);
}

static void test_out_data(void **st)
{
	struct env *e = *st;
	int64_t args[6] = {0, 0, 100};
	Lind__Request req;
	req_init(&req, args, LIND_SYS_read);
	submit(e->chan, 0, &req);
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	server_reply(e->r, got->tag, 6, "hello\n", 6);
	lind__request__free_unpacked(got, NULL);
	Lind__Reply *rep = wait_reply(e->chan, 0);
	assert_non_null(rep);
	assert_int_equal(rep->result, 6);
	assert_int_equal(rep->n_data, 1);
	assert_memory_equal(rep->data[0].data, "hello\n", 6);
	lind__reply__free_unpacked(rep, NULL);
}

/* lind_cancel names a slot of the cage's own; the server gets that
 * slot's tag, so one cage can never name another cage's call. */
static void test_cancel_names_own_slot(void **st)
{
	struct env *e = *st;
	int64_t args[6] = {5};
	Lind__Request req;
	req_init(&req, args, LIND_SYS_lind_cancel);
	submit(e->chan, 1, &req);
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	assert_int_equal(got->nr, LIND_SYS_lind_cancel);
	uint64_t want = RELAY_TAG(e->cage->gen, e->cage->idx, 5);
	assert_int_equal((uint64_t)got->args[0], want);
	server_reply(e->r, got->tag, 0, NULL, 0);
	lind__request__free_unpacked(got, NULL);
	Lind__Reply *rep = wait_reply(e->chan, 1);
	assert_non_null(rep);
	lind__reply__free_unpacked(rep, NULL);
}

/* Answered by the relay itself; nothing reaches the server. */
static void expect_local(struct env *e, int slot, int err)
{
	Lind__Reply *rep = wait_reply(e->chan, slot);
	assert_non_null(rep);
	assert_int_equal(rep->result, err);
	assert_int_equal(rep->tag, slot);
	lind__reply__free_unpacked(rep, NULL);
	Lind__Request *got = server_take(e->r, 20);
	assert_null(got);
}

static void test_local_errors(void **st)
{
	struct env *e = *st;
	int64_t args[6] = {1, 2, 3};
	Lind__Request req;
	req_init(&req, args, 999);
	submit(e->chan, 1, &req);
	expect_local(e, 1, -ENOSYS);

	static char path[LIND_MAX_PATH + 1];
	memset(path, 'a', sizeof path);
	ProtobufCBinaryData d = {sizeof path, (uint8_t *)path};
	req_init(&req, args, LIND_SYS_unlink);
	req.n_data = 1;
	req.data = &d;
	submit(e->chan, 2, &req);
	expect_local(e, 2, -ENAMETOOLONG);

	int64_t wargs[6] = {1, 0, 3};
	ProtobufCBinaryData w = {5, (uint8_t *)"hello"};
	req_init(&req, wargs, LIND_SYS_write);
	req.n_data = 1;
	req.data = &w;
	submit(e->chan, 4, &req);
	expect_local(e, 4, -EINVAL);

	int64_t cargs[6] = {LIND_CHAN_SLOTS}; /* no such slot */
	req_init(&req, cargs, LIND_SYS_lind_cancel);
	submit(e->chan, 6, &req);
	expect_local(e, 6, -EINVAL);
}

static void test_bad_frames(void **st)
{
	struct env *e = *st;
	/* a length beyond the slot: answered, never read */
	struct lind_slot *s = &e->chan->slot[5];
	atomic_store(&e->chan->slots_used, 6); /* as a client claims it */
	s->len = LIND_MAX_FRAME + 1;
	atomic_store(&s->state, LIND_SLOT_SUBMITTED);
	ring(e->chan);
	expect_local(e, 5, -EINVAL);
	s->len = UINT32_MAX;
	atomic_store(&s->state, LIND_SLOT_SUBMITTED);
	ring(e->chan);
	expect_local(e, 5, -EINVAL);
	/* bytes that are no Request */
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
				       0xff, 0xff, 0xff, 0xff, 0xff};
	submit_raw(e->chan, 6, junk, sizeof junk);
	expect_local(e, 6, -EINVAL);
}

static void test_all_slots_out_of_order(void **st)
{
	struct env *e = *st;
	Lind__Request req;
	int64_t args[LIND_CHAN_SLOTS][6];
	for (int i = 0; i < LIND_CHAN_SLOTS; i++) {
		memset(args[i], 0, sizeof args[i]);
		args[i][0] = i;
		req_init(&req, args[i], LIND_SYS_close);
		submit(e->chan, i, &req);
	}
	uint64_t tags[LIND_CHAN_SLOTS];
	for (int i = 0; i < LIND_CHAN_SLOTS; i++) {
		Lind__Request *got = server_take(e->r, 2000);
		assert_non_null(got);
		tags[got->args[0]] = got->tag;
		lind__request__free_unpacked(got, NULL);
	}
	for (int i = LIND_CHAN_SLOTS - 1; i >= 0; i--)
		server_reply(e->r, tags[i], 100 + i, NULL, 0);
	for (int i = 0; i < LIND_CHAN_SLOTS; i++) {
		Lind__Reply *rep = wait_reply(e->chan, i);
		assert_non_null(rep);
		assert_int_equal(rep->result, 100 + i);
		assert_int_equal(rep->tag, i); /* 2- and 3-byte tags alike */
		lind__reply__free_unpacked(rep, NULL);
	}
}

/* slots_used is the cage's word: beyond the channel it is clamped (the
 * last slot is served, nothing past it is read), and a cage that never
 * set it is still served in its first 8 slots (test_bad_frames). */
static void test_slots_used_clamped(void **st)
{
	struct env *e = *st;
	atomic_store(&e->chan->slots_used, UINT32_MAX);
	int64_t args[6] = {0};
	Lind__Request req;
	req_init(&req, args, LIND_SYS_getuid);
	submit(e->chan, LIND_CHAN_SLOTS - 1, &req);
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	assert_int_equal(RELAY_TAG_SLOT(got->tag), LIND_CHAN_SLOTS - 1);
	server_reply(e->r, got->tag, 77, NULL, 0);
	lind__request__free_unpacked(got, NULL);
	Lind__Reply *rep = wait_reply(e->chan, LIND_CHAN_SLOTS - 1);
	assert_non_null(rep);
	assert_int_equal(rep->result, 77);
	assert_int_equal(rep->tag, LIND_CHAN_SLOTS - 1);
	lind__reply__free_unpacked(rep, NULL);
}

static void test_stale_replies_dropped(void **st)
{
	struct env *e = *st;
	int64_t args[6] = {0};
	Lind__Request req;
	req_init(&req, args, LIND_SYS_getuid);
	submit(e->chan, 2, &req);
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	uint64_t tag = got->tag;
	lind__request__free_unpacked(got, NULL);
	/* wrong generation, wrong channel, wrong slot: all dropped */
	server_reply(e->r, tag ^ (1ull << 32), -1, NULL, 0);
	server_reply(e->r, tag ^ (1ull << 16), -1, NULL, 0);
	server_reply(e->r, (tag & ~0xffffull) | LIND_CHAN_SLOTS, -1, NULL, 0);
	server_reply(e->r, (tag & ~0xffffull) | 1, -1, NULL, 0); /* not in flight */
	usleep(20000);
	assert_int_equal(atomic_load(&e->chan->slot[2].state), LIND_SLOT_TAKEN);
	assert_int_equal(atomic_load(&e->chan->slot[1].state), LIND_SLOT_FREE);
	server_reply(e->r, tag, 1000, NULL, 0);
	Lind__Reply *rep = wait_reply(e->chan, 2);
	assert_non_null(rep);
	assert_int_equal(rep->result, 1000);
	lind__reply__free_unpacked(rep, NULL);
	/* twice: the second answer finds nothing in flight */
	server_reply(e->r, tag, 1001, NULL, 0);
	usleep(20000);
	assert_int_equal(atomic_load(&e->chan->slot[2].state), LIND_SLOT_FREE);
}

static void test_reply_after_cage_gone(void **st)
{
	struct env *e = *st;
	int64_t args[6] = {0};
	Lind__Request req;
	req_init(&req, args, LIND_SYS_getuid);
	submit(e->chan, 0, &req);
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	cage_stop(e);
	server_reply(e->r, got->tag, 5, NULL, 0); /* into an unmapped channel? no */
	lind__request__free_unpacked(got, NULL);
	usleep(20000);
	/* a new cage gets a new index or generation; the old tag stays stale */
	start_cage(e, 8);
	assert_int_equal(e->r->ncages, 1);
}

static void test_fail_all(void **st)
{
	struct env *e = *st;
	relay_cages_fail_all(e->r);
	assert_int_equal(atomic_load(&e->chan->relay_gone), 1);
}

static void test_channel_memfd(void **st)
{
	(void)st;
	struct relay_chan ch;
	assert_int_equal(relay_chan_create(&ch), 0);
	assert_true(ch.chan_fd >= 0 && ch.done_fd >= 0);
	assert_int_equal(ch.chan->magic, LIND_CHAN_MAGIC);
	assert_int_equal(ch.chan->version, LIND_PROTO_VERSION);
	/* the cage maps the same memory through the fd */
	struct lind_chan *view = mmap(NULL, sizeof *view, PROT_READ | PROT_WRITE,
				      MAP_SHARED, ch.chan_fd, 0);
	assert_true(view != MAP_FAILED);
	atomic_store(&view->doorbell, 7);
	assert_int_equal(atomic_load(&ch.chan->doorbell), 7);
	munmap(view, sizeof *view);
	/* the done page is another file, sealed like the channel */
	void *d;
	assert_int_equal(lind_shm_map(ch.done_fd, sizeof *ch.done, &d), 0);
	atomic_store(&((struct lind_chan_done *)d)->done[3], 9);
	assert_int_equal(atomic_load(&ch.done->done[3]), 9);
	assert_int_equal(atomic_load(&ch.chan->slot[3].state), 0);
	munmap(d, sizeof *ch.done);
	relay_chan_drop(&ch);
	assert_null(ch.chan);
	assert_int_equal(ch.chan_fd, -1);
}

/* A relay whose server maps channels (a local one). */
static int setup_direct(void **st)
{
	setup(st);
	struct env *e = *st;
	cage_stop(e);
	e->r->direct = true;
	start_cage(e, 9);
	return 0;
}

/* As posix-server's reply_direct: into the slot, counted done, REPLIED. */
static void server_direct(struct env *e, uint64_t tag, int64_t result)
{
	uint32_t i = LIND_TAG_SLOT(tag);
	struct lind_slot *s = &e->chan->slot[i];
	Lind__Reply rep = LIND__REPLY__INIT;
	rep.tag = i;
	rep.result = result;
	s->len = (uint32_t)lind__reply__pack(&rep, s->buf);
	atomic_fetch_add(&e->done->done[i], 1);
	atomic_store(&s->state, LIND_SLOT_REPLIED);
	lind_futex_wake(&s->state, INT_MAX);
}

/* The next request, which must be a direct one on slot i. */
static uint64_t take_direct(struct env *e, uint32_t i)
{
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	uint64_t tag = got->tag;
	lind__request__free_unpacked(got, NULL);
	assert_true(tag & LIND_TAG_DIRECT);
	assert_int_equal(RELAY_TAG_SLOT(tag), i);
	assert_int_equal(RELAY_TAG_IDX(tag), e->cage->idx);
	assert_int_equal(RELAY_TAG_GEN(tag), e->cage->gen);
	return tag;
}

static void expect_result(struct env *e, int slot, int64_t result)
{
	Lind__Reply *rep = wait_reply(e->chan, slot);
	assert_non_null(rep);
	assert_int_equal(rep->result, result);
	assert_int_equal(rep->tag, slot);
	lind__reply__free_unpacked(rep, NULL);
}

/* Untraced calls are answered into their slots: the relay routes nothing,
 * and a slot answered so is free for the next call at once. */
static void test_direct_replies(void **st)
{
	struct env *e = *st;
	int64_t args[6] = {0};
	Lind__Request req;
	req_init(&req, args, LIND_SYS_getpid);
	for (int k = 0; k < 3; k++) {
		submit(e->chan, 0, &req);
		uint64_t tag = take_direct(e, 0);
		assert_int_equal(relay_cage_inflight(e->cage), 1);
		server_direct(e, tag, 40 + k);
		expect_result(e, 0, 40 + k);
		assert_int_equal(relay_cage_inflight(e->cage), 0);
	}
	assert_int_equal(atomic_load(&e->r->ring_replies), 0);
	assert_int_equal(atomic_load(&e->cage->nbusy), 0); /* no ring polling */

	/* one the server sends by the ring anyway (an fd reply) */
	submit(e->chan, 1, &req);
	uint64_t tag = take_direct(e, 1);
	server_reply(e->r, tag, 5, NULL, 0);
	expect_result(e, 1, 5);
	assert_int_equal(atomic_load(&e->r->ring_replies), 1);
	server_reply(e->r, tag, 6, NULL, 0); /* twice: nothing in flight */
	/* dropped before the slot is used again (a later call on it would
	 * take the duplicate: the server never answers twice) */
	struct lind_ring *rep = &e->r->rings->rep;
	for (int w = 0; w < 2000 && atomic_load(&rep->tail) !=
					    atomic_load(&rep->head); w++)
		usleep(1000);
	assert_int_equal(atomic_load(&rep->tail), atomic_load(&rep->head));
	submit(e->chan, 1, &req);
	tag = take_direct(e, 1);
	server_direct(e, tag, 7);
	expect_result(e, 1, 7);
	assert_int_equal(atomic_load(&e->r->ring_replies), 1);
}

/* write(1, bytes) in slot 0 with its bytes in the slot's area, submitted
 * (rq and args stay the caller's, to submit again). */
static void submit_area_write(struct env *e, Lind__Request *rq,
			      int64_t args[6], const char *bytes)
{
	size_t n = strlen(bytes);
	memset(args, 0, 6 * sizeof *args);
	args[0] = 1;
	args[2] = (int64_t)n;
	req_init(rq, args, LIND_SYS_write);
	rq->area = (uint32_t)n;
	memcpy(e->chan->slot[0].buf + LIND_AREA_OFF, bytes, n);
	submit(e->chan, 0, rq);
}

/* A write's bytes in the slot's area: a direct call forwards the count
 * only (the server reads its own mapping); a relay whose server does not
 * map the channel (a remote one) copies them inline once; a frame that
 * runs into the area is refused. */
static void test_area(void **st)
{
	struct env *e = *st;
	int64_t args[6];
	Lind__Request req;
	submit_area_write(e, &req, args, "bytes");
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	assert_true(got->tag & LIND_TAG_DIRECT);
	assert_int_equal(got->area, 5);
	assert_int_equal(got->n_data, 0);
	server_direct(e, got->tag, 5);
	lind__request__free_unpacked(got, NULL);
	expect_result(e, 0, 5);

	e->cage->direct = false;
	submit(e->chan, 0, &req);
	got = server_take(e->r, 2000);
	assert_non_null(got);
	assert_false(got->tag & LIND_TAG_DIRECT);
	assert_int_equal(got->area, 0);
	assert_int_equal(got->n_data, 1);
	assert_memory_equal(got->data[0].data, "bytes", 5);
	server_reply(e->r, got->tag, 5, NULL, 0);
	lind__request__free_unpacked(got, NULL);
	expect_result(e, 0, 5);

	/* a frame longer than LIND_AREA_OFF naming the area */
	static uint8_t buf[LIND_AREA_OFF + 64];
	size_t n = lind__request__pack(&req, buf);
	size_t len = n + (sizeof buf - n) / 2 * 2;
	for (size_t k = n; k < len; k += 2) {
		buf[k] = 0x18; /* nr again: a field may repeat */
		buf[k + 1] = LIND_SYS_write;
	}
	submit_raw(e->chan, 0, buf, (uint32_t)len);
	expect_result(e, 0, -EINVAL);
	/* an area on a call with no in-buffer: refused, nothing forwarded */
	req_init(&req, args, LIND_SYS_read);
	req.area = 5;
	submit(e->chan, 0, &req);
	expect_result(e, 0, -EINVAL);
	assert_null(server_take(e->r, 50));
}

/* A cage resubmitting a slot whose call is in flight gets nothing
 * forwarded; lind_cancel of a direct call names its tag with the bit. */
static void test_direct_busy_and_cancel(void **st)
{
	struct env *e = *st;
	int64_t args[6] = {0};
	Lind__Request req;
	req_init(&req, args, LIND_SYS_getuid);
	submit(e->chan, 2, &req);
	uint64_t tag = take_direct(e, 2);
	atomic_store(&e->chan->slot[2].state, LIND_SLOT_SUBMITTED);
	atomic_fetch_add(&e->chan->doorbell, 1);
	lind_futex_wake(&e->chan->doorbell, 1);
	assert_null(server_take(e->r, 50));

	int64_t cargs[6] = {2};
	req_init(&req, cargs, LIND_SYS_lind_cancel);
	submit(e->chan, 3, &req);
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	assert_int_equal((uint64_t)got->args[0], tag);
	uint64_t ctag = got->tag;
	lind__request__free_unpacked(got, NULL);
	server_direct(e, tag, -EINTR);
	server_direct(e, ctag, 0);
	expect_result(e, 2, -EINTR);
	expect_result(e, 3, 0);
}

/* the seq the feed's next batch must have (at first: any, the notes of
 * TRACE_ONs before the subscriber connected were sent to nobody) */
static uint64_t next_seq = UINT64_MAX;

/* The one TraceEvent of the feed's next batch within ms, or NULL; every
 * batch follows the last with no gap. */
static Lind__TraceEvent *sub_recv(int sub, int ms)
{
	nn_setsockopt(sub, NN_SOL_SOCKET, NN_RCVTIMEO, &ms, sizeof ms);
	void *msg;
	int n = nn_recv(sub, &msg, NN_MSG, 0);
	if (n < 0)
		return NULL;
	Lind__TraceBatch *b = lind__trace_batch__unpack(NULL, (size_t)n, msg);
	nn_freemsg(msg);
	assert_non_null(b);
	assert_int_equal(b->n_events, 1);
	if (next_seq != UINT64_MAX)
		assert_int_equal(b->seq, next_seq);
	next_seq = b->seq + 1;
	Lind__TraceEvent *ev = lind__trace_event__unpack(
		NULL, b->events[0].len, b->events[0].data);
	lind__trace_batch__free_unpacked(b, NULL);
	return ev;
}

/* The batch flushed until the event comes (up to 10 s): the worker that
 * wrote the reply may record the call's event just after the client saw
 * the reply, so one flush can come too early on a loaded machine. */
static Lind__TraceEvent *flush_recv(struct relay *r, int sub)
{
	Lind__TraceEvent *ev = NULL;
	for (int i = 0; i < 100 && !ev; i++) {
		relay_trace_flush(r);
		ev = sub_recv(sub, 100);
	}
	return ev;
}

static void test_trace_feed(void **st)
{
	struct env *e = *st;
	char dir[] = "/tmp/relay-trace.XXXXXX", url[PATH_MAX + 8];
	assert_non_null(mkdtemp(dir));
	snprintf(e->r->rundir, sizeof e->r->rundir, "%s", dir);
	assert_int_equal(relay_trace_open(e->r), 0);
	int sub = nn_socket(AF_SP, NN_SUB), req = nn_socket(AF_SP, NN_REQ);
	nn_setsockopt(sub, NN_SUB, NN_SUB_SUBSCRIBE, "", 0);
	snprintf(url, sizeof url, "ipc://%s/%s", dir, LIND_TRACE_IPC);
	assert_true(nn_connect(sub, url) >= 0);
	snprintf(url, sizeof url, "ipc://%s/%s", dir, LIND_ADMIN_IPC);
	assert_true(nn_connect(req, url) >= 0);

	/* untraced: nothing published */
	assert_false(relay_tracing(e->r));

	/* TRACE_ON until the subscriber sees "trace-on" */
	Lind__TraceEvent *ev = NULL;
	for (int tries = 0; tries < 40 && !ev; tries++) {
		uint8_t b[8];
		Lind__Admin a = LIND__ADMIN__INIT;
		a.kind = LIND__ADMIN__KIND__TRACE_ON;
		size_t n = lind__admin__pack(&a, b);
		assert_true(nn_send(req, b, n, 0) >= 0);
		for (int k = 0; k < 100; k++) {
			relay_admin_handle(e->r);
			void *msg;
			int got = nn_recv(req, &msg, NN_MSG, NN_DONTWAIT);
			if (got >= 0) {
				Lind__AdminReply *ar = lind__admin_reply__unpack(
					NULL, (size_t)got, msg);
				assert_non_null(ar);
				assert_non_null(strstr(ar->trace_url, "trace.ipc"));
				assert_int_equal(ar->cages, 1);
				lind__admin_reply__free_unpacked(ar, NULL);
				nn_freemsg(msg);
				break;
			}
			usleep(1000);
		}
		ev = sub_recv(sub, 50);
	}
	assert_non_null(ev);
	assert_string_equal(ev->note, "trace-on");
	lind__trace_event__free_unpacked(ev, NULL);
	assert_true(relay_tracing(e->r));

	/* a forwarded call: the relay must see its reply, never direct;
	 * its bytes in the slot's area travel inline, traced whole */
	e->cage->direct = true;
	int64_t args[6];
	Lind__Request rq;
	submit_area_write(e, &rq, args, "hello\n");
	Lind__Request *got = server_take(e->r, 2000);
	assert_non_null(got);
	assert_false(got->tag & LIND_TAG_DIRECT);
	assert_int_equal(got->area, 0);
	assert_int_equal(got->n_data, 1);
	assert_memory_equal(got->data[0].data, "hello\n", 6);
	server_reply(e->r, got->tag, 6, NULL, 0);
	lind__request__free_unpacked(got, NULL);
	Lind__Reply *rep = wait_reply(e->chan, 0);
	assert_non_null(rep);
	lind__reply__free_unpacked(rep, NULL);
	ev = sub_recv(sub, 100);
	assert_null(ev); /* a call waits in the batch for the loop's tick */
	ev = flush_recv(e->r, sub);
	assert_non_null(ev);
	char line[256];
	lind_format_event(line, sizeof line, ev);
	assert_true(ev->latency_ns > 0);
	assert_true(strncmp(line, "[cage 7] write(1, \"hello\\n\", 6) = 6 <", 37) == 0);
	lind__trace_event__free_unpacked(ev, NULL);

	/* a call the relay answers itself */
	req_init(&rq, args, 999);
	submit(e->chan, 1, &rq);
	rep = wait_reply(e->chan, 1);
	lind__reply__free_unpacked(rep, NULL);
	ev = flush_recv(e->r, sub);
	assert_non_null(ev);
	lind_format_event(line, sizeof line, ev);
	assert_string_equal(line, "[cage 7] syscall_999(0x1, 0x0, 0x6) = -1 ENOSYS");
	lind__trace_event__free_unpacked(ev, NULL);

	/* lifecycle notes */
	char *argv[] = {"prog", "arg"};
	relay_trace_note(e->r, 7, "attach", argv, 2);
	ev = sub_recv(sub, 1000);
	assert_non_null(ev);
	lind_format_event(line, sizeof line, ev);
	assert_string_equal(line, "[cage 7] +++ attached: prog arg +++");
	lind__trace_event__free_unpacked(ev, NULL);

	nn_close(sub);
	nn_close(req);
	relay_trace_close(e->r);
	assert_int_equal(rmdir(dir), 0); /* the ipc files are gone */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cancel_names_own_slot, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forward_and_stamp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_data, setup, teardown),
		cmocka_unit_test_setup_teardown(test_local_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames, setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_slots_out_of_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stale_replies_dropped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_slots_used_clamped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reply_after_cage_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fail_all, setup, teardown),
		cmocka_unit_test(test_channel_memfd),
		cmocka_unit_test_setup_teardown(test_direct_replies, setup_direct,
						teardown),
		cmocka_unit_test_setup_teardown(test_area, setup_direct,
						teardown),
		cmocka_unit_test_setup_teardown(test_direct_busy_and_cancel,
						setup_direct, teardown),
		cmocka_unit_test_setup_teardown(test_trace_feed, setup, teardown),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	nn_term();
	return rc;
}
