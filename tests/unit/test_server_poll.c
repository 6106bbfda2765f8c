/* Readiness in the server: a parked poll woken by a pipe write and by an
 * eventfd, a cage that goes away (kill -9) while parked in poll and
 * epoll_wait on several descriptions: nothing is left; EPOLLEXCLUSIVE
 * waking one instance per wake; a signalfd's readiness, read and
 * re-check; TFD_TIMER_CANCEL_ON_SET when the realtime clock is set. */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <stdio.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>

#include "../../posix-server/pipe.h"
#include "../../posix-server/signalfd.h"
#include "../../posix-server/wait.h"
#include "test_server_relay.h"

static void make_pipe(uint64_t c, int fds[2])
{
	uint64_t t = request(c, LIND_SYS_pipe2, A(1, 0), NULL);
	Lind__Reply *r = reply();
	assert_non_null(r);
	check(r->tag, t);
	check(r->result, 0);
	memcpy(fds, r->data[0].data, 8);
	lind__reply__free_unpacked(r, NULL);
}

/* The reply to call t: a new fd. */
static int answer_fd(uint64_t t)
{
	Lind__Reply *r = reply();
	assert_non_null(r);
	check(r->tag, t);
	assert_true(r->result >= 0);
	int fd = (int)r->result;
	lind__reply__free_unpacked(r, NULL);
	return fd;
}

static int make_eventfd(uint64_t c)
{
	return answer_fd(request(c, LIND_SYS_eventfd2, A(0, 0), NULL));
}

static uint64_t poll_req(uint64_t c, struct pollfd *pf, int n, int ms)
{
	return request_data(c, LIND_SYS_poll, A(0, n, ms), pf,
			    (size_t)n * sizeof *pf);
}

/* The poll's reply: result and the array back. */
static void expect_poll(uint64_t tag, long result, struct pollfd *pf, int n)
{
	Lind__Reply *r = reply();
	assert_non_null(r);
	check(r->tag, tag);
	check(r->result, result);
	check(r->n_data, 1);
	check(r->data[0].len, (size_t)n * sizeof *pf);
	memcpy(pf, r->data[0].data, r->data[0].len);
	lind__reply__free_unpacked(r, NULL);
}

static void test_poll_wakes(void **state)
{
	(void)state;
	uint64_t c = new_cage(-1);
	int p[2], e = -1;
	make_pipe(c, p);
	e = make_eventfd(c);
	struct pollfd pf[2] = {{p[0], POLLIN, 0}, {e, POLLIN, 0}};
	uint64_t t = poll_req(c, pf, 2, -1);
	assert_null(reply());
	check(wait_count(), 1);
	expect_reply(request(c, LIND_SYS_write, A(p[1], 0, 1), "x"), 1, NULL);
	expect_poll(t, 1, pf, 2);
	check(pf[0].revents, POLLIN); /* RDNORM was not asked */
	check(pf[1].revents, 0);
	/* the pipe's byte is still there: only the eventfd is waited for */
	pf[0].fd = -1;
	t = poll_req(c, pf, 2, -1);
	assert_null(reply());
	uint64_t one = 1;
	expect_reply(request_data(c, LIND_SYS_write, A(e, 0, 8), &one, 8), 8,
		     NULL);
	expect_poll(t, 1, pf, 2);
	check(pf[1].revents, POLLIN);
	check(wait_count(), 0);
	/* the writer closes: the reader's POLLHUP wakes a poll for nothing */
	expect_reply(request(c, LIND_SYS_read, A(p[0], 0, 1), NULL), 1, "x");
	struct pollfd h = {p[0], 0, 0};
	t = poll_req(c, &h, 1, -1);
	assert_null(reply());
	expect_reply(request(c, LIND_SYS_close, A(p[1]), NULL), 0, NULL);
	expect_poll(t, 1, &h, 1);
	check(h.revents, POLLHUP);
}

/* kill -9 while parked: the cage's end drops the call and every
 * description it held; another cage is untouched. */
