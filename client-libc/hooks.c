/*
 * The client hook table: what client-libc does itself for a row flagged
 * CLIENT in proto/syscall_table.def, instead of (or around) the generic
 * marshal-send-wait path of syscall.c.  One row per call:
 *   call     runs the call (it may use lind_call_generic for the frame);
 *            NULL: the generic path
 *   offline  the answer when the relay is gone (NULL: the call needs the
 *            relay, and the cage exits 127 with one line)
 * tests/unit/test_client_marshal checks that every CLIENT row has a hook
 * and every hook a CLIENT row.  Calls the filter traps only for some
 * arguments and the handler answers without a row (rt_sigaction, kill of
 * oneself, mmap of a file) are trap.c's own table.
 */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>
#include <sys/syscall.h>

#include "client.h"

/* exit_group: the server records the status, then the host exit. */
static long hook_exit_group(struct lind_client *cl, long nr, const long a[6])
{
	if (lind_relay_alive(cl)) /* do not wait for a dead relay */
		(void)lind_call_generic(cl, nr, a);
	lind_host_exit((int)a[0]);
}

static long offline_exit_group(long nr, const long a[6])
{
	(void)nr;
	lind_host_exit((int)a[0]); /* the cage's own status, silently */
}

/* abort() and raise() need it to signal themselves. */
static long offline_getpid(long nr, const long a[6])
{
	(void)nr;
	(void)a;
	return (long)lind_cage_id();
}

/* a cancel leaves its call to find the relay gone */
static long offline_cancel(long nr, const long a[6])
{
	(void)nr;
	(void)a;
	return -EPIPE;
}

/* lind_refused, lind_dying, lind_sigaction: nobody left to tell */
static long offline_nobody(long nr, const long a[6])
{
	(void)nr;
	(void)a;
	return 0;
}

static void host_mask(const uint64_t *set, uint64_t *old)
{
	(void)lind_host6(SYS_rt_sigprocmask, SIG_SETMASK, (long)set, (long)old,
			 8, 0, (long)LIND_HOST_MAGIC);
}

/* The call with a 0 timeout: what is ready now (as Linux, a ready fd
 * wins over a pending signal). */
static long call_no_wait(struct lind_client *cl, long nr, const long a[6])
{
	struct timespec zero = {0, 0}; /* the time left comes back in it */
	long b[6];
	memcpy(b, a, sizeof b);
	if (nr == LIND_SYS_epoll_pwait)
		b[3] = 0;
	else if (nr == LIND_SYS_epoll_pwait2)
		b[3] = (long)&zero;
	else
		b[nr == LIND_SYS_ppoll ? 2 : 4] = (long)&zero;
	return lind_call_generic(cl, nr, b);
}

/*
 * ppoll, pselect6, epoll_pwait and epoll_pwait2 with a signal mask.  The mask is the
 * host thread's (the server never sees it): everything but SIGSYS is
 * blocked and the pending set looked at.  A signal pending that the
 * call's mask lets in and whose handler interrupts calls ends the call
 * at once: what is ready then (the signal stays pending, as in Linux),
 * else EINTR (its handler runs as the mask is set).  Else the call's mask is set while it waits, where a signal
 * interrupts it as any waiting call (chan.c); the old mask is back
 * after.  One arriving between the look and the swap runs before the
 * call is sent: the window this design leaves (docs/architecture.md).
 */
