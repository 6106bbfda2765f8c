/* One small program, many subcommands: what the integration scripts run in
 * a cage (and natively, to compare).  Every result is printed. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <time.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

static int fail(const char *what, const char *path)
{
	printf("%s %s: %s\n", what, path, strerrorname_np(errno));
	return 1;
}

static int cmd_probe(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("probe", path), 0;
	printf("probe %s: opened\n", path);
	close(fd);
	return 0;
}

static int cmd_write(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("write", path);
	size_t n = strlen(text);
	if (write(fd, text, n) != (ssize_t)n || fsync(fd) < 0 || close(fd) < 0)
		return fail("write", path);
	printf("wrote %s\n", path);
	return 0;
}

static int cmd_cat(const char *path)
{
	char buf[4096];
	ssize_t n;
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return fail("cat", path);
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return n < 0;
}

/* Writes mib MiB of a pattern, then reads it back and checks it. */
static int cmd_big(const char *path, int mib, int verify_only)
{
	static char buf[65536];
	int fd = open(path, verify_only ? O_RDONLY : O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return fail("big", path);
	for (int pass = verify_only; pass < 2; pass++) {
		unsigned long sum = 0;
		lseek(fd, 0, SEEK_SET);
		for (long i = 0; i < mib * 16L; i++) {
			for (size_t j = 0; j < sizeof buf; j += 512)
				memset(buf + j, (int)((i * 7 + (long)j) & 0xff), 512);
			ssize_t n = pass == 0 ? write(fd, buf, sizeof buf)
					      : read(fd, buf, sizeof buf);
			if (n != (ssize_t)sizeof buf)
				return fail("big io", path);
			for (size_t j = 0; j < sizeof buf; j += 512)
				sum += (unsigned char)buf[j] == (unsigned char)((i * 7 + (long)j) & 0xff);
		}
		if (pass == 1)
			printf("big %s: %lu of %ld blocks match\n", path, sum, mib * 16L * 128);
	}
	if (!verify_only)
		fsync(fd);
	close(fd);
	return 0;
}

/* Creates path, unlinks it while open, says ready, then blocks on stdin. */
static int cmd_holdopen(const char *path)
{
	char c;
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, "held", 4) != 4 || unlink(path) < 0)
		return fail("holdopen", path);
	printf("ready\n");
	fflush(stdout);
	ssize_t n = read(0, &c, 1);
	printf("read returned %zd\n", n);
	return 0;
}

static int cmd_readstdin(void)
{
	char buf[256];
	ssize_t n = read(0, buf, sizeof buf - 1);
	if (n < 0)
		return fail("read", "stdin");
	buf[n] = 0;
	printf("got: %s", buf);
	return 0;
}

/* A read of stdin that waits, interrupted by a signal from another thread
 * 300 ms later: without SA_RESTART it fails with EINTR, with it it goes on
 * and returns the byte that arrives later. */
static pthread_t reader;
static volatile sig_atomic_t got_signal;

static void on_usr1(int sig)
{
	got_signal = sig;
}

static void *poke(void *arg)
{
	(void)arg;
	struct timespec ts = {0, 300000000};
	nanosleep(&ts, NULL);
	pthread_kill(reader, SIGUSR1);
	return NULL;
}

static void interrupted_read(int flags, const char *name)
{
	struct sigaction sa = {.sa_handler = on_usr1, .sa_flags = flags};
	pthread_t t;
	char c;
	sigaction(SIGUSR1, &sa, NULL);
	got_signal = 0;
	reader = pthread_self();
	pthread_create(&t, NULL, poke, NULL);
	ssize_t n = read(0, &c, 1);
	printf("%s: read %zd %s, handler ran %d\n", name, n,
	       n < 0 ? strerrorname_np(errno) : "", got_signal == SIGUSR1);
	fflush(stdout);
	pthread_join(t, NULL);
}

static int cmd_loop(int n, const char *path)
{
	struct stat st;
	for (int i = 0; i < n; i++)
		if (stat(path, &st) < 0)
			return fail("stat", path);
	printf("looped %d\n", n);
	return 0;
}

/* Opens n distinct files dir/f<i> (created, each holding its own name),
 * says "held n", waits for a line on stdin, then checks every file's
 * bytes through its fd: the server may only keep a few host fds. */
static int cmd_holdmany(const char *dir, int n)
{
	char path[256], buf[256];
	static int fds[4096];
	if (n < 0 || n > 4096 || (mkdir(dir, 0755) < 0 && errno != EEXIST))
		return fail("holdmany", dir);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/f%d", dir, i);
		fds[i] = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
		size_t len = strlen(path);
		if (fds[i] < 0 || write(fds[i], path, len) != (ssize_t)len)
			return fail("holdmany", path);
	}
	printf("held %d\n", n);
	fflush(stdout);
	if (read(0, buf, 1) < 0)
		return fail("holdmany", "stdin");
	int good = 0;
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/f%d", dir, i);
		ssize_t r = pread(fds[i], buf, sizeof buf - 1, 0);
		buf[r > 0 ? r : 0] = '\0';
		good += strcmp(buf, path) == 0;
	}
	printf("verified %d of %d\n", good, n);
	return 0;
}