static void test_poll_cage_gone(void **state)
{
	(void)state;
	unsigned long files = ofd_count();
	uint64_t c = new_cage(-1), other = new_cage(-1);
	int p[2], o[2];
	make_pipe(c, p);
	int e = make_eventfd(c);
	make_pipe(other, o);
	struct pollfd pf[3] = {{p[0], POLLIN, 0}, {e, POLLIN, 0},
			       {p[1], 0, 0}};
	poll_req(c, pf, 3, -1);
	assert_null(reply());
	check(wait_count(), 1);
	/* and an epoll instance watching both, parked in epoll_wait on a
	 * thread of the same cage */
	uint64_t t = request(c, LIND_SYS_epoll_create1, A(0), NULL);
	Lind__Reply *r = reply();
	assert_non_null(r);
	check(r->tag, t);
	int ep = (int)r->result;
	lind__reply__free_unpacked(r, NULL);
	uint8_t ev[12] = {POLLIN};
	for (int k = 0; k < 2; k++)
		expect_reply(request_data(c, LIND_SYS_epoll_ctl,
					  A(ep, EPOLL_CTL_ADD, k ? e : p[0], 12),
					  ev, sizeof ev), 0, NULL);
	request(c, LIND_SYS_epoll_wait, A(ep, 0, 4, -1), NULL);
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
	struct pollfd of = {o[0], POLLIN, 0};
	t = poll_req(other, &of, 1, 0);
	expect_poll(t, 0, &of, 1);
}

/* Three instances watch one eventfd with EPOLLEXCLUSIVE, a wait parked
 * on each: a write wakes the first only; the next write passes over it
 * (nobody waits there now) and wakes the second. */
static void test_epoll_exclusive(void **state)
{
	(void)state;
	uint64_t c = new_cage(-1);
	int e = make_eventfd(c), ep[3];
	uint64_t w[3];
	uint8_t ev[12] = {POLLIN, 0, 0, EPOLLEXCLUSIVE >> 24};
	for (int k = 0; k < 3; k++) {
		ep[k] = answer_fd(request(c, LIND_SYS_epoll_create1, A(0), NULL));
		expect_reply(request_data(c, LIND_SYS_epoll_ctl,
					  A(ep[k], EPOLL_CTL_ADD, e, 12), ev,
					  sizeof ev), 0, NULL);
	}
	for (int k = 0; k < 3; k++)
		w[k] = request(c, LIND_SYS_epoll_wait, A(ep[k], 0, 4, -1), NULL);
	assert_null(reply());
	check(wait_count(), 3);
	uint64_t one = 1;
	for (int k = 0; k < 2; k++) {
		uint64_t t = request_data(c, LIND_SYS_write, A(e, 0, 8), &one, 8);
		expect_reply(t, 8, NULL); /* then what it woke runs */
		Lind__Reply *r = reply();
		assert_non_null(r);
		check(r->tag, w[k]);
		check(r->result, 1);
		lind__reply__free_unpacked(r, NULL);
		assert_null(reply());
		check(wait_count(), (unsigned long)(2 - k));
	}
}

/* A cage whose host process is this test's: its signals are ours. */
static uint64_t cage_of_self(void)
{
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_NEW;
	m.uid = m.gid = 1000;
	m.host_pid = (uint32_t)getpid();
	m.attach_id = 4243;
	Lind__Control *r = control(&m, NULL, 0);
	assert_int_equal(r->kind, LIND__CONTROL__KIND__CAGE_NEW_OK);
	uint64_t id = r->cage_id;
	lind__control__free_unpacked(r, NULL);
	return id;
}

static void test_signalfd_status(void **state)
{
	(void)state;
	const char *text = "Name:\tx\nSigQ:\t0/1\nSigPnd:\t0000000000000200\n"
			   "ShdPnd:\t8000000000000001\nSigBlk:\tffffffffffffffff\n";
	assert_true(signalfd_parse_status(text) == 0x8000000000000201ull);
	assert_true(signalfd_parse_status("Name:\tx\n") == 0);
}

/* poll sees the caller's pending signals of the mask; a read is answered
 * with Reply.dequeue and the mask; a parked poll is woken by the
 * re-check when a signal comes that the server never saw. */
