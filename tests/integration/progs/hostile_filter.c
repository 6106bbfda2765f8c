/* A hostile cage for tests/integration/filter.sh: each subcommand tries one
 * way past client-libc's seccomp filter with raw syscall instructions (the
 * cage is native code: it can forge anything client-libc's own host calls
 * carry) and prints what happened, one line per attempt. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define HOST_MAGIC 0x4c494e44484f5354l /* client-libc/client.h */

#include "raw_syscall.h"

static void show(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np((int)-r));
	else
		printf("%s: ok\n", what);
	fflush(stdout);
}

/* "self" is getpid(), "tid" gettid(), else a number. */
static long pid_arg(const char *s)
{
	if (!strcmp(s, "self"))
		return getpid();
	if (!strcmp(s, "tid"))
		return raw6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	return strtol(s, NULL, 10);
}

/* The kernel's struct sigaction on x86-64. */
struct k_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static volatile sig_atomic_t hijacked;

static void hijack(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
	hijacked = 1;
}

/* Replace the SIGSYS handler with the magic that lets client-libc's own
 * rt_sigaction through; then see who answers a trapped call. */
static int cmd_sigsys(void)
{
	struct k_sigaction old, mine;
	if (raw6(SYS_rt_sigaction, SIGSYS, 0, (long)&old, 8, 0, 0) < 0)
		return 1;
	mine = old; /* keep its restorer: the handler must return */
	mine.handler = (void *)hijack;
	mine.flags |= SA_SIGINFO;
	show("forged rt_sigaction(SIGSYS)",
	     raw6(SYS_rt_sigaction, SIGSYS, (long)&mine, 0, 8, 0, HOST_MAGIC));
	struct k_sigaction now;
	raw6(SYS_rt_sigaction, SIGSYS, 0, (long)&now, 8, 0, 0);
	printf("SIGSYS handler %s\n",
	       now.handler == old.handler ? "unchanged" : "replaced");
	long r = raw6(SYS_getppid, 0, 0, 0, 0, 0, 0);
	printf("getppid = %ld, hijacked %d\n", r, hijacked);
	return 0;
}

/* The host exceptions with forged magic and other arguments. */
static int cmd_magic(void)
{
	show("forged pidfd_open", raw6(SYS_pidfd_open, 1, 0, 0, 0, 0,
				       HOST_MAGIC));
	char c;
	show("forged peek at fd 0", raw6(SYS_recvfrom, 0, (long)&c, 1,
					 MSG_PEEK | MSG_DONTWAIT, 0,
					 HOST_MAGIC));
	show("forged kill of pid 1", raw6(SYS_kill, 1, 0, 0, 0, 0,
					  HOST_MAGIC));
	return 0;
}

static int cmd_robust(int n, char **pids)
{
	for (int i = 0; i < n; i++) {
		void *head;
		size_t len;
		char what[64];
		snprintf(what, sizeof what, "get_robust_list(%s)", pids[i]);
		show(what, raw6(SYS_get_robust_list, pid_arg(pids[i]),
				(long)&head, (long)&len, 0, 0, 0));
	}
	return 0;
}

static int cmd_affinity(int n, char **pids)
{
	for (int i = 0; i < n; i++) {
		cpu_set_t set;
		char what[64];
		snprintf(what, sizeof what, "sched_getaffinity(%s)", pids[i]);
		show(what, raw6(SYS_sched_getaffinity, pid_arg(pids[i]),
				sizeof set, (long)&set, 0, 0, 0));
	}
	return 0;
}

/* CPU clocks by pid (process) and, with "thread", of the caller's tid;
 * "fd0" is the clock of host fd 0. */
static int cmd_cpuclock(int n, char **pids)
{
	for (int i = 0; i < n; i++) {
		struct timespec ts;
		char what[64];
		int clk;
		if (!strcmp(pids[i], "thread"))
			clk = (int)(~(unsigned)raw6(SYS_gettid, 0, 0, 0, 0, 0, 0)
				    << 3) | 4 | 2;
		else if (!strcmp(pids[i], "fd0"))
			clk = (int)(~0u << 3) | 3;
		else
			clk = (int)(~(unsigned)pid_arg(pids[i]) << 3) | 2;
		snprintf(what, sizeof what, "clock_gettime(cpu %s)", pids[i]);
		show(what, raw6(SYS_clock_gettime, clk, (long)&ts, 0, 0, 0, 0));
	}
	return 0;
}

/* PI futex commands look the owner up by the tid in the word. */
static int cmd_futexpi(int n, char **pids)
{
	for (int i = 0; i < n; i++) {
		uint32_t word = (uint32_t)pid_arg(pids[i]);
		char what[64];
		snprintf(what, sizeof what, "futex TRYLOCK_PI(%s)", pids[i]);
		show(what, raw6(SYS_futex, (long)&word, FUTEX_TRYLOCK_PI, 0, 0,
				0, 0));
	}
	return 0;
}

