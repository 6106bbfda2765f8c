/* The syscall table's own invariants, which every layer relies on, and
 * lind_layout, the one reading of its argument kinds. */
#define _GNU_SOURCE /* F_OFD_* */
#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "protocol.h"
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
			assert_true(a->kind <= LK_MSG_OUT);
			if (a->kind == LK_NONE) {
				ended = 1;
				continue;
			}
			/* arguments are contiguous: no kind after a "_" */
			assert_false(ended);
			ioctl += a->kind == LK_IOCTL || a->kind == LK_FCNTL;
			ioctl_arg += a->kind == LK_IOCTL_ARG;
			int k = a->kind;
			if (lind_kind_has_len(k) && k != LK_OUTL) {
				/* the length/count argument is a plain number */
				assert_true(a->len < 6);
				assert_true(a->len != i);
				int lk = row->arg[a->len].kind;
				if (k == LK_IN || k == LK_OUT || k == LK_IO)
					assert_int_equal(lk, LK_SIZE);
				else
					assert_true(lk == LK_INT || lk == LK_SIZE);
			} else if (k == LK_OUTL) {
				/* its capacity is the socklen_t behind len */
				assert_true(a->len < 6 && a->len != i);
				assert_int_equal(row->arg[a->len].kind, LK_OBJ_IO);
				assert_int_equal(row->arg[a->len].len, 4);
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


/* ---- lind_layout ------------------------------------------------------ */

#define A(...) ((const int64_t[6]){__VA_ARGS__})

static struct lind_layout lay;

/* Lays out call nr with wire arguments a: lind_layout's result. */
static int layout(uint32_t nr, const int64_t a[6])
{
	const struct lind_syscall *row = lind_syscall_row(nr);
	assert_non_null(row);
	return lind_layout(row, a, &lay);
}

static void expect_slot(int i, int dir, size_t size, int exact)
{
	assert_int_equal(lay.arg[i].dir, dir);
	assert_int_equal(lay.arg[i].size, size);
	assert_int_equal(lay.arg[i].exact, exact);
	assert_null(lay.arg[i].bad);
}

static void test_layout_numbers(void **st)
{
	(void)st;
	assert_int_equal(layout(LIND_SYS_lseek, A(3, -1, 9)), 0);
	for (int i = 0; i < 3; i++) {
		expect_slot(i, LIND_DIR_NONE, 0, 0);
		assert_true(lay.arg[i].number);
	}
	expect_slot(3, LIND_DIR_NONE, 0, 0); /* "_": nothing */
	assert_false(lay.arg[3].number);
	assert_int_equal(lay.nin + lay.nout, 0);
}

static void test_layout_path(void **st)
{
	(void)st;
	assert_int_equal(layout(LIND_SYS_renameat, A(-100, 0, 5, 1)), 0);
	expect_slot(1, LIND_DIR_IN, 0, 0);
	expect_slot(3, LIND_DIR_IN, 0, 0);
	assert_true(lay.arg[1].path && lay.arg[3].path);
	assert_true(lay.arg[0].number && lay.arg[2].number);
	assert_int_equal(lay.nin, 2);
	assert_int_equal(lay.nout, 0);
}

static void test_layout_in(void **st)
{
	(void)st;
	assert_int_equal(layout(LIND_SYS_write, A(1, 0, 5)), 0);
	expect_slot(1, LIND_DIR_IN, 5, 0);
	assert_int_equal(lay.nin, 1);
	assert_int_equal(layout(LIND_SYS_write, A(1, 0, 0)), 0);
	expect_slot(1, LIND_DIR_IN, 0, 0);
	assert_int_equal(layout(LIND_SYS_write, A(1, 0, LIND_MAX_IO)), 0);
	expect_slot(1, LIND_DIR_IN, LIND_MAX_IO, 0);
	/* hostile lengths: one past a frame, negative, overflowing */
	const int64_t bad[] = {LIND_MAX_IO + 1, -1, INT64_MAX, INT64_MIN,
			       (int64_t)1 << 32};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		assert_int_equal(layout(LIND_SYS_write, A(1, 0, bad[k])),
				 -EINVAL);
		assert_non_null(lay.arg[1].bad);
		assert_int_equal(lay.arg[1].dir, LIND_DIR_IN); /* still */
		assert_int_equal(lay.arg[1].size, SIZE_MAX); /* no entry fits */
		assert_int_equal(lay.nin, 1);
	}
	/* gid arrays: at most NGROUPS_MAX, though a frame holds more */
	assert_int_equal(layout(LIND_SYS_setgroups, A(LIND_MAX_ELEMS, 0)), 0);
	expect_slot(1, LIND_DIR_IN, 4 * LIND_MAX_ELEMS, 0);
	assert_int_equal(layout(LIND_SYS_setgroups, A(LIND_MAX_ELEMS + 1, 0)),
			 -EINVAL);
	/* setxattr's value: at most XATTR_SIZE_MAX (E2BIG, the client's) */
	assert_int_equal(layout(LIND_SYS_setxattr, A(0, 0, 0, LIND_E2BIG_MAX)),
			 0);
	assert_int_equal(layout(LIND_SYS_setxattr,
				A(0, 0, 0, LIND_E2BIG_MAX + 1)), -EINVAL);
}

