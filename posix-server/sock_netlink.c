/*
 * AF_NETLINK, NETLINK_ROUTE: what getifaddrs, if_nameindex and
 * getaddrinfo's AI_ADDRCONFIG ask the kernel, answered with the
 * interfaces a cage may see.  A dump of links (RTM_GETLINK) or addresses
 * (RTM_GETADDR) is taken from the host's own netlink at once (the kernel
 * answers a dump synchronously: no waiting on anyone) and filtered by
 * the cage's --net policy (net_policy.h): host shows every interface,
 * loopback the loopback one, none the loopback one down and without
 * addresses, as a new network namespace has it.  The cage's request
 * sequence and port id are written into each message.  Anything that
 * would change the network (RTM_NEW*, RTM_DEL*, RTM_SET*) is EPERM, as
 * for a process without CAP_NET_ADMIN; other requests are EOPNOTSUPP.
 * Replies queue as datagrams up to SO_RCVBUF; past it a reply is dropped
 * and the next receive answers ENOBUFS, as Linux's overrun does.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "protocol.h"
#include "sock.h"
#include "sys.h"
#include "wait.h"

struct nl_dgram {
	struct nl_dgram *next;
	size_t len;
	uint8_t data[];
};

struct nl_sock {
	struct nl_sock *next; /* every netlink socket: port ids are unique */
	uint32_t portid;      /* 0: not bound yet */
	uint32_t groups;      /* joined; no event is ever sent */
	uint32_t dst_portid;  /* connect()ed destination */
	struct nl_dgram *head, **tail;
	size_t queued; /* bytes in the queue */
	struct waitq rq;
};

static struct nl_sock *all;
static unsigned long nl_queued_dgrams;
static uint32_t next_auto = 0xfffff000u; /* Linux's autobind ids are
					    * negative too */

static struct nl_sock *nl_of(struct sock *s)
{
	return s->priv;
}

static bool portid_used(uint32_t id)
{
	for (struct nl_sock *n = all; n; n = n->next)
		if (n->portid == id)
			return true;
	return false;
}

/* The first socket of a process gets its pid, later ones a negative id
 * (Linux's netlink_autobind). */
static void autobind(struct call *c, struct nl_sock *n)
{
	if (n->portid)
		return;
	uint32_t id = (uint32_t)c->cage->id;
	while (!id || portid_used(id))
		id = next_auto--;
	n->portid = id;
}

static void nl_queue(struct sock *s, struct nl_dgram *d)
{
	struct nl_sock *n = nl_of(s);
	if (n->queued + d->len > (size_t)s->rcvbuf) {
		free(d);
		s->err = ENOBUFS; /* reported by the next receive */
		return;
	}
	d->next = NULL;
	*n->tail = d;
	n->tail = &d->next;
	n->queued += d->len;
	nl_queued_dgrams++;
	waitq_wake(&n->rq, POLLIN);
}

static struct nl_dgram *dgram_new(size_t len)
{
	struct nl_dgram *d = malloc(sizeof *d + len);
	if (d)
		d->len = len;
	return d;
}

/* An NLMSG_ERROR answering req with err (0: the ack). */
static long nl_error(struct sock *s, const struct nlmsghdr *req, int err)
{
	size_t len = NLMSG_LENGTH(sizeof(struct nlmsgerr));
	struct nl_dgram *d = dgram_new(len);
	if (!d)
		return -ENOMEM;
	memset(d->data, 0, len);
	struct nlmsghdr *h = (struct nlmsghdr *)d->data;
	*h = (struct nlmsghdr){.nlmsg_len = (uint32_t)len,
			       .nlmsg_type = NLMSG_ERROR,
			       .nlmsg_flags = NLM_F_CAPPED,
			       .nlmsg_seq = req->nlmsg_seq,
			       .nlmsg_pid = nl_of(s)->portid};
	struct nlmsgerr *e = NLMSG_DATA(h);
	e->error = -err;
	e->msg = *req;
	e->msg.nlmsg_len = sizeof *req; /* the header only, as CAPPED says */
	nl_queue(s, d);
	return 0;
}

/* The interface index a dump message is about, or 0 (DONE, ERROR). */
static int msg_ifindex(const struct nlmsghdr *h)
{
	if (h->nlmsg_type == RTM_NEWLINK &&
	    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifinfomsg)))
		return ((const struct ifinfomsg *)NLMSG_DATA(h))->ifi_index;
	if (h->nlmsg_type == RTM_NEWADDR &&
	    h->nlmsg_len >= NLMSG_LENGTH(sizeof(struct ifaddrmsg)))
		return (int)((const struct ifaddrmsg *)NLMSG_DATA(h))->ifa_index;
	return 0;
}

