/* lind-fs fsck and format (posix-server/store_check.c, store_new.c): a
 * store made by the server's handlers is clean; each kind of damage,
 * written into it as records or files, is one line naming it; repair
 * fixes it, a second check is clean, and the server loads the result. */
#include <inttypes.h>
#include <sys/file.h>
#include <sys/stat.h>

#include "../../posix-server/store_check.h"
#include "../../posix-server/xattr.h"
#include "test_server_util.h"

static char dir[64];
static uint64_t ino_a, ino_d, ino_sub; /* /a, /d, /d/sub */

static uint64_t ino_of(struct cage *cg, const char *path)
{
	uint8_t buf[sizeof(struct stat)];
	check(tsys(cg, LIND_SYS_lstat, A(0), path, strlen(path), buf,
		   sizeof buf, NULL),
	      0);
	return ((struct stat *)buf)->st_ino;
}

/* /a ("hello"), /d/f, /d/sub; a clean stop. */
static int setup(void **state)
{
	(void)state;
	dir[0] = '\0';
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, getuid(), getgid());
	long fd = SYSP(cg, open, "/a", 0, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	check(tsys(cg, LIND_SYS_write, A(fd, 0, 5), "hello", 5, NULL, 0, NULL),
	      5);
	check(tsys(cg, LIND_SYS_close, A(fd), NULL, 0, NULL, 0, NULL), 0);
	check(SYSP(cg, mkdir, "/d", 0, 0755), 0);
	check(SYSP(cg, mkdir, "/d/sub", 0, 0755), 0);
	fd = SYSP(cg, open, "/d/f", 0, O_CREAT | O_WRONLY, 0644);
	check(tsys(cg, LIND_SYS_close, A(fd), NULL, 0, NULL, 0, NULL), 0);
	ino_a = ino_of(cg, "/a");
	ino_d = ino_of(cg, "/d");
	ino_sub = ino_of(cg, "/d/sub");
	tsrv_stop(true);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tsrv_rmrf(dir);
	return 0;
}

/* fsck: its lines into out (cap bytes); the counts. */
static struct store_check fsck(bool repair, char *out, size_t cap)
{
	struct store_check res;
	char why[64];
	out[0] = '\0';
	FILE *f = fmemopen(out, cap, "w");
	assert_non_null(f);
	check(store_check(dir, repair, f, &res, why, sizeof why), 0);
	fclose(f);
	return res;
}

/* ---- damage ---------------------------------------------------------- */

static void put_file(const char *name, const void *p, size_t n, int flags)
{
	char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | flags, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, p, n), (ssize_t)n);
	close(fd);
}

/* ops as one call's records at the journal's end. */
static void journal(const Lind__StoreOp *ops, size_t n)
{
	struct store_recs b = {0};
	for (size_t i = 0; i < n; i++)
		store_recs_put(&b, &ops[i]);
	store_rec_seal(b.p + b.last);
	put_file("meta.log", b.p, b.len, O_APPEND);
	store_recs_free(&b);
}

static Lind__StoreOp inode_op(uint64_t ino, uint32_t mode, uint32_t nlink,
			      uint64_t size)
{
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__INODE;
	op.ino = ino;
	op.mode = mode;
	op.nlink = nlink;
	op.size = size;
	op.uid = op.gid = 1000;
	return op;
}

static void dangling(void)
{
	journal((Lind__StoreOp[]){store_op_link(1, "ghost", 999)}, 1);
}

static void wrong_count(void)
{
	journal((Lind__StoreOp[]){inode_op(ino_a, S_IFREG | 0644, 5, 5)}, 1);
}

static void unreachable(void)
{
	journal((Lind__StoreOp[]){inode_op(500, S_IFREG | 0600, 1, 4)}, 1);
	put_file("data/500", "lost", 4, 0);
}

static void lost_tree(void) /* /d's name removed: /d, /d/f, /d/sub lost */
{
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__UNLINK;
	op.parent = 1;
	op.name = "d";
	journal(&op, 1);
}

static void into_file(void)
{
	journal((Lind__StoreOp[]){store_op_link(ino_a, "x", ino_sub)}, 1);
}

static void two_names(void)
{
	journal((Lind__StoreOp[]){store_op_link(1, "d2", ino_d)}, 1);
}

