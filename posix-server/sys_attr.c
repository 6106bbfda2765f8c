/* Attribute handlers: chmod, chown, utimensat and friends, statx (xattrs:
 * sys_xattr.c).
 * Permission rules are Linux's (fs/attr.c, fs/open.c, fs/utimes.c) with
 * the caller's filesystem ids and groups; filesystem uid 0 has
 * CAP_CHOWN, CAP_FOWNER and CAP_FSETID (cred.h).  Each change updates
 * ctime and is journaled. */
#define _GNU_SOURCE
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <time.h>
#include <utime.h>

#include "sys.h"

/* in_group_or_capable: may keep a setgid bit for group gid */
static bool sgid_ok(const struct cred *cr, uint32_t gid)
{
	return cred_fs_capable(cr) || cred_in_group(cr, gid);
}

/* What an attribute call acts on: an inode, or one of the launcher's
 * stdio streams (in NULL). */
struct target {
	struct inode *in;
	struct ofd *o; /* named by fd: what stats one without an inode */
};

static long ofd_target(struct ofd *o, struct target *t)
{
	if (!o)
		return -EBADF;
	t->in = o->in;
	t->o = o;
	return 0;
}

/* fchmod, fchown, futimens, f*xattr: EBADF for an O_PATH fd. */
static long fd_target(struct call *c, long fd, struct target *t)
{
	return ofd_target(fd_get(c->cage->fds, fd), t);
}

/* The file a *at call names: path from dirfd, or with AT_EMPTY_PATH and
 * "" (or a NULL path) dirfd itself. */
static long at_target(struct call *c, long dirfd, const char *path,
		      long flags, struct target *t)
{
	t->in = NULL;
	t->o = NULL;
	if ((!path || !path[0]) && (flags & AT_EMPTY_PATH)) {
		if ((int)dirfd == AT_FDCWD) {
			t->in = c->cage->cwd;
			return 0;
		}
		return ofd_target(fd_get_raw(c->cage->fds, dirfd), t);
	}
	if (!path)
		return -EFAULT;
	struct inode *start;
	long r = sys_start(c, dirfd, path, &start);
	if (r < 0)
		return r;
	return vfs_resolve(srv.vfs, &c->cage->cred, start, path,
			   flags & AT_SYMLINK_NOFOLLOW ? 0 : WALK_FOLLOW,
			   &t->in);
}

/* The launcher's stdio belongs to the host: a cage changes none of its
 * attributes.  A bind is a read-only mount: EROFS before any permission
 * check, as Linux takes the mount's write access first. */
static long changeable(const struct target *t)
{
	if (!t->in)
		return -EPERM;
	if (t->in->proc)
		return -EPERM; /* /proc's nodes keep the modes they are made with */
	return t->in->host ? -EROFS : 0;
}

/* An attribute changed: ctime moves with it, and it is journaled. */
static void changed(struct inode *in)
{
	sys_touch(in, false);
	store_log_inode(srv.store, in);
}

/* setattr_should_drop_sgid: the setgid bit goes when group-executable
 * (else it marks mandatory locking) or of a group the caller may not use */
static uint32_t sgid_kill(const struct cred *cr, const struct inode *in)
{
	if (!(in->mode & S_ISGID))
		return 0;
	return (in->mode & S_IXGRP) || !sgid_ok(cr, in->gid) ? S_ISGID : 0;
}

void sys_remove_privs(const struct cred *cr, struct inode *in)
{
	uint32_t kill = (in->mode & S_ISUID) | sgid_kill(cr, in);
	if (!kill || cred_fs_capable(cr) || !S_ISREG(in->mode) || in->host ||
	    in->proc)
		return;
	in->mode &= ~kill;
	changed(in);
}

/* ---- chmod ------------------------------------------------------------ */

static long chmod_inode(struct call *c, const struct target *t, long mode)
{
	const struct cred *cr = &c->cage->cred;
	long r = changeable(t);
	if (r < 0)
		return r;
	struct inode *in = t->in;
	if (S_ISLNK(in->mode))
		return -EOPNOTSUPP; /* a link's mode is never changed (Linux 6.6) */
	if (!sys_owner_or_root(cr, in))
		return -EPERM;
	if ((r = store_reserve(srv.store, STORE_ADDS)) < 0)
		return r;
	uint32_t bits = (uint32_t)mode & 07777;
	/* only a member of the file's group (or root) may set setgid */
	if (!sgid_ok(cr, in->gid))
		bits &= ~(uint32_t)S_ISGID;
	in->mode = (in->mode & S_IFMT) | bits;
	changed(in);
	return 0;
}

