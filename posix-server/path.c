/* Path resolution: components relative to a start directory (cwd or an
 * at-fd), ".", "..", repeated and trailing slashes, search permission. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

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
		*out = vfs_get(v, dir->parent);
		return *out ? 0 : -ENOENT;
	}
	struct dentry *e = vfs_lookup(dir, name);
	*out = e ? vfs_get(v, e->ino) : NULL;
	return 0;
}

int vfs_walk(struct vfs *v, const struct cred *cr, struct inode *start,
	     const char *path, struct walk *w)
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
	w->slash = path[len - 1] == '/';
	const char *p = path;
	char name[VFS_NAME_MAX + 1];
	int n = next_component(&p, name);
	if (n < 0)
		return n;
	if (n == 0) { /* "/" or "///" */
		w->dir = w->in = dir;
		w->dot = true;
		return 0;
	}
	for (;;) {
		char next[VFS_NAME_MAX + 1];
		const char *q = p;
		int m = next_component(&q, next);
		if (m < 0)
			return m;
		if (m == 0)
			break; /* name is the last component */
		struct inode *in;
		int r = step(v, cr, dir, name, &in);
		if (r < 0)
			return r;
		if (!in)
			return -ENOENT;
		if (!S_ISDIR(in->mode))
			return -ENOTDIR;
		dir = in;
		p = q;
		memcpy(name, next, (size_t)m + 1);
	}
	int r = step(v, cr, dir, name, &w->in);
	if (r < 0)
		return r;
	w->dir = dir;
	memcpy(w->name, name, strlen(name) + 1);
	w->dot = strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
	if (w->in && w->slash && !S_ISDIR(w->in->mode))
		return -ENOTDIR;
	return 0;
}

int vfs_resolve(struct vfs *v, const struct cred *cr, struct inode *start,
		const char *path, struct inode **out)
{
	struct walk w;
	int r = vfs_walk(v, cr, start, path, &w);
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
	if (d->nlink == 0)
		return -ENOENT; /* removed directory */
	while (d->ino != VFS_ROOT_INO) {
		struct inode *up = vfs_get(v, d->parent);
		const char *name = up ? vfs_dir_name_of(up, d->ino) : NULL;
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
