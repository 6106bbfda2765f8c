/* 64 threads of one process all wait in F_OFD_SETLKW at once, and the
 * main thread, which holds the lock, must still make calls (print, signal
 * a waiting thread by its gettid with tgkill, unlock): no fixed pool of
 * channel slots may run out.  A watchdog ends a deadlock with SIGKILL. */
#include "case.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <time.h>

#define THREADS 64

static _Atomic int ready, finished, interrupted;
static _Atomic pid_t tids[THREADS];
static _Atomic pid_t handled_in; /* the tid the handler ran on */

static int lk(int fd, int cmd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_len = 10};
	return fcntl(fd, cmd, &fl);
}

static void on_usr1(int sig)
{
	(void)sig;
	handled_in = (pid_t)syscall(SYS_gettid);
}

static void *waiter(void *arg)
{
	long k = (long)arg;
	int fd = open("f", O_RDWR);
	tids[k] = (pid_t)syscall(SYS_gettid);
	ready++;
	/* the tgkill'd thread sees EINTR (no SA_RESTART) and waits again */
	while (lk(fd, F_OFD_SETLKW, F_WRLCK) < 0)
		if (errno == EINTR)
			interrupted++;
	lk(fd, F_OFD_SETLK, F_UNLCK);
	close(fd);
	finished++;
	return NULL;
}

static void *watchdog(void *arg)
{
	pid_t self = *(pid_t *)arg;
	struct timespec t = {120, 0};
	nanosleep(&t, NULL); /* allowed by the filter: no channel slot */
	kill(self, SIGKILL);
	return NULL;
}

int main(void)
{
	pthread_t t[THREADS], dog;
	static pid_t self;
	self = getpid();
	enter_scratch();
	put_file("f", "0123456789");
	int a = SHOW(open("f", O_RDWR));
	SHOW(lk(a, F_OFD_SETLK, F_WRLCK));
	struct sigaction sa = {.sa_handler = on_usr1}; /* no SA_RESTART */
	SHOW(sigaction(SIGUSR1, &sa, NULL));
	REQUIRE(pthread_create(&dog, NULL, watchdog, &self) == 0);
	for (long k = 0; k < THREADS; k++)
		REQUIRE(pthread_create(&t[k], NULL, waiter, (void *)k) == 0);
	while (ready < THREADS)
		usleep(1000);
	usleep(300000); /* most likely all waiting now; any order works */
	printf("all %d threads started, %d finished\n", THREADS, finished);
	pid_t tid = tids[THREADS / 2];
	printf("gettid differs from the pid in a thread: %s\n",
	       tid != self ? "yes" : "no");
	SHOW(syscall(SYS_tgkill, self, tid, SIGUSR1));
	while (!handled_in)
		usleep(1000);
	printf("the signal ran on the thread named: %s\n",
	       handled_in == tid ? "yes" : "no");
	SHOW(syscall(SYS_tgkill, self, 0x7ffffff0, SIGUSR1)); /* no such tid */
	SHOW(lk(a, F_OFD_SETLK, F_UNLCK));
	for (int k = 0; k < THREADS; k++)
		REQUIRE(pthread_join(t[k], NULL) == 0);
	printf("finished: %d, interrupted at most once: %s\n", finished,
	       interrupted <= 1 ? "yes" : "no");
	SHOW(close(a));
	SHOW(unlink("f"));
	return 0;
}
