/*
 * AF_INET and AF_INET6 (sock.h's families): a host socket the server
 * makes and owns, always non-blocking on the host (the server never
 * blocks), behind the cage's socket.  A call that would block for the
 * cage parks (sock_park: the socket's timeouts) on rq (accept, receive)
 * or wq (connect, send), and a libev watcher on the host socket, armed
 * while someone may wait, wakes them.  Every address a call names passes
 * net_policy.h first, and a bind may be made elsewhere on the host (the
 * wildcard under loopback, a --publish port): the socket's net_local
 * keeps what the cage sees of its own end.  As Linux:
 *   connect   EINPROGRESS/EALREADY: non-blocking, answered; blocking,
 *             parked until the host socket is writable, then asked again
 *             (its answer is the blocking connect's: 0 or the error);
 *             interrupted: EINTR, the connect goes on; SO_SNDTIMEO:
 *             EINPROGRESS;
 *   send      a blocking stream send answers once all is sent (or what
 *             was sent when a signal or SO_SNDTIMEO ends it: a re-run
 *             sends on from c->progress); the host call always has
 *             MSG_NOSIGNAL (SIGPIPE is the client's);
 *   recv      MSG_WAITALL on a stream waits until the host holds the whole
 *             count (or the peer shut down), then takes it in one call;
 *   close     SO_LINGER's time stays virtual (sys_socket.c), as the host's
 *             close would block the server; l_linger 0, a reset, is done.
 * Options: those programs use, passed to the host (a list: nothing that
 * needs privilege the cage lacks or escapes the policy; SO_RCVTIMEO,
 * SO_SNDTIMEO, SO_LINGER are the layer's); others ENOPROTOOPT.  Control
 * messages go to the host once sock_inet_cmsg.c has checked them against
 * the policy, and come back from it as the host gives them.
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
#include "server.h"
#include "sock.h"
#include "wait.h"

struct inet {
	int fd; /* the host socket, O_NONBLOCK */
	struct net_local local; /* what the cage sees of its own end */
	struct waitq rq, wq;
	ev_io rw, ww; /* active while someone may wait */
};

static const struct sock_ops inet_ops;
static unsigned long ninet;

unsigned long sock_inet_count(void)
{
	return ninet;
}

static struct inet *in_of(struct sock *s)
{
	return s->priv;
}

static void on_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	ev_io_stop(loop, w);
	unsigned ev = revents & EV_READ ? POLLIN | POLLPRI | POLLRDHUP | POLLHUP
					: POLLOUT;
	waitq_wake(w->data, ev | POLLERR);
}

/* The family state around host socket fd (taken over): NULL and fd
 * closed when out of memory. */
static struct inet *inet_wrap(int fd)
{
	struct inet *in = calloc(1, sizeof *in);
	if (!in) {
		close(fd);
		return NULL;
	}
	in->fd = fd;
	ev_io_init(&in->rw, on_ready, fd, EV_READ);
	ev_io_init(&in->ww, on_ready, fd, EV_WRITE);
	in->rw.data = &in->rq;
	in->ww.data = &in->wq;
	ninet++;
	return in;
}

