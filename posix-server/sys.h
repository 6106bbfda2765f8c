/* Helpers shared by the handlers (sys_*.c). */
#ifndef SRV_SYS_H
#define SRV_SYS_H

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>

#include "cage.h"
#include "fdtable.h"
#include "limit.h"
#include "ofd.h"
#include "server.h"
#include "store.h"
#include "vfs.h"

#ifndef O_NOATIME /* <fcntl.h> says it only with _GNU_SOURCE */
#define O_NOATIME 01000000
#endif

/* sys_signal.c: tcgetpgrp, tcsetpgrp, tcgetsid on fd's description o. */
long srv_tty_job_ioctl(struct call *c, struct ofd *o, unsigned long req);

/* getdents64's record, as the kernel lays it out. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* A directory, open or O_PATH: what fchdir and a dirfd take. */
static inline bool ofd_is_dir(const struct ofd *o)
{
	return o->ops == &ofd_dir_ops ||
	       (o->ops == &ofd_path_ops && S_ISDIR(o->in->mode));
}

/* Where a path given with at-fd dirfd starts: cwd for AT_FDCWD or an
 * absolute path, else the directory open (or O_PATH) at dirfd.  An
 * empty path is ENOENT before dirfd is looked at (Linux's getname): the
 * walk answers it. */
static inline long sys_start(struct call *c, long dirfd, const char *path,
			     struct inode **start)
{
	if (path[0] == '/' || !path[0] || (int)dirfd == AT_FDCWD) {
		*start = c->cage->cwd;
		return 0;
	}
	struct ofd *o = fd_get_raw(c->cage->fds, dirfd); /* O_PATH too */
	if (!o)
		return -EBADF;
	if (!o->in || !S_ISDIR(o->in->mode))
		return -ENOTDIR;
	*start = o->in;
	return 0;
}

static inline long sys_walk(struct call *c, long dirfd, const char *path,
			    int flags, struct walk *w)
{
	struct inode *start;
	memset(w, 0, sizeof *w); /* open_at looks at w after -ENOTDIR */
	long r = sys_start(c, dirfd, path, &start);
	if (r < 0)
		return r;
	return vfs_walk(srv.vfs, &c->cage->cred, start, path, flags, w);
}

/* Sticky directories: only the owner of the entry or the directory (or
 * CAP_FOWNER) may remove or rename it. */
static inline long sys_sticky_ok(const struct cred *cr, const struct inode *dir,
				 const struct inode *in)
{
	if (!(dir->mode & S_ISVTX) || cred_fs_capable(cr) ||
	    cr->fsuid == dir->uid || cr->fsuid == in->uid)
		return 0;
	return -EPERM;
}

/* Room for one more inode: each costs server memory, so their number is
 * a limit, answered as a filesystem out of inodes answers; and its bytes
 * count for the --max-size quota. */
static inline long sys_inode_room(void)
{
	if (vfs_inodes(srv.vfs) >= srv_limits.inodes)
		return -ENOSPC;
	return vfs_room(srv.vfs, VFS_INODE_COST);
}

/* A new inode of mode in dir, owned as Linux's inode_init_owner says:
 * the caller's filesystem ids, but a setgid directory's group, passed on
 * to a subdirectory with the setgid bit; a group-executable setgid file
 * made there by a non-member of that group loses the bit
 * (mode_strip_sgid).  NULL when out of memory. */
static inline struct inode *sys_alloc_inode(const struct cred *cr,
					    const struct inode *dir,
					    uint32_t mode)
{
	uint32_t gid = cr->fsgid, sx = S_ISGID | S_IXGRP;
	if (dir->mode & S_ISGID) {
		gid = dir->gid;
		if (S_ISDIR(mode))
			mode |= S_ISGID;
		else if ((mode & sx) == sx && !cred_in_group(cr, gid) &&
			 !cred_fs_capable(cr))
			mode &= ~(uint32_t)S_ISGID;
	}
	return vfs_alloc(srv.vfs, mode, cr->fsuid, gid, 0);
}

/* Linux's inode_owner_or_capable. */
static inline bool sys_owner_or_root(const struct cred *cr,
				     const struct inode *in)
{
	return cred_fs_capable(cr) || cr->fsuid == in->uid;
}

/* A read through o (read, getdents, mmap, a copy's source): atime moves
 * as relatime says (vfs_accessed), unless o was opened O_NOATIME. */
static inline void sys_file_accessed(const struct ofd *o)
{
	if (!(o->flags & O_NOATIME))
		vfs_accessed(srv.vfs, o->in);
}

static inline void sys_touch(struct inode *in, bool modify)
{
	int64_t now = vfs_now();
	in->ctime = now;
	if (modify)
		in->mtime = now;
}

/* Binds are read-only: a change inside one (dir is where the name is)
 * answers EROFS, at the point of the call where Linux checks a read-only
 * mount. */
static inline long sys_writable_dir(const struct inode *dir)
{
	if (dir->proc)
		return -EPERM; /* Linux's answer in /proc (creating there
				* is ENOENT: procfs_lookup finds no name) */
	return dir->host ? -EROFS : 0;
}

/* sys_attr.c: a write or truncate of regular file in drops its setuid
 * bit, and its setgid bit when group-executable or of a group the caller
 * is not in, unless the caller is root (Linux's file_remove_privs). */
void sys_remove_privs(const struct cred *cr, struct inode *in);
/* sys_lock.c: fcntl's record lock commands on o. */
long sys_fcntl_lock(struct call *c, struct ofd *o, long cmd);
/* sys_file.c: a new node of type (S_IFREG, S_IFIFO...) named by w, with
 * mode's permission bits less the umask (journaled). */
long sys_create_node(struct call *c, struct walk *w, uint32_t type,
		     long mode, struct inode **out);
/* sys_file.c: the same with mode whole (type and bits, no umask) and,
 * for a symlink, its target; the walk's trailing slash is the caller's. */
long sys_create_inode(struct call *c, struct walk *w, uint32_t mode,
		      const char *target, struct inode **out);
/* sys_file.c: a regular file's size set to len (journaled). */
long sys_truncate_inode(struct inode *in, uint64_t len);
/* sys_file.c: the stat used by stat, fstat, newfstatat. */
long sys_stat_inode(struct call *c, struct inode *in, int out);
/* sys_poll.c: what o is ready for (POLLIN, POLLOUT, ... as Linux's
 * f_op->poll answers, POLLRDNORM/POLLWRNORM with them). */
unsigned sys_poll_mask(struct ofd *o);
/* sys_poll.c: a struct timespec timeout in argument i as ns: -1 for
 * NULL (none), -EINVAL when invalid, saturated far in the future. */
int64_t sys_poll_timespec(const struct call *c, int i);
/* sys_dir.c: rmdir on a resolved walk (rmdir, unlinkat AT_REMOVEDIR). */
long sys_rmdir_walk(struct call *c, struct walk *w);

#endif
