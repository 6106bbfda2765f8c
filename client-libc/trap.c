/*
 * Completeness by trapping: a seccomp filter lets process-local calls
 * through (memory, futex, thread set-up, signal machinery, clocks, exit)
 * and traps everything else to SIGSYS, whose handler marshals the raw call
 * through lind_syscall() like any stub.  glibc's own calls (printf ->
 * write, opendir -> openat, getcwd...) reach the server this way.
 *
 * An allowed call must not reach outside the process: calls naming a pid
 * (get_robust_list, sched_getaffinity, a CPU clock) pass only for pid 0,
 * the caller; the handler serves the cage's own ids by redoing the call
 * with 0, and answers ESRCH (EINVAL for clocks, as Linux does) for any
 * other pid: no host pid exists in a cage's world.  clone passes only
 * with a thread's flags (no namespaces, pidfd, CLONE_PARENT or exit
 * signal), futex without its PI commands (they look an owner up by pid),
 * membarrier without GLOBAL_EXPEDITED (it interrupts other processes; the
 * handler answers it with MEMBARRIER_CMD_GLOBAL, whose guarantee is wider).
 *
 * Host exceptions carry LIND_HOST_MAGIC in argument 5 (r9), which the
 * kernel ignores for these calls: exit_group (the final exit), recvfrom
 * MSG_PEEK|MSG_DONTWAIT on the attach socket only (the liveness check),
 * write to fd 2 (a fatal line), rt_sigaction of any signal but SIGSYS, and
 * kill/tgkill aimed at this very process (raise, abort: a cage names
 * itself by its virtual pid, which the handler translates).  The magic
 * tells client-libc's host calls from the cage's own calls of the same
 * numbers, which belong to the server; it is no secret: a cage is native
 * code and can forge it.  What a forging cage can do is what these calls
 * allow: exit without the server recording its status (its host parent
 * still sees it), peek at its attach socket (the relay never writes
 * there), write to its launcher's stderr bypassing its virtual fd 2, set
 * host handlers for signals other than SIGSYS (one whose sa_mask blocks
 * SIGSYS kills the process at its next trapped call), signal its own
 * threads.  Nothing reaches another process.
 *
 * SIGSYS must stay deliverable: a trap while SIGSYS is blocked makes the
 * kernel kill the process.  So the handler runs with SA_NODEFER (a signal
 * handler that interrupts a waiting call may itself make trapped calls),
 * rt_sigaction cannot change SIGSYS nor put it in a handler's sa_mask, and
 * rt_sigprocmask cannot block it: calls that could are trapped and
 * emulated here.  What is left: a hand-made rt_sigreturn frame or a forged
 * rt_sigaction can block SIGSYS; the next trapped call then kills the
 * process (no escape).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>

#include "client.h"

#define SIGSYS_BIT (1ull << (SIGSYS - 1))
#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1 /* si_code of a seccomp trap (asm-generic/siginfo.h) */
#endif

/* The kernel's struct sigaction on x86-64 (not glibc's). */
struct k_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* rt_sigaction with a new action: SIGSYS is ours; no handler may block
 * it while running.  Redone on the host through the magic exception; we
 * note which handlers interrupt waiting calls (no SA_RESTART). */
static long trap_sigaction(const long a[6])
{
	const struct k_sigaction *act = (const void *)a[1];
	if (a[3] != 8 || a[0] == SIGSYS || a[0] < 1 || a[0] > 64)
		return -EINVAL;
	struct k_sigaction k = *act;
	k.mask &= ~SIGSYS_BIT;
	long r = lind_host6(SYS_rt_sigaction, a[0], (long)&k, a[2], 8, 0,
			    (long)LIND_HOST_MAGIC);
	uint64_t bit = 1ull << (a[0] - 1);
	bool handler = k.handler != SIG_DFL && k.handler != SIG_IGN;
	if (r == 0 && handler && !(k.flags & SA_RESTART))
		atomic_fetch_or(&lind_cl->norestart_sigs, bit);
	else if (r == 0)
		atomic_fetch_and(&lind_cl->norestart_sigs, ~bit);
	return r;
}

/* rt_sigprocmask that may block: applied to the mask rt_sigreturn will
 * restore (uc_sigmask), minus SIGSYS.  No host call needed. */
