/*
 * fork for cages (docs/architecture.md "Fork").  glibc's fork, vfork,
 * posix_spawn, system and popen all end in a raw clone without
 * CLONE_THREAD, which the filter traps; the hook here makes it a new cage:
 *
 *   parent: lind_fork through its channel -> the server makes an EMBRYO
 *           child: its virtual pid and a single-use token;
 *           Attach{fork_conn} on its attach socket -> the relay answers with
 *           one end of a fresh socketpair (SCM_RIGHTS);
 *           the host clone (the filter's fork exception, with the magic);
 *           closes its copy of the new connection; returns the child's
 *           virtual pid.
 *   child:  before anything else runs (we are still in the handler): the
 *           new connection takes the attach socket's fd number (the parent's
 *           copy closes with it), Attach{fork_token} over it, the relay's
 *           bell eventfd takes the bell's number (LIND_BELL_FD), its
 *           channel memfd mapped through the mapping range (hostfd.c), the
 *           parent's channel unmapped; returns 0.
 *
 * CLONE_VM|CLONE_VFORK (posix_spawn) runs as a plain fork on the stack
 * asked for: a cage's memory is its own, and with no host execve in a
 * cage the vfork parent would stay suspended until the child exits.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "client.h"
#include "lind.pb-c.h"

/* The clone flags a fork may carry: its exit signal, the tid words, and
 * posix_spawn's CLONE_VM|CLONE_VFORK (dropped: see above). */
#define FORK_FLAGS                                                       \
	(CSIGNAL | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |           \
	 CLONE_PARENT_SETTID)
#define VFORK_FLAGS (CLONE_VM | CLONE_VFORK)

static long magic(long nr, long a0, long a1, long a2, long a3)
{
	return lind_host6(nr, a0, a1, a2, a3, 0, (long)LIND_HOST_MAGIC);
}

/* Our host children by virtual pid.  A child's host zombie is reaped only
 * once a wait collected its cage: the server reads a killed cage's status
 * from that zombie (posix-server/loop.c on_cage_gone), so reaping every
 * zombie at once could take one from under it.  Past KIDS children at a
 * time, the others are reaped with the next wait that finds none here. */
#define KIDS 256
static struct kid {
	_Atomic long vpid; /* 0: free; -vpid: collected, host zombie left */
	int hpid;
} kids[KIDS];

static void kid_add(long vpid, int hpid)
{
	for (int i = 0; i < KIDS; i++) {
		long free_ = 0;
		kids[i].hpid = hpid;
		if (atomic_compare_exchange_strong(&kids[i].vpid, &free_, vpid))
			return;
	}
}

/* Reap the host process of collected child vpid (0: none), and of those
 * collected before whose process had not ended yet (it told the server
 * exit_group, then exits): never waiting. */
static void kids_reap(long vpid)
{
	siginfo_t si;
	bool known = vpid <= 0;
	for (int i = 0; i < KIDS; i++) {
		long v = atomic_load(&kids[i].vpid);
		if (v && v == vpid) {
			known = true;
			atomic_compare_exchange_strong(&kids[i].vpid, &v, -v);
			v = -v;
		}
		si.si_pid = 0;
		if (v < 0 && magic(SYS_waitid, P_PID, kids[i].hpid, (long)&si,
				   WEXITED | WNOHANG | __WALL) != 0)
			atomic_store(&kids[i].vpid, 0); /* not ours: gone */
		else if (v < 0 && si.si_pid)
			atomic_store(&kids[i].vpid, 0);
	}
	while (!known && magic(SYS_waitid, P_ALL, 0, (long)&si,
			       WEXITED | WNOHANG | __WALL) == 0 && si.si_pid)
		;
}

/* One framed message on the attach socket (sendto: its address argument
 * is NULL, so the magic in the length is ignored). */
static long send_attach(int sock, const Lind__Attach *a)
{
	uint8_t buf[64];
	size_t n = lind__attach__get_packed_size(a);
	if (n > sizeof buf)
		return -E2BIG;
	lind__attach__pack(a, buf);
	return lind_host6(SYS_sendto, sock, (long)buf, (long)n, MSG_NOSIGNAL,
			  0, (long)LIND_HOST_MAGIC);
}

/* The relay's AttachReply to a child and the fds it carries: the
 * channel's memfd (returned) and the bell's eventfd (*bell), or -errno
 * (an answer without both is a refusal).  A blocking read with
 * hostfd.c's flags, the only ones the filter lets through on the attach
 * socket, woken by the answer; the relay set the socket's SO_RCVTIMEO, so
 * a wait ends every LIND_ATTACH_RCV_US and is resumed. */
