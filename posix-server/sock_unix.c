/*
 * AF_UNIX between cages (sock_unix.h): names, connections and the
 * family's ops; messages are sock_unix_msg.c's.  As Linux's af_unix.c:
 *   bind     a path makes an S_IFSOCK inode in the virtual filesystem
 *            (EADDRINUSE when the name exists; unlink removes the name,
 *            not the binding); a name starting with a NUL is abstract,
 *            one namespace per deployment (this server); an address of
 *            just the family autobinds to an abstract "\0xxxxx";
 *   connect  finds the socket bound to the name (write permission on a
 *            path's inode; ECONNREFUSED when nobody is bound to it, which
 *            is every host socket a bind shows: there is no way to one);
 *            a stream or seqpacket connection is made at once, queued on
 *            the listener until accepted, waiting while its backlog is
 *            full; a datagram connect just names the peer.
 * A closed socket's peer sees its end shut both ways (ECONNRESET when it
 * left data unread or was never accepted).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>

#include "sock_unix.h"
#include "sys.h"

#define SUN_PATH_OFF offsetof(struct sockaddr_un, sun_path)
#define OVERFLOW_ID 65534 /* Linux's overflowuid: no credentials */

static struct unix_sock *bound; /* bound sockets, by next_bound */
struct unix_sock *unix_all;     /* every one, by next_all */
static unsigned long nunix;
static unsigned autobind_next;

static const struct sock_ops unix_ops;

unsigned long sock_unix_count(void)
{
	return nunix + unix_msg_count();
}

static struct unix_sock *unix_new(int type)
{
	struct unix_sock *u = calloc(1, sizeof *u);
	if (!u)
		return NULL;
	u->refs = 1;
	u->type = type;
	u->qtail = &u->q;
	u->next_all = unix_all;
	unix_all = u;
	nunix++;
	return u;
}

void unix_get(struct unix_sock *u)
{
	u->refs++;
}

void unix_put(struct unix_sock *u)
{
	if (!u || --u->refs)
		return;
	/* nothing may stay parked on queues about to go */
	waitq_wake(&u->rq, WAIT_ALL);
	waitq_wake(&u->wq, WAIT_ALL);
	unix_queue_free(u);
	for (struct unix_sock **p = &unix_all; *p; p = &(*p)->next_all)
		if (*p == u) {
			*p = u->next_all;
			break;
		}
	nunix--;
	free(u);
}

void sock_unix_free_all(void)
{
	/* what is left is in flight in its own queue, or in a cycle of
	 * such queues: no cage holds it.  Dropping a queue may free other
	 * sockets, so look again from the start each time. */
	for (struct unix_sock *u = unix_all; u;) {
		if (!u->q) {
			u = u->next_all;
			continue;
		}
		unix_get(u);
		unix_queue_free(u);
		unix_put(u);
		u = unix_all;
	}
}

struct ucred unix_cred_of(const struct call *c)
{
	return (struct ucred){.pid = (pid_t)c->cage->id,
			      .uid = c->cage->cred.euid,
			      .gid = c->cage->cred.egid};
}

/* ---- names ------------------------------------------------------------ */

/* A name from the cage, as Linux's unix_validate_addr and unix_mkname:
 * a path ends at its first NUL (path gets it, terminated), an abstract
 * name is every byte given. */
static long parse_addr(const void *addr, size_t len, struct unix_addr *a,
		       char path[sizeof a->sun.sun_path + 1])
{
	if (len <= SUN_PATH_OFF || len > sizeof a->sun)
		return -EINVAL;
	memset(a, 0, sizeof *a);
	memcpy(&a->sun, addr, len);
	if (a->sun.sun_family != AF_UNIX)
		return -EINVAL;
	path[0] = '\0';
	a->len = (uint32_t)len;
	if (a->sun.sun_path[0]) {
		size_t n = strnlen(a->sun.sun_path, len - SUN_PATH_OFF);
		memcpy(path, a->sun.sun_path, n);
		path[n] = '\0';
		a->len = (uint32_t)(SUN_PATH_OFF + n + 1);
	}
	return 0;
}

