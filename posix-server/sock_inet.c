/*
 * AF_INET and AF_INET6 sockets over host sockets the server owns (see
 * sock_inet.h).  The host socket is non-blocking; a call that would block
 * for the cage parks on rq (accept, receive) or wq (connect, send), and a
 * watcher on the host socket, armed while someone waits, wakes them:
 *   connect   EINPROGRESS/EALREADY: non-blocking, answered; blocking,
 *             parked until the host says writable, then SO_ERROR
 *             (interrupted: EINTR, the connect goes on; SO_SNDTIMEO:
 *             EINPROGRESS, as Linux);
 *   send      a blocking stream send answers once all is sent (or what
 *             was sent when a signal or SO_SNDTIMEO ends it); the host
 *             call always has MSG_NOSIGNAL: SIGPIPE is the client's;
 *   recv      MSG_WAITALL on a stream waits until the host holds the whole
 *             count (or the peer shut down), then takes it in one call;
 *   close     SO_LINGER's time is kept, not given to the host, whose
 *             close would then block the server; l_linger 0 (a reset) is.
 * Options are those programs use, passed to the host (a list: nothing
 * that needs privilege the cage lacks, nothing that escapes
 * net_policy.h); others are ENOPROTOOPT.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cage.h"
#include "net_policy.h"
#include "ofd.h"
#include "server.h"
#include "sock_inet.h"
#include "wait.h"

struct inet_sock {
	int fd; /* the host socket, O_NONBLOCK */
	int family, type;
	bool wild; /* bound to loopback for the cage's wildcard */
	struct linger linger; /* as the cage set it */
	struct waitq rq, wq;
	ev_io rw, ww; /* active while someone may wait */
};

static unsigned long nsocks;

unsigned long inet_sock_count(void)
{
	return nsocks;
}

static void on_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	ev_io_stop(loop, w);
	unsigned ev = revents & EV_READ ? POLLIN | POLLPRI | POLLRDHUP | POLLHUP
					: POLLOUT;
	waitq_wake(w->data, ev | POLLERR);
}

static long wrap(int fd, int family, int type, struct inet_sock **out)
{
	struct inet_sock *s = calloc(1, sizeof *s);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->fd = fd;
	s->family = family;
	s->type = type;
	ev_io_init(&s->rw, on_ready, fd, EV_READ);
	ev_io_init(&s->ww, on_ready, fd, EV_WRITE);
	s->rw.data = &s->rq;
	s->ww.data = &s->wq;
	nsocks++;
	*out = s;
	return 0;
}

/* Linux's inet_create answers, for the types and protocols offered. */
static long check_type(int type, int protocol)
{
	if (protocol < 0 || protocol >= IPPROTO_MAX)
		return -EINVAL;
	if (type == SOCK_RAW)
		return protocol ? -EPERM : -EPROTONOSUPPORT; /* no CAP_NET_RAW */
	if (type != SOCK_STREAM && type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	int own = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	return protocol && protocol != own ? -EPROTONOSUPPORT : 0;
}

long inet_sock_new(const struct cage *cg, int family, int type, int protocol,
		   struct inet_sock **out)
{
	long r = check_type(type, protocol);
	if (r == 0)
		r = net_socket_ok(cg);
	if (r < 0)
		return r;
	int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, protocol);
	if (fd < 0)
		return -errno;
	return wrap(fd, family, type, out);
}

void inet_sock_free(struct inet_sock *s)
{
	if (srv.loop) {
		ev_io_stop(srv.loop, &s->rw);
		ev_io_stop(srv.loop, &s->ww);
	}
	close(s->fd);
	nsocks--;
	free(s);
}

int inet_sock_type(const struct inet_sock *s)
{
	return s->type;
}

/* ---- waiting ------------------------------------------------------------ */

/* SO_RCVTIMEO or SO_SNDTIMEO (kept by the host, which ignores them on a
 * non-blocking socket): the park's timeout, -1 for none. */
static int64_t timeout_ns(const struct inet_sock *s, bool write)
{
	struct timeval tv;
	socklen_t len = sizeof tv;
	if (getsockopt(s->fd, SOL_SOCKET, write ? SO_SNDTIMEO : SO_RCVTIMEO,
		       &tv, &len) < 0 || (!tv.tv_sec && !tv.tv_usec))
		return -1;
	return (int64_t)tv.tv_sec * 1000000000 + (int64_t)tv.tv_usec * 1000;
}

