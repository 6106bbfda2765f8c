/*
 * A short requested slice for the parties of a call (docs/architecture.md
 * "Waiting: spin, then sleep").  Under EEVDF (Linux >= 6.12) a SCHED_OTHER
 * thread's sched_attr.sched_runtime is the slice it asks for (0.1 to 100
 * ms; 0: the default, 0.75 ms x (1 + log2 CPUs)).  A woken thread with a
 * shorter slice has an earlier deadline, so it preempts a CPU hog that
 * holds the core instead of waiting out the hog's slice: the hand-offs of
 * a call then cost a wake-up each, not a slice each.  Threads and forks
 * inherit it (unless SCHED_RESET_ON_FORK), exec keeps it.  Older kernels
 * ignore the field; a thread not SCHED_OTHER is left alone.
 */
#ifndef LIND_SLICE_H
#define LIND_SLICE_H

#include <stdint.h>
#include <stdlib.h>

#define LIND_SLICE_NS 100000u /* the kernel's floor */

struct lind_sched_attr { /* the kernel's struct sched_attr, size 56 */
	uint32_t size;
	uint32_t policy;
	uint64_t flags;
	int32_t nice;
	uint32_t priority;
	uint64_t runtime;
	uint64_t deadline;
	uint64_t period;
};

/* From what sched_getattr gave: the attributes to set, the nice value
 * kept (raising it back would need CAP_SYS_NICE); 0 when the thread is
 * to be left alone (not SCHED_OTHER or SCHED_BATCH). */
static inline int lind_slice_attr(struct lind_sched_attr *a)
{
	/* Opt-in (LIND_SHORT_SLICE=1) until the jobs race is understood
	 * (nacl-relay/load.c, docs/architecture.md "Waiting"). */
	const char *e = getenv("LIND_SHORT_SLICE");
	if (!e || e[0] != '1' || e[1])
		return 0;
	if (a->policy != 0 /* SCHED_OTHER */ && a->policy != 3 /* BATCH */)
		return 0;
	a->size = sizeof *a;
	a->flags = 0;
	a->runtime = LIND_SLICE_NS;
	a->deadline = a->period = 0;
	return 1;
}

#endif
