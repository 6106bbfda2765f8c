/*
 * The client side of the cage channel (proto/protocol.h): claim a slot,
 * submit, wait spin-then-sleep, release.  Runs inside the SIGSYS handler,
 * so only atomics, raw futex calls and memcpy; several threads of a cage
 * can be in calls at once, one slot each.  Host calls here are raw and
 * errno is never touched; the liveness peek, the fatal line, the bell and
 * the final exit carry LIND_HOST_MAGIC, the filter's only exceptions for
 * them.
 * When the relay is gone the caller (syscall.c) decides what to do: no
 * call here is fatal.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>

#include "client.h"
#include "futex.h"

#define SPIN_NS 20000   /* about the relay's wake-up latency when awake */
#define SLEEP_MS 1000   /* between liveness checks while a call waits */

long lind_futex_wait_raw(_Atomic uint32_t *w, uint32_t expect, long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
	long r = lind_host6(SYS_futex, (long)w, FUTEX_WAIT, expect, (long)&ts,
			    0, 0);
	return r == -EAGAIN ? 0 : r;
}

void lind_futex_wake_raw(_Atomic uint32_t *w)
{
	lind_host6(SYS_futex, (long)w, FUTEX_WAKE, 0x7fffffff, 0, 0, 0);
}

void lind_host_exit(int status)
{
	for (;;)
		lind_host_magic(SYS_exit_group, status, 0, 0);
}

void lind_host_fatal(const char *line)
{
	lind_host_magic(SYS_write, 2, (long)line, (long)strlen(line));
	lind_host_exit(127);
}

/* The relay is gone when it says so, or when our attach socket hangs up
 * (the relay never writes there after attaching: a peek waits for
 * nothing and answers EAGAIN while the relay lives, 0 at EOF). */