static long chmod_at(struct call *c, long dirfd, const char *path, long mode,
		     long flags)
{
	struct target t;
	if (flags & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	long r = at_target(c, dirfd, path, flags, &t);
	return r < 0 ? r : chmod_inode(c, &t, mode);
}

long srv_chmod(struct call *c)
{
	return chmod_at(c, AT_FDCWD, call_path(c, 0), c->a[1], 0);
}

long srv_fchmod(struct call *c)
{
	struct target t;
	long r = fd_target(c, c->a[0], &t);
	return r < 0 ? r : chmod_inode(c, &t, c->a[1]);
}

long srv_fchmodat(struct call *c)
{
	return chmod_at(c, c->a[0], call_path(c, 1), c->a[2], 0);
}

long srv_fchmodat2(struct call *c)
{
	return chmod_at(c, c->a[0], call_path(c, 1), c->a[2], (int)c->a[3]);
}

/* ---- chown ------------------------------------------------------------ */

/* Linux's chown_ok and chgrp_ok: the owner may "change" the owner to
 * itself and the group to one it is in; only root may do more. */
static long chown_allowed(const struct cred *cr, const struct inode *in,
			  uint32_t uid, uint32_t gid)
{
	if (cred_fs_capable(cr))
		return 0;
	if (uid != (uint32_t)-1 && (cr->fsuid != in->uid || uid != in->uid))
		return -EPERM;
	if (gid != (uint32_t)-1 && (cr->fsuid != in->uid ||
				    (gid != in->gid && !cred_in_group(cr, gid))))
		return -EPERM;
	return 0;
}

/* The bits chown drops from a non-directory (ATTR_KILL_SUID and
 * setattr_should_drop_sgid, judged before the change), root or not. */
static uint32_t chown_kills(const struct cred *cr, const struct inode *in)
{
	return S_ISDIR(in->mode) ? 0 : (in->mode & S_ISUID) | sgid_kill(cr, in);
}

static long chown_inode(struct call *c, const struct target *t, long uid,
			long gid)
{
	const struct cred *cr = &c->cage->cred;
	long r = changeable(t);
	if (r < 0)
		return r;
	struct inode *in = t->in;
	uint32_t kill = chown_kills(cr, in);
	if ((r = chown_allowed(cr, in, (uint32_t)uid, (uint32_t)gid)) < 0)
		return r;
	/* dropping a bit is a mode change: the owner's or root's */
	if (kill && !sys_owner_or_root(cr, in))
		return -EPERM;
	if ((r = store_reserve(srv.store, STORE_ADDS)) < 0)
		return r;
	if ((uint32_t)uid != (uint32_t)-1)
		in->uid = (uint32_t)uid;
	if ((uint32_t)gid != (uint32_t)-1)
		in->gid = (uint32_t)gid;
	in->mode &= ~kill;
	/* a mode change keeps setgid only for a group the caller may use */
	if (kill && (in->mode & S_ISGID) && !sgid_ok(cr, in->gid))
		in->mode &= ~(uint32_t)S_ISGID;
	changed(in);
	return 0;
}

static long chown_at(struct call *c, long dirfd, const char *path, long uid,
		     long gid, long flags)
{
	struct target t;
	if (flags & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	long r = at_target(c, dirfd, path, flags, &t);
	return r < 0 ? r : chown_inode(c, &t, uid, gid);
}

long srv_chown(struct call *c)
{
	return chown_at(c, AT_FDCWD, call_path(c, 0), c->a[1], c->a[2], 0);
}

long srv_lchown(struct call *c)
{
	return chown_at(c, AT_FDCWD, call_path(c, 0), c->a[1], c->a[2],
			AT_SYMLINK_NOFOLLOW);
}

long srv_fchown(struct call *c)
{
	struct target t;
	long r = fd_target(c, c->a[0], &t);
	return r < 0 ? r : chown_inode(c, &t, c->a[1], c->a[2]);
}

long srv_fchownat(struct call *c)
{
	return chown_at(c, c->a[0], call_path(c, 1), c->a[2], c->a[3],
			(int)c->a[4]);
}

/* ---- times ------------------------------------------------------------ */

static bool nsec_ok(long ns)
{
	return (ns >= 0 && ns <= 999999999) || ns == UTIME_NOW ||
	       ns == UTIME_OMIT;
}

/* ts NULL (or both UTIME_NOW): both now, which needs ownership or write
 * permission (EACCES); any other times, even one UTIME_NOW with one
 * UTIME_OMIT, need ownership (EPERM), as Linux's ATTR_TIMES_SET. */
static long set_times(struct call *c, const struct target *t,
		      const struct timespec *ts)
{
	const struct cred *cr = &c->cage->cred;
	long r = changeable(t);
	if (r < 0)
		return r;
	struct inode *in = t->in;
	bool given = ts && (ts[0].tv_nsec != UTIME_NOW ||
			    ts[1].tv_nsec != UTIME_NOW);
	if (!sys_owner_or_root(cr, in)) {
		if (given)
			return -EPERM;
		if (vfs_permission(cr, in, W_OK) < 0)
			return -EACCES;
	}
	if ((r = store_reserve(srv.store, STORE_ADDS)) < 0)
		return r;
	int64_t now = vfs_now(), t2[2] = {in->atime, in->mtime};
	for (int i = 0; i < 2; i++) {
		long ns = ts ? ts[i].tv_nsec : UTIME_NOW;
		if (ns != UTIME_OMIT)
			t2[i] = ns == UTIME_NOW ? now
				: (int64_t)ts[i].tv_sec * 1000000000 + ns;
	}
	/* the data file first: a failure leaves the inode as it was */
	if (S_ISREG(in->mode) && t2[1] != in->mtime &&
	    (r = store_data_set_mtime(srv.store, in->ino, t2[1])) < 0)
		return r;
	in->atime = t2[0];
	in->mtime = t2[1];
	in->ctime = now;
	store_log_inode(srv.store, in);
	return 0;
}

static long utimens_at(struct call *c, long dirfd, const char *path,
		       const struct timespec *ts, long flags)
{
	struct target t;
	/* both omitted: nothing to do, the path is not even looked at */
	if (ts && ts[0].tv_nsec == UTIME_OMIT && ts[1].tv_nsec == UTIME_OMIT)
		return 0;
	if (ts && (!nsec_ok(ts[0].tv_nsec) || !nsec_ok(ts[1].tv_nsec)))
		return -EINVAL;
	long r;
	if (!path && (int)dirfd != AT_FDCWD) { /* futimens */
		if (flags)
			return -EINVAL;
		r = fd_target(c, dirfd, &t);
	} else {
		if (flags & ~(long)(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
			return -EINVAL;
		r = at_target(c, dirfd, path, flags, &t);
	}
	return r < 0 ? r : set_times(c, &t, ts);
}

long srv_utimensat(struct call *c)
{
	struct timespec ts[2];
	const char *path = call_path_null(c, 1) ? NULL : call_path(c, 1);
	bool have = call_obj_in(c, 2, ts, sizeof ts);
	return utimens_at(c, c->a[0], path, have ? ts : NULL, (int)c->a[3]);
}

long srv_utimes(struct call *c)
{
	struct timeval tv[2];
	struct timespec ts[2];
	if (!call_obj_in(c, 1, tv, sizeof tv))
		return utimens_at(c, AT_FDCWD, call_path(c, 0), NULL, 0);
	for (int i = 0; i < 2; i++) {
		if (tv[i].tv_usec < 0 || tv[i].tv_usec >= 1000000)
			return -EINVAL;
		ts[i].tv_sec = tv[i].tv_sec;
		ts[i].tv_nsec = tv[i].tv_usec * 1000;
	}
	return utimens_at(c, AT_FDCWD, call_path(c, 0), ts, 0);
}

long srv_utime(struct call *c)
{
	struct utimbuf ub;
	if (!call_obj_in(c, 1, &ub, sizeof ub))
		return utimens_at(c, AT_FDCWD, call_path(c, 0), NULL, 0);
	struct timespec ts[2] = {{ub.actime, 0}, {ub.modtime, 0}};
	return utimens_at(c, AT_FDCWD, call_path(c, 0), ts, 0);
}

/* ---- statx ------------------------------------------------------------ */

static struct statx_timestamp stx_time(struct timespec ts)
{
	return (struct statx_timestamp){.tv_sec = ts.tv_sec,
					.tv_nsec = (uint32_t)ts.tv_nsec};
}

/* Everything the server keeps is STATX_BASIC_STATS; a birth time it does
 * not keep, so STATX_BTIME stays out of the mask whatever was asked. */
static void statx_of(const struct stat *st, struct statx *sx)
{
	memset(sx, 0, sizeof *sx);
	sx->stx_mask = STATX_BASIC_STATS;
	sx->stx_blksize = (uint32_t)st->st_blksize;
	sx->stx_nlink = (uint32_t)st->st_nlink;
	sx->stx_uid = st->st_uid;
	sx->stx_gid = st->st_gid;
	sx->stx_mode = (uint16_t)st->st_mode;
	sx->stx_ino = st->st_ino;
	sx->stx_size = (uint64_t)st->st_size;
	sx->stx_blocks = (uint64_t)st->st_blocks;
	sx->stx_atime = stx_time(st->st_atim);
	sx->stx_mtime = stx_time(st->st_mtim);
	sx->stx_ctime = stx_time(st->st_ctim);
	sx->stx_rdev_major = major(st->st_rdev);
	sx->stx_rdev_minor = minor(st->st_rdev);
	sx->stx_dev_major = major(st->st_dev);
	sx->stx_dev_minor = minor(st->st_dev);
}

#define STATX_FLAGS                                                          \
	(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT |            \
	 AT_STATX_SYNC_TYPE)

long srv_statx(struct call *c)
{
	long flags = (int)c->a[2];
	if ((flags & ~(long)STATX_FLAGS) ||
	    (flags & AT_STATX_SYNC_TYPE) == AT_STATX_SYNC_TYPE ||
	    ((uint32_t)c->a[3] & STATX__RESERVED))
		return -EINVAL;
	if (!call_obj_out(c, 4))
		return -EFAULT;
	const char *path = call_path_null(c, 1) ? NULL : call_path(c, 1);
	struct target t;
	long r = at_target(c, c->a[0], path, flags, &t);
	if (r < 0)
		return r;
	struct stat st;
	if (t.in)
		vfs_stat(t.in, &st);
	else if ((r = ofd_stat(t.o, &st)) < 0)
		return r;
	struct statx sx;
	statx_of(&st, &sx);
	call_obj_out_set(c, 4, &sx);
	return 0;
}
