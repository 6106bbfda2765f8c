/*
 * The server's one libev loop: server.sock (one relay at a time, Control
 * messages), the request ring drained when the doorbell fifo fires, and
 * the reply ring (replies that do not fit wait in a pending list until the
 * relay drains and rings the doorbell).  Nothing here blocks.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cage.h"
#include "common.h"
#include "fdtable.h"
#include "futex.h"
#include "lind.pb-c.h"
#include "ring.h"
#include "server.h"
#include "store.h"

#define SPIN_NS 20000 /* busy re-peeks before sleeping in libev */

struct pending {
	struct pending *next;
	uint32_t len;
	uint8_t buf[];
};

static struct {
	char sock_path[PATH_MAX];
	int lsock, relay, bell, ring_fd;
	ev_io lsock_w, relay_w, bell_w;
	struct lind_rings *rings;
	struct pending *pend, **pend_tail;
} L = {.lsock = -1, .relay = -1, .bell = -1, .ring_fd = -1};

/* ---- replies ------------------------------------------------------------ */

static void publish(const void *frame, uint32_t len, void *slot)
{
	memcpy(slot, frame, len);
	if (lind_ring_commit(&L.rings->rep, len))
		lind_futex_wake(&L.rings->rep.seq, INT_MAX);
}

/* Moves pending replies into the ring while they fit. */
static void flush_pending(void)
{
	while (L.rings && L.pend) {
		struct pending *p = L.pend;
		void *slot = lind_ring_reserve(&L.rings->rep, p->len);
		if (!slot)
			return; /* the relay rings the doorbell once it drained */
		publish(p->buf, p->len, slot);
		L.pend = p->next;
		if (!L.pend)
			L.pend_tail = &L.pend;
		free(p);
	}
}

static void free_pending(void)
{
	while (L.pend) {
		struct pending *p = L.pend;
		L.pend = p->next;
		free(p);
	}
	L.pend_tail = &L.pend;
}

void srv_reply(uint64_t tag, long result, const struct srv_data *data,
	       size_t n, bool more)
{
	if (!L.rings)
		return; /* relay gone: nobody to answer */
	ProtobufCBinaryData d[6];
	Lind__Reply rep = LIND__REPLY__INIT;
	rep.tag = tag;
	rep.result = result;
	rep.more = more;
	rep.n_data = n;
	rep.data = d;
	for (size_t i = 0; i < n && i < 6; i++)
		d[i] = (ProtobufCBinaryData){data[i].len, (uint8_t *)data[i].ptr};
	uint32_t len = (uint32_t)lind__reply__get_packed_size(&rep);
	void *slot = L.pend ? NULL : lind_ring_reserve(&L.rings->rep, len);
	if (slot) {
		lind__reply__pack(&rep, slot);
		if (lind_ring_commit(&L.rings->rep, len))
			lind_futex_wake(&L.rings->rep.seq, INT_MAX);
		return;
	}
	/* Full: keep order behind earlier pending replies. */
	struct pending *p = malloc(sizeof *p + len);
	if (!p) {
		lind_log(0, "out of memory: reply %llu dropped",
			 (unsigned long long)tag);
		return;
	}
	p->next = NULL;
	p->len = len;
	lind__reply__pack(&rep, p->buf);
	if (!L.pend)
		L.pend_tail = &L.pend;
	*L.pend_tail = p;
	L.pend_tail = &p->next;
}

/* ---- requests ----------------------------------------------------------- */

static void drain_requests(void)
{
	struct lind_ring *r = &L.rings->req;
	lind_ring_awake(r);
	for (;;) {
		const void *rec;
		uint32_t len;
		while (L.rings && (rec = lind_ring_peek(r, &len))) {
			srv_dispatch(rec, len);
			lind_ring_release(r); /* a waiting relay polls for room */
		}
		if (!L.rings)
			return;
		uint64_t t0 = lind_now_ns();
		/* Yield while spinning: on 2 cores the client and the relay
		 * need the CPU to bring the next request (27 vs 39 us per
		 * getpid measured with pause-spinning). */
		while (!lind_ring_peek(r, &len) && lind_now_ns() - t0 < SPIN_NS)
			sched_yield();
		if (lind_ring_peek(r, &len))
			continue;
		if (!lind_ring_prepare_sleep(r))
			return; /* asleep: the relay writes the doorbell */
	}
}

