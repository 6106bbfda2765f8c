/* /proc for cages: contents, who sees whom, a cage that ends, read-only
 * errnos, and proc nodes freed once nothing holds them. */
#define _GNU_SOURCE
#include "test_server_util.h"

#include <sys/stat.h>

#include "../../posix-server/bind.h"
#include "../../posix-server/procfs.h"

static char dir[64];
static struct cage *me, *other, *boss; /* uid 1000, 1001, root */

static int setup(void **state)
{
	(void)state;
	dir[0] = '\0';
	tsrv_start(dir, sizeof dir);
	char why[128];
	assert_int_equal(procfs_attach(srv.vfs, why, sizeof why), 0);
	me = cage_new(1, 1000, 1000);
	other = cage_new(1, 1001, 1001);
	boss = cage_new(1, 0, 0);
	char *argv[] = {"/bin/prog", "an arg"};
	assert_true(cage_set_argv(me, argv, 2));
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	cage_free_all();
	procfs_free_all(); /* asserts no node is left */
	tsrv_stop(true);
	tsrv_rmrf(dir);
	return 0;
}

/* As dispatch does: the caller noted, nodes swept after the call. */
static long as(struct cage *c, uint32_t nr, const int64_t a[6], const char *path,
	       void *out, size_t cap, size_t *len)
{
	procfs_set_caller(c->id);
	long r = tsys(c, nr, a, path, path ? strlen(path) : 0, out, cap, len);
	procfs_set_caller(0);
	procfs_sweep();
	return r;
}

static long open_as(struct cage *c, const char *path, long flags)
{
	return as(c, LIND_SYS_open, A(0, flags, 0), path, NULL, 0, NULL);
}

static void read_all(struct cage *c, long fd, char *buf, size_t cap)
{
	size_t len = 0;
	long r = as(c, LIND_SYS_read, A(fd, 0, (int64_t)cap - 1), NULL, buf,
		    cap - 1, &len);
	assert_true(r >= 0);
	buf[r] = '\0';
}

static void test_self(void **state)
{
	(void)state;
	char buf[4096], want[64];
	long fd = open_as(me, "/proc/self/status", O_RDONLY);
	assert_true(fd >= 0);
	check(procfs_nodes(), 1); /* the open file's snapshot, nothing else */
	read_all(me, fd, buf, sizeof buf);
	snprintf(want, sizeof want, "\nPid:\t%lu\n", (unsigned long)me->id);
	assert_non_null(strstr(buf, want));
	assert_non_null(strstr(buf, "Name:\tprog\n"));
	check(as(me, LIND_SYS_close, A(fd), NULL, NULL, 0, NULL), 0);
	check(procfs_nodes(), 0);

	fd = open_as(me, "/proc/self/cmdline", O_RDONLY);
	read_all(me, fd, buf, sizeof buf);
	assert_memory_equal(buf, "/bin/prog\0an arg\0", 17);
	as(me, LIND_SYS_close, A(fd), NULL, NULL, 0, NULL);

	/* a cwd in /proc holds its node; getcwd names it */
	check(as(me, LIND_SYS_chdir, A(0), "/proc/self/fd", NULL, 0, NULL), 0);
	check(procfs_nodes(), 1);
	size_t len = 0;
	long n = as(me, LIND_SYS_getcwd, A(0, 128), NULL, buf, 128, &len);
	snprintf(want, sizeof want, "/proc/%lu/fd", (unsigned long)me->id);
	check(n, (long)strlen(want) + 1);
	assert_string_equal(buf, want);
	check(as(me, LIND_SYS_chdir, A(0), "..", NULL, 0, NULL), 0);
	check(as(me, LIND_SYS_chdir, A(0), "..", NULL, 0, NULL), 0);
	check(procfs_nodes(), 0); /* /proc's root is static */
	check(as(me, LIND_SYS_chdir, A(0), "/", NULL, 0, NULL), 0);
}

