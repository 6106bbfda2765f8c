/* The virtual filesystem: inodes, directories with stable cookies, path
 * resolution (path.c) and permission checks.  Persistence is store.c's. */
#ifndef SRV_VFS_H
#define SRV_VFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

#include "cred.h"

#define VFS_NAME_MAX 255
#define VFS_ROOT_INO 1
#define VFS_DEV 0x4c49 /* st_dev of every virtual file */

/* Cookies 1 and 2 are "." and ".."; real entries start at 3. */
#define VFS_COOKIE_FIRST 3

struct dentry {
	char *name;      /* NULL: a removed entry (tombstone), see vfs.c */
	uint64_t ino;
	uint64_t cookie; /* getdents offset: grows, never reused in a dir */
	uint32_t hash;   /* of name, for the directory's index */
};

struct inode {
	uint64_t ino;
	uint32_t mode; /* S_IFMT | permission bits */
	uint32_t uid, gid;
	uint32_t nlink;
	uint64_t size;
	uint64_t charged; /* data bytes the quota counts for it (vfs_charge) */
	uint64_t rdev;
	int64_t atime, mtime, ctime; /* ns */
	char *target;    /* symlinks: the target, size bytes and a NUL */
	unsigned refs;   /* open descriptions + cwds: keep alive at nlink 0 */
	unsigned opens;  /* open descriptions: data_fd may be cached */
	int data_fd;     /* host fd of data/<ino>, -1 when not cached */
	bool dirty;      /* data/<ino> changed since its last fsync (sync) */
	struct xattrs *xattrs; /* extended attributes (xattr.h), or NULL */
	bool linkable;   /* an O_TMPFILE file linkat may still give a name */
	struct inode *lru_prev, *lru_next; /* cached data_fds, newest first */
	/* directories: entries in cookie order, removed ones left as
	 * tombstones until they are half; an open-addressing index of
	 * slot numbers (+1) by name once the directory is not tiny */
	uint64_t parent; /* ".." (root: itself) */
	struct dentry *ents;
	size_t nslots, cap; /* slots used (live and tombstones), allocated */
	size_t nents;       /* live entries */
	uint32_t *idx;      /* NULL while nslots is small: a scan is cheaper */
	size_t idxcap, idxused; /* power of two; slots not free (live or gone) */
	uint64_t next_cookie;
	struct inode *hnext; /* hash chain */
	/* binds (bind.c): set on a host node, which is none of the above's
	 * table (ino is the host's); mnt on the virtual inode a bind covers */
	struct hnode *host;
	struct bind *mnt;
	/* /proc (procfs.c): set on a proc node, which is in no table */
	struct pnode *proc;
};

struct vfs;
struct store;

/* Inode table. */
struct vfs *vfs_new(struct store *st);
void vfs_free(struct vfs *v);
struct store *vfs_store(struct vfs *v);
struct inode *vfs_get(struct vfs *v, uint64_t ino);
struct inode *vfs_root(struct vfs *v);
/* New inode with the next number (not linked anywhere yet). */
struct inode *vfs_alloc(struct vfs *v, uint32_t mode, uint32_t uid,
			uint32_t gid, uint64_t rdev);
/* Inode with a given number (store replay); replaces attributes if any. */
struct inode *vfs_insert(struct vfs *v, uint64_t ino);
void vfs_remove(struct vfs *v, struct inode *in); /* free memory only */
uint64_t vfs_next_ino(struct vfs *v);
/* Inodes in the table (what --limit inodes bounds). */
size_t vfs_inodes(const struct vfs *v);
void vfs_set_next_ino(struct vfs *v, uint64_t next);
/* Calls fn on every inode (no changes to the table meanwhile). */
void vfs_each(struct vfs *v, void (*fn)(struct inode *, void *), void *arg);

/* The store's usage, what `posix-server --max-size` (srv_limits.max_size,
 * 0: none) bounds (docs/durability.md, "A full store"): VFS_INODE_COST per
 * inode, a regular file's size rounded up to VFS_BLOCK, a symlink's
 * target, and the extended attributes' bytes. */
#define VFS_INODE_COST 256u
#define VFS_BLOCK 4096u
uint64_t vfs_usage(const struct vfs *v);
/* Counts in's data anew after its size changed (and every inode at load). */
void vfs_charge(struct vfs *v, struct inode *in);
/* 0, or -EDQUOT when bytes more (an inode, an attribute) pass the quota. */
int vfs_room(const struct vfs *v, uint64_t bytes);
/* The size regular file in may grow to within the quota (at least its
 * size now; UINT64_MAX without a quota). */