/* The host's interfaces a cage under policy net sees: all of them, or
 * the loopback ones (lo[0..nlo-1]). */
static bool visible(uint32_t net, int ifindex, const unsigned *lo,
		    unsigned nlo)
{
	if (net == LIND_NET_HOST)
		return ifindex > 0;
	for (unsigned i = 0; i < nlo; i++)
		if ((int)lo[i] == ifindex)
			return true;
	return false;
}

/* Under none, an interface is down (no address, no traffic). */
#define NET_DOWN_FLAGS (IFF_UP | IFF_RUNNING | 1u << 16) /* IFF_LOWER_UP */

/* The host's loopback interfaces' indexes (normally just lo). */
static unsigned loopback_indexes(unsigned *out, unsigned cap)
{
	struct if_nameindex *ni = if_nameindex(), *p;
	unsigned n = 0;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	for (p = ni; p && p->if_index && n < cap; p++) {
		struct ifreq r = {0};
		snprintf(r.ifr_name, sizeof r.ifr_name, "%s", p->if_name);
		if (fd >= 0 && ioctl(fd, SIOCGIFFLAGS, &r) == 0 &&
		    (r.ifr_flags & IFF_LOOPBACK))
			out[n++] = p->if_index;
	}
	if (fd >= 0)
		close(fd);
	if (ni)
		if_freenameindex(ni);
	return n;
}

/* Whether h, a message of a host dump, is one a cage under net sees;
 * a link is shown down under none. */
static bool keep_msg(struct nlmsghdr *h, uint32_t net, const unsigned *lo,
		     unsigned nlo)
{
	int idx = msg_ifindex(h);
	if (!idx)
		return true; /* DONE, ERROR */
	if (!visible(net, idx, lo, nlo))
		return false;
	if (net != LIND_NET_NONE)
		return true;
	if (h->nlmsg_type == RTM_NEWADDR)
		return false;
	((struct ifinfomsg *)NLMSG_DATA(h))->ifi_flags &= ~NET_DOWN_FLAGS;
	return true;
}

/* Keeps the visible messages of one host datagram, in place, stamped
 * with the cage's sequence and port id; its new length. */
static size_t filter_dgram(uint8_t *buf, size_t len, const struct nlmsghdr *req,
			   uint32_t portid, uint32_t net, bool *done)
{
	unsigned lo[8], nlo = loopback_indexes(lo, 8);
	size_t kept = 0;
	for (size_t off = 0; off + NLMSG_HDRLEN <= len;) {
		struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
		if (h->nlmsg_len < NLMSG_HDRLEN || h->nlmsg_len > len - off)
			break;
		size_t step = NLMSG_ALIGN(h->nlmsg_len);
		if (step > len - off)
			step = len - off;
		*done |= h->nlmsg_type == NLMSG_DONE ||
			 h->nlmsg_type == NLMSG_ERROR;
		if (keep_msg(h, net, lo, nlo)) {
			h->nlmsg_seq = req->nlmsg_seq;
			h->nlmsg_pid = portid;
			memmove(buf + kept, h, step);
			kept += step;
		}
		off += step;
	}
	return kept;
}

/* A dump of type from the host's netlink, filtered into s's queue. */
static long host_dump(struct call *c, struct sock *s,
		      const struct nlmsghdr *req)
{
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	struct timeval tv = {1, 0}; /* the kernel answers at once */
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	struct {
		struct nlmsghdr h;
		struct rtgenmsg g;
	} ask = {{.nlmsg_len = sizeof ask, .nlmsg_type = req->nlmsg_type,
		  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 1},
		 {.rtgen_family = AF_UNSPEC}};
	long r = send(fd, &ask, sizeof ask, 0) < 0 ? -errno : 0;
	for (bool done = false; r == 0 && !done;) {
		uint8_t buf[32768];
		ssize_t n = recv(fd, buf, sizeof buf, 0);
		if (n <= 0) {
			r = n < 0 ? -errno : -EIO;
			break;
		}
		size_t kept = filter_dgram(buf, (size_t)n, req,
					   nl_of(s)->portid, c->cage->net,
					   &done);
		struct nl_dgram *d = kept ? dgram_new(kept) : NULL;
		if (kept && !d)
			r = -ENOMEM;
		else if (d) {
			memcpy(d->data, buf, kept);
			nl_queue(s, d);
		}
	}
	close(fd);
	return r;
}

