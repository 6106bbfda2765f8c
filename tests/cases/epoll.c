/* epoll: create and create1 (EPOLL_CLOEXEC), ctl's errors (EEXIST,
 * ENOENT, EINVAL, ELOOP, EPERM for files and directories, EBADF),
 * level- and edge-triggered pipes, EPOLLONESHOT and MOD, EPOLLRDHUP
 * accepted, EPOLLEXCLUSIVE's rules, HUP and ERR, timeouts, a wait woken
 * by a thread, EINTR, an instance inside another and under poll, a close
 * of the last reference leaving the set, dup keeping it, fork sharing
 * the set, eventfd and timerfd items, epoll_pwait's mask, and
 * epoll_pwait2. */
#include "case.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

static int add(int ep, int fd, uint32_t ev, uint64_t data)
{
	struct epoll_event e = {.events = ev, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
}

static int mod(int ep, int fd, uint32_t ev, uint64_t data)
{
	struct epoll_event e = {.events = ev, .data.u64 = data};
	return epoll_ctl(ep, EPOLL_CTL_MOD, fd, &e);
}

/* Waits and prints what came, sorted by data so the order is fixed. */
static int wait_show(int ep, int max, int ms)
{
	struct epoll_event ev[16];
	int n = epoll_wait(ep, ev, max, ms);
	if (n < 0) {
		printf("  wait = -1 %s\n", case_errname(errno));
		return n;
	}
	for (int i = 0; i < n; i++)
		for (int j = i + 1; j < n; j++)
			if (ev[j].data.u64 < ev[i].data.u64) {
				struct epoll_event t = ev[i];
				ev[i] = ev[j];
				ev[j] = t;
			}
	printf("  wait = %d:", n);
	for (int i = 0; i < n; i++)
		printf(" [%llu %#x]", (unsigned long long)ev[i].data.u64,
		       ev[i].events);
	printf("\n");
	return n;
}

static void errors(void)
{
	int ep = SHOW(epoll_create(1));
	SHOW(epoll_create(0));
	SHOW(epoll_create1(0x1));
	int ep2 = SHOW(epoll_create1(EPOLL_CLOEXEC));
	SHOW(fcntl(ep2, F_GETFD));
	SHOW(fcntl(ep, F_GETFD));
	int p[2];
	REQUIRE(pipe(p) == 0);
	int f = open("f", O_CREAT | O_RDWR, 0644);
	int d = open(".", O_RDONLY);
	int null = open("/dev/null", O_RDONLY);
	SHOW(add(ep, f, EPOLLIN, 1));
	SHOW(add(ep, d, EPOLLIN, 1));
	SHOW(add(ep, null, EPOLLIN, 1));
	SHOW(add(ep, 99, EPOLLIN, 1));
	SHOW(add(99, p[0], EPOLLIN, 1));
	SHOW(add(p[1], p[0], EPOLLIN, 1));
	SHOW(add(ep, ep, EPOLLIN, 1));
	SHOW(add(ep, p[0], EPOLLIN, 1));
	SHOW(add(ep, p[0], EPOLLIN, 1));
	SHOW(mod(ep, p[1], EPOLLOUT, 2));
	SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	SHOW(epoll_ctl(ep, 7, p[0], NULL));
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, p[1], NULL));
	SHOW(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE | EPOLLONESHOT, 2));
	SHOW(add(ep, p[1], EPOLLOUT | EPOLLEXCLUSIVE, 2));
	SHOW(mod(ep, p[1], EPOLLOUT, 2));
	SHOW(mod(ep, p[0], EPOLLIN | EPOLLEXCLUSIVE, 2));
	SHOW(add(ep2, ep, EPOLLIN | EPOLLEXCLUSIVE, 3));
	/* loops */
	SHOW(add(ep2, ep, EPOLLIN, 3));
	SHOW(add(ep, ep2, EPOLLIN, 4));
	SHOW(epoll_wait(ep, NULL, 0, 0));
	SHOW(epoll_wait(ep, NULL, -1, 0));
	SHOW(epoll_wait(p[0], (struct epoll_event[1]){0}, 1, 0));
	SHOW(epoll_wait(99, (struct epoll_event[1]){0}, 1, 0));
	close(p[0]);
	close(p[1]);
	close(f);
	close(d);
	close(null);
	close(ep);
	close(ep2);
	unlink("f");
}

