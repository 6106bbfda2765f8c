/* File handlers: open, read/write, seek, stat, access, truncate, dup and
 * fcntl, ioctl. */
#define _GNU_SOURCE
#include <limits.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include "bind.h"
#include "ofd.h"
#include "pipe.h"
#include "procfs.h"
#include "sys.h"

#define STATUS_FLAGS (O_APPEND | O_NONBLOCK | O_SYNC | O_DSYNC | O_NOATIME)
/* The kernel's __O_TMPFILE bit (glibc's O_TMPFILE adds O_DIRECTORY) */
#define TMPFILE_BIT (O_TMPFILE & ~O_DIRECTORY)

static struct cage *cur(struct call *c)
{
	return c->cage;
}

/* Host fd of a regular file's bytes, from the bounded cache (vfs.c):
 * use it for this one call only. */
static long data_fd(struct inode *in)
{
	return vfs_data_fd(srv.vfs, in);
}

long sys_truncate_inode(struct inode *in, uint64_t len)
{
	if (len > vfs_room_size(srv.vfs, in))
		return -EDQUOT;
	long fd = store_reserve(srv.store,
				len <= in->size ? STORE_FREES : STORE_ADDS);
	if (fd < 0)
		return fd;
	if ((fd = data_fd(in)) < 0)
		return fd;
	if (ftruncate((int)fd, (off_t)len) < 0)
		return -errno;
	in->dirty = true; /* the size is the data file's */
	in->size = len;
	vfs_charge(srv.vfs, in);
	sys_touch(in, true);
	store_log_inode(srv.store, in);
	return 0;
}

/* A new inode of mode (file type and permission bits as they will be)
 * in dir, checked as a create there, linked nowhere yet (nlink 0). */
static long new_inode(struct cage *cg, struct inode *dir, uint32_t mode,
		      struct inode **out)
{
	long r = sys_writable_dir(dir);
	if (r < 0)
		return r;
	if (dir->nlink == 0)
		return -ENOENT; /* created in a removed directory */
	r = vfs_permission(&cg->cred, dir, W_OK | X_OK);
	if (r < 0 || (r = sys_inode_room()) < 0 ||
	    (r = store_reserve(srv.store, STORE_ADDS)) < 0)
		return r;
	*out = sys_alloc_inode(&cg->cred, dir, mode);
	return *out ? 0 : -ENOMEM;
}

long sys_create_node(struct call *c, struct walk *w, uint32_t type,
		     long mode, struct inode **out)
{
	if (w->slash)
		return -EISDIR;
	uint32_t m = type | ((uint32_t)mode & 07777 & ~cur(c)->umask);
	return sys_create_inode(c, w, m, NULL, out);
}

long sys_create_inode(struct call *c, struct walk *w, uint32_t mode,
		      const char *target, struct inode **out)
{
	struct inode *in;
	long r = target ? vfs_room(srv.vfs, strlen(target)) : 0;
	if (r < 0 || (r = new_inode(cur(c), w->dir, mode, &in)) < 0)
		return r;
	/* No data file yet: it is made by the first read or write, which
	 * answers ENOSPC itself when the disk is full; an empty file costs
	 * no host inode. */
	if ((target && (r = vfs_set_target(in, target, strlen(target))) < 0) ||
	    (r = vfs_dir_add(w->dir, w->name, in->ino)) < 0) {
		vfs_maybe_free(srv.vfs, in); /* nlink 0: freed, data file too */
		return r;
	}
	in->nlink = 1;
	vfs_charge(srv.vfs, in); /* a symlink's target */
	sys_touch(w->dir, true);
	store_log_inode(srv.store, in);
	store_log_link(srv.store, w->dir->ino, w->name, in->ino);
	store_log_inode(srv.store, w->dir);
	*out = in;
	return 0;
}

/* An existing inode's checks, in Linux's order (do_open, may_open,
 * then the read-only mount for a write). */