/* One request from the cage. */
static long nl_request(struct call *c, struct sock *s,
		       const struct nlmsghdr *h)
{
	uint16_t t = h->nlmsg_type;
	if (!(h->nlmsg_flags & NLM_F_REQUEST) || t < NLMSG_MIN_TYPE)
		return 0; /* not for the kernel to answer */
	if (t == RTM_GETLINK || t == RTM_GETADDR) {
		if ((h->nlmsg_flags & NLM_F_DUMP) != NLM_F_DUMP)
			return nl_error(s, h, EOPNOTSUPP);
		long r = host_dump(c, s, h);
		if (r < 0)
			return nl_error(s, h, (int)-r);
		return h->nlmsg_flags & NLM_F_ACK ? nl_error(s, h, 0) : 0;
	}
	/* RTM_NEW* (0, 4, 8...), RTM_DEL* (1), RTM_SET* (3): changes */
	if (t >= RTM_BASE && t <= RTM_MAX && (t - RTM_BASE) % 4 != 2)
		return nl_error(s, h, EPERM);
	return nl_error(s, h, EOPNOTSUPP);
}

static long nl_sendmsg(struct call *c, struct sock *s,
		       const struct sock_send *m)
{
	struct nl_sock *n = nl_of(s);
	if (m->name) {
		struct sockaddr_nl a; /* copied: a frame's bytes are unaligned */
		if (m->namelen < sizeof a)
			return -EINVAL;
		memcpy(&a, m->name, sizeof a);
		if (a.nl_family != AF_NETLINK)
			return -EINVAL;
		if (a.nl_pid)
			return -ECONNREFUSED; /* only the kernel listens */
	} else if (n->dst_portid) {
		return -ECONNREFUSED;
	}
	autobind(c, n);
	/* messages in order; a short or bad one ends the batch silently,
	 * as Linux's netlink_rcv_skb */
	for (size_t off = 0; off + NLMSG_HDRLEN <= m->len;) {
		const struct nlmsghdr *h = (const void *)(m->data + off);
		struct nlmsghdr hdr;
		memcpy(&hdr, h, sizeof hdr); /* the cage's bytes: unaligned */
		if (hdr.nlmsg_len < NLMSG_HDRLEN || hdr.nlmsg_len > m->len - off)
			break;
		long r = nl_request(c, s, &hdr);
		if (r < 0)
			return r;
		off += NLMSG_ALIGN(hdr.nlmsg_len);
	}
	return (long)m->len;
}

static long nl_recvmsg(struct call *c, struct sock *s, struct sock_recv *m)
{
	struct nl_sock *n = nl_of(s);
	if (s->err) {
		long e = -s->err;
		s->err = 0;
		return e;
	}
	struct nl_dgram *d = n->head;
	if (!d)
		return m->nonblock ? -EAGAIN : sock_park(c, s, &n->rq, POLLIN, false);
	size_t len = d->len < m->cap ? d->len : m->cap;
	memcpy(m->data, d->data, len);
	if (d->len > m->cap)
		m->oflags |= MSG_TRUNC;
	if (m->name) {
		struct sockaddr_nl from = {.nl_family = AF_NETLINK};
		memcpy(m->name, &from, sizeof from);
		m->namelen = sizeof from;
	}
	long r = (long)(m->flags & MSG_TRUNC ? d->len : len);
	if (!(m->flags & MSG_PEEK)) {
		n->head = d->next;
		if (!n->head)
			n->tail = &n->head;
		n->queued -= d->len;
		nl_queued_dgrams--;
		free(d);
	}
	return r;
}

static long nl_bind(struct call *c, struct sock *s, const void *addr,
		    size_t len)
{
	struct nl_sock *n = nl_of(s);
	struct sockaddr_nl a;
	if (len < sizeof a)
		return -EINVAL;
	memcpy(&a, addr, sizeof a);
	if (a.nl_family != AF_NETLINK)
		return -EINVAL;
	if (n->portid && a.nl_pid && a.nl_pid != n->portid)
		return -EINVAL;
	if (!n->portid && a.nl_pid) {
		if (portid_used(a.nl_pid))
			return -EADDRINUSE;
		n->portid = a.nl_pid;
	}
	autobind(c, n);
	n->groups = a.nl_groups;
	return 0;
}

