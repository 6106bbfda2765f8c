/* Handlers against a scratch store: open flags and errors, read/write and
 * offsets, lseek, dup sharing, fcntl, permissions, mkdir/rmdir/unlink,
 * getcwd, ids and umask. */
#define _GNU_SOURCE
#include <sys/stat.h>

#include <ev.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include "test_server_util.h"
#include "common.h"
#include "../../posix-server/limit.h"

static char dir[64];
static struct cage *cg;

static int setup(void **state)
{
	(void)state;
	dir[0] = '\0';
	tsrv_start(dir, sizeof dir);
	cg = cage_new(1, 1000, 1000);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tsrv_stop(true);
	tsrv_rmrf(dir);
	return 0;
}

#define SYS(nr, ...) tsys(cg, LIND_SYS_##nr, A(__VA_ARGS__), NULL, 0, NULL, 0, NULL)
#define WRITE(fd, s) \
	tsys(cg, LIND_SYS_write, A(fd, 0, (int64_t)strlen(s)), s, strlen(s), NULL, 0, NULL)

static long rd(long fd, char *buf, size_t n)
{
	size_t len = 0;
	long r = tsys(cg, LIND_SYS_read, A(fd, 0, (int64_t)n), NULL, 0, buf, n,
		      &len);
	if (r >= 0)
		buf[r] = '\0';
	return r;
}

static struct stat st_of(const char *path, long *rc)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	*rc = tsys(cg, LIND_SYS_stat, A(0), path, strlen(path), &st, sizeof st,
		   NULL);
	return st;
}

static void test_open_errors(void **state)
{
	(void)state;
	check(SYSP(cg, open, "/tmp/f", 0, O_RDONLY), -ENOENT);
	long fd = SYSP(cg, open, "/tmp/f", 0, O_CREAT | O_EXCL | O_RDWR, 0666);
	check(fd, 0); /* no stdio streams in this cage */
	check(SYSP(cg, open, "/tmp/f", 0, O_CREAT | O_EXCL | O_RDWR, 0666), -EEXIST);
	check(SYSP(cg, open, "/tmp", 0, O_WRONLY), -EISDIR);
	check(SYSP(cg, open, "/tmp/f", 0, O_RDONLY | O_DIRECTORY), -ENOTDIR);
	check(SYSP(cg, open, "/tmp/f/", 0, O_RDONLY), -ENOTDIR);
	check(SYSP(cg, open, "/tmp/new/", 0, O_CREAT | O_RDWR, 0666), -EISDIR);
	check(SYSP(cg, open, "/tmp/f/", 0, O_CREAT | O_RDWR, 0666), -EISDIR);
	check(SYSP(cg, open, "/tmp/f/x", 0, O_CREAT | O_RDWR, 0666), -ENOTDIR);
	long acc3 = SYSP(cg, open, "/tmp/f", 0, O_ACCMODE); /* ioctl only */
	char none[2];
	assert_true(acc3 >= 0);
	check(rd(acc3, none, 1), -EBADF);
	check(WRITE(acc3, "x"), -EBADF);
	check(SYS(close, acc3), 0);
	check(SYSP(cg, open, "/dev", 0, O_CREAT | O_RDONLY, 0666), -EISDIR);
	if (getuid() != 1000) /* "/" belongs to whoever formatted the store */
		check(SYSP(cg, open, "/newfile", 0, O_CREAT | O_RDWR, 0666), -EACCES);
	long r;
	struct stat st = st_of("/tmp/f", &r);
	check(r, 0);
	check(st.st_mode, S_IFREG | 0644); /* umask 022 */
	check(st.st_uid, 1000);
	check(st.st_nlink, 1);
	check(st.st_blksize, 4096);
	check(SYSP(cg, creat, "/tmp/f", 0, 0600), 1);
}

