/*
 * Fast-path libc symbols: each one line over lind_syscall(), saving the
 * SIGSYS round trip (~2.6 us) a trapped call costs.  The only place in
 * client-libc that sets errno.  Anything not here (printf, fopen, opendir,
 * getcwd, fcntl...) still reaches the server: through the trap.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "client.h"

static long lind_ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

#define L(x) ((long)(x))
static inline long sys0(long nr) { return lind_syscall(nr, 0, 0, 0, 0, 0, 0); }
static inline long sys1(long nr, long a) { return lind_syscall(nr, a, 0, 0, 0, 0, 0); }
static inline long sys2(long nr, long a, long b) { return lind_syscall(nr, a, b, 0, 0, 0, 0); }
static inline long sys3(long nr, long a, long b, long c) { return lind_syscall(nr, a, b, c, 0, 0, 0); }
static inline long sys4(long nr, long a, long b, long c, long d) { return lind_syscall(nr, a, b, c, d, 0, 0); }

/* open's mode argument exists only with O_CREAT or O_TMPFILE. */
#define OPEN_MODE(flags, last)                                       \
	mode_t mode = 0;                                             \
	if ((flags) & O_CREAT || ((flags) & O_TMPFILE) == O_TMPFILE) { \
		va_list ap;                                          \
		va_start(ap, last);                                  \
		mode = va_arg(ap, mode_t);                           \
		va_end(ap);                                          \
	}

ssize_t read(int fd, void *buf, size_t n) { return lind_ret(sys3(LIND_SYS_read, fd, L(buf), L(n))); }
ssize_t write(int fd, const void *buf, size_t n) { return lind_ret(sys3(LIND_SYS_write, fd, L(buf), L(n))); }
ssize_t pread(int fd, void *buf, size_t n, off_t off) { return lind_ret(sys4(LIND_SYS_pread64, fd, L(buf), L(n), off)); }
ssize_t pwrite(int fd, const void *buf, size_t n, off_t off) { return lind_ret(sys4(LIND_SYS_pwrite64, fd, L(buf), L(n), off)); }
ssize_t pread64(int fd, void *buf, size_t n, off_t off) __attribute__((alias("pread")));
ssize_t pwrite64(int fd, const void *buf, size_t n, off_t off) __attribute__((alias("pwrite")));
ssize_t readv(int fd, const struct iovec *v, int n) { return lind_ret(sys3(LIND_SYS_readv, fd, L(v), n)); }
ssize_t writev(int fd, const struct iovec *v, int n) { return lind_ret(sys3(LIND_SYS_writev, fd, L(v), n)); }
off_t lseek(int fd, off_t off, int whence) { return lind_ret(sys3(LIND_SYS_lseek, fd, off, whence)); }
off_t lseek64(int fd, off_t off, int whence) __attribute__((alias("lseek")));
int close(int fd) { return (int)lind_ret(sys1(LIND_SYS_close, fd)); }
int dup(int fd) { return (int)lind_ret(sys1(LIND_SYS_dup, fd)); }
int dup2(int fd, int to) { return (int)lind_ret(sys2(LIND_SYS_dup2, fd, to)); }
int fsync(int fd) { return (int)lind_ret(sys1(LIND_SYS_fsync, fd)); }

int open(const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return (int)lind_ret(sys3(LIND_SYS_open, L(path), flags, mode));
}
int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int openat(int dirfd, const char *path, int flags, ...)
{
	OPEN_MODE(flags, flags);
	return (int)lind_ret(sys4(LIND_SYS_openat, dirfd, L(path), flags, mode));
}
int openat64(int dirfd, const char *path, int flags, ...) __attribute__((alias("openat")));

int creat(const char *path, mode_t mode) { return (int)lind_ret(sys2(LIND_SYS_creat, L(path), mode)); }
int creat64(const char *path, mode_t mode) __attribute__((alias("creat")));
int stat(const char *path, struct stat *st) { return (int)lind_ret(sys2(LIND_SYS_stat, L(path), L(st))); }
int fstat(int fd, struct stat *st) { return (int)lind_ret(sys2(LIND_SYS_fstat, fd, L(st))); }
int lstat(const char *path, struct stat *st) { return (int)lind_ret(sys2(LIND_SYS_lstat, L(path), L(st))); }
/* struct stat64 is struct stat on x86-64 */
int stat64(const char *path, struct stat64 *st) { return stat(path, (struct stat *)st); }
int fstat64(int fd, struct stat64 *st) { return fstat(fd, (struct stat *)st); }
int lstat64(const char *path, struct stat64 *st) { return lstat(path, (struct stat *)st); }
int access(const char *path, int mode) { return (int)lind_ret(sys2(LIND_SYS_access, L(path), mode)); }
int mkdir(const char *path, mode_t mode) { return (int)lind_ret(sys2(LIND_SYS_mkdir, L(path), mode)); }
int rmdir(const char *path) { return (int)lind_ret(sys1(LIND_SYS_rmdir, L(path))); }
int unlink(const char *path) { return (int)lind_ret(sys1(LIND_SYS_unlink, L(path))); }
int chdir(const char *path) { return (int)lind_ret(sys1(LIND_SYS_chdir, L(path))); }

/* These cannot fail; the server's answer is the value. */
mode_t umask(mode_t m) { return (mode_t)sys1(LIND_SYS_umask, m); }
pid_t getpid(void) { return (pid_t)sys0(LIND_SYS_getpid); }
pid_t getppid(void) { return (pid_t)sys0(LIND_SYS_getppid); }
uid_t getuid(void) { return (uid_t)sys0(LIND_SYS_getuid); }
uid_t geteuid(void) { return (uid_t)sys0(LIND_SYS_geteuid); }
gid_t getgid(void) { return (gid_t)sys0(LIND_SYS_getgid); }
gid_t getegid(void) { return (gid_t)sys0(LIND_SYS_getegid); }
