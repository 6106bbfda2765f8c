/* Directory handlers: mkdir, rmdir, unlink, getdents64, readlink, getcwd,
 * chdir. */
#define _GNU_SOURCE
#include <dirent.h>
#include <stddef.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "bind.h"
#include "procfs.h"
#include "sys.h"

static long mkdir_at(struct call *c, long dirfd, const char *path, long mode)
{
	struct cage *cg = c->cage;
	struct walk w;
	long r = sys_walk(c, dirfd, path, WALK_PARENT, &w);
	if (r < 0)
		return r;
	if (w.in)
		return -EEXIST;
	if ((r = sys_writable_dir(w.dir)) < 0)
		return r;
	if (w.dir->nlink == 0)
		return -ENOENT;
	if ((r = vfs_permission(&cg->cred, w.dir, W_OK | X_OK)) < 0 ||
	    (r = sys_inode_room()) < 0 ||
	    (r = store_reserve(srv.store, STORE_ADDS)) < 0)
		return r;
	struct inode *in = sys_alloc_inode(
		&cg->cred, w.dir, S_IFDIR | ((uint32_t)mode & 01777 & ~cg->umask));
	if (!in)
		return -ENOMEM;
	in->nlink = 2;
	in->parent = w.dir->ino;
	if ((r = vfs_dir_add(w.dir, w.name, in->ino)) < 0) {
		vfs_remove(srv.vfs, in);
		return r;
	}
	w.dir->nlink++;
	sys_touch(w.dir, true);
	store_log_inode(srv.store, in);
	store_log_link(srv.store, w.dir->ino, w.name, in->ino);
	store_log_inode(srv.store, w.dir);
	return 0;
}

long srv_mkdir(struct call *c)
{
	return mkdir_at(c, AT_FDCWD, call_path(c, 0), c->a[1]);
}

long srv_mkdirat(struct call *c)
{
	return mkdir_at(c, c->a[0], call_path(c, 1), c->a[2]);
}

/* Removes entry w->name (target in) from w->dir. */
static void drop_entry(struct walk *w, struct inode *in)
{
	vfs_dir_del(w->dir, w->name);
	store_log_unlink(srv.store, w->dir->ino, w->name);
	sys_touch(w->dir, true);
	sys_touch(in, false);
	store_log_inode(srv.store, w->dir);
	store_log_inode(srv.store, in);
	vfs_maybe_free(srv.vfs, in);
}

long sys_rmdir_walk(struct call *c, struct walk *w)
{
	struct inode *in = w->in;
	long r;
	if (strcmp(w->name, ".") == 0)
		return -EINVAL;
	if (strcmp(w->name, "..") == 0)
		return -ENOTEMPTY;
	if (!w->dot && (r = sys_writable_dir(w->dir)) < 0)
		return r; /* before the lookup's answer, as Linux */
	if (!in)
		return -ENOENT;
	if (in == vfs_root(srv.vfs) || bind_is_root(in) || procfs_is_root(in))
		return -EBUSY; /* the root, a mountpoint */
	if (!S_ISDIR(in->mode))
		return -ENOTDIR;
	r = vfs_permission(&c->cage->cred, w->dir, W_OK | X_OK);
	if (r < 0 || (r = sys_sticky_ok(&c->cage->cred, w->dir, in)) < 0)
		return r;
	if (in->nents)
		return -ENOTEMPTY;
	if ((r = store_reserve(srv.store, STORE_FREES)) < 0)
		return r;
	in->nlink = 0;
	w->dir->nlink--;
	drop_entry(w, in);
	return 0;
}

long srv_rmdir(struct call *c)
{
	struct walk w;
	long r = sys_walk(c, AT_FDCWD, call_path(c, 0), WALK_PARENT, &w);
	return r < 0 ? r : sys_rmdir_walk(c, &w);
}

