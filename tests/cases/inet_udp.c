/* UDP on loopback: sendto/recvfrom with the sender's address, MSG_PEEK,
 * MSG_TRUNC (a datagram's real length), a datagram cut to the buffer,
 * empty datagrams, connect (and AF_UNSPEC to undo it), a socket bound to
 * the wildcard, SO_RCVTIMEO, non-blocking EAGAIN, FIONREAD, and the error
 * cases.  Ports are the kernel's and never printed. */
#include "case.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

static socklen_t v4(const char *ip, unsigned port, struct sockaddr_in *in)
{
	memset(in, 0, sizeof *in);
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &in->sin_addr);
	return sizeof *in;
}

/* A datagram socket bound to ip, port 0: *port the kernel's. */
static int bound(const char *ip, unsigned *port)
{
	struct sockaddr_in in;
	socklen_t len = v4(ip, 0, &in);
	int fd = SHOW(socket(AF_INET, SOCK_DGRAM, 0));
	SHOW(bind(fd, (void *)&in, len));
	len = sizeof in;
	SHOW(getsockname(fd, (void *)&in, &len));
	char s[32];
	printf("bound to %s len %u\n",
	       inet_ntop(AF_INET, &in.sin_addr, s, sizeof s), (unsigned)len);
	*port = ntohs(in.sin_port);
	return fd;
}

/* recvfrom, and whether the sender was who we think */
static void recv_from(int fd, size_t cap, int flags, unsigned from_port)
{
	char buf[64] = {0};
	struct sockaddr_in in;
	socklen_t len = sizeof in;
	long n = SHOW(recvfrom(fd, buf, cap, flags, (void *)&in, &len));
	if (n < 0)
		return;
	char s[32];
	printf("got '%.*s' from %s len %u right port %d\n",
	       (int)(n < (long)cap ? n : (long)cap), buf,
	       inet_ntop(AF_INET, &in.sin_addr, s, sizeof s), (unsigned)len,
	       ntohs(in.sin_port) == from_port);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	unsigned pa, pb;
	int a = bound("127.0.0.1", &pa), b = bound("0.0.0.0", &pb);
	struct sockaddr_in to;
	socklen_t tl = v4("127.0.0.1", pb, &to);
	SHOW(sendto(a, "datagram", 8, 0, (void *)&to, tl));
	SHOW(sendto(a, "", 0, 0, (void *)&to, tl));
	SHOW(sendto(a, "0123456789", 10, 0, (void *)&to, tl));
	int n = -1;
	SHOW(ioctl(b, FIONREAD, &n)); /* the first datagram's size */
	printf("FIONREAD %d\n", n);
	recv_from(b, 64, MSG_PEEK, pa);
	recv_from(b, 4, MSG_TRUNC, pa); /* 8: its real length */
	recv_from(b, 64, 0, pa);        /* the empty one */
	recv_from(b, 4, 0, pa);         /* cut, the rest dropped */
	recv_from(b, 64, MSG_DONTWAIT, pa); /* EAGAIN */
	struct timeval tv = {0, 50000};
	SHOW(setsockopt(b, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	recv_from(b, 64, 0, pa); /* EAGAIN after 50 ms */
	/* connected: send without an address, datagrams from others dropped */
	struct sockaddr_in back;
	socklen_t bl = v4("127.0.0.1", pa, &back);
	SHOW(connect(b, (void *)&back, bl));
	SHOW(send(b, "reply", 5, 0));
	recv_from(a, 64, 0, pb);
	unsigned pc;
	int c = bound("127.0.0.1", &pc);
	SHOW(sendto(c, "stranger", 8, 0, (void *)&to, tl));
	SHOW(send(a, "x", 1, 0)); /* a is not connected: EDESTADDRREQ */
	SHOW(sendto(a, "from a", 6, 0, (void *)&to, tl));
	recv_from(b, 64, 0, pa); /* the stranger's was dropped */
	struct sockaddr unspec = {.sa_family = AF_UNSPEC};
	SHOW(connect(b, &unspec, sizeof unspec));
	SHOW(getpeername(b, (void *)&back, &bl)); /* ENOTCONN */
	SHOW(listen(a, 1));                       /* EOPNOTSUPP */
	SHOW(accept(a, NULL, NULL));              /* EOPNOTSUPP */
	SHOW(sendto(a, "x", 1, 0, (void *)&to, 4)); /* EINVAL */
	SHOW(close(a));
	SHOW(close(b));
	SHOW(close(c));
	return 0;
}
