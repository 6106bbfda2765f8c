/* Readiness of unix sockets through select, poll and epoll: a
 * socketpair with data, a listener once a forked child connects (select
 * with a timeout, then accept's peer address: an unbound AF_UNIX one), a
 * non-blocking connect then select for writing and getpeername; epoll's
 * errors on a closed set and an fd not in it; writev with an empty iovec
 * and sendmsg of two iovecs as one datagram; a forked reader selecting
 * on a pipe, and reading a socketpair, until the writer's end of file. */
#include "case.h"
#include <poll.h>
#include <stdbool.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

static void pair_ready(void)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	fd_set r;
	FD_ZERO(&r);
	FD_SET(sv[1], &r);
	struct timeval tv = {0, 0};
	SHOW(select(sv[1] + 1, &r, NULL, NULL, &tv));
	SHOW(send(sv[0], "PING", 4, 0));
	FD_SET(sv[1], &r);
	SHOW(select(sv[1] + 1, &r, NULL, NULL, NULL));
	SHOW(FD_ISSET(sv[1], &r));
	struct pollfd p = {sv[1], POLLIN | POLLOUT, 0};
	SHOW(poll(&p, 1, 1000));
	printf("revents %#x\n", p.revents);
	int ep = SHOW(epoll_create1(0));
	struct epoll_event ev = {.events = EPOLLIN | EPOLLET, .data.fd = sv[1]};
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, sv[1], &ev));
	SHOW(epoll_wait(ep, &ev, 1, 1000));
	printf("events %#x fd is sv[1]: %d\n", ev.events, ev.data.fd == sv[1]);
	SHOW(epoll_wait(ep, &ev, 1, 0)); /* the edge was taken */
	char b[8];
	SHOW(recv(sv[1], b, sizeof b, 0));
	SHOW(epoll_ctl(ep, EPOLL_CTL_MOD, sv[0], &ev)); /* not in the set */
	close(ep);
	SHOW(epoll_wait(ep, &ev, 1, 0)); /* closed */
	close(sv[0]);
	close(sv[1]);
}

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return sizeof *a;
}

/* A child connects after 200 ms and writes a line. */
static void listener_ready(void)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "ready.sock");
	int l = SHOW(socket(AF_UNIX, SOCK_STREAM, 0));
	SHOW(bind(l, (struct sockaddr *)&a, len));
	SHOW(listen(l, 1));
	fflush(stdout);
	pid_t p = fork();
	REQUIRE(p >= 0);
	if (p == 0) {
		usleep(200000);
		int c = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(c, (struct sockaddr *)&a, len) < 0 ||
		    write(c, "ping\n", 5) != 5)
			_exit(1);
		_exit(0);
	}
	fd_set r;
	FD_ZERO(&r);
	FD_SET(l, &r);
	struct timeval tv = {5, 0};
	SHOW(select(l + 1, &r, NULL, NULL, &tv));
	struct sockaddr_storage peer;
	memset(&peer, 0xff, sizeof peer);
	socklen_t plen = sizeof peer;
	int c = SHOW(accept(l, (struct sockaddr *)&peer, &plen));
	printf("peer family %d len %u\n", peer.ss_family, (unsigned)plen);
	char b[16] = {0};
	SHOW(read(c, b, sizeof b - 1));
	printf("read %s", b);
	int st;
	REQUIRE(waitpid(p, &st, 0) == p);
	printf("child status %d\n", WEXITSTATUS(st));
	close(c);
	close(l);
	unlink("ready.sock");
}

/* A non-blocking connect to a listener: select says writable. */
static void nonblocking_connect(void)
{
	struct sockaddr_un a, me, junk;
	socklen_t len = path_addr(&a, "server.sock");
	int l = SHOW(socket(AF_UNIX, SOCK_STREAM, 0));
	SHOW(bind(l, (struct sockaddr *)&a, len));
	SHOW(listen(l, 3));
	int c = SHOW(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
	SHOW(bind(c, (struct sockaddr *)&me, path_addr(&me, "client.sock")));
	SHOW(connect(c, (struct sockaddr *)&a, len));
	fd_set w;
	FD_ZERO(&w);
	FD_SET(c, &w);
	SHOW(select(c + 1, NULL, &w, NULL, NULL));
	socklen_t jlen = sizeof junk;
	SHOW(getpeername(c, (struct sockaddr *)&junk, &jlen));
	printf("peer %s\n", junk.sun_path);
	SHOW(send(c, "Hello", 5, 0));
	struct sockaddr_un from;
	socklen_t flen = sizeof from;
	int s = SHOW(accept(l, (struct sockaddr *)&from, &flen));
	printf("accepted from %s\n", from.sun_path);
	close(s);
	char b[8];
	SHOW(recv(c, b, sizeof b, 0)); /* the server closed: end of file */
	close(c);
	close(l);
	unlink("server.sock");
	unlink("client.sock");
}

static void vectors(void)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct iovec iov[3] = {{"start", 5}, {NULL, 0}, {"end", 3}};
	SHOW(writev(sv[0], iov, 3));
	char b[32] = {0};
	SHOW(read(sv[1], b, sizeof b));
	printf("read %s\n", b);
	close(sv[0]);
	close(sv[1]);
	REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	struct iovec two[2] = {{"hello-", 6}, {"world", 5}};
	struct msghdr m = {.msg_iov = two, .msg_iovlen = 2};
	SHOW(sendmsg(sv[0], &m, 0));
	memset(b, 0, sizeof b);
	struct iovec one = {b, sizeof b - 1};
	struct msghdr rm = {.msg_iov = &one, .msg_iovlen = 1};
	SHOW(recvmsg(sv[1], &rm, 0));
	printf("one datagram %s\n", b);
	close(sv[0]);
	close(sv[1]);
}

/* The child reads fd until end of file, waiting in select first: its
 * exit status is the byte count. */
static void reader_child(int fd, int other)
{
	close(other);
	int total = 0;
	char b[64];
	for (;;) {
		fd_set r;
		FD_ZERO(&r);
		FD_SET(fd, &r);
		if (select(fd + 1, &r, NULL, NULL, NULL) != 1)
			_exit(255);
		ssize_t n = read(fd, b, sizeof b);
		if (n <= 0)
			_exit(n == 0 ? total : 255);
		total += (int)n;
	}
}

static void across_fork(bool sock)
{
	int p[2];
	if (sock)
		REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, p) == 0);
	else
		REQUIRE(pipe(p) == 0);
	fflush(stdout);
	pid_t c = fork();
	REQUIRE(c >= 0);
	if (c == 0)
		reader_child(p[0], p[1]);
	close(p[0]);
	usleep(100000); /* the reader waits in select first */
	SHOW(write(p[1], "PING", 4));
	SHOW(write(p[1], "shutdown_fork_payload", 21));
	if (sock)
		SHOW(shutdown(p[1], SHUT_WR));
	close(p[1]);
	int st;
	REQUIRE(waitpid(c, &st, 0) == c);
	printf("%s reader read %d\n", sock ? "socketpair" : "pipe",
	       WEXITSTATUS(st));
}

int main(void)
{
	enter_scratch();
	pair_ready();
	listener_ready();
	nonblocking_connect();
	vectors();
	across_fork(false);
	across_fork(true);
	return 0;
}