/* IO arrays: in and back whole, elem bytes per counted element. */
static void test_layout_io(void **st)
{
	(void)st;
	assert_int_equal(layout(LIND_SYS_poll, A(0, 3, -1)), 0);
	expect_slot(0, LIND_DIR_INOUT, 24, 1);
	expect_slot(2, LIND_DIR_NONE, 0, 0);
	assert_int_equal(lay.nin, 1);
	assert_int_equal(lay.nout, 1);
	assert_int_equal(layout(LIND_SYS_poll, A(0, 0, 0)), 0);
	expect_slot(0, LIND_DIR_INOUT, 0, 1);
	assert_int_equal(layout(LIND_SYS_poll, A(0, lind_max_count(8), 0)), 0);
	const int64_t bad[] = {lind_max_count(8) + 1, -1, INT64_MAX,
			       INT64_MIN, (int64_t)1 << 61};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		assert_int_equal(layout(LIND_SYS_poll, A(0, bad[k], 0)), -EINVAL);
		assert_non_null(lay.arg[0].bad);
		assert_int_equal(lay.arg[0].dir, LIND_DIR_INOUT);
		assert_int_equal(lay.arg[0].size, SIZE_MAX);
		assert_int_equal(lay.nin, 1);
	}
}

static void test_layout_out(void **st)
{
	(void)st;
	assert_int_equal(layout(LIND_SYS_read, A(0, 0, 100)), 0);
	expect_slot(1, LIND_DIR_OUT, 100, 0);
	assert_int_equal(lay.nout, 1);
	assert_int_equal(layout(LIND_SYS_getcwd, A(0, 4096)), 0);
	expect_slot(0, LIND_DIR_OUT, 4096, 0);
	const int64_t bad[] = {LIND_MAX_IO + 1, -1, INT64_MAX, INT64_MIN};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		assert_int_equal(layout(LIND_SYS_read, A(0, 0, bad[k])),
				 -EINVAL);
		assert_non_null(lay.arg[1].bad);
		/* taken as it is: cut to what a frame holds */
		assert_int_equal(lay.arg[1].size, LIND_MAX_IO);
		assert_int_equal(lay.nout, 1);
	}
}

static void test_layout_iov(void **st)
{
	(void)st;
	/* the pointer slot carries the gathered total */
	assert_int_equal(layout(LIND_SYS_writev, A(1, 300, 3)), 0);
	expect_slot(1, LIND_DIR_IN, 300, 0);
	assert_true(lay.arg[1].iov);
	assert_int_equal(layout(LIND_SYS_readv, A(0, 100, 3)), 0);
	expect_slot(1, LIND_DIR_OUT, 100, 0);
	assert_true(lay.arg[1].iov);
	assert_int_equal(layout(LIND_SYS_writev, A(1, -5, 3)), -EINVAL);
	assert_int_equal(layout(LIND_SYS_writev, A(1, LIND_MAX_IO + 1, 3)),
			 -EINVAL);
	assert_int_equal(layout(LIND_SYS_readv, A(0, LIND_MAX_IO + 1, 3)),
			 -EINVAL);
	assert_int_equal(lay.arg[1].size, LIND_MAX_IO);
}