static long trap_sigprocmask(ucontext_t *uc, const long a[6])
{
	uint64_t *cur = (uint64_t *)&uc->uc_sigmask, old = *cur, m = old;
	if (a[3] != 8)
		return -EINVAL;
	if (a[1]) {
		uint64_t set = *(const uint64_t *)a[1];
		if (a[0] == SIG_BLOCK)
			m |= set;
		else if (a[0] == SIG_UNBLOCK)
			m &= ~set;
		else if (a[0] == SIG_SETMASK)
			m = set;
		else
			return -EINVAL;
	}
	if (a[2])
		*(uint64_t *)a[2] = old;
	*cur = m & ~SIGSYS_BIT;
	return 0;
}

static pid_t host_pid; /* ours, read before the filter went in */

/* kill/tgkill of the cage itself (its virtual pid): delivered by the host
 * kernel, so handlers, default actions and the exit status are native.
 * Other targets are other cages: the server's business (ENOSYS today). */
static long trap_self_signal(long nr, const long a[6])
{
	if (a[0] != (long)lind_cage_id())
		return lind_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (nr == SYS_kill)
		return lind_host6(SYS_kill, host_pid, a[1], 0, 0, 0,
				  (long)LIND_HOST_MAGIC);
	return lind_host6(SYS_tgkill, host_pid, a[1], a[2], 0, 0,
			  (long)LIND_HOST_MAGIC);
}