static long unlink_walk(struct call *c, struct walk *w)
{
	struct inode *in = w->in;
	long r;
	if (w->dot)
		return -EISDIR;
	if ((r = sys_writable_dir(w->dir)) < 0)
		return r; /* before the lookup's answer, as Linux */
	if (!in)
		return -ENOENT;
	if (S_ISDIR(in->mode))
		return -EISDIR;
	if (w->slash)
		return -ENOTDIR; /* "file/" */
	if (bind_is_root(in))
		return -EBUSY; /* a mountpoint */
	r = vfs_permission(&c->cage->cred, w->dir, W_OK | X_OK);
	if (r < 0 || (r = sys_sticky_ok(&c->cage->cred, w->dir, in)) < 0 ||
	    (r = store_reserve(srv.store, STORE_FREES)) < 0)
		return r;
	in->nlink--;
	drop_entry(w, in);
	return 0;
}

long srv_unlink(struct call *c)
{
	struct walk w;
	long r = sys_walk(c, AT_FDCWD, call_path(c, 0), WALK_PARENT, &w);
	return r < 0 ? r : unlink_walk(c, &w);
}

long srv_unlinkat(struct call *c)
{
	struct walk w;
	if (c->a[2] & ~(long)AT_REMOVEDIR)
		return -EINVAL;
	long r = sys_walk(c, c->a[0], call_path(c, 1), WALK_PARENT, &w);
	if (r < 0)
		return r;
	return (c->a[2] & AT_REMOVEDIR) ? sys_rmdir_walk(c, &w)
					: unlink_walk(c, &w);
}

/* ---- getdents64 -------------------------------------------------------- */

static unsigned char dtype(const struct inode *in)
{
	if (!in)
		return DT_UNKNOWN;
	if (in->mnt) /* what covers a mountpoint */
		in = bind_root_of(in);
	return IFTODT(in->mode);
}

/* Appends one record; false when it does not fit. */
static bool put_dirent(uint8_t *buf, size_t cap, size_t *used, uint64_t ino,
		       uint64_t off, unsigned char type, const char *name)
{
	size_t n = strlen(name);
	size_t reclen = (offsetof(struct linux_dirent64, d_name) + n + 1 + 7) &
			~(size_t)7;
	if (*used + reclen > cap)
		return false;
	struct linux_dirent64 *d = (void *)(buf + *used);
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = (int64_t)off;
	d->d_reclen = (unsigned short)reclen;
	d->d_type = type;
	memcpy(d->d_name, name, n);
	*used += reclen;
	return true;
}

/* A bound directory: the host's entries, d_off being the host's
 * offsets (the description's offset is the last one returned). */
static long host_getdents(struct call *c, struct ofd *o)
{
	long fd = vfs_data_fd(srv.vfs, o->in);
	if (fd < 0)
		return fd;
	if (lseek((int)fd, (off_t)o->off, SEEK_SET) < 0)
		return -errno;
	long n = syscall(SYS_getdents64, (int)fd, c->out[1].buf, c->out[1].cap);
	if (n < 0)
		return errno == EBADF ? -EACCES : -errno; /* an O_PATH fd */
	for (long at = 0; at < n;) {
		const struct linux_dirent64 *d = (void *)((char *)c->out[1].buf + at);
		o->off = (uint64_t)d->d_off;
		at += d->d_reclen;
	}
	c->out[1].len = (size_t)n;
	return n;
}

long srv_getdents64(struct call *c)
{
	struct ofd *o = fd_get(c->cage->fds, c->a[0]);
	if (!o)
		return -EBADF;
	if (!ofd_is(o, &ofd_dir_ops))
		return -ENOTDIR;
	struct inode *dir = o->in;
	if (dir->host)
		return host_getdents(c, o);
	if (dir->proc)
		return procfs_getdents(c, o);
	if (dir->nlink == 0)
		return -ENOENT;
	sys_file_accessed(o); /* iterate_dir's file_accessed, every call */
	uint8_t *buf = c->out[1].buf;
	size_t cap = c->out[1].cap, used = 0;
	/* Offsets are cookies: 1 after ".", 2 after "..", then the entries'. */
	while (o->off < 2) {
		struct inode *d = o->off == 0 ? dir : vfs_get(srv.vfs, dir->parent);
		if (!put_dirent(buf, cap, &used, d ? d->ino : dir->ino,
				o->off + 1, DT_DIR, o->off == 0 ? "." : ".."))
			goto full;
		o->off++;
	}
	for (struct dentry *e; (e = vfs_dir_next(dir, o->off));) {
		struct inode *in = vfs_get(srv.vfs, e->ino);
		if (!put_dirent(buf, cap, &used, e->ino, e->cookie, dtype(in),
				e->name))
			goto full;
		o->off = e->cookie;
	}
full:
	if (used == 0 && (o->off < 2 || vfs_dir_next(dir, o->off)))
		return -EINVAL; /* buffer too small for one record */
	c->out[1].len = used;
	return (long)used;
}