static long hook_masked_wait(struct lind_client *cl, long nr, const long a[6])
{
	const uint64_t *mask = NULL;
	long size = 0;
	if (nr == LIND_SYS_ppoll || nr == LIND_SYS_epoll_pwait ||
	    nr == LIND_SYS_epoll_pwait2) {
		int i = nr == LIND_SYS_ppoll ? 3 : 4;
		mask = (const uint64_t *)a[i];
		size = a[i + 1];
	} else if (a[5]) {
		const long *ms = (const long *)a[5]; /* {sigset_t *, size_t} */
		mask = (const uint64_t *)ms[0];
		size = ms[1];
	}
	if (!mask)
		return lind_call_generic(cl, nr, a);
	if (size != 8)
		return -EINVAL;
	const uint64_t sys = 1ull << (SIGSYS - 1);
	uint64_t all = ~sys, old, pending = 0;
	uint64_t want = *mask & ~(sys | 1ull << (SIGKILL - 1) |
				  1ull << (SIGSTOP - 1));
	host_mask(&all, &old);
	(void)lind_host6(SYS_rt_sigpending, (long)&pending, 8, 0, 0, 0,
			 (long)LIND_HOST_MAGIC);
	long r;
	if (pending & ~want & atomic_load(&cl->norestart_sigs)) {
		r = call_no_wait(cl, nr, a);
		if (r == 0) { /* as Linux: delivered only when it interrupts */
			host_mask(&want, NULL); /* its handler runs here */
			r = -EINTR;
		}
	} else {
		host_mask(&want, NULL);
		r = lind_call_generic(cl, nr, a);
	}
	host_mask(&old, NULL);
	return r;
}

/*
 * select's and pselect6's fd_sets: the kernel reads and writes only the
 * longs nfds covers (libev allocates no more), a frame carries
 * FD_SETSIZE bits (OBJ_IO(128)): they go through whole sets here.
 */
static long hook_select(struct lind_client *cl, long nr, const long a[6])
{
	fd_set sets[3];
	long b[6];
	int n = (int)a[0];
	size_t bytes = n < 0 ? 0 : n > FD_SETSIZE ? sizeof(fd_set)
				    : ((size_t)n + 63) / 64 * 8;
	memcpy(b, a, sizeof b);
	for (int k = 0; k < 3; k++) {
		if (!a[1 + k])
			continue;
		memset(&sets[k], 0, sizeof sets[k]);
		memcpy(&sets[k], (const void *)a[1 + k], bytes);
		b[1 + k] = (long)&sets[k];
	}
	long r = nr == LIND_SYS_pselect6 ? hook_masked_wait(cl, nr, b)
					  : lind_call_generic(cl, nr, b);
	for (int k = 0; r >= 0 && k < 3; k++)
		if (a[1 + k])
			memcpy((void *)a[1 + k], &sets[k], bytes);
	return r;
}

static const struct lind_hook hooks[] = {
	{LIND_SYS_exit_group, hook_exit_group, offline_exit_group},
	{LIND_SYS_getpid, NULL, offline_getpid},
	{LIND_SYS_lind_cancel, NULL, offline_cancel},
	{LIND_SYS_lind_refused, NULL, offline_nobody},
	{LIND_SYS_lind_dying, NULL, offline_nobody},
	{LIND_SYS_lind_sigaction, NULL, offline_nobody},
	{LIND_SYS_clone, lind_hook_fork, NULL},
	{LIND_SYS_fork, lind_hook_fork, NULL},
	{LIND_SYS_vfork, lind_hook_fork, NULL},
	{LIND_SYS_wait4, lind_hook_wait, NULL},
	{LIND_SYS_waitid, lind_hook_wait, NULL},
	{LIND_SYS_ppoll, hook_masked_wait, NULL},
	{LIND_SYS_select, hook_select, NULL},
	{LIND_SYS_pselect6, hook_select, NULL},
	{LIND_SYS_epoll_pwait, hook_masked_wait, NULL},
	{LIND_SYS_epoll_pwait2, hook_masked_wait, NULL},
	{LIND_SYS_sendmmsg, lind_hook_mmsg, NULL},
	{LIND_SYS_recvmmsg, lind_hook_mmsg, NULL},
};

const struct lind_hook *lind_hook_for(uint32_t nr)
{
	for (size_t i = 0; i < sizeof hooks / sizeof hooks[0]; i++)
		if (hooks[i].nr == nr)
			return &hooks[i];
	return NULL;
}

const struct lind_hook *lind_hook_at(size_t i)
{
	return i < sizeof hooks / sizeof hooks[0] ? &hooks[i] : NULL;
}
