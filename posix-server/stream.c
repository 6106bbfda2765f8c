/*
 * Streams: a cage's fds 0/1/2 over the launcher's host fds.  The passed fd
 * is used as it is, never reopened with the server's rights: its access
 * mode says what the cage may do, and each call is made non-blocking by
 * the call itself (the launcher's description keeps its flags):
 *   regular file, block device, directory  plain read/write
 *   pipe, FIFO, most char devices          preadv2/pwritev2 RWF_NOWAIT
 *   socket                                 recv/send MSG_DONTWAIT
 *   tty, char device refusing RWF_NOWAIT   our own O_NONBLOCK description,
 *       opened as the cage (fsuid/fsgid, no supplementary groups) and only
 *       if it is the same device; otherwise read/write answer EIO.
 * A call that would block parks on an ev_io watcher, within the cage's
 * limits (srv_limits.parked calls, srv_limits.pending bytes held for
 * writes), and is retried the same way when the fd is ready.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/ioctl.h>
#include <sys/sysmacros.h>
#include <sys/socket.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "cage.h"
#include "common.h"
#include "fdtable.h"
#include "limit.h"
#include "ofd.h"
#include "server.h"
#include "wait.h"

enum way {
	WAY_PLAIN,  /* never waits on a peer */
	WAY_NOWAIT, /* RWF_NOWAIT on the passed fd */
	WAY_SOCKET, /* MSG_DONTWAIT on the passed fd */
	WAY_OWN,    /* our own O_NONBLOCK description (own) */
	WAY_NONE,   /* no way that cannot block: EIO */
};

struct stream {
	int fd;  /* the passed fd: fstat, ioctl, fsync */
	int own; /* WAY_OWN: the description we read and write, else -1 */
	enum way way;
	bool readable, writable; /* the passed fd's access mode */
	uint32_t uid, gid;       /* the attaching cage's launcher's on the
				  * host (not its virtual ids), for WAY_OWN */
	uint64_t cage_id;        /* for the log */
	int stdio;               /* 0, 1 or 2: for the log */
	unsigned refs;
	/* calls waiting to read / write, and the watchers that wake them
	 * (active while someone waits, re-armed by each park) */
	struct waitq rq, wq;
	ev_io rw, ww;
};

static void on_ready(struct ev_loop *loop, ev_io *w, int revents);

struct stream *stream_new(int hostfd, const struct cage *c, int stdio)
{
	struct stream *s = calloc(1, sizeof *s);
	struct stat st;
	int fl = fcntl(hostfd, F_GETFL);
	if (!s || fl < 0 || fstat(hostfd, &st) < 0) {
		free(s);
		close(hostfd);
		return NULL;
	}
	s->refs = 1;
	s->fd = hostfd;
	s->own = -1;
	s->uid = c->host_uid;
	s->gid = c->host_gid;
	s->cage_id = c->id;
	s->stdio = stdio;
	ev_init(&s->rw, on_ready);
	ev_init(&s->ww, on_ready);
	s->rw.data = &s->rq;
	s->ww.data = &s->wq;
	/* O_PATH and mode 3 give neither read nor write, as in Linux. */
	int mode = fl & O_PATH ? 3 : fl & O_ACCMODE;
	s->readable = mode == O_RDONLY || mode == O_RDWR;
	s->writable = mode == O_WRONLY || mode == O_RDWR;
	if (S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode))
		s->way = WAY_NOWAIT;
	else if (S_ISSOCK(st.st_mode))
		s->way = WAY_SOCKET;
	else
		s->way = WAY_PLAIN;
	return s;
}

void stream_put(struct stream *s)
{
	assert(s->refs > 0);
	if (--s->refs)
		return;
	/* parked calls hold their description: none waits any more */
	assert(!waitq_active(&s->rq) && !waitq_active(&s->wq));
	if (srv.loop) {
		ev_io_stop(srv.loop, &s->rw);
		ev_io_stop(srv.loop, &s->ww);
	}
	close(s->fd);
	if (s->own >= 0)
		close(s->own);
	free(s);
}

static int io_fd(const struct stream *s)
{
	return s->way == WAY_OWN ? s->own : s->fd;
}

