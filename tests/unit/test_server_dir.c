/* Directory entries keep stable cookies: a getdents64 offset stays valid
 * when entries before or at it are removed, and new entries come last. */
#include <dirent.h>

#include "test_server_util.h"
#include "../../posix-server/sys.h"

static void test_cookies(void **state)
{
	(void)state;
	struct vfs *v = vfs_new(NULL);
	struct inode *d = vfs_alloc(v, S_IFDIR | 0755, 0, 0, 0);
	check(vfs_dir_add(d, "a", 10), 0);
	check(vfs_dir_add(d, "b", 11), 0);
	check(vfs_dir_add(d, "c", 12), 0);
	check(vfs_dir_add(d, "b", 13), -EEXIST);
	struct dentry *e = vfs_dir_next(d, 0);
	assert_string_equal(e->name, "a");
	uint64_t after_a = e->cookie;
	check(vfs_dir_del(d, "a"), 0);
	check(vfs_dir_del(d, "b"), 0);
	check(vfs_dir_del(d, "b"), -ENOENT);
	e = vfs_dir_next(d, after_a);
	assert_string_equal(e->name, "c");
	check(vfs_dir_add(d, "a", 14), 0); /* re-added: a new, later cookie */
	e = vfs_dir_next(d, e->cookie);
	assert_string_equal(e->name, "a");
	assert_null(vfs_dir_next(d, e->cookie));
	vfs_free(v);
}

/* Names listed by getdents64 on fd, one buffer of cap bytes per call. */
static int list(struct cage *cg, long fd, size_t cap, char names[][16],
		int max)
{
	uint8_t buf[4096];
	int n = 0;
	for (;;) {
		size_t len = 0;
		long r = tsys(cg, LIND_SYS_getdents64, A(fd, 0, (int64_t)cap),
			      NULL, 0, buf, cap, &len);
		check(r, len);
		if (r == 0)
			return n;
		for (size_t off = 0; off < len;) {
			struct linux_dirent64 *d = (void *)(buf + off);
			assert_true(n < max);
			snprintf(names[n++], 16, "%s", d->d_name);
			off += d->d_reclen;
		}
	}
}

static void test_getdents_removal(void **state)
{
	(void)state;
	char dir[64] = "";
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	check(SYSP(cg, mkdir, "/tmp/d", 0, 0755), 0);
	for (int i = 0; i < 5; i++) {
		char p[32];
		snprintf(p, sizeof p, "/tmp/d/f%d", i);
		long fd = SYSP(cg, open, p, 0, O_CREAT | O_WRONLY, 0644);
		check(tsys(cg, LIND_SYS_close, A(fd), NULL, 0, NULL, 0, NULL), 0);
	}
	long fd = SYSP(cg, open, "/tmp/d", 0, O_RDONLY | O_DIRECTORY);
	check(fd, 0);
	/* A buffer of 48 bytes holds two small records at a time. */
	uint8_t buf[48];
	size_t len;
	check(tsys(cg, LIND_SYS_getdents64, A(fd, 0, 48), NULL, 0, buf, 48, &len),
	      48);
	struct linux_dirent64 *d = (void *)buf;
	assert_string_equal(d->d_name, ".");
	check(d->d_type, DT_DIR);
	/* Remove entries around the position; the listing goes on. */
	check(SYSP(cg, unlink, "/tmp/d/f0"), 0);
	check(SYSP(cg, unlink, "/tmp/d/f2"), 0);
	char names[16][16];
	int n = list(cg, fd, 48, names, 16);
	check(n, 3);
	assert_string_equal(names[0], "f1");
	assert_string_equal(names[1], "f3");
	assert_string_equal(names[2], "f4");
	/* Too small for one record. */
	check(tsys(cg, LIND_SYS_lseek, A(fd, 0, SEEK_SET), NULL, 0, NULL, 0, NULL), 0);
	check(tsys(cg, LIND_SYS_getdents64, A(fd, 0, 8), NULL, 0, buf, 8, &len),
	      -EINVAL);
	/* From the start: . .. f1 f3 f4 */
	n = list(cg, fd, sizeof buf, names, 16);
	check(n, 5);
	assert_string_equal(names[1], "..");
	check(tsys(cg, LIND_SYS_getdents64, A(1, 0, 48), NULL, 0, buf, 48, &len),
	      -EBADF);
	cage_free(cg);
	tsrv_stop(true);
	tsrv_rmrf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cookies),
		cmocka_unit_test(test_getdents_removal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
