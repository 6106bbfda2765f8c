/*
 * AF_UNIX messages (sock_unix.h): every send queues a struct unix_msg on
 * its receiver, with the sender's address and credentials and any
 * descriptions passed (SCM_RIGHTS: a reference each while in flight,
 * dropped if the message is never received).  As Linux:
 *   stream     bytes; a read stops before a message carrying
 *              descriptions and after it, so they arrive with their
 *              first byte; room is the sender's SO_SNDBUF in the
 *              receiver's queue; a write sends what fits and waits for
 *              the rest;
 *   datagram   whole messages, at most max_dgram_qlen (10) queued past
 *              the first, cut to the reader's room with MSG_TRUNC;
 *   seqpacket  datagrams over a connection.
 * Control in: SCM_RIGHTS (at most SCM_MAX_FD descriptions) and
 * SCM_CREDENTIALS (the caller's own pid, and ids it holds, unless
 * privileged); out: SCM_CREDENTIALS when SO_PASSCRED is set, then
 * SCM_RIGHTS installed in the receiver (MSG_CMSG_CLOEXEC), MSG_CTRUNC
 * for what did not fit, whose descriptions are dropped.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <stdlib.h>

#include "sock_unix.h"
#include "sys.h"

#define SCM_MAX_FD 253
#define DGRAM_QLEN 10 /* net.unix.max_dgram_qlen */
#define MSG_COST 256  /* a message's overhead, counted against SO_SNDBUF */

static unsigned long nmsgs;

unsigned long unix_msg_count(void)
{
	return nmsgs;
}

/* What a send's control messages carry. */
struct scm {
	struct ofd *fds[SCM_MAX_FD];
	unsigned nfds;
	struct ucred cred;
};

static void scm_release(struct scm *m)
{
	for (unsigned i = 0; i < m->nfds; i++)
		ofd_put(srv.vfs, m->fds[i]);
	m->nfds = 0;
}

/* Linux's scm_check_creds. */
static long check_creds(const struct call *c, const struct ucred *u)
{
	const struct cred *cr = &c->cage->cred;
	bool pid = (uint64_t)u->pid == c->cage->id || cred_capable(cr);
	bool uid = u->uid == cr->ruid || u->uid == cr->euid ||
		   u->uid == cr->suid || cred_capable(cr);
	bool gid = u->gid == cr->rgid || u->gid == cr->egid ||
		   u->gid == cr->sgid || cred_capable(cr);
	return pid && uid && gid ? 0 : -EPERM;
}

static long scm_rights(struct call *c, const uint8_t *data, size_t len,
		       struct scm *m)
{
	size_t n = len / sizeof(int);
	if (m->nfds + n > SCM_MAX_FD)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		int fd;
		memcpy(&fd, data + i * sizeof fd, sizeof fd);
		struct ofd *o = fd_get_raw(c->cage->fds, fd);
		if (!o)
			return -EBADF;
		ofd_ref(o);
		m->fds[m->nfds++] = o;
	}
	return 0;
}

static long scm_one(struct call *c, const struct cmsghdr *h,
		    const uint8_t *data, struct scm *m)
{
	size_t dlen = h->cmsg_len - CMSG_LEN(0);
	if (h->cmsg_len < CMSG_LEN(0))
		return -EINVAL;
	if (h->cmsg_type == SCM_RIGHTS)
		return scm_rights(c, data, dlen, m);
	if (h->cmsg_type != SCM_CREDENTIALS || dlen != sizeof m->cred)
		return -EINVAL;
	memcpy(&m->cred, data, sizeof m->cred);
	return check_creds(c, &m->cred);
}

/* The cage's cmsghdrs (unaligned in the frame), as Linux's __scm_send:
 * other levels are skipped, a bad length is EINVAL. */
static long scm_parse(struct call *c, const uint8_t *ctl, size_t len,
		      struct scm *m)
{
	m->nfds = 0;
	m->cred = unix_cred_of(c);
	m->cred.uid = c->cage->cred.ruid; /* current_uid(), not euid */
	m->cred.gid = c->cage->cred.rgid;
	long r = 0;
	for (size_t off = 0; r == 0 && len - off >= sizeof(struct cmsghdr);) {
		struct cmsghdr h;
		memcpy(&h, ctl + off, sizeof h);
		if (h.cmsg_len < sizeof h || h.cmsg_len > len - off)
			return scm_release(m), -EINVAL;
		if (h.cmsg_level == SOL_SOCKET)
			r = scm_one(c, &h, ctl + off + CMSG_LEN(0), m);
		off += CMSG_ALIGN(h.cmsg_len);
		if (off > len)
			break;
	}
	if (r < 0)
		scm_release(m);
	return r;
}