static long open_existing_check(struct cage *cg, struct inode *in, long flags,
				bool exec)
{
	int acc = (int)flags & O_ACCMODE;
	if (exec) /* the loader reads what the caller may execute */
		return S_ISREG(in->mode) ? vfs_permission(&cg->cred, in, X_OK)
					 : -EACCES;
	if (in->host && (flags & O_TRUNC) && S_ISREG(in->mode))
		return -EROFS;
	if (S_ISLNK(in->mode))
		return -ELOOP; /* O_NOFOLLOW */
	if (in->host && (S_ISCHR(in->mode) || S_ISBLK(in->mode) ||
			 S_ISFIFO(in->mode)))
		return -EACCES; /* a bind is nodev; no FIFO either */
	if (S_ISSOCK(in->mode))
		return -ENXIO;
	int want = (acc != O_WRONLY ? R_OK : 0) |
		   (acc != O_RDONLY || (flags & O_TRUNC) ? W_OK : 0);
	long r = vfs_permission(&cg->cred, in, want);
	if (r < 0)
		return r;
	if (in->host && acc != O_RDONLY)
		return -EROFS;
	/* reads that leave atime alone: the owner's or root's choice */
	if ((flags & O_NOATIME) && !sys_owner_or_root(&cg->cred, in))
		return -EPERM;
	return 0;
}

/* O_TRUNC of an existing file: its times move even when it was empty,
 * as Linux's handle_truncate (an empty one needs no data file). */
static long open_trunc(struct inode *in)
{
	if (in->size)
		return sys_truncate_inode(in, 0);
	if (in->host || in->proc)
		return 0;
	long r = store_reserve(srv.store, STORE_FREES);
	if (r < 0)
		return r;
	sys_touch(in, true);
	store_log_inode(srv.store, in);
	return 0;
}

/* The fd as the one the name's file gets; a failure drops o. */
static long install(struct cage *cg, struct ofd *o, struct walk *w, long flags)
{
	if (!ofd_is(o, &ofd_dir_ops) && !o->in->host && !o->in->proc)
		ofd_set_name(o, w->dir, w->name); /* for /proc/<pid>/fd */
	int fd = fd_install(cg->fds, 0, o, flags & O_CLOEXEC);
	if (fd < 0)
		ofd_put(srv.vfs, o);
	return fd;
}

/* O_PATH: a file named, not opened (Linux's build_open_how keeps only
 * O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC): no permission on it, any kind
 * of file (a FIFO does not wait, a link with O_NOFOLLOW is itself), and
 * the fd only names it (fd_get refuses it: read, write... EBADF). */
static long open_path(struct call *c, long dirfd, const char *path,
		      long flags)
{
	struct cage *cg = cur(c);
	struct walk w;
	if (!fd_room(cg->fds))
		return -EMFILE;
	if (ofd_files_full())
		return -ENFILE;
	long r = sys_walk(c, dirfd, path, flags & O_NOFOLLOW ? 0 : WALK_FOLLOW,
			  &w);
	if (r < 0)
		return r;
	struct inode *in = w.in;
	if (!in)
		return -ENOENT;
	if ((flags & O_DIRECTORY) && !S_ISDIR(in->mode))
		return -ENOTDIR;
	/* a /proc file is its snapshot, a bind's file open on the host */
	if ((in->proc && (r = procfs_open(cg, &in, O_RDONLY)) < 0) ||
	    (in->host && !S_ISLNK(in->mode) && (r = data_fd(in)) < 0))
		return r;
	struct ofd *o = ofd_new(&ofd_path_ops,
				O_PATH | ((int)flags & (O_DIRECTORY | O_NOFOLLOW)),
				in, NULL);
	if (!o)
		return -ENOMEM;
	vfs_ref(in);
	return install(cg, o, &w, flags);
}

/* O_TMPFILE: a regular file with no name in the directory path names,
 * freed at its last close unless linkat gives it one (not with O_EXCL).
 * Journaled with nlink 0, so a crash frees it too. */
