/* The cage side of lifecycle.sh: one short life each, ended in one way.
 *   exit N     exits with N
 *   segv       dies of SIGSEGV
 *   sleep      says "up" and sleeps until the host kills it
 *   shm        attaches a SysV shm segment (removed: IPC_RMID, so its
 *              last detach frees it), says "up", sleeps like sleep
 *   parked     forks a writer, says "parking" and blocks in a pipe read
 *              until the host kills it; the writer, once orphaned (its
 *              parent gone), writes and must get EPIPE: it says "EPIPE"
 *   eof        forks a writer that dies of SIGSEGV; the reader must see
 *              EOF and collect WIFSIGNALED SIGSEGV: says "eof segv"
 *   forkkill   forks a child that sleeps, kills it with SIGKILL and
 *              collects WIFSIGNALED SIGKILL: says "killed child"
 *   procs      the cages the server lists in /proc (itself included)
 *   tree PATH  (for the trace) a child execs PATH as "lc exit 3", then
 *              forkkill, then a child dies of SIGSEGV; exits with 7
 * Anything unexpected: a line saying what, exit 1. */
#define _GNU_SOURCE
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what)
{
	printf("%s: %s\n", what, strerror(errno));
	return 1;
}

static int *volatile nowhere; /* volatile: the compiler cannot drop the store */

static void segv(void)
{
	*nowhere = 1;
}

static int parked(void)
{
	int p[2];
	if (pipe(p) < 0)
		return fail("pipe");
	pid_t k = fork();
	if (k < 0)
		return fail("fork");
	if (k == 0) {
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		while (getppid() != 1) /* until the host killed the reader */
			usleep(1000);
		char c = 'x';
		if (write(p[1], &c, 1) < 0 && errno == EPIPE)
			printf("EPIPE\n");
		else
			printf("writer: no EPIPE\n");
		fflush(stdout); /* _exit does not */
		_exit(0);
	}
	close(p[1]);
	printf("parking\n");
	fflush(stdout);
	char c;
	ssize_t n = read(p[0], &c, 1);
	printf("read returned %zd\n", n); /* never: killed first */
	return 1;
}

static int eof(void)
{
	int p[2];
	if (pipe(p) < 0)
		return fail("pipe");
	pid_t k = fork();
	if (k < 0)
		return fail("fork");
	if (k == 0) {
		close(p[0]);
		segv();
		_exit(0);
	}
	close(p[1]);
	char c;
	ssize_t n = read(p[0], &c, 1);
	int st;
	if (waitpid(k, &st, 0) != k)
		return fail("waitpid");
	if (n != 0 || !WIFSIGNALED(st) || WTERMSIG(st) != SIGSEGV) {
		printf("read %zd, status %#x\n", n, st);
		return 1;
	}
	printf("eof segv\n");
	return 0;
}

static int forkkill(void)
{
	pid_t k = fork();
	if (k < 0)
		return fail("fork");
	if (k == 0) {
		for (;;)
			pause();
	}
	int st;
	if (kill(k, SIGKILL) < 0)
		return fail("kill");
	if (waitpid(k, &st, 0) != k)
		return fail("waitpid");
	if (!WIFSIGNALED(st) || WTERMSIG(st) != SIGKILL) {
		printf("status %#x\n", st);
		return 1;
	}
	printf("killed child\n");
	return 0;
}

static int procs(void)
{
	DIR *d = opendir("/proc");
	if (!d)
		return fail("/proc");
	int n = 0;
	for (struct dirent *e; (e = readdir(d));)
		n += isdigit((unsigned char)e->d_name[0]) != 0;
	closedir(d);
	printf("%d\n", n);
	return 0;
}

static int tree(const char *path)
{
	pid_t k = fork();
	if (k < 0)
		return fail("fork");
	if (k == 0) {
		execl(path, "lc", "exit", "3", (char *)NULL);
		_exit(fail("execl"));
	}
	int st;
	if (waitpid(k, &st, 0) != k || !WIFEXITED(st) || WEXITSTATUS(st) != 3)
		return fail("exec'd child");
	if (forkkill())
		return 1;
	if ((k = fork()) == 0)
		segv();
	if (k < 0 || waitpid(k, &st, 0) != k || !WIFSIGNALED(st))
		return fail("faulting child");
	return 7;
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";
	if (!strcmp(m, "exit") && argc > 2)
		return atoi(argv[2]);
	if (!strcmp(m, "segv"))
		segv();
	if (!strcmp(m, "shm")) {
		int id = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
		char *p = id < 0 ? NULL : shmat(id, NULL, 0);
		if (!p || p == (void *)-1 || shmctl(id, IPC_RMID, NULL) < 0)
			return fail("shm");
		p[0] = 1;
		m = "sleep";
	}
	if (!strcmp(m, "sleep")) {
		printf("up\n");
		fflush(stdout);
		for (;;)
			pause();
	}
	if (!strcmp(m, "parked"))
		return parked();
	if (!strcmp(m, "eof"))
		return eof();
	if (!strcmp(m, "forkkill"))
		return forkkill();
	if (!strcmp(m, "procs"))
		return procs();
	if (!strcmp(m, "tree") && argc > 2)
		return tree(argv[2]);
	printf("usage: life_cage exit N|segv|sleep|parked|eof|forkkill|procs|tree PATH\n");
	return 2;
}