/* ---- symlinks ----------------------------------------------------------- */

/* The file readlinkat reads: path from dirfd, or for an empty path
 * dirfd's own (an O_PATH fd of a link), which must then be a link. */
static long readlink_file(struct call *c, long dirfd, const char *path,
			  struct inode **out)
{
	if (path[0]) {
		struct walk w;
		long r = sys_walk(c, dirfd, path, 0, &w);
		*out = w.in;
		return r < 0 ? r : w.in ? 0 : -ENOENT;
	}
	if ((int)dirfd == AT_FDCWD)
		return -ENOENT; /* the cwd: no link */
	struct ofd *o = fd_get_raw(c->cage->fds, dirfd);
	if (!o)
		return -EBADF;
	*out = o->in;
	return o->in && S_ISLNK(o->in->mode) ? 0 : -ENOENT;
}

/* size is readlink's int bufsiz (a negative one reaches the server
 * clamped by client-libc, as every buffer's size, so only 0 is seen). */
static long readlink_at(struct call *c, long dirfd, const char *path, int out,
			long size)
{
	struct inode *in;
	if ((int)size <= 0)
		return -EINVAL;
	long r = readlink_file(c, dirfd, path, &in);
	if (r < 0)
		return r;
	if (S_ISLNK(in->mode))
		vfs_accessed(srv.vfs, in); /* do_readlinkat's touch_atime */
	size_t cap = c->out[out].cap < (size_t)(int)size ? c->out[out].cap
							  : (size_t)(int)size;
	r = vfs_readlink(srv.vfs, in, c->out[out].buf, cap);
	c->out[out].len = r > 0 ? (size_t)r : 0;
	return r;
}

long srv_readlink(struct call *c)
{
	return readlink_at(c, AT_FDCWD, call_path(c, 0), 1, c->a[2]);
}

long srv_readlinkat(struct call *c)
{
	return readlink_at(c, c->a[0], call_path(c, 1), 2, c->a[3]);
}

/* ---- cwd ---------------------------------------------------------------- */

long srv_getcwd(struct call *c)
{
	if (c->out[0].cap == 0)
		return -ERANGE;
	long r = vfs_path_of(srv.vfs, c->cage->cwd, c->out[0].buf,
			     c->out[0].cap);
	c->out[0].len = r > 0 ? (size_t)r : 0;
	return r;
}

static long set_cwd(struct call *c, struct inode *in)
{
	if (!S_ISDIR(in->mode))
		return -ENOTDIR;
	long r = vfs_permission(&c->cage->cred, in, X_OK);
	if (r < 0)
		return r;
	vfs_ref(in);
	vfs_unref(srv.vfs, c->cage->cwd);
	c->cage->cwd = in;
	return 0;
}

long srv_chdir(struct call *c)
{
	struct inode *in;
	long r = vfs_resolve(srv.vfs, &c->cage->cred, c->cage->cwd,
			     call_path(c, 0), WALK_FOLLOW, &in);
	return r < 0 ? r : set_cwd(c, in);
}

long srv_fchdir(struct call *c)
{
	struct ofd *o = fd_get_raw(c->cage->fds, c->a[0]); /* O_PATH too */
	if (!o)
		return -EBADF;
	if (!o->in || !S_ISDIR(o->in->mode))
		return -ENOTDIR;
	return set_cwd(c, o->in);
}