static void test_layout_stat(void **st)
{
	(void)st;
	/* the slot's value does not matter: the client sends 0 */
	assert_int_equal(layout(LIND_SYS_fstat, A(3, 12345)), 0);
	expect_slot(1, LIND_DIR_OUT, sizeof(struct stat), 1);
	assert_int_equal(layout(LIND_SYS_newfstatat, A(-100, 0, 0, 0)), 0);
	expect_slot(1, LIND_DIR_IN, 0, 0);
	expect_slot(2, LIND_DIR_OUT, sizeof(struct stat), 1);
}

static void test_layout_obj(void **st)
{
	(void)st;
	assert_int_equal(layout(LIND_SYS_uname, A(390)), 0);
	expect_slot(0, LIND_DIR_OUT, 390, 1);
	assert_int_equal(layout(LIND_SYS_uname, A(0)), 0); /* NULL */
	expect_slot(0, LIND_DIR_OUT, 0, 1);
	assert_int_equal(layout(LIND_SYS_utime, A(0, 16)), 0);
	expect_slot(1, LIND_DIR_IN, 16, 1);
	assert_int_equal(layout(LIND_SYS_wait4, A(-1, 4, 0, 144)), 0);
	expect_slot(1, LIND_DIR_INOUT, 4, 1);
	expect_slot(3, LIND_DIR_INOUT, 144, 1);
	assert_int_equal(lay.nin, 2);
	assert_int_equal(lay.nout, 2);
	assert_int_equal(layout(LIND_SYS_pipe2, A(8, 0)), 0);
	expect_slot(0, LIND_DIR_OUT, 8, 1);
	/* neither NULL nor the struct's size: bad, served as the struct */
	const int64_t bad[] = {1, 391, 389, -390, INT64_MAX, INT64_MIN,
			       390 + ((int64_t)1 << 32)};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		assert_int_equal(layout(LIND_SYS_uname, A(bad[k])), -EINVAL);
		assert_non_null(lay.arg[0].bad);
		assert_int_equal(lay.arg[0].size, 390);
	}
	/* the first bad argument is the one reported */
	assert_int_equal(layout(LIND_SYS_wait4, A(-1, 5, 0, 1)), -EINVAL);
	assert_non_null(lay.arg[1].bad);
	assert_non_null(lay.arg[3].bad);
}

/* OUTL: the slot is the capacity (the socklen behind its length
 * argument, which travels as an OBJ_IO of 4 bytes). */
static void test_layout_outl(void **st)
{
	(void)st;
	assert_int_equal(layout(LIND_SYS_accept, A(3, 110, 4)), 0);
	expect_slot(1, LIND_DIR_OUT, 110, 0);
	expect_slot(2, LIND_DIR_INOUT, 4, 1);
	assert_int_equal(lay.nin, 1);
	assert_int_equal(lay.nout, 2);
	assert_int_equal(layout(LIND_SYS_accept, A(3, 0, 0)), 0); /* NULLs */
	expect_slot(1, LIND_DIR_OUT, 0, 0);
	expect_slot(2, LIND_DIR_INOUT, 0, 1);
	assert_int_equal(layout(LIND_SYS_getsockopt, A(3, 1, 3, 4, 4)), 0);
	expect_slot(3, LIND_DIR_OUT, 4, 0);
	const int64_t bad[] = {-1, LIND_MAX_IO + 1, INT64_MIN};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		assert_int_equal(layout(LIND_SYS_getpeername, A(3, bad[k], 4)),
				 -EINVAL);
		assert_non_null(lay.arg[1].bad);
		assert_int_equal(lay.arg[1].size, LIND_MAX_IO);
	}
}

/* MSG_IN/MSG_OUT: the slot packs the name, control and data sizes; the
 * out entry starts with a struct lind_msg_head. */
