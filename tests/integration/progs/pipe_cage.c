/* What pipes_hostile.sh runs in a cage:
 *   park       a read and a write parked on its own pipes (one by a
 *              thread), "ready" on stdout, then waits to be killed;
 *   roundtrip  bytes through a pipe to a thread and back. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int full[2];

static void *stuck_writer(void *arg)
{
	static char big[8192];
	(void)arg;
	(void)!write(full[1], big, sizeof big); /* waits: the pipe is full */
	return NULL;
}

static int park(void)
{
	int empty[2];
	if (pipe(empty) < 0 || pipe(full) < 0 ||
	    fcntl(full[1], F_SETPIPE_SZ, 4096) != 4096)
		return 1;
	pthread_t t;
	if (pthread_create(&t, NULL, stuck_writer, NULL) != 0)
		return 1;
	printf("ready\n");
	fflush(stdout);
	char c;
	(void)!read(empty[0], &c, 1); /* waits: nobody writes */
	return 2;
}

static int rt[2], back[2];

static void *echo(void *arg)
{
	char buf[64];
	(void)arg;
	ssize_t n = read(rt[0], buf, sizeof buf);
	if (n > 0)
		(void)!write(back[1], buf, (size_t)n);
	return NULL;
}

static int roundtrip(void)
{
	char buf[64] = {0};
	pthread_t t;
	if (pipe(rt) < 0 || pipe(back) < 0 ||
	    pthread_create(&t, NULL, echo, NULL) != 0)
		return 1;
	if (write(rt[1], "ping", 4) != 4 || read(back[0], buf, 63) != 4)
		return 1;
	pthread_join(t, NULL);
	printf("roundtrip %s\n", buf);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "park"))
		return park();
	if (argc == 2 && !strcmp(argv[1], "roundtrip"))
		return roundtrip();
	return 64;
}