static void inet_release(struct sock *s)
{
	struct inet *in = in_of(s);
	if (srv.loop) {
		ev_io_stop(srv.loop, &in->rw);
		ev_io_stop(srv.loop, &in->ww);
	}
	if (s->linger.l_onoff && s->linger.l_linger == 0) {
		struct linger reset = {1, 0}; /* a reset: closes at once */
		setsockopt(in->fd, SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
	}
	close(in->fd);
	ninet--;
	free(in);
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

static long inet_create(struct call *c, struct sock *s, int protocol)
{
	long r = check_type(s->type, protocol);
	if (r == 0)
		r = net_socket_ok(c->cage);
	if (r < 0)
		return r;
	int fd = socket(s->fam->family, s->type | SOCK_NONBLOCK | SOCK_CLOEXEC,
			protocol);
	if (fd < 0)
		return -errno;
	if (!(s->priv = inet_wrap(fd)))
		return -ENOMEM;
	s->ops = &inet_ops;
	s->protocol = s->type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
	return 0;
}

const struct sock_family sock_inet_family = {.family = AF_INET,
					     .create = inet_create};
const struct sock_family sock_inet6_family = {.family = AF_INET6,
					      .create = inet_create};

/* ---- waiting ------------------------------------------------------------ */

static void arm(struct inet *in, bool write)
{
	ev_io *w = write ? &in->ww : &in->rw;
	if (srv.loop && !ev_is_active(w))
		ev_io_start(srv.loop, w);
}

static long park(struct call *c, struct sock *s, bool write)
{
	struct inet *in = in_of(s);
	long r = sock_park(c, s, write ? &in->wq : &in->rq,
			   write ? POLLOUT : POLLIN, write);
	if (r == SRV_PARKED)
		arm(in, write);
	return r;
}

static unsigned inet_poll(struct sock *s)
{
	struct pollfd p = {in_of(s)->fd, POLLIN | POLLOUT | POLLPRI | POLLRDHUP,
			   0};
	return poll(&p, 1, 0) == 1 ? (unsigned)p.revents : 0;
}

static struct waitq *inet_waitq(struct sock *s, unsigned events)
{
	struct inet *in = in_of(s);
	bool write = events & POLLOUT;
	arm(in, write);
	return write ? &in->wq : &in->rq;
}

static int inet_inq(struct sock *s)
{
	int n = 0;
	return ioctl(in_of(s)->fd, SIOCINQ, &n) < 0 ? -errno : n;
}

static long inet_atmark(struct sock *s, int *at)
{
	return ioctl(in_of(s)->fd, SIOCATMARK, at) < 0 ? -errno : 0;
}

/* ---- addresses ---------------------------------------------------------- */

/* The host's bind for the cage's wildcard, which net_bind_addr made
 * loopback's address (sa): an AF_INET6 socket binds the wildcard itself
 * on device lo instead, so that it takes IPv4 connections too (as
 * ::ffff:127.0.0.1), as Linux's dual-stack wildcard does, and still none
 * from outside the host.  Loopback's address where the host refuses the
 * device (unprivileged, before Linux 5.7). */
static int bind_wild(int fd, const struct sockaddr_storage *sa, socklen_t len)
{
	if (sa->ss_family == AF_INET6 &&
	    setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, "lo", 3) == 0) {
		struct sockaddr_storage any = *sa;
		net_wildcard(&any);
		return bind(fd, (struct sockaddr *)&any, len);
	}
	return bind(fd, (const struct sockaddr *)sa, len);
}

/* Under a policy that forbids the wildcard, an unbound socket is bound to
 * loopback before the host would bind it to the wildcard itself. */
static long bind_first(struct call *c, struct sock *s)
{
	struct inet *in = in_of(s);
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	if (!net_bind_first(c->cage))
		return 0;
	if (getsockname(in->fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	if (((struct sockaddr_in *)&sa)->sin_port) /* same place in in6 */
		return 0;
	len = net_loopback(s->fam->family, &sa);
	if (bind_wild(in->fd, &sa, len) < 0)
		return -errno;
	in->local.wild = true;
	return 0;
}

static long inet_bind(struct call *c, struct sock *s, const void *addr,
		      size_t len)
{
	struct sockaddr_storage sa;
	struct net_local local;
	memset(&sa, 0, sizeof sa);
	memcpy(&sa, addr, len); /* the layer: at most LIND_MSG_NAME_MAX */
	long r = net_bind_addr(c->cage, s->type == SOCK_DGRAM, &sa,
			       (socklen_t)len, &local);
	if (r < 0)
		return r;
	if ((local.wild ? bind_wild(in_of(s)->fd, &sa, (socklen_t)len)
		  : bind(in_of(s)->fd, (struct sockaddr *)&sa, (socklen_t)len)) < 0)
		return -errno;
	in_of(s)->local = local;
	return 0;
}

static long inet_listen(struct call *c, struct sock *s, int backlog)
{
	long r = s->type == SOCK_STREAM ? bind_first(c, s) : 0;
	if (r < 0)
		return r;
	return listen(in_of(s)->fd, backlog) < 0 ? -errno : 0;
}

static long inet_getname(struct sock *s, void *addr, size_t *len, bool peer)
{
	struct sockaddr_storage sa;
	socklen_t l = sizeof sa;
	int fd = in_of(s)->fd;
	if ((peer ? getpeername(fd, (void *)&sa, &l)
		  : getsockname(fd, (void *)&sa, &l)) < 0)
		return -errno;
	if (!peer)
		net_local_show(&in_of(s)->local, &sa);
	memcpy(addr, &sa, l);
	*len = l;
	return 0;
}

/* ---- connections -------------------------------------------------------- */

static long inet_accept(struct call *c, struct sock *s, bool nonblock,
			struct sock **out)
{
	int fd = accept4(in_of(s)->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0) {
		long r = -errno;
		return r == -EAGAIN && !nonblock ? park(c, s, false) : r;
	}
	struct inet *in = inet_wrap(fd);
	if (!in)
		return -ENOMEM;
	in->local.port = in_of(s)->local.port; /* a published port's */
	long r = sock_wrap(c, s->fam, s->type, &inet_ops, in, out);
	if (r < 0)
		inet_release(&(struct sock){.priv = in});
	else
		(*out)->protocol = s->protocol;
	return r;
}

/* The host's connect in progress, asked again: 0 once connected, its
 * error once it failed (the host socket then is as a blocking connect
 * leaves it), else parked until the host socket is writable. */
static long connect_wait(struct call *c, struct sock *s, const void *addr,
			 size_t len)
{
	if (connect(in_of(s)->fd, addr, (socklen_t)len) == 0)
		return 0;
	long r = -errno;
	if (r != -EALREADY && r != -EINPROGRESS)
		return r;
	r = park(c, s, true);
	return r == -EAGAIN && c->expired ? -EINPROGRESS : r;
}

static long inet_connect(struct call *c, struct sock *s, const void *addr,
			 size_t len, bool nonblock)
{
	if (c->rerun && c->progress)
		return connect_wait(c, s, addr, len);
	long r = net_dest_ok(c->cage, addr, (socklen_t)len, true);
	if (r < 0)
		return r;
	if (connect(in_of(s)->fd, addr, (socklen_t)len) == 0)
		return 0;
	r = -errno;
	if ((r != -EINPROGRESS && r != -EALREADY) || nonblock)
		return r;
	c->progress = 1; /* the host connects: only wait from now on */
	r = park(c, s, true);
	return r == -EAGAIN && c->expired ? -EINPROGRESS : r;
}

static long inet_shutdown(struct sock *s, int how)
{
	struct inet *in = in_of(s);
	if (shutdown(in->fd, how) < 0)
		return -errno;
	/* waiters see end of file or EPIPE now */
	waitq_wake(&in->rq, WAIT_ALL);
	waitq_wake(&in->wq, WAIT_ALL);
	return 0;
}

/* ---- data --------------------------------------------------------------- */

/* One host send of the bytes from done on, with the cage's control
 * messages (checked) the first time. */
static ssize_t send_host(struct sock *s, const struct sock_send *m,
			 uint64_t done)
{
	uint8_t ctl[LIND_MSG_CTL_MAX] __attribute__((aligned(8)));
	struct iovec v = {(void *)(m->data + done), m->len - done};
	struct msghdr h = {.msg_name = (void *)m->name,
			   .msg_namelen = (socklen_t)m->namelen,
			   .msg_iov = &v, .msg_iovlen = 1};
	if (m->ctllen && !done) {
		memcpy(ctl, m->ctl, m->ctllen);
		h.msg_control = ctl;
		h.msg_controllen = m->ctllen;
	}
	return sendmsg(in_of(s)->fd, &h, m->flags | MSG_DONTWAIT | MSG_NOSIGNAL);
}

static long inet_sendmsg(struct call *c, struct sock *s,
			 const struct sock_send *m)
{
	long r = m->ctllen ? inet_cmsg_ok(c->cage, s, m->ctl, m->ctllen) : 0;
	if (r < 0)
		return r;
	if (m->cut && s->type == SOCK_DGRAM)
		return -EMSGSIZE; /* over LIND_MAX_IO: over UDP's 65507 too */
	if (m->name && (s->type == SOCK_DGRAM || (m->flags & MSG_FASTOPEN)))
		r = net_dest_ok(c->cage, m->name, (socklen_t)m->namelen, false);
	if (r == 0 && m->name && s->type == SOCK_DGRAM)
		r = bind_first(c, s);
	if (r < 0)
		return r;
	uint64_t done = c->progress; /* a re-run sends on from there */
	ssize_t n = send_host(s, m, done);
	r = n < 0 ? -errno : n;
	done += n > 0 ? (uint64_t)n : 0;
	if ((r < 0 && r != -EAGAIN) || done == m->len || m->nonblock ||
	    (r >= 0 && s->type != SOCK_STREAM))
		return done ? (long)done : r;
	c->progress = done;
	r = park(c, s, true);
	return r == SRV_PARKED || !done ? r : (long)done;
}

/* MSG_WAITALL on a stream: the host holds cap bytes, or no more come. */
static bool all_there(struct sock *s, size_t cap)
{
	int inq = inet_inq(s);
	if (inq >= 0 && (size_t)inq >= cap)
		return true;
	struct pollfd p = {in_of(s)->fd, POLLRDHUP, 0};
	return poll(&p, 1, 0) == 1;
}

/* The control messages the host gave (those the cage's options asked
 * for: IP_PKTINFO, IP_RECVTTL, SO_TIMESTAMP...), as they are. */
static long recv_host(struct sock *s, struct sock_recv *m)
{
	struct sockaddr_storage from;
	uint8_t ctl[LIND_MSG_CTL_MAX] __attribute__((aligned(8)));
	struct iovec v = {m->data, m->cap};
	struct msghdr h = {.msg_name = m->name ? &from : NULL,
			   .msg_namelen = m->name ? sizeof from : 0,
			   .msg_iov = &v, .msg_iovlen = 1,
			   .msg_control = m->ctlcap ? ctl : NULL,
			   .msg_controllen = m->ctlcap};
	int flags = (m->flags & ~(MSG_WAITALL | MSG_CMSG_CLOEXEC)) |
		    MSG_DONTWAIT;
	ssize_t n = recvmsg(in_of(s)->fd, &h, flags);
	if (n < 0)
		return -errno;
	m->oflags = h.msg_flags & (MSG_TRUNC | MSG_OOB | MSG_EOR | MSG_CTRUNC);
	m->ctllen = h.msg_controllen;
	if (m->ctllen)
		memcpy(m->ctl, ctl, m->ctllen);
	m->namelen = m->name ? h.msg_namelen : 0;
	if (m->name)
		memcpy(m->name, &from, m->namelen < m->namecap ? m->namelen
							       : m->namecap);
	/* MSG_TRUNC on a stream drops the bytes: none go back */
	if (s->type == SOCK_STREAM && (m->flags & MSG_TRUNC))
		memset(m->data, 0, (size_t)n < m->cap ? (size_t)n : m->cap);
	return n;
}

static long inet_recvmsg(struct call *c, struct sock *s, struct sock_recv *m)
{
	bool wait = !m->nonblock;
	bool waitall = (m->flags & (MSG_WAITALL | MSG_OOB)) == MSG_WAITALL;
	if (s->type == SOCK_STREAM && waitall && wait && !c->interrupted &&
	    !c->expired && !all_there(s, m->cap)) {
		long r = park(c, s, false);
		if (r != -EAGAIN || !c->expired)
			return r; /* else a timeout of 0: what is there */
	}
	long r = recv_host(s, m);
	/* urgent data not there yet is EAGAIN, never a wait (tcp_recv_urg) */
	bool urgent = m->flags & MSG_OOB;
	return r == -EAGAIN && wait && !c->expired && !urgent ? park(c, s, false)
							       : r;
}

/* ---- options ------------------------------------------------------------ */

/* The options passed to the host as they are. */
static bool passed(int level, int name)
{
	static const int sol[] = {
		SO_REUSEADDR, SO_REUSEPORT, SO_KEEPALIVE, SO_RCVBUF,
		SO_SNDBUF, SO_ERROR, SO_TYPE, SO_BROADCAST, SO_OOBINLINE,
		SO_RCVLOWAT, SO_SNDLOWAT, SO_DOMAIN, SO_PROTOCOL,
		SO_ACCEPTCONN, SO_DONTROUTE, SO_TIMESTAMP, SO_TIMESTAMPNS,
		SO_RXQ_OVFL, -1};
	static const int tcp[] = {
		TCP_NODELAY, TCP_MAXSEG, TCP_CORK, TCP_KEEPIDLE,
		TCP_KEEPINTVL, TCP_KEEPCNT, TCP_SYNCNT, TCP_LINGER2,
		TCP_DEFER_ACCEPT, TCP_WINDOW_CLAMP, TCP_INFO, TCP_QUICKACK,
		TCP_USER_TIMEOUT, TCP_NOTSENT_LOWAT, -1};
	/* IP_PKTINFO and the IPV6_RECV* ones ask for control messages on
	 * receiving; IPV6_PKTINFO, a sticky source, is not passed */
	static const int ip[] = {IP_TOS, IP_TTL, IP_MTU_DISCOVER, IP_MTU,
				 IP_PKTINFO, IP_RECVTTL, IP_RECVTOS, -1};
	static const int ip6[] = {IPV6_V6ONLY, IPV6_TCLASS, IPV6_UNICAST_HOPS,
				  IPV6_MTU_DISCOVER, IPV6_MTU,
				  IPV6_RECVPKTINFO, IPV6_RECVHOPLIMIT,
				  IPV6_RECVTCLASS, -1};
	const int *l = level == SOL_SOCKET	? sol
		       : level == IPPROTO_TCP	? tcp
		       : level == IPPROTO_IP	? ip
		       : level == IPPROTO_IPV6 ? ip6
					       : NULL;
	for (; l && *l >= 0; l++)
		if (*l == name)
			return true;
	return false;
}

static long inet_setsockopt(struct call *c, struct sock *s, int level,
			    int name, const void *val, size_t len)
{
	(void)c;
	if (!passed(level, name))
		return -ENOPROTOOPT;
	return setsockopt(in_of(s)->fd, level, name, val, (socklen_t)len) < 0
		       ? -errno
		       : 0;
}

/* val holds LIND_MSG_NAME_MAX bytes: a longer value (TCP_INFO) is cut
 * there, as Linux cuts it to a caller's room. */
/* Linux's answer to an option not passed: ENOPROTOOPT, but AF_INET's
 * ip_getsockopt answers a level that is neither SOL_SOCKET, IP's nor the
 * socket's protocol's EOPNOTSUPP. */
static long not_passed_get(const struct sock *s, int level)
{
	if (s->fam->family == AF_INET && level != SOL_SOCKET &&
	    level != IPPROTO_IP && level != s->protocol)
		return -EOPNOTSUPP;
	return -ENOPROTOOPT;
}

static long inet_getsockopt(struct call *c, struct sock *s, int level,
			    int name, void *val, size_t *len)
{
	(void)c;
	socklen_t l = LIND_MSG_NAME_MAX;
	if (!passed(level, name))
		return not_passed_get(s, level);
	if (getsockopt(in_of(s)->fd, level, name, val, &l) < 0)
		return -errno;
	*len = l;
	return 0;
}

static const struct sock_ops inet_ops = {
	.bind = inet_bind,
	.listen = inet_listen,
	.accept = inet_accept,
	.connect = inet_connect,
	.shutdown = inet_shutdown,
	.sendmsg = inet_sendmsg,
	.recvmsg = inet_recvmsg,
	.getname = inet_getname,
	.getsockopt = inet_getsockopt,
	.setsockopt = inet_setsockopt,
	.poll = inet_poll,
	.waitq = inet_waitq,
	.inq = inet_inq,
	.atmark = inet_atmark,
	.release = inet_release,
};
