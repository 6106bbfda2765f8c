/* File mappings without copies: lind_mapfd(fd, prot, flags) answers a
 * program's mmap of a virtual fd with a host fd the cage maps itself
 * (client-libc/trap.c, hostfd.c): the store's data file of a regular
 * file, or a bound host file, opened afresh with exactly the access the
 * mapping needs, so the fd the cage holds grants nothing its virtual fd
 * did not.  The server's own writes go through the same host file, so a
 * mapping sees them, and MAP_SHARED stores reach the file (its mtime
 * changes only with the server's writes).
 *
 * mmap's errors where Linux gives them: EACCES for an fd not open for
 * reading, for MAP_SHARED with PROT_WRITE without O_RDWR (O_APPEND does
 * not matter: only an append-only inode, which the store has not); ENODEV for what has no pages (a directory, a stream, a proc
 * file, a device): the client then copies through pread where that makes
 * sense (it says ENODEV where Linux would). */
#define _GNU_SOURCE
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ofd.h"
#include "sys.h"

static long mapfd_access(const struct ofd *o, int prot, int flags)
{
	if (!ofd_readable(o))
		return -EACCES;
	bool shared_write = (flags & MAP_TYPE) == MAP_SHARED &&
			    (prot & PROT_WRITE);
	if (shared_write && !ofd_writable(o))
		return -EACCES;
	return shared_write ? O_RDWR : O_RDONLY;
}

/* A new description of the host file behind fd, in mode: the cached fd
 * may be O_RDWR for a file the cage may only read. */
static long reopen(long fd, int mode)
{
	char path[40];
	snprintf(path, sizeof path, "/proc/self/fd/%ld", fd);
	int r = open(path, mode | O_CLOEXEC);
	return r < 0 ? -errno : r;
}

/* fd, prot and flags as mmap reads them: an int, ints. */
long srv_lind_mapfd(struct call *c)
{
	struct ofd *o = fd_get(c->cage->fds, (int)c->a[0]);
	if (!o)
		return -EBADF;
	if (!ofd_is(o, &ofd_regular_ops) || !S_ISREG(o->in->mode))
		return -ENODEV; /* no pages of its own: the client copies */
	long mode = mapfd_access(o, (int)c->a[1], (int)c->a[2]);
	if (mode < 0)
		return mode;
	long host = vfs_data_fd(srv.vfs, o->in);
	if (host < 0)
		return host;
	long fd = reopen(host, (int)mode);
	if (fd < 0)
		return fd;
	sys_file_accessed(o); /* generic_file_mmap's file_accessed */
	return call_pass_fd(c, (int)fd);
}
