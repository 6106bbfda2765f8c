/* Host directories and files shown read-only in the virtual filesystem
 * (posix-server --bind HOST:VIRT, --host-root).  A bind covers one
 * virtual inode (its mountpoint); below it every inode is a host node:
 * a struct inode whose host field is set, made on lookup and freed when
 * nothing uses it.  See docs/architecture.md, "Host directories". */
#ifndef SRV_BIND_H
#define SRV_BIND_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>

#include "lind.pb-c.h"

struct cred;
struct inode;
struct vfs;
struct bind_set;

/* Adds a bind from its option text "HOST:VIRT[:ro]".  0, or -1 with a
 * one-line reason in why. */
int bind_parse(const char *arg, char *why, size_t cap);
/* The binds of --host-root (those of its host entries that exist). */
int bind_host_root(char *why, size_t cap);
/* Makes the mountpoints in the store (and their missing parents) and
 * marks them.  After store_load; 0 or -1 with a reason in why. */
int bind_attach(struct vfs *v, char *why, size_t cap);
/* Closes every bind (after the cages are gone; v NULL: the inode
 * table is gone already). */
void bind_free_all(struct vfs *v);

/* The host node named name in host directory dir: *out NULL when it
 * does not exist.  The node lives at least until bind_sweep. */
int bind_lookup(struct vfs *v, struct inode *dir, const char *name,
		struct inode **out);
/* What ".." of host directory dir is (a bind root's is virtual). */
struct inode *bind_parent(struct vfs *v, struct inode *dir);
/* Name of host node in inside its parent (getcwd), or NULL. */
const char *bind_name(struct inode *in);
/* True for the root of a bind. */
bool bind_is_root(const struct inode *in);
/* The host root of the bind covering mountpoint mnt, and back. */
struct inode *bind_root_of(const struct inode *mnt);
struct inode *bind_mountpoint(const struct inode *root);
/* Target of host symlink in into buf (not NUL-terminated): length or
 * -errno. */
long bind_readlink(struct vfs *v, struct inode *in, char *buf, size_t cap);
/* Host fd of host node in, for vfs_data_fd: a root's is its bind's;
 * others are opened from their directory's fd and cached, or -errno
 * (ESTALE: not the inode looked up any more). */
long bind_open(struct vfs *v, struct inode *in);
/* Host stat of in with the bind's st_dev; refreshed from the host when
 * an fd is at hand. */
void bind_stat(const struct inode *in, struct stat *st);
/* Frees host node in if nothing references it. */
void bind_release(struct vfs *v, struct inode *in);
/* Frees the host nodes a call made and nothing kept (after each call). */
void bind_sweep(struct vfs *v);
/* Calls fn on every bind the cage whose binds are s sees, in order:
 * host path, virtual path, st_dev. */
void bind_each_of(const struct bind_set *s,
		  void (*fn)(const char *host, const char *virt,
			     unsigned long dev, void *arg), void *arg);
/* The same for the cage being served (bind_set_caller). */
void bind_each(void (*fn)(const char *host, const char *virt,
			  unsigned long dev, void *arg), void *arg);
/* Per-cage binds (lind-run --bind): a refcounted set, seen by its cage
 * (and, once cages fork, by its children) only.  Makes the set of the n
 * binds specs, fds[i] each (taken: set to -1), mountpoints looked up as
 * cr; *out NULL when n is 0.  0, or -1 with a one-line reason in why. */
int bind_set_new(struct vfs *v, const struct cred *cr,
		 Lind__BindSpec *const *specs, int *fds, size_t n,
		 struct bind_set **out, char *why, size_t cap);
struct bind_set *bind_set_get(struct bind_set *s);
/* Drops a reference; the last frees binds nothing holds any more (the
 * others when their root is released). */
void bind_set_put(struct vfs *v, struct bind_set *s);
/* The binds of the cage whose call is served (NULL: none). */
void bind_set_caller(struct bind_set *s);
/* What store inode in is for that cage: the root of its bind on in, or
 * in itself. */
struct inode *bind_cover(struct inode *in);
/* The virtual path showing host path host (absolute, canonical) through
 * the binds of set s (first) or the server's, into out; false if none. */
bool bind_virt_of(const struct bind_set *s, const char *host, char *out,
		  size_t cap);
/* Host nodes alive (tests: nothing leaks). */
size_t bind_nodes(void);

#endif