uint64_t vfs_room_size(const struct vfs *v, const struct inode *in);

/* Directory entries. */
struct dentry *vfs_lookup(struct inode *dir, const char *name);
int vfs_dir_add(struct inode *dir, const char *name, uint64_t ino);
int vfs_dir_del(struct inode *dir, const char *name);
/* First entry with cookie > after, or NULL.  Pointers returned by the
 * directory functions stay valid until the next add or del. */
struct dentry *vfs_dir_next(struct inode *dir, uint64_t after);
/* Name of ino in dir (for getcwd), or NULL. */
const char *vfs_dir_name_of(struct inode *dir, uint64_t ino);

/* Host fd of a regular file's data (a bounded LRU cache of at most
 * srv_limits.host_fds; the least recently used is closed to make room and
 * reopened on demand, so use the fd at once and keep it nowhere), or
 * -errno.  vfs_data_close drops in's fd (its last open went away). */
long vfs_data_fd(struct vfs *v, struct inode *in);
void vfs_data_close(struct vfs *v, struct inode *in);
/* Host fds the cache holds now. */
size_t vfs_data_fds(const struct vfs *v);
/* For host nodes (bind.c): caches fd as in's, making room first; closes
 * the least recently used fd (false: none is cached). */
void vfs_data_cache(struct vfs *v, struct inode *in, int fd);
bool vfs_data_evict(struct vfs *v);

/* References (open descriptions, cwds) keep an unlinked inode alive; an
 * inode with neither links nor references is freed, data file too. */
void vfs_ref(struct inode *in);
void vfs_unref(struct vfs *v, struct inode *in);
/* Frees in if nothing links or references it any more. */
void vfs_maybe_free(struct vfs *v, struct inode *in);

/* Linux's generic_permission with the filesystem ids and groups: want
 * is a mask of R_OK W_OK X_OK; 0 or -EACCES. */
int vfs_permission(const struct cred *cr, const struct inode *in, int want);
void vfs_stat(const struct inode *in, struct stat *st);
int64_t vfs_now(void);
/* Reads move atime as Linux's default mount option relatime does
 * (atime_needs_update, relatime_need_update): only when it is not after
 * mtime or ctime, or is a day old, so a file read over and over costs
 * one journal record per change, not one per read.  vfs_atime_due is
 * the rule at time now; vfs_accessed applies it to in (a store inode:
 * a bind's or /proc's atime is the host's or made), in memory and as an
 * INODE record of the call's journal group. */
bool vfs_atime_due(const struct inode *in, int64_t now);
void vfs_accessed(struct vfs *v, struct inode *in);

/* Path resolution (path.c).  Symlinks in the middle of a path are
 * followed, the last component's only with WALK_FOLLOW or a trailing
 * slash; relative targets from the link's directory, absolute ones from
 * the virtual root; more than VFS_LINKS_MAX links is ELOOP.  WALK_PARENT:
 * the last component is only named (mkdir, rmdir, unlink): never
 * followed, and a trailing slash is the caller's to judge. */
#define WALK_FOLLOW 1
#define WALK_PARENT 2
#define VFS_LINKS_MAX 40
struct walk {
	struct inode *dir;   /* parent of the last component */
	struct inode *in;    /* the target, NULL when it does not exist */
	char name[VFS_NAME_MAX + 1]; /* last component ("" for "/") */
	bool slash;          /* trailing slash */
	bool dot;            /* last component is "." or ".." (or "/") */
};
int vfs_walk(struct vfs *v, const struct cred *cr, struct inode *start,
	     const char *path, int flags, struct walk *w);
/* Resolve to an existing inode. */
int vfs_resolve(struct vfs *v, const struct cred *cr, struct inode *start,
		const char *path, int flags, struct inode **out);
/* Target of symlink in (not NUL-terminated, cut to cap as readlink(2)
 * cuts it): length or -errno (EINVAL for anything else). */
long vfs_readlink(struct vfs *v, struct inode *in, char *buf, size_t cap);
/* Makes in's target (len bytes, no NUL among them) and size; 0 or
 * -ENOMEM (in unchanged). */
int vfs_set_target(struct inode *in, const char *target, size_t len);
/* Absolute path of directory d into buf; length with NUL or -errno. */
long vfs_path_of(struct vfs *v, struct inode *d, char *buf, size_t cap);

/* Points existing entry name in dir at ino (rename over a file): no
 * allocation, so it cannot fail once the entry is there.  0 or -ENOENT. */
int vfs_dir_replace(struct inode *dir, const char *name, uint64_t ino);

#endif
