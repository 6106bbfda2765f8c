/* The store: format, persistence across clean and unclean restarts,
 * journal replay with a torn last record or a bad crc, the lock; full
 * disks and disk errors (docs/durability.md), injected with store_inject. */
#include <dirent.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "test_server_util.h"
#include "../../posix-server/limit.h"
#include "../../posix-server/xattr.h"

static char dir[64];

/* The server stopped without cleaning up and started again on the same
 * store (as after a crash): a cage to look with. */
static struct cage *restart(void)
{
	tsrv_stop(false);
	tsrv_start(dir, sizeof dir);
	return cage_new(1, 1000, 1000);
}

static int setup(void **state)
{
	(void)state;
	dir[0] = '\0';
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	if (dir[0])
		tsrv_rmrf(dir);
	return 0;
}

static long file_size(const char *name)
{
	char p[128];
	struct stat st;
	snprintf(p, sizeof p, "%s/%s", dir, name);
	return stat(p, &st) < 0 ? -errno : (long)st.st_size;
}

static void write_file(struct cage *cg, const char *path, const char *text)
{
	long fd = SYSP(cg, open, path, 0, O_CREAT | O_WRONLY | O_TRUNC, 0640);
	assert_true(fd >= 0);
	check(tsys(cg, LIND_SYS_write, A(fd, 0, (int64_t)strlen(text)), text,
		   strlen(text), NULL, 0, NULL),
	      strlen(text));
	check(tsys(cg, LIND_SYS_close, A(fd), NULL, 0, NULL, 0, NULL), 0);
}

/* Checks path holds text (or is missing when text is NULL). */
static void expect_file_at(struct cage *cg, const char *path, const char *text,
			   const char *file, int line)
{
	long fd = SYSP(cg, open, path, 0, O_RDONLY);
	if (!text) {
		_assert_int_equal(fd, -ENOENT, file, line);
		return;
	}
	_assert_true(fd >= 0, path, file, line);
	char buf[256];
	size_t len = 0;
	long r = tsys(cg, LIND_SYS_read, A(fd, 0, sizeof buf), NULL, 0, buf,
		      sizeof buf, &len);
	_assert_int_equal(r, strlen(text), file, line);
	_assert_memory_equal(buf, text, strlen(text), file, line);
	tsys(cg, LIND_SYS_close, A(fd), NULL, 0, NULL, 0, NULL);
}
#define expect_file(cg, p, t) expect_file_at(cg, p, t, __FILE__, __LINE__)

static void test_format(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	assert_true(file_size("FORMAT") > 0);
	struct cage *cg = cage_new(1, 1000, 1000);
	uint8_t st_buf[sizeof(struct stat)];
	struct stat *st = (void *)st_buf;
	check(tsys(cg, LIND_SYS_stat, A(0), "/tmp", 4, st_buf, sizeof st_buf,
		   NULL),
	      0);
	check(st->st_mode, S_IFDIR | 01777);
	check(tsys(cg, LIND_SYS_stat, A(0), "/dev/null", 9, st_buf,
		   sizeof st_buf, NULL),
	      0);
	assert_true(S_ISCHR(st->st_mode));
	check(st->st_rdev, makedev(1, 3));
	/* The lock keeps a second server off. */
	struct store *other;
	check(store_open(dir, &other), -EWOULDBLOCK);
	tsrv_stop(true);
}

/* store_load's answer for a store it refuses (nothing is kept). */
static int load_refused(void)
{
	assert_int_equal(store_open(dir, &srv.store), 0);
	srv.vfs = vfs_new(srv.store);
	int r = store_load(srv.store, srv.vfs);
	vfs_free(srv.vfs);
	store_close(srv.store);
	srv.vfs = NULL;
	srv.store = NULL;
	return r;
}