static void triggers(void)
{
	int p[2], q[2];
	REQUIRE(pipe(p) == 0 && pipe(q) == 0);
	int ep = epoll_create1(0);
	SHOW(add(ep, p[0], EPOLLIN | EPOLLRDHUP, 1));
	SHOW(add(ep, q[0], EPOLLIN | EPOLLET, 2));
	SHOW(add(ep, p[1], EPOLLOUT | EPOLLONESHOT, 3));
	printf("first:\n");
	wait_show(ep, 16, 0);
	wait_show(ep, 16, 0); /* oneshot: gone */
	SHOW(write(p[1], "a", 1));
	SHOW(write(q[1], "b", 1));
	printf("level and edge:\n");
	wait_show(ep, 16, 0);
	wait_show(ep, 16, 0); /* the edge one: no new write */
	SHOW(write(q[1], "c", 1));
	wait_show(ep, 16, 0);
	printf("maxevents 1, twice:\n");
	wait_show(ep, 1, 0);
	wait_show(ep, 1, 0);
	SHOW(mod(ep, p[1], EPOLLOUT, 33)); /* re-enabled */
	wait_show(ep, 16, 0);
	char b[8];
	SHOW(read(p[0], b, sizeof b));
	SHOW(read(q[0], b, sizeof b));
	SHOW(epoll_ctl(ep, EPOLL_CTL_DEL, p[1], NULL));
	printf("none, timeout:\n");
	wait_show(ep, 16, 30);
	printf("writer closed (HUP), reader closed (ERR):\n");
	SHOW(close(p[1]));
	SHOW(add(ep, q[1], EPOLLOUT, 4));
	SHOW(close(q[0]));
	wait_show(ep, 16, 0);
	/* the last close of a description: it leaves the set; a dup keeps it */
	int keep = dup(q[1]);
	SHOW(close(q[1]));
	wait_show(ep, 16, 0);
	SHOW(close(keep));
	SHOW(close(p[0]));
	wait_show(ep, 16, 0);
	close(ep);
}

static int wfd;

static void *late(void *arg)
{
	(void)arg;
	usleep(40000);
	uint64_t one = 1;
	(void)!write(wfd, &one, sizeof one);
	return NULL;
}

static volatile sig_atomic_t got;
static void on_sig(int s)
{
	(void)s;
	got++;
}

/* epoll_pwait2: a timespec timeout (bad ones EINVAL, NULL none), a
 * ready item, and the mask as epoll_pwait's. */
static void pwait2(int ep, int e, const sigset_t *block, const sigset_t *empty)
{
	struct epoll_event ev[4];
	struct timespec zero = {0, 0}, short_ = {0, 20000000};
	struct timespec bad[] = {{0, -1}, {0, 1000000000}, {-1, 0}};
	for (int i = 0; i < 3; i++)
		SHOW(epoll_pwait2(ep, ev, 4, &bad[i], NULL));
	SHOW(epoll_pwait2(-1, ev, 4, &bad[0], NULL));
	SHOW(epoll_pwait2(-1, ev, 4, &zero, NULL));
	SHOW(epoll_pwait2(ep, ev, 0, &zero, NULL));
	SHOW(epoll_pwait2(ep, ev, 4, &zero, NULL));
	SHOW(epoll_pwait2(ep, ev, 4, &short_, NULL));
	uint64_t v = 2;
	SHOW(write(e, &v, sizeof v));
	SHOW(epoll_pwait2(ep, ev, 4, NULL, NULL));
	printf("data %llu\n", (unsigned long long)ev[0].data.u64);
	SHOW(read(e, &v, sizeof v));
	sigprocmask(SIG_BLOCK, block, NULL);
	raise(SIGUSR1);
	SHOW(epoll_pwait2(ep, ev, 4, NULL, empty));
	printf("ran %d\n", got);
	sigprocmask(SIG_UNBLOCK, block, NULL);
}