static long recv_channel(int sock, int *bell)
{
	uint8_t buf[512];
	union {
		char b[CMSG_SPACE(2 * sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {buf, sizeof buf};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof ctl.b};
	long r;
	while ((r = magic(SYS_recvmsg, sock, (long)&mh, LIND_RECV_FD_FLAGS,
			  0)) == -EAGAIN || r == -EINTR)
		;
	if (r < 0)
		return r;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	int fds[2];
	if (!r || !c || c->cmsg_level != SOL_SOCKET ||
	    c->cmsg_type != SCM_RIGHTS)
		return -EAGAIN;
	if (c->cmsg_len != CMSG_LEN(sizeof fds)) {
		if (c->cmsg_len == CMSG_LEN(sizeof(int))) { /* no bell */
			__builtin_memcpy(fds, CMSG_DATA(c), sizeof(int));
			magic(SYS_close, fds[0], 0, 0, 0);
		}
		return -EAGAIN;
	}
	__builtin_memcpy(fds, CMSG_DATA(c), sizeof fds);
	*bell = fds[1];
	return fds[0];
}

/* A connection for the child, from the relay.  It answers as server-given
 * fds come ({slot} + fd on the attach socket, hostfd.c), so we hold a slot
 * for the answer's name; the token lets the relay end the embryo at once
 * should the child die before attaching. */
static long fork_conn(struct lind_client *cl, uint64_t token)
{
	struct lind_slot *s = lind_chan_claim(cl);
	if (!s)
		return -EAGAIN;
	uint32_t slot = (uint32_t)(s - cl->chan->slot);
	Lind__Attach a = LIND__ATTACH__INIT;
	a.version = LIND_PROTO_VERSION;
	a.fork_conn = 1;
	a.fork_token = token;
	a.fork_slot = slot;
	long r = send_attach(cl->sock, &a);
	if (r >= 0)
		r = lind_hostfd_take(cl, slot);
	lind_chan_release(cl, s);
	return r < 0 ? -EAGAIN : r;
}

/* What the parent's other threads left in this process's copy: fds
 * stashed for their calls, mapping-range fds in use. */
static void child_forget_parent(struct lind_client *cl)
{
	for (int i = 0; i < LIND_CHAN_SLOTS; i++) {
		int fd = atomic_exchange(&cl->fd_stash[i], 0) - 1;
		if (fd >= 0)
			magic(SYS_close, fd, 0, 0, 0);
	}
	uint64_t used = atomic_exchange(&cl->map_fds_used, 0);
	for (int i = 0; used; i++, used >>= 1)
		if (used & 1)
			magic(SYS_close, LIND_MAP_FD + i, 0, 0, 0);
}

/* The child, still in the parent's handler: attach as cage `id` over
 * conn.  Fatal (exit 127) if it cannot: it must not run unattached. */
static void child_attach(struct lind_client *cl, long conn, uint64_t id,
			 uint64_t token)
{
	child_forget_parent(cl);
	/* the new connection takes the attach socket's number (the filter's
	 * exceptions name it); the parent's copy closes with it */
	long r = magic(SYS_dup3, conn, cl->sock, O_CLOEXEC, 0);
	magic(SYS_close, conn, 0, 0, 0);
	if (r < 0)
		lind_host_fatal("lind: forked child: cannot take its connection\n");
	Lind__Attach a = LIND__ATTACH__INIT;
	a.version = LIND_PROTO_VERSION;
	a.fork_token = token;
	int bell = -1;
	long fd = send_attach(cl->sock, &a) < 0 ? -EPIPE
						: recv_channel(cl->sock, &bell);
	if (fd < 0)
		lind_host_fatal("lind: forked child: the relay refused it\n");
	/* its own bell replaces its parent's (the filter's exceptions name
	 * the number) */
	r = magic(SYS_dup3, bell, LIND_BELL_FD(cl->sock), O_CLOEXEC, 0);
	magic(SYS_close, bell, 0, 0, 0);
	if (r < 0)
		lind_host_fatal("lind: forked child: cannot take its bell\n");
	long m = lind_hostfd_map(cl, (int)fd, 0, sizeof(struct lind_chan),
				 PROT_READ | PROT_WRITE, MAP_SHARED, 0);
	if (m < 0)
		lind_host_fatal("lind: forked child: cannot map its channel\n");
	struct lind_chan *old = cl->chan;
	cl->chan = (struct lind_chan *)m;
	cl->cage_id = id;
	/* its main thread's host tid is its host pid (getpid would trap) */
	int pid = (int)lind_host6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	if (cl->exec_forked)
		cl->exec_forked(old, pid);
	lind_host6(SYS_munmap, (long)old, sizeof *old, 0, 0, 0, 0);
	lind_trap_forked(pid);
}

static void set_mask(int how, const uint64_t *set, uint64_t *old)
{
	lind_host6(SYS_rt_sigprocmask, how, (long)set, (long)old, 8, 0, 0);
}

/* No exit signal from the host: the server sends SIGCHLD once it knows
 * the child's end, so a wait after it finds it, and a parent gets one
 * SIGCHLD per child, as natively.  Unless the parent ignores SIGCHLD (or
 * set SA_NOCLDWAIT): then nobody waits, and the host reaps the child
 * itself only when its exit signal is SIGCHLD. */
static unsigned long host_flags(unsigned long flags)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} act;
	if (lind_host6(SYS_rt_sigaction, SIGCHLD, 0, (long)&act, 8, 0, 0) == 0 &&
	    (act.handler == SIG_IGN || (act.flags & SA_NOCLDWAIT)))
		return flags;
	return flags & ~(unsigned long)CSIGNAL;
}

