/*
 * The socket calls (sock.h): fds, flags, the options every family
 * shares, and the frame's layout of addresses (OUTL: cut to the
 * caller's room, the real length back) and messages (MSG_IN, MSG_OUT);
 * the family does the rest.  Errors in Linux's order: the fd (EBADF,
 * ENOTSOCK), then the arguments, then the family.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>

#include "sock.h"
#include "sys.h"
#include "wait.h"

/* The families served (NULL ends it); the others answer EAFNOSUPPORT. */
static const struct sock_family *const families[] = {
	&sock_unix_family,
	&sock_inet_family,
	&sock_inet6_family,
	&sock_netlink_family,
	NULL,
};

#define SOCK_TYPE_MASK 0xf

static const struct sock_family *family_of(long domain)
{
	for (size_t i = 0; families[i]; i++)
		if (families[i]->family == domain)
			return families[i];
	return NULL;
}

/* The socket at fd (a re-run: the one it parked on). */
static long sock_at(struct call *c, long fd, struct sock **s)
{
	struct ofd *o = c->hold ? c->hold : fd_get(c->cage->fds, fd);
	if (!o)
		return -EBADF;
	*s = sock_of(o);
	return *s ? 0 : -ENOTSOCK;
}

/* type's flags split off, and the family served, in Linux's order
 * (__sys_socket, __sock_create): unknown flags EINVAL, a family past
 * AF_MAX EAFNOSUPPORT, a type past SOCK_MAX EINVAL, then a family nobody
 * serves EAFNOSUPPORT. */
