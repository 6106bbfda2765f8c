/*
 * nacl-relay: the trust boundary between cages and posix-server.
 * A fixed pool of worker threads (pool.c) serves every cage channel: a
 * worker takes a cage whose bell rang from one epoll set, checks its
 * frames and forwards them into the server's request ring (cage.c,
 * server_link.c); replies are routed back by tag by whichever worker is
 * spinning with calls in flight, else by the one reply thread; the main
 * thread runs libev for attaches (attach.c), cage deaths, admin requests
 * and trace publishing (trace.c).
 */
#ifndef LIND_RELAY_H
#define LIND_RELAY_H

#include <ev.h>
#include <limits.h>
#include <pthread.h>
#include <regex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "lind.pb-c.h"
#include "common.h"
#include "protocol.h"
#include "syscall.h"

/* A relay tag: generation << 32 | channel index << 16 | slot, and
 * LIND_TAG_DIRECT (bit 31, above every index) on a call the server
 * answers straight into its slot. */
#define RELAY_MAX_CHANS 32768
#define RELAY_TAG(gen, idx, slot) \
	((uint64_t)(gen) << 32 | (uint64_t)(idx) << 16 | (uint64_t)(slot))
#define RELAY_TAG_GEN(tag) ((uint32_t)((tag) >> 32))
#define RELAY_TAG_IDX(tag) ((uint32_t)((tag) >> 16) & 0x7fff)
#define RELAY_TAG_SLOT(tag) LIND_TAG_SLOT(tag)
_Static_assert(RELAY_MAX_CHANS <= 0x8000 && LIND_CHAN_SLOTS <= 0x10000,
	       "channel and slot fit their bits of the tag");
_Static_assert(LIND_TAG_DIRECT == 1ull << 31, "the bit above the index");
/* How long one TRACE_ON keeps the feed on. */
#define RELAY_TRACE_TTL_NS (3ull * 1000000000ull)
/* Events wait in a batch until it holds this many bytes, or the main
 * loop's tick (RELAY_TRACE_TICK_S) or a note sends it (trace.c). */
#define RELAY_TRACE_BATCH (32 * 1024)
#define RELAY_TRACE_TICK_S 0.01
/* Tracers with filters of their own at once (bits of a uint32_t). */
#define RELAY_TRACE_SUBS 32
/* Bits of the calls bitmap: one per table index, the last for numbers of
 * neither block. */
#define RELAY_CALL_BITS (LIND_ROWS + 1)
#define RELAY_CALL_WORDS ((RELAY_CALL_BITS + 63) / 64)
/* Stack of each relay thread (the workers, the reply thread). */
#define RELAY_STACK_BYTES (256 * 1024)
/* Spin this long before sleeping on a futex (when a core is free). */
#define RELAY_SPIN_NS 20000ull
/* The load sampler (load.c): every tick while calls flow, else idle. */
#define RELAY_LOAD_TICK_NS 2000000ull
#define RELAY_LOAD_IDLE_NS 50000000ull

/* One slot's calls in flight, and what the trace needs about the last
 * (filled only when traced).  The slot is in flight while fwd differs
 * from its word of the cage's done page: the server counts there the
 * calls it answered straight into the slot, the relay those it routed
 * (relay_slot_busy). */
struct relay_inflight {
	_Atomic uint32_t fwd; /* calls forwarded on this slot */
	uint32_t direct;      /* the last one was tagged LIND_TAG_DIRECT */
	uint32_t traced;
	uint32_t subs; /* the tracers' slots selecting the cage */
	uint32_t nr;
	uint32_t n_args;
	uint32_t n_data;
	int64_t args[6];
	uint32_t data_len[6];
	uint32_t data_cap; /* each buffer cut to this (relay.trace_data) */
	uint8_t data[6][LIND_TRACE_DATA_MAX];
	uint64_t start_ns;   /* monotonic, when the slot was taken */
	uint64_t start_wall; /* realtime, for the event */
};

struct relay;

/* A cage's channel and done page (protocol.h): fds for the cage and the
 * server, mappings for the relay. */
struct relay_chan {
	struct lind_chan *chan;
	struct lind_chan_done *done;
	int chan_fd, done_fd;
};

struct relay_cage {
	struct relay *r;
	uint64_t cage_id;
	uint32_t idx; /* channel index in the tag */
	uint32_t gen; /* generation in the tag: stale replies are dropped */
	uint32_t deny; /* policy: lind_class bits refused with EPERM */
	struct lind_chan *chan;
	struct lind_chan_done *done; /* shared with the server only */
	bool direct; /* the server maps chan: untraced calls go direct */
	int bell; /* eventfd the cage writes when relay_sleeping (pool.c) */
	_Atomic uint32_t users; /* workers holding it: stop waits for 0 */
	_Atomic int stop;
	uint8_t *frame; /* the serving worker's private copy of a frame */
	_Atomic uint32_t nbusy; /* ring-path calls in flight: replies to poll */
	_Atomic uint32_t trace_subs; /* tracers' slots selecting it (trace_subs.c) */
	char cmd[256]; /* its argv joined, for --cage-cmd (main thread only) */
	struct relay_inflight inflight[LIND_CHAN_SLOTS];
};