static void fork_lock(struct lind_client *cl)
{
	uint32_t free_ = 0;
	while (!atomic_compare_exchange_weak(&cl->fork_lock, &free_, 1)) {
		free_ = 0;
		lind_host6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
}

long lind_hook_fork(struct lind_client *cl, long nr, const long a[6])
{
	unsigned long flags = nr == LIND_SYS_clone ? (unsigned long)a[0]
			      : nr == LIND_SYS_vfork ? VFORK_FLAGS | SIGCHLD
						     : SIGCHLD;
	long stack = nr == LIND_SYS_clone ? a[1] : 0;
	if ((flags & VFORK_FLAGS) == VFORK_FLAGS)
		flags &= ~(unsigned long)VFORK_FLAGS;
	else
		stack = 0; /* without CLONE_VM the child's sp is the parent's */
	if ((uint32_t)flags & ~(uint32_t)FORK_FLAGS)
		return -EINVAL; /* namespaces, CLONE_PARENT, a half thread... */
	uint64_t token = 0, all = ~0ull, old_mask;
	/* no handler runs in the child before it is attached (it would call
	 * out on the parent's channel): signals wait until it is.  Trapped,
	 * not magic: the nested SIGSYS handler sets the mask we return to
	 * (trap_sigprocmask), leaving SIGSYS deliverable */
	set_mask(SIG_BLOCK, &all, &old_mask);
	fork_lock(cl);
	long id = lind_call_generic(cl, LIND_SYS_lind_fork,
				    (long[6]){(long)&token, 0, 0, 0, 0, 0});
	long conn = id < 0 ? id : fork_conn(cl, token);
	long r = conn;
	if (conn >= 0)
		r = magic(SYS_clone, (long)(uint32_t)host_flags(flags), 0,
			  nr == LIND_SYS_clone ? a[2] : 0,
			  nr == LIND_SYS_clone ? a[3] : 0);
	if (r == 0) { /* the child */
		for (int i = 0; i < KIDS; i++) /* its parent's children */
			atomic_store(&kids[i].vpid, 0);
		child_attach(cl, conn, (uint64_t)id, token);
		atomic_store(&cl->fork_lock, 0);
		set_mask(SIG_SETMASK, &old_mask, NULL);
		/* last: the next handler exit (ours, not that of set_mask's
		 * trap) moves to it */
		cl->child_sp = stack;
		return 0;
	}
	if (conn >= 0)
		magic(SYS_close, conn, 0, 0, 0);
	if (r > 0)
		kid_add(id, (int)r);
	atomic_store(&cl->fork_lock, 0);
	set_mask(SIG_SETMASK, &old_mask, NULL);
	/* a failed host clone leaves an embryo that never attaches: the
	 * server ends it (killed) after its timeout */
	return r < 0 ? r : id;
}

/* After a wait collected a child, its host process (our host child) is a
 * host zombie, or about to be: reap it, never waiting.  WNOWAIT leaves
 * the child collectable, so its zombie stays too. */
long lind_hook_wait(struct lind_client *cl, long nr, const long a[6])
{
	long r = lind_call_generic(cl, nr, a);
	long vpid = 0;
	if (nr == LIND_SYS_wait4 && r > 0)
		vpid = r;
	else if (nr == LIND_SYS_waitid && r == 0 && a[2] &&
		 !(a[3] & WNOWAIT))
		vpid = ((const siginfo_t *)a[2])->si_pid;
	if (vpid > 0)
		kids_reap(vpid);
	return r;
}
