/* Attribute calls against a scratch store, as users other than root (the
 * integration cases run as root natively too): who may chmod, chown and
 * set times, setuid/setgid clearing, xattrs, resource limits, rename's
 * and symlink's permission checks, and that each change (a symlink's
 * target too) survives a restart. */
#define _GNU_SOURCE
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>

#include "test_server_util.h"

TSRV_USERS_SUITE()

/* One call with paths, in-structs and out-structs by argument index. */
struct args {
	int64_t a[6];
	const void *in[6];
	size_t inlen[6];
	void *out[6];
	size_t cap[6];
};

static long callx(struct cage *cg, uint32_t nr, const struct args *x)
{
	struct call c;
	memset(&c, 0, sizeof c);
	c.cage = cg;
	c.nr = nr;
	memcpy(c.a, x->a, sizeof c.a);
	for (int i = 0; i < 6; i++) {
		c.in[i].ptr = x->in[i];
		c.in[i].len = x->inlen[i];
		c.out[i].buf = x->out[i];
		c.out[i].cap = x->cap[i];
	}
	long r = srv_handler_for(nr)(&c);
	long flushed = store_flush(srv.store);
	return flushed < 0 && r >= 0 ? flushed : r;
}

#define P(s) (s), strlen(s)
static long path1(struct cage *cg, uint32_t nr, const char *p, int64_t a1,
		  int64_t a2)
{
	struct args x = {.a = {0, a1, a2}, .in = {p}, .inlen = {strlen(p)}};
	return callx(cg, nr, &x);
}

/* stat (or lstat: nr) of p by root. */
static struct stat stat_nr(uint32_t nr, const char *p)
{
	struct stat st;
	memset(&st, 0, sizeof st);
	struct args x = {.in = {p}, .inlen = {strlen(p)}, .out = {NULL, &st},
			 .cap = {0, sizeof st}};
	assert_int_equal(callx(root, nr, &x), 0);
	return st;
}

static struct stat st_of(const char *p)
{
	return stat_nr(LIND_SYS_stat, p);
}

static long utimens(struct cage *cg, const char *p, const struct timespec *ts)
{
	struct args x = {.a = {AT_FDCWD}, .in = {NULL, p, ts},
			 .inlen = {0, strlen(p), ts ? 2 * sizeof *ts : 0}};
	return callx(cg, LIND_SYS_utimensat, &x);
}

static void make_file(struct cage *cg, const char *p, long mode)
{
	long fd = path1(cg, LIND_SYS_open, p, O_CREAT | O_WRONLY, mode);
	assert_true(fd >= 0);
	struct args x = {.a = {fd}};
	assert_int_equal(callx(cg, LIND_SYS_close, &x), 0);
}

static void test_chmod_chown(void **state)
{
	(void)state;
	make_file(owner, "/tmp/f", 0644);
	check(path1(other, LIND_SYS_chmod, "/tmp/f", 0777, 0), -EPERM);
	check(path1(owner, LIND_SYS_chmod, "/tmp/f", 04711, 0), 0);
	check(st_of("/tmp/f").st_mode, S_IFREG | 04711);
	check(path1(other, LIND_SYS_chmod, "/tmp/missing", 0, 0), -ENOENT);
	/* setgid only for a member of the file's group */
	check(path1(root, LIND_SYS_chown, "/tmp/f", -1, 3000), 0);
	check(st_of("/tmp/f").st_mode, S_IFREG | 0711); /* setuid dropped */
	check(path1(owner, LIND_SYS_chmod, "/tmp/f", 02755, 0), 0);
	check(st_of("/tmp/f").st_mode, S_IFREG | 0755);
	check(path1(root, LIND_SYS_chmod, "/tmp/f", 02755, 0), 0);
	check(st_of("/tmp/f").st_mode, S_IFREG | 02755);
	/* the owner may only give the file its own group */
	check(path1(owner, LIND_SYS_chown, "/tmp/f", 2000, -1), -EPERM);
	check(path1(owner, LIND_SYS_chown, "/tmp/f", 1000, -1), 0);
	check(path1(owner, LIND_SYS_chown, "/tmp/f", -1, 2000), -EPERM);
	check(path1(other, LIND_SYS_chown, "/tmp/f", -1, 2000), -EPERM);
	check(path1(owner, LIND_SYS_chown, "/tmp/f", -1, 1000), 0);
	check(st_of("/tmp/f").st_gid, 1000);
	/* setgid with group execute goes with any chown */
	check(st_of("/tmp/f").st_mode, S_IFREG | 0755);
	check(path1(root, LIND_SYS_chown, "/tmp/f", 2000, 2000), 0);
	check(st_of("/tmp/f").st_uid, 2000);
	check(path1(owner, LIND_SYS_chmod, "/tmp/f", 0600, 0), -EPERM);
}

