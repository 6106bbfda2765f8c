/* fifo mkfifo PATH | fifo read PATH | fifo write PATH SIZE MIB: pipe
 * throughput between two separate processes (two cages under lind-run)
 * through a FIFO.  The reader prints MiB/s from its open's return (both
 * ends open) to end of file; scripts/bench takes the median of runs. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static char chunk[65536];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int reader(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return perror("fifo: open"), 1;
	double t = now_s();
	long long total = 0;
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		total += n;
	if (n < 0)
		return perror("fifo: read"), 1;
	printf("%.1f\n", total / 1048576.0 / (now_s() - t));
	return 0;
}

static int writer(const char *path, size_t size, long mib)
{
	if (size == 0 || size > sizeof chunk || mib < 1)
		return fprintf(stderr, "fifo: bad size\n"), 2;
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return perror("fifo: open"), 1;
	memset(chunk, 'x', sizeof chunk);
	for (long i = mib * (1 << 20) / (long)size; i > 0; i--)
		if (write(fd, chunk, size) != (ssize_t)size)
			return perror("fifo: write"), 1;
	return close(fd) < 0;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 2 ? argv[1] : "";
	if (!strcmp(mode, "mkfifo"))
		return mkfifo(argv[2], 0600) < 0 ? perror("fifo: mkfifo"), 1 : 0;
	if (!strcmp(mode, "read"))
		return reader(argv[2]);
	if (!strcmp(mode, "write") && argc > 4)
		return writer(argv[2], strtoul(argv[3], NULL, 0), atol(argv[4]));
	fprintf(stderr, "usage: fifo mkfifo|read|write PATH [SIZE MIB]\n");
	return 2;
}
