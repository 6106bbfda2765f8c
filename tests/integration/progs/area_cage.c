/* Bulk data through the slot's data area (tests/integration/area.sh).
 *   area_cage sizes DIR    byte-exact reads and writes of sizes around
 *                          the area (0, 1, area-1, area, area+1, 1 MiB,
 *                          3 MiB) by every read/write call, and a pipe
 *   area_cage io N DIR     N pwrites and preads of 1 MiB (the script
 *                          counts the relay's calls around it)
 *   area_cage keep DIR     writes DIR/keep; "check" compares it again
 *   area_cage hostile DIR  a thread writes and reads 1 MiB over and over
 *                          while another scribbles over the channel's
 *                          slots, areas included; then leaves by
 *                          exit_group */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "protocol.h"
#include "raw_syscall.h"

extern void *lind_cl __attribute__((weak)); /* client-libc's */

#define AREA LIND_MAX_IO
#define MIB (1024 * 1024)
#define HOST_MAGIC 0x4c494e44484f5354l /* client-libc/client.h */
#define PROBE_NR 0x4c4e                /* LIND_PROBE_NR */

static uint8_t *want, *got;

static uint8_t pat(size_t i, unsigned seed)
{
	return (uint8_t)(i * 31 + i / 4093 + seed);
}

static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = pat(i, seed);
}

static int bad(const char *what, size_t n, long r)
{
	printf("%s of %zu: %ld\n", what, n, r);
	return 1;
}

