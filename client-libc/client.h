/*
 * client-libc internals.  Layers, outermost first:
 *   stubs.c    libc symbols; the only place errno is set
 *   trap.c     seccomp filter + SIGSYS handler (calls glibc's own code makes)
 *   syscall.c  lind_syscall(): the single entry point, SPLIT writes
 *   marshal.c  Request/Reply <-> caller buffers, driven by the table row
 *   chan.c     the cage's shared-memory channel: slots, waiting, liveness
 *   attach.c   start-up: relay.sock, channel mapping, filter installation
 * Everything reachable from lind_syscall() is async-signal-safe: it runs in
 * the SIGSYS handler, so no malloc, no stdio, no locks, and errno is never
 * touched (host calls are raw `syscall` instructions).
 */
#ifndef LIND_CLIENT_H
#define LIND_CLIENT_H

#include <linux/filter.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "lind.h"
#include "protocol.h"
#include "syscall.h"

/*
 * The filter lets client-libc's own host calls through only when argument
 * 5 (r9, ignored by the kernel for each of them) holds this value: the
 * final exit_group, the liveness peek at the attach socket, a fatal line
 * on fd 2, rt_sigaction (never of SIGSYS), kill/tgkill of this process.
 * trap.c's opening comment says what a cage forging it can do.
 */
#define LIND_HOST_MAGIC 0x4c494e44484f5354ull /* "LINDHOST" */
#define LIND_HOST_ARG 5
/* recvfrom flags of the liveness peek: never waits, never consumes */
#define LIND_PEEK_FLAGS (MSG_PEEK | MSG_DONTWAIT)
/* recvmsg flags of a server-given fd's message (hostfd.c) and a forked
 * child's AttachReply: a blocking read, woken by the message itself, that
 * the socket's SO_RCVTIMEO bounds (lind_attach_sock_bound) */
#define LIND_RECV_FD_FLAGS MSG_CMSG_CLOEXEC
/* A syscall number Linux does not have: without our filter the kernel says
 * ENOSYS; under it the SIGSYS handler answers with the attached client's
 * state, so a second copy of client-libc in one process shares it. */
#define LIND_PROBE_NR 0x4c4e
#define LIND_CLIENT_VERSION 4

/* One per process, shared by every copy of client-libc loaded in it. */
struct lind_client {
	uint32_t version; /* LIND_CLIENT_VERSION: layout of this struct */
	int sock;         /* relay.sock connection: the liveness handle */
	uint64_t cage_id;
	struct lind_chan *chan;
	/* Signals whose handler lacks SA_RESTART (trap.c keeps it): a call
	 * they interrupt while it waits in the server ends with EINTR.  Here,
	 * not in a global: every copy of client-libc in the process (lind-run's
	 * resident handler, the program's stubs) must see the same set. */
	_Atomic uint64_t norestart_sigs;
	/* hostfd.c: fds (+1) taken from the attach socket for another slot's
	 * call; numbers of the mapping range in use */
	_Atomic int fd_stash[LIND_CHAN_SLOTS];
	_Atomic uint64_t map_fds_used;
	/* execve/execveat (nr, the trapped call's ucontext, its arguments):
	 * lind-run's userspace exec (exec.c), set by lind-run alone.  NULL in
	 * a cage started directly: no loader is mapped to run the new image.
	 * Returns only on failure (-errno); the old image runs on. */
	long (*exec)(long nr, void *uc, const long a[6]);
	/* exec.c, set with exec: a forked child tells it its new host pid and
	 * that its channel moved from old (unmapped next) to cl->chan */
	void (*exec_forked)(const void *old_chan, int host_pid);
	/* fork.c: one fork at a time per process (the relay answers fork
	 * connections in order on the one attach socket) */
	_Atomic uint32_t fork_lock;
	/* fork.c: the stack a CLONE_VM clone asked for; the handler puts the
	 * child's sp there on its way out (trap.c) */
	long child_sp;
};
_Static_assert(LIND_MAP_FDS <= 64, "map_fds_used is one word");

/* hostfd.c: the host fd that came with slot's answer (Reply.fd), or
 * -errno; and a mapping of one (closed in any case): mmap's result. */
