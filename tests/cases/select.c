/* select and pselect: read, write and except sets on pipes, files and
 * eventfds, EBADF for a closed fd, EINVAL for a negative nfds or bad
 * timeout, timeouts (the time left written back), a wait woken by a
 * thread, EINTR, and pselect's signal mask. */
#include "case.h"
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/select.h>
#include <sys/time.h>

static void show_set(const char *what, const fd_set *s, int n)
{
	printf("%s:", what);
	for (int i = 0; i < n; i++)
		if (FD_ISSET(i, s))
			printf(" %d", i);
	printf("\n");
}

static int wfd;

static void *late(void *arg)
{
	(void)arg;
	usleep(40000);
	(void)!write(wfd, "x", 1);
	return NULL;
}

static volatile sig_atomic_t got;
static void on_sig(int s)
{
	(void)s;
	got++;
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	enter_scratch();
	int p[2];
	REQUIRE(pipe(p) == 0);
	int f = open("f", O_CREAT | O_RDWR, 0644);
	int e = eventfd(0, 0);
	REQUIRE(f >= 0 && e >= 0);
	int n = e + 1;
	fd_set r, w, x;
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_ZERO(&x);
	FD_SET(p[0], &r);
	FD_SET(f, &r);
	FD_SET(e, &r);
	FD_SET(p[1], &w);
	FD_SET(e, &w);
	FD_SET(p[0], &x);
	struct timeval tv = {0, 0};
	SHOW(select(n, &r, &w, &x, &tv));
	show_set("r", &r, n);
	show_set("w", &w, n);
	show_set("x", &x, n);
	/* nothing ready, a timeout: the sets come back empty */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv.tv_usec = 30000;
	SHOW(select(n, &r, NULL, NULL, &tv));
	show_set("r", &r, n);
	printf("left %ld.%06ld\n", (long)tv.tv_sec, (long)tv.tv_usec);
	/* a thread writes: woken */
	wfd = p[1];
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, late, NULL) == 0);
	FD_SET(p[0], &r);
	SHOW(select(n, &r, NULL, NULL, NULL));
	show_set("r", &r, n);
	pthread_join(th, NULL);
	/* a set of one long, as libev allocates: nothing past it is touched */
	unsigned long *small = calloc(2, sizeof *small);
	REQUIRE(small);
	small[0] = 1ul << p[0];
	small[1] = 0x5a5a5a5a;
	tv = (struct timeval){0, 0};
	SHOW(select(p[0] + 1, (fd_set *)small, (fd_set *)small, NULL, &tv));
	printf("small %#lx guard %#lx\n", small[0], small[1]);
	free(small);
	/* errors */
	FD_SET(40, &r);
	SHOW(select(41, &r, NULL, NULL, NULL));
	SHOW(select(-1, NULL, NULL, NULL, NULL));
	tv.tv_sec = -1;
	SHOW(select(0, NULL, NULL, NULL, &tv));
	tv = (struct timeval){0, 1500000}; /* usec over a second is fine */
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	SHOW(select(n, &r, NULL, NULL, &tv));
	/* EINTR from a timer */
	struct sigaction sa = {.sa_handler = on_sig};
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	char b;
	SHOW(read(p[0], &b, 1));
	struct itimerval it = {{0, 0}, {0, 40000}};
	setitimer(ITIMER_REAL, &it, NULL);
	FD_SET(p[0], &r);
	SHOW(select(n, &r, NULL, NULL, NULL));
	printf("ran %d\n", got);
	/* pselect: a pending signal its mask lets in ends it at once */
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR1);
	struct timespec ts = {5, 0};
	FD_SET(p[0], &r);
	SHOW(pselect(n, &r, NULL, NULL, &ts, &empty));
	printf("ran %d\n", got);
	ts = (struct timespec){0, 1000000000};
	SHOW(pselect(n, &r, NULL, NULL, &ts, NULL));
	ts = (struct timespec){0, 10000000};
	FD_SET(p[0], &r);
	SHOW(pselect(n, &r, NULL, NULL, &ts, NULL));
	show_set("r", &r, n);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	unlink("f");
	return 0;
}