static void put_format(const char *text)
{
	char p[128];
	snprintf(p, sizeof p, "%s/FORMAT", dir);
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void expect_format(const char *text)
{
	char p[128], got[64] = "";
	snprintf(p, sizeof p, "%s/FORMAT", dir);
	FILE *f = fopen(p, "r");
	assert_non_null(f);
	assert_non_null(fgets(got, sizeof got, f));
	fclose(f);
	assert_string_equal(got, text);
}

/* Format 2 (symlinks) reads format 1 and marks it 2, so that a format 1
 * server refuses it from then on; any other format is refused. */
static void test_format_versions(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	expect_format("lind-store 2\n");
	write_file(cage_new(1, 1000, 1000), "/tmp/a", "one");
	tsrv_stop(false);
	put_format("lind-store 1\n");
	tsrv_start(dir, sizeof dir);
	expect_format("lind-store 2\n");
	expect_file(cage_new(1, 1000, 1000), "/tmp/a", "one");
	tsrv_stop(true);
	put_format("lind-store 3\n");
	check(load_refused(), -EPROTO);
	expect_format("lind-store 3\n"); /* left as it was */
}

static void test_clean_restart(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	check(SYSP(cg, mkdir, "/tmp/keep", 0, 0750), 0);
	write_file(cg, "/tmp/keep/a", "hello");
	write_file(cg, "/tmp/gone", "bye");
	check(SYSP(cg, unlink, "/tmp/gone"), 0);
	tsrv_stop(true);
	check(file_size("meta.log"), 0); /* the snapshot holds it all */

	tsrv_start(dir, sizeof dir);
	cg = cage_new(1, 1000, 1000);
	expect_file(cg, "/tmp/keep/a", "hello");
	expect_file(cg, "/tmp/gone", NULL);
	uint8_t st_buf[sizeof(struct stat)];
	struct stat *st = (void *)st_buf;
	check(tsys(cg, LIND_SYS_stat, A(0), "/tmp/keep", 9, st_buf,
		   sizeof st_buf, NULL),
	      0);
	check(st->st_mode, S_IFDIR | 0750);
	check(st->st_uid, 1000);
	check(st->st_nlink, 2);
	tsrv_stop(true);
}

static void test_crash_replay(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/a", "one");
	check(SYSP(cg, mkdir, "/tmp/sub", 0, 0755), 0);
	write_file(cg, "/tmp/sub/b", "two");
	tsrv_stop(false); /* like kill -9: only the journal */
	assert_true(file_size("meta.log") > 0);

	tsrv_start(dir, sizeof dir);
	cg = cage_new(1, 1000, 1000);
	expect_file(cg, "/tmp/a", "one");
	expect_file(cg, "/tmp/sub/b", "two");
	tsrv_stop(false);
}

/* Appends to the journal: a valid record made by the store, then
 * damaged by damage(). */
static void torn_or_bad(bool torn)
{
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/a", "one");
	tsrv_stop(false);
	long good = file_size("meta.log");
	assert_true(good > 0);

	/* One more create, then damage its last record. */
	tsrv_start(dir, sizeof dir);
	cg = cage_new(1, 1000, 1000);
	check(SYSP(cg, mkdir, "/tmp/late", 0, 0755), 0);
	tsrv_stop(false);
	long all = file_size("meta.log");
	assert_true(all > good);
	char p[128];
	snprintf(p, sizeof p, "%s/meta.log", dir);
	if (torn) {
		check(truncate(p, all - 3), 0);
	} else {
		FILE *f = fopen(p, "r+");
		assert_non_null(f);
		fseek(f, all - 1, SEEK_SET);
		int ch = fgetc(f);
		fseek(f, all - 1, SEEK_SET);
		fputc(ch ^ 0xff, f);
		fclose(f);
	}
	tsrv_start(dir, sizeof dir);
	cg = cage_new(1, 1000, 1000);
	expect_file(cg, "/tmp/a", "one");
	/* The damaged record was the parent's SETATTR: the log is cut
	 * before it; everything earlier still stands. */
	assert_true(file_size("meta.log") < all);
	assert_true(file_size("meta.log") >= good);
	/* The store stays usable: new records append after the cut. */
	check(SYSP(cg, mkdir, "/tmp/after", 0, 0755), 0);
	cg = restart();
	uint8_t st_buf[sizeof(struct stat)];
	check(tsys(cg, LIND_SYS_stat, A(0), "/tmp/after", 10, st_buf,
		   sizeof st_buf, NULL),
	      0);
	expect_file(cg, "/tmp/a", "one");
	tsrv_stop(true);
}

static void test_torn_record(void **state)
{
	(void)state;
	torn_or_bad(true);
}

static void test_bad_crc(void **state)
{
	(void)state;
	torn_or_bad(false);
}

/* Found by fuzz_store: a journal whose root link count is too low; once
 * rmdir took it to 0 the snapshot left the root out and the store no
 * longer loaded.  Link counts come from the entries instead. */
static void test_nlink_from_entries(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct inode *root = vfs_root(srv.vfs);
	check(root->nlink, 5); /* ".", "..", dev/.., tmp/.., etc/.. */
	root->nlink = 2;
	store_log_inode(srv.store, root);
	tsrv_stop(false);
	tsrv_start(dir, sizeof dir);
	check(vfs_root(srv.vfs)->nlink, 5);
	struct cage *cg = cage_new(1, 0, 0);
	check(SYSP(cg, rmdir, "/tmp", 0), 0);
	check(vfs_root(srv.vfs)->nlink, 4);
	tsrv_stop(true);
	tsrv_start(dir, sizeof dir); /* the snapshot has its root */
	check(vfs_root(srv.vfs)->nlink, 4);
	/* a root that is no directory: the store does not load */
	vfs_root(srv.vfs)->mode = S_IFREG | 0755;
	store_log_inode(srv.store, vfs_root(srv.vfs));
	tsrv_stop(false);
	check(load_refused(), -EUCLEAN);
}

static void test_unlinked_while_open(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/x", "data");
	long fd = SYSP(cg, open, "/tmp/x", 0, O_RDONLY);
	check(SYSP(cg, unlink, "/tmp/x"), 0);
	char buf[8];
	check(tsys(cg, LIND_SYS_read, A(fd, 0, 8), NULL, 0, buf, 8, NULL), 4);
	cg = restart(); /* crash with the file open: freed at load */
	expect_file(cg, "/tmp/x", NULL);
	tsrv_stop(true);
	char p[128];
	snprintf(p, sizeof p, "%s/data", dir);
	DIR *d = opendir(p);
	assert_non_null(d);
	int files = 0;
	for (struct dirent *e; (e = readdir(d));)
		files += e->d_name[0] != '.';
	closedir(d);
	check(files, STORE_FRESH_DATA_FILES); /* none left behind */
}

static void test_compaction(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	store_set_compact(srv.store, 1); /* every flush folds the journal */
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/a", "one");
	check(SYSP(cg, mkdir, "/tmp/sub", 0, 0700), 0);
	write_file(cg, "/tmp/sub/b", "two");
	check(SYSP(cg, unlink, "/tmp/a"), 0);
	check(file_size("meta.log"), 0);
	cg = restart(); /* crash: the snapshots alone must do */
	expect_file(cg, "/tmp/a", NULL);
	expect_file(cg, "/tmp/sub/b", "two");
	tsrv_stop(true);
}

/* ---- full disks and disk errors ---------------------------------------- */

/* Data files beyond a fresh store's own (/etc's). */
static int data_files(void)
{
	char p[128];
	snprintf(p, sizeof p, "%s/data", dir);
	DIR *d = opendir(p);
	assert_non_null(d);
	int files = 0;
	for (struct dirent *e; (e = readdir(d));)
		files += e->d_name[0] != '.';
	closedir(d);
	return files - STORE_FRESH_DATA_FILES;
}

static long fd_call(struct cage *cg, uint32_t nr, long fd)
{
	return tsys(cg, nr, A(fd), NULL, 0, NULL, 0, NULL);
}

static long write_fd(struct cage *cg, long fd, const char *text)
{
	return tsys(cg, LIND_SYS_write, A(fd, 0, (int64_t)strlen(text)), text,
		    strlen(text), NULL, 0, NULL);
}

/* The disk fills up: creates fail with ENOSPC once the preallocated
 * journal runs short, having made nothing; unlinks still work; once
 * space is back, new files are journaled after the old ones and every
 * acknowledged file survives a crash. */
static void test_full_disk(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/big", "bytes");
	store_inject(srv.store, STORE_FAULT_RESERVE, ENOSPC);
	char path[64];
	int made = 0;
	long r;
	for (;; made++) {
		snprintf(path, sizeof path, "/tmp/f%d", made);
		r = SYSP(cg, open, path, 0, O_CREAT | O_WRONLY, 0644);
		if (r < 0)
			break;
		check(fd_call(cg, LIND_SYS_close, r), 0);
	}
	check(r, -ENOSPC);
	assert_true(made > 100); /* the preallocated journal was used */
	expect_file(cg, path, NULL);
	check(SYSP(cg, mkdir, "/tmp/d", 0, 0755), -ENOSPC);
	check(data_files(), 1); /* an empty file has none; nor a failed create */
	long full = file_size("meta.log");
	/* Room is kept for what frees space. */
	check(SYSP(cg, unlink, "/tmp/big"), 0);
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof path, "/tmp/f%d", i);
		check(SYSP(cg, unlink, path), 0);
	}
	assert_true(file_size("meta.log") > full);
	store_inject(srv.store, STORE_FAULT_RESERVE, 0); /* space is back */
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof path, "/tmp/g%d", i);
		write_file(cg, path, path);
	}
	cg = restart();
	expect_file(cg, "/tmp/big", NULL);
	for (int i = 0; i < made; i++) {
		snprintf(path, sizeof path, "/tmp/f%d", i);
		expect_file(cg, path, i < 50 ? NULL : "");
	}
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof path, "/tmp/g%d", i);
		expect_file(cg, path, path);
	}
	check(data_files(), 50); /* the g files': the f files are empty */
	tsrv_stop(true);
}