static void test_times(void **state)
{
	(void)state;
	make_file(owner, "/tmp/t", 0644);
	struct timespec given[2] = {{100, 1}, {200, 2}};
	struct timespec now[2] = {{0, UTIME_NOW}, {0, UTIME_NOW}};
	struct timespec omit[2] = {{0, UTIME_OMIT}, {0, UTIME_OMIT}};
	check(utimens(other, "/tmp/t", NULL), -EACCES);
	check(utimens(other, "/tmp/t", now), -EACCES);
	check(utimens(other, "/tmp/t", given), -EPERM);
	check(utimens(other, "/tmp/missing", omit), 0); /* not even looked up */
	check(utimens(owner, "/tmp/t", given), 0);
	struct stat st = st_of("/tmp/t");
	check(st.st_atim.tv_sec, 100);
	check(st.st_mtim.tv_nsec, 2);
	check(path1(owner, LIND_SYS_chmod, "/tmp/t", 0666, 0), 0);
	check(utimens(other, "/tmp/t", NULL), 0); /* write permission will do */
	check(utimens(other, "/tmp/t", given), -EPERM);
	given[0].tv_nsec = 1000000000;
	check(utimens(owner, "/tmp/t", given), -EINVAL);
}

static long setx(struct cage *cg, const char *path, const char *name,
		 const char *value, int flags)
{
	struct args s = {.a = {0, 0, 0, (int64_t)strlen(value), flags},
			 .in = {path, name, value},
			 .inlen = {strlen(path), strlen(name), strlen(value)}};
	return callx(cg, LIND_SYS_setxattr, &s);
}

static long getx(struct cage *cg, const char *path, const char *name,
		 char *buf, size_t cap)
{
	struct args x = {.a = {0, 0, 0, (int64_t)cap}, .in = {path, name},
			 .inlen = {strlen(path), strlen(name)},
			 .out = {NULL, NULL, buf}, .cap = {0, 0, cap}};
	return callx(cg, LIND_SYS_getxattr, &x);
}

static long listx(struct cage *cg, const char *path, char *buf, size_t cap)
{
	struct args l = {.a = {0, 0, (int64_t)cap}, .in = {path},
			 .inlen = {strlen(path)}, .out = {NULL, buf},
			 .cap = {0, cap}};
	return callx(cg, LIND_SYS_listxattr, &l);
}

/* Permissions as Linux's xattr_permission: reading needs read
 * permission, writing write permission; trusted.* is root's alone (others
 * neither set, read nor list it); user.* in a sticky directory is changed
 * by its owner only. */
static void test_xattrs(void **state)
{
	(void)state;
	char buf[64];
	make_file(owner, "/tmp/x", 0644);
	check(getx(other, "/tmp/x", "user.a", buf, sizeof buf), -ENODATA);
	check(getx(other, "/tmp/y", "user.a", buf, sizeof buf), -ENOENT);
	check(getx(other, "/tmp/x", "", buf, sizeof buf), -ERANGE);
	check(setx(other, "/tmp/x", "user.a", "v", 0), -EACCES);
	check(setx(owner, "/tmp/x", "user.a", "v", 0), 0);
	check(setx(owner, "/tmp/x", "user.a", "w", XATTR_CREATE), -EEXIST);
	check(setx(owner, "/tmp/x", "user.a", "w", 4), -EINVAL);
	check(getx(other, "/tmp/x", "user.a", buf, sizeof buf), 1);
	check(setx(owner, "/tmp/x", "trusted.t", "v", 0), -EPERM);
	check(setx(root, "/tmp/x", "trusted.t", "r", 0), 0);
	check(getx(owner, "/tmp/x", "trusted.t", buf, sizeof buf), -ENODATA);
	check(getx(root, "/tmp/x", "trusted.t", buf, sizeof buf), 1);
	check(listx(other, "/tmp/x", buf, sizeof buf), 7);
	assert_string_equal(buf, "user.a");
	check(listx(root, "/tmp/x", buf, sizeof buf), 17);
	check(listx(root, "/tmp/x", buf, 5), -ERANGE);
	check(path1(owner, LIND_SYS_chmod, "/tmp/x", 0600, 0), 0);
	check(getx(other, "/tmp/x", "user.a", buf, sizeof buf), -EACCES);
	check(listx(other, "/tmp/x", NULL, 0), 7); /* no permission needed */
	/* a sticky directory anyone may write */
	check(path1(owner, LIND_SYS_mkdir, "/tmp/s", 01777, 0), 0);
	check(path1(owner, LIND_SYS_chmod, "/tmp/s", 01777, 0), 0);
	check(setx(other, "/tmp/s", "user.a", "v", 0), -EPERM);
	check(setx(owner, "/tmp/s", "user.a", "v", 0), 0);
	struct args f = {.a = {99}};
	check(callx(owner, LIND_SYS_flistxattr, &f), -EBADF);
}

