/* pipe_ring.c (wrap-around, capacity, resize, no buffer while empty) and
 * pipe.c through the fake relay: parked reads and writes, EOF, EPIPE,
 * non-blocking ends, and a cage that goes away while parked leaving no
 * pipe, description or parked call behind. */
#define _GNU_SOURCE
#include "../../posix-server/pipe.h"
#include "../../posix-server/pipe_ring.h"
#include "../../posix-server/wait.h"
#include "test_server_relay.h"

static void test_ring(void **state)
{
	(void)state;
	struct pipe_ring r;
	char in[PIPE_RING_MIN * 2], out[sizeof in];
	for (size_t i = 0; i < sizeof in; i++)
		in[i] = (char)(i * 7);
	pipe_ring_init(&r);
	check(r.cap, 65536);
	assert_null(r.buf); /* nothing held, nothing allocated */
	check(pipe_ring_resize(&r, 1), PIPE_RING_MIN);
	check(pipe_ring_write(&r, in, 3000), 3000);
	check(pipe_ring_read(&r, out, 2000), 2000);
	assert_memory_equal(out, in, 2000);
	/* wraps: 1000 held from 2000, room for 3096 */
	check(pipe_ring_room(&r), PIPE_RING_MIN - 1000);
	check(pipe_ring_write(&r, in + 3000, 5000), PIPE_RING_MIN - 1000);
	check(pipe_ring_write(&r, in, 1), 0); /* full */
	check(pipe_ring_resize(&r, 5000), 2 * PIPE_RING_MIN); /* keeps bytes */
	check(pipe_ring_write(&r, in + 2000 + PIPE_RING_MIN, 100), 100);
	check(pipe_ring_resize(&r, 100), -EBUSY); /* a page: holds less */
	check(pipe_ring_resize(&r, PIPE_RING_MAX + 1), -EINVAL);
	check(pipe_ring_read(&r, out, sizeof out), PIPE_RING_MIN + 100);
	assert_memory_equal(out, in + 2000, PIPE_RING_MIN + 100);
	assert_null(r.buf); /* ran empty: freed */
	check(pipe_ring_read(&r, out, 1), 0);
	pipe_ring_free(&r);
}

/* pipe() in cage c: its two fds. */
static void make_pipe(uint64_t c, int flags, int fds[2])
{
	uint64_t t = request(c, LIND_SYS_pipe2, A(1, flags), NULL);
	Lind__Reply *r = reply();
	assert_non_null(r);
	check(r->tag, t);
	check(r->result, 0);
	check(r->n_data, 1);
	check(r->data[0].len, 8);
	memcpy(fds, r->data[0].data, 8);
	lind__reply__free_unpacked(r, NULL);
}

static uint64_t pwrite_str(uint64_t c, int fd, const char *s)
{
	return request(c, LIND_SYS_write, A(fd, 0, (int64_t)strlen(s)), s);
}

static void test_pipe_waits(void **state)
{
	(void)state;
	uint64_t c = new_cage(-1);
	unsigned long files = ofd_count();
	int p[2];
	make_pipe(c, 0, p);
	check(p[0], 0);
	check(p[1], 1);
	check(pipe_count(), 1);
	/* a read waits for a write; the write wakes it */
	uint64_t t = request(c, LIND_SYS_read, A(p[0], 0, 16), NULL);
	assert_null(reply());
	check(wait_count(), 1);
	expect_reply(pwrite_str(c, p[1], "hi"), 2, NULL);
	expect_reply(t, 2, "hi");
	/* a write that finds no room waits, goes in piece by piece as room
	 * comes, and answers once all of it is in */
	static char fill[65537], more[5001];
	memset(fill, 'f', sizeof fill - 1);
	memset(more, 'm', sizeof more - 1);
	expect_reply(pwrite_str(c, p[1], fill), 65536, NULL);
	t = pwrite_str(c, p[1], more);
	assert_null(reply());
	expect_reply(request(c, LIND_SYS_read, A(p[0], 0, 4096), NULL), 4096,
		     NULL);
	assert_null(reply()); /* 4096 of 5000 in */
	expect_reply(request(c, LIND_SYS_read, A(p[0], 0, 65536), NULL), 65536,
		     NULL);
	expect_reply(t, 5000, NULL);
	expect_reply(request(c, LIND_SYS_read, A(p[0], 0, 65536), NULL), 904,
		     NULL);
	/* the last writer closes: a waiting reader sees EOF */
	t = request(c, LIND_SYS_read, A(p[0], 0, 16), NULL);
	assert_null(reply());
	expect_reply(request(c, LIND_SYS_close, A(p[1]), NULL), 0, NULL);
	expect_reply(t, 0, "");
	expect_reply(request(c, LIND_SYS_close, A(p[0]), NULL), 0, NULL);
	check(pipe_count(), 0);
	check(ofd_count(), files);
	check(wait_count(), 0);
}