#define THREAD_FLAGS                                                   \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | \
	 CLONE_SYSVSEM)

/* clone whose child, should one be created, exits at once on its own
 * stack: the hole shows as "created", a refusal as the errno. */
static long raw_clone(unsigned long flags, void *stack, int *ptid)
{
	register long r10 __asm__("r10") = 0;
	register long r8 __asm__("r8") = 0;
	long ret;
	__asm__ volatile("syscall\n\t"
			 "test %%rax, %%rax\n\t"
			 "jnz 1f\n\t"
			 "mov $60, %%eax\n\t" /* the child: exit(0) */
			 "xor %%edi, %%edi\n\t"
			 "syscall\n\t"
			 "1:"
			 : "=a"(ret)
			 : "a"(SYS_clone), "D"(flags), "S"(stack), "d"(ptid),
			   "r"(r10), "r"(r8)
			 : "rcx", "r11", "memory");
	return ret;
}

static void *thread_main(void *arg)
{
	return arg;
}

static int cmd_clone(int n, char **kinds)
{
	static const struct {
		const char *name;
		unsigned long flags;
	} k[] = {
		{"namespaces", THREAD_FLAGS | CLONE_NEWUTS | CLONE_NEWNET},
		{"pidfd", THREAD_FLAGS | CLONE_PIDFD},
		{"parent", THREAD_FLAGS | CLONE_PARENT},
		{"exit-signal", THREAD_FLAGS | SIGCHLD},
		{"fork", SIGCHLD},
	};
	for (int i = 0; i < n; i++) {
		if (!strcmp(kinds[i], "pthread")) {
			pthread_t t;
			void *r = NULL;
			int e = pthread_create(&t, NULL, thread_main, (void *)7);
			if (!e)
				e = pthread_join(t, &r);
			printf("pthread_create: %s, joined %ld\n",
			       e ? strerrorname_np(e) : "ok", (long)r);
			continue;
		}
		for (size_t j = 0; j < sizeof k / sizeof k[0]; j++) {
			if (strcmp(kinds[i], k[j].name))
				continue;
			char *stack = mmap(NULL, 65536, PROT_READ | PROT_WRITE,
					   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			int pidfd = -1;
			long r = raw_clone(k[j].flags, stack + 65536, &pidfd);
			printf("clone %s: %s%s\n", k[j].name,
			       r < 0 ? strerrorname_np((int)-r) : "created",
			       pidfd >= 0 ? " with a host pidfd" : "");
			/* a created child only exits; its stack stays */
		}
	}
	fflush(stdout);
	return 0;
}

static volatile sig_atomic_t woken;

static void on_term(int sig)
{
	woken = sig;
}

/* Sleep in the host (nanosleep passes the filter) until SIGTERM, then do
 * ACTION: "exit N", "abort", "write" (needs the relay), or "report" (the
 * sleep's result, then exit 0). */
static int cmd_sleep(int argc, char **argv)
{
	struct sigaction sa = {.sa_handler = on_term}; /* no SA_RESTART */
	sigaction(SIGTERM, &sa, NULL);
	printf("sleeping\n");
	fflush(stdout);
	struct timespec ts = {3600, 0};
	long r = raw6(SYS_nanosleep, (long)&ts, 0, 0, 0, 0, 0);
	if (argc >= 1 && !strcmp(argv[0], "exit"))
		exit(argc >= 2 ? atoi(argv[1]) : 0);
	if (argc >= 1 && !strcmp(argv[0], "abort"))
		abort();
	if (argc >= 1 && !strcmp(argv[0], "write")) {
		(void)!write(1, "woke\n", 5);
		return 0;
	}
	show("nanosleep", r);
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	int n = argc - 2;
	char **rest = argv + 2;
	if (!strcmp(c, "sigsys"))
		return cmd_sigsys();
	if (!strcmp(c, "magic"))
		return cmd_magic();
	if (!strcmp(c, "robust"))
		return cmd_robust(n, rest);
	if (!strcmp(c, "affinity"))
		return cmd_affinity(n, rest);
	if (!strcmp(c, "cpuclock"))
		return cmd_cpuclock(n, rest);
	if (!strcmp(c, "futexpi"))
		return cmd_futexpi(n, rest);
	if (!strcmp(c, "clone"))
		return cmd_clone(n, rest);
	if (!strcmp(c, "sleep"))
		return cmd_sleep(n, rest);
	fprintf(stderr, "hostile_filter: unknown command '%s'\n", c);
	return 2;
}
