/* What one hand-off between processes costs on this machine: a token
 * passed around a ring of N processes through shared memory, each
 * spinning with pause (spin) or sched_yield (yield).  scripts/bench prints
 * it next to the figures: an untraced call crosses three such hand-offs
 * (docs/architecture.md "Hand-offs per call").
 * Usage: handoff N spin|yield */
#define _GNU_SOURCE
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 20000

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void wait_for(_Atomic long *tok, long want, int yield)
{
	while (atomic_load(tok) != want) {
		if (yield)
			sched_yield();
		else
			__builtin_ia32_pause();
	}
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0;
	if (n < 2 || n > 8 || (strcmp(argv[2], "spin") && strcmp(argv[2], "yield"))) {
		fprintf(stderr, "usage: handoff N(2-8) spin|yield\n");
		return 2;
	}
	int yield = !strcmp(argv[2], "yield");
	_Atomic long *tok = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (tok == MAP_FAILED)
		return 1;
	atomic_store(tok, -1);
	for (int p = 1; p < n; p++) {
		if (fork() == 0) {
			for (long i = 0; i < ROUNDS; i++) {
				wait_for(tok, i * n + p, yield);
				atomic_store(tok, i * n + p + 1);
			}
			_exit(0);
		}
	}
	double t = now_ns();
	for (long i = 0; i < ROUNDS; i++) {
		atomic_store(tok, i * n + 1);
		wait_for(tok, (i + 1) * n, yield);
	}
	double per_hop = (now_ns() - t) / ROUNDS / n / 1000;
	while (wait(NULL) > 0)
		;
	printf("%.2f\n", per_hop);
	return 0;
}
