/*
 * What the descriptions without a file share (Linux's anon_inode:
 * eventfd, timerfd, epoll): a new one installed at the lowest fd, and
 * stat, statfs and the /proc name answered the same way for all.
 */
#include <stdio.h>
#include <stdlib.h>

#include "anon.h"
#include "sys.h"

#define ANON_INODE_FS_MAGIC 0x09041934
#define ANON_DEV 0xd /* st_dev: no virtual file has it */

long anon_install(struct call *c, const struct ofd_ops *ops, void *priv,
		  int flags)
{
	struct ofd *o = ofd_files_full() ? NULL
		: ofd_new(ops, O_RDWR | (flags & O_NONBLOCK), NULL, NULL);
	if (!o) {
		struct ofd none = {.ops = ops, .priv = priv};
		ops->release(&none);
		return ofd_files_full() ? -ENFILE : -ENOMEM;
	}
	o->priv = priv;
	int fd = fd_install(c->cage->fds, 0, o, flags & O_CLOEXEC);
	if (fd < 0)
		ofd_put(srv.vfs, o); /* releases priv */
	return fd;
}

/* One inode for all, as Linux's anon_inode_inode: mode 0600, no type. */
long anon_stat(struct ofd *o, struct stat *st)
{
	(void)o;
	memset(st, 0, sizeof *st);
	st->st_dev = ANON_DEV;
	st->st_ino = 1;
	st->st_mode = 0600;
	st->st_nlink = 1;
	st->st_blksize = 4096;
	return 0;
}

long anon_statfs(struct ofd *o, struct statfs *sf)
{
	(void)o;
	memset(sf, 0, sizeof *sf);
	sf->f_type = ANON_INODE_FS_MAGIC;
	sf->f_bsize = 4096;
	sf->f_namelen = 255;
	sf->f_frsize = 4096;
	return 0;
}

long anon_name(struct ofd *o, char *out, size_t cap)
{
	return snprintf(out, cap, "anon_inode:[%s]", o->ops->kind);
}

/* lseek on one: noop_llseek, the offset (always 0) as is. */
long anon_seek(struct ofd *o, int64_t off, int whence)
{
	(void)off;
	(void)whence;
	return (long)o->off;
}
