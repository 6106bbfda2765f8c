/* wait.c: parked calls through the fake relay.  F_SETLKW and stdin reads
 * park; a wake re-runs the handler, lind_cancel ends it with EINTR, the
 * cage going away drops it, and the per-cage limits answer EAGAIN. */
#define _GNU_SOURCE
#include "../../posix-server/limit.h"
#include "../../posix-server/lock.h"
#include "../../posix-server/wait.h"
#include "test_server_relay.h"

static void cage_gone(uint64_t c)
{
	Lind__Control gone = LIND__CONTROL__INIT;
	gone.kind = LIND__CONTROL__KIND__CAGE_GONE;
	gone.cage_id = c;
	assert_int_equal(lind_send_msg(sock, &gone.base, NULL, 0), 0);
	spin_loop();
	assert_null(cage_find(c));
}

/* fcntl(fd, cmd, {type, SEEK_SET, start, len}) */
static uint64_t lock(uint64_t c, int fd, int cmd, short type, off_t start,
		     off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET,
			   .l_start = start, .l_len = len};
	return request_data(c, LIND_SYS_fcntl, A(fd, cmd), &fl, sizeof fl);
}

/* Two cages with /f open read-write as fd 0. */
static void two_openers(uint64_t *a, uint64_t *b)
{
	*a = new_cage(-1);
	*b = new_cage(-1);
	expect_reply(request(*a, LIND_SYS_open, A(0, O_CREAT | O_RDWR, 0666),
			     "/tmp/f"), 0, NULL);
	expect_reply(request(*b, LIND_SYS_open, A(0, O_RDWR), "/tmp/f"), 0, NULL);
}

static void test_lock_wake(void **state)
{
	(void)state;
	uint64_t a, b;
	two_openers(&a, &b);
	expect_reply(lock(a, 0, F_SETLK, F_WRLCK, 0, 10), 0, NULL);
	uint64_t t = lock(b, 0, F_SETLKW, F_WRLCK, 5, 1);
	assert_null(reply()); /* parked */
	check(wait_count(), 1);
	/* other calls of the same cage are served meanwhile */
	expect_reply(request(b, LIND_SYS_getpid, A(0), NULL), (long)b, NULL);
	/* an unlock elsewhere that does not make room: still parked */
	expect_reply(lock(a, 0, F_SETLK, F_UNLCK, 0, 2), 0, NULL);
	assert_null(reply());
	expect_reply(lock(a, 0, F_SETLK, F_UNLCK, 0, 0), 0, NULL);
	expect_reply(t, 0, NULL); /* re-run: placed now */
	check(wait_count(), 0);
	/* b holds it now */
	expect_reply(lock(a, 0, F_SETLK, F_WRLCK, 5, 1), -EAGAIN, NULL);
}

static void test_interrupt(void **state)
{
	(void)state;
	uint64_t a, b;
	two_openers(&a, &b);
	expect_reply(lock(a, 0, F_SETLK, F_WRLCK, 0, 0), 0, NULL);
	uint64_t t = lock(b, 0, F_SETLKW, F_RDLCK, 0, 0);
	assert_null(reply());
	/* another cage cannot interrupt it */
	expect_reply(request(a, LIND_SYS_lind_cancel, A((int64_t)t), NULL),
		     -ESRCH, NULL);
	uint64_t k = request(b, LIND_SYS_lind_cancel, A((int64_t)t), NULL);
	expect_reply(k, 0, NULL);
	expect_reply(t, -EINTR, NULL);
	check(wait_count(), 0);
	/* answered already: nothing to cancel */
	expect_reply(request(b, LIND_SYS_lind_cancel, A((int64_t)t), NULL),
		     -ESRCH, NULL);
	/* the lock was not placed */
	expect_reply(lock(a, 0, F_SETLK, F_UNLCK, 0, 0), 0, NULL);
	assert_null(reply());
	check(lock_count(), 0);
}

