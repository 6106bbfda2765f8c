/* Regular files in the store or a bind: bytes in a host data file opened
 * on first use (vfs_data_fd), offsets kept by the description. */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

#include "ofd.h"
#include "sys.h"

static long regular_read(struct call *c, struct ofd *o, void *buf, size_t cap,
			 const int64_t *pos)
{
	uint64_t off = pos ? (uint64_t)*pos : o->off;
	if (cap == 0)
		return 0;
	sys_file_accessed(o); /* at the end of the file too, as filemap_read */
	if (!o->in->host && off >= o->in->size)
		return 0; /* end of file: no data file needed (an empty one
			   * may have none) */
	long hfd = vfs_data_fd(srv.vfs, o->in);
	if (hfd < 0)
		return hfd;
	ssize_t r = pread((int)hfd, buf, cap, (off_t)off);
	if (r < 0)
		return -errno;
	if (!pos)
		o->off = off + (uint64_t)r;
	/* a full chunk of a regular file: the client may ask for the rest
	 * without waiting (LF_SPLIT); a pipe's reader never does */
	c->more = (size_t)r == cap;
	return r;
}

long ofd_regular_write(struct call *c, struct ofd *o, const void *buf,
			  size_t len, const int64_t *pos)
{
	long ro = store_writable(srv.store);
	if (ro < 0)
		return ro;
	if (len == 0)
		return 0;
	struct inode *in = o->in;
	sys_remove_privs(&c->cage->cred, in);
	/* Linux appends even for pwrite on an O_APPEND description. */
	uint64_t off = (o->flags & O_APPEND) ? in->size
		       : pos		     ? (uint64_t)*pos
					     : o->off;
	/* past the quota: what fits, then EDQUOT, as Linux's quotas */
	uint64_t room = vfs_room_size(srv.vfs, in);
	if (off >= room)
		return -EDQUOT;
	if (len > room - off)
		len = room - off;
	long hfd = vfs_data_fd(srv.vfs, in);
	if (hfd < 0)
		return hfd;
	ssize_t r = pwrite((int)hfd, buf, len, (off_t)off);
	if (r < 0)
		return -errno;
	if (!pos)
		o->off = off + (uint64_t)r;
	if (off + (uint64_t)r > in->size) {
		in->size = off + (uint64_t)r;
		vfs_charge(srv.vfs, in);
	}
	in->dirty = true;
	sys_touch(in, true);
	return r;
}

long ofd_seek_inode(struct ofd *o, int64_t off, int whence, uint64_t size)
{
	int64_t base;
	switch (whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)o->off;
		break;
	case SEEK_END:
		if (ofd_is(o, &ofd_dir_ops))
			return -EINVAL;
		base = (int64_t)size;
		break;
	case SEEK_DATA:
	case SEEK_HOLE:
		if (!ofd_is_file(o))
			return -EINVAL;
		if (off < 0 || (uint64_t)off >= size)
			return -ENXIO;
		base = 0;
		if (whence == SEEK_HOLE)
			off = (int64_t)size;
		break;
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, off, &off) || off < 0)
		return -EINVAL;
	o->off = (uint64_t)off;
	return off;
}

long ofd_regular_seek(struct ofd *o, int64_t off, int whence)
{
	if ((whence == SEEK_DATA || whence == SEEK_HOLE) &&
	    ofd_is(o, &ofd_regular_ops)) {
		/* the holes are the data file's (truncate, PUNCH_HOLE) */
		if (!o->in->host && o->in->size == 0)
			return -ENXIO; /* it may have no data file */
		long hfd = vfs_data_fd(srv.vfs, o->in);
		if (hfd < 0)
			return hfd;
		off_t r = lseek((int)hfd, (off_t)off, whence);
		if (r < 0)
			return -errno;
		o->off = (uint64_t)r;
		return r;
	}
	uint64_t size = o->in->size;
	if (o->in->host) { /* the host's size now */
		struct stat st;
		vfs_stat(o->in, &st);
		size = (uint64_t)st.st_size;
	}
	return ofd_seek_inode(o, off, whence, size);
}

long ofd_regular_sync(struct ofd *o, bool data_only)
{
	if (o->in->host)
		return 0; /* read-only: nothing to write back */
	/* A reopened fd syncs the same host inode's dirty pages. */
	long hfd = vfs_data_fd(srv.vfs, o->in);
	if (hfd < 0)
		return hfd;
	if ((data_only ? fdatasync((int)hfd) : fsync((int)hfd)) < 0)
		return -errno;
	o->in->dirty = false;
	return store_sync(srv.store);
}

/* The last opener: its cached host fd goes too. */
void ofd_regular_release(struct ofd *o)
{
	assert(o->in->opens > 0);
	if (--o->in->opens == 0)
		vfs_data_close(srv.vfs, o->in);
}

const struct ofd_ops ofd_regular_ops = {
	.kind = "regular",
	.read = regular_read,
	.write = ofd_regular_write,
	.seek = ofd_regular_seek,
	.sync = ofd_regular_sync,
	.release = ofd_regular_release,
};

const struct ofd_ops *ofd_ops_for(const struct inode *in)
{
	return S_ISDIR(in->mode)    ? &ofd_dir_ops
	       : S_ISCHR(in->mode)  ? &ofd_dev_ops
	       : S_ISFIFO(in->mode) ? &ofd_fifo_ops
	       : in->proc	    ? &ofd_proc_ops
				    : &ofd_regular_ops;
}

long ofd_stat(struct ofd *o, struct stat *st)
{
	if (o->ops->stat)
		return o->ops->stat(o, st);
	vfs_stat(o->in, st);
	return 0;
}

void ofd_anon_stat(struct stat *st, const struct ofd_anon *a)
{
	memset(st, 0, sizeof *st);
	st->st_dev = a->dev;
	st->st_ino = a->ino;
	st->st_mode = a->mode;
	st->st_nlink = 1;
	st->st_uid = a->uid;
	st->st_gid = a->gid;
	st->st_blksize = 4096;
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec =
		a->ctime / 1000000000;
	st->st_atim.tv_nsec = st->st_mtim.tv_nsec = st->st_ctim.tv_nsec =
		a->ctime % 1000000000;
}

void ofd_anon_statfs(struct statfs *sf, long magic)
{
	memset(sf, 0, sizeof *sf);
	sf->f_type = magic;
	sf->f_bsize = 4096;
	sf->f_namelen = 255;
	sf->f_frsize = 4096;
}
