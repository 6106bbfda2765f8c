/* readv/writev gather and scatter */
#include "case.h"
#include <sys/uio.h>

int main(void)
{
	enter_scratch();
	int fd = SHOW(open("v", O_RDWR | O_CREAT | O_TRUNC, 0644));
	struct iovec w[3] = {{"abc", 3}, {"", 0}, {"defgh", 5}};
	SHOW(writev(fd, w, 3));
	SHOW(lseek(fd, 0, SEEK_SET));
	char a[2], b[4], c[10] = {0};
	struct iovec r[3] = {{a, 2}, {b, 4}, {c, sizeof c}};
	SHOW(readv(fd, r, 3));
	printf("[%.2s][%.4s][%s]\n", a, b, c);
	SHOW(readv(fd, r, 3));
	SHOW(writev(fd, w, -1));
	SHOW(close(fd));
	SHOW(unlink("v"));
	return 0;
}
