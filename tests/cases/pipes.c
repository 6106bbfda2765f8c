/* pipe, pipe2 and FIFOs: data, FIONREAD, F_GETPIPE_SZ/F_SETPIPE_SZ,
 * non-blocking ends, EOF, EPIPE and SIGPIPE, PIPE_BUF atomicity, a
 * thread as the other end (blocking reads and writes wait), dup2, and
 * FIFOs' open-blocking rules.  Ends killed by SIGPIPE (status 141). */
#include "case.h"
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

static int nread(int fd)
{
	int n = -1;
	SHOW(ioctl(fd, FIONREAD, &n));
	return n;
}

static void basics(void)
{
	int p[2];
	char buf[64] = {0};
	REQUIRE(pipe(p) == 0);
	struct stat st;
	SHOW(fstat(p[0], &st));
	printf("fifo %d mode %o size %ld\n", S_ISFIFO(st.st_mode),
	       st.st_mode & 07777, (long)st.st_size);
	SHOW(fcntl(p[0], F_GETFL) & O_ACCMODE);
	SHOW(fcntl(p[1], F_GETFL) & O_ACCMODE);
	SHOW(write(p[1], "hello", 5));
	printf("FIONREAD %d\n", nread(p[0]));
	SHOW(read(p[0], buf, 3));
	SHOW(read(p[0], buf + 3, sizeof buf - 3));
	printf("got %s\n", buf);
	SHOW(lseek(p[0], 0, SEEK_SET));
	SHOW(pread(p[0], buf, 1, 0));
	SHOW(write(p[0], "x", 1));
	SHOW(read(p[1], buf, 1));
	SHOW(fcntl(p[0], F_GETPIPE_SZ));
	SHOW(fcntl(p[1], F_SETPIPE_SZ, 4096));
	SHOW(fcntl(p[0], F_GETPIPE_SZ));
	SHOW(fcntl(p[0], F_SETPIPE_SZ, 5000));
	SHOW(write(p[1], buf, 10));
	SHOW(fcntl(p[0], F_SETPIPE_SZ, 0)); /* a page: holds the 10 */
	SHOW(fcntl(p[0], F_GETPIPE_SZ));
	SHOW(fcntl(0, F_GETPIPE_SZ)); /* not a pipe */
	/* dup2: the same description; EOF once every writer is closed */
	SHOW(dup2(p[1], 10));
	SHOW(close(p[1]));
	SHOW(write(10, "abc", 3));
	SHOW(read(p[0], buf, sizeof buf));
	SHOW(close(10));
	SHOW(read(p[0], buf, sizeof buf));
	SHOW(close(p[0]));
	SHOW(syscall(SYS_pipe, NULL));
}

