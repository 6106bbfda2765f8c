/* Datagrams bigger than one 64 KiB frame travel whole, as one message:
 * AF_UNIX SOCK_DGRAM and SOCK_SEQPACKET up to SO_SNDBUF less 32 bytes
 * (the default buffer), UDP up to 65507 bytes (IPv4) and 65527 (IPv6),
 * by send, sendto, sendmsg (an iovec of pieces) and write; one past the
 * limit is EMSGSIZE; recv, recvmsg and read see each one datagram, cut
 * to a smaller room with MSG_TRUNC. */
#include "case.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/uio.h>

#define UNIX_MAX (212992 - 32) /* wmem_default less 32 */
#define BIG (UNIX_MAX + 100)

static unsigned char out[BIG], in[BIG + 4096];

/* out[] numbered so that a piece out of place shows */
static void fill(void)
{
	for (size_t i = 0; i < sizeof out; i++)
		out[i] = (unsigned char)(i * 7 + i / 251);
}

/* the datagram received is out's first len bytes */
static void same(long got, size_t len)
{
	printf("  %ld bytes, %s\n", got,
	       got == (long)len && !memcmp(in, out, len) ? "intact"
							  : "DIFFERENT");
}

/* recvmsg into cap bytes: the length, MSG_TRUNC, the bytes */
static void recv_cut(int fd, size_t cap, int flags)
{
	struct iovec v = {in, cap};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	memset(in, 0, sizeof in);
	long n = SHOW(recvmsg(fd, &m, flags));
	printf("  MSG_TRUNC %d, first %zu %s\n", !!(m.msg_flags & MSG_TRUNC),
	       cap, !memcmp(in, out, cap) ? "intact" : "DIFFERENT");
	(void)n;
}

/* every way of sending len bytes from a to b, each received whole */
static void each_way(int a, int b, size_t len)
{
	printf("%zu bytes:\n", len);
	memset(in, 0, sizeof in);
	SHOW(send(a, out, len, 0));
	same(SHOW(recv(b, in, sizeof in, 0)), len);
	SHOW(write(a, out, len));
	same(SHOW(read(b, in, sizeof in)), len);
	struct iovec v[3] = {{out, 1000}, {out + 1000, len / 2 - 1000},
			     {out + len / 2, len - len / 2}};
	struct msghdr m = {.msg_iov = v, .msg_iovlen = 3};
	SHOW(sendmsg(a, &m, 0));
	char peek;
	SHOW(recv(b, &peek, 1, MSG_PEEK | MSG_TRUNC));
	same(SHOW(recv(b, in, sizeof in, 0)), len);
	SHOW(sendto(a, out, len, 0, NULL, 0));
	recv_cut(b, 70000, 0);
	SHOW(send(a, out, len, MSG_DONTWAIT));
	recv_cut(b, 100, MSG_TRUNC);
	SHOW(recv(b, in, sizeof in, MSG_DONTWAIT));
}

static void unix_type(int type, const char *name)
{
	int sv[2];
	printf("== unix %s\n", name);
	SHOW(socketpair(AF_UNIX, type, 0, sv));
	each_way(sv[0], sv[1], 100000);
	each_way(sv[1], sv[0], UNIX_MAX);
	SHOW(send(sv[0], out, UNIX_MAX + 1, 0));
	SHOW(write(sv[0], out, BIG));
	struct iovec v[2] = {{out, 70000}, {out + 70000, UNIX_MAX + 1 - 70000}};
	struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
	SHOW(sendmsg(sv[0], &m, 0));
	SHOW(recv(sv[1], in, sizeof in, MSG_DONTWAIT));
	close(sv[0]);
	close(sv[1]);
}

/* UDP on loopback: the largest datagram, one more */
static void udp(int family, size_t max)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = family == AF_INET ? sizeof(struct sockaddr_in)
					  : sizeof(struct sockaddr_in6);
	ss.ss_family = (sa_family_t)family;
	if (family == AF_INET)
		inet_pton(AF_INET, "127.0.0.1",
			  &((struct sockaddr_in *)&ss)->sin_addr);
	else
		((struct sockaddr_in6 *)&ss)->sin6_addr = in6addr_loopback;
	printf("== udp %s\n", family == AF_INET ? "v4" : "v6");
	int a = SHOW(socket(family, SOCK_DGRAM, 0));
	int b = SHOW(socket(family, SOCK_DGRAM, 0));
	SHOW(bind(b, (void *)&ss, len));
	REQUIRE(getsockname(b, (void *)&ss, &len) == 0);
	int big = 1 << 20;
	SHOW(setsockopt(b, SOL_SOCKET, SO_RCVBUF, &big, sizeof big));
	SHOW(sendto(a, out, max, 0, (void *)&ss, len));
	same(SHOW(recv(b, in, sizeof in, 0)), max);
	SHOW(sendto(a, out, max + 1, 0, (void *)&ss, len));
	SHOW(sendto(a, out, 70000, 0, (void *)&ss, len));
	SHOW(connect(a, (void *)&ss, len));
	SHOW(write(a, out, max));
	recv_cut(b, 65000, 0);
	SHOW(write(a, out, 100000));
	struct iovec v[2] = {{out, 40000}, {out + 40000, max - 40000}};
	struct msghdr m = {.msg_iov = v, .msg_iovlen = 2};
	SHOW(sendmsg(a, &m, 0));
	same(SHOW(read(b, in, sizeof in)), max);
	SHOW(recv(b, in, sizeof in, MSG_DONTWAIT));
	close(a);
	close(b);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	fill();
	unix_type(SOCK_DGRAM, "dgram");
	unix_type(SOCK_SEQPACKET, "seqpacket");
	udp(AF_INET, 65507);
	udp(AF_INET6, 65527);
	return 0;
}