/* The reported loss: a record torn at ENOSPC stayed in the journal and
 * hid everything appended after it.  A failed append is cut back. */
static void test_torn_append_cut_back(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/x", "data");
	long fd = SYSP(cg, open, "/tmp/x", 0, O_RDONLY);
	check(SYSP(cg, unlink, "/tmp/x"), 0);
	long good = file_size("meta.log");
	store_inject(srv.store, STORE_FAULT_WRITE, ENOSPC);
	/* Its FREE record is torn; a close does not fail for it (replay
	 * frees an inode whose nlink 0 is journaled anyway). */
	check(fd_call(cg, LIND_SYS_close, fd), 0);
	check(file_size("meta.log"), good);
	store_inject(srv.store, STORE_FAULT_WRITE, 0);
	char path[64];
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof path, "/tmp/n%d", i);
		write_file(cg, path, path);
	}
	cg = restart();
	for (int i = 0; i < 50; i++) {
		snprintf(path, sizeof path, "/tmp/n%d", i);
		expect_file(cg, path, path);
	}
	expect_file(cg, "/tmp/x", NULL); /* the unlinked file stays gone */
	check(data_files(), 50);
	tsrv_stop(true);
}

/* A call whose records cannot be written fails, the journal is cut back,
 * and the store turns read-only: reads go on, changes fail with EIO. */