static void arm(struct inet_sock *s, bool write)
{
	ev_io *w = write ? &s->ww : &s->rw;
	if (srv.loop && !ev_is_active(w))
		ev_io_start(srv.loop, w);
}

/* SRV_PARKED, or -EINTR, -ETIMEDOUT (the timeout ran out), -EAGAIN... */
static long park(struct call *c, struct ofd *o, struct inet_sock *s,
		 bool write)
{
	struct waitq *q = write ? &s->wq : &s->rq;
	c->hold = o;
	long r = call_park(c, &q, 1, write ? POLLOUT : POLLIN,
			   timeout_ns(s, write));
	if (r == SRV_PARKED)
		arm(s, write);
	return r;
}

static bool may_wait(const struct ofd *o, int flags)
{
	return !(o->flags & O_NONBLOCK) && !(flags & MSG_DONTWAIT);
}

unsigned inet_poll(struct inet_sock *s)
{
	struct pollfd p = {s->fd, POLLIN | POLLOUT | POLLPRI | POLLRDHUP, 0};
	return poll(&p, 1, 0) == 1 ? (unsigned)p.revents : 0;
}

struct waitq *inet_waitq(struct inet_sock *s, unsigned events)
{
	bool write = events & POLLOUT;
	arm(s, write);
	return write ? &s->wq : &s->rq;
}

/* ---- addresses ---------------------------------------------------------- */

/* Under a policy that forbids the wildcard, an unbound socket is bound to
 * loopback before the host would bind it to the wildcard itself. */
