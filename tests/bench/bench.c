/* Latency and throughput of the calls the brief sets targets for.  Built
 * natively and with lind-cc; scripts/bench runs both in one go and prints
 * ratios.  Each latency is the median over rounds of the per-call mean. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 15

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *r, int n)
{
	qsort(r, (size_t)n, sizeof r[0], cmp_double);
	return r[n / 2];
}

static char path[256];
static int fd4k;
static char buf4k[4096];

static void op_getpid(void) { (void)getpid(); }
static void op_getpid_raw(void) { (void)syscall(SYS_getpid); }
static void op_stat(void)
{
	struct stat st;
	if (stat(path, &st) < 0)
		exit(1);
}
static void op_open_close(void)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0 || close(fd) < 0)
		exit(1);
}
static void op_pread(void)
{
	if (pread(fd4k, buf4k, sizeof buf4k, 4096) != (ssize_t)sizeof buf4k)
		exit(1);
}

/* fork + _exit + waitpid: a new cage and its end, beside native's */
static void op_fork_wait(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	int st;
	if (p < 0 || waitpid(p, &st, 0) != p)
		exit(1);
}

/* fork + execv of a small static program (argv[2]) + waitpid */
static const char *exec_path;
static int exec_wait(void)
{
	pid_t p = fork();
	if (p == 0) {
		execl(exec_path, exec_path, (char *)NULL);
		_exit(127);
	}
	int st;
	if (p < 0 || waitpid(p, &st, 0) != p)
		exit(1);
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}
static void op_fork_exec_wait(void)
{
	if (exec_wait() < 0)
		exit(1);
}

static void latency(const char *name, void (*op)(void), int n)
{
	double r[ROUNDS];
	for (int i = 0; i < n / 10; i++)
		op(); /* warm up */
	for (int k = 0; k < ROUNDS; k++) {
		double t = now_ns();
		for (int i = 0; i < n; i++)
			op();
		r[k] = (now_ns() - t) / n;
	}
	printf("%s %.3f\n", name, median(r, ROUNDS) / 1000.0);
	fflush(stdout);
}

/* mib MiB written in chunks of size bytes, then read back the same way:
 * MiB/s of each, as NAME_write/NAME_read figures. */
static void throughput(long mib, size_t size, const char *name)
{
	static char chunk[1 << 20];
	long chunks = (long)(((uint64_t)mib << 20) / size);
	memset(chunk, 'x', size);
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		exit(1);
	double t = now_ns();
	for (long i = 0; i < chunks; i++)
		if (write(fd, chunk, size) != (ssize_t)size)
			exit(1);
	double w = now_ns() - t;
	lseek(fd, 0, SEEK_SET);
	t = now_ns();
	for (long i = 0; i < chunks; i++)
		if (read(fd, chunk, size) != (ssize_t)size)
			exit(1);
	double r = now_ns() - t;
	close(fd);
	unlink(path);
	printf("write_%s_MiBps %.1f\n", name, mib / (w / 1e9));
	printf("read_%s_MiBps %.1f\n", name, mib / (r / 1e9));
	fflush(stdout);
}

/* A sequential write of mib MiB in 64 KiB writes, then fsync: MiB/s of
 * the whole, median of 3 rounds. */
static void write_fsync(long mib)
{
	static char chunk[65536];
	double r[3];
	memset(chunk, 'w', sizeof chunk);
	for (int k = 0; k < 3; k++) {
		int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0)
			exit(1);
		double t = now_ns();
		for (long i = 0; i < mib * 16; i++)
			if (write(fd, chunk, sizeof chunk) != (ssize_t)sizeof chunk)
				exit(1);
		if (fsync(fd) < 0)
			exit(1);
		r[k] = now_ns() - t;
		close(fd);
		unlink(path);
	}
	printf("write_fsync_64k_MiBps %.1f\n", mib / (median(r, 3) / 1e9));
	fflush(stdout);
}

/* bench files: 10,000 files of 512 bytes created (O_EXCL, written,
 * closed), then each stat'ed, then each unlinked, in a fresh directory;
 * prints the ms of the whole.  One round per run: scripts/bench runs it
 * natively and in a cage by turns, as a disk shared with other work
 * changes the cost of a create many times over within seconds. */
#define NFILES 10000
static void file_name(char *out, size_t n, const char *dir, int i)
{
	snprintf(out, n, "%s/f%d", dir, i);
}

static void small_files_once(const char *dir)
{
	static char data[512];
	char name[300];
	struct stat st;
	for (int i = 0; i < NFILES; i++) {
		file_name(name, sizeof name, dir, i);
		int fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0 || write(fd, data, sizeof data) != sizeof data ||
		    close(fd) < 0)
			exit(1);
	}
	for (int i = 0; i < NFILES; i++) {
		file_name(name, sizeof name, dir, i);
		if (stat(name, &st) < 0 || st.st_size != sizeof data)
			exit(1);
	}
	for (int i = 0; i < NFILES; i++) {
		file_name(name, sizeof name, dir, i);
		if (unlink(name) < 0)
			exit(1);
	}
}

static int small_files(void)
{
	char dir[280];
	snprintf(dir, sizeof dir, "%s.d", path);
	if (mkdir(dir, 0755) < 0)
		return 1;
	double t = now_ns();
	small_files_once(dir);
	printf("%.1f\n", (now_ns() - t) / 1e6);
	return rmdir(dir) < 0;
}

/* MiB/s of writes of size bytes to /dev/null: one writer and no reader,
 * so in a cage the cost of the call alone, the ceiling of pipe_*. */