static void test_read_write(void **state)
{
	(void)state;
	char buf[64];
	long fd = SYSP(cg, open, "/tmp/rw", 0, O_CREAT | O_RDWR, 0644);
	check(WRITE(fd, "hello world"), 11);
	check(rd(fd, buf, sizeof buf - 1), 0); /* at the end */
	check(SYS(lseek, fd, 0, SEEK_SET), 0);
	check(rd(fd, buf, 5), 5);
	assert_string_equal(buf, "hello");
	check(SYS(lseek, fd, -5, SEEK_END), 6);
	check(SYS(lseek, fd, 2, SEEK_CUR), 8);
	check(SYS(lseek, fd, -100, SEEK_CUR), -EINVAL);
	check(SYS(lseek, fd, 0, 99), -EINVAL);
	/* A hole reads as zeros. */
	check(SYS(lseek, fd, 20, SEEK_SET), 20);
	check(WRITE(fd, "x"), 1);
	check(SYS(lseek, fd, 10, SEEK_SET), 10);
	check(rd(fd, buf, 11), 11);
	check(buf[0], 'd');
	check(buf[1], 0);
	check(buf[10], 'x');
	/* pread/pwrite leave the offset alone. */
	check(tsys(cg, LIND_SYS_pwrite64, A(fd, 0, 2, 0), "HE", 2, NULL, 0, NULL), 2);
	check(tsys(cg, LIND_SYS_pread64, A(fd, 0, 5, 0), NULL, 0, buf, 5, NULL), 5);
	check(memcmp(buf, "HEllo", 5), 0);
	check(tsys(cg, LIND_SYS_pread64, A(fd, 0, 5, -1), NULL, 0, buf, 5, NULL), -EINVAL);
	check(SYS(lseek, fd, 0, SEEK_CUR), 21);
	/* Access modes. */
	long ro = SYSP(cg, open, "/tmp/rw", 0, O_RDONLY);
	check(WRITE(ro, "no"), -EBADF);
	check(SYS(ftruncate, ro, 0), -EINVAL);
	long wo = SYSP(cg, open, "/tmp/rw", 0, O_WRONLY | O_APPEND);
	check(rd(wo, buf, 4), -EBADF);
	check(WRITE(wo, "!"), 1);
	long r;
	check(st_of("/tmp/rw", &r).st_size, 22);
	check(SYS(ftruncate, fd, 3), 0);
	check(st_of("/tmp/rw", &r).st_size, 3);
	check(SYS(fsync, fd), 0);
	check(WRITE(99, "x"), -EBADF);
	check(SYS(close, 99), -EBADF);
	/* O_TRUNC */
	long t = SYSP(cg, open, "/tmp/rw", 0, O_WRONLY | O_TRUNC);
	check(t >= 0, 1);
	check(st_of("/tmp/rw", &r).st_size, 0);
}

static void test_dup_fcntl(void **state)
{
	(void)state;
	char buf[16];
	long fd = SYSP(cg, open, "/tmp/d", 0, O_CREAT | O_RDWR | O_CLOEXEC, 0644);
	check(WRITE(fd, "abcdef"), 6);
	check(SYS(fcntl, fd, F_GETFD), FD_CLOEXEC);
	long d = SYS(dup, fd);
	check(SYS(fcntl, d, F_GETFD), 0);
	check(SYS(lseek, d, 1, SEEK_SET), 1);
	check(rd(fd, buf, 2), 2); /* shared offset */
	assert_string_equal(buf, "bc");
	check(SYS(dup2, fd, 40), 40);
	check(SYS(dup2, 40, 40), 40);
	check(SYS(dup3, 40, 40, 0), -EINVAL);
	check(SYS(dup3, fd, 41, O_CLOEXEC), 41);
	check(SYS(fcntl, 41, F_GETFD), FD_CLOEXEC);
	check(SYS(fcntl, fd, F_DUPFD, 100), 100);
	check(SYS(fcntl, fd, F_DUPFD_CLOEXEC, 100), 101);
	check(SYS(fcntl, fd, F_GETFL), O_RDWR);
	check(SYS(fcntl, fd, F_SETFL, O_APPEND | O_RDONLY), 0);
	check(SYS(fcntl, d, F_GETFL), O_RDWR | O_APPEND); /* shared flags */
	check(SYS(fcntl, fd, F_SETFD, 0), 0);
	check(SYS(fcntl, fd, F_GETFD), 0);
	check(SYS(fcntl, fd, F_SETLK, 0), -EFAULT); /* no struct flock */
	check(SYS(fcntl, 500, F_GETFD), -EBADF);
	check(SYS(ioctl, fd, 0x5401, 0), -ENOTTY); /* TCGETS on a file */
}

