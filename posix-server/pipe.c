/*
 * Pipes and FIFOs: one kind of open file description (ofd_pipe_ops for
 * pipe()'s ends, ofd_fifo_ops for an opened FIFO node, which stats and
 * names as its inode).  A struct pipe holds the bytes (pipe_ring.c), how
 * many descriptions read and write it, and three wait queues (wait.h):
 * readers waiting for bytes or the last writer, writers waiting for room
 * or the last reader, and FIFO opens waiting for the other side.  Every
 * wait parks in the server; nothing spins.  As Linux:
 *   read   bytes there: what is there; none: EOF once no writer is left,
 *          EAGAIN when non-blocking, else waits;
 *   write  no reader: EPIPE (client-libc raises SIGPIPE); up to PIPE_BUF
 *          bytes go in at once or not at all; more go in as room comes,
 *          a blocking write answering once all is in (or what it wrote
 *          when a signal ends it), a non-blocking one what fitted;
 *   open   a FIFO read-only waits for a writer and write-only for a
 *          reader (an opener waiting counts as one); O_NONBLOCK: a reader
 *          goes on, a writer without reader gets ENXIO.
 * A FIFO's pipe is found by its inode and lives while an end is open or
 * an opener waits; its bytes go when the last end closes.  A pipe's
 * ends hold no host fd; an idle pipe holds no buffer.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>

#include "ofd.h"
#include "pipe.h"
#include "pipe_ring.h"
#include "sys.h"
#include "wait.h"

#define PIPEFS_MAGIC 0x50495045
#define PIPE_DEV 0xc /* st_dev of pipe(): no virtual file has it */

struct pipe {
	struct pipe_ring ring;
	unsigned readers, writers; /* descriptions open for each */
	uint64_t r_opens, w_opens; /* FIFO opens so far, by side */
	struct waitq rq, wq, oq;
	uint64_t id; /* pipe:[id] */
	uint32_t uid, gid;
	int64_t ctime;
	const struct inode *fifo; /* the FIFO it serves (no reference) */
	struct pipe *next;        /* FIFO pipes */
};

static struct pipe *fifos;
static unsigned long npipes;
static uint64_t next_id = 1;

unsigned long pipe_count(void)
{
	return npipes;
}

static struct pipe *pipe_new(const struct cred *cr)
{
	struct pipe *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	pipe_ring_init(&p->ring);
	p->id = next_id++;
	p->uid = cr->fsuid;
	p->gid = cr->fsgid;
	p->ctime = vfs_now();
	npipes++;
	return p;
}

static void unlist_fifo(struct pipe *p)
{
	for (struct pipe **pp = &fifos; *pp; pp = &(*pp)->next)
		if (*pp == p) {
			*pp = p->next;
			return;
		}
}

/* No end open and nobody waiting to open one: the pipe goes. */
static void pipe_maybe_free(struct pipe *p)
{
	if (p->readers || p->writers || waitq_active(&p->oq))
		return;
	pipe_ring_free(&p->ring); /* nobody can read it any more */
	if (p->fifo)
		unlist_fifo(p);
	npipes--;
	free(p);
}

/* A description of end flags (O_RDONLY, O_WRONLY, O_RDWR | status). */
static struct ofd *end_new(struct pipe *p, const struct ofd_ops *ops,
			   int flags, struct inode *in)
{
	struct ofd *o = ofd_new(ops, flags, in, NULL);
	if (!o)
		return NULL;
	o->priv = p;
	int acc = flags & O_ACCMODE;
	p->readers += acc != O_WRONLY;
	p->writers += acc != O_RDONLY;
	return o;
}

/* ---- data ------------------------------------------------------------- */

/* A FIFO's node keeps Linux's times: a read moves atime (relatime), a
 * write mtime and ctime.  In memory only: a pipe's traffic never costs a
 * journal record (the node's times are kept at the next change of its
 * own, or a snapshot). */
static void fifo_times(struct ofd *o, bool wrote)
{
	struct inode *in = o->in;
	if (!in || in->host)
		return; /* pipe(): pipefs times are its creation's */
	int64_t now = vfs_now();
	if (wrote)
		sys_touch(in, true);
	else if (!(o->flags & O_NOATIME) && vfs_atime_due(in, now))
		in->atime = now;
}

static long pipe_read(struct call *c, struct ofd *o, void *buf, size_t cap,
		      const int64_t *pos)
{
	struct pipe *p = o->priv;
	if (pos)
		return -ESPIPE;
	if (cap == 0)
		return 0;
	if (p->ring.len) {
		size_t n = pipe_ring_read(&p->ring, buf, cap);
		waitq_wake(&p->wq, POLLOUT);
		fifo_times(o, false);
		return (long)n;
	}
	if (!p->writers)
		return 0; /* end of file */
	if (o->flags & O_NONBLOCK)
		return -EAGAIN;
	struct waitq *q = &p->rq;
	c->hold = o;
	return call_park(c, &q, 1, POLLIN, -1);
}

