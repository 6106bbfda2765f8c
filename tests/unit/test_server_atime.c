/* atime as a relatime mount moves it (vfs_accessed): the rule, that a
 * loop of reads or listings journals one record and then none, that the
 * moved atime survives a crash, and O_NOATIME's owner-only check. */
#define _GNU_SOURCE
#include <sys/stat.h>

#include "test_server_util.h"

#define SEC 1000000000LL

TSRV_USERS_SUITE()

static long journal_size(void)
{
	char p[128];
	struct stat st;
	snprintf(p, sizeof p, "%s/meta.log", dir);
	assert_int_equal(stat(p, &st), 0);
	return (long)st.st_size;
}

static struct inode *inode_of(const char *path)
{
	struct inode *in;
	assert_int_equal(vfs_resolve(srv.vfs, &root->cred, vfs_root(srv.vfs),
				     path, 0, &in),
			 0);
	return in;
}

static long call0(struct cage *cg, uint32_t nr, const int64_t a[6])
{
	return tsys(cg, nr, a, NULL, 0, NULL, 0, NULL);
}

static long read_at(struct cage *cg, long fd, int64_t pos)
{
	char buf[16];
	return tsys(cg, pos < 0 ? LIND_SYS_read : LIND_SYS_pread64,
		    A(fd, 0, sizeof buf, pos), NULL, 0, buf, sizeof buf, NULL);
}

/* /tmp/f by owner, holding "hello", open read-write: the fd. */
static long hello(void)
{
	long fd = SYSP(owner, open, "/tmp/f", 0, O_CREAT | O_RDWR, 0644);
	assert_true(fd >= 0);
	check(tsys(owner, LIND_SYS_write, A(fd, 0, 5), "hello", 5, NULL, 0,
		   NULL),
	      5);
	return fd;
}

static void test_rule(void **state)
{
	(void)state;
	int64_t now = 100000 * SEC;
	struct inode in = {.mtime = now - 10 * SEC, .ctime = now - 10 * SEC};
	in.atime = now - 5 * SEC; /* read since the last change */
	assert_false(vfs_atime_due(&in, now));
	in.atime = in.mtime; /* not after mtime */
	assert_true(vfs_atime_due(&in, now));
	in.atime = now - 20 * SEC; /* before mtime */
	assert_true(vfs_atime_due(&in, now));
	in.mtime = now - 30 * SEC; /* before ctime only */
	assert_true(vfs_atime_due(&in, now));
	in.ctime = in.mtime;
	assert_false(vfs_atime_due(&in, now));
	in.atime = now - 24 * 3600 * SEC; /* a day old */
	in.mtime = in.ctime = in.atime - SEC;
	assert_true(vfs_atime_due(&in, now));
	in.atime += 1;
	assert_false(vfs_atime_due(&in, now));
	in.atime = now + 3600 * SEC; /* in the future: stays */
	assert_false(vfs_atime_due(&in, now));
	in.atime = in.mtime = in.ctime = now; /* already now */
	assert_false(vfs_atime_due(&in, now));
}

static void test_reads_journal_once(void **state)
{
	(void)state;
	long fd = hello();
	struct inode *in = inode_of("/tmp/f");
	int64_t mtime = in->mtime;
	long before = journal_size();
	check(read_at(owner, fd, 0), 5);
	assert_true(in->atime > mtime);
	long after = journal_size();
	assert_true(after > before); /* one INODE record */
	int64_t atime = in->atime;
	for (int i = 0; i < 100; i++) {
		check(call0(owner, LIND_SYS_lseek, A(fd, 0, SEEK_SET)), 0);
		check(read_at(owner, fd, -1), 5);
		check(read_at(owner, fd, -1), 0); /* at the end */
		check(read_at(owner, fd, 0), 5);
	}
	check(journal_size(), after);
	check(in->atime, atime);
	/* a write makes the next read move it again, once */
	check(tsys(owner, LIND_SYS_pwrite64, A(fd, 0, 1, 5), "!", 1, NULL, 0,
		   NULL),
	      1);
	check(read_at(owner, fd, 0), 6);
	assert_true(in->atime > atime);
	after = journal_size();
	check(read_at(owner, fd, 0), 6);
	check(journal_size(), after);
	check(call0(owner, LIND_SYS_close, A(fd)), 0);
}

static void test_listing_journals_once(void **state)
{
	(void)state;
	check(SYSP(owner, mkdir, "/tmp/d", 0, 0755), 0);
	struct inode *d = inode_of("/tmp/d");
	long fd = SYSP(owner, open, "/tmp/d", 0, O_RDONLY | O_DIRECTORY);
	assert_true(fd >= 0);
	char buf[512];
	long before = journal_size();
	int64_t atime = d->atime;
	for (int i = 0; i < 50; i++) {
		assert_true(tsys(owner, LIND_SYS_getdents64, A(fd, 0, sizeof buf),
				 NULL, 0, buf, sizeof buf, NULL) >= 0);
		check(call0(owner, LIND_SYS_lseek, A(fd, 0, SEEK_SET)), 0);
		if (i == 0) {
			assert_true(d->atime > atime);
			assert_true(journal_size() > before);
			before = journal_size();
			atime = d->atime;
		}
	}
	check(journal_size(), before);
	check(d->atime, atime);
	check(call0(owner, LIND_SYS_close, A(fd)), 0);
}

