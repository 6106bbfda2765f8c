/* TCP and UDP servers in forked processes, as lmbench's lat_tcp runs
 * them: a launcher forks the server and exits at once (the daemon
 * pattern: the server outlives its parent); the server forks a child per
 * connection and reaps them from SIGCHLD; a client does ten one-byte
 * transactions after a size header, then an empty connection stops the
 * server.  Then a UDP echo server in a child.  Ports are the kernel's
 * (port 0), sent to the parent through a pipe and never printed. */
#include "case.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

static struct sockaddr_in loopback(unsigned port)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_port = htons((uint16_t)port),
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	return a;
}

static unsigned bound_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	REQUIRE(getsockname(fd, (struct sockaddr *)&a, &len) == 0);
	return ntohs(a.sin_port);
}

static void reap(int sig)
{
	(void)sig;
	while (waitpid(-1, NULL, WNOHANG) > 0)
		;
}

/* lmbench's doserver: a size, then echo blocks of it; none: stop. */
static int serve_one(int c)
{
	int n;
	if (read(c, &n, sizeof n) != sizeof n)
		return 1;
	char buf[64];
	int size = ntohl(n);
	if (size < 1 || size > (int)sizeof buf)
		return 0;
	while (read(c, buf, (size_t)size) > 0)
		if (write(c, buf, (size_t)size) != size)
			break;
	return 0;
}

/* Accepts until an empty connection; a forked child serves each. */
static void server(int port_out)
{
	signal(SIGCHLD, reap);
	int l = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP), one = 1;
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	struct sockaddr_in a = loopback(0);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 100) < 0)
		_exit(2);
	unsigned port = bound_port(l);
	REQUIRE(write(port_out, &port, sizeof port) == sizeof port);
	for (;;) {
		int c = accept(l, NULL, NULL);
		if (c < 0)
			continue; /* EINTR: a child was reaped */
		int peek;
		if (recv(c, &peek, 1, MSG_PEEK) <= 0) /* the empty one */
			_exit(0);
		pid_t p = fork();
		if (p == 0) {
			close(l);
			_exit(serve_one(c));
		}
		close(c);
	}
}

static int transactions(unsigned port)
{
	struct sockaddr_in a = loopback(port);
	int s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP);
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
		return -1;
	int size = htonl(1), i;
	REQUIRE(write(s, &size, sizeof size) == sizeof size);
	char b = 'X';
	for (i = 0; i < 10; i++)
		if (write(s, &b, 1) != 1 || read(s, &b, 1) != 1)
			break;
	close(s);
	s = socket(AF_INET, SOCK_STREAM, IPPROTO_TCP); /* the stop */
	SHOW(connect(s, (struct sockaddr *)&a, sizeof a));
	close(s);
	return i;
}

/* run(fd) in a forked child, which sends a port to fd: its pid, and in
 * *in the pipe's end to read it from. */
static pid_t forked(void (*run)(int), int *in)
{
	int p[2];
	REQUIRE(pipe(p) == 0);
	fflush(stdout);
	pid_t c = fork();
	REQUIRE(c >= 0);
	if (c == 0) {
		close(p[0]);
		run(p[1]);
		_exit(0);
	}
	close(p[1]);
	*in = p[0];
	return c;
}

static unsigned port_from(int in)
{
	unsigned port = 0;
	REQUIRE(read(in, &port, sizeof port) == sizeof port);
	close(in);
	return port;
}

/* The daemon pattern: the server lives on after its launcher. */
static void launcher(int port_out)
{
	if (fork() == 0)
		server(port_out);
}

static void daemon_pattern(void)
{
	int in, st;
	pid_t l = forked(launcher, &in);
	REQUIRE(waitpid(l, &st, 0) == l);
	printf("launcher exited %d\n", WEXITSTATUS(st));
	printf("transactions %d\n", transactions(port_from(in)));
}

static void udp_server(int port_out)
{
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	struct sockaddr_in a = loopback(0), from;
	socklen_t flen = sizeof from;
	char b[64];
	if (bind(s, (struct sockaddr *)&a, sizeof a) < 0)
		_exit(2);
	unsigned port = bound_port(s);
	REQUIRE(write(port_out, &port, sizeof port) == sizeof port);
	ssize_t n = recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&from, &flen);
	_exit(n > 0 && sendto(s, b, (size_t)n, 0, (struct sockaddr *)&from,
			      flen) == n ? 0 : 1);
}

static void udp_echo(void)
{
	int in, st;
	pid_t child = forked(udp_server, &in);
	unsigned port = port_from(in);
	struct sockaddr_in a = loopback(port), from;
	socklen_t flen = sizeof from;
	int s = SHOW(socket(AF_INET, SOCK_DGRAM, 0));
	SHOW(sendto(s, "Hello UDP", 9, 0, (struct sockaddr *)&a, sizeof a));
	char b[64] = {0};
	SHOW(recvfrom(s, b, sizeof b, 0, (struct sockaddr *)&from, &flen));
	printf("echo %s from the server's port: %d\n", b,
	       ntohs(from.sin_port) == port);
	REQUIRE(waitpid(child, &st, 0) == child);
	printf("udp server exited %d\n", WEXITSTATUS(st));
	close(s);
}

int main(void)
{
	daemon_pattern();
	udp_echo();
	return 0;
}
