/*
 * Journal and snapshot replay: the input becomes a store directory (FORMAT
 * present) whose meta.snap and meta.log hold the input's StoreOp records,
 * framed with their lengths and CRCs as store.c writes them (a fuzzer
 * would not find valid CRCs itself).  Input layout:
 *   byte 0  how many records go to meta.snap (the rest go to meta.log)
 *   byte 1  bit 0: cut the last log record short (a torn write)
 *           bit 1: afterwards remove every entry through the handlers
 *           bit 2: lind-fs fsck --repair it first
 *   byte 2  an inode number that gets a data file (0: none)
 *   then    [u16 len][packed StoreOp]... (fuzz.h)
 * lind-fs fsck checks it first (store_check.c): it never fails on a store
 * it can read, and after --repair a second check finds no more problems
 * than repair left.
 * store_load must either refuse or give a tree the handlers can walk:
 * every directory's path, stat and getdents of its entries, reads of its
 * files and, with bit 1, unlink/rmdir of each.  Then store_snapshot, and
 * the snapshot loads again.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../posix-server/cage.h"
#include "../../posix-server/fdtable.h"
#include "../../posix-server/server.h"
#include "../../posix-server/store_check.h"
#include "../../posix-server/store.h"
#include "../../posix-server/vfs.h"
#include "common.h"
#include "fuzz.h"
#include "lind.pb-c.h"
#include "protocol.h"

static char base[64];
static uint8_t out[1 << 16];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	lind_log_init("fuzz_store");
	const char *tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
	snprintf(base, sizeof base, "%s/lind-fuzz-XXXXXX", tmp);
	assert(mkdtemp(base));
	fuzz_scratch = base;
	atexit(fuzz_cleanup);
	return 0;
}

static void put_file(const char *dir, const char *name, const void *p,
		     size_t n)
{
	char path[256];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert(fd >= 0);
	assert(write(fd, p, n) == (ssize_t)n);
	close(fd);
}

/* Writes the input's records as meta.snap and meta.log of dir. */
static void make_store(const char *dir, const uint8_t *data, size_t size)
{
	int rc = mkdir(dir, 0700);
	assert(rc == 0);
	put_file(dir, "FORMAT", "lind-store 2\n", 13);
	size_t nsnap = data[0];
	struct fuzz_split in = {data + 3, size - 3};
	uint8_t *file[2];
	size_t len[2] = {0, 0};
	file[0] = malloc(size * 4 + 16); /* 8 bytes of frame per 2 of input */
	file[1] = malloc(size * 4 + 16);
	assert(file[0] && file[1]);
	const uint8_t *rec;
	size_t n, k = 0;
	while (fuzz_next(&in, &rec, &n)) {
		int f = k++ < nsnap ? 0 : 1;
		uint32_t l = (uint32_t)n, crc = store_crc32(rec, n);
		memcpy(file[f] + len[f], &l, 4);
		memcpy(file[f] + len[f] + 4, &crc, 4);
		memcpy(file[f] + len[f] + 8, rec, n);
		len[f] += 8 + n;
	}
	if ((data[1] & 1) && len[1])
		len[1]--;
	put_file(dir, "meta.snap", file[0], len[0]);
	put_file(dir, "meta.log", file[1], len[1]);
	free(file[0]);
	free(file[1]);
	char sub[256];
	snprintf(sub, sizeof sub, "%s/data", dir);
	mkdir(sub, 0700);
	if (data[2]) {
		char name[32];
		snprintf(name, sizeof name, "data/%u", data[2]);
		put_file(dir, name, "some bytes", 10);
	}
}

/* One handler call, as dispatch lays it out (see test_server_util.h). */
static long sys(struct cage *cg, uint32_t nr, const int64_t a[6],
		const char *path, size_t cap)
{
	const struct lind_syscall *row = lind_syscall_row(nr);
	struct call c;
	memset(&c, 0, sizeof c);
	c.cage = cg;
	c.nr = nr;
	memcpy(c.a, a, sizeof c.a);
	struct lind_layout l;
	(void)lind_layout(row, a, &l); /* only the directions are used */
	for (int i = 0; i < 6; i++) {
		if (l.arg[i].path && path) {
			c.in[i].ptr = path;
			c.in[i].len = strlen(path);
			path = NULL;
		} else if (l.arg[i].dir & LIND_DIR_OUT) {
			c.out[i].buf = out;
			c.out[i].cap = cap < sizeof out ? cap : sizeof out;
		}
	}
	long r = srv_handler_for(nr)(&c);
	store_flush(srv.store);
	return r;
}

#define A(...) ((const int64_t[6]){__VA_ARGS__})

