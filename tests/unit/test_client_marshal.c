/*
 * client-libc marshalling and lind_syscall() without a relay: this test
 * links marshal.c and syscall.c only and plays the channel itself, so no
 * constructor attaches and no filter is installed.  Every frame the client
 * packs is unpacked here with stock protobuf-c (the relay's view), and
 * every reply is packed with it.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include <asm/termbits.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>

#include "client.h"
#include "lind.pb-c.h"

/* ---- the fake channel: records requests, answers with reply_fn -------- */

#define MAX_CALLS 8

struct call {
	uint32_t nr;
	int64_t args[6];
	size_t n_data;
	size_t data_len[6];
	uint8_t *data[6];
};

static struct call calls[MAX_CALLS];
static int ncalls;
static int areas_in; /* writes whose bytes came in the area */
static struct lind_slot slot;
static struct lind_client fake = {
	.version = LIND_CLIENT_VERSION, .sock = -1, .cage_id = 7};
struct lind_client *lind_cl = &fake;

/* The test's relay+server: fills result and data for call number k. */
static void (*reply_fn)(int k, const Lind__Request *req, Lind__Reply *rep);
static ProtobufCBinaryData reply_data[6];
static uint8_t reply_bytes[6][LIND_MAX_IO + 64];

long lind_unattached(long nr, const long a[6])
{
	(void)nr;
	(void)a;
	fail_msg("lind_unattached called");
	return -ENOSYS;
}

/* The relay's death as the channel reports it, and what the client then
 * does on the host: exit with a status, or the fatal line (127). */
static int relay_gone;
static jmp_buf host_exited;
static int exit_status;
static const char *fatal_line;

int lind_relay_alive(struct lind_client *cl)
{
	assert_ptr_equal(cl, &fake);
	return !relay_gone;
}

void lind_host_exit(int status)
{
	exit_status = status;
	longjmp(host_exited, 1);
}

/* fork.c's child side is not exercised here (integration: fork.sh) */
void lind_trap_forked(int pid)
{
	(void)pid;
}

void lind_host_fatal(const char *line)
{
	fatal_line = line;
	lind_host_exit(127);
}

static int signals_sent; /* lind_signal_self_thread(SIGPIPE) calls */

void lind_signal_self_thread(int sig)
{
	assert_int_equal(sig, SIGPIPE);
	signals_sent++;
}

/* signalfd.c's half of a signalfd's read (its host calls are not run
 * here): what it was asked. */
static int dequeues, dequeue_wait;
static uint64_t dequeue_mask;
static size_t dequeue_cap;

long lind_signalfd_read(struct lind_client *cl, const struct iovec *v,
			int cnt, uint64_t mask, bool wait)
{
	assert_ptr_equal(cl, &fake);
	dequeues++;
	dequeue_mask = mask;
	dequeue_wait = wait;
	dequeue_cap = 0;
	for (int i = 0; i < cnt; i++)
		dequeue_cap += v[i].iov_len;
	return 128;
}

struct lind_slot *lind_chan_claim(struct lind_client *cl)
{
	assert_ptr_equal(cl, &fake);
	assert_int_equal(atomic_load(&slot.state), LIND_SLOT_FREE);
	atomic_store(&slot.state, LIND_SLOT_FILLING);
	return &slot;
}

/* A write's bulk bytes come in the slot's area (Request.area): recorded
 * as the data entry they stand for (the rows that use it have one). */
static void record_area(struct call *c, const Lind__Request *req,
			const struct lind_slot *s)
{
	assert_int_equal(req->n_data, 0);
	assert_true(req->area <= LIND_MAX_IO);
	c->n_data = 1;
	c->data_len[0] = req->area;
	c->data[0] = malloc(req->area + 1);
	memcpy(c->data[0], s->buf + LIND_AREA_OFF, req->area);
	areas_in++;
}

static void record(const Lind__Request *req, const struct lind_slot *s)
{
	assert_true(ncalls < MAX_CALLS);
	struct call *c = &calls[ncalls];
	c->nr = req->nr;
	assert_int_equal(req->n_args, 6);
	memcpy(c->args, req->args, sizeof c->args);
	if (req->area) {
		record_area(c, req, s);
		return;
	}
	c->n_data = req->n_data;
	assert_true(req->n_data <= 6);
	for (size_t i = 0; i < req->n_data; i++) {
		c->data_len[i] = req->data[i].len;
		c->data[i] = malloc(req->data[i].len + 1);
		if (req->data[i].len)
			memcpy(c->data[i], req->data[i].data, req->data[i].len);
	}
}

long lind_chan_call(struct lind_client *cl, struct lind_slot *s, uint32_t len,
		    long nr)
{
	(void)nr;
	assert_ptr_equal(cl, &fake);
	assert_true(len <= LIND_MAX_FRAME);
	if (relay_gone)
		return -EPIPE;
	Lind__Request *req = lind__request__unpack(NULL, len, s->buf);
	assert_non_null(req);
	record(req, s);
	Lind__Reply rep = LIND__REPLY__INIT;
	rep.data = reply_data;
	if (reply_fn)
		reply_fn(ncalls, req, &rep);
	ncalls++;
	lind__request__free_unpacked(req, NULL);
	size_t n = protobuf_c_message_get_packed_size(&rep.base);
	assert_true(n <= sizeof s->buf);
	return (long)protobuf_c_message_pack(&rep.base, s->buf);
}