/* A day-old atime moves even with mtime and ctime older still. */
static void test_day_old(void **state)
{
	(void)state;
	long fd = hello();
	struct inode *in = inode_of("/tmp/f");
	in->mtime = in->ctime = vfs_now() - 3 * 24 * 3600 * SEC;
	in->atime = in->mtime + 3600 * SEC;
	int64_t atime = in->atime;
	check(read_at(owner, fd, 0), 5);
	assert_true(in->atime > atime);
	atime = in->atime;
	check(read_at(owner, fd, 0), 5);
	check(in->atime, atime);
	check(call0(owner, LIND_SYS_close, A(fd)), 0);
}

static void test_survives_crash(void **state)
{
	(void)state;
	long fd = hello();
	check(read_at(owner, fd, 0), 5);
	int64_t atime = inode_of("/tmp/f")->atime;
	tsrv_stop(false); /* kill -9: the journal only */
	tsrv_start(dir, sizeof dir);
	owner = cage_new(1, 1000, 1000);
	other = cage_new(1, 2000, 2000);
	root = cage_new(1, 0, 0);
	check(inode_of("/tmp/f")->atime, atime);
}

static void test_noatime(void **state)
{
	(void)state;
	check(call0(owner, LIND_SYS_close, A(hello())), 0);
	struct inode *in = inode_of("/tmp/f");
	/* only the owner or root may open with O_NOATIME (may_open) */
	check(SYSP(other, open, "/tmp/f", 0, O_RDONLY | O_NOATIME), -EPERM);
	long fd = SYSP(root, open, "/tmp/f", 0, O_RDONLY | O_NOATIME);
	assert_true(fd >= 0);
	check(call0(root, LIND_SYS_close, A(fd)), 0);
	fd = SYSP(owner, open, "/tmp/f", 0, O_RDONLY | O_NOATIME);
	assert_true(fd >= 0);
	check(call0(owner, LIND_SYS_fcntl, A(fd, F_GETFL)) & O_NOATIME,
	      O_NOATIME);
	in->atime = in->mtime - SEC; /* due */
	int64_t atime = in->atime;
	long before = journal_size();
	check(read_at(owner, fd, 0), 5);
	check(in->atime, atime);
	check(journal_size(), before);
	check(call0(owner, LIND_SYS_close, A(fd)), 0);
	/* F_SETFL: the same check when it sets the flag */
	fd = SYSP(other, open, "/tmp/f", 0, O_RDONLY);
	assert_true(fd >= 0);
	check(call0(other, LIND_SYS_fcntl, A(fd, F_SETFL, O_NOATIME)), -EPERM);
	check(call0(other, LIND_SYS_fcntl, A(fd, F_GETFL)) & O_NOATIME, 0);
	check(read_at(other, fd, 0), 5);
	assert_true(in->atime > atime);
	check(call0(other, LIND_SYS_close, A(fd)), 0);
}

static void symlink_(const char *target, const char *path)
{
	struct call c;
	memset(&c, 0, sizeof c);
	c.cage = owner;
	c.nr = LIND_SYS_symlink;
	c.in[0].ptr = target;
	c.in[0].len = strlen(target);
	c.in[1].ptr = path;
	c.in[1].len = strlen(path);
	check(srv_handler_for(c.nr)(&c), 0);
	check(store_flush(srv.store), 0);
}

/* readlink and following a link (pick_link's touch_atime) move the
 * link's own atime, once while nothing changes. */
static void test_links(void **state)
{
	(void)state;
	check(call0(owner, LIND_SYS_close, A(hello())), 0);
	symlink_("f", "/tmp/l");
	struct inode *l = inode_of("/tmp/l");
	l->atime = l->mtime - SEC;
	int64_t atime = l->atime;
	char buf[8];
	check(tsys(owner, LIND_SYS_readlink, A(0, 0, sizeof buf), "/tmp/l", 6,
		   buf, sizeof buf, NULL),
	      1);
	assert_true(l->atime > atime);
	l->atime = atime;
	long fd = SYSP(owner, open, "/tmp/l", 0, O_RDONLY);
	assert_true(fd >= 0);
	check(call0(owner, LIND_SYS_close, A(fd)), 0);
	assert_true(l->atime > atime);
	atime = l->atime;
	long before = journal_size();
	for (int i = 0; i < 20; i++) {
		fd = SYSP(owner, open, "/tmp/l", 0, O_RDONLY);
		assert_true(fd >= 0);
		check(call0(owner, LIND_SYS_close, A(fd)), 0);
	}
	check(l->atime, atime);
	check(journal_size(), before);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule),
		cmocka_unit_test_setup_teardown(test_reads_journal_once, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_listing_journals_once,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_day_old, setup, teardown),
		cmocka_unit_test_setup_teardown(test_survives_crash, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_noatime, setup, teardown),
		cmocka_unit_test_setup_teardown(test_links, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