static bool same_abstract(const struct unix_addr *a, const struct unix_addr *b)
{
	return a->len == b->len && !b->sun.sun_path[0] &&
	       !memcmp(a->sun.sun_path, b->sun.sun_path, a->len - SUN_PATH_OFF);
}

/* Abstract names are per type, as Linux hashes them with it: another
 * type's socket of the same name is not found (ECONNREFUSED). */
static struct unix_sock *find_abstract(const struct unix_addr *a, int type)
{
	for (struct unix_sock *u = bound; u; u = u->next_bound)
		if (u->type == type && same_abstract(a, &u->addr))
			return u;
	return NULL;
}

static struct unix_sock *find_node(const struct inode *in)
{
	for (struct unix_sock *u = bound; u; u = u->next_bound)
		if (u->node == in)
			return u;
	return NULL;
}

long unix_lookup(struct call *c, int type, const void *addr, size_t len,
		 struct unix_sock **out)
{
	struct unix_addr a;
	char path[sizeof a.sun.sun_path + 1];
	long r = parse_addr(addr, len, &a, path);
	if (r < 0)
		return r;
	struct unix_sock *o = NULL;
	if (!path[0]) {
		o = find_abstract(&a, type);
	} else {
		struct inode *in;
		const struct cred *cr = &c->cage->cred;
		r = vfs_resolve(srv.vfs, cr, c->cage->cwd, path, WALK_FOLLOW,
				&in);
		if (r == 0)
			r = vfs_permission(cr, in, W_OK);
		if (r < 0)
			return r;
		o = S_ISSOCK(in->mode) ? find_node(in) : NULL;
	}
	if (!o || o->dead)
		return -ECONNREFUSED;
	if (o->type != type)
		return -EPROTOTYPE;
	*out = o;
	return 0;
}

static void link_bound(struct unix_sock *u)
{
	u->next_bound = bound;
	bound = u;
}

static void unlink_bound(struct unix_sock *u)
{
	for (struct unix_sock **p = &bound; *p; p = &(*p)->next_bound)
		if (*p == u) {
			*p = u->next_bound;
			break;
		}
	if (u->node)
		vfs_unref(srv.vfs, u->node);
	u->node = NULL;
}

long unix_autobind(struct unix_sock *u)
{
	struct unix_addr a = {.len = SUN_PATH_OFF + 6,
			      .sun.sun_family = AF_UNIX};
	for (unsigned tries = 0; tries < 0x100000; tries++) {
		snprintf(a.sun.sun_path + 1, 6, "%05x",
			 autobind_next++ & 0xfffff);
		if (!find_abstract(&a, u->type)) {
			u->addr = a;
			link_bound(u);
			return 0;
		}
	}
	return -ENOSPC;
}

/* A path name: its socket inode, made as Linux's unix_bind_bsd does
 * (mode 0777 less the umask), and kept while bound. */
static long bind_path(struct call *c, struct unix_sock *u, const char *path)
{
	struct walk w;
	long r = sys_walk(c, AT_FDCWD, path, WALK_PARENT, &w);
	if (r < 0)
		return r;
	if (w.in)
		return -EADDRINUSE;
	if (u->addr.len)
		return -EINVAL;
	struct inode *in;
	if ((r = sys_create_node(c, &w, S_IFSOCK, 0777, &in)) < 0)
		return r == -EEXIST ? -EADDRINUSE : r;
	vfs_ref(in);
	u->node = in;
	return 0;
}

static long unix_bind(struct call *c, struct sock *s, const void *addr,
		      size_t len)
{
	struct unix_sock *u = s->priv;
	struct unix_addr a;
	char path[sizeof a.sun.sun_path + 1];
	sa_family_t fam = 0;
	if (len >= sizeof fam)
		memcpy(&fam, addr, sizeof fam);
	if (len == SUN_PATH_OFF && fam == AF_UNIX)
		return u->addr.len ? 0 : unix_autobind(u);
	long r = parse_addr(addr, len, &a, path);
	if (r < 0)
		return r;
	if (path[0])
		r = bind_path(c, u, path);
	else if (find_abstract(&a, u->type))
		r = -EADDRINUSE;
	else if (u->addr.len)
		r = -EINVAL;
	if (r < 0)
		return r;
	u->addr = a;
	link_bound(u);
	return 0;
}