void lind_chan_release(struct lind_client *cl, struct lind_slot *s)
{
	assert_ptr_equal(cl, &fake);
	atomic_store(&s->state, LIND_SLOT_FREE);
}

static int setup(void **state)
{
	(void)state;
	for (int i = 0; i < ncalls; i++)
		for (size_t j = 0; j < calls[i].n_data; j++)
			free(calls[i].data[j]);
	memset(calls, 0, sizeof calls);
	ncalls = 0;
	areas_in = 0;
	reply_fn = NULL;
	relay_gone = 0;
	exit_status = -1;
	fatal_line = NULL;
	signals_sent = 0;
	dequeues = dequeue_wait = 0;
	dequeue_mask = 0;
	dequeue_cap = 0;
	return 0;
}

/* Reply helpers: result, and out-data entries. */
static void add_data(Lind__Reply *rep, const void *p, size_t n)
{
	size_t k = rep->n_data++;
	memcpy(reply_bytes[k], p, n);
	reply_data[k] = (ProtobufCBinaryData){n, reply_bytes[k]};
}

static long sys(long nr, long a0, long a1, long a2, long a3)
{
	return lind_syscall(nr, a0, a1, a2, a3, 0, 0);
}

/* ---- in-kinds ----------------------------------------------------------- */

static void reply_3(int k, const Lind__Request *req, Lind__Reply *rep)
{
	(void)k;
	(void)req;
	rep->result = 3;
}

static void test_path(void **state)
{
	(void)state;
	reply_fn = reply_3;
	assert_int_equal(sys(LIND_SYS_openat, -100, (long)"/a/b", 0x241, 0644),
			 3);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].nr, LIND_SYS_openat);
	assert_int_equal(calls[0].args[0], -100);
	assert_int_equal(calls[0].args[1], 0); /* pointers travel as 0 */
	assert_int_equal(calls[0].args[2], 0x241);
	assert_int_equal(calls[0].args[3], 0644);
	assert_int_equal(calls[0].n_data, 1);
	assert_int_equal(calls[0].data_len[0], 4); /* no NUL */
	assert_memory_equal(calls[0].data[0], "/a/b", 4);
}

static void test_path_too_long(void **state)
{
	(void)state;
	static char p[LIND_MAX_PATH + 1];
	memset(p, 'a', LIND_MAX_PATH);
	assert_int_equal(sys(LIND_SYS_stat, (long)p, 0, 0, 0), -ENAMETOOLONG);
	assert_int_equal(ncalls, 0); /* nothing sent */
	p[LIND_MAX_PATH - 1] = '\0'; /* 4095 bytes: the longest legal */
	assert_int_equal(sys(LIND_SYS_unlink, (long)p, 0, 0, 0), 0);
	assert_int_equal(calls[0].data_len[0], LIND_MAX_PATH - 1);
	assert_int_equal(sys(LIND_SYS_unlink, 0, 0, 0, 0), -EFAULT);
	assert_int_equal(ncalls, 1);
}

static void test_in(void **state)
{
	(void)state;
	reply_fn = reply_3;
	assert_int_equal(sys(LIND_SYS_write, 1, (long)"hello", 5, 0), 3);
	assert_int_equal(calls[0].args[1], 0);
	assert_int_equal(calls[0].args[2], 5);
	assert_int_equal(calls[0].data_len[0], 5);
	assert_memory_equal(calls[0].data[0], "hello", 5);
	assert_int_equal(sys(LIND_SYS_write, 1, 0, 5, 0), -EFAULT);
	assert_int_equal(sys(LIND_SYS_write, 1, 0, 0, 0), 3); /* empty */
	assert_int_equal(calls[1].data_len[0], 0);
}

/* ---- LF_SPLIT ----------------------------------------------------------- */

static int short_at = -1, fail_at = -1;

static void reply_len(int k, const Lind__Request *req, Lind__Reply *rep)
{
	rep->result = req->area ? (int64_t)req->area
				: (int64_t)req->data[0].len;
	if (k == short_at)
		rep->result = 1000;
	if (k == fail_at)
		rep->result = -ENOSPC;
}

static uint8_t big[2 * LIND_MAX_IO + 18928]; /* three chunks */

static void check_chunks(int n, int pwrite, long off)
{
	size_t at = 0;
	for (int k = 0; k < n; k++) {
		size_t want = sizeof big - at > LIND_MAX_IO ? LIND_MAX_IO
							    : sizeof big - at;
		assert_int_equal(calls[k].args[2], want);
		assert_int_equal(calls[k].data_len[0], want);
		assert_memory_equal(calls[k].data[0], big + at, want);
		if (pwrite)
			assert_int_equal(calls[k].args[3], off + (long)at);
		at += want;
	}
}

