/* The cage that fills a store with a --max-size quota
 * (tests/integration/quota.sh):
 *   fill PATH  writes PATH in 10000-byte writes until one fails; prints
 *              whether the last one that wrote was short, the errno and
 *              the bytes written
 *   inodes DIR creates empty files in DIR until one fails; prints the
 *              errno and how many were made (a full store still has room
 *              for inodes in its last block)
 *   full PATH  on a full store: every call that adds bytes, one line each
 *              (PATH is the filled file)
 *   df         statfs of /: the size and the room, in bytes
 *   rm PATH    unlink
 *   trunc PATH truncate to 0 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <unistd.h>

#define CHUNK 10000

static const char *ename(int e)
{
	return e == EDQUOT ? "EDQUOT" : e == ENOSPC ? "ENOSPC" : strerror(e);
}

static int cmd_fill(const char *path)
{
	static char buf[CHUNK];
	memset(buf, 'q', sizeof buf);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0) {
		printf("open %s: %s\n", path, ename(errno));
		return 1;
	}
	long long total = 0;
	ssize_t n, last = CHUNK;
	while ((n = write(fd, buf, sizeof buf)) > 0) {
		total += n;
		last = n;
	}
	int e = n < 0 ? errno : 0;
	close(fd);
	printf("filled: %s, then %s\n",
	       last > 0 && last < CHUNK ? "a short write" : "whole writes",
	       n == 0 ? "0" : ename(e));
	printf("size %lld\n", total);
	return 0;
}

static void said(const char *what, long r)
{
	printf("%s: %s\n", what, r < 0 ? ename(errno) : "ok");
}

static int cmd_full(const char *path)
{
	char dir[256], name[300];
	snprintf(dir, sizeof dir, "%s", path);
	*strrchr(dir, '/') = '\0';
	struct stat st;
	int fd = open(path, O_RDWR);
	if (fd < 0 || fstat(fd, &st) < 0) {
		printf("open %s: %s\n", path, ename(errno));
		return 1;
	}
	off_t end = st.st_size, src = 0;
	said("pwrite at the end", pwrite(fd, "x", 1, end));
	said("pwrite inside", pwrite(fd, "y", 1, 0));
	said("ftruncate up", ftruncate(fd, end + 65536));
	said("ftruncate same", ftruncate(fd, end));
	said("fallocate", fallocate(fd, 0, end, 65536));
	said("copy_file_range", copy_file_range(fd, &src, fd, &end, 4096, 0));
	snprintf(name, sizeof name, "%s/new", dir);
	said("create", open(name, O_WRONLY | O_CREAT, 0644));
	snprintf(name, sizeof name, "%s/newdir", dir);
	said("mkdir", mkdir(name, 0755));
	snprintf(name, sizeof name, "%s/newlink", dir);
	said("symlink", symlink("target", name));
	static char value[300]; /* more than an inode's cost */
	said("setxattr", fsetxattr(fd, "user.big", value, sizeof value, 0));
	close(fd);
	return 0;
}

static int cmd_inodes(const char *dir)
{
	char name[300];
	int n = 0, fd;
	for (int i = 0;; i++) {
		snprintf(name, sizeof name, "%s/i%d", dir, i);
		if ((fd = open(name, O_WRONLY | O_CREAT | O_EXCL, 0644)) < 0) {
			if (errno == EEXIST)
				continue; /* made by an earlier run */
			break;
		}
		close(fd);
		n++;
	}
	printf("%s after %d creates\n", ename(errno), n);
	return 0;
}

static int cmd_df(void)
{
	struct statfs sf;
	if (statfs("/", &sf) < 0) {
		printf("statfs: %s\n", ename(errno));
		return 1;
	}
	printf("size %llu avail %llu\n",
	       (unsigned long long)sf.f_blocks * (unsigned long long)sf.f_bsize,
	       (unsigned long long)sf.f_bavail * (unsigned long long)sf.f_bsize);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && strcmp(argv[1], "fill") == 0)
		return cmd_fill(argv[2]);
	if (argc == 3 && strcmp(argv[1], "full") == 0)
		return cmd_full(argv[2]);
	if (argc == 3 && strcmp(argv[1], "inodes") == 0)
		return cmd_inodes(argv[2]);
	if (argc == 2 && strcmp(argv[1], "df") == 0)
		return cmd_df();
	if (argc == 3 && strcmp(argv[1], "rm") == 0) {
		said("unlink", unlink(argv[2]));
		return 0;
	}
	if (argc == 3 && strcmp(argv[1], "trunc") == 0) {
		said("truncate", truncate(argv[2], 0));
		return 0;
	}
	fprintf(stderr, "usage: quota_cage fill|inodes|full|rm|trunc PATH | df\n");
	return 2;
}
