/* Inode table (chained hash by number), directory entries, references,
 * permissions and stat. */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "bind.h"
#include "limit.h"
#include "procfs.h"
#include "store.h"
#include "vfs.h"
#include "xattr.h"

struct vfs {
	struct inode **bucket;
	size_t nbuckets, count;
	uint64_t next_ino;
	struct store *store;
	struct inode *lru_head, *lru_tail; /* inodes with a data_fd */
	size_t nfds;
	uint64_t data_bytes; /* every inode's charged (the quota's) */
};

static uint64_t sip_key[2]; /* the directories' hash key (vfs_new) */

int64_t vfs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define RELATIME_AGE (24 * 3600 * 1000000000LL) /* Linux's: one day */

bool vfs_atime_due(const struct inode *in, int64_t now)
{
	if (in->mtime >= in->atime || in->ctime >= in->atime ||
	    now - in->atime >= RELATIME_AGE)
		return now != in->atime;
	return false;
}

void vfs_accessed(struct vfs *v, struct inode *in)
{
	if (in->host || in->proc)
		return; /* a bind is read-only; /proc is made, never kept */
	int64_t now = vfs_now();
	if (!vfs_atime_due(in, now))
		return;
	/* no room in the journal (or a read-only store): atime stays, as
	 * touch_atime skips a mount it may not write */
	if (store_reserve(v->store, STORE_ADDS) < 0)
		return;
	in->atime = now;
	store_log_inode(v->store, in);
}

struct vfs *vfs_new(struct store *st)
{
	struct vfs *v = calloc(1, sizeof *v);
	if (!v)
		return NULL;
	v->nbuckets = 256;
	v->bucket = calloc(v->nbuckets, sizeof *v->bucket);
	if (!v->bucket) {
		free(v);
		return NULL;
	}
	v->next_ino = VFS_ROOT_INO;
	v->store = st;
	if (!sip_key[0] && !sip_key[1] &&
	    getrandom(sip_key, sizeof sip_key, 0) != sizeof sip_key)
		sip_key[0] = (uint64_t)vfs_now(); /* no entropy: still varies */
	return v;
}

static void inode_destroy(struct vfs *v, struct inode *in)
{
	for (size_t i = 0; i < in->nslots; i++)
		free(in->ents[i].name);
	free(in->ents);
	free(in->idx);
	free(in->target);
	xattr_free(in);
	vfs_data_close(v, in);
	free(in);
}

void vfs_free(struct vfs *v)
{
	if (!v)
		return;
	for (size_t b = 0; b < v->nbuckets; b++) {
		struct inode *in = v->bucket[b], *next;
		for (; in; in = next) {
			next = in->hnext;
			inode_destroy(v, in);
		}
	}
	free(v->bucket);
	free(v);
}

struct store *vfs_store(struct vfs *v)
{
	return v->store;
}

struct inode *vfs_get(struct vfs *v, uint64_t ino)
{
	for (struct inode *in = v->bucket[ino % v->nbuckets]; in;
	     in = in->hnext)
		if (in->ino == ino)
			return in;
	return NULL;
}

struct inode *vfs_root(struct vfs *v)
{
	return vfs_get(v, VFS_ROOT_INO);
}

static void rehash(struct vfs *v)
{
	size_t n = v->nbuckets * 2;
	struct inode **b = calloc(n, sizeof *b);
	if (!b)
		return; /* keep the old table: slower, still correct */
	for (size_t i = 0; i < v->nbuckets; i++) {
		struct inode *in = v->bucket[i], *next;
		for (; in; in = next) {
			next = in->hnext;
			in->hnext = b[in->ino % n];
			b[in->ino % n] = in;
		}
	}
	free(v->bucket);
	v->bucket = b;
	v->nbuckets = n;
}