static long bind_first(struct call *c, struct inet_sock *s)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	if (!net_bind_first(c->cage))
		return 0;
	if (getsockname(s->fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	if (((struct sockaddr_in *)&sa)->sin_port) /* same place in in6 */
		return 0;
	len = net_loopback(s->family, &sa);
	if (bind(s->fd, (struct sockaddr *)&sa, len) < 0)
		return -errno;
	s->wild = true;
	return 0;
}

long inet_bind(struct call *c, struct inet_sock *s, const void *addr,
	       socklen_t len)
{
	struct sockaddr_storage sa;
	bool wild;
	if (len > sizeof sa)
		return -EINVAL;
	memset(&sa, 0, sizeof sa);
	memcpy(&sa, addr, len);
	long r = net_bind_addr(c->cage, &sa, len, &wild);
	if (r < 0)
		return r;
	if (bind(s->fd, (struct sockaddr *)&sa, len) < 0)
		return -errno;
	s->wild = wild;
	return 0;
}

long inet_listen(struct call *c, struct inet_sock *s, int backlog)
{
	long r = s->type == SOCK_STREAM ? bind_first(c, s) : 0;
	if (r < 0)
		return r;
	return listen(s->fd, backlog) < 0 ? -errno : 0;
}

long inet_name(struct inet_sock *s, bool peer, struct sockaddr_storage *sa,
	       socklen_t *len)
{
	*len = sizeof *sa;
	int r = peer ? getpeername(s->fd, (struct sockaddr *)sa, len)
		     : getsockname(s->fd, (struct sockaddr *)sa, len);
	if (r < 0)
		return -errno;
	if (!peer && s->wild)
		net_wildcard(sa);
	return 0;
}

/* ---- connections -------------------------------------------------------- */

long inet_accept(struct call *c, struct ofd *o, struct inet_sock *s,
		 struct sockaddr_storage *peer, socklen_t *plen,
		 struct inet_sock **out)
{
	*plen = sizeof *peer;
	int fd = accept4(s->fd, (struct sockaddr *)peer, plen,
			 SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd >= 0)
		return wrap(fd, s->family, s->type, out);
	long r = -errno;
	if (r != -EAGAIN || !may_wait(o, 0))
		return r;
	r = park(c, o, s, false);
	return r == -ETIMEDOUT ? -EAGAIN : r;
}

/* A blocking connect the host had not finished: done yet? */
static long connect_wait(struct call *c, struct ofd *o, struct inet_sock *s)
{
	struct pollfd p = {s->fd, POLLOUT, 0};
	if (poll(&p, 1, 0) == 1) {
		int err = 0;
		socklen_t len = sizeof err;
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
			return -errno;
		return -err;
	}
	long r = park(c, o, s, true);
	return r == -ETIMEDOUT ? -EINPROGRESS : r;
}

long inet_connect(struct call *c, struct ofd *o, struct inet_sock *s,
		  const void *addr, socklen_t len)
{
	if (c->rerun && c->progress)
		return connect_wait(c, o, s);
	long r = net_dest_ok(c->cage, addr, len, true);
	if (r < 0)
		return r;
	if (connect(s->fd, addr, len) == 0)
		return 0;
	r = -errno;
	if ((r != -EINPROGRESS && r != -EALREADY) || !may_wait(o, 0))
		return r;
	c->progress = 1; /* the host connects: only wait from now on */
	return connect_wait(c, o, s);
}

long inet_shutdown(struct inet_sock *s, int how)
{
	if (shutdown(s->fd, how) < 0)
		return -errno;
	/* waiters see end of file or EPIPE now */
	waitq_wake(&s->rq, WAIT_ALL);
	waitq_wake(&s->wq, WAIT_ALL);
	return 0;
}

/* ---- data --------------------------------------------------------------- */

/* A blocking stream send parks with what is left (as much as the cage
 * may hold: a short send then answers what went). */
static long send_park(struct call *c, struct ofd *o, struct inet_sock *s,
		      int arg, const void *buf, size_t rest, uint64_t total)
{
	uint64_t room = call_park_room(c->cage);
	if (!c->rerun && rest > room)
		rest = s->type == SOCK_STREAM ? (size_t)room : 0;
	if (rest == 0)
		return total ? (long)total : -EAGAIN;
	c->in[arg].ptr = buf;
	c->in[arg].len = rest;
	c->progress = total;
	long r = park(c, o, s, true);
	if (r == SRV_PARKED)
		return r;
	return total ? (long)total : r == -ETIMEDOUT ? -EAGAIN : r;
}

long inet_send(struct call *c, struct ofd *o, struct inet_sock *s, int arg,
	       const void *buf, size_t len, int flags, const void *to,
	       socklen_t tolen)
{
	long r = 0;
	if (to && (s->type == SOCK_DGRAM || (flags & MSG_FASTOPEN)))
		r = net_dest_ok(c->cage, to, tolen, false);
	if (r == 0 && to && s->type == SOCK_DGRAM)
		r = bind_first(c, s);
	if (r < 0)
		return r;
	uint64_t total = c->progress;
	ssize_t n = sendto(s->fd, buf, len, flags | MSG_DONTWAIT | MSG_NOSIGNAL,
			   to, to ? tolen : 0);
	r = n < 0 ? -errno : n;
	size_t done = n > 0 ? (size_t)n : 0;
	total += done;
	if ((r < 0 && r != -EAGAIN) || done == len || !may_wait(o, flags) ||
	    (r >= 0 && s->type != SOCK_STREAM))
		return total ? (long)total : r;
	return send_park(c, o, s, arg, (const char *)buf + done, len - done,
			 total);
}

/* MSG_WAITALL on a stream: the host holds cap bytes, or no more come. */
static bool all_there(struct inet_sock *s, size_t cap)
{
	int inq = 0;
	if (ioctl(s->fd, SIOCINQ, &inq) == 0 && (size_t)inq >= cap)
		return true;
	struct pollfd p = {s->fd, POLLRDHUP, 0};
	return poll(&p, 1, 0) == 1;
}

long inet_recv(struct call *c, struct ofd *o, struct inet_sock *s, void *buf,
	       size_t cap, int flags, size_t *got,
	       struct sockaddr_storage *from, socklen_t *fromlen)
{
	bool wait = may_wait(o, flags);
	bool stream = s->type == SOCK_STREAM;
	*got = 0;
	if (fromlen)
		*fromlen = from ? sizeof *from : 0;
	if (stream && (flags & MSG_WAITALL) && wait && !c->interrupted &&
	    !c->expired && !all_there(s, cap))
		goto wait;
	ssize_t n = recvfrom(s->fd, buf, cap,
			     (flags & ~MSG_WAITALL) | MSG_DONTWAIT,
			     (struct sockaddr *)from, fromlen);
	if (n >= 0) {
		/* MSG_TRUNC: a stream's bytes are dropped, a datagram's real
		 * length is answered */
		*got = stream && (flags & MSG_TRUNC) ? 0
		       : (size_t)n < cap	     ? (size_t)n
						     : cap;
		return n;
	}
	if (errno != EAGAIN || !wait)
		return -errno;
wait:;
	long r = park(c, o, s, false);
	return r == -ETIMEDOUT ? -EAGAIN : r;
}

/* ---- options and ioctls --------------------------------------------------- */

/* The options passed to the host as they are. */
static bool passed(int level, int name)
{
	static const int sol[] = {
		SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_RCVBUF,
		SO_SNDBUF, SO_ERROR, SO_TYPE, SO_RCVTIMEO, SO_SNDTIMEO,
		SO_BROADCAST, SO_OOBINLINE, SO_RCVLOWAT, SO_SNDLOWAT,
		SO_DOMAIN, SO_PROTOCOL, SO_ACCEPTCONN, SO_DONTROUTE};
	static const int tcp[] = {
		TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE,
		TCP_KEEPINTVL, TCP_KEEPCNT, TCP_SYNCNT, TCP_LINGER2,
		TCP_DEFER_ACCEPT, TCP_WINDOW_CLAMP, TCP_INFO, TCP_QUICKACK,
		TCP_USER_TIMEOUT, TCP_NOTSENT_LOWAT};
	static const int ip[] = {IP_TOS, IP_TTL, IP_MTU_DISCOVER, IP_MTU};
	static const int ip6[] = {IPV6_V6ONLY, IPV6_TCLASS,
				  IPV6_UNICAST_HOPS, IPV6_MTU_DISCOVER,
				  IPV6_MTU};
	const int *l = level == SOL_SOCKET	? sol
		       : level == IPPROTO_TCP	? tcp
		       : level == IPPROTO_IP	? ip
		       : level == IPPROTO_IPV6 ? ip6
					       : NULL;
	size_t n = level == SOL_SOCKET	  ? sizeof sol / sizeof *sol
		   : level == IPPROTO_TCP  ? sizeof tcp / sizeof *tcp
		   : level == IPPROTO_IP   ? sizeof ip / sizeof *ip
		   : level == IPPROTO_IPV6 ? sizeof ip6 / sizeof *ip6
					   : 0;
	for (size_t i = 0; i < n; i++)
		if (l[i] == name)
			return true;
	return false;
}

static bool is_linger(int level, int name)
{
	return level == SOL_SOCKET && name == SO_LINGER;
}

/* SO_LINGER: kept; the host only ever gets a reset on close (l_linger
 * 0), never a close that waits. */
static long set_linger(struct inet_sock *s, const void *val, socklen_t len)
{
	struct linger l, host = {0, 0};
	if (len < sizeof l)
		return -EINVAL;
	memcpy(&l, val, sizeof l);
	l.l_onoff = l.l_onoff != 0;
	host.l_onoff = l.l_onoff && l.l_linger == 0;
	if (setsockopt(s->fd, SOL_SOCKET, SO_LINGER, &host, sizeof host) < 0)
		return -errno;
	s->linger = l;
	return 0;
}

long inet_setsockopt(struct inet_sock *s, int level, int name,
		     const void *val, socklen_t len)
{
	if (is_linger(level, name))
		return set_linger(s, val, len);
	if (!passed(level, name))
		return -ENOPROTOOPT;
	return setsockopt(s->fd, level, name, val, len) < 0 ? -errno : 0;
}

long inet_getsockopt(struct inet_sock *s, int level, int name, void *val,
		     socklen_t *len)
{
	if (is_linger(level, name)) {
		if (*len > sizeof s->linger)
			*len = sizeof s->linger;
		memcpy(val, &s->linger, *len);
		return 0;
	}
	if (!passed(level, name))
		return -ENOPROTOOPT;
	return getsockopt(s->fd, level, name, val, len) < 0 ? -errno : 0;
}

long inet_ioctl(struct inet_sock *s, unsigned long req, void *arg)
{
	if (req != SIOCINQ && req != SIOCOUTQ && req != SIOCOUTQNSD &&
	    req != SIOCATMARK)
		return -ENOTTY;
	return ioctl(s->fd, req, arg) < 0 ? -errno : 0;
}