static void null_throughput(const char *name, size_t size, long mib)
{
	static char chunk[65536];
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0)
		exit(1);
	double r[5];
	for (int k = 0; k < 5; k++) {
		double t = now_ns();
		for (long done = 0; done < mib << 20; done += (long)size)
			if (write(fd, chunk, size) != (ssize_t)size)
				exit(1);
		r[k] = now_ns() - t;
	}
	close(fd);
	printf("%s %.1f\n", name, mib / (median(r, 5) / 1e9));
	fflush(stdout);
}

/* Pipe throughput: a writer writes MiB in writes of size bytes, this
 * thread reads them in 64 KiB reads (as cat does).  The writer is a
 * thread (the same cage at both ends) or a child process (another cage;
 * no figure where fork fails). */
struct pipe_writer {
	int fd;
	size_t size;
	long bytes;
};

static void *pipe_write_all(void *arg)
{
	static char chunk[65536];
	struct pipe_writer *w = arg;
	memset(chunk, 'p', sizeof chunk);
	for (long done = 0; done < w->bytes; done += (long)w->size)
		if (write(w->fd, chunk, w->size) != (ssize_t)w->size)
			exit(1);
	close(w->fd);
	return NULL;
}

/* MiB/s, or -1 when the writer cannot be started */
static double pipe_once(size_t size, long mib, int process)
{
	static char buf[65536];
	int fds[2];
	pthread_t t;
	pid_t pid = -1;
	if (pipe(fds) < 0)
		exit(1);
	struct pipe_writer w = {fds[1], size, mib << 20};
	double t0 = now_ns();
	if (process) {
		if ((pid = fork()) < 0) {
			close(fds[0]);
			close(fds[1]);
			return -1;
		}
		if (pid == 0) {
			close(fds[0]);
			pipe_write_all(&w);
			_exit(0);
		}
		close(fds[1]);
	} else if (pthread_create(&t, NULL, pipe_write_all, &w)) {
		exit(1);
	}
	long got = 0;
	for (ssize_t r; (r = read(fds[0], buf, sizeof buf)) != 0; got += r)
		if (r < 0)
			exit(1);
	double dt = now_ns() - t0;
	int status = 0;
	if (process)
		waitpid(pid, &status, 0);
	else
		pthread_join(t, NULL);
	close(fds[0]);
	if (got != w.bytes || status != 0)
		exit(1);
	return mib / (dt / 1e9);
}

/* Median of 5 rounds; MiB per round scaled so a slow run stays short. */
static void pipe_throughput(const char *name, size_t size, long mib,
			    int process)
{
	double r[5];
	for (int k = 0; k < 5; k++)
		if ((r[k] = pipe_once(size, mib, process)) < 0)
			return;
	printf("%s %.1f\n", name, median(r, 5));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	long mib = argc > 1 ? atol(argv[1]) : 256;
	snprintf(path, sizeof path, "/tmp/lind-bench-%d", (int)getpid());
	if (argc > 1 && !strcmp(argv[1], "files"))
		return small_files();
	if (argc > 2 && !strcmp(argv[1], "rate")) {
		/* bench rate MS: null calls made in MS milliseconds, after
		 * the parent's go (a byte on stdin), for scripts/bench's
		 * aggregate rate of many cages at once */
		char go;
		if (read(0, &go, 1) != 1)
			return 1;
		long n = 0;
		double end = now_ns() + atof(argv[2]) * 1e6;
		while (now_ns() < end) {
			for (int i = 0; i < 64; i++)
				op_getpid();
			n += 64;
		}
		printf("%ld\n", n);
		return 0;
	}
	if (argc > 1 && !strcmp(argv[1], "null")) {
		/* the null call alone: scripts/bench-trace, and the
		 * remote relay line of scripts/bench */
		for (double t0 = now_ns(); now_ns() - t0 < 300e6;)
			op_getpid();
		latency("getpid_us", op_getpid, 20000);
		return 0;
	}
	fd4k = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd4k < 0)
		return 1;
	memset(buf4k, 'b', sizeof buf4k);
	for (int i = 0; i < 4; i++)
		if (write(fd4k, buf4k, sizeof buf4k) != (ssize_t)sizeof buf4k)
			return 1;
	/* settle first: the daemons' threads wake from sleep, caches fill */
	for (double t0 = now_ns(); now_ns() - t0 < 300e6;)
		op_getpid();
	latency("getpid_us", op_getpid, 20000);
	latency("getpid_trapped_us", op_getpid_raw, 20000);
	latency("stat_us", op_stat, 5000);
	latency("open_close_us", op_open_close, 3000);
	latency("pread_4k_us", op_pread, 5000);
	latency("fork_exit_wait_us", op_fork_wait, 20);
	/* a figure only where exec works (a cage: under lind-run only) */
	exec_path = argc > 2 ? argv[2] : NULL;
	if (exec_path && exec_wait() == 0)
		latency("fork_exec_wait_us", op_fork_exec_wait, 10);
	close(fd4k);
	unlink(path);
	throughput(mib, 64 << 10, "64k");
	throughput(mib, 1 << 20, "1m");
	write_fsync(mib);
	pipe_throughput("pipe_4k_thread_MiBps", 4096, 32, 0);
	pipe_throughput("pipe_64k_thread_MiBps", 65536, 128, 0);
	pipe_throughput("pipe_4k_process_MiBps", 4096, 32, 1);
	pipe_throughput("pipe_64k_process_MiBps", 65536, 128, 1);
	null_throughput("write_null_4k_MiBps", 4096, 32);
	null_throughput("write_null_64k_MiBps", 65536, 128);
	return 0;
}
