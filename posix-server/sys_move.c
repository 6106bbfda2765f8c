/* rename, renameat, renameat2 within the store, with Linux's checks in
 * Linux's order (do_renameat2, vfs_rename, may_delete, may_create) and
 * one journal group per call: UNLINK old, LINK new (which replaces the
 * target on replay), the inodes changed, and FREE of a replaced target
 * nothing holds; RENAME_EXCHANGE's is the two LINKs (each replaces on
 * replay) and the inodes.  Binds are other mounts: a rename into or out
 * of one is EXDEV, inside one EROFS.  RENAME_WHITEOUT (an overlayfs
 * helper) answers EINVAL. */
#define _GNU_SOURCE
#include <stdio.h>

#include "bind.h"
#include "procfs.h"
#include "sys.h"

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE 1
#endif
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE 2
#endif

/* True when a is d or one of d's ancestors. */
static bool is_ancestor(const struct inode *a, const struct inode *d)
{
	for (;;) {
		if (d == a)
			return true;
		if (d->ino == VFS_ROOT_INO || d->host || d->proc)
			return false;
		const struct inode *up = vfs_get(srv.vfs, d->parent);
		if (!up || up == d)
			return false;
		d = up;
	}
}

/* may_delete: victim in dir may go (is_dir: the source is a directory,
 * which the victim must be too). */
static long may_delete(const struct cred *cr, struct inode *dir,
		       struct inode *victim, bool is_dir)
{
	long r = vfs_permission(cr, dir, W_OK | X_OK);
	if (r < 0 || (r = sys_sticky_ok(cr, dir, victim)) < 0)
		return r;
	if (is_dir && !S_ISDIR(victim->mode))
		return -ENOTDIR;
	if (!is_dir && S_ISDIR(victim->mode))
		return -EISDIR;
	return 0;
}

/* RENAME_EXCHANGE's checks past the common ones (vfs_rename): each may
 * go from its directory as what it is; a directory changing parent needs
 * write permission for its "..". */
static long exchange_checks(const struct cred *cr, struct walk *ow,
			    struct walk *nw)
{
	struct inode *src = ow->in, *dst = nw->in;
	if (!dst)
		return -ENOENT;
	if ((nw->slash && !S_ISDIR(dst->mode)) ||
	    (ow->slash && !S_ISDIR(src->mode)))
		return -ENOTDIR;
	if (is_ancestor(src, nw->dir) || is_ancestor(dst, ow->dir))
		return -EINVAL;
	if (src == dst)
		return 1;
	long r = may_delete(cr, ow->dir, src, S_ISDIR(src->mode));
	if (r == 0)
		r = may_delete(cr, nw->dir, dst, S_ISDIR(dst->mode));
	if (r == 0 && ow->dir != nw->dir && S_ISDIR(src->mode))
		r = vfs_permission(cr, src, W_OK);
	if (r == 0 && ow->dir != nw->dir && S_ISDIR(dst->mode))
		r = vfs_permission(cr, dst, W_OK);
	if (r == 0 && (bind_is_root(src) || bind_is_root(dst) ||
		       procfs_is_root(src) || procfs_is_root(dst)))
		r = -EBUSY;
	return r;
}

static long rename_checks(const struct cred *cr, struct walk *ow,
			  struct walk *nw, long flags)
{
	struct inode *src = ow->in, *dst = nw->in;
	if (ow->dir->host != NULL || nw->dir->host != NULL)
		return ow->dir->host && nw->dir->host ? -EROFS : -EXDEV;
	if (ow->dir->proc != NULL || nw->dir->proc != NULL) /* /proc: a mount */
		return ow->dir->proc && nw->dir->proc ? -EPERM : -EXDEV;
	if (ow->dot)
		return -EBUSY;
	if (nw->dot)
		return flags & RENAME_NOREPLACE ? -EEXIST : -EBUSY;
	if (!src)
		return -ENOENT;
	if (flags & RENAME_EXCHANGE)
		return exchange_checks(cr, ow, nw);
	if (dst && (flags & RENAME_NOREPLACE))
		return -EEXIST;
	if (!S_ISDIR(src->mode) && (ow->slash || nw->slash))
		return -ENOTDIR;
	if (is_ancestor(src, nw->dir))
		return -EINVAL; /* a directory into itself */
	if (dst && is_ancestor(dst, ow->dir))
		return -ENOTEMPTY;
	if (src == dst)
		return 1; /* two names of one file: nothing to do */
	bool is_dir = S_ISDIR(src->mode);
	long r = may_delete(cr, ow->dir, src, is_dir);
	if (r < 0)
		return r;
	if (dst)
		r = may_delete(cr, nw->dir, dst, is_dir);
	else if ((r = vfs_permission(cr, nw->dir, W_OK | X_OK)) == 0 &&
		 nw->dir->nlink == 0)
		r = -ENOENT; /* into a removed directory */
	if (r < 0)
		return r;
	/* a directory changing parent rewrites its "..": write permission */
	if (is_dir && ow->dir != nw->dir &&
	    (r = vfs_permission(cr, src, W_OK)) < 0)
		return r;
	if (bind_is_root(src) || (dst && bind_is_root(dst)) ||
	    procfs_is_root(src) || (dst && procfs_is_root(dst)))
		return -EBUSY; /* a mountpoint */
	if (dst && S_ISDIR(dst->mode) && dst->nents)
		return -ENOTEMPTY;
	return 0;
}

