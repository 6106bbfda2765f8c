/* relay_check: every rejection, a good frame per argument kind, unknown
 * numbers, and random frames that must never crash the relay. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <asm/termbits.h>
#include <sys/ioctl.h>
#include <cmocka.h>

#include "relay.h"
#include "syscall.h"

static uint8_t big[LIND_MAX_IO + LIND_MAX_PATH + 2];

/* A request with args and data given by the test. */
struct frame {
	Lind__Request req;
	int64_t args[8];
	ProtobufCBinaryData data[8];
};

static Lind__Request *mk(struct frame *f, uint32_t nr, size_t nargs,
			 const int64_t *args)
{
	memset(f, 0, sizeof *f);
	lind__request__init(&f->req);
	f->req.nr = nr;
	f->req.n_args = nargs;
	f->req.args = f->args;
	if (nargs)
		memcpy(f->args, args, nargs * sizeof *args);
	f->req.data = f->data;
	return &f->req;
}

static void add(struct frame *f, const void *p, size_t n)
{
	f->data[f->req.n_data].data = (uint8_t *)p;
	f->data[f->req.n_data].len = n;
	f->req.n_data++;
}

#define A(...) ((const int64_t[]){__VA_ARGS__}), \
	(sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t))
static Lind__Request *mkA(struct frame *f, uint32_t nr, const int64_t *a,
			  size_t n)
{
	return mk(f, nr, n, a);
}

static void test_unknown_numbers(void **st)
{
	(void)st;
	struct frame f;
	uint32_t nrs[] = {7, 9, 999, LIND_NR_MAX, LIND_NR_MAX + 1, UINT32_MAX};
	for (size_t i = 0; i < sizeof nrs / sizeof nrs[0]; i++)
		assert_int_equal(relay_check(mk(&f, nrs[i], 0, NULL)), -ENOSYS);
	/* ENOSYS wins even over a malformed frame */
	mk(&f, 999, 0, NULL);
	add(&f, "x", 1);
	assert_int_equal(relay_check(&f.req), -ENOSYS);
}

/* Only fields the table knows are forwarded.  The first frame came from
 * fuzz_relay_check: field number 0 in a two-byte tag unpacks, but its
 * repacked one-byte form does not, so the server could not answer it. */
static void test_unknown_fields(void **st)
{
	(void)st;
	static const uint8_t field0[] = {0x20, 0x10, 0x20, 0xf0, 0xdc, 0x20,
					 0x81, 0x00, 0x10, 0x20, 0xf0, 0xdc,
					 0x20, 0x21, 0x21, 0x41};
	static const uint8_t field15[] = {0x18, 39, 0x78, 0x01}; /* getpid */
	Lind__Request *req = lind__request__unpack(NULL, sizeof field0, field0);
	assert_non_null(req);
	assert_int_equal(relay_check(req), -EINVAL);
	lind__request__free_unpacked(req, NULL);
	req = lind__request__unpack(NULL, sizeof field15, field15);
	assert_non_null(req);
	assert_int_equal(relay_check(req), -EINVAL);
	lind__request__free_unpacked(req, NULL);
	req = lind__request__unpack(NULL, 2, field15);
	assert_non_null(req);
	assert_int_equal(relay_check(req), 0);
	lind__request__free_unpacked(req, NULL);
}

static void test_args_count(void **st)
{
	(void)st;
	struct frame f;
	assert_int_equal(relay_check(mk(&f, LIND_SYS_getpid, 0, NULL)), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_getpid, A(1, 2, 3, 4, 5, 6))), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_getpid, A(1, 2, 3, 4, 5, 6, 7))),
			 -EINVAL);
	/* missing arguments are 0: write(fd) with no data of length 0 is fine */
	mkA(&f, LIND_SYS_write, A(1));
	add(&f, "", 0);
	assert_int_equal(relay_check(&f.req), 0);
}

static void test_data_count(void **st)
{
	(void)st;
	struct frame f;
	mkA(&f, LIND_SYS_getpid, A(0));
	add(&f, "x", 1);
	assert_int_equal(relay_check(&f.req), -EINVAL);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_write, A(1, 0, 0))), -EINVAL);
	mkA(&f, LIND_SYS_write, A(1, 0, 1));
	add(&f, "x", 1);
	add(&f, "y", 1);
	assert_int_equal(relay_check(&f.req), -EINVAL);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_open, A(0, 0, 0))), -EINVAL);
}