static long prlimit_(struct cage *cg, int64_t pid, int res,
		     const struct rlimit *set, struct rlimit *get)
{
	struct args x = {.a = {pid, res, set ? (int64_t)sizeof *set : 0,
			       get ? (int64_t)sizeof *get : 0},
			 .in = {NULL, NULL, set},
			 .inlen = {0, 0, set ? sizeof *set : 0},
			 .out = {NULL, NULL, NULL, get},
			 .cap = {0, 0, 0, get ? sizeof *get : 0}};
	return callx(cg, LIND_SYS_prlimit64, &x);
}

static void test_rlimits(void **state)
{
	(void)state;
	struct rlimit rl, got;
	check(prlimit_(owner, 0, RLIMIT_NOFILE, NULL, &got), 0);
	check(got.rlim_cur, fd_limit());
	rl = (struct rlimit){50, 100};
	check(prlimit_(owner, 0, RLIMIT_NOFILE, &rl, NULL), 0);
	rl.rlim_max = 200; /* raising the hard limit: root only */
	check(prlimit_(owner, 0, RLIMIT_NOFILE, &rl, NULL), -EPERM);
	rl = (struct rlimit){60, 50};
	check(prlimit_(owner, 0, RLIMIT_NOFILE, &rl, NULL), -EINVAL);
	check(prlimit_(owner, (int64_t)other->id, RLIMIT_NOFILE, NULL, &got),
	      -ESRCH);
	check(prlimit_(owner, (int64_t)owner->id, RLIMIT_NOFILE, NULL, &got), 0);
	check(got.rlim_max, 100);
	check(prlimit_(owner, 0, 16, NULL, &got), -EINVAL);
	rl = (struct rlimit){10, 100};
	check(prlimit_(root, 0, RLIMIT_NOFILE, &rl, NULL), 0);
	rl.rlim_max = (rlim_t)fd_limit() + 1; /* past the table even for root */
	check(prlimit_(root, 0, RLIMIT_NOFILE, &rl, NULL), -EPERM);
	rl.rlim_max = (rlim_t)fd_limit();
	check(prlimit_(root, 0, RLIMIT_NOFILE, &rl, NULL), 0);
	/* the soft limit is enforced: fds 0..9 then EMFILE */
	long fd = 0;
	for (int i = 0; i < 10; i++)
		assert_true((fd = path1(root, LIND_SYS_open, "/dev/null",
					O_RDONLY, 0)) >= 0);
	check(fd, 9);
	check(path1(root, LIND_SYS_open, "/dev/null", O_RDONLY, 0), -EMFILE);
}

