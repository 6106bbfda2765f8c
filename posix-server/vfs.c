/* Inode table (chained hash by number), directory entries, references,
 * permissions and stat. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "vfs.h"

struct vfs {
	struct inode **bucket;
	size_t nbuckets, count;
	uint64_t next_ino;
	struct store *store;
};

int64_t vfs_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
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
	return v;
}

static void inode_destroy(struct inode *in)
{
	for (size_t i = 0; i < in->nents; i++)
		free(in->ents[i].name);
	free(in->ents);
	if (in->data_fd >= 0)
		close(in->data_fd);
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
			inode_destroy(in);
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
	inode_destroy(in);
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

struct dentry *vfs_lookup(struct inode *dir, const char *name)
{
	for (size_t i = 0; i < dir->nents; i++)
		if (strcmp(dir->ents[i].name, name) == 0)
			return &dir->ents[i];
	return NULL;
}

int vfs_dir_add(struct inode *dir, const char *name, uint64_t ino)
{
	assert(S_ISDIR(dir->mode));
	if (vfs_lookup(dir, name))
		return -EEXIST;
	if (dir->nents == dir->cap) {
		size_t cap = dir->cap ? dir->cap * 2 : 8;
		struct dentry *e = realloc(dir->ents, cap * sizeof *e);
		if (!e)
			return -ENOMEM;
		dir->ents = e;
		dir->cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return -ENOMEM;
	/* Appending keeps entries sorted by cookie. */
	dir->ents[dir->nents++] = (struct dentry){copy, ino, dir->next_cookie++};
	return 0;
}

int vfs_dir_del(struct inode *dir, const char *name)
{
	struct dentry *e = vfs_lookup(dir, name);
	if (!e)
		return -ENOENT;
	size_t i = (size_t)(e - dir->ents);
	free(e->name);
	memmove(&dir->ents[i], &dir->ents[i + 1],
		(dir->nents - i - 1) * sizeof *e);
	dir->nents--;
	return 0;
}

struct dentry *vfs_dir_next(struct inode *dir, uint64_t after)
{
	/* Entries are sorted by cookie: binary search the first > after. */
	size_t lo = 0, hi = dir->nents;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (dir->ents[mid].cookie <= after)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < dir->nents ? &dir->ents[lo] : NULL;
}

const char *vfs_dir_name_of(struct inode *dir, uint64_t ino)
{
	for (size_t i = 0; i < dir->nents; i++)
		if (dir->ents[i].ino == ino)
			return dir->ents[i].name;
	return NULL;
}

void vfs_ref(struct inode *in)
{
	in->refs++;
}

void vfs_maybe_free(struct vfs *v, struct inode *in)
{
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
	unsigned bits;
	if (cr->uid == 0) {
		/* root: rw always; x if a directory or any x bit is set */
		if (!(want & X_OK) || S_ISDIR(in->mode) || (in->mode & 0111))
			return 0;
		return -EACCES;
	}
	if (cr->uid == in->uid)
		bits = (in->mode >> 6) & 7;
	else if (cr->gid == in->gid)
		bits = (in->mode >> 3) & 7;
	else
		bits = in->mode & 7;
	return ((unsigned)want & ~bits) ? -EACCES : 0;
}

static struct timespec ts_of(int64_t ns)
{
	return (struct timespec){ns / 1000000000, ns % 1000000000};
}

void vfs_stat(const struct inode *in, struct stat *st)
{
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
	st->st_blocks = (st->st_size + 511) / 512;
	st->st_atim = ts_of(in->atime);
	st->st_mtim = ts_of(in->mtime);
	st->st_ctim = ts_of(in->ctime);
}