static void test_layout_msg(void **st)
{
	(void)st;
	int64_t v = lind_msg_slot(16, 24, 1000, 0);
	struct lind_msg_sizes z = lind_msg_sizes(v);
	assert_int_equal(z.name, 16);
	assert_int_equal(z.ctl, 24);
	assert_int_equal(z.data, 1000);
	assert_int_equal(z.cut, 0);
	assert_int_equal(lind_msg_sizes(lind_msg_slot(0, 0, 5, 1)).cut, 1);
	assert_int_equal(layout(LIND_SYS_sendmsg, A(3, v, 0)), 0);
	expect_slot(1, LIND_DIR_IN, 1040, 0);
	assert_int_equal(layout(LIND_SYS_recvmsg, A(3, v, 0)), 0);
	expect_slot(1, LIND_DIR_OUT, 1040 + sizeof(struct lind_msg_head), 0);
	const int64_t bad[] = {
		-1, lind_msg_slot(LIND_MSG_NAME_MAX + 1, 0, 0, 0),
		lind_msg_slot(0, LIND_MSG_CTL_MAX + 1, 0, 0),
		lind_msg_slot(0, 0, LIND_MAX_IO + 1, 0),
		lind_msg_slot(100, 100, LIND_MAX_IO - 199, 0),
		(int64_t)1 << 61};
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		assert_int_equal(layout(LIND_SYS_sendmsg, A(3, bad[k], 0)),
				 -EINVAL);
		assert_int_equal(lay.arg[1].size, SIZE_MAX);
		assert_int_equal(layout(LIND_SYS_recvmsg, A(3, bad[k], 0)),
				 -EINVAL);
		assert_int_equal(lay.arg[1].size, LIND_MAX_IO);
	}
}

/* A recvmsg entry is taken only when its parts add up within the
 * capacities its slot gave. */
static void test_msg_reply(void **st)
{
	(void)st;
	uint8_t e[64] = {0};
	struct lind_msg_head h = {.namelen = 20, .ctllen = 8, .datalen = 4,
				  .flags = 0x20};
	int64_t slot = lind_msg_slot(16, 8, 8, 0);
	size_t off[3];
	struct lind_msg_head got;
	memcpy(e, &h, sizeof h);
	/* a name longer than its room comes cut to it */
	size_t len = sizeof h + 16 + 8 + 4;
	assert_int_equal(lind_msg_reply(e, len, slot, &got, off), 0);
	assert_int_equal(off[0], sizeof h);
	assert_int_equal(off[1], sizeof h + 16);
	assert_int_equal(off[2], sizeof h + 24);
	assert_int_equal(got.flags, 0x20);
	assert_int_equal(lind_msg_reply(e, len + 1, slot, &got, off), -EIO);
	assert_int_equal(lind_msg_reply(e, len - 1, slot, &got, off), -EIO);
	assert_int_equal(lind_msg_reply(e, 3, slot, &got, off), -EIO);
	h.ctllen = 9; /* over its capacity */
	memcpy(e, &h, sizeof h);
	assert_int_equal(lind_msg_reply(e, len + 1, slot, &got, off), -EIO);
	h.ctllen = 8, h.datalen = 0xffffffff; /* wraps nothing */
	memcpy(e, &h, sizeof h);
	assert_int_equal(lind_msg_reply(e, len, slot, &got, off), -EIO);
}

static void test_layout_ioctl(void **st)
{
	(void)st;
	int dir;
	int tcgets = lind_ioctl_size(TCGETS, &dir);
	assert_int_equal(layout(LIND_SYS_ioctl, A(0, TCGETS, tcgets)), 0);
	expect_slot(2, LIND_DIR_OUT, (size_t)tcgets, 1);
	assert_int_equal(layout(LIND_SYS_ioctl, A(0, TIOCSPGRP, 4)), 0);
	expect_slot(2, LIND_DIR_IN, sizeof(int), 1);
	assert_int_equal(lay.nin, 1);
	/* an unknown request: a pointer the server never sees */
	assert_int_equal(layout(LIND_SYS_ioctl, A(0, 0x1234, 99)), 0);
	expect_slot(2, LIND_DIR_NONE, 0, 0);
	assert_false(lay.arg[2].number);
	/* fcntl: the record locks carry a struct flock, the rest a number */
	assert_int_equal(layout(LIND_SYS_fcntl, A(3, F_GETLK, 0)), 0);
	expect_slot(2, LIND_DIR_INOUT, sizeof(struct flock), 1);
	assert_int_equal(layout(LIND_SYS_fcntl, A(3, F_OFD_SETLKW, 0)), 0);
	expect_slot(2, LIND_DIR_IN, sizeof(struct flock), 1);
	assert_int_equal(layout(LIND_SYS_fcntl, A(3, F_SETFL, -1)), 0);
	expect_slot(2, LIND_DIR_NONE, 0, 0);
	assert_true(lay.arg[2].number);
	/* an out-struct's slot is bounded as a capacity */
	assert_int_equal(layout(LIND_SYS_ioctl, A(0, TCGETS, -1)), -EINVAL);
	assert_non_null(lay.arg[2].bad);
	assert_int_equal(lay.arg[2].size, (size_t)tcgets);
	assert_int_equal(layout(LIND_SYS_ioctl,
				A(0, TCGETS, LIND_MAX_IO + 1)), -EINVAL);
	/* a request of 64 bits is not truncated into a known one */
	assert_int_equal(layout(LIND_SYS_ioctl,
				A(0, TCGETS | ((int64_t)1 << 32), 0)), 0);
	expect_slot(2, LIND_DIR_NONE, 0, 0);
}

