/*
 * The bridge: a remote relay's way in.  A thread of posix-server that is,
 * to the server's core, one more local relay: it connects server.sock,
 * says HELLO, maps the rings and rings the doorbell.  On the other side it
 * holds the remote link (proto/link.h, a nanomsg PAIR socket bound to
 * --listen), one authenticated relay at a time: frames go into the request
 * ring as they came (stamped by that relay), replies go back by tag, and
 * Control messages cross without fds: a cage's stdio becomes pipes pumped
 * over the link (proto/link_stdio.h), a CAGE_FD becomes the file's bytes.
 * A relay silent for LINK_DEAD_MS is gone: its server.sock connection
 * closes, and the server frees its cages as for a local relay.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <nanomsg/nn.h>

#include "bridge.h"
#include "common.h"
#include "futex.h"
#include "link.h"
#include "link_stdio.h"
#include "ring.h"

static struct {
	char url[PATH_MAX], sock[PATH_MAX];
	struct link_key key;
	int nn, nnfd;
	int stop; /* eventfd: the server shuts down */
	int srv;  /* our server.sock connection during a session */
	int bell;
	struct lind_rings *rings;
	struct link_streams ss;
	uint64_t heard, said;
	void *first; /* a handshake's first message, received in a session */
	size_t first_len;
	pthread_t thread, replier;
	bool running, replying;
	_Atomic int reply_stop;
} B = {.nn = -1, .stop = -1, .srv = -1, .bell = -1};

static void bell(void)
{
	uint64_t one = 1;
	(void)!write(B.bell, &one, sizeof one);
}

/* ---- replies: a thread sleeps on the reply ring as the relay's does ----- */

static void *replier_main(void *arg)
{
	(void)arg;
	struct lind_ring *ring = &B.rings->rep;
	while (!atomic_load(&B.reply_stop)) {
		const void *p;
		uint32_t len;
		if ((p = lind_ring_peek(ring, &len))) {
			link_send(B.nn, LINK_REP, p, len, NULL, 0);
			if (lind_ring_release(ring))
				bell(); /* the server waits for room */
			continue;
		}
		lind_ring_sleep(ring, 500);
	}
	return NULL;
}

static void forward_request(const uint8_t *p, size_t len)
{
	if (!B.rings || len > LIND_MAX_FRAME)
		return;
	void *slot;
	while (!(slot = lind_ring_reserve(&B.rings->req, (uint32_t)len))) {
		bell(); /* full: the server is behind (or stopped: give up) */
		struct pollfd p = {.fd = B.stop, .events = POLLIN};
		if (poll(&p, 1, 1) > 0)
			return;
	}
	memcpy(slot, p, len);
	if (lind_ring_commit(&B.rings->req, (uint32_t)len))
		bell();
}

/* ---- Control ------------------------------------------------------------ */

static void refuse(uint64_t attach_id, const char *why)
{
	Lind__Control e = LIND__CONTROL__INIT;
	e.kind = LIND__CONTROL__KIND__ERROR;
	e.version = LIND_PROTO_VERSION;
	e.error = (char *)why;
	e.attach_id = attach_id;
	link_send_ctl(B.nn, &e);
}

static int map_rings(int fd)
{
	void *p;
	int rc = lind_shm_map(fd, sizeof *B.rings, &p);
	if (rc < 0)
		return rc;
	B.rings = p;
	if (B.rings->req.size != LIND_RING_BYTES ||
	    B.rings->rep.size != LIND_RING_BYTES)
		return -EPROTO;
	atomic_store(&B.reply_stop, 0);
	rc = pthread_create(&B.replier, NULL, replier_main, NULL);
	B.replying = rc == 0;
	return -rc;
}

/* The relay's HELLO: we connect server.sock as a relay and pass on what
 * the server answers (its ring and doorbell stay with us). */