static void test_rename_perms(void **state)
{
	(void)state;
	make_file(owner, "/tmp/r", 0644);
	check(path1(owner, LIND_SYS_mkdir, "/tmp/own", 0755, 0), 0);
	struct args x = {.in = {"/tmp/r", "/tmp/s"}, .inlen = {6, 6}};
	check(callx(other, LIND_SYS_rename, &x), -EPERM); /* sticky /tmp */
	x.in[1] = "/tmp/own/r";
	x.inlen[1] = 10;
	check(callx(other, LIND_SYS_rename, &x), -EPERM);
	x.in[0] = "/tmp/own";
	x.inlen[0] = 8;
	x.in[1] = "/tmp/own2";
	x.inlen[1] = 9;
	check(callx(other, LIND_SYS_rename, &x), -EPERM);
	make_file(other, "/tmp/o", 0644);
	x.in[0] = "/tmp/o";
	x.inlen[0] = 6;
	x.in[1] = "/tmp/own/o";
	x.inlen[1] = 10;
	check(callx(other, LIND_SYS_rename, &x), -EACCES); /* not its dir */
	check(callx(root, LIND_SYS_rename, &x), 0);
	check(st_of("/tmp/own/o").st_uid, 2000);
}

static long symlink_(struct cage *cg, const char *target, const char *path)
{
	struct args x = {.in = {target, path},
			 .inlen = {strlen(target), strlen(path)}};
	return callx(cg, LIND_SYS_symlink, &x);
}

static struct stat lst_of(const char *p)
{
	return stat_nr(LIND_SYS_lstat, p);
}

/* The link's target, as readlink reads it, NUL added. */
static const char *target_of(const char *p)
{
	static char buf[4100];
	struct args x = {.a = {0, 0, sizeof buf - 1}, .in = {p},
			 .inlen = {strlen(p)}, .out = {NULL, buf},
			 .cap = {0, sizeof buf - 1}};
	long n = callx(root, LIND_SYS_readlink, &x);
	assert_true(n >= 0);
	buf[n] = '\0';
	return buf;
}

static long fchmodat2_(struct cage *cg, const char *p, long mode, long flags)
{
	struct args x = {.a = {AT_FDCWD, 0, mode, flags}, .in = {NULL, p},
			 .inlen = {0, strlen(p)}};
	return callx(cg, LIND_SYS_fchmodat2, &x);
}

static void test_symlink_perms(void **state)
{
	(void)state;
	check(path1(owner, LIND_SYS_mkdir, "/tmp/own", 0755, 0), 0);
	check(path1(owner, LIND_SYS_mkdir, "/tmp/priv", 0700, 0), 0);
	make_file(owner, "/tmp/own/f", 0644);
	check(symlink_(other, "x", "/tmp/own/l"), -EACCES); /* not its dir */
	check(symlink_(other, "x", "/tmp/own/f"), -EEXIST); /* before that */
	check(symlink_(other, "x", "/tmp/priv/l"), -EACCES); /* no search */
	check(symlink_(other, "", "/tmp/priv/l"), -ENOENT);  /* first of all */
	other->umask = 0777; /* a link's mode is 0777 whatever the umask */
	check(symlink_(other, "own/f", "/tmp/ol"), 0); /* sticky /tmp: anyone */
	struct stat st = lst_of("/tmp/ol");
	check(st.st_mode, S_IFLNK | 0777);
	check(st.st_uid, 2000);
	check(st.st_size, 5);
	check(st.st_blocks, 0); /* the target is in the journal */
	assert_string_equal(target_of("/tmp/ol"), "own/f");
	check(st_of("/tmp/ol").st_uid, 1000); /* stat follows */
	/* lchown: the link, by its owner's rules */
	check(path1(owner, LIND_SYS_lchown, "/tmp/ol", 1000, -1), -EPERM);
	check(path1(other, LIND_SYS_lchown, "/tmp/ol", -1, 2000), 0);
	check(path1(root, LIND_SYS_lchown, "/tmp/ol", 3000, 3000), 0);
	check(lst_of("/tmp/ol").st_uid, 3000);
	check(st_of("/tmp/own/f").st_uid, 1000);
	/* a link's mode never changes: EOPNOTSUPP, before ownership */
	check(fchmodat2_(other, "/tmp/ol", 0600, AT_SYMLINK_NOFOLLOW),
	      -EOPNOTSUPP);
	check(fchmodat2_(root, "/tmp/ol", 0600, AT_SYMLINK_NOFOLLOW),
	      -EOPNOTSUPP);
	check(fchmodat2_(owner, "/tmp/ol", 0600, 0), 0); /* follows */
	check(st_of("/tmp/own/f").st_mode, S_IFREG | 0600);
	/* the l* xattr calls look at a dangling link itself: user.* holds
	 * nothing on a link (Linux's xattr_permission) */
	check(symlink_(owner, "nowhere", "/tmp/dl"), 0);
	char buf[16];
	struct args x = {.a = {0, 0, 0, sizeof buf}, .in = {"/tmp/dl", "user.a"},
			 .inlen = {7, 6}, .out = {NULL, NULL, NULL, buf},
			 .cap = {0, 0, 0, sizeof buf}};
	check(callx(owner, LIND_SYS_getxattr, &x), -ENOENT);
	check(callx(owner, LIND_SYS_lgetxattr, &x), -ENODATA);
	check(callx(owner, LIND_SYS_lremovexattr, &x), -EPERM);
	struct args l = {.in = {"/tmp/dl"}, .inlen = {7}};
	check(callx(owner, LIND_SYS_listxattr, &l), -ENOENT);
	check(callx(owner, LIND_SYS_llistxattr, &l), 0);
	/* sticky /tmp: only the link's owner (or root) removes it */
	check(path1(owner, LIND_SYS_unlink, "/tmp/ol", 0, 0), -EPERM);
	check(path1(root, LIND_SYS_unlink, "/tmp/ol", 0, 0), 0);
}

