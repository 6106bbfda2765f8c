/* Path resolution: dots, slashes, ENOTDIR, ENOENT, ENAMETOOLONG, EACCES,
 * and the absolute path of a directory (getcwd). */
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
		cmocka_unit_test(test_path_of),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