static void test_split(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	reply_fn = reply_len;
	short_at = fail_at = -1;
	assert_int_equal(sys(LIND_SYS_write, 1, (long)big, sizeof big, 0),
			 sizeof big);
	assert_int_equal(ncalls, 3);
	check_chunks(3, 0, 0);
	setup(NULL);
	reply_fn = reply_len;
	assert_int_equal(sys(LIND_SYS_pwrite64, 4, (long)big, sizeof big, 1000),
			 sizeof big);
	assert_int_equal(ncalls, 3);
	check_chunks(3, 1, 1000);
}

static const char *out_text;
static size_t out_len;
static int64_t out_result;
static void reply_out(int k, const Lind__Request *req, Lind__Reply *rep);

/* A file of file_len bytes read in chunks: Reply.more while it goes on. */
static long file_len;

static void reply_file(int k, const Lind__Request *req, Lind__Reply *rep)
{
	(void)k;
	long off = req->nr == LIND_SYS_pread64 ? req->args[3] : 0;
	long n = file_len - off < req->args[2] ? file_len - off : req->args[2];
	static uint8_t chunk[LIND_MAX_IO];
	for (long j = 0; j < n; j++)
		chunk[j] = (uint8_t)(off + j);
	add_data(rep, chunk, (size_t)n);
	rep->result = n;
	rep->more = n == req->args[2];
	if (req->nr == LIND_SYS_read)
		file_len -= n; /* read: the "offset" moves on */
}

static void test_split_read(void **state)
{
	(void)state;
	static uint8_t buf[3 * LIND_MAX_IO];
	reply_fn = reply_file;
	file_len = 2 * LIND_MAX_IO + 18928; /* bigger than a chunk: whole */
	assert_int_equal(sys(LIND_SYS_pread64, 3, (long)buf, sizeof buf, 0),
			 2 * LIND_MAX_IO + 18928);
	assert_int_equal(ncalls, 3);
	assert_int_equal(calls[1].args[3], LIND_MAX_IO); /* offsets advance */
	assert_int_equal(calls[2].args[3], 2 * LIND_MAX_IO);
	for (long j = 0; j < 2 * LIND_MAX_IO + 18928; j++)
		assert_int_equal(buf[j], (uint8_t)j);
	setup(NULL);
	reply_fn = reply_file;
	file_len = LIND_MAX_IO; /* exactly one chunk: one more call sees EOF */
	assert_int_equal(sys(LIND_SYS_read, 3, (long)buf, sizeof buf, 0),
			 LIND_MAX_IO);
	assert_int_equal(ncalls, 2);
	setup(NULL);
	reply_fn = reply_out; /* a full chunk without more (a pipe): stop */
	out_text = "abc";
	out_len = 3;
	out_result = 3;
	assert_int_equal(sys(LIND_SYS_read, 0, (long)buf, sizeof buf, 0), 3);
	assert_int_equal(ncalls, 1);
}

static void test_split_stops(void **state)
{
	(void)state;
	reply_fn = reply_len;
	short_at = 1; /* second call short: stop, total so far */
	assert_int_equal(sys(LIND_SYS_write, 1, (long)big, sizeof big, 0),
			 LIND_MAX_IO + 1000);
	assert_int_equal(ncalls, 2);
	setup(NULL);
	reply_fn = reply_len;
	short_at = -1;
	fail_at = 0; /* nothing written: the error */
	assert_int_equal(sys(LIND_SYS_write, 1, (long)big, sizeof big, 0),
			 -ENOSPC);
	assert_int_equal(ncalls, 1);
	setup(NULL);
	reply_fn = reply_len;
	fail_at = 2; /* error after some: what was written */
	assert_int_equal(sys(LIND_SYS_write, 1, (long)big, sizeof big, 0),
			 2 * LIND_MAX_IO);
	fail_at = -1;
}

/* ---- out-kinds ---------------------------------------------------------- */

static const char *out_text;
static size_t out_len;
static int64_t out_result;

static void reply_out(int k, const Lind__Request *req, Lind__Reply *rep)
{
	(void)k;
	(void)req;
	rep->result = out_result;
	if (out_text)
		add_data(rep, out_text, out_len);
}

/* An in-and-out array (poll's pollfds): sent whole, its count as is,
 * and written back whole; a reply of another size is refused. */