struct inode *vfs_insert(struct vfs *v, uint64_t ino)
{
	struct inode *in = vfs_get(v, ino);
	if (in)
		return in;
	in = calloc(1, sizeof *in);
	if (!in)
		return NULL;
	in->ino = ino;
	in->data_fd = -1;
	in->parent = ino;
	in->next_cookie = VFS_COOKIE_FIRST;
	if (v->count + 1 > v->nbuckets * 2)
		rehash(v);
	in->hnext = v->bucket[ino % v->nbuckets];
	v->bucket[ino % v->nbuckets] = in;
	v->count++;
	if (ino >= v->next_ino)
		v->next_ino = ino + 1;
	return in;
}

struct inode *vfs_alloc(struct vfs *v, uint32_t mode, uint32_t uid,
			uint32_t gid, uint64_t rdev)
{
	uint64_t ino = v->next_ino;
	struct inode *in = vfs_insert(v, ino);
	if (!in)
		return NULL;
	in->mode = mode;
	in->uid = uid;
	in->gid = gid;
	in->rdev = rdev;
	in->atime = in->mtime = in->ctime = vfs_now();
	store_log_next_ino(v->store, v->next_ino);
	return in;
}

void vfs_remove(struct vfs *v, struct inode *in)
{
	struct inode **pp = &v->bucket[in->ino % v->nbuckets];
	while (*pp && *pp != in)
		pp = &(*pp)->hnext;
	assert(*pp == in);
	*pp = in->hnext;
	v->count--;
	v->data_bytes -= in->charged;
	inode_destroy(v, in);
}

size_t vfs_inodes(const struct vfs *v)
{
	return v->count;
}

uint64_t vfs_next_ino(struct vfs *v)
{
	return v->next_ino;
}

void vfs_set_next_ino(struct vfs *v, uint64_t next)
{
	if (next > v->next_ino)
		v->next_ino = next;
}

void vfs_each(struct vfs *v, void (*fn)(struct inode *, void *), void *arg)
{
	for (size_t b = 0; b < v->nbuckets; b++) {
		struct inode *in = v->bucket[b], *next;
		for (; in; in = next) {
			next = in->hnext; /* fn may remove in */
			fn(in, arg);
		}
	}
}

/* ---- the quota ------------------------------------------------------
 * Counted from sizes, not the host's allocation: a sparse file's holes
 * count, so the usage is the same on any host filesystem and after a
 * restart, where vfs_charge recounts every inode. */

static uint64_t data_cost(const struct inode *in)
{
	if (S_ISLNK(in->mode))
		return in->size;
	if (!S_ISREG(in->mode))
		return 0;
	uint64_t blocks = in->size / VFS_BLOCK + (in->size % VFS_BLOCK != 0);
	return blocks * VFS_BLOCK;
}

uint64_t vfs_usage(const struct vfs *v)
{
	return v->count * (uint64_t)VFS_INODE_COST + v->data_bytes +
	       xattr_total();
}

void vfs_charge(struct vfs *v, struct inode *in)
{
	uint64_t now = data_cost(in);
	v->data_bytes = v->data_bytes - in->charged + now;
	in->charged = now;
}

int vfs_room(const struct vfs *v, uint64_t bytes)
{
	uint64_t max = srv_limits.max_size, used = vfs_usage(v);
	return !max || (used <= max && bytes <= max - used) ? 0 : -EDQUOT;
}

uint64_t vfs_room_size(const struct vfs *v, const struct inode *in)
{
	uint64_t max = srv_limits.max_size;
	uint64_t others = vfs_usage(v) - in->charged;
	if (!max)
		return UINT64_MAX;
	uint64_t room = others < max ? (max - others) / VFS_BLOCK * VFS_BLOCK
				     : 0;
	return room > in->size ? room : in->size;
}

/* ---- directory entries ----------------------------------------------
 * Slots keep cookie order (appends only), so getdents resumes by binary
 * search on the cookie.  A removal leaves a tombstone (name NULL) and the
 * slots are compacted once tombstones outnumber live entries; the index
 * maps a name to its slot and is rebuilt on compaction or when too full.
 * Every operation is O(1) amortized (lookups expected O(1)). */

#define DIR_SCAN_MAX 8      /* up to this many slots, no index */
#define IDX_FREE 0u
#define IDX_GONE UINT32_MAX /* a removed entry's index cell */