/* buf, len is what is left of the call's bytes (c->in[1]); c->progress
 * what earlier runs put in. */
static long pipe_write(struct call *c, struct ofd *o, const void *buf,
		       size_t len, const int64_t *pos)
{
	struct pipe *p = o->priv;
	uint64_t total = c->progress;
	if (pos)
		return -ESPIPE;
	if (!p->readers)
		return total ? (long)total : -EPIPE;
	if (len == 0)
		return (long)total;
	size_t room = pipe_ring_room(&p->ring), n = 0;
	/* up to PIPE_BUF bytes are never interleaved with another write */
	if (len > PIPE_BUF || room >= len) {
		long r = pipe_ring_write(&p->ring, buf, len < room ? len : room);
		if (r < 0)
			return total ? (long)total : r;
		n = (size_t)r;
		total += n;
		if (n) {
			waitq_wake(&p->rq, POLLIN);
			fifo_times(o, true);
		}
	}
	if (n == len || (o->flags & O_NONBLOCK))
		return total ? (long)total : -EAGAIN;
	/* wait for room with the rest, as much as the cage may hold (a
	 * short write then answers what it took) */
	size_t rest = len - n;
	uint64_t budget = call_park_room(c->cage);
	if (!c->rerun && rest > budget)
		rest = len <= PIPE_BUF ? 0 : (size_t)budget;
	if (rest == 0)
		return total ? (long)total : -EAGAIN;
	c->in[1].ptr = (const uint8_t *)buf + n;
	c->in[1].len = rest;
	c->progress = total;
	c->hold = o;
	struct waitq *q = &p->wq;
	long r = call_park(c, &q, 1, POLLOUT, -1);
	return r == SRV_PARKED || !total ? r : (long)total;
}

static long pipe_ioctl(struct ofd *o, unsigned long req, void *arg)
{
	struct pipe *p = o->priv;
	if (req != FIONREAD)
		return -ENOTTY;
	int n = (int)p->ring.len;
	memcpy(arg, &n, sizeof n);
	return 0;
}

static long pipe_fcntl(struct ofd *o, int cmd, long arg)
{
	struct pipe *p = o->priv;
	if (cmd == F_GETPIPE_SZ)
		return (long)p->ring.cap;
	if (cmd != F_SETPIPE_SZ)
		return -EINVAL;
	if ((unsigned long)arg > PIPE_RING_MAX)
		return -EPERM; /* over pipe-max-size, unprivileged */
	long r = pipe_ring_resize(&p->ring, (uint64_t)arg);
	if (r > 0)
		waitq_wake(&p->wq, POLLOUT); /* room may have grown */
	return r;
}

static unsigned pipe_poll(struct ofd *o)
{
	struct pipe *p = o->priv;
	unsigned ev = 0;
	int acc = o->flags & O_ACCMODE;
	if (acc != O_WRONLY) {
		ev |= p->ring.len ? POLLIN : 0;
		ev |= p->writers || o->off == p->w_opens + 1 ? 0 : POLLHUP;
	}
	if (acc != O_RDONLY) {
		ev |= pipe_ring_room(&p->ring) >= PIPE_BUF ? POLLOUT : 0;
		ev |= p->readers ? 0 : POLLERR;
	}
	return ev;
}

static struct waitq *pipe_waitq(struct ofd *o, unsigned events)
{
	struct pipe *p = o->priv;
	return events & POLLOUT ? &p->wq : &p->rq;
}

static void pipe_release(struct ofd *o)
{
	struct pipe *p = o->priv;
	int acc = o->flags & O_ACCMODE;
	if (acc != O_WRONLY && --p->readers == 0)
		waitq_wake(&p->wq, POLLOUT | POLLERR); /* writers: EPIPE */
	if (acc != O_RDONLY && --p->writers == 0)
		waitq_wake(&p->rq, POLLIN | POLLHUP); /* readers: EOF */
	pipe_maybe_free(p);
}

/* ---- pipe() ----------------------------------------------------------- */

static long pipe_stat(struct ofd *o, struct stat *st)
{
	struct pipe *p = o->priv;
	ofd_anon_stat(st, &(struct ofd_anon){PIPE_DEV, p->id, S_IFIFO | 0600,
					     p->uid, p->gid, p->ctime});
	return 0;
}

static long pipe_statfs(struct ofd *o, struct statfs *sf)
{
	(void)o;
	ofd_anon_statfs(sf, PIPEFS_MAGIC);
	return 0;
}

static long pipe_name(struct ofd *o, char *out, size_t cap)
{
	struct pipe *p = o->priv;
	return snprintf(out, cap, "pipe:[%llu]", (unsigned long long)p->id);
}

#define PIPE_OPS                     \
	.read = pipe_read,           \
	.write = pipe_write,         \
	.ioctl = pipe_ioctl,         \
	.fcntl = pipe_fcntl,         \
	.poll = pipe_poll,           \
	.waitq = pipe_waitq,         \
	.release = pipe_release