static void bad_name(void)
{
	journal((Lind__StoreOp[]){store_op_link(ino_d, "x/y", ino_a)}, 1);
}

static void wrong_dotdot(void) /* /d/sub's '..' left at / */
{
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__UNLINK;
	op.parent = 1;
	op.name = "s2";
	journal((Lind__StoreOp[]){store_op_link(1, "s2", ino_sub), op}, 2);
}

static void symlink_size(void)
{
	Lind__StoreOp in = inode_op(600, S_IFLNK | 0777, 1, 9);
	in.target.data = (uint8_t *)"a";
	in.target.len = 1;
	journal((Lind__StoreOp[]){in, store_op_link(1, "l", 600)}, 2);
}

static void no_type(void)
{
	journal((Lind__StoreOp[]){inode_op(601, 0644, 1, 0),
				  store_op_link(1, "odd", 601)},
		2);
}

static void orphan_data(void)
{
	put_file("data/5", "x", 1, 0); /* /dev/urandom's */
	put_file("data/4", "", 0, 0);   /* /dev/zero's */
}

static void orphan_bytes(void)
{
	char name[32];
	snprintf(name, sizeof name, "data/%" PRIu64, ino_sub); /* a dir's */
	put_file(name, "bytes", 5, 0);
	put_file("data/3000", "more", 4, 0); /* no inode at all */
}

static void data_missing(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/data/%" PRIu64, dir, ino_a);
	check(unlink(path), 0);
}

static void data_symlink(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/data/%" PRIu64, dir, ino_a);
	check(unlink(path), 0);
	check(symlink("/etc/passwd", path), 0);
}

static void journal_hole(void) /* a bad record with good ones after it */
{
	dangling();
	char path[128];
	snprintf(path, sizeof path, "%s/meta.log", dir);
	struct stat st;
	check(stat(path, &st), 0);
	wrong_count();
	int fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, "\xff", 1, st.st_size + 9), 1);
	close(fd);
	bad_name();
}

static void snapshot_damage(void)
{
	char path[128];
	snprintf(path, sizeof path, "%s/meta.snap", dir);
	struct stat st;
	check(stat(path, &st), 0);
	int fd = open(path, O_RDWR);
	assert_int_equal(pwrite(fd, "\xff\xff", 2, st.st_size - 20), 2);
	close(fd);
}

static void root_freed(void)
{
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__FREE;
	op.ino = 1;
	journal(&op, 1);
}

/* Damage, then: each expected line is there, repair fixes every problem,
 * a second fsck is clean and the server loads the store. */
static void damaged(void (*damage)(void), const char *const *lines)
{
	char out[8192];
	damage();
	struct store_check res = fsck(false, out, sizeof out);
	for (const char *const *l = lines; *l; l++)
		if (!strstr(out, *l))
			fail_msg("no line with \"%s\" in:\n%s", *l, out);
	assert_true(res.problems > 0);
	assert_int_equal(res.repaired, 0);
	res = fsck(true, out, sizeof out);
	if (res.repaired != res.problems)
		fail_msg("%u of %u repaired:\n%s", res.repaired, res.problems,
			 out);
	res = fsck(false, out, sizeof out);
	if (res.problems || res.notes)
		fail_msg("after repair:\n%s", out);
	tsrv_start(dir, sizeof dir);
}

#define LINES(...) ((const char *const[]){__VA_ARGS__, NULL})

static void test_clean(void **state)
{
	(void)state;
	char out[4096];
	struct store_check res = fsck(false, out, sizeof out);
	check(res.problems + res.notes, 0);
	check(strlen(out), 0);
}

static void test_dangling(void **state)
{
	(void)state;
	damaged(dangling,
		LINES("/ghost: names inode 999, which does not exist"));
	struct cage *cg = cage_new(1, getuid(), getgid());
	check(SYSP(cg, access, "/ghost", 0, F_OK), -ENOENT);
	tsrv_stop(false);
}

static void test_wrong_count(void **state)
{
	(void)state;
	damaged(wrong_count,
		LINES("/a: link count 5, but the entries make it 1"));
	tsrv_stop(false);
}

