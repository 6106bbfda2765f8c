/* timerfd: create's clocks and flags, relative and absolute one-shot
 * timers on CLOCK_MONOTONIC and CLOCK_REALTIME, intervals (the expiry
 * count read), gettime, EAGAIN when non-blocking, a blocking read and
 * poll waiting for an expiry, disarming, and the errors. */
#include "case.h"
#include <poll.h>
#include <stdint.h>
#include <sys/timerfd.h>
#include <time.h>

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static struct itimerspec its(long vs, long vns, long is, long ins)
{
	return (struct itimerspec){{is, ins}, {vs, vns}};
}

static void show_get(int fd)
{
	struct itimerspec cur;
	SHOW(timerfd_gettime(fd, &cur));
	printf("armed %d interval %ld.%09ld\n",
	       cur.it_value.tv_sec || cur.it_value.tv_nsec,
	       (long)cur.it_interval.tv_sec, cur.it_interval.tv_nsec);
}

static void basics(void)
{
	uint64_t n = 0;
	int fd = SHOW(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC));
	SHOW(fcntl(fd, F_GETFD));
	SHOW(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE));
	show_get(fd);
	SHOW(read(fd, &n, sizeof n));
	SHOW(read(fd, &n, 4));
	SHOW(write(fd, &n, sizeof n));
	/* 100 ms, timed from before it is armed: a loaded machine may take
	 * a while to reach the poll, but not to expire it early */
	struct itimerspec t = its(0, 100000000, 0, 0), old;
	double s = now();
	SHOW(timerfd_settime(fd, 0, &t, &old));
	printf("old armed %d\n", old.it_value.tv_sec || old.it_value.tv_nsec);
	show_get(fd);
	struct pollfd p = {fd, POLLIN, 0};
	SHOW(poll(&p, 1, 0));
	SHOW(poll(&p, 1, 5000));
	printf("waited %d revents %#x\n", now() - s >= 0.099, p.revents);
	SHOW(read(fd, &n, sizeof n));
	printf("expiries %llu\n", (unsigned long long)n);
	show_get(fd); /* one-shot: disarmed */
	/* an interval: 4 expiries of 10 ms counted while nobody reads */
	t = its(0, 10000000, 0, 10000000);
	SHOW(timerfd_settime(fd, 0, &t, NULL));
	usleep(45000);
	SHOW(read(fd, &n, sizeof n));
	printf("at least 3: %d\n", n >= 3);
	show_get(fd);
	t = its(0, 0, 0, 0);
	SHOW(timerfd_settime(fd, 0, &t, &old));
	printf("old interval %ld\n", old.it_interval.tv_nsec);
	show_get(fd);
	SHOW(read(fd, &n, sizeof n));
	SHOW(close(fd));
}

static void clocks(void)
{
	uint64_t n = 0;
	int fd = SHOW(timerfd_create(CLOCK_REALTIME, 0));
	struct timespec rt;
	double s = now(); /* before the deadline is computed: see basics() */
	clock_gettime(CLOCK_REALTIME, &rt);
	rt.tv_nsec += 30000000;
	if (rt.tv_nsec >= 1000000000) {
		rt.tv_sec++;
		rt.tv_nsec -= 1000000000;
	}
	struct itimerspec t = {{0, 0}, rt};
	SHOW(timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL));
	SHOW(read(fd, &n, sizeof n)); /* blocks until then */
	printf("waited %d expiries %llu\n", now() - s >= 0.029,
	       (unsigned long long)n);
	/* absolute in the past: due at once; with TFD_TIMER_CANCEL_ON_SET
	 * too (the clock is not set: nothing is canceled) */
	t = its(1, 0, 0, 0);
	SHOW(timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL));
	SHOW(read(fd, &n, sizeof n));
	printf("expiries %llu\n", (unsigned long long)n);
	SHOW(timerfd_settime(fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET,
			     &t, NULL));
	SHOW(read(fd, &n, sizeof n));
	printf("expiries %llu\n", (unsigned long long)n);
	t = its(0, 20000000, 0, 0); /* relative: it never cancels */
	SHOW(timerfd_settime(fd, TFD_TIMER_CANCEL_ON_SET, &t, NULL));
	SHOW(read(fd, &n, sizeof n));
	printf("expiries %llu\n", (unsigned long long)n);
	SHOW(close(fd));
	fd = SHOW(timerfd_create(CLOCK_BOOTTIME, 0));
	SHOW(close(fd));
	SHOW(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0));
	SHOW(timerfd_create(CLOCK_MONOTONIC, 0x4));
}

static void errors(void)
{
	int fd = timerfd_create(CLOCK_MONOTONIC, 0);
	struct itimerspec t = its(0, 1000000000, 0, 0), cur;
	SHOW(timerfd_settime(fd, 0, &t, NULL));
	t = its(-1, 0, 0, 0);
	SHOW(timerfd_settime(fd, 0, &t, NULL));
	t = its(1, 0, 0, 0);
	SHOW(timerfd_settime(fd, 0x10, &t, NULL));
	SHOW(timerfd_settime(99, 0, &t, NULL));
	SHOW(timerfd_settime(0, 0, &t, NULL));
	SHOW(timerfd_settime(fd, 0, NULL, NULL));
	SHOW(timerfd_gettime(99, &cur));
	SHOW(timerfd_gettime(0, &cur));
	SHOW(timerfd_gettime(fd, NULL));
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	basics();
	clocks();
	errors();
	return 0;
}
