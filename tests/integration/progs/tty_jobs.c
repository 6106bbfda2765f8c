/* tcgetpgrp, tcsetpgrp, tcgetsid on the terminal on stdin (run under
 * script(1), natively and in a cage: the same output).  The caller leads
 * its session and the foreground group, as a program a terminal's shell
 * runs with exec. */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s = %ld\n", what, r);
}

/* A child in a group of its own (setsid: a session of its own too), once
 * it said so on the pipe; it waits for a byte, then exits. */
static pid_t spawn(int ready[2], int go[2], int new_session)
{
	char b;
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		if (new_session) {
			setsid();
			printf("new session: tcgetpgrp = %s\n",
			       tcgetpgrp(0) < 0 ? strerrorname_np(errno)
						: "a group");
			fflush(stdout);
		} else {
			setpgid(0, 0);
		}
		if (write(ready[1], "r", 1) != 1 || read(go[0], &b, 1) != 1)
			_exit(1);
		_exit(0);
	}
	return read(ready[0], &b, 1) == 1 ? p : -1;
}

int main(void)
{
	int ready[2], go[2], fds[2], st;
	if (pipe(ready) || pipe(go) || pipe(fds))
		return 1;
	printf("foreground is our group: %s\n",
	       tcgetpgrp(0) == getpgrp() ? "yes" : "no");
	printf("tcgetsid is our session: %s\n",
	       tcgetsid(0) == getsid(0) ? "yes" : "no");
	show("tcgetpgrp(pipe)", tcgetpgrp(fds[0]));
	show("tcsetpgrp(pipe)", tcsetpgrp(fds[1], getpgrp()));
	show("tcsetpgrp(-1)", tcsetpgrp(0, -1));
	show("tcsetpgrp(no such group)", tcsetpgrp(0, 999999));
	pid_t other = spawn(ready, go, 1);
	show("tcsetpgrp(a group in another session)", tcsetpgrp(0, other));
	pid_t kid = spawn(ready, go, 0);
	setpgid(kid, kid);
	show("tcsetpgrp(child's group)", tcsetpgrp(0, kid) == 0 ? 0 : -1);
	printf("foreground is the child's group: %s\n",
	       tcgetpgrp(0) == kid ? "yes" : "no");
	/* in the background now: back to the front with SIGTTOU ignored */
	signal(SIGTTOU, SIG_IGN);
	show("tcsetpgrp(our group) from the background",
	     tcsetpgrp(0, getpgrp()));
	signal(SIGTTOU, SIG_DFL);
	printf("foreground is ours again: %s\n",
	       tcgetpgrp(0) == getpgrp() ? "yes" : "no");
	if (write(go[1], "gg", 2) != 2)
		return 1;
	waitpid(other, &st, 0);
	waitpid(kid, &st, 0);
	printf("done\n");
	return 0;
}
