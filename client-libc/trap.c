/*
 * The SIGSYS handler: what the filter (allow.c, the allow-list) does not
 * let through lands here and is answered: most calls by the server through
 * lind_syscall() like any stub (glibc's own calls: printf -> write, opendir
 * -> openat...), a few here, where the filter passes them only for some
 * arguments:
 *   - calls naming a pid (get_robust_list, sched_getaffinity, a CPU clock)
 *     pass for pid 0, the caller; the handler serves the cage's own ids by
 *     redoing the call with 0 and answers ESRCH (EINVAL for clocks, as
 *     Linux does) for any other: no host pid exists in a cage's world;
 *   - membarrier GLOBAL_EXPEDITED is answered with GLOBAL (wider);
 *   - rt_sigaction and rt_sigprocmask are vetted so SIGSYS stays ours and
 *     deliverable (a trap while SIGSYS is blocked kills the process);
 *   - kill/tgkill of the cage itself (its virtual pid) are redone on the
 *     host pid with the magic, so raise() and abort() are native;
 *   - mmap of a file is filled through the server.
 * The handler runs with SA_NODEFER: a signal handler that interrupts a
 * waiting call may itself make trapped calls.
 *
 * Under lind-run this handler lives in lind-run's image, installed before
 * the program existed (boot.c); a lind-cc program's own copy of
 * client-libc shares it through LIND_PROBE_NR.  It is the cage's own code:
 * a cage that corrupts it only loses its calls.
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
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "client.h"

#define SHMLBA_BYTES 4096ul /* SHMLBA on x86-64: the page */
#define SIGSYS_BIT (1ull << (SIGSYS - 1))
#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000 /* the kernel's: sa_restorer is set */
#endif
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

/* The server reaps for a parent ignoring SIGCHLD or with SA_NOCLDWAIT,
 * spares it SIGCHLD for stops under SA_NOCLDSTOP, and counts a stop signal
 * sent to us as a stop unless we catch or ignore it: it learns those
 * actions here (lind_sigaction). */
static void tell_job_action(long sig, const struct k_sigaction *k)
{
	if (sig != SIGCHLD && sig != SIGTSTP && sig != SIGTTIN &&
	    sig != SIGTTOU)
		return;
	long kind = k->handler == SIG_DFL ? 0 : k->handler == SIG_IGN ? 1 : 2;
	(void)lind_syscall(LIND_SYS_lind_sigaction, sig, kind,
			   (long)k->flags, 0, 0, 0);
}

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
	if (r == 0)
		tell_job_action(a[0], &k);
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
/* A forked child: the filter's self-signal exception names the first
 * process's host pid, not ours (a filter can only be narrowed). */
static bool forked;

#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

/* Signals whose default action ends the process (not CHLD CONT URG
 * WINCH, nor the stops). */
static bool fatal_by_default(long sig)
{
	static const uint64_t spared =
		1ull << (SIGCHLD - 1) | 1ull << (SIGCONT - 1) |
		1ull << (SIGURG - 1) | 1ull << (SIGWINCH - 1) |
		1ull << (SIGSTOP - 1) | 1ull << (SIGTSTP - 1) |
		1ull << (SIGTTIN - 1) | 1ull << (SIGTTOU - 1);
	return sig >= 1 && sig <= 64 && !(spared & 1ull << (sig - 1));
}

/* About to raise sig on ourselves: if it will end us (default action,
 * not blocked), the server learns it first, so that our parent's wait
 * reports that signal rather than SIGKILL (the server sees only that the
 * process ended).  Queries of the action and mask pass the filter. */
static void tell_if_fatal(long sig)
{
	struct k_sigaction old;
	uint64_t mask;
	if (!fatal_by_default(sig) ||
	    lind_host6(SYS_rt_sigaction, sig, 0, (long)&old, 8, 0, 0) < 0 ||
	    old.handler != SIG_DFL ||
	    lind_host6(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&mask, 8, 0,
		       0) < 0 ||
	    (sig != SIGKILL && (mask & 1ull << (sig - 1))))
		return;
	(void)lind_syscall(LIND_SYS_lind_dying, sig, 0, 0, 0, 0, 0);
}

