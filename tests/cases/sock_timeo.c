/* A negative SO_RCVTIMEO/SO_SNDTIMEO: Linux's sock_set_timeout makes the
 * timeout 0, which does not wait at all (EAGAIN at once, or what was
 * there), while getsockopt shows {0, 0} as for "wait for ever".  On
 * unix stream and datagram sockets, TCP (recv, MSG_WAITALL, accept,
 * send) and UDP.  A wait is caught: each call must end within a second,
 * and one for ever ends with SIGALRM.  Ports are never printed. */
#include "case.h"
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Sets both timeouts of fd to {sec, 0} and shows what getsockopt says. */
static void negative(int fd, long sec)
{
	struct timeval tv = {sec, 0}, got = {7, 7};
	socklen_t len = sizeof got;
	SHOW(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	SHOW(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv));
	SHOW(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	printf("rcvtimeo %ld %ld\n", (long)got.tv_sec, (long)got.tv_usec);
	got = (struct timeval){7, 7};
	SHOW(getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &got, &len));
	printf("sndtimeo %ld %ld\n", (long)got.tv_sec, (long)got.tv_usec);
}

/* Fills fd's way out: the first send takes what fits, the next takes
 * what room was made meanwhile (over TCP loopback, what the receiver took
 * by then: a matter of timing) or none (EAGAIN); neither waits. */
static void fill(int fd)
{
	static char big[4 << 20];
	double t = now();
	long n = (long)send(fd, big, sizeof big, MSG_NOSIGNAL);
	printf("first send took part: %d\n", n > 0 && n < (long)sizeof big);
	n = (long)send(fd, big, sizeof big, MSG_NOSIGNAL);
	printf("second send took part or none: %d\n",
	       (n > 0 && n < (long)sizeof big) || (n < 0 && errno == EAGAIN));
	printf("quick %d\n", now() - t < 1.0);
}

static void unix_socks(void)
{
	int sv[2];
	char buf[8];
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	negative(sv[0], -1);
	double t = now();
	SHOW(recv(sv[0], buf, sizeof buf, 0));
	SHOW(read(sv[0], buf, sizeof buf));
	SHOW(write(sv[1], "abc", 3));
	SHOW(recv(sv[0], buf, sizeof buf, MSG_WAITALL)); /* what is there */
	printf("quick %d\n", now() - t < 1.0);
	fill(sv[0]);
	SHOW(close(sv[0]));
	SHOW(close(sv[1]));
	SHOW(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	negative(sv[0], -1000000);
	t = now();
	SHOW(recv(sv[0], buf, sizeof buf, 0));
	printf("quick %d\n", now() - t < 1.0);
	SHOW(close(sv[0]));
	SHOW(close(sv[1]));
}

static socklen_t lo(int fd, struct sockaddr_in *in)
{
	socklen_t len = sizeof *in;
	memset(in, 0, sizeof *in);
	in->sin_family = AF_INET;
	in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	SHOW(bind(fd, (void *)in, len));
	SHOW(getsockname(fd, (void *)in, &len));
	return len;
}

static void tcp(void)
{
	struct sockaddr_in in;
	char buf[8];
	int l = SHOW(socket(AF_INET, SOCK_STREAM, 0));
	socklen_t len = lo(l, &in);
	SHOW(listen(l, 4));
	negative(l, -2);
	double t = now();
	SHOW(accept(l, NULL, NULL));
	printf("quick %d\n", now() - t < 1.0);
	int c = SHOW(socket(AF_INET, SOCK_STREAM, 0));
	SHOW(connect(c, (void *)&in, len));
	int a = SHOW(accept(l, NULL, NULL));
	negative(a, -1);
	t = now();
	SHOW(recv(a, buf, sizeof buf, 0));
	SHOW(send(c, "abc", 3, 0));
	struct pollfd p = {a, POLLIN, 0}; /* on its way through loopback */
	poll(&p, 1, 5000);
	SHOW(recv(a, buf, sizeof buf, MSG_WAITALL)); /* what is there */
	SHOW(recv(a, buf, sizeof buf, MSG_WAITALL));
	printf("quick %d\n", now() - t < 1.0);
	fill(a);
	SHOW(close(a));
	SHOW(close(c));
	SHOW(close(l));
}

static void udp(void)
{
	struct sockaddr_in in;
	char buf[8];
	int u = SHOW(socket(AF_INET, SOCK_DGRAM, 0));
	lo(u, &in);
	negative(u, -1);
	double t = now();
	SHOW(recvfrom(u, buf, sizeof buf, 0, NULL, NULL));
	printf("quick %d\n", now() - t < 1.0);
	SHOW(close(u));
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	alarm(20);
	unix_socks();
	tcp();
	udp();
	return 0;
}