static void waits(void)
{
	int ep = epoll_create1(0), e = eventfd(0, 0);
	int t = timerfd_create(CLOCK_MONOTONIC, 0);
	SHOW(add(ep, e, EPOLLIN, 5));
	wfd = e;
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, late, NULL) == 0);
	printf("woken by a thread:\n");
	wait_show(ep, 16, 5000);
	pthread_join(th, NULL);
	uint64_t v;
	SHOW(read(e, &v, sizeof v));
	SHOW(add(ep, t, EPOLLIN, 6));
	struct itimerspec its = {{0, 0}, {0, 20000000}};
	SHOW(timerfd_settime(t, 0, &its, NULL));
	printf("timer:\n");
	wait_show(ep, 16, 5000);
	SHOW(read(t, &v, sizeof v));
	/* nested, and poll on an instance */
	int outer = epoll_create1(0);
	SHOW(add(outer, ep, EPOLLIN, 7));
	struct pollfd pf = {ep, POLLIN, 0};
	SHOW(poll(&pf, 1, 0));
	wait_show(outer, 16, 0);
	v = 1;
	SHOW(write(e, &v, sizeof v));
	SHOW(poll(&pf, 1, 0));
	printf("poll revents %#x\nouter:\n", pf.revents);
	wait_show(outer, 16, 0);
	/* EINTR */
	SHOW(read(e, &v, sizeof v));
	struct sigaction sa = {.sa_handler = on_sig};
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 40000}};
	setitimer(ITIMER_REAL, &it, NULL);
	printf("signal:\n");
	wait_show(ep, 16, 5000);
	printf("ran %d\n", got);
	/* epoll_pwait: a pending signal its mask lets in */
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR1);
	struct epoll_event ev[4];
	SHOW(epoll_pwait(ep, ev, 4, 5000, &empty));
	printf("ran %d\n", got);
	SHOW(epoll_pwait(ep, ev, 4, 10, NULL));
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	printf("ran %d\n", got);
	pwait2(ep, e, &block, &empty);
	/* fork: the child's write wakes the parent; the set is shared */
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct epoll_event ce;
		v = 3;
		_exit(write(e, &v, sizeof v) == 8 &&
		      epoll_wait(ep, &ce, 1, 5000) == 1 && ce.data.u64 == 5
			      ? 0 : 1);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child %d\n", WEXITSTATUS(st));
	wait_show(ep, 16, 5000);
	close(outer);
	close(ep);
	close(e);
	close(t);
}

/* EPOLLEXCLUSIVE: four instances, each watching one eventfd exclusively,
 * each waited on by a thread; one write wakes one of them (the others
 * time out), as Linux wakes one exclusive entry per wake. */
#define NEXCL 4
static int excl_ep[NEXCL];
static int excl_got[NEXCL];

static void *excl_wait(void *arg)
{
	int k = (int)(long)arg;
	struct epoll_event ev;
	excl_got[k] = epoll_wait(excl_ep[k], &ev, 1, 1500);
	return NULL;
}

static void exclusive(void)
{
	int e = eventfd(0, EFD_NONBLOCK);
	pthread_t th[NEXCL];
	for (int k = 0; k < NEXCL; k++) {
		excl_ep[k] = epoll_create1(0);
		REQUIRE(add(excl_ep[k], e, EPOLLIN | EPOLLEXCLUSIVE, k) == 0);
		REQUIRE(pthread_create(&th[k], NULL, excl_wait, (void *)(long)k) == 0);
	}
	usleep(300000); /* all parked */
	uint64_t v = 1;
	SHOW(write(e, &v, sizeof v));
	int woken = 0;
	for (int k = 0; k < NEXCL; k++) {
		pthread_join(th[k], NULL);
		woken += excl_got[k] == 1;
	}
	printf("exclusive: %d of %d woken\n", woken, NEXCL);
	printf("afterwards, only the woken instance has it:\n");
	woken = 0;
	for (int k = 0; k < NEXCL; k++) {
		struct epoll_event ev;
		woken += epoll_wait(excl_ep[k], &ev, 1, 0) == 1;
		close(excl_ep[k]);
	}
	printf("  %d ready\n", woken);
	close(e);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	enter_scratch();
	errors();
	triggers();
	waits();
	exclusive();
	return 0;
}
