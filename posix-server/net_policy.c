/* lind-run --net, enforced: see net_policy.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "cage.h"
#include "net_policy.h"
#include "protocol.h"
#include "publish.h"

#define PROT_SOCK 1024 /* Linux's ip_unprivileged_port_start */

long net_socket_ok(const struct cage *cg)
{
	return cg->net == LIND_NET_NONE ? -EACCES : 0;
}

static bool v4_loopback(const struct in_addr *a)
{
	return (ntohl(a->s_addr) >> 24) == 127;
}

static bool v4_any(const struct in_addr *a)
{
	return a->s_addr == htonl(INADDR_ANY);
}

static bool v6_loopback(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_LOOPBACK(a))
		return true;
	return IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127;
}

static bool v6_any(const struct in6_addr *a)
{
	if (IN6_IS_ADDR_UNSPECIFIED(a))
		return true;
	return IN6_IS_ADDR_V4MAPPED(a) && !memcmp(&a->s6_addr[12], "\0\0\0\0", 4);
}

/* An address of sa's family (AF_UNSPEC read as AF_INET, as Linux's
 * udp_sendmsg and inet_bind do): 1 loopback, 2 wildcard, 0 other,
 * -EINVAL too short, -EAFNOSUPPORT another family. */
static int classify(const struct sockaddr *sa, socklen_t len)
{
	if (len < sizeof sa->sa_family)
		return -EINVAL;
	if (sa->sa_family == AF_INET || sa->sa_family == AF_UNSPEC) {
		const struct sockaddr_in *in = (const void *)sa;
		if (len < sizeof *in)
			return -EINVAL;
		return v4_loopback(&in->sin_addr) ? 1 : v4_any(&in->sin_addr) ? 2 : 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;
		if (len < offsetof(struct sockaddr_in6, sin6_scope_id))
			return -EINVAL; /* SIN6_LEN_RFC2133 */
		return v6_loopback(&in6->sin6_addr) ? 1
		       : v6_any(&in6->sin6_addr)    ? 2
						    : 0;
	}
	return -EAFNOSUPPORT;
}

long net_dest_ok(const struct cage *cg, const struct sockaddr *addr,
		 socklen_t len, bool disconnect)
{
	/* the cage's bytes, where a frame put them: copied to be aligned */
	struct sockaddr_storage ss = {0};
	if (len > sizeof ss)
		len = sizeof ss;
	if (len)
		memcpy(&ss, addr, len);
	const struct sockaddr *sa = (const struct sockaddr *)&ss;
	if (cg->net == LIND_NET_HOST)
		return 0;
	if (cg->net == LIND_NET_NONE)
		return -ENETUNREACH; /* no socket to ask with, but to be sure */
	if (disconnect && len >= sizeof sa->sa_family &&
	    sa->sa_family == AF_UNSPEC)
		return 0;
	int k = classify(sa, len);
	if (k == -EINVAL || k == -EAFNOSUPPORT)
		return 0; /* the host refuses it: nothing is sent */
	return k > 0 ? 0 : -ENETUNREACH;
}

static unsigned port_of(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return ntohs(((const struct sockaddr_in *)sa)->sin_port);
}

static void set_port(struct sockaddr_storage *sa, unsigned port)
{
	if (sa->ss_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_port = htons((uint16_t)port);
	else
		((struct sockaddr_in *)sa)->sin_port = htons((uint16_t)port);
}

int net_publish_set(struct cage *cg, const struct lind_publish *p, size_t n)
{
	struct lind_publish *copy = NULL;
	if (n && !(copy = malloc(n * sizeof *copy)))
		return -ENOMEM;
	if (n)
		memcpy(copy, p, n * sizeof *copy);
	free(cg->publish);
	cg->publish = copy;
	cg->npublish = (uint32_t)n;
	return 0;
}

static const struct lind_publish *published(const struct cage *cg, bool udp,
					    unsigned port)
{
	for (uint32_t i = 0; i < cg->npublish; i++)
		if (cg->publish[i].cage_port == port && cg->publish[i].udp == udp)
			return &cg->publish[i];
	return NULL;
}

/* sa (the cage's, of its socket's family: AF_UNSPEC is AF_INET's) made
 * p's ADDR:HOSTPORT.  An AF_INET6 socket takes ADDR as ::ffff:ADDR, or
 * :: for 0.0.0.0 (both families unless the socket is IPV6_V6ONLY). */
static void publish_addr(const struct lind_publish *p,
			 struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET6) {
		struct in6_addr *a = &((struct sockaddr_in6 *)sa)->sin6_addr;
		memset(a, 0, sizeof *a);
		if (p->addr) {
			a->s6_addr[10] = a->s6_addr[11] = 0xff;
			uint32_t be = htonl(p->addr);
			memcpy(&a->s6_addr[12], &be, 4);
		}
	} else {
		sa->ss_family = AF_INET;
		((struct sockaddr_in *)sa)->sin_addr.s_addr = htonl(p->addr);
	}
	set_port(sa, p->host_port);
}

long net_bind_addr(const struct cage *cg, bool udp, struct sockaddr_storage *sa,
		   socklen_t len, struct net_local *l)
{
	memset(l, 0, sizeof *l);
	int k = classify((const struct sockaddr *)sa, len);
	if (k == -EINVAL || k == -EAFNOSUPPORT)
		return 0; /* the host refuses it, binding nothing */
	unsigned port = port_of(sa);
	if (port && port < PROT_SOCK && !cred_capable(&cg->cred))
		return -EACCES;
	if (cg->net == LIND_NET_NONE)
		return -EADDRNOTAVAIL;
	if (k == 0 && cg->net != LIND_NET_HOST)
		return -EADDRNOTAVAIL; /* not an address of lo */
	const struct lind_publish *p = k ? published(cg, udp, port) : NULL;
	if (p) {
		l->asked = *sa;
		l->addr = true;
		l->port = (uint16_t)port;
		publish_addr(p, sa);
		return 0;
	}
	if (cg->net == LIND_NET_HOST || k == 1)
		return 0;
	/* the wildcard: loopback on the host, the port kept */
	int family = sa->ss_family == AF_INET6 ? AF_INET6 : AF_INET;
	net_loopback(family, sa);
	set_port(sa, port);
	l->wild = true;
	return 0;
}

void net_local_show(const struct net_local *l, struct sockaddr_storage *sa)
{
	if (l->wild)
		net_wildcard(sa);
	if (l->addr && sa->ss_family == AF_INET6)
		((struct sockaddr_in6 *)sa)->sin6_addr =
			((const struct sockaddr_in6 *)&l->asked)->sin6_addr;
	else if (l->addr)
		((struct sockaddr_in *)sa)->sin_addr =
			((const struct sockaddr_in *)&l->asked)->sin_addr;
	if (l->port)
		set_port(sa, l->port);
}

bool net_bind_first(const struct cage *cg)
{
	return cg->net != LIND_NET_HOST;
}

socklen_t net_loopback(int family, struct sockaddr_storage *sa)
{
	memset(sa, 0, sizeof *sa);
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)sa;
		in6->sin6_family = AF_INET6;
		in6->sin6_addr = in6addr_loopback;
		return sizeof *in6;
	}
	struct sockaddr_in *in = (void *)sa;
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sizeof *in;
}

void net_wildcard(struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET6)
		memset(&((struct sockaddr_in6 *)sa)->sin6_addr, 0,
		       sizeof(struct in6_addr));
	else if (sa->ss_family == AF_INET)
		((struct sockaddr_in *)sa)->sin_addr.s_addr = htonl(INADDR_ANY);
}
