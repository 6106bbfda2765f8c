/* File data handlers beyond read and write: truncate, fallocate,
 * fadvise64, readahead, copy_file_range, sendfile.  Copies are done in
 * the server between data files, at most COPY_MAX bytes per call (a short
 * copy is legal; callers loop), so one call never holds the loop long;
 * sendfile to a pipe or socket moves what the other end takes now. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/falloc.h>
#include <poll.h>
#include <unistd.h>

#include "ofd.h"
#include "sys.h"

#define COPY_MAX (1u << 20)
#define COPY_CHUNK (64u << 10)

long srv_truncate(struct call *c)
{
	struct inode *start, *in;
	const char *path = call_path(c, 0);
	long r = sys_start(c, AT_FDCWD, path, &start);
	if (r < 0 || (r = vfs_resolve(srv.vfs, &c->cage->cred, start, path,
				      WALK_FOLLOW, &in)) < 0)
		return r;
	if (S_ISDIR(in->mode))
		return -EISDIR;
	if (!S_ISREG(in->mode))
		return -EINVAL;
	if ((r = vfs_permission(&c->cage->cred, in, W_OK)) < 0)
		return r;
	if (in->host)
		return -EROFS;
	if (in->proc)
		return -EPERM;
	if (c->a[1] < 0)
		return -EINVAL;
	sys_remove_privs(&c->cage->cred, in);
	return sys_truncate_inode(in, (uint64_t)c->a[1]);
}

/* A regular file open in the store, or the errno Linux gives for what
 * fd is instead (wrong access mode: EBADF). */
static long data_ofd(struct call *c, long fd, int acc, int notreg,
		     struct ofd **out)
{
	struct ofd *o = fd_get(c->cage->fds, fd);
	if (!o)
		return -EBADF;
	if ((acc == O_RDONLY && !ofd_readable(o)) ||
	    (acc == O_WRONLY && !ofd_writable(o)))
		return -EBADF;
	if (ofd_is(o, &ofd_dir_ops))
		return -EISDIR;
	if (!o->ops->seek)
		return -ESPIPE; /* a stream or pipe */
	if (!ofd_is(o, &ofd_regular_ops))
		return -notreg; /* a /proc snapshot has no data file */
	*out = o;
	return 0;
}

/* -EDQUOT when a mode that sets the size would take it past the quota
 * (KEEP_SIZE allocates only, and the quota counts sizes). */
static long fallocate_room(struct inode *in, int mode, uint64_t off,
			   uint64_t len)
{
	uint64_t end = mode & FALLOC_FL_INSERT_RANGE ? in->size + len
		       : mode & (FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE |
				 FALLOC_FL_COLLAPSE_RANGE) ? 0
		       : off + len;
	if (end < off) /* wrapped: the host answers it */
		return 0;
	return end > vfs_room_size(srv.vfs, in) ? -EDQUOT : 0;
}

/* The data file's own fallocate does the work, in every mode Linux has
 * (KEEP_SIZE, PUNCH_HOLE, ZERO_RANGE, COLLAPSE_RANGE, INSERT_RANGE...):
 * the host filesystem's answer (EOPNOTSUPP for a mode it lacks) is the
 * cage's, and the size it leaves is the file's.  Mode 0 allocates on the
 * host, so a full disk answers ENOSPC now, not at the later write. */
long srv_fallocate(struct call *c)
{
	struct ofd *o;
	int mode = (int)c->a[1];
	int64_t off = c->a[2], len = c->a[3];
	struct stat st;
	if (off < 0 || len <= 0)
		return -EINVAL;
	if (mode & ~0xff)
		return -EOPNOTSUPP; /* before the fd, as vfs_fallocate */
	long r = data_ofd(c, c->a[0], O_WRONLY, ENODEV, &o);
	if (r < 0)
		return r;
	struct inode *in = o->in;
	bool frees = mode & (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE);
	if ((r = fallocate_room(in, mode, (uint64_t)off, (uint64_t)len)) < 0 ||
	    (r = store_reserve(srv.store, frees ? STORE_FREES : STORE_ADDS)) < 0 ||
	    (r = vfs_data_fd(srv.vfs, in)) < 0)
		return r;
	sys_remove_privs(&c->cage->cred, in); /* Linux's file_modified */
	if (fallocate((int)r, mode, (off_t)off, (off_t)len) < 0 ||
	    fstat((int)r, &st) < 0)
		return -errno;
	in->dirty = true;
	in->size = (uint64_t)st.st_size;
	vfs_charge(srv.vfs, in);
	sys_touch(in, true); /* always, as Linux's file_modified() */
	store_log_inode(srv.store, in);
	return 0;
}