static void test_failed_append_read_only(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/a", "one");
	long rfd = SYSP(cg, open, "/tmp/a", 0, O_RDONLY);
	long wfd = SYSP(cg, open, "/tmp/w", 0, O_CREAT | O_WRONLY, 0600);
	write_file(cg, "/tmp/u", "unlinked");
	long ufd = SYSP(cg, open, "/tmp/u", 0, O_RDONLY);
	assert_true(rfd >= 0 && wfd >= 0 && ufd >= 0);
	check(SYSP(cg, unlink, "/tmp/u"), 0);
	long good = file_size("meta.log");
	store_inject(srv.store, STORE_FAULT_WRITE, EIO);
	check(SYSP(cg, mkdir, "/tmp/x", 0, 0755), -EIO);
	check(file_size("meta.log"), good);
	store_inject(srv.store, STORE_FAULT_WRITE, 0);
	check(SYSP(cg, mkdir, "/tmp/y", 0, 0755), -EIO);
	check(SYSP(cg, open, "/tmp/new", 0, O_CREAT | O_WRONLY, 0600), -EIO);
	check(SYSP(cg, open, "/tmp/a", 0, O_WRONLY | O_TRUNC), -EIO);
	check(SYSP(cg, unlink, "/tmp/a"), -EIO);
	check(write_fd(cg, wfd, "late"), -EIO);
	check(fd_call(cg, LIND_SYS_fsync, wfd), -EIO);
	char buf[8];
	check(tsys(cg, LIND_SYS_read, A(rfd, 0, 8), NULL, 0, buf, 8, NULL), 3);
	expect_file(cg, "/tmp/a", "one");
	check(fd_call(cg, LIND_SYS_close, wfd), 0);
	check(fd_call(cg, LIND_SYS_close, ufd), 0); /* frees: never fails */
	check(file_size("meta.log"), good);
	check(store_snapshot(srv.store, srv.vfs), -EIO);
	tsrv_stop(false);

	tsrv_start(dir, sizeof dir); /* a restart makes it writable again */
	cg = cage_new(1, 1000, 1000);
	expect_file(cg, "/tmp/a", "one");
	expect_file(cg, "/tmp/w", "");
	expect_file(cg, "/tmp/x", NULL);
	expect_file(cg, "/tmp/u", NULL);
	check(SYSP(cg, mkdir, "/tmp/y", 0, 0755), 0);
	cg = restart();
	uint8_t st_buf[sizeof(struct stat)];
	check(tsys(cg, LIND_SYS_stat, A(0), "/tmp/y", 6, st_buf, sizeof st_buf,
		   NULL),
	      0);
	tsrv_stop(true);
}