static long open_tmpfile(struct call *c, long dirfd, const char *path,
			 long flags, long mode)
{
	struct cage *cg = cur(c);
	int acc = (int)flags & O_ACCMODE;
	struct walk w;
	if ((flags & (O_TMPFILE | O_CREAT)) != O_TMPFILE || acc == O_RDONLY ||
	    acc == O_ACCMODE)
		return -EINVAL;
	if (!fd_room(cg->fds))
		return -EMFILE;
	if (ofd_files_full())
		return -ENFILE;
	long r = sys_walk(c, dirfd, path, WALK_FOLLOW, &w);
	if (r < 0)
		return r;
	struct inode *dir = w.in;
	if (!dir)
		return -ENOENT;
	if (!S_ISDIR(dir->mode))
		return -ENOTDIR;
	if (dir->proc)
		return -EOPNOTSUPP; /* no tmpfile in Linux's /proc either */
	struct inode *in;
	if ((r = new_inode(cg, dir, S_IFREG | ((uint32_t)mode & 07777 & ~cg->umask),
			   &in)) < 0)
		return r;
	struct ofd *o = ofd_new(&ofd_regular_ops,
				(int)flags & (O_ACCMODE | STATUS_FLAGS), in, NULL);
	if (!o) {
		vfs_maybe_free(srv.vfs, in);
		return -ENOMEM;
	}
	in->linkable = !(flags & O_EXCL);
	vfs_ref(in);
	in->opens++;
	store_log_inode(srv.store, in);
	int fd = fd_install(cg->fds, 0, o, flags & O_CLOEXEC);
	if (fd < 0)
		ofd_put(srv.vfs, o);
	return fd;
}

/* exec: for the loader (lind_openexec), execute permission instead of
 * read permission. */
static long open_at(struct call *c, long dirfd, const char *path, long flags,
		    long mode, bool exec)
{
	struct cage *cg = cur(c);
	int acc = (int)flags & O_ACCMODE;
	if (flags & O_PATH)
		return open_path(c, dirfd, path, flags);
	if (flags & TMPFILE_BIT)
		return open_tmpfile(c, dirfd, path, flags, mode);
	if ((flags & (O_CREAT | O_DIRECTORY)) == (O_CREAT | O_DIRECTORY))
		return -EINVAL;
	if (!fd_room(cg->fds))
		return -EMFILE;
	if (ofd_files_full())
		return -ENFILE; /* before the lookup, as Linux */
	if (flags & O_PATH)
		return open_path(c, dirfd, path, flags);
	struct walk w;
	/* O_CREAT|O_EXCL never follows the last component: it must not
	 * exist, not even as a dangling link */
	bool excl = (flags & O_CREAT) && (flags & O_EXCL);
	long r = sys_walk(c, dirfd, path,
			  (flags & O_NOFOLLOW) || excl ? 0 : WALK_FOLLOW, &w);
	if (r == -ENOTDIR && w.in && w.slash && (flags & O_CREAT))
		return -EISDIR; /* "file/" with O_CREAT, as Linux answers */
	if (r < 0)
		return r;
	struct inode *in = w.in;
	bool created = false;
	if (!in) {
		if (!(flags & O_CREAT))
			return -ENOENT;
		if ((r = sys_create_node(c, &w, S_IFREG, mode, &in)) < 0)
			return r;
		created = true;
	} else {
		if (excl)
			return -EEXIST;
		if (S_ISDIR(in->mode) &&
		    (acc != O_RDONLY || (flags & (O_CREAT | O_TRUNC))))
			return -EISDIR;
		if ((flags & O_DIRECTORY) && !S_ISDIR(in->mode))
			return -ENOTDIR;
		if ((r = open_existing_check(cg, in, flags, exec)) < 0)
			return r;
		/* a proc file's contents are made now, in its own node */
		if (in->proc && (r = procfs_open(cg, &in, flags)) < 0)
			return r;
	}
	const struct ofd_ops *ops = ofd_ops_for(in);
	bool file = ops == &ofd_regular_ops || ops == &ofd_proc_ops;
	/* The data file is opened (made) on the first read or write:
	 * opening or creating a file costs no host fd. */
	if (file && (flags & O_TRUNC) && !created)
		sys_remove_privs(&cg->cred, in);
	if (file && (flags & O_TRUNC) && !created && (r = open_trunc(in)) < 0)
		return r;
	/* A host file is opened now: the inode looked up (or ESTALE), with
	 * the server's own access checked as well. */
	if (in->host && (r = data_fd(in)) < 0)
		return r;
	struct ofd *o;
	if (S_ISFIFO(in->mode) && acc == O_ACCMODE)
		return -EINVAL; /* a FIFO end reads or writes (fifo_open) */
	if (S_ISFIFO(in->mode)) { /* may wait for the other side */
		r = pipe_fifo_open(c, in, (int)flags & (O_ACCMODE | STATUS_FLAGS),
				   &o);
		if (r != 0)
			return r;
	} else {
		o = ofd_new(ops, (int)flags & (O_ACCMODE | STATUS_FLAGS), in,
			    NULL);
		if (!o)
			return -ENOMEM;
		vfs_ref(in);
		if (file)
			in->opens++; /* ofd_regular_release counts it down */
	}
	return install(cg, o, &w, flags);
}

