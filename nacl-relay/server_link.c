/*
 * The relay's side of posix-server: server.sock (HELLO, CAGE_NEW,
 * CAGE_GONE), the shared request/reply rings, the server's doorbell eventfd,
 * and the one thread that drains the reply ring.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "futex.h"
#include "relay.h"
#include "ring.h"

#define CTRL_BUF 8192
#define CTRL_TIMEOUT_MS 5000

/* Wait up to timeout_ms for one Control message on the server socket. */
static Lind__Control *recv_control(struct relay *r, int timeout_ms, int *fds,
				   int *nfds)
{
	struct pollfd p = {.fd = r->server_fd, .events = POLLIN};
	int n;
	do
		n = poll(&p, 1, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n <= 0)
		return NULL;
	uint8_t buf[CTRL_BUF];
	long len = lind_recv_msg(r->server_fd, buf, sizeof buf, fds, nfds);
	if (len <= 0)
		return NULL;
	return lind__control__unpack(NULL, (size_t)len, buf);
}

static int map_rings(struct relay *r, int fd)
{
	void *p;
	int rc = lind_shm_map(fd, sizeof(struct lind_rings), &p);
	if (rc < 0)
		return rc;
	r->rings = p;
	r->rings_len = sizeof(struct lind_rings);
	/* the ring code divides by size: never trust a zero */
	if (r->rings->req.size != LIND_RING_BYTES ||
	    r->rings->rep.size != LIND_RING_BYTES)
		return -EPROTO;
	return 0;
}

int relay_server_connect(struct relay *r, const char *sock_path,
			 int timeout_ms)
{
	uint64_t deadline = lind_now_ns() + (uint64_t)timeout_ms * 1000000u;
	int fd;
	for (;;) {
		fd = lind_connect_seqpacket(sock_path);
		if (fd >= 0 || lind_now_ns() >= deadline ||
		    (fd != -ENOENT && fd != -ECONNREFUSED))
			break;
		struct timespec ts = {0, 50 * 1000000L};
		nanosleep(&ts, NULL);
	}
	if (fd < 0)
		return fd;
	return relay_server_hello(r, fd);
}

int relay_server_hello(struct relay *r, int fd)
{
	r->server_fd = fd;
	Lind__Control hello = LIND__CONTROL__INIT;
	hello.kind = LIND__CONTROL__KIND__HELLO;
	hello.version = LIND_PROTO_VERSION;
	int rc = lind_send_msg(fd, &hello.base, NULL, 0);
	if (rc < 0)
		return rc;
	int fds[2] = {-1, -1}, nfds = 2;
	Lind__Control *ans = recv_control(r, CTRL_TIMEOUT_MS, fds, &nfds);
	if (!ans) {
		lind_log(0, "posix-server did not answer HELLO");
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		return -EPROTO;
	}
	rc = 0;
	if (ans->kind == LIND__CONTROL__KIND__ERROR) {
		lind_log(0, "posix-server refused: %s", ans->error);
		rc = -EPROTO;
	} else if (ans->kind != LIND__CONTROL__KIND__HELLO_OK) {
		lind_log(0, "posix-server answered HELLO with kind %d", ans->kind);
		rc = -EPROTO;
	} else if (nfds != 2) {
		lind_log(0, "posix-server sent HELLO_OK without ring and doorbell");
		rc = -EPROTO;
	} else if ((rc = map_rings(r, fds[0])) < 0) {
		lind_log(0, "cannot map the server ring: %s", strerror(-rc));
	} else {
		r->bell_fd = fds[1]; /* the server's eventfd */
		fds[1] = -1;
		/* from now on the main loop never waits on the server */
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	lind__control__free_unpacked(ans, NULL);
	return rc;
}

static void on_server_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct relay *r = w->data;
	int rc = lind_ctlq_flush(&r->ctl_out, r->server_fd);
	if (rc < 0)
		lind_log(0, "server.sock: send: %s", strerror(-rc));
	if (!r->ctl_out.head)
		ev_io_stop(loop, w);
}

/* Never blocks the main loop: what does not fit now waits in ctl_out. */
static int send_control(struct relay *r, Lind__Control *m, const int *fds,
			int nfds)
{
	int rc = lind_ctlq_send(&r->ctl_out, r->server_fd, &m->base, fds, nfds);
	if (r->ctl_out.head && !ev_is_active(&r->server_out_io)) {
		ev_io_init(&r->server_out_io, on_server_writable, r->server_fd,
			   EV_WRITE);
		r->server_out_io.data = r;
		ev_io_start(r->loop, &r->server_out_io);
	}
	return rc;
}

int relay_server_cage_new(struct relay *r, const Lind__Attach *a, pid_t pid,
			  const struct relay_ident *id, const int *fds,
			  int nfds, uint64_t attach_id, uint64_t parent_id)
{
	if (atomic_load(&r->server_gone) || r->server_fd < 0)
		return -ENOTCONN;
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_NEW;
	m.version = LIND_PROTO_VERSION;
	m.host_pid = (uint32_t)pid;
	m.uid = id->uid;
	m.gid = id->gid;
	m.host_uid = id->host_uid;
	m.host_gid = id->host_gid;
	m.n_groups = id->ngroups;
	m.groups = (uint32_t *)id->groups;
	m.stdio_mask = a->stdio_mask;
	m.n_argv = a->n_argv;
	m.argv = a->argv;
	m.n_binds = a->n_binds;
	m.binds = a->binds;
	m.exe = a->exe;
	m.net = a->net; /* a forked child's: the server keeps its parent's */
	m.n_publish = a->n_publish; /* likewise */
	m.publish = a->publish;
	m.attach_id = attach_id;
	m.fork_token = a->fork_token;
	m.parent_id = parent_id;
	int rc = send_control(r, &m, fds, nfds);
	if (rc == -EMSGSIZE) { /* argv too long for a Control: leave it out */
		m.n_argv = 0;
		rc = send_control(r, &m, fds, nfds);
	}
	return rc;
}

