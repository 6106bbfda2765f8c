/* proto/ring.c: records in order across wraparound, a full ring, the
 * sleep/wake flags, and corrupted lengths read as "empty", not a crash. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "protocol.h"
#include "ring.h"

static int setup(void **st)
{
	struct lind_ring *r = aligned_alloc(64, sizeof *r);
	assert_non_null(r);
	memset(r, 0, offsetof(struct lind_ring, data));
	lind_ring_init(r);
	*st = r;
	return 0;
}

static int teardown(void **st)
{
	free(*st);
	return 0;
}

static void put_rec(struct lind_ring *r, uint32_t len, uint8_t fill)
{
	uint8_t *p = lind_ring_reserve(r, len);
	assert_non_null(p);
	memset(p, fill, len);
	lind_ring_commit(r, len);
}

static void get_rec(struct lind_ring *r, uint32_t len, uint8_t fill)
{
	uint32_t n = 0;
	const uint8_t *p = lind_ring_peek(r, &n);
	assert_non_null(p);
	assert_int_equal(n, len);
	for (uint32_t i = 0; i < n; i += 997)
		assert_int_equal(p[i], fill);
	if (n)
		assert_int_equal(p[n - 1], fill);
	lind_ring_release(r);
}

static void test_empty_and_one(void **st)
{
	struct lind_ring *r = *st;
	uint32_t n;
	assert_null(lind_ring_peek(r, &n));
	put_rec(r, 5, 0xab);
	put_rec(r, 0, 0);
	get_rec(r, 5, 0xab);
	get_rec(r, 0, 0);
	assert_null(lind_ring_peek(r, &n));
}

static void test_wraparound(void **st)
{
	struct lind_ring *r = *st;
	/* odd sizes so records straddle the end at varying offsets */
	uint32_t sizes[] = {100003, 7, LIND_MAX_FRAME, 1, 33333};
	for (int i = 0; i < 1000; i++) {
		uint32_t len = sizes[i % 5];
		put_rec(r, len, (uint8_t)i);
		if (i % 3 == 2) { /* let a backlog build, then drain some */
			for (int k = i - 2; k <= i; k++)
				get_rec(r, sizes[k % 5], (uint8_t)k);
		}
	}
	uint32_t n;
	get_rec(r, sizes[999 % 5], (uint8_t)999); /* the one not drained */
	assert_null(lind_ring_peek(r, &n));
	assert_true(atomic_load(&r->head) > 3ull * LIND_RING_BYTES);
}

static void test_full(void **st)
{
	struct lind_ring *r = *st;
	int count = 0;
	uint8_t *p;
	while ((p = lind_ring_reserve(r, LIND_MAX_FRAME))) {
		memset(p, 0x5a, LIND_MAX_FRAME);
		lind_ring_commit(r, LIND_MAX_FRAME);
		count++;
	}
	assert_true(count > 0);
	assert_int_equal(atomic_load(&r->producer_waiting), 1);
	/* the consumer's first release tells the producer there is room */
	uint32_t n;
	assert_non_null(lind_ring_peek(r, &n));
	assert_true(lind_ring_release(r));
	assert_int_equal(atomic_load(&r->producer_waiting), 0);
	assert_non_null(lind_ring_peek(r, &n));
	assert_false(lind_ring_release(r));
	put_rec(r, LIND_MAX_FRAME, 0x5a);
	for (int i = 0; i < count - 1; i++)
		get_rec(r, LIND_MAX_FRAME, 0x5a);
	assert_null(lind_ring_peek(r, &n));
}

static void test_sleep_flags(void **st)
{
	struct lind_ring *r = *st;
	assert_false(lind_ring_prepare_sleep(r)); /* empty: may sleep */
	assert_int_equal(atomic_load(&r->consumer_sleeping), 1);
	uint32_t seq = atomic_load(&r->seq);
	assert_non_null(lind_ring_reserve(r, 8));
	assert_true(lind_ring_commit(r, 8)); /* must wake the sleeper */
	assert_int_equal(atomic_load(&r->consumer_sleeping), 0);
	assert_int_equal(atomic_load(&r->seq), seq + 1);
	assert_non_null(lind_ring_reserve(r, 8));
	assert_false(lind_ring_commit(r, 8)); /* awake: no wake-up needed */
	assert_true(lind_ring_prepare_sleep(r)); /* records waiting */
	assert_int_equal(atomic_load(&r->consumer_sleeping), 0);
	atomic_store(&r->consumer_sleeping, 1);
	lind_ring_awake(r);
	assert_int_equal(atomic_load(&r->consumer_sleeping), 0);
}

static void test_corrupt_lengths(void **st)
{
	struct lind_ring *r = *st;
	uint32_t n;
	put_rec(r, 16, 1);
	uint32_t bad = LIND_RING_BYTES; /* beyond the ring */
	memcpy(r->data, &bad, 4);
	assert_null(lind_ring_peek(r, &n));
	bad = 64; /* beyond what the producer published */
	memcpy(r->data, &bad, 4);
	assert_null(lind_ring_peek(r, &n));
	bad = 16;
	memcpy(r->data, &bad, 4);
	assert_non_null(lind_ring_peek(r, &n));
	/* a head far beyond the tail: lengths are still bounded */
	atomic_store(&r->head, atomic_load(&r->head) + 5 * LIND_RING_BYTES);
	bad = 0xfffffff0u;
	memcpy(r->data, &bad, 4);
	assert_null(lind_ring_peek(r, &n));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_empty_and_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wraparound, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sleep_flags, setup, teardown),
		cmocka_unit_test_setup_teardown(test_corrupt_lengths, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