long srv_open(struct call *c)
{
	return open_at(c, AT_FDCWD, call_path(c, 0), c->a[1], c->a[2], false);
}

long srv_openat(struct call *c)
{
	return open_at(c, c->a[0], call_path(c, 1), c->a[2], c->a[3], false);
}

long srv_creat(struct call *c)
{
	return open_at(c, AT_FDCWD, call_path(c, 0),
		       O_CREAT | O_WRONLY | O_TRUNC, c->a[1], false);
}

/* execve's file, read by the cage's own loader (client-libc/exec.c): a
 * program with --x is run by Linux for a user who may not read it.  The
 * fd is the loader's; a loader in the cage's process cannot hide the
 * bytes from the cage (docs/architecture.md, "exec"). */
long srv_lind_openexec(struct call *c)
{
	long at = c->a[2];
	if (at & ~AT_SYMLINK_NOFOLLOW)
		return -EINVAL;
	return open_at(c, c->a[0], call_path(c, 1),
		       O_RDONLY | (at & AT_SYMLINK_NOFOLLOW ? O_NOFOLLOW : 0), 0,
		       true);
}

long srv_close(struct call *c)
{
	return fd_close(srv.vfs, cur(c)->fds, c->a[0]);
}

/* ---- reading and writing -------------------------------------------- */

/* preadv2/pwritev2's RWF_* flags, numbered as Linux's uapi (newer ones
 * than the build host's headers may know). */
#ifndef RWF_NOAPPEND
#define RWF_NOAPPEND 0x20
#endif
#ifndef RWF_ATOMIC
#define RWF_ATOMIC 0x40
#endif
#ifndef RWF_DONTCACHE
#define RWF_DONTCACHE 0x80
#endif
#define RWF_KNOWN (RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT | RWF_APPEND | \
		   RWF_NOAPPEND | RWF_ATOMIC | RWF_DONTCACHE)

/* Linux's kiocb_set_rw_flags: atomic writes need O_DIRECT and uncached
 * I/O the host's page cache, neither of which a cage has. */
static long rwf_check(long rwf)
{
	if (rwf & ~(long)RWF_KNOWN)
		return -EOPNOTSUPP;
	if ((rwf & RWF_APPEND) && (rwf & RWF_NOAPPEND))
		return -EINVAL;
	return rwf & (RWF_ATOMIC | RWF_DONTCACHE) ? -EOPNOTSUPP : 0;
}

/* o's status flags for one call with flags rwf: NOWAIT is O_NONBLOCK,
 * APPEND and NOAPPEND set or clear O_APPEND. */
