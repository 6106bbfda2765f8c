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
 * bridge_control.c has the Control messages.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nanomsg/nn.h>

#include "bridge.h"
#include "common.h"
#include "futex.h"
#include "link.h"
#include "link_stdio.h"
#include "ring.h"

struct bridge bridge = {.nn = -1, .stop = -1, .srv = -1, .bell = -1};

void bridge_bell(void)
{
	uint64_t one = 1;
	(void)!write(bridge.bell, &one, sizeof one);
}

/* ---- replies: a thread sleeps on the reply ring as the relay's does ----- */

static void *replier_main(void *arg)
{
	(void)arg;
	struct lind_ring *ring = &bridge.rings->rep;
	while (!atomic_load(&bridge.reply_stop)) {
		const void *p;
		uint32_t len;
		if ((p = lind_ring_peek(ring, &len))) {
			link_send(bridge.nn, LINK_REP, p, len, NULL, 0);
			if (lind_ring_release(ring))
				bridge_bell(); /* the server waits for room */
			continue;
		}
		lind_ring_sleep(ring, 500);
	}
	return NULL;
}

static void forward_request(const uint8_t *p, size_t len)
{
	if (!bridge.rings || len > LIND_MAX_FRAME)
		return;
	void *slot;
	while (!(slot = lind_ring_reserve(&bridge.rings->req, (uint32_t)len))) {
		bridge_bell(); /* full: the server is behind (or stopped: give up) */
		struct pollfd p = {.fd = bridge.stop, .events = POLLIN};
		if (poll(&p, 1, 1) > 0)
			return;
	}
	memcpy(slot, p, len);
	if (lind_ring_commit(&bridge.rings->req, (uint32_t)len))
		bridge_bell();
}

/* ---- rings ----------------------------------------------------------------- */

int bridge_map_rings(int fd)
{
	void *p;
	int rc = lind_shm_map(fd, sizeof *bridge.rings, &p);
	if (rc < 0)
		return rc;
	bridge.rings = p;
	if (bridge.rings->req.size != LIND_RING_BYTES ||
	    bridge.rings->rep.size != LIND_RING_BYTES)
		return -EPROTO;
	atomic_store(&bridge.reply_stop, 0);
	rc = pthread_create(&bridge.replier, NULL, replier_main, NULL);
	bridge.replying = rc == 0;
	return -rc;
}

/* ---- sessions ----------------------------------------------------------- */

/* false: the relay said goodbye, or a new handshake began (the relay was
 * restarted: PAIR took its new connection in place of the old; that
 * message is kept in bridge.first). */
static bool from_relay(void)
{
	void *m = NULL;
	long n;
	while ((n = link_recv(bridge.nn, &m, NN_DONTWAIT)) > 0) {
		const uint8_t *p = m;
		bridge.heard = lind_now_ns();
		if (p[0] == LINK_BYE) {
			nn_freemsg(m);
			return false;
		}
		if (p[0] == LINK_AUTH) {
			bridge.first = m;
			bridge.first_len = (size_t)n;
			return false;
		}
		if (p[0] == LINK_REQ)
			forward_request(p + 1, (size_t)n - 1);
		else if (p[0] == LINK_CTL)
			bridge_on_control(p + 1, (size_t)n - 1);
		else if (p[0] == LINK_DATA || p[0] == LINK_ACK)
			link_streams_on_msg(&bridge.ss, p, (size_t)n);
		nn_freemsg(m);
	}
	return true;
}

/* the link's fds and every stream (static: one thread uses them) */
#define NPOLL (3 + LINK_MAX_STREAMS)

/* One round of a session; false when it is over (why says so). */
static bool step(const char **why)
{
	static struct pollfd p[NPOLL];
	static struct link_stream *who[NPOLL];
	p[0] = (struct pollfd){.fd = bridge.nnfd, .events = POLLIN};
	p[1] = (struct pollfd){.fd = bridge.stop, .events = POLLIN};
	p[2] = (struct pollfd){.fd = bridge.srv, .events = POLLIN};
	int ns = link_streams_poll(&bridge.ss, p + 3, who, NPOLL - 3);
	if (poll(p, 3 + (nfds_t)ns, LINK_PING_MS) < 0 && errno != EINTR)
		return false;
	if (p[1].revents) {
		*why = "server shutting down";
		link_send(bridge.nn, LINK_BYE, NULL, 0, NULL, 0);
		return false;
	}
	if (p[0].revents && !from_relay()) {
		*why = bridge.first ? "a new relay connected" : "the relay stops";
		return false;
	}
	if (p[2].revents && !bridge_from_server()) {
		*why = "posix-server closed the link";
		return false;
	}
	for (int i = 0; i < ns; i++)
		if (p[3 + i].revents)
			link_stream_ready(&bridge.ss, who[i], p[3 + i].revents);
	uint64_t now = lind_now_ns();
	if (now - bridge.said >= LINK_PING_MS * 1000000ull) {
		link_send(bridge.nn, LINK_PING, NULL, 0, NULL, 0);
		bridge.said = now;
	}
	if (now - bridge.heard > LINK_DEAD_MS * 1000000ull) {
		*why = "the relay is silent";
		return false;
	}
	return true;
}