static void test_path(void **st)
{
	(void)st;
	struct frame f;
	mkA(&f, LIND_SYS_open, A(0, 0101, 0644));
	add(&f, "/tmp/x", 6);
	assert_int_equal(relay_check(&f.req), 0);
	mkA(&f, LIND_SYS_openat, A(-100, 0, 0101, 0644));
	add(&f, "/tmp/x", 6);
	assert_int_equal(relay_check(&f.req), 0);
	mkA(&f, LIND_SYS_stat, A(0, 0));
	add(&f, "", 0); /* empty: the server answers ENOENT */
	assert_int_equal(relay_check(&f.req), 0);

	memset(big, 'a', LIND_MAX_PATH);
	mkA(&f, LIND_SYS_unlink, A(0));
	add(&f, big, LIND_MAX_PATH - 1);
	assert_int_equal(relay_check(&f.req), 0);
	mkA(&f, LIND_SYS_unlink, A(0));
	add(&f, big, LIND_MAX_PATH);
	assert_int_equal(relay_check(&f.req), -ENAMETOOLONG);
	mkA(&f, LIND_SYS_mkdirat, A(-100, 0, 0755));
	add(&f, big, LIND_MAX_PATH + 1);
	assert_int_equal(relay_check(&f.req), -ENAMETOOLONG);

	mkA(&f, LIND_SYS_unlink, A(0));
	add(&f, "/tmp/a\0b", 8);
	assert_int_equal(relay_check(&f.req), -EINVAL);
	mkA(&f, LIND_SYS_chdir, A(0));
	add(&f, "/x\0", 3); /* a trailing NUL is a NUL too */
	assert_int_equal(relay_check(&f.req), -EINVAL);
}

static void test_in(void **st)
{
	(void)st;
	struct frame f;
	mkA(&f, LIND_SYS_write, A(1, 0, 5));
	add(&f, "hello", 5);
	assert_int_equal(relay_check(&f.req), 0);
	mkA(&f, LIND_SYS_write, A(1, 0, 4));
	add(&f, "hello", 5);
	assert_int_equal(relay_check(&f.req), -EINVAL);
	mkA(&f, LIND_SYS_write, A(1, 0, 6));
	add(&f, "hello", 5);
	assert_int_equal(relay_check(&f.req), -EINVAL);
	mkA(&f, LIND_SYS_write, A(1, 0, -1));
	add(&f, "hello", 5);
	assert_int_equal(relay_check(&f.req), -EINVAL);
	mkA(&f, LIND_SYS_pwrite64, A(3, 0, LIND_MAX_IO, 100));
	add(&f, big, LIND_MAX_IO);
	assert_int_equal(relay_check(&f.req), 0);
	mkA(&f, LIND_SYS_pwrite64, A(3, 0, LIND_MAX_IO + 1, 100));
	add(&f, big, LIND_MAX_IO + 1);
	assert_int_equal(relay_check(&f.req), -EINVAL);
}

static void test_iov_in(void **st)
{
	(void)st;
	struct frame f;
	mkA(&f, LIND_SYS_writev, A(1, 5, 2));
	add(&f, "hello", 5);
	assert_int_equal(relay_check(&f.req), 0);
	mkA(&f, LIND_SYS_writev, A(1, 4, 2));
	add(&f, "hello", 5);
	assert_int_equal(relay_check(&f.req), -EINVAL);
	mkA(&f, LIND_SYS_writev, A(1, LIND_MAX_IO + 1, 2));
	add(&f, big, LIND_MAX_IO + 1);
	assert_int_equal(relay_check(&f.req), -EINVAL);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_writev, A(1, 0, 0))), -EINVAL);
}

static void test_out(void **st)
{
	(void)st;
	struct frame f;
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_read, A(0, 0, 100))), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_read, A(0, 0, LIND_MAX_IO))), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_read, A(0, 0, LIND_MAX_IO + 1))),
			 -EINVAL);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_read, A(0, 0, -1))), -EINVAL);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_pread64, A(0, 0, INT64_MAX, 0))),
			 -EINVAL);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_getcwd, A(0, 4096))), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_getcwd, A(0, LIND_MAX_IO + 1))),
			 -EINVAL);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_getdents64, A(3, 0, 32768))), 0);
	mkA(&f, LIND_SYS_read, A(0, 0, 5));
	add(&f, "hello", 5); /* out-kinds carry no request data */
	assert_int_equal(relay_check(&f.req), -EINVAL);
}