static int rwf_status(int flags, long rwf)
{
	if (rwf & RWF_NOWAIT)
		flags |= O_NONBLOCK;
	if (rwf & RWF_APPEND)
		flags |= O_APPEND;
	if (rwf & RWF_NOAPPEND)
		flags &= ~O_APPEND;
	return flags;
}

/* The description of a read or write: a re-run goes on with the one it
 * parked on, as a call blocked in Linux holds its file even if the fd is
 * closed.  EBADF for an access mode that does not allow it; a p* call on a pipe or
 * stream is ESPIPE first, as Linux checks FMODE_PREAD before the mode. */
static long rw_ofd(struct call *c, long fd, bool write, const int64_t *pos,
		   struct ofd **out)
{
	struct ofd *o = c->hold ? c->hold : fd_get(cur(c)->fds, fd);
	if (!o)
		return -EBADF;
	if (pos && !o->ops->seek)
		return -ESPIPE;
	if (write ? !ofd_writable(o) : !ofd_readable(o))
		return -EBADF;
	*out = o;
	return 0;
}

/*
 * A direct read's buffer and an area write's bytes are the cage's slot
 * (Request.area, Reply.area), which the cage may change at any moment.
 * The descriptions that only move bytes (a store file, a pipe or FIFO,
 * the launcher's stdio, /dev/null and kin) use it in place: a change
 * there only changes the cage's own data.  The others (sockets, eventfd,
 * timerfd, /proc...) may check bytes and use them again, so they work on
 * a private copy: what they checked is what they use.
 */
static uint8_t priv[LIND_MAX_IO];

static bool moves_bytes(const struct ofd *o)
{
	return o->ops == &ofd_regular_ops || o->ops == &ofd_pipe_ops ||
	       o->ops == &ofd_fifo_ops || o->ops == &ofd_stream_ops ||
	       o->ops == &ofd_dev_ops;
}

static bool in_area(const struct call *c, const void *buf, size_t len)
{
	return len && len <= sizeof priv && buf == srv_slot_area(c->cage, c->tag);
}

/* One read at *pos (NULL uses and advances the description's offset),
 * with preadv2's flags rwf (checked when there is something to read). */
static long do_read(struct call *c, long fd, void *buf, size_t cap,
		    const int64_t *pos, long rwf)
{
	struct ofd *o;
	long r = rw_ofd(c, fd, false, pos, &o);
	if (r < 0)
		return r;
	if (!o->ops->read)
		return -EINVAL;
	if (rwf && cap && (r = rwf_check(rwf)) < 0)
		return r;
	int flags = o->flags;
	o->flags = rwf_status(flags, rwf);
	bool copy = in_area(c, buf, cap) && !moves_bytes(o);
	r = o->ops->read(c, o, copy ? priv : buf, cap, pos);
	o->flags = flags;
	if (copy && r > 0)
		memcpy(buf, priv, (size_t)r);
	return r;
}

static long do_write(struct call *c, long fd, const void *buf, size_t len,
		     const int64_t *pos, long rwf)
{
	struct ofd *o;
	long r = rw_ofd(c, fd, true, pos, &o);
	if (r < 0)
		return r;
	if (!o->ops->write)
		return -EINVAL;
	if (rwf && len && (r = rwf_check(rwf)) < 0)
		return r;
	if (in_area(c, buf, len) && !moves_bytes(o)) {
		memcpy(priv, buf, len);
		buf = priv;
	}
	int flags = o->flags;
	o->flags = rwf_status(flags, rwf);
	r = o->ops->write(c, o, buf, len, pos);
	o->flags = flags;
	/* RWF_DSYNC, RWF_SYNC: durable before the answer, as O_DSYNC */
	if (r > 0 && (rwf & (RWF_DSYNC | RWF_SYNC)) && o->ops->sync) {
		long e = o->ops->sync(o, !(rwf & RWF_SYNC));
		if (e < 0)
			return e;
	}
	return r;
}