static void test_cage_gone(void **state)
{
	(void)state;
	uint64_t a, b;
	two_openers(&a, &b);
	unsigned long files = ofd_count();
	expect_reply(lock(a, 0, F_SETLK, F_WRLCK, 0, 0), 0, NULL);
	lock(b, 0, F_SETLKW, F_WRLCK, 0, 0);
	/* b closes its fd while parked: the call holds the description */
	expect_reply(request(b, LIND_SYS_close, A(0), NULL), 0, NULL);
	check(ofd_count(), files);
	assert_null(reply());
	cage_gone(b);
	check(wait_count(), 0);
	check(ofd_count(), files - 1); /* the held one went with the call */
	expect_reply(lock(a, 0, F_SETLK, F_UNLCK, 0, 0), 0, NULL);
	assert_null(reply()); /* nobody to answer */
	/* a waiter whose blocker goes away is answered */
	uint64_t c = new_cage(-1);
	expect_reply(request(c, LIND_SYS_open, A(0, O_RDWR), "/tmp/f"), 0, NULL);
	expect_reply(lock(a, 0, F_SETLK, F_WRLCK, 0, 0), 0, NULL);
	uint64_t t = lock(c, 0, F_SETLKW, F_WRLCK, 0, 0);
	assert_null(reply());
	cage_gone(a); /* its locks go with its fds */
	expect_reply(t, 0, NULL);
	check(wait_count(), 0);
}

static void test_deadlock(void **state)
{
	(void)state;
	uint64_t a, b;
	two_openers(&a, &b);
	expect_reply(lock(a, 0, F_SETLK, F_WRLCK, 0, 1), 0, NULL);
	expect_reply(lock(b, 0, F_SETLK, F_WRLCK, 1, 1), 0, NULL);
	uint64_t t = lock(a, 0, F_SETLKW, F_WRLCK, 1, 1);
	assert_null(reply());
	expect_reply(lock(b, 0, F_SETLKW, F_WRLCK, 0, 1), -EDEADLK, NULL);
	/* once a's wait is interrupted there is no cycle any more */
	expect_reply(request(a, LIND_SYS_lind_cancel, A((int64_t)t), NULL), 0,
		     NULL);
	expect_reply(t, -EINTR, NULL);
	t = lock(b, 0, F_SETLKW, F_WRLCK, 0, 1);
	assert_null(reply());
	expect_reply(lock(a, 0, F_SETLK, F_UNLCK, 0, 0), 0, NULL);
	expect_reply(t, 0, NULL);
}

/* Reads parked on one stream: one queue, each woken reader runs again;
 * the per-cage limit answers EAGAIN. */
static void test_readers_and_limit(void **state)
{
	(void)state;
	uint64_t saved = srv_limits.parked;
	srv_limits.parked = 2;
	int p[2];
	assert_int_equal(pipe(p), 0);
	uint64_t c = new_cage(p[0]);
	close(p[0]);
	uint64_t t1 = request(c, LIND_SYS_read, A(0, 0, 3), NULL);
	uint64_t t2 = request(c, LIND_SYS_read, A(0, 0, 3), NULL);
	assert_null(reply());
	expect_reply(request(c, LIND_SYS_read, A(0, 0, 3), NULL), -EAGAIN, "");
	check(wait_count(), 2);
	assert_int_equal(write(p[1], "abc", 3), 3);
	expect_reply(t1, 3, "abc"); /* in order; the other parks again */
	assert_null(reply());
	check(wait_count(), 1);
	/* the fd closed while the read waits: it goes on (held) */
	expect_reply(request(c, LIND_SYS_close, A(0), NULL), 0, NULL);
	assert_int_equal(write(p[1], "de", 2), 2);
	expect_reply(t2, 2, "de");
	check(wait_count(), 0);
	srv_limits.parked = saved;
	close(p[1]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the server does */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lock_wake, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cage_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deadlock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_readers_and_limit, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
