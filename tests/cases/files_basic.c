/* open/read/write/lseek/pread/pwrite/dup and holes on regular files */
#include "case.h"

int main(void)
{
	char buf[64] = {0};
	enter_scratch();
	int fd = SHOW(open("a.txt", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(write(fd, "hello world", 11));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(lseek(fd, 6, SEEK_SET));
	SHOW(read(fd, buf, sizeof buf));
	printf("read: [%s]\n", buf);
	SHOW(pwrite(fd, "W", 1, 6));
	memset(buf, 0, sizeof buf);
	SHOW(pread(fd, buf, 5, 6));
	printf("pread: [%s]\n", buf);
	SHOW(lseek(fd, 0, SEEK_CUR)); /* pread/pwrite leave the offset */

	/* dup shares the offset */
	int fd2 = SHOW(dup(fd));
	SHOW(lseek(fd, 2, SEEK_SET));
	SHOW(lseek(fd2, 0, SEEK_CUR));
	SHOW(dup2(fd, 10));
	SHOW(lseek(10, 0, SEEK_END));
	SHOW(lseek(fd, 0, SEEK_CUR));
	SHOW(close(10));
	SHOW(close(fd2));

	/* a hole reads as zeros */
	SHOW(lseek(fd, 4096, SEEK_SET));
	SHOW(write(fd, "end", 3));
	struct stat st;
	SHOW(fstat(fd, &st));
	printf("size %lld regular %d\n", (long long)st.st_size, S_ISREG(st.st_mode));
	memset(buf, 'x', sizeof buf);
	SHOW(pread(fd, buf, 8, 100));
	int zeros = 0;
	for (int i = 0; i < 8; i++)
		zeros += buf[i] == 0;
	printf("zeros in hole: %d\n", zeros);
	SHOW(close(fd));

	/* O_APPEND writes at the end, O_TRUNC empties */
	fd = SHOW(open("a.txt", O_WRONLY | O_APPEND));
	SHOW(lseek(fd, 0, SEEK_SET));
	SHOW(write(fd, "!", 1));
	SHOW(fstat(fd, &st));
	printf("size after append %lld\n", (long long)st.st_size);
	SHOW(close(fd));
	fd = SHOW(open("a.txt", O_RDWR | O_TRUNC));
	SHOW(fstat(fd, &st));
	printf("size after trunc %lld\n", (long long)st.st_size);
	SHOW(ftruncate(fd, 10000));
	SHOW(fstat(fd, &st));
	printf("size after ftruncate %lld\n", (long long)st.st_size);
	SHOW(close(fd));

	/* creat, unlink */
	fd = SHOW(creat("b.txt", 0600));
	SHOW(write(fd, "x", 1));
	SHOW(close(fd));
	SHOW(unlink("b.txt"));
	SHOW(access("b.txt", F_OK));
	SHOW(unlink("a.txt"));
	return 0;
}