/* The target goes first (its entry now names src), then the old entry. */
static long rename_apply(struct walk *ow, struct walk *nw)
{
	struct inode *src = ow->in, *dst = nw->in;
	bool is_dir = S_ISDIR(src->mode);
	long r = dst ? vfs_dir_replace(nw->dir, nw->name, src->ino)
		     : vfs_dir_add(nw->dir, nw->name, src->ino);
	if (r < 0)
		return r; /* nothing changed yet */
	vfs_dir_del(ow->dir, ow->name);
	if (dst) {
		dst->nlink = is_dir ? 0 : dst->nlink - 1;
		if (is_dir)
			nw->dir->nlink--; /* the target's ".." */
		sys_touch(dst, false);
	}
	if (is_dir) {
		src->parent = nw->dir->ino;
		ow->dir->nlink--;
		nw->dir->nlink++;
	}
	sys_touch(src, false);
	sys_touch(ow->dir, true);
	sys_touch(nw->dir, true);
	store_log_unlink(srv.store, ow->dir->ino, ow->name);
	store_log_link(srv.store, nw->dir->ino, nw->name, src->ino);
	store_log_inode(srv.store, src);
	store_log_inode(srv.store, ow->dir);
	if (nw->dir != ow->dir)
		store_log_inode(srv.store, nw->dir);
	if (dst) {
		store_log_inode(srv.store, dst);
		vfs_maybe_free(srv.vfs, dst);
	}
	return 0;
}

/* Each name now names the other's file; a directory's ".." and its
 * parents' link counts follow it. */
static long exchange_apply(struct walk *ow, struct walk *nw)
{
	struct inode *src = ow->in, *dst = nw->in;
	vfs_dir_replace(nw->dir, nw->name, src->ino); /* cannot fail */
	vfs_dir_replace(ow->dir, ow->name, dst->ino);
	if (S_ISDIR(src->mode)) {
		src->parent = nw->dir->ino;
		ow->dir->nlink--;
		nw->dir->nlink++;
	}
	if (S_ISDIR(dst->mode)) {
		dst->parent = ow->dir->ino;
		nw->dir->nlink--;
		ow->dir->nlink++;
	}
	sys_touch(src, false);
	sys_touch(dst, false);
	sys_touch(ow->dir, true);
	sys_touch(nw->dir, true);
	store_log_link(srv.store, nw->dir->ino, nw->name, src->ino);
	store_log_link(srv.store, ow->dir->ino, ow->name, dst->ino);
	store_log_inode(srv.store, src);
	store_log_inode(srv.store, dst);
	store_log_inode(srv.store, ow->dir);
	if (nw->dir != ow->dir)
		store_log_inode(srv.store, nw->dir);
	return 0;
}

static long rename_at(struct call *c, long olddir, const char *oldpath,
		      long newdir, const char *newpath, long flags)
{
	struct walk ow, nw;
	if ((flags & ~(long)(RENAME_NOREPLACE | RENAME_EXCHANGE)) ||
	    ((flags & RENAME_NOREPLACE) && (flags & RENAME_EXCHANGE)))
		return -EINVAL;
	long r = sys_walk(c, olddir, oldpath, WALK_PARENT, &ow);
	if (r < 0)
		return r;
	if ((r = sys_walk(c, newdir, newpath, WALK_PARENT, &nw)) < 0)
		return r;
	/* a walk's inode pointers stay valid: nothing is freed in between
	 * (host nodes live until the call's sweep) */
	if ((r = rename_checks(&c->cage->cred, &ow, &nw, flags)) != 0)
		return r > 0 ? 0 : r;
	if (flags & RENAME_EXCHANGE)
		return (r = store_reserve(srv.store, STORE_ADDS)) < 0
			       ? r : exchange_apply(&ow, &nw);
	if ((r = store_reserve(srv.store,
			       nw.in ? STORE_FREES : STORE_ADDS)) < 0)
		return r;
	return rename_apply(&ow, &nw);
}

long srv_rename(struct call *c)
{
	return rename_at(c, AT_FDCWD, call_path(c, 0), AT_FDCWD,
			 call_path(c, 1), 0);
}

long srv_renameat(struct call *c)
{
	return rename_at(c, c->a[0], call_path(c, 1), c->a[2], call_path(c, 3),
			 0);
}

long srv_renameat2(struct call *c)
{
	return rename_at(c, c->a[0], call_path(c, 1), c->a[2], call_path(c, 3),
			 (unsigned)c->a[4]);
}
