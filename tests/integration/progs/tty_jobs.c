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

static volatile sig_atomic_t ttou;
static void on_ttou(int sig)
{
	(void)sig;
	ttou = 1;
}

static void say(int fd, const char *what, long r)
{
	char line[200];
	int n = r < 0 ? snprintf(line, sizeof line, "%s = -1 %s\n", what,
				 strerrorname_np(errno))
		      : snprintf(line, sizeof line, "%s = %ld\n", what, r);
	if (write(fd, line, (size_t)n) != n)
		_exit(1);
}

/* A child in a background group (not orphaned: we are its parent, in
 * the session, in another group) uses the terminal under TOSTOP (stty
 * tostop before us); it tells what it got on a pipe, as its writes to
 * the terminal are what is tested. */
static void background_child(void)
{
	int out[2], st;
	char b, buf[1024];
	if (pipe(out))
		_exit(1);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		close(out[0]);
		setpgid(0, 0);
		signal(SIGTTIN, SIG_IGN);
		say(out[1], "read, SIGTTIN ignored", read(0, &b, 1));
		struct sigaction sa = {.sa_handler = on_ttou}; /* no restart */
		sigaction(SIGTTOU, &sa, NULL);
		say(out[1], "write, SIGTTOU caught", write(1, "x\n", 2));
		for (int i = 0; i < 5000 && !ttou; i++)
			usleep(1000); /* a cage's comes through the relay */
		say(out[1], "its handler ran", ttou);
		signal(SIGTTOU, SIG_DFL); /* stops until made foreground */
		say(out[1], "write, SIGTTOU's default",
		    write(1, "written once in front\n", 22));
		_exit(0);
	}
	close(out[1]);
	setpgid(p, p);
	waitpid(p, &st, WUNTRACED);
	printf("the background writer: stopped by %d\n",
	       WIFSTOPPED(st) ? WSTOPSIG(st) : -1);
	fflush(stdout);
	tcsetpgrp(0, p);
	kill(-p, SIGCONT);
	waitpid(p, &st, 0);
	signal(SIGTTOU, SIG_IGN);
	tcsetpgrp(0, getpgrp());
	signal(SIGTTOU, SIG_DFL);
	ssize_t n = read(out[0], buf, sizeof buf);
	printf("%.*s", n > 0 ? (int)n : 0, buf);
	printf("and it exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(out[0]);
}

int main(void)
{
	int ready[2], go[2], fds[2], st;
	if (pipe(ready) || pipe(go) || pipe(fds))
		return 1;
	/* nothing reaches the terminal while we are in the background */
	static char obuf[8192];
	setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
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
	/* back to the front with SIGTTOU ignored */
	signal(SIGTTOU, SIG_IGN);
	show("tcsetpgrp(our group) from the background",
	     tcsetpgrp(0, getpgrp()));
	signal(SIGTTOU, SIG_DFL);
	printf("foreground is ours again: %s\n",
	       tcgetpgrp(0) == getpgrp() ? "yes" : "no");
	background_child();
	if (write(go[1], "gg", 2) != 2)
		return 1;
	waitpid(other, &st, 0);
	waitpid(kid, &st, 0);
	printf("done\n");
	return 0;
}