/* getdents64 of the directory at path; names into names (NUL-separated) */
static size_t list_dir(struct cage *cg, const char *path, char *names,
		       size_t cap)
{
	size_t used = 0;
	long fd = sys(cg, LIND_SYS_open, A(0, O_RDONLY | O_DIRECTORY), path, 0);
	if (fd < 0)
		return 0;
	long n;
	while ((n = sys(cg, LIND_SYS_getdents64, A(fd, 0, 4096), NULL, 4096)) > 0) {
		for (long off = 0; off < n;) {
			uint16_t reclen;
			memcpy(&reclen, out + off + 16, 2);
			assert(reclen >= 20 && off + reclen <= n);
			const char *name = (const char *)out + off + 19;
			size_t l = strnlen(name, reclen - 19);
			assert(l < reclen - 19u);
			if (strcmp(name, ".") && strcmp(name, "..") &&
			    used + l + 1 < cap) {
				memcpy(names + used, name, l + 1);
				used += l + 1;
			}
			off += reclen;
		}
	}
	sys(cg, LIND_SYS_close, A(fd), NULL, 0);
	return used;
}

static void walk(struct cage *cg, const char *path, int depth, bool remove)
{
	static char names[8][8192];
	if (depth >= 8)
		return;
	char *mine = names[depth];
	size_t used = list_dir(cg, path, mine, sizeof names[depth]);
	for (size_t off = 0; off < used; off += strlen(mine + off) + 1) {
		char sub[LIND_MAX_PATH];
		snprintf(sub, sizeof sub, "%s/%s", strcmp(path, "/") ? path : "",
			 mine + off);
		long r = sys(cg, LIND_SYS_stat, A(0), sub, sizeof(struct stat));
		struct stat st;
		memcpy(&st, out, sizeof st);
		if (r < 0)
			st.st_mode = 0;
		if (r == 0 && S_ISDIR(st.st_mode))
			walk(cg, sub, depth + 1, remove);
		if (r == 0 && S_ISREG(st.st_mode)) {
			long fd = sys(cg, LIND_SYS_open, A(0, O_RDONLY), sub, 0);
			if (fd >= 0) {
				sys(cg, LIND_SYS_read, A(fd, 0, 64), NULL, 64);
				sys(cg, LIND_SYS_close, A(fd), NULL, 0);
			}
		}
		if (remove)
			sys(cg, S_ISDIR(st.st_mode) ? LIND_SYS_rmdir
						    : LIND_SYS_unlink,
			    A(0), sub, 0);
	}
}

static void each_dir_path(struct inode *in, void *arg)
{
	char buf[LIND_MAX_PATH];
	(void)arg;
	if (S_ISDIR(in->mode))
		(void)vfs_path_of(srv.vfs, in, buf, sizeof buf);
}

static void fsck(const char *dir, bool repair)
{
	FILE *null = fopen("/dev/null", "w");
	assert(null);
	struct store_check a, b;
	char why[64];
	int rc = store_check(dir, false, null, &a, why, sizeof why);
	assert(rc == 0);
	if (repair) {
		rc = store_check(dir, true, null, &a, why, sizeof why);
		assert(rc == 0 && a.repaired <= a.problems);
		rc = store_check(dir, false, null, &b, why, sizeof why);
		assert(rc == 0 && b.problems <= a.problems - a.repaired);
	}
	fclose(null);
}

static int load(const char *dir)
{
	int rc = store_open(dir, &srv.store);
	assert(rc == 0);
	srv.vfs = vfs_new(srv.store);
	assert(srv.vfs);
	return store_load(srv.store, srv.vfs);
}

static void unload(void)
{
	cage_free_all();
	store_flush(srv.store);
	vfs_free(srv.vfs);
	store_close(srv.store);
	srv.vfs = NULL;
	srv.store = NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned run;
	if (size < 3)
		return 0;
	char dir[128];
	snprintf(dir, sizeof dir, "%s/%u", base, run++);
	make_store(dir, data, size);
	fsck(dir, data[1] & 4);
	if (load(dir) == 0) {
		vfs_each(srv.vfs, each_dir_path, NULL);
		struct cage *cg = cage_new(100, 0, 0);
		assert(cg);
		walk(cg, "/", 0, data[1] & 2);
		int rc = store_snapshot(srv.store, srv.vfs);
		assert(rc == 0);
		unload();
		/* what we wrote ourselves loads, and walks, again */
		rc = load(dir);
		assert(rc == 0);
		cg = cage_new(100, 0, 0);
		walk(cg, "/", 0, false);
	}
	unload();
	fuzz_rmrf(dir);
	return 0;
}
