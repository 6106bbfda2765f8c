/* A cage looking at itself through /proc (tests/integration/procfs.sh);
 * built natively too, where the host's /proc answers the same questions. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(int r)
{
	return r < 0 ? strerrorname_np(errno) : "ok";
}

/* The Pid: line of /proc/self/status against getpid(). */
static int pid(void)
{
	FILE *f = fopen("/proc/self/status", "r");
	char line[256];
	long status_pid = -1;
	if (!f)
		return perror("status"), 1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "Pid:\t%ld", &status_pid) == 1)
			break;
	fclose(f);
	printf("%s\n", status_pid == (long)getpid() ? "same" : "differ");
	return 0;
}

/* /proc/self/cmdline against argv. */
static int cmdline(int argc, char **argv)
{
	char buf[4096], want[4096];
	int fd = open("/proc/self/cmdline", O_RDONLY);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf);
	size_t len = 0;
	for (int i = 0; i < argc; i++) {
		size_t k = strlen(argv[i]) + 1;
		memcpy(want + len, argv[i], k);
		len += k;
	}
	printf("%s\n", n == (ssize_t)len && memcmp(buf, want, len) == 0
			       ? "equal" : "differ");
	return 0;
}

static void show_link(const char *path)
{
	char t[512];
	ssize_t n = readlink(path, t, sizeof t - 1);
	t[n < 0 ? 0 : n] = '\0';
	printf("%s -> %s\n", path, n < 0 ? strerrorname_np(errno) : t);
}

/* /proc/self/fd lists exactly the open fds (the listing's own included),
 * and names them. */
static int fds(const char *dir)
{
	char path[256];
	snprintf(path, sizeof path, "%s/pfile", dir);
	int a = open("/dev/null", O_RDONLY), d = open("/", O_RDONLY | O_DIRECTORY);
	int f = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (a < 0 || d < 0 || f < 0 || dup2(a, 40) < 0 || close(d) < 0)
		return perror("fds"), 1;
	DIR *dp = opendir("/proc/self/fd");
	if (!dp)
		return perror("opendir"), 1;
	char listed[1024] = "", probed[1024] = "";
	int seen[1024] = {0};
	for (struct dirent *e; (e = readdir(dp));)
		if (e->d_name[0] != '.')
			seen[atoi(e->d_name)] = 1;
	for (int i = 0; i < 1024; i++) {
		if (seen[i])
			snprintf(listed + strlen(listed), 16, "%d ", i);
		if (fcntl(i, F_GETFD) >= 0)
			snprintf(probed + strlen(probed), 16, "%d ", i);
	}
	printf("%s\n", strcmp(listed, probed) == 0 ? "exact" : "differ");
	printf("listed %s\nprobed %s\n", listed, probed);
	closedir(dp);
	char link[64];
	snprintf(link, sizeof link, "/proc/self/fd/%d", f);
	show_link(link);
	unlink(path);
	show_link(link);
	show_link("/proc/self/fd/40");
	return 0;
}

/* /proc/self/cwd follows chdir. */
static int cwd(const char *dir)
{
	char sub[256], buf[512];
	snprintf(sub, sizeof sub, "%s/pcwd", dir);
	mkdir(sub, 0700);
	if (chdir(dir) < 0)
		return perror("chdir"), 1;
	show_link("/proc/self/cwd");
	if (chdir("pcwd") < 0)
		return perror("chdir"), 1;
	show_link("/proc/self/cwd");
	if (chdir("/proc/self/fd") < 0)
		return perror("chdir /proc/self/fd"), 1;
	printf("getcwd in /proc: %s\n",
	       getcwd(buf, sizeof buf) && strncmp(buf, "/proc/", 6) == 0 &&
			       atol(buf + 6) == (long)getpid() &&
			       strcmp(strchr(buf + 6, '/'), "/fd") == 0
		       ? "/proc/<pid>/fd" : buf);
	if (chdir("..") < 0 || !getcwd(buf, sizeof buf))
		return perror(".."), 1;
	printf("..: %s\n", atol(buf + 6) == (long)getpid() ? "/proc/<pid>" : buf);
	rmdir(sub);
	return 0;
}

/* Nothing in /proc can be changed: Linux's errnos. */
static int readonly(void)
{
	int fd = open("/proc/self/status", O_WRONLY);
	printf("open status for writing (root): %s", err(fd));
	if (fd >= 0)
		printf(", write: %s", err((int)write(fd, "x", 1)));
	printf("\n");
	printf("create /proc/x: %s\n", err(open("/proc/x", O_CREAT | O_WRONLY, 0600)));
	printf("mkdir /proc/self/x: %s\n", err(mkdir("/proc/self/x", 0700)));
	printf("unlink /proc/self/status: %s\n", err(unlink("/proc/self/status")));
	printf("rmdir /proc/self/fd: %s\n", err(rmdir("/proc/self/fd")));
	printf("rmdir /proc: %s\n", err(rmdir("/proc")));
	int r = open("/proc/self/status", O_RDONLY);
	printf("fsync: %s\n", err(fsync(r)));
	struct stat st;
	stat("/proc/self/status", &st);
	printf("status: mode %o size %lld\n", st.st_mode, (long long)st.st_size);
	lstat("/proc/self", &st);
	printf("self: %s\n", S_ISLNK(st.st_mode) ? "a symlink" : "not a link");
	printf("/proc/999999: %s\n", err(stat("/proc/999999", &st)));
	return 0;
}

/* A snapshot: read twice from the same open file, pread and lseek. */
static int snapshot(void)
{
	int fd = open("/proc/self/cmdline", O_RDONLY);
	char a[64], b[64];
	ssize_t n = read(fd, a, sizeof a);
	ssize_t m = pread(fd, b, sizeof b, 0);
	printf("pread %s, ", n == m && memcmp(a, b, (size_t)n) == 0 ? "same" : "differs");
	printf("lseek %s, ", lseek(fd, 2, SEEK_SET) == 2 && read(fd, b, 1) == 1 &&
			     b[0] == a[2] ? "works" : "fails");
	printf("eof %s\n", read(fd, b, 1) >= 0 ? "ok" : "fails");
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "pid"))
		return pid();
	if (!strcmp(c, "cmdline"))
		return cmdline(argc, argv);
	if (!strcmp(c, "fds") && argc == 3)
		return fds(argv[2]);
	if (!strcmp(c, "cwd") && argc == 3)
		return cwd(argv[2]);
	if (!strcmp(c, "ro"))
		return readonly();
	if (!strcmp(c, "snapshot"))
		return snapshot();
	fprintf(stderr, "usage: proc_cage pid|cmdline ARGS|fds DIR|cwd DIR|ro|snapshot\n");
	return 2;
}
