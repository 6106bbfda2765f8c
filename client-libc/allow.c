/*
 * The allow-list: every host call a cage may make, as one table, each row
 * with the reason it cannot reach outside the process.  The seccomp filter
 * is built from it; every call not in it traps to the SIGSYS handler
 * (trap.c), which sends it to the server.  `lind-run --allow-list` prints
 * it.  This table and the kernel are the boundary: the handler runs inside
 * the cage and a cage can replace or corrupt it without gaining a call.
 *
 * Rows with a check pass only for the arguments the check accepts (the
 * rest trap, and the handler answers them: trap.c).  Rows marked "magic"
 * pass only with LIND_HOST_MAGIC in argument 5, which the kernel ignores
 * for these calls: client-libc's own host calls.  The magic is no secret
 * (a cage is native code and can forge it); the "why" of each such row
 * says what a forger gets.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/syscall.h>

#include "client.h"

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

/* What a thread is (pthread_create passes all of these): */
#define THREAD_FLAGS                                                   \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
	 CLONE_SYSVSEM)
/* and the bookkeeping it may ask for, in its own memory: */
#define THREAD_BOOKKEEPING                                             \
	(CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID |        \
	 CLONE_CHILD_SETTID)

/* A fork (client-libc/fork.c makes it, after the server and relay gave
 * the child its cage and connection): an exit signal and the tid words. */
#define FORK_FLAGS                                                     \
	(CSIGNAL | CLONE_CHILD_SETTID | CLONE_CHILD_CLEARTID |         \
	 CLONE_PARENT_SETTID)

/* Checks: blocks in which every path returns. */
/* anonymous, or a server-given fd at a number of the mapping range (the
 * kernel reads the fd as an int: the low word) */
static const struct sock_filter anon_or_map_fd[] = {
	LD(ARG_LO(3)), JSET(MAP_ANONYMOUS, 3, 0), LD(ARG_LO(4)),
	JGE(LIND_MAP_FD, 0, 2), JGE(LIND_MAP_FD + LIND_MAP_FDS, 1, 0), ALLOW,
	TRAP};
/* only the low 32 bits of clone's flags count; a fork only with the
 * magic (8 + 6 + 3 instructions) */
static const struct sock_filter clone_check[] = {
	LD(ARG_LO(0)), AND(~(uint32_t)FORK_FLAGS), JEQ(0, 0, 6), MAGIC_OR_TRAP,
	LD(ARG_LO(0)), AND(~(uint32_t)(THREAD_FLAGS | THREAD_BOOKKEEPING)),
	JEQ(0, 0, 3), LD(ARG_LO(0)), AND(THREAD_FLAGS),
	JEQ(THREAD_FLAGS, 1, 0), TRAP, ALLOW};
static const struct sock_filter enosys[] = {RET(SECCOMP_RET_ERRNO | ENOSYS)};
/* the command (op without PRIVATE and CLOCK_REALTIME): WAIT, WAKE, FD,
 * WAKE_OP, WAIT_BITSET, WAKE_BITSET.  Not the PI commands (they find a
 * lock's owner by the host tid in the word) nor REQUEUE/CMP_REQUEUE (they
 * would move another process's waiter, the relay's on the channel, onto
 * a futex of the cage's memory): those trap. */
static const struct sock_filter futex_plain[] = {
	LD(ARG_LO(1)), AND(~(uint32_t)(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME)),
	JGT(FUTEX_WAKE_BITSET, 4, 0), JGE(FUTEX_LOCK_PI, 0, 1),
	JGT(FUTEX_TRYLOCK_PI, 3, 2), JGE(FUTEX_REQUEUE, 0, 2),
	JGT(FUTEX_CMP_REQUEUE, 1, 0), TRAP, ALLOW};
static const struct sock_filter pid0[] = {
	LD(ARG_LO(0)), JEQ(0, 0, 1), ALLOW, TRAP};
