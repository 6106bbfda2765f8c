/*
 * The store directory (docs/architecture.md, "The server's state"):
 *   lock       flock'ed while a server owns the store
 *   FORMAT     written last when formatting: its absence means "empty"
 *   meta.snap  every inode and entry as StoreOp records (clean shutdown)
 *   meta.log   StoreOps appended since the snapshot
 *   data/<ino> a regular file's bytes (sparse)
 * Records are framed [u32 len][u32 crc32][packed StoreOp] (store_file.c,
 * shared with lind-fs's fsck); len's top bit (STORE_REC_MORE) says the
 * next record belongs to the same call: replay applies
 * a call's records all or none, stops at the first torn or corrupt record
 * and cuts the journal after the last whole call.
 * Full disks and disk errors: docs/durability.md.  The journal is kept
 * preallocated ahead of its end (fallocate KEEP_SIZE), and a call that
 * changes metadata reserves room in it first (store_reserve), so a call's
 * records never meet ENOSPC; a failed append is cut back at once; a disk
 * error turns the store read-only.
 */
#define _GNU_SOURCE /* fallocate */
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include "common.h"
#include "lind.pb-c.h"
#include "store.h"
#include "store_file.h"
#include "vfs.h"
#include "xattr.h"

/* A journal this big is folded into a fresh snapshot. */
#define LOG_COMPACT (64u << 20)
/* More than the records of any one call (a create: four records, one
 * name of at most 255 bytes). */
#define CALL_ROOM 4096u
/* Journal room only calls that free disk may use: a full store can
 * always be emptied (about 150 unlinks). */
#define FREEING_ROOM (64u << 10)
/* Preallocated at once: one fallocate per ~1000 metadata calls. */
#define PREALLOC_CHUNK (256u << 10)
/* After a failed compaction (a full disk), the journal grows this much
 * before the next try. */
#define COMPACT_RETRY (1u << 20)

struct store {
	int dirfd, datafd, lockfd, logfd;
	uint8_t *q; /* queued records */
	size_t qlen, qcap;
	size_t qlast; /* offset of the last queued record */
	uint64_t *gone; /* data files to remove once the journal says so */
	size_t ngone, gonecap;
	uint64_t logbytes; /* journal size */
	uint64_t compact;  /* snapshot when the journal grows past this */
	uint64_t compact_retry; /* and past this (after a failed one) */
	uint64_t alloc_end; /* journal preallocated up to here; UINT64_MAX
			     * when its filesystem cannot preallocate */
	bool reserved;      /* queued records are from a call that reserved */
	bool unsynced;      /* the journal or data/'s names changed since the
			     * last store_sync: it has work to do */
	int broken;         /* -errno that made the store read-only, or 0 */
	int fault[STORE_NFAULTS]; /* tests: errno to fail with */
	struct vfs *vfs;   /* what store_load filled: for compaction */
};

void store_inject(struct store *s, enum store_fault where, int err)
{
	s->fault[where] = err;
}

void store_set_compact(struct store *s, uint64_t bytes)
{
	s->compact = bytes;
}

int store_open(const char *dir, struct store **out)
{
	int r = lind_mkdirs(dir, 0700);
	if (r < 0)
		return r;
	struct store *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->datafd = s->lockfd = s->logfd = -1;
	s->compact = LOG_COMPACT;
	s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0)
		goto fail;
	s->lockfd = store_lock(s->dirfd);
	if (s->lockfd < 0) {
		errno = -s->lockfd;
		goto fail;
	}
	if (mkdirat(s->dirfd, "data", 0700) < 0 && errno != EEXIST)
		goto fail;
	s->datafd = openat(s->dirfd, "data", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->datafd < 0)
		goto fail;
	*out = s;
	return 0;
fail:
	r = -errno;
	store_close(s);
	return r;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->logfd >= 0)
		close(s->logfd);
	if (s->datafd >= 0)
		close(s->datafd);
	if (s->lockfd >= 0)
		close(s->lockfd); /* releases the flock */
	if (s->dirfd >= 0)
		close(s->dirfd);
	free(s->q);
	free(s->gone);
	free(s);
}

