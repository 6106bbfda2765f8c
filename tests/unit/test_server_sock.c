/* sockets through the fake relay: AF_UNIX calls parked in accept and
 * recv, and a description in flight (SCM_RIGHTS never received), when
 * their cage goes away: no socket, message, description or parked call
 * is left, and a peer in another cage sees its connection reset. */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <sys/un.h>

#include "../../posix-server/pipe.h"
#include "../../posix-server/sock.h"
#include "../../posix-server/sock_unix.h"
#include "../../posix-server/wait.h"
#include "test_server_relay.h"

static long result_at(uint64_t tag, int line)
{
	Lind__Reply *r = reply();
	_assert_true(r != NULL, "a reply", __FILE__, line);
	_assert_int_equal(r->tag, tag, __FILE__, line);
	long v = r->result;
	lind__reply__free_unpacked(r, NULL);
	return v;
}
#define result(tag) result_at(tag, __LINE__)

static int new_socket(uint64_t c, int type)
{
	long fd = result(request(c, LIND_SYS_socket, A(AF_UNIX, type, 0),
				 NULL));
	assert_true(fd >= 0);
	return (int)fd;
}

static void make_pair(uint64_t c, int sv[2])
{
	uint64_t t = request(c, LIND_SYS_socketpair,
			     A(AF_UNIX, SOCK_STREAM, 0, 8), NULL);
	Lind__Reply *r = reply();
	assert_non_null(r);
	check(r->tag, t);
	check(r->result, 0);
	check(r->data[0].len, 8);
	memcpy(sv, r->data[0].data, 8);
	lind__reply__free_unpacked(r, NULL);
}

/* An abstract name: "\0unit-sock". */
static const char addr[] = {AF_UNIX, 0, 0, 'u', 'n', 'i', 't', '-', 's', 'o',
			    'c', 'k'};

/* sendmsg of one byte with fd passed (SCM_RIGHTS), as MSG_IN lays it. */
static uint64_t send_fd(uint64_t c, int s, int fd)
{
	uint8_t buf[CMSG_SPACE(sizeof(int)) + 1];
	struct cmsghdr h = {.cmsg_len = CMSG_LEN(sizeof fd),
			    .cmsg_level = SOL_SOCKET, .cmsg_type = SCM_RIGHTS};
	memset(buf, 0, sizeof buf);
	memcpy(buf, &h, sizeof h);
	memcpy(buf + CMSG_LEN(0), &fd, sizeof fd);
	buf[sizeof buf - 1] = 'x';
	int64_t slot = lind_msg_slot(0, CMSG_SPACE(sizeof(int)), 1, 0);
	return request_data(c, LIND_SYS_sendmsg, A(s, slot, 0), buf,
			    sizeof buf);
}

static void test_cage_gone(void **state)
{
	(void)state;
	unsigned long files = ofd_count(), socks = sock_count();
	uint64_t c = new_cage(-1), other = new_cage(-1);
	int l = new_socket(c, SOCK_STREAM);
	check(result(request_data(c, LIND_SYS_bind, A(l, 0, sizeof addr),
				  addr, sizeof addr)), 0);
	check(result(request(c, LIND_SYS_listen, A(l, 4), NULL)), 0);
	/* a connection from the other cage, never accepted */
	int o = new_socket(other, SOCK_STREAM);
	check(result(request_data(other, LIND_SYS_connect,
				  A(o, 0, sizeof addr), addr, sizeof addr)),
	      0);
	int sv[2], p[2];
	make_pair(c, sv);
	uint64_t t = request(c, LIND_SYS_pipe2, A(8, 0), NULL);
	Lind__Reply *r = reply();
	assert_non_null(r);
	check(r->tag, t);
	memcpy(p, r->data[0].data, 8);
	lind__reply__free_unpacked(r, NULL);
	check(result(send_fd(c, sv[0], p[1])), 1); /* in flight */
	/* accept waits for a second connection, a read for bytes */
	check(result(request_data(c, LIND_SYS_accept, A(l, 0, 0), "", 0)) >= 0,
	      1);
	request_data(c, LIND_SYS_accept, A(l, 0, 0), "", 0);
	assert_null(reply());
	int q[2];
	make_pair(c, q);
	request(c, LIND_SYS_read, A(q[0], 0, 16), NULL);
	assert_null(reply());
	check(wait_count(), 2);
	check(sock_count(), socks + 7);
	Lind__Control gone = LIND__CONTROL__INIT;
	gone.kind = LIND__CONTROL__KIND__CAGE_GONE;
	gone.cage_id = c;
	assert_int_equal(lind_send_msg(sock, &gone.base, NULL, 0), 0);
	spin_loop();
	assert_null(reply());
	check(wait_count(), 0);
	check(pipe_count(), 0);
	check(sock_count(), socks + 1); /* the other cage's */
	check(ofd_count(), files + 1);
	/* its connection was accepted, then closed with the cage */
	check(result(request(other, LIND_SYS_read, A(o, 0, 4), NULL)), 0);
	check(result(request(other, LIND_SYS_write, A(o, 0, 1), "x")), -EPIPE);
	/* the name went with its listener */
	int o2 = new_socket(other, SOCK_STREAM);
	check(result(request_data(other, LIND_SYS_connect,
				  A(o2, 0, sizeof addr), addr, sizeof addr)),
	      -ECONNREFUSED);
	expect_reply(request(other, LIND_SYS_close, A(o2), NULL), 0, NULL);
	check(result(request(other, LIND_SYS_close, A(o), NULL)), 0);
	check(sock_count(), socks);
	check(sock_unix_count(), 0);
}