long lind_hostfd_take(struct lind_client *cl, uint32_t slot);
long lind_hostfd_map(struct lind_client *cl, int hostfd, long addr,
		     size_t len, int prot, int flags, long off);

/* NULL until attached (attach.c). */
extern struct lind_client *lind_cl;

/* A call made before attaching (another library's constructor, or
 * attach.c itself): attaches first, or goes to the host while attaching. */
long lind_unattached(long nr, const long a[6]);

/* syscall.c: the generic path of one call (plan, marshal, send, wait,
 * unmarshal; SPLIT rows in pieces), for hooks that wrap it. */
long lind_call_generic(struct lind_client *cl, long nr, const long a[6]);

/* hooks.c: rows flagged CLIENT (proto/syscall_table.def). */
struct lind_hook {
	uint32_t nr;
	/* runs the call instead of lind_call_generic; NULL: generic */
	long (*call)(struct lind_client *cl, long nr, const long a[6]);
	/* the answer with the relay gone; NULL: fatal (exit 127) */
	long (*offline)(long nr, const long a[6]);
};
const struct lind_hook *lind_hook_for(uint32_t nr);
const struct lind_hook *lind_hook_at(size_t i); /* NULL past the last */

/* fork.c: clone (not a thread), fork, vfork: a new cage; wait4, waitid:
 * the server's wait, then host zombies reaped. */
long lind_hook_fork(struct lind_client *cl, long nr, const long a[6]);
long lind_hook_wait(struct lind_client *cl, long nr, const long a[6]);
/* signalfd.c: a read of a signalfd (Reply.dequeue): the calling
 * thread's pending signals of mask into the cnt buffers of v, as many
 * as they hold; waits for the first when wait.  Bytes, -EAGAIN or
 * -EINTR. */
long lind_signalfd_read(struct lind_client *cl, const struct iovec *v,
			int cnt, uint64_t mask, bool wait);
/* sockmsg.c: sendmmsg, recvmmsg as sendmsg, recvmsg frames. */
long lind_hook_mmsg(struct lind_client *cl, long nr, const long a[6]);
/* trap.c: a forked child's host pid (its own ids for the handler). */
void lind_trap_forked(int host_pid);
/* threads.c: the cage's threads by host tid (noted when set_robust_list
 * traps); execve ends all but its caller (exec.c); the SIGSYS handler of
 * a thread that is asked to end does not return. */
void lind_thread_note(long tid);
void lind_thread_end_if_asked(void);
void lind_threads_end_others(struct lind_client *cl);

/* chan.c */
/* A free slot, or NULL when the relay is gone. */
struct lind_slot *lind_chan_claim(struct lind_client *cl);
/* Submit len bytes in s->buf (call nr's frame), wait for the reply; its
 * length, -EIO for a bad length, -EINTR when a signal handler ended the
 * wait, or -EPIPE when the relay is gone (no answer will come). */
long lind_chan_call(struct lind_client *cl, struct lind_slot *s, uint32_t len,
		    long nr);
/* 0 when the relay said it is going or our attach socket hung up. */
int lind_relay_alive(struct lind_client *cl);
void lind_chan_release(struct lind_client *cl, struct lind_slot *s);

/* marshal.c: what one call sends and where its answer goes, by its row. */
struct lind_in {        /* one Request.data entry */
	const void *p;
	const struct iovec *iov; /* set: gathered from iovecs while packing */
	size_t len;
	/* MSG_IN: name, control, then iovec data, sizes as in slot */
	const struct msghdr *msg;
	int64_t slot;
};

struct lind_out {       /* one Reply.data destination */
	void *p;
	const struct iovec *iov; /* set: scattered to iovec[iovcnt] */
	long iovcnt;
	struct msghdr *msg; /* MSG_OUT: scattered by its head (slot) */
	int64_t slot;
	size_t cap;
	int exact;      /* STAT, IOCTL_ARG: the entry must be exactly cap */
};

