/*
 * nacl-relay --server tcp://HOST:PORT: the transport seam.  A thread
 * stands in for posix-server: the relay connects to it as to server.sock
 * (a socketpair), gets rings and a doorbell from it as from the server,
 * and everything else in the relay (checks, stamping, routing, attach) is
 * the local code.  The thread moves frames and Control messages over the
 * remote link (proto/link.h) to the bridge beside the server, and pumps
 * the cages' stdio (proto/link_stdio.h), whose host fds stay here.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nanomsg/nn.h>

#include "futex.h"
#include "link.h"
#include "link_stdio.h"
#include "relay.h"
#include "ring.h"

struct pending {
	struct pending *next;
	uint32_t len;
	uint8_t buf[];
};

static struct {
	int nn, nnfd;
	int ctl;  /* our end of the relay's "server.sock" */
	int bell; /* the relay's doorbell to us */
	struct lind_rings *rings;
	struct pending *pend, **pend_tail;
	struct link_streams ss;
	uint64_t heard, said; /* monotonic ns */
	pthread_t thread;
	bool running;
	bool bye; /* the server stops */
} X = {.nn = -1, .ctl = -1, .bell = -1};

/* ---- frames ------------------------------------------------------------- */

static void drain_requests(void)
{
	const void *rec;
	uint32_t len;
	while ((rec = lind_ring_peek(&X.rings->req, &len))) {
		link_send(X.nn, LINK_REQ, rec, len, NULL, 0);
		/* a relay finding the ring full polls for room itself */
		(void)lind_ring_release(&X.rings->req);
	}
}

static bool put_reply(const void *p, uint32_t len)
{
	void *slot = lind_ring_reserve(&X.rings->rep, len);
	if (!slot)
		return false;
	memcpy(slot, p, len);
	if (lind_ring_commit(&X.rings->rep, len))
		lind_futex_wake(&X.rings->rep.seq, INT_MAX);
	return true;
}

/* Replies that found the ring full, in order, once the relay drained. */
static void flush_pending(void)
{
	while (X.pend && put_reply(X.pend->buf, X.pend->len)) {
		struct pending *p = X.pend;
		X.pend = p->next;
		free(p);
	}
	if (!X.pend)
		X.pend_tail = &X.pend;
}

static void on_reply(const uint8_t *p, size_t len)
{
	if (!X.rings || len > LIND_MAX_FRAME)
		return;
	if (!X.pend && put_reply(p, (uint32_t)len))
		return;
	struct pending *q = malloc(sizeof *q + len);
	if (!q) {
		lind_log(0, "out of memory: a reply dropped");
		return;
	}
	q->next = NULL;
	q->len = (uint32_t)len;
	memcpy(q->buf, p, len);
	*X.pend_tail = q;
	X.pend_tail = &q->next;
}

/* ---- Control ------------------------------------------------------------ */

