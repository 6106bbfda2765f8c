/* MSG_OOB: urgent data on TCP (loopback) and on AF_UNIX streams, as the
 * host's kernel does it: send with MSG_OOB, recv/recvmsg MSG_OOB (and
 * MSG_PEEK), reads stopping at the mark, SIOCATMARK, poll's POLLPRI and
 * select's exceptfds, SO_OOBINLINE, a second urgent byte superseding the
 * first, EINVAL with none; datagram and seqpacket sockets EOPNOTSUPP. */
#include "case_tcp.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/select.h>
#include <sys/socket.h>

static void atmark(int fd)
{
	int at = -1;
	SHOW(ioctl(fd, SIOCATMARK, &at));
	printf("  at mark %d\n", at);
}

static void readable(int fd)
{
	struct pollfd p = {fd, POLLIN | POLLPRI, 0};
	/* TCP's urgent pointer may come a moment after the call */
	SHOW(poll(&p, 1, 2000));
	printf("  revents%s%s\n", p.revents & POLLIN ? " IN" : "",
	       p.revents & POLLPRI ? " PRI" : "");
	fd_set r, x;
	FD_ZERO(&r);
	FD_ZERO(&x);
	FD_SET(fd, &r);
	FD_SET(fd, &x);
	struct timeval tv = {0, 0};
	SHOW(select(fd + 1, &r, NULL, &x, &tv));
	printf("  read %d except %d\n", FD_ISSET(fd, &r), FD_ISSET(fd, &x));
}

static void recv_show(int fd, size_t cap, int flags)
{
	char buf[64] = {0};
	long n = SHOW(recv(fd, buf, cap, flags));
	if (n > 0)
		printf("  '%.*s'\n", (int)n, buf);
}

static void recvmsg_oob(int fd)
{
	char c = 0;
	struct iovec v = {&c, 1};
	struct msghdr m = {.msg_iov = &v, .msg_iovlen = 1};
	long n = SHOW(recvmsg(fd, &m, MSG_OOB));
	if (n > 0)
		printf("  '%c' MSG_OOB %d\n", c, !!(m.msg_flags & MSG_OOB));
}

static void inq(int fd)
{
	int n = -1;
	SHOW(ioctl(fd, FIONREAD, &n));
	printf("  inq %d\n", n);
}

/* the same on any connected stream pair a -> b */
static void urgent(int a, int b)
{
	SHOW(recv(b, (char[4]){0}, 1, MSG_OOB | MSG_DONTWAIT));
	atmark(b);
	SHOW(send(a, "abc", 3, 0));
	SHOW(send(a, "dX", 2, MSG_OOB));
	SHOW(send(a, "efg", 3, 0));
	readable(b);
	inq(b);
	atmark(b);
	recv_show(b, 1, MSG_OOB | MSG_PEEK);
	recv_show(b, sizeof "abcd", MSG_PEEK);
	recv_show(b, 64, 0); /* up to the mark */
	atmark(b);
	recvmsg_oob(b);
	atmark(b);
	inq(b);
	SHOW(recv(b, (char[4]){0}, 1, MSG_OOB));
	readable(b);
	recv_show(b, 64, 0);
	/* read past the mark without taking the urgent byte: it is gone */
	SHOW(send(a, "hi", 2, MSG_OOB));
	SHOW(send(a, "jk", 2, 0));
	readable(b);
	recv_show(b, 64, 0);
	recv_show(b, 64, 0);
	SHOW(recv(b, (char[4]){0}, 1, MSG_OOB | MSG_DONTWAIT));
	/* a second urgent byte before the first is read */
	SHOW(send(a, "lM", 2, MSG_OOB));
	readable(b);
	SHOW(send(a, "nO", 2, MSG_OOB));
	readable(b);
	recv_show(b, 64, 0);
	recvmsg_oob(b);
	/* inline */
	int one = 1, v = -1;
	socklen_t len = sizeof v;
	SHOW(setsockopt(b, SOL_SOCKET, SO_OOBINLINE, &one, sizeof one));
	SHOW(getsockopt(b, SOL_SOCKET, SO_OOBINLINE, &v, &len));
	printf("  inline %d\n", v);
	SHOW(send(a, "pQ", 2, MSG_OOB));
	SHOW(send(a, "rs", 2, 0));
	readable(b);
	SHOW(recv(b, (char[4]){0}, 1, MSG_OOB));
	recv_show(b, 64, 0);
	atmark(b);
	recv_show(b, 64, 0);
	SHOW(send(a, "", 0, MSG_OOB));
}

static void tcp(void)
{
	printf("== tcp\n");
	struct tcp_conn t = tcp_loopback();
	int one = 1;
	SHOW(setsockopt(t.client, IPPROTO_TCP, 1 /* TCP_NODELAY */, &one,
			sizeof one));
	urgent(t.client, t.server);
	tcp_close(t);
}

static void unix_stream(void)
{
	printf("== unix stream\n");
	int sv[2];
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	urgent(sv[0], sv[1]);
	close(sv[0]);
	close(sv[1]);
	int types[] = {SOCK_DGRAM, SOCK_SEQPACKET};
	for (int i = 0; i < 2; i++) {
		printf("== unix type %d\n", types[i]);
		SHOW(socketpair(AF_UNIX, types[i], 0, sv));
		SHOW(send(sv[0], "x", 1, MSG_OOB));
		SHOW(send(sv[0], "x", 1, 0));
		SHOW(recv(sv[1], (char[4]){0}, 1, MSG_OOB));
		atmark(sv[1]);
		close(sv[0]);
		close(sv[1]);
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	tcp();
	unix_stream();
	return 0;
}
