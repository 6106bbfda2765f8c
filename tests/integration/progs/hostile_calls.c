/* A cage that tries to make the server hold or do too much through the
 * calls host programs need:
 *   hostile_calls hog FILE    record locks until refused, then holds them
 *                             (until stdin ends), printing how many
 *   hostile_calls copy DIR    one copy_file_range of 2^40 bytes from a
 *                             sparse 1 GiB file: how much one call did
 *   hostile_calls normal FILE what an ordinary cage does meanwhile: a
 *                             lock, a write, a read back
 *   hostile_calls wait FILE A B  locks byte A, then at a line on stdin
 *                             waits (F_SETLKW) for byte B, and prints how
 *                             that ended */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int lock1(int fd, off_t start)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
			   .l_start = start, .l_len = 1};
	return fcntl(fd, F_SETLK, &fl);
}

static int hog(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600), n = 0;
	if (fd < 0)
		return perror(path), 1;
	while (lock1(fd, 2 * (off_t)n) == 0) /* apart: never merged */
		n++;
	printf("hog: %d locks, then %s\n", n, strerrorname_np(errno));
	fflush(stdout);
	char c;
	while (read(0, &c, 1) > 0)
		;
	return 0;
}

static int copy(const char *dir)
{
	char src[256], dst[256];
	snprintf(src, sizeof src, "%s/sparse", dir);
	snprintf(dst, sizeof dst, "%s/copy", dir);
	int in = open(src, O_RDWR | O_CREAT, 0600);
	int out = open(dst, O_WRONLY | O_CREAT, 0600);
	if (in < 0 || out < 0 || ftruncate(in, 1L << 30) < 0)
		return perror("copy setup"), 1;
	ssize_t n = copy_file_range(in, NULL, out, NULL, 1UL << 40, 0);
	printf("copy: one call copied %zd bytes\n", n);
	return n > 0 && n <= (1 << 20) ? 0 : 1;
}

static int normal(const char *path)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	char buf[8] = {0};
	if (fd < 0 || lock1(fd, 0) < 0)
		return perror("normal"), 1;
	if (pwrite(fd, "fine", 4, 0) != 4 || pread(fd, buf, 4, 0) != 4)
		return perror("normal io"), 1;
	printf("normal: locked and read back %s\n", buf);
	return 0;
}

static int wait_for(const char *path, off_t mine, off_t theirs)
{
	int fd = open(path, O_RDWR | O_CREAT, 0600);
	char line[16];
	if (fd < 0 || lock1(fd, mine) < 0)
		return perror("wait"), 1;
	printf("locked %lld\n", (long long)mine);
	fflush(stdout);
	if (!fgets(line, sizeof line, stdin))
		return 1;
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET,
			   .l_start = theirs, .l_len = 1};
	int r = fcntl(fd, F_SETLKW, &fl);
	printf("waited for %lld: %s\n", (long long)theirs,
	       r == 0 ? "got it" : strerrorname_np(errno));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "wait") == 0)
		return wait_for(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 3 && strcmp(argv[1], "hog") == 0)
		return hog(argv[2]);
	if (argc == 3 && strcmp(argv[1], "copy") == 0)
		return copy(argv[2]);
	if (argc == 3 && strcmp(argv[1], "normal") == 0)
		return normal(argv[2]);
	fprintf(stderr, "usage: hostile_calls hog|copy|normal PATH\n");
	return 2;
}
