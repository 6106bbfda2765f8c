/* eventfd and eventfd2: counting and EFD_SEMAPHORE reads, EAGAIN when
 * non-blocking, EINVAL for short buffers and 2^64-1, the overflow wait,
 * a blocking read woken by a thread, poll's view, flags, fork sharing. */
#include "case.h"
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>

static unsigned rev(int fd, short ev)
{
	struct pollfd p = {fd, ev, 0};
	SHOW(poll(&p, 1, 0));
	return (unsigned short)p.revents;
}

static void counting(void)
{
	uint64_t v = 0;
	int fd = SHOW(eventfd(3, EFD_NONBLOCK));
	SHOW(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
	SHOW(fcntl(fd, F_GETFD));
	printf("ready %#x\n", rev(fd, POLLIN | POLLOUT));
	SHOW(read(fd, &v, sizeof v));
	printf("v %llu\n", (unsigned long long)v);
	SHOW(read(fd, &v, sizeof v));
	printf("ready %#x\n", rev(fd, POLLIN | POLLOUT));
	SHOW(read(fd, &v, 4));
	v = 5;
	SHOW(write(fd, &v, 4));
	SHOW(write(fd, &v, sizeof v));
	SHOW(write(fd, &v, sizeof v));
	SHOW(read(fd, &v, 16));
	printf("v %llu\n", (unsigned long long)v);
	v = UINT64_MAX;
	SHOW(write(fd, &v, sizeof v));
	v = UINT64_MAX - 1;
	SHOW(write(fd, &v, sizeof v));
	printf("full %#x\n", rev(fd, POLLIN | POLLOUT));
	v = 1;
	SHOW(write(fd, &v, sizeof v)); /* would overflow: EAGAIN */
	SHOW(lseek(fd, 0, SEEK_SET));
	SHOW(pread(fd, &v, sizeof v, 0));
	SHOW(close(fd));
	fd = SHOW(eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC));
	SHOW(fcntl(fd, F_GETFD));
	for (int i = 0; i < 3; i++) {
		v = 0;
		SHOW(read(fd, &v, sizeof v));
		printf("v %llu\n", (unsigned long long)v);
	}
	SHOW(close(fd));
	SHOW(eventfd(0, 0x7));
	SHOW(syscall(SYS_eventfd, 7));
}

static int tfd;

static void *adder(void *arg)
{
	(void)arg;
	usleep(30000);
	uint64_t v = 7;
	(void)!write(tfd, &v, sizeof v);
	return NULL;
}

static void blocking(void)
{
	tfd = SHOW(eventfd(0, 0));
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, adder, NULL) == 0);
	uint64_t v = 0;
	SHOW(read(tfd, &v, sizeof v));
	printf("v %llu\n", (unsigned long long)v);
	pthread_join(th, NULL);
	/* a child writes: the description is shared */
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		v = 2;
		_exit(write(tfd, &v, sizeof v) == 8 ? 0 : 1);
	}
	int st;
	SHOW(read(tfd, &v, sizeof v));
	printf("v %llu\n", (unsigned long long)v);
	waitpid(p, &st, 0);
	printf("child %d\n", WEXITSTATUS(st));
	SHOW(close(tfd));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	counting();
	blocking();
	return 0;
}
