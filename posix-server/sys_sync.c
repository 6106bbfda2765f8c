/* Sync handlers: fsync, fdatasync, sync, syncfs, sync_file_range, with
 * what docs/durability.md promises for each. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "sys.h"

static long sync_fd(struct call *c, bool data_only)
{
	struct ofd *o = fd_get(c->cage->fds, c->a[0]);
	if (!o)
		return -EBADF;
	/* no fsync of its kind (pipe, device, /proc): EINVAL, as Linux */
	return o->ops->sync ? o->ops->sync(o, data_only) : -EINVAL;
}

long srv_fsync(struct call *c)
{
	return sync_fd(c, false);
}

long srv_fdatasync(struct call *c)
{
	return sync_fd(c, true);
}

/* fsyncs one data file with unsynced changes; the first error is kept. */
static void sync_inode(struct inode *in, void *first_err)
{
	long *err = first_err;
	if (!in->dirty || in->host)
		return;
	long fd = vfs_data_fd(srv.vfs, in);
	if (fd >= 0 && fsync((int)fd) < 0)
		fd = -errno;
	if (fd < 0) {
		if (*err == 0)
			*err = fd;
		return;
	}
	in->dirty = false;
}

/* The whole store: every data file with unsynced changes, then the
 * journal and data/.  0 or the first error. */
static long sync_store(void)
{
	long err = 0;
	vfs_each(srv.vfs, sync_inode, &err);
	long r = store_sync(srv.store);
	return err ? err : r;
}

/* Linux's sync(2) cannot fail: an error is the next fsync's or syncfs's
 * (a data file stays dirty; a journal error made the store read-only). */
long srv_sync(struct call *c)
{
	(void)c;
	(void)sync_store();
	return 0;
}

/* Every fd is on the one filesystem cages write (a bind is read-only,
 * a pipe's has nothing to write back): the store. */
long srv_syncfs(struct call *c)
{
	if (!fd_get(c->cage->fds, c->a[0]))
		return -EBADF;
	return sync_store();
}

/* Checked as Linux's ksys_sync_file_range; then the range of a store
 * file's data file is written back as asked (no durability promise: the
 * journal is not synced, as Linux syncs no metadata). */
long srv_sync_file_range(struct call *c)
{
	int64_t off = c->a[1], n = c->a[2], end;
	unsigned flags = (unsigned)c->a[3];
	struct ofd *o = fd_get(c->cage->fds, c->a[0]);
	struct stat st;
	if (!o)
		return -EBADF;
	if (flags & ~(unsigned)(SYNC_FILE_RANGE_WAIT_BEFORE |
				SYNC_FILE_RANGE_WRITE |
				SYNC_FILE_RANGE_WAIT_AFTER))
		return -EINVAL;
	if (off < 0 || __builtin_add_overflow(off, n, &end) || end < 0 ||
	    end < off)
		return -EINVAL;
	long r = ofd_stat(o, &st);
	if (r < 0)
		return r;
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    !S_ISBLK(st.st_mode) && !S_ISLNK(st.st_mode))
		return -ESPIPE;
	if (!ofd_is(o, &ofd_regular_ops) || !o->in->dirty || o->in->host)
		return 0; /* nothing of the store's to write back */
	if ((r = vfs_data_fd(srv.vfs, o->in)) < 0)
		return r;
	return sync_file_range((int)r, off, n, flags) < 0 ? -errno : 0;
}
