/*
 * Completeness by trapping: a seccomp filter lets process-local calls
 * through (memory, futex, thread set-up, signal machinery, clocks, exit)
 * and traps everything else to SIGSYS, whose handler marshals the raw call
 * through lind_syscall() like any stub.  glibc's own calls (printf ->
 * write, opendir -> openat, getcwd...) reach the server this way.
 *
 * Host exceptions carry LIND_HOST_MAGIC in argument 5 (r9), which the
 * kernel ignores for these calls: exit_group (the final exit), poll (the
 * liveness check of the attach socket), write to fd 2 (a fatal line), and
 * kill/tgkill aimed at this very process (raise, abort: a cage names
 * itself by its virtual pid, which the handler translates).
 *
 * SIGSYS must stay deliverable: a trap while SIGSYS is blocked makes the
 * kernel kill the process.  So the handler runs with SA_NODEFER (a signal
 * handler that interrupts a waiting call may itself make trapped calls),
 * rt_sigaction cannot change SIGSYS nor put it in a handler's sa_mask, and
 * rt_sigprocmask cannot block it: calls that could are trapped and
 * emulated here.  What is left: a hand-made rt_sigreturn frame can block
 * SIGSYS; the next trapped call then kills the process (no escape).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
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

_Atomic uint64_t lind_norestart_sigs;

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
		atomic_fetch_or(&lind_norestart_sigs, bit);
	else if (r == 0)
		atomic_fetch_and(&lind_norestart_sigs, ~bit);
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

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	(void)sig;
	if (si->si_code != SYS_SECCOMP)
		return; /* sent by someone: there is no call to answer */
	/* rax already holds -ENOSYS here; the number is in si_syscall */
	long nr = si->si_syscall, r;
	long a[6] = {g[REG_RDI], g[REG_RSI], g[REG_RDX],
		     g[REG_R10], g[REG_R8], g[REG_R9]};
	if (nr == LIND_PROBE_NR && a[5] == (long)LIND_HOST_MAGIC)
		r = (long)lind_cl;
	else if (nr == SYS_rt_sigaction)
		r = trap_sigaction(a);
	else if (nr == SYS_rt_sigprocmask)
		r = trap_sigprocmask(uc, a);
	else if (nr == SYS_kill || nr == SYS_tgkill)
		r = trap_self_signal(nr, a);
	else
		r = lind_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	g[REG_RAX] = r;
}

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)
#define LD(off) BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (off))
#define JEQ(k, t, f) BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JSET(k, t, f) BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f))
#define RET(v) BPF_STMT(BPF_RET | BPF_K, (v))
#define ALLOW RET(SECCOMP_RET_ALLOW)
#define TRAP RET(SECCOMP_RET_TRAP)
/* 6 instructions: allow when argument LIND_HOST_ARG holds the magic */
#define MAGIC_OR_TRAP                                                \
	LD(ARG_LO(LIND_HOST_ARG)),                                   \
	JEQ((uint32_t)LIND_HOST_MAGIC, 0, 3),                        \
	LD(ARG_HI(LIND_HOST_ARG)),                                   \
	JEQ((uint32_t)(LIND_HOST_MAGIC >> 32), 0, 1), ALLOW, TRAP

static const uint16_t plain_allow[] = {
	SYS_brk, SYS_munmap, SYS_mprotect, SYS_mremap, SYS_madvise,
	SYS_futex, SYS_set_robust_list, SYS_get_robust_list, SYS_rseq,
	SYS_set_tid_address, SYS_arch_prctl, SYS_gettid, SYS_rt_sigreturn,
	SYS_sigaltstack, SYS_sched_yield, SYS_sched_getaffinity,
	SYS_clock_gettime, SYS_clock_getres, SYS_clock_nanosleep,
	SYS_nanosleep, SYS_gettimeofday, SYS_time, SYS_getrandom, SYS_exit,
	SYS_membarrier,
};

static const struct sock_filter blk_allow[] = {ALLOW};
static const struct sock_filter blk_mmap[] = {
	LD(ARG_LO(3)), JSET(MAP_ANONYMOUS, 0, 1), ALLOW, TRAP};
static const struct sock_filter blk_clone[] = {
	LD(ARG_LO(0)), JSET(CLONE_THREAD, 0, 1), ALLOW, TRAP};
/* glibc falls back to clone, whose flags the filter can read */
static const struct sock_filter blk_clone3[] = {
	RET(SECCOMP_RET_ERRNO | ENOSYS)};
static const struct sock_filter blk_magic[] = {MAGIC_OR_TRAP};
static const struct sock_filter blk_write[] = {
	LD(ARG_LO(0)), JEQ(2, 0, 5), MAGIC_OR_TRAP};
/* queries pass; a new action is vetted by trap_sigaction */
static const struct sock_filter blk_sigaction[] = {
	LD(ARG_LO(1)), JEQ(0, 0, 3), LD(ARG_HI(1)), JEQ(0, 0, 1), ALLOW,
	MAGIC_OR_TRAP};
/* queries and unblocking pass; the rest is emulated by the handler */
static const struct sock_filter blk_sigprocmask[] = {
	LD(ARG_LO(1)), JEQ(0, 0, 3), LD(ARG_HI(1)), JEQ(0, 0, 1), ALLOW,
	LD(ARG_LO(0)), JEQ(SIG_UNBLOCK, 0, 1), ALLOW, TRAP};

#define FILTER_MAX 160

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

static void build(struct prog *p)
{
	p->n = 0;
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, arch)));
	emit(p, (struct sock_filter)JEQ(AUDIT_ARCH_X86_64, 1, 0));
	emit(p, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
	emit(p, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
	for (size_t i = 0; i < sizeof plain_allow / sizeof plain_allow[0]; i++)
		ADD(p, plain_allow[i], blk_allow);
	ADD(p, SYS_mmap, blk_mmap);
	ADD(p, SYS_clone, blk_clone);
	ADD(p, SYS_clone3, blk_clone3);
	ADD(p, SYS_exit_group, blk_magic);
	ADD(p, SYS_poll, blk_magic);
	ADD(p, SYS_write, blk_write);
	ADD(p, SYS_rt_sigaction, blk_sigaction);
	ADD(p, SYS_rt_sigprocmask, blk_sigprocmask);
	/* signals to this process only: argument 0 must be our host pid */
	const struct sock_filter blk_self[] = {
		LD(ARG_LO(0)), JEQ((uint32_t)host_pid, 0, 5), MAGIC_OR_TRAP};
	ADD(p, SYS_kill, blk_self);
	ADD(p, SYS_tgkill, blk_self);
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
	build(&p);
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
