/* startup ROUNDS PROGRAM [ARGS...]: median wall time, in ms, of running
 * PROGRAM to completion ROUNDS times (fork, exec, wait); nothing else. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	int n = argc > 2 ? atoi(argv[1]) : 0;
	if (n < 1 || n > 1000) {
		fprintf(stderr, "usage: startup ROUNDS PROGRAM [ARGS...]\n");
		return 2;
	}
	double *t = malloc(n * sizeof *t);
	for (int k = 0; k < n; k++) {
		double t0 = now_ms();
		pid_t pid = fork();
		if (pid == 0) {
			execvp(argv[2], argv + 2);
			_exit(127);
		}
		int st;
		if (pid < 0 || waitpid(pid, &st, 0) < 0 || !WIFEXITED(st) ||
		    WEXITSTATUS(st)) {
			fprintf(stderr, "startup: %s failed\n", argv[2]);
			return 1;
		}
		t[k] = now_ms() - t0;
	}
	qsort(t, n, sizeof *t, cmp_double);
	printf("%.2f\n", t[n / 2]);
	free(t);
	return 0;
}
