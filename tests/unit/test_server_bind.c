/* Binds and the symlink walk: links followed in the virtual namespace
 * (relative, absolute, through "..", loops, a link pointing outside),
 * host nodes freed after each call, an inode swapped on the host between
 * lookup and open refused. */
#define _GNU_SOURCE
#include "test_server_util.h"

#include <fcntl.h>
#include <sys/stat.h>

#include "../../posix-server/bind.h"

static struct vfs *v;
static struct inode *root;
static const struct cred user = CRED_INIT(1000, 1000);
static char host[64], outside[160];

static void sh(const char *fmt, const char *arg)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, fmt, arg, arg, arg, arg);
	assert_int_equal(system(cmd), 0);
}

/* host/tree { f, d/ { g, up -> ../f, abs -> /b/f, root -> / },
 *             l1 -> l2, l2 -> l1, esc -> ../../../../../<outside>,
 *             chain0 -> chain1 -> ... -> chain40 -> f }
 * and host/outside (a file the bind must never show), bound at /b. */
static int setup(void **state)
{
	(void)state;
	snprintf(host, sizeof host, "/tmp/lind-bind-XXXXXX");
	assert_non_null(mkdtemp(host));
	sh("cd %s && mkdir -p tree/d && echo f > tree/f && echo g > tree/d/g && "
	   "ln -s ../f tree/d/up && ln -s /b/f tree/d/abs && ln -s / tree/d/root && "
	   "ln -s l2 tree/l1 && ln -s l1 tree/l2 && echo secret > outside", host);
	snprintf(outside, sizeof outside, "../../../../../../../../..%s/outside", host);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "ln -s %s %s/tree/esc", outside, host);
	assert_int_equal(system(cmd), 0);
	for (int i = 0; i <= 40; i++) {
		char t[32], l[160];
		snprintf(t, sizeof t, i < 40 ? "chain%d" : "f", i + 1);
		snprintf(l, sizeof l, "%s/tree/chain%d", host, i);
		assert_int_equal(symlink(t, l), 0);
	}
	v = vfs_new(NULL);
	root = vfs_alloc(v, S_IFDIR | 0755, 0, 0, 0);
	root->nlink = 2;
	char why[256], arg[96];
	snprintf(arg, sizeof arg, "%s/tree:/b", host);
	assert_int_equal(bind_parse(arg, why, sizeof why), 0);
	assert_int_equal(bind_attach(v, why, sizeof why), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	bind_sweep(v);
	check(bind_nodes(), 0);
	bind_free_all(v);
	vfs_free(v);
	sh("rm -rf %s", host);
	return 0;
}

/* Host inode number of a path on the host. */
static uint64_t host_ino(const char *rel)
{
	char p[160];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", host, rel);
	assert_int_equal(lstat(p, &st), 0);
	return st.st_ino;
}

static void expect_at(const char *path, int flags, const char *want, int err,
		      const char *file, int line)
{
	struct inode *got = NULL;
	int rc = vfs_resolve(v, &user, root, path, flags, &got);
	_assert_int_equal(rc, err, file, line);
	if (!err && want)
		_assert_int_equal(got->ino, host_ino(want), file, line);
	bind_sweep(v);
}
#define expect(path, flags, want, err) \
	expect_at(path, flags, want, err, __FILE__, __LINE__)

static void test_links(void **state)
{
	(void)state;
	expect("/b/f", 0, "tree/f", 0);
	expect("/b/d/up", WALK_FOLLOW, "tree/f", 0);   /* relative, with .. */
	expect("/b/d/up", 0, "tree/d/up", 0);          /* lstat */
	expect("/b/d/abs", WALK_FOLLOW, "tree/f", 0);  /* absolute: virtual / */
	expect("/b/d/abs/", 0, NULL, -ENOTDIR);        /* a slash follows */
	expect("/b/d/root/b/d/g", 0, "tree/d/g", 0);   /* "/" is the virtual root */
	expect("/b/l1", WALK_FOLLOW, NULL, -ELOOP);
	expect("/b/l1", 0, "tree/l1", 0);
	expect("/b/chain1", WALK_FOLLOW, "tree/f", 0); /* 40 links */
	expect("/b/chain0", WALK_FOLLOW, NULL, -ELOOP); /* 41 */
	expect("/b/d/up/x", 0, NULL, -ENOTDIR);
	expect("/b/..", 0, NULL, 0);                   /* the virtual root */
	struct inode *in;
	check(vfs_resolve(v, &user, root, "/b/../b/d/..", 0, &in), 0);
	check(in->ino, host_ino("tree"));
	bind_sweep(v);
}

/* Nothing outside the bind: "..", absolute and relative links. */
static void test_no_escape(void **state)
{
	(void)state;
	expect("/b/esc", WALK_FOLLOW, NULL, -ENOENT);
	expect("/b/../../../outside", 0, NULL, -ENOENT);
	char p[160];
	snprintf(p, sizeof p, "/b/d/root%s/outside", host);
	expect(p, 0, NULL, -ENOENT);
	struct inode *in;
	check(vfs_resolve(v, &user, root, "/b/d/../..", 0, &in), 0);
	check((uintptr_t)in, (uintptr_t)root);
	bind_sweep(v);
}

/* A walk's nodes go at the end of the call; a reference keeps a node
 * and its directories, and releasing it frees them all. */
static void test_nodes_freed(void **state)
{
	(void)state;
	for (int i = 0; i < 1000; i++)
		expect("/b/d/g", 0, "tree/d/g", 0);
	check(bind_nodes(), 0);
	struct inode *in;
	check(vfs_resolve(v, &user, root, "/b/d/g", 0, &in), 0);
	vfs_ref(in);
	bind_sweep(v);
	check(bind_nodes(), 2); /* d and g */
	struct inode *again;
	check(vfs_resolve(v, &user, root, "/b/d/g", 0, &again), 0);
	check((uintptr_t)again, (uintptr_t)in); /* shared, not a copy */
	bind_sweep(v);
	check(bind_nodes(), 2);
	vfs_unref(v, in);
	check(bind_nodes(), 0);
}