/* The cut-back itself fails: read-only at once; the next load cuts the
 * torn tail and loses nothing acknowledged. */
static void test_cut_back_fails(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/a", "one");
	long good = file_size("meta.log");
	store_inject(srv.store, STORE_FAULT_WRITE, ENOSPC);
	store_inject(srv.store, STORE_FAULT_TRUNCATE, EIO);
	check(SYSP(cg, mkdir, "/tmp/x", 0, 0755), -ENOSPC);
	assert_true(file_size("meta.log") > good); /* torn tail */
	store_inject(srv.store, STORE_FAULT_WRITE, 0);
	store_inject(srv.store, STORE_FAULT_TRUNCATE, 0);
	check(SYSP(cg, mkdir, "/tmp/y", 0, 0755), -EIO);
	tsrv_stop(false);

	tsrv_start(dir, sizeof dir);
	check(file_size("meta.log"), good);
	cg = cage_new(1, 1000, 1000);
	expect_file(cg, "/tmp/a", "one");
	expect_file(cg, "/tmp/x", NULL);
	check(SYSP(cg, mkdir, "/tmp/z", 0, 0755), 0);
	tsrv_stop(true);
}

/* fsync reports a journal fsync error, and the store trusts the journal
 * no more: read-only. */
static void test_sync_error(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/a", "one");
	long fd = SYSP(cg, open, "/tmp/a", 0, O_RDONLY);
	store_inject(srv.store, STORE_FAULT_SYNC, EIO);
	check(fd_call(cg, LIND_SYS_fsync, fd), -EIO);
	store_inject(srv.store, STORE_FAULT_SYNC, 0);
	check(fd_call(cg, LIND_SYS_fdatasync, fd), -EIO);
	check(SYSP(cg, mkdir, "/tmp/x", 0, 0755), -EIO);
	expect_file(cg, "/tmp/a", "one");
	cg = restart();
	expect_file(cg, "/tmp/a", "one");
	tsrv_stop(true);
}

/* sync and syncfs fsync the data files written since their last fsync
 * (the inode's dirty flag), then the journal; syncfs reports an error,
 * sync answers 0 as Linux's. */
