/* Path resolution: components relative to a start directory (cwd or an
 * at-fd), ".", "..", repeated and trailing slashes, search permission,
 * symlinks (followed in the virtual namespace) and binds' mountpoints. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "procfs.h"
#include "protocol.h"
#include "vfs.h"

/* Next component of *p into name; returns its length, 0 at the end, or
 * -ENAMETOOLONG. */
static int next_component(const char **p, char *name)
{
	const char *s = *p;
	while (*s == '/')
		s++;
	size_t n = strcspn(s, "/");
	if (n > VFS_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(name, s, n);
	name[n] = '\0';
	*p = s + n;
	return (int)n;
}

/* The inode name in dir, or NULL (*out) when there is none.  A bind's
 * mountpoint is replaced by the bind's root, and ".." of a bind's root is
 * its mountpoint's parent: the walk never leaves the virtual tree. */
static int step(struct vfs *v, const struct cred *cr, struct inode *dir,
		const char *name, struct inode **out)
{
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	int r = vfs_permission(cr, dir, X_OK);
	if (r < 0)
		return r;
	if (strcmp(name, ".") == 0) {
		*out = dir;
		return 0;
	}
	if (strcmp(name, "..") == 0) {
		*out = dir->host ? bind_parent(v, dir)
		       : dir->proc ? procfs_parent(v, dir)
				   : vfs_get(v, dir->parent);
		return *out ? 0 : -ENOENT;
	}
	if (dir->proc)
		return procfs_lookup(cr, dir, name, out);
	if (dir->host)
		return bind_lookup(v, dir, name, out);
	struct dentry *e = vfs_lookup(dir, name);
	*out = e ? vfs_get(v, e->ino) : NULL;
	if (*out && (*out)->mnt)
		*out = bind_root_of(*out);
	else
		*out = bind_cover(*out); /* the calling cage's own binds */
	*out = procfs_cover(*out); /* /proc's mountpoint */
	return 0;
}

long vfs_readlink(struct vfs *v, struct inode *in, char *buf, size_t cap)
{
	if (in->proc)
		return procfs_readlink(v, in, buf, cap);
	if (in->host)
		return bind_readlink(v, in, buf, cap);
	if (!S_ISLNK(in->mode))
		return -EINVAL;
	if (!in->target)
		return 0; /* a damaged store's link: dangling, as "" */
	size_t n = in->size < cap ? in->size : cap;
	memcpy(buf, in->target, n);
	return (long)n;
}

int vfs_set_target(struct inode *in, const char *target, size_t len)
{
	char *t = malloc(len + 1);
	if (!t)
		return -ENOMEM;
	memcpy(t, target, len);
	t[len] = '\0';
	free(in->target);
	in->target = t;
	in->size = len;
	return 0;
}

/* Replaces the path left to walk (rest) by link in's target followed by
 * rest, in buf; where the target starts is put in *dir. */
static int follow(struct vfs *v, struct inode *in, const char *rest,
		  char *buf, struct inode **dir, int *links)
{
	if (++*links > VFS_LINKS_MAX)
		return -ELOOP;
	vfs_accessed(v, in); /* pick_link's touch_atime */
	char target[LIND_MAX_PATH];
	long n = vfs_readlink(v, in, target, sizeof target);
	if (n < 0)
		return (int)n;
	if (n == 0)
		return -ENOENT; /* an empty target, as Linux */
	size_t rl = strlen(rest);
	if ((size_t)n + rl >= LIND_MAX_PATH)
		return -ENAMETOOLONG;
	memmove(buf + n, rest, rl + 1); /* rest may live in buf */
	memcpy(buf, target, (size_t)n);
	if (buf[0] == '/')
		*dir = vfs_root(v); /* the virtual root, never the host's */
	return 0;
}

int vfs_walk(struct vfs *v, const struct cred *cr, struct inode *start,
	     const char *path, int flags, struct walk *w)
{
	memset(w, 0, sizeof *w); /* callers look at w even after an error */
	size_t len = strlen(path);
	if (len == 0)
		return -ENOENT;
	if (len >= LIND_MAX_PATH)
		return -ENAMETOOLONG;
	struct inode *dir = path[0] == '/' ? vfs_root(v) : start;
	if (!dir)
		return -ENOENT;
	char buf[LIND_MAX_PATH], name[VFS_NAME_MAX + 1];
	memcpy(buf, path, len + 1);
	const char *p = buf;
	int links = 0;
	bool slash = path[len - 1] == '/';
	for (;;) {
		int n = next_component(&p, name);
		if (n < 0)
			return n;
		if (n == 0) { /* "/" or "///" (or a link to it) */
			w->dir = w->in = dir;
			w->dot = true;
			w->slash = slash;
			return 0;
		}
		char next[VFS_NAME_MAX + 1];
		const char *q = p;
		int m = next_component(&q, next);
		if (m < 0)
			return m;
		struct inode *in;
		int r = step(v, cr, dir, name, &in);
		if (r < 0)
			return r;
		bool last = m == 0;
		if (in && S_ISLNK(in->mode) &&
		    (!last || (flags & WALK_FOLLOW) ||
		     (slash && !(flags & WALK_PARENT)))) {
			if ((r = follow(v, in, p, buf, &dir, &links)) < 0)
				return r;
			p = buf;
			slash = slash || buf[strlen(buf) - 1] == '/';
			continue;
		}
		if (last) {
			w->in = in;
			w->dir = dir;
			w->slash = slash;
			memcpy(w->name, name, (size_t)n + 1);
			w->dot = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
			if (in && slash && !S_ISDIR(in->mode) &&
			    !(flags & WALK_PARENT))
				return -ENOTDIR;
			return 0;
		}
		if (!in)
			return -ENOENT;
		if (!S_ISDIR(in->mode))
			return -ENOTDIR;
		dir = in;
	}
}

int vfs_resolve(struct vfs *v, const struct cred *cr, struct inode *start,
		const char *path, int flags, struct inode **out)
{
	struct walk w;
	int r = vfs_walk(v, cr, start, path, flags, &w);
	if (r < 0)
		return r;
	if (!w.in)
		return -ENOENT;
	*out = w.in;
	return 0;
}

long vfs_path_of(struct vfs *v, struct inode *d, char *buf, size_t cap)
{
	/* Build right to left in a scratch buffer, then copy. */
	char tmp[LIND_MAX_PATH];
	size_t pos = sizeof tmp - 1;
	tmp[pos] = '\0';
	if (d->proc)
		return procfs_path_of(d, buf, cap);
	if (d->nlink == 0)
		return -ENOENT; /* removed directory */
	struct inode *root = vfs_root(v);
	while (d != root) {
		if (bind_is_root(d))
			d = bind_mountpoint(d); /* named in its virtual parent */
		struct inode *up = d->host ? bind_parent(v, d) : vfs_get(v, d->parent);
		const char *name = d->host ? bind_name(d)
			: up ? vfs_dir_name_of(up, d->ino) : NULL;
		if (!name)
			return -ENOENT;
		size_t n = strlen(name);
		if (n + 1 > pos)
			return -ENAMETOOLONG;
		pos -= n;
		memcpy(tmp + pos, name, n);
		tmp[--pos] = '/';
		d = up;
	}
	if (pos == sizeof tmp - 1)
		tmp[--pos] = '/';
	size_t len = sizeof tmp - pos; /* with NUL */
	if (len > cap)
		return -ERANGE;
	memcpy(buf, tmp + pos, len);
	return (long)len;
}