static long read_reply(struct call *c, long r)
{
	c->out[1].len = r > 0 ? (size_t)r : 0;
	return r;
}

long srv_read(struct call *c)
{
	return read_reply(c, do_read(c, c->a[0], c->out[1].buf, c->out[1].cap,
				     NULL, 0));
}

long srv_write(struct call *c)
{
	return do_write(c, c->a[0], c->in[1].ptr, c->in[1].len, NULL, 0);
}

long srv_pread64(struct call *c)
{
	if (c->a[3] < 0)
		return -EINVAL;
	return read_reply(c, do_read(c, c->a[0], c->out[1].buf, c->out[1].cap,
				     &c->a[3], 0));
}

long srv_pwrite64(struct call *c)
{
	if (c->a[3] < 0)
		return -EINVAL;
	return do_write(c, c->a[0], c->in[1].ptr, c->in[1].len, &c->a[3], 0);
}

/* The vectored calls: the client gathered (or will scatter) the array,
 * so they are read and write with its count checked (UIO_MAXIOV), at
 * *pos (NULL: the description's offset) with flags rwf.  A negative
 * offset is EINVAL, except -1 for the *2 forms. */
static long readv_at(struct call *c, const int64_t *pos, long rwf)
{
	if (c->a[2] < 0 || c->a[2] > IOV_MAX || (pos && *pos < 0))
		return -EINVAL;
	return read_reply(c, do_read(c, c->a[0], c->out[1].buf, c->out[1].cap,
				     pos, rwf));
}

static long writev_at(struct call *c, const int64_t *pos, long rwf)
{
	if (c->a[2] < 0 || c->a[2] > IOV_MAX || (pos && *pos < 0))
		return -EINVAL;
	return do_write(c, c->a[0], c->in[1].ptr, c->in[1].len, pos, rwf);
}

static const int64_t *rw2_pos(const struct call *c)
{
	return c->a[3] == -1 ? NULL : &c->a[3];
}

long srv_readv(struct call *c)
{
	return readv_at(c, NULL, 0);
}

long srv_writev(struct call *c)
{
	return writev_at(c, NULL, 0);
}

long srv_preadv(struct call *c)
{
	return readv_at(c, &c->a[3], 0);
}

long srv_pwritev(struct call *c)
{
	return writev_at(c, &c->a[3], 0);
}

long srv_preadv2(struct call *c)
{
	return readv_at(c, rw2_pos(c), c->a[5]);
}

long srv_pwritev2(struct call *c)
{
	return writev_at(c, rw2_pos(c), c->a[5]);
}

long srv_lseek(struct call *c)
{
	struct ofd *o = fd_get(cur(c)->fds, c->a[0]);
	if (!o)
		return -EBADF;
	if (!o->ops->seek)
		return -ESPIPE;
	return o->ops->seek(o, c->a[1], (int)c->a[2]);
}

/* ---- stat and access -------------------------------------------------- */

long sys_stat_inode(struct call *c, struct inode *in, int out)
{
	vfs_stat(in, c->out[out].buf);
	c->out[out].len = sizeof(struct stat);
	return 0;
}

static long stat_path(struct call *c, long dirfd, const char *path,
		      int flags, int out)
{
	struct inode *start, *in;
	long r = sys_start(c, dirfd, path, &start);
	if (r < 0)
		return r;
	if ((r = vfs_resolve(srv.vfs, &cur(c)->cred, start, path, flags,
			     &in)) < 0)
		return r;
	return sys_stat_inode(c, in, out);
}

static long stat_fd(struct call *c, long fd, int out)
{
	struct ofd *o = fd_get_raw(cur(c)->fds, fd); /* O_PATH too */
	if (!o)
		return -EBADF;
	long r = ofd_stat(o, c->out[out].buf);
	c->out[out].len = r == 0 ? sizeof(struct stat) : 0;
	return r;
}

long srv_stat(struct call *c)
{
	return stat_path(c, AT_FDCWD, call_path(c, 0), WALK_FOLLOW, 1);
}