/* Opens new files in dir until an open fails, and says how many and why;
 * at EMFILE, what dup, F_DUPFD and dup2 at the limit give. */
static int cmd_fdlimit(const char *dir)
{
	char path[256];
	int n = 0, top = 2, fd;
	if (mkdir(dir, 0755) < 0 && errno != EEXIST)
		return fail("fdlimit", dir);
	for (;; n++) {
		snprintf(path, sizeof path, "%s/f%d", dir, n);
		if ((fd = open(path, O_RDWR | O_CREAT, 0644)) < 0)
			break;
		top = fd;
	}
	int err = errno;
	printf("opened %d then %s", n, strerrorname_np(err));
	if (err == EMFILE) {
		int limit = top + 1;
		printf("; dup %s", dup(0) < 0 ? strerrorname_np(errno) : "ok");
		printf("; F_DUPFD(limit) %s", fcntl(0, F_DUPFD, limit) < 0 ?
		       strerrorname_np(errno) : "ok");
		printf("; dup2(0, limit) %s", dup2(0, limit) < 0 ?
		       strerrorname_np(errno) : "ok");
	}
	close(top);
	snprintf(path, sizeof path, "%s/again", dir);
	fd = open(path, O_RDWR | O_CREAT, 0644);
	printf("; after a close: %s\n", fd == top ? "reopened" :
	       fd < 0 ? strerrorname_np(errno) : "other fd");
	return 0;
}

/* ls DIR: the names in DIR but . and .., sorted, one per line */
static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int list(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, NULL);
	if (n < 0)
		return fail("ls", dir);
	char **names = malloc(((size_t)n + 1) * sizeof *names);
	int k = 0;
	for (int i = 0; i < n; i++)
		if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, ".."))
			names[k++] = ents[i]->d_name;
	qsort(names, (size_t)k, sizeof *names, cmp_str);
	for (int i = 0; i < k; i++)
		printf("%s\n", names[i]);
	for (int i = 0; i < n; i++)
		free(ents[i]);
	free(ents);
	free(names);
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "probe") && argc == 3)
		return cmd_probe(argv[2]);
	if (!strcmp(c, "write") && argc == 4)
		return cmd_write(argv[2], argv[3]);
	if (!strcmp(c, "cat") && argc == 3)
		return cmd_cat(argv[2]);
	if (!strcmp(c, "big") && argc == 4)
		return cmd_big(argv[2], atoi(argv[3]), 0);
	if (!strcmp(c, "verify") && argc == 4)
		return cmd_big(argv[2], atoi(argv[3]), 1);
	if (!strcmp(c, "holdopen") && argc == 3)
		return cmd_holdopen(argv[2]);
	if (!strcmp(c, "slurp")) { /* one read of up to 1 MiB from stdin */
		static char big[1 << 20];
		printf("read %zd\n", read(0, big, sizeof big));
		return 0;
	}
	if (!strcmp(c, "eintr")) {
		interrupted_read(0, "without SA_RESTART");
		interrupted_read(SA_RESTART, "with SA_RESTART");
		return 0;
	}
	if (!strcmp(c, "readstdin"))
		return cmd_readstdin();
	if (!strcmp(c, "loop") && argc == 4)
		return cmd_loop(atoi(argv[2]), argv[3]);
	if (!strcmp(c, "tty")) {
		char line[64];
		printf("isatty %d %d\n", isatty(0), isatty(1));
		fflush(stdout);
		if (fgets(line, sizeof line, stdin))
			printf("got: %s", line);
		return 0;
	}
	if (!strcmp(c, "ls") && argc == 3)
		return list(argv[2]);
	if (!strcmp(c, "id")) {
		printf("uid %d gid %d\n", (int)getuid(), (int)getgid());
		return 0;
	}
	if (!strcmp(c, "sleep") && argc == 3) { /* then a call: still served */
		sleep((unsigned)atoi(argv[2]));
		return cmd_loop(1, "/");
	}
	if (!strcmp(c, "exit") && argc == 3)
		return atoi(argv[2]);
	if (!strcmp(c, "mkdir") && (argc == 3 || argc == 4)) {
		mode_t m = argc == 4 ? (mode_t)strtol(argv[3], NULL, 8) : 0755;
		return mkdir(argv[2], m) < 0 ? fail("mkdir", argv[2]) : 0;
	}
	if (!strcmp(c, "enosys")) {
		long r = syscall(999, 0, 0, 0);
		printf("syscall 999 = %ld %s\n", r, strerrorname_np(errno));
		return 0;
	}
	if (!strcmp(c, "holdmany") && argc == 4)
		return cmd_holdmany(argv[2], atoi(argv[3]));
	if (!strcmp(c, "fdlimit") && argc == 3)
		return cmd_fdlimit(argv[2]);
	fprintf(stderr, "cagetool: unknown command '%s'\n", c);
	return 2;
}