static long host_tid(void)
{
	return lind_host6(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

/* pid (an int, as the kernel reads it) names the calling thread: its own
 * tid, or the cage's virtual pid on the main thread (whose host tid is the
 * host pid).  0 never traps. */
static bool names_caller(int pid)
{
	long tid = host_tid();
	return pid == tid ||
	       (pid > 0 && (unsigned long)pid == lind_cage_id() &&
		tid == host_pid);
}

/* pid names a thread of this cage: the cage's virtual pid, or a host tid
 * in our thread group (tgkill with signal 0 checks without sending). */
static bool names_own_thread(int pid)
{
	if (pid > 0 && (unsigned long)pid == lind_cage_id())
		return true;
	return pid > 0 && lind_host6(SYS_tgkill, host_pid, pid, 0, 0, 0,
				     (long)LIND_HOST_MAGIC) == 0;
}

/* The cage's threads share one mask (sched_setaffinity goes to the
 * server), so any of them is answered with the caller's. */
static long trap_getaffinity(const long a[6])
{
	if (!names_own_thread((int)a[0]))
		return -ESRCH;
	return lind_host6(SYS_sched_getaffinity, 0, a[1], a[2], 0, 0, 0);
}

/* Another thread's list head cannot be had without naming it to the host:
 * EPERM, what Linux says when it may not look. */
static long trap_get_robust_list(const long a[6])
{
	int pid = (int)a[0];
	if (names_caller(pid))
		return lind_host6(SYS_get_robust_list, 0, a[1], a[2], 0, 0, 0);
	return names_own_thread(pid) ? -EPERM : -ESRCH;
}

/* A negative clockid is a CPU clock, ~pid << 3 | type (bit 2: a thread's;
 * type 3: the clock of an fd, a host fd here).  The cage's own process or
 * calling thread is redone as pid 0; any other is EINVAL, Linux's answer
 * for a pid that does not exist (and, for now, for a sibling thread). */
static long trap_cpu_clock(long nr, const long a[6])
{
	int clk = (int)a[0], type = clk & 7, pid = ~(clk >> 3);
	if ((type & 3) == 3)
		return -EINVAL;
	bool self = type & 4 ? names_caller(pid)
			     : pid > 0 && (pid == host_pid ||
					   (unsigned long)pid == lind_cage_id());
	if (!self)
		return -EINVAL;
	return lind_host6(nr, -8 | type, a[1], a[2], a[3], 0, 0);
}

/* GLOBAL_EXPEDITED interrupts CPUs running other processes; GLOBAL
 * guarantees the same barrier (for all threads) and only waits. */
static long trap_membarrier(const long a[6])
{
	if ((unsigned)a[1])
		return -EINVAL;
	return lind_host6(SYS_membarrier, MEMBARRIER_CMD_GLOBAL, 0, 0, 0, 0, 0);
}

/*
 * mmap of a file: the fd is the server's, so the host cannot map it.  A
 * private mapping (what ld.so makes of a library, what programs make of
 * data files) is an anonymous one filled with pread through the server,
 * then given its protection.  A shared writable mapping would have to
 * reach the file: ENODEV ("this file cannot be mapped") until the server
 * maps files.  A shared read-only one is a private copy: it misses later
 * writes by others.
 */
/* Linux's answer for a file pread refused: EBADF only for a closed fd
 * (a write-only one is EACCES), ENODEV for what has no pages to map. */
static long mmap_error(int fd, long r)
{
	if (r == -EBADF)
		return lind_syscall(SYS_fcntl, fd, F_GETFL, 0, 0, 0, 0) < 0
			       ? -EBADF
			       : -EACCES;
	if (r == -EISDIR || r == -ESPIPE || r == -EINVAL)
		return -ENODEV;
	return r;
}

static long trap_mmap(const long a[6])
{
	size_t len = (size_t)a[1];
	int prot = (int)a[2], flags = (int)a[3], fd = (int)a[4];
	long off = a[5];
	if (!len || (off & 4095) || off < 0)
		return -EINVAL;
	if ((flags & MAP_TYPE) == MAP_SHARED && (prot & PROT_WRITE))
		return -ENODEV;
	int keep = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE | MAP_32BIT |
			    MAP_NORESERVE | MAP_POPULATE | MAP_LOCKED);
	long m = lind_host6(SYS_mmap, a[0], (long)len, PROT_READ | PROT_WRITE,
			    keep | MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m < 0)
		return m;
	long done = 0;
	while ((size_t)done < len) {
		long r = lind_syscall(SYS_pread64, fd, m + done,
				      (long)len - done, off + done, 0, 0);
		if (r < 0 && !done) {
			lind_host6(SYS_munmap, m, (long)len, 0, 0, 0, 0);
			return mmap_error(fd, r);
		}
		if (r <= 0)
			break; /* past the end: zeros, where Linux gives SIGBUS */
		done += r;
	}
	long r = lind_host6(SYS_mprotect, m, (long)len, prot, 0, 0, 0);
	return r < 0 ? r : m;
}

/* The calls the filter traps only for some arguments: answered here. */
static long trap_local(long nr, ucontext_t *uc, const long a[6])
{
	switch (nr) {
	case SYS_rt_sigaction:
		return trap_sigaction(a);
	case SYS_rt_sigprocmask:
		return trap_sigprocmask(uc, a);
	case SYS_kill:
	case SYS_tgkill:
		return trap_self_signal(nr, a);
	case SYS_sched_getaffinity:
		return trap_getaffinity(a);
	case SYS_get_robust_list:
		return trap_get_robust_list(a);
	case SYS_clock_gettime:
	case SYS_clock_getres:
	case SYS_clock_nanosleep:
		return trap_cpu_clock(nr, a);
	case SYS_membarrier:
		return trap_membarrier(a);
	case SYS_mmap:
		return trap_mmap(a);
	default:
		return lind_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	}
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	(void)sig;
	if (si->si_code != SYS_SECCOMP)
		return; /* sent by someone: there is no call to answer */
	/* rax already holds -ENOSYS here; the number is in si_syscall */
	long nr = si->si_syscall;
	long a[6] = {g[REG_RDI], g[REG_RSI], g[REG_RDX],
		     g[REG_R10], g[REG_R8], g[REG_R9]};
	if (nr == LIND_PROBE_NR && a[5] == (long)LIND_HOST_MAGIC)
		g[REG_RAX] = (long)lind_cl;
	else
		g[REG_RAX] = trap_local(nr, uc, a);
}

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGT(k, t, f) BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, (k), (t), (f))
#define JGE(k, t, f) BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define JSET(k, t, f) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f))
#define AND(k) BPF_STMT(BPF_ALU | BPF_AND | BPF_K, (k))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW RET(SECCOMP_RET_ALLOW)
#define TRAP RET(SECCOMP_RET_TRAP)
/* 6 instructions: allow when argument LIND_HOST_ARG holds the magic */
#define MAGIC_OR_TRAP                                                \
	LD(ARG_LO(LIND_HOST_ARG)),                                   \
	JEQ((uint32_t)LIND_HOST_MAGIC, 0, 3),                        \
	LD(ARG_HI(LIND_HOST_ARG)),                                   \
	JEQ((uint32_t)(LIND_HOST_MAGIC >> 32), 0, 1), ALLOW, TRAP