/* clockid >= 0, or a CPU clock of pid 0 (-8..-1) but not an fd's (-5, -1) */
static const struct sock_filter own_clock[] = {
	LD(ARG_LO(0)), JSET(0x80000000u, 0, 4), JGE(0xfffffff8u, 0, 2),
	JEQ(0xfffffffbu, 1, 0), JEQ(0xffffffffu, 0, 1), TRAP, ALLOW};
static const struct sock_filter no_global_expedited[] = {
	LD(ARG_LO(0)), JEQ(MEMBARRIER_CMD_GLOBAL_EXPEDITED, 0, 1), TRAP, ALLOW};
/* advice below MADV_HWPOISON (100): HWPOISON and SOFT_OFFLINE act on
 * physical pages, which a root cage could otherwise take from the host */
static const struct sock_filter plain_advice[] = {
	LD(ARG_HI(2)), JEQ(0, 0, 2), LD(ARG_LO(2)), JGE(MADV_HWPOISON, 0, 1),
	TRAP, ALLOW};
static const struct sock_filter magic[] = {MAGIC_OR_TRAP};
/* queries pass; a new action only with the magic, never for SIGSYS */
static const struct sock_filter sigaction_check[] = {
	LD(ARG_LO(1)), JEQ(0, 0, 3), LD(ARG_HI(1)), JEQ(0, 0, 1), ALLOW,
	LD(ARG_LO(0)), JEQ(SIGSYS, 0, 1), TRAP, MAGIC_OR_TRAP};
/* queries and unblocking pass; the rest is emulated by the handler */
static const struct sock_filter sigprocmask_check[] = {
	LD(ARG_LO(1)), JEQ(0, 0, 3), LD(ARG_HI(1)), JEQ(0, 0, 1), ALLOW,
	LD(ARG_LO(0)), JEQ(SIG_UNBLOCK, 0, 1), ALLOW, TRAP};

enum check_kind { ALWAYS, CHECKED, OWN_PID, OWN_SOCK, OWN_SOCK_MSG,
		  SOCK_MAGIC, FD_SLOTS, FD2_BELL, OWN_KINDS };

struct allow {
	uint16_t nr;
	uint8_t kind;
	uint8_t len; /* of check */
	const struct sock_filter *check;
	const char *name, *why;
};

