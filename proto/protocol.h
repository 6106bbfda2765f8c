/*
 * What the three processes agree on besides the frames in lind.proto:
 * the protocol version, size limits, file names in the runtime dir, and the
 * layout of the two shared-memory structures (cage channel, server ring).
 */
#ifndef LIND_PROTOCOL_H
#define LIND_PROTOCOL_H

#include <stdatomic.h>
#include <stdint.h>

/* 2: frames of 512 KiB (LIND_MAX_IO), so a channel's slots moved;
 * 3: the relay sleeps on the cage's bell (LIND_BELL_FD), not a futex, and
 *    the server answers untraced calls into the slot (LIND_TAG_DIRECT);
 * 4: LIND_MAX_IO is 1 MiB and each slot has a data area at LIND_AREA_OFF:
 *    Request.area and Reply.area say a read's or write's bulk bytes are
 *    there instead of in a data entry (slots moved again) */
#define LIND_PROTO_VERSION 4

/* Largest in- or out-buffer one call carries; bigger reads are clamped
 * for pipes and terminals (a short read), bigger writes and reads of
 * regular files are split by the client into several calls (LF_SPLIT).
 * A datagram must travel in one call, whole: the largest is an AF_UNIX
 * one under the biggest SO_SNDBUF a cage may set (2 * wmem_max less 32:
 * 425952 bytes) with its name and control (docs/architecture.md). */
#define LIND_MAX_IO (1024 * 1024)
/* An LF_E2BIG row's in-buffer limit: XATTR_SIZE_MAX. */
#define LIND_E2BIG_MAX (64 * 1024)
#define LIND_MAX_PATH 4096
/* lind-run --bind: per-cage binds an Attach may carry, and the fds any
 * control message may (3 stdio + binds + spare) */
#define LIND_MAX_BINDS 8
#define LIND_MAX_FDS 16

/* lind-run --net: what a cage's AF_INET/AF_INET6 sockets may reach
 * (Attach.net; posix-server enforces it, docs/architecture.md). */
enum lind_net {
	LIND_NET_LOOPBACK = 0, /* the default: 127.0.0.0/8 and ::1 only */
	LIND_NET_NONE = 1,     /* no inet socket at all (EACCES) */
	LIND_NET_HOST = 2,     /* whatever the host reaches */
};
/* Reply.dequeue: a read of a signalfd, finished by the reading thread
 * (client-libc/signalfd.c). */
enum lind_dequeue {
	LIND_DEQUEUE_NOW = 1,  /* a non-blocking description: EAGAIN if none */
	LIND_DEQUEUE_WAIT = 2, /* a blocking one: wait for the first signal */
};
/*
 * Largest packed Request or Reply: one buffer, one path, headers.  A
 * slot's buf is also the call's data area: a frame that names the area
 * (Request.area, Reply.area; docs/architecture.md "Bulk data") is at
 * most LIND_AREA_OFF bytes, and the bulk bytes lie at LIND_AREA_OFF, up
 * to LIND_MAX_IO of them.  The area starts 8 KiB into the slot (the
 * slot's 16-byte header, then the frame region), so a slot is 1 MiB +
 * 8 KiB and a channel 1,032 MiB of address space, sparse.
 */
#define LIND_AREA_OFF (8192 - 16)
#define LIND_MAX_FRAME (LIND_AREA_OFF + LIND_MAX_IO)
_Static_assert(LIND_MAX_FRAME >= LIND_MAX_IO + LIND_MAX_PATH + 1024,
	       "a frame holds one buffer, one path and headers inline");
/* In/out data bytes copied into each trace event: by default (strace's
 * -s 32 shows whole), and the most a tracer may ask for (lind-trace -s;
 * each of a cage's 1,024 in-flight records holds six buffers of it). */
#define LIND_TRACE_DATA 48
#define LIND_TRACE_DATA_MAX 256

/* Names inside the runtime dir (LIND_RUNTIME_DIR). */
#define LIND_RELAY_SOCK "relay.sock"     /* cages attach here (unix seqpacket) */
#define LIND_SERVER_SOCK "server.sock"   /* the relay connects here */
#define LIND_TRACE_IPC "trace.ipc"       /* nanomsg PUB, trace events */
#define LIND_ADMIN_IPC "admin.ipc"       /* nanomsg REP, Admin requests */
#define LIND_SERVER_PID "posix-server.pid"
#define LIND_RELAY_PID "nacl-relay.pid"


/*
 * Cage channel: one memfd per cage, created by the relay and sent to the
 * cage with its AttachReply; both map it.
 * A calling thread claims a FREE slot, writes its packed Request, marks it
 * SUBMITTED and rings the doorbell.  The relay copies the frame out (the
 * cage may scribble on shared memory at any time), marks it TAKEN, and
 * later writes the packed Reply and marks it REPLIED; the thread reads the
 * reply and frees the slot.  The client waits spin-then-futex on its
 * slot; the relay, asleep, waits for the cage's bell (LIND_BELL_FD).
 *
 * Every thread of a cage may be waiting in the server at once (a pipe's
 * reader and its writer, lock waits), so there are many slots; the memfd
 * is sparse and a slot's pages exist only once it is used.  Threads take
 * the lowest free slot and publish how many slots they ever used
 * (slots_used), so the relay scans only those: a one-thread cage costs
 * what 8 slots did.  Past LIND_CHAN_SLOTS calls at once, a thread sleeps
 * until a slot frees.
 */