static void test_io_array(void **state)
{
	(void)state;
	struct pollfd pf[2] = {{3, POLLIN, 0}, {4, POLLOUT, 0}};
	struct pollfd back[2] = {{3, POLLIN, POLLIN}, {4, POLLOUT, 0}};
	reply_fn = reply_out;
	out_text = (const char *)back;
	out_len = sizeof back;
	out_result = 1;
	assert_int_equal(sys(LIND_SYS_poll, (long)pf, 2, 0, 0), 1);
	assert_int_equal(calls[0].args[0], 0);
	assert_int_equal(calls[0].args[1], 2);
	assert_int_equal(calls[0].n_data, 1);
	assert_int_equal(calls[0].data_len[0], sizeof pf);
	assert_int_equal(pf[0].revents, POLLIN);
	out_len = sizeof back[0]; /* short: the call cannot take it */
	assert_int_equal(sys(LIND_SYS_poll, (long)pf, 2, 0, 0), -EIO);
	assert_int_equal(sys(LIND_SYS_poll, 0, 2, 0, 0), -EFAULT);
	assert_int_equal(sys(LIND_SYS_poll, (long)pf, -1, 0, 0), -EINVAL);
	assert_int_equal(sys(LIND_SYS_poll, (long)pf, LIND_MAX_IO / 8 + 1, 0, 0),
			 -EINVAL);
	out_text = NULL;
	out_result = 0;
	assert_int_equal(sys(LIND_SYS_poll, 0, 0, 0, 0), 0);
	out_result = -EINTR; /* out-data of a failure is not copied */
	pf[0].revents = 0x77;
	assert_int_equal(sys(LIND_SYS_poll, (long)pf, 1, 0, 0), -EINTR);
	assert_int_equal(pf[0].revents, 0x77);
}

static void test_out(void **state)
{
	(void)state;
	char buf[16];
	memset(buf, '#', sizeof buf);
	reply_fn = reply_out;
	out_text = "abc";
	out_len = 3;
	out_result = 3;
	assert_int_equal(sys(LIND_SYS_read, 0, (long)buf, 10, 0), 3);
	assert_memory_equal(buf, "abc###", 6);
	assert_int_equal(calls[0].args[1], 0);
	assert_int_equal(calls[0].args[2], 10);
	assert_int_equal(calls[0].n_data, 0);
	/* capacity over LIND_MAX_IO without Reply.more: a short read */
	static char huge[LIND_MAX_IO * 2];
	assert_int_equal(sys(LIND_SYS_read, 0, (long)huge, sizeof huge, 0), 3);
	assert_int_equal(calls[1].args[2], LIND_MAX_IO);
	/* getcwd: OUT(1) is argument 0 */
	out_text = "/x";
	out_len = 3;
	assert_int_equal(sys(LIND_SYS_getcwd, (long)buf, 16, 0, 0), 3);
	assert_string_equal(buf, "/x");
	assert_int_equal(calls[2].args[0], 0);
	assert_int_equal(calls[2].args[1], 16);
	assert_int_equal(sys(LIND_SYS_read, 0, 0, 10, 0), -EFAULT);
	assert_int_equal(ncalls, 3);
}

/* ---- the slot's data area ------------------------------------------------ */

/* A direct reply: out_len bytes of out_text put in the slot's area. */
static void reply_area(int k, const Lind__Request *req, Lind__Reply *rep)
{
	(void)k;
	(void)req;
	memcpy(slot.buf + LIND_AREA_OFF, out_text, out_len);
	rep->area = (uint32_t)out_len;
	rep->result = (int64_t)out_len;
}

/* Writes put their bytes in the area (an empty one stays an entry);
 * reads take Reply.area's bytes from it, inline entries as before. */
static void test_area(void **state)
{
	(void)state;
	reply_fn = reply_3;
	assert_int_equal(sys(LIND_SYS_write, 1, (long)"hello", 5, 0), 3);
	assert_int_equal(areas_in, 1);
	assert_memory_equal(calls[0].data[0], "hello", 5);
	assert_int_equal(sys(LIND_SYS_write, 1, (long)"", 0, 0), 3);
	assert_int_equal(areas_in, 1);
	struct iovec v[2] = {{(void *)"ab", 2}, {(void *)"cde", 3}};
	assert_int_equal(sys(LIND_SYS_writev, 1, (long)v, 2, 0), 3);
	assert_int_equal(areas_in, 2);
	assert_memory_equal(calls[2].data[0], "abcde", 5);

	char buf[16], b1[2], b2[8];
	memset(buf, '#', sizeof buf);
	reply_fn = reply_area;
	out_text = "xyzw";
	out_len = 4;
	assert_int_equal(sys(LIND_SYS_read, 0, (long)buf, 10, 0), 4);
	assert_memory_equal(buf, "xyzw##", 6);
	struct iovec o[2] = {{b1, 2}, {b2, 8}};
	assert_int_equal(sys(LIND_SYS_readv, 0, (long)o, 2, 0), 4);
	assert_memory_equal(b1, "xy", 2);
	assert_memory_equal(b2, "zw", 2);
	/* more than the caller's buffer, or on a call with none: -EIO */
	assert_int_equal(sys(LIND_SYS_read, 0, (long)buf, 3, 0), -EIO);
	out_len = 0;
	assert_int_equal(sys(LIND_SYS_read, 0, (long)buf, 3, 0), 0);
	out_len = 2;
	struct stat st;
	assert_int_equal(sys(LIND_SYS_fstat, 0, (long)&st, 0, 0), -EIO);
}