#define A(n, why) {SYS_##n, ALWAYS, 0, NULL, #n, why}
#define C(n, blk, why) \
	{SYS_##n, CHECKED, sizeof blk / sizeof blk[0], blk, #n, why}
#define OWN(n, kind, why) {SYS_##n, kind, 0, NULL, #n, why}

/* Calls checked on their arguments run the filter every time: the
 * frequent ones first.  Calls allowed whatever their arguments cost
 * nothing wherever they are: the kernel's action cache skips the filter. */
static const struct allow allow_list[] = {
	C(futex, futex_plain, "waits and wakes on the caller's own memory "
	  "(a shared channel is memory the cage maps anyway); the PI commands "
	  "trap (they find a lock's owner by the host tid in the word), and "
	  "so do REQUEUE/CMP_REQUEUE (they would move the relay's waiter); "
	  "the handler answers those with a wake"),
	C(mmap, anon_or_map_fd, "anonymous memory, or an fd of the mapping "
	  "range, above every virtual fd: only client-libc puts fds there, "
	  "fds the server gave for this (hostfd.c); a program's file mapping "
	  "traps and the handler maps what the server gives, or fills an "
	  "anonymous one through it"),
	C(clock_gettime, own_clock, "clocks; CPU clocks of pid 0 only"),
	C(clock_nanosleep, own_clock, "sleeps on a clock; CPU clocks of pid 0 only"),
	C(clock_getres, own_clock, "clock resolution; CPU clocks of pid 0 only"),
	A(sched_yield, "gives up the CPU; names no other task"),
	A(munmap, "the caller's own memory"),
	A(msync, "the caller's own memory, written to the file it maps (one "
	  "the server gave it: hostfd.c)"),
	C(madvise, plain_advice, "advice on the caller's own memory; "
	  "HWPOISON and SOFT_OFFLINE (physical pages) trap"),
	A(brk, "the caller's own heap"),
	A(mprotect, "the caller's own memory"),
	A(mremap, "the caller's own memory"),
	A(nanosleep, "sleeps"),
	A(rt_sigreturn, "returns from a handler; a forged frame can block "
	  "SIGSYS, and the next trap then kills the process"),
	A(getrandom, "random bytes; no file, no other task"),
	A(gettid, "the caller's host tid: a number, no access (every call "
	  "taking a tid is trapped or limited to the caller)"),
	C(set_robust_list, magic, "registers the caller's own list head; "
	  "trapped first, so that the handler notes the thread for execve, "
	  "which ends the others (threads.c)"),
	A(rseq, "registers the caller's own rseq area"),
	A(set_tid_address, "the caller's own memory; returns its host tid"),
	A(arch_prctl, "the caller's own TLS base, CPUID faulting, vDSO, "
	  "shadow stack: per-thread state"),
	A(restart_syscall, "resumes an allowed sleep after SIGSTOP/SIGCONT"),
	A(sigaltstack, "the caller's own signal stack"),
	A(gettimeofday, "the clock"),
	A(time, "the clock"),
	A(exit, "ends the calling thread (exit_group, the process's end, "
	  "goes to the server first)"),
	A(rt_sigpending, "the caller's own pending signals"),
	A(rt_sigsuspend, "waits for a signal; the mask it sets lasts only "
	  "while no call is made"),
	A(rt_sigtimedwait, "takes a pending signal of the caller's"),
	A(pause, "waits for a signal"),
	A(alarm, "a timer whose signal goes to the caller only"),
	A(setitimer, "the caller's own interval timers (signals to itself)"),
	A(getitimer, "the caller's own interval timers"),
	A(timer_create, "a POSIX timer of the caller's; its signal goes to "
	  "the caller or a thread of its own group (the kernel checks)"),
	A(timer_settime, "the caller's own POSIX timers"),
	A(timer_gettime, "the caller's own POSIX timers"),
	A(timer_getoverrun, "the caller's own POSIX timers"),
	A(timer_delete, "the caller's own POSIX timers"),
	C(clone, clone_check, "a thread of this process; or, with the magic, "
	  "a fork (exit signal and tid words only: no namespaces, pidfd, "
	  "CLONE_PARENT, shared memory).  A forger gets a host child that "
	  "shares its parent's channel (the parent cage's rights, no more) "
	  "and is not counted by the server's procs limit, only by the "
	  "host's RLIMIT_NPROC"),
	C(clone3, enosys, "ENOSYS, so glibc falls back to clone, whose flags "
	  "the filter can read (clone3's are behind a pointer)"),
	C(get_robust_list, pid0, "the caller's own list head (pid 0)"),
	C(sched_getaffinity, pid0, "the caller's own CPU mask (pid 0)"),
	C(membarrier, no_global_expedited, "a barrier for this process; "
	  "GLOBAL_EXPEDITED would interrupt other processes' CPUs"),
	C(exit_group, magic, "magic: the final exit, after the server has the "
	  "status; a forger only exits without telling it (its launcher "
	  "still sees the status)"),
	OWN(write, FD2_BELL, "magic, fd 2: a fatal line to the launcher's "
	    "stderr; or 8 bytes to the bell (the fd above the attach "
	    "socket's: the relay's eventfd for this cage, rung when no worker "
	    "serves it).  A forger writes to stderr past its virtual fd 2, "
	    "wakes a relay worker for its own channel, or, having moved its "
	    "launcher's stdio onto the bell's number, writes there 8 bytes "
	    "at a time"),
	C(rt_sigaction, sigaction_check, "queries; new actions with the magic "
	  "and never for SIGSYS: a host handler in the caller's own memory"),
	C(rt_sigprocmask, sigprocmask_check, "queries and unblocking; blocking "
	  "is emulated so that SIGSYS stays deliverable"),
	OWN(kill, OWN_PID, "magic, this process's host pid only: raise(), "
	    "abort() delivered natively"),
	OWN(tgkill, OWN_PID, "magic, this process's host pid only: a signal "
	    "to one of its own threads"),
	C(close, magic, "magic: client-libc closes host fds the server gave; "
	  "a forger closes its own host fds (its attach socket: it loses "
	  "its calls)"),
	OWN(recvmsg, OWN_SOCK_MSG, "magic, the attach socket, "
	    "MSG_CMSG_CLOEXEC only: fds the server gives with an answer "
	    "(hostfd.c), a forked child's AttachReply; blocking, for at most "
	    "the socket's SO_RCVTIMEO (set before the filter or by the relay; "
	    "setsockopt traps)"),
	OWN(recvfrom, OWN_SOCK, "magic, the attach socket, MSG_PEEK|"
	    "MSG_DONTWAIT only: the liveness check (never consumes)"),
	OWN(sendto, SOCK_MAGIC, "magic, the attach socket only: fork asks "
	    "the relay for a child's connection; a child attaches"),
	OWN(dup3, FD_SLOTS, "magic, onto the mapping range (a server-given "
	    "fd before mmap), the attach socket's number or the bell's above "
	    "it (a forked child's new connection and bell take them); a "
	    "forger moves its own host fds, at worst putting its launcher's "
	    "stdio where the socket's and the bell's exceptions look"),
	C(waitid, magic, "magic: reaps this process's own exited host "
	  "children (forked cages the server has collected)"),
};

static void emit(struct lind_filter *f, struct sock_filter ins)
{
	assert(f->n < LIND_FILTER_MAX);
	f->ins[f->n++] = ins;
}

/* "if nr == row: block" where every path through block returns. */
static void add(struct lind_filter *f, uint32_t nr,
		const struct sock_filter *b, size_t len)
{
	emit(f, (struct sock_filter)JEQ(nr, 0, (uint8_t)len));
	for (size_t i = 0; i < len; i++)
		emit(f, b[i]);
}

/* The blocks of the rows whose check depends on this process. */
struct own_blocks {
	const struct sock_filter *b[OWN_KINDS];
	size_t len[OWN_KINDS];
};

static void add_row(struct lind_filter *f, const struct allow *r,
		    const struct own_blocks *own)
{
	static const struct sock_filter always[] = {ALLOW};
	if (r->kind == ALWAYS)
		add(f, r->nr, always, 1);
	else if (r->kind == CHECKED)
		add(f, r->nr, r->check, r->len);
	else
		add(f, r->nr, own->b[r->kind], own->len[r->kind]);
}

/* rows[0..n), sorted by number, as a search tree on the call number
 * (in the accumulator): a few compares to any row, and the kernel's
 * per-number cache (seccomp_cache_prepare emulates the filter for every
 * number) built in a few microseconds instead of about a hundred.  A
 * number no row has traps. */
static void add_tree(struct lind_filter *f, const struct allow *const *rows,
		     size_t n, const struct own_blocks *own)
{
	if (n <= 4) {
		for (size_t i = 0; i < n; i++)
			add_row(f, rows[i], own);
		emit(f, (struct sock_filter)TRAP);
		return;
	}
	size_t mid = n / 2, at = f->n;
	/* nr >= rows[mid]: to the upper half (a long jump: BPF_JA's 32
	 * bits), else on into the lower half */
	emit(f, (struct sock_filter)JGE(rows[mid]->nr, 0, 1));
	emit(f, (struct sock_filter)BPF_STMT(BPF_JMP | BPF_JA, 0));
	add_tree(f, rows, mid, own);
	f->ins[at + 1].k = f->n - (at + 2);
	add_tree(f, rows + mid, n - mid, own);
}

/* The rows by number (an insertion sort: a few dozen, at attach). */
static void sort_rows(const struct allow **rows, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && rows[j - 1]->nr > rows[j]->nr; j--) {
			const struct allow *t = rows[j];
			rows[j] = rows[j - 1];
			rows[j - 1] = t;
		}
}

