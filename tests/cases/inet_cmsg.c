/* Control messages on inet sockets over loopback: IP_PKTINFO, IP_TTL and
 * IP_TOS sent; IP_PKTINFO, IP_RECVTTL, IP_RECVTOS and SO_TIMESTAMP(NS)
 * received; IPV6_PKTINFO and IPV6_HOPLIMIT both ways; MSG_CTRUNC when
 * the room is short; the errors (a bad length, a source that is not
 * local, an interface that does not exist, SCM_RIGHTS, an unknown type)
 * and what Linux ignores (other levels, SOL_IP on TCP). */
#include "case_tcp.h"
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

union ctl {
	char buf[512];
	struct cmsghdr align;
};

struct out {
	int level, type;
	const void *data;
	size_t len;
};

/* sendmsg of "hello" with the control messages o[0..n-1] */
static long send_ctl(int fd, const void *to, socklen_t tl,
		     const struct out *o, int n)
{
	union ctl u;
	memset(&u, 0, sizeof u);
	struct iovec v = {"hello", 5};
	struct msghdr m = {.msg_name = (void *)to, .msg_namelen = tl,
			   .msg_iov = &v, .msg_iovlen = 1,
			   .msg_control = n ? u.buf : NULL};
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += CMSG_SPACE(o[i].len);
	m.msg_controllen = total;
	struct cmsghdr *h = n ? CMSG_FIRSTHDR(&m) : NULL;
	for (int i = 0; i < n; i++, h = CMSG_NXTHDR(&m, h)) {
		h->cmsg_level = o[i].level;
		h->cmsg_type = o[i].type;
		h->cmsg_len = CMSG_LEN(o[i].len);
		memcpy(CMSG_DATA(h), o[i].data, o[i].len);
	}
	return sendmsg(fd, &m, 0);
}

static void show_cmsg(const struct cmsghdr *h)
{
	char a[64], b[64], name[IF_NAMESIZE] = "?";
	const void *d = CMSG_DATA(h);
	int i;
	if (h->cmsg_level == SOL_IP && h->cmsg_type == IP_PKTINFO) {
		struct in_pktinfo p;
		memcpy(&p, d, sizeof p);
		if_indextoname((unsigned)p.ipi_ifindex, name);
		printf("  IP_PKTINFO if %s spec_dst %s addr %s\n", name,
		       inet_ntop(AF_INET, &p.ipi_spec_dst, a, sizeof a),
		       inet_ntop(AF_INET, &p.ipi_addr, b, sizeof b));
	} else if (h->cmsg_level == SOL_IP &&
		   (h->cmsg_type == IP_TTL || h->cmsg_type == IP_TOS)) {
		i = 0;
		memcpy(&i, d, h->cmsg_type == IP_TTL ? sizeof i : 1);
		printf("  %s %d\n", h->cmsg_type == IP_TTL ? "IP_TTL" : "IP_TOS",
		       i);
	} else if (h->cmsg_level == SOL_IPV6 && h->cmsg_type == IPV6_PKTINFO) {
		struct in6_pktinfo p;
		memcpy(&p, d, sizeof p);
		if_indextoname(p.ipi6_ifindex, name);
		printf("  IPV6_PKTINFO if %s addr %s\n", name,
		       inet_ntop(AF_INET6, &p.ipi6_addr, a, sizeof a));
	} else if (h->cmsg_level == SOL_IPV6 &&
		   h->cmsg_type == IPV6_HOPLIMIT) {
		memcpy(&i, d, sizeof i);
		printf("  IPV6_HOPLIMIT %d\n", i);
	} else if (h->cmsg_level == SOL_SOCKET &&
		   (h->cmsg_type == SO_TIMESTAMP ||
		    h->cmsg_type == SO_TIMESTAMPNS)) {
		struct timeval now, tv;
		struct timespec ts;
		gettimeofday(&now, NULL);
		if (h->cmsg_type == SO_TIMESTAMP) {
			memcpy(&tv, d, sizeof tv);
		} else {
			memcpy(&ts, d, sizeof ts);
			tv.tv_sec = ts.tv_sec;
		}
		printf("  %s within 10 s %d\n",
		       h->cmsg_type == SO_TIMESTAMP ? "SO_TIMESTAMP"
						    : "SO_TIMESTAMPNS",
		       tv.tv_sec <= now.tv_sec && tv.tv_sec > now.tv_sec - 10);
	} else {
		printf("  level %d type %d len %zu\n", h->cmsg_level,
		       h->cmsg_type, (size_t)h->cmsg_len);
	}
}

/* recvmsg with room for room control bytes: what came */
static void recv_ctl(int fd, size_t room)
{
	union ctl u;
	char data[16];
	struct iovec v = {data, sizeof data};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1,
			   .msg_control = u.buf, .msg_controllen = room};
	long n = SHOW(recvmsg(fd, &m, MSG_DONTWAIT));
	if (n < 0)
		return;
	printf("  '%.*s' MSG_CTRUNC %d\n", (int)n, data,
	       !!(m.msg_flags & MSG_CTRUNC));
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h))
		show_cmsg(h);
}

static void on(int fd, int level, int name)
{
	int one = 1, v = -1;
	socklen_t len = sizeof v;
	SHOW(setsockopt(fd, level, name, &one, sizeof one));
	SHOW(getsockopt(fd, level, name, &v, &len));
	printf("  = %d\n", v);
}

