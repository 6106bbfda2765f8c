/*
 * The socket kind of open file description (sock.h): read and write are
 * a receive and a send without flags, stat says S_IFSOCK, /proc names it
 * socket:[id], poll and waitq are the family's.  Parking with the
 * socket's SO_RCVTIMEO/SO_SNDTIMEO is here, so every family times out
 * the same way.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>

#include "ofd.h"
#include "sock.h"
#include "sys.h"
#include "wait.h"

#define SOCKFS_MAGIC 0x534f434b
#define SOCK_DEV 0x8 /* st_dev of sockets: no virtual file has it */
#define SOCK_BUF_DEFAULT 212992 /* Linux's net.core.[rw]mem_default */

static unsigned long nsocks;
static uint64_t next_id = 1;

unsigned long sock_count(void)
{
	return nsocks;
}

struct sock *sock_of(struct ofd *o)
{
	return o && o->ops == &ofd_sock_ops ? o->priv : NULL;
}

static struct sock *sock_alloc(struct call *c, const struct sock_family *fam,
			       int type)
{
	struct sock *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	*s = (struct sock){.fam = fam, .type = type, .id = next_id++,
			   .rcvbuf = SOCK_BUF_DEFAULT,
			   .sndbuf = SOCK_BUF_DEFAULT,
			   .uid = c->cage->cred.fsuid,
			   .gid = c->cage->cred.fsgid, .ctime = vfs_now(),
			   .net = c->cage->net};
	return s;
}

/* s's description; on failure the family's state is released. */
static long sock_file(struct sock *s, int flags, struct sock **out)
{
	s->file = ofd_new(&ofd_sock_ops, O_RDWR | (flags & O_NONBLOCK), NULL,
			  NULL);
	if (!s->file) {
		s->ops->release(s);
		free(s);
		return -ENOMEM;
	}
	s->file->priv = s;
	nsocks++;
	*out = s;
	return 0;
}

long sock_new(struct call *c, const struct sock_family *fam, int type,
	      int protocol, int flags, struct sock **out)
{
	if (ofd_files_full())
		return -ENFILE;
	struct sock *s = sock_alloc(c, fam, type);
	if (!s)
		return -ENOMEM;
	long r = fam->create(c, s, protocol);
	if (r < 0) {
		free(s);
		return r;
	}
	return sock_file(s, flags, out);
}

long sock_wrap(struct call *c, const struct sock_family *fam, int type,
	       const struct sock_ops *ops, void *priv, struct sock **out)
{
	if (ofd_files_full())
		return -ENFILE;
	struct sock *s = sock_alloc(c, fam, type);
	if (s)
		s->file = ofd_new(&ofd_sock_ops, O_RDWR, NULL, NULL);
	if (!s || !s->file) {
		free(s);
		return -ENOMEM;
	}
	s->ops = ops;
	s->priv = priv;
	s->file->priv = s;
	nsocks++;
	*out = s;
	return 0;
}

int sock_install(struct call *c, struct sock *s, bool cloexec)
{
	int fd = fd_install(c->cage->fds, 0, s->file, cloexec);
	if (fd < 0)
		sock_drop(s);
	return fd;
}

void sock_drop(struct sock *s)
{
	ofd_put(srv.vfs, s->file);
}

long sock_park(struct call *c, struct sock *s, struct waitq *q,
	       unsigned events, bool sending)
{
	int64_t t = sending ? s->sndtimeo : s->rcvtimeo;
	if (t < 0) { /* a negative timeval: Linux's timeout 0, no wait */
		c->expired = true;
		return -EAGAIN;
	}
	c->hold = s->file;
	long r = call_park(c, &q, 1, events, t ? t : -1);
	return r == -ETIMEDOUT ? -EAGAIN : r;
}

/* ---- the description -------------------------------------------------- */

static long sock_read(struct call *c, struct ofd *o, void *buf, size_t cap,
		      const int64_t *pos)
{
	struct sock *s = o->priv;
	if (pos)
		return -ESPIPE;
	if (!s->ops->recvmsg)
		return -EINVAL;
	struct sock_recv m = {.data = buf, .cap = cap,
			      .nonblock = o->flags & O_NONBLOCK};
	return s->ops->recvmsg(c, s, &m);
}

static long sock_write(struct call *c, struct ofd *o, const void *buf,
		       size_t len, const int64_t *pos)
{
	struct sock *s = o->priv;
	if (pos)
		return -ESPIPE;
	if (!s->ops->sendmsg)
		return -EINVAL;
	struct sock_send m = {.data = buf, .len = len,
			      .nonblock = o->flags & O_NONBLOCK};
	return s->ops->sendmsg(c, s, &m);
}

static long sock_stat(struct ofd *o, struct stat *st)
{
	struct sock *s = o->priv;
	ofd_anon_stat(st, &(struct ofd_anon){SOCK_DEV, s->id, S_IFSOCK | 0777,
					     s->uid, s->gid, s->ctime});
	return 0;
}

static long sock_statfs(struct ofd *o, struct statfs *sf)
{
	(void)o;
	ofd_anon_statfs(sf, SOCKFS_MAGIC);
	return 0;
}

static long sock_name(struct ofd *o, char *out, size_t cap)
{
	struct sock *s = o->priv;
	return snprintf(out, cap, "socket:[%llu]", (unsigned long long)s->id);
}

static long sock_ioctl(struct ofd *o, unsigned long req, void *arg)
{
	struct sock *s = o->priv;
	if (req == SIOCATMARK) {
		int at = 0;
		long r = s->ops->atmark ? s->ops->atmark(s, &at) : -ENOTTY;
		if (r == 0)
			memcpy(arg, &at, sizeof at);
		return r;
	}
	if (_IOC_TYPE(req) == 0x89) /* SIOCGIF*: through any socket */
		return netif_ioctl(s->net, req, arg);
	if (req != FIONREAD || !s->ops->inq)
		return -ENOTTY;
	int n = s->ops->inq(s);
	if (n < 0)
		return n;
	memcpy(arg, &n, sizeof n);
	return 0;
}

static unsigned sock_poll(struct ofd *o)
{
	struct sock *s = o->priv;
	return s->ops->poll ? s->ops->poll(s) : POLLIN | POLLOUT;
}

static struct waitq *sock_waitq(struct ofd *o, unsigned events)
{
	struct sock *s = o->priv;
	return s->ops->waitq ? s->ops->waitq(s, events) : NULL;
}

static void sock_unref(struct ofd *o)
{
	struct sock *s = o->priv;
	if (s->ops->unref)
		s->ops->unref(s);
}

static void sock_release(struct ofd *o)
{
	struct sock *s = o->priv;
	s->ops->release(s);
	nsocks--;
	free(s);
}

const struct ofd_ops ofd_sock_ops = {
	.kind = "socket",
	.read = sock_read,
	.write = sock_write,
	.stat = sock_stat,
	.statfs = sock_statfs,
	.name = sock_name,
	.ioctl = sock_ioctl,
	.poll = sock_poll,
	.waitq = sock_waitq,
	.release = sock_release,
	.unref = sock_unref,
};
