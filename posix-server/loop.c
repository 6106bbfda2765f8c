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
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cage.h"
#include "bind.h"
#include "procfs.h"
#include "publish.h"
#include "common.h"
#include "fdtable.h"
#include "limit.h"
#include "net_policy.h"
#include "ofd.h"
#include "futex.h"
#include "lind.pb-c.h"
#include "ring.h"
#include "server.h"
#include "shm.h"
#include "signalfd.h"
#include "sock.h"
#include "store.h"
#include "wire.h"

#define SPIN_NS 20000 /* busy re-peeks before sleeping in libev */

struct pending {
	struct pending *next;
	uint32_t len;
	uint8_t buf[];
};

/* A connection on server.sock that has not said HELLO yet.  Several may
 * wait at once, each for a few seconds: an idle one cannot keep the real
 * relay out. */
#define HELLO_TIMEOUT_S 5.0
#define MAX_NEWCOMERS 8

struct newcomer {
	struct newcomer *next;
	int fd;
	ev_io w;
	ev_timer timeout;
};

static struct {
	char sock_path[PATH_MAX];
	int lsock, relay, bell, ring_fd;
	ev_io lsock_w, relay_w, relay_out_w, bell_w;
	struct lind_ctlq out; /* Control messages waiting for room */
	struct newcomer *newcomers;
	unsigned nnewcomers;
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

/* Packed into the slot of c's channel the relay tagged (the relay's
 * relay_route_raw does the same for a ring reply), counted done, then
 * REPLIED with the client woken if it sleeps: one hand-off instead of
 * two.  Nothing is read from the channel but the waiting word; whatever
 * the cage wrote there only changes what it gets itself. */
static void reply_direct(const struct cage *c, Lind__Reply *rep)
{
	uint32_t slot = LIND_TAG_SLOT(rep->tag);
	rep->tag = slot;
	/* done before REPLIED: once the client sees REPLIED it may submit on
	 * this slot again, and the relay must find it free by then */
	atomic_fetch_add(&c->done->done[slot], 1);
	lind_slot_reply(&c->chan->slot[slot], rep);
}

/* Untraced (the relay's tag says so), a cage whose channel the server
 * maps: the slot's data area, else NULL. */
uint8_t *srv_slot_area(const struct cage *c, uint64_t tag)
{
	if (!(tag & LIND_TAG_DIRECT) || !c || !c->chan ||
	    LIND_TAG_SLOT(tag) >= LIND_CHAN_SLOTS)
		return NULL;
	return c->chan->slot[LIND_TAG_SLOT(tag)].buf + LIND_AREA_OFF;
}

/* As srv_slot_area, and no fd to carry (it reaches the relay first). */
static bool goes_direct(const struct cage *c, uint64_t tag, unsigned flags)
{
	return srv_slot_area(c, tag) && !(flags & SRV_REPLY_FD);
}

/* An out entry that is in the slot's area: Reply.area on a direct reply;
 * else inline, from the area while c still maps it (an fd-carrying
 * reply), or empty once it does not (the cage went: nobody reads it). */
static void area_entry(const struct cage *c, const struct srv_data *e,
		       bool direct, Lind__Reply *rep, ProtobufCBinaryData *d)
{
	if (direct) {
		rep->area = (uint32_t)e->len;
		return;
	}
	*d = (ProtobufCBinaryData){c && c->chan ? e->len : 0,
				   (uint8_t *)e->ptr};
	rep->n_data++;
}

void srv_reply(const struct cage *c, uint64_t tag, long result,
	       const struct srv_data *data, size_t n, unsigned flags,
	       uint64_t sigmask)
{
	if (!L.rings)
		return; /* relay gone: nobody to answer */
	ProtobufCBinaryData d[6];
	Lind__Reply rep = LIND__REPLY__INIT;
	rep.tag = tag;
	rep.result = result;
	rep.more = flags & SRV_REPLY_MORE;
	rep.fd = flags & SRV_REPLY_FD;
	rep.dequeue = flags >> SRV_REPLY_DEQUEUE_SHIFT;
	rep.sigmask = sigmask;
	rep.data = d;
	bool direct = goes_direct(c, tag, flags);
	for (size_t i = 0; i < n && i < 6; i++) {
		if (data[i].area)
			area_entry(c, &data[i], direct, &rep, &d[rep.n_data]);
		else
			d[rep.n_data++] = (ProtobufCBinaryData){
				data[i].len, (uint8_t *)data[i].ptr};
	}
	if (direct) {
		reply_direct(c, &rep);
		return;
	}
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
		 * getpid measured with pause-spinning).  Not at all when the
		 * relay says no core is free (nacl-relay/load.c). */
		while (!atomic_load_explicit(&L.rings->busy,
					     memory_order_relaxed) &&
		       !lind_ring_peek(r, &len) && lind_now_ns() - t0 < SPIN_NS)
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
	ev_io_stop(srv.loop, &L.relay_out_w);
	lind_ctlq_clear(&L.out);
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

static void on_relay_writable(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	int r = lind_ctlq_flush(&L.out, L.relay);
	if (r < 0)
		lind_log(0, "server.sock: send: %s", strerror(-r));
	if (!L.out.head)
		ev_io_stop(loop, w);
}

/* Never blocks: what the relay's socket has no room for waits in L.out. */
static void send_control_fds(Lind__Control *m, const int *fds, int nfds)
{
	int r = lind_ctlq_send(&L.out, L.relay, &m->base, fds, nfds);
	if (r < 0)
		lind_log(0, "server.sock: send: %s", strerror(-r));
	if (L.out.head && !ev_is_active(&L.relay_out_w))
		ev_io_start(srv.loop, &L.relay_out_w);
}

static void send_control(Lind__Control *m)
{
	send_control_fds(m, NULL, 0);
}

/* attach_id: the CAGE_NEW this answers (0 for other errors). */
static void send_error(const char *msg, uint64_t attach_id)
{
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__ERROR;
	m.version = LIND_PROTO_VERSION;
	m.error = (char *)msg;
	m.attach_id = attach_id;
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
		send_error(err, 0);
		relay_gone();
		return;
	}
	int r = map_rings();
	if (r < 0) {
		snprintf(err, sizeof err, "cannot create the server ring: %s",
			 strerror(-r));
		lind_log(0, "%s", err);
		send_error(err, 0);
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
		/* O_PATH: F_GETFL shows it, and the stream refuses I/O */
		int fl = fcntl(fd, F_GETFL) & (O_ACCMODE | O_PATH);
		struct stream *s = stream_new(fd, c, i);
		struct ofd *o = s ? ofd_new(&ofd_stream_ops, fl, NULL, s) : NULL;
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

static void cage_new_ok(const Lind__Control *in, const struct cage *c)
{
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_NEW_OK;
	m.version = LIND_PROTO_VERSION;
	m.cage_id = c->id;
	m.attach_id = in->attach_id;
	send_control(&m);
}

/* The channel and done page a local relay sends after the other fds
 * (CHAN_FDS of them): mapped for direct replies.  Without them (a remote
 * relay's cage), or unmappable, the cage's replies go by the ring. */
#define CHAN_FDS 2
static void take_chan(struct cage *c, const int *fds)
{
	int r = cage_chan_map(c, fds[0], fds[1]);
	if (r < 0)
		lind_log(c->id, "cannot map its channel (%s): replies by the "
			 "ring", strerror(-r));
}

/* A forked child's host process attached: its embryo runs.  The token
 * works once, and only for a child of the cage the relay made the
 * connection for. */
static void on_fork_attach(const Lind__Control *in, const int *fds, int nfds)
{
	struct cage *c = cage_find_embryo(in->fork_token, in->parent_id);
	if (!c || (nfds && nfds != CHAN_FDS)) {
		send_error(c ? "CAGE_NEW: a forked child brings no stdio"
			     : "no such forked child (token used, wrong or "
			       "expired)", in->attach_id);
		return;
	}
	cage_bind(c, in->host_pid);
	if (nfds)
		take_chan(c, fds);
	procfs_cage_new(c, NULL); /* exe and binds are the parent's */
	cage_new_ok(in, c);
	/* after its CAGE_NEW_OK: the relay knows its process by now */
	for (int sig = 1; sig <= 64; sig++)
		if (c->embryo_sigs & 1ull << (sig - 1))
			srv_signal_cage(c, sig);
	c->embryo_sigs = 0;
}

/* The relay saw the cage's process end.  Without exit_group first it died
 * by a signal: the one its host zombie shows, else the one it said it
 * raised on itself (lind_dying), else SIGKILL, the one signal nothing in the cage can
 * intercept (docs/architecture.md "Processes"). */
static void on_cage_gone(const Lind__Control *m)
{
	struct cage *c = m->fork_token
				 ? cage_find_embryo(m->fork_token, m->parent_id)
				 : cage_find(m->cage_id);
	if (c && c->state == CAGE_EMBRYO) {
		lind_log(c->id, "forked child gone before attaching: killed");
		cage_exit(c, SIGKILL);
		return;
	}
	if (m->fork_token && !c)
		return; /* that child attached (or ended) meanwhile */
	if (!c || c->state != CAGE_RUNNING) { /* exited already */
		lind_log(m->cage_id, "cage gone");
		return;
	}
	/* a host zombie still tells its status (a fault: SIGSEGV, not
	 * SIGKILL) unless its host parent reaped it first */
	int st = cage_host_end(c);
	if (st < 0 || !WIFSIGNALED(st))
		st = c->dying_sig ? c->dying_sig : SIGKILL;
	lind_log(c->id, "cage gone without exit_group: killed by signal %d",
		 WTERMSIG(st));
	cage_exit(c, st);
	store_flush(srv.store);
}

static void on_cage_new(const Lind__Control *in, int *fds, int nfds)
{
	if (in->fork_token) {
		on_fork_attach(in, fds, nfds);
		return;
	}
	uint32_t mask = in->stdio_mask & 7;
	int nstdio = __builtin_popcount(mask);
	size_t want = (size_t)nstdio + in->n_binds;
	bool chan = (size_t)nfds == want + CHAN_FDS;
	if ((size_t)nfds != want && !chan) {
		send_error("CAGE_NEW: stdio_mask and binds do not match the fds "
			   "sent", in->attach_id);
		return;
	}
	if (cage_count() >= srv_limits.cages) {
		send_error("too many cages (posix-server --limit cages)",
			   in->attach_id);
		return;
	}
	if (in->net > LIND_NET_HOST) {
		send_error("CAGE_NEW: unknown network policy", in->attach_id);
		return;
	}
	struct lind_publish pub[LIND_MAX_PUBLISH];
	if (lind_publish_from(in->publish, in->n_publish, pub)) {
		send_error("CAGE_NEW: a bad --publish table", in->attach_id);
		return;
	}
	if (in->n_groups > CRED_GROUPS_MAX) {
		send_error("CAGE_NEW: too many groups", in->attach_id);
		return;
	}
	struct cage *c = cage_new(in->host_pid, in->uid, in->gid);
	if (c) {
		c->host_uid = in->host_uid;
		c->host_gid = in->host_gid;
		c->net = in->net;
	}
	if (!c ||
	    cred_set_groups(&c->cred, in->groups, (uint32_t)in->n_groups) < 0 ||
	    net_publish_set(c, pub, in->n_publish) < 0 ||
	    attach_stdio(c, mask, fds, nstdio) < 0 ||
	    !cage_set_argv(c, in->argv, in->n_argv)) {
		if (c)
			cage_free(c);
		send_error("out of memory", in->attach_id);
		return;
	}
	char why[300];
	if (bind_set_new(srv.vfs, &c->cred, in->binds, fds + nstdio,
			 in->n_binds, &c->binds, why, sizeof why) < 0) {
		lind_log(0, "refused a cage of uid %u: %s", in->uid, why);
		cage_free(c);
		send_error(why, in->attach_id);
		return;
	}
	if (chan)
		take_chan(c, fds + want);
	procfs_cage_new(c, in->exe);
	cage_new_ok(in, c);
	lind_log(c->id, "new cage: host pid %u uid %u, %s", in->host_pid,
		 in->uid, in->n_argv ? in->argv[0] : "?");
}

void srv_signal_cage(const struct cage *c, int sig)
{
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_SIGNAL;
	m.cage_id = c->id;
	m.signo = (uint32_t)sig;
	send_control(&m);
	signalfd_signalled(c, sig);
}

void srv_cage_exited(const struct cage *c)
{
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_EXITED;
	m.cage_id = c->id;
	m.wstatus = (uint32_t)c->wstatus;
	send_control(&m);
}

void srv_cage_execed(const struct cage *c)
{
	enum { ARGS_SENT = 64, BYTES_SENT = 4096 }; /* a Control's share */
	char *argv[ARGS_SENT];
	size_t n = 0;
	for (size_t at = 0; at < c->cmdline_len && at < BYTES_SENT &&
			    n < ARGS_SENT;
	     at += strlen(argv[n++]) + 1)
		argv[n] = c->cmdline + at; /* NUL-separated, the last too */
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_EXECED;
	m.cage_id = c->id;
	m.n_argv = n;
	m.argv = argv;
	send_control(&m);
}

/* Sent before the reply: the relay has it when the cage asks. */
void srv_send_fd(const struct cage *c, uint64_t tag, int fd)
{
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_FD;
	m.cage_id = c->id;
	m.tag = tag;
	send_control_fds(&m, &fd, 1);
}

/* CAGE_FDS (lind-trace -y attaching): the cage's open fds with what
 * /proc/PID/fd shows for each, as many as one Control holds (the relay
 * reads 8 KiB): a snapshot, a tracer learns the rest from the traffic. */
static void on_cage_fds(const Lind__Control *q)
{
	enum { PATH_SHOWN = 256, BUDGET = 6144 };
	struct cage *c = cage_find(q->cage_id);
	Lind__Control m = LIND__CONTROL__INIT;
	m.kind = LIND__CONTROL__KIND__CAGE_FDS_OK;
	m.cage_id = q->cage_id;
	m.tag = q->tag;
	int nums[FD_MAX];
	protobuf_c_boolean cloexec[FD_MAX];
	char *paths[FD_MAX];
	size_t used = 0;
	for (int fd = 0; c && c->fds && fd < FD_MAX && used < BUDGET; fd++) {
		struct ofd *o = fd_get_raw(c->fds, fd);
		char path[PATH_SHOWN];
		long n = o ? procfs_fd_path(srv.vfs, o, path, sizeof path) : -1;
		if (n < 0 || !(paths[m.n_fd_nums] = strndup(path, (size_t)n)))
			continue;
		nums[m.n_fd_nums] = fd;
		cloexec[m.n_fd_nums++] = c->fds->cloexec[fd];
		used += (size_t)n + 8;
	}
	m.fd_nums = nums;
	m.n_fd_paths = m.n_fd_cloexec = m.n_fd_nums;
	m.fd_paths = paths;
	m.fd_cloexec = cloexec;
	send_control(&m);
	for (size_t i = 0; i < m.n_fd_paths; i++)
		free(paths[i]);
}

static void on_relay(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	uint8_t buf[8192];
	int fds[LIND_MAX_FDS], nfds = LIND_MAX_FDS;
	long n = lind_recv_msg(L.relay, buf, sizeof buf, fds, &nfds);
	if (n == -EAGAIN)
		return;
	if (n == -EMSGSIZE) { /* too big for any Control we know */
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		send_error("Control frame too large", 0);
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
		send_error("bad Control frame", 0);
	} else if (m->kind == LIND__CONTROL__KIND__HELLO) {
		send_error("HELLO twice", 0);
	} else if (m->kind == LIND__CONTROL__KIND__CAGE_NEW) {
		on_cage_new(m, fds, nfds);
	} else if (m->kind == LIND__CONTROL__KIND__CAGE_GONE) {
		on_cage_gone(m);
	} else if (m->kind == LIND__CONTROL__KIND__CAGE_FDS) {
		on_cage_fds(m);
	} else {
		send_error("unexpected Control kind", m->attach_id);
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (m)
		lind__control__free_unpacked(m, NULL);
}

static void newcomer_drop(struct newcomer *nc, bool close_fd)
{
	for (struct newcomer **pp = &L.newcomers; *pp; pp = &(*pp)->next)
		if (*pp == nc) {
			*pp = nc->next;
			break;
		}
	L.nnewcomers--;
	ev_io_stop(srv.loop, &nc->w);
	ev_timer_stop(srv.loop, &nc->timeout);
	if (close_fd)
		close(nc->fd);
	free(nc);
}

static void on_newcomer_timeout(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	newcomer_drop(w->data, true); /* said nothing: not a relay */
}

/* A newcomer's first message must be HELLO; it then becomes the relay. */
static void on_newcomer(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct newcomer *nc = w->data;
	uint8_t buf[8192];
	long n = lind_recv_msg(nc->fd, buf, sizeof buf, NULL, NULL);
	if (n == -EAGAIN)
		return;
	Lind__Control *m = n > 0 ? lind__control__unpack(NULL, (size_t)n, buf)
				 : NULL;
	int fd = nc->fd;
	newcomer_drop(nc, false);
	if (!m || m->kind != LIND__CONTROL__KIND__HELLO || L.relay >= 0) {
		Lind__Control e = LIND__CONTROL__INIT;
		e.kind = LIND__CONTROL__KIND__ERROR;
		e.version = LIND_PROTO_VERSION;
		e.error = L.relay >= 0 ? "another relay is already connected"
				       : "expected HELLO";
		/* best effort: the socket is non-blocking, we never wait */
		(void)lind_send_msg(fd, &e.base, NULL, 0);
		close(fd);
	} else {
		L.relay = fd;
		ev_io_init(&L.relay_w, on_relay, fd, EV_READ);
		ev_io_init(&L.relay_out_w, on_relay_writable, fd, EV_WRITE);
		ev_io_start(srv.loop, &L.relay_w);
		on_hello(m);
	}
	if (m)
		lind__control__free_unpacked(m, NULL);
}

/* Only our own user (or root) may be the relay. */
static bool peer_trusted(int fd)
{
	struct ucred cr;
	socklen_t len = sizeof cr;
	return getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) == 0 &&
	       (cr.uid == geteuid() || cr.uid == 0);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	int fd = accept4(L.lsock, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return; /* EMFILE: the connection waits in the backlog */
	struct newcomer *nc = peer_trusted(fd) ? calloc(1, sizeof *nc) : NULL;
	if (!nc) {
		close(fd);
		return;
	}
	if (L.nnewcomers >= MAX_NEWCOMERS) { /* the oldest gives way */
		struct newcomer *old = L.newcomers;
		while (old->next)
			old = old->next;
		newcomer_drop(old, true);
	}
	nc->fd = fd;
	ev_io_init(&nc->w, on_newcomer, fd, EV_READ);
	nc->w.data = nc;
	ev_timer_init(&nc->timeout, on_newcomer_timeout, HELLO_TIMEOUT_S, 0);
	nc->timeout.data = nc;
	ev_io_start(srv.loop, &nc->w);
	ev_timer_start(srv.loop, &nc->timeout);
	nc->next = L.newcomers;
	L.newcomers = nc;
	L.nnewcomers++;
}

/* ---- setup -------------------------------------------------------------- */

int srv_loop_open(const char *rundir)
{
	L.pend_tail = &L.pend;
	if (lind_path_join(L.sock_path, sizeof L.sock_path, rundir,
			   LIND_SERVER_SOCK) < 0)
		return -ENAMETOOLONG;
	/* bound under a private name, then renamed: never half-ready */
	L.lsock = lind_listen_seqpacket(L.sock_path, 8, 0600, -1);
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
	while (L.newcomers)
		newcomer_drop(L.newcomers, true);
	relay_gone();
	unmap_rings();
	shm_free_all(); /* segments outlive cages, not the server */
	sock_unix_free_all(); /* and sockets in flight in their own queues */
	if (L.lsock >= 0) {
		ev_io_stop(srv.loop, &L.lsock_w);
		close(L.lsock);
		L.lsock = -1;
		unlink(L.sock_path);
	}
}
