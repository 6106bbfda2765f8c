/* signalfd and signalfd4: errors (flags, size, a fd of another kind, a
 * closed one, a NULL mask), reads of blocked signals raised and sent to
 * oneself (several per read, EAGAIN, EINVAL under 128 bytes; readv,
 * pread ESPIPE, write EINVAL), a mask
 * update, SIGKILL and SIGSTOP dropped, poll, select and epoll readiness,
 * a signal from a forked child waking a blocking read and a poll, EINTR,
 * a child reading its own signals through the shared description,
 * close-on-exec, dup and the /proc name. */
#include "case.h"
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>

static sigset_t set_of(int a, int b, int c)
{
	sigset_t s;
	sigemptyset(&s);
	int sigs[3] = {a, b, c};
	for (int i = 0; i < 3; i++)
		if (sigs[i])
			sigaddset(&s, sigs[i]);
	return s;
}

/* Reads and prints what came: count, then each signal and code. */
static void read_show(int fd, size_t cap)
{
	struct signalfd_siginfo si[8];
	ssize_t n = read(fd, si, cap);
	if (n < 0) {
		printf("  read = -1 %s\n", case_errname(errno));
		return;
	}
	printf("  read = %zd:", n);
	for (ssize_t i = 0; i < n / (ssize_t)sizeof si[0]; i++) {
		int sig = (int)si[i].ssi_signo;
		if (sig >= SIGRTMIN)
			printf(" [RTMIN+%d", sig - SIGRTMIN);
		else
			printf(" [%s", sigabbrev_np(sig));
		printf(" code %d]", si[i].ssi_code);
	}
	printf("\n");
}

static void errors(void)
{
	sigset_t m = set_of(SIGUSR1, 0, 0);
	int p[2];
	REQUIRE(pipe(p) == 0);
	SHOW(signalfd(-1, &m, 0x1));
	SHOW(signalfd(p[0], &m, 0));
	SHOW(signalfd(77, &m, 0));
	SHOW(signalfd(-2, &m, 0));
	SHOW(syscall(SYS_signalfd4, -1, &m, 4, 0));
	SHOW(syscall(SYS_signalfd4, -1, NULL, 8, 0));
	SHOW(syscall(SYS_signalfd, -1, &m, 16));
	int fd = SHOW(syscall(SYS_signalfd, -1, &m, 8));
	close(fd);
	close(p[0]);
	close(p[1]);
}

static void reads(void)
{
	sigset_t m = set_of(SIGUSR1, SIGUSR2, SIGKILL);
	sigaddset(&m, SIGSTOP);
	sigaddset(&m, SIGRTMIN);
	sigprocmask(SIG_BLOCK, &m, NULL);
	int fd = SHOW(signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC));
	SHOW(fcntl(fd, F_GETFD));
	SHOW(fcntl(fd, F_GETFL) & O_NONBLOCK);
	char name[64] = {0}, link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	SHOW(readlink(link, name, sizeof name - 1));
	printf("  name %s\n", name);
	read_show(fd, sizeof(struct signalfd_siginfo));
	struct pollfd pf = {fd, POLLIN, 0};
	SHOW(poll(&pf, 1, 0));
	raise(SIGUSR2);
	kill(getpid(), SIGUSR1);
	SHOW(poll(&pf, 1, 0));
	printf("  revents %#x\n", pf.revents);
	fd_set rs;
	FD_ZERO(&rs);
	FD_SET(fd, &rs);
	struct timeval tv = {0, 0};
	SHOW(select(fd + 1, &rs, NULL, NULL, &tv));
	read_show(fd, 100);
	read_show(fd, 8 * sizeof(struct signalfd_siginfo));
	read_show(fd, sizeof(struct signalfd_siginfo));
	printf("three queued real-time signals, two per read:\n");
	for (int i = 0; i < 3; i++)
		raise(SIGRTMIN);
	read_show(fd, 2 * sizeof(struct signalfd_siginfo));
	read_show(fd, 2 * sizeof(struct signalfd_siginfo));
	printf("readv over two halves, pread, write, lseek:\n");
	raise(SIGUSR2);
	struct signalfd_siginfo si;
	struct iovec halves[2] = {{&si, 64}, {(char *)&si + 64, 64}};
	SHOW(readv(fd, halves, 2));
	printf("  %s\n", sigabbrev_np((int)si.ssi_signo));
	SHOW(pread(fd, &si, sizeof si, 0));
	SHOW(write(fd, &si, sizeof si));
	SHOW(lseek(fd, 0, SEEK_CUR));
	printf("mask update to SIGUSR2 only:\n");
	sigset_t two = set_of(SIGUSR2, 0, 0);
	SHOW(signalfd(fd, &two, 0) == fd);
	raise(SIGUSR1);
	SHOW(poll(&pf, 1, 0));
	read_show(fd, sizeof(struct signalfd_siginfo));
	SHOW(signalfd(fd, &m, 0) == fd);
	printf("through a dup:\n");
	int fd2 = dup(fd);
	read_show(fd2, sizeof(struct signalfd_siginfo));
	close(fd2);
	close(fd);
}