/* Kinds no row uses today (PTR), by a row of our own. */
static void test_layout_ptr(void **st)
{
	(void)st;
	const struct lind_syscall row = {
		.name = "t", .nr = 0,
		.arg = {{LK_FD, 0, 0}, {LK_PTR, 0, 0}, {LK_NONE, 0, 0}}};
	assert_int_equal(lind_layout(&row, A(1, -1), &lay), 0);
	expect_slot(1, LIND_DIR_NONE, 0, 0);
	assert_false(lay.arg[1].number);
	assert_true(lay.arg[0].number);
}

/* Every row with hostile values in every slot: never more than a frame
 * holds unless flagged, and the entry counts depend on the kinds (and an
 * ioctl's request) alone, which the relay's count check relies on. */
static void test_layout_all_rows_hostile(void **st)
{
	(void)st;
	const int64_t vals[] = {0, 1, -1, 8, LIND_MAX_IO, LIND_MAX_IO + 1,
				INT64_MAX, INT64_MIN, 0xffffffff};
	const size_t nv = sizeof vals / sizeof vals[0];
	for (int r = 0; r < LIND_ROWS; r++) {
		const struct lind_syscall *row = lind_syscall_row(lind_row_nr(r));
		if (!row)
			continue;
		int req = lind_req_index(row);
		struct lind_layout base;
		(void)lind_layout(row, A(0, 0, 0, 0, 0, 0), &base);
		for (size_t v = 0; v < nv * 6; v++) {
			int64_t a[6];
			for (int i = 0; i < 6; i++)
				a[i] = vals[(v + (size_t)i * 7) % nv];
			if (req >= 0)
				a[req] = 0;
			int rc = lind_layout(row, a, &lay);
			int nbad = 0;
			for (int i = 0; i < 6; i++) {
				const struct lind_arg_layout *s = &lay.arg[i];
				nbad += s->bad != NULL;
				assert_int_equal(s->dir, base.arg[i].dir);
				if (!s->bad && s->dir)
					assert_true(s->size <= LIND_MAX_IO);
			}
			assert_int_equal(rc, nbad ? -EINVAL : 0);
			assert_int_equal(lay.nin, base.nin);
			assert_int_equal(lay.nout, base.nout);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rows),
		cmocka_unit_test(test_names_unique),
		cmocka_unit_test(test_lookup_bounds),
		cmocka_unit_test(test_layout_numbers),
		cmocka_unit_test(test_layout_path),
		cmocka_unit_test(test_layout_in),
		cmocka_unit_test(test_layout_out),
		cmocka_unit_test(test_layout_io),
		cmocka_unit_test(test_layout_iov),
		cmocka_unit_test(test_layout_stat),
		cmocka_unit_test(test_layout_obj),
		cmocka_unit_test(test_layout_outl),
		cmocka_unit_test(test_layout_msg),
		cmocka_unit_test(test_msg_reply),
		cmocka_unit_test(test_layout_ioctl),
		cmocka_unit_test(test_layout_ptr),
		cmocka_unit_test(test_layout_all_rows_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