/* ---- opening our own description, as the cage ------------------------ */

/* Sets this thread's fs credentials to uid and gid (no supplementary
 * groups when we may drop them; when we may not, setfsuid only succeeds
 * for the server's own uid, and the groups are that same user's): 0, or
 * -EPERM.  restore() undoes it either way. */
static int become(uint32_t uid, uint32_t gid, gid_t **groups, int *ngroups)
{
	int n = getgroups(0, NULL);
	*groups = malloc(((size_t)(n > 0 ? n : 0) + 1) * sizeof **groups);
	*ngroups = -1; /* nothing to restore */
	if (n < 0 || !*groups || getgroups(n, *groups) != n)
		return -EPERM;
	/* the raw call: only this thread, only until restore() */
	if (syscall(SYS_setgroups, 0, NULL) == 0)
		*ngroups = n;
	setfsgid(gid);
	setfsuid(uid);
	if ((uint32_t)setfsgid(-1) == gid && (uint32_t)setfsuid(-1) == uid)
		return 0;
	return -EPERM;
}

static void restore(gid_t *groups, int ngroups)
{
	setfsuid(geteuid());
	setfsgid(getegid());
	if ((ngroups >= 0 && syscall(SYS_setgroups, ngroups, groups) < 0) ||
	    (uid_t)setfsuid(-1) != geteuid()) {
		lind_log(0, "cannot restore the server's credentials");
		abort();
	}
	free(groups);
}

/* Same device: for a tty, TIOCGDEV also tells /dev/tty, /dev/console
 * and /dev/ptmx (which open another tty) from the tty passed.  (Only a
 * tty is asked: the number may mean something else to another driver.) */
static bool same_device(int a, int b)
{
	struct stat sa, sb;
	unsigned da, db;
	if (fstat(a, &sa) < 0 || fstat(b, &sb) < 0 || sa.st_dev != sb.st_dev ||
	    sa.st_ino != sb.st_ino || sa.st_rdev != sb.st_rdev ||
	    isatty(a) != isatty(b))
		return false;
	return !isatty(a) || (ioctl(a, TIOCGDEV, &da) == 0 &&
			      ioctl(b, TIOCGDEV, &db) == 0 && da == db);
}

/* /dev/tty, /dev/console, /dev/ptmx: opened again they are another
 * terminal (the server's, a new pty), never the one passed. */
static bool redirects(int fd, struct stat *st)
{
	return fstat(fd, st) < 0 ||
	       (S_ISCHR(st->st_mode) && major(st->st_rdev) == 5 &&
		minor(st->st_rdev) <= 2);
}

/* Opens the file behind fd again, non-blocking, as host user uid and
 * gid: the new fd, or -errno. */
static int open_as(uint32_t uid, uint32_t gid, int fd, int mode)
{
	char proc[64];
	gid_t *groups;
	int ngroups;
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", fd);
	int r = become(uid, gid, &groups, &ngroups);
	if (r == 0) {
		r = open(proc, mode | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
		if (r < 0)
			r = -errno;
	}
	restore(groups, ngroups);
	return r;
}

/* The passed fd refuses RWF_NOWAIT (a tty): open it again non-blocking,
 * with its own access mode and the launcher's host rights, so nothing
 * the launcher could not open itself is opened; else nothing is safe:
 * WAY_NONE. */
static void open_own(struct stream *s)
{
	struct stat st;
	int mode = s->readable && s->writable ? O_RDWR
		   : s->readable	      ? O_RDONLY
					      : O_WRONLY;
	int fd = redirects(s->fd, &st) ? -ENXIO : open_as(s->uid, s->gid, s->fd, mode);
	if (fd >= 0 && !same_device(s->fd, fd)) {
		close(fd);
		fd = -ENXIO;
	}
	if (fd < 0) {
		lind_log(s->cage_id,
			 "stdio %d cannot be used without blocking (%s): "
			 "read and write answer EIO",
			 s->stdio, strerror(-fd));
		s->way = WAY_NONE;
		return;
	}
	s->own = fd;
	s->way = WAY_OWN;
}

/* ---- one transfer that cannot block ----------------------------------- */

/* Moves up to len bytes: the count, or -errno (-EAGAIN: would block). */
static long transfer(struct stream *s, bool write, void *buf, size_t len)
{
	for (;;) {
		struct iovec v = {buf, len};
		ssize_t r;
		switch (s->way) {
		case WAY_PLAIN:
		case WAY_OWN:
			r = write ? pwritev2(io_fd(s), &v, 1, -1, 0)
				  : preadv2(io_fd(s), &v, 1, -1, 0);
			break;
		case WAY_NOWAIT:
			r = write ? pwritev2(s->fd, &v, 1, -1, RWF_NOWAIT)
				  : preadv2(s->fd, &v, 1, -1, RWF_NOWAIT);
			break;
		case WAY_SOCKET:
			r = write ? send(s->fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL)
				  : recv(s->fd, buf, len, MSG_DONTWAIT);
			break;
		default:
			return -EIO;
		}
		if (r >= 0)
			return r;
		if (errno == EOPNOTSUPP && s->way == WAY_NOWAIT) {
			open_own(s);
			continue;
		}
		if (errno != EINTR)
			return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	}
}

/* ---- waiting ---------------------------------------------------------- */

/* The fd is ready: the calls waiting on it run again (and re-arm). */
static void on_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	ev_io_stop(loop, w);
	waitq_wake(w->data, revents & EV_READ ? POLLIN : POLLOUT);
}

