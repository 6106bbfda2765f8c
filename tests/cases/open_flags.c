/* O_PATH (a name, not an open file), O_DIRECTORY, O_CREAT|O_DIRECTORY,
 * O_NOFOLLOW on a file, O_TMPFILE's errors */
#include "case.h"
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>

static void o_path(void)
{
	put_file("f", "data");
	REQUIRE(chmod("f", 0) == 0); /* O_PATH needs no permission on it */
	int fd = SHOW(open("f", O_PATH | O_RDWR | O_CREAT | O_TRUNC, 0644));
	char buf[8];
	SHOW(read(fd, buf, sizeof buf));
	SHOW(write(fd, "x", 1));
	SHOW(pread(fd, buf, 1, 0));
	SHOW(lseek(fd, 0, SEEK_SET));
	SHOW(fchmod(fd, 0644));
	SHOW(fchown(fd, getuid(), getgid()));
	SHOW(ftruncate(fd, 0));
	SHOW(fsync(fd));
	SHOW(flock(fd, LOCK_SH));
	SHOW(fgetxattr(fd, "user.a", buf, sizeof buf));
	SHOW(fcntl(fd, F_SETFL, O_NONBLOCK));
	SHOW(fcntl(fd, F_GETFL) & (O_PATH | O_ACCMODE | O_NONBLOCK));
	SHOW(fcntl(fd, F_GETFD));
	SHOW(fcntl(fd, F_SETFD, FD_CLOEXEC));
	struct flock fl = {.l_type = F_RDLCK};
	SHOW(fcntl(fd, F_GETLK, &fl));
	struct stat st;
	SHOW(fstat(fd, &st));
	printf("size %lld mode %o\n", (long long)st.st_size, st.st_mode & 07777);
	SHOW(fstatat(fd, "", &st, AT_EMPTY_PATH));
	struct statfs sf;
	SHOW(fstatfs(fd, &sf));
	int d = SHOW(dup(fd));
	SHOW(fstat(d, &st));
	SHOW(close(d));
	SHOW(fchdir(fd));
	SHOW(openat(fd, "x", O_RDONLY));
	SHOW(close(fd));
	SHOW(chmod("f", 0644));
	/* a directory named by O_PATH: a start for *at calls, and fchdir */
	SHOW(mkdir("d", 0755));
	put_file("d/in", "inside");
	int dfd = SHOW(open("d", O_PATH | O_DIRECTORY));
	fd = SHOW(openat(dfd, "in", O_RDONLY));
	SHOW(read(fd, buf, 6));
	SHOW(close(fd));
	SHOW(fstatat(dfd, "in", &st, 0));
	SHOW(faccessat(dfd, "in", R_OK, 0));
	SHOW(faccessat(dfd, "", R_OK, AT_EMPTY_PATH));
	char ents[256];
	SHOW(syscall(SYS_getdents64, dfd, ents, sizeof ents));
	SHOW(fchdir(dfd));
	SHOW(access("in", F_OK));
	SHOW(chdir(".."));
	SHOW(close(dfd));
	SHOW(open("f", O_PATH | O_DIRECTORY));
	SHOW(open("missing", O_PATH));
	SHOW(open("f/", O_PATH));
	/* a FIFO: O_PATH does not wait for a writer */
	SHOW(mkfifo("p", 0644));
	fd = SHOW(open("p", O_PATH));
	SHOW(fstat(fd, &st));
	printf("fifo %d\n", S_ISFIFO(st.st_mode));
	SHOW(close(fd));
	fd = SHOW(open("/dev/null", O_PATH));
	SHOW(write(fd, "x", 1));
	SHOW(close(fd));
}