/* pool.c: one worker; frame is its private copy (the cage may scribble). */
struct relay_worker {
	struct relay *r;
	pthread_t thread;
	bool running;
	uint8_t *frame; /* LIND_MAX_FRAME bytes */
};

struct relay_conn; /* attach.c */

/* One tracer's filter (trace_subs.c).  until 0: a free slot. */
struct relay_sub {
	uint64_t id;
	uint64_t until; /* monotonic ns: it renews, or the slot is freed */
	uint8_t *spec;  /* its packed TraceFilter: a renewal is the same */
	size_t spec_len;
	bool all_cages, follow, has_re;
	regex_t re;
	uint64_t *cages; /* selected: named, followed, matched */
	size_t ncages, cap;
	uint64_t calls[RELAY_CALL_WORDS];
	uint32_t data_size; /* bytes of each buffer it wants (-s) */
};

/* `nacl-relay --limit NAME=N` (main.c has the table). */
struct relay_limits {
	uint64_t cages;         /* attached or attaching at once */
	uint64_t cages_per_uid; /* the same, per host uid */
};

struct relay {
	char rundir[PATH_MAX];
	char relay_sock[PATH_MAX];
	char pid_file[PATH_MAX];

	struct relay_limits limits;
	unsigned sock_mode; /* relay.sock: 0600, or 0660 with sock_gid */
	long sock_gid;      /* -1: the relay's own group */

	/* server link */
	int server_fd;
	ev_io server_out_io;
	struct lind_ctlq ctl_out; /* Control messages waiting for room */
	struct lind_rings *rings;
	size_t rings_len;
	int bell_fd;
	pthread_mutex_t ring_lock; /* request ring: many cage threads produce */
	pthread_mutex_t rep_lock;  /* reply ring: one consumer at a time */
	_Atomic int server_gone;
	bool direct; /* the server gets channels (not over --server tcp://) */
	_Atomic uint64_t ring_replies; /* replies routed from the ring */
	pthread_t reply_thread;
	bool reply_running;
	_Atomic int reply_stop;

	/* the worker pool (pool.c): every cage's bell in one epoll set */
	unsigned nworkers; /* --threads; 0: 4 a CPU, 4 to 64 */
	struct relay_worker *workers;
	int epfd;
	int pool_stop_fd; /* eventfd: written once, every worker leaves */
	_Atomic uint32_t serving; /* workers serving a cage (load.c) */

	/* the load sampler (load.c): no core free, so nobody spins */
	_Atomic uint32_t busy;
	int load_fd; /* /proc/loadavg */
	pthread_t load_thread;
	bool load_running;
	_Atomic int load_stop;

	/* channel table: tag -> cage */
	pthread_mutex_t table_lock;
	struct relay_cage *chans[RELAY_MAX_CHANS];
	uint32_t gens[RELAY_MAX_CHANS];
	uint32_t next_idx;
	uint64_t ncages;

	/* trace and admin */
	int pub_sock;
	int rep_sock;
	char trace_url[PATH_MAX + 8];
	_Atomic uint64_t trace_until; /* monotonic ns; 0: off */
	_Atomic uint64_t calls;
	_Atomic uint64_t published;
	struct relay_sub subs[RELAY_TRACE_SUBS];
	_Atomic uint64_t trace_calls[RELAY_CALL_WORDS]; /* union of subs' */
	_Atomic uint32_t trace_data; /* bytes per buffer: the most subs want */
	/* the batch (trace.c): cage threads, the reply thread, the main loop */
	pthread_mutex_t batch_lock;
	uint8_t *batch;      /* a TraceBatch being written; NULL: no feed */
	size_t batch_len;
	uint32_t batch_n;    /* events in it */
	uint64_t batch_seq;  /* events sent before it */
	ev_timer trace_tick; /* sends a batch that waits, while tracing */

	/* main loop (attach.c, main.c) */
	struct ev_loop *loop;
	int listen_fd;
	char bound_name[PATH_MAX]; /* relay.sock's name as peers see it */
	ev_io listen_io;
	ev_timer accept_retry;
	bool accept_paused_once;
	uint64_t next_attach_id;
	uint64_t nconns;
	int closer_pipe[2]; /* fds to close off the loop (FUSE files) */
	ev_io server_io;
	ev_io admin_io;
	struct relay_conn *conns;
	int exit_code;
};