static void test_who_sees_whom(void **state)
{
	(void)state;
	char path[64], buf[8192];
	struct stat st;
	snprintf(path, sizeof path, "/proc/%lu", (unsigned long)other->id);
	check(as(me, LIND_SYS_stat, A(0), path, &st, sizeof st, NULL), -ENOENT);
	check(as(other, LIND_SYS_stat, A(0), path, &st, sizeof st, NULL), 0);
	check(st.st_uid, 1001);
	check(as(boss, LIND_SYS_stat, A(0), path, &st, sizeof st, NULL), 0);
	/* a listing shows only the cages one may see */
	long fd = open_as(me, "/proc", O_RDONLY | O_DIRECTORY);
	size_t len = 0;
	long n = as(me, LIND_SYS_getdents64, A(fd, 0, sizeof buf), NULL, buf,
		    sizeof buf, &len);
	assert_true(n > 0);
	int cages = 0;
	for (long at = 0; at < n;) {
		struct linux_dirent64_t {
			uint64_t ino;
			int64_t off;
			unsigned short reclen;
			unsigned char type;
			char name[];
		} *d = (void *)(buf + at);
		if (d->name[0] >= '1' && d->name[0] <= '9') {
			check(strtoul(d->name, NULL, 10), me->id);
			cages++;
		}
		at += d->reclen;
	}
	check(cages, 1);
	as(me, LIND_SYS_close, A(fd), NULL, NULL, 0, NULL);

	/* a cage that ends: its held directory answers ENOENT */
	fd = open_as(boss, path, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	cage_free(other);
	other = NULL;
	check(as(boss, LIND_SYS_getdents64, A(fd, 0, sizeof buf), NULL, buf,
		 sizeof buf, &len), -ENOENT);
	check(as(boss, LIND_SYS_stat, A(0), path, &st, sizeof st, NULL), -ENOENT);
	strcat(path, "/status");
	check(open_as(boss, path, O_RDONLY), -ENOENT);
	as(boss, LIND_SYS_close, A(fd), NULL, NULL, 0, NULL);
	check(procfs_nodes(), 0);
}

/* Whole file path as cage c reads it, into buf; its length. */
static size_t slurp(struct cage *c, const char *path, char *buf, size_t cap)
{
	long fd = open_as(c, path, O_RDONLY);
	assert_true(fd >= 0);
	size_t len = 0, got = 0;
	long r;
	while ((r = as(c, LIND_SYS_read, A(fd, 0, (int64_t)(cap - 1 - got)),
		       NULL, buf + got, cap - 1 - got, &len)) > 0)
		got += (size_t)r;
	as(c, LIND_SYS_close, A(fd), NULL, NULL, 0, NULL);
	buf[got] = '\0';
	return got;
}

static size_t host_file(const char *path, char *buf, size_t cap)
{
	FILE *f = fopen(path, "re");
	assert_non_null(f);
	size_t n = fread(buf, 1, cap - 1, f);
	fclose(f);
	buf[n] = '\0';
	return n;
}

/* maps and environ come from the cage's host process (here: this test's
 * own), while that pid is still that process; maps names no host file. */
static void test_host_process(void **state)
{
	(void)state;
	static char buf[1 << 18], host[1 << 18];
	struct cage *c = cage_new((uint32_t)getpid(), 1000, 1000);
	procfs_cage_new(c, NULL);
	assert_true(c->host_start > 0);
	size_t n = slurp(c, "/proc/self/maps", buf, sizeof buf);
	assert_true(n > 0);
	assert_non_null(strstr(buf, "[stack]"));
	assert_null(strstr(buf, " /")); /* no host path (the test binary's) */
	char *first = strchr(buf, ' '); /* the first range is the host's */
	host_file("/proc/self/maps", host, sizeof host);
	assert_memory_equal(buf, host, (size_t)(first - buf));
	n = slurp(c, "/proc/self/environ", buf, sizeof buf);
	size_t hn = host_file("/proc/self/environ", host, sizeof host);
	check(n, hn);
	assert_memory_equal(buf, host, n);
	/* a host pid reused by another process: nothing is read */
	c->host_start++;
	check(slurp(c, "/proc/self/maps", buf, sizeof buf), 0);
	check(slurp(c, "/proc/self/environ", buf, sizeof buf), 0);
	/* a cage of another user sees neither */
	char path[64];
	snprintf(path, sizeof path, "/proc/%lu/maps", (unsigned long)c->id);
	check(open_as(other, path, O_RDONLY), -ENOENT);
	cage_free(c);
	check(procfs_nodes(), 0);
}

/* exe: the host path lind-run loaded, shown through a bind; else argv[0] */
static void test_exe(void **state)
{
	(void)state;
	char arg[128], why[128], buf[256];
	snprintf(arg, sizeof arg, "%s:/b", dir);
	assert_int_equal(bind_parse(arg, why, sizeof why), 0);
	assert_int_equal(bind_attach(srv.vfs, why, sizeof why), 0);
	struct cage *c = cage_new(1, 1000, 1000);
	char exe[128];
	snprintf(exe, sizeof exe, "%s/bin/prog", dir);
	procfs_cage_new(c, exe);
	size_t len = 0;
	long n = as(c, LIND_SYS_readlink, A(0, 0, sizeof buf), "/proc/self/exe",
		    buf, sizeof buf, &len);
	check(n, 11);
	assert_memory_equal(buf, "/b/bin/prog", 11);
	/* a prefix, not a parent: outside the binds, the launcher's path */
	snprintf(exe, sizeof exe, "%sx/prog", dir);
	procfs_cage_new(other, exe);
	assert_string_equal(other->exe, exe);
	procfs_cage_new(me, "bin/prog"); /* not absolute: argv[0] shows */
	assert_null(me->exe);
	n = as(me, LIND_SYS_readlink, A(0, 0, sizeof buf), "/proc/self/exe",
	       buf, sizeof buf, &len);
	check(n, 9);
	assert_memory_equal(buf, "/bin/prog", 9);
	cage_free(c);
	cage_free_all();
	procfs_free_all();
	bind_free_all(srv.vfs);
	me = other = boss = NULL;
}

/* thread-self and task/N: the one thread the server knows, the cage's
 * main thread, whose tid is the cage's id. */
static void test_tasks(void **state)
{
	(void)state;
	char buf[8192], want[64];
	size_t len = 0;
	long n = as(me, LIND_SYS_readlink, A(0, 0, sizeof buf),
		    "/proc/thread-self", buf, sizeof buf, &len);
	int w = snprintf(want, sizeof want, "%lu/task/%lu",
			 (unsigned long)me->id, (unsigned long)me->id);
	check(n, w);
	assert_memory_equal(buf, want, (size_t)w);
	slurp(me, "/proc/thread-self/comm", buf, sizeof buf);
	assert_string_equal(buf, "prog\n");
	slurp(me, "/proc/thread-self/status", buf, sizeof buf);
	snprintf(want, sizeof want, "\nPid:\t%lu\n", (unsigned long)me->id);
	assert_non_null(strstr(buf, want));
	slurp(me, "/proc/self/task/../stat", buf, sizeof buf);
	snprintf(want, sizeof want, "%lu (prog) R ", (unsigned long)me->id);
	assert_memory_equal(buf, want, strlen(want));
	snprintf(want, sizeof want, "/proc/self/task/%lu/stat",
		 (unsigned long)me->id + 1);
	check(open_as(me, want, O_RDONLY), -ENOENT); /* no other thread */
	/* task/ lists the one thread */
	long fd = open_as(me, "/proc/self/task", O_RDONLY | O_DIRECTORY);
	n = as(me, LIND_SYS_getdents64, A(fd, 0, sizeof buf), NULL, buf,
	       sizeof buf, &len);
	int entries = 0;
	for (long at = 0; at < n;) {
		struct {
			uint64_t ino;
			int64_t off;
			unsigned short reclen;
			unsigned char type;
			char name[];
		} *d = (void *)(buf + at);
		if (d->name[0] != '.') {
			check(strtoul(d->name, NULL, 10), me->id);
			entries++;
		}
		at += d->reclen;
	}
	check(entries, 1);
	as(me, LIND_SYS_close, A(fd), NULL, NULL, 0, NULL);
	/* getcwd inside names the path */
	check(as(me, LIND_SYS_chdir, A(0), "/proc/thread-self", NULL, 0, NULL), 0);
	n = as(me, LIND_SYS_getcwd, A(0, 128), NULL, buf, 128, &len);
	snprintf(want, sizeof want, "/proc/%lu/task/%lu", (unsigned long)me->id,
		 (unsigned long)me->id);
	assert_string_equal(buf, want);
	check(as(me, LIND_SYS_chdir, A(0), "/", NULL, 0, NULL), 0);
	check(procfs_nodes(), 0);
}

static void test_read_only(void **state)
{
	(void)state;
	check(open_as(me, "/proc/self/status", O_WRONLY), -EACCES);
	check(open_as(me, "/proc/new", O_WRONLY | O_CREAT), -ENOENT);
	check(as(me, LIND_SYS_mkdir, A(0, 0700), "/proc/self/x", NULL, 0, NULL),
	      -ENOENT);
	check(as(boss, LIND_SYS_unlink, A(0), "/proc/self/status", NULL, 0, NULL),
	      -EPERM);
	check(as(boss, LIND_SYS_rmdir, A(0), "/proc", NULL, 0, NULL), -EBUSY);
	long fd = open_as(boss, "/proc/self/status", O_WRONLY);
	assert_true(fd >= 0); /* root may open it, as Linux; writing fails */
	check(as(boss, LIND_SYS_write, A(fd, 0, 1), "x", NULL, 0, NULL), -EINVAL);
	as(boss, LIND_SYS_close, A(fd), NULL, NULL, 0, NULL);
	check(procfs_nodes(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_self, setup, teardown),
		cmocka_unit_test_setup_teardown(test_who_sees_whom, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_read_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_process, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_exe, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tasks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