static void test_out_oversized(void **state)
{
	(void)state;
	char buf[16];
	memset(buf, '#', sizeof buf);
	reply_fn = reply_out;
	out_text = "0123456789abcdefghij";
	out_len = 20;
	out_result = 20;
	assert_int_equal(sys(LIND_SYS_read, 0, (long)buf, 10, 0), -EIO);
	for (size_t i = 0; i < sizeof buf; i++)
		assert_int_equal(buf[i], '#'); /* nothing copied */
	/* a failed call's data is ignored */
	out_result = -ENOENT;
	assert_int_equal(sys(LIND_SYS_read, 0, (long)buf, 10, 0), -ENOENT);
	assert_int_equal(buf[0], '#');
}

static void test_stat(void **state)
{
	(void)state;
	struct stat st, want;
	memset(&want, 0x5a, sizeof want);
	reply_fn = reply_out;
	out_text = (const char *)&want;
	out_len = sizeof want;
	out_result = 0;
	assert_int_equal(sys(LIND_SYS_fstat, 3, (long)&st, 0, 0), 0);
	assert_memory_equal(&st, &want, sizeof st);
	out_len = sizeof want - 1; /* a struct must come whole */
	assert_int_equal(sys(LIND_SYS_fstat, 3, (long)&st, 0, 0), -EIO);
	out_text = NULL; /* success without the struct */
	assert_int_equal(sys(LIND_SYS_fstat, 3, (long)&st, 0, 0), -EIO);
	/* newfstatat: ATFD, PATH (in), STAT (out), ATFLAGS */
	out_text = (const char *)&want;
	out_len = sizeof want;
	assert_int_equal(lind_syscall(LIND_SYS_newfstatat, 1, (long)"",
				      (long)&st, 0x1000, 0, 0), 0);
	assert_int_equal(calls[3].n_data, 1);
	assert_int_equal(calls[3].data_len[0], 0);
	assert_int_equal(calls[3].args[3], 0x1000);
}

/* ---- iovecs ------------------------------------------------------------- */

static void test_iov_in(void **state)
{
	(void)state;
	struct iovec v[3] = {{"ab", 2}, {"", 0}, {"cde", 3}};
	reply_fn = reply_3;
	assert_int_equal(sys(LIND_SYS_writev, 1, (long)v, 3, 0), 3);
	assert_int_equal(calls[0].args[1], 5); /* total in the pointer slot */
	assert_int_equal(calls[0].args[2], 3);
	assert_int_equal(calls[0].data_len[0], 5);
	assert_memory_equal(calls[0].data[0], "abcde", 5);
	assert_int_equal(sys(LIND_SYS_writev, 1, (long)v, -1, 0), -EINVAL);
	/* more than LIND_MAX_IO: clamped, a short write */
	static char b1[LIND_MAX_IO], b2[100];
	struct iovec w[2] = {{b1, sizeof b1}, {b2, sizeof b2}};
	assert_int_equal(sys(LIND_SYS_writev, 1, (long)w, 2, 0), 3);
	assert_int_equal(calls[1].args[1], LIND_MAX_IO);
	assert_int_equal(calls[1].data_len[0], LIND_MAX_IO);
}

static void test_iov_out(void **state)
{
	(void)state;
	char a[2], b[1], c[8];
	memset(c, '#', sizeof c);
	struct iovec v[3] = {{a, 2}, {b, 1}, {c, 8}};
	reply_fn = reply_out;
	out_text = "hello";
	out_len = 5;
	out_result = 5;
	assert_int_equal(sys(LIND_SYS_readv, 0, (long)v, 3, 0), 5);
	assert_int_equal(calls[0].args[1], 11);
	assert_int_equal(calls[0].args[2], 3);
	assert_memory_equal(a, "he", 2);
	assert_memory_equal(b, "l", 1);
	assert_memory_equal(c, "lo######", 8);
	out_text = "0123456789ab"; /* 12 > 11 */
	out_len = 12;
	assert_int_equal(sys(LIND_SYS_readv, 0, (long)v, 3, 0), -EIO);
	assert_memory_equal(a, "he", 2);
}

/* ---- socket kinds ------------------------------------------------------- */

static void reply_epipe(int k, const Lind__Request *req, Lind__Reply *rep);

/* getsockname: 5 bytes of address (cut to the room), real length 7. */
static void reply_name(int k, const Lind__Request *req, Lind__Reply *rep)
{
	(void)k;
	size_t room = (size_t)req->args[1];
	add_data(rep, "abcdefg", room < 7 ? room : 7);
	uint32_t len = 7;
	add_data(rep, &len, sizeof len);
}

