/* Directory entries keep stable cookies: a getdents64 offset stays valid
 * when entries before or at it are removed, and new entries come last.
 * Large directories (hash index, tombstones, compaction) behave the same,
 * and survive a snapshot and a journal replay. */
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

static void name_of(char *buf, size_t cap, int i)
{
	snprintf(buf, cap, "entry-%d", i);
}

/* Every live entry in cookie order; checks the order and the count. */
static size_t walk_all(struct inode *d)
{
	size_t n = 0;
	uint64_t last = 0;
	for (struct dentry *e = vfs_dir_next(d, 0); e;
	     e = vfs_dir_next(d, e->cookie)) {
		assert_non_null(e->name);
		assert_true(e->cookie > last);
		last = e->cookie;
		n++;
	}
	check(n, d->nents);
	return n;
}

static void test_many_entries(void **state)
{
	(void)state;
	enum { N = 20000 };
	struct vfs *v = vfs_new(NULL);
	struct inode *d = vfs_alloc(v, S_IFDIR | 0755, 0, 0, 0);
	static uint64_t cookie[N];
	char name[32];
	for (int i = 0; i < N; i++) {
		name_of(name, sizeof name, i);
		check(vfs_dir_add(d, name, 100 + (uint64_t)i), 0);
		cookie[i] = vfs_lookup(d, name)->cookie;
	}
	check(vfs_dir_add(d, "entry-77", 5), -EEXIST);
	check(walk_all(d), N);
	/* Remove three in four: compaction runs, cookies do not change. */
	for (int i = 0; i < N; i++) {
		name_of(name, sizeof name, i);
		if (i % 4)
			check(vfs_dir_del(d, name), 0);
	}
	check(d->nents, N / 4);
	assert_true(d->nslots < N / 2); /* the tombstones were dropped */
	for (int i = 0; i < N; i++) {
		name_of(name, sizeof name, i);
		struct dentry *e = vfs_lookup(d, name);
		if (i % 4) {
			assert_null(e);
			check(vfs_dir_del(d, name), -ENOENT);
		} else {
			assert_non_null(e);
			check(e->ino, 100 + (uint64_t)i);
			check(e->cookie, cookie[i]);
		}
	}
	check(walk_all(d), N / 4);
	/* Re-added after delete: found, with a new cookie after all others. */
	check(vfs_dir_add(d, "entry-1", 7), 0);
	struct dentry *e = vfs_lookup(d, "entry-1");
	assert_true(e->cookie > cookie[N - 1]);
	assert_null(vfs_dir_next(d, e->cookie));
	check(walk_all(d), N / 4 + 1);
	for (int i = 0; i < N; i += 4) {
		name_of(name, sizeof name, i);
		check(vfs_dir_del(d, name), 0);
	}
	check(vfs_dir_del(d, "entry-1"), 0);
	check(d->nents, 0);
	assert_null(vfs_dir_next(d, 0));
	vfs_free(v);
}

/* A listing that removes entries as it goes (the current one and others
 * ahead of it, compacting meanwhile) sees every survivor once. */
static void test_removal_during_iteration(void **state)
{
	(void)state;
	enum { N = 3000 };
	struct vfs *v = vfs_new(NULL);
	struct inode *d = vfs_alloc(v, S_IFDIR | 0755, 0, 0, 0);
	char name[32];
	static bool seen[2 * N]; /* N + i: "new-i", added while listing */
	for (int i = 0; i < N; i++) {
		name_of(name, sizeof name, i);
		check(vfs_dir_add(d, name, (uint64_t)i), 0);
	}
	uint64_t pos = 0;
	for (struct dentry *e; (e = vfs_dir_next(d, pos));) {
		int i = (int)e->ino;
		assert_false(seen[i]);
		seen[i] = true;
		pos = e->cookie; /* what getdents keeps; e dies below */
		if (i >= N) {
			snprintf(name, sizeof name, "new-%d", i - N);
			check(vfs_dir_del(d, name), 0);
			continue;
		}
		name_of(name, sizeof name, i);
		check(vfs_dir_del(d, name), 0);
		if (i + 1 < N && i % 3 == 0) { /* one ahead goes unseen */
			name_of(name, sizeof name, i + 1);
			check(vfs_dir_del(d, name), 0);
		}
		if (i % 5 == 0) { /* added during the listing: seen later */
			snprintf(name, sizeof name, "new-%d", i);
			check(vfs_dir_add(d, name, (uint64_t)(N + i)), 0);
		}
	}
	for (int i = 0; i < N; i++) {
		bool listed = i == 0 || (i - 1) % 3 != 0;
		assert_true(seen[i] == listed);
		assert_true(seen[N + i] == (listed && i % 5 == 0));
	}
	check(d->nents, 0);
	vfs_free(v);
}

/* Entries of a big directory with holes come back after a clean stop
 * (snapshot) and after a crash (journal replay). */
static void test_big_dir_persists(void **state)
{
	(void)state;
	char dir[64] = "";
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	check(SYSP(cg, mkdir, "/tmp/big", 0, 0755), 0);
	char p[64];
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof p, "/tmp/big/f%d", i);
		long fd = SYSP(cg, open, p, 0, O_CREAT | O_WRONLY, 0644);
		check(fd, 0);
		check(tsys(cg, LIND_SYS_close, A(fd), NULL, 0, NULL, 0, NULL), 0);
	}
	for (int i = 0; i < 300; i++) {
		snprintf(p, sizeof p, "/tmp/big/f%d", i);
		if (i % 3)
			check(SYSP(cg, unlink, p), 0);
	}
	for (int crash = 0; crash < 2; crash++) {
		tsrv_stop(!crash);
		tsrv_start(dir, sizeof dir);
		cg = cage_new(1, 1000, 1000);
		struct inode *big;
		check(vfs_resolve(srv.vfs, &cg->cred, vfs_root(srv.vfs),
				  "/tmp/big", 0, &big), 0);
		check(walk_all(big), 100);
		for (int i = 0; i < 300; i++) {
			snprintf(p, sizeof p, "f%d", i);
			assert_true(!vfs_lookup(big, p) == (i % 3 != 0));
		}
		/* more holes for the next round: replayed UNLINKs */
		snprintf(p, sizeof p, "/tmp/big/f%d", 3 * crash);
		check(SYSP(cg, unlink, p), 0);
		snprintf(p, sizeof p, "/tmp/big/f%d", 3 * crash);
		long fd = SYSP(cg, open, p, 0, O_CREAT | O_WRONLY, 0644);
		check(fd, 0);
	}
	cage_free(cg);
	tsrv_stop(true);
	tsrv_rmrf(dir);
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
		cmocka_unit_test(test_many_entries),
		cmocka_unit_test(test_removal_during_iteration),
		cmocka_unit_test(test_big_dir_persists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