static void on_bell(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	uint64_t n;
	(void)!read(L.bell, &n, sizeof n); /* eventfd: one read resets it */
	flush_pending();
	if (L.rings)
		drain_requests();
}

/* ---- the relay ---------------------------------------------------------- */

static void unmap_rings(void)
{
	if (L.bell >= 0) {
		ev_io_stop(srv.loop, &L.bell_w);
		close(L.bell);
		L.bell = -1;
	}
	if (L.ring_fd >= 0) {
		close(L.ring_fd);
		L.ring_fd = -1;
	}
	if (L.rings) {
		munmap(L.rings, sizeof *L.rings);
		L.rings = NULL;
	}
	free_pending();
}

static void relay_gone(void)
{
	if (L.relay < 0)
		return;
	ev_io_stop(srv.loop, &L.relay_w);
	close(L.relay);
	L.relay = -1;
	unsigned n = cage_count();
	bool was_mapped = L.rings;
	cage_free_all();
	store_flush(srv.store);
	unmap_rings();
	if (was_mapped) /* not for probes that never said HELLO */
		lind_log(0, "relay disconnected (%u cages dropped)", n);
}

static int map_rings(void)
{
	unmap_rings();
	/* Anonymous shared memory, handed to the relay with HELLO_OK: no
	 * file in the runtime dir, no writeback, pages exist once touched. */
	int fd;
	void *m;
	int err = lind_shm_create("lind-server-ring", sizeof(struct lind_rings),
				  &fd, &m);
	if (err < 0)
		return err;
	L.ring_fd = fd; /* kept until HELLO_OK has carried it */
	L.rings = m;
	L.rings->magic = LIND_CHAN_MAGIC;
	L.rings->version = LIND_PROTO_VERSION;
	lind_ring_init(&L.rings->req);
	lind_ring_init(&L.rings->rep);
	/* We start asleep in libev: the relay's first commit rings the bell. */
	lind_ring_prepare_sleep(&L.rings->req);
	L.bell = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (L.bell < 0) {
		err = -errno;
		unmap_rings();
		return err;
	}
	ev_io_init(&L.bell_w, on_bell, L.bell, EV_READ);
	ev_io_start(srv.loop, &L.bell_w);
	return 0;
}

static void send_control_fds(Lind__Control *m, const int *fds, int nfds)
{
	int r = lind_send_msg(L.relay, &m->base, fds, nfds);
	if (r < 0)
		lind_log(0, "server.sock: send: %s", strerror(-r));
}

static void send_control(Lind__Control *m)
{
	send_control_fds(m, NULL, 0);
}

static void send_error(const char *msg)
{
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__ERROR;
	m.version = LIND_PROTO_VERSION;
	m.error = (char *)msg;
	send_control(&m);
}

static void on_hello(const Lind__Control *in)
{
	char err[128];
	if (in->version != LIND_PROTO_VERSION) {
		snprintf(err, sizeof err,
			 "protocol version mismatch: relay speaks %u, server speaks %d",
			 in->version, LIND_PROTO_VERSION);
		lind_log(0, "%s", err);
		send_error(err);
		relay_gone();
		return;
	}
	int r = map_rings();
	if (r < 0) {
		snprintf(err, sizeof err, "cannot create the server ring: %s",
			 strerror(-r));
		lind_log(0, "%s", err);
		send_error(err);
		return;
	}
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__HELLO_OK;
	m.version = LIND_PROTO_VERSION;
	m.ring = "memfd";
	m.doorbell = "eventfd";
	int fds[2] = {L.ring_fd, L.bell};
	send_control_fds(&m, fds, 2);
	close(L.ring_fd);
	L.ring_fd = -1;
	lind_log(0, "relay connected");
}

