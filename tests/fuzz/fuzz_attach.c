/*
 * The relay's attach handshake (nacl-relay/attach.c), driven through its
 * public entry points as a cage drives it: relay_attach_listen/start on a
 * temp runtime dir, a connect to relay.sock, and the input's message sent
 * as the cage's first frame.  The input's first byte says how many fds
 * (0-3, low two bits) ride with it, as a cage sends its stdio; the rest is
 * the Attach frame.  The harness plays posix-server on a socketpair: it
 * reads the CAGE_NEW the relay sent and gives the relay its answer
 * (CAGE_NEW_OK with the same attach_id), as nacl-relay/main.c would.
 * Oracle: the cage gets one AttachReply that decodes, with a channel fd
 * and a bell exactly when it got a cage id; the server saw CAGE_NEW only for an
 * accepted cage, and CAGE_GONE for it once the cage hangs up; no fd,
 * thread or connection is left behind.
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

#include "../../nacl-relay/relay.h"
#include "common.h"
#include "fuzz.h"
#include "lind.pb-c.h"
#include "protocol.h"

static struct relay R;
static int server_end; /* the harness's side of R.server_fd */
static uint64_t next_cage = 2;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lind_log_init("fuzz_attach");
	signal(SIGPIPE, SIG_IGN);
	relay_init(&R);
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(R.rundir, sizeof R.rundir, "%s/lind-fuzz-XXXXXX", tmp);
	assert(mkdtemp(R.rundir));
	fuzz_scratch = R.rundir;
	atexit(fuzz_cleanup);
	snprintf(R.relay_sock, sizeof R.relay_sock, "%s/%s", R.rundir,
		 LIND_RELAY_SOCK);
	R.loop = ev_default_loop(0);
	atomic_store(&R.trace_until, UINT64_MAX); /* notes run; no pub_sock */
	int sv[2];
	int rc = socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv);
	assert(rc == 0);
	R.server_fd = sv[0];
	server_end = sv[1];
	fcntl(server_end, F_SETFL, O_NONBLOCK);
	rc = relay_attach_listen(&R);
	assert(rc == 0);
	R.nworkers = 2;
	rc = relay_pool_start(&R);
	assert(rc == 0);
	relay_attach_start(&R);
	return 0;
}

/* Counts what the relay sent the server, by kind; closes passed fds;
 * the last CAGE_NEW's attach_id goes to *attach_id. */
static void server_reads(unsigned kinds[8], uint64_t *attach_id)
{
	uint8_t buf[8192];
	for (;;) {
		int fds[8], nfds = 8;
		long n = lind_recv_msg(server_end, buf, sizeof buf, fds, &nfds);
		if (n < 0)
			return;
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		Lind__Control *m = lind__control__unpack(NULL, (size_t)n, buf);
		assert(m);
		kinds[m->kind & 7]++;
		if (m->kind == LIND__CONTROL__KIND__CAGE_NEW)
			*attach_id = m->attach_id;
		lind__control__free_unpacked(m, NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int before = fuzz_count_fds();
	int fd = lind_connect_seqpacket(R.relay_sock);
	assert(fd >= 0);
	ev_run(R.loop, EVRUN_NOWAIT); /* accept */

	fuzz_send_with_fds(fd, data + 1, size - 1, data[0] & 3);
	ev_run(R.loop, EVRUN_NOWAIT);
	unsigned kinds[8] = {0};
	uint64_t attach_id = 0;
	server_reads(kinds, &attach_id);
	assert(kinds[LIND__CONTROL__KIND__CAGE_NEW] <= 1);
	if (kinds[LIND__CONTROL__KIND__CAGE_NEW]) {
		assert(attach_id != 0);
		Lind__Control ok = LIND__CONTROL__INIT;
		ok.kind = LIND__CONTROL__KIND__CAGE_NEW_OK;
		ok.version = LIND_PROTO_VERSION;
		ok.cage_id = next_cage;
		ok.attach_id = attach_id;
		relay_attach_answer(&R, &ok); /* as main.c's server_cb */
	}

	uint8_t buf[8192];
	int fds[4], nfds = 4;
	fcntl(fd, F_SETFL, O_NONBLOCK);
	long n = lind_recv_msg(fd, buf, sizeof buf, fds, &nfds);
	uint64_t cage = 0;
	if (n > 0) {
		Lind__AttachReply *rep =
			lind__attach_reply__unpack(NULL, (size_t)n, buf);
		assert(rep);
		cage = rep->cage_id;
		assert(cage == 0 || cage == next_cage);
		assert(nfds == (cage ? 2 : 0)); /* the channel, the bell */
		assert(!cage == !!rep->error[0]);
		lind__attach_reply__free_unpacked(rep, NULL);
	} else {
		/* hung up without a word: an empty or unreadable frame */
		assert(n == 0 || n == -EAGAIN);
		nfds = 0;
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]);
	/* asked the server exactly when the cage was accepted */
	assert(kinds[LIND__CONTROL__KIND__CAGE_NEW] == (cage ? 1u : 0u));
	if (cage)
		next_cage++;

	close(fd); /* the cage is gone */
	ev_run(R.loop, EVRUN_NOWAIT);
	memset(kinds, 0, sizeof kinds);
	server_reads(kinds, &attach_id);
	assert(kinds[LIND__CONTROL__KIND__CAGE_GONE] == (cage ? 1u : 0u));
	assert(R.conns == NULL && R.ncages == 0);
	assert(fuzz_count_fds() == before);
	return 0;
}