/* A name looked up, then replaced on the host by a symlink or another
 * file: opening it refuses (ESTALE), never opens what is there now. */
static void test_swapped(void **state)
{
	(void)state;
	struct inode *in;
	check(vfs_resolve(v, &user, root, "/b/d/g", 0, &in), 0);
	char g[160], cmd[800];
	snprintf(g, sizeof g, "%s/tree/d/g", host);
	snprintf(cmd, sizeof cmd, "mv %s %s.old && ln -s ../../outside %s", g, g, g);
	assert_int_equal(system(cmd), 0);
	check(vfs_data_fd(v, in), -ESTALE);
	snprintf(cmd, sizeof cmd, "rm %s && echo other > %s", g, g);
	assert_int_equal(system(cmd), 0);
	check(vfs_data_fd(v, in), -ESTALE);
	snprintf(cmd, sizeof cmd, "mv %s.old %s", g, g);
	assert_int_equal(system(cmd), 0);
	assert_true(vfs_data_fd(v, in) >= 0);
	bind_sweep(v);
	check(vfs_data_fds(v), 0); /* the node and its fd went */
}

/* Number of fds this process has open. */
static int open_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		n += fcntl(fd, F_GETFD) >= 0;
	return n;
}

/* Makes cage set *s of host dir rel (relative to host) at virt. */
static int cage_set(const char *rel, int oflags, const char *virt,
		    struct bind_set **s, char *why, size_t cap)
{
	char p[160];
	snprintf(p, sizeof p, "%s/%s", host, rel);
	int fd = open(p, oflags | O_CLOEXEC);
	assert_true(fd >= 0);
	Lind__BindSpec spec = LIND__BIND_SPEC__INIT, *specs[1] = {&spec};
	spec.virt = (char *)virt;
	int r = bind_set_new(v, &user, specs, &fd, 1, s, why, cap);
	if (r < 0)
		close(fd); /* the caller's still */
	else
		check(fd, -1); /* taken */
	return r;
}

/* lind-run --bind: a set of one cage's binds, seen only while that cage
 * is served, refused mountpoints, and freed when its set is gone and its
 * last node released (a node a cage still held keeps it). */
static void test_cage_binds(void **state)
{
	(void)state;
	struct inode *m = vfs_alloc(v, S_IFDIR | 0755, 0, 0, 0);
	m->nlink = 2;
	m->parent = root->ino;
	check(vfs_dir_add(root, "m", m->ino), 0);
	int fds0 = open_fds();
	char why[256];
	struct bind_set *s;
	check(cage_set("tree", O_RDONLY | O_DIRECTORY, "/m", &s, why,
		       sizeof why), 0);
	expect("/m/f", 0, NULL, -ENOENT);      /* another cage: the store's */
	bind_set_caller(s);
	expect("/m/f", 0, "tree/f", 0);        /* this cage: its bind */
	expect("/m/d/up", WALK_FOLLOW, "tree/f", 0);
	expect("/m/esc", WALK_FOLLOW, NULL, -ENOENT);
	struct inode *in;
	check(vfs_resolve(v, &user, root, "/m/..", 0, &in), 0);
	check((uintptr_t)in, (uintptr_t)root);
	check(vfs_resolve(v, &user, root, "/m/d", 0, &in), 0);
	vfs_ref(in); /* held, as a cwd */
	bind_sweep(v);
	bind_set_caller(NULL);
	bind_set_put(v, s);     /* the cage went; its node is still held */
	check(bind_nodes(), 1);
	check(open_fds(), fds0 + 1);
	vfs_unref(v, in);       /* the last release frees the bind */
	check(bind_nodes(), 0);
	check(open_fds(), fds0);

	/* refused mountpoints: missing, a file onto a directory, "/", a
	 * server bind, not normalised, an O_PATH fd, twice */
	check(cage_set("tree", O_RDONLY, "/none", &s, why, sizeof why), -1);
	assert_non_null(strstr(why, "No such file"));
	check(cage_set("tree/f", O_RDONLY, "/m", &s, why, sizeof why), -1);
	assert_non_null(strstr(why, "Not a directory"));
	check(cage_set("tree", O_RDONLY, "/", &s, why, sizeof why), -1);
	check(cage_set("tree", O_RDONLY, "/b", &s, why, sizeof why), -1);
	assert_non_null(strstr(why, "another bind"));
	check(cage_set("tree", O_RDONLY, "/m/../m", &s, why, sizeof why), -1);
	check(cage_set("tree", O_PATH, "/m", &s, why, sizeof why), -1);
	assert_non_null(strstr(why, "not open for reading"));
	int fd[2] = {open(host, O_RDONLY), open(host, O_RDONLY)};
	Lind__BindSpec spec = LIND__BIND_SPEC__INIT, *specs[2] = {&spec, &spec};
	spec.virt = "/m";
	check(bind_set_new(v, &user, specs, fd, 2, &s, why, sizeof why), -1);
	assert_non_null(strstr(why, "bound twice"));
	check(fd[0], -1); /* the first was taken, and freed with the set */
	close(fd[1]);
	check(open_fds(), fds0);
	check(bind_nodes(), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_links),
		cmocka_unit_test(test_no_escape),
		cmocka_unit_test(test_nodes_freed),
		cmocka_unit_test(test_swapped),
		cmocka_unit_test(test_cage_binds),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