static void test_dirs(void **state)
{
	(void)state;
	char buf[128];
	size_t len;
	check(SYSP(cg, mkdir, "/tmp/a", 0, 0777), 0);
	check(SYSP(cg, mkdir, "/tmp/a", 0, 0777), -EEXIST);
	check(SYSP(cg, mkdir, "/tmp/a/b/", 0, 0777), 0);
	check(SYSP(cg, mkdir, "/tmp/zz/b", 0, 0777), -ENOENT);
	long r;
	struct stat st = st_of("/tmp/a", &r);
	check(st.st_mode, S_IFDIR | 0755);
	check(st.st_nlink, 3);
	check(SYSP(cg, chdir, "/tmp/a/b", 0), 0);
	check(tsys(cg, LIND_SYS_getcwd, A(0, 128), NULL, 0, buf, 128, &len), 9);
	assert_string_equal(buf, "/tmp/a/b");
	check(tsys(cg, LIND_SYS_getcwd, A(0, 4), NULL, 0, buf, 4, &len), -ERANGE);
	check(SYSP(cg, rmdir, "/tmp/a", 0), -ENOTEMPTY);
	check(SYSP(cg, rmdir, ".", 0), -EINVAL);
	check(SYSP(cg, rmdir, "/", 0), -EBUSY);
	check(SYSP(cg, unlink, "/tmp/a", 0), -EISDIR);
	check(SYSP(cg, rmdir, "/tmp/a/b", 0), 0);
	/* cwd removed: getcwd fails, creating inside fails */
	check(tsys(cg, LIND_SYS_getcwd, A(0, 128), NULL, 0, buf, 128, &len), -ENOENT);
	check(SYSP(cg, open, "x", 0, O_CREAT | O_RDWR, 0644), -ENOENT);
	check(SYSP(cg, chdir, "..", 0), 0);
	check(tsys(cg, LIND_SYS_getcwd, A(0, 128), NULL, 0, buf, 128, &len), 7);
	check(SYSP(cg, rmdir, "/tmp/a", 0), 0);
	check(st_of("/tmp", &r).st_nlink, 2);
	/* unlinkat and at-fds */
	check(SYSP(cg, mkdir, "/tmp/c", 0, 0700), 0);
	long dfd = SYSP(cg, open, "/tmp/c", 0, O_RDONLY | O_DIRECTORY);
	check(tsys(cg, LIND_SYS_openat, A(dfd, 0, O_CREAT | O_RDWR, 0600), "f", 1,
		   NULL, 0, NULL) >= 0, 1);
	check(tsys(cg, LIND_SYS_unlinkat, A(dfd, 0, AT_REMOVEDIR), "f", 1, NULL,
		   0, NULL), -ENOTDIR);
	/* an at-fd that is no directory: ENOTDIR, also with O_CREAT and a
	 * trailing slash (fuzz_dispatch: open_at looked at an unset walk) */
	long ffd = tsys(cg, LIND_SYS_openat, A(dfd, 0, O_RDONLY), "f", 1, NULL,
			0, NULL);
	check(tsys(cg, LIND_SYS_openat, A(ffd, 0, O_CREAT | O_RDWR, 0600), "g/",
		   2, NULL, 0, NULL), -ENOTDIR);
	check(SYS(close, ffd), 0);
	check(tsys(cg, LIND_SYS_unlinkat, A(dfd, 0, 0), "f", 1, NULL, 0, NULL), 0);
	check(tsys(cg, LIND_SYS_mkdirat, A(dfd, 0, 0700), "s", 1, NULL, 0, NULL), 0);
	check(tsys(cg, LIND_SYS_unlinkat, A(AT_FDCWD, 0, AT_REMOVEDIR), "/tmp/c/s",
		   8, NULL, 0, NULL), 0);
	check(SYS(fchdir, dfd), 0);
	check(tsys(cg, LIND_SYS_getcwd, A(0, 128), NULL, 0, buf, 128, &len), 7);
	assert_string_equal(buf, "/tmp/c");
	/* newfstatat with AT_EMPTY_PATH */
	struct stat sb;
	check(tsys(cg, LIND_SYS_newfstatat, A(dfd, 0, 0, AT_EMPTY_PATH), "", 0,
		   &sb, sizeof sb, NULL), 0);
	check(sb.st_mode, S_IFDIR | 0700);
	check(tsys(cg, LIND_SYS_newfstatat, A(dfd, 0, 0, 0), "", 0, &sb,
		   sizeof sb, NULL), -ENOENT);
	check(tsys(cg, LIND_SYS_faccessat, A(dfd, 0, W_OK), ".", 1, NULL, 0,
		   NULL), 0);
}

