/* Cross-process futex wait/wake on shared memory (not FUTEX_PRIVATE). */
#ifndef LIND_FUTEX_H
#define LIND_FUTEX_H

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* Sleep while *word == expect, at most timeout_ms (<0: forever).
 * Returns 0 when woken or the word changed, -ETIMEDOUT, -EINTR. */
static inline int lind_futex_wait(_Atomic uint32_t *word, uint32_t expect,
				  int timeout_ms)
{
	struct timespec ts, *tp = NULL;
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tp = &ts;
	}
	long r = syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, expect, tp,
			 NULL, 0);
	if (r < 0) {
		extern int *__errno_location(void);
		int e = *__errno_location();
		return e == EAGAIN ? 0 : -e;
	}
	return 0;
}

static inline void lind_futex_wake(_Atomic uint32_t *word, int n)
{
	syscall(SYS_futex, (uint32_t *)word, FUTEX_WAKE, n, NULL, NULL, 0);
}

/* A pause instruction for spin loops. */
static inline void lind_cpu_relax(void)
{
	__builtin_ia32_pause();
}

#endif
