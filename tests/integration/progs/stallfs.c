/* stallfs MOUNTPOINT: a FUSE filesystem with one file, /f, that answers
 * until MOUNTPOINT/../stall exists, then never answers again (getattr,
 * read, flush): what a hostile user's FUSE mount does to whoever holds
 * one of its fds.  Runs in the foreground until unmounted or killed. */
#define FUSE_USE_VERSION 31
#include <errno.h>
#include <fuse.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char stall_flag[PATH_MAX];

static void maybe_stall(void)
{
	while (access(stall_flag, F_OK) == 0)
		usleep(100 * 1000); /* no answer while the flag is there */
}

static int fs_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof *st);
	if (strcmp(path, "/") == 0) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/f") != 0)
		return -ENOENT;
	maybe_stall();
	st->st_mode = S_IFREG | 0644;
	st->st_nlink = 1;
	st->st_size = 6;
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	(void)fi;
	return strcmp(path, "/f") == 0 ? 0 : -ENOENT;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	maybe_stall();
	const char text[] = "hello\n";
	if (off >= 6)
		return 0;
	size_t n = 6 - (size_t)off < size ? 6 - (size_t)off : size;
	memcpy(buf, text + off, n);
	return (int)n;
}

static int fs_flush(const char *path, struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	maybe_stall();
	return 0;
}

static const struct fuse_operations ops = {
	.getattr = fs_getattr,
	.open = fs_open,
	.read = fs_read,
	.flush = fs_flush,
};

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: stallfs MOUNTPOINT\n");
		return 2;
	}
	snprintf(stall_flag, sizeof stall_flag, "%s/../stall", argv[1]);
	/* foreground, one thread per request (a stalled one does not stop
	 * the others), attributes never cached: every fstat asks us */
	char *args[] = {argv[0], "-f", "-o", "attr_timeout=0,entry_timeout=0",
			argv[1], NULL};
	return fuse_main(5, args, &ops, NULL);
}
