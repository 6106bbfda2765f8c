/*
 * What an open file description of one kind does (R1; Linux's
 * file_operations).  o->ops is chosen at open (ofd_ops_for) and never
 * changes; a NULL entry means Linux's default:
 *   read, write  -EINVAL          seek   -ESPIPE
 *   stat         vfs_stat(o->in)  ioctl  -ENOTTY
 *   sync         -EINVAL          statfs the store's
 *   name         the name it was opened by (/proc/<pid>/fd)
 *   fcntl        the kind's own commands (F_*PIPE_SZ): -EBADF
 *   poll         POLLIN|POLLOUT   waitq  none: never waits
 *   release      nothing beyond the inode reference
 * read and write get the call (parking, c->more, c->progress) and pos:
 * NULL uses and advances the description's offset.  The handlers check
 * the fd and the access mode first; the ops do the rest.
 */
#ifndef SRV_OFD_H
#define SRV_OFD_H

#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/statfs.h>

#include "fdtable.h"

struct call;
struct waitq;

struct ofd_ops {
	const char *kind;
	long (*read)(struct call *c, struct ofd *o, void *buf, size_t cap,
		     const int64_t *pos);
	long (*write)(struct call *c, struct ofd *o, const void *buf,
		      size_t len, const int64_t *pos);
	long (*seek)(struct ofd *o, int64_t off, int whence);
	long (*stat)(struct ofd *o, struct stat *st);
	long (*ioctl)(struct ofd *o, unsigned long req, void *arg);
	long (*sync)(struct ofd *o, bool data_only);
	long (*statfs)(struct ofd *o, struct statfs *sf);
	long (*name)(struct ofd *o, char *out, size_t cap);
	long (*fcntl)(struct ofd *o, int cmd, long arg); /* the kind's own */
	unsigned (*poll)(struct ofd *o);
	struct waitq *(*waitq)(struct ofd *o, unsigned events);
	void (*release)(struct ofd *o);
	/* a reference went and others remain (sock.c: a unix socket left
	 * only in flight may be garbage) */
	void (*unref)(struct ofd *o);
};

extern const struct ofd_ops ofd_regular_ops; /* ofd_regular.c: store files */
extern const struct ofd_ops ofd_proc_ops;    /* ofd_proc.c: /proc snapshots */
extern const struct ofd_ops ofd_dir_ops;     /* ofd_dir.c */
extern const struct ofd_ops ofd_dev_ops;     /* ofd_dev.c: null, zero... */
extern const struct ofd_ops ofd_stream_ops;  /* stream.c: launcher's stdio */
extern const struct ofd_ops ofd_pipe_ops;    /* pipe.c: pipe(), pipe2() */
extern const struct ofd_ops ofd_fifo_ops;    /* pipe.c: an opened FIFO */
extern const struct ofd_ops ofd_path_ops;    /* ofd_dir.c: O_PATH, a name */
extern const struct ofd_ops ofd_eventfd_ops; /* eventfd.c */
extern const struct ofd_ops ofd_timerfd_ops; /* timerfd.c */
extern const struct ofd_ops ofd_signalfd_ops; /* signalfd.c */

/* The kind an inode opens as. */
const struct ofd_ops *ofd_ops_for(const struct inode *in);

/* What the access mode lets the description do; O_ACCMODE (3) is neither
 * read nor write, as Linux's opens for ioctl only. */
static inline bool ofd_readable(const struct ofd *o)
{
	int acc = o->flags & O_ACCMODE;
	return acc == O_RDONLY || acc == O_RDWR;
}

static inline bool ofd_writable(const struct ofd *o)
{
	int acc = o->flags & O_ACCMODE;
	return acc == O_WRONLY || acc == O_RDWR;
}

static inline bool ofd_is(const struct ofd *o, const struct ofd_ops *ops)
{
	return o->ops == ops;
}

/* A file with bytes in the store or a bind (a /proc snapshot too). */
static inline bool ofd_is_file(const struct ofd *o)
{
	return o->ops == &ofd_regular_ops || o->ops == &ofd_proc_ops;
}

long ofd_stat(struct ofd *o, struct stat *st);
/* ofd_regular.c: what a description with no inode (a pipe, a socket)
 * says to fstat and fstatfs: its own device and number, made at ctime. */
struct ofd_anon {
	dev_t dev;
	uint64_t ino;
	uint32_t mode, uid, gid;
	int64_t ctime;
};
void ofd_anon_stat(struct stat *st, const struct ofd_anon *a);
void ofd_anon_statfs(struct statfs *sf, long magic);
/* ofd_regular.c: what /proc files share with regular ones. */
long ofd_regular_write(struct call *c, struct ofd *o, const void *buf,
		       size_t len, const int64_t *pos);
long ofd_regular_seek(struct ofd *o, int64_t off, int whence);
long ofd_regular_sync(struct ofd *o, bool data_only);
void ofd_regular_release(struct ofd *o);
/* lseek on an inode of size bytes (regular, proc, dir). */
long ofd_seek_inode(struct ofd *o, int64_t off, int whence, uint64_t size);

#endif
