/* signals a cage sends itself: handlers run, abort() ends with SIGABRT */
#include "case.h"
#include <signal.h>

static volatile sig_atomic_t got;

static void on_usr1(int sig)
{
	got = sig;
}

int main(void)
{
	signal(SIGUSR1, on_usr1);
	SHOW(raise(SIGUSR1));
	printf("handler saw %d\n", got == SIGUSR1);
	got = 0;
	SHOW(kill(getpid(), SIGUSR1));
	printf("handler saw %d\n", got == SIGUSR1);
	signal(SIGUSR1, SIG_IGN);
	SHOW(raise(SIGUSR1));
	printf("about to abort\n");
	fflush(stdout);
	abort();
}