static long type_flags(long domain, long *type, int *flags, bool *cloexec,
		       const struct sock_family **fam)
{
	long extra = *type & ~(long)SOCK_TYPE_MASK;
	if (extra & ~(long)(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	*flags = extra & SOCK_NONBLOCK ? O_NONBLOCK : 0;
	*cloexec = extra & SOCK_CLOEXEC;
	*type &= SOCK_TYPE_MASK;
	if ((unsigned long)domain >= AF_MAX)
		return -EAFNOSUPPORT;
	if (*type > SOCK_PACKET) /* SOCK_MAX */
		return -EINVAL;
	*fam = family_of(domain);
	return *fam ? 0 : -EAFNOSUPPORT;
}

long srv_socket(struct call *c)
{
	long type = c->a[1];
	int flags;
	bool cloexec;
	const struct sock_family *fam;
	long r = type_flags(c->a[0], &type, &flags, &cloexec, &fam);
	if (r < 0)
		return r;
	struct sock *s;
	if ((r = sock_new(c, fam, (int)type, (int)c->a[2], flags, &s)) < 0)
		return r;
	return sock_install(c, s, cloexec);
}

long srv_socketpair(struct call *c)
{
	long type = c->a[1];
	int flags;
	bool cloexec;
	const struct sock_family *fam;
	long r = type_flags(c->a[0], &type, &flags, &cloexec, &fam);
	if (r < 0)
		return r;
	struct sock *a, *b = NULL;
	if ((r = sock_new(c, fam, (int)type, (int)c->a[2], flags, &a)) < 0)
		return r;
	if ((r = sock_new(c, fam, (int)type, (int)c->a[2], flags, &b)) == 0)
		r = fam->pair ? fam->pair(c, a, b) : -EOPNOTSUPP;
	if (r == 0 && !call_obj_out(c, 3))
		r = -EFAULT;
	int fds[2] = {-1, -1};
	if (r == 0 && (fds[0] = sock_install(c, a, cloexec)) < 0) {
		a = NULL;
		r = fds[0];
	}
	if (r == 0 && (fds[1] = sock_install(c, b, cloexec)) < 0) {
		b = NULL;
		r = fds[1];
		fd_close(srv.vfs, c->cage->fds, fds[0]);
	}
	if (r == 0) {
		call_obj_out_set(c, 3, fds);
		return 0;
	}
	if (a && fds[0] < 0)
		sock_drop(a);
	if (b)
		sock_drop(b);
	return r;
}

/* An address from the cage: at most a sockaddr_storage. */
static long addr_in(const struct call *c, int i)
{
	return c->in[i].len > LIND_MSG_NAME_MAX ? -EINVAL : 0;
}

long srv_bind(struct call *c)
{
	struct sock *s;
	long r = sock_at(c, c->a[0], &s);
	if (r == 0)
		r = addr_in(c, 1);
	if (r < 0)
		return r;
	return s->ops->bind ? s->ops->bind(c, s, c->in[1].ptr, c->in[1].len)
			    : -EOPNOTSUPP;
}

long srv_connect(struct call *c)
{
	struct sock *s;
	long r = sock_at(c, c->a[0], &s);
	if (r == 0)
		r = addr_in(c, 1);
	if (r < 0)
		return r;
	if (!s->ops->connect)
		return -EOPNOTSUPP;
	return s->ops->connect(c, s, c->in[1].ptr, c->in[1].len,
			       s->file->flags & O_NONBLOCK);
}

long srv_listen(struct call *c)
{
	struct sock *s;
	long r = sock_at(c, c->a[0], &s);
	if (r < 0)
		return r;
	int backlog = (int)c->a[1];
	if ((unsigned)backlog > 4096) /* net.core.somaxconn */
		backlog = 4096;
	return s->ops->listen ? s->ops->listen(c, s, backlog) : -EOPNOTSUPP;
}

long srv_shutdown(struct call *c)
{
	struct sock *s;
	long r = sock_at(c, c->a[0], &s);
	if (r < 0)
		return r;
	if (c->a[1] < SHUT_RD || c->a[1] > SHUT_RDWR)
		return -EINVAL;
	return s->ops->shutdown ? s->ops->shutdown(s, (int)c->a[1])
				: -EOPNOTSUPP;
}

/* OUTL argument i: len bytes of src, cut to its room; the real length to
 * its socklen_t (argument i + 1, every OUTL row's). */
static void put_sized(struct call *c, int i, const void *src, size_t len)
{
	size_t n = len < c->out[i].cap ? len : c->out[i].cap;
	if (n)
		memcpy(c->out[i].buf, src, n);
	c->out[i].len = n;
	uint32_t l = (uint32_t)len;
	call_obj_out_set(c, i + 1, &l);
}

static long name_out(struct call *c, bool peer)
{
	struct sock *s;
	long r = sock_at(c, c->a[0], &s);
	if (r < 0)
		return r;
	if (!call_obj_out(c, 2))
		return -EFAULT;
	uint8_t addr[LIND_MSG_NAME_MAX];
	size_t len = 0;
	if (!s->ops->getname)
		return -EOPNOTSUPP;
	if ((r = s->ops->getname(s, addr, &len, peer)) < 0)
		return r;
	put_sized(c, 1, addr, len);
	return 0;
}

long srv_getsockname(struct call *c)
{
	return name_out(c, false);
}

long srv_getpeername(struct call *c)
{
	return name_out(c, true);
}

static long do_accept(struct call *c, long flags)
{
	struct sock *s, *n;
	long r = sock_at(c, c->a[0], &s);
	if (r != -EBADF && (flags & ~(long)(SOCK_NONBLOCK | SOCK_CLOEXEC)))
		r = -EINVAL; /* before ENOTSOCK, as Linux */
	if (r < 0)
		return r;
	if (!s->ops->accept)
		return -EOPNOTSUPP;
	if (!fd_room(c->cage->fds))
		return -EMFILE;
	r = s->ops->accept(c, s, s->file->flags & O_NONBLOCK, &n);
	if (r < 0)
		return r;
	if (flags & SOCK_NONBLOCK)
		n->file->flags |= O_NONBLOCK;
	uint8_t addr[LIND_MSG_NAME_MAX];
	size_t len = 0;
	if (c->out[1].cap || call_obj_out(c, 2))
		(void)n->ops->getname(n, addr, &len, true);
	int fd = sock_install(c, n, flags & SOCK_CLOEXEC);
	if (fd >= 0)
		put_sized(c, 1, addr, len);
	return fd;
}

long srv_accept(struct call *c)
{
	return do_accept(c, 0);
}

long srv_accept4(struct call *c)
{
	return do_accept(c, c->a[3]);
}

/* ---- data ------------------------------------------------------------- */

/* This call does not wait: MSG_DONTWAIT, or a non-blocking socket. */
static bool nonblocking(const struct sock *s, int flags)
{
	return (flags & MSG_DONTWAIT) || (s->file->flags & O_NONBLOCK);
}

static long do_send(struct call *c, struct sock *s, struct sock_send *m)
{
	m->nonblock = nonblocking(s, m->flags);
	return s->ops->sendmsg ? s->ops->sendmsg(c, s, m) : -EOPNOTSUPP;
}

long srv_sendto(struct call *c)
{
	struct sock *s;
	long r = sock_at(c, c->a[0], &s);
	if (r == 0)
		r = addr_in(c, 4);
	if (r < 0)
		return r;
	struct sock_send m = {.data = c->in[1].ptr, .len = c->in[1].len,
			      .flags = (int)c->a[3]};
	if (c->in[4].len)
		m.name = c->in[4].ptr, m.namelen = c->in[4].len;
	return do_send(c, s, &m);
}

/* A MSG_IN/MSG_OUT slot's sizes, only when they are what the frame's
 * entry (or out-buffer) was laid out with: a slot the relay would refuse
 * is EINVAL here too, never a size to trust. */
static long msg_sizes(const struct call *c, int i, bool out,
		      struct lind_msg_sizes *z)
{
	struct lind_syscall row = {
		.name = "msg", .arg = {{out ? LK_MSG_OUT : LK_MSG_IN, 0, 0}}};
	struct lind_layout l;
	int64_t a[6] = {c->a[i]};
	if (lind_layout(&row, a, &l) < 0)
		return -EINVAL;
	size_t size = l.arg[0].size;
	if (out ? c->out[i].cap != size : c->in[i].len != size)
		return -EINVAL;
	*z = lind_msg_sizes(c->a[i]);
	return 0;
}

/* sendmsg, recvmsg: the socket and the msghdr's sizes. */
static long msg_call(struct call *c, bool out, struct sock **s,
		     struct lind_msg_sizes *z)
{
	long r = sock_at(c, c->a[0], s);
	return r < 0 ? r : msg_sizes(c, 1, out, z);
}

long srv_sendmsg(struct call *c)
{
	struct sock *s;
	struct lind_msg_sizes z;
	long r = msg_call(c, false, &s, &z);
	if (r < 0)
		return r;
	const uint8_t *p = c->in[1].ptr;
	struct sock_send m = {.name = z.name ? p : NULL, .namelen = z.name,
			      .ctl = p + z.name, .ctllen = z.ctl,
			      .data = p + z.name + z.ctl, .len = z.data,
			      .flags = (int)c->a[2], .cut = z.cut};
	return do_send(c, s, &m);
}

static long do_recv(struct call *c, struct sock *s, struct sock_recv *m)
{
	m->nonblock = nonblocking(s, m->flags);
	return s->ops->recvmsg ? s->ops->recvmsg(c, s, m) : -EOPNOTSUPP;
}

long srv_recvfrom(struct call *c)
{
	struct sock *s;
	long r = sock_at(c, c->a[0], &s);
	if (r < 0)
		return r;
	uint8_t addr[LIND_MSG_NAME_MAX];
	struct sock_recv m = {.data = c->out[1].buf, .cap = c->out[1].cap,
			      .flags = (int)c->a[3]};
	bool want = call_obj_out(c, 5);
	if (want)
		m.name = addr, m.namecap = sizeof addr;
	r = do_recv(c, s, &m);
	if (r < 0)
		return r;
	c->out[1].len = (size_t)r < m.cap ? (size_t)r : m.cap;
	if (want)
		put_sized(c, 4, addr, m.namelen);
	return r;
}

/* recvmsg's entry: a struct lind_msg_head, then the name, control and
 * data; the data is received at its farthest place and moved down. */
long srv_recvmsg(struct call *c)
{
	struct sock *s;
	struct lind_msg_sizes z;
	long r = msg_call(c, true, &s, &z);
	if (r < 0)
		return r;
	uint8_t *out = c->out[1].buf, addr[LIND_MSG_NAME_MAX];
	struct lind_msg_head h;
	uint8_t *name = out + sizeof h, *ctl = name + z.name;
	struct sock_recv m = {.data = ctl + z.ctl, .cap = z.data,
			      .name = z.name ? addr : NULL,
			      .namecap = sizeof addr, .ctl = ctl,
			      .ctlcap = z.ctl, .flags = (int)c->a[2]};
	if ((r = do_recv(c, s, &m)) < 0)
		return r;
	size_t nlen = m.namelen < z.name ? m.namelen : z.name;
	size_t dlen = (size_t)r < z.data ? (size_t)r : z.data;
	h = (struct lind_msg_head){.namelen = (uint32_t)m.namelen,
				   .ctllen = (uint32_t)m.ctllen,
				   .datalen = (uint32_t)dlen,
				   .flags = (uint32_t)m.oflags};
	memcpy(out, &h, sizeof h);
	memcpy(name, addr, nlen);
	memmove(name + nlen, ctl, m.ctllen);
	memmove(name + nlen + m.ctllen, m.data, dlen);
	c->out[1].len = sizeof h + nlen + m.ctllen + dlen;
	return r;
}

/* ---- options ---------------------------------------------------------- */

/* An int option's value: Linux reads at least an int. */
static long opt_int(const void *val, size_t len, int *v)
{
	if (len < sizeof(int))
		return -EINVAL;
	memcpy(v, val, sizeof *v);
	return 0;
}

/* SO_RCVTIMEO/SO_SNDTIMEO: a timeval, as Linux's sock_set_timeout. */
static long opt_timeo(const void *val, size_t len, int64_t *ns)
{
	struct timeval tv;
	if (len < sizeof tv)
		return -EINVAL;
	memcpy(&tv, val, sizeof tv);
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0)
		*ns = -1; /* never waits: sock_park answers EAGAIN at once */
	else
		*ns = (int64_t)tv.tv_sec * 1000000000 + tv.tv_usec * 1000;
	return 0;
}

/* SO_RCVBUF/SO_SNDBUF: capped by [rw]mem_max and doubled, at least
 * Linux's minimum. */
static int opt_buf(int v, int min)
{
	if (v > 212992 || v < 0)
		v = 212992;
	return v * 2 < min ? min : v * 2;
}

static long set_generic(struct sock *s, int name, const void *val,
			size_t len)
{
	int v = 0;
	if (name == SO_RCVTIMEO || name == SO_SNDTIMEO)
		return opt_timeo(val, len, name == SO_RCVTIMEO
						   ? &s->rcvtimeo
						   : &s->sndtimeo);
	if (name == SO_LINGER) {
		if (len < sizeof s->linger)
			return -EINVAL;
		memcpy(&s->linger, val, sizeof s->linger);
		s->linger.l_onoff = s->linger.l_onoff != 0;
		return 0;
	}
	long r = opt_int(val, len, &v);
	if (r < 0)
		return r;
	switch (name) {
	case SO_RCVBUF: s->rcvbuf = opt_buf(v, 2304); return 0;
	case SO_SNDBUF: s->sndbuf = opt_buf(v, 4608); return 0;
	case SO_REUSEADDR: s->reuseaddr = v; return 0;
	case SO_REUSEPORT: s->reuseport = v; return 0;
	case SO_KEEPALIVE: s->keepalive = v; return 0;
	case SO_BROADCAST: s->broadcast = v; return 0;
	case SO_PASSCRED: s->passcred = v; return 0;
	case SO_OOBINLINE: s->oobinline = v; return 0;
	default: return -ENOPROTOOPT;
	}
}

long srv_setsockopt(struct call *c)
{
	struct sock *s;
	long r = sock_at(c, c->a[0], &s);
	if (r < 0)
		return r;
	int level = (int)c->a[1], name = (int)c->a[2];
	const void *val = c->in[3].ptr;
	size_t len = c->in[3].len;
	if ((int)c->a[4] < 0)
		return -EINVAL;
	/* a level no family serves: Linux's sock_no_setsockopt */
	r = level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
	if (s->ops->setsockopt)
		r = s->ops->setsockopt(c, s, level, name, val, len);
	if (r == -ENOPROTOOPT && level == SOL_SOCKET)
		r = set_generic(s, name, val, len);
	return r;
}

static void timeo_of(int64_t ns, struct timeval *tv)
{
	if (ns < 0)
		ns = 0;
	tv->tv_sec = ns / 1000000000;
	tv->tv_usec = ns % 1000000000 / 1000;
}

/* A generic option's value in v (*len bytes of it). */
static long get_generic(struct sock *s, int name, void *v, size_t *len)
{
	int i;
	switch (name) {
	case SO_TYPE: i = s->type; break;
	case SO_DOMAIN: i = s->fam->family; break;
	case SO_PROTOCOL: i = s->protocol; break;
	case SO_ERROR: i = s->err; s->err = 0; break;
	case SO_RCVBUF: i = s->rcvbuf; break;
	case SO_SNDBUF: i = s->sndbuf; break;
	case SO_REUSEADDR: i = s->reuseaddr; break;
	case SO_REUSEPORT: i = s->reuseport; break;
	case SO_KEEPALIVE: i = s->keepalive; break;
	case SO_BROADCAST: i = s->broadcast; break;
	case SO_PASSCRED: i = s->passcred; break;
	case SO_OOBINLINE: i = s->oobinline; break;
	case SO_LINGER:
		memcpy(v, &s->linger, sizeof s->linger);
		*len = sizeof s->linger;
		return 0;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		timeo_of(name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo,
			 v);
		*len = sizeof(struct timeval);
		return 0;
	default:
		return -ENOPROTOOPT;
	}
	memcpy(v, &i, sizeof i);
	*len = sizeof i;
	return 0;
}

/* Linux cuts a value to the caller's room and says the length it
 * wrote. */
long srv_getsockopt(struct call *c)
{
	struct sock *s;
	long r = sock_at(c, c->a[0], &s);
	if (r < 0)
		return r;
	uint32_t room;
	if (!call_obj_in(c, 4, &room, sizeof room))
		return -EFAULT;
	if ((int)room < 0)
		return -EINVAL;
	int level = (int)c->a[1], name = (int)c->a[2];
	uint8_t v[LIND_MSG_NAME_MAX];
	size_t len = 0;
	r = level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
	if (s->ops->getsockopt)
		r = s->ops->getsockopt(c, s, level, name, v, &len);
	if (r == -ENOPROTOOPT && level == SOL_SOCKET)
		r = get_generic(s, name, v, &len);
	if (r < 0)
		return r;
	if (len > room)
		len = room;
	put_sized(c, 3, v, len);
	return 0;
}

/* ---- the vectors ------------------------------------------------------ */

/* client-libc's hook (client-libc/sockmsg.c) sends sendmmsg and recvmmsg
 * as sendmsg and recvmsg frames: the rows' own frames never come. */
long srv_sendmmsg(struct call *c)
{
	(void)c;
	return -ENOSYS;
}

long srv_recvmmsg(struct call *c)
{
	(void)c;
	return -ENOSYS;
}