static void end_session(void)
{
	if (bridge.replying) {
		atomic_store(&bridge.reply_stop, 1);
		lind_futex_wake(&bridge.rings->rep.seq, INT_MAX);
		pthread_join(bridge.replier, NULL);
		bridge.replying = false;
	}
	link_streams_clear(&bridge.ss);
	if (bridge.rings)
		munmap(bridge.rings, sizeof *bridge.rings);
	bridge.rings = NULL;
	if (bridge.bell >= 0)
		close(bridge.bell);
	if (bridge.srv >= 0) /* the server frees the relay's cages */
		close(bridge.srv);
	bridge.bell = bridge.srv = -1;
	if (bridge.first) /* the same socket goes on with that handshake */
		return;
	if (bridge.nn >= 0)
		nn_close(bridge.nn);
	bridge.nn = -1;
}

/* Binds the link again (a closed socket may hold the port a moment). */
static bool rebind(void)
{
	for (int tries = 0; bridge.nn < 0; tries++) {
		bridge.nn = link_socket(bridge.url, true);
		if (bridge.nn >= 0)
			break;
		if (tries == 50) {
			lind_log(0, "cannot bind %s: %s", bridge.url, nn_strerror(-bridge.nn));
			return false;
		}
		struct pollfd p = {.fd = bridge.stop, .events = POLLIN};
		if (poll(&p, 1, 100) > 0)
			return false;
	}
	bridge.nnfd = link_recv_fd(bridge.nn);
	bridge.ss.sock = bridge.nn;
	return true;
}

/* Waits for a peer's first message; true once it passed the handshake. */
static bool admit(void)
{
	struct pollfd p[2] = {{.fd = bridge.nnfd, .events = POLLIN},
			      {.fd = bridge.stop, .events = POLLIN}};
	while (!bridge.first && poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return false;
	void *m = bridge.first;
	long n = (long)bridge.first_len;
	bridge.first = NULL;
	if (!m && (p[1].revents || (n = link_recv(bridge.nn, &m, NN_DONTWAIT)) < 0))
		return false;
	char why[160];
	int rc = link_auth_bridge(bridge.nn, &bridge.key, m, (size_t)n, why, sizeof why);
	nn_freemsg(m);
	if (rc < 0)
		lind_log(0, "%s: refused a peer: %s", bridge.url, why);
	return rc == 0;
}

static void *bridge_main(void *arg)
{
	(void)arg;
	while (rebind()) {
		if (admit()) {
			lind_log(0, "%s: a relay connected", bridge.url);
			bridge.heard = bridge.said = lind_now_ns();
			const char *why = "error";
			while (step(&why))
				;
			lind_log(0, "%s: session over: %s", bridge.url, why);
		}
		end_session();
		struct pollfd p = {.fd = bridge.stop, .events = POLLIN};
		if (poll(&p, 1, 0) > 0)
			break;
	}
	end_session();
	return NULL;
}

int bridge_start(const char *url, const char *secret, const char *server_sock)
{
	char why[300];
	int rc = link_key_load(secret, &bridge.key, why, sizeof why);
	if (rc < 0) {
		lind_log(0, "secret: %s", why);
		return rc;
	}
	snprintf(bridge.url, sizeof bridge.url, "%s", url);
	snprintf(bridge.sock, sizeof bridge.sock, "%s", server_sock);
	bridge.nn = link_socket(url, true);
	if (bridge.nn < 0) {
		lind_log(0, "cannot listen on %s: %s", url, nn_strerror(-bridge.nn));
		return bridge.nn;
	}
	bridge.stop = eventfd(0, EFD_CLOEXEC);
	if (bridge.stop < 0)
		return -errno;
	/* signals belong to the server's loop */
	sigset_t all, old;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&bridge.thread, NULL, bridge_main, NULL);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc)
		return -rc;
	bridge.running = true;
	lind_log(0, "remote relays: listening on %s", url);
	return 0;
}

void bridge_stop(void)
{
	if (bridge.running) {
		uint64_t one = 1;
		(void)!write(bridge.stop, &one, sizeof one);
		pthread_join(bridge.thread, NULL);
		bridge.running = false;
	}
	if (bridge.first)
		nn_freemsg(bridge.first);
	bridge.first = NULL;
	end_session();
	if (bridge.stop >= 0)
		close(bridge.stop);
	bridge.stop = -1;
	explicit_bzero(&bridge.key, sizeof bridge.key);
}
