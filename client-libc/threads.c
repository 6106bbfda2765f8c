/*
 * The cage's threads by host tid, so that execve ends all but its caller,
 * as Linux's does (exec.c).  Thread clones pass the filter, but glibc's
 * every thread registers its robust list first: set_robust_list traps and
 * the handler notes the tid here (lind_thread_note) before doing it.  A
 * thread made by a raw clone, without glibc's start, is not known here,
 * and neither is one cloned but not yet at set_robust_list when execve
 * ends the others: it ends itself if it gets there during the ending,
 * but one that runs only after the old image is unmapped faults, and the
 * process dies of SIGSEGV (exec right after pthread_create).
 *
 * Ending: each other thread gets SIGSYS from a one-shot timer aimed at it
 * (SIGEV_THREAD_ID: the filter allows a process's own timers, even in a
 * forked child whose host pid the filter does not know); its handler
 * (lind_thread_end_if_asked) unregisters what the kernel would write at
 * its exit, clears its entry and exits without touching memory again, so
 * that the exec'ing thread may unmap everything once the entry is 0.
 * Calls the ended threads left in the channel are cancelled and their
 * slots freed.  Raw calls only: this runs in the SIGSYS handler.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "client.h"

#define THREADS_MAX LIND_CHAN_SLOTS
#define ROBUST_HEAD_SIZE 24 /* struct robust_list_head on x86-64 */
#define END_WAIT_NS (10 * 1000000000ull) /* then a thread is a zombie */
#ifndef SIGEV_THREAD_ID
#define SIGEV_THREAD_ID 4
#endif

static _Atomic int tids[THREADS_MAX];
static _Atomic long ender; /* the exec'ing thread, while it ends the rest */

static long self_tid(void)
{
	return lind_host6(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

/* A timer whose SIGSYS goes to thread tid; fails for a tid that is no
 * live thread of this process. */
static long thread_timer(long tid, int *timer)
{
	struct sigevent ev;
	memset(&ev, 0, sizeof ev);
	ev.sigev_notify = SIGEV_THREAD_ID;
	ev.sigev_signo = SIGSYS;
	ev._sigev_un._tid = (int)tid;
	return lind_host6(SYS_timer_create, CLOCK_MONOTONIC, (long)&ev,
			  (long)timer, 0, 0, 0);
}

static bool thread_alive(long tid)
{
	int timer;
	if (thread_timer(tid, &timer) < 0)
		return false;
	lind_host6(SYS_timer_delete, timer, 0, 0, 0, 0, 0);
	return true;
}

void lind_thread_note(long tid)
{
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < THREADS_MAX; i++)
			if (atomic_load(&tids[i]) == tid)
				return;
		for (int i = 0; i < THREADS_MAX; i++) {
			int free_entry = 0;
			if (atomic_compare_exchange_strong(&tids[i], &free_entry,
							   (int)tid))
				return;
		}
		for (int i = 0; i < THREADS_MAX; i++) { /* full: drop the gone */
			int t = atomic_load(&tids[i]);
			if (t && !thread_alive(t))
				atomic_compare_exchange_strong(&tids[i], &t, 0);
		}
	}
}

void lind_thread_end_if_asked(void)
{
	long e = atomic_load(&ender), me = self_tid();
	if (!e || e == me)
		return;
	static _Atomic int unlisted;
	_Atomic int *entry = &unlisted;
	for (int i = 0; i < THREADS_MAX; i++)
		if (atomic_load(&tids[i]) == me)
			entry = &tids[i];
	/* the kernel writes nothing of ours when we exit */
	lind_host6(SYS_set_tid_address, 0, 0, 0, 0, 0, 0);
	lind_host6(SYS_set_robust_list, 0, ROBUST_HEAD_SIZE, 0, 0, 0,
		   (long)LIND_HOST_MAGIC);
	/* from the store on, no memory: the exec'ing thread may unmap it */
	__asm__ volatile("movl $0, (%0)\n\tsyscall"
			 :
			 : "r"(entry), "a"((long)SYS_exit), "D"(0L)
			 : "memory");
	__builtin_unreachable();
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Wait until thread i cleared its entry or is gone (a zombie leader
 * never answers: given up after END_WAIT_NS, it runs no code). */
static void wait_ended(int i, int tid)
{
	uint64_t until = now_ns() + END_WAIT_NS;
	struct timespec ts = {0, 100000};
	while (atomic_load(&tids[i]) == tid && thread_alive(tid) &&
	       now_ns() < until)
		lind_host6(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
	atomic_store(&tids[i], 0);
}

/* Calls of ended threads: cancelled if parked, waited for, freed. */
static void free_orphan_slots(struct lind_client *cl)
{
	struct lind_chan *c = cl->chan;
	uint32_t used = atomic_load(&c->slots_used);
	for (uint32_t i = 0; i < used && i < LIND_CHAN_SLOTS; i++) {
		struct lind_slot *s = &c->slot[i];
		uint32_t st = atomic_load(&s->state);
		if (st == LIND_SLOT_FREE)
			continue;
		if (st != LIND_SLOT_FILLING && st != LIND_SLOT_REPLIED)
			lind_syscall(LIND_SYS_lind_cancel, i, 0, 0, 0, 0, 0);
		while (st != LIND_SLOT_FILLING &&
		       (st = atomic_load(&s->state)) != LIND_SLOT_REPLIED) {
			atomic_store(&s->waiting, 1);
			if (atomic_load(&c->relay_gone) ||
			    (lind_futex_wait_raw(&s->state, st, 1000) ==
				     -ETIMEDOUT &&
			     !lind_relay_alive(cl)))
				return;
		}
		atomic_store(&s->waiting, 0);
		lind_chan_release(cl, s);
	}
}

void lind_threads_end_others(struct lind_client *cl)
{
	long me = self_tid();
	int timer[THREADS_MAX];
	atomic_store(&ender, me);
	for (int i = 0; i < THREADS_MAX; i++) {
		int t = atomic_load(&tids[i]);
		struct itimerspec now = {{0, 0}, {0, 1}};
		timer[i] = -1;
		if (!t || t == me)
			continue;
		if (thread_timer(t, &timer[i]) < 0 ||
		    lind_host6(SYS_timer_settime, timer[i], 0, (long)&now, 0,
			       0, 0) < 0)
			atomic_store(&tids[i], 0); /* gone already */
	}
	for (int i = 0; i < THREADS_MAX; i++) {
		if (timer[i] < 0)
			continue;
		wait_ended(i, atomic_load(&tids[i]));
		lind_host6(SYS_timer_delete, timer[i], 0, 0, 0, 0, 0);
	}
	atomic_store(&ender, 0);
	atomic_store(&cl->fork_lock, 0); /* an ended thread may have held it */
	free_orphan_slots(cl);
}
