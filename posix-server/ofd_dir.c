/* Directories: getdents64 and fchdir take them (sys_dir.c); read answers
 * EISDIR, seek moves the getdents cookie. */
#include <errno.h>

#include "ofd.h"
#include "server.h"
#include "store.h"
#include "vfs.h"

static long dir_read(struct call *c, struct ofd *o, void *buf, size_t cap,
		     const int64_t *pos)
{
	(void)c, (void)o, (void)buf, (void)cap, (void)pos;
	return -EISDIR;
}

static long dir_write(struct call *c, struct ofd *o, const void *buf,
		      size_t len, const int64_t *pos)
{
	(void)c, (void)o, (void)buf, (void)len, (void)pos;
	return -EBADF; /* opened read-only anyway */
}

static long dir_seek(struct ofd *o, int64_t off, int whence)
{
	return ofd_seek_inode(o, off, whence, 0);
}

/* The store's journal and data/ hold every directory; a bound host
 * directory is read-only; /proc has no fsync (EINVAL, as Linux). */
static long dir_sync(struct ofd *o, bool data_only)
{
	(void)data_only;
	if (o->in->proc)
		return -EINVAL;
	return o->in->host ? 0 : store_sync(srv.store);
}

const struct ofd_ops ofd_dir_ops = {
	.kind = "dir",
	.read = dir_read,
	.write = dir_write,
	.seek = dir_seek,
	.sync = dir_sync,
};

/* O_PATH: a file named, not opened; it only stats (sys_file.c). */
const struct ofd_ops ofd_path_ops = {
	.kind = "path",
};
