/* The load hint's decision (nacl-relay/load.c): from /proc/loadavg's
 * runnable count and lind's own runnable threads, whether a core is free
 * to spin on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "relay.h"

static void test_parse(void **state)
{
	(void)state;
	assert_int_equal(relay_load_parse("0.50 0.40 0.30 3/456 12345\n"), 3);
	assert_int_equal(relay_load_parse("12.16 7.91 4.54 17/1023 99\n"), 17);
	assert_int_equal(relay_load_parse("0.50 0.40"), -1);
	assert_int_equal(relay_load_parse("0.50 0.40 0.30 x/4 5"), -1);
	assert_int_equal(relay_load_parse(""), -1);
}

static void test_others(void **state)
{
	(void)state;
	assert_int_equal(relay_load_others(5, 3), 2);
	assert_int_equal(relay_load_others(3, 3), 0);
	/* our counts raced ahead of the kernel's */
	assert_int_equal(relay_load_others(2, 4), 0);
}

/* The average after n samples of the same count, from avg. */
static uint32_t settle(uint32_t avg, unsigned others, int n)
{
	while (n--)
		avg = relay_load_step(avg, others);
	return avg;
}

static void test_busy(void **state)
{
	(void)state;
	/* an idle machine, or the calling cage alone: spin (2 cores) */
	assert_false(relay_load_busy(settle(0, 0, 50), 2));
	assert_false(relay_load_busy(settle(0, 1, 50), 2));
	/* one busy process per core: sleep at once */
	assert_true(relay_load_busy(settle(0, 2, 50), 2));
	assert_true(relay_load_busy(settle(0, 3, 50), 2));
	/* the cage and a hog on 2 cores leave none free either */
	assert_true(relay_load_busy(settle(0, 2, 50), 2));
	/* 64 cores, a few others: spin */
	assert_false(relay_load_busy(settle(0, 8, 50), 64));
	assert_true(relay_load_busy(settle(0, 64, 50), 64));
	/* one core: the cage itself fills it */
	assert_true(relay_load_busy(settle(0, 1, 50), 1));
	assert_false(relay_load_busy(settle(0, 0, 50), 1));
}

static void test_smoothing(void **state)
{
	(void)state;
	/* one stray sample does not flip the hint either way */
	uint32_t calm = settle(0, 1, 50);
	assert_false(relay_load_busy(relay_load_step(calm, 3), 2));
	uint32_t loaded = settle(0, 2, 50);
	assert_true(relay_load_busy(relay_load_step(loaded, 1), 2));
	/* a lasting change does, within a few samples (ticks) */
	assert_true(relay_load_busy(settle(calm, 3, 4), 2));
	assert_false(relay_load_busy(settle(loaded, 0, 4), 2));
	/* a huge count saturates rather than wraps */
	assert_true(relay_load_busy(settle(0, 1u << 30, 50), 64));
	assert_false(relay_load_busy(settle(settle(0, 1u << 30, 50), 0, 40), 64));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_others),
		cmocka_unit_test(test_busy),
		cmocka_unit_test(test_smoothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
