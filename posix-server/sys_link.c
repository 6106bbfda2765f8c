/* link, linkat: a second name of a file (glibc's sem_open makes its
 * semaphore under a temporary name and links it in place); symlink,
 * symlinkat.  Linux's checks in its order; fs.protected_hardlinks as
 * distributions set it: only the owner (or root) links a file it could
 * not read and write. */
#define _GNU_SOURCE /* AT_EMPTY_PATH */
#include "sys.h"

static long may_hardlink(const struct cred *cr, struct inode *in)
{
	if (cred_fs_capable(cr) || cr->fsuid == in->uid)
		return 0;
	if (!S_ISREG(in->mode) || (in->mode & S_ISUID) ||
	    (in->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) ||
	    vfs_permission(cr, in, R_OK | W_OK) < 0)
		return -EPERM;
	return 0;
}

static long link_checks(const struct cred *cr, struct walk *nw,
			struct inode *in)
{
	if (nw->in || nw->dot)
		return -EEXIST;
	long r = sys_writable_dir(nw->dir);
	if (r < 0)
		return r;
	if (in->host || in->proc)
		return -EXDEV; /* another mount than the store's */
	if ((r = vfs_permission(cr, nw->dir, W_OK | X_OK)) < 0)
		return r;
	if (nw->dir->nlink == 0 || (in->nlink == 0 && !in->linkable))
		return -ENOENT;
	if (S_ISDIR(in->mode))
		return -EPERM;
	if (nw->slash)
		return -ENOENT; /* "new/" names a directory to make */
	if ((r = may_hardlink(cr, in)) < 0)
		return r;
	return store_reserve(srv.store, STORE_ADDS);
}

/* linkat's AT_EMPTY_PATH: the file open at fd (an O_PATH one too), for
 * root (CAP_DAC_READ_SEARCH); Linux 6.10 also lets the process that
 * opened it, which descriptions do not record here: ENOENT. */
static long empty_path_file(struct call *c, long fd, struct walk *w)
{
	memset(w, 0, sizeof *w);
	if ((int)fd == AT_FDCWD) {
		w->in = c->cage->cwd; /* a directory: EPERM */
		return 0;
	}
	struct ofd *o = fd_get_raw(c->cage->fds, fd);
	if (!o)
		return -EBADF;
	if (!cred_capable(&c->cage->cred))
		return -ENOENT;
	w->in = o->in;
	return 0;
}

static long link_at(struct call *c, long olddir, const char *oldpath,
		    long newdir, const char *newpath, long flags)
{
	if (flags & ~(long)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct walk ow, nw;
	long r = !oldpath[0] && (flags & AT_EMPTY_PATH)
			 ? empty_path_file(c, olddir, &ow)
			 : sys_walk(c, olddir, oldpath,
				    flags & AT_SYMLINK_FOLLOW ? WALK_FOLLOW : 0, &ow);
	if (r < 0)
		return r;
	if (!ow.in)
		return -ENOENT;
	if ((r = sys_walk(c, newdir, newpath, WALK_PARENT, &nw)) < 0)
		return r;
	if ((r = link_checks(&c->cage->cred, &nw, ow.in)) < 0)
		return r;
	if ((r = vfs_dir_add(nw.dir, nw.name, ow.in->ino)) < 0)
		return r;
	ow.in->nlink++;
	ow.in->linkable = false; /* a named file like any other now */
	sys_touch(ow.in, false);
	sys_touch(nw.dir, true);
	store_log_link(srv.store, nw.dir->ino, nw.name, ow.in->ino);
	store_log_inode(srv.store, ow.in);
	store_log_inode(srv.store, nw.dir);
	return 0;
}

long srv_link(struct call *c)
{
	return link_at(c, AT_FDCWD, call_path(c, 0), AT_FDCWD, call_path(c, 1),
		       0);
}

long srv_linkat(struct call *c)
{
	return link_at(c, c->a[0], call_path(c, 1), c->a[2], call_path(c, 3),
		       c->a[4]);
}

/* symlink, symlinkat: a new inode S_IFLNK 0777 (no umask, as Linux) whose
 * target is kept whole, unchecked: it is read at each walk through it.
 * Checks in filename_create's order. */
static long symlink_at(struct call *c, const char *target, long dirfd,
		       const char *path)
{
	if (!target[0])
		return -ENOENT; /* getname of "" */
	struct walk w;
	long r = sys_walk(c, dirfd, path, WALK_PARENT, &w);
	if (r < 0)
		return r;
	if (w.dot || w.in)
		return -EEXIST;
	if (w.slash)
		return -ENOENT; /* "new/" asks for a directory */
	struct inode *in;
	return sys_create_inode(c, &w, S_IFLNK | 0777, target, &in);
}

long srv_symlink(struct call *c)
{
	return symlink_at(c, call_path(c, 0), AT_FDCWD, call_path(c, 1));
}

long srv_symlinkat(struct call *c)
{
	return symlink_at(c, call_path(c, 0), c->a[1], call_path(c, 2));
}