/* A frame whose msghdr sizes do not add up to its entry is refused. */
static void test_bad_frames(void **state)
{
	(void)state;
	uint64_t c = new_cage(-1);
	int sv[2];
	make_pair(c, sv);
	int64_t slot = lind_msg_slot(0, 0, 5, 0);
	check(result(request_data(c, LIND_SYS_sendmsg, A(sv[0], slot, 0), "abc",
				  3)), -EINVAL);
	check(result(request_data(c, LIND_SYS_sendmsg,
				  A(sv[0], (int64_t)1 << 62, 0), "abc", 3)),
	      -EINVAL);
	check(result(request_data(c, LIND_SYS_recvmsg,
				  A(sv[0], -1, 0), NULL, 0)), -EINVAL);
	/* an address longer than a sockaddr_storage */
	static char big[200];
	check(result(request_data(c, LIND_SYS_bind, A(sv[0], 0, sizeof big),
				  big, sizeof big)), -EINVAL);
	check(result(request_data(c, LIND_SYS_sendmsg,
				  A(sv[0], lind_msg_slot(0, 0, 3, 0), 0), "abc",
				  3)), 3);
	/* recvmsg with room for less than came: cut, MSG_TRUNC not for a
	 * stream; the head says the lengths */
	uint64_t t = request(c, LIND_SYS_recvmsg,
			     A(sv[1], lind_msg_slot(0, 0, 2, 0), 0), NULL);
	Lind__Reply *r = reply();
	assert_non_null(r);
	check(r->tag, t);
	check(r->result, 2);
	check(r->n_data, 1);
	struct lind_msg_head h;
	check(r->data[0].len, sizeof h + 2);
	memcpy(&h, r->data[0].data, sizeof h);
	check(h.datalen, 2);
	check(h.ctllen, 0);
	lind__reply__free_unpacked(r, NULL);
}

static void close_fd(uint64_t c, int fd)
{
	expect_reply(request(c, LIND_SYS_close, A(fd), NULL), 0, NULL);
}

/* A socket passed into its own queue and closed: no cage can reach it,
 * and it is collected at once (as Linux's unix_gc), its peer closed. */
static void test_in_flight_cycle(void **state)
{
	(void)state;
	unsigned long socks = sock_count(), files = ofd_count();
	uint64_t c = new_cage(-1);
	int sv[2];
	make_pair(c, sv);
	check(result(send_fd(c, sv[0], sv[1])), 1); /* into sv[1]'s queue */
	close_fd(c, sv[1]);
	check(sock_count(), socks + 1);
	check(ofd_count(), files + 1);
	check(unix_msg_count(), 0);
	check(result(request(c, LIND_SYS_read, A(sv[0], 0, 4), NULL)), 0);
	close_fd(c, sv[0]);
	check(sock_count(), socks);
	check(sock_unix_count(), 0);
}

/* Two sockets each in the other's queue: live while one has an fd,
 * collected when the last goes; 1,000 times, nothing grows. */
static void test_two_cycle(void **state)
{
	(void)state;
	unsigned long socks = sock_count(), files = ofd_count();
	uint64_t c = new_cage(-1);
	for (int i = 0; i < 1000; i++) {
		int a[2], b[2];
		make_pair(c, a);
		make_pair(c, b);
		check(result(send_fd(c, a[1], b[0])), 1); /* b0 in a0's */
		check(result(send_fd(c, b[1], a[0])), 1); /* a0 in b0's */
		close_fd(c, a[0]);
		check(sock_count(), socks + 4); /* b0's fd reaches a0 */
		close_fd(c, b[0]);
		check(sock_count(), socks + 2);
		check(unix_msg_count(), 0);
		close_fd(c, a[1]);
		close_fd(c, b[1]);
		check(sock_count(), socks);
	}
	check(ofd_count(), files);
	check(sock_unix_count(), 0);
}

/* A socket in flight in the queue of one a cage holds is not garbage;
 * it goes with that queue. */
static void test_in_flight_live(void **state)
{
	(void)state;
	unsigned long socks = sock_count();
	uint64_t c = new_cage(-1);
	int p[2], q[2];
	make_pair(c, p);
	make_pair(c, q);
	check(result(send_fd(c, p[0], q[0])), 1); /* q0 in p1's queue */
	close_fd(c, q[0]);
	check(sock_count(), socks + 4);
	check(unix_msg_count(), 1);
	close_fd(c, p[1]); /* its queue dropped: q0 with it */
	check(sock_count(), socks + 2);
	close_fd(c, p[0]);
	close_fd(c, q[1]);
	check(sock_count(), socks);
	check(sock_unix_count(), 0);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the server does */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_cage_gone, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_frames, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_in_flight_cycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_two_cycle, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_in_flight_live, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