static void test_permissions(void **state)
{
	(void)state;
	struct cage *other = cage_new(1, 2000, 2000);
	struct cage *root = cage_new(1, 0, 0);
	long fd = SYSP(cg, open, "/tmp/mine", 0, O_CREAT | O_RDWR, 0600);
	check(fd >= 0, 1);
	check(SYSP(other, open, "/tmp/mine", 0, O_RDONLY), -EACCES);
	check(SYSP(other, access, "/tmp/mine", 0, R_OK), -EACCES);
	check(SYSP(other, access, "/tmp/mine", 0, F_OK), 0);
	check(SYSP(root, open, "/tmp/mine", 0, O_RDWR) >= 0, 1);
	check(SYSP(root, access, "/tmp/mine", 0, X_OK), -EACCES);
	/* sticky /tmp: others cannot remove my file */
	check(SYSP(other, unlink, "/tmp/mine"), -EPERM);
	check(SYSP(cg, mkdir, "/tmp/priv", 0, 0700), 0);
	check(SYSP(other, open, "/tmp/priv/x", 0, O_CREAT | O_RDWR, 0666), -EACCES);
	check(SYSP(other, chdir, "/tmp/priv"), -EACCES);
	check(SYSP(cg, unlink, "/tmp/mine"), 0);
	cage_free(other);
	cage_free(root);
}

/* lind_openexec: the loader's open, by execute permission, not read */
static void test_openexec(void **state)
{
	(void)state;
	struct cage *other = cage_new(1, 2000, 2000);
	long fd = SYSP(cg, open, "/tmp/xonly", 0, O_CREAT | O_RDWR, 0711);
	check(fd >= 0, 1);
	check(SYSP(other, open, "/tmp/xonly", 0, O_RDONLY), -EACCES);
	long x = SYSP(other, lind_openexec, "/tmp/xonly", AT_FDCWD, 0, 0);
	check(x >= 0, 1);
	check(tsys(other, LIND_SYS_fcntl, A(x, F_GETFL, 0), NULL, 0, NULL, 0,
		   NULL) & O_ACCMODE, O_RDONLY);
	check(SYSP(other, lind_openexec, "/tmp/xonly", AT_FDCWD, 0, 0x1000),
	      -EINVAL);
	check(SYSP(other, lind_openexec, "/tmp", AT_FDCWD, 0, 0), -EACCES);
	check(SYSP(other, lind_openexec, "/tmp/none", AT_FDCWD, 0, 0), -ENOENT);
	check(SYS(fchmod, fd, 0700), 0);
	check(SYSP(other, lind_openexec, "/tmp/xonly", AT_FDCWD, 0, 0), -EACCES);
	check(SYS(fchmod, fd, 0644), 0);
	check(SYSP(cg, lind_openexec, "/tmp/xonly", AT_FDCWD, 0, 0), -EACCES);
	check(SYSP(cg, unlink, "/tmp/xonly"), 0);
	cage_free(other);
}