/* SipHash-1-3 with a key drawn at startup: a cage that picks its names
 * cannot pile them onto one probe chain (which would make its directory
 * quadratic again and stall the single-threaded server). */
#define ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND(v0, v1, v2, v3)                                              \
	do {                                                                  \
		v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);     \
		v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;                        \
		v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;                        \
		v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);     \
	} while (0)

static uint32_t name_hash(const char *s)
{
	size_t total = strlen(s), len = total;
	uint64_t v0 = sip_key[0] ^ 0x736f6d6570736575ull,
		 v1 = sip_key[1] ^ 0x646f72616e646f6dull,
		 v2 = sip_key[0] ^ 0x6c7967656e657261ull,
		 v3 = sip_key[1] ^ 0x7465646279746573ull, m;
	for (; len >= 8; len -= 8, s += 8) {
		memcpy(&m, s, 8);
		v3 ^= m;
		SIPROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	m = 0; /* what is left, and the length */
	memcpy(&m, s, len);
	m |= (uint64_t)(total & 0xff) << 56;
	v3 ^= m;
	SIPROUND(v0, v1, v2, v3);
	v0 ^= m;
	v2 ^= 0xff;
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	SIPROUND(v0, v1, v2, v3);
	uint64_t h = v0 ^ v1 ^ v2 ^ v3;
	return (uint32_t)(h ^ (h >> 32));
}

/* Index cell holding name's slot, or the free cell ending its probe. */
static size_t idx_probe(const struct inode *dir, const char *name,
			uint32_t h)
{
	size_t mask = dir->idxcap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		uint32_t s = dir->idx[i];
		if (s == IDX_FREE)
			return i;
		if (s != IDX_GONE) {
			const struct dentry *e = &dir->ents[s - 1];
			if (e->hash == h && strcmp(e->name, name) == 0)
				return i;
		}
	}
}

static void idx_put(struct inode *dir, size_t slot)
{
	size_t mask = dir->idxcap - 1, i = dir->ents[slot].hash & mask;
	while (dir->idx[i] != IDX_FREE)
		i = (i + 1) & mask;
	dir->idx[i] = (uint32_t)slot + 1;
	dir->idxused++;
}

/* A fresh index for the slots (none while they are few), at most a
 * quarter full so that many adds pass before the next rebuild. */
static int idx_rebuild(struct inode *dir, size_t want)
{
	if (want <= DIR_SCAN_MAX) {
		free(dir->idx);
		dir->idx = NULL;
		dir->idxcap = dir->idxused = 0;
		return 0;
	}
	size_t cap = 16;
	while (cap < 4 * want)
		cap *= 2;
	uint32_t *idx = calloc(cap, sizeof *idx);
	if (!idx)
		return -ENOMEM;
	free(dir->idx);
	dir->idx = idx;
	dir->idxcap = cap;
	dir->idxused = 0;
	for (size_t i = 0; i < dir->nslots; i++)
		if (dir->ents[i].name)
			idx_put(dir, i);
	return 0;
}

struct dentry *vfs_lookup(struct inode *dir, const char *name)
{
	if (!dir->idx) {
		for (size_t i = 0; i < dir->nslots; i++)
			if (dir->ents[i].name && strcmp(dir->ents[i].name, name) == 0)
				return &dir->ents[i];
		return NULL;
	}
	uint32_t s = dir->idx[idx_probe(dir, name, name_hash(name))];
	return s == IDX_FREE ? NULL : &dir->ents[s - 1];
}

