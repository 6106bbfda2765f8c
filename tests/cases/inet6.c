/* AF_INET6's wildcard is both families' unless IPV6_V6ONLY: a listener
 * on [::] accepts IPv6 (::1), IPv4-mapped (::ffff:127.0.0.1) and plain
 * AF_INET clients (127.0.0.1), and sees the last two as ::ffff:127.0.0.1;
 * with IPV6_V6ONLY an IPv4 client is refused.  The same for a datagram
 * socket on [::].  Ports are the kernel's (port 0), never printed. */
#include "case.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>

/* A numeric address and port, of the family its text says. */
static socklen_t addr_of(const char *ip, unsigned port,
			 struct sockaddr_storage *ss)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV};
	struct addrinfo *res;
	char serv[8];
	snprintf(serv, sizeof serv, "%u", port);
	REQUIRE(getaddrinfo(ip, serv, &hints, &res) == 0);
	socklen_t len = res->ai_addrlen;
	memcpy(ss, res->ai_addr, len);
	freeaddrinfo(res);
	return len;
}

/* Prints an address without its port; returns the port. */
static unsigned show_addr(const char *what, const struct sockaddr_storage *ss,
			  socklen_t len)
{
	char ip[64] = "?";
	unsigned port;
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		port = ntohs(in6->sin6_port);
	} else {
		const struct sockaddr_in *in = (const void *)ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		port = ntohs(in->sin_port);
	}
	printf("  %s: family %d %s len %u\n", what, ss->ss_family, ip,
	       (unsigned)len);
	return port;
}

static unsigned own_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	REQUIRE(getsockname(fd, (struct sockaddr *)&ss, &len) == 0);
	return show_addr("name", &ss, len);
}

static int wildcard(int type, int v6only, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr_of("::", 0, &ss);
	int fd = SHOW(socket(AF_INET6, type, 0));
	SHOW(setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof v6only));
	SHOW(bind(fd, (struct sockaddr *)&ss, len));
	if (type == SOCK_STREAM)
		SHOW(listen(fd, 4));
	*port = own_port(fd);
	return fd;
}

/* A client of family to ip:port; accepted, one byte each way. */
static void client(int l, int family, const char *ip, unsigned port)
{
	printf(" client %s\n", ip);
	struct sockaddr_storage ss, peer;
	socklen_t len = addr_of(ip, port, &ss), plen = sizeof peer;
	int c = SHOW(socket(family, SOCK_STREAM, 0));
	if (SHOW(connect(c, (struct sockaddr *)&ss, len)) < 0) {
		close(c);
		return;
	}
	int a = SHOW(accept(l, (struct sockaddr *)&peer, &plen));
	show_addr("accepted from", &peer, plen);
	own_port(a);
	char b = 0;
	SHOW(send(c, "v", 1, 0));
	SHOW(recv(a, &b, 1, 0));
	SHOW(send(a, &b, 1, 0));
	SHOW(recv(c, &b, 1, 0));
	printf("  echoed %c\n", b);
	close(a);
	close(c);
}

static void stream(int v6only)
{
	printf("stream, IPV6_V6ONLY %d\n", v6only);
	unsigned port;
	int l = wildcard(SOCK_STREAM, v6only, &port);
	client(l, AF_INET6, "::1", port);
	client(l, AF_INET6, "::ffff:127.0.0.1", port);
	client(l, AF_INET, "127.0.0.1", port);
	close(l);
}

static void datagram(void)
{
	printf("datagram\n");
	unsigned port;
	int u = wildcard(SOCK_DGRAM, 0, &port);
	const char *from[] = {"::1", "127.0.0.1"};
	for (int i = 0; i < 2; i++) {
		int family = i ? AF_INET : AF_INET6;
		struct sockaddr_storage ss, got;
		socklen_t len = addr_of(from[i], port, &ss);
		socklen_t glen = sizeof got;
		int s = SHOW(socket(family, SOCK_DGRAM, 0));
		SHOW(sendto(s, "dg", 2, 0, (struct sockaddr *)&ss, len));
		char b[8];
		SHOW(recvfrom(u, b, sizeof b, 0, (struct sockaddr *)&got, &glen));
		show_addr("from", &got, glen);
		close(s);
	}
	close(u);
}

int main(void)
{
	stream(0);
	stream(1);
	datagram();
	return 0;
}