static long nl_connect(struct call *c, struct sock *s, const void *addr,
		       size_t len, bool nonblock)
{
	(void)nonblock;
	struct sockaddr_nl a;
	if (len < sizeof(sa_family_t))
		return -EINVAL;
	memcpy(&a, addr, len < sizeof a ? len : sizeof a);
	if (a.nl_family == AF_UNSPEC) {
		nl_of(s)->dst_portid = 0;
		return 0;
	}
	if (len < sizeof a || a.nl_family != AF_NETLINK)
		return -EINVAL;
	autobind(c, nl_of(s));
	nl_of(s)->dst_portid = a.nl_pid;
	return 0;
}

static long nl_getname(struct sock *s, void *addr, size_t *len, bool peer)
{
	struct nl_sock *n = nl_of(s);
	struct sockaddr_nl a = {.nl_family = AF_NETLINK};
	if (peer)
		a.nl_pid = n->dst_portid;
	else {
		a.nl_pid = n->portid;
		a.nl_groups = n->groups;
	}
	memcpy(addr, &a, sizeof a);
	*len = sizeof a;
	return 0;
}

static unsigned nl_poll(struct sock *s)
{
	return (nl_of(s)->head || s->err ? POLLIN | POLLRDNORM : 0) |
	       POLLOUT | POLLWRNORM;
}

static struct waitq *nl_waitq(struct sock *s, unsigned events)
{
	(void)events;
	return &nl_of(s)->rq;
}

static int nl_inq(struct sock *s)
{
	struct nl_dgram *d = nl_of(s)->head;
	return d ? (int)d->len : 0;
}

static void nl_release(struct sock *s)
{
	struct nl_sock *n = nl_of(s);
	for (struct nl_sock **p = &all; *p; p = &(*p)->next)
		if (*p == n) {
			*p = n->next;
			break;
		}
	while (n->head) {
		struct nl_dgram *d = n->head;
		n->head = d->next;
		nl_queued_dgrams--;
		free(d);
	}
	free(n);
}

bool netif_visible(uint32_t net, int ifindex)
{
	unsigned lo[8], nlo = loopback_indexes(lo, 8);
	return visible(net, ifindex, lo, nlo);
}

long netif_ioctl(uint32_t net, unsigned long req, void *arg)
{
	struct ifreq r;
	unsigned lo[8], nlo = loopback_indexes(lo, 8);
	memcpy(&r, arg, sizeof r);
	if (req == SIOCGIFNAME) {
		if (!visible(net, r.ifr_ifindex, lo, nlo) ||
		    !if_indextoname((unsigned)r.ifr_ifindex, r.ifr_name))
			return -ENODEV;
		memcpy(arg, &r, sizeof r);
		return 0;
	}
	r.ifr_name[IFNAMSIZ - 1] = '\0';
	if (!visible(net, (int)if_nametoindex(r.ifr_name), lo, nlo))
		return -ENODEV;
	bool down = net == LIND_NET_NONE;
	if (down && (req == SIOCGIFADDR || req == SIOCGIFNETMASK ||
		     req == SIOCGIFBRDADDR))
		return -EADDRNOTAVAIL; /* an interface without addresses */
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	long rc = ioctl(fd, req, &r) < 0 ? -errno : 0;
	close(fd);
	if (rc == 0 && down && req == SIOCGIFFLAGS)
		r.ifr_flags &= (short)~NET_DOWN_FLAGS;
	if (rc == 0)
		memcpy(arg, &r, sizeof r);
	return rc;
}

static const struct sock_ops nl_ops = {
	.bind = nl_bind,
	.connect = nl_connect,
	.sendmsg = nl_sendmsg,
	.recvmsg = nl_recvmsg,
	.getname = nl_getname,
	.poll = nl_poll,
	.waitq = nl_waitq,
	.inq = nl_inq,
	.release = nl_release,
};

static long nl_create(struct call *c, struct sock *s, int protocol)
{
	(void)c;
	if (s->type != SOCK_RAW && s->type != SOCK_DGRAM)
		return -ESOCKTNOSUPPORT;
	if (protocol != NETLINK_ROUTE)
		return -EPROTONOSUPPORT;
	struct nl_sock *n = calloc(1, sizeof *n);
	if (!n)
		return -ENOMEM;
	n->tail = &n->head;
	n->next = all;
	all = n;
	s->ops = &nl_ops;
	s->priv = n;
	return 0;
}

const struct sock_family sock_netlink_family = {
	.family = AF_NETLINK,
	.create = nl_create,
};

unsigned long sock_netlink_count(void)
{
	unsigned long n = nl_queued_dgrams;
	for (struct nl_sock *p = all; p; p = p->next)
		n++;
	return n;
}