/* Parks c until the fd the stream now uses (a transfer may have switched
 * to our own description) is ready; o is kept alive meanwhile. */
/* The watcher that wakes q's waiters, on the fd the stream now uses (a
 * transfer may have switched to our own description). */
static void arm(struct stream *s, bool write)
{
	ev_io *w = write ? &s->ww : &s->rw;
	if (srv.loop && (!ev_is_active(w) || w->fd != io_fd(s))) {
		ev_io_stop(srv.loop, w);
		ev_io_set(w, io_fd(s), write ? EV_WRITE : EV_READ);
		ev_io_start(srv.loop, w);
	}
}

static long park(struct call *c, struct ofd *o, bool write)
{
	struct stream *s = o->st;
	struct waitq *q = write ? &s->wq : &s->rq;
	c->hold = o;
	long r = call_park(c, &q, 1, write ? POLLOUT : POLLIN, -1);
	if (r == SRV_PARKED)
		arm(s, write);
	return r;
}

/* The host's answer for the fd (a plain file: always ready, as Linux). */
static unsigned stream_poll(struct ofd *o)
{
	struct stream *s = o->st;
	if (s->way == WAY_PLAIN)
		return POLLIN | POLLOUT;
	struct pollfd p = {io_fd(s), POLLIN | POLLOUT | POLLPRI, 0};
	if (poll(&p, 1, 0) < 0)
		return POLLERR;
	return (unsigned)p.revents & ~(unsigned)POLLNVAL;
}

/* A poll waits on the queue whose watcher it arms (none for a plain
 * file, which never waits). */
static struct waitq *stream_waitq(struct ofd *o, unsigned events)
{
	struct stream *s = o->st;
	if (s->way == WAY_PLAIN)
		return NULL;
	bool write = events & POLLOUT;
	arm(s, write);
	return write ? &s->wq : &s->rq;
}

/* ---- the calls -------------------------------------------------------- */

/* Whether a call that would block waits (never on a plain file: epoll
 * cannot watch one, and it does not wait on a peer). */
static bool may_park(const struct ofd *o)
{
	return !(o->flags & O_NONBLOCK) && o->st->way != WAY_PLAIN;
}

long stream_read(struct call *c, struct ofd *o, void *buf, size_t cap)
{
	struct stream *s = o->st;
	if (!s->readable)
		return -EBADF;
	long r = srv_tty_background(c, s, false);
	if (r != 0)
		return r;
	r = transfer(s, false, buf, cap);
	if (r >= 0) {
		/* `< file`: a big read is whole */
		c->more = s->way == WAY_PLAIN && (size_t)r == cap;
		return r;
	}
	return r == -EAGAIN && may_park(o) ? park(c, o, false) : r;
}