static void test_unreachable(void **state)
{
	(void)state;
	damaged(unreachable,
		LINES("inode 500 (regular file, 4 bytes, link count 1) is not "
		      "reachable from /: the next start frees it"));
	struct cage *cg = cage_new(1, getuid(), getgid());
	check(SYSP(cg, access, "/lost+found/#500", 0, F_OK), 0);
	tsrv_stop(false);
}

/* /a's link count wrong, and two extended attributes on it (one set
 * twice, one removed): repair's snapshot keeps them as the journal left
 * them. */
static void xattrs_and_wrong_count(void)
{
	Lind__StoreOp x[4];
	const char *names[4] = {"user.k", "user.gone", "user.k", "user.gone"};
	const char *vals[4] = {"old", "x", "kept", NULL};
	for (int i = 0; i < 4; i++) {
		x[i] = (Lind__StoreOp)LIND__STORE_OP__INIT;
		x[i].kind = vals[i] ? LIND__STORE_OP__KIND__XATTR
				    : LIND__STORE_OP__KIND__XATTR_REMOVE;
		x[i].ino = ino_a;
		x[i].name = (char *)names[i];
		if (vals[i])
			x[i].value = (ProtobufCBinaryData){
				strlen(vals[i]), (uint8_t *)vals[i]};
	}
	journal(x, 4);
	wrong_count();
}

static void test_repair_keeps_xattrs(void **state)
{
	(void)state;
	damaged(xattrs_and_wrong_count,
		LINES("/a: link count 5, but the entries make it 1"));
	struct inode *in = vfs_get(srv.vfs, ino_a);
	assert_non_null(in);
	const struct xattr *x = xattr_find(in, "user.k");
	assert_non_null(x);
	check(x->len, 4);
	assert_memory_equal(x->value, "kept", 4);
	assert_null(xattr_find(in, "user.gone"));
	tsrv_stop(false);
}

static void test_lost_tree(void **state)
{
	(void)state;
	damaged(lost_tree, LINES("(directory, 0 bytes, link count 3) is not "
				 "reachable from /, nor 2 more under it"));
	struct cage *cg = cage_new(1, getuid(), getgid());
	char path[64];
	snprintf(path, sizeof path, "/lost+found/#%" PRIu64 "/sub", ino_d);
	check(SYSP(cg, access, path, 0, F_OK), 0);
	tsrv_stop(false);
}

static void test_into_file(void **state)
{
	(void)state;
	damaged(into_file, LINES("meta.log: record 1 names 'x'",
				 "not a directory: ignored at load"));
	tsrv_stop(false);
}

static void test_two_names(void **state)
{
	(void)state;
	damaged(two_names, LINES("/d2: names directory /d again"));
	tsrv_stop(false);
}

static void test_bad_name(void **state)
{
	(void)state;
	damaged(bad_name, LINES("/d: entry 'x/y' is not a valid name"));
	tsrv_stop(false);
}

static void test_wrong_dotdot(void **state)
{
	(void)state;
	damaged(wrong_dotdot,
		LINES("/d/sub: its '..' is inode 1, not the directory holding "
		      "it (/d)"));
	tsrv_stop(false);
}

static void test_symlink_size(void **state)
{
	(void)state;
	damaged(symlink_size, LINES("/l: size 9, but its target is 1 bytes"));
	tsrv_stop(false);
}

static void test_no_type(void **state)
{
	(void)state;
	char out[4096];
	no_type();
	struct store_check res = fsck(true, out, sizeof out);
	assert_non_null(strstr(out, "/odd: mode 0644 has no file type; not "
				    "repaired"));
	assert_true(res.repaired < res.problems);
}

static void test_orphan_data(void **state)
{
	(void)state;
	damaged(orphan_data,
		LINES("data/5: belongs to /dev/urandom, a character device",
		      "data/4: belongs to /dev/zero"));
	tsrv_stop(false);
}

static void test_orphan_bytes(void **state)
{
	(void)state;
	char line[128];
	snprintf(line, sizeof line, "data/%" PRIu64 ": belongs to /d/sub, a "
				    "directory", ino_sub);
	damaged(orphan_bytes, LINES(line, "data/3000: 4 bytes no inode owns"));
	struct cage *cg = cage_new(1, getuid(), getgid());
	check(SYSP(cg, access, "/lost+found/#3000", 0, F_OK), 0);
	tsrv_stop(false);
}

