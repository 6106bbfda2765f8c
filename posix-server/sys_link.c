/* link, linkat: a second name of a file (glibc's sem_open makes its
 * semaphore under a temporary name and links it in place).  Linux's
 * checks in its order; fs.protected_hardlinks as distributions set it:
 * only the owner (or root) links a file it could not read and write. */
#define _GNU_SOURCE /* AT_EMPTY_PATH */
#include "sys.h"

static long may_hardlink(const struct cred *cr, struct inode *in)
{
	if (cr->uid == 0 || cr->uid == in->uid)
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

static long link_at(struct call *c, long olddir, const char *oldpath,
		    long newdir, const char *newpath, long flags)
{
	if (flags & ~(long)(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	struct walk ow, nw;
	long r;
	if (!oldpath[0] && (flags & AT_EMPTY_PATH)) { /* olddir's own file */
		struct ofd *o = fd_get_raw(c->cage->fds, olddir);
		if (!o)
			return -EBADF;
		memset(&ow, 0, sizeof ow);
		ow.in = o->in;
	} else if ((r = sys_walk(c, olddir, oldpath,
				 flags & AT_SYMLINK_FOLLOW ? WALK_FOLLOW : 0,
				 &ow)) < 0) {
		return r;
	}
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
