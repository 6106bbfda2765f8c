/* Job control between a parent and its children, compared with the host:
 * WUNTRACED / WSTOPPED and WCONTINUED for stops sent by the parent and
 * raised by the child itself, SIGCHLD for a stop, SIGCHLD ignored or
 * SA_NOCLDWAIT (no zombies: wait ends with ECHILD), children's CPU times
 * (wait4's rusage, RUSAGE_CHILDREN, times, grandchildren included), and
 * kill of a process group (killpg, kill(-pgid), kill(0)). */
#include "case.h" /* first: _GNU_SOURCE */

#include <signal.h>
#include <sys/resource.h>
#include <sys/times.h>
#include <sys/wait.h>

/* A child that says it is ready on a pipe, then waits for signals. */
static pid_t spawn_sleeper(void (*setup)(void))
{
	int fds[2];
	char b;
	REQUIRE(pipe(fds) == 0);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		if (setup)
			setup();
		REQUIRE(write(fds[1], "r", 1) == 1);
		for (;;)
			pause();
	}
	REQUIRE(read(fds[0], &b, 1) == 1);
	close(fds[0]);
	close(fds[1]);
	return p;
}

static void show_status(const char *what, int st)
{
	if (WIFSTOPPED(st))
		printf("%s: stopped by %d\n", what, WSTOPSIG(st));
	else if (WIFCONTINUED(st))
		printf("%s: continued\n", what);
	else if (WIFSIGNALED(st))
		printf("%s: killed by %d\n", what, WTERMSIG(st));
	else
		printf("%s: exited %d\n", what, WEXITSTATUS(st));
}

static void end_child(pid_t p)
{
	int st;
	REQUIRE(kill(p, SIGKILL) == 0);
	REQUIRE(waitpid(p, &st, 0) == p);
	show_status("after SIGKILL", st);
}

static void own_group(void);

static void stop_continue(void)
{
	int st = 0;
	/* a group of its own: ours, a cage's, is orphaned (a top-level
	 * cage leads its session), where SIGTSTP is discarded */
	pid_t p = spawn_sleeper(own_group);
	setpgid(p, p);
	REQUIRE(kill(p, SIGSTOP) == 0);
	REQUIRE(waitpid(p, &st, WUNTRACED) == p);
	show_status("SIGSTOP", st);
	SHOW(waitpid(p, &st, WUNTRACED | WNOHANG)); /* reported once: 0 */
	REQUIRE(kill(p, SIGCONT) == 0);
	REQUIRE(waitpid(p, &st, WCONTINUED) == p);
	show_status("SIGCONT", st);
	SHOW(waitpid(p, &st, WCONTINUED | WNOHANG)); /* once: 0 */
	REQUIRE(kill(p, SIGTSTP) == 0); /* default action: a stop */
	REQUIRE(wait4(p, &st, WUNTRACED, NULL) == p);
	show_status("SIGTSTP", st);
	end_child(p);
}

static void show_info(const char *what, const siginfo_t *si)
{
	printf("%s: code %s status %d\n", what,
	       si->si_code == CLD_STOPPED	? "CLD_STOPPED"
	       : si->si_code == CLD_CONTINUED ? "CLD_CONTINUED"
					      : "other",
	       si->si_status);
}

static void waitid_stops(void)
{
	siginfo_t si;
	pid_t p = spawn_sleeper(NULL);
	REQUIRE(kill(p, SIGSTOP) == 0);
	REQUIRE(waitid(P_PID, (id_t)p, &si, WSTOPPED | WNOWAIT) == 0);
	show_info("waitid WNOWAIT", &si);
	REQUIRE(waitid(P_PID, (id_t)p, &si, WSTOPPED) == 0); /* still there */
	show_info("waitid WSTOPPED", &si);
	printf("its pid: %s\n", si.si_pid == p ? "yes" : "no");
	REQUIRE(kill(p, SIGCONT) == 0);
	REQUIRE(waitid(P_ALL, 0, &si, WCONTINUED) == 0);
	show_info("waitid WCONTINUED", &si);
	si.si_pid = -1;
	SHOW(waitid(P_PID, (id_t)p, &si, WSTOPPED | WCONTINUED | WNOHANG));
	printf("nothing: si_pid %d\n", si.si_pid);
	end_child(p);
}

/* A child stopping itself: raise(SIGSTOP), then exits once told. */
static void self_stop(void)
{
	int fds[2], st;
	char b;
	REQUIRE(pipe(fds) == 0);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		close(fds[1]);
		raise(SIGSTOP);
		_exit(read(fds[0], &b, 1) == 1 ? 5 : 6);
	}
	close(fds[0]);
	REQUIRE(waitpid(p, &st, WUNTRACED) == p);
	show_status("raise(SIGSTOP)", st);
	REQUIRE(kill(p, SIGCONT) == 0);
	REQUIRE(waitpid(p, &st, WCONTINUED) == p);
	show_status("then SIGCONT", st);
	REQUIRE(write(fds[1], "x", 1) == 1);
	REQUIRE(waitpid(p, &st, 0) == p);
	show_status("then told to go", st);
	close(fds[1]);
}

static volatile sig_atomic_t chld;
static void on_chld(int sig)
{
	(void)sig;
	chld++;
}

/* A stop sends SIGCHLD (blocked until we waited for it). */
static void stop_sigchld(void)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	REQUIRE(signal(SIGCHLD, on_chld) != SIG_ERR);
	REQUIRE(sigprocmask(SIG_BLOCK, &block, &old) == 0);
	pid_t p = spawn_sleeper(NULL);
	int st;
	chld = 0;
	REQUIRE(kill(p, SIGSTOP) == 0);
	REQUIRE(waitpid(p, &st, WUNTRACED) == p);
	while (!chld)
		sigsuspend(&old);
	printf("SIGCHLD for a stop: yes\n");
	REQUIRE(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	signal(SIGCHLD, SIG_DFL);
	end_child(p);
}