int lind_relay_alive(struct lind_client *cl)
{
	if (atomic_load(&cl->chan->relay_gone))
		return 0;
	char byte;
	long r = lind_host6(SYS_recvfrom, cl->sock, (long)&byte, 1,
			    LIND_PEEK_FLAGS, 0, (long)LIND_HOST_MAGIC);
	return r > 0 || r == -EAGAIN || r == -EINTR;
}

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts); /* vDSO; allowed by the filter */
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Tell the relay to scan slot i too (before it is submitted: the
 * doorbell's Dekker ordering then covers this store as well). */
static void note_used(struct lind_chan *c, uint32_t i)
{
	uint32_t u = atomic_load_explicit(&c->slots_used, memory_order_relaxed);
	while (u <= i && !atomic_compare_exchange_weak(&c->slots_used, &u, i + 1))
		;
}

/* The lowest free slot: a cage touches as many slots' pages as it ever
 * had calls in flight at once. */
static struct lind_slot *try_claim(struct lind_chan *c)
{
	for (uint32_t i = 0; i < LIND_CHAN_SLOTS; i++) {
		uint32_t f = LIND_SLOT_FREE;
		if (atomic_compare_exchange_strong(&c->slot[i].state, &f,
						   LIND_SLOT_FILLING)) {
			note_used(c, i);
			return &c->slot[i];
		}
	}
	return NULL;
}

struct lind_slot *lind_chan_claim(struct lind_client *cl)
{
	struct lind_chan *c = cl->chan;
	struct lind_slot *s;
	while (!(s = try_claim(c))) {
		/* Read free_seq before announcing and re-scanning: a slot
		 * freed after this read changes it, so the wait returns. */
		uint32_t seq = atomic_load(&c->free_seq);
		atomic_fetch_add(&c->free_waiters, 1);
		if ((s = try_claim(c))) {
			atomic_fetch_sub(&c->free_waiters, 1);
			break;
		}
		long r = lind_futex_wait_raw(&c->free_seq, seq, SLEEP_MS);
		atomic_fetch_sub(&c->free_waiters, 1);
		if (r == -ETIMEDOUT && !lind_relay_alive(cl))
			return NULL;
	}
	return s;
}

/* What a handler that runs while a call waits does to it, as Linux
 * (signal(7)): without SA_RESTART it ends the call with EINTR; poll,
 * select and epoll_wait (and their kin) end with EINTR whatever the
 * handler's flags.  poll's and select's answer EINTR even when something
 * became ready meanwhile (the handler itself may have made it so, as a
 * self-pipe's does: Linux's poll was interrupted before the handler
 * ran); epoll_wait, whose answer consumes edge and one-shot events, only
 * while it still waits. */
enum { RESTARTS, INTERRUPTS, FAILS };

static int on_handler(long nr)
{
	switch (nr) {
	case LIND_SYS_poll:
	case LIND_SYS_ppoll:
	case LIND_SYS_select:
	case LIND_SYS_pselect6:
		return FAILS;
	case LIND_SYS_epoll_wait:
	case LIND_SYS_epoll_pwait:
		return INTERRUPTS;
	default:
		return RESTARTS;
	}
}

/* A signal handler ran while this thread slept on slot s: like the
 * kernel, end a call that is waiting (parked in the server) with EINTR
 * when the handler lacks SA_RESTART or the call is never restarted.  Once
 * per call; the call's own reply still comes to s. */
static void interrupt(struct lind_client *cl, struct lind_slot *s, int how,
		      int *sent)
{
	if (*sent || (how == RESTARTS && !atomic_load(&cl->norestart_sigs)))
		return;
	*sent = 1;
	lind_syscall(LIND_SYS_lind_cancel, s - cl->chan->slot, 0, 0, 0, 0, 0);
}

/* Spin briefly, yield for about SPIN_NS, then announce and sleep (at
 * once when the relay says no core is free: nacl-relay/load.c); each
 * timeout checks that the relay still exists, and a signal may interrupt
 * the call (how: on_handler's), *ran then set.  0 with the slot REPLIED,
 * or -EPIPE: the relay is gone. */
static int wait_reply(struct lind_client *cl, struct lind_slot *s, int how,
		      int *ran)
{
	uint64_t until = 0;
	bool spin = !atomic_load_explicit(&cl->chan->busy, memory_order_relaxed);
	for (unsigned i = 1; spin; i++) {
		if (atomic_load_explicit(&s->state, memory_order_acquire) ==
		    LIND_SLOT_REPLIED)
			return 0;
		if (i < 64) {
			lind_cpu_relax();
			continue;
		}
		/* Then yield: with fewer cores than busy parties (client,
		 * relay, server on 2 cores) the one with work gets the CPU;
		 * measured 23 vs 26 us per getpid, without the 60-70 us
		 * stalls of pause-spinning. */
		uint64_t t = now_ns();
		if (!until)
			until = t + SPIN_NS;
		else if (t > until)
			break;
		lind_host6(SYS_sched_yield, 0, 0, 0, 0, 0, 0);
	}
	int cancel_sent = 0;
	for (;;) {
		atomic_store(&s->waiting, 1); /* seq_cst: Dekker with relay */
		uint32_t st = atomic_load(&s->state);
		if (st == LIND_SLOT_REPLIED)
			break;
		if (atomic_load(&cl->chan->relay_gone))
			return -EPIPE;
		long r = lind_futex_wait_raw(&s->state, st, SLEEP_MS);
		if (r == -ETIMEDOUT && !lind_relay_alive(cl))
			return -EPIPE;
		else if (r == -EINTR) {
			*ran = 1;
			interrupt(cl, s, how, &cancel_sent);
		}
	}
	atomic_store_explicit(&s->waiting, 0, memory_order_relaxed);
	atomic_thread_fence(memory_order_acquire);
	return 0;
}

/* Nobody serves the channel: wake a relay worker (nacl-relay/pool.c).
 * A full counter (never: 2^64 - 2 rings) is readable anyway. */
static void ring_bell(struct lind_client *cl)
{
	static const uint64_t one = 1;
	lind_host_magic(SYS_write, LIND_BELL_FD(cl->sock), (long)&one,
			sizeof one);
}

long lind_chan_call(struct lind_client *cl, struct lind_slot *s, uint32_t len,
		    long nr)
{
	struct lind_chan *c = cl->chan;
	s->len = len;
	atomic_store_explicit(&s->waiting, 0, memory_order_relaxed);
	atomic_store_explicit(&s->state, LIND_SLOT_SUBMITTED,
			      memory_order_release);
	atomic_fetch_add(&c->doorbell, 1); /* seq_cst: Dekker with relay */
	if (atomic_load(&c->relay_sleeping))
		ring_bell(cl);
	int how = on_handler(nr), ran = 0;
	if (wait_reply(cl, s, how, &ran) < 0)
		return -EPIPE;
	if (ran && how == FAILS)
		return -EINTR;
	uint32_t n = s->len;
	return n <= sizeof s->buf ? (long)n : -EIO;
}

void lind_chan_release(struct lind_client *cl, struct lind_slot *s)
{
	struct lind_chan *c = cl->chan;
	atomic_store(&s->state, LIND_SLOT_FREE);
	atomic_fetch_add(&c->free_seq, 1);
	if (atomic_load(&c->free_waiters))
		lind_futex_wake_raw(&c->free_seq);
}
