/* fallocate in each mode, posix_fallocate, holes (truncate growing,
 * PUNCH_HOLE) read as zeros and found by SEEK_HOLE/SEEK_DATA */
#include "case.h"
#include <linux/falloc.h>

static void show_size(int fd)
{
	struct stat st;
	REQUIRE(fstat(fd, &st) == 0);
	printf("size %lld\n", (long long)st.st_size);
}

/* The bytes at off, as text: '.' for a zero. */
static void show_bytes(int fd, off_t off, size_t n)
{
	char buf[64];
	REQUIRE(n < sizeof buf);
	ssize_t got = pread(fd, buf, n, off);
	REQUIRE(got >= 0);
	for (ssize_t i = 0; i < got; i++)
		buf[i] = buf[i] ? buf[i] : '.';
	printf("at %lld (%zd): %.*s\n", (long long)off, got, (int)got, buf);
}

static void fill(int fd, off_t len)
{
	char block[4096];
	memset(block, 'x', sizeof block);
	for (off_t o = 0; o < len; o += (off_t)sizeof block)
		REQUIRE(pwrite(fd, block, sizeof block, o) == (ssize_t)sizeof block);
}

int main(void)
{
	enter_scratch();
	int fd = SHOW(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(fallocate(fd, 0, 0, 10000));
	show_size(fd);
	show_bytes(fd, 9990, 20);
	SHOW(fallocate(fd, FALLOC_FL_KEEP_SIZE, 0, 100000));
	show_size(fd);
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 10)); /* needs KEEP_SIZE */
	SHOW(fallocate(fd, 0x4000, 0, 10));
	SHOW(fallocate(fd, 0, 0, 0));
	SHOW(fallocate(fd, 0, -1, 10));
	SHOW(fallocate(fd, 0, 0x7fffffffffffffffL, 10));
	/* punch a block-aligned hole into written data */
	SHOW(ftruncate(fd, 0));
	fill(fd, 4 * 4096);
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 4096, 8192));
	show_size(fd);
	show_bytes(fd, 4090, 12);
	show_bytes(fd, 12280, 12);
	SHOW(lseek(fd, 0, SEEK_HOLE));
	SHOW(lseek(fd, 4096, SEEK_DATA));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(lseek(fd, 20000, SEEK_DATA));
	/* punching past the end changes nothing */
	SHOW(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 16384, 4096));
	show_size(fd);
	/* truncate growing leaves a hole that reads as zeros */
	SHOW(ftruncate(fd, 5));
	SHOW(truncate("f", 4096 * 3));
	show_size(fd);
	show_bytes(fd, 0, 10);
	show_bytes(fd, 4096 * 3 - 5, 10);
	SHOW(lseek(fd, 4096, SEEK_DATA));
	SHOW(close(fd));
	/* posix_fallocate answers with the error number */
	fd = SHOW(open("g", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(posix_fallocate(fd, 100, 50));
	show_size(fd);
	show_bytes(fd, 140, 20);
	SHOW(posix_fallocate(fd, 0, 10)); /* within: the size stays */
	show_size(fd);
	SHOW(posix_fallocate(fd, -1, 10));
	SHOW(posix_fallocate(fd, 0, 0));
	SHOW(close(fd));
	fd = SHOW(open("g", O_RDONLY));
	SHOW(fallocate(fd, 0, 0, 10));
	SHOW(fallocate(fd, 0x4000, 0, 10));
	SHOW(posix_fallocate(fd, 0, 10));
	SHOW(close(fd));
	fd = SHOW(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(fallocate(fd, 0, 0, 10));
	SHOW(close(fd));
	int p[2];
	SHOW(pipe(p));
	SHOW(fallocate(p[1], 0, 0, 10));
	SHOW(close(p[0]));
	SHOW(close(p[1]));
	fd = SHOW(open("/dev/null", O_WRONLY));
	SHOW(fallocate(fd, 0, 0, 10));
	SHOW(close(fd));
	fd = SHOW(open("empty", O_RDWR | O_CREAT, 0644));
	SHOW(lseek(fd, 0, SEEK_DATA));
	SHOW(lseek(fd, 0, SEEK_HOLE));
	SHOW(close(fd));
	return 0;
}
