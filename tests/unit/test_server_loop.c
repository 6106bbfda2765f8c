/* loop.c and dispatch.c in-process: the test plays the relay on the same
 * thread (HELLO, CAGE_NEW with a pipe as stdin, requests through the ring,
 * the doorbell), running the libev loop without blocking in between. */
#define _GNU_SOURCE
#include <ev.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "common.h"
#include "lind.pb-c.h"
#include "protocol.h"
#include "ring.h"
#include "test_server_util.h"

static char store_dir[64], run_dir[64];
static int sock, bell;
static struct lind_rings *rings;

static void spin_loop(void)
{
	for (int i = 0; i < 5; i++)
		ev_run(srv.loop, EVRUN_NOWAIT);
}

/* Sends m with n fds; the answer's fds (up to 2) go to got/ngot. */
static Lind__Control *control_fds(const Lind__Control *m, const int *fds,
				  int n, int *got, int *ngot)
{
	assert_int_equal(lind_send_msg(sock, &m->base, fds, n), 0);
	spin_loop();
	static uint8_t buf[8192];
	long len = lind_recv_msg(sock, buf, sizeof buf, got, ngot);
	assert_true(len > 0);
	return lind__control__unpack(NULL, (size_t)len, buf);
}

static Lind__Control *control(const Lind__Control *m, const int *fds, int n)
{
	return control_fds(m, fds, n, NULL, NULL);
}

static uint64_t next_tag = 100;

/* Sends one request; returns its tag. */
static uint64_t request(uint64_t cage, uint32_t nr, const int64_t a[6],
			const char *data)
{
	Lind__Request rq = LIND__REQUEST__INIT;
	ProtobufCBinaryData d = {data ? strlen(data) : 0, (uint8_t *)data};
	rq.cage_id = cage;
	rq.tag = next_tag++;
	rq.nr = nr;
	rq.n_args = 6;
	rq.args = (int64_t *)a;
	rq.n_data = data ? 1 : 0;
	rq.data = &d;
	uint32_t len = (uint32_t)lind__request__get_packed_size(&rq);
	void *slot = lind_ring_reserve(&rings->req, len);
	assert_non_null(slot);
	lind__request__pack(&rq, slot);
	if (lind_ring_commit(&rings->req, len))
		assert_int_equal(write(bell, &(uint64_t){1}, 8), 8);
	return rq.tag;
}

/* The next reply (after running the loop), or NULL when none. */
static Lind__Reply *reply(void)
{
	spin_loop();
	uint32_t len;
	const void *p = lind_ring_peek(&rings->rep, &len);
	if (!p)
		return NULL;
	Lind__Reply *r = lind__reply__unpack(NULL, len, p);
	lind_ring_release(&rings->rep);
	return r;
}

static void expect_reply_at(uint64_t tag, long result, const char *data,
			    const char *file, int line)
{
	Lind__Reply *r = reply();
	_assert_true(r != NULL, "a reply", file, line);
	_assert_int_equal(r->tag, tag, file, line);
	_assert_int_equal(r->result, result, file, line);
	if (data) {
		_assert_int_equal(r->n_data, 1, file, line);
		_assert_int_equal(r->data[0].len, strlen(data), file, line);
		_assert_memory_equal(r->data[0].data, data, strlen(data), file,
				     line);
	}
	lind__reply__free_unpacked(r, NULL);
}
#define expect_reply(tag, res, data) \
	expect_reply_at(tag, res, data, __FILE__, __LINE__)

static int setup(void **state)
{
	(void)state;
	store_dir[0] = '\0';
	tsrv_start(store_dir, sizeof store_dir);
	snprintf(run_dir, sizeof run_dir, "/tmp/lind-run-XXXXXX");
	assert_non_null(mkdtemp(run_dir));
	srv.loop = ev_default_loop(0);
	assert_int_equal(srv_loop_open(run_dir), 0);
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/server.sock", run_dir);
	sock = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(sock, (struct sockaddr *)&sa, sizeof sa), 0);
	spin_loop();
	Lind__Control hello = LIND__CONTROL__INIT;
	hello.kind = LIND__CONTROL__KIND__HELLO;
	hello.version = LIND_PROTO_VERSION;
	int fds[2], nfds = 2;
	Lind__Control *ok = control_fds(&hello, NULL, 0, fds, &nfds);
	assert_int_equal(ok->kind, LIND__CONTROL__KIND__HELLO_OK);
	assert_int_equal(nfds, 2); /* the ring's memfd, the doorbell eventfd */
	rings = mmap(NULL, sizeof *rings, PROT_READ | PROT_WRITE, MAP_SHARED,
		     fds[0], 0);
	assert_true(rings != MAP_FAILED);
	close(fds[0]);
	assert_int_equal(rings->version, LIND_PROTO_VERSION);
	bell = fds[1];
	lind__control__free_unpacked(ok, NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	close(sock);
	close(bell);
	munmap(rings, sizeof *rings);
	spin_loop(); /* sees the EOF: drops every cage */
	srv_loop_close();
	char p[128];
	snprintf(p, sizeof p, "%s/server.sock", run_dir);
	check(access(p, F_OK), -1); /* removed on close */
	tsrv_stop(true);
	tsrv_rmrf(store_dir);
	tsrv_rmrf(run_dir);
	ev_loop_destroy(srv.loop);
	srv.loop = NULL;
	return 0;
}

