/* fork, exit and wait, compared with the host: statuses, WNOHANG, ECHILD,
 * getppid, one file offset shared across fork, fork from a thread,
 * grandchildren, an orphan's new parent, waitid, WNOWAIT. */
#include "case.h" /* first: _GNU_SOURCE */

#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

/* The child's side waits for a flag file the parent makes (no pipes yet). */
static void await(const char *flag)
{
	while (access(flag, F_OK) != 0)
		usleep(1000);
}

static void statuses(void)
{
	int st = -1;
	pid_t p = spawn_exit(7);
	REQUIRE(p > 0);
	REQUIRE(waitpid(p, &st, 0) == p);
	printf("exit 7: exited %d status %d\n", WIFEXITED(st), WEXITSTATUS(st));
	p = spawn_exit(0);
	struct rusage ru;
	REQUIRE(wait4(-1, &st, 0, &ru) == p);
	printf("exit 0: exited %d status %d\n", WIFEXITED(st), WEXITSTATUS(st));
	SHOW(waitpid(-1, &st, 0)); /* ECHILD: none left */
	SHOW(waitpid(p, &st, WNOHANG)); /* reaped already: ECHILD */
	SHOW(waitpid(-1, &st, 0x100)); /* unknown option bit: EINVAL */
}

static void nohang(void)
{
	int st;
	unlink("go");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		await("go");
		_exit(3);
	}
	SHOW(waitpid(p, &st, WNOHANG)); /* 0: still running */
	close(open("go", O_CREAT | O_WRONLY, 0644));
	REQUIRE(waitpid(p, &st, 0) == p);
	printf("after go: status %d\n", WEXITSTATUS(st));
	unlink("go");
}

static void ppid(void)
{
	pid_t me = getpid();
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(getppid() == me ? 0 : 1);
	int st;
	REQUIRE(waitpid(p, &st, 0) == p);
	printf("child's getppid is the parent: %s\n",
	       WEXITSTATUS(st) == 0 ? "yes" : "no");
	printf("child's pid differs: %s\n", p != me ? "yes" : "no");
}

static void shared_offset(void)
{
	int fd = open("shared", O_CREAT | O_TRUNC | O_RDWR, 0644);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, "a", 1) == 1);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(write(fd, "b", 1) == 1 ? 0 : 1);
	int st;
	REQUIRE(waitpid(p, &st, 0) == p && WEXITSTATUS(st) == 0);
	REQUIRE(write(fd, "c", 1) == 1);
	SHOW(lseek(fd, 0, SEEK_CUR));
	char buf[8] = "";
	SHOW(pread(fd, buf, sizeof buf - 1, 0));
	printf("content %s\n", buf);
	close(fd);
	unlink("shared");
}

static void *fork_in_thread(void *arg)
{
	(void)arg;
	int st = -1;
	pid_t p = spawn_exit(5);
	if (p > 0)
		waitpid(p, &st, 0);
	return (void *)(long)(p > 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

static void from_thread(void)
{
	pthread_t t;
	void *r;
	REQUIRE(pthread_create(&t, NULL, fork_in_thread, NULL) == 0);
	REQUIRE(pthread_join(t, &r) == 0);
	printf("fork from a thread: child status %ld\n", (long)r);
}

static void grandchildren(void)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		pid_t g = spawn_exit(4);
		int st = -1;
		if (g <= 0 || waitpid(g, &st, 0) != g)
			_exit(100);
		_exit(WEXITSTATUS(st) + 2);
	}
	int st;
	REQUIRE(waitpid(p, &st, 0) == p);
	printf("grandchild 4, child %d\n", WEXITSTATUS(st));
}

/* The child exits at once; its child, the orphan, finds another parent. */
static void orphan(void)
{
	unlink("reaped");
	unlink("orphan-ok");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		pid_t me = getpid();
		fflush(stdout);
		if (fork() == 0) {
			await("reaped");
			if (getppid() != me)
				close(open("orphan-ok", O_CREAT | O_WRONLY, 0644));
			_exit(0);
		}
		_exit(0);
	}
	int st;
	REQUIRE(waitpid(p, &st, 0) == p);
	close(open("reaped", O_CREAT | O_WRONLY, 0644));
	while (access("orphan-ok", F_OK) != 0)
		usleep(1000);
	printf("orphan reparented: yes\n");
	unlink("reaped");
	unlink("orphan-ok");
}

static void waitid_forms(void)
{
	siginfo_t si;
	pid_t p = spawn_exit(9);
	memset(&si, 0, sizeof si);
	SHOW(waitid(P_PID, (id_t)p, &si, WEXITED | WNOWAIT));
	printf("waitid: code %s status %d pid ok %d\n",
	       si.si_code == CLD_EXITED ? "CLD_EXITED" : "?", si.si_status,
	       si.si_pid == p);
	int st = -1;
	REQUIRE(waitpid(p, &st, 0) == p); /* WNOWAIT left it */
	printf("then waitpid: status %d\n", WEXITSTATUS(st));
	memset(&si, 0, sizeof si);
	SHOW(waitid(P_ALL, 0, &si, WEXITED | WNOHANG)); /* ECHILD */
	SHOW(waitid(P_ALL, 0, &si, WNOHANG)); /* EINVAL: nothing to wait for */
}

static volatile sig_atomic_t chld;
static void on_chld(int sig)
{
	(void)sig;
	chld = 1;
}

/* SIGCHLD reaches the parent (blocked until we wait for it). */
static void sigchld(void)
{
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	REQUIRE(signal(SIGCHLD, on_chld) != SIG_ERR);
	REQUIRE(sigprocmask(SIG_BLOCK, &block, &old) == 0);
	pid_t p = spawn_exit(1);
	int st;
	REQUIRE(waitpid(p, &st, 0) == p);
	while (!chld)
		sigsuspend(&old);
	REQUIRE(sigprocmask(SIG_SETMASK, &old, NULL) == 0);
	signal(SIGCHLD, SIG_DFL);
	printf("SIGCHLD arrived: yes\n");
}

static volatile sig_atomic_t usr1;
static void on_usr1(int sig)
{
	(void)sig;
	usr1 = 1;
}

/* A forked child's signal to itself arrives before raise returns. */
static void child_raise(void)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		signal(SIGUSR1, on_usr1);
		raise(SIGUSR1);
		_exit(usr1 ? 0 : 1);
	}
	int st;
	REQUIRE(waitpid(p, &st, 0) == p);
	printf("child's raise ran its handler first: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 0 ? "yes" : "no");
}

/* A child that aborts: its parent sees SIGABRT, as natively. */
static void child_abort(void)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		abort();
	int st;
	REQUIRE(waitpid(p, &st, 0) == p);
	printf("aborted child: signalled %d, signal %d\n", WIFSIGNALED(st),
	       WIFSIGNALED(st) ? WTERMSIG(st) : -1);
}

int main(void)
{
	enter_scratch();
	statuses();
	nohang();
	ppid();
	shared_offset();
	from_thread();
	grandchildren();
	orphan();
	waitid_forms();
	sigchld();
	child_raise();
	child_abort();
	printf("done\n");
	return 0;
}