static void flags(void)
{
	int p[2];
	char buf[8192];
	SHOW(pipe2(p, O_NONBLOCK | O_CLOEXEC));
	SHOW(fcntl(p[0], F_GETFD));
	SHOW(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	SHOW(read(p[0], buf, 1));
	memset(buf, 'n', sizeof buf);
	long total = 0, r;
	while ((r = write(p[1], buf, 4096)) > 0)
		total += r;
	printf("filled %ld, then %s\n", total, case_errname(errno));
	printf("FIONREAD %d\n", nread(p[0]));
	SHOW(write(p[1], buf, 1));
	SHOW(read(p[0], buf, 4096));
	SHOW(write(p[1], buf, 5000)); /* over PIPE_BUF: what fits */
	SHOW(write(p[1], buf, 1));
	SHOW(read(p[0], buf, 4096));
	SHOW(read(p[0], buf, 100));
	SHOW(write(p[1], buf, 4096)); /* PIPE_BUF: all or nothing */
	SHOW(close(p[0]));
	SHOW(close(p[1]));
	SHOW(pipe2(p, O_APPEND));
}

static volatile sig_atomic_t pipes_seen;
static void on_pipe(int sig)
{
	(void)sig;
	pipes_seen++;
}

static void broken(void)
{
	int p[2];
	REQUIRE(pipe(p) == 0);
	SHOW(close(p[0]));
	signal(SIGPIPE, SIG_IGN);
	SHOW(write(p[1], "x", 1));
	signal(SIGPIPE, on_pipe);
	SHOW(write(p[1], "x", 1));
	printf("SIGPIPE handled %d\n", (int)pipes_seen);
	sigset_t m, pend;
	sigemptyset(&m);
	sigaddset(&m, SIGPIPE);
	sigprocmask(SIG_BLOCK, &m, NULL);
	SHOW(write(p[1], "x", 1));
	sigpending(&pend);
	printf("SIGPIPE pending %d\n", sigismember(&pend, SIGPIPE));
	signal(SIGPIPE, SIG_IGN); /* discards the pending one */
	sigprocmask(SIG_UNBLOCK, &m, NULL);
	SHOW(close(p[1]));
}

/* ---- a thread at the other end ---------------------------------------- */

#define BIG (200 * 1000)
static int tp[2];

static void *big_writer(void *arg)
{
	(void)arg;
	static char big[BIG];
	for (int i = 0; i < BIG; i++)
		big[i] = (char)(i % 251);
	long r = write(tp[1], big, BIG); /* waits for the reader */
	return (void *)r;
}

/* 4096-byte writes of one letter from two threads: never interleaved */
#define BLOCKS 32
static void *block_writer(void *arg)
{
	char b[PIPE_BUF];
	memset(b, (int)(long)arg, sizeof b);
	for (int i = 0; i < BLOCKS; i++)
		if (write(tp[1], b, sizeof b) != (long)sizeof b)
			return (void *)1;
	return NULL;
}

static void *late_writer(void *arg)
{
	(void)arg;
	/* the main thread may already wait in read: it gets this */
	return (void *)(long)write(tp[1], "late", 4);
}

static void threads(void)
{
	static char got[2 * BLOCKS * PIPE_BUF]; /* > BIG */
	pthread_t t, u;
	void *res;
	REQUIRE(pipe(tp) == 0);
	REQUIRE(pthread_create(&t, NULL, big_writer, NULL) == 0);
	long n = 0, r;
	while (n < BIG && (r = read(tp[0], got + n, BIG - n)) > 0)
		n += r;
	pthread_join(t, &res);
	int same = 1;
	for (int i = 0; i < BIG; i++)
		same &= got[i] == (char)(i % 251);
	printf("big write %ld, read %ld, same %d\n", (long)res, n, same);

	REQUIRE(pthread_create(&t, NULL, block_writer, (void *)'a') == 0);
	REQUIRE(pthread_create(&u, NULL, block_writer, (void *)'b') == 0);
	n = 0;
	while (n < 2 * BLOCKS * PIPE_BUF &&
	       (r = read(tp[0], got + n, 2 * BLOCKS * PIPE_BUF - n)) > 0)
		n += r;
	pthread_join(t, NULL);
	pthread_join(u, NULL);
	int whole = 1;
	for (long i = 0; i < n; i++)
		whole &= got[i] == got[i - i % PIPE_BUF];
	printf("blocks read %ld, each whole %d\n", n, whole);

	REQUIRE(pthread_create(&t, NULL, late_writer, NULL) == 0);
	char buf[8] = {0};
	SHOW(read(tp[0], buf, sizeof buf - 1));
	pthread_join(t, &res);
	printf("late %s (%ld)\n", buf, (long)res);
	SHOW(close(tp[1]));
	SHOW(read(tp[0], buf, 1));
	SHOW(close(tp[0]));
}

/* ---- FIFOs -------------------------------------------------------------- */

static void *fifo_reader(void *arg)
{
	char buf[16] = {0};
	int fd = open((const char *)arg, O_RDONLY); /* waits for a writer */
	if (fd < 0)
		return (void *)-1L;
	long r = read(fd, buf, sizeof buf - 1);
	close(fd);
	return (void *)(r == 4 && !strcmp(buf, "fifo") ? 1L : 0L);
}

static void fifos(void)
{
	struct stat st;
	char buf[8];
	SHOW(mkfifo("f", 0640));
	SHOW(stat("f", &st));
	printf("fifo %d mode %o\n", S_ISFIFO(st.st_mode), st.st_mode & 07777);
	SHOW(mkfifo("f", 0640));
	SHOW(mknod("n", S_IFIFO | 0600, 0));
	SHOW(mknod("r", S_IFREG | 0600, 0));
	SHOW(open("f", O_WRONLY | O_NONBLOCK)); /* no reader */
	int r = SHOW(open("f", O_RDONLY | O_NONBLOCK));
	SHOW(read(r, buf, sizeof buf)); /* no writer: EOF */
	int w = SHOW(open("f", O_WRONLY | O_NONBLOCK));
	SHOW(write(w, "ab", 2));
	SHOW(fstat(w, &st));
	printf("fifo %d mode %o\n", S_ISFIFO(st.st_mode), st.st_mode & 07777);
	SHOW(lseek(w, 0, SEEK_SET));
	SHOW(read(r, buf, sizeof buf));
	SHOW(close(w));
	SHOW(close(r));
	/* blocking opens wait for each other */
	pthread_t t;
	void *res;
	REQUIRE(pthread_create(&t, NULL, fifo_reader, "f") == 0);
	w = open("f", O_WRONLY); /* the thread may have taken the lower fd */
	printf("blocking open %d\n", w >= 0);
	SHOW(write(w, "fifo", 4));
	SHOW(close(w));
	pthread_join(t, &res);
	printf("reader got it %ld\n", (long)res);
	/* the last close dropped the bytes */
	r = SHOW(open("f", O_RDWR));
	SHOW(write(r, "xy", 2));
	SHOW(close(r));
	r = SHOW(open("f", O_RDONLY | O_NONBLOCK));
	SHOW(read(r, buf, sizeof buf));
	SHOW(close(r));
	SHOW(unlink("f"));
	SHOW(unlink("n"));
	SHOW(unlink("r"));
}

int main(void)
{
	setvbuf(stdout, NULL, _IONBF, 0);
	enter_scratch();
	basics();
	flags();
	broken();
	threads();
	fifos();
	/* the default action: killed by SIGPIPE */
	int p[2];
	REQUIRE(pipe(p) == 0);
	close(p[0]);
	signal(SIGPIPE, SIG_DFL);
	write(p[1], "x", 1);
	printf("not reached\n");
	return 0;
}