static void test_syncfs(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	struct inode *in;
	write_file(cg, "/tmp/a", "one");
	check(vfs_resolve(srv.vfs, &cg->cred, vfs_root(srv.vfs), "/tmp/a",
			  WALK_FOLLOW, &in), 0);
	assert_true(in->dirty);
	long fd = SYSP(cg, open, "/tmp/a", 0, O_RDONLY);
	check(fd_call(cg, LIND_SYS_syncfs, fd), 0);
	assert_false(in->dirty);
	check(fd_call(cg, LIND_SYS_syncfs, 99), -EBADF);
	write_file(cg, "/tmp/a", "two");
	assert_true(in->dirty);
	check(tsys(cg, LIND_SYS_sync, A(0), NULL, 0, NULL, 0, NULL), 0);
	assert_false(in->dirty);
	store_inject(srv.store, STORE_FAULT_SYNC, EIO);
	check(tsys(cg, LIND_SYS_sync, A(0), NULL, 0, NULL, 0, NULL), 0);
	check(fd_call(cg, LIND_SYS_syncfs, fd), -EIO); /* read-only now */
	store_inject(srv.store, STORE_FAULT_SYNC, 0);
	expect_file(cg, "/tmp/a", "two");
	cg = restart();
	expect_file(cg, "/tmp/a", "two");
	tsrv_stop(true);
}

/* xattr calls on path with name: set (value non-NULL) or get into out. */
static long xattr_call(struct cage *cg, const char *path, const char *name,
		       const char *value, char *out, size_t cap)
{
	struct call c;
	memset(&c, 0, sizeof c);
	c.cage = cg;
	c.nr = value ? LIND_SYS_setxattr : LIND_SYS_getxattr;
	c.in[0].ptr = path;
	c.in[0].len = strlen(path);
	c.in[1].ptr = name;
	c.in[1].len = strlen(name);
	if (value) {
		c.in[2].ptr = value;
		c.in[2].len = c.a[3] = (int64_t)strlen(value);
	}
	c.out[2].buf = out;
	c.out[2].cap = cap;
	c.a[3] = value ? c.a[3] : (int64_t)cap;
	long r = value ? srv_setxattr(&c) : srv_getxattr(&c);
	long f = store_flush(srv.store);
	return r >= 0 && f < 0 ? f : r;
}

static void expect_xattr(struct cage *cg, const char *path, const char *name,
			 const char *value)
{
	char buf[64] = {0};
	check(xattr_call(cg, path, name, NULL, buf, sizeof buf - 1),
	      (long)strlen(value));
	assert_string_equal(buf, value);
}

/* Extended attributes are journaled (a crash keeps them), written into
 * the snapshot (a clean stop keeps them), and go with their inode. */
static void test_xattr_persists(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	write_file(cg, "/tmp/a", "one");
	write_file(cg, "/tmp/b", "two");
	check(xattr_call(cg, "/tmp/a", "user.x", "1", NULL, 0), 0);
	check(xattr_call(cg, "/tmp/a", "user.y", "22", NULL, 0), 0);
	check(xattr_call(cg, "/tmp/a", "user.x", "333", NULL, 0), 0);
	check(xattr_call(cg, "/tmp/b", "user.z", "gone", NULL, 0), 0);
	check(SYSP(cg, removexattr, "/tmp/a", 0, 0), -ERANGE); /* no name */
	check(SYSP(cg, unlink, "/tmp/b", 0), 0);
	cg = restart(); /* a crash: the journal */
	expect_xattr(cg, "/tmp/a", "user.x", "333");
	expect_xattr(cg, "/tmp/a", "user.y", "22");
	assert_true(xattr_total() > 0);
	tsrv_stop(true); /* a clean stop: the snapshot */
	tsrv_start(dir, sizeof dir);
	cg = cage_new(1, 1000, 1000);
	expect_xattr(cg, "/tmp/a", "user.x", "333");
	expect_xattr(cg, "/tmp/a", "user.y", "22");
	check(SYSP(cg, unlink, "/tmp/a", 0), 0);
	check(xattr_total(), 0); /* freed with the inode */
	tsrv_stop(true);
}

/* An O_CREAT open whose data file cannot be made (here: EMFILE) leaves
 * no name, no inode and no data file. */