static void test_iov_out(void **st)
{
	(void)st;
	struct frame f;
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_readv, A(0, 100, 3))), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_readv, A(0, LIND_MAX_IO + 1, 3))),
			 -EINVAL);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_readv, A(0, -5, 3))), -EINVAL);
}

static void test_stat_and_ints(void **st)
{
	(void)st;
	struct frame f;
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_fstat, A(3, 0))), 0);
	mkA(&f, LIND_SYS_newfstatat, A(-100, 0, 0, 0x100));
	add(&f, "/etc", 4);
	assert_int_equal(relay_check(&f.req), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_lseek, A(3, -1, 9))), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_fcntl, A(3, 4, 04000))), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_exit_group, A(3))), 0);
}

static void test_ioctl(void **st)
{
	(void)st;
	struct frame f;
	int64_t sz = sizeof(struct termios);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_ioctl, A(0, TCGETS, sz))), 0);
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_ioctl, A(0, TCGETS, LIND_MAX_IO + 1))),
			 -EINVAL);
	mkA(&f, LIND_SYS_ioctl, A(0, TCGETS, sz));
	add(&f, big, (size_t)sz);
	assert_int_equal(relay_check(&f.req), -EINVAL);
	/* a request we do not carry: no data, the server says ENOTTY */
	assert_int_equal(relay_check(mkA(&f, LIND_SYS_ioctl, A(0, 0x1234, 0))), 0);
}

/* Every row, every argument count, random values: only 0 or -errno. */
static void test_random_frames(void **st)
{
	(void)st;
	srand(1234);
	struct frame f;
	static const int64_t vals[] = {0, 1, 5, -1, LIND_MAX_IO, LIND_MAX_IO + 1,
				       INT64_MIN, INT64_MAX, 4096, 60};
	for (int iter = 0; iter < 200000; iter++) {
		uint32_t nr = (uint32_t)(rand() % (LIND_NR_MAX + 10));
		size_t nargs = (size_t)(rand() % 8);
		mk(&f, nr, 0, NULL);
		f.req.n_args = nargs;
		for (size_t i = 0; i < nargs; i++)
			f.args[i] = vals[rand() % 10];
		size_t nd = (size_t)(rand() % 4);
		for (size_t i = 0; i < nd; i++) {
			static const size_t lens[] = {0, 1, 5, 4095, 4096, LIND_MAX_IO,
						      LIND_MAX_IO + 1};
			add(&f, big, lens[rand() % 7]);
		}
		int rc = relay_check(&f.req);
		assert_true(rc == 0 || rc == -ENOSYS || rc == -EINVAL ||
			    rc == -ENAMETOOLONG);
	}
}

/* Random bytes through unpack and check, as the cage thread does. */
static void test_random_bytes(void **st)
{
	(void)st;
	srand(99);
	uint8_t buf[256];
	for (int iter = 0; iter < 100000; iter++) {
		size_t n = (size_t)(rand() % sizeof buf);
		for (size_t i = 0; i < n; i++)
			buf[i] = (uint8_t)rand();
		if (n > 2 && (iter & 1)) {
			buf[0] = 0x18; /* field 3 (nr), varint: a plausible start */
			buf[1] = (uint8_t)(rand() % 128);
		}
		Lind__Request *req = lind__request__unpack(NULL, n, buf);
		if (req) {
			int rc = relay_check(req);
			assert_true(rc <= 0);
			lind__request__free_unpacked(req, NULL);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unknown_numbers),
		cmocka_unit_test(test_unknown_fields),
		cmocka_unit_test(test_args_count),
		cmocka_unit_test(test_data_count),
		cmocka_unit_test(test_path),
		cmocka_unit_test(test_in),
		cmocka_unit_test(test_iov_in),
		cmocka_unit_test(test_out),
		cmocka_unit_test(test_iov_out),
		cmocka_unit_test(test_stat_and_ints),
		cmocka_unit_test(test_ioctl),
		cmocka_unit_test(test_random_frames),
		cmocka_unit_test(test_random_bytes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
