/*
 * make bench: sockets between processes.  sock unix-rtt N: N 1-byte round
 * trips over an AF_UNIX stream socketpair between a parent and its forked
 * child (two cages under lind-run); prints the mean in us.  sock
 * epoll-idle N: 1,000 idle socketpairs in one epoll set plus one pair
 * made ready and drained N times; prints the mean epoll_wait round in us.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int unix_rtt(long n)
{
	int sv[2];
	char c = 'x';
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
		return perror("socketpair"), 1;
	pid_t pid = fork();
	if (pid == 0) {
		close(sv[0]);
		while (read(sv[1], &c, 1) == 1 && write(sv[1], &c, 1) == 1)
			;
		_exit(0);
	}
	close(sv[1]);
	double t0 = now_us();
	for (long i = 0; i < n; i++)
		if (write(sv[0], &c, 1) != 1 || read(sv[0], &c, 1) != 1)
			return perror("round trip"), 1;
	double t = now_us() - t0;
	close(sv[0]);
	waitpid(pid, NULL, 0);
	printf("%.2f\n", t / n);
	return 0;
}

static int epoll_idle(long n)
{
	int ep = epoll_create1(0), sv[2];
	for (int i = 0; i < 500; i++) { /* 1,000 idle sockets */
		if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) < 0)
			return perror("socketpair"), 1;
		for (int k = 0; k < 2; k++) {
			struct epoll_event ev = {.events = EPOLLIN, .data.fd = sv[k]};
			epoll_ctl(ep, EPOLL_CTL_ADD, sv[k], &ev);
		}
	}
	int live[2];
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, live) < 0)
		return perror("socketpair"), 1;
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = live[1]}, out[8];
	epoll_ctl(ep, EPOLL_CTL_ADD, live[1], &ev);
	char c = 'x';
	double t0 = now_us();
	for (long i = 0; i < n; i++) {
		if (write(live[0], &c, 1) != 1 ||
		    epoll_wait(ep, out, 8, -1) != 1 || read(live[1], &c, 1) != 1)
			return perror("epoll round"), 1;
	}
	printf("%.2f\n", (now_us() - t0) / n);
	return 0;
}

int main(int argc, char **argv)
{
	long n = argc > 2 ? atol(argv[2]) : 10000;
	if (argc > 1 && !strcmp(argv[1], "unix-rtt"))
		return unix_rtt(n);
	if (argc > 1 && !strcmp(argv[1], "epoll-idle"))
		return epoll_idle(n);
	fprintf(stderr, "usage: sock unix-rtt|epoll-idle [N]\n");
	return 2;
}
