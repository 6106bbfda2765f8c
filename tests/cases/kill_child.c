/* Signals to a child at once after fork (before its process may have
 * attached as a cage: the server holds them for it), and the statuses its
 * parent's wait reports for a child killed by a signal. */
#include "case.h"

#include <signal.h>
#include <sys/wait.h>

static void report(pid_t p)
{
	int st = 0;
	if (waitpid(p, &st, 0) != p)
		printf("waitpid: %s\n", case_errname(errno));
	else if (WIFSIGNALED(st))
		printf("killed by %s\n", sigabbrev_np(WTERMSIG(st)));
	else
		printf("exited %d\n", WEXITSTATUS(st));
}

static void on_usr1(int sig)
{
	(void)sig;
	_exit(5);
}

int main(void)
{
	static const int sigs[] = {SIGTERM, SIGKILL, SIGINT, SIGHUP, SIGUSR2};
	/* whatever was ignored where the test was started (nohup, a
	 * background job: SIGHUP, SIGINT) would be in the child too */
	for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++)
		if (sigs[i] != SIGKILL)
			signal(sigs[i], SIG_DFL);
	fflush(stdout);
	for (int round = 0; round < 4; round++)
		for (size_t i = 0; i < sizeof sigs / sizeof *sigs; i++) {
			pid_t p = fork();
			if (p == 0) {
				pause();
				_exit(1);
			}
			kill(p, sigs[i]);
			report(p);
		}
	/* a handler the child set before fork runs in the child */
	signal(SIGUSR1, on_usr1);
	pid_t p = fork();
	if (p == 0) {
		for (;;)
			pause();
	}
	kill(p, SIGUSR1);
	report(p);
	return 0;
}
