/* libev itself driving a cage (cases-libs: -lev): a pipe watcher, a
 * repeating timer and an eventfd woken from a thread, on the backends
 * libev picks (epoll, then poll and select forced); ev_signal watchers
 * through a signalfd (EVFLAG_SIGNALFD). */
#include "case.h"
#include <ev.h>
#include <pthread.h>
#include <signal.h>
#include <sys/eventfd.h>

static int p[2], efd, ticks;
static char got[16];
static size_t ngot;

/* What comes and when depends on scheduling: the totals are printed. */
static void on_pipe(struct ev_loop *loop, ev_io *w, int revents)
{
	ssize_t n = read(w->fd, got + ngot, sizeof got - 1 - ngot);
	if (n > 0 && (revents & EV_READ))
		ngot += (size_t)n;
	if (ngot == 5 || n <= 0)
		ev_io_stop(loop, w);
}

static void on_timer(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	++ticks;
	if (ticks == 1)
		(void)!write(p[1], "ab", 2);
	if (ticks == 2)
		(void)!write(p[1], "cde", 3);
	if (ticks == 3)
		ev_timer_stop(loop, w);
}

static void *poke(void *arg)
{
	(void)arg;
	usleep(20000);
	uint64_t v = 1;
	(void)!write(efd, &v, sizeof v);
	return NULL;
}

static void on_event(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	uint64_t v;
	printf("event %zd\n", read(w->fd, &v, sizeof v));
	ev_io_stop(loop, w);
}

static void run(unsigned backend, const char *name)
{
	struct ev_loop *loop = ev_loop_new(backend);
	REQUIRE(loop);
	printf("%s: backend ok %d\n", name,
	       ev_backend(loop) == backend || backend == EVFLAG_AUTO);
	ticks = 0;
	ngot = 0;
	memset(got, 0, sizeof got);
	REQUIRE(pipe(p) == 0);
	efd = eventfd(0, EFD_NONBLOCK);
	ev_io pw, ew;
	ev_timer tw;
	ev_io_init(&pw, on_pipe, p[0], EV_READ);
	ev_io_init(&ew, on_event, efd, EV_READ);
	ev_timer_init(&tw, on_timer, 0.01, 0.01);
	ev_io_start(loop, &pw);
	ev_timer_start(loop, &tw);
	ev_run(loop, 0);
	printf("ticks %d pipe %s\n", ticks, got);
	ev_io_start(loop, &ew);
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, poke, NULL) == 0);
	ev_run(loop, 0);
	pthread_join(th, NULL);
	ev_loop_destroy(loop);
	close(p[0]);
	close(p[1]);
	close(efd);
}

static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	printf("signal %s revents %#x\n", sigabbrev_np(w->signum), revents);
	ev_signal_stop(loop, w);
}

static void on_raise(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)w;
	(void)revents;
	raise(SIGUSR1);
	kill(getpid(), SIGUSR2);
}

static void signals(void)
{
	struct ev_loop *loop = ev_default_loop(EVFLAG_SIGNALFD);
	REQUIRE(loop);
	ev_signal s1, s2;
	ev_timer tw;
	ev_signal_init(&s1, on_signal, SIGUSR1);
	ev_signal_init(&s2, on_signal, SIGUSR2);
	ev_timer_init(&tw, on_raise, 0.01, 0);
	ev_signal_start(loop, &s1);
	ev_signal_start(loop, &s2);
	ev_timer_start(loop, &tw);
	ev_run(loop, 0);
	ev_loop_destroy(loop);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	run(EVFLAG_AUTO, "auto");
	run(EVBACKEND_EPOLL, "epoll");
	run(EVBACKEND_POLL, "poll");
	run(EVBACKEND_SELECT, "select");
	signals();
	return 0;
}
