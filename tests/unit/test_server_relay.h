/* A fake relay for posix-server unit tests, in-process: the test plays
 * the relay on the same thread (HELLO, CAGE_NEW with a pipe as stdin,
 * requests through the ring, the doorbell), running the libev loop
 * without blocking in between.  Include once per test program. */
#ifndef TEST_SERVER_RELAY_H
#define TEST_SERVER_RELAY_H

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
	for (;;) {
		spin_loop();
		static uint8_t buf[8192];
		long len = lind_recv_msg(sock, buf, sizeof buf, got, ngot);
		assert_true(len > 0);
		Lind__Control *r = lind__control__unpack(NULL, (size_t)len, buf);
		if (!r || r->kind != LIND__CONTROL__KIND__CAGE_EXITED)
			return r;
		/* an earlier cage's end, for the trace: not the answer */
		lind__control__free_unpacked(r, NULL);
	}
}

static Lind__Control *control(const Lind__Control *m, const int *fds, int n)
{
	return control_fds(m, fds, n, NULL, NULL);
}

static uint64_t next_tag = 100;

/* Sends rq as the relay would, with the next tag and cage's id and
 * args; returns its tag. */
static uint64_t send_request(Lind__Request *rq, uint64_t cage, uint32_t nr,
			     const int64_t a[6])
{
	rq->cage_id = cage;
	rq->tag = next_tag++;
	rq->nr = nr;
	rq->n_args = 6;
	rq->args = (int64_t *)a;
	uint32_t len = (uint32_t)lind__request__get_packed_size(rq);
	void *slot = lind_ring_reserve(&rings->req, len);
	assert_non_null(slot);
	lind__request__pack(rq, slot);
	if (lind_ring_commit(&rings->req, len))
		assert_int_equal(write(bell, &(uint64_t){1}, 8), 8);
	return rq->tag;
}

/* Sends one request with n bytes of in-data (data NULL: none);
 * returns its tag. */
static uint64_t request_data(uint64_t cage, uint32_t nr, const int64_t a[6],
			     const void *data, size_t n)
{
	Lind__Request rq = LIND__REQUEST__INIT;
	ProtobufCBinaryData d = {n, (uint8_t *)data};
	rq.n_data = data ? 1 : 0;
	rq.data = &d;
	return send_request(&rq, cage, nr, a);
}

/* The same with a string as in-data. */
static uint64_t request(uint64_t cage, uint32_t nr, const int64_t a[6],
			const char *data)
{
	return request_data(cage, nr, a, data, data ? strlen(data) : 0);
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

#endif