void relay_init(struct relay *r);

/* check.c: 0 or -errno for a frame against its table row; *why says what
 * is wrong with a bad frame (NULL for an unserved call: ENOSYS). */
int relay_check(const Lind__Request *req);
int relay_check_why(const Lind__Request *req, const char **why);
/* -EPERM when the call (with its arguments: an open's flags) is in a
 * class of deny; *cls names that class.  0 otherwise. */
int relay_policy(uint32_t deny, const Lind__Request *req, const char **cls);

/* cage.c */
/* A new channel and done page, each in a memfd: the channel's goes to
 * the cage with AttachReply, both to the server with CAGE_NEW. */
int relay_chan_create(struct relay_chan *ch);
/* Unmaps and closes what ch still holds (a cage that never started). */
void relay_chan_drop(struct relay_chan *ch);
/* Register ch's mappings in the table (taken over: ch keeps its fds) and
 * in the pool, with bell (an eventfd the cage also gets).  On success the
 * mappings and bell are the cage's (relay_cage_stop unmaps and closes
 * them); on failure still the caller's. */
int relay_cage_start(struct relay *r, uint64_t cage_id, uint32_t deny,
		     struct relay_chan *ch, int bell, struct relay_cage **out);
void relay_cage_stop(struct relay *r, struct relay_cage *c);
/* Take and forward c's SUBMITTED slots (its serving worker only): how
 * many. */
int relay_cage_scan(struct relay_cage *c);
/* Replies to c are pending. */
bool relay_cage_in_flight(struct relay_cage *c);

/* pool.c */
int relay_pool_start(struct relay *r);
void relay_pool_stop(struct relay *r);
/* c (in the table) joins the epoll set, asleep: its bell wakes it. */
int relay_pool_add(struct relay *r, struct relay_cage *c);
/* c (out of the table, stop set) leaves the set; returns once no worker
 * holds it. */
void relay_pool_remove(struct relay *r, struct relay_cage *c);
/* Server reply -> its slot; drops stale tags.  Modifies rep->tag. */
void relay_route_reply(struct relay *r, Lind__Reply *rep);
bool relay_route_raw(struct relay *r, const uint8_t *frame, size_t len);
/* Calls of slot i in flight (forwarded, neither answered nor routed). */
static inline bool relay_slot_busy(struct relay_cage *c, uint32_t i)
{
	return atomic_load(&c->inflight[i].fwd) !=
	       atomic_load(&c->done->done[i]);
}
/* Slots of c with a call in flight (--top). */
uint32_t relay_cage_inflight(struct relay_cage *c);
/* Server gone: every channel fails its calls. */
void relay_cages_fail_all(struct relay *r);
/* One step of a spin loop that ends at until (monotonic ns). */
void relay_spin_pause(uint64_t until);
/* load.c: whether a core is free to spin on, sampled and published. */
unsigned relay_load_others(unsigned running, unsigned ours);
uint32_t relay_load_step(uint32_t avg, unsigned others);
bool relay_load_busy(uint32_t avg, unsigned ncpu);
int relay_load_parse(const char *loadavg);
int relay_load_start(struct relay *r);
void relay_load_stop(struct relay *r);
/* No core is free: sleep at once instead of spinning. */
static inline bool relay_busy(struct relay *r)
{
	return atomic_load_explicit(&r->busy, memory_order_relaxed);
}
/* Start a thread with every signal blocked (signals belong to main). */
int relay_thread_start(pthread_t *t, void *(*fn)(void *), void *arg);

/* server_link.c */
int relay_server_connect(struct relay *r, const char *sock_path,
			 int timeout_ms);
/* HELLO on fd (connected to server.sock or to remote.c's stand-in). */
int relay_server_hello(struct relay *r, int fd);
/* Who a new cage is: its virtual ids and groups (its launcher's, or
 * what root asked with lind-run --uid), and its launcher's host ids. */
#define RELAY_GROUPS_MAX 256
struct relay_ident {
	uint32_t uid, gid, host_uid, host_gid;
	uint32_t groups[RELAY_GROUPS_MAX];
	size_t ngroups;
};
/* Sends CAGE_NEW without waiting; the answer comes to
 * relay_attach_answer with the same attach_id.  A forked child's names
 * its token (a->fork_token) and parent_id, the cage whose connection it
 * came by (the server gives it its parent's ids). */
int relay_server_cage_new(struct relay *r, const Lind__Attach *a, pid_t pid,
			  const struct relay_ident *id, const int *fds,
			  int nfds, uint64_t attach_id, uint64_t parent_id);
