/*
 * exec.sh's program, built natively, with lind-cc and with lind-cc
 * -static; every command prints the same natively and in a cage.
 *   chain FILE T1 [T2...]  set up what execve must keep or drop (fd 5
 *                          close-on-exec and fd 6 plain, both on FILE, 2
 *                          bytes read; cwd, umask 027, SIGUSR1 ignored,
 *                          SIGHUP caught, SIGUSR2 blocked, SIGTERM
 *                          pending, EXEC_VAR), then hop to T1
 *   hop [T...]             exec the next target (hop again), or show
 *   show ARGS...           what survived; exit 42
 *   errno PATH             execve(PATH): its errno, then goes on
 *   at DIR NAME FLAGS      execveat(open(DIR), NAME, FLAGS): errno
 *   fexec PATH [cloexec]   fexecve(open(PATH)): errno
 *   hostile                execve with bad pointers and absurd argv
 *   count N                exec itself N times (make bench)
 *   openexec PATH FLAGS    lind_openexec called raw (a hostile cage):
 *                          its errno, or "readable fd" (cage only)
 *   threads PROG           exec PROG show from a cage with four more
 *                          threads: one reading a pipe at fd 6 (parked in
 *                          the server), one spinning, one on a condition
 *                          variable, one asleep; execve ends them all
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <time.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void on_hup(int sig)
{
	(void)sig;
}

static int hop(char **targets)
{
	char *v[64];
	int n = 0;
	if (!targets[0])
		return 1;
	v[n++] = targets[0];
	v[n++] = "hop";
	for (int i = 1; targets[i] && n < 62; i++)
		v[n++] = targets[i];
	v[n] = NULL;
	if (!targets[1]) { /* the last one shows */
		v[1] = "show";
		v[2] = "x y";
		v[3] = "";
		v[4] = NULL;
	}
	fflush(stdout);
	execve(targets[0], v, environ);
	printf("execve %s: %s\n", targets[0], strerrorname_np(errno));
	return 1;
}

static int chain(const char *file, char **targets)
{
	if (open(file, O_RDONLY | O_CLOEXEC) != 3 || dup2(3, 5) != 5 ||
	    fcntl(5, F_SETFD, FD_CLOEXEC) < 0 || open(file, O_RDONLY) != 4 ||
	    dup2(4, 6) != 6) {
		perror("chain: fds");
		return 1;
	}
	close(3);
	close(4);
	char two[2];
	if (read(6, two, 2) != 2)
		return 1;
	char *dir = strdup(file);
	*strrchr(dir, '/') = '\0';
	if (chdir(dir) < 0)
		return 1;
	umask(027);
	signal(SIGUSR1, SIG_IGN);
	signal(SIGHUP, on_hup);
	sigset_t m;
	sigemptyset(&m);
	sigaddset(&m, SIGUSR2);
	sigaddset(&m, SIGTERM);
	sigprocmask(SIG_BLOCK, &m, NULL);
	raise(SIGTERM);
	setenv("EXEC_VAR", "kept across exec", 1);
	return hop(targets);
}

static int show(int argc, char **argv)
{
	printf("argc %d:", argc - 1);
	for (int i = 1; i < argc; i++)
		printf(" [%s]", argv[i]);
	printf("\nEXEC_VAR=%s\n", getenv("EXEC_VAR") ? getenv("EXEC_VAR") : "-");
	printf("fd 5 (cloexec): %s\n", fcntl(5, F_GETFD) < 0 ? "closed" : "open");
	char buf[64] = "";
	ssize_t n = read(6, buf, sizeof buf - 1);
	printf("fd 6: %s, reads \"%.*s\"\n", n < 0 ? "closed" : "open",
	       n > 0 ? (int)strcspn(buf, "\n") : 0, buf);
	char cwd[4096];
	printf("cwd %s\n", getcwd(cwd, sizeof cwd) ? strrchr(cwd, '/') : "?");
	mode_t um = umask(0);
	printf("umask %03o\n", (unsigned)um);
	struct sigaction sa;
	sigaction(SIGUSR1, NULL, &sa);
	printf("SIGUSR1 %s\n", sa.sa_handler == SIG_IGN ? "ignored" : "not ignored");
	sigaction(SIGHUP, NULL, &sa);
	printf("SIGHUP %s\n", sa.sa_handler == SIG_DFL ? "default" : "caught");
	sigset_t m, p;
	sigprocmask(SIG_BLOCK, NULL, &m);
	sigpending(&p);
	printf("SIGUSR2 %s, SIGTERM %s\n",
	       sigismember(&m, SIGUSR2) ? "blocked" : "unblocked",
	       sigismember(&p, SIGTERM) ? "pending" : "not pending");
	return 42;
}

static int report(const char *what, int r)
{
	printf("%s: %s\n", what, r < 0 ? strerrorname_np(errno) : "ran?");
	fflush(stdout);
	return 0;
}

