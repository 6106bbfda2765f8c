/* a file unlinked while open stays readable and writable through its
 * descriptions until the last one closes; statfs is plausible */
#include "case.h"
#include <sys/statfs.h>
#include <sys/wait.h>

/* Magic numbers of filesystems a store or a native run sits on, and the
 * one posix-server reports for the store (docs/architecture.md). */
static int known_type(long t)
{
	static const long types[] = {0x4c494e44, 0xEF53, 0x01021994,
				     0x58465342, (long)0x9123683E, 0x794c7630,
				     0x2fc12fc1, 0x6969};
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (t == types[i])
			return 1;
	return 0;
}

static void plausible(const char *what, const struct statfs *sf)
{
	printf("%s: known type %d, blocks > 0 %d, bfree <= blocks %d, "
	       "bavail <= bfree %d, bsize > 0 %d, ffree <= files %d, namelen %ld\n",
	       what, known_type((long)sf->f_type), sf->f_blocks > 0,
	       sf->f_bfree <= sf->f_blocks, sf->f_bavail <= sf->f_bfree,
	       sf->f_bsize > 0, sf->f_ffree <= sf->f_files, (long)sf->f_namelen);
}

int main(void)
{
	enter_scratch();
	struct statfs a, b;
	SHOW(statfs(".", &a));
	plausible("statfs", &a);
	int fd = SHOW(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(fstatfs(fd, &b));
	plausible("fstatfs", &b);
	printf("same type %d\n", a.f_type == b.f_type);
	SHOW(write(fd, "hello", 5));
	int other = SHOW(open("f", O_RDONLY));
	SHOW(unlink("f"));
	SHOW(access("f", F_OK));
	struct stat st;
	SHOW(fstat(fd, &st));
	printf("nlink %ld size %lld\n", (long)st.st_nlink, (long long)st.st_size);
	SHOW(pwrite(fd, " world", 6, 5));
	char buf[32] = {0};
	SHOW(pread(other, buf, sizeof buf - 1, 0));
	printf("[%s]\n", buf);
	SHOW(ftruncate(fd, 3));
	SHOW(fstat(other, &st));
	printf("nlink %ld size %lld\n", (long)st.st_nlink, (long long)st.st_size);
	/* a child holds it too, after the parent let go */
	pid_t pid = fork();
	if (pid == 0) {
		usleep(50000);
		char c[8] = {0};
		ssize_t n = pread(other, c, sizeof c - 1, 0);
		printf("child: %zd [%s]\n", n, c);
		fflush(stdout);
		_exit(0);
	}
	SHOW(close(fd));
	int st2;
	REQUIRE(waitpid(pid, &st2, 0) == pid);
	SHOW(lseek(other, 0, SEEK_END));
	SHOW(close(other));
	/* the name can be used again at once, for a new file */
	fd = SHOW(open("f", O_RDWR | O_CREAT | O_EXCL, 0644));
	SHOW(fstat(fd, &st));
	printf("nlink %ld size %lld\n", (long)st.st_nlink, (long long)st.st_size);
	SHOW(close(fd));
	SHOW(unlink("f"));
	return 0;
}
