/*
 * Control messages a cage sends on an inet socket (sock.h), checked
 * before the host socket, the server's, carries them.  As Linux's
 * ip_cmsg_send and ip6_datagram_send_ctl, for a datagram socket:
 *   SOL_IP     IP_PKTINFO (its source address and interface must be ones
 *              the cage's --net has: else ENETUNREACH and ENODEV, as from
 *              a namespace without them), IP_TTL, IP_TOS;
 *   SOL_IPV6   IPV6_PKTINFO (the same, a source EINVAL), IPV6_HOPLIMIT,
 *              IPV6_TCLASS, IPV6_DONTFRAG;
 *   others of those levels EINVAL: the ones Linux knows besides (IP
 *   options, routing headers, a next hop) could steer a packet where
 *   the policy does not look;
 *   SOL_SOCKET SCM_RIGHTS, SCM_CREDENTIALS ignored (they are AF_UNIX's),
 *              SO_TIMESTAMPING, SO_PRIORITY up to 6; SO_MARK and higher
 *              priorities EPERM (CAP_NET_ADMIN: the server may have it);
 *              others EINVAL;
 *   other levels are ignored, by Linux too.
 * A stream socket reads only SOL_SOCKET ones (tcp_sendmsg), an AF_INET
 * one ignores SOL_IPV6.  Stricter than Linux: an AF_INET6 socket's
 * unknown SOL_IP ones are EINVAL (a v4-mapped destination would read
 * them).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#include "cage.h"
#include "net_policy.h"
#include "sock.h"

/* A source address the cage names: the wildcard (none chosen) or a
 * local address its policy allows; else err, Linux's answer for a source
 * that is not local. */
static long source_ok(const struct cage *cg, struct sockaddr_storage *ss,
		      socklen_t len, long err)
{
	struct net_local l; /* port 0: only the address is asked about */
	long r = net_bind_addr(cg, true, ss, len, &l);
	return r == -EADDRNOTAVAIL ? err : r;
}

static long pktinfo4(const struct cage *cg, const void *data, size_t len)
{
	struct in_pktinfo p;
	if (len != sizeof p)
		return -EINVAL;
	memcpy(&p, data, sizeof p);
	if (p.ipi_ifindex && !netif_visible(cg->net, p.ipi_ifindex))
		return -ENODEV;
	struct sockaddr_storage ss = {0};
	struct sockaddr_in *in = (struct sockaddr_in *)&ss;
	in->sin_family = AF_INET;
	in->sin_addr = p.ipi_spec_dst;
	return source_ok(cg, &ss, sizeof *in, -ENETUNREACH);
}

static long pktinfo6(const struct cage *cg, const void *data, size_t len)
{
	struct in6_pktinfo p;
	if (len < sizeof p)
		return -EINVAL;
	memcpy(&p, data, sizeof p);
	if (p.ipi6_ifindex && !netif_visible(cg->net, (int)p.ipi6_ifindex))
		return -ENODEV;
	struct sockaddr_storage ss = {0};
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_addr = p.ipi6_addr;
	return source_ok(cg, &ss, sizeof *in6, -EINVAL);
}

/* Linux's __sock_cmsg_send, for a caller without CAP_NET_ADMIN. */
static long socket_level(const struct cmsghdr *h, const void *data,
			 size_t len)
{
	int prio;
	switch (h->cmsg_type) {
	case SCM_RIGHTS:
	case SCM_CREDENTIALS:
	case SO_TIMESTAMPING_OLD:
	case SO_TIMESTAMPING_NEW:
		return 0;
	case SO_MARK:
		return -EPERM;
	case SO_PRIORITY:
		if (len != sizeof prio)
			return -EINVAL;
		memcpy(&prio, data, sizeof prio);
		return prio < 0 || prio > 6 ? -EPERM : 0;
	default:
		return -EINVAL;
	}
}

static long one(const struct cage *cg, const struct sock *s,
		const struct cmsghdr *h, const void *data, size_t len)
{
	if (h->cmsg_level == SOL_SOCKET)
		return socket_level(h, data, len);
	if (s->type == SOCK_STREAM ||
	    (h->cmsg_level == SOL_IPV6 && s->fam->family == AF_INET))
		return 0;
	if (h->cmsg_level == SOL_IP) {
		if (h->cmsg_type == IP_PKTINFO)
			return pktinfo4(cg, data, len);
		return h->cmsg_type == IP_TTL || h->cmsg_type == IP_TOS
			       ? 0
			       : -EINVAL;
	}
	if (h->cmsg_level == SOL_IPV6) {
		if (h->cmsg_type == IPV6_PKTINFO)
			return pktinfo6(cg, data, len);
		return h->cmsg_type == IPV6_HOPLIMIT ||
				       h->cmsg_type == IPV6_TCLASS ||
				       h->cmsg_type == IPV6_DONTFRAG
			       ? 0
			       : -EINVAL;
	}
	return 0;
}

long inet_cmsg_ok(const struct cage *cg, const struct sock *s,
		  const void *ctl, size_t len)
{
	const unsigned char *p = ctl;
	for (size_t off = 0; len - off >= sizeof(struct cmsghdr);) {
		struct cmsghdr h; /* unaligned in the frame */
		memcpy(&h, p + off, sizeof h);
		if (h.cmsg_len < sizeof h || h.cmsg_len > len - off)
			return -EINVAL;
		long r = one(cg, s, &h, p + off + CMSG_LEN(0),
			     h.cmsg_len - CMSG_LEN(0));
		if (r < 0)
			return r;
		off += CMSG_ALIGN(h.cmsg_len);
		if (off > len)
			break;
	}
	return 0;
}