/* ---- queues ----------------------------------------------------------- */

void unix_inflight(struct ofd *o, int d)
{
	struct unix_sock *u = unix_of(o);
	if (u)
		u->inflight += (unsigned)d;
}

/* g's descriptions leave flight (taken off g first: dropping one may
 * close a socket, or collect garbage, which must not see them). */
static void drop_fds(struct unix_msg *g)
{
	struct ofd **fds = g->fds;
	unsigned n = g->nfds;
	g->fds = NULL;
	g->nfds = 0;
	for (unsigned i = 0; i < n; i++)
		unix_inflight(fds[i], -1);
	for (unsigned i = 0; i < n; i++)
		ofd_put(srv.vfs, fds[i]);
	free(fds);
}

static void msg_free(struct unix_msg *g)
{
	drop_fds(g);
	unix_put(g->from);
	free(g);
	nmsgs--;
}

struct unix_msg *unix_queue_take(struct unix_sock *u)
{
	struct unix_msg *g = u->q;
	u->q = NULL;
	u->qtail = &u->q;
	u->qbytes = 0;
	u->qlen = 0;
	u->oob = NULL;
	return g;
}

void unix_msgs_free(struct unix_msg *g)
{
	while (g) {
		struct unix_msg *next = g->next;
		msg_free(g);
		g = next;
	}
}

/* Detached first: dropping a description may close another socket. */
void unix_queue_free(struct unix_sock *u)
{
	unix_msgs_free(unix_queue_take(u));
}

/* What a queue holds in server memory: its bytes and each message's
 * overhead (as Linux counts an skb's truesize), so many tiny sends fill
 * it as soon as a few big ones. */
static size_t queued(const struct unix_sock *u)
{
	return u->qbytes + u->qlen * MSG_COST;
}

bool unix_full(const struct unix_sock *u, size_t len, const struct sock *by)
{
	if (u->type == SOCK_STREAM) /* Linux's sock_alloc_send_pskb */
		return queued(u) >= (size_t)by->sndbuf;
	return u->qlen > DGRAM_QLEN || queued(u) + len > (size_t)by->sndbuf;
}

/* Queues len bytes on to with the sender's name and scm (its
 * descriptions move to the message): the message, or NULL (ENOMEM). */
static struct unix_msg *enqueue(struct unix_sock *to, struct unix_sock *from,
				const uint8_t *data, size_t len, struct scm *m)
{
	struct unix_msg *g = malloc(sizeof *g + len);
	if (!g)
		return NULL;
	*g = (struct unix_msg){.len = len, .from = from, .cred = m->cred};
	if (m->nfds) {
		g->fds = malloc(m->nfds * sizeof *g->fds);
		if (!g->fds) {
			free(g);
			return NULL;
		}
		memcpy(g->fds, m->fds, m->nfds * sizeof *g->fds);
		g->nfds = m->nfds;
		m->nfds = 0;
		for (unsigned i = 0; i < g->nfds; i++)
			unix_inflight(g->fds[i], 1);
	}
	if (len)
		memcpy(g->data, data, len);
	unix_get(from);
	nmsgs++;
	*to->qtail = g;
	to->qtail = &g->next;
	to->qbytes += len;
	to->qlen++;
	waitq_wake(&to->rq, POLLIN);
	return g;
}

static void dequeue(struct unix_sock *u)
{
	struct unix_msg *g = u->q;
	u->q = g->next;
	if (!u->q)
		u->qtail = &u->q;
	u->qbytes -= g->len - g->off;
	u->qlen--;
	if (g == u->oob)
		u->oob = NULL;
	msg_free(g);
	waitq_wake(&u->wq, POLLOUT); /* room for senders */
}

/* ---- send ------------------------------------------------------------- */

/* Why a connection's end cannot send now, or 0. */
static long conn_send_check(const struct unix_sock *u,
			    const struct sock_send *m)
{
	if (m->name)
		return u->state == U_CONNECTED ? -EISCONN : -EOPNOTSUPP;
	if (u->state != U_CONNECTED)
		return -ENOTCONN;
	if (u->shut_wr || u->peer->dead || u->peer->shut_rd)
		return -EPIPE;
	return 0;
}

