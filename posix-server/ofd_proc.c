/* /proc files: read from the snapshot made at open (procfs.c); the rest
 * is a regular file's, but fsync (EINVAL, as Linux's procfs). */
#include "ofd.h"
#include "procfs.h"
#include "server.h"

static long proc_read(struct call *c, struct ofd *o, void *buf, size_t cap,
		      const int64_t *pos)
{
	return procfs_read(o, buf, cap, pos, &c->more);
}

const struct ofd_ops ofd_proc_ops = {
	.kind = "proc",
	.read = proc_read,
	.write = ofd_regular_write,
	.seek = ofd_regular_seek,
	.release = ofd_regular_release,
};