/* Process-local whatever their arguments: the kernel notes that these
 * always pass and skips the filter for them (its action cache), so their
 * place in the filter costs nothing.  restart_syscall resumes an allowed
 * sleep after SIGSTOP/SIGCONT. */
static const uint16_t plain_allow[] = {
	SYS_sched_yield, SYS_munmap, SYS_madvise, SYS_brk, SYS_mprotect,
	SYS_mremap, SYS_nanosleep, SYS_rt_sigreturn, SYS_getrandom,
	SYS_gettid, SYS_set_robust_list, SYS_rseq, SYS_set_tid_address,
	SYS_arch_prctl, SYS_restart_syscall, SYS_sigaltstack,
	SYS_gettimeofday, SYS_time, SYS_exit,
};

/* What a thread is (pthread_create passes all of these): */
#define THREAD_FLAGS                                                   \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
	 CLONE_SYSVSEM)
/* and the bookkeeping it may ask for, in its own memory: */
#define THREAD_BOOKKEEPING                                             \
	(CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |        \
	 CLONE_CHILD_SETTID)

static const struct sock_filter blk_allow[] = {ALLOW};
static const struct sock_filter blk_mmap[] = {
	LD(ARG_LO(3)), JSET(MAP_ANONYMOUS, 0, 1), ALLOW, TRAP};
/* clone (only the low 32 bits count): a thread, nothing else; no exit
 * signal, no namespaces, no CLONE_PIDFD, no CLONE_PARENT */
static const struct sock_filter blk_clone[] = {
	LD(ARG_LO(0)), AND(~(uint32_t)(THREAD_FLAGS | THREAD_BOOKKEEPING)),
	JEQ(0, 0, 3), LD(ARG_LO(0)), AND(THREAD_FLAGS),
	JEQ(THREAD_FLAGS, 1, 0), TRAP, ALLOW};
/* glibc falls back to clone, whose flags the filter can read */
static const struct sock_filter blk_clone3[] = {
	RET(SECCOMP_RET_ERRNO | ENOSYS)};
/* the command (op without PRIVATE and CLOCK_REALTIME) up to WAKE_BITSET,
 * but not LOCK_PI, UNLOCK_PI, TRYLOCK_PI: PI commands find the owner by
 * the tid in the futex word, any host tid */
static const struct sock_filter blk_futex[] = {
	LD(ARG_LO(1)), AND(~(uint32_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)),
	JGT(FUTEX_WAKE_BITSET, 2, 0), JGE(FUTEX_LOCK_PI, 0, 2),
	JGT(FUTEX_TRYLOCK_PI, 1, 0), TRAP, ALLOW};
/* pid 0 only: the caller */
static const struct sock_filter blk_pid0[] = {
	LD(ARG_LO(0)), JEQ(0, 0, 1), ALLOW, TRAP};
/* clockid >= 0, or a CPU clock of pid 0 (-8..-1) but not an fd's (-5, -1) */
static const struct sock_filter blk_clock[] = {
	LD(ARG_LO(0)), JSET(0x80000000u, 0, 4), JGE(0xfffffff8u, 0, 2),
	JEQ(0xfffffffbu, 1, 0), JEQ(0xffffffffu, 0, 1), TRAP, ALLOW};
static const struct sock_filter blk_membarrier[] = {
	LD(ARG_LO(0)), JEQ(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 1), TRAP, ALLOW};
static const struct sock_filter blk_magic[] = {MAGIC_OR_TRAP};
static const struct sock_filter blk_write[] = {
	LD(ARG_LO(0)), JEQ(2, 0, 5), MAGIC_OR_TRAP};
/* queries pass; a new action is vetted by trap_sigaction, which redoes it
 * with the magic: never for SIGSYS, whatever the magic */
static const struct sock_filter blk_sigaction[] = {
	LD(ARG_LO(1)), JEQ(0, 0, 3), LD(ARG_HI(1)), JEQ(0, 0, 1), ALLOW,
	LD(ARG_LO(0)), JEQ(SIGSYS, 0, 1), TRAP, MAGIC_OR_TRAP};
