/* Fd tables: lowest free fd, dup shares the description, close, EMFILE,
 * close-on-exec flags; the configured limits (fds per cage: EMFILE,
 * EINVAL, EBADF; files in all: ENFILE) and the bounded cache of host fds
 * for file data. */
#include <dirent.h>

#include "test_server_util.h"
#include "../../posix-server/limit.h"
#include "../../posix-server/ofd.h"

static struct ofd *file(void)
{
	struct ofd *o = ofd_new(&ofd_dev_ops, O_RDWR, NULL, NULL);
	assert_non_null(o);
	return o;
}

static void test_lowest_fd(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	check(fd_install(t, 0, file(), false), 0);
	check(fd_install(t, 0, file(), false), 1);
	check(fd_install(t, 0, file(), false), 2);
	check(fd_close(NULL, t, 1), 0);
	check(fd_close(NULL, t, 1), -EBADF);
	check(fd_install(t, 0, file(), false), 1);
	check(fd_install(t, 10, file(), false), 10);
	check(fd_install(t, 0, file(), false), 3);
	assert_null(fd_get(t, 4));
	assert_null(fd_get(t, -1));
	assert_null(fd_get(t, FD_MAX));
	fdtable_free(NULL, t);
}

static void test_dup_shares(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	check(fd_install(t, 0, file(), false), 0);
	check(fd_dup(t, 0, 0, false), 1);
	assert_ptr_equal(fd_get(t, 0), fd_get(t, 1));
	fd_get(t, 0)->off = 42; /* the offset is the description's */
	check(fd_get(t, 1)->off, 42);
	check(fd_get(t, 0)->refs, 2);
	check(fd_close(NULL, t, 0), 0);
	check(fd_get(t, 1)->off, 42);
	check(fd_get(t, 1)->refs, 1);
	/* dup2 onto an open fd closes it first; onto itself keeps refs */
	check(fd_install(t, 0, file(), false), 0);
	check(fd_dup2(NULL, t, 1, 0, false), 0);
	assert_ptr_equal(fd_get(t, 0), fd_get(t, 1));
	check(fd_dup2(NULL, t, 1, 1, false), 1);
	check(fd_get(t, 1)->refs, 2);
	check(fd_dup(t, 7, 0, false), -EBADF);
	check(fd_dup2(NULL, t, 0, FD_MAX, false), -EBADF);
	check(fd_dup(t, 0, FD_MAX, false), -EINVAL);
	fdtable_free(NULL, t);
}

static void test_emfile(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	for (int i = 0; i < FD_MAX; i++)
		check(fd_install(t, 0, file(), false), i);
	struct ofd *o = file();
	check(fd_install(t, 0, o, false), -EMFILE);
	ofd_put(NULL, o);
	check(fd_dup(t, 0, 0, false), -EMFILE);
	check(fd_get(t, 0)->refs, 1); /* a failed dup takes no reference */
	check(fd_close(NULL, t, 500), 0);
	check(fd_dup(t, 0, 0, false), 500);
	fdtable_free(NULL, t);
}

static void test_cloexec(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	check(fd_install(t, 0, file(), true), 0);
	assert_true(t->cloexec[0]);
	check(fd_dup(t, 0, 0, false), 1);
	assert_false(t->cloexec[1]); /* per slot, not shared */
	check(fd_dup(t, 0, 5, true), 5);
	assert_true(t->cloexec[5]);
	check(fd_dup2(NULL, t, 0, 1, true), 1);
	assert_true(t->cloexec[1]);
	check(fd_close(NULL, t, 1), 0);
	check(fd_install(t, 0, file(), false), 1);
	assert_false(t->cloexec[1]); /* a closed slot forgets it */
	fdtable_free(NULL, t);
}

/* ---- against a scratch store ----------------------------------------- */

static char dir[64];
static struct srv_limits saved;