/* The bridge said HELLO_OK: the relay gets rings and a doorbell of ours. */
static void hello_ok(Lind__Control *m)
{
	int fd;
	void *p;
	int rc = lind_shm_create("lind-remote-ring", sizeof *X.rings, &fd, &p);
	if (rc == 0 && (X.bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
		rc = -errno;
		munmap(p, sizeof *X.rings);
		close(fd);
	}
	if (rc < 0) {
		lind_log(0, "cannot create the rings: %s", strerror(-rc));
		return; /* the relay times out waiting */
	}
	X.rings = p;
	X.rings->magic = LIND_CHAN_MAGIC;
	X.rings->version = LIND_PROTO_VERSION;
	lind_ring_init(&X.rings->req);
	lind_ring_init(&X.rings->rep);
	int fds[2] = {fd, X.bell};
	lind_send_msg(X.ctl, &m->base, fds, 2);
	close(fd);
}

static void on_control(const uint8_t *p, size_t len)
{
	Lind__Control *m = lind__control__unpack(NULL, len, p);
	if (!m)
		return;
	if (m->kind == LIND__CONTROL__KIND__HELLO_OK && !X.rings) {
		hello_ok(m);
	} else {
		if (m->kind == LIND__CONTROL__KIND__ERROR && m->attach_id)
			link_streams_drop(&X.ss, m->attach_id);
		lind_send_msg(X.ctl, &m->base, NULL, 0);
	}
	lind__control__free_unpacked(m, NULL);
}

/* A memfd holding len bytes, opened with the access mode the server's fd
 * had (a read-only file stays read-only: mprotect to write fails). */
static int copy_fd(const uint8_t *p, size_t len, uint32_t mode)
{
	int fd = memfd_create("lind-remote-map", MFD_CLOEXEC);
	size_t off = 0;
	while (fd >= 0 && off < len) {
		ssize_t n = write(fd, p + off, len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	if (fd >= 0 && off < len) {
		close(fd);
		return -1;
	}
	if (fd >= 0 && mode == O_RDONLY) {
		char self[64];
		snprintf(self, sizeof self, "/proc/self/fd/%d", fd);
		int ro = open(self, O_RDONLY | O_CLOEXEC);
		close(fd);
		fd = ro;
	}
	return fd;
}

/* CAGE_FD: the server's fd cannot cross hosts; its bytes did.  The cage
 * maps a private copy (docs/architecture.md "Remote relays"). */
static void on_fd(const uint8_t *p, size_t len)
{
	uint32_t clen, mode;
	if (len < 8 || (memcpy(&clen, p, 4), clen > len - 8))
		return;
	memcpy(&mode, p + 4, 4);
	Lind__Control *m = lind__control__unpack(NULL, clen, p + 8);
	int fd = m ? copy_fd(p + 8 + clen, len - 8 - clen, mode) : -1;
	if (fd >= 0)
		lind_send_msg(X.ctl, &m->base, &fd, 1);
	else
		lind_log(0, "cannot copy a mapped file: %s", strerror(errno));
	if (fd >= 0)
		close(fd);
	if (m)
		lind__control__free_unpacked(m, NULL);
}

static void refuse(const Lind__Control *in, const char *why)
{
	Lind__Control e = LIND__CONTROL__INIT;
	e.kind = LIND__CONTROL__KIND__ERROR;
	e.version = LIND_PROTO_VERSION;
	e.error = (char *)why;
	e.attach_id = in->attach_id;
	lind_send_msg(X.ctl, &e.base, NULL, 0);
}

/* A new cage: its stdio fds stay here and are pumped; the Control goes. */
static void cage_new(Lind__Control *m, int *fds, int nfds)
{
	if (m->n_binds) {
		refuse(m, "lind-run --bind needs posix-server on this host");
		return;
	}
	int k = 0;
	for (int i = 0; i < 3 && k < nfds; i++)
		if (m->stdio_mask & (1u << i)) {
			link_stream_add(&X.ss, m->attach_id, i, fds[k], i == 0);
			fds[k++] = -1;
		}
	link_send_ctl(X.nn, m);
}

/* false: the relay closed its end */
static bool from_relay(void)
{
	uint8_t buf[8192];
	int fds[LIND_MAX_FDS], nfds = LIND_MAX_FDS;
	long n = lind_recv_msg(X.ctl, buf, sizeof buf, fds, &nfds);
	if (n == -EAGAIN || n == -EINTR)
		return true;
	Lind__Control *m = n > 0 ? lind__control__unpack(NULL, (size_t)n, buf)
				 : NULL;
	if (m && m->kind == LIND__CONTROL__KIND__CAGE_NEW && !m->fork_token)
		cage_new(m, fds, nfds);
	else if (m)
		link_send_ctl(X.nn, m);
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (m)
		lind__control__free_unpacked(m, NULL);
	return n > 0;
}

static void from_bridge(void)
{
	void *m = NULL;
	long n;
	while ((n = link_recv(X.nn, &m, NN_DONTWAIT)) > 0) {
		const uint8_t *p = m;
		X.heard = lind_now_ns();
		if (p[0] == LINK_REP)
			on_reply(p + 1, (size_t)n - 1);
		else if (p[0] == LINK_CTL)
			on_control(p + 1, (size_t)n - 1);
		else if (p[0] == LINK_FD)
			on_fd(p + 1, (size_t)n - 1);
		else if (p[0] == LINK_DATA || p[0] == LINK_ACK)
			link_streams_on_msg(&X.ss, p, (size_t)n);
		else if (p[0] == LINK_BYE)
			X.bye = true;
		nn_freemsg(m);
	}
}

/* ---- the thread --------------------------------------------------------- */

/* the link's fds and every stream (static: one thread uses them) */
#define NPOLL (3 + LINK_MAX_STREAMS)
_Static_assert(LINK_MAX_STREAMS >= 3 * RELAY_MAX_CHANS,
	       "every cage's stdio is polled");

static bool step(void)
{
	static struct pollfd p[NPOLL];
	static struct link_stream *who[NPOLL];
	p[0] = (struct pollfd){.fd = X.ctl, .events = POLLIN};
	p[1] = (struct pollfd){.fd = X.nnfd, .events = POLLIN};
	p[2] = (struct pollfd){.fd = X.bell, .events = POLLIN};
	int ns = link_streams_poll(&X.ss, p + 3, who, NPOLL - 3);
	bool sleep = !X.rings || !lind_ring_prepare_sleep(&X.rings->req);
	if (poll(p, 3 + (nfds_t)ns, sleep ? LINK_PING_MS : 0) < 0 && errno != EINTR)
		return false;
	if (X.rings) {
		lind_ring_awake(&X.rings->req);
		if (p[2].revents) {
			uint64_t v;
			(void)!read(X.bell, &v, sizeof v);
			flush_pending();
		}
		drain_requests();
	}
	if (p[1].revents)
		from_bridge();
	for (int i = 0; i < ns; i++)
		if (p[3 + i].revents)
			link_stream_ready(&X.ss, who[i], p[3 + i].revents);
	uint64_t now = lind_now_ns(); /* after X.heard moved */
	if (now - X.said >= LINK_PING_MS * 1000000ull) {
		link_send(X.nn, LINK_PING, NULL, 0, NULL, 0);
		X.said = now;
	}
	if (X.bye) {
		lind_log(0, "the remote posix-server stops");
		return false;
	}
	if (now - X.heard > LINK_DEAD_MS * 1000000ull) {
		lind_log(0, "the remote posix-server is silent: link lost");
		return false;
	}
	return !(p[0].revents & (POLLIN | POLLHUP)) || from_relay();
}

static void *remote_main(void *arg)
{
	(void)arg;
	X.heard = X.said = lind_now_ns();
	while (step())
		;
	link_send(X.nn, LINK_BYE, NULL, 0, NULL, 0);
	/* the relay sees its "server.sock" close and ends as for a server */
	shutdown(X.ctl, SHUT_RDWR);
	return NULL;
}

int relay_remote_open(const char *url, const char *secret, int *fd_out)
{
	struct link_key key;
	char why[300];
	int rc = link_key_load(secret, &key, why, sizeof why);
	if (rc < 0) {
		lind_log(0, "secret: %s", why);
		return rc;
	}
	X.pend_tail = &X.pend;
	X.nn = link_socket(url, false);
	if (X.nn < 0) {
		lind_log(0, "cannot connect %s: %s", url, nn_strerror(-X.nn));
		return X.nn;
	}
	rc = link_auth_relay(X.nn, &key, why, sizeof why);
	explicit_bzero(&key, sizeof key);
	if (rc < 0) {
		lind_log(0, "%s: handshake failed: %s", url, why);
		return rc;
	}
	X.ss.sock = X.nn;
	X.nnfd = link_recv_fd(X.nn);
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return -errno;
	X.ctl = sv[0];
	*fd_out = sv[1];
	rc = relay_thread_start(&X.thread, remote_main, NULL);
	if (rc < 0)
		return rc;
	X.running = true;
	lind_log(0, "connected to posix-server at %s", url);
	return 0;
}

void relay_remote_close(void)
{
	if (X.running)
		pthread_join(X.thread, NULL);
	X.running = false;
	link_streams_clear(&X.ss);
	while (X.pend) {
		struct pending *p = X.pend;
		X.pend = p->next;
		free(p);
	}
	if (X.rings)
		munmap(X.rings, sizeof *X.rings);
	X.rings = NULL;
	if (X.bell >= 0)
		close(X.bell);
	if (X.ctl >= 0)
		close(X.ctl);
	if (X.nn >= 0)
		nn_close(X.nn);
	X.bell = X.ctl = X.nn = -1;
}
