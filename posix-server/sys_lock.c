/* fcntl's record locks: F_GETLK, F_SETLK, F_SETLKW and the open file
 * description versions (F_OFD_*), checked as Linux checks them (fcntl.c,
 * locks.c); and flock(2), whose locks are the description's and never
 * meet fcntl's.  Process locks belong to the cage's fd table, so closing any
 * fd of the file drops them; OFD locks to the description.  A conflicting
 * F_SETLKW parks until the lock can be placed (lock.c), a signal ends it
 * (EINTR), or waiting would close a cycle of process locks (EDEADLK). */
#define _GNU_SOURCE
#include <sys/file.h>

#include "lock.h"
#include "sys.h"

static bool is_ofd_cmd(long cmd)
{
	return cmd == F_OFD_GETLK || cmd == F_OFD_SETLK || cmd == F_OFD_SETLKW;
}

/* The range fl describes, from o's position or size as l_whence says. */
static long lock_range(const struct ofd *o, const struct flock *fl,
		       struct lock_req *rq)
{
	int64_t base, start, last;
	switch (fl->l_whence) {
	case SEEK_SET:
		base = 0;
		break;
	case SEEK_CUR:
		base = (int64_t)o->off;
		break;
	case SEEK_END: {
		struct stat st;
		vfs_stat(o->in, &st);
		base = st.st_size;
		break;
	}
	default:
		return -EINVAL;
	}
	if (__builtin_add_overflow(base, (int64_t)fl->l_start, &start))
		return -EOVERFLOW;
	if (fl->l_len > 0) {
		if (__builtin_add_overflow(start, (int64_t)fl->l_len - 1, &last))
			return -EOVERFLOW;
	} else if (fl->l_len < 0) { /* the bytes before start */
		last = start - 1;
		start += fl->l_len;
	} else {
		last = -1; /* to the end, however far the file grows */
	}
	if (start < 0)
		return -EINVAL;
	rq->start = (uint64_t)start;
	rq->end = last < 0 ? UINT64_MAX : (uint64_t)last;
	return 0;
}

long sys_fcntl_lock(struct call *c, struct ofd *o, long cmd)
{
	struct flock fl;
	if (c->in[2].len != sizeof fl)
		return -EFAULT;
	memcpy(&fl, c->in[2].ptr, sizeof fl);
	bool ofd = is_ofd_cmd(cmd);
	if (ofd && fl.l_pid != 0)
		return -EINVAL;
	if (fl.l_type != F_RDLCK && fl.l_type != F_WRLCK &&
	    fl.l_type != F_UNLCK)
		return -EINVAL;
	if (!o->in)
		return -ENOLCK; /* the launcher's stdio: the host's file */
	struct lock_req rq = {
		.type = fl.l_type,
		.owner = ofd ? (const void *)o : (const void *)c->cage->fds,
		.pid = ofd ? -1 : (int64_t)c->cage->id,
		.cage = c->cage->id,
	};
	long r = lock_range(o, &fl, &rq);
	if (r < 0)
		return r;
	if (cmd == F_GETLK || cmd == F_OFD_GETLK) {
		if (fl.l_type == F_UNLCK)
			return -EINVAL;
		lock_test(o->in, &rq);
		fl.l_type = rq.type;
		if (rq.type != F_UNLCK) {
			fl.l_whence = SEEK_SET;
			fl.l_start = (off_t)rq.start;
			fl.l_len = rq.end == UINT64_MAX
					   ? 0 : (off_t)(rq.end - rq.start + 1);
			fl.l_pid = (pid_t)rq.pid;
		}
		call_obj_out_set(c, 2, &fl);
		return 0;
	}
	if ((fl.l_type == F_RDLCK && !ofd_readable(o)) ||
	    (fl.l_type == F_WRLCK && !ofd_writable(o)))
		return -EBADF;
	r = lock_set(o->in, &rq);
	if (c->rerun)
		lock_unpark(c);
	if (r != -EAGAIN || (cmd != F_SETLKW && cmd != F_OFD_SETLKW))
		return r;
	/* wait for it, unless that closes a cycle of process locks */
	if (!ofd && lock_would_deadlock(o->in, &rq, c->tag))
		return -EDEADLK;
	c->hold = o;
	return lock_park(c, o->in, &rq);
}

/* flock's operation as a lock type, or -1 (EINVAL). */
static short flock_type(long op)
{
	switch (op & ~(long)LOCK_NB) {
	case LOCK_SH:
		return F_RDLCK;
	case LOCK_EX:
		return F_WRLCK;
	case LOCK_UN:
		return F_UNLCK;
	default:
		return -1;
	}
}

/* A whole-file lock of the description, on any kind of file.  A blocking
 * one parks until it can be placed or a signal ends it (EINTR); flock
 * detects no deadlock, as Linux's. */
long srv_flock(struct call *c)
{
	long op = c->a[1];
	if (op & LOCK_MAND)
		return 0; /* ignored with a warning since Linux 5.15 */
	short type = flock_type(op);
	if (type < 0)
		return -EINVAL;
	struct ofd *o = c->hold ? c->hold : fd_get(c->cage->fds, c->a[0]);
	if (!o || (type != F_UNLCK && !ofd_readable(o) && !ofd_writable(o)))
		return -EBADF; /* a lock needs read or write access */
	struct lock_req rq = {
		.type = type,
		.end = UINT64_MAX,
		.owner = o,
		.pid = -1,
		.cage = c->cage->id,
		.flock = true,
	};
	const void *file = lock_file_of(o);
	long r = lock_flock(file, &rq);
	if (c->rerun)
		lock_unpark(c);
	if (r != -EAGAIN || (op & LOCK_NB))
		return r;
	c->hold = o;
	return lock_park(c, file, &rq);
}