/* A cage whose stdio fd `slot` is host fd `fd` (fd < 0: no stdio). */
static uint64_t new_cage_fd(int slot, int fd)
{
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_NEW;
	m.uid = 1000;
	m.gid = 1000;
	m.stdio_mask = fd >= 0 ? 1u << slot : 0;
	m.attach_id = 4242;
	Lind__Control *r = control(&m, &fd, fd >= 0 ? 1 : 0);
	assert_int_equal(r->kind, LIND__CONTROL__KIND__CAGE_NEW_OK);
	assert_int_equal(r->attach_id, 4242); /* the answer names its attach */
	uint64_t id = r->cage_id;
	lind__control__free_unpacked(r, NULL);
	return id;
}

static uint64_t new_cage(int stdin_fd)
{
	return new_cage_fd(0, stdin_fd);
}

static void test_calls(void **state)
{
	(void)state;
	uint64_t c = new_cage(-1);
	check(c, 2);
	uint64_t t = request(c, LIND_SYS_getpid, A(0), NULL);
	expect_reply(t, 2, NULL);
	t = request(77, LIND_SYS_getpid, A(0), NULL);
	expect_reply(t, -ESRCH, NULL);
	t = request(c, 7 /* poll: no row */, A(0), NULL);
	expect_reply(t, -ENOSYS, NULL);
	t = request(c, LIND_SYS_open, A(0, O_RDONLY), NULL); /* no path */
	expect_reply(t, -EINVAL, NULL);
	t = request(c, LIND_SYS_write, A(0, 0, 5), "abc"); /* length lies */
	expect_reply(t, -EINVAL, NULL);
	t = request(c, LIND_SYS_open, A(0, O_CREAT | O_RDWR, 0644), "/tmp/x");
	expect_reply(t, 0, NULL);
	t = request(c, LIND_SYS_write, A(0, 0, 5), "hello");
	expect_reply(t, 5, NULL);
	t = request(c, LIND_SYS_pread64, A(0, 0, 100, 1), NULL);
	expect_reply(t, 4, "ello");
	t = request(c, LIND_SYS_read, A(9, 0, 100), NULL);
	expect_reply(t, -EBADF, ""); /* out entries stay, empty */
	/* Several requests before the loop runs: replies in order. */
	uint64_t t1 = request(c, LIND_SYS_getppid, A(0), NULL);
	uint64_t t2 = request(c, LIND_SYS_getuid, A(0), NULL);
	expect_reply(t1, 1, NULL);
	expect_reply(t2, 1000, NULL);
}

static void test_parked_read(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	uint64_t c = new_cage(p[0]); /* the server gets its own copy */
	uint64_t other = new_cage(-1);
	uint64_t t = request(c, LIND_SYS_read, A(0, 0, 64), NULL);
	assert_null(reply()); /* parked: nothing yet */
	/* Other cages are served meanwhile. */
	uint64_t t2 = request(other, LIND_SYS_getpid, A(0), NULL);
	expect_reply(t2, (long)other, NULL);
	assert_int_equal(write(p[1], "typed\n", 6), 6);
	expect_reply(t, 6, "typed\n");
	/* Parked again, then the cage goes away: no reply, no leak. */
	t = request(c, LIND_SYS_read, A(0, 0, 64), NULL);
	assert_null(reply());
	Lind__Control gone = LIND__CONTROL__INIT;
	gone.kind = LIND__CONTROL__KIND__CAGE_GONE;
	gone.cage_id = c;
	assert_int_equal(lind_send_msg(sock, &gone.base, NULL, 0), 0);
	spin_loop();
	assert_null(cage_find(c));
	assert_int_equal(write(p[1], "late\n", 5), 5);
	assert_null(reply());
	t = request(c, LIND_SYS_getpid, A(0), NULL);
	expect_reply(t, -ESRCH, NULL);
	/* A read parked when the relay disconnects is dropped too. */
	int q[2];
	assert_int_equal(pipe(q), 0);
	uint64_t c3 = new_cage(q[0]);
	close(q[0]);
	request(c3, LIND_SYS_read, A(0, 0, 64), NULL);
	assert_null(reply());
	close(p[0]);
	close(p[1]);
	close(q[1]);
}