static void test_data_missing(void **state)
{
	(void)state;
	char line[128];
	snprintf(line, sizeof line, "/a: 5 bytes, but its data file data/%"
				    PRIu64 " is missing", ino_a);
	damaged(data_missing, LINES(line));
	tsrv_stop(false);
}

static void test_data_symlink(void **state)
{
	(void)state;
	damaged(data_symlink, LINES("is not a file on the host but a symlink"));
	tsrv_stop(false);
}

static void test_journal_hole(void **state)
{
	(void)state;
	damaged(journal_hole, LINES("meta.log: bad record after byte",
				    ": 1 later records are lost",
				    "/ghost: names inode 999"));
	tsrv_stop(false);
}

static void test_snapshot(void **state)
{
	(void)state;
	damaged(snapshot_damage,
		LINES("meta.snap: bad record at byte",
		      "the server loads none of the snapshot"));
	tsrv_stop(false);
}

static void test_root(void **state)
{
	(void)state;
	damaged(root_freed, LINES("/ (inode 1) is missing"));
	tsrv_stop(false);
}

/* A crash's leftovers are notes: fsck exits 0 on them. */
static void test_crash_notes(void **state)
{
	(void)state;
	char out[4096];
	journal((Lind__StoreOp[]){inode_op(700, S_IFREG | 0600, 0, 0)}, 1);
	put_file("data/700", "x", 1, 0);
	put_file("data/9000", "", 0, 0);
	put_file("meta.log", "\x10\0\0\0torn", 8, O_APPEND);
	struct store_check res = fsck(false, out, sizeof out);
	check(res.problems, 0);
	check(res.notes, 3);
	assert_non_null(strstr(out, "note: inode 700 (regular file, 0 bytes): "
				    "unlinked while open"));
	assert_non_null(
		strstr(out, "note: data/9000: left by a call cut short"));
	assert_non_null(
		strstr(out, "note: meta.log: ends in a call cut short"));
	res = fsck(true, out, sizeof out);
	res = fsck(false, out, sizeof out);
	check(res.problems + res.notes, 0);
}

static void test_locked(void **state)
{
	(void)state;
	struct store *s;
	check(store_open(dir, &s), 0);
	struct store_check res;
	char why[64];
	check(store_check(dir, false, stdout, &res, why, sizeof why),
	      -EWOULDBLOCK);
	check(store_new(dir, true, why, sizeof why), -EWOULDBLOCK);
	store_close(s);
}

static void test_format(void **state)
{
	(void)state;
	char why[PATH_MAX];
	check(store_new(dir, false, why, sizeof why), -EEXIST);
	put_file("notes.txt", "mine", 4, 0);
	check(store_new(dir, true, why, sizeof why), -ENOTEMPTY);
	check(strcmp(why, "notes.txt"), 0);
	char path[128];
	snprintf(path, sizeof path, "%s/notes.txt", dir);
	check(unlink(path), 0);
	check(store_new(dir, true, why, sizeof why), 0);
	char out[4096];
	check(fsck(false, out, sizeof out).problems, 0);
	tsrv_start(dir, sizeof dir);
	struct cage *cg = cage_new(1, getuid(), getgid());
	check(SYSP(cg, access, "/a", 0, F_OK), -ENOENT);
	check(SYSP(cg, access, "/dev/null", 0, F_OK), 0);
	tsrv_stop(false);
	char fresh[64] = "/tmp/lind-test-XXXXXX";
	assert_non_null(mkdtemp(fresh));
	check(store_new(fresh, false, why, sizeof why), 0);
	tsrv_rmrf(fresh);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_clean),	      T(test_dangling),
		T(test_wrong_count),
		T(test_repair_keeps_xattrs), T(test_unreachable),
		T(test_lost_tree),    T(test_into_file),
		T(test_two_names),    T(test_bad_name),
		T(test_wrong_dotdot), T(test_symlink_size),
		T(test_no_type),      T(test_orphan_data),
		T(test_orphan_bytes), T(test_data_missing),
		T(test_data_symlink), T(test_journal_hole),
		T(test_snapshot),     T(test_root),
		T(test_crash_notes),  T(test_locked),
		T(test_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
