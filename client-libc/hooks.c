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