struct lind_plan {
	uint32_t nr;
	int nin, nout;
	/* the in[] entry that may go in the slot's data area (Request.area),
	 * the out[] entry Reply.area may stand for; -1: none */
	int area_in, area_out;
	int64_t sent[6];        /* argument values as the relay sees them */
	struct lind_in in[6];
	struct lind_out out[6];
};

/* Plan call nr with arguments a[]: 0 or -errno (-EFAULT, -ENAMETOOLONG,
 * -EINVAL).  A number without a row plans raw args and no data. */
long lind_plan(struct lind_plan *p, long nr, const long a[6]);
/* Pack Request{nr, args, data} into buf: the length, or -E2BIG.  A buf
 * of a slot's size (cap LIND_MAX_FRAME) gets the bulk in-data, if any,
 * in its data area at LIND_AREA_OFF instead (Request.area). */
long lind_marshal(uint8_t *buf, size_t cap, const struct lind_plan *p);
/* Copy the Reply in frame[0..len) to the planned destinations: the
 * result, or -EIO when it does not fit what the call asked for.  *flags
 * gets LIND_REPLY_MORE (Reply.more: the rest of a cut read is there,
 * LF_SPLIT), LIND_REPLY_FD (Reply.fd: a host fd comes, hostfd.c) and
 * Reply.dequeue (LIND_DEQUEUE_*) << LIND_REPLY_DEQUEUE_SHIFT, with
 * Reply.sigmask in *sigmask (signalfd.c). */
#define LIND_REPLY_MORE 1
#define LIND_REPLY_FD 2
#define LIND_REPLY_DEQUEUE_SHIFT 2
/* area: the slot's data area (Reply.area's bytes), NULL when frame is
 * not in a slot (a Reply.area then is -EIO). */
long lind_unmarshal(const struct lind_plan *p, const uint8_t *frame,
		    size_t len, const uint8_t *area, int *flags,
		    uint64_t *sigmask);

/* The SIGSYS handler answered call nr with errno err (either sign)
 * without the server: tell the trace (a lind_refused frame, which the
 * relay publishes as nr(a...) = -1 ERR (filter) and answers itself).
 * Async-signal-safe; does nothing before attaching. */
void lind_report_refusal(long nr, long err, const long a[6]);

/* trap.c: install the SIGSYS handler and the filter; 0 or -errno. */
int lind_trap_install(void);
/* trap.c: sig to the calling thread by the host (SIGPIPE on a broken
 * pipe: default action, handler, ignored or blocked, as natively). */
void lind_signal_self_thread(int sig);

/* allow.c: the seccomp filter, built from the allow-list for a process
 * (its host pid and attach socket name its own exceptions). */
#define LIND_FILTER_MAX 512
struct lind_filter {
	struct sock_filter ins[LIND_FILTER_MAX];
	unsigned short n;
};
void lind_filter_build(struct lind_filter *f, uint32_t host_pid,
		       uint32_t sock);
/* One line per row: number, name, why it is safe. */
void lind_allow_list_print(FILE *out);

/* Raw host syscall: the result or -errno, errno untouched.  r9 is zeroed
 * after the call: a magic left there would let the program's next raw
 * call of an excepted number (glibc's write(2, ...), rt_sigaction) pass
 * the filter as if it were ours. */
static inline long lind_host6(long nr, long a0, long a1, long a2, long a3,
			      long a4, long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;
	__asm__ volatile("syscall\n\txor %%r9d, %%r9d"
			 : "=a"(ret), "+r"(r9)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
			   "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

/* Host calls the filter lets through because they carry the magic. */
static inline long lind_host_magic(long nr, long a0, long a1, long a2)
{
	return lind_host6(nr, a0, a1, a2, 0, 0, (long)LIND_HOST_MAGIC);
}

__attribute__((noreturn)) void lind_host_exit(int status);
/* One line on the host stderr, then exit 127.  Async-signal-safe. */
__attribute__((noreturn)) void lind_host_fatal(const char *line);

/* Shared-memory futex (raw, errno untouched): 0, -ETIMEDOUT, -EINTR... */
long lind_futex_wait_raw(_Atomic uint32_t *w, uint32_t expect, long ms);
void lind_futex_wake_raw(_Atomic uint32_t *w);

#endif