/* No zombies: wait blocks until every child is gone, then ECHILD. */
static void autoreap(void)
{
	int st;
	REQUIRE(signal(SIGCHLD, SIG_IGN) != SIG_ERR);
	spawn_exit(1);
	spawn_exit(2);
	SHOW(waitpid(-1, &st, 0));
	struct sigaction sa = {.sa_handler = on_chld, .sa_flags = SA_NOCLDWAIT};
	REQUIRE(sigaction(SIGCHLD, &sa, NULL) == 0);
	spawn_exit(3);
	SHOW(wait(&st));
	signal(SIGCHLD, SIG_DFL); /* zombies again */
	pid_t p = spawn_exit(4);
	REQUIRE(waitpid(p, &st, 0) == p);
	show_status("with SIG_DFL again", st);
}

static long ms(struct timeval tv)
{
	return tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Burns CPU until this process has used `want` ms of it. */
static void burn(long want)
{
	struct rusage ru;
	volatile unsigned long x = 0;
	do {
		for (int i = 0; i < 1000000; i++)
			x += (unsigned long)i;
		REQUIRE(getrusage(RUSAGE_SELF, &ru) == 0);
	} while (ms(ru.ru_utime) + ms(ru.ru_stime) < want);
}

static long children_ms(void)
{
	struct rusage ru;
	REQUIRE(getrusage(RUSAGE_CHILDREN, &ru) == 0);
	return ms(ru.ru_utime) + ms(ru.ru_stime);
}

/* The children's CPU times, theirs and those of the children they reaped,
 * add up in the parent once it reaps them. */
static void child_times(void)
{
	/* the children reaped by the earlier parts used a few ms (more on
	 * a loaded machine), never the 100 ms each child below burns */
	printf("children's time before any: under 100 ms: %s\n",
	       children_ms() < 100 ? "yes" : "no");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		burn(100);
		_exit(0);
	}
	struct rusage ru;
	int st;
	REQUIRE(wait4(p, &st, 0, &ru) == p);
	printf("wait4's rusage holds the child's 100 ms: %s\n",
	       ms(ru.ru_utime) + ms(ru.ru_stime) >= 100 ? "yes" : "no");
	long before = children_ms();
	printf("RUSAGE_CHILDREN holds them: %s\n", before >= 100 ? "yes" : "no");
	struct tms t;
	times(&t);
	/* in clock ticks, each of the two rounded down: Linux itself may
	 * show 100 ms as 80 */
	printf("times' tms_cutime + tms_cstime too: %s\n",
	       (t.tms_cutime + t.tms_cstime) * 1000 / sysconf(_SC_CLK_TCK) >=
			       80
		       ? "yes"
		       : "no");
	fflush(stdout);
	p = fork();
	if (p == 0) { /* a grandchild burns; the child reaps it */
		pid_t g = fork();
		if (g == 0) {
			burn(100);
			_exit(0);
		}
		_exit(waitpid(g, &st, 0) == g ? 0 : 1);
	}
	REQUIRE(waitpid(p, &st, 0) == p && WEXITSTATUS(st) == 0);
	printf("a grandchild's 100 ms reach us through the child: %s\n",
	       children_ms() - before >= 100 ? "yes" : "no");
}

static volatile sig_atomic_t usr1;
static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

/* A child in a group of its own that exits 7 on SIGUSR1 (its status is
 * its own then: a cage killed by another cage's signal reads as SIGKILL,
 * docs/architecture.md "Processes"). */
static void exit7(int sig)
{
	(void)sig;
	_exit(7);
}

static void exit_on_usr1(void)
{
	signal(SIGUSR1, exit7);
}

static void own_group(void)
{
	setpgid(0, 0);
	exit_on_usr1();
}

static void group_kills(void)
{
	int st;
	pid_t p = spawn_sleeper(own_group);
	setpgid(p, p); /* either of us may get there first */
	SHOW(killpg(p, 0));
	REQUIRE(killpg(p, SIGUSR1) == 0);
	REQUIRE(waitpid(p, &st, 0) == p);
	show_status("killpg(child's group, SIGUSR1)", st);
	p = spawn_sleeper(own_group);
	setpgid(p, p);
	REQUIRE(kill(-p, SIGUSR1) == 0);
	REQUIRE(waitpid(p, &st, 0) == p);
	show_status("kill(-child's group, SIGUSR1)", st);
	SHOW(killpg(p, SIGTERM)); /* the group is gone: ESRCH */
	SHOW(kill(-999999, 0));

	/* kill(0) reaches the caller's group: the child and us */
	REQUIRE(signal(SIGUSR1, on_usr1) != SIG_ERR);
	usr1 = 0;
	p = spawn_sleeper(exit_on_usr1);
	REQUIRE(kill(0, SIGUSR1) == 0);
	printf("kill(0): our own handler ran: %s\n", usr1 ? "yes" : "no");
	REQUIRE(waitpid(p, &st, 0) == p);
	signal(SIGUSR1, SIG_DFL);
	show_status("kill(0): the child", st);
}

int main(void)
{
	/* a group of our own, so that kill(0) reaches only us and our
	 * children (a cage leads its own already: EPERM there) */
	setpgid(0, 0);
	enter_scratch();
	stop_continue();
	waitid_stops();
	self_stop();
	stop_sigchld();
	autoreap();
	child_times();
	group_kills();
	printf("done\n");
	return 0;
}