static void test_signalfd(void **state)
{
	(void)state;
	sigset_t usr1;
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	uint64_t c = cage_of_self();
	uint64_t mask = 1ull << (SIGUSR1 - 1) | 1ull << (SIGKILL - 1);
	int fd = answer_fd(request_data(c, LIND_SYS_signalfd4,
					A(-1, 8, 8, SFD_NONBLOCK), &mask, 8));
	struct pollfd pf = {fd, POLLIN, 0};
	expect_poll(poll_req(c, &pf, 1, 0), 0, &pf, 1);
	raise(SIGUSR1);
	expect_poll(poll_req(c, &pf, 1, 0), 1, &pf, 1);
	uint64_t t = request(c, LIND_SYS_read, A(fd, 0, 128), NULL);
	Lind__Reply *r = reply();
	assert_non_null(r);
	check(r->tag, t);
	check(r->result, 0);
	check(r->dequeue, LIND_DEQUEUE_NOW);
	assert_true(r->sigmask == 1ull << (SIGUSR1 - 1)); /* SIGKILL dropped */
	lind__reply__free_unpacked(r, NULL);
	expect_reply(request(c, LIND_SYS_read, A(fd, 0, 127), NULL), -EINVAL,
		     NULL);
	struct timespec zero = {0, 0};
	check(sigtimedwait(&usr1, NULL, &zero), SIGUSR1);
	t = poll_req(c, &pf, 1, -1);
	assert_null(reply());
	raise(SIGUSR1);
	for (int i = 0; i < 200 && !(r = reply()); i++)
		usleep(1000); /* the re-check comes within 50 ms */
	assert_non_null(r);
	check(r->tag, t);
	check(r->result, 1);
	lind__reply__free_unpacked(r, NULL);
	check(sigtimedwait(&usr1, NULL, &zero), SIGUSR1);
	sigprocmask(SIG_UNBLOCK, &usr1, NULL);
}

/* A realtime timer an hour away, absolute, with flags. */
static int rt_timer(uint64_t c, int flags)
{
	int fd = answer_fd(request(c, LIND_SYS_timerfd_create,
				   A(CLOCK_REALTIME, TFD_NONBLOCK), NULL));
	struct itimerspec its = {{0, 0}, {0, 0}};
	clock_gettime(CLOCK_REALTIME, &its.it_value);
	its.it_value.tv_sec += 3600;
	expect_reply(request_data(c, LIND_SYS_timerfd_settime,
				  A(fd, TFD_TIMER_ABSTIME | flags, 32, 0), &its,
				  sizeof its), 0, NULL);
	return fd;
}

/* The realtime clock set (to the time it is: no change, but a set): a
 * parked read of a cancel-on-set timer ends ECANCELED, once; another
 * realtime timer is untouched.  Skipped without CAP_SYS_TIME. */
static void test_timerfd_cancel(void **state)
{
	(void)state;
	uint64_t c = new_cage(-1);
	int plain = rt_timer(c, 0);
	int fd = rt_timer(c, TFD_TIMER_CANCEL_ON_SET);
	expect_reply(request(c, LIND_SYS_fcntl, A(fd, F_SETFL, 0), NULL), 0,
		     NULL);
	uint64_t t = request(c, LIND_SYS_read, A(fd, 0, 8), NULL);
	assert_null(reply());
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	if (clock_settime(CLOCK_REALTIME, &now) != 0) {
		printf("# clock_settime: %s: cancel on set not tested\n",
		       strerror(errno));
		skip();
	}
	Lind__Reply *r = NULL;
	for (int i = 0; i < 100 && !(r = reply()); i++)
		usleep(1000);
	assert_non_null(r);
	check(r->tag, t);
	check(r->result, -ECANCELED);
	lind__reply__free_unpacked(r, NULL);
	expect_reply(request(c, LIND_SYS_fcntl, A(fd, F_SETFL, O_NONBLOCK),
			     NULL), 0, NULL);
	expect_reply(request(c, LIND_SYS_read, A(fd, 0, 8), NULL), -EAGAIN,
		     NULL);
	expect_reply(request(c, LIND_SYS_read, A(plain, 0, 8), NULL), -EAGAIN,
		     NULL);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the server does */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_poll_wakes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_poll_cage_gone, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_epoll_exclusive, setup,
						teardown),
		cmocka_unit_test(test_signalfd_status),
		cmocka_unit_test_setup_teardown(test_signalfd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_timerfd_cancel, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