long srv_fadvise64(struct call *c)
{
	struct ofd *o = fd_get(c->cage->fds, c->a[0]);
	if (!o)
		return -EBADF;
	if (!o->ops->seek)
		return -ESPIPE;
	if (c->a[2] < 0 || (int)c->a[3] < 0 || (int)c->a[3] > 5)
		return -EINVAL; /* POSIX_FADV_NORMAL .. NOREUSE */
	return 0; /* advice taken, nothing to do */
}

long srv_readahead(struct call *c)
{
	struct ofd *o;
	long r = data_ofd(c, c->a[0], O_RDONLY, EINVAL, &o);
	if (r == -EISDIR || r == -ESPIPE)
		r = -EINVAL; /* no page cache to fill */
	return r < 0 ? r : 0;
}

/* Copies up to len bytes from in at *ioff to out at *ooff through the
 * data files; both offsets advance.  The count, or -errno if nothing was
 * copied. */
static long copy_data(struct inode *in, uint64_t *ioff, struct inode *out,
		      uint64_t *ooff, uint64_t len)
{
	static uint8_t buf[COPY_CHUNK];
	struct stat st;
	uint64_t size = in->size, done = 0;
	if (in->host) { /* a bound file: the host's size now */
		vfs_stat(in, &st);
		size = (uint64_t)st.st_size;
	}
	if (*ioff >= size)
		return 0;
	if (len > size - *ioff)
		len = size - *ioff;
	if (len > COPY_MAX)
		len = COPY_MAX;
	uint64_t room = vfs_room_size(srv.vfs, out);
	if (*ooff >= room)
		return -EDQUOT;
	if (len > room - *ooff)
		len = room - *ooff; /* what fits: a short copy */
	long r = 0;
	while (done < len) {
		size_t n = len - done < COPY_CHUNK ? len - done : COPY_CHUNK;
		ssize_t got, put;
		if ((r = vfs_data_fd(srv.vfs, in)) < 0)
			break;
		if ((got = pread((int)r, buf, n, (off_t)*ioff)) <= 0) {
			r = got < 0 ? -errno : 0;
			break;
		}
		/* fetched after the read: the cache may have closed in's */
		if ((r = vfs_data_fd(srv.vfs, out)) < 0)
			break;
		if ((put = pwrite((int)r, buf, (size_t)got, (off_t)*ooff)) <= 0) {
			r = put < 0 ? -errno : -EIO;
			break;
		}
		*ioff += (uint64_t)put;
		*ooff += (uint64_t)put;
		done += (uint64_t)put;
		out->dirty = true;
		if (*ooff > out->size) {
			out->size = *ooff;
			vfs_charge(srv.vfs, out);
		}
	}
	if (done)
		sys_touch(out, true);
	return done ? (long)done : r;
}

/* The checks copy_file_range and sendfile share: a readable regular
 * source, a writable regular destination in the store. */
static long copy_ends(struct call *c, long infd, long outfd,
		      struct ofd **i, struct ofd **o)
{
	long r = data_ofd(c, infd, O_RDONLY, EINVAL, i);
	if (r == 0)
		r = data_ofd(c, outfd, O_WRONLY, EINVAL, o);
	if (r == -ESPIPE)
		r = -EINVAL; /* a pipe or terminal */
	if (r == 0 && ((*o)->flags & O_APPEND))
		r = -EBADF;
	if (r == 0)
		r = store_writable(srv.store);
	return r;
}

long srv_copy_file_range(struct call *c)
{
	struct ofd *i, *o;
	int64_t ipos, opos;
	bool iset = call_obj_in(c, 1, &ipos, sizeof ipos);
	bool oset = call_obj_in(c, 3, &opos, sizeof opos);
	if ((unsigned)c->a[5] != 0)
		return -EINVAL;
	long r = copy_ends(c, c->a[0], c->a[2], &i, &o);
	if (r < 0)
		return r;
	uint64_t ioff = iset ? (uint64_t)ipos : i->off;
	uint64_t ooff = oset ? (uint64_t)opos : o->off;
	uint64_t len = (uint64_t)c->a[4];
	if ((iset && ipos < 0) || (oset && opos < 0) ||
	    ioff + len < ioff || ooff + len < ooff)
		return -EINVAL;
	/* a file copied onto itself: the ranges may not overlap */
	if (i->in == o->in && ioff < ooff + len && ooff < ioff + len)
		return -EINVAL;
	if (len == 0)
		return 0;
	sys_remove_privs(&c->cage->cred, o->in); /* a write to it */
	r = copy_data(i->in, &ioff, o->in, &ooff, len);
	if (r >= 0)
		sys_file_accessed(i); /* the source was read (splice) */
	if (r <= 0)
		return r;
	if (iset) {
		ipos = (int64_t)ioff;
		call_obj_out_set(c, 1, &ipos);
	} else {
		i->off = ioff;
	}
	if (oset) {
		opos = (int64_t)ooff;
		call_obj_out_set(c, 3, &opos);
	} else {
		o->off = ooff;
	}
	return r;
}

