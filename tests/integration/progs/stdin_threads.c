/* N threads each wait in a 1-byte read of stdin (parked in the server on
 * the launcher's pipe) while the main thread goes on making calls; once
 * the host writes N bytes every thread finishes. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static _Atomic int started, got;

static void *reader(void *arg)
{
	(void)arg;
	char c;
	started++;
	if (read(0, &c, 1) == 1)
		got++;
	return NULL;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 16;
	pthread_t *t = calloc((size_t)n, sizeof *t);
	for (int i = 0; i < n; i++)
		if (pthread_create(&t[i], NULL, reader, NULL) != 0)
			return 99;
	while (started < n)
		usleep(1000);
	usleep(200000); /* most likely all parked now */
	/* calls from the main thread while every reader waits */
	printf("main runs while %d readers wait: pid %d\n", n, getpid() > 0);
	fflush(stdout);
	for (int i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	printf("readers done: %d\n", got);
	free(t);
	return 0;
}
