/* Signals between processes that share an anonymous MAP_SHARED page (the
 * PostgreSQL postmaster pattern): a child writes a value there and
 * signals its parent, whose handler sees it; one child signals its
 * sibling, whose pid it read from the page, and the sibling's handler
 * acknowledges in the page.  Pids are never printed. */
#include "case.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>

struct page {
	volatile unsigned value;
	volatile pid_t b_pid;
	volatile sig_atomic_t b_acked, parent_got;
};

static struct page *pg;

static void on_usr1_parent(int sig)
{
	(void)sig;
	pg->parent_got = 1;
}

static void on_usr1_b(int sig)
{
	(void)sig;
	pg->b_acked = 1;
}

/* Waits up to 5 s for *flag: whether it came. */
static int wait_flag(volatile sig_atomic_t *flag)
{
	for (int i = 0; i < 500 && !*flag; i++) {
		struct timespec ts = {0, 10 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
	return *flag != 0;
}

static void handler(void (*fn)(int))
{
	struct sigaction sa = {.sa_handler = fn, .sa_flags = SA_RESTART};
	sigemptyset(&sa.sa_mask);
	REQUIRE(sigaction(SIGUSR1, &sa, NULL) == 0);
}

static void child_to_parent(void)
{
	handler(on_usr1_parent);
	pid_t parent = getpid();
	fflush(stdout);
	pid_t c = fork();
	REQUIRE(c >= 0);
	if (c == 0) {
		pg->value = 0xC0FFEE42u;
		__sync_synchronize();
		_exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
	}
	printf("parent got SIGUSR1: %d\n", wait_flag(&pg->parent_got));
	printf("value %#x\n", pg->value);
	int st;
	REQUIRE(waitpid(c, &st, 0) == c);
	printf("child exited %d\n", WEXITSTATUS(st));
}

static int run_b(void)
{
	handler(on_usr1_b);
	pg->b_pid = getpid();
	return wait_flag(&pg->b_acked) ? 0 : 1;
}

static int run_a(void)
{
	for (int i = 0; i < 500 && !pg->b_pid; i++)
		usleep(10000);
	return pg->b_pid && kill(pg->b_pid, SIGUSR1) == 0 ? 0 : 1;
}

static void sibling_to_sibling(void)
{
	fflush(stdout);
	pid_t a = fork();
	REQUIRE(a >= 0);
	if (a == 0)
		_exit(run_a());
	pid_t b = fork();
	REQUIRE(b >= 0);
	if (b == 0)
		_exit(run_b());
	int sa, sb;
	REQUIRE(waitpid(a, &sa, 0) == a);
	REQUIRE(waitpid(b, &sb, 0) == b);
	printf("A exited %d, B exited %d, B acknowledged %d\n",
	       WEXITSTATUS(sa), WEXITSTATUS(sb), pg->b_acked);
}

int main(void)
{
	pg = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		  -1, 0);
	REQUIRE(pg != MAP_FAILED);
	child_to_parent();
	sibling_to_sibling();
	return 0;
}