static void other_flags(void)
{
	SHOW(open("d", O_RDONLY | O_DIRECTORY | O_CREAT, 0755));
	SHOW(open("new", O_RDONLY | O_DIRECTORY | O_CREAT, 0755));
	SHOW(access("new", F_OK));
	SHOW(open("f", O_RDONLY | O_DIRECTORY));
	SHOW(open("f/", O_RDONLY));
	int fd = SHOW(open("f", O_RDONLY | O_NOFOLLOW));
	SHOW(close(fd));
	fd = SHOW(open("d", O_RDONLY | O_NOFOLLOW | O_DIRECTORY));
	SHOW(close(fd));
	SHOW(open("d", O_WRONLY | O_DIRECTORY));
	SHOW(open("d", O_RDWR));
	SHOW(open("d", O_ACCMODE));
	SHOW(open("p", O_ACCMODE | O_NONBLOCK));
	/* O_ACCMODE: permission to read and write checked, neither allowed */
	fd = SHOW(open("f", O_ACCMODE));
	char buf[4];
	SHOW(read(fd, buf, sizeof buf));
	SHOW(write(fd, "x", 1));
	SHOW(pwrite(fd, "x", 1, 0));
	SHOW(fcntl(fd, F_GETFL) & O_ACCMODE);
	SHOW(ftruncate(fd, 0));
	SHOW(fallocate(fd, 0, 0, 10));
	SHOW(flock(fd, LOCK_EX));
	struct flock fl = {.l_type = F_RDLCK, .l_whence = SEEK_SET};
	SHOW(fcntl(fd, F_SETLK, &fl));
	fl.l_type = F_WRLCK;
	SHOW(fcntl(fd, F_SETLK, &fl));
	SHOW(mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, fd, 0) == MAP_FAILED ? -1 : 0);
	struct stat st;
	SHOW(fstat(fd, &st));
	SHOW(close(fd));
	fd = SHOW(open("f", O_ACCMODE | O_TRUNC));
	SHOW(fstat(fd, &st));
	printf("size %lld\n", (long long)st.st_size);
	SHOW(close(fd));
}

static void tmpfile_(void)
{
	struct stat st;
	char buf[8] = {0};
	int fd = SHOW(open(".", O_TMPFILE | O_RDWR, 0600));
	SHOW(write(fd, "tmp", 3));
	SHOW(fstat(fd, &st));
	printf("nlink %ld size %lld mode %o\n", (long)st.st_nlink,
	       (long long)st.st_size, st.st_mode & 07777);
	SHOW(linkat(fd, "", AT_FDCWD, "named", AT_EMPTY_PATH));
	SHOW(fstat(fd, &st));
	printf("nlink %ld\n", (long)st.st_nlink);
	SHOW(linkat(fd, "", AT_FDCWD, "again", AT_EMPTY_PATH));
	SHOW(close(fd));
	fd = SHOW(open("named", O_RDONLY));
	SHOW(read(fd, buf, sizeof buf - 1));
	printf("[%s]\n", buf);
	SHOW(close(fd));
	fd = SHOW(open(".", O_TMPFILE | O_WRONLY | O_EXCL, 0600));
	SHOW(linkat(fd, "", AT_FDCWD, "never", AT_EMPTY_PATH));
	SHOW(close(fd));
	SHOW(access("never", F_OK));
	fd = SHOW(open("gone", O_RDWR | O_CREAT, 0600));
	SHOW(unlink("gone"));
	SHOW(linkat(fd, "", AT_FDCWD, "back", AT_EMPTY_PATH));
	SHOW(close(fd));
	SHOW(linkat(99, "", AT_FDCWD, "x", AT_EMPTY_PATH));
	SHOW(open(".", O_TMPFILE | O_RDONLY, 0600));
	SHOW(open(".", O_TMPFILE | O_RDWR | O_CREAT, 0600));
	SHOW(open(".", (O_TMPFILE & ~O_DIRECTORY) | O_RDWR, 0600));
	SHOW(open("f", O_TMPFILE | O_RDWR, 0600));
	SHOW(open("missing", O_TMPFILE | O_RDWR, 0600));
	SHOW(open("/proc", O_TMPFILE | O_RDWR, 0600));
}

int main(void)
{
	enter_scratch();
	o_path();
	other_flags();
	tmpfile_();
	return 0;
}
