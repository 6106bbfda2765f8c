/* TCP on loopback, IPv4 and IPv6: listen, connect, accept, echo with a
 * forked client; MSG_PEEK, MSG_WAITALL, MSG_DONTWAIT, MSG_TRUNC,
 * FIONREAD, shutdown and end of file; non-blocking connect and accept;
 * the error cases (EADDRINUSE, ECONNREFUSED, EINVAL, ENOTCONN, EISCONN,
 * EPIPE with and without SIGPIPE); the options programs use.  Ports are
 * the kernel's (bound to port 0) and never printed. */
#include "case.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

static socklen_t any_addr(int family, const char *ip, unsigned port,
			  struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)ss;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		inet_pton(AF_INET6, ip, &in6->sin6_addr);
		return sizeof *in6;
	}
	struct sockaddr_in *in = (void *)ss;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	inet_pton(AF_INET, ip, &in->sin_addr);
	return sizeof *in;
}

/* Prints a socket's address (getsockname or getpeername) without port. */
static unsigned show_name(int fd, bool peer)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	char ip[64] = "?";
	int r = peer ? getpeername(fd, (void *)&ss, &len)
		     : getsockname(fd, (void *)&ss, &len);
	if (r < 0) {
		printf("%s: %s\n", peer ? "peer" : "name", case_errname(errno));
		return 0;
	}
	unsigned port;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)&ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		port = ntohs(in6->sin6_port);
	} else {
		struct sockaddr_in *in = (void *)&ss;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		port = ntohs(in->sin_port);
	}
	printf("%s: family %d %s len %u port %s\n", peer ? "peer" : "name",
	       ss.ss_family, ip, (unsigned)len, port ? "set" : "0");
	return port;
}

/* A listener on ip, port 0: its fd, *port the kernel's. */
static int listener(int family, const char *ip, unsigned *port)
{
	struct sockaddr_storage ss;
	socklen_t len = any_addr(family, ip, 0, &ss);
	int fd = SHOW(socket(family, SOCK_STREAM, 0));
	SHOW(bind(fd, (void *)&ss, len));
	SHOW(listen(fd, 8));
	*port = show_name(fd, false);
	return fd;
}

static int connect_to(int family, const char *ip, unsigned port, int flags)
{
	struct sockaddr_storage ss;
	socklen_t len = any_addr(family, ip, port, &ss);
	int fd = SHOW(socket(family, SOCK_STREAM | flags, 0));
	SHOW(connect(fd, (void *)&ss, len));
	return fd;
}

/* The forked client prints nothing (its lines would interleave). */
static void client(int family, const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = any_addr(family, ip, port, &ss);
	int fd = socket(family, SOCK_STREAM, 0);
	REQUIRE(fd >= 0 && connect(fd, (void *)&ss, len) == 0);
	char buf[64] = {0};
	REQUIRE(send(fd, "hello", 5, 0) == 5);
	REQUIRE(recv(fd, buf, 5, MSG_WAITALL) == 5);
	/* 300 bytes in three writes, read by the parent with MSG_WAITALL */
	for (int i = 0; i < 3; i++) {
		memset(buf, 'a' + i, sizeof buf);
		REQUIRE(write(fd, buf, 50) == 50);
		REQUIRE(write(fd, buf, 50) == 50);
		usleep(20000);
	}
	shutdown(fd, SHUT_WR);
	REQUIRE(recv(fd, buf, sizeof buf, 0) == 0); /* the parent closed */
	_exit(0);
}

static void echo(int family, const char *ip)
{
	printf("-- echo %s\n", ip);
	unsigned port;
	int l = listener(family, ip, &port);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		client(family, ip, port);
	int a = SHOW(accept(l, NULL, NULL));
	show_name(a, true);
	show_name(a, false);
	char buf[400] = {0};
	SHOW(recv(a, buf, 5, MSG_PEEK | MSG_WAITALL));
	int n = -1;
	SHOW(ioctl(a, FIONREAD, &n));
	printf("FIONREAD %d\n", n);
	SHOW(recv(a, buf, 2, 0));
	SHOW(recv(a, buf + 2, 3, MSG_WAITALL));
	printf("got %.5s\n", buf);
	SHOW(send(a, "HELLO", 5, 0));
	SHOW(recv(a, buf, 300, MSG_WAITALL));
	printf("%c %c %c\n", buf[0], buf[150], buf[299]);
	SHOW(recv(a, buf, sizeof buf, 0)); /* end of file */
	SHOW(recv(a, buf, sizeof buf, MSG_DONTWAIT));
	SHOW(close(a));
	int st;
	SHOW(waitpid(p, &st, 0) == p);
	printf("client status %d\n", st);
	SHOW(close(l));
}