static int setup(void **state)
{
	(void)state;
	saved = srv_limits;
	dir[0] = '\0';
	tsrv_start(dir, sizeof dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tsrv_stop(true);
	tsrv_rmrf(dir);
	srv_limits = saved;
	return 0;
}

#define SYS(cg, nr, ...) \
	tsys(cg, LIND_SYS_##nr, A(__VA_ARGS__), NULL, 0, NULL, 0, NULL)

static long open_n(struct cage *cg, int i, long flags)
{
	char p[32];
	snprintf(p, sizeof p, "/tmp/f%d", i);
	return SYSP(cg, open, p, 0, flags, 0644);
}

/* Host fds this process holds. */
static int host_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	assert_non_null(d);
	int n = 0;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void test_fd_limit(void **state)
{
	(void)state;
	srv_limits.fds = 10;
	struct cage *cg = cage_new(1, 1000, 1000);
	for (int i = 0; i < 10; i++)
		check(open_n(cg, i, O_CREAT | O_RDWR), i);
	check(open_n(cg, 10, O_CREAT | O_RDWR), -EMFILE);
	check(SYS(cg, dup, 0), -EMFILE);
	check(SYS(cg, fcntl, 0, F_DUPFD, 10), -EINVAL);
	check(SYS(cg, fcntl, 0, F_DUPFD, 3), -EMFILE);
	check(SYS(cg, dup2, 0, 10), -EBADF);
	check(SYS(cg, dup3, 0, 10, 0), -EBADF);
	check(SYS(cg, close, 4), 0);
	check(SYS(cg, fcntl, 0, F_DUPFD, 3), 4);
	check(SYS(cg, dup2, 0, 9), 9); /* below the limit: fine */
	check(SYS(cg, close, 7), 0);
	check(open_n(cg, 7, O_RDWR), 7);
	check(cg->fds->used, 10);
	cage_free(cg);
}

static void test_files_limit(void **state)
{
	(void)state;
	unsigned long base = ofd_count();
	srv_limits.files = base + 16;
	struct cage *a = cage_new(1, 1000, 1000), *b = cage_new(2, 1000, 1000);
	for (int i = 0; i < 8; i++) {
		check(open_n(a, i, O_CREAT | O_RDWR), i);
		check(open_n(b, i, O_RDONLY), i);
	}
	check(open_n(a, 9, O_CREAT | O_RDWR), -ENFILE);
	check(open_n(b, 0, O_RDONLY), -ENFILE);
	check(SYSP(b, open, "/tmp", 0, O_RDONLY | O_DIRECTORY), -ENFILE);
	check(SYS(b, dup, 3), 8); /* a dup makes no new description */
	check(SYS(a, close, 5), 0);
	check(open_n(b, 5, O_RDONLY), 9);
	check(open_n(a, 5, O_RDONLY), -ENFILE);
	cage_free(b); /* a cage going away gives its files back */
	check(open_n(a, 5, O_RDONLY), 5);
	cage_free(a);
	check(ofd_count(), base);
}

/* More open files than host fds: each keeps its own bytes, through
 * eviction, unlink while open, ftruncate and fsync. */
static void test_host_fd_cache(void **state)
{
	(void)state;
	enum { NFILES = 40 };
	srv_limits.host_fds = 4;
	int before = host_fds();
	struct cage *cg = cage_new(1, 1000, 1000);
	char buf[32], want[32];
	for (int i = 0; i < NFILES; i++) {
		check(open_n(cg, i, O_CREAT | O_RDWR), i);
		snprintf(buf, sizeof buf, "file %d", i);
		check(tsys(cg, LIND_SYS_write, A(i, 0, (int64_t)strlen(buf)),
			   buf, strlen(buf), NULL, 0, NULL), (long)strlen(buf));
		assert_true(vfs_data_fds(srv.vfs) <= 4);
	}
	assert_true(host_fds() - before <= 4);
	check(SYSP(cg, unlink, "/tmp/f0"), 0); /* its bytes stay while open */
	check(SYS(cg, ftruncate, 1, 3), 0);    /* fd 1's host fd was evicted */
	check(SYS(cg, fsync, 2), 0);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < NFILES; i++) {
			size_t len = 0;
			memset(buf, 0, sizeof buf);
			long r = tsys(cg, LIND_SYS_pread64, A(i, 0, 31, 0), NULL,
				      0, buf, 31, &len);
			snprintf(want, sizeof want, "file %d", i);
			if (i == 1)
				want[3] = '\0';
			check(r, (long)strlen(want));
			assert_string_equal(buf, want);
		}
	assert_true(host_fds() - before <= 4);
	check(vfs_data_fds(srv.vfs), 4);
	for (int i = 0; i < NFILES; i++)
		check(SYS(cg, close, i), 0);
	check(vfs_data_fds(srv.vfs), 0); /* no opener, no host fd */
	check(host_fds(), before);
	cage_free(cg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_fd),
		cmocka_unit_test(test_dup_shares),
		cmocka_unit_test(test_emfile),
		cmocka_unit_test(test_cloexec),
		cmocka_unit_test_setup_teardown(test_fd_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_files_limit, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_fd_cache, setup,
						teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