/* A blocking write answers once every byte is written (POSIX), holding
 * the rest as the parked call's in-data: as much as the cage's budget
 * allows (a short write then answers what it took).  c->progress counts
 * what earlier runs wrote; buf, len (c->in[1]) is what is left. */
long stream_write(struct call *c, struct ofd *o, const void *buf, size_t len)
{
	struct stream *s = o->st;
	if (!s->writable)
		return -EBADF;
	if (len == 0)
		return (long)c->progress;
	long r = c->progress ? 0 : srv_tty_background(c, s, true);
	if (r != 0)
		return r;
	r = transfer(s, true, (void *)buf, len);
	size_t done = r > 0 ? (size_t)r : 0;
	uint64_t total = c->progress + done;
	if ((r < 0 && r != -EAGAIN) || done == len || !may_park(o))
		return total ? (long)total : r;
	size_t rest = len - done;
	uint64_t room = call_park_room(c->cage);
	if (!c->rerun && rest > room)
		rest = (size_t)room;
	if (rest == 0)
		return total ? (long)total : -EAGAIN;
	c->in[1].ptr = (const uint8_t *)buf + done;
	c->in[1].len = rest;
	c->progress = total;
	r = park(c, o, true);
	return r == SRV_PARKED || !total ? r : (long)total;
}

long stream_fstat(struct stream *s, struct stat *st)
{
	return fstat(s->fd, st) < 0 ? -errno : 0;
}

long stream_ioctl(struct stream *s, unsigned long req, void *arg)
{
	/* only TCGETS, TIOCGWINSZ, FIONREAD come here (lind_ioctl_size):
	 * none waits, and the kernel checks them against the passed fd */
	return ioctl(s->fd, req, arg) < 0 ? -errno : 0;
}


/* ---- the description's operations -------------------------------------- */

static long stream_ops_read(struct call *c, struct ofd *o, void *buf,
			    size_t cap, const int64_t *pos)
{
	return pos ? -ESPIPE : stream_read(c, o, buf, cap);
}

static long stream_ops_write(struct call *c, struct ofd *o, const void *buf,
			     size_t len, const int64_t *pos)
{
	return pos ? -ESPIPE : stream_write(c, o, buf, len);
}

static long stream_ops_stat(struct ofd *o, struct stat *st)
{
	return stream_fstat(o->st, st);
}

static long stream_ops_ioctl(struct ofd *o, unsigned long req, void *arg)
{
	return stream_ioctl(o->st, req, arg);
}

static long stream_ops_sync(struct ofd *o, bool data_only)
{
	int fd = o->st->fd;
	return (data_only ? fdatasync(fd) : fsync(fd)) < 0 ? -errno : 0;
}

static long stream_ops_statfs(struct ofd *o, struct statfs *sf)
{
	return fstatfs(o->st->fd, sf) < 0 ? -errno : 0;
}

/* /proc/<pid>/fd: the host's name when it is a pipe, socket or terminal
 * ("pipe:[N]", "/dev/pts/N"), else "host:[INO]" (a host path means
 * nothing in the cage and would tell it about the host's tree). */
static long stream_ops_name(struct ofd *o, char *out, size_t cap)
{
	char self[64];
	int hfd = o->st->fd;
	snprintf(self, sizeof self, "/proc/self/fd/%d", hfd);
	ssize_t n = readlink(self, out, cap - 1);
	out[n > 0 ? n : 0] = '\0';
	if (n > 0 && (out[0] != '/' || strncmp(out, "/dev/", 5) == 0))
		return n;
	struct stat st;
	if (fstat(hfd, &st) < 0)
		return -errno;
	return snprintf(out, cap, "host:[%lu]", (unsigned long)st.st_ino);
}

static void stream_ops_release(struct ofd *o)
{
	stream_put(o->st);
}

const struct ofd_ops ofd_stream_ops = {
	.kind = "stream",
	.read = stream_ops_read,
	.write = stream_ops_write,
	.stat = stream_ops_stat,
	.ioctl = stream_ops_ioctl,
	.sync = stream_ops_sync,
	.statfs = stream_ops_statfs,
	.name = stream_ops_name,
	.poll = stream_poll,
	.waitq = stream_waitq,
	.release = stream_ops_release,
};