static void nonblocking(void)
{
	printf("-- non-blocking\n");
	unsigned port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	SHOW(fcntl(l, F_SETFL, O_NONBLOCK));
	SHOW(accept(l, NULL, NULL)); /* nobody yet: EAGAIN */
	struct sockaddr_storage ss;
	socklen_t len = any_addr(AF_INET, "127.0.0.1", port, &ss);
	int c = SHOW(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	int r = connect(c, (void *)&ss, len);
	printf("connect: %s\n",
	       r == 0 || errno == EINPROGRESS ? "0 or EINPROGRESS"
					      : case_errname(errno));
	while ((r = connect(c, (void *)&ss, len)) < 0 &&
	       (errno == EALREADY || errno == EINPROGRESS))
		usleep(1000);
	printf("connected: %s\n",
	       r == 0 || errno == EISCONN ? "yes" : case_errname(errno));
	SHOW(connect(c, (void *)&ss, len)); /* EISCONN */
	int e = -1;
	socklen_t el = sizeof e;
	SHOW(getsockopt(c, SOL_SOCKET, SO_ERROR, &e, &el));
	printf("SO_ERROR %d\n", e);
	int a;
	while ((a = accept4(l, NULL, NULL, SOCK_NONBLOCK)) < 0 && errno == EAGAIN)
		usleep(1000);
	SHOW(a >= 0);
	SHOW(fcntl(a, F_GETFL) & O_NONBLOCK);
	char buf[8];
	SHOW(recv(a, buf, sizeof buf, 0)); /* nothing yet: EAGAIN */
	SHOW(send(c, "x", 1, 0));
	while (recv(a, buf, sizeof buf, 0) < 0 && errno == EAGAIN)
		usleep(1000);
	printf("got %c\n", buf[0]);
	SHOW(close(a));
	/* refused, the non-blocking way: EINPROGRESS, then the error */
	SHOW(close(l));
	int d = SHOW(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	r = connect(d, (void *)&ss, len);
	while (r < 0 && (errno == EALREADY || errno == EINPROGRESS)) {
		usleep(1000);
		r = connect(d, (void *)&ss, len);
	}
	printf("refused: %s\n", r == 0 ? "connected" : case_errname(errno));
	SHOW(close(c));
	SHOW(close(d));
}

static volatile sig_atomic_t pipes;
static void on_pipe(int sig)
{
	(void)sig;
	pipes++;
}

static void errors(void)
{
	printf("-- errors\n");
	unsigned port;
	int l = listener(AF_INET, "127.0.0.1", &port);
	struct sockaddr_storage ss;
	socklen_t len = any_addr(AF_INET, "127.0.0.1", port, &ss);
	int b = SHOW(socket(AF_INET, SOCK_STREAM, 0));
	SHOW(bind(b, (void *)&ss, len)); /* EADDRINUSE */
	SHOW(bind(l, (void *)&ss, len)); /* bound already: EINVAL */
	SHOW(bind(b, (void *)&ss, 4));   /* too short: EINVAL */
	SHOW(accept(b, NULL, NULL));     /* not listening: EINVAL */
	SHOW(getpeername(b, (void *)&ss, &len)); /* ENOTCONN */
	char buf[8];
	SHOW(recv(b, buf, 1, 0));                /* ENOTCONN */
	SHOW(send(b, "x", 1, MSG_NOSIGNAL));     /* EPIPE */
	SHOW(shutdown(b, SHUT_RDWR));            /* ENOTCONN */
	SHOW(socket(AF_INET, SOCK_SEQPACKET, 0)); /* ESOCKTNOSUPPORT */
	SHOW(socket(AF_INET, SOCK_STREAM, IPPROTO_UDP)); /* EPROTONOSUPPORT */
	SHOW(close(l));
	len = any_addr(AF_INET, "127.0.0.1", port, &ss);
	SHOW(connect(b, (void *)&ss, len)); /* closed: ECONNREFUSED */
	SHOW(close(b));
	l = listener(AF_INET, "127.0.0.1", &port);
	len = any_addr(AF_INET, "127.0.0.1", port, &ss);
	int c = connect_to(AF_INET, "127.0.0.1", port, 0);
	SHOW(connect(c, (void *)&ss, len)); /* EISCONN */
	SHOW(shutdown(c, SHUT_WR));
	signal(SIGPIPE, on_pipe);
	SHOW(send(c, "x", 1, MSG_NOSIGNAL)); /* EPIPE, no signal */
	printf("SIGPIPE %d\n", pipes);
	SHOW(send(c, "x", 1, 0)); /* EPIPE and the signal */
	printf("SIGPIPE %d\n", pipes);
	signal(SIGPIPE, SIG_IGN);
	SHOW(write(c, "x", 1)); /* EPIPE, the signal ignored */
	SHOW(send(c, "x", 1, 0));
	SHOW(shutdown(c, 99)); /* EINVAL */
	SHOW(close(c));
	SHOW(close(l));
}

static void options(void)
{
	printf("-- options\n");
	int s = SHOW(socket(AF_INET, SOCK_STREAM, 0));
	int v = 1, got = -1;
	socklen_t len = sizeof got;
	SHOW(getsockopt(s, SOL_SOCKET, SO_TYPE, &got, &len));
	printf("SO_TYPE %d len %u\n", got, (unsigned)len);
	SHOW(setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
	SHOW(getsockopt(s, SOL_SOCKET, SO_REUSEADDR, &got, &len));
	printf("SO_REUSEADDR %d\n", got);
	SHOW(setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &v, sizeof v));
	SHOW(getsockopt(s, IPPROTO_TCP, TCP_NODELAY, &got, &len));
	printf("TCP_NODELAY %d\n", got);
	SHOW(setsockopt(s, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof v));
	struct linger lg = {1, 5}, lgot = {0, 0};
	SHOW(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof lg));
	len = sizeof lgot;
	SHOW(getsockopt(s, SOL_SOCKET, SO_LINGER, &lgot, &len));
	printf("SO_LINGER %d %d len %u\n", lgot.l_onoff, lgot.l_linger,
	       (unsigned)len);
	SHOW(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, 4)); /* EINVAL */
	SHOW(setsockopt(s, SOL_SOCKET, 9999, &v, sizeof v)); /* ENOPROTOOPT */
	struct timeval tv = {0, 100000};
	SHOW(setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	/* a connection nobody writes to: the timeout ends the recv */
	unsigned port;
	int l = listener(AF_INET, "0.0.0.0", &port);
	struct sockaddr_storage ss;
	len = any_addr(AF_INET, "127.0.0.1", port, &ss);
	SHOW(connect(s, (void *)&ss, len));
	show_name(s, true);
	char buf[8];
	SHOW(recv(s, buf, sizeof buf, 0)); /* EAGAIN after 0.1 s */
	SHOW(recv(s, buf, sizeof buf, MSG_WAITALL)); /* the same */
	int a = SHOW(accept(l, NULL, NULL));
	SHOW(send(a, "abcdef", 6, 0));
	SHOW(recv(s, buf, 4, MSG_TRUNC)); /* a stream drops them */
	SHOW(recv(s, buf, sizeof buf, 0));
	printf("rest %.2s\n", buf);
	SHOW(close(a));
	SHOW(close(l));
	SHOW(close(s));
	int s6 = socket(AF_INET6, SOCK_STREAM, 0);
	if (s6 >= 0) {
		got = -1;
		len = sizeof got;
		SHOW(getsockopt(s6, IPPROTO_IPV6, IPV6_V6ONLY, &got, &len));
		SHOW(close(s6));
	}
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	echo(AF_INET, "127.0.0.1");
	echo(AF_INET6, "::1");
	nonblocking();
	errors();
	options();
	return 0;
}