static void v4(void)
{
	printf("== udp v4\n");
	struct sockaddr_in to = {.sin_family = AF_INET};
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t tl = sizeof to;
	int a = SHOW(socket(AF_INET, SOCK_DGRAM, 0));
	int b = SHOW(socket(AF_INET, SOCK_DGRAM, 0));
	SHOW(bind(b, (void *)&to, tl));
	REQUIRE(getsockname(b, (void *)&to, &tl) == 0);
	on(b, SOL_IP, IP_PKTINFO);
	on(b, SOL_IP, IP_RECVTTL);
	on(b, SOL_IP, IP_RECVTOS);
	on(b, SOL_SOCKET, SO_TIMESTAMP);
	int ttl = 7, tos = 0x10;
	struct in_pktinfo pi = {0};
	pi.ipi_spec_dst.s_addr = htonl(INADDR_LOOPBACK);
	struct out o[] = {{SOL_IP, IP_TTL, &ttl, sizeof ttl},
			  {SOL_IP, IP_TOS, &tos, sizeof tos},
			  {SOL_IP, IP_PKTINFO, &pi, sizeof pi}};
	SHOW(send_ctl(a, &to, tl, o, 3));
	recv_ctl(b, sizeof(union ctl));
	SHOW(send_ctl(a, &to, tl, o, 1));
	recv_ctl(b, CMSG_SPACE(sizeof(struct in_pktinfo)) + 4);
	SHOW(send_ctl(a, &to, tl, NULL, 0));
	recv_ctl(b, 0);
	on(b, SOL_SOCKET, SO_TIMESTAMPNS);
	pi.ipi_ifindex = (int)if_nametoindex("lo");
	SHOW(send_ctl(a, &to, tl, &(struct out){SOL_IP, IP_PKTINFO, &pi,
						sizeof pi}, 1));
	recv_ctl(b, sizeof(union ctl));
	/* the errors */
	SHOW(send_ctl(a, &to, tl, &(struct out){SOL_IP, IP_PKTINFO, &pi, 8}, 1));
	pi.ipi_ifindex = 0;
	inet_pton(AF_INET, "192.0.2.1", &pi.ipi_spec_dst);
	SHOW(send_ctl(a, &to, tl, &(struct out){SOL_IP, IP_PKTINFO, &pi,
						sizeof pi}, 1));
	pi.ipi_spec_dst.s_addr = 0;
	pi.ipi_ifindex = 99999;
	SHOW(send_ctl(a, &to, tl, &(struct out){SOL_IP, IP_PKTINFO, &pi,
						sizeof pi}, 1));
	SHOW(send_ctl(a, &to, tl, &(struct out){SOL_SOCKET, SCM_RIGHTS, &b,
						sizeof b}, 1));
	SHOW(send_ctl(a, &to, tl, &(struct out){SOL_IP, 99, &ttl, sizeof ttl},
		      1));
	/* ignored */
	SHOW(send_ctl(a, &to, tl, &(struct out){12345, 1, &ttl, sizeof ttl},
		      1));
	SHOW(send_ctl(a, &to, tl, &(struct out){SOL_IPV6, 99, &ttl,
						sizeof ttl}, 1));
	SHOW(recvmsg(b, &(struct msghdr){0}, MSG_DONTWAIT | MSG_TRUNC));
	SHOW(recvmsg(b, &(struct msghdr){0}, MSG_DONTWAIT | MSG_TRUNC));
	SHOW(recvmsg(b, &(struct msghdr){0}, MSG_DONTWAIT | MSG_TRUNC));
	close(a);
	close(b);
}

static void v6(void)
{
	printf("== udp v6\n");
	struct sockaddr_in6 to = {.sin6_family = AF_INET6,
				  .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	socklen_t tl = sizeof to;
	int a = SHOW(socket(AF_INET6, SOCK_DGRAM, 0));
	int b = SHOW(socket(AF_INET6, SOCK_DGRAM, 0));
	SHOW(bind(b, (void *)&to, tl));
	REQUIRE(getsockname(b, (void *)&to, &tl) == 0);
	on(b, SOL_IPV6, IPV6_RECVPKTINFO);
	on(b, SOL_IPV6, IPV6_RECVHOPLIMIT);
	int hops = 9;
	struct in6_pktinfo pi = {.ipi6_addr = IN6ADDR_LOOPBACK_INIT};
	struct out o[] = {{SOL_IPV6, IPV6_HOPLIMIT, &hops, sizeof hops},
			  {SOL_IPV6, IPV6_PKTINFO, &pi, sizeof pi}};
	SHOW(send_ctl(a, &to, tl, o, 2));
	recv_ctl(b, sizeof(union ctl));
	inet_pton(AF_INET6, "2001:db8::1", &pi.ipi6_addr);
	SHOW(send_ctl(a, &to, tl, o + 1, 1));
	SHOW(send_ctl(a, &to, tl, &(struct out){SOL_IPV6, IPV6_PKTINFO, &pi,
						4}, 1));
	SHOW(send_ctl(a, &to, tl, &(struct out){SOL_IPV6, 99, &hops,
						sizeof hops}, 1));
	close(a);
	close(b);
}

static void tcp(void)
{
	printf("== tcp\n");
	struct tcp_conn t = tcp_loopback();
	int a = t.client, b = t.server, ttl = 7;
	SHOW(send_ctl(a, NULL, 0, &(struct out){SOL_IP, IP_TTL, &ttl,
						 sizeof ttl}, 1));
	SHOW(send_ctl(a, NULL, 0, &(struct out){SOL_IP, 99, &ttl, sizeof ttl},
		      1));
	SHOW(send_ctl(a, NULL, 0, &(struct out){SOL_SOCKET, SCM_RIGHTS, &b,
						 sizeof b}, 1));
	tcp_close(t);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	v4();
	v6();
	tcp();
	return 0;
}