static int hostile(const char *self)
{
	char *ok[] = {(char *)self, NULL};
	long pg = sysconf(_SC_PAGESIZE);
	char *gone = mmap(NULL, (size_t)pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	munmap(gone, (size_t)pg);
	/* raw: glibc would not pass these on unchanged */
	report("path in unmapped memory",
	       (int)syscall(SYS_execve, gone, ok, environ));
	report("path at address 16", (int)syscall(SYS_execve, 16, ok, environ));
	report("argv in unmapped memory",
	       (int)syscall(SYS_execve, self, gone, environ));
	char *bad[] = {(char *)self, gone, NULL};
	report("argv[1] in unmapped memory",
	       (int)syscall(SYS_execve, self, bad, environ));
	report("envp in unmapped memory",
	       (int)syscall(SYS_execve, self, ok, gone));
	size_t big = 200 * 1024;
	char *s = malloc(big + 1);
	memset(s, 'a', big);
	s[big] = '\0';
	char *one[] = {(char *)self, s, NULL};
	report("one 200 KiB argument", execve(self, one, environ));
	size_t n = 400000;
	char **many = calloc(n + 1, sizeof *many);
	for (size_t i = 0; i < n; i++)
		many[i] = "0123456789";
	report("400000 arguments", execve(self, many, environ));
	report("bad flags", (int)syscall(SYS_execveat, AT_FDCWD, self, ok,
					 environ, 0x80000));
	printf("still running\n");
	return 0;
}

/* posix_spawn (glibc's CLONE_VM|CLONE_VFORK clone), then system(): each
 * runs prog, waited for; statuses printed */
static int spawn(char *prog)
{
	char *v[] = {prog, "show", "spawned", NULL};
	pid_t pid;
	int st = -1, r = posix_spawn(&pid, prog, NULL, NULL, v, environ);
	if (r == 0 && waitpid(pid, &st, 0) != pid)
		st = -1;
	printf("posix_spawn %s, status %#x\n", strerror(r), st);
	char cmd[4200];
	snprintf(cmd, sizeof cmd, "%s show by-system; exit 7", prog);
	printf("system: status %#x\n", system(cmd));
	return 0;
}

static atomic_int started;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t never = PTHREAD_COND_INITIALIZER;

static void *busy_thread(void *kind)
{
	atomic_fetch_add(&started, 1);
	char c;
	struct timespec long_sleep = {1000, 0};
	switch ((int)(long)kind) {
	case 0:
		return (void *)read(6, &c, 1);
	case 1:
		for (volatile long i = 0;; i++)
			;
	case 2:
		pthread_mutex_lock(&lock);
		for (;;)
			pthread_cond_wait(&never, &lock);
	default:
		nanosleep(&long_sleep, NULL);
		return NULL;
	}
}

static int exec_threaded(char *prog)
{
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0 || dup2(p[0], 6) < 0)
		return 1;
	pthread_t t;
	for (long kind = 0; kind < 4; kind++)
		if (pthread_create(&t, NULL, busy_thread, (void *)kind) != 0)
			return 1;
	while (atomic_load(&started) < 4)
		sched_yield();
	char *v[] = {prog, "show", "after threads", NULL};
	execve(prog, v, environ);
	printf("execve: %s\n", strerrorname_np(errno));
	return 1;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(c, "chain") && argc > 3)
		return chain(argv[2], argv + 3);
	if (!strcmp(c, "hop"))
		return hop(argv + 2);
	if (!strcmp(c, "show"))
		return show(argc - 1, argv + 1);
	if (!strcmp(c, "errno") && argc == 3) {
		char *v[] = {argv[2], NULL};
		report(argv[2], execve(argv[2], v, environ));
		printf("still running\n");
		return 0;
	}
	if (!strcmp(c, "at") && argc == 5) {
		int d = open(argv[2], O_RDONLY | O_DIRECTORY);
		char *v[] = {argv[3], "show", NULL};
		return report(argv[3], execveat(d, argv[3], v, environ,
						(int)strtol(argv[4], NULL, 0)));
	}
	if (!strcmp(c, "fexec") && (argc == 3 || argc == 4)) {
		int fd = open(argv[2], O_RDONLY | (argc == 4 ? O_CLOEXEC : 0));
		char *v[] = {argv[2], "show", NULL};
		return report(argv[2], fexecve(fd, v, environ));
	}
	if (!strcmp(c, "hostile"))
		return hostile(argv[0]);
	if (!strcmp(c, "spawn") && argc == 3)
		return spawn(argv[2]);
	if (!strcmp(c, "count") && argc == 3) {
		int left = atoi(argv[2]);
		if (left <= 0)
			return 0;
		char num[16];
		snprintf(num, sizeof num, "%d", left - 1);
		char *v[] = {argv[0], "count", num, NULL};
		execve(argv[0], v, environ);
		perror("count: execve");
		return 1;
	}
	if (!strcmp(c, "openexec") && argc == 4) {
		long fd = syscall(0x4c4e0a, AT_FDCWD, argv[2],
				  strtol(argv[3], NULL, 0)); /* LIND_NR(10) */
		char b;
		if (fd < 0)
			printf("%s\n", strerrorname_np(errno));
		else
			printf("fd, %s\n", read((int)fd, &b, 1) == 1
						     ? "readable" : "unreadable");
		return 0;
	}
	if (!strcmp(c, "threads") && argc == 3)
		return exec_threaded(argv[2]);
	fprintf(stderr, "exec_cage: unknown command '%s'\n", c);
	return 2;
}