const struct ofd_ops ofd_pipe_ops = {
	.kind = "pipe",
	.stat = pipe_stat,
	.statfs = pipe_statfs,
	.name = pipe_name,
	PIPE_OPS,
};

/* A FIFO stats, names and statfs's as its node. */
const struct ofd_ops ofd_fifo_ops = {
	.kind = "fifo",
	PIPE_OPS,
};

static long do_pipe(struct call *c, long flags)
{
	struct cage *cg = c->cage;
	if (flags & O_DIRECT)
		return -EINVAL; /* packet mode: not served */
	if (flags & ~(long)(O_NONBLOCK | O_CLOEXEC))
		return -EINVAL;
	if (!call_obj_out(c, 0))
		return -EFAULT;
	if (ofd_files_full())
		return -ENFILE;
	struct pipe *p = pipe_new(&cg->cred);
	if (!p)
		return -ENOMEM;
	int st = (int)flags & O_NONBLOCK;
	struct ofd *r = end_new(p, &ofd_pipe_ops, O_RDONLY | st, NULL);
	struct ofd *w = r ? end_new(p, &ofd_pipe_ops, O_WRONLY | st, NULL)
			  : NULL;
	if (!w) {
		if (r)
			ofd_put(srv.vfs, r);
		else
			pipe_maybe_free(p);
		return -ENOMEM;
	}
	bool cloexec = flags & O_CLOEXEC;
	int fds[2] = {fd_install(cg->fds, 0, r, cloexec), -1};
	if (fds[0] < 0) {
		ofd_put(srv.vfs, r);
		ofd_put(srv.vfs, w);
		return fds[0];
	}
	if ((fds[1] = fd_install(cg->fds, 0, w, cloexec)) < 0) {
		ofd_put(srv.vfs, w);
		fd_close(srv.vfs, cg->fds, fds[0]);
		return fds[1];
	}
	call_obj_out_set(c, 0, fds);
	return 0;
}

long srv_pipe(struct call *c)
{
	return do_pipe(c, 0);
}

long srv_pipe2(struct call *c)
{
	return do_pipe(c, c->a[1]);
}

/* ---- FIFOs ------------------------------------------------------------ */

/* in's pipe, made if it has none.  Idle ones met on the way go: an
 * opener's cage may have gone while it waited (its call dropped by
 * wait_cancel_cage), leaving its pipe with nobody. */
static struct pipe *fifo_pipe(struct call *c, const struct inode *in)
{
	for (struct pipe *p = fifos, *next; p; p = next) {
		next = p->next;
		if (p->fifo == in)
			return p;
		pipe_maybe_free(p);
	}
	struct pipe *p = pipe_new(&c->cage->cred);
	if (p) {
		p->fifo = in;
		p->next = fifos;
		fifos = p;
	}
	return p;
}

/* Whether the side opening can go on now; the first run counts the open
 * and wakes openers of the other side, a re-run looks whether the other
 * side opened since (c->progress: its count when this one parked). */
static long fifo_ready(struct call *c, struct pipe *p, int acc, bool nonblock)
{
	if (acc == O_RDWR) {
		p->r_opens++, p->w_opens++;
		waitq_wake(&p->oq, POLLIN | POLLOUT);
		return 1;
	}
	bool reading = acc == O_RDONLY;
	unsigned others = reading ? p->writers : p->readers;
	uint64_t *mine = reading ? &p->r_opens : &p->w_opens;
	uint64_t theirs = reading ? p->w_opens : p->r_opens;
	if (c->rerun)
		return others || theirs != c->progress;
	others += waitq_count(&p->oq, reading ? POLLOUT : POLLIN);
	if (!others && nonblock && !reading)
		return -ENXIO;
	++*mine;
	waitq_wake(&p->oq, reading ? POLLOUT : POLLIN);
	c->progress = theirs;
	return others || nonblock;
}

long pipe_fifo_open(struct call *c, struct inode *in, int flags,
		    struct ofd **out)
{
	struct pipe *p = fifo_pipe(c, in);
	if (!p)
		return -ENOMEM;
	int acc = flags & O_ACCMODE;
	long r = fifo_ready(c, p, acc, flags & O_NONBLOCK);
	if (r == 0) {
		struct waitq *q = &p->oq;
		r = call_park(c, &q, 1, acc == O_RDONLY ? POLLIN : POLLOUT, -1);
		if (r == SRV_PARKED)
			return r;
	}
	if (r < 0) {
		pipe_maybe_free(p);
		return r;
	}
	bool alone = acc == O_RDONLY && !p->writers;
	struct ofd *o = end_new(p, &ofd_fifo_ops, flags, in);
	if (!o) {
		pipe_maybe_free(p);
		return -ENOMEM;
	}
	/* a reader that went on without a writer sees no POLLHUP until one
	 * came (Linux's f_version): the writers' count, + 1, in its unused
	 * offset */
	if (alone)
		o->off = p->w_opens + 1;
	vfs_ref(in);
	*out = o;
	return 0;
}