/* MSG_OOB: the last byte goes as a message of its own, the urgent one
 * (a former one, not read yet, is an ordinary byte now). */
static long send_urgent(struct unix_sock *p, struct unix_sock *u,
			const uint8_t *byte, struct scm *scm)
{
	struct unix_msg *g = enqueue(p, u, byte, 1, scm);
	if (!g)
		return -ENOMEM;
	p->oob = g;
	waitq_wake(&p->rq, POLLPRI);
	return 1;
}

/* The most one message of a stream send holds, as Linux's
 * unix_stream_sendmsg cuts its skbs: half of SO_SNDBUF less 64 (two in
 * the pipe), at most a page's head and 32 KiB of fragments.  Each goes
 * while the queue is under SO_SNDBUF, so a non-blocking send into an
 * empty one takes what Linux's takes. */
static size_t stream_chunk(const struct sock *s)
{
	size_t n = (size_t)s->sndbuf / 2 - 64, most = 4096 - 320 + 32768;
	return n < most ? n : most;
}

/* c->progress: bytes earlier runs sent; descriptions go with the first. */
static long stream_send(struct call *c, struct sock *s,
			const struct sock_send *m)
{
	struct unix_sock *u = s->priv;
	uint64_t done = c->progress;
	bool oob = m->flags & MSG_OOB;
	size_t normal = m->len - oob; /* the bytes before an urgent one */
	long r = oob && !m->len ? -EOPNOTSUPP : conn_send_check(u, m);
	if (r < 0)
		return done ? (long)done : r;
	struct unix_sock *p = u->peer;
	struct scm scm; /* the rest of a send goes without its control */
	r = done ? scm_parse(c, NULL, 0, &scm)
		 : scm_parse(c, m->ctl, m->ctllen, &scm);
	if (r < 0)
		return r;
	while (done < normal && !unix_full(p, 1, s)) {
		size_t n = normal - done < stream_chunk(s) ? normal - done
							   : stream_chunk(s);
		if (!enqueue(p, u, m->data + done, n, &scm)) {
			r = -ENOMEM;
			break;
		}
		done += n;
	}
	if (r >= 0 && oob && done == normal &&
	    (r = send_urgent(p, u, m->data + normal, &scm)) > 0)
		done++;
	scm_release(&scm); /* nothing was sent: they stay with the caller */
	if (done == m->len || r < 0 || m->nonblock)
		return done ? (long)done : r < 0 ? r : -EAGAIN;
	c->progress = done;
	r = sock_park(c, s, &p->wq, POLLOUT, true);
	return r == SRV_PARKED || !done ? r : (long)done;
}

/* Where a datagram goes: the name given, else the peer. */
static long dgram_dest(struct call *c, struct sock *s,
		       const struct sock_send *m, struct unix_sock **out)
{
	struct unix_sock *u = s->priv, *o = u->peer;
	if (m->name) {
		long r = unix_lookup(c, u->type, m->name, m->namelen, &o);
		if (r < 0)
			return r;
	} else if (!o) {
		return -ENOTCONN;
	} else if (o->dead) {
		return -ECONNREFUSED;
	}
	if (o->peer && o->peer != u)
		return -EPERM; /* connected to another */
	if (o->shut_rd)
		return -EPIPE;
	*out = o;
	return 0;
}

static long dgram_send(struct call *c, struct sock *s,
		       const struct sock_send *m)
{
	struct unix_sock *u = s->priv, *o;
	long r = u->type == SOCK_SEQPACKET ? conn_send_check(u, m) : 0;
	if (r < 0)
		return r;
	if (m->cut || m->len + 32 > (size_t)s->sndbuf)
		return -EMSGSIZE;
	if (u->shut_wr)
		return -EPIPE;
	if (s->passcred && !u->addr.len && (r = unix_autobind(u)) < 0)
		return r;
	if (u->type == SOCK_SEQPACKET)
		o = u->peer;
	else if ((r = dgram_dest(c, s, m, &o)) < 0)
		return r;
	if (unix_full(o, m->len, s)) {
		if (m->nonblock)
			return -EAGAIN;
		return sock_park(c, s, &o->wq, POLLOUT, true);
	}
	struct scm scm;
	if ((r = scm_parse(c, m->ctl, m->ctllen, &scm)) < 0)
		return r;
	r = enqueue(o, u, m->data, m->len, &scm) ? (long)m->len : -ENOMEM;
	scm_release(&scm);
	return r;
}

