/* loop.c and dispatch.c in-process, through the fake relay of
 * test_server_relay.h. */
#define _GNU_SOURCE
#include "test_server_relay.h"

static void test_calls(void **state)
{
	(void)state;
	uint64_t c = new_cage(-1);
	check(c, 2);
	uint64_t t = request(c, LIND_SYS_getpid, A(0), NULL);
	expect_reply(t, 2, NULL);
	t = request(77, LIND_SYS_getpid, A(0), NULL);
	expect_reply(t, -ESRCH, NULL);
	t = request(c, 10 /* mprotect: no row */, A(0), NULL);
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

/* A local relay's cage: stdin from fd in, then its channel's and done
 * page's memfds, which the server maps for direct replies. */
static uint64_t new_cage_chan(int in, struct lind_chan **ch,
			      struct lind_chan_done **done)
{
	int fds[3] = {in};
	void *p, *d;
	assert_int_equal(lind_shm_create("t-chan", sizeof **ch, &fds[1], &p), 0);
	assert_int_equal(lind_shm_create("t-done", sizeof **done, &fds[2], &d),
			 0);
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_NEW;
	m.uid = m.gid = 1000;
	m.stdio_mask = 1;
	m.attach_id = 4243;
	Lind__Control *r = control(&m, fds, 3);
	assert_int_equal(r->kind, LIND__CONTROL__KIND__CAGE_NEW_OK);
	uint64_t id = r->cage_id;
	lind__control__free_unpacked(r, NULL);
	close(fds[1]);
	close(fds[2]);
	*ch = p;
	*done = d;
	return id;
}

/* Slot i holds REPLIED, counted once in the done page, with result. */
static void expect_in_slot(struct lind_chan *ch, struct lind_chan_done *done,
			   uint32_t i, long result, const char *data)
{
	struct lind_slot *s = &ch->slot[i];
	check(atomic_load(&s->state), LIND_SLOT_REPLIED);
	check(atomic_load(&done->done[i]), 1);
	Lind__Reply *r = lind__reply__unpack(NULL, s->len, s->buf);
	assert_non_null(r);
	check(r->tag, i); /* the slot, as the client reads it */
	check(r->result, result);
	if (data && r->area) { /* a direct read's bytes: the slot's area */
		check(r->n_data, 0);
		check(r->area, strlen(data));
		assert_memory_equal(s->buf + LIND_AREA_OFF, data, strlen(data));
	} else if (data) {
		check(r->n_data, 1);
		assert_memory_equal(r->data[0].data, data, strlen(data));
	}
	lind__reply__free_unpacked(r, NULL);
}

/* A request whose bulk in-data is n bytes already in its slot's area. */
static uint64_t request_area(uint64_t cage, uint32_t nr, const int64_t a[6],
			     uint32_t n)
{
	Lind__Request rq = LIND__REQUEST__INIT;
	rq.area = n;
	return send_request(&rq, cage, nr, a);
}

static void slot_free(struct lind_chan *ch, uint32_t i)
{
	atomic_store(&ch->slot[i].state, LIND_SLOT_FREE);
}

/* Bulk data in the slot's area: a direct write's bytes are read from
 * it, a direct read's land in it (Reply.area), 1 MiB in one call; a
 * traced read gets them inline by the ring, and an area named on a call
 * that is not direct, or over LIND_MAX_IO, is EINVAL. */
static void test_area(void **state)
{
	(void)state;
	struct lind_chan *ch;
	struct lind_chan_done *done;
	int p[2];
	assert_int_equal(pipe(p), 0);
	uint64_t c = new_cage_chan(p[0], &ch, &done);
	close(p[0]);
	close(p[1]);
	next_tag = LIND_TAG_DIRECT | 1;
	request(c, LIND_SYS_open, A(0, O_CREAT | O_RDWR, 0644), "/tmp/area");
	assert_null(reply());
	expect_in_slot(ch, done, 1, 1, NULL); /* fd 0 is stdin */
	slot_free(ch, 1);
	static uint8_t want[LIND_MAX_IO];
	for (size_t k = 0; k < sizeof want; k++)
		want[k] = (uint8_t)(k * 7 + k / 4096);
	uint8_t *area = ch->slot[2].buf + LIND_AREA_OFF;
	memcpy(area, want, sizeof want);
	next_tag = LIND_TAG_DIRECT | 2;
	request_area(c, LIND_SYS_write, A(1, 0, LIND_MAX_IO), LIND_MAX_IO);
	assert_null(reply());
	expect_in_slot(ch, done, 2, LIND_MAX_IO, NULL);
	slot_free(ch, 2);
	/* read back whole, into another slot's area */
	next_tag = LIND_TAG_DIRECT | 3;
	request(c, LIND_SYS_pread64, A(1, 0, LIND_MAX_IO, 0), NULL);
	assert_null(reply());
	struct lind_slot *s = &ch->slot[3];
	check(atomic_load(&s->state), LIND_SLOT_REPLIED);
	Lind__Reply *r = lind__reply__unpack(NULL, s->len, s->buf);
	assert_non_null(r);
	check(r->result, LIND_MAX_IO);
	check(r->area, LIND_MAX_IO);
	check(r->n_data, 0);
	assert_memory_equal(s->buf + LIND_AREA_OFF, want, sizeof want);
	lind__reply__free_unpacked(r, NULL);
	slot_free(ch, 3);
	/* traced (no LIND_TAG_DIRECT): inline, by the ring */
	next_tag = 4;
	expect_reply(request(c, LIND_SYS_pread64, A(1, 0, 3, 4096), NULL), 3,
		     NULL);
	/* an area the server may not read: not direct, over the limit, a
	 * row without a bulk in-buffer */
	next_tag = 5;
	expect_reply(request_area(c, LIND_SYS_write, A(1, 0, 5), 5), -EINVAL,
		     NULL);
	next_tag = LIND_TAG_DIRECT | 6;
	request_area(c, LIND_SYS_write, A(1, 0, 5), LIND_MAX_IO + 1);
	assert_null(reply());
	expect_in_slot(ch, done, 6, -EINVAL, NULL);
	next_tag = LIND_TAG_DIRECT | 7;
	request_area(c, LIND_SYS_getpid, A(0), 5);
	assert_null(reply());
	expect_in_slot(ch, done, 7, -EINVAL, NULL);
	munmap(ch, sizeof *ch);
	munmap(done, sizeof *done);
}

/* Calls tagged LIND_TAG_DIRECT are answered into their slots, parked ones
 * too, whatever the cage wrote there; the others, and every call once
 * the cage is gone, by the ring. */
static void test_direct_replies(void **state)
{
	(void)state;
	int p[2];
	assert_int_equal(pipe(p), 0);
	struct lind_chan *ch;
	struct lind_chan_done *done;
	uint64_t c = new_cage_chan(p[0], &ch, &done);
	next_tag = LIND_TAG_DIRECT | 5;
	request(c, LIND_SYS_getpid, A(0), NULL);
	assert_null(reply());
	expect_in_slot(ch, done, 5, (long)c, NULL);
	next_tag = 7; /* traced: the relay publishes it */
	expect_reply(request(c, LIND_SYS_getuid, A(0), NULL), 1000, NULL);
	check(atomic_load(&ch->slot[7].state), LIND_SLOT_FREE);
	/* a parked read, its slot scribbled over meanwhile */
	next_tag = LIND_TAG_DIRECT | 6;
	request(c, LIND_SYS_read, A(0, 0, 64), NULL);
	assert_null(reply());
	atomic_store(&ch->slot[6].state, 0xffffffffu);
	atomic_store(&ch->slot[6].waiting, 0xdeadbeefu);
	ch->slot[6].len = UINT32_MAX;
	memset(ch->slot[6].buf, 0xff, 64);
	assert_int_equal(write(p[1], "typed\n", 6), 6);
	assert_null(reply());
	expect_in_slot(ch, done, 6, 6, "typed\n");
	/* a slot past the channel: by the ring */
	next_tag = LIND_TAG_DIRECT | LIND_CHAN_SLOTS;
	uint64_t t = request(c, LIND_SYS_getpid, A(0), NULL);
	expect_reply(t, (long)c, NULL);
	/* gone: its channel is unmapped, late answers go by the ring */
	Lind__Control gone = LIND__CONTROL__INIT;
	gone.kind = LIND__CONTROL__KIND__CAGE_GONE;
	gone.cage_id = c;
	assert_int_equal(lind_send_msg(sock, &gone.base, NULL, 0), 0);
	spin_loop();
	next_tag = LIND_TAG_DIRECT | 8;
	t = request(c, LIND_SYS_getpid, A(0), NULL);
	expect_reply(t, -ESRCH, NULL);
	check(atomic_load(&done->done[8]), 0);
	munmap(ch, sizeof *ch);
	munmap(done, sizeof *done);
	close(p[0]);
	close(p[1]);
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
		cmocka_unit_test_setup_teardown(test_direct_replies, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_area, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
