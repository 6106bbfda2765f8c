/* One big directory: create, stat and unlink N files in it, timing each
 * phase.  Built natively and with lind-cc; scripts/bench-dirs runs both on
 * the same host filesystem and prints ratios.  Figures are medians over
 * rounds (a fresh directory each).  "<phase>_growth" is the per-call time
 * of the phase's last tenth over its first: about 1 when the cost of a
 * call does not grow with the directory.
 * Usage: dirs DIR [N] [ROUNDS] */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

enum { CREATE, STAT, UNLINK, NPHASES };
static const char *phase_name[NPHASES] = {"create", "stat", "unlink"};

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void die(const char *what, const char *path)
{
	perror(path);
	fprintf(stderr, "dirs: %s failed\n", what);
	exit(1);
}

static void one(int phase, const char *path)
{
	struct stat st;
	int fd;
	switch (phase) {
	case CREATE:
		if ((fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0 ||
		    close(fd) < 0)
			die("create", path);
		break;
	case STAT:
		if (stat(path, &st) < 0)
			die("stat", path);
		break;
	default:
		if (unlink(path) < 0)
			die("unlink", path);
	}
}

/* One round: seconds per phase and each phase's growth. */
static void round_of(const char *dir, long n, double secs[], double growth[])
{
	char path[512];
	long tenth = n / 10 > 0 ? n / 10 : 1;
	if (mkdir(dir, 0755) < 0)
		die("mkdir", dir);
	for (int p = 0; p < NPHASES; p++) {
		double t0 = now_s(), first = 0, mark = t0;
		for (long i = 0; i < n; i++) {
			if (i == tenth)
				first = now_s() - t0;
			if (i == n - tenth)
				mark = now_s();
			snprintf(path, sizeof path, "%s/file-%08ld", dir, i);
			one(p, path);
		}
		double end = now_s();
		secs[p] = end - t0;
		growth[p] = first > 0 ? (end - mark) / first : 0;
	}
	if (rmdir(dir) < 0)
		die("rmdir", dir);
}

static const char *fs_name(const char *dir)
{
	struct statfs f;
	if (statfs(dir, &f) < 0)
		return "unknown";
	switch ((unsigned long)f.f_type) {
	case 0xEF53: return "ext4";
	case 0x01021994: return "tmpfs";
	case 0x58465342: return "xfs";
	case 0x9123683E: return "btrfs";
	case 0x794c7630: return "overlayfs";
	default: return "other";
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: dirs DIR [N] [ROUNDS]\n");
		return 2;
	}
	long n = argc > 2 ? atol(argv[2]) : 100000;
	int rounds = argc > 3 ? atoi(argv[3]) : 3;
	if (n < 1 || rounds < 1 || rounds > 99) {
		fprintf(stderr, "dirs: want N >= 1 and 1..99 rounds\n");
		return 2;
	}
	double secs[NPHASES][99], growth[NPHASES][99];
	char dir[512];
	for (int r = 0; r < rounds; r++) {
		double s[NPHASES], g[NPHASES];
		snprintf(dir, sizeof dir, "%s/round%d", argv[1], r);
		round_of(dir, n, s, g);
		for (int p = 0; p < NPHASES; p++) {
			secs[p][r] = s[p];
			growth[p][r] = g[p];
		}
	}
	printf("fs %s\n", fs_name(argv[1]));
	for (int p = 0; p < NPHASES; p++) {
		qsort(secs[p], (size_t)rounds, sizeof(double), cmp_double);
		qsort(growth[p], (size_t)rounds, sizeof(double), cmp_double);
		printf("%s_s %.3f\n", phase_name[p], secs[p][rounds / 2]);
		printf("%s_growth %.2f\n", phase_name[p], growth[p][rounds / 2]);
	}
	return 0;
}