/* Installs the launcher's stdio fds as streams 0/1/2 of c. */
static int attach_stdio(struct cage *c, uint32_t mask, int *fds, int nfds)
{
	int k = 0;
	for (int i = 0; i < 3; i++) {
		if (!(mask & (1u << i)))
			continue;
		int fd = fds[k];
		fds[k++] = -1; /* taken over below */
		int fl = fcntl(fd, F_GETFL);
		struct stream *s = stream_new(fd);
		struct ofd *o = s ? ofd_new(OFD_STREAM,
					    fl < 0 ? O_RDWR : fl & O_ACCMODE, NULL, s)
				  : NULL;
		if (!o) {
			if (s)
				stream_put(s);
			return -ENOMEM;
		}
		fd_install(c->fds, i, o, false);
	}
	(void)nfds;
	return 0;
}

static void on_cage_new(const Lind__Control *in, int *fds, int nfds)
{
	uint32_t mask = in->stdio_mask & 7;
	if (!L.rings) {
		send_error("CAGE_NEW before HELLO");
		return;
	}
	if (__builtin_popcount(mask) != nfds) {
		send_error("CAGE_NEW: stdio_mask does not match the fds sent");
		return;
	}
	struct cage *c = cage_new(in->host_pid, in->uid, in->gid);
	if (!c || attach_stdio(c, mask, fds, nfds) < 0) {
		if (c)
			cage_free(c);
		send_error("out of memory");
		return;
	}
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_NEW_OK;
	m.version = LIND_PROTO_VERSION;
	m.cage_id = c->id;
	send_control(&m);
	lind_log(c->id, "new cage: host pid %u uid %u, %s", in->host_pid,
		 in->uid, in->n_argv ? in->argv[0] : "?");
}

static void on_relay(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	uint8_t buf[8192];
	int fds[8], nfds = 8;
	long n = lind_recv_msg(L.relay, buf, sizeof buf, fds, &nfds);
	if (n == -EAGAIN)
		return;
	if (n == -EMSGSIZE) { /* too big for any Control we know */
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		send_error("Control frame too large");
		return;
	}
	if (n <= 0) {
		/* an empty datagram (EOF) may still carry fds */
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		relay_gone();
		return;
	}
	Lind__Control *m = lind__control__unpack(NULL, (size_t)n, buf);
	if (!m) {
		send_error("bad Control frame");
	} else if (m->kind == LIND__CONTROL__KIND__HELLO) {
		on_hello(m);
	} else if (m->kind == LIND__CONTROL__KIND__CAGE_NEW) {
		on_cage_new(m, fds, nfds);
	} else if (m->kind == LIND__CONTROL__KIND__CAGE_GONE) {
		struct cage *c = cage_find(m->cage_id);
		if (c) {
			lind_log(c->id, "cage gone");
			cage_free(c);
			store_flush(srv.store);
		}
	} else {
		send_error("unexpected Control kind");
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (m)
		lind__control__free_unpacked(m, NULL);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	int fd = accept4(L.lsock, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	if (L.relay >= 0) {
		int keep = L.relay;
		L.relay = fd;
		send_error("another relay is already connected");
		L.relay = keep;
		close(fd);
		return;
	}
	L.relay = fd;
	ev_io_init(&L.relay_w, on_relay, fd, EV_READ);
	ev_io_start(srv.loop, &L.relay_w);
}

/* ---- setup -------------------------------------------------------------- */

int srv_loop_open(const char *rundir)
{
	L.pend_tail = &L.pend;
	if (lind_path_join(L.sock_path, sizeof L.sock_path, rundir,
			   LIND_SERVER_SOCK) < 0)
		return -ENAMETOOLONG;
	/* bound under a private name, then renamed: never half-ready */
	L.lsock = lind_listen_seqpacket(L.sock_path, 8);
	if (L.lsock < 0) {
		int err = L.lsock;
		L.lsock = -1;
		return err;
	}
	ev_io_init(&L.lsock_w, on_accept, L.lsock, EV_READ);
	ev_io_start(srv.loop, &L.lsock_w);
	return 0;
}

void srv_loop_close(void)
{
	relay_gone();
	unmap_rings();
	if (L.lsock >= 0) {
		ev_io_stop(srv.loop, &L.lsock_w);
		close(L.lsock);
		L.lsock = -1;
		unlink(L.sock_path);
	}
}
