/*
 * Many idle cages at once (scripts/bench-idle, tests/integration/idle.sh).
 *
 *   idle N        N more cages, each of which says it is up (a byte on a
 *                 pipe) and then waits in pause(), a host call: an idle
 *                 cage costs the relay no call.  Past 400, 16 children
 *                 fork the rest between them (a fork is mostly waiting
 *                 for hand-offs, so forks side by side go faster).
 *                 Prints "ready N" once every one is up, then waits for
 *                 ever itself.
 *   idle N check  the same, then reads a line on stdin (the test looks at
 *                 the daemons meanwhile), wakes every child with SIGUSR1;
 *                 each then makes calls through the relay (getppid, a
 *                 write to the pipe) and exits.  Prints "answered K" (the
 *                 children whose calls were answered) and "reaped K".
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t woken;

static void on_usr1(int sig)
{
	(void)sig;
	woken = 1;
}

/* A child: up, idle until woken (check) or for ever, then its calls. */
static void child(int out, pid_t parent, int check)
{
	char up = 'u';
	if (write(out, &up, 1) != 1)
		_exit(2);
	while (!woken || !check)
		pause();
	char said = getppid() == parent ? 'a' : 'x';
	_exit(write(out, &said, 1) == 1 ? 0 : 3);
}

/* Read n bytes from fd; how many of them are c. */
static long count(int fd, long n, char c)
{
	char buf[4096];
	long got = 0, hits = 0;
	while (got < n) {
		size_t want = (size_t)(n - got) < sizeof buf ? (size_t)(n - got)
							    : sizeof buf;
		ssize_t r = read(fd, buf, want);
		if (r <= 0)
			break;
		for (ssize_t i = 0; i < r; i++)
			hits += buf[i] == c;
		got += r;
	}
	return hits;
}

/* Fork n children running child(); their pids in kids (or NULL). */
static long spawn(long n, int out, pid_t parent, int check, pid_t *kids)
{
	long forked = 0;
	for (; forked < n; forked++) {
		pid_t pid = fork();
		if (pid < 0) {
			fprintf(stderr, "idle: fork %ld: %s\n", forked,
				strerror(errno));
			break;
		}
		if (pid == 0)
			child(out, parent, check);
		if (kids)
			kids[forked] = pid;
	}
	return forked;
}

/* 16 children that fork n - 16 more between them, and wait too. */
static long spawn_wide(long n, int out)
{
	enum { WIDE = 16 };
	long started = 0;
	for (long i = 0; i < WIDE; i++) {
		long share = (n - WIDE) / WIDE + (i < (n - WIDE) % WIDE);
		pid_t pid = fork();
		if (pid < 0)
			break;
		if (pid == 0) {
			spawn(share, out, getpid(), 0, NULL);
			child(out, 0, 0);
		}
		started += share + 1;
	}
	return started;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 100;
	int check = argc > 2 && !strcmp(argv[2], "check");
	int p[2];
	if (n < 1 || pipe(p) < 0)
		return 2;
	struct sigaction sa = {.sa_handler = on_usr1};
	sigaction(SIGUSR1, &sa, NULL);
	pid_t self = getpid(), *kids = calloc((size_t)n, sizeof *kids);
	if (!kids)
		return 2;
	long forked = !check && n > 400 ? spawn_wide(n, p[1])
					  : spawn(n, p[1], self, check, kids);
	printf("ready %ld\n", count(p[0], forked, 'u'));
	fflush(stdout);
	if (!check)
		for (;;)
			pause();
	char line[16];
	if (!fgets(line, sizeof line, stdin))
		return 2;
	close(p[1]);
	for (long i = 0; i < forked; i++)
		kill(kids[i], SIGUSR1);
	printf("answered %ld\n", count(p[0], forked, 'a'));
	long reaped = 0;
	int st;
	while (wait(&st) > 0)
		reaped += WIFEXITED(st) && WEXITSTATUS(st) == 0;
	printf("reaped %ld\n", reaped);
	return forked == n ? 0 : 1;
}