/* Raising sig on ourselves stops us: SIGSTOP, or SIGTSTP, SIGTTIN,
 * SIGTTOU with the default action, not blocked.  The stop happens before
 * the raising call returns (the kernel takes it on the way back). */
static bool will_stop(long sig)
{
	struct k_sigaction old;
	uint64_t mask;
	if (sig == SIGSTOP)
		return true;
	if ((sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU) ||
	    lind_host6(SYS_rt_sigaction, sig, 0, (long)&old, 8, 0, 0) < 0 ||
	    old.handler != SIG_DFL ||
	    lind_host6(SYS_rt_sigprocmask, SIG_BLOCK, 0, (long)&mask, 8, 0,
		       0) < 0)
		return false;
	return !(mask & 1ull << (sig - 1));
}

/* A forked child's signal to itself: a one-shot POSIX timer aimed at the
 * calling thread (the filter allows the caller's own timers), waited for
 * until the kernel has taken it (delivered, or pending while blocked),
 * so that it arrives before kill returns, as on Linux. */
static long forked_self_signal(long sig)
{
	if (sig == 0)
		return 0;
	if (sig < 1 || sig > 64)
		return -EINVAL;
	struct sigevent ev;
	__builtin_memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = (int)sig;
	ev._sigev_un._tid = (int)lind_host6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	int timer;
	long r = lind_host6(SYS_timer_create, CLOCK_MONOTONIC, (long)&ev,
			    (long)&timer, 0, 0, 0);
	if (r < 0)
		return r;
	struct itimerspec it = {{0, 0}, {0, 1}};
	r = lind_host6(SYS_timer_settime, timer, 0, (long)&it, 0, 0, 0);
	for (int i = 0; r == 0 && i < 1000; i++) {
		struct itimerspec left;
		struct timespec ts = {0, 1000};
		lind_host6(SYS_timer_gettime, timer, (long)&left, 0, 0, 0, 0);
		if (!left.it_value.tv_sec && !left.it_value.tv_nsec)
			break; /* fired: taken on our way back from this call */
		lind_host6(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
	}
	lind_host6(SYS_timer_delete, timer, 0, 0, 0, 0, 0);
	return r;
}

/* kill/tgkill of the cage itself (its virtual pid): delivered by the host
 * kernel, so handlers, default actions and the exit status are native.
 * Other targets are other cages: the server's business (sys_signal.c). */
static long raise_on_host(long nr, const long a[6])
{
	if (forked)
		return forked_self_signal(nr == SYS_kill ? a[1] : a[2]);
	if (nr == SYS_kill)
		return lind_host6(SYS_kill, host_pid, a[1], 0, 0, 0,
				  (long)LIND_HOST_MAGIC);
	return lind_host6(SYS_tgkill, host_pid, a[1], a[2], 0, 0,
			  (long)LIND_HOST_MAGIC);
}

static volatile sig_atomic_t continued;
static void on_cont(int sig)
{
	(void)sig;
	continued = 1;
}

/* A stop we raise on ourselves is sent by the server (lind_dying), so
 * that it reaches the relay before any SIGCONT our parent sends once its
 * wait saw the stop: the host kernel then takes them in that order (or
 * the SIGCONT cancels the stop still pending), and we never stay stopped.
 * We return once continued, as a raise of a stop signal does: a SIGCONT
 * handler of ours notes it (the program's own runs after, raised again);
 * the few waits run only until the stop lands. */
static long self_stop(long nr, const long a[6], long sig)
{
	struct k_sigaction mine, old;
	continued = 0;
	/* SIGSYS's action (glibc's sigaction made it) lends its restorer */
	if (!lind_relay_alive(lind_cl) ||
	    lind_host6(SYS_rt_sigaction, SIGSYS, 0, (long)&mine, 8, 0, 0) < 0)
		return raise_on_host(nr, a);
	mine.handler = (void *)on_cont;
	mine.flags = (mine.flags & SA_RESTORER) | SA_RESTART;
	mine.mask = 0;
	if (lind_host6(SYS_rt_sigaction, SIGCONT, (long)&mine, (long)&old, 8,
		       0, (long)LIND_HOST_MAGIC) < 0)
		return raise_on_host(nr, a);
	/* 1: discarded (an orphaned process group's, as Linux does) */
	long r = lind_syscall(LIND_SYS_lind_dying, sig, 0, 0, 0, 0, 0);
	while (r == 0 && !continued) {
		struct timespec ts = {0, 10000000};
		lind_host6(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
	}
	lind_host6(SYS_rt_sigaction, SIGCONT, (long)&old, 0, 8, 0,
		   (long)LIND_HOST_MAGIC);
	if (r != 0)
		return r < 0 ? raise_on_host(nr, a) : 0;
	/* continued, whoever sent SIGCONT (the host too) */
	(void)lind_syscall(LIND_SYS_lind_dying, SIGCONT, 0, 0, 0, 0, 0);
	if (old.handler != SIG_DFL && old.handler != SIG_IGN) {
		long cont[6] = {a[0], SIGCONT};
		raise_on_host(SYS_kill, cont);
	}
	return 0;
}

static long trap_self_signal(long nr, const long a[6])
{
	long sig = nr == SYS_kill ? a[1] : a[2];
	if (will_stop(sig))
		return self_stop(nr, a, sig);
	tell_if_fatal(sig);
	return raise_on_host(nr, a);
}

static long host_tid(void);

/* glibc's SIGSETXID (__SIGRTMIN + 1): its setuid & co in a threaded
 * program ask every other thread to make the same call, and a handler
 * that sees our host pid, not getpid's virtual one, would never answer.
 * A cage's ids are one, the server's, so the caller's own call changes
 * them for every thread: "no such thread" makes glibc skip the others
 * and make it (nptl_setxid.c). */
#define SIGSETXID 33
static bool setxid_round(long nr, const long a[6])
{
	return nr == SYS_tgkill && a[2] == SIGSETXID &&
	       a[0] == (long)lind_cage_id() && a[1] != host_tid();
}

/* Other cages are the server's: it signals them through the relay, and
 * answers 1 when the caller is among the targets too (kill(0), a group),
 * so that the caller's own signal is raised here, before kill returns. */
static long trap_signal(long nr, const long a[6])
{
	if (setxid_round(nr, a))
		return -ESRCH;
	if (a[0] == (long)lind_cage_id())
		return trap_self_signal(nr, a);
	long r = lind_syscall(nr, a[0], a[1], a[2], 0, 0, 0);
	if (r == 1 && nr == SYS_kill) /* tgkill names one thread: never 1 */
		return trap_self_signal(SYS_kill, a);
	return r;
}

static long host_tid(void)
{
	return lind_host6(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

/* Trapped on purpose, with the cage's own pid: the handler (in lind-run's
 * image, which knows the host pid) redoes it as trap_self_signal. */
void lind_signal_self_thread(int sig)
{
	lind_host6(SYS_tgkill, (long)lind_cage_id(), host_tid(), sig, 0, 0, 0);
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

/* FUTEX_REQUEUE/CMP_REQUEUE move waiters to another word; waking them
 * instead is always allowed (a futex waiter must expect spurious wakes),
 * and cannot move a waiter of another process.  The rest of what the
 * filter trapped (the PI commands) is the server's: ENOSYS. */
static int trap_futex(const long a[6], long *r)
{
	int cmd = (int)a[1] & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
	if (cmd != FUTEX_REQUEUE && cmd != FUTEX_CMP_REQUEUE)
		return 0;
	if (cmd == FUTEX_CMP_REQUEUE &&
	    *(volatile const uint32_t *)a[0] != (uint32_t)a[5]) {
		*r = -EAGAIN;
		return 1;
	}
	long n = (long)(int)a[2] + (long)(int)a[3]; /* wake + requeue */
	if ((int)a[2] < 0 || (int)a[3] < 0)
		*r = -EINVAL;
	else
		*r = lind_host6(SYS_futex, a[0], FUTEX_WAKE | ((int)a[1] &
				FUTEX_PRIVATE_FLAG), n > 0x7fffffff ? 0x7fffffff : n,
				0, 0, 0);
	return 1;
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
	long hfd = lind_syscall(LIND_SYS_lind_mapfd, fd, prot, flags, 0, 0, 0);
	if (hfd >= 0)
		return lind_hostfd_map(lind_cl, (int)hfd, a[0], len, prot, flags,
				       off);
	if (hfd != -ENODEV)
		return hfd;
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

/*
 * SysV shm: the segment is a memfd of the server's.  shmat asks the server
 * for its fd and size (lind_shmat, which counts the attachment), maps it
 * as Linux's shmat would, and says where (lind_shmat_done; address 0: it
 * failed, the server drops the attachment).  shmdt asks the server which
 * length is attached at addr, then unmaps it.  The address checks come
 * first, as Linux makes them.
 */
static long trap_shmat(const long a[6])
{
	int id = (int)a[0], flg = (int)a[2];
	long addr = a[1];
	int flags = MAP_SHARED;
	if (addr) {
		if (addr & (SHMLBA_BYTES - 1)) {
			if (!(flg & SHM_RND))
				return -EINVAL;
			addr &= ~(long)(SHMLBA_BYTES - 1);
			if (!addr && (flg & SHM_REMAP))
				return -EINVAL;
		}
		flags |= (flg & SHM_REMAP) ? MAP_FIXED : MAP_FIXED_NOREPLACE;
	} else if (flg & SHM_REMAP) {
		return -EINVAL;
	}
	int prot = PROT_READ | ((flg & SHM_RDONLY) ? 0 : PROT_WRITE) |
		   ((flg & SHM_EXEC) ? PROT_EXEC : 0);
	uint64_t size;
	long hfd = lind_syscall(LIND_SYS_lind_shmat, id, flg, (long)&size, 0,
				0, 0);
	if (hfd < 0)
		return hfd;
	size_t len = (size + SHMLBA_BYTES - 1) & ~(size_t)(SHMLBA_BYTES - 1);
	long m = lind_hostfd_map(lind_cl, (int)hfd, addr, len, prot, flags, 0);
	if (m == -EEXIST)
		m = -EINVAL; /* Linux: a mapping there without SHM_REMAP */
	lind_syscall(LIND_SYS_lind_shmat_done, id, m < 0 ? 0 : m, 0, 0, 0, 0);
	return m;
}

static long trap_shmdt(const long a[6])
{
	long len = lind_syscall(SYS_shmdt, a[0], 0, 0, 0, 0, 0);
	if (len < 0)
		return len;
	lind_host6(SYS_munmap, a[0], len, 0, 0, 0, 0);
	return 0;
}

/* The server's buffer is a struct shmid64_ds; the info commands write
 * smaller structs, and IPC_RMID ignores the pointer: only what the
 * command reads or writes touches the caller's memory. */
static long trap_shmctl(const long a[6])
{
	int cmd = (int)a[1];
	void *user = (void *)a[2];
	size_t n = cmd == IPC_INFO   ? sizeof(struct shminfo)
		   : cmd == SHM_INFO ? sizeof(struct shm_info)
		   : cmd == IPC_RMID || cmd == SHM_LOCK || cmd == SHM_UNLOCK
			   ? 0
			   : sizeof(struct shmid_ds);
	char buf[112] = {0};
	_Static_assert(sizeof(struct shmid_ds) <= sizeof buf, "shmid_ds");
	if (n && !user)
		return -EFAULT;
	if (n)
		memcpy(buf, user, cmd == IPC_SET ? n : 0);
	long r = lind_syscall(SYS_shmctl, a[0], cmd, n ? (long)buf : 0, 0, 0,
			      0);
	if (r >= 0 && n && cmd != IPC_SET)
		memcpy(user, buf, n);
	return r;
}

/* execve/execveat: lind-run's loader (exec.c) replaces the image in this
 * process; it returns only when the call fails.  A cage started directly
 * has no loader mapped: ENOSYS, said once on the cage's stderr. */
static long trap_exec(long nr, ucontext_t *uc, const long a[6])
{
	static const char line[] =
		"lind: execve needs a cage started by lind-run (ENOSYS)\n";
	static _Atomic int said;
	if (lind_cl->exec)
		return lind_cl->exec(nr, uc, a);
	if (!atomic_exchange(&said, 1))
		lind_host_magic(SYS_write, 2, (long)line, sizeof line - 1);
	return -ENOSYS;
}

/* A thread's first call under glibc: noted, so that execve can end it;
 * one that starts while another thread execs ends at once. */
static long trap_set_robust_list(const long a[6])
{
	lind_thread_end_if_asked();
	lind_thread_note(host_tid());
	return lind_host6(SYS_set_robust_list, a[0], a[1], 0, 0, 0,
			  (long)LIND_HOST_MAGIC);
}

/* The calls the filter traps only for some arguments, answered here
 * (they have no row: the client hook table, hooks.c, is for rows): 1
 * with *r set, or 0: the call is the server's.  A switch, not a table:
 * every trapped call passes here. */
static int answer_here(long nr, ucontext_t *uc, const long a[6], long *r)
{
	switch (nr) {
	case SYS_rt_sigaction:     *r = trap_sigaction(a); return 1;
	case SYS_rt_sigprocmask:   *r = trap_sigprocmask(uc, a); return 1;
	case SYS_kill:
	case SYS_tgkill:           *r = trap_signal(nr, a); return 1;
	case SYS_sched_getaffinity: *r = trap_getaffinity(a); return 1;
	case SYS_get_robust_list:  *r = trap_get_robust_list(a); return 1;
	case SYS_set_robust_list:  *r = trap_set_robust_list(a); return 1;
	case SYS_clock_gettime:
	case SYS_clock_getres:
	case SYS_clock_nanosleep:  *r = trap_cpu_clock(nr, a); return 1;
	case SYS_membarrier:       *r = trap_membarrier(a); return 1;
	case SYS_mmap:             *r = trap_mmap(a); return 1;
	case SYS_futex:            return trap_futex(a, r);
	case SYS_execve:
	case SYS_execveat:         *r = trap_exec(nr, uc, a); return 1;
	case SYS_shmat:            *r = trap_shmat(a); return 1;
	case SYS_shmdt:            *r = trap_shmdt(a); return 1;
	case SYS_shmctl:           *r = trap_shmctl(a); return 1;
	default:                   return 0;
	}
}

/* A call refused here never reaches the relay: the trace hears of it
 * through lind_refused, shown as "(filter)". */
static long trap_local(long nr, ucontext_t *uc, const long a[6])
{
	long r;
	if (!answer_here(nr, uc, a, &r))
		return lind_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r < 0)
		lind_report_refusal(nr, r, a);
	return r;
}

static void on_sigsys(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	greg_t *g = uc->uc_mcontext.gregs;
	(void)sig;
	if (si->si_code != SYS_SECCOMP) {
		lind_thread_end_if_asked(); /* another thread's execve */
		return; /* sent by someone: there is no call to answer */
	}
	/* rax already holds -ENOSYS here; the number is in si_syscall */
	long nr = si->si_syscall;
	long a[6] = {g[REG_RDI], g[REG_RSI], g[REG_RDX],
		     g[REG_R10], g[REG_R8], g[REG_R9]};
	if (nr == LIND_PROBE_NR && a[5] == (long)LIND_HOST_MAGIC)
		g[REG_RAX] = (long)lind_cl;
	else
		g[REG_RAX] = trap_local(nr, uc, a);
	if (lind_cl && lind_cl->child_sp) { /* a CLONE_VM fork's child */
		g[REG_RSP] = lind_cl->child_sp;
		lind_cl->child_sp = 0;
	}
}

void lind_trap_forked(int pid)
{
	host_pid = pid;
	forked = true;
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
	static struct lind_filter f; /* attach time: single-threaded */
	host_pid = (pid_t)syscall(SYS_getpid);
	lind_filter_build(&f, (uint32_t)host_pid, (uint32_t)lind_cl->sock);
	struct sock_fprog prog = {.len = f.n, .filter = f.ins};
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
