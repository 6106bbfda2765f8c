/* tcp serve | tcp rtt PORT N | tcp put PORT MIB: TCP on 127.0.0.1 between
 * a host server and a client (natively, or a cage under lind-run).
 * serve prints its port and answers connections one after another: one
 * that starts with 'r' gets every byte echoed, one that starts with 't'
 * is read to its end and acknowledged with a byte.  rtt prints the
 * microseconds of a 1-byte round trip (mean of N); put prints MiB/s of
 * MIB mebibytes in 64 KiB writes, up to the server's acknowledgement. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static char chunk[65536];

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static struct sockaddr_in loopback(unsigned port)
{
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	return in;
}

static void one(int a)
{
	char c;
	ssize_t n;
	int on = 1;
	setsockopt(a, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	if (recv(a, &c, 1, 0) != 1)
		return;
	if (c == 'r') {
		while (recv(a, &c, 1, 0) == 1 && send(a, &c, 1, 0) == 1)
			;
		return;
	}
	while ((n = recv(a, chunk, sizeof chunk, 0)) > 0)
		;
	(void)!send(a, "k", 1, 0);
}

static int serve(void)
{
	struct sockaddr_in in = loopback(0);
	socklen_t len = sizeof in;
	int l = socket(AF_INET, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (void *)&in, len) < 0 || listen(l, 4) < 0 ||
	    getsockname(l, (void *)&in, &len) < 0)
		return perror("tcp: serve"), 1;
	printf("%u\n", ntohs(in.sin_port));
	fflush(stdout);
	for (;;) {
		int a = accept(l, NULL, NULL);
		if (a < 0)
			return perror("tcp: accept"), 1;
		one(a);
		close(a);
	}
}

static int dial(unsigned port, char kind)
{
	struct sockaddr_in in = loopback(port);
	int fd = socket(AF_INET, SOCK_STREAM, 0), on = 1;
	if (fd < 0 || connect(fd, (void *)&in, sizeof in) < 0) {
		perror("tcp: connect");
		exit(1);
	}
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof on);
	if (send(fd, &kind, 1, 0) != 1)
		exit(1);
	return fd;
}

static int rtt(unsigned port, long n)
{
	int fd = dial(port, 'r');
	char c = 'x';
	double t = now_s();
	for (long i = 0; i < n; i++)
		if (send(fd, &c, 1, 0) != 1 || recv(fd, &c, 1, 0) != 1)
			return perror("tcp: rtt"), 1;
	printf("%.1f\n", (now_s() - t) * 1e6 / n);
	return 0;
}

static int put(unsigned port, long mib)
{
	int fd = dial(port, 't');
	double t = now_s();
	for (long i = 0; i < mib * 16; i++)
		if (send(fd, chunk, sizeof chunk, 0) != (ssize_t)sizeof chunk)
			return perror("tcp: put"), 1;
	shutdown(fd, SHUT_WR);
	char c;
	if (recv(fd, &c, 1, 0) != 1)
		return perror("tcp: ack"), 1;
	printf("%.1f\n", mib / (now_s() - t));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && argv[1][0] == 's')
		return serve();
	if (argc == 4 && argv[1][0] == 'r')
		return rtt((unsigned)atoi(argv[2]), atol(argv[3]));
	if (argc == 4 && argv[1][0] == 'p')
		return put((unsigned)atoi(argv[2]), atol(argv[3]));
	fprintf(stderr, "usage: tcp serve | tcp rtt PORT N | tcp put PORT MIB\n");
	return 2;
}