/* queries and unblocking pass; the rest is emulated by the handler */
static const struct sock_filter blk_sigprocmask[] = {
	LD(ARG_LO(1)), JEQ(0, 0, 3), LD(ARG_HI(1)), JEQ(0, 0, 1), ALLOW,
	LD(ARG_LO(0)), JEQ(SIG_UNBLOCK, 0, 1), ALLOW, TRAP};

#define FILTER_MAX 256

struct prog {
	struct sock_filter f[FILTER_MAX];
	unsigned short n;
};

static void emit(struct prog *p, struct sock_filter ins)
{
	assert(p->n < FILTER_MAX);
	p->f[p->n++] = ins;
}

/* "if nr == nr: block" where every path through block returns. */
static void add(struct prog *p, uint32_t nr, const struct sock_filter *b,
		size_t len)
{
	emit(p, (struct sock_filter)JEQ(nr, 0, (uint8_t)len));
	for (size_t i = 0; i < len; i++)
		emit(p, b[i]);
}

#define ADD(p, nr, blk) add(p, nr, blk, sizeof blk / sizeof blk[0])

/* The exceptions that depend on this process: its host pid (signals to
 * itself only) and its attach socket (the liveness peek only). */
static void add_own(struct prog *p, uint32_t sock)
{
	const struct sock_filter blk_self[] = {
		LD(ARG_LO(0)), JEQ((uint32_t)host_pid, 0, 5), MAGIC_OR_TRAP};
	ADD(p, SYS_kill, blk_self);
	ADD(p, SYS_tgkill, blk_self);
	const struct sock_filter blk_peek[] = {
		LD(ARG_LO(0)), JEQ(sock, 0, 7), LD(ARG_LO(3)),
		JEQ(LIND_PEEK_FLAGS, 0, 5), MAGIC_OR_TRAP};
	ADD(p, SYS_recvfrom, blk_peek);
}

static void build(struct prog *p, uint32_t sock)
{
	p->n = 0;
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, arch)));
	emit(p, (struct sock_filter)JEQ(AUDIT_ARCH_X86_64, 1, 0));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
	/* Calls passing on their arguments run the filter every time: the
	 * frequent ones first (futex: locks and every wait of ours). */
	ADD(p, SYS_futex, blk_futex);
	ADD(p, SYS_mmap, blk_mmap);
	ADD(p, SYS_clock_gettime, blk_clock);
	ADD(p, SYS_clock_nanosleep, blk_clock);
	ADD(p, SYS_clock_getres, blk_clock);
	for (size_t i = 0; i < sizeof plain_allow / sizeof plain_allow[0]; i++)
		ADD(p, plain_allow[i], blk_allow);
	ADD(p, SYS_clone, blk_clone);
	ADD(p, SYS_clone3, blk_clone3);
	ADD(p, SYS_get_robust_list, blk_pid0);
	ADD(p, SYS_sched_getaffinity, blk_pid0);
	ADD(p, SYS_membarrier, blk_membarrier);
	ADD(p, SYS_exit_group, blk_magic);
	ADD(p, SYS_write, blk_write);
	ADD(p, SYS_rt_sigaction, blk_sigaction);
	ADD(p, SYS_rt_sigprocmask, blk_sigprocmask);
	add_own(p, (uint32_t)sock);
	emit(p, (struct sock_filter)TRAP);
}

int lind_trap_install(void)
{
	struct sigaction sa = {.sa_sigaction = on_sigsys,
			       .sa_flags = SA_SIGINFO | SA_NODEFER};
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGSYS);
	if (sigprocmask(SIG_UNBLOCK, &m, NULL) < 0)
		return -errno;
	static struct prog p; /* constructor time: single-threaded */
	host_pid = (pid_t)syscall(SYS_getpid);
	build(&p, (uint32_t)lind_cl->sock);
	struct sock_fprog prog = {.len = p.n, .filter = p.f};
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	/* TSYNC: threads another library's constructor started get it too */
	long r = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
			 SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r < 0 && errno == ENOSYS)
		r = prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog);
	if (r > 0)
		return -EAGAIN; /* a thread could not be synchronised */
	return r < 0 ? -errno : 0;
}