/* wait4(-1, st, WNOHANG, NULL); *st is -1 when nothing was written */
static long wait_nohang(struct cage *p, int *st)
{
	*st = -1;
	return tsys(p, LIND_SYS_wait4, A(-1, 4, WNOHANG, 0), NULL, 0, st, 4,
		    NULL);
}

static long fork_bound(struct cage *p, uint32_t host_pid)
{
	uint64_t token = 0;
	long kid = tsys(p, LIND_SYS_lind_fork, A(1), NULL, 0, &token, 8, NULL);
	if (kid > 0)
		cage_bind(cage_find_embryo(token, p->id), host_pid);
	return kid;
}

/* The process tree (R3): embryo, token, shared descriptions, zombie,
 * reaping, orphans, the procs limit, a death without exit_group. */
static void test_fork_tree(void **state)
{
	(void)state;
	if (!srv.loop)
		srv.loop = ev_default_loop(0);
	long fd = SYSP(cg, open, "/tmp/f", 0, O_CREAT | O_RDWR, 0644);
	check(WRITE(fd, "ab"), 2);
	uint64_t token = 0;
	long kid = tsys(cg, LIND_SYS_lind_fork, A(1), NULL, 0, &token, 8, NULL);
	assert_true(kid > (long)cg->id && token != 0);
	struct cage *k = cage_find((uint64_t)kid);
	check(k->state, CAGE_EMBRYO);
	check(k->parent, cg->id);
	int st;
	check(wait_nohang(cg, &st), 0);    /* an embryo is a child already */
	check(st, -1);                     /* untouched by WNOHANG's 0 */
	assert_null(cage_find_embryo(token, (uint64_t)kid)); /* not its own */
	assert_null(cage_find_embryo(token + 1, cg->id));
	assert_ptr_equal(cage_find_embryo(token, cg->id), k);
	cage_bind(k, 2);
	assert_null(cage_find_embryo(token, cg->id)); /* single use */
	/* one open file description: the child's write moves our offset */
	check(tsys(k, LIND_SYS_write, A(fd, 0, 1), "c", 1, NULL, 0, NULL), 1);
	check(SYS(lseek, fd, 0, SEEK_CUR), 3);
	check(tsys(k, LIND_SYS_getppid, A(0), NULL, 0, NULL, 0, NULL), cg->id);
	check(tsys(k, LIND_SYS_exit_group, A(5), NULL, 0, NULL, 0, NULL), 0);
	check(k->state, CAGE_ZOMBIE);
	check(wait_nohang(cg, &st), kid);
	check(st, 5 << 8);
	assert_null(cage_find((uint64_t)kid));
	check(wait_nohang(cg, &st), -ECHILD);
	/* an orphan goes to init (1), which reaps it when it ends */
	long k2 = fork_bound(cg, 3);
	long g = fork_bound(cage_find((uint64_t)k2), 4);
	assert_true(k2 > 0 && g > 0);
	check(tsys(cage_find((uint64_t)k2), LIND_SYS_exit_group, A(0), NULL, 0,
		   NULL, 0, NULL), 0);
	check(cage_find((uint64_t)g)->parent, 1);
	check(wait_nohang(cg, &st), k2);
	cage_exit(cage_find((uint64_t)g), SIGKILL); /* the relay's CAGE_GONE */
	assert_null(cage_find((uint64_t)g));
	/* a death without exit_group: killed by SIGKILL */
	long k3 = fork_bound(cg, 5);
	cage_exit(cage_find((uint64_t)k3), SIGKILL);
	check(wait_nohang(cg, &st), k3);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* the procs limit: EAGAIN, nothing made */
	uint64_t saved = srv_limits.procs;
	srv_limits.procs = cage_count_uid(cg->cred.ruid);
	unsigned n = cage_count();
	check(tsys(cg, LIND_SYS_lind_fork, A(1), NULL, 0, &token, 8, NULL),
	      -EAGAIN);
	check(cage_count(), n);
	srv_limits.procs = saved;
	/* a top-level cage (parent init) is gone at exit_group */
	uint64_t id = cg->id;
	check(SYS(exit_group, 3), 0);
	assert_null(cage_find(id));
	cg = NULL;
}