long srv_lstat(struct call *c)
{
	return stat_path(c, AT_FDCWD, call_path(c, 0), 0, 1);
}

long srv_fstat(struct call *c)
{
	return stat_fd(c, c->a[0], 1);
}

long srv_newfstatat(struct call *c)
{
	long flags = c->a[3];
	if (flags & ~(long)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT))
		return -EINVAL;
	const char *path = call_path(c, 1);
	if (path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
		if ((int)c->a[0] == AT_FDCWD)
			return sys_stat_inode(c, cur(c)->cwd, 2);
		return stat_fd(c, c->a[0], 2);
	}
	return stat_path(c, c->a[0], path,
			 flags & AT_SYMLINK_NOFOLLOW ? 0 : WALK_FOLLOW, 2);
}

/* Checked with the real ids, the lookup too, unless AT_EACCESS asks
 * for the effective (filesystem) ones (Linux's access_override_creds). */
static long access_at(struct call *c, long dirfd, const char *path, long mode,
		      long flags)
{
	if (mode & ~(long)(R_OK | W_OK | X_OK))
		return -EINVAL;
	if (flags & ~(long)(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH))
		return -EINVAL;
	const struct cred ac = flags & AT_EACCESS
				       ? cur(c)->cred
				       : cred_for_access(&cur(c)->cred);
	struct inode *start, *in;
	long r;
	if (path[0] == '\0' && (flags & AT_EMPTY_PATH) && (int)dirfd != AT_FDCWD) {
		struct ofd *o = fd_get_raw(cur(c)->fds, dirfd);
		if (!o)
			return -EBADF;
		if (!o->in)
			return 0; /* a stream: the launcher's own fd */
		in = o->in;
	} else if ((r = sys_start(c, dirfd, path, &start)) < 0) {
		return r;
	} else if (path[0] == '\0' && (flags & AT_EMPTY_PATH)) {
		in = start;
	} else if ((r = vfs_resolve(srv.vfs, &ac, start, path,
				    flags & AT_SYMLINK_NOFOLLOW ? 0 : WALK_FOLLOW,
				    &in)) < 0) {
		return r;
	}
	if (mode && (r = vfs_permission(&ac, in, (int)mode)) < 0)
		return r;
	/* a read-only mount refuses W_OK, but not for devices or FIFOs */
	if ((mode & W_OK) && in->host &&
	    (S_ISREG(in->mode) || S_ISDIR(in->mode) || S_ISLNK(in->mode)))
		return -EROFS;
	return 0;
}

long srv_access(struct call *c)
{
	return access_at(c, AT_FDCWD, call_path(c, 0), c->a[1], 0);
}

long srv_faccessat(struct call *c)
{
	return access_at(c, c->a[0], call_path(c, 1), c->a[2], 0);
}

long srv_faccessat2(struct call *c)
{
	return access_at(c, c->a[0], call_path(c, 1), c->a[2], c->a[3]);
}

/* ---- size ---------------------------------------------------- */

long srv_ftruncate(struct call *c)
{
	struct ofd *o = fd_get(cur(c)->fds, c->a[0]);
	if (!o)
		return -EBADF;
	if (c->a[1] < 0 || !ofd_is_file(o) || !ofd_writable(o))
		return -EINVAL;
	sys_remove_privs(&cur(c)->cred, o->in);
	return sys_truncate_inode(o->in, (uint64_t)c->a[1]);
}

/* ---- descriptors ------------------------------------------------------ */

long srv_dup(struct call *c)
{
	return fd_dup(cur(c)->fds, c->a[0], 0, false);
}

long srv_dup2(struct call *c)
{
	if (c->a[0] == c->a[1])
		return fd_get_raw(cur(c)->fds, c->a[0]) ? c->a[1] : -EBADF;
	return fd_dup2(srv.vfs, cur(c)->fds, c->a[0], c->a[1], false);
}

