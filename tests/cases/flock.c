/* flock: shared and exclusive locks of an open file description, LOCK_NB,
 * Linux's non-atomic upgrade, dup/fork sharing, release on the last close
 * and at exit, a blocking lock woken by an unlock, EINTR, independence
 * from fcntl locks, errors */
#include "case.h"
#include <pthread.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/time.h>
#include <sys/wait.h>

static int a, b, unlocked = -2;

static void *unlocker(void *arg)
{
	(void)arg;
	usleep(100000); /* most likely after main waits; either order works */
	unlocked = flock(a, LOCK_UN); /* printed by main: in order */
	return NULL;
}

static void on_alarm(int sig)
{
	(void)sig;
}

static void errors(void)
{
	SHOW(flock(-1, LOCK_SH));
	SHOW(flock(99, LOCK_EX));
	SHOW(flock(a, 0));
	SHOW(flock(a, LOCK_NB));
	SHOW(flock(a, LOCK_SH | LOCK_EX));
	SHOW(flock(a, LOCK_UN | LOCK_SH));
	SHOW(flock(a, 64));
	SHOW(flock(-1, 0)); /* the operation is checked first */
	SHOW(flock(a, LOCK_UN)); /* nothing held: fine */
}

/* b's shared lock goes when its exclusive one cannot be had: Linux drops
 * the old lock before it tries */
static void upgrade(void)
{
	SHOW(flock(a, LOCK_SH));
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	SHOW(flock(a, LOCK_EX | LOCK_NB));
	SHOW(flock(b, LOCK_EX | LOCK_NB));
	SHOW(flock(a, LOCK_EX | LOCK_NB)); /* b holds nothing now */
	SHOW(flock(a, LOCK_EX | LOCK_NB)); /* again: nothing changes */
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	SHOW(flock(a, LOCK_SH)); /* downgrade */
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	SHOW(flock(a, LOCK_UN));
	SHOW(flock(b, LOCK_UN));
}

/* the description's: a dup unlocks it, fcntl locks never meet it */
static void sharing(void)
{
	SHOW(flock(a, LOCK_EX));
	int c = SHOW(dup(a));
	SHOW(flock(c, LOCK_EX | LOCK_NB));
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET};
	SHOW(fcntl(b, F_SETLK, &fl));
	SHOW(fcntl(b, F_OFD_SETLK, &fl));
	SHOW(flock(c, LOCK_UN));
	SHOW(flock(b, LOCK_EX | LOCK_NB));
	SHOW(close(c));
	int d = SHOW(open("f", O_RDONLY)); /* read-only: still LOCK_EX */
	SHOW(flock(d, LOCK_EX | LOCK_NB));
	SHOW(close(b)); /* its only fd: the lock goes */
	SHOW(flock(d, LOCK_EX | LOCK_NB));
	SHOW(close(d));
	b = SHOW(open("f", O_RDWR));
}

static void processes(void)
{
	int st;
	SHOW(flock(a, LOCK_EX));
	pid_t pid = fork();
	if (pid == 0) { /* a is shared with the parent */
		int e = open("f", O_RDWR);
		printf("child: own description %d\n", flock(e, LOCK_EX | LOCK_NB));
		printf("child: the shared one %d\n", flock(a, LOCK_EX | LOCK_NB));
		printf("child: unlocks it %d\n", flock(a, LOCK_UN));
		printf("child: own description %d\n", flock(e, LOCK_EX | LOCK_NB));
		fflush(stdout);
		_exit(0); /* holding e's lock: it goes with the process */
	}
	REQUIRE(waitpid(pid, &st, 0) == pid);
	SHOW(flock(b, LOCK_EX | LOCK_NB));
	SHOW(flock(a, LOCK_EX | LOCK_NB));
	SHOW(flock(b, LOCK_UN));
	/* killed while holding it */
	int p[2];
	SHOW(pipe(p));
	pid = fork();
	if (pid == 0) {
		int e = open("f", O_RDWR);
		flock(e, LOCK_EX);
		write(p[1], "x", 1);
		pause();
		_exit(1);
	}
	char x;
	SHOW(read(p[0], &x, 1));
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	SHOW(kill(pid, SIGKILL));
	REQUIRE(waitpid(pid, &st, 0) == pid);
	SHOW(flock(b, LOCK_SH | LOCK_NB));
	SHOW(flock(b, LOCK_UN));
	/* a pipe's ends are two descriptions of one file */
	SHOW(flock(p[0], LOCK_EX));
	SHOW(flock(p[1], LOCK_EX | LOCK_NB));
	SHOW(close(p[0]));
	SHOW(flock(p[1], LOCK_EX | LOCK_NB));
	SHOW(close(p[1]));
}

static void waiting(void)
{
	pthread_t t;
	SHOW(flock(a, LOCK_EX));
	REQUIRE(pthread_create(&t, NULL, unlocker, NULL) == 0);
	SHOW(flock(b, LOCK_EX)); /* waits for the unlock */
	REQUIRE(pthread_join(t, NULL) == 0);
	printf("the thread's unlock: %d\n", unlocked);
	SHOW(flock(a, LOCK_SH | LOCK_NB));
	/* a signal without SA_RESTART ends the wait */
	struct sigaction sa = {.sa_handler = on_alarm};
	SHOW(sigaction(SIGALRM, &sa, NULL));
	struct itimerval it = {.it_value = {0, 200000}};
	SHOW(setitimer(ITIMER_REAL, &it, NULL));
	SHOW(flock(a, LOCK_SH));
	SHOW(flock(b, LOCK_UN));
	SHOW(flock(a, LOCK_SH | LOCK_NB));
}

int main(void)
{
	enter_scratch();
	setvbuf(stdout, NULL, _IONBF, 0);
	put_file("f", "0123456789");
	a = SHOW(open("f", O_RDWR));
	b = SHOW(open("f", O_RDWR));
	errors();
	upgrade();
	sharing();
	processes();
	waiting();
	int dfd = SHOW(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(flock(dfd, LOCK_EX | LOCK_NB));
	SHOW(close(dfd));
	SHOW(close(a));
	SHOW(close(b));
	SHOW(unlink("f"));
	return 0;
}
