/* The syscall table's own invariants, which every layer relies on. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "syscall.h"

static void test_rows(void **st)
{
	(void)st;
	int rows = 0;
	for (int i = 0; i < LIND_ROWS; i++) {
		uint32_t nr = lind_row_nr(i);
		const struct lind_syscall *row = lind_syscall_row(nr);
		if (!row)
			continue;
		rows++;
		assert_int_equal(row->nr, nr);
		assert_int_equal(lind_row_index(nr), i);
		int ioctl = 0, ioctl_arg = 0, ended = 0;
		for (int i = 0; i < 6; i++) {
			const struct lind_arg *a = &row->arg[i];
			assert_true(a->kind <= LK_OBJ_IO);
			if (a->kind == LK_NONE) {
				ended = 1;
				continue;
			}
			/* arguments are contiguous: no kind after a "_" */
			assert_false(ended);
			ioctl += a->kind == LK_IOCTL || a->kind == LK_FCNTL;
			ioctl_arg += a->kind == LK_IOCTL_ARG;
			int k = a->kind;
			if (k == LK_IN || k == LK_OUT || k == LK_IOV_IN ||
			    k == LK_IOV_OUT) {
				/* the length/count argument is a plain number */
				assert_true(a->len < 6);
				assert_true(a->len != i);
				int lk = row->arg[a->len].kind;
				if (k == LK_IN || k == LK_OUT)
					assert_int_equal(lk, LK_SIZE);
				else
					assert_true(lk == LK_INT || lk == LK_SIZE);
			} else if (lind_kind_is_obj(k)) {
				/* a struct's size, carried whole in a frame */
				assert_true(a->len > 0 && a->len <= 4096);
			} else {
				assert_int_equal(a->len, 0);
			}
		}
		assert_true(ioctl_arg == 0 || ioctl == 1);
	}
	assert_true(rows > 10);
}

static void test_names_unique(void **st)
{
	(void)st;
	for (int a = 0; a < LIND_ROWS; a++) {
		if (!lind_syscalls[a].name)
			continue;
		assert_true(strlen(lind_syscalls[a].name) > 0);
		for (int b = a + 1; b < LIND_ROWS; b++)
			if (lind_syscalls[b].name)
				assert_string_not_equal(lind_syscalls[a].name,
							lind_syscalls[b].name);
	}
}

static void test_lookup_bounds(void **st)
{
	(void)st;
	assert_null(lind_syscall_row(LIND_NR_MAX));
	assert_null(lind_syscall_row(UINT64_MAX));
	assert_null(lind_syscall_row(999));
	assert_non_null(lind_syscall_row(LIND_SYS_write));
	assert_string_equal(lind_syscall_row(LIND_SYS_openat)->name, "openat");
	/* numbers are the Linux x86-64 ones */
	assert_int_equal(LIND_SYS_read, 0);
	assert_int_equal(LIND_SYS_getpid, 39);
	assert_int_equal(LIND_SYS_openat, 257);
	assert_int_equal(LIND_SYS_exit_group, 231);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_names_unique),
		cmocka_unit_test(test_lookup_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