/* ---- queueing ------------------------------------------------------- */

static void queue_op(struct store *s, const Lind__StoreOp *op)
{
	if (!s)
		return;
	size_t n = store_rec_size(op);
	if (s->qlen + n > s->qcap) {
		size_t cap = (s->qcap ? s->qcap * 2 : 4096) + n;
		uint8_t *q = realloc(s->q, cap);
		assert(q); /* losing a record silently would corrupt the store */
		s->q = q;
		s->qcap = cap;
	}
	store_rec_frame(s->q + s->qlen, op);
	s->qlast = s->qlen;
	s->qlen += n;
}

/* The last queued record ends its group (one call, or the snapshot). */
static void seal_group(struct store *s)
{
	store_rec_seal(s->q + s->qlast);
}

static void fill_inode(Lind__StoreOp *op, const struct inode *in)
{
	op->ino = in->ino;
	op->mode = in->mode;
	op->uid = in->uid;
	op->gid = in->gid;
	op->size = in->size;
	op->nlink = in->nlink;
	op->rdev = in->rdev;
	op->atime_ns = in->atime;
	op->mtime_ns = in->mtime;
	op->ctime_ns = in->ctime;
	if (S_ISLNK(in->mode) && in->target) {
		op->target.data = (uint8_t *)in->target;
		op->target.len = in->size;
	}
}

void store_log_inode(struct store *s, const struct inode *in)
{
	if (in->proc)
		return; /* proc nodes are made, never stored (procfs.c) */
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__INODE;
	fill_inode(&op, in);
	queue_op(s, &op);
}

void store_log_link(struct store *s, uint64_t parent, const char *name,
		    uint64_t ino)
{
	Lind__StoreOp op = store_op_link(parent, name, ino);
	queue_op(s, &op);
}

void store_log_unlink(struct store *s, uint64_t parent, const char *name)
{
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__UNLINK;
	op.parent = parent;
	op.name = (char *)name;
	queue_op(s, &op);
}

void store_log_free(struct store *s, uint64_t ino)
{
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__FREE;
	op.ino = ino;
	queue_op(s, &op);
}

void store_log_xattr(struct store *s, uint64_t ino, const char *name,
		     const void *value, size_t len)
{
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = value ? LIND__STORE_OP__KIND__XATTR
			: LIND__STORE_OP__KIND__XATTR_REMOVE;
	op.ino = ino;
	op.name = (char *)name;
	op.value.data = (uint8_t *)value;
	op.value.len = value ? len : 0;
	queue_op(s, &op);
}

void store_log_next_ino(struct store *s, uint64_t next)
{
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__NEXT_INO;
	op.ino = next;
	queue_op(s, &op);
}

static void data_name(char *buf, size_t cap, uint64_t ino)
{
	snprintf(buf, cap, "%" PRIu64, ino);
}

/* ---- full disks and disk errors ------------------------------------ */

static bool space_error(int r)
{
	return r == -ENOSPC || r == -EDQUOT || r == -EFBIG;
}

static void go_read_only(struct store *s, int err, const char *what)
{
	if (!s->broken)
		lind_log(0, "store: %s: %s; the store is read-only from now on",
			 what, strerror(-err));
	s->broken = err;
}

int store_writable(const struct store *s)
{
	return s && s->broken ? -EIO : 0;
}

/* A truncate drops the preallocation past the new end. */
static void prealloc_lost(struct store *s)
{
	if (s->alloc_end != UINT64_MAX)
		s->alloc_end = s->logbytes;
}

static int prealloc(struct store *s, uint64_t len)
{
	if (s->fault[STORE_FAULT_RESERVE])
		return -s->fault[STORE_FAULT_RESERVE];
	if (fallocate(s->logfd, FALLOC_FL_KEEP_SIZE, (off_t)s->logbytes,
		      (off_t)len) < 0)
		return -errno;
	s->alloc_end = s->logbytes + len;
	return 0;
}