/* sendfile's source offset is now ioff: its out-argument (set on every
 * answer that is not an error), else the description's. */
static void sendfile_moved(struct call *c, struct ofd *i, bool iset,
			   uint64_t ioff)
{
	if (iset) {
		int64_t ipos = (int64_t)ioff;
		call_obj_out_set(c, 2, &ipos);
	} else {
		i->off = ioff;
	}
}

/* sendfile to a pipe, socket or terminal: as one write of what the out
 * end takes now (at most COPY_CHUNK), read from the file; a blocking out
 * end with no room parks the call until it has some, and the call runs
 * again from the start (nothing was taken). */
static long sendfile_stream(struct call *c, struct ofd *i, struct ofd *o,
			    bool iset, uint64_t ioff)
{
	static uint8_t buf[COPY_CHUNK];
	uint64_t len = (uint64_t)c->a[3] < COPY_CHUNK ? (uint64_t)c->a[3]
						       : COPY_CHUNK;
	if (!o->ops->write)
		return -EINVAL;
	long r = len ? vfs_data_fd(srv.vfs, i->in) : 0;
	ssize_t got = r > 0 ? pread((int)r, buf, len, (off_t)ioff) : 0;
	if (r < 0 || got < 0)
		return r < 0 ? r : -errno;
	if (got == 0) { /* nothing asked, or the end of the file */
		sendfile_moved(c, i, iset, ioff);
		return 0;
	}
	int flags = o->flags;
	o->flags |= O_NONBLOCK; /* never parks holding buf: we do, empty */
	r = o->ops->write(c, o, buf, (size_t)got, NULL);
	o->flags = flags;
	if (r == -EAGAIN && !(flags & O_NONBLOCK) && o->ops->waitq) {
		struct waitq *q = o->ops->waitq(o, POLLOUT);
		c->hold = o;
		return call_park(c, &q, 1, POLLOUT, -1);
	}
	if (r > 0) {
		sys_file_accessed(i);
		sendfile_moved(c, i, iset, ioff + (uint64_t)r);
	}
	return r;
}

/* From a regular file to a regular file (copied in the store), or to a
 * pipe, socket or terminal (sendfile_stream); any other end: EINVAL. */
long srv_sendfile(struct call *c)
{
	struct ofd *i, *o;
	int64_t ipos = 0;
	bool iset = call_obj_in(c, 2, &ipos, sizeof ipos);
	/* the access modes first, as Linux's do_sendfile */
	i = fd_get(c->cage->fds, c->a[1]);
	o = fd_get(c->cage->fds, c->a[0]);
	if (!i || !ofd_readable(i) || !o || !ofd_writable(o))
		return -EBADF;
	long r = copy_ends(c, c->a[1], c->a[0], &i, &o);
	if (r == -EINVAL && data_ofd(c, c->a[1], O_RDONLY, EINVAL, &i) == 0 &&
	    !o->ops->seek) { /* a stream end */
		if (iset && ipos < 0)
			return -EINVAL;
		return sendfile_stream(c, i, o, iset,
				       iset ? (uint64_t)ipos : i->off);
	}
	if (r == -ESPIPE || r == -EISDIR)
		r = -EINVAL;
	if (r < 0)
		return r;
	if (iset && ipos < 0)
		return -EINVAL;
	uint64_t ioff = iset ? (uint64_t)ipos : i->off, ooff = o->off;
	if ((uint64_t)c->a[3] == 0) {
		sendfile_moved(c, i, iset, ioff);
		return 0;
	}
	sys_remove_privs(&c->cage->cred, o->in); /* a write to it */
	r = copy_data(i->in, &ioff, o->in, &ooff, (uint64_t)c->a[3]);
	if (r < 0)
		return r;
	o->off = ooff;
	sys_file_accessed(i);
	sendfile_moved(c, i, iset, ioff);
	return r;
}
