/* bind.sh's cage program: walks, reads and tries to change a tree; run
 * natively on the host tree and as a cage on the bound one, the outputs
 * must be the same (st_dev is never printed).
 *   walk DIR        every entry below DIR, sorted: lstat, stat, readlink,
 *                   a checksum of a file's bytes (or why not)
 *   try OP PATH     one call; prints ok or the errno's name
 *   tries DIR OP... -- NAME...
 *                   try each OP on each DIR/NAME, in one process (what
 *                   one try per process prints, without a cage start each)
 *   cat PATH        the file's bytes
 *   hold PATH       cat PATH, wait for a line on stdin, cat PATH again
 *   cwd DIR REL     chdir DIR, getcwd, chdir REL, getcwd, fchdir back
 *   fd PATH         open, fstat / fstatat(AT_EMPTY_PATH), pread, lseek
 *   dev PATH        st_dev in hex (which bind, or the store)
 *   link PATH       the symlink's target
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *err(long r)
{
	return r < 0 ? strerrorname_np(errno) : "ok";
}

static void print_stat(const char *what, const struct stat *st)
{
	printf(" %s=%o/%lu/%u/%u/%lld/%lu/%lld", what, st->st_mode,
	       (unsigned long)st->st_nlink, st->st_uid, st->st_gid,
	       (long long)st->st_size, (unsigned long)st->st_ino,
	       (long long)st->st_mtim.tv_sec);
}

static void checksum(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf(" data=%s", err(-1));
		return;
	}
	uint64_t h = 1469598103934665603ull;
	char buf[8192];
	ssize_t n;
	long long total = 0;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		for (ssize_t i = 0; i < n; i++, total++)
			h = (h ^ (unsigned char)buf[i]) * 1099511628211ull;
	printf(" data=%lld:%016llx%s", total, (unsigned long long)h,
	       n < 0 ? err(-1) : "");
	close(fd);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk(const char *dir, int depth)
{
	DIR *d = opendir(dir);
	if (!d) {
		printf("%s: opendir %s\n", dir, err(-1));
		return;
	}
	char **names = NULL;
	size_t n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		names = realloc(names, (n + 1) * sizeof *names);
		names[n++] = strdup(e->d_name);
	}
	closedir(d);
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", dir, names[i]);
		struct stat st;
		printf("%*s%s:", depth * 2, "", names[i]);
		if (lstat(p, &st) < 0) {
			printf(" lstat %s\n", err(-1));
			continue;
		}
		print_stat("l", &st);
		char t[4096];
		ssize_t tl = readlink(p, t, sizeof t);
		if (tl >= 0)
			printf(" -> %.*s", (int)tl, t);
		else
			printf(" readlink=%s", err(-1));
		struct stat fs;
		if (stat(p, &fs) < 0)
			printf(" stat=%s", err(-1));
		else if (tl >= 0)
			print_stat("s", &fs);
		if (S_ISREG(st.st_mode))
			checksum(p);
		printf("\n");
		if (S_ISDIR(st.st_mode))
			walk(p, depth + 1);
		free(names[i]);
	}
	free(names);
}

static long try(const char *op, const char *p)
{
	char buf[256];
	struct stat st;
	long r = -1;
	if (!strcmp(op, "mkdir")) r = mkdir(p, 0755);
	else if (!strcmp(op, "rmdir")) r = rmdir(p);
	else if (!strcmp(op, "unlink")) r = unlink(p);
	else if (!strcmp(op, "unlinkat-dir")) r = unlinkat(AT_FDCWD, p, AT_REMOVEDIR);
	else if (!strcmp(op, "creat")) r = creat(p, 0644);
	else if (!strcmp(op, "rdwr")) r = open(p, O_RDWR);
	else if (!strcmp(op, "wronly")) r = open(p, O_WRONLY);
	else if (!strcmp(op, "trunc")) r = open(p, O_RDONLY | O_TRUNC);
	else if (!strcmp(op, "create")) r = open(p, O_CREAT | O_WRONLY, 0644);
	else if (!strcmp(op, "create-rdonly")) r = open(p, O_CREAT | O_RDONLY, 0644);
	else if (!strcmp(op, "excl")) r = open(p, O_CREAT | O_EXCL | O_WRONLY, 0644);
	else if (!strcmp(op, "rdonly")) r = open(p, O_RDONLY);
	else if (!strcmp(op, "nonblock")) r = open(p, O_RDONLY | O_NONBLOCK);
	else if (!strcmp(op, "nofollow")) r = open(p, O_RDONLY | O_NOFOLLOW);
	else if (!strcmp(op, "directory")) r = open(p, O_RDONLY | O_DIRECTORY);
	else if (!strcmp(op, "access-w")) r = access(p, W_OK);
	else if (!strcmp(op, "access-r")) r = access(p, R_OK);
	else if (!strcmp(op, "access-x")) r = faccessat(AT_FDCWD, p, X_OK, 0);
	else if (!strcmp(op, "readlink")) r = readlink(p, buf, sizeof buf);
	else if (!strcmp(op, "readlinkat")) r = readlinkat(AT_FDCWD, p, buf, sizeof buf);
	else if (!strcmp(op, "symlink")) r = symlink("x", p);
	else if (!strcmp(op, "opath")) r = open(p, O_PATH | O_NOFOLLOW);
	else if (!strcmp(op, "stat")) r = stat(p, &st);
	else if (!strcmp(op, "lstat")) r = lstat(p, &st);
	else if (!strcmp(op, "chdir")) r = chdir(p);
	else if (!strcmp(op, "write")) {
		int fd = open(p, O_RDONLY);
		r = fd < 0 ? -1 : write(fd, "x", 1);
	} else if (!strcmp(op, "ftruncate")) {
		int fd = open(p, O_RDONLY);
		r = fd < 0 ? -1 : ftruncate(fd, 0);
	} else {
		fprintf(stderr, "unknown op %s\n", op);
		exit(2);
	}
	printf("%s %s: %s\n", op, p, err(r));
	return r;
}

static void tries(int argc, char **argv)
{
	int sep = 3;
	while (sep < argc && strcmp(argv[sep], "--"))
		sep++;
	for (int o = 3; o < sep; o++)
		for (int n = sep + 1; n < argc; n++) {
			char p[4096];
			snprintf(p, sizeof p, "%s/%s", argv[2], argv[n]);
			try(argv[o], p);
		}
}

static void cat(const char *p)
{
	int fd = open(p, O_RDONLY);
	if (fd < 0) {
		printf("cat %s: %s\n", p, err(-1));
		return;
	}
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
}

static void cwd(const char *dir, const char *rel)
{
	char b[4096];
	printf("chdir %s: %s", dir, err(chdir(dir)));
	printf(" cwd %s", getcwd(b, sizeof b) ? b : err(-1));
	int fd = open(".", O_RDONLY | O_DIRECTORY);
	printf("; chdir %s: %s", rel, err(chdir(rel)));
	printf(" cwd %s", getcwd(b, sizeof b) ? b : err(-1));
	printf("; fchdir back: %s", err(fchdir(fd)));
	printf(" cwd %s\n", getcwd(b, sizeof b) ? b : err(-1));
	close(fd);
}

static void fd_calls(const char *p)
{
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		printf("open %s: %s\n", p, err(-1));
		return;
	}
	struct stat a, b;
	fstat(fd, &a);
	printf("fstat/fstatat-empty same: %d",
	       fstatat(fd, "", &b, AT_EMPTY_PATH) == 0 && a.st_ino == b.st_ino &&
		       a.st_size == b.st_size && a.st_dev == b.st_dev);
	char buf[4];
	ssize_t n = pread(fd, buf, sizeof buf, 1);
	printf("; pread@1 %zd %.*s", n, (int)(n > 0 ? n : 0), buf);
	printf("; lseek end %lld", (long long)lseek(fd, 0, SEEK_END));
	printf("; fcntl cloexec %d\n", fcntl(fd, F_GETFD) & FD_CLOEXEC);
	close(fd);
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (argc == 3 && !strcmp(argv[1], "walk"))
		walk(argv[2], 0);
	else if (argc == 4 && !strcmp(argv[1], "try"))
		try(argv[2], argv[3]);
	else if (argc >= 3 && !strcmp(argv[1], "tries"))
		tries(argc, argv);
	else if (argc == 3 && !strcmp(argv[1], "cat"))
		cat(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "hold")) {
		char c;
		cat(argv[2]);
		fflush(stdout);
		while (read(0, &c, 1) == 1 && c != '\n')
			;
		cat(argv[2]);
	} else if (argc == 4 && !strcmp(argv[1], "cwd"))
		cwd(argv[2], argv[3]);
	else if (argc == 3 && !strcmp(argv[1], "fd"))
		fd_calls(argv[2]);
	else if (argc == 3 && !strcmp(argv[1], "link")) {
		char b[4096];
		ssize_t n = readlink(argv[2], b, sizeof b - 1);
		if (n >= 0)
			b[n] = '\0';
		printf("%s\n", n < 0 ? err(-1) : b);
	} else if (argc == 3 && !strcmp(argv[1], "dev")) {
		struct stat st;
		if (stat(argv[2], &st) < 0)
			printf("stat %s: %s\n", argv[2], err(-1));
		else
			printf("%lx\n", (unsigned long)st.st_dev);
	} else {
		fprintf(stderr, "usage: bindwalk walk|try|tries|cat|hold|cwd|fd|dev|link ...\n");
		return 2;
	}
	return 0;
}
