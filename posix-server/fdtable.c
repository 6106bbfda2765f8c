/* Fd tables and open file descriptions. */
#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fdtable.h"
#include "server.h"
#include "vfs.h"

struct ofd *ofd_new(int kind, int flags, struct inode *in, struct stream *st)
{
	struct ofd *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	o->kind = kind;
	o->flags = flags;
	o->refs = 1;
	o->in = in;
	o->st = st;
	return o;
}

void ofd_ref(struct ofd *o)
{
	assert(o->refs > 0);
	o->refs++;
}

void ofd_put(struct vfs *v, struct ofd *o)
{
	assert(o->refs > 0);
	if (--o->refs)
		return;
	if (o->in) {
		struct inode *in = o->in;
		if (o->kind == OFD_FILE) {
			assert(in->opens > 0);
			/* The host fd lives as long as the inode has openers. */
			if (--in->opens == 0 && in->data_fd >= 0) {
				close(in->data_fd);
				in->data_fd = -1;
			}
		}
		vfs_unref(v, in);
	}
	if (o->st)
		stream_put(o->st);
	free(o);
}

struct fdtable *fdtable_new(void)
{
	return calloc(1, sizeof(struct fdtable));
}

void fdtable_free(struct vfs *v, struct fdtable *t)
{
	if (!t)
		return;
	for (int fd = 0; fd < FD_MAX; fd++)
		if (t->slot[fd])
			fd_close(v, t, fd);
	free(t);
}

int fd_install(struct fdtable *t, int min, struct ofd *o, bool cloexec)
{
	if (min < 0 || min >= FD_MAX)
		return -EINVAL;
	for (int fd = min; fd < FD_MAX; fd++)
		if (!t->slot[fd]) {
			t->slot[fd] = o;
			t->cloexec[fd] = cloexec;
			return fd;
		}
	return -EMFILE;
}

struct ofd *fd_get(struct fdtable *t, long fd)
{
	if (fd < 0 || fd >= FD_MAX)
		return NULL;
	return t->slot[fd];
}

int fd_close(struct vfs *v, struct fdtable *t, long fd)
{
	struct ofd *o = fd_get(t, fd);
	if (!o)
		return -EBADF;
	t->slot[fd] = NULL;
	t->cloexec[fd] = false;
	ofd_put(v, o);
	return 0;
}

int fd_dup(struct fdtable *t, long old, long min, bool cloexec)
{
	struct ofd *o = fd_get(t, old);
	if (!o)
		return -EBADF;
	if (min < 0 || min >= FD_MAX)
		return -EINVAL;
	int fd = fd_install(t, (int)min, o, cloexec);
	if (fd >= 0)
		ofd_ref(o);
	return fd;
}

int fd_dup2(struct vfs *v, struct fdtable *t, long old, long newfd,
	    bool cloexec)
{
	struct ofd *o = fd_get(t, old);
	if (!o)
		return -EBADF;
	if (newfd < 0 || newfd >= FD_MAX)
		return -EBADF;
	ofd_ref(o); /* before closing newfd: it may share o */
	if (t->slot[newfd])
		fd_close(v, t, newfd);
	t->slot[newfd] = o;
	t->cloexec[newfd] = cloexec;
	return (int)newfd;
}