enum lind_slot_state {
	LIND_SLOT_FREE = 0,
	LIND_SLOT_FILLING = 1,
	LIND_SLOT_SUBMITTED = 2,
	LIND_SLOT_TAKEN = 3,
	LIND_SLOT_REPLIED = 4,
};

#define LIND_CHAN_MAGIC 0x4c494e44u /* "LIND" */
#define LIND_CHAN_SLOTS 1024
/* The relay always scans this many, whatever slots_used says (slot 0
 * shares the header's page: an idle cage costs the relay one page). */
#define LIND_CHAN_SCAN_MIN 1
/* The cage's bell: an eventfd the relay sends with the channel, kept at
 * the host fd just above the attach socket's.  A client that finds
 * relay_sleeping set after submitting writes 1 to it (nacl-relay/pool.c:
 * one epoll set holds every cage's bell). */
#define LIND_BELL_FD(sock) ((sock) + 1)
/* Host fd numbers a cage maps server-given fds at (client-libc/hostfd.c):
 * above every virtual fd (posix-server's FD_MAX), so that a program's
 * mmap of its own fd number never reaches a host fd. */
#define LIND_MAP_FD 1024
#define LIND_MAP_FDS 64

struct lind_slot {
	_Atomic uint32_t state;   /* futex word: enum lind_slot_state */
	_Atomic uint32_t waiting; /* the client sleeps on state */
	uint32_t len;             /* bytes of frame in buf */
	uint32_t pad;
	uint8_t buf[LIND_MAX_FRAME]; /* frame; data area at LIND_AREA_OFF */
} __attribute__((aligned(64)));
_Static_assert(sizeof(struct lind_slot) == LIND_MAX_IO + 8192,
	       "the area ends the slot");

struct lind_chan {
	uint32_t magic;
	uint32_t version;
	uint64_t cage_id;
	_Atomic uint32_t doorbell;       /* bumped on each submit */
	_Atomic uint32_t relay_sleeping; /* nobody serves it: ring the bell */
	_Atomic uint32_t free_seq;       /* futex word: bumped when a slot frees */
	_Atomic uint32_t free_waiters;   /* threads waiting for a free slot */
	_Atomic uint32_t relay_gone;     /* relay detached: calls fail */
	_Atomic uint32_t slots_used;     /* 1 + the highest slot ever claimed */
	_Atomic uint32_t busy;           /* relay's hint: no core free, sleep */
	struct lind_slot slot[LIND_CHAN_SLOTS] __attribute__((aligned(64)));
};

/*
 * Direct replies (docs/architecture.md "Hand-offs per call").  A relay tag
 * (nacl-relay/relay.h) is generation << 32 | channel << 16 | slot; the
 * server reads two parts of it: the slot, and LIND_TAG_DIRECT, which the
 * relay sets on a call nobody traces.  The server answers such a call
 * straight into that slot of the cage's channel (CAGE_NEW brings it a
 * mapping), unless the reply carries an fd, and counts it in the slot's
 * word of the cage's done page before marking the slot REPLIED.  The done
 * page is a memfd of its own that only the relay and the server hold (a
 * cage could write anything in its channel): the relay sees a slot in
 * flight while it forwarded more calls to it than the word counts.
 */
#define LIND_TAG_DIRECT (1ull << 31)
#define LIND_TAG_SLOT(tag) ((uint32_t)(tag) & 0xffff)

struct lind_chan_done {
	_Atomic uint32_t done[LIND_CHAN_SLOTS];
};

/*
 * Server ring: a single-producer single-consumer byte ring of records
 * (u32 length, payload, padded to 8).  One memfd, created by the server
 * and sent to the relay with HELLO_OK, holds two: requests (relay ->
 * server) and replies (server -> relay).
 */
#define LIND_RING_BYTES (8u * 1024 * 1024)
#define LIND_RING_WRAP 0xffffffffu

struct lind_ring {
	_Atomic uint64_t head __attribute__((aligned(64))); /* producer */
	_Atomic uint64_t tail __attribute__((aligned(64))); /* consumer */
	_Atomic uint32_t seq __attribute__((aligned(64)));  /* futex word */
	_Atomic uint32_t consumer_sleeping;
	_Atomic uint32_t producer_waiting; /* producer found it full */
	uint32_t size;
	uint8_t data[LIND_RING_BYTES] __attribute__((aligned(64)));
};

struct lind_rings {
	uint32_t magic;
	uint32_t version;
	_Atomic uint32_t busy; /* the relay's hint: no core free, sleep */
	struct lind_ring req; /* relay -> server */
	struct lind_ring rep; /* server -> relay */
};

#endif