long unix_sendmsg(struct call *c, struct sock *s, const struct sock_send *m)
{
	if (s->type == SOCK_STREAM)
		return stream_send(c, s, m);
	if (m->flags & MSG_OOB)
		return -EOPNOTSUPP;
	return dgram_send(c, s, m);
}

/* ---- receive ---------------------------------------------------------- */

/* One control message into m's room, as Linux's put_cmsg: cut (and
 * MSG_CTRUNC) when it does not fit. */
static void put_cmsg(struct sock_recv *m, int type, const void *data,
		     size_t len)
{
	size_t room = m->ctlcap - m->ctllen;
	if (room < sizeof(struct cmsghdr)) {
		m->oflags |= MSG_CTRUNC;
		return;
	}
	struct cmsghdr h = {.cmsg_len = CMSG_LEN(len), .cmsg_level = SOL_SOCKET,
			    .cmsg_type = type};
	size_t n = h.cmsg_len < room ? h.cmsg_len : room;
	if (n < h.cmsg_len)
		m->oflags |= MSG_CTRUNC;
	uint8_t *p = (uint8_t *)m->ctl + m->ctllen;
	memcpy(p, &h, sizeof h);
	memcpy(p + sizeof h, data, n - sizeof h);
	m->ctllen += CMSG_SPACE(len) < room ? CMSG_SPACE(len) : room;
}

/* SCM_RIGHTS: g's descriptions installed in the caller's table (as many
 * as fit; a peek installs copies and leaves them in flight). */
static void put_rights(struct call *c, struct unix_msg *g,
		       struct sock_recv *m)
{
	int fds[SCM_MAX_FD];
	size_t room = m->ctlcap - m->ctllen, n = 0;
	size_t max = room > sizeof(struct cmsghdr)
			     ? (room - sizeof(struct cmsghdr)) / sizeof(int)
			     : 0;
	bool cloexec = m->flags & MSG_CMSG_CLOEXEC;
	for (; n < g->nfds && n < max; n++) {
		ofd_ref(g->fds[n]);
		fds[n] = fd_install(c->cage->fds, 0, g->fds[n], cloexec);
		if (fds[n] < 0) {
			ofd_put(srv.vfs, g->fds[n]);
			break;
		}
	}
	if (n)
		put_cmsg(m, SCM_RIGHTS, fds, n * sizeof(int));
	if (n < g->nfds)
		m->oflags |= MSG_CTRUNC;
	if (!(m->flags & MSG_PEEK))
		drop_fds(g);
}

static void put_control(struct call *c, struct sock *s, struct unix_msg *g,
			struct sock_recv *m)
{
	if (m->name) {
		m->namelen = g->from->addr.len;
		memcpy(m->name, &g->from->addr.sun, g->from->addr.len);
	}
	if (s->passcred)
		put_cmsg(m, SCM_CREDENTIALS, &g->cred, sizeof g->cred);
	if (g->nfds)
		put_rights(c, g, m);
}

static bool same_cred(const struct ucred *a, const struct ucred *b)
{
	return a->pid == b->pid && a->uid == b->uid && a->gid == b->gid;
}

/* The urgent byte's message, once read by MSG_OOB (a mark). */
static bool consumed(const struct unix_msg *g)
{
	return g->off == g->len;
}

/* Where a read goes at g, having copied done bytes (Linux's manage_oob):
 * g, a message past it (a read mark dropped, the urgent byte skipped or,
 * not peeking, dropped), or NULL: stop before the mark. */
static struct unix_msg *past_urgent(struct sock *s, struct unix_msg *g,
				    size_t done, bool peek)
{
	struct unix_sock *u = s->priv;
	struct unix_msg *next = g->next;
	if (consumed(g)) {
		if (done && !u->oob)
			return NULL;
		if (!peek)
			dequeue(u);
		if (!(g = next))
			return NULL;
		next = g->next;
	}
	if (g != u->oob)
		return g;
	if (done)
		return NULL;
	if (peek)
		return s->oobinline ? g : next;
	u->oob = NULL;
	if (s->oobinline)
		return g;
	dequeue(u);
	return next;
}

/* A stream's bytes: across messages, but not past one with descriptions
 * (nor, with SO_PASSCRED, past a change of credentials), nor past the
 * urgent byte's place. */