void relay_server_cage_gone(struct relay *r, uint64_t cage_id);
/* Ask for cage_id's open fds for the tracer in slot (lind-trace -y). */
void relay_server_cage_fds(struct relay *r, uint64_t cage_id, uint32_t slot);
/* A fork connection closed before its child attached: CAGE_GONE naming
 * the embryo by token and forking cage (the server checks both). */
void relay_server_embryo_gone(struct relay *r, uint64_t token,
			      uint64_t parent_id);
/* Pack req into the request ring; waits while full unless *stop. */
int relay_forward(struct relay *r, const Lind__Request *req,
		  _Atomic int *stop);
void relay_ring_bell(struct relay *r);
/* Cage threads with calls in flight drain replies themselves while they
 * spin (saves a thread hand-off); 0 when none or another drains. */
int relay_replies_poll(struct relay *r);
int relay_replies_start(struct relay *r);
void relay_replies_stop(struct relay *r);
void relay_server_close(struct relay *r);

/* remote.c: --server tcp://: a stand-in for server.sock (*fd_out, for
 * relay_server_hello) that carries it to a remote posix-server. */
int relay_remote_open(const char *url, const char *secret, int *fd_out);
/* After relay_server_close: the stand-in ends. */
void relay_remote_close(void);

/* trace.c */
int relay_trace_open(struct relay *r);
void relay_trace_close(struct relay *r);
bool relay_tracing(struct relay *r);
/* ev into the batch (trace.c): out when full, at the tick, or at once
 * for a note */
void relay_trace_publish(struct relay *r, const Lind__TraceEvent *ev);
/* The batch out now (the main loop's tick; tests). */
void relay_trace_flush(struct relay *r);
/* A lifecycle note with one number: "forked" (the parent's id), "exited"
 * (the wait status). */
void relay_trace_lifecycle(struct relay *r, uint64_t cage_id,
			   const char *note, int64_t arg);
void relay_trace_note(struct relay *r, uint64_t cage_id, const char *note,
		      char **argv, size_t argc);
/* The server's CAGE_FDS_OK: an "fds" note to the tracer that asked. */
void relay_trace_fds(struct relay *r, const Lind__Control *m);
/* Handle every pending Admin request (main loop). */
void relay_admin_handle(struct relay *r);

/* trace_subs.c (main thread) */
/* A tracer's TRACE_ON with its filter (NULL: everything): its slot, or
 * -EBUSY (no slot free), -EINVAL (a bad regex), -ENOMEM. */
int relay_trace_subscribe(struct relay *r, const Lind__TraceFilter *f);
/* A tracer's TRACE_OFF: its filter goes at once (cages it selected stop
 * paying for it); false when no tracer is left. */
bool relay_trace_unsubscribe(struct relay *r, uint64_t id);
/* The slots of the live tracers selecting cage_id. */
uint32_t relay_trace_selects(struct relay *r, uint64_t cage_id);
/* c attached (parent: the cage it forked from, or 0, with argv): who
 * selects it, following parents and matching its argv. */
void relay_trace_cage_born(struct relay *r, struct relay_cage *c,
			   uint64_t parent, char **argv, size_t argc);
/* cage_id runs argv now: --cage-cmd tracers whose regex it matches
 * select it from here on (one it matched before stays selected). */
void relay_trace_cage_execed(struct relay *r, uint64_t cage_id, char **argv,
			     size_t argc);
void relay_trace_subs_free(struct relay *r);

/* The one check a call pays when nobody traces its cage: does a tracer
 * want call nr of cage c?  The slots selecting c in *subs. */
static inline bool relay_trace_wants(struct relay_cage *c, uint64_t nr,
				     uint32_t *subs)
{
	*subs = atomic_load_explicit(&c->trace_subs, memory_order_relaxed);
	if (!*subs || !relay_tracing(c->r))
		return false;
	int i = lind_row_index(nr);
	unsigned bit = i < 0 ? LIND_ROWS : (unsigned)i;
	uint64_t w = atomic_load_explicit(&c->r->trace_calls[bit / 64],
					  memory_order_relaxed);
	return w >> (bit % 64) & 1;
}

/* attach.c */
int relay_attach_listen(struct relay *r);
int relay_attach_start(struct relay *r);
/* The thread that closes fds whose close may block. */
int relay_closer_start(struct relay *r);
/* The server answered a CAGE_NEW (CAGE_NEW_OK or ERROR). */
void relay_attach_answer(struct relay *r, const Lind__Control *m);
/* The server's CAGE_SIGNAL: send signo to that cage's process. */
void relay_attach_signal(struct relay *r, uint64_t cage_id, uint32_t signo);
/* The server's CAGE_FD: fd (not taken over) to the cage, for the call
 * with that tag. */
void relay_attach_pass_fd(struct relay *r, uint64_t cage_id, uint64_t tag,
			  int fd);
void relay_attach_close_all(struct relay *r);

#endif
