/* Per-cage fd tables whose slots point at reference-counted open file
 * descriptions: dup (and later fork) share offset and status flags. */
#ifndef SRV_FDTABLE_H
#define SRV_FDTABLE_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"

/* The table's size: srv_limits.fds (at most this) is the limit in force. */
#define FD_MAX 1024
_Static_assert(FD_MAX <= LIND_MAP_FD, "virtual fds stay below the mapping range");

struct epitem;
struct inode;
struct ofd_ops; /* ofd.h: what each kind does */
struct stream;
struct vfs;

struct ofd {
	const struct ofd_ops *ops;
	int flags;      /* access mode and status flags (O_APPEND, O_NONBLOCK) */
	uint64_t off;   /* files: byte offset; dirs: last getdents cookie */
	unsigned refs;
	struct inode *in;  /* FILE, DIR, DEV (holds an inode ref) */
	struct stream *st; /* stream (holds a stream ref) */
	void *priv;        /* the kind's own state (a pipe end...) */
	struct epitem *epitems; /* epoll instances watching it (epoll.c) */
	/* the name it was opened by, for /proc/<pid>/fd (a file has no
	 * parent to ask): its directory (a reference) and last component */
	struct inode *dir;
	char *name;
};

struct fdtable {
	struct ofd *slot[FD_MAX];
	bool cloexec[FD_MAX];
	int used;    /* fds open */
	int lowfree; /* every fd below it is open: the search starts here */
	int nofile;  /* the cage's RLIMIT_NOFILE (soft); 0: fd_limit() */
};

/* A description of kind ops with one reference; in/st are taken over by
 * it.  Every
 * description counts towards srv_limits.files; only opens check it
 * (ofd_files_full), stdio handed over at attach is never refused. */
struct ofd *ofd_new(const struct ofd_ops *ops, int flags, struct inode *in,
		    struct stream *st);
void ofd_ref(struct ofd *o);
/* Notes the name o was opened by (nothing when out of memory). */
void ofd_set_name(struct ofd *o, struct inode *dir, const char *name);
/* Drops a reference; the last one calls ops->release and drops the
 * inode. */
void ofd_put(struct vfs *v, struct ofd *o);

/* True when a new open must fail with ENFILE. */
bool ofd_files_full(void);
unsigned long ofd_count(void); /* descriptions alive, all cages */

/* Fds a cage may use: 0 .. fd_limit() - 1 (srv_limits.fds, <= FD_MAX). */
int fd_limit(void);
/* Fds t may use: its RLIMIT_NOFILE, at most fd_limit(). */
int fd_table_limit(const struct fdtable *t);
/* True when t has a free fd below the limit (else EMFILE). */
bool fd_room(const struct fdtable *t);

struct fdtable *fdtable_new(void);
/* fork: a new table whose fds share src's descriptions (a reference each,
 * cloexec bits kept; process record locks are not inherited), or NULL. */
struct fdtable *fdtable_fork(const struct fdtable *src);
/* Closes every fd and frees the table. */
void fdtable_free(struct vfs *v, struct fdtable *t);

/* Lowest free fd >= min for o (the table takes over one reference).
 * -EMFILE when full, -EINVAL when min is out of range (>= the limit). */
int fd_install(struct fdtable *t, int min, struct ofd *o, bool cloexec);
/* The description at fd; NULL (EBADF) also for an O_PATH one, which only
 * the calls Linux lets take one (its fdget_raw) get, with fd_get_raw. */
struct ofd *fd_get(struct fdtable *t, long fd);
struct ofd *fd_get_raw(struct fdtable *t, long fd);
int fd_close(struct vfs *v, struct fdtable *t, long fd);
/* dup / F_DUPFD: lowest fd >= min sharing old's description. */
int fd_dup(struct fdtable *t, long old, long min, bool cloexec);
/* dup2/dup3: newfd closed first if open; old == new is the caller's.
 * -EBADF for newfd >= the table's limit, as Linux. */
int fd_dup2(struct vfs *v, struct fdtable *t, long old, long newfd,
	    bool cloexec);

#endif
