/* A signal handler with SA_RESTART and the waits Linux never restarts
 * (signal(7)): poll, select and epoll_wait end with EINTR, even when the
 * handler itself makes their fd ready (the self-pipe pattern), while a
 * read on a pipe goes on and gets the handler's byte.  The signal comes
 * from a forked child once the parent is waiting. */
#include "case.h"
#include <poll.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <time.h>

static int self_pipe[2];

static void wake(int sig)
{
	(void)sig;
	char b = 'x';
	(void)write(self_pipe[1], &b, 1);
}

/* A child that sends SIGUSR1 to us after 200 ms: its pid. */
static pid_t signal_later(void)
{
	pid_t parent = getpid();
	fflush(stdout);
	pid_t p = fork();
	REQUIRE(p >= 0);
	if (p == 0) {
		struct timespec ts = {0, 200 * 1000 * 1000};
		nanosleep(&ts, NULL);
		kill(parent, SIGUSR1);
		_exit(0);
	}
	return p;
}

/* The byte the handler wrote, then the child reaped. */
static void drain(pid_t child)
{
	char b;
	SHOW(read(self_pipe[0], &b, 1));
	REQUIRE(waitpid(child, NULL, 0) == child);
}

static void in_poll(void)
{
	pid_t child = signal_later();
	struct pollfd p = {self_pipe[0], POLLIN, 0};
	SHOW(poll(&p, 1, 5000));
	printf("revents %#x\n", p.revents);
	drain(child);
}

static void in_select(void)
{
	pid_t child = signal_later();
	fd_set r;
	FD_ZERO(&r);
	FD_SET(self_pipe[0], &r);
	struct timeval tv = {5, 0};
	SHOW(select(self_pipe[0] + 1, &r, NULL, NULL, &tv));
	drain(child);
}

static void in_epoll_wait(void)
{
	int ep = SHOW(epoll_create1(0));
	int other[2];
	REQUIRE(pipe(other) == 0);
	/* a pipe the handler does not write: the wait can only be ended */
	struct epoll_event ev = {.events = EPOLLIN, .data.fd = other[0]};
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, other[0], &ev));
	pid_t child = signal_later();
	SHOW(epoll_wait(ep, &ev, 1, 5000));
	drain(child);
	close(other[0]);
	close(other[1]);
	close(ep);
}

/* A read is restarted: it returns the handler's byte. */
static void in_read(void)
{
	pid_t child = signal_later();
	char b = 0;
	SHOW(read(self_pipe[0], &b, 1));
	printf("read %c\n", b);
	REQUIRE(waitpid(child, NULL, 0) == child);
}

int main(void)
{
	REQUIRE(pipe(self_pipe) == 0);
	struct sigaction sa = {.sa_handler = wake, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0);
	in_poll();
	in_select();
	in_epoll_wait();
	in_read();
	return 0;
}
