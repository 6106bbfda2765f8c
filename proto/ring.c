/*
 * SPSC ring: head and tail count bytes forever (u64, never wrap); a record
 * that would straddle the end is preceded by a WRAP marker.  Each side
 * re-validates what it reads from the other (lengths bounded by size), so
 * a corrupted ring yields an error, not a wild access.
 */
#include <assert.h>
#include <errno.h>
#include <string.h>

#include "futex.h"
#include "ring.h"

#define ALIGN8(x) (((x) + 7u) & ~7u)

void lind_ring_init(struct lind_ring *r)
{
	atomic_store(&r->head, 0);
	atomic_store(&r->tail, 0);
	atomic_store(&r->seq, 0);
	atomic_store(&r->consumer_sleeping, 0);
	atomic_store(&r->producer_waiting, 0);
	r->size = LIND_RING_BYTES;
}

static uint64_t ring_free(struct lind_ring *r, uint64_t head)
{
	uint64_t tail = atomic_load(&r->tail); /* seq_cst: pairs with producer_waiting */
	return r->size - (head - tail);
}

void *lind_ring_reserve(struct lind_ring *r, uint32_t len)
{
	uint32_t need = ALIGN8(len + 4);
	assert(need <= r->size / 4);
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	uint32_t off = (uint32_t)(head % r->size);
	uint32_t to_end = r->size - off;
	uint64_t want = need <= to_end ? need : to_end + need;
	if (ring_free(r, head) < want) {
		atomic_store(&r->producer_waiting, 1);
		/* Recheck: the consumer may have drained before seeing the flag. */
		if (ring_free(r, head) < want)
			return NULL;
		atomic_store(&r->producer_waiting, 0);
	}
	if (need > to_end) {
		uint32_t wrap = LIND_RING_WRAP;
		memcpy(r->data + off, &wrap, 4);
		head += to_end;
		atomic_store_explicit(&r->head, head, memory_order_release);
		off = 0;
	}
	memcpy(r->data + off, &len, 4);
	return r->data + off + 4;
}

bool lind_ring_commit(struct lind_ring *r, uint32_t len)
{
	uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	atomic_store_explicit(&r->head, head + ALIGN8(len + 4),
			      memory_order_seq_cst);
	atomic_fetch_add_explicit(&r->seq, 1, memory_order_seq_cst);
	if (atomic_load(&r->consumer_sleeping)) {
		atomic_store(&r->consumer_sleeping, 0);
		return true;
	}
	return false;
}

const void *lind_ring_peek(struct lind_ring *r, uint32_t *len)
{
	for (;;) {
		uint64_t tail =
			atomic_load_explicit(&r->tail, memory_order_relaxed);
		uint64_t head =
			atomic_load_explicit(&r->head, memory_order_acquire);
		if (head == tail)
			return NULL;
		uint32_t off = (uint32_t)(tail % r->size);
		uint32_t n;
		memcpy(&n, r->data + off, 4);
		if (n == LIND_RING_WRAP) {
			if (r->size - off > head - tail)
				return NULL; /* corrupt: a wrap past head */
			atomic_store_explicit(&r->tail, tail + (r->size - off),
					      memory_order_release);
			continue;
		}
		if (n > r->size - off - 4 || ALIGN8(n + 4) > head - tail)
			return NULL; /* corrupt: treat as empty */
		*len = n;
		return r->data + off + 4;
	}
}

bool lind_ring_release(struct lind_ring *r)
{
	uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	uint32_t n;
	memcpy(&n, r->data + tail % r->size, 4);
	atomic_store_explicit(&r->tail, tail + ALIGN8(n + 4),
			      memory_order_seq_cst);
	if (atomic_load(&r->producer_waiting)) {
		atomic_store(&r->producer_waiting, 0);
		return true;
	}
	return false;
}

bool lind_ring_prepare_sleep(struct lind_ring *r)
{
	atomic_store_explicit(&r->consumer_sleeping, 1, memory_order_seq_cst);
	uint64_t tail = atomic_load(&r->tail);
	if (atomic_load(&r->head) != tail) {
		atomic_store(&r->consumer_sleeping, 0);
		return true;
	}
	return false;
}

void lind_ring_awake(struct lind_ring *r)
{
	atomic_store(&r->consumer_sleeping, 0);
}

void lind_ring_sleep(struct lind_ring *r, int timeout_ms)
{
	uint32_t seq = atomic_load(&r->seq);
	if (lind_ring_prepare_sleep(r))
		return;
	lind_futex_wait(&r->seq, seq, timeout_ms);
	lind_ring_awake(r);
}
