/*
 * The server's Control handling (posix-server/loop.c on_relay: HELLO,
 * CAGE_NEW, CAGE_GONE), driven as the relay drives it: the harness
 * connects to server.sock of an in-process server (srv_loop_open on a temp
 * runtime dir, a scratch store) and sends each message of the input
 * ([u16 len][message]..., fuzz.h) on that socket, running the loop after
 * each.  A message's first byte says how many fds (0-3, low two bits) ride
 * with it, as a relay sends a cage's stdio with CAGE_NEW; the rest is the
 * Control frame.  Every answer must decode as a Control.
 * Oracle: once the harness hangs up, the server drops every cage, and
 * every host fd it was given or opened is closed again.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../../posix-server/cage.h"
#include "../../posix-server/server.h"
#include "../../posix-server/store.h"
#include "../../posix-server/vfs.h"
#include "common.h"
#include "fuzz.h"
#include "lind.pb-c.h"
#include "protocol.h"

static char base[64], sock[128];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lind_log_init("fuzz_control");
	signal(SIGPIPE, SIG_IGN);
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(base, sizeof base, "%s/lind-fuzz-XXXXXX", tmp);
	assert(mkdtemp(base));
	fuzz_scratch = base;
	atexit(fuzz_cleanup);
	char store[128];
	snprintf(store, sizeof store, "%s/store", base);
	srv.loop = ev_default_loop(0);
	int rc = store_open(store, &srv.store);
	assert(rc == 0);
	srv.vfs = vfs_new(srv.store);
	assert(srv.vfs && store_load(srv.store, srv.vfs) == 0);
	rc = srv_loop_open(base);
	assert(rc == 0);
	snprintf(sock, sizeof sock, "%s/%s", base, LIND_SERVER_SOCK);
	return 0;
}

/* Reads every answer waiting; each must be a Control. */
static void read_answers(int fd)
{
	uint8_t buf[8192];
	for (;;) {
		int fds[8], nfds = 8;
		long n = lind_recv_msg(fd, buf, sizeof buf, fds, &nfds);
		if (n < 0 && n != -EMSGSIZE)
			return;
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		if (n <= 0)
			return;
		Lind__Control *m = lind__control__unpack(NULL, (size_t)n, buf);
		assert(m);
		lind__control__free_unpacked(m, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int before = fuzz_count_fds();
	int fd = lind_connect_seqpacket(sock);
	assert(fd >= 0);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	ev_run(srv.loop, EVRUN_NOWAIT); /* accept */
	struct fuzz_split in = {data, size};
	const uint8_t *msg;
	size_t len;
	for (int k = 0; k < 32 && fuzz_next(&in, &msg, &len); k++) {
		if (len == 0)
			continue; /* an empty datagram reads as the relay's EOF */
		fuzz_send_with_fds(fd, msg + 1, len - 1, msg[0] & 3);
		ev_run(srv.loop, EVRUN_NOWAIT);
		read_answers(fd);
	}
	close(fd);
	ev_run(srv.loop, EVRUN_NOWAIT); /* the relay is gone */
	assert(cage_count() == 0);
	assert(fuzz_count_fds() == before);
	return 0;
}
