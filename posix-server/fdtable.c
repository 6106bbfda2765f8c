/* Fd tables and open file descriptions. */
#define _GNU_SOURCE /* O_PATH */
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "epoll.h"
#include "fdtable.h"
#include "limit.h"
#include "lock.h"
#include "ofd.h"
#include "server.h"
#include "vfs.h"

static unsigned long nofds; /* descriptions alive, all cages */

bool ofd_files_full(void)
{
	return nofds >= srv_limits.files;
}

unsigned long ofd_count(void)
{
	return nofds;
}

struct ofd *ofd_new(const struct ofd_ops *ops, int flags, struct inode *in,
		    struct stream *st)
{
	struct ofd *o = calloc(1, sizeof *o);
	if (!o)
		return NULL;
	nofds++;
	o->ops = ops;
	o->flags = flags;
	o->refs = 1;
	o->in = in;
	o->st = st;
	return o;
}

void ofd_set_name(struct ofd *o, struct inode *dir, const char *name)
{
	assert(!o->dir);
	if (!(o->name = strdup(name)))
		return;
	o->dir = dir;
	vfs_ref(dir);
}

void ofd_ref(struct ofd *o)
{
	assert(o->refs > 0);
	o->refs++;
}

void ofd_put(struct vfs *v, struct ofd *o)
{
	assert(o->refs > 0);
	if (--o->refs) {
		if (o->ops->unref)
			o->ops->unref(o);
		return;
	}
	if (o->epitems)
		epoll_forget(o);
	const void *file = lock_file_of(o);
	if (file)
		lock_release(file, o); /* its OFD and flock locks */
	if (o->ops->release)
		o->ops->release(o);
	if (o->in)
		vfs_unref(v, o->in);
	if (o->dir) {
		free(o->name);
		vfs_unref(v, o->dir);
	}
	assert(nofds > 0);
	nofds--;
	free(o);
}

int fd_limit(void)
{
	return srv_limits.fds < FD_MAX ? (int)srv_limits.fds : FD_MAX;
}

int fd_table_limit(const struct fdtable *t)
{
	int max = fd_limit();
	return t->nofile > 0 && t->nofile < max ? t->nofile : max;
}

bool fd_room(const struct fdtable *t)
{
	return t->used < fd_table_limit(t);
}

/* Puts o at the free fd. */
static void fd_put_at(struct fdtable *t, int fd, struct ofd *o, bool cloexec)
{
	assert(!t->slot[fd]);
	t->slot[fd] = o;
	t->cloexec[fd] = cloexec;
	t->used++;
	if (fd == t->lowfree)
		t->lowfree = fd + 1;
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
	int limit = fd_table_limit(t);
	if (min < 0 || min >= limit)
		return -EINVAL;
	for (int fd = min > t->lowfree ? min : t->lowfree; fd < limit; fd++)
		if (!t->slot[fd]) {
			fd_put_at(t, fd, o, cloexec);
			return fd;
		}
	return -EMFILE;
}

struct fdtable *fdtable_fork(const struct fdtable *src)
{
	struct fdtable *t = fdtable_new();
	if (!t)
		return NULL;
	t->nofile = src->nofile;
	for (int fd = 0; fd < FD_MAX; fd++) {
		if (!src->slot[fd])
			continue;
		ofd_ref(src->slot[fd]); /* one description: offset, flags */
		fd_put_at(t, fd, src->slot[fd], src->cloexec[fd]);
	}
	return t;
}

struct ofd *fd_get_raw(struct fdtable *t, long fd)
{
	if (!t || fd < 0 || fd >= FD_MAX) /* a zombie has no table */
		return NULL;
	return t->slot[fd];
}

struct ofd *fd_get(struct fdtable *t, long fd)
{
	struct ofd *o = fd_get_raw(t, fd);
	return o && !(o->flags & O_PATH) ? o : NULL;
}

int fd_close(struct vfs *v, struct fdtable *t, long fd)
{
	struct ofd *o = fd_get_raw(t, fd);
	if (!o)
		return -EBADF;
	t->slot[fd] = NULL;
	t->cloexec[fd] = false;
	if (o->in) /* any close drops the cage's locks on the file */
		lock_release(o->in, t);
	t->used--;
	if (fd < t->lowfree)
		t->lowfree = (int)fd;
	ofd_put(v, o);
	return 0;
}

int fd_dup(struct fdtable *t, long old, long min, bool cloexec)
{
	struct ofd *o = fd_get_raw(t, old);
	if (!o)
		return -EBADF;
	int fd = fd_install(t, (int)min, o, cloexec);
	if (fd >= 0)
		ofd_ref(o);
	return fd;
}

int fd_dup2(struct vfs *v, struct fdtable *t, long old, long newfd,
	    bool cloexec)
{
	struct ofd *o = fd_get_raw(t, old);
	if (!o)
		return -EBADF;
	if (newfd < 0 || newfd >= fd_table_limit(t))
		return -EBADF;
	ofd_ref(o); /* before closing newfd: it may share o */
	if (t->slot[newfd])
		fd_close(v, t, newfd);
	fd_put_at(t, (int)newfd, o, cloexec);
	return (int)newfd;
}