static void test_pipe_errors(void **state)
{
	(void)state;
	uint64_t c = new_cage(-1);
	int p[2];
	make_pipe(c, O_NONBLOCK, p);
	expect_reply(request(c, LIND_SYS_read, A(p[0], 0, 16), NULL), -EAGAIN,
		     "");
	/* a writer waiting for room gets EPIPE when the reader goes */
	expect_reply(request(c, LIND_SYS_fcntl, A(p[1], F_SETFL, 0), NULL), 0,
		     NULL);
	expect_reply(request(c, LIND_SYS_fcntl, A(p[1], F_SETPIPE_SZ, 4096),
			     NULL), 4096, NULL);
	static char big[5000];
	memset(big, 'e', sizeof big - 1);
	uint64_t t = pwrite_str(c, p[1], big);
	assert_null(reply());
	expect_reply(request(c, LIND_SYS_close, A(p[0]), NULL), 0, NULL);
	expect_reply(t, 4096, NULL); /* what it wrote */
	expect_reply(pwrite_str(c, p[1], "x"), -EPIPE, NULL);
	expect_reply(request(c, LIND_SYS_pipe2, A(1, O_DIRECT), NULL), -EINVAL,
		     "");
	expect_reply(request(c, LIND_SYS_pipe2, A(0, 0), NULL), -EFAULT, "");
}

/* The cage goes away with a read and a write parked on its pipes: no
 * pipe, description or parked call is left; another cage's pipe works. */
static void test_cage_gone(void **state)
{
	(void)state;
	unsigned long files = ofd_count();
	uint64_t c = new_cage(-1), other = new_cage(-1);
	int p[2], q[2], o[2];
	make_pipe(c, 0, p);
	make_pipe(c, 0, q);
	make_pipe(other, 0, o);
	expect_reply(request(c, LIND_SYS_fcntl, A(q[1], F_SETPIPE_SZ, 4096),
			     NULL), 4096, NULL);
	request(c, LIND_SYS_read, A(p[0], 0, 16), NULL);
	static char big[5000];
	memset(big, 'g', sizeof big - 1);
	pwrite_str(c, q[1], big);
	assert_null(reply());
	check(wait_count(), 2);
	Lind__Control gone = LIND__CONTROL__INIT;
	gone.kind = LIND__CONTROL__KIND__CAGE_GONE;
	gone.cage_id = c;
	assert_int_equal(lind_send_msg(sock, &gone.base, NULL, 0), 0);
	spin_loop();
	assert_null(reply());
	check(wait_count(), 0);
	check(pipe_count(), 1); /* the other cage's */
	check(ofd_count(), files + 2);
	uint64_t t = request(other, LIND_SYS_read, A(o[0], 0, 16), NULL);
	expect_reply(pwrite_str(other, o[1], "ok"), 2, NULL);
	expect_reply(t, 2, "ok");
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the server does */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ring),
		cmocka_unit_test_setup_teardown(test_pipe_waits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pipe_errors, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_cage_gone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