/* Preallocates the journal up to end at least (a chunk more if it can). */
static int reserve_more(struct store *s, uint64_t end)
{
	uint64_t need = end - s->logbytes;
	int r = prealloc(s, need + PREALLOC_CHUNK);
	if (space_error(r))
		r = prealloc(s, need); /* nearly full: what this call needs */
	if (r == -EOPNOTSUPP) {
		lind_log(0, "store: the journal's filesystem cannot preallocate:"
			    " a full disk will make the store read-only");
		s->alloc_end = UINT64_MAX;
		return 0;
	}
	if (r < 0 && !space_error(r)) {
		go_read_only(s, r, "preallocating the journal");
		return -EIO;
	}
	return r;
}

int store_reserve(struct store *s, enum store_need need)
{
	return store_reserve_bytes(s, need, 0);
}

int store_reserve_bytes(struct store *s, enum store_need need, size_t bytes)
{
	if (!s)
		return 0;
	if (s->broken)
		return -EIO;
	uint64_t end = s->logbytes + s->qlen + CALL_ROOM + bytes +
		       (need == STORE_ADDS ? FREEING_ROOM : 0);
	if (end > s->alloc_end && s->logfd >= 0) {
		int r = reserve_more(s, end);
		if (r < 0)
			return r;
	}
	s->reserved = true;
	return 0;
}

static int write_journal(struct store *s, size_t n)
{
	int err = s->fault[STORE_FAULT_WRITE];
	if (err) { /* torn, as a disk that fills up mid-write tears it */
		(void)store_write_all(s->logfd, s->q, n / 2);
		return -err;
	}
	return store_write_all(s->logfd, s->q, n);
}

static int cut_back(struct store *s)
{
	int err = s->fault[STORE_FAULT_TRUNCATE];
	int r = err ? -err
		    : ftruncate(s->logfd, (off_t)s->logbytes) < 0 ? -errno : 0;
	prealloc_lost(s);
	return r;
}

/* Appends the queued records.  A failed append is cut back to the last
 * whole record at once: replay stops at a torn record, so anything
 * appended after one would be lost. */
static int journal_append(struct store *s)
{
	bool reserved = s->reserved;
	size_t n = s->qlen;
	s->reserved = false;
	s->qlen = 0;
	if (!n || s->logfd < 0)
		return 0;
	/* Read-only, the tail may be torn: append nothing more.  Only frees
	 * get here (reserving calls failed first); dropping them is safe, as
	 * below. */
	if (s->broken)
		return 0;
	seal_group(s);
	int r = write_journal(s, n);
	s->unsynced = true; /* even a failed write may have reached the file */
	if (r == 0) {
		s->logbytes += n;
		return 0;
	}
	int cut = cut_back(s);
	if (cut < 0) {
		go_read_only(s, cut, "cutting back a failed journal write");
	} else if (reserved || !space_error(r)) {
		/* memory now holds a change the journal lacks */
		go_read_only(s, r, "journal write");
	} else {
		/* Only FREE records of inodes whose nlink 0 is journaled
		 * (closes, cages gone): replay frees those anyway. */
		lind_log(0, "store: journal full, %zu bytes of frees dropped", n);
		return 0;
	}
	return r;
}

/* Data files of freed inodes go once the journal says so.  Read-only,
 * the journal may lack it: they stay for the next load to sweep. */
static void remove_gone(struct store *s)
{
	for (size_t i = 0; i < s->ngone && !s->broken; i++) {
		char name[32];
		data_name(name, sizeof name, s->gone[i]);
		unlinkat(s->datafd, name, 0);
		s->unsynced = true;
	}
	s->ngone = 0;
}

int store_flush(struct store *s)
{
	if (!s)
		return 0;
	int r = journal_append(s);
	remove_gone(s);
	if (r == 0 && s->vfs && s->logbytes > s->compact &&
	    s->logbytes > s->compact_retry) {
		/* The journal holds the call's records: a failed compaction
		 * is not the call's failure. */
		int c = store_snapshot(s, s->vfs);
		if (c < 0) {
			lind_log(0, "store: compaction failed: %s", strerror(-c));
			s->compact_retry = s->logbytes + COMPACT_RETRY;
		}
	}
	return r;
}

