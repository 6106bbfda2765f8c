/* one read or write bigger than a frame: regular files and /dev/zero are
 * read whole, as POSIX wants */
#include "case.h"

static char buf[1 << 20];

int main(void)
{
	enter_scratch();
	for (size_t i = 0; i < 300000; i++)
		buf[i] = (char)(i * 13 + i / 7);
	int fd = SHOW(open("big", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(write(fd, buf, 300000));
	SHOW(lseek(fd, 0, SEEK_SET));
	memset(buf, 0, sizeof buf);
	SHOW(read(fd, buf, sizeof buf));
	long bad = 0;
	for (size_t i = 0; i < 300000; i++)
		bad += buf[i] != (char)(i * 13 + i / 7);
	printf("mismatches: %ld\n", bad);
	SHOW(read(fd, buf, sizeof buf)); /* at EOF */
	SHOW(pread(fd, buf, sizeof buf, 100000));
	SHOW(pread(fd, buf, 70000, 200000));
	printf("pread from 200000 matches: %d\n",
	       buf[0] == (char)(200000 * 13 + 200000 / 7));
	SHOW(close(fd));
	fd = SHOW(open("/dev/zero", O_RDONLY));
	SHOW(read(fd, buf, 200000));
	SHOW(close(fd));
	SHOW(unlink("big"));
	return 0;
}