/* chmod, times and rename are in the journal: a crash keeps them, and so
 * does the snapshot of a clean stop. */
static void test_survives_restart(void **state)
{
	(void)state;
	/* with data: the data file's own mtime must not win at load */
	long fd = path1(owner, LIND_SYS_open, "/tmp/p", O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	struct args w = {.a = {fd, 0, 3}, .in = {NULL, "abc"}, .inlen = {0, 3}};
	check(callx(owner, LIND_SYS_write, &w), 3);
	struct args cl = {.a = {fd}};
	check(callx(owner, LIND_SYS_close, &cl), 0);
	check(path1(owner, LIND_SYS_mkdir, "/tmp/pd", 0755, 0), 0);
	check(path1(owner, LIND_SYS_chmod, "/tmp/p", 0640, 0), 0);
	struct timespec ts[2] = {{111, 0}, {222, 3}};
	check(utimens(owner, "/tmp/p", ts), 0);
	struct args x = {.in = {"/tmp/p", "/tmp/pd/q"}, .inlen = {6, 9}};
	check(callx(owner, LIND_SYS_rename, &x), 0);
	/* a symlink: target, owner and times */
	check(symlink_(owner, "pd/q", "/tmp/pl"), 0);
	struct timespec lts[2] = {{333, 0}, {444, 5}};
	struct args lt = {.a = {AT_FDCWD, 0, 0, AT_SYMLINK_NOFOLLOW},
			  .in = {NULL, "/tmp/pl", lts},
			  .inlen = {0, 7, sizeof lts}};
	check(callx(owner, LIND_SYS_utimensat, &lt), 0);
	check(path1(root, LIND_SYS_lchown, "/tmp/pl", 1500, 1600), 0);
	for (int clean = 0; clean < 2; clean++) {
		tsrv_stop(clean);
		tsrv_start(dir, sizeof dir);
		root = cage_new(1, 0, 0);
		struct stat ls = lst_of("/tmp/pl");
		check(ls.st_mode, S_IFLNK | 0777);
		check(ls.st_size, 4);
		check(ls.st_uid, 1500);
		check(ls.st_gid, 1600);
		check(ls.st_mtim.tv_sec, 444);
		check(ls.st_mtim.tv_nsec, 5);
		assert_string_equal(target_of("/tmp/pl"), "pd/q");
		check(st_of("/tmp/pl").st_size, 3); /* through it */
		struct stat st = st_of("/tmp/pd/q");
		check(st.st_mode, S_IFREG | 0640);
		check(st.st_atim.tv_sec, 111);
		check(st.st_mtim.tv_sec, 222);
		check(st.st_mtim.tv_nsec, 3);
		check(st.st_size, 3);
		struct stat gone;
		struct args y = {.in = {"/tmp/p"}, .inlen = {6},
				 .out = {NULL, &gone}, .cap = {0, sizeof gone}};
		check(callx(root, LIND_SYS_stat, &y), -ENOENT);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_chmod_chown, setup, teardown),
		cmocka_unit_test_setup_teardown(test_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattrs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rlimits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rename_perms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_symlink_perms, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_survives_restart, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
