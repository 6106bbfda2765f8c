/* which reads move atime, as a relatime mount moves it: printed as
 * relations ("moved", "kept"), never as values.  Each step waits a
 * little first, so a time set now differs from one set before it (the
 * kernel's atime clock is coarse). */
#include "case.h"
#include <dirent.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/uio.h>
#include <time.h>

static struct timespec atime_of(const char *path)
{
	struct stat st;
	REQUIRE(lstat(path, &st) == 0);
	return st.st_atim;
}

static int cmp_ts(struct timespec a, struct timespec b)
{
	return a.tv_sec != b.tv_sec ? (a.tv_sec > b.tv_sec ? 1 : -1)
	       : a.tv_nsec != b.tv_nsec ? (a.tv_nsec > b.tv_nsec ? 1 : -1)
					: 0;
}

static struct timespec before;

static void mark(const char *path)
{
	before = atime_of(path);
	usleep(20000);
}

static void report(const char *what, const char *path)
{
	int c = cmp_ts(atime_of(path), before);
	printf("%-34s atime %s\n", what,
	       c > 0 ? "moved" : c == 0 ? "kept" : "WENT BACK");
}

/* atime back a year (mtime now): the next read must move it. */
static void age(const char *path)
{
	struct timespec ts[2] = {{time(NULL) - 366 * 86400, 0}, {0, UTIME_NOW}};
	REQUIRE(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0);
	usleep(20000);
}

static void read_one(int fd)
{
	char c;
	REQUIRE(pread(fd, &c, 1, 0) == 1);
}

static void reads(int fd)
{
	char buf[8];
	struct iovec iov = {buf, sizeof buf};
	age("f");
	mark("f");
	REQUIRE(read(fd, buf, 3) == 3);
	report("read after a write", "f");
	struct stat st;
	REQUIRE(stat("f", &st) == 0);
	printf("atime >= mtime: %d\n", cmp_ts(st.st_atim, st.st_mtim) >= 0);
	mark("f");
	REQUIRE(pread(fd, buf, 3, 0) == 3);
	report("a second read", "f");
	mark("f");
	read_one(fd);
	REQUIRE(readv(fd, &iov, 1) >= 0);
	REQUIRE(preadv(fd, &iov, 1, 0) == 5);
	report("more reads", "f");
	age("f");
	mark("f");
	REQUIRE(preadv(fd, &iov, 1, 0) == 5);
	report("preadv of an old atime", "f");
	age("f");
	mark("f");
	REQUIRE(read(fd, buf, sizeof buf) == 0);
	report("read at the end of the file", "f");
	REQUIRE(pwrite(fd, "x", 1, 5) == 1);
	usleep(20000);
	mark("f");
	read_one(fd);
	report("read after a new write", "f");
	struct timespec future[2] = {{time(NULL) + 3600, 0}, {0, UTIME_OMIT}};
	REQUIRE(futimens(fd, future) == 0);
	mark("f");
	read_one(fd);
	report("read of a future atime", "f");
}

static void noatime(void)
{
	int fd = open("f", O_RDONLY | O_NOATIME);
	REQUIRE(fd >= 0);
	printf("O_NOATIME in F_GETFL: %d\n", !!(fcntl(fd, F_GETFL) & O_NOATIME));
	age("f");
	mark("f");
	read_one(fd);
	report("read of an O_NOATIME fd", "f");
	SHOW(fcntl(fd, F_SETFL, 0));
	read_one(fd);
	report("... after F_SETFL without it", "f");
	age("f");
	mark("f");
	SHOW(fcntl(fd, F_SETFL, O_NOATIME));
	read_one(fd);
	report("... after F_SETFL with it", "f");
	REQUIRE(close(fd) == 0);
}

static void copies(void)
{
	int in = open("f", O_RDONLY), out = open("g", O_WRONLY | O_CREAT, 0644);
	REQUIRE(in >= 0 && out >= 0);
	age("f");
	mark("f");
	off_t off = 0;
	REQUIRE(sendfile(out, in, &off, 3) == 3);
	report("sendfile's source", "f");
	age("f");
	mark("f");
	loff_t ioff = 0;
	REQUIRE(copy_file_range(in, &ioff, out, NULL, 3, 0) == 3);
	report("copy_file_range's source", "f");
	age("f");
	mark("f");
	void *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, in, 0);
	REQUIRE(p != MAP_FAILED);
	report("mmap", "f");
	REQUIRE(munmap(p, 4096) == 0);
	REQUIRE(close(in) == 0 && close(out) == 0);
}

static void dirs_and_links(void)
{
	REQUIRE(mkdir("d", 0755) == 0);
	put_file("d/x", "x");
	age("d");
	mark("d");
	DIR *d = opendir("d");
	REQUIRE(d != NULL);
	while (readdir(d))
		;
	report("listing a directory", "d");
	mark("d");
	rewinddir(d);
	while (readdir(d))
		;
	report("listing it again", "d");
	REQUIRE(closedir(d) == 0);
	mark("d");
	REQUIRE(access("d/x", F_OK) == 0);
	report("a lookup in it", "d");
	REQUIRE(symlink("f", "l") == 0);
	age("l");
	mark("l");
	char buf[8];
	REQUIRE(readlink("l", buf, sizeof buf) == 1);
	report("readlink", "l");
	age("l");
	mark("l");
	int fd = open("l", O_RDONLY);
	REQUIRE(fd >= 0 && close(fd) == 0);
	report("open through the link", "l");
	age("f");
	mark("f");
	fd = open("f", O_RDONLY);
	REQUIRE(fd >= 0 && close(fd) == 0);
	report("open and close, no read", "f");
	struct stat st;
	REQUIRE(stat("f", &st) == 0);
	report("stat", "f");
}

int main(void)
{
	enter_scratch();
	int fd = open("f", O_RDWR | O_CREAT, 0644);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, "hello", 5) == 5);
	REQUIRE(lseek(fd, 0, SEEK_SET) == 0);
	reads(fd);
	REQUIRE(close(fd) == 0);
	noatime();
	copies();
	dirs_and_links();
	return 0;
}
