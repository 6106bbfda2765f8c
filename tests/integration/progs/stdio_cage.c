/* What stdio_hostile.sh runs in a cage (and natively, to compare): one
 * read or one write on a stdio fd, its result on stderr. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report(const char *what, ssize_t n)
{
	if (n < 0)
		dprintf(2, "%s: %s\n", what, strerrorname_np(errno));
	else
		dprintf(2, "%s: %zd\n", what, n);
}

static int write1(size_t n)
{
	char *buf = malloc(n ? n : 1);
	if (!buf)
		return 1;
	memset(buf, 'x', n);
	report("write", write(1, buf, n));
	free(buf);
	return 0;
}

static void on_signal(int sig)
{
	(void)sig;
}

static void *read_stdin(void *arg)
{
	char buf[64];
	(void)arg;
	report("read", read(0, buf, sizeof buf));
	return NULL;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "read0")) { /* read0: one read of stdin */
		char buf[4096];
		report("read", read(0, buf, sizeof buf));
		return 0;
	}
	if (!strcmp(c, "tworeads")) { /* two threads read stdin at once */
		pthread_t t[2];
		for (int i = 0; i < 2; i++)
			pthread_create(&t[i], NULL, read_stdin, NULL);
		for (int i = 0; i < 2; i++)
			pthread_join(t[i], NULL);
		return 0;
	}
	if (!strcmp(c, "write1") && argc == 3) /* write1 N: one write of N */
		return write1(strtoul(argv[2], NULL, 10));
	if (!strcmp(c, "sigwrite1") && argc == 3) { /* SIGUSR1 interrupts */
		struct sigaction sa = {.sa_handler = on_signal};
		sigaction(SIGUSR1, &sa, NULL);
		return write1(strtoul(argv[2], NULL, 10));
	}
	if (!strcmp(c, "wait-write1") && argc == 3) { /* a line on stdin first */
		char line[16];
		if (read(0, line, sizeof line) <= 0)
			return 1;
		return write1(strtoul(argv[2], NULL, 10));
	}
	fprintf(stderr, "stdio_cage: unknown command '%s'\n", c);
	return 2;
}