/* Sends write(1, big) with n bytes of 'w'. */
static uint64_t write_big(uint64_t c, size_t n)
{
	static char big[65537];
	memset(big, 'w', n);
	big[n] = '\0';
	return request(c, LIND_SYS_write, A(1, 0, (int64_t)n), big);
}

static void test_parked_write(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	uint64_t c = new_cage_fd(1, p[1]);
	close(p[1]);
	uint64_t t = write_big(c, 65536); /* fills the pipe */
	expect_reply(t, 65536, NULL);
	t = write_big(c, 1000);
	assert_null(reply()); /* blocked: parked, other work goes on */
	static char buf[70000];
	size_t got = 0;
	while (got < 65536) {
		ssize_t r = read(p[0], buf, sizeof buf);
		assert_true(r > 0);
		got += (size_t)r;
	}
	expect_reply(t, 1000, NULL); /* all of it, as a blocking write */
	check(read(p[0], buf, sizeof buf), 1000);
	/* O_NONBLOCK set by the cage: EAGAIN instead of parking. */
	t = request(c, LIND_SYS_fcntl, A(1, F_SETFL, O_NONBLOCK), NULL);
	expect_reply(t, 0, NULL);
	expect_reply(write_big(c, 65536), 65536, NULL);
	expect_reply(write_big(c, 10), -EAGAIN, NULL);
	/* No reader left: EPIPE, and the server lives on. */
	close(p[0]);
	expect_reply(write_big(c, 10), -EPIPE, NULL);
	t = request(c, LIND_SYS_lseek, A(1, 0, SEEK_SET), NULL);
	expect_reply(t, -ESPIPE, NULL);
}

static int connect_server(void)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s/server.sock", run_dir);
	int s = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	assert_int_equal(connect(s, (struct sockaddr *)&sa, sizeof sa), 0);
	spin_loop();
	return s;
}

/* HELLO on s; the answer (its fds closed). */
static Lind__Control *hello_on(int s, uint32_t version)
{
	Lind__Control hello = LIND__CONTROL__INIT;
	hello.kind = LIND__CONTROL__KIND__HELLO;
	hello.version = version;
	assert_int_equal(lind_send_msg(s, &hello.base, NULL, 0), 0);
	spin_loop();
	uint8_t buf[512];
	int fds[2], nfds = 2;
	long n = lind_recv_msg(s, buf, sizeof buf, fds, &nfds);
	assert_true(n > 0);
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	return lind__control__unpack(NULL, (size_t)n, buf);
}

static void expect_error(Lind__Control *m, const char *want)
{
	assert_non_null(m);
	assert_int_equal(m->kind, LIND__CONTROL__KIND__ERROR);
	assert_string_equal(m->error, want);
	lind__control__free_unpacked(m, NULL);
}

static void test_second_relay(void **state)
{
	(void)state;
	/* A second relay while one is connected is refused at its HELLO. */
	int s2 = connect_server();
	expect_error(hello_on(s2, LIND_PROTO_VERSION),
		     "another relay is already connected");
	close(s2);
	/* The current relay says HELLO again. */
	expect_error(hello_on(sock, LIND_PROTO_VERSION), "HELLO twice");
}

static void test_squatter_and_version(void **state)
{
	(void)state;
	close(sock); /* the setup's relay leaves */
	spin_loop();
	/* Idle connections that never say HELLO keep nobody out. */
	int squat[10];
	for (int i = 0; i < 10; i++)
		squat[i] = connect_server();
	int s3 = connect_server();
	char want[128];
	snprintf(want, sizeof want,
		 "protocol version mismatch: relay speaks %d, server speaks %d",
		 LIND_PROTO_VERSION + 1, LIND_PROTO_VERSION);
	expect_error(hello_on(s3, LIND_PROTO_VERSION + 1), want);
	close(s3);
	sock = connect_server();
	Lind__Control *ok = hello_on(sock, LIND_PROTO_VERSION);
	assert_int_equal(ok->kind, LIND__CONTROL__KIND__HELLO_OK);
	lind__control__free_unpacked(ok, NULL);
	for (int i = 0; i < 10; i++)
		close(squat[i]);
}

/* Found by fuzz_control: an empty datagram reads as the relay's EOF, but
 * it may carry fds; the server must close them as it drops the relay. */
static void test_empty_frame_with_fds(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC | O_NONBLOCK), 0);
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {"", 0};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &p[1], sizeof(int));
	assert_int_equal(sendmsg(sock, &mh, 0), 0);
	close(p[1]);
	spin_loop();
	char b;
	check(read(p[0], &b, 1), 0); /* EOF: no copy of the write end left */
	close(p[0]);
}

int main(void)
{
	signal(SIGPIPE, SIG_IGN); /* as the server does */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_calls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parked_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parked_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_second_relay, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_squatter_and_version,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_empty_frame_with_fds, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