/* Everything of n bytes written, then read back, by one pair. */
static int file_pair(const char *dir, size_t n, int how)
{
	char path[256];
	snprintf(path, sizeof path, "%s/sizes", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return bad("open", n, -1);
	fill(want, n, (unsigned)(n + how));
	memset(got, 0xee, n + 1);
	struct iovec w[2] = {{want, n / 3}, {want + n / 3, n - n / 3}};
	struct iovec g[2] = {{got, n / 3 + 1}, {got + n / 3 + 1, n - n / 3}};
	long r = how == 0   ? write(fd, want, n)
		 : how == 1 ? pwrite(fd, want, n, 0)
		 : how == 2 ? writev(fd, w, 2)
			    : pwritev(fd, w, 2, 0);
	if (r != (long)n)
		return bad("write", n, r);
	lseek(fd, 0, SEEK_SET);
	r = how == 0   ? read(fd, got, n + 1)
	    : how == 1 ? pread(fd, got, n + 1, 0)
	    : how == 2 ? readv(fd, g, 2)
		       : preadv(fd, g, 2, 0);
	close(fd);
	unlink(path);
	if (r != (long)n)
		return bad("read", n, r);
	if (memcmp(want, got, n) || got[n] != 0xee)
		return bad("compare", n, how);
	return 0;
}

static struct {
	int fd;
	size_t n;
} pipe_w;

static void *pipe_writer(void *arg)
{
	(void)arg;
	size_t done = 0;
	while (done < pipe_w.n) {
		long r = write(pipe_w.fd, want + done, pipe_w.n - done);
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	close(pipe_w.fd);
	return NULL;
}

static int pipe_pair(size_t n)
{
	int p[2];
	if (pipe(p) < 0)
		return bad("pipe", n, -1);
	fill(want, n, (unsigned)n * 3);
	pipe_w.fd = p[1];
	pipe_w.n = n;
	pthread_t t;
	pthread_create(&t, NULL, pipe_writer, NULL);
	size_t done = 0;
	long r;
	while ((r = read(p[0], got + done, 3 * MIB + 1 - done)) > 0)
		done += (size_t)r;
	pthread_join(t, NULL);
	close(p[0]);
	if (done != n || memcmp(want, got, n))
		return bad("pipe", n, (long)done);
	return 0;
}

static int sizes(const char *dir)
{
	static const size_t n[] = {0, 1, AREA - 1, AREA, AREA + 1, MIB,
				   3 * MIB};
	int errs = 0;
	for (size_t k = 0; k < sizeof n / sizeof n[0]; k++) {
		for (int how = 0; how < 4; how++)
			errs += file_pair(dir, n[k], how);
		errs += pipe_pair(n[k]);
	}
	printf("sizes: %s\n", errs ? "FAILED" : "byte-exact");
	return errs != 0;
}

static int io(const char *dir, int times)
{
	char path[256];
	snprintf(path, sizeof path, "%s/io", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fill(want, MIB, 5);
	int errs = fd < 0;
	for (int i = 0; i < times && !errs; i++) {
		errs += pwrite(fd, want, MIB, 0) != MIB;
		errs += pread(fd, got, MIB, 0) != MIB;
		errs += memcmp(want, got, MIB) != 0;
	}
	close(fd);
	unlink(path);
	printf("io %d: %s\n", times, errs ? "FAILED" : "ok");
	return errs != 0;
}

static int keep(const char *dir, int check)
{
	char path[256];
	snprintf(path, sizeof path, "%s/keep", dir);
	fill(want, 2 * MIB, 77);
	int fd = open(path, check ? O_RDONLY : O_RDWR | O_CREAT | O_TRUNC, 0644);
	long r = fd < 0 ? -1
		 : check ? pread(fd, got, 2 * MIB + 1, 0)
			 : pwrite(fd, want, 2 * MIB, 0);
	close(fd);
	int same = r == 2 * MIB && (!check || !memcmp(want, got, 2 * MIB));
	printf("keep: %s\n", same ? "intact" : "CHANGED");
	return !same;
}

/* ---- hostile ---- */

static _Atomic int stop;

static void *busy_io(void *arg)
{
	int fd = *(int *)arg;
	while (!atomic_load(&stop)) {
		(void)!pwrite(fd, want, MIB, 0);
		(void)!pread(fd, got, MIB, 0);
	}
	return NULL;
}

/* The first slots whole (frames and areas: those the threads use), the
 * states, lengths and first bytes of every other. */
static void scribble(struct lind_chan *ch, uint64_t *x)
{
	static const uint32_t lens[] = {0, 1, 17, LIND_AREA_OFF,
					LIND_AREA_OFF + 1, LIND_MAX_FRAME,
					LIND_MAX_FRAME + 1, 0xffffffffu};
	for (int i = 0; i < LIND_CHAN_SLOTS; i++) {
		struct lind_slot *s = &ch->slot[i];
		size_t n = i < 4 ? sizeof s->buf : 64;
		for (size_t k = 0; k < n; k += 8) {
			*x ^= *x << 13, *x ^= *x >> 7, *x ^= *x << 17;
			memcpy(s->buf + k, x, 8);
		}
		s->len = lens[*x % 8];
		atomic_store(&s->state, (uint32_t)(*x >> 8) % 6);
		atomic_fetch_add(&ch->doorbell, 1);
	}
}

static int hostile(const char *dir, double secs)
{
	struct lind_chan *ch = NULL;
	long cl = raw6(PROBE_NR, 0, 0, 0, 0, 0, HOST_MAGIC);
	if (cl <= 4096)
		cl = &lind_cl ? (long)lind_cl : 0;
	if (cl) /* struct lind_client: version, sock, cage_id, chan */
		memcpy(&ch, (char *)cl + 16, sizeof ch);
	if (!ch) {
		printf("hostile: no channel\n");
		return 1;
	}
	char path[256];
	snprintf(path, sizeof path, "%s/hostile", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	fill(want, MIB, 9);
	printf("hostile: scribbling\n");
	fflush(stdout);
	pthread_t t[2];
	for (int k = 0; k < 2; k++)
		pthread_create(&t[k], NULL, busy_io, &fd);
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	uint64_t x = 0x9e3779b97f4a7c15ull;
	do {
		scribble(ch, &x);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while ((double)(now.tv_sec - t0.tv_sec) +
			 (double)(now.tv_nsec - t0.tv_nsec) / 1e9 <
		 secs);
	/* our channel is garbage: leave without asking the server */
	for (;;)
		raw6(SYS_exit_group, 0, 0, 0, 0, 0, HOST_MAGIC);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	want = malloc(3 * MIB + 1);
	got = malloc(3 * MIB + 1);
	if (!strcmp(argv[1], "sizes"))
		return sizes(argv[2]);
	if (!strcmp(argv[1], "io") && argc > 3)
		return io(argv[3], atoi(argv[2]));
	if (!strcmp(argv[1], "keep") || !strcmp(argv[1], "check"))
		return keep(argv[2], argv[1][0] == 'c');
	if (!strcmp(argv[1], "hostile"))
		return hostile(argv[2], argc > 3 ? atof(argv[3]) : 3);
	return 2;
}