static void test_outl(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, '#', sizeof buf);
	socklen_t len = 5;
	reply_fn = reply_name;
	assert_int_equal(lind_syscall(LIND_SYS_getsockname, 3, (long)buf,
				      (long)&len, 0, 0, 0), 0);
	assert_int_equal(calls[0].args[1], 5); /* the room, from *len */
	assert_int_equal(calls[0].args[2], 4);
	assert_int_equal(calls[0].n_data, 1); /* the socklen goes in */
	assert_memory_equal(buf, "abcde###", 8);
	assert_int_equal(len, 7); /* the real length */
	/* a NULL buffer: its length travels as NULL too */
	reply_fn = reply_3;
	assert_int_equal(lind_syscall(LIND_SYS_accept, 3, 0, (long)&len, 0, 0,
				      0), 3);
	assert_int_equal(calls[1].args[1], 0);
	assert_int_equal(calls[1].args[2], 0);
	len = (socklen_t)-1; /* negative as an int: refused before sending */
	assert_int_equal(lind_syscall(LIND_SYS_accept, 3, (long)buf,
				      (long)&len, 0, 0, 0), -EINVAL);
	assert_int_equal(ncalls, 2);
}

static void test_msg_in(void **state)
{
	(void)state;
	char name[] = "nm", ctl[16] = "0123456789abcdef";
	struct iovec v[2] = {{"ab", 2}, {"cde", 3}};
	struct msghdr m = {.msg_name = name, .msg_namelen = 2, .msg_iov = v,
			   .msg_iovlen = 2, .msg_control = ctl,
			   .msg_controllen = 16};
	reply_fn = reply_3;
	assert_int_equal(sys(LIND_SYS_sendmsg, 3, (long)&m, 0, 0), 3);
	struct lind_msg_sizes z = lind_msg_sizes(calls[0].args[1]);
	assert_int_equal(z.name, 2);
	assert_int_equal(z.ctl, 16);
	assert_int_equal(z.data, 5);
	assert_int_equal(z.cut, 0);
	assert_int_equal(calls[0].data_len[0], 23);
	assert_memory_equal(calls[0].data[0], "nm0123456789abcdefabcde", 23);
	/* too much data for a frame: its start, said cut */
	static char big[LIND_MAX_IO + 10];
	struct iovec w = {big, sizeof big};
	struct msghdr b = {.msg_iov = &w, .msg_iovlen = 1};
	assert_int_equal(sys(LIND_SYS_sendmsg, 3, (long)&b, 0, 0), 3);
	z = lind_msg_sizes(calls[1].args[1]);
	assert_int_equal(z.data, LIND_MAX_IO);
	assert_int_equal(z.cut, 1);
	/* refused before sending: a name over a sockaddr_storage, control
	 * over what a frame carries, no msghdr */
	m.msg_namelen = 200;
	assert_int_equal(sys(LIND_SYS_sendmsg, 3, (long)&m, 0, 0), -EINVAL);
	m.msg_namelen = 2;
	m.msg_controllen = LIND_MSG_CTL_MAX + 1;
	assert_int_equal(sys(LIND_SYS_sendmsg, 3, (long)&m, 0, 0), -ENOBUFS);
	assert_int_equal(sys(LIND_SYS_sendmsg, 3, 0, 0, 0), -EFAULT);
	assert_int_equal(ncalls, 2);
}

static struct lind_msg_head msg_head;
static const char *msg_body; /* name, control, data */

static void reply_msg(int k, const Lind__Request *req, Lind__Reply *rep)
{
	(void)k;
	(void)req;
	static uint8_t e[128];
	size_t name = msg_head.namelen < 4 ? msg_head.namelen : 4;
	size_t n = name + msg_head.ctllen + msg_head.datalen;
	memcpy(e, &msg_head, sizeof msg_head);
	memcpy(e + sizeof msg_head, msg_body, n);
	rep->result = msg_head.datalen;
	add_data(rep, e, sizeof msg_head + n);
}

static void test_msg_out(void **state)
{
	(void)state;
	char name[4], ctl[8], a[2], b[8];
	memset(b, '#', sizeof b);
	struct iovec v[2] = {{a, 2}, {b, 8}};
	struct msghdr m = {.msg_name = name, .msg_namelen = 4, .msg_iov = v,
			   .msg_iovlen = 2, .msg_control = ctl,
			   .msg_controllen = 8};
	msg_head = (struct lind_msg_head){.namelen = 6, .ctllen = 3,
					  .datalen = 5, .flags = MSG_CTRUNC};
	msg_body = "NAMEctlhello";
	reply_fn = reply_msg;
	assert_int_equal(sys(LIND_SYS_recvmsg, 3, (long)&m, 0, 0), 5);
	struct lind_msg_sizes z = lind_msg_sizes(calls[0].args[1]);
	assert_int_equal(z.name, 4);
	assert_int_equal(z.ctl, 8);
	assert_int_equal(z.data, 10);
	assert_memory_equal(name, "NAME", 4);
	assert_int_equal(m.msg_namelen, 6); /* as Linux: the whole length */
	assert_memory_equal(ctl, "ctl", 3);
	assert_int_equal(m.msg_controllen, 3);
	assert_memory_equal(a, "he", 2);
	assert_memory_equal(b, "llo#####", 8);
	assert_int_equal(m.msg_flags, MSG_CTRUNC);
	/* parts that do not add up, or overrun a room: refused, untouched */
	msg_head.ctllen = 9;
	msg_body = "NAMEctlctlctlhello";
	assert_int_equal(sys(LIND_SYS_recvmsg, 3, (long)&m, 0, 0), -EIO);
	assert_int_equal(m.msg_controllen, 3);
}

