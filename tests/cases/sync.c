/* sync, syncfs, sync_file_range, fsync and fdatasync on every kind of fd */
#include "case.h"
#include <sys/syscall.h>

int main(void)
{
	enter_scratch();
	int fd = SHOW(open("f", O_RDWR | O_CREAT | O_TRUNC, 0644));
	SHOW(write(fd, "hello", 5));
	SHOW(syscall(SYS_sync));
	sync(); /* the libc wrapper returns nothing */
	SHOW(syncfs(fd));
	SHOW(syncfs(-1));
	SHOW(syncfs(1000));
	SHOW(write(fd, "again", 5));
	SHOW(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
	SHOW(sync_file_range(fd, 0, 10, SYNC_FILE_RANGE_WAIT_BEFORE |
				   SYNC_FILE_RANGE_WRITE |
				   SYNC_FILE_RANGE_WAIT_AFTER));
	SHOW(sync_file_range(fd, 100, 0, 0));
	SHOW(sync_file_range(fd, 0, 0, 8));
	SHOW(sync_file_range(fd, -1, 0, SYNC_FILE_RANGE_WRITE));
	SHOW(sync_file_range(fd, 0, -1, SYNC_FILE_RANGE_WRITE));
	SHOW(sync_file_range(fd, 1, 0x7fffffffffffffffL, SYNC_FILE_RANGE_WRITE));
	SHOW(sync_file_range(-1, 0, 0, 8));
	SHOW(fsync(fd));
	SHOW(fdatasync(fd));
	SHOW(close(fd));
	fd = SHOW(open("f", O_RDONLY));
	SHOW(fsync(fd));
	SHOW(sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
	SHOW(syncfs(fd));
	SHOW(close(fd));
	SHOW(fsync(fd));
	int d = SHOW(open(".", O_RDONLY | O_DIRECTORY));
	SHOW(fsync(d));
	SHOW(fdatasync(d));
	SHOW(syncfs(d));
	SHOW(sync_file_range(d, 0, 0, SYNC_FILE_RANGE_WRITE));
	SHOW(close(d));
	int p[2];
	SHOW(pipe(p));
	SHOW(syncfs(p[0]));
	SHOW(sync_file_range(p[1], 0, 0, SYNC_FILE_RANGE_WRITE));
	SHOW(sync_file_range(p[1], 0, 0, 8));
	SHOW(fsync(p[0]));
	SHOW(fdatasync(p[1]));
	SHOW(close(p[0]));
	SHOW(close(p[1]));
	int n = SHOW(open("/dev/null", O_WRONLY));
	SHOW(syncfs(n));
	SHOW(sync_file_range(n, 0, 0, SYNC_FILE_RANGE_WRITE));
	SHOW(fsync(n));
	SHOW(close(n));
	n = SHOW(open("/proc/self/status", O_RDONLY));
	SHOW(fsync(n));
	SHOW(close(n));
	n = SHOW(open("/proc", O_RDONLY));
	SHOW(fsync(n));
	SHOW(close(n));
	char buf[16] = {0};
	fd = SHOW(open("f", O_RDONLY));
	SHOW(read(fd, buf, sizeof buf - 1));
	printf("[%s]\n", buf);
	SHOW(close(fd));
	return 0;
}