static void hello(Lind__Control *m)
{
	B.srv = lind_connect_seqpacket(B.sock);
	struct pollfd p = {.fd = B.srv, .events = POLLIN};
	uint8_t buf[8192];
	int fds[2] = {-1, -1}, nfds = 2;
	long n = -EPROTO;
	if (B.srv >= 0 && lind_send_msg(B.srv, &m->base, NULL, 0) == 0 &&
	    poll(&p, 1, LINK_DEAD_MS) == 1)
		n = lind_recv_msg(B.srv, buf, sizeof buf, fds, &nfds);
	Lind__Control *a = n > 0 ? lind__control__unpack(NULL, (size_t)n, buf)
				 : NULL;
	if (a && a->kind == LIND__CONTROL__KIND__HELLO_OK && nfds == 2 &&
	    map_rings(fds[0]) == 0) {
		B.bell = fds[1];
		fds[1] = -1;
		link_send_ctl(B.nn, a);
	} else {
		refuse(0, a && a->error[0] ? a->error : "posix-server refused");
		if (B.srv >= 0)
			close(B.srv);
		B.srv = -1;
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (a)
		lind__control__free_unpacked(a, NULL);
}

/* Pipes stand in for the cage's stdio: the server gets one end of each,
 * the other is pumped to the relay's host. */
static int stdio_pipes(const Lind__Control *m, int *server_ends)
{
	int n = 0;
	for (int i = 0; i < 3; i++) {
		if (!(m->stdio_mask & (1u << i)))
			continue;
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		int ours = i == 0 ? p[1] : p[0];
		server_ends[n++] = i == 0 ? p[0] : p[1];
		fcntl(ours, F_SETFL, O_NONBLOCK);
		link_stream_add(&B.ss, m->attach_id, i, ours, i != 0);
	}
	return n;
}

static void cage_new(Lind__Control *m)
{
	int fds[3], n = 0;
	/* a host pid of the relay's host means nothing here (and must not
	 * reach a process of ours: /proc, setpriority) */
	m->host_pid = 0;
	if (m->n_binds) {
		refuse(m->attach_id, "lind-run --bind needs posix-server on this host");
		return;
	}
	if (!m->fork_token && (n = stdio_pipes(m, fds)) < 0) {
		link_streams_drop(&B.ss, m->attach_id);
		refuse(m->attach_id, "posix-server's host: out of pipes");
		return;
	}
	if (lind_send_msg(B.srv, &m->base, fds, n) < 0)
		link_streams_drop(&B.ss, m->attach_id);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

static void on_control(const uint8_t *p, size_t len)
{
	Lind__Control *m = lind__control__unpack(NULL, len, p);
	if (!m)
		return;
	if (m->kind == LIND__CONTROL__KIND__HELLO && B.srv < 0)
		hello(m);
	else if (B.srv < 0)
		; /* nothing before HELLO */
	else if (m->kind == LIND__CONTROL__KIND__CAGE_NEW)
		cage_new(m);
	else if (m->kind == LIND__CONTROL__KIND__CAGE_GONE)
		lind_send_msg(B.srv, &m->base, NULL, 0);
	lind__control__free_unpacked(m, NULL);
}

/* CAGE_FD: the fd cannot cross hosts; the file's bytes do. */
static void send_fd_copy(Lind__Control *m, int fd)
{
	struct stat st;
	uint8_t *data = NULL;
	size_t got = 0;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (data = malloc((size_t)st.st_size))) {
		ssize_t n;
		while (got < (size_t)st.st_size &&
		       (n = pread(fd, data + got, (size_t)st.st_size - got,
				  (off_t)got)) > 0)
			got += (size_t)n;
	}
	uint8_t head[8 + 512];
	uint32_t clen = (uint32_t)lind__control__get_packed_size(m);
	uint32_t mode = (uint32_t)fcntl(fd, F_GETFL) & O_ACCMODE;
	if (clen <= sizeof head - 8) {
		memcpy(head, &clen, 4);
		memcpy(head + 4, &mode, 4);
		lind__control__pack(m, head + 8);
		link_send(B.nn, LINK_FD, head, 8 + clen, data, got);
	}
	free(data);
}

/* false: the server closed our connection */
static bool from_server(void)
{
	uint8_t buf[8192];
	int fd = -1, nfds = 1;
	long n = lind_recv_msg(B.srv, buf, sizeof buf, &fd, &nfds);
	if (n == -EAGAIN || n == -EINTR)
		return true;
	Lind__Control *m = n > 0 ? lind__control__unpack(NULL, (size_t)n, buf)
				 : NULL;
	if (m && m->kind == LIND__CONTROL__KIND__CAGE_FD && nfds == 1)
		send_fd_copy(m, fd);
	else if (m) {
		if (m->kind == LIND__CONTROL__KIND__ERROR && m->attach_id)
			link_streams_drop(&B.ss, m->attach_id);
		link_send_ctl(B.nn, m);
	}
	if (nfds == 1 && fd >= 0)
		close(fd);
	if (m)
		lind__control__free_unpacked(m, NULL);
	return n > 0;
}

/* ---- sessions ----------------------------------------------------------- */

/* false: the relay said goodbye, or a new handshake began (the relay was
 * restarted: PAIR took its new connection in place of the old; that
 * message is kept in B.first). */
static bool from_relay(void)
{
	void *m = NULL;
	long n;
	while ((n = link_recv(B.nn, &m, NN_DONTWAIT)) > 0) {
		const uint8_t *p = m;
		B.heard = lind_now_ns();
		if (p[0] == LINK_BYE) {
			nn_freemsg(m);
			return false;
		}
		if (p[0] == LINK_AUTH) {
			B.first = m;
			B.first_len = (size_t)n;
			return false;
		}
		if (p[0] == LINK_REQ)
			forward_request(p + 1, (size_t)n - 1);
		else if (p[0] == LINK_CTL)
			on_control(p + 1, (size_t)n - 1);
		else if (p[0] == LINK_DATA || p[0] == LINK_ACK)
			link_streams_on_msg(&B.ss, p, (size_t)n);
		nn_freemsg(m);
	}
	return true;
}

#define NPOLL 64

/* One round of a session; false when it is over (why says so). */
static bool step(const char **why)
{
	struct pollfd p[NPOLL];
	struct link_stream *who[NPOLL];
	p[0] = (struct pollfd){.fd = B.nnfd, .events = POLLIN};
	p[1] = (struct pollfd){.fd = B.stop, .events = POLLIN};
	p[2] = (struct pollfd){.fd = B.srv, .events = POLLIN};
	int ns = link_streams_poll(&B.ss, p + 3, who, NPOLL - 3);
	if (poll(p, 3 + (nfds_t)ns, LINK_PING_MS) < 0 && errno != EINTR)
		return false;
	if (p[1].revents) {
		*why = "server shutting down";
		link_send(B.nn, LINK_BYE, NULL, 0, NULL, 0);
		return false;
	}
	if (p[0].revents && !from_relay()) {
		*why = B.first ? "a new relay connected" : "the relay stops";
		return false;
	}
	if (p[2].revents && !from_server()) {
		*why = "posix-server closed the link";
		return false;
	}
	for (int i = 0; i < ns; i++)
		if (p[3 + i].revents)
			link_stream_ready(&B.ss, who[i], p[3 + i].revents);
	uint64_t now = lind_now_ns();
	if (now - B.said >= LINK_PING_MS * 1000000ull) {
		link_send(B.nn, LINK_PING, NULL, 0, NULL, 0);
		B.said = now;
	}
	if (now - B.heard > LINK_DEAD_MS * 1000000ull) {
		*why = "the relay is silent";
		return false;
	}
	return true;
}

static void end_session(void)
{
	if (B.replying) {
		atomic_store(&B.reply_stop, 1);
		lind_futex_wake(&B.rings->rep.seq, INT_MAX);
		pthread_join(B.replier, NULL);
		B.replying = false;
	}
	link_streams_clear(&B.ss);
	if (B.rings)
		munmap(B.rings, sizeof *B.rings);
	B.rings = NULL;
	if (B.bell >= 0)
		close(B.bell);
	if (B.srv >= 0) /* the server frees the relay's cages */
		close(B.srv);
	B.bell = B.srv = -1;
	if (B.first) /* the same socket goes on with that handshake */
		return;
	if (B.nn >= 0)
		nn_close(B.nn);
	B.nn = -1;
}

/* Binds the link again (a closed socket may hold the port a moment). */
static bool rebind(void)
{
	for (int tries = 0; B.nn < 0; tries++) {
		B.nn = link_socket(B.url, true);
		if (B.nn >= 0)
			break;
		if (tries == 50) {
			lind_log(0, "cannot bind %s: %s", B.url, nn_strerror(-B.nn));
			return false;
		}
		struct pollfd p = {.fd = B.stop, .events = POLLIN};
		if (poll(&p, 1, 100) > 0)
			return false;
	}
	B.nnfd = link_recv_fd(B.nn);
	B.ss.sock = B.nn;
	return true;
}

/* Waits for a peer's first message; true once it passed the handshake. */
static bool admit(void)
{
	struct pollfd p[2] = {{.fd = B.nnfd, .events = POLLIN},
			      {.fd = B.stop, .events = POLLIN}};
	while (!B.first && poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return false;
	void *m = B.first;
	long n = (long)B.first_len;
	B.first = NULL;
	if (!m && (p[1].revents || (n = link_recv(B.nn, &m, NN_DONTWAIT)) < 0))
		return false;
	char why[160];
	int rc = link_auth_bridge(B.nn, &B.key, m, (size_t)n, why, sizeof why);
	nn_freemsg(m);
	if (rc < 0)
		lind_log(0, "%s: refused a peer: %s", B.url, why);
	return rc == 0;
}

static void *bridge_main(void *arg)
{
	(void)arg;
	while (rebind()) {
		if (admit()) {
			lind_log(0, "%s: a relay connected", B.url);
			B.heard = B.said = lind_now_ns();
			const char *why = "error";
			while (step(&why))
				;
			lind_log(0, "%s: session over: %s", B.url, why);
		}
		end_session();
		struct pollfd p = {.fd = B.stop, .events = POLLIN};
		if (poll(&p, 1, 0) > 0)
			break;
	}
	end_session();
	return NULL;
}

int bridge_start(const char *url, const char *secret, const char *server_sock)
{
	char why[300];
	int rc = link_key_load(secret, &B.key, why, sizeof why);
	if (rc < 0) {
		lind_log(0, "secret: %s", why);
		return rc;
	}
	snprintf(B.url, sizeof B.url, "%s", url);
	snprintf(B.sock, sizeof B.sock, "%s", server_sock);
	B.nn = link_socket(url, true);
	if (B.nn < 0) {
		lind_log(0, "cannot listen on %s: %s", url, nn_strerror(-B.nn));
		return B.nn;
	}
	B.stop = eventfd(0, EFD_CLOEXEC);
	if (B.stop < 0)
		return -errno;
	/* signals belong to the server's loop */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&B.thread, NULL, bridge_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	B.running = true;
	lind_log(0, "remote relays: listening on %s", url);
	return 0;
}

void bridge_stop(void)
{
	if (B.running) {
		uint64_t one = 1;
		(void)!write(B.stop, &one, sizeof one);
		pthread_join(B.thread, NULL);
		B.running = false;
	}
	if (B.first)
		nn_freemsg(B.first);
	B.first = NULL;
	end_session();
	if (B.stop >= 0)
		close(B.stop);
	B.stop = -1;
	explicit_bzero(&B.key, sizeof B.key);
}