int vfs_dir_add(struct inode *dir, const char *name, uint64_t ino)
{
	assert(S_ISDIR(dir->mode));
	if (vfs_lookup(dir, name))
		return -EEXIST;
	if (dir->nslots >= UINT32_MAX - 1)
		return -ENOSPC; /* slot numbers are 32-bit in the index */
	if (dir->nslots == dir->cap) {
		size_t cap = dir->cap ? dir->cap * 2 : 8;
		struct dentry *e = realloc(dir->ents, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		dir->ents = e;
		dir->cap = cap;
	}
	/* Room in the index before anything changes: at most half full. */
	if (dir->nslots + 1 > DIR_SCAN_MAX &&
	    (!dir->idx || 2 * (dir->idxused + 1) > dir->idxcap)) {
		int r = idx_rebuild(dir, dir->nslots + 1);
		if (r < 0)
			return r;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	/* Appending keeps entries sorted by cookie. */
	size_t slot = dir->nslots++;
	dir->ents[slot] = (struct dentry){copy, ino, dir->next_cookie++,
					  name_hash(name)};
	dir->nents++;
	if (dir->idx)
		idx_put(dir, slot);
	return 0;
}

/* Drops the tombstones once they outnumber the live entries. */
static void dir_compact(struct inode *dir)
{
	size_t n = 0;
	for (size_t i = 0; i < dir->nslots; i++)
		if (dir->ents[i].name)
			dir->ents[n++] = dir->ents[i];
	dir->nslots = n;
	assert(n == dir->nents);
	if (idx_rebuild(dir, n) < 0) {
		/* no memory for a new index: scan until the next rebuild */
		free(dir->idx);
		dir->idx = NULL;
		dir->idxcap = dir->idxused = 0;
	}
}

int vfs_dir_del(struct inode *dir, const char *name)
{
	struct dentry *e;
	if (dir->idx) {
		size_t cell = idx_probe(dir, name, name_hash(name));
		if (dir->idx[cell] == IDX_FREE)
			return -ENOENT;
		e = &dir->ents[dir->idx[cell] - 1];
		dir->idx[cell] = IDX_GONE; /* still counted in idxused */
	} else if (!(e = vfs_lookup(dir, name))) {
		return -ENOENT;
	}
	free(e->name);
	e->name = NULL; /* the cookie stays: getdents searches by it */
	dir->nents--;
	if (dir->nslots - dir->nents > dir->nents &&
	    dir->nslots > DIR_SCAN_MAX)
		dir_compact(dir);
	return 0;
}

struct dentry *vfs_dir_next(struct inode *dir, uint64_t after)
{
	/* Slots are sorted by cookie: binary search the first > after,
	 * then pass tombstones. */
	size_t lo = 0, hi = dir->nslots;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (dir->ents[mid].cookie <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	while (lo < dir->nslots && !dir->ents[lo].name)
		lo++;
	return lo < dir->nslots ? &dir->ents[lo] : NULL;
}

const char *vfs_dir_name_of(struct inode *dir, uint64_t ino)
{
	for (size_t i = 0; i < dir->nslots; i++)
		if (dir->ents[i].name && dir->ents[i].ino == ino)
			return dir->ents[i].name;
	return NULL;
}

/* ---- data file fds: a bounded LRU cache ----------------------------- */

static void lru_unlink(struct vfs *v, struct inode *in)
{
	if (in->lru_prev)
		in->lru_prev->lru_next = in->lru_next;
	else
		v->lru_head = in->lru_next;
	if (in->lru_next)
		in->lru_next->lru_prev = in->lru_prev;
	else
		v->lru_tail = in->lru_prev;
	in->lru_prev = in->lru_next = NULL;
}

static void lru_push(struct vfs *v, struct inode *in)
{
	in->lru_prev = NULL;
	in->lru_next = v->lru_head;
	if (v->lru_head)
		v->lru_head->lru_prev = in;
	else
		v->lru_tail = in;
	v->lru_head = in;
}

void vfs_data_close(struct vfs *v, struct inode *in)
{
	if (in->data_fd < 0)
		return;
	lru_unlink(v, in);
	close(in->data_fd);
	in->data_fd = -1;
	v->nfds--;
}

static bool evict_oldest(struct vfs *v)
{
	if (!v->lru_tail)
		return false;
	vfs_data_close(v, v->lru_tail);
	return true;
}

bool vfs_data_evict(struct vfs *v)
{
	return evict_oldest(v);
}

void vfs_data_cache(struct vfs *v, struct inode *in, int fd)
{
	assert(in->data_fd < 0);
	while (v->nfds >= srv_limits.host_fds && evict_oldest(v))
		;
	in->data_fd = fd;
	v->nfds++;
	lru_push(v, in);
}

long vfs_data_fd(struct vfs *v, struct inode *in)
{
	if (in->proc)
		return -EINVAL; /* contents in memory (procfs_read); as Linux
				 * answers a write or fsync of a proc file */
	if (in->data_fd >= 0) {
		if (v->lru_head != in) { /* pointer moves only: the hot path */
			lru_unlink(v, in);
			lru_push(v, in);
		}
		return in->data_fd;
	}
	if (in->host)
		return bind_open(v, in); /* through its bind's root fd */
	while (v->nfds >= srv_limits.host_fds && evict_oldest(v))
		;
	int fd;
	/* The host may run out first (fds held elsewhere): give up ours. */
	while ((fd = store_data_open(v->store, in->ino)) == -EMFILE ||
	       fd == -ENFILE)
		if (!evict_oldest(v))
			return -ENFILE;
	if (fd < 0)
		return fd;
	in->data_fd = fd;
	v->nfds++;
	lru_push(v, in);
	return fd;
}

size_t vfs_data_fds(const struct vfs *v)
{
	return v->nfds;
}

void vfs_ref(struct inode *in)
{
	in->refs++;
}

void vfs_maybe_free(struct vfs *v, struct inode *in)
{
	if (in->host) {
		bind_release(v, in); /* host nodes live while used */
		return;
	}
	if (in->proc) {
		procfs_release(in); /* so do proc nodes */
		return;
	}
	if (in->nlink > 0 || in->refs > 0)
		return;
	assert(in->opens == 0);
	store_log_free(v->store, in->ino);
	if (S_ISREG(in->mode))
		store_data_remove(v->store, in->ino);
	vfs_remove(v, in);
}

void vfs_unref(struct vfs *v, struct inode *in)
{
	assert(in->refs > 0);
	in->refs--;
	vfs_maybe_free(v, in);
}

int vfs_permission(const struct cred *cr, const struct inode *in, int want)
{
	unsigned bits = in->mode & 7;
	if (cr->fsuid == in->uid)
		bits = (in->mode >> 6) & 7;
	else if (cred_in_group(cr, in->gid))
		bits = (in->mode >> 3) & 7;
	if (!((unsigned)want & ~bits))
		return 0;
	/* CAP_DAC_OVERRIDE: rw always; x if a directory or any x bit is set */
	if (cred_fs_capable(cr) &&
	    (!(want & X_OK) || S_ISDIR(in->mode) || (in->mode & 0111)))
		return 0;
	return -EACCES;
}

static struct timespec ts_of(int64_t ns)
{
	return (struct timespec){ns / 1000000000, ns % 1000000000};
}

void vfs_stat(const struct inode *in, struct stat *st)
{
	if (in->host) {
		bind_stat(in, st);
		return;
	}
	if (in->proc) {
		procfs_stat(in, st);
		return;
	}
	memset(st, 0, sizeof *st);
	st->st_dev = VFS_DEV;
	st->st_ino = in->ino;
	st->st_mode = in->mode;
	st->st_nlink = in->nlink;
	st->st_uid = in->uid;
	st->st_gid = in->gid;
	st->st_rdev = in->rdev;
	st->st_size = S_ISDIR(in->mode) ? 4096 : (off_t)in->size;
	st->st_blksize = 4096;
	/* a link's target is kept in the journal, not in blocks */
	st->st_blocks = S_ISLNK(in->mode) ? 0 : (st->st_size + 511) / 512;
	st->st_atim = ts_of(in->atime);
	st->st_mtim = ts_of(in->mtime);
	st->st_ctim = ts_of(in->ctime);
}

int vfs_dir_replace(struct inode *dir, const char *name, uint64_t ino)
{
	struct dentry *e = vfs_lookup(dir, name);
	if (!e)
		return -ENOENT;
	e->ino = ino; /* same slot, cookie and hash: nothing to allocate */
	return 0;
}