static long wait_opts(struct cage *p, long pid, int opts, int *st)
{
	*st = -1;
	return tsys(p, LIND_SYS_wait4, A(pid, 4, opts, 0), NULL, 0, st, 4,
		    NULL);
}

#define KILL(from, pid, sig) \
	tsys(from, LIND_SYS_kill, A(pid, sig), NULL, 0, NULL, 0, NULL)
#define SIGACT(c, sig, kind, flags) \
	tsys(c, LIND_SYS_lind_sigaction, A(sig, kind, flags), NULL, 0, NULL, \
	     0, NULL)

/* Stops and continues the server routes or a cage raises, reported once
 * each; stop signals a cage catches do not stop it; SIGCHLD ignored or
 * SA_NOCLDWAIT reaps; children's ticks summed, grandchildren's too. */
static void test_job_control(void **state)
{
	(void)state;
	if (!srv.loop)
		srv.loop = ev_default_loop(0);
	int st;
	long k = fork_bound(cg, 3);
	struct cage *kc = cage_find((uint64_t)k);
	/* cg's own group is orphaned (its parent is init): SIGTSTP is
	 * discarded there, as Linux does */
	check(cage_pgrp_orphaned(cg->pgid), true);
	check(cage_stops_on(kc, SIGTSTP), false);
	check(tsys(cg, LIND_SYS_lind_dying, A(SIGTSTP), NULL, 0, NULL, 0,
		   NULL), 1); /* discarded: its raise does not wait */
	check(cg->stopped, false);
	check(SYS(setpgid, k, k), 0);
	check(cage_pgrp_orphaned((uint64_t)k), false);
	check(KILL(cg, k, SIGSTOP), 0);
	check(wait_opts(cg, k, WNOHANG, &st), 0); /* no WUNTRACED */
	check(wait_opts(cg, k, WUNTRACED | WNOHANG, &st), k);
	check(st, SIGSTOP << 8 | 0x7f);
	check(wait_opts(cg, k, WUNTRACED | WNOHANG, &st), 0); /* once */
	check(KILL(cg, k, SIGCONT), 0);
	check(wait_opts(cg, k, WUNTRACED | WCONTINUED | WNOHANG, &st), k);
	check(st, 0xffff);
	check(wait_opts(cg, k, WCONTINUED | WNOHANG, &st), 0);
	/* a caught SIGTSTP does not stop it; SIG_DFL again does */
	check(SIGACT(kc, SIGTSTP, 2, 0), 0);
	check(KILL(cg, k, SIGTSTP), 0);
	check(wait_opts(cg, k, WUNTRACED | WNOHANG, &st), 0);
	check(SIGACT(kc, SIGTSTP, 0, 0), 0);
	check(KILL(cg, k, SIGTSTP), 0);
	check(wait_opts(cg, k, WUNTRACED | WNOHANG, &st), k);
	check(st, SIGTSTP << 8 | 0x7f);
	/* a stop it raises itself (lind_dying), then SIGCONT told */
	check(KILL(cg, k, SIGCONT), 0);
	check(tsys(kc, LIND_SYS_lind_dying, A(SIGTTOU), NULL, 0, NULL, 0,
		   NULL), 0);
	check(wait_opts(cg, k, WUNTRACED | WNOHANG, &st), k);
	check(st, SIGTTOU << 8 | 0x7f);
	check(tsys(kc, LIND_SYS_lind_dying, A(SIGCONT), NULL, 0, NULL, 0,
		   NULL), 0);
	check(wait_opts(cg, k, WCONTINUED | WNOHANG, &st), k);
	check(SIGACT(kc, SIGKILL, 1, 0), -EINVAL);
	check(SIGACT(kc, SIGCHLD, 3, 0), -EINVAL);
	/* ticks: the child's and the grandchild it reaped */
	long g = fork_bound(kc, 4);
	struct cage *gc = cage_find((uint64_t)g);
	gc->cpu_user = 5;
	cage_exit(gc, 0);
	check(wait_opts(kc, g, 0, &st), g);
	kc->cpu_user = 7;
	kc->cpu_sys = 3;
	cage_exit(kc, 0);
	struct rusage ru;
	memset(&ru, 0, sizeof ru);
	check(tsys(cg, LIND_SYS_wait4, A(k, 4, 0, 0), NULL, 0, &st, 4, NULL),
	      k);
	check(SYS(getrusage, RUSAGE_CHILDREN), -EFAULT); /* no buffer */
	check(tsys(cg, LIND_SYS_getrusage, A(RUSAGE_CHILDREN), NULL, 0, &ru,
		   sizeof ru, NULL), 0);
	long hz = sysconf(_SC_CLK_TCK);
	check(ru.ru_utime.tv_sec * hz + ru.ru_utime.tv_usec * hz / 1000000,
	      12);
	check(ru.ru_stime.tv_sec * hz + ru.ru_stime.tv_usec * hz / 1000000, 3);
	/* SIGCHLD ignored, then SA_NOCLDWAIT: no zombie, ECHILD */
	check(SIGACT(cg, SIGCHLD, 1, 0), 0);
	k = fork_bound(cg, 5);
	cage_exit(cage_find((uint64_t)k), 0);
	assert_null(cage_find((uint64_t)k));
	check(wait_opts(cg, -1, WNOHANG, &st), -ECHILD);
	check(SIGACT(cg, SIGCHLD, 2, SA_NOCLDWAIT), 0);
	k = fork_bound(cg, 6);
	cage_exit(cage_find((uint64_t)k), 0);
	assert_null(cage_find((uint64_t)k));
	check(SIGACT(cg, SIGCHLD, 0, 0), 0); /* zombies again */
	k = fork_bound(cg, 7);
	cage_exit(cage_find((uint64_t)k), 0);
	check(wait_opts(cg, -1, WNOHANG, &st), k);
}

