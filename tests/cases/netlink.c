/* NETLINK_ROUTE as getifaddrs and if_nameindex use it: the socket's
 * errors, its address, a link dump read with MSG_PEEK|MSG_TRUNC, and the
 * loopback interface as both libc calls show it (only lo is printed: it
 * is what a cage sees, and every host has it). */
#include "case.h"
#include <ifaddrs.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <sys/socket.h>

static void show_lo_addresses(void)
{
	struct ifaddrs *ifa, *p;
	REQUIRE(getifaddrs(&ifa) == 0);
	int packet = 0;
	for (p = ifa; p; p = p->ifa_next) {
		if (strcmp(p->ifa_name, "lo") || !p->ifa_addr)
			continue;
		char buf[INET6_ADDRSTRLEN] = "";
		int fam = p->ifa_addr->sa_family;
		if (fam == AF_INET)
			inet_ntop(fam, &((struct sockaddr_in *)p->ifa_addr)->sin_addr,
				  buf, sizeof buf);
		else if (fam == AF_INET6)
			inet_ntop(fam, &((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr,
				  buf, sizeof buf);
		else {
			packet += fam == AF_PACKET;
			continue;
		}
		printf("lo %s %s up %d loopback %d\n",
		       fam == AF_INET ? "inet" : "inet6", buf,
		       !!(p->ifa_flags & IFF_UP), !!(p->ifa_flags & IFF_LOOPBACK));
	}
	printf("lo link entries: %d\n", packet);
	freeifaddrs(ifa);
}

static void dump_links(int fd)
{
	struct {
		struct nlmsghdr h;
		struct ifinfomsg i;
	} req = {{.nlmsg_len = sizeof req, .nlmsg_type = RTM_GETLINK,
		  .nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP, .nlmsg_seq = 77},
		 {.ifi_family = AF_UNSPEC}};
	struct sockaddr_nl kernel = {.nl_family = AF_NETLINK};
	SHOW(sendto(fd, &req, sizeof req, 0, (struct sockaddr *)&kernel,
		    sizeof kernel) == sizeof req);
	char small[16];
	long whole = recv(fd, small, sizeof small, MSG_PEEK | MSG_TRUNC);
	printf("peeked with MSG_TRUNC: whole datagram %s\n",
	       whole > (long)sizeof small ? "longer than 16" : "short");
	int lo = 0, done = 0, seq_ok = 1, from_kernel = 1, cut = 0;
	char buf[65536];
	while (!done) {
		struct sockaddr_nl from;
		struct iovec v = {buf, sizeof buf};
		struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof from,
				   .msg_iov = &v, .msg_iovlen = 1};
		long n = recvmsg(fd, &m, 0);
		REQUIRE(n > 0);
		from_kernel &= from.nl_pid == 0 && from.nl_family == AF_NETLINK;
		cut |= m.msg_flags & MSG_TRUNC;
		for (struct nlmsghdr *h = (void *)buf; NLMSG_OK(h, (unsigned)n);
		     h = NLMSG_NEXT(h, n)) {
			seq_ok &= h->nlmsg_seq == 77;
			if (h->nlmsg_type == NLMSG_DONE)
				done = 1;
			else if (h->nlmsg_type == RTM_NEWLINK) {
				struct ifinfomsg *i = NLMSG_DATA(h);
				lo += (i->ifi_flags & IFF_LOOPBACK) != 0;
			}
		}
	}
	printf("links dumped: loopback %d, sequence kept %d, from the kernel "
	       "%d, truncated %d\n", lo, seq_ok, from_kernel, !!cut);
}

int main(void)
{
	SHOW(socket(AF_NETLINK, SOCK_STREAM, NETLINK_ROUTE));
	SHOW(socket(AF_NETLINK, SOCK_RAW, 31));
	int fd = SHOW(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
	struct sockaddr_nl a = {.nl_family = AF_INET};
	SHOW(bind(fd, (struct sockaddr *)&a, sizeof a));
	SHOW(bind(fd, (struct sockaddr *)&a, 4));
	a.nl_family = AF_NETLINK;
	SHOW(bind(fd, (struct sockaddr *)&a, sizeof a));
	socklen_t len = sizeof a;
	SHOW(getsockname(fd, (struct sockaddr *)&a, &len));
	printf("bound: family %d, len %u, port id set %d\n", a.nl_family,
	       (unsigned)len, a.nl_pid != 0);
	char c;
	SHOW(recv(fd, &c, 1, MSG_DONTWAIT));
	struct sockaddr_nl nobody = {.nl_family = AF_NETLINK, .nl_pid = 0x7ffffff0};
	SHOW(sendto(fd, "x", 1, 0, (struct sockaddr *)&nobody, sizeof nobody));
	dump_links(fd);
	SHOW(close(fd));
	show_lo_addresses();
	unsigned idx = if_nametoindex("lo");
	char name[IF_NAMESIZE] = "";
	printf("if_nametoindex lo: %s, back: %s\n", idx ? "found" : "none",
	       if_indextoname(idx, name) ? name : "none");
	return 0;
}