int store_sync(struct store *s)
{
	if (!s || s->logfd < 0)
		return 0;
	if (s->broken)
		return -EIO;
	/* data/ too: a new data file's name must survive a power loss.
	 * Nothing changed since the last sync (a database fsyncing its file
	 * again): the file's own fsync was all there was to do. */
	int err = s->fault[STORE_FAULT_SYNC];
	if (!err && !s->unsynced)
		return 0;
	s->unsynced = false;
	int r = err ? -err : fdatasync(s->logfd) < 0 ? -errno : 0;
	if (r == 0 && fsync(s->datafd) < 0)
		r = -errno;
	/* After a failed fsync the kernel may have dropped the dirty pages:
	 * the journal on disk can have a hole, trust nothing more to it. */
	if (r < 0)
		go_read_only(s, r, "journal fsync");
	return r;
}

/* ---- data files ----------------------------------------------------- */

int store_data_open(struct store *s, uint64_t ino)
{
	if (!s)
		return -EIO;
	char name[32];
	data_name(name, sizeof name, ino);
	int fd = openat(s->datafd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	s->unsynced = true; /* it may be a new name in data/ */
	return fd < 0 ? -errno : fd;
}

int store_statfs(struct store *s, struct statfs *sf)
{
	if (!s)
		return -EIO;
	return fstatfs(s->dirfd, sf) < 0 ? -errno : 0;
}

int store_data_set_mtime(struct store *s, uint64_t ino, int64_t mtime_ns)
{
	if (!s)
		return 0;
	char name[32];
	data_name(name, sizeof name, ino);
	struct timespec ts[2] = {{0, UTIME_OMIT},
				 {mtime_ns / 1000000000, mtime_ns % 1000000000}};
	if (ts[1].tv_nsec < 0) { /* before 1970 */
		ts[1].tv_sec--;
		ts[1].tv_nsec += 1000000000;
	}
	if (utimensat(s->datafd, name, ts, 0) < 0 && errno != ENOENT)
		return -errno;
	return 0;
}

void store_data_remove(struct store *s, uint64_t ino)
{
	if (!s)
		return;
	if (s->ngone == s->gonecap) {
		size_t cap = s->gonecap ? s->gonecap * 2 : 16;
		uint64_t *g = realloc(s->gone, cap * sizeof *g);
		if (!g)
			return; /* an orphan data file; removed at next load */
		s->gone = g;
		s->gonecap = cap;
	}
	s->gone[s->ngone++] = ino;
}

/* ---- replay --------------------------------------------------------- */

/* A symlink's target (up to a NUL a damaged record may hold). */
static void apply_target(struct inode *in, const Lind__StoreOp *op)
{
	if (!S_ISLNK(op->mode)) {
		free(in->target);
		in->target = NULL;
		return;
	}
	const char *t = (const char *)op->target.data;
	size_t n = t ? strnlen(t, op->target.len) : 0;
	if (vfs_set_target(in, t ? t : "", n) < 0)
		in->size = 0; /* no memory: readlink answers "" */
}

static void apply(const Lind__StoreOp *op, void *arg)
{
	struct vfs *v = arg;
	struct inode *in, *dir;
	switch (op->kind) {
	case LIND__STORE_OP__KIND__INODE:
	case LIND__STORE_OP__KIND__SETATTR:
		in = vfs_insert(v, op->ino);
		if (!in)
			return;
		in->mode = op->mode;
		in->uid = op->uid;
		in->gid = op->gid;
		in->size = op->size;
		in->nlink = op->nlink;
		in->rdev = op->rdev;
		in->atime = op->atime_ns;
		in->mtime = op->mtime_ns;
		in->ctime = op->ctime_ns;
		apply_target(in, op);
		break;
	case LIND__STORE_OP__KIND__LINK:
		dir = vfs_get(v, op->parent);
		if (!dir || !S_ISDIR(dir->mode))
			return;
		vfs_dir_del(dir, op->name); /* replace, like a rename would */
		vfs_dir_add(dir, op->name, op->ino);
		in = vfs_get(v, op->ino);
		if (in && S_ISDIR(in->mode))
			in->parent = op->parent;
		break;
	case LIND__STORE_OP__KIND__UNLINK:
		dir = vfs_get(v, op->parent);
		if (dir && S_ISDIR(dir->mode))
			vfs_dir_del(dir, op->name);
		break;
	case LIND__STORE_OP__KIND__FREE:
		in = vfs_get(v, op->ino);
		if (in)
			vfs_remove(v, in);
		break;
	case LIND__STORE_OP__KIND__NEXT_INO:
		vfs_set_next_ino(v, op->ino);
		break;
	case LIND__STORE_OP__KIND__XATTR:
	case LIND__STORE_OP__KIND__XATTR_REMOVE:
		in = vfs_get(v, op->ino);
		if (!in || !op->name || !*op->name)
			return;
		if (op->kind == LIND__STORE_OP__KIND__XATTR)
			(void)xattr_set(in, op->name, op->value.data,
					op->value.len, 0);
		else
			(void)xattr_remove(in, op->name);
		break;
	default:
		break;
	}
}

/* Link counts are derived from the entries, not taken from the records: a
 * count below the truth (a damaged journal) let rmdir take the root's to
 * 0, and the snapshot then left the root out (fuzz_store found it). */
static void nlink_clear(struct inode *in, void *arg)
{
	(void)arg;
	in->nlink = 0;
}

static void nlink_count(struct inode *in, void *arg)
{
	if (!S_ISDIR(in->mode))
		return;
	for (struct dentry *e = vfs_dir_next(in, 0); e;
	     e = vfs_dir_next(in, e->cookie)) {
		struct inode *child = vfs_get(arg, e->ino);
		if (!child)
			continue;
		child->nlink++;
		if (!S_ISDIR(child->mode))
			continue;
		in->nlink++; /* the child's ".." */
		if (child->parent == in->ino)
			child->nlink++; /* its "." (a directory never named
					 * from its parent keeps none) */
	}
}

/* The root's "." and its own name. */
static void nlink_root(struct vfs *v)
{
	struct inode *root = vfs_root(v);
	if (root && S_ISDIR(root->mode))
		root->nlink += 2;
}

static void fixup(struct inode *in, void *arg)
{
	struct store *s = ((void **)arg)[0];
	struct vfs *v = ((void **)arg)[1];
	if (in->nlink == 0) { /* unlinked while open when we stopped */
		char name[32];
		data_name(name, sizeof name, in->ino);
		unlinkat(s->datafd, name, 0);
		vfs_remove(v, in);
		return;
	}
	if (!S_ISREG(in->mode))
		return;
	/* Writes are not journaled: the data file knows size and mtime. */
	char name[32];
	struct stat st;
	data_name(name, sizeof name, in->ino);
	if (fstatat(s->datafd, name, &st, 0) < 0) {
		in->size = 0;
		return;
	}
	in->size = (uint64_t)st.st_size;
	int64_t mtime = (int64_t)st.st_mtim.tv_sec * 1000000000 +
			st.st_mtim.tv_nsec;
	if (mtime > in->mtime)
		in->mtime = mtime;
}

static void recount(struct inode *in, void *v)
{
	vfs_charge(v, in);
}

/* Remove data files no inode owns (freed while we were killed). */
static void sweep_orphans(struct store *s, struct vfs *v)
{
	int fd = dup(s->datafd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	rewinddir(d);
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		uint64_t ino = strtoull(e->d_name, &end, 10);
		if (*end || e->d_name[0] == '.')
			continue;
		struct inode *in = vfs_get(v, ino);
		if (!in || !S_ISREG(in->mode))
			unlinkat(s->datafd, e->d_name, 0);
	}
	closedir(d);
}

/* A half-formatted store has no FORMAT: start it over. */
static int format(struct store *s)
{
	unlinkat(s->dirfd, "meta.log", 0);
	unlinkat(s->dirfd, "meta.snap", 0);
	return store_format_dir(s->dirfd, getuid(), getgid());
}

static int open_log(struct store *s)
{
	s->logfd = openat(s->dirfd, "meta.log",
			  O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	return s->logfd < 0 ? -errno : 0;
}

int store_load(struct store *s, struct vfs *v)
{
	char found[64];
	int r = store_format_read(s->dirfd, found, sizeof found);
	if (r == -ENOENT)
		r = format(s);
	else if (r == 1) /* format 1: read the same, marked 2 */
		r = store_format_write(s->dirfd);
	if (r == -EPROTO)
		lind_log(0, "store: format \"%s\" is not one this server reads"
			    " (\"%.*s\" and older)", found,
			 (int)strlen(STORE_FORMAT_TEXT) - 1, STORE_FORMAT_TEXT);
	if (r < 0)
		return r; /* -EPROTO: a store from another version */
	uint8_t *buf;
	size_t len;
	if ((r = store_slurp(s->dirfd, "meta.snap", &buf, &len)) < 0)
		return r;
	store_replay(buf, len, apply, v);
	free(buf);
	if ((r = store_slurp(s->dirfd, "meta.log", &buf, &len)) < 0)
		return r;
	size_t good = store_replay(buf, len, apply, v);
	free(buf);
	if ((r = open_log(s)) < 0)
		return r;
	s->logbytes = s->alloc_end = good;
	s->vfs = v;
	if (good < len) {
		lind_log(0, "store: journal cut at byte %zu of %zu (torn record)",
			 good, len);
		if (ftruncate(s->logfd, (off_t)good) < 0)
			return -errno;
	}
	vfs_each(v, nlink_clear, NULL);
	vfs_each(v, nlink_count, v);
	nlink_root(v);
	void *arg[2] = {s, v};
	vfs_each(v, fixup, arg);
	vfs_each(v, recount, v); /* the quota's usage, from the sizes */
	sweep_orphans(s, v);
	/* every walk starts at a directory root (fuzz_store gave it a file) */
	struct inode *root = vfs_root(v);
	return root && S_ISDIR(root->mode) ? 0 : -EUCLEAN;
}

/* ---- snapshot ------------------------------------------------------- */

struct snap_xattr {
	struct store *s;
	uint64_t ino;
};

static void snap_one_xattr(const struct xattr *x, void *arg)
{
	struct snap_xattr *sx = arg;
	store_log_xattr(sx->s, sx->ino, x->name, x->value, x->len);
}

static void snap_inode(struct inode *in, void *arg)
{
	if (in->nlink == 0)
		return;
	store_log_inode(arg, in);
	struct snap_xattr sx = {arg, in->ino};
	xattr_each(in, snap_one_xattr, &sx);
}

static void snap_links(struct inode *in, void *arg)
{
	if (in->nlink == 0 || !S_ISDIR(in->mode))
		return;
	for (struct dentry *e = vfs_dir_next(in, 0); e;
	     e = vfs_dir_next(in, e->cookie))
		store_log_link(arg, in->ino, e->name, e->ino);
}

int store_snapshot(struct store *s, struct vfs *v)
{
	/* Read-only, memory may hold what the journal lacks: the next load
	 * replays the journal as written. */
	if (s->broken)
		return -EIO;
	int r = journal_append(s);
	remove_gone(s);
	if (r < 0)
		return r;
	vfs_each(v, snap_inode, s);
	vfs_each(v, snap_links, s);
	store_log_next_ino(s, vfs_next_ino(v));
	seal_group(s);
	r = store_install(s->dirfd, "meta.snap", s->q, s->qlen);
	s->qlen = 0;
	if (r < 0)
		return r;
	if (fsync(s->dirfd) < 0)
		r = -errno;
	/* The snapshot holds everything: the journal starts over.  Records
	 * left in it (a failed truncate) replay over the snapshot to the
	 * same state. */
	if (r == 0 && s->logfd >= 0 && ftruncate(s->logfd, 0) < 0)
		r = -errno;
	if (r < 0) {
		go_read_only(s, r, "snapshot");
		return r;
	}
	s->logbytes = 0;
	s->compact_retry = 0;
	prealloc_lost(s);
	/* At once, from the space just freed: the room kept for unlinks
	 * must outlive a compaction or a clean restart on a full disk. */
	if (s->logfd >= 0 && s->alloc_end != UINT64_MAX)
		(void)reserve_more(s, CALL_ROOM + FREEING_ROOM);
	return 0;
}
