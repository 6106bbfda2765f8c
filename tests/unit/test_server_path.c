/* Path resolution: dots, slashes, ENOTDIR, ENOENT, ENAMETOOLONG, EACCES,
 * symlinks (relative and absolute targets, dangling, loops, 40 hops), and
 * the absolute path of a directory (getcwd). */
#include "test_server_util.h"

static struct vfs *v;
static const struct cred user = CRED_INIT(1000, 1000),
			  root = CRED_INIT(0, 0);

static struct inode *mk(struct inode *dir, const char *name, uint32_t mode,
			uint32_t uid)
{
	struct inode *in = vfs_alloc(v, mode, uid, uid, 0);
	assert_non_null(in);
	in->nlink = S_ISDIR(mode) ? 2 : 1;
	assert_int_equal(vfs_dir_add(dir, name, in->ino), 0);
	if (S_ISDIR(mode))
		in->parent = dir->ino;
	return in;
}

/* / { a/ { b/ f } secret/ (0700 root) { x } } */
static struct inode *r, *a, *b, *f, *secret;

static int setup(void **state)
{
	(void)state;
	v = vfs_new(NULL);
	r = vfs_alloc(v, S_IFDIR | 0755, 0, 0, 0);
	r->nlink = 2;
	a = mk(r, "a", S_IFDIR | 0755, 1000);
	b = mk(a, "b", S_IFDIR | 0755, 1000);
	f = mk(a, "f", S_IFREG | 0644, 1000);
	secret = mk(r, "secret", S_IFDIR | 0700, 0);
	mk(secret, "x", S_IFREG | 0644, 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	vfs_free(v);
	return 0;
}

/* Resolves path from start and checks the result: an inode or -errno. */
static void expect_at(struct inode *start, const struct cred *cr,
		      const char *path, struct inode *want, int err,
		      const char *file, int line)
{
	struct inode *got = NULL;
	int rc = vfs_resolve(v, cr, start, path, 0, &got);
	_assert_int_equal(rc, err, file, line);
	if (!err)
		_assert_int_equal((uintptr_t)got, (uintptr_t)want, file, line);
}
#define expect(start, path, want, err) \
	expect_at(start, &user, path, want, err, __FILE__, __LINE__)

static void test_dots_and_slashes(void **state)
{
	(void)state;
	expect(r, "/", r, 0);
	expect(r, "///", r, 0);
	expect(b, "/a/b", b, 0);
	expect(r, "a//b/", b, 0);
	expect(r, "/a/./b/../b/.", b, 0);
	expect(b, "..", a, 0);
	expect(b, "../../..", r, 0); /* ".." of / is / */
	expect(b, ".", b, 0);
	expect(b, "../f", f, 0);
}

static void test_errors(void **state)
{
	(void)state;
	expect(r, "", NULL, -ENOENT);
	expect(r, "/nope", NULL, -ENOENT);
	expect(r, "/nope/x", NULL, -ENOENT);
	expect(r, "/a/f/x", NULL, -ENOTDIR);
	expect(r, "/a/f/", NULL, -ENOTDIR);
	expect(r, "/a/f/.", NULL, -ENOTDIR);
	expect(r, "/secret/x", NULL, -EACCES);
	expect_at(r, &root, "/secret/x", vfs_lookup(secret, "x") ?
		  vfs_get(v, vfs_lookup(secret, "x")->ino) : NULL, 0,
		  __FILE__, __LINE__);
}

static void test_name_too_long(void **state)
{
	(void)state;
	char name[300], path[5000];
	memset(name, 'n', 256);
	name[256] = '\0';
	snprintf(path, sizeof path, "/a/%s", name);
	expect(r, path, NULL, -ENAMETOOLONG);
	name[255] = '\0'; /* 255 is fine: just missing */
	snprintf(path, sizeof path, "/a/%s", name);
	expect(r, path, NULL, -ENOENT);
	memset(path, 0, sizeof path);
	for (size_t i = 0; i + 2 <= 4096; i += 2)
		memcpy(path + i, "./", 2);
	expect(r, path, NULL, -ENAMETOOLONG); /* 4096 bytes */
	path[4094] = '\0';
	expect(r, path, r, 0);
}

static void test_walk_parent(void **state)
{
	(void)state;
	struct walk w;
	check(vfs_walk(v, &user, r, "/a/new/", 0, &w), 0);
	assert_ptr_equal(w.dir, a);
	assert_null(w.in);
	assert_string_equal(w.name, "new");
	assert_true(w.slash);
	check(vfs_walk(v, &user, r, "/a/b/..", 0, &w), 0);
	assert_true(w.dot);
	assert_ptr_equal(w.in, a);
}

static struct inode *mklink(struct inode *dir, const char *name,
			     const char *target)
{
	struct inode *in = mk(dir, name, S_IFLNK | 0777, 1000);
	assert_int_equal(vfs_set_target(in, target, strlen(target)), 0);
	return in;
}

/* As expect, following a last link too (stat rather than lstat). */
static void expect_follow_at(struct inode *start, const char *path,
			     struct inode *want, int err, const char *file,
			     int line)
{
	struct inode *got = NULL;
	int rc = vfs_resolve(v, &user, start, path, WALK_FOLLOW, &got);
	_assert_int_equal(rc, err, file, line);
	if (!err)
		_assert_int_equal((uintptr_t)got, (uintptr_t)want, file, line);
}
#define expect_follow(start, path, want, err) \
	expect_follow_at(start, path, want, err, __FILE__, __LINE__)

static void test_symlinks(void **state)
{
	(void)state;
	struct inode *rel = mklink(a, "rel", "f");
	mklink(r, "lb", "a/b");
	mklink(b, "up", "../f");
	mklink(b, "abs", "/a/f");
	struct inode *dang = mklink(a, "dang", "nope");
	struct inode *loop = mklink(r, "loop", "loop");
	mklink(r, "lsecret", "secret/x");
	mklink(r, "lfile", "a/f");
	char buf[8];
	check(vfs_readlink(v, rel, buf, sizeof buf), 1);
	assert_memory_equal(buf, "f", 1);
	check(vfs_readlink(v, f, buf, sizeof buf), -EINVAL);
	/* relative targets from the link's directory, absolute from / */
	expect_follow(r, "/a/rel", f, 0);
	expect(r, "/a/rel", rel, 0);          /* the last one: not followed */
	expect(r, "lb/..", a, 0);             /* ".." of where it led */
	expect(r, "/lb/up", vfs_get(v, vfs_lookup(b, "up")->ino), 0);
	expect_follow(r, "/lb/up", f, 0);
	expect_follow(b, "abs", f, 0);
	expect_follow(a, "../lb/abs", f, 0);
	expect(r, "lb/", b, 0);               /* a trailing slash follows */
	/* dangling, loops, a file as a directory, permissions past a link */
	expect_follow(r, "/a/dang", NULL, -ENOENT);
	expect(r, "/a/dang", dang, 0);
	expect(r, "/a/dang/x", NULL, -ENOENT);
	expect_follow(r, "loop", NULL, -ELOOP);
	expect(r, "loop", loop, 0);
	expect(r, "loop/x", NULL, -ELOOP);
	expect(r, "lfile/x", NULL, -ENOTDIR);
	expect(r, "lfile/", NULL, -ENOTDIR);
	expect_follow(r, "lsecret", NULL, -EACCES);
	/* WALK_PARENT names the last link, slash or not */
	struct walk w;
	check(vfs_walk(v, &user, r, "/a/dang/", WALK_PARENT, &w), 0);
	assert_ptr_equal(w.in, dang);
	assert_ptr_equal(w.dir, a);
	/* a link with no target (a damaged store) is dangling */
	struct inode *none = mk(a, "none", S_IFLNK | 0777, 1000);
	expect_follow(r, "/a/none", NULL, -ENOENT);
	check(vfs_readlink(v, none, buf, sizeof buf), 0);
}

/* 40 links in a row are followed, a 41st is ELOOP, whether they are
 * last or in the middle of the path. */
static void test_link_hops(void **state)
{
	(void)state;
	struct inode *d = mk(r, "hops", S_IFDIR | 0755, 1000);
	char name[16], target[16];
	for (int i = 0; i <= 40; i++) {
		snprintf(name, sizeof name, "h%d", i);
		snprintf(target, sizeof target, "h%d", i + 1);
		mklink(d, name, i == 40 ? "/a" : target);
	}
	expect_follow(d, "h1", a, 0);           /* 40 links */
	expect(d, "h1/f", f, 0);
	expect(d, "h1/.", a, 0);
	expect_follow(d, "h0", NULL, -ELOOP);   /* 41 */
	expect(d, "h0/f", NULL, -ELOOP);
	expect(d, "h0", vfs_get(v, vfs_lookup(d, "h0")->ino), 0);
	/* hops add up along one path: 20 + 21 */
	mklink(d, "t20", "h21/");
	expect(d, "t20/b", b, 0);               /* 1 + 20 */
	expect(d, "h20/b", b, 0);               /* 21 */
	mklink(a, "back", "/hops/h20");
	expect(d, "h20/back/b", NULL, -ELOOP);  /* 21 + 1 + 21 */
	expect(d, "h30/back/b", b, 0);          /* 11 + 1 + 21 */
}

static void test_path_of(void **state)
{
	(void)state;
	char buf[64];
	check(vfs_path_of(v, b, buf, sizeof buf), 5);
	assert_string_equal(buf, "/a/b");
	check(vfs_path_of(v, r, buf, sizeof buf), 2);
	assert_string_equal(buf, "/");
	check(vfs_path_of(v, b, buf, 4), -ERANGE);
	b->nlink = 0;
	check(vfs_path_of(v, b, buf, sizeof buf), -ENOENT);
	b->nlink = 2;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dots_and_slashes),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_name_too_long),
		cmocka_unit_test(test_walk_parent),
		cmocka_unit_test(test_symlinks),
		cmocka_unit_test(test_link_hops),
		cmocka_unit_test(test_path_of),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