static void test_proc(void **state)
{
	(void)state;
	check(SYS(getpid), cg->id);
	assert_true(cg->id >= 2);
	check(SYS(getppid), 1);
	check(SYS(getuid), 1000);
	check(SYS(getegid), 1000);
	check(SYS(umask, 077), 022);
	check(SYS(umask, 022), 077);
	/* devices */
	char buf[8];
	long z = SYSP(cg, open, "/dev/zero", 0, O_RDONLY);
	memset(buf, 1, sizeof buf);
	check(rd(z, buf, 4), 4);
	check(buf[0] | buf[3], 0);
	long n = SYSP(cg, open, "/dev/null", 0, O_RDWR);
	check(rd(n, buf, 4), 0);
	check(WRITE(n, "abc"), 3);
}

/* lind_exec: close-on-exec fds closed, the rest kept (offsets too),
 * argv and exe recorded (the path execve was given comes first: only the
 * trace shows it); a bad exe fd or a frame without a path changes
 * nothing. */
static void test_exec(void **state)
{
	(void)state;
	long keep = SYSP(cg, open, "/tmp/prog", 0, O_CREAT | O_RDWR, 0755);
	check(keep, 0);
	check(WRITE(keep, "abcdef"), 6);
	check(SYS(lseek, keep, 2, SEEK_SET), 2);
	long gone = SYSP(cg, open, "/tmp/prog", 0, O_RDONLY | O_CLOEXEC);
	check(gone, 1);
	check(SYS(umask, 027), 022);
	static const char argv[] = "/tmp/prog\0prog\0x y\0\0cut";
	check(tsys(cg, LIND_SYS_lind_exec, A(0, sizeof argv - 1, 9), argv,
		   sizeof argv - 1, NULL, 0, NULL), -EBADF);
	check(tsys(cg, LIND_SYS_lind_exec, A(0, 4, keep), "prog", 4, NULL, 0,
		   NULL), -EINVAL);
	check(SYS(fcntl, gone, F_GETFD, 0), FD_CLOEXEC); /* nothing done */
	check(tsys(cg, LIND_SYS_lind_exec, A(0, sizeof argv - 1, keep), argv,
		   sizeof argv - 1, NULL, 0, NULL), 0);
	check(SYS(fcntl, gone, F_GETFD, 0), -EBADF);
	char buf[8];
	check(rd(keep, buf, 4), 4); /* same description, same offset */
	assert_string_equal(buf, "cdef");
	check(cg->cmdline_len, 10); /* "prog" "x y" "", not the cut "cut" */
	assert_memory_equal(cg->cmdline, "prog\0x y\0", 10);
	assert_string_equal(cg->exe, "/tmp/prog");
	check(SYS(umask, 022), 027);
}

