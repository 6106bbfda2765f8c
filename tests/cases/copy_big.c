/* copy_file_range and sendfile of a file bigger than one call copies
 * (a short count is legal: callers loop), between files, whole */
#include "case.h"
#include <sys/sendfile.h>

#define BIG (3u << 20)

static int same(const char *a, const char *b)
{
	static char x[BIG], y[BIG];
	int fa = open(a, O_RDONLY), fb = open(b, O_RDONLY);
	REQUIRE(fa >= 0 && fb >= 0);
	ssize_t na = pread(fa, x, BIG, 0), nb = pread(fb, y, BIG, 0);
	close(fa);
	close(fb);
	return na == nb && na == BIG && memcmp(x, y, BIG) == 0;
}

int main(void)
{
	static char buf[BIG];
	enter_scratch();
	for (size_t i = 0; i < BIG; i++)
		buf[i] = (char)(i % 251);
	int src = SHOW(open("src", O_RDWR | O_CREAT | O_TRUNC, 0644));
	REQUIRE(write(src, buf, BIG) == BIG);
	int dst = SHOW(open("dst", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	loff_t in = 0;
	size_t total = 0;
	for (ssize_t n; (n = copy_file_range(src, &in, dst, NULL, BIG, 0)) > 0;)
		total += (size_t)n;
	printf("copy_file_range: %zu, in offset %lld, same %d\n", total,
	       (long long)in, same("src", "dst"));
	SHOW(lseek(dst, 0, SEEK_CUR));
	int out = SHOW(open("out", O_WRONLY | O_CREAT | O_TRUNC, 0644));
	SHOW(lseek(src, 0, SEEK_SET));
	total = 0;
	for (ssize_t n; (n = sendfile(out, src, NULL, BIG)) > 0;)
		total += (size_t)n;
	printf("sendfile: %zu, same %d\n", total, same("src", "out"));
	SHOW(lseek(src, 0, SEEK_CUR));
	SHOW(lseek(out, 0, SEEK_CUR));
	SHOW(close(src));
	SHOW(close(dst));
	SHOW(close(out));
	return 0;
}
