/* copy_file_range, sendfile, fallocate, fadvise64, readahead, truncate,
 * statfs: data moved in the server, and what Linux refuses */
#include "case.h"
#include <sys/sendfile.h>
#include <sys/vfs.h>

static void cat(const char *p)
{
	char buf[128] = {0};
	int fd = open(p, O_RDONLY);
	REQUIRE(fd >= 0);
	ssize_t n = read(fd, buf, sizeof buf - 1);
	REQUIRE(n >= 0);
	close(fd);
	printf("%s (%zd): %s\n", p, n, buf);
}

int main(void)
{
	enter_scratch();
	put_file("src", "0123456789abcdefghij");
	int in = SHOW(open("src", O_RDONLY));
	int out = SHOW(open("dst", O_WRONLY | O_CREAT, 0644));
	SHOW(copy_file_range(in, NULL, out, NULL, 5, 0));
	loff_t ioff = 10, ooff = 100;
	SHOW(copy_file_range(in, &ioff, out, &ooff, 4, 0));
	printf("offsets %lld %lld, in at %lld\n", (long long)ioff,
	       (long long)ooff, (long long)lseek(in, 0, SEEK_CUR));
	SHOW(copy_file_range(in, NULL, out, NULL, 1000, 0)); /* to the end */
	SHOW(copy_file_range(in, NULL, out, NULL, 1000, 0)); /* at the end */
	SHOW(copy_file_range(in, NULL, out, NULL, 5, 1));
	SHOW(copy_file_range(out, NULL, in, NULL, 5, 0));
	SHOW(copy_file_range(99, NULL, out, NULL, 5, 0));
	cat("dst");
	SHOW(lseek(in, 0, SEEK_SET));
	int out2 = SHOW(open("dst2", O_RDWR | O_CREAT, 0644));
	SHOW(sendfile(out2, in, NULL, 8));
	off_t off = 15;
	SHOW(sendfile(out2, in, &off, 100));
	printf("off %lld\n", (long long)off);
	cat("dst2");
	SHOW(sendfile(in, out2, NULL, 8));
	/* fallocate: mode 0 grows the size; others are not supported */
	SHOW(fallocate(out2, 0, 0, 4096));
	struct stat st;
	SHOW(fstat(out2, &st));
	printf("size %lld\n", (long long)st.st_size);
	SHOW(fallocate(out2, 0, 8192, 0));
	SHOW(fallocate(out2, 0, -1, 10));
	SHOW(fallocate(in, 0, 0, 10));
	SHOW(posix_fadvise(in, 0, 0, POSIX_FADV_SEQUENTIAL));
	SHOW(posix_fadvise(in, 0, 0, 99)); /* returns the error number */
	SHOW(posix_fadvise(99, 0, 0, POSIX_FADV_NORMAL));
	SHOW(readahead(in, 0, 4096));
	SHOW(readahead(99, 0, 4096));
	SHOW(truncate("dst2", 3));
	cat("dst2");
	SHOW(truncate("dst2", -1));
	SHOW(truncate(".", 0));
	SHOW(truncate("missing", 0));
	struct statfs sf;
	SHOW(statfs(".", &sf));
	printf("namelen %ld, bsize > 0 %d\n", (long)sf.f_namelen, sf.f_bsize > 0);
	SHOW(fstatfs(in, &sf));
	SHOW(statfs("missing", &sf));
	SHOW(fstatfs(99, &sf));
	SHOW(close(in));
	SHOW(close(out));
	SHOW(close(out2));
	SHOW(unlink("src"));
	SHOW(unlink("dst"));
	SHOW(unlink("dst2"));
	return 0;
}
