/* Signals between cages, process groups, timers (tests/integration/signals.sh).
 *   ready SIG        handle SIG, print "pid N", wait for SIG
 *   kill PID SIG     kill(PID, SIG): "= 0" or "= -1 ENAME"
 *   self0 SIG        kill(0, SIG): was the handler run before kill returned?
 *   park SIG         handle SIG without SA_RESTART, print "pid N", read
 *                    stdin (parked in the server)
 *   ids              pid, group, session and what setsid/setpgid answer
 *   timers           alarm, setitimer, timer_create each deliver SIGALRM
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t got;

static void on_sig(int sig) { got = sig; }

static void handle(int sig, int flags)
{
	struct sigaction sa = {.sa_handler = on_sig, .sa_flags = flags};
	sigemptyset(&sa.sa_mask);
	sigaction(sig, &sa, NULL);
}

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s = -1 %s\n", what, strerrorname_np(errno));
	else
		printf("%s = %ld\n", what, r);
}

static int wait_got(void)
{
	while (!got)
		pause();
	printf("got %d\n", (int)got);
	return 0;
}

static int timers(void)
{
	handle(SIGALRM, SA_RESTART);
	got = 0;
	alarm(1);
	printf("alarm: ");
	wait_got();
	got = 0;
	struct itimerval it = {.it_value = {0, 50000}};
	show("setitimer", setitimer(ITIMER_REAL, &it, NULL));
	wait_got();
	got = 0;
	timer_t t;
	struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL,
			      .sigev_signo = SIGALRM};
	show("timer_create", timer_create(CLOCK_MONOTONIC, &ev, &t));
	struct itimerspec ts = {.it_value = {0, 50000000}};
	show("timer_settime", timer_settime(t, 0, &ts, NULL));
	wait_got();
	show("timer_delete", timer_delete(t));
	return 0;
}

static int ids(void)
{
	pid_t me = getpid();
	printf("leads its group and session: %d\n",
	       getpgrp() == me && getsid(0) == me && getpgid(0) == me);
	show("setsid", setsid());
	show("setpgid(0, 0)", setpgid(0, 0));
	show("setpgid(0, -1)", setpgid(0, -1));
	show("getpgid(999999)", getpgid(999999));
	show("getsid(999999)", getsid(999999));
	show("setpgid(999999, 0)", setpgid(999999, 0));
	return 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "ready") && argc == 3) {
		handle(atoi(argv[2]), SA_RESTART);
		printf("pid %d\n", (int)getpid());
		return wait_got();
	}
	if (!strcmp(c, "kill") && argc == 4) {
		show("kill", kill(atoi(argv[2]), atoi(argv[3])));
		return 0;
	}
	if (!strcmp(c, "self0") && argc == 3) {
		handle(atoi(argv[2]), SA_RESTART);
		long r = kill(0, atoi(argv[2]));
		printf("kill(0) = %ld, handler ran before it returned: %s\n", r,
		       got ? "yes" : "no");
		return 0;
	}
	if (!strcmp(c, "park") && argc == 3) {
		handle(atoi(argv[2]), 0);
		printf("pid %d\n", (int)getpid());
		char b[16];
		show("read", read(0, b, sizeof b));
		printf("got %d\n", (int)got);
		return 0;
	}
	if (!strcmp(c, "ids"))
		return ids();
	if (!strcmp(c, "timers"))
		return timers();
	fprintf(stderr, "signals_cage: bad command\n");
	return 2;
}
