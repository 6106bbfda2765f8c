/* chmod, chown, utimensat and friends, statx: what changes, what is
 * refused (EINVAL, ENOENT, ENOTDIR, EBADF), and that ctime follows */
#include "case.h"
#include <sys/time.h>
#include <time.h>
#include <utime.h>

static struct stat st;

static void show_mode(const char *p)
{
	REQUIRE(stat(p, &st) == 0);
	printf("%s mode %o uid %d gid %d\n", p, st.st_mode, (int)st.st_uid,
	       (int)st.st_gid);
}

static void show_times(const char *p)
{
	REQUIRE(stat(p, &st) == 0);
	printf("%s atime %lld.%09ld mtime %lld.%09ld\n", p,
	       (long long)st.st_atim.tv_sec, st.st_atim.tv_nsec,
	       (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

int main(void)
{
	enter_scratch();
	umask(022);
	put_file("f", "data");
	SHOW(mkdir("d", 0755));
	/* chmod family */
	SHOW(chmod("f", 04751));
	show_mode("f");
	int fd = SHOW(open("f", O_RDONLY));
	SHOW(fchmod(fd, 0600));
	show_mode("f");
	SHOW(fchmodat(AT_FDCWD, "f", 02644, 0));
	show_mode("f");
	SHOW(fchmodat(AT_FDCWD, "f", 0644, 0x8000)); /* unknown flag */
	SHOW(chmod("missing", 0644));
	SHOW(chmod("f/x", 0644));
	SHOW(fchmod(99, 0644));
	SHOW(chmod("d", 01777));
	show_mode("d");
	/* chown as the caller is (the tests run as root, natively too) */
	SHOW(chmod("f", 06755));
	SHOW(chown("f", -1, -1)); /* Linux drops setuid, and setgid+x */
	show_mode("f");
	SHOW(chmod("f", 02745)); /* setgid without group x: kept */
	SHOW(fchown(fd, 1234, 5678));
	show_mode("f");
	SHOW(lchown("f", 0, 0));
	SHOW(fchownat(AT_FDCWD, "f", 7, 8, 0));
	show_mode("f");
	SHOW(fchownat(AT_FDCWD, "f", 7, 8, 0x8000));
	SHOW(chown("missing", 0, 0));
	SHOW(fchown(99, 0, 0));
	/* times: given, now, omitted */
	struct timespec ts[2] = {{1000000000, 123456789}, {1200000000, 5}};
	SHOW(utimensat(AT_FDCWD, "f", ts, 0));
	show_times("f");
	ts[0].tv_nsec = UTIME_OMIT;
	ts[1] = (struct timespec){1300000000, 0};
	SHOW(utimensat(AT_FDCWD, "f", ts, 0));
	show_times("f");
	ts[0] = (struct timespec){1, UTIME_OMIT};
	ts[1] = (struct timespec){1, UTIME_OMIT};
	SHOW(utimensat(AT_FDCWD, "missing", ts, 0)); /* nothing to do: 0 */
	ts[0] = (struct timespec){0, 1000000000};
	SHOW(utimensat(AT_FDCWD, "f", ts, 0));
	SHOW(utimensat(AT_FDCWD, "f", NULL, 0x8000));
	SHOW(utimensat(AT_FDCWD, "missing", NULL, 0));
	struct timespec before;
	clock_gettime(CLOCK_REALTIME, &before);
	SHOW(utimensat(AT_FDCWD, "f", NULL, 0));
	REQUIRE(stat("f", &st) == 0);
	printf("now: mtime >= before %d, atime == mtime %d\n",
	       st.st_mtim.tv_sec >= before.tv_sec,
	       st.st_atim.tv_sec == st.st_mtim.tv_sec &&
		       st.st_atim.tv_nsec == st.st_mtim.tv_nsec);
	printf("ctime moved %d\n", st.st_ctim.tv_sec >= before.tv_sec);
	struct timespec fts[2] = {{2000000000, 0}, {2000000001, 7}};
	SHOW(futimens(fd, fts));
	show_times("f");
	struct timeval tv[2] = {{1400000000, 10}, {1400000001, 20}};
	SHOW(utimes("f", tv));
	show_times("f");
	tv[0].tv_usec = 1000000;
	SHOW(utimes("f", tv));
	struct utimbuf ub = {1500000000, 1500000001};
	SHOW(utime("f", &ub));
	show_times("f");
	SHOW(utime("d", &ub));
	show_times("d");
	SHOW(futimens(99, NULL));
	/* statx: the basic fields are stat's */
	struct statx sx;
	SHOW(statx(AT_FDCWD, "f", 0, STATX_BASIC_STATS, &sx));
	REQUIRE(stat("f", &st) == 0);
	printf("statx basic %x mode %o size %llu nlink %u ino-same %d "
	       "mtime-same %d\n", sx.stx_mask & STATX_BASIC_STATS, sx.stx_mode,
	       (unsigned long long)sx.stx_size, sx.stx_nlink,
	       sx.stx_ino == st.st_ino,
	       sx.stx_mtime.tv_sec == st.st_mtim.tv_sec &&
		       sx.stx_mtime.tv_nsec == (unsigned)st.st_mtim.tv_nsec);
	SHOW(statx(fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS, &sx));
	printf("fd statx size %llu\n", (unsigned long long)sx.stx_size);
	SHOW(statx(AT_FDCWD, "d", AT_SYMLINK_NOFOLLOW, STATX_TYPE, &sx));
	printf("dir %d\n", S_ISDIR(sx.stx_mode));
	SHOW(statx(AT_FDCWD, "missing", 0, STATX_BASIC_STATS, &sx));
	SHOW(statx(AT_FDCWD, "f", 0x8000000, STATX_BASIC_STATS, &sx));
	SHOW(statx(AT_FDCWD, "f", 0, 0x80000000u, &sx));
	SHOW(statx(AT_FDCWD, "", 0, STATX_BASIC_STATS, &sx));
	SHOW(close(fd));
	SHOW(unlink("f"));
	SHOW(rmdir("d"));
	return 0;
}
