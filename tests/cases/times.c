/* which calls move mtime and ctime (of the file and of its directory),
 * compared as relations: "advanced" or "same", never as values */
#include "case.h"
#include <sys/time.h>

static struct stat before_f, before_d;

static int cmp_ts(struct timespec a, struct timespec b)
{
	return a.tv_sec != b.tv_sec ? (a.tv_sec > b.tv_sec ? 1 : -1)
	       : a.tv_nsec != b.tv_nsec ? (a.tv_nsec > b.tv_nsec ? 1 : -1)
					: 0;
}

static const char *rel(struct timespec now, struct timespec then)
{
	int c = cmp_ts(now, then);
	return c > 0 ? "advanced" : c == 0 ? "same" : "WENT BACK";
}

/* Notes the times of path and of ".", then waits so a change shows. */
static void mark(const char *path)
{
	REQUIRE(stat(path, &before_f) == 0);
	REQUIRE(stat(".", &before_d) == 0);
	usleep(20000);
}

static void report(const char *what, const char *path)
{
	struct stat f, d;
	REQUIRE(stat(path, &f) == 0);
	REQUIRE(stat(".", &d) == 0);
	printf("%-24s file mtime %-8s ctime %-8s dir mtime %-8s ctime %s\n",
	       what, rel(f.st_mtim, before_f.st_mtim),
	       rel(f.st_ctim, before_f.st_ctim), rel(d.st_mtim, before_d.st_mtim),
	       rel(d.st_ctim, before_d.st_ctim));
}

int main(void)
{
	enter_scratch();
	REQUIRE(mkdir("d", 0755) == 0);
	REQUIRE(chdir("d") == 0);
	put_file("f", "");
	mark("f");
	int fd = open("f", O_RDWR | O_TRUNC);
	REQUIRE(fd >= 0);
	report("O_TRUNC of empty", "f");
	mark("f");
	REQUIRE(write(fd, "", 0) == 0);
	report("write 0 bytes", "f");
	mark("f");
	REQUIRE(write(fd, "abc", 3) == 3);
	report("write", "f");
	mark("f");
	REQUIRE(pwrite(fd, "x", 1, 10) == 1);
	report("pwrite", "f");
	mark("f");
	char buf[4];
	REQUIRE(pread(fd, buf, 4, 0) == 4);
	report("pread", "f");
	mark("f");
	REQUIRE(ftruncate(fd, 11) == 0);
	report("ftruncate same size", "f");
	mark("f");
	REQUIRE(ftruncate(fd, 5) == 0);
	report("ftruncate", "f");
	mark("f");
	REQUIRE(truncate("f", 100) == 0);
	report("truncate", "f");
	mark("f");
	REQUIRE(fchmod(fd, 0600) == 0);
	report("fchmod", "f");
	mark("f");
	REQUIRE(chown("f", getuid(), getgid()) == 0);
	report("chown to the same", "f");
	mark("f");
	REQUIRE(fsync(fd) == 0);
	report("fsync", "f");
	mark("f");
	REQUIRE(link("f", "g") == 0);
	report("link", "f");
	mark("f");
	REQUIRE(rename("g", "h") == 0);
	report("rename", "f");
	mark("h");
	REQUIRE(rename("h", "i") == 0);
	report("rename (the file)", "i");
	mark("f");
	REQUIRE(unlink("i") == 0);
	report("unlink a link", "f");
	mark("f");
	REQUIRE(mkdir("sub", 0755) == 0);
	report("mkdir", "f");
	mark("f");
	REQUIRE(rmdir("sub") == 0);
	report("rmdir", "f");
	mark("f");
	int e = open("new", O_WRONLY | O_CREAT, 0644);
	REQUIRE(e >= 0);
	report("create", "f");
	mark("new");
	REQUIRE(open("new", O_WRONLY | O_CREAT, 0644) >= 0);
	report("O_CREAT of existing", "new");
	mark("new");
	REQUIRE(fallocate(e, 0, 0, 100) == 0);
	report("fallocate growing", "new");
	mark("new");
	REQUIRE(fallocate(e, 0, 0, 10) == 0);
	report("fallocate within", "new");
	mark("new");
	off_t off = 0;
	REQUIRE(copy_file_range(fd, &off, e, NULL, 3, 0) == 3);
	report("copy_file_range dest", "new");
	mark("f");
	off = 0;
	REQUIRE(copy_file_range(fd, &off, e, NULL, 3, 0) == 3);
	report("copy_file_range source", "f");
	mark("f");
	REQUIRE(futimens(fd, NULL) == 0);
	report("futimens now", "f");
	close(e);
	close(fd);
	return 0;
}