/* A send answered EPIPE raises SIGPIPE unless MSG_NOSIGNAL. */
static void test_send_sigpipe(void **state)
{
	(void)state;
	reply_fn = reply_epipe;
	assert_int_equal(lind_syscall(LIND_SYS_sendto, 3, (long)"x", 1,
				      MSG_NOSIGNAL, 0, 0), -EPIPE);
	assert_int_equal(signals_sent, 0);
	assert_int_equal(lind_syscall(LIND_SYS_sendto, 3, (long)"x", 1, 0, 0,
				      0), -EPIPE);
	assert_int_equal(signals_sent, 1);
}

/* ---- ioctl -------------------------------------------------------------- */

static void test_ioctl(void **state)
{
	(void)state;
	int dir, n = lind_ioctl_size(TCGETS, &dir);
	assert_int_equal(dir, LIND_IOCTL_OUT);
	uint8_t tio[64], want[64];
	memset(tio, '#', sizeof tio);
	memset(want, 0x11, sizeof want);
	reply_fn = reply_out;
	out_text = (const char *)want;
	out_len = (size_t)n;
	out_result = 0;
	assert_int_equal(sys(LIND_SYS_ioctl, 1, TCGETS, (long)tio, 0), 0);
	assert_int_equal(calls[0].args[2], n); /* its size in the slot */
	assert_int_equal(calls[0].n_data, 0);
	assert_memory_equal(tio, want, (size_t)n);
	assert_int_equal(tio[n], '#');
	out_len = (size_t)n + 1;
	assert_int_equal(sys(LIND_SYS_ioctl, 1, TCGETS, (long)tio, 0), -EIO);
	/* an ioctl the table does not know: no data, size 0 */
	out_text = NULL;
	out_result = -ENOTTY;
	assert_int_equal(sys(LIND_SYS_ioctl, 1, 0x5401ff, (long)tio, 0),
			 -ENOTTY);
	assert_int_equal(calls[2].args[2], 0);
	assert_int_equal(calls[2].n_data, 0);
}

/* ---- no row, framing ---------------------------------------------------- */

static void reply_enosys(int k, const Lind__Request *req, Lind__Reply *rep)
{
	(void)k;
	(void)req;
	rep->result = -ENOSYS;
}

static void test_rowless(void **state)
{
	(void)state;
	reply_fn = reply_enosys;
	assert_int_equal(lind_syscall(41 /* socket */, 2, 1, 0, 4, 5, 6),
			 -ENOSYS);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].nr, 41);
	int64_t want[6] = {2, 1, 0, 4, 5, 6};
	assert_memory_equal(calls[0].args, want, sizeof want);
	assert_int_equal(calls[0].n_data, 0);
	/* a number a frame cannot carry never leaves */
	assert_int_equal(lind_syscall(1L << 40, 0, 0, 0, 0, 0, 0), -ENOSYS);
	assert_int_equal(ncalls, 1);
}

/* ---- the relay gone ------------------------------------------------------ */

/* exit_group still exits with the cage's own status, nothing fatal. */
static void test_gone_exit(void **state)
{
	(void)state;
	relay_gone = 1;
	if (!setjmp(host_exited))
		lind_syscall(LIND_SYS_exit_group, 3, 0, 0, 0, 0, 0);
	assert_int_equal(exit_status, 3);
	assert_null(fatal_line);
	assert_int_equal(ncalls, 0);
}

/* getpid is the cage id the client holds (raise, abort need it). */
static void test_gone_getpid(void **state)
{
	(void)state;
	relay_gone = 1;
	assert_int_equal(lind_syscall(LIND_SYS_getpid, 0, 0, 0, 0, 0, 0), 7);
}

/* A call whose answer cannot come is fatal: one line, 127. */
static void test_gone_fatal(void **state)
{
	(void)state;
	relay_gone = 1;
	if (!setjmp(host_exited))
		lind_syscall(LIND_SYS_write, 1, (long)"x", 1, 0, 0, 0);
	assert_int_equal(exit_status, 127);
	assert_string_equal(fatal_line, "lind: relay connection lost\n");
}

/* The relay alive, exit_group first gives the server the status. */
static void test_exit_tells_server(void **state)
{
	(void)state;
	if (!setjmp(host_exited))
		lind_syscall(LIND_SYS_exit_group, 5, 0, 0, 0, 0, 0);
	assert_int_equal(exit_status, 5);
	assert_int_equal(ncalls, 1);
	assert_int_equal(calls[0].nr, LIND_SYS_exit_group);
	assert_int_equal(calls[0].args[0], 5);
}

/* R8: every row flagged CLIENT has a hook, and every hook a CLIENT row
 * (a hook without the flag would never run). */