long srv_dup3(struct call *c)
{
	if (c->a[2] & ~(long)O_CLOEXEC || c->a[0] == c->a[1])
		return -EINVAL;
	return fd_dup2(srv.vfs, cur(c)->fds, c->a[0], c->a[1],
		       c->a[2] & O_CLOEXEC);
}

/* The commands Linux lets an O_PATH fd take (check_fcntl_cmd). */
static bool path_fcntl(long cmd)
{
	return cmd == F_DUPFD || cmd == F_DUPFD_CLOEXEC || cmd == F_GETFD ||
	       cmd == F_SETFD || cmd == F_GETFL;
}

/* F_SETFL: the flags Linux lets it change (SETFL_MASK, less O_DIRECT);
 * O_NOATIME only by the file's owner or root (setfl). */
static long set_fl(struct call *c, struct ofd *o, long arg)
{
	int set = O_APPEND | O_NONBLOCK | O_NOATIME;
	if ((arg & O_NOATIME) && !(o->flags & O_NOATIME) && o->in &&
	    !sys_owner_or_root(&cur(c)->cred, o->in))
		return -EPERM;
	o->flags = (o->flags & ~set) | ((int)arg & set);
	return 0;
}

long srv_fcntl(struct call *c)
{
	struct fdtable *t = cur(c)->fds;
	long fd = c->a[0], arg = c->a[2];
	struct ofd *o = c->hold ? c->hold : fd_get_raw(t, fd); /* F_SETLKW re-run */
	if (!o)
		return -EBADF;
	if ((o->flags & O_PATH) && !path_fcntl(c->a[1]))
		return -EBADF;
	switch (c->a[1]) {
	case F_DUPFD:
	case F_DUPFD_CLOEXEC:
		if (arg < 0 || arg >= fd_table_limit(t))
			return -EINVAL;
		return fd_dup(t, fd, arg, c->a[1] == F_DUPFD_CLOEXEC);
	case F_GETFD:
		return t->cloexec[fd] ? FD_CLOEXEC : 0;
	case F_SETFD:
		t->cloexec[fd] = arg & FD_CLOEXEC;
		return 0;
	case F_GETFL:
		return o->flags;
	case F_SETFL:
		return set_fl(c, o, arg);
	case F_GETLK:
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_GETLK:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		return sys_fcntl_lock(c, o, c->a[1]);
	case F_GETPIPE_SZ:
	case F_SETPIPE_SZ:
		return o->ops->fcntl ? o->ops->fcntl(o, (int)c->a[1], arg)
				     : -EBADF;
	default:
		return -EINVAL;
	}
}

static long set_nonblock(struct call *c, struct ofd *o)
{
	int on;
	if (!call_obj_in(c, 2, &on, sizeof on))
		return -EFAULT;
	o->flags = on ? o->flags | O_NONBLOCK : o->flags & ~O_NONBLOCK;
	return 0;
}

long srv_ioctl(struct call *c)
{
	struct ofd *o = fd_get(cur(c)->fds, c->a[0]);
	int dir;
	if (!o)
		return -EBADF;
	unsigned long req = (unsigned long)c->a[1];
	if (req == TIOCGPGRP || req == TIOCSPGRP || req == TIOCGSID)
		return srv_tty_job_ioctl(c, o, req);
	if (req == FIONBIO) /* any description's O_NONBLOCK, as Linux */
		return set_nonblock(c, o);
	int size = lind_ioctl_size((uint64_t)c->a[1], &dir);
	if (!o->ops->ioctl || (dir != LIND_IOCTL_OUT && dir != LIND_IOCTL_IO))
		return -ENOTTY;
	if (dir == LIND_IOCTL_IO) /* the relay checked: size bytes each way */
		memcpy(c->out[2].buf, c->in[2].ptr, (size_t)size);
	long r = o->ops->ioctl(o, (unsigned long)c->a[1], c->out[2].buf);
	c->out[2].len = r == 0 ? (size_t)size : 0;
	return r;
}