void relay_server_embryo_gone(struct relay *r, uint64_t token,
			      uint64_t parent_id)
{
	if (atomic_load(&r->server_gone) || r->server_fd < 0)
		return;
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_GONE;
	m.fork_token = token;
	m.parent_id = parent_id;
	send_control(r, &m, NULL, 0);
}

void relay_server_cage_gone(struct relay *r, uint64_t cage_id)
{
	if (atomic_load(&r->server_gone) || r->server_fd < 0)
		return;
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_GONE;
	m.cage_id = cage_id;
	int rc = send_control(r, &m, NULL, 0);
	if (rc < 0)
		lind_log(cage_id, "cannot tell posix-server the cage is gone: %s",
			 strerror(-rc));
}

void relay_server_cage_fds(struct relay *r, uint64_t cage_id, uint32_t slot)
{
	if (atomic_load(&r->server_gone) || r->server_fd < 0)
		return;
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_FDS;
	m.cage_id = cage_id;
	m.tag = slot;
	send_control(r, &m, NULL, 0);
}

void relay_ring_bell(struct relay *r)
{
	uint64_t one = 1;
	/* the server's eventfd; EAGAIN only when the count is saturated */
	(void)!write(r->bell_fd, &one, sizeof one);
}

int relay_forward(struct relay *r, const Lind__Request *req,
		  _Atomic int *stop)
{
	size_t n = lind__request__get_packed_size(req);
	if (n > LIND_MAX_FRAME)
		return -E2BIG;
	for (unsigned spins = 0;; spins++) {
		pthread_mutex_lock(&r->ring_lock);
		void *p = lind_ring_reserve(&r->rings->req, (uint32_t)n);
		if (p) {
			lind__request__pack(req, p);
			bool wake = lind_ring_commit(&r->rings->req, (uint32_t)n);
			pthread_mutex_unlock(&r->ring_lock);
			if (wake)
				relay_ring_bell(r);
			return 0;
		}
		pthread_mutex_unlock(&r->ring_lock);
		/* full: the server is behind; back off without holding the lock */
		if ((stop && atomic_load(stop)) || atomic_load(&r->server_gone))
			return -ECANCELED;
		if (spins < 64) {
			sched_yield();
		} else {
			relay_ring_bell(r);
			struct timespec ts = {0, 100 * 1000L};
			nanosleep(&ts, NULL);
		}
	}
}

static bool replies_waiting(struct lind_ring *ring)
{
	return atomic_load_explicit(&ring->head, memory_order_acquire) !=
	       atomic_load_explicit(&ring->tail, memory_order_relaxed);
}

/* Route every reply in the ring; the caller holds rep_lock (the ring has
 * one consumer at a time). */
static int drain_locked(struct relay *r)
{
	struct lind_ring *ring = &r->rings->rep;
	const void *p;
	uint32_t len;
	int n = 0;
	while ((p = lind_ring_peek(ring, &len))) {
		if (relay_route_raw(r, p, len)) {
			if (lind_ring_release(ring))
				relay_ring_bell(r);
			n++;
			continue;
		}
		Lind__Reply *rep = len <= LIND_MAX_FRAME
					   ? lind__reply__unpack(NULL, len, p)
					   : NULL;
		if (lind_ring_release(ring))
			relay_ring_bell(r); /* the server waits for room */
		if (rep) {
			relay_route_reply(r, rep);
			lind__reply__free_unpacked(rep, NULL);
		} else {
			lind_log(0, "dropped a malformed reply");
		}
		n++;
	}
	return n;
}

int relay_replies_poll(struct relay *r)
{
	if (!replies_waiting(&r->rings->rep) ||
	    pthread_mutex_trylock(&r->rep_lock) != 0)
		return 0;
	int n = drain_locked(r);
	pthread_mutex_unlock(&r->rep_lock);
	return n;
}

static void *reply_main(void *arg)
{
	struct relay *r = arg;
	struct lind_ring *ring = &r->rings->rep;
	while (!atomic_load(&r->reply_stop)) {
		pthread_mutex_lock(&r->rep_lock);
		int n = drain_locked(r);
		pthread_mutex_unlock(&r->rep_lock);
		if (n)
			continue;
		uint64_t until = lind_now_ns() + RELAY_SPIN_NS;
		bool got = false;
		while (!got && !relay_busy(r) && lind_now_ns() < until) {
			relay_spin_pause(until);
			got = replies_waiting(ring);
		}
		if (!got)
			lind_ring_sleep(ring, 500);
	}
	return NULL;
}

int relay_replies_start(struct relay *r)
{
	int rc = relay_thread_start(&r->reply_thread, reply_main, r);
	if (rc == 0)
		r->reply_running = true;
	return rc;
}

void relay_replies_stop(struct relay *r)
{
	if (!r->reply_running)
		return;
	atomic_store(&r->reply_stop, 1);
	lind_futex_wake(&r->rings->rep.seq, INT_MAX);
	pthread_join(r->reply_thread, NULL);
	r->reply_running = false;
}

void relay_server_close(struct relay *r)
{
	relay_replies_stop(r);
	if (ev_is_active(&r->server_out_io))
		ev_io_stop(r->loop, &r->server_out_io);
	lind_ctlq_clear(&r->ctl_out);
	if (r->rings)
		munmap(r->rings, r->rings_len);
	r->rings = NULL;
	if (r->bell_fd >= 0)
		close(r->bell_fd);
	r->bell_fd = -1;
	if (r->server_fd >= 0)
		close(r->server_fd);
	r->server_fd = -1;
}
