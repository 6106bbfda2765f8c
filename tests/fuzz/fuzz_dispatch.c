/*
 * The server's decode and dispatch: each input is a sequence of messages
 * ([u16 len][message]..., see fuzz.h), each one Request run through
 * srv_dispatch against a fresh store (in /dev/shm when there is one) and
 * one cage whose stdio are a pipe (stdin, with a line to read, then EOF)
 * and /dev/null.  A message is
 *   [0][packed Request]                      the frame as it comes, or
 *   [1][row][6 x i32 args][[u16 len][data]...]   one built by the harness
 * (row: an index into the table's rows), so mutations reach the handlers
 * instead of breaking the encoding.  The relay stamps cage_id, so does this
 * harness, but nothing else is checked first: the server re-checks.
 * The loop runs between frames so parked stream calls complete.
 * Oracle: no crash, leak or sanitizer report; no host fd left open once
 * the cage and the store are gone; the store loads again afterwards.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../posix-server/cage.h"
#include "../../posix-server/fdtable.h"
#include "../../posix-server/ofd.h"
#include "../../posix-server/server.h"
#include "../../posix-server/shm.h"
#include "../../posix-server/store.h"
#include "../../posix-server/vfs.h"
#include "common.h"
#include "fuzz.h"
#include "lind.pb-c.h"
#include "protocol.h"
#include "syscall.h"

static char base[64];
static uint32_t rows[LIND_ROWS]; /* the table's numbers */
static size_t nrows;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lind_log_init("fuzz_dispatch");
	signal(SIGPIPE, SIG_IGN);
	srv.loop = ev_default_loop(0);
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(base, sizeof base, "%s/lind-fuzz-XXXXXX", tmp);
	assert(mkdtemp(base));
	fuzz_scratch = base;
	atexit(fuzz_cleanup);
	for (int i = 0; i < LIND_ROWS; i++)
		if (lind_syscall_row(lind_row_nr(i)))
			rows[nrows++] = lind_row_nr(i);
	return 0;
}

static void server_start(const char *dir)
{
	int rc = store_open(dir, &srv.store);
	assert(rc == 0);
	srv.vfs = vfs_new(srv.store);
	assert(srv.vfs);
	rc = store_load(srv.store, srv.vfs);
	assert(rc == 0);
}

static void server_stop(void)
{
	cage_free_all();
	shm_free_all(); /* segments outlive cages, as the server's end frees */
	store_flush(srv.store);
	vfs_free(srv.vfs);
	store_close(srv.store);
	srv.vfs = NULL;
	srv.store = NULL;
}

static struct cage *cage_with_stdio(void)
{
	struct cage *c = cage_new(100, 1000, 1000);
	assert(c);
	int p[2];
	int rc = pipe2(p, O_NONBLOCK | O_CLOEXEC);
	assert(rc == 0);
	(void)!write(p[1], "a line\n", 7);
	close(p[1]);
	int fds[3] = {p[0], open("/dev/null", O_WRONLY | O_CLOEXEC),
		      open("/dev/null", O_WRONLY | O_CLOEXEC)};
	for (int i = 0; i < 3; i++) {
		assert(fds[i] >= 0);
		struct stream *s = stream_new(fds[i], c, i);
		struct ofd *o = ofd_new(&ofd_stream_ops, i ? O_WRONLY : O_RDONLY,
					NULL, s);
		assert(s && o);
		fd_install(c->fds, i, o, false);
	}
	return c;
}

/* Message kind 1: a Request for row msg[0] with the message's args and
 * data entries. */
static void build_request(const uint8_t *msg, size_t len, uint64_t cage_id)
{
	uint8_t head[25] = {0};
	memcpy(head, msg, len < sizeof head ? len : sizeof head);
	Lind__Request rq = LIND__REQUEST__INIT;
	int64_t args[6];
	ProtobufCBinaryData data[6];
	rq.cage_id = cage_id;
	rq.nr = rows[head[0] % nrows];
	for (int i = 0; i < 6; i++) {
		int32_t a;
		memcpy(&a, head + 1 + 4 * i, 4);
		args[i] = a;
	}
	rq.n_args = 6;
	rq.args = args;
	rq.data = data;
	struct fuzz_split in = {msg + sizeof head,
				len > sizeof head ? len - sizeof head : 0};
	const uint8_t *d;
	size_t n;
	while (rq.n_data < 6 && fuzz_next(&in, &d, &n))
		data[rq.n_data++] = (ProtobufCBinaryData){n, (uint8_t *)d};
	size_t size = lind__request__get_packed_size(&rq);
	uint8_t *buf = malloc(size ? size : 1);
	assert(buf);
	lind__request__pack(&rq, buf);
	srv_dispatch(buf, size);
	free(buf);
}

/* The frame with the cage's id stamped over its own, as the relay does. */
static void dispatch_as(struct cage *c, const uint8_t *msg, size_t len)
{
	if (len == 0)
		return;
	if (msg[0] & 1) {
		build_request(msg + 1, len - 1, c->id);
		return;
	}
	const uint8_t *frame = msg + 1;
	len--;
	Lind__Request *rq = lind__request__unpack(NULL, len, frame);
	if (!rq) {
		srv_dispatch(frame, len); /* must be dropped quietly */
		return;
	}
	rq->cage_id = c->id;
	size_t n = lind__request__get_packed_size(rq);
	uint8_t *buf = malloc(n ? n : 1);
	assert(buf);
	lind__request__pack(rq, buf);
	lind__request__free_unpacked(rq, NULL);
	srv_dispatch(buf, n);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned run;
	char dir[128];
	snprintf(dir, sizeof dir, "%s/%u", base, run++);
	int fds_before = fuzz_count_fds();
	server_start(dir);
	struct cage *c = cage_with_stdio();
	uint64_t id = c->id;
	struct fuzz_split in = {data, size};
	const uint8_t *frame;
	size_t len;
	for (int k = 0; k < 64 && fuzz_next(&in, &frame, &len); k++) {
		dispatch_as(c, frame, len);
		ev_run(srv.loop, EVRUN_NOWAIT);
		/* exit_group ends it (a top-level cage is reaped at once) */
		struct cage *now = cage_find(id);
		assert(!now || now == c);
		if (!now || c->state != CAGE_RUNNING)
			break;
	}
	server_stop();
	assert(fuzz_count_fds() == fds_before);
	/* whatever the calls did, the store they left loads again */
	server_start(dir);
	server_stop();
	fuzz_rmrf(dir);
	return 0;
}