static size_t stream_copy(struct call *c, struct sock *s, struct sock_recv *m)
{
	struct unix_sock *u = s->priv;
	bool peek = m->flags & MSG_PEEK;
	size_t done = 0;
	struct unix_msg *g = u->q, *first = NULL;
	while (g && done < m->cap && (g = past_urgent(s, g, done, peek))) {
		if (!first)
			first = g;
		else if (g->nfds || (s->passcred &&
				     !same_cred(&g->cred, &first->cred)))
			break;
		size_t n = g->len - g->off;
		if (n > m->cap - done)
			n = m->cap - done;
		memcpy(m->data + done, g->data + g->off, n);
		done += n;
		bool rights = g->nfds != 0;
		if (g == first)
			put_control(c, s, g, m);
		struct unix_msg *next = g->next;
		if (!peek) {
			g->off += n;
			u->qbytes -= n;
			if (g->off == g->len)
				dequeue(u);
			else
				waitq_wake(&u->wq, POLLOUT);
		}
		if (rights)
			break;
		g = next;
	}
	return done;
}

/* MSG_OOB on a stream: the urgent byte, never a wait (Linux's
 * unix_stream_recv_urg). */
static long recv_urgent(struct sock *s, struct sock_recv *m)
{
	struct unix_sock *u = s->priv;
	struct unix_msg *g = u->oob;
	if (s->oobinline || !g)
		return -EINVAL;
	if (m->cap)
		m->data[0] = g->data[0];
	m->oflags |= MSG_OOB;
	if (!(m->flags & MSG_PEEK)) {
		u->oob = NULL;
		g->off = g->len;
		u->qbytes--;
	}
	return 1;
}

/* Bytes to read in a stream's queue (not only read marks). */
static bool unread(const struct unix_sock *u)
{
	for (const struct unix_msg *g = u->q; g; g = g->next)
		if (!consumed(g))
			return true;
	return false;
}

static size_t dgram_copy(struct call *c, struct sock *s, struct sock_recv *m)
{
	struct unix_sock *u = s->priv;
	struct unix_msg *g = u->q;
	size_t n = g->len < m->cap ? g->len : m->cap;
	memcpy(m->data, g->data, n);
	if (g->len > m->cap)
		m->oflags |= MSG_TRUNC;
	put_control(c, s, g, m);
	size_t len = g->len;
	if (!(m->flags & MSG_PEEK))
		dequeue(u);
	return m->flags & MSG_TRUNC ? len : n;
}

/* Nothing to read yet: end of file, the pending error, or wait. */
static long recv_empty(struct call *c, struct sock *s, struct sock_recv *m)
{
	struct unix_sock *u = s->priv;
	if (u->err) {
		long e = -u->err;
		u->err = 0;
		return e;
	}
	if (u->shut_rd || (u->peer && u->peer->dead && u->type != SOCK_DGRAM))
		return 0;
	if (m->nonblock)
		return -EAGAIN;
	return sock_park(c, s, &u->rq, POLLIN, false);
}

/* MSG_WAITALL on a stream: wait until the whole room can be filled (or
 * the sender's buffer, which may never hold more). */
static bool wait_more(const struct sock *s, const struct sock_recv *m)
{
	const struct unix_sock *u = s->priv;
	size_t want = m->cap < (size_t)s->rcvbuf ? m->cap : (size_t)s->rcvbuf;
	return (m->flags & MSG_WAITALL) && !m->nonblock && u->qbytes < want &&
	       !u->shut_rd && !u->err && !u->q->nfds;
}

long unix_recvmsg(struct call *c, struct sock *s, struct sock_recv *m)
{
	struct unix_sock *u = s->priv;
	if ((m->flags & MSG_OOB) && s->type != SOCK_STREAM)
		return -EOPNOTSUPP;
	if (u->state == U_LISTEN ||
	    (s->type == SOCK_STREAM && u->state != U_CONNECTED))
		return -EINVAL;
	if (m->flags & MSG_OOB)
		return recv_urgent(s, m);
	if (s->type == SOCK_SEQPACKET && u->state != U_CONNECTED)
		return -ENOTCONN;
	if (!u->q || (s->type == SOCK_STREAM && !unread(u))) {
		long r = recv_empty(c, s, m);
		if (r != 0 || !u->q)
			return r;
	} else if (s->type == SOCK_STREAM && wait_more(s, m)) {
		/* an interrupt or a timeout: what is there */
		long r = sock_park(c, s, &u->rq, POLLIN, false);
		if (r == SRV_PARKED)
			return r;
	}
	if (s->type == SOCK_STREAM)
		return (long)stream_copy(c, s, m);
	return (long)dgram_copy(c, s, m);
}
