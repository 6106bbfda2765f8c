/* /dev/null, /dev/zero, /dev/urandom */
#include "case.h"

int main(void)
{
	char buf[64];
	int fd = SHOW(open("/dev/null", O_RDWR));
	SHOW(write(fd, "gone", 4));
	SHOW(read(fd, buf, sizeof buf));
	SHOW(close(fd));
	fd = SHOW(open("/dev/zero", O_RDONLY));
	memset(buf, 'x', sizeof buf);
	SHOW(read(fd, buf, sizeof buf));
	int zeros = 0;
	for (size_t i = 0; i < sizeof buf; i++)
		zeros += buf[i] == 0;
	printf("zeros: %d\n", zeros);
	SHOW(close(fd));
	fd = SHOW(open("/dev/urandom", O_RDONLY));
	SHOW(read(fd, buf, 32));
	SHOW(close(fd));
	struct stat st;
	SHOW(stat("/dev/null", &st));
	printf("/dev/null is chr %d\n", S_ISCHR(st.st_mode));
	return 0;
}