void lind_filter_build(struct lind_filter *f, uint32_t host_pid,
		       uint32_t sock)
{
	const struct sock_filter own_pid[] = {
		LD(ARG_LO(0)), JEQ(host_pid, 0, 5), MAGIC_OR_TRAP};
	const struct sock_filter own_sock[] = {
		LD(ARG_LO(0)), JEQ(sock, 0, 7), LD(ARG_LO(3)),
		JEQ(LIND_PEEK_FLAGS, 0, 5), MAGIC_OR_TRAP};
	const struct sock_filter own_sock_msg[] = {
		LD(ARG_LO(0)), JEQ(sock, 0, 7), LD(ARG_LO(2)),
		JEQ(LIND_RECV_FD_FLAGS, 0, 5), MAGIC_OR_TRAP};
	const struct sock_filter sock_magic[] = {
		LD(ARG_LO(0)), JEQ(sock, 0, 6), MAGIC_OR_TRAP, TRAP};
	/* dup3 onto the attach socket's number, the bell's, or the mapping
	 * range */
	const uint32_t bell = LIND_BELL_FD(sock);
	const struct sock_filter fd_slots[] = {
		LD(ARG_HI(1)), JEQ(0, 0, 11), LD(ARG_LO(1)), JEQ(sock, 3, 0),
		JEQ(bell, 2, 0), JGE(LIND_MAP_FD, 0, 7),
		JGE(LIND_MAP_FD + LIND_MAP_FDS, 6, 0), MAGIC_OR_TRAP, TRAP};
	/* write to fd 2, or 8 bytes to the bell */
	const struct sock_filter fd2_bell[] = {
		LD(ARG_LO(0)), JEQ(2, 5, 0), JEQ(bell, 0, 10), LD(ARG_HI(2)),
		JEQ(0, 0, 8), LD(ARG_LO(2)), JEQ(8, 0, 6), MAGIC_OR_TRAP, TRAP};
#define BLOCK(kind, blk) .b[kind] = blk, .len[kind] = sizeof blk / sizeof blk[0]
	const struct own_blocks own = {
		BLOCK(OWN_PID, own_pid), BLOCK(OWN_SOCK, own_sock),
		BLOCK(OWN_SOCK_MSG, own_sock_msg),
		BLOCK(SOCK_MAGIC, sock_magic), BLOCK(FD_SLOTS, fd_slots),
		BLOCK(FD2_BELL, fd2_bell)};
#undef BLOCK
	enum { ROWS = sizeof allow_list / sizeof allow_list[0] };
	const struct allow *rows[ROWS];
	for (size_t i = 0; i < ROWS; i++)
		rows[i] = &allow_list[i];
	sort_rows(rows, ROWS);
	for (size_t i = 1; i < ROWS; i++)
		assert(rows[i - 1]->nr < rows[i]->nr); /* one row a call */
	f->n = 0;
	emit(f, (struct sock_filter)LD(offsetof(struct seccomp_data, arch)));
	emit(f, (struct sock_filter)JEQ(AUDIT_ARCH_X86_64, 1, 0));
	emit(f, (struct sock_filter)RET(SECCOMP_RET_KILL_PROCESS));
	emit(f, (struct sock_filter)LD(offsetof(struct seccomp_data, nr)));
	/* x32 numbers (bit 30) would name the same calls: they trap too,
	 * since no row matches them */
	add_tree(f, rows, ROWS, &own);
}

void lind_allow_list_print(FILE *out)
{
	for (size_t i = 0; i < sizeof allow_list / sizeof allow_list[0]; i++)
		fprintf(out, "%3u %-18s %s\n", allow_list[i].nr,
			allow_list[i].name, allow_list[i].why);
}
