/* Socket options on AF_INET and AF_INET6, TCP and UDP: defaults, round
 * trips, the kernel's doubling of SO_SNDBUF/SO_RCVBUF, SO_ACCEPTCONN
 * before and after listen, and the answers for what a socket does not
 * know (an unknown name: ENOPROTOOPT; an unknown level: EOPNOTSUPP from
 * an AF_INET getsockopt, ENOPROTOOPT from AF_INET6's and from every
 * setsockopt); then every socket call on fd -1 (EBADF) and on a pipe
 * (ENOTSOCK). */
#include "case.h"
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/time.h>

static void show_int(int fd, int level, int name, const char *what)
{
	int v = -1;
	socklen_t len = sizeof v;
	if (getsockopt(fd, level, name, &v, &len) < 0)
		printf("  get %s: %s\n", what, case_errname(errno));
	else
		printf("  get %s: %d (len %u)\n", what, v, (unsigned)len);
}

static void set_int(int fd, int level, int name, int v, const char *what)
{
	if (setsockopt(fd, level, name, &v, sizeof v) < 0)
		printf("  set %s %d: %s\n", what, v, case_errname(errno));
	else
		printf("  set %s %d: 0\n", what, v);
}

static void round_trip(int fd, int level, int name, int v, const char *what)
{
	show_int(fd, level, name, what);
	set_int(fd, level, name, v, what);
	show_int(fd, level, name, what);
}

/* What a level or a name the socket does not serve answers. */
static void unknown(int fd)
{
	static const int levels[] = {9999, IPPROTO_TCP, IPPROTO_UDP,
				     IPPROTO_IPV6, 255};
	for (unsigned i = 0; i < sizeof levels / sizeof *levels; i++) {
		printf(" level %d:\n", levels[i]);
		show_int(fd, levels[i], 9999, "name 9999");
		set_int(fd, levels[i], 9999, 1, "name 9999");
	}
	show_int(fd, SOL_SOCKET, 9999, "SOL_SOCKET 9999");
}

static void timeouts(int fd)
{
	struct timeval tv = {2, 500000}, got = {0, 0};
	socklen_t len = sizeof got;
	SHOW(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	SHOW(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	printf("  SO_RCVTIMEO %ld.%06ld\n", (long)got.tv_sec,
	       (long)got.tv_usec);
	struct linger lg = {1, 5}, lgot = {0, 0};
	len = sizeof lgot;
	SHOW(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lgot, &len));
	printf("  SO_LINGER %d %d\n", lgot.l_onoff, lgot.l_linger);
	SHOW(setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	SHOW(getsockopt(fd, SOL_SOCKET, SO_LINGER, &lgot, &len));
	printf("  SO_LINGER %d %d\n", lgot.l_onoff, lgot.l_linger);
}

static void one(int family, int type)
{
	printf("family %d type %d\n", family, type);
	int fd = SHOW(socket(family, type, 0));
	show_int(fd, SOL_SOCKET, SO_TYPE, "SO_TYPE");
	show_int(fd, SOL_SOCKET, SO_ERROR, "SO_ERROR");
	round_trip(fd, SOL_SOCKET, SO_REUSEADDR, 1, "SO_REUSEADDR");
	round_trip(fd, SOL_SOCKET, SO_REUSEPORT, 1, "SO_REUSEPORT");
	round_trip(fd, SOL_SOCKET, SO_KEEPALIVE, 1, "SO_KEEPALIVE");
	set_int(fd, SOL_SOCKET, SO_SNDBUF, 32768, "SO_SNDBUF");
	show_int(fd, SOL_SOCKET, SO_SNDBUF, "SO_SNDBUF");
	set_int(fd, SOL_SOCKET, SO_RCVBUF, 32768, "SO_RCVBUF");
	show_int(fd, SOL_SOCKET, SO_RCVBUF, "SO_RCVBUF");
	if (type == SOCK_STREAM)
		round_trip(fd, IPPROTO_TCP, TCP_NODELAY, 1, "TCP_NODELAY");
	timeouts(fd);
	unknown(fd);
	close(fd);
}

static void accept_conn(void)
{
	int fd = SHOW(socket(AF_INET, SOCK_STREAM, 0));
	show_int(fd, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN");
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	SHOW(bind(fd, (struct sockaddr *)&a, sizeof a));
	SHOW(listen(fd, 1));
	show_int(fd, SOL_SOCKET, SO_ACCEPTCONN, "SO_ACCEPTCONN");
	close(fd);
}

/* Every socket call on fd: EBADF for -1, ENOTSOCK for a pipe. */
static void not_a_socket(int fd)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	socklen_t len = sizeof a;
	int v = 0;
	char b[4];
	printf("fd %s\n", fd < 0 ? "-1" : "a pipe");
	SHOW(bind(fd, (struct sockaddr *)&a, sizeof a));
	SHOW(listen(fd, 1));
	SHOW(accept(fd, NULL, NULL));
	SHOW(connect(fd, (struct sockaddr *)&a, sizeof a));
	SHOW(shutdown(fd, SHUT_RDWR));
	SHOW(send(fd, "x", 1, 0));
	SHOW(recv(fd, b, sizeof b, MSG_DONTWAIT));
	SHOW(getsockname(fd, (struct sockaddr *)&a, &len));
	SHOW(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	SHOW(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
}

int main(void)
{
	one(AF_INET, SOCK_STREAM);
	one(AF_INET, SOCK_DGRAM);
	one(AF_INET6, SOCK_STREAM);
	one(AF_INET6, SOCK_DGRAM);
	accept_conn();
	not_a_socket(-1);
	int p[2];
	REQUIRE(pipe(p) == 0);
	not_a_socket(p[0]);
	return 0;
}