/* A create needs no host fd (its data file is made by the first write):
 * a server out of fds still creates, and the write says ENFILE. */
static void test_create_without_data_file(void **state)
{
	(void)state;
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	struct rlimit old, low;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &old), 0);
	int lowest = dup(0);
	assert_true(lowest >= 0);
	close(lowest);
	low = old;
	low.rlim_cur = (rlim_t)lowest; /* no new fd can be opened */
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
	long fd = SYSP(cg, open, "/tmp/c", 0, O_CREAT | O_WRONLY, 0600);
	long w = tsys(cg, LIND_SYS_write, A(fd, 0, 2), "hi", 2, NULL, 0, NULL);
	assert_int_equal(setrlimit(RLIMIT_NOFILE, &old), 0);
	check(fd, 0);
	check(w, -ENFILE); /* the server, not the cage, is out of fds */
	check(data_files(), 0);
	check(tsys(cg, LIND_SYS_write, A(fd, 0, 2), "hi", 2, NULL, 0, NULL), 2);
	check(fd_call(cg, LIND_SYS_close, fd), 0);
	cg = restart();
	expect_file(cg, "/tmp/c", "hi");
	tsrv_stop(true);
}

/* The --max-size quota's usage: counted as calls change sizes, and the
 * same recounted at load (a crash: from the journal and data files). */
static void test_quota_accounting(void **state)
{
	(void)state;
	static char big[2 * VFS_BLOCK];
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, 1000, 1000);
	uint64_t u0 = vfs_usage(srv.vfs);
	write_file(cg, "/tmp/a", "hello");
	check(vfs_usage(srv.vfs), u0 + VFS_INODE_COST + VFS_BLOCK);
	/* room for one more inode and one block, not two */
	srv_limits.max_size = vfs_usage(srv.vfs) + VFS_INODE_COST +
			      VFS_BLOCK + 100;
	long fd = SYSP(cg, open, "/tmp/b", 0, O_CREAT | O_WRONLY, 0600);
	assert_true(fd >= 0);
	check(tsys(cg, LIND_SYS_write, A(fd, 0, sizeof big), big, sizeof big,
		   NULL, 0, NULL),
	      VFS_BLOCK); /* what fits */
	check(tsys(cg, LIND_SYS_write, A(fd, 0, 1), big, 1, NULL, 0, NULL),
	      -EDQUOT);
	check(tsys(cg, LIND_SYS_ftruncate, A(fd, VFS_BLOCK + 1), NULL, 0, NULL, 0,
		   NULL),
	      -EDQUOT);
	check(tsys(cg, LIND_SYS_ftruncate, A(fd, 10), NULL, 0, NULL, 0, NULL),
	      0); /* shrinks */
	check(SYSP(cg, open, "/tmp/c", 0, O_CREAT | O_WRONLY, 0600), -EDQUOT);
	check(fd_call(cg, LIND_SYS_close, fd), 0);
	uint64_t full = vfs_usage(srv.vfs);
	check(full, u0 + 2 * (VFS_INODE_COST + VFS_BLOCK));
	check(SYSP(cg, unlink, "/tmp/a"), 0);
	check(vfs_usage(srv.vfs), full - VFS_INODE_COST - VFS_BLOCK);
	tsrv_stop(false); /* a crash: recounted from journal and data files */
	tsrv_start(dir, sizeof dir);
	check(vfs_usage(srv.vfs), full - VFS_INODE_COST - VFS_BLOCK);
	srv_limits.max_size = 0;
	tsrv_stop(true);
}

static void test_crc32(void **state)
{
	(void)state;
	check(store_crc32("123456789", 9), 0xcbf43926u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_format, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format_versions, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_clean_restart, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crash_replay, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_record, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_crc, setup, teardown),
		cmocka_unit_test_setup_teardown(test_nlink_from_entries, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_unlinked_while_open, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_compaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_full_disk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_torn_append_cut_back, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_failed_append_read_only,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_cut_back_fails, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_sync_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_syncfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_xattr_persists, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_create_without_data_file,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_quota_accounting, setup,
						teardown),
		cmocka_unit_test(test_crc32),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