static void epolls(void)
{
	sigset_t m = set_of(SIGUSR1, SIGUSR2, 0);
	int fd = signalfd(-1, &m, SFD_NONBLOCK);
	int ep = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 9}, out[2];
	SHOW(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev));
	SHOW(epoll_wait(ep, out, 2, 0));
	raise(SIGUSR2);
	SHOW(epoll_wait(ep, out, 2, 0));
	printf("  events %#x data %llu\n", out[0].events,
	       (unsigned long long)out[0].data.u64);
	SHOW(epoll_wait(ep, out, 2, 0)); /* level: still pending */
	read_show(fd, sizeof(struct signalfd_siginfo));
	SHOW(epoll_wait(ep, out, 2, 0));
	printf("a child's kill wakes an epoll_wait:\n");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	SHOW(epoll_wait(ep, out, 2, 5000));
	waitpid(pid, NULL, 0);
	read_show(fd, sizeof(struct signalfd_siginfo));
	close(ep);
	close(fd);
}

static volatile sig_atomic_t alarms;
static void on_alarm(int s)
{
	(void)s;
	alarms++;
}

static void waits(void)
{
	sigset_t m = set_of(SIGUSR1, SIGUSR2, 0);
	int fd = signalfd(-1, &m, 0);
	printf("a child's kill ends a blocking read:\n");
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR2);
		_exit(0);
	}
	read_show(fd, sizeof(struct signalfd_siginfo));
	waitpid(pid, NULL, 0);
	printf("and a poll:\n");
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		usleep(50000);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	struct pollfd pf = {fd, POLLIN, 0};
	SHOW(poll(&pf, 1, 5000));
	waitpid(pid, NULL, 0);
	read_show(fd, sizeof(struct signalfd_siginfo));
	printf("an unblocked signal interrupts a blocking read:\n");
	struct sigaction sa = {.sa_handler = on_alarm};
	sigaction(SIGALRM, &sa, NULL);
	struct itimerval it = {{0, 0}, {0, 50000}};
	setitimer(ITIMER_REAL, &it, NULL);
	read_show(fd, sizeof(struct signalfd_siginfo));
	printf("  alarms %d\n", alarms);
	close(fd);
}

/* The description is shared, the signals are the reader's: the child
 * starts with none pending, polls and reads its own (sent by the
 * parent), and the parent's stays. */
static void forks(void)
{
	sigset_t m = set_of(SIGUSR1, SIGUSR2, 0);
	int fd = signalfd(-1, &m, SFD_NONBLOCK);
	raise(SIGUSR1);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		struct signalfd_siginfo si;
		int none = read(fd, &si, sizeof si) < 0 && errno == EAGAIN;
		struct pollfd pf = {fd, POLLIN, 0};
		int woken = poll(&pf, 1, 5000) == 1;
		int own = read(fd, &si, sizeof si) == sizeof si &&
			  si.ssi_signo == SIGUSR2;
		_exit(none + 2 * woken + 4 * own);
	}
	usleep(30000);
	kill(pid, SIGUSR2);
	int st;
	waitpid(pid, &st, 0);
	printf("child %d\n", WEXITSTATUS(st));
	read_show(fd, 4 * sizeof(struct signalfd_siginfo));
	close(fd);
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	errors();
	reads();
	epolls();
	waits();
	forks();
	return 0;
}