static void test_hooks_match_rows(void **state)
{
	(void)state;
	for (int i = 0; i < LIND_ROWS; i++) {
		const struct lind_syscall *row = lind_syscall_row(lind_row_nr(i));
		if (row && (row->flags & LF_CLIENT))
			assert_non_null(lind_hook_for(row->nr));
	}
	size_t n = 0;
	for (const struct lind_hook *h; (h = lind_hook_at(n)); n++) {
		const struct lind_syscall *row = lind_syscall_row(h->nr);
		assert_non_null(row);
		assert_true(row->flags & LF_CLIENT);
	}
	assert_true(n >= 4);
}

static void test_e2big(void **state)
{
	(void)state;
	struct lind_plan p;
	long a[6] = {1, (long)"hello", 5, 0, 0, 0};
	uint8_t buf[64];
	assert_int_equal(lind_plan(&p, LIND_SYS_write, a), 0);
	assert_int_equal(lind_marshal(buf, 8, &p), -E2BIG);
	long n = lind_marshal(buf, sizeof buf, &p);
	assert_true(n > 0);
	Lind__Request *req = lind__request__unpack(NULL, (size_t)n, buf);
	assert_non_null(req);
	assert_int_equal(req->n_data, 1);
	lind__request__free_unpacked(req, NULL);
	/* a garbled reply is an error, not a crash */
	int more;
	uint64_t mask;
	assert_int_equal(lind_unmarshal(&p, (const uint8_t *)"\xff\xff", 2,
					NULL, &more, &mask),
			 -EIO);
}

/* ---- SIGPIPE ------------------------------------------------------------ */

static void reply_epipe(int k, const Lind__Request *req, Lind__Reply *rep)
{
	(void)k;
	(void)req;
	rep->result = -EPIPE;
}

/* A write answered EPIPE signals the thread, as the kernel does; other
 * calls answered EPIPE do not, nor does the relay going away. */
static void test_sigpipe(void **state)
{
	static char buf[4];
	(void)state;
	reply_fn = reply_epipe;
	assert_int_equal(sys(LIND_SYS_write, 1, (long)"x", 1, 0), -EPIPE);
	assert_int_equal(signals_sent, 1);
	assert_int_equal(sys(LIND_SYS_read, 0, (long)buf, 1, 0), -EPIPE);
	assert_int_equal(signals_sent, 1);
}

static void reply_dequeue(int k, const Lind__Request *req, Lind__Reply *rep)
{
	(void)k;
	(void)req;
	rep->result = 0;
	rep->dequeue = LIND_DEQUEUE_WAIT;
	rep->sigmask = 0x8000000000000201ull;
}

/* A read answered with Reply.dequeue is finished by the reading thread
 * (signalfd.c) with the mask, waiting as told; readv too, with its
 * array. */
static void test_signalfd_dequeue(void **state)
{
	static char buf[300];
	(void)state;
	reply_fn = reply_dequeue;
	assert_int_equal(sys(LIND_SYS_read, 5, (long)buf, sizeof buf, 0), 128);
	assert_int_equal(dequeues, 1);
	assert_true(dequeue_wait);
	assert_int_equal(dequeue_cap, sizeof buf);
	assert_true(dequeue_mask == 0x8000000000000201ull);
	struct iovec v[2] = {{buf, 100}, {buf + 100, 100}};
	assert_int_equal(sys(LIND_SYS_readv, 5, (long)v, 2, 0), 128);
	assert_int_equal(dequeues, 2);
	assert_int_equal(dequeue_cap, 200);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_path, setup),
		cmocka_unit_test_setup(test_outl, setup),
		cmocka_unit_test_setup(test_msg_in, setup),
		cmocka_unit_test_setup(test_msg_out, setup),
		cmocka_unit_test_setup(test_send_sigpipe, setup),
		cmocka_unit_test_setup(test_gone_exit, setup),
		cmocka_unit_test_setup(test_gone_getpid, setup),
		cmocka_unit_test_setup(test_gone_fatal, setup),
		cmocka_unit_test_setup(test_exit_tells_server, setup),
		cmocka_unit_test_setup(test_path_too_long, setup),
		cmocka_unit_test_setup(test_in, setup),
		cmocka_unit_test_setup(test_split, setup),
		cmocka_unit_test_setup(test_split_stops, setup),
		cmocka_unit_test_setup(test_split_read, setup),
		cmocka_unit_test_setup(test_out, setup),
		cmocka_unit_test_setup(test_area, setup),
		cmocka_unit_test_setup(test_io_array, setup),
		cmocka_unit_test_setup(test_out_oversized, setup),
		cmocka_unit_test_setup(test_stat, setup),
		cmocka_unit_test_setup(test_iov_in, setup),
		cmocka_unit_test_setup(test_iov_out, setup),
		cmocka_unit_test_setup(test_ioctl, setup),
		cmocka_unit_test_setup(test_rowless, setup),
		cmocka_unit_test_setup(test_e2big, setup),
		cmocka_unit_test_setup(test_sigpipe, setup),
		cmocka_unit_test_setup(test_signalfd_dequeue, setup),
		cmocka_unit_test(test_hooks_match_rows),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
