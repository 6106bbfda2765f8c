/*
 * The relay's frame check, as a cage thread runs it: the input is one
 * Request frame written into a channel slot, and nacl-relay/cage.c's own
 * take_slot (reached by including cage.c: it is static) unpacks it, runs
 * the policy (this cage denies net and write), relay_check and the
 * lind_cancel and lind_refused checks, stamps it and forwards it into an
 * in-memory request ring.  Tracing is on so the trace copy runs too.
 * Oracle: a forwarded frame decodes (by protobuf-c and in place, as the
 * server parses it, alike), carries the cage's id and tag and
 * passes the policy and relay_check again; a refused one gets an error
 * reply in its slot (lind_refused, answered by the relay, may get 0).
 */
#define _GNU_SOURCE /* nftw in fuzz.h */
#include "../../nacl-relay/cage.c"

#include <assert.h>

#include "fuzz.h"
#include "ring.h"

static struct relay R;
static struct relay_cage *C;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lind_log_init("fuzz_relay_check");
	relay_init(&R);
	R.rings = calloc(1, sizeof *R.rings);
	C = calloc(1, sizeof *C);
	assert(R.rings && C);
	C->frame = malloc(LIND_MAX_FRAME); /* its worker's (pool.c) */
	assert(C->frame);
	lind_ring_init(&R.rings->req);
	lind_ring_init(&R.rings->rep);
	atomic_store(&R.trace_until, UINT64_MAX); /* pub_sock -1: no output */
	C->r = &R;
	C->cage_id = 7;
	C->idx = 3;
	C->gen = 5;
	C->deny = LC_NET | LC_WRITE;
	struct relay_chan ch;
	int rc = relay_chan_create(&ch);
	assert(rc == 0);
	C->chan = ch.chan;
	C->done = ch.done;
	close(ch.chan_fd);
	close(ch.done_fd);
	return 0;
}

static void check_forwarded(uint32_t slot)
{
	uint32_t len;
	const void *rec = lind_ring_peek(&R.rings->req, &len);
	assert(rec);
	Lind__Request *q = lind__request__unpack(NULL, len, rec);
	assert(q);
	assert(q->cage_id == C->cage_id);
	assert(q->tag == RELAY_TAG(C->gen, C->idx, slot));
	assert(relay_check(q) == 0);
	const char *cls;
	assert(relay_policy(C->deny, q, &cls) == 0);
	/* the server parses it in place (wire.h): the same request */
	struct lind_request_view v;
	assert(lind_request_view(rec, len, &v) == 0);
	assert(v.rq.cage_id == q->cage_id && v.rq.tag == q->tag &&
	       v.rq.nr == q->nr && v.rq.n_args == q->n_args &&
	       v.rq.n_data == q->n_data && v.rq.area == q->area);
	/* a traced call's area bytes travel as the entry they stand for */
	assert(!q->area);
	for (size_t k = 0; k < q->n_data; k++)
		assert(v.rq.data[k].len == q->data[k].len &&
		       (!q->data[k].len ||
			!memcmp(v.rq.data[k].data, q->data[k].data,
				q->data[k].len)));
	lind__request__free_unpacked(q, NULL);
	lind_ring_release(&R.rings->req);
	assert(!lind_ring_peek(&R.rings->req, &len));
	atomic_fetch_add(&C->done->done[slot], 1); /* as if the reply came */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint32_t i = (uint32_t)size % LIND_CHAN_SLOTS;
	struct lind_slot *s = &C->chan->slot[i];
	size_t n = size < LIND_MAX_FRAME ? size : LIND_MAX_FRAME;
	memcpy(s->buf, data, n);
	s->len = (uint32_t)size; /* a cage may claim more than the slot holds */
	atomic_store(&s->state, LIND_SLOT_SUBMITTED);
	take_slot(C, i);
	if (relay_slot_busy(C, i)) {
		assert(atomic_load(&s->state) == LIND_SLOT_TAKEN);
		check_forwarded(i);
		return 0;
	}
	/* refused: an error reply for that slot, nothing forwarded */
	uint32_t len;
	assert(!lind_ring_peek(&R.rings->req, &len));
	assert(atomic_load(&s->state) == LIND_SLOT_REPLIED);
	Lind__Reply *rep = lind__reply__unpack(NULL, s->len, s->buf);
	assert(rep && rep->tag == i);
	if (rep->result >= 0) { /* only the relay's own lind_refused */
		Lind__Request *q = lind__request__unpack(NULL, n, data);
		assert(rep->result == 0 && q && q->nr == LIND_SYS_lind_refused);
		lind__request__free_unpacked(q, NULL);
	}
	lind__reply__free_unpacked(rep, NULL);
	return 0;
}