/* A host zombie's status, field 52 of /proc/PID/stat: a name with ") "
 * inside does not shift the fields; a live process or a hidden field
 * (0) says nothing. */
static int zombie_of(const char *text)
{
	char buf[700];
	unsigned long long f[LIND_STAT_FIELDS];
	snprintf(buf, sizeof buf, "%s", text);
	return stat_zombie_wstatus(f, lind_proc_stat_parse(buf, f));
}

static void test_zombie_status(void **state)
{
	(void)state;
	char stat[600], tail[400] = "";
	for (int f = 4; f < 52; f++)
		strcat(tail, " 7");
	snprintf(stat, sizeof stat, "42 (a) Z b) Z%s 139 0", tail);
	check(zombie_of(stat), 139);
	snprintf(stat, sizeof stat, "42 (a) R%s 139", tail);
	check(zombie_of(stat), -1);
	snprintf(stat, sizeof stat, "42 (a) Z%s 0", tail);
	check(zombie_of(stat), -1);
	check(zombie_of("42 (a) Z 1 2"), -1);
}

static void test_inode_limit(void **state)
{
	(void)state;
	uint64_t saved = srv_limits.inodes;
	srv_limits.inodes = vfs_inodes(srv.vfs) + 2;
	long fd = SYSP(cg, open, "/tmp/a", 0, O_CREAT | O_WRONLY, 0644);
	check(fd, 0);
	check(SYSP(cg, mkdir, "/tmp/d", 0, 0755), 0);
	/* out of inodes: ENOSPC, as a full filesystem, and nothing made */
	check(SYSP(cg, open, "/tmp/b", 0, O_CREAT | O_WRONLY, 0644), -ENOSPC);
	check(SYSP(cg, mkdir, "/tmp/e", 0, 0755), -ENOSPC);
	check(SYSP(cg, open, "/tmp/b", 0, O_RDONLY), -ENOENT);
	check(SYSP(cg, open, "/tmp/a", 0, O_RDONLY), 1); /* opening is free */
	check(SYSP(cg, rmdir, "/tmp/d"), 0);
	check(SYSP(cg, mkdir, "/tmp/e", 0, 0755), 0);
	srv_limits.inodes = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_open_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_read_write, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dup_fcntl, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dirs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_openexec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_proc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec, setup, teardown),
		cmocka_unit_test_setup_teardown(test_fork_tree, setup, teardown),
		cmocka_unit_test(test_zombie_status),
		cmocka_unit_test_setup_teardown(test_job_control, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_inode_limit, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
