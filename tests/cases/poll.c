/* poll and ppoll on every kind of fd: pipes (POLLIN, POLLOUT, POLLHUP,
 * POLLERR), FIFOs, files, directories, /dev/null, a bad fd (POLLNVAL),
 * fd -1; 0 and finite timeouts, a blocking poll woken by a thread,
 * EINTR by a signal, nfds over the limit, and ppoll's signal mask. */
#include "case.h"
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <time.h>

static void show_revents(const char *what, const struct pollfd *p, int n)
{
	printf("%s:", what);
	for (int i = 0; i < n; i++)
		printf(" %#x", (unsigned)(unsigned short)p[i].revents);
	printf("\n");
}

static double now(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static void pipes(void)
{
	int p[2];
	char b[8];
	REQUIRE(pipe(p) == 0);
	struct pollfd f[3] = {{p[0], POLLIN | POLLOUT, 0},
			      {p[1], POLLIN | POLLOUT, 0},
			      {-1, POLLIN, 0x55}};
	SHOW(poll(f, 3, 0));
	show_revents("empty", f, 3);
	SHOW(write(p[1], "ab", 2));
	SHOW(poll(f, 3, 0));
	show_revents("data", f, 3);
	f[0].events = 0; /* HUP comes unasked */
	SHOW(close(p[1]));
	f[1].fd = -1;
	SHOW(poll(f, 2, 0));
	show_revents("writer closed", f, 2);
	f[0].events = POLLIN;
	SHOW(read(p[0], b, sizeof b));
	SHOW(poll(f, 1, -1)); /* EOF is ready: does not wait */
	show_revents("eof", f, 1);
	SHOW(close(p[0]));
	REQUIRE(pipe(p) == 0);
	SHOW(close(p[0]));
	struct pollfd w = {p[1], POLLOUT, 0};
	SHOW(poll(&w, 1, 0));
	show_revents("reader closed", &w, 1);
	SHOW(close(p[1]));
}

static void files(void)
{
	int fd = open("f", O_CREAT | O_RDWR, 0644);
	int dir = open(".", O_RDONLY | O_DIRECTORY);
	int null = open("/dev/null", O_RDWR);
	int path = open("f", O_PATH);
	REQUIRE(fd >= 0 && dir >= 0 && null >= 0 && path >= 0);
	struct pollfd f[5] = {{fd, POLLIN | POLLOUT | POLLPRI, 0},
			      {dir, POLLIN, 0},
			      {null, POLLOUT, 0},
			      {path, POLLIN, 0},
			      {999, POLLIN, 0}};
	SHOW(poll(f, 5, 1000));
	show_revents("file dir null path bad", f, 5);
	close(fd);
	close(dir);
	close(null);
	close(path);
	SHOW(mkfifo("fifo", 0600));
	int r = open("fifo", O_RDONLY | O_NONBLOCK);
	struct pollfd q = {r, POLLIN, 0};
	SHOW(poll(&q, 1, 0)); /* no writer ever: nothing (not HUP) */
	show_revents("fifo alone", &q, 1);
	int w = open("fifo", O_WRONLY);
	SHOW(write(w, "x", 1));
	SHOW(poll(&q, 1, 0));
	show_revents("fifo data", &q, 1);
	SHOW(close(w));
	SHOW(poll(&q, 1, 0));
	show_revents("fifo hup", &q, 1);
	close(r);
	unlink("fifo");
	unlink("f");
}

static int wfd;

static void *late_writer(void *arg)
{
	(void)arg;
	usleep(50000);
	(void)!write(wfd, "z", 1);
	return NULL;
}

static void waits(void)
{
	int p[2];
	REQUIRE(pipe(p) == 0);
	struct pollfd f = {p[0], POLLIN, 0};
	double t = now();
	SHOW(poll(&f, 1, 60));
	printf("timeout waited: %d\n", now() - t >= 0.055);
	wfd = p[1];
	pthread_t th;
	REQUIRE(pthread_create(&th, NULL, late_writer, NULL) == 0);
	SHOW(poll(&f, 1, 5000));
	show_revents("woken", &f, 1);
	pthread_join(th, NULL);
	struct timespec ts = {0, 30000000};
	f.revents = 0;
	char b;
	SHOW(read(p[0], &b, 1));
	SHOW(ppoll(&f, 1, &ts, NULL));
	ts.tv_nsec = 1000000000;
	SHOW(ppoll(&f, 1, &ts, NULL));
	close(p[0]);
	close(p[1]);
	struct rlimit rl;
	getrlimit(RLIMIT_NOFILE, &rl);
	struct pollfd *many = calloc(rl.rlim_cur + 1, sizeof *many);
	REQUIRE(many);
	SHOW(poll(many, rl.rlim_cur + 1, 0));
	SHOW(poll(many, rl.rlim_cur, 0)); /* fd 0s: /dev/null */
	free(many);
	SHOW(poll(NULL, 0, 10));
	SHOW(poll(NULL, 1, 10));
}

static volatile sig_atomic_t got;
static void on_sig(int s)
{
	(void)s;
	got++;
}

static void signals(void)
{
	struct sigaction sa = {.sa_handler = on_sig}; /* no SA_RESTART */
	sigaction(SIGALRM, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	int p[2];
	REQUIRE(pipe(p) == 0);
	struct pollfd f = {p[0], POLLIN, 0};
	struct itimerval it = {{0, 0}, {0, 50000}};
	setitimer(ITIMER_REAL, &it, NULL);
	SHOW(poll(&f, 1, 5000));
	printf("handler ran %d\n", got);
	/* ppoll: a pending signal its mask lets in interrupts it at once */
	sigset_t block, empty;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&empty);
	sigprocmask(SIG_BLOCK, &block, NULL);
	raise(SIGUSR1);
	printf("blocked: ran %d\n", got);
	struct timespec ts = {5, 0};
	double t = now();
	SHOW(ppoll(&f, 1, &ts, &empty));
	printf("ran %d at once %d\n", got, now() - t < 2);
	/* a ready fd wins over the pending signal */
	raise(SIGUSR1);
	int q[2];
	REQUIRE(pipe(q) == 0);
	struct pollfd ready = {q[1], POLLOUT, 0};
	SHOW(ppoll(&ready, 1, &ts, &empty));
	printf("ready %#x ran %d\n", ready.revents, got);
	close(q[0]);
	close(q[1]);
	/* a mask that keeps it blocked: the timeout ends it */
	raise(SIGUSR1);
	ts.tv_sec = 0;
	ts.tv_nsec = 20000000;
	SHOW(ppoll(&f, 1, &ts, &block));
	printf("still blocked: ran %d\n", got);
	sigprocmask(SIG_UNBLOCK, &block, NULL);
	printf("unblocked: ran %d\n", got);
	close(p[0]);
	close(p[1]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	enter_scratch();
	pipes();
	files();
	waits();
	signals();
	return 0;
}