static long unix_getname(struct sock *s, void *addr, size_t *len, bool peer)
{
	struct unix_sock *u = s->priv;
	if (peer && !u->peer)
		return -ENOTCONN;
	const struct unix_addr *a = peer ? &u->peer->addr : &u->addr;
	sa_family_t fam = AF_UNIX;
	if (!a->len) {
		memcpy(addr, &fam, sizeof fam);
		*len = sizeof fam;
		return 0;
	}
	memcpy(addr, &a->sun, a->len);
	*len = a->len;
	return 0;
}

/* ---- connections ------------------------------------------------------ */

static long unix_listen(struct call *c, struct sock *s, int backlog)
{
	struct unix_sock *u = s->priv;
	if (u->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (!u->addr.len || u->state == U_CONNECTED)
		return -EINVAL;
	u->state = U_LISTEN;
	u->backlog = backlog;
	u->peercred = unix_cred_of(c);
	u->has_peercred = true;
	waitq_wake(&u->wq, POLLOUT); /* room for connectors, maybe */
	return 0;
}

static void set_peer(struct unix_sock *u, struct unix_sock *p)
{
	if (p)
		unix_get(p);
	unix_put(u->peer);
	u->peer = p;
}

/* A datagram socket's default peer; AF_UNSPEC forgets it. */
static long dgram_connect(struct call *c, struct sock *s, const void *addr,
			  size_t len)
{
	struct unix_sock *u = s->priv, *o;
	sa_family_t fam = AF_UNIX;
	if (len >= sizeof fam)
		memcpy(&fam, addr, sizeof fam);
	if (fam == AF_UNSPEC) {
		set_peer(u, NULL);
		u->state = U_UNCONN;
		return 0;
	}
	long r = unix_lookup(c, u->type, addr, len, &o);
	if (r < 0)
		return r;
	if (s->passcred && !u->addr.len && (r = unix_autobind(u)) < 0)
		return r;
	set_peer(u, o);
	u->state = U_CONNECTED;
	return 0;
}

/* The listener at addr, or why not; waits (parks on its queue) while its
 * backlog is full. */
static long find_listener(struct call *c, struct sock *s, const void *addr,
			  size_t len, bool nonblock, struct unix_sock **out)
{
	struct unix_sock *u = s->priv, *o;
	long r = unix_lookup(c, u->type, addr, len, &o);
	if (r < 0)
		return r;
	if (o->state != U_LISTEN)
		return -ECONNREFUSED;
	if (o->npending > (unsigned)o->backlog) {
		if (nonblock)
			return -EAGAIN;
		return sock_park(c, s, &o->wq, POLLOUT, true);
	}
	*out = o;
	return 0;
}

static long unix_connect(struct call *c, struct sock *s, const void *addr,
			 size_t len, bool nonblock)
{
	struct unix_sock *u = s->priv, *o = NULL;
	if (u->type == SOCK_DGRAM)
		return dgram_connect(c, s, addr, len);
	if (u->state == U_LISTEN)
		return -EINVAL;
	if (u->state == U_CONNECTED)
		return -EISCONN;
	long r = find_listener(c, s, addr, len, nonblock, &o);
	if (r != 0)
		return r;
	if (s->passcred && !u->addr.len && (r = unix_autobind(u)) < 0)
		return r;
	/* the server's end, an embryo on the listener's queue until
	 * accepted (the queue holds its reference) */
	struct unix_sock *n = unix_new(u->type);
	if (!n)
		return -ENOMEM;
	n->state = u->state = U_CONNECTED;
	n->addr = o->addr;
	set_peer(n, u);
	set_peer(u, n);
	n->peercred = unix_cred_of(c);
	u->peercred = o->peercred;
	n->has_peercred = u->has_peercred = true;
	n->passcred = o->sk->passcred; /* inherited at connect (Linux 6.16) */
	struct unix_sock **tail = &o->pending;
	while (*tail)
		tail = &(*tail)->next_pending;
	*tail = n;
	o->npending++;
	waitq_wake(&o->rq, POLLIN);
	return 0;
}

static long unix_accept(struct call *c, struct sock *s, bool nonblock,
			struct sock **out)
{
	struct unix_sock *u = s->priv;
	if (u->type == SOCK_DGRAM)
		return -EOPNOTSUPP;
	if (u->state != U_LISTEN)
		return -EINVAL;
	struct unix_sock *n = u->pending;
	if (!n)
		return nonblock ? -EAGAIN : sock_park(c, s, &u->rq, POLLIN, false);
	long r = sock_wrap(c, s->fam, u->type, &unix_ops, n, out);
	if (r < 0)
		return r; /* it stays queued */
	u->pending = n->next_pending;
	n->next_pending = NULL;
	u->npending--;
	n->sk = *out;
	(*out)->protocol = s->protocol;
	(*out)->passcred = n->passcred;
	waitq_wake(&u->wq, POLLOUT); /* a connector may queue now */
	return 0;
}

static void wake_all(struct unix_sock *u)
{
	waitq_wake(&u->rq, WAIT_ALL);
	waitq_wake(&u->wq, WAIT_ALL);
}

/* SHUT_RD 0, SHUT_WR 1, SHUT_RDWR 2; a connection's peer gets the
 * mirror (its receive shut when we stop sending). */
static long unix_shutdown(struct sock *s, int how)
{
	struct unix_sock *u = s->priv, *p = u->peer;
	bool rd = how != SHUT_WR, wr = how != SHUT_RD;
	u->shut_rd |= rd;
	u->shut_wr |= wr;
	wake_all(u);
	if (p && u->type != SOCK_DGRAM) {
		p->shut_rd |= wr;
		p->shut_wr |= rd;
		wake_all(p);
	}
	return 0;
}

/* The socket goes (its description closed, or its listener's while it
 * waited to be accepted). */
static void unix_close(struct unix_sock *u, bool embryo)
{
	u->dead = true;
	u->sk = NULL;
	unlink_bound(u);
	for (struct unix_sock *n = u->pending, *next; n; n = next) {
		next = n->next_pending;
		unix_close(n, true);
	}
	u->pending = NULL;
	u->npending = 0;
	bool unread = u->qlen || embryo;
	unix_queue_free(u);
	struct unix_sock *p = u->peer;
	if (p && u->type != SOCK_DGRAM && p->peer == u) {
		p->shut_rd = p->shut_wr = true;
		if (unread)
			p->err = ECONNRESET;
		wake_all(p);
	}
	set_peer(u, NULL);
	wake_all(u);
	unix_put(u);
}

static void unix_release(struct sock *s)
{
	unix_close(s->priv, false);
}

static void unix_unref(struct sock *s)
{
	unix_gc_maybe(s->priv);
}

struct unix_sock *unix_of(struct ofd *o)
{
	struct sock *s = sock_of(o);
	return s && s->fam == &sock_unix_family ? s->priv : NULL;
}

/* ---- options, readiness ----------------------------------------------- */

static long unix_getsockopt(struct call *c, struct sock *s, int level,
			    int name, void *val, size_t *len)
{
	(void)c;
	struct unix_sock *u = s->priv;
	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	if (name == SO_PEERCRED) {
		struct ucred none = {0, OVERFLOW_ID, OVERFLOW_ID};
		memcpy(val, u->has_peercred ? &u->peercred : &none,
		       sizeof none);
		*len = sizeof none;
		return 0;
	}
	if (name == SO_ACCEPTCONN) {
		int v = u->state == U_LISTEN;
		memcpy(val, &v, sizeof v);
		*len = sizeof v;
		return 0;
	}
	return -ENOPROTOOPT;
}

static long unix_setsockopt(struct call *c, struct sock *s, int level,
			    int name, const void *val, size_t len)
{
	(void)c, (void)s, (void)name, (void)val, (void)len;
	return level == SOL_SOCKET ? -ENOPROTOOPT : -EOPNOTSUPP;
}

static unsigned unix_poll(struct sock *s)
{
	struct unix_sock *u = s->priv, *p = u->peer;
	if (u->state == U_LISTEN)
		return u->pending ? POLLIN | POLLRDNORM : 0;
	unsigned ev = u->err ? POLLERR : 0;
	if (u->shut_rd && u->shut_wr)
		ev |= POLLHUP;
	if (u->shut_rd)
		ev |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (u->q)
		ev |= POLLIN | POLLRDNORM;
	if (u->oob)
		ev |= POLLPRI;
	if (u->type != SOCK_DGRAM && u->state != U_CONNECTED)
		ev |= POLLHUP;
	bool room = p ? !unix_full(p, 1, s) : u->type == SOCK_DGRAM;
	if (room && !u->shut_wr)
		ev |= POLLOUT | POLLWRNORM;
	return ev;
}

static struct waitq *unix_waitq(struct sock *s, unsigned events)
{
	struct unix_sock *u = s->priv;
	if ((events & POLLOUT) && u->peer)
		return &u->peer->wq;
	return events & POLLOUT ? &u->wq : &u->rq;
}

/* FIONREAD: the next datagram's size, else every unread byte. */
static int unix_inq(struct sock *s)
{
	struct unix_sock *u = s->priv;
	if (u->state == U_LISTEN)
		return -EINVAL;
	if (u->type != SOCK_DGRAM)
		return (int)u->qbytes;
	return u->q ? (int)u->q->len : 0;
}

/* SIOCATMARK: the next byte is the urgent one, or a read stopped at its
 * place (Linux's unix_ioctl). */
static long unix_atmark(struct sock *s, int *at)
{
	struct unix_sock *u = s->priv;
	const struct unix_msg *g = u->q;
	if (s->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	bool mark = g && g->off == g->len; /* the urgent byte, read */
	*at = g && (g == u->oob || (mark && (!u->oob || g->next == u->oob)));
	return 0;
}

static const struct sock_ops unix_ops = {
	.bind = unix_bind,
	.listen = unix_listen,
	.accept = unix_accept,
	.connect = unix_connect,
	.shutdown = unix_shutdown,
	.sendmsg = unix_sendmsg,
	.recvmsg = unix_recvmsg,
	.getname = unix_getname,
	.getsockopt = unix_getsockopt,
	.setsockopt = unix_setsockopt,
	.poll = unix_poll,
	.waitq = unix_waitq,
	.inq = unix_inq,
	.atmark = unix_atmark,
	.release = unix_release,
	.unref = unix_unref,
};

/* SOCK_RAW is a datagram socket, as Linux's unix_create says. */
static long unix_create(struct call *c, struct sock *s, int protocol)
{
	(void)c;
	if (protocol && protocol != PF_UNIX)
		return -EPROTONOSUPPORT;
	if (s->type == SOCK_RAW)
		s->type = SOCK_DGRAM;
	if (s->type != SOCK_STREAM && s->type != SOCK_DGRAM &&
	    s->type != SOCK_SEQPACKET)
		return -ESOCKTNOSUPPORT;
	struct unix_sock *u = unix_new(s->type);
	if (!u)
		return -ENOMEM;
	u->sk = s;
	s->ops = &unix_ops;
	s->priv = u;
	s->protocol = protocol;
	return 0;
}

static long unix_pair(struct call *c, struct sock *a, struct sock *b)
{
	struct unix_sock *x = a->priv, *y = b->priv;
	set_peer(x, y);
	set_peer(y, x);
	x->state = y->state = U_CONNECTED;
	x->peercred = y->peercred = unix_cred_of(c);
	x->has_peercred = y->has_peercred = true;
	return 0;
}

const struct sock_family sock_unix_family = {
	.family = AF_UNIX,
	.create = unix_create,
	.pair = unix_pair,
};
