/* fcntl record locks: a process's own locks never conflict with it, open
 * file description locks do between descriptions, closing any fd drops
 * the process's locks, and what Linux refuses */
#include "case.h"

static int lk(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET,
			   .l_start = start, .l_len = len};
	return fcntl(fd, cmd, &fl);
}

/* F_GETLK / F_OFD_GETLK: who would block this lock */
static void probe(int fd, int cmd, short type, off_t start, off_t len)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET,
			   .l_start = start, .l_len = len};
	int r = fcntl(fd, cmd, &fl);
	if (r < 0) {
		printf("getlk: %s\n", case_errname(errno));
		return;
	}
	if (fl.l_type == F_UNLCK)
		printf("getlk: unlocked\n");
	else
		printf("getlk: type %d start %lld len %lld pid-is-self %d ofd %d\n",
		       fl.l_type, (long long)fl.l_start, (long long)fl.l_len,
		       fl.l_pid == getpid(), fl.l_pid == -1);
}

int main(void)
{
	enter_scratch();
	put_file("db", "0123456789");
	int a = SHOW(open("db", O_RDWR));
	int b = SHOW(open("db", O_RDWR));
	int ro = SHOW(open("db", O_RDONLY));
	SHOW(lk(a, F_SETLK, F_WRLCK, 0, 10));
	SHOW(lk(b, F_SETLK, F_WRLCK, 5, 10)); /* same process: no conflict */
	probe(b, F_GETLK, F_WRLCK, 0, 0);
	/* OFD locks conflict between descriptions and with process locks */
	SHOW(lk(a, F_OFD_SETLK, F_WRLCK, 100, 10));
	SHOW(lk(b, F_OFD_SETLK, F_RDLCK, 105, 1));
	probe(b, F_OFD_GETLK, F_RDLCK, 100, 0);
	SHOW(lk(b, F_OFD_SETLK, F_RDLCK, 0, 1)); /* the process lock */
	probe(b, F_OFD_GETLK, F_WRLCK, 0, 1);
	SHOW(lk(a, F_OFD_SETLK, F_UNLCK, 100, 10));
	SHOW(lk(b, F_OFD_SETLK, F_RDLCK, 105, 1));
	SHOW(lk(a, F_OFD_SETLK, F_RDLCK, 100, 10)); /* shared with b's */
	SHOW(lk(a, F_OFD_SETLK, F_WRLCK, 100, 10));
	/* closing any fd of the file drops the process's locks */
	SHOW(close(ro));
	probe(b, F_OFD_GETLK, F_WRLCK, 0, 1);
	/* refusals */
	ro = SHOW(open("db", O_RDONLY));
	SHOW(lk(ro, F_SETLK, F_WRLCK, 0, 1));
	SHOW(lk(a, F_SETLK, 7, 0, 1));
	SHOW(lk(a, F_SETLK, F_RDLCK, -5, 1));
	SHOW(lk(a, F_SETLK, F_RDLCK, 5, -3)); /* bytes 2..4 */
	SHOW(lk(a, F_SETLK, F_RDLCK, 1, -3));
	struct flock fl = {.l_type = F_RDLCK, .l_whence = 9};
	SHOW(fcntl(a, F_SETLK, &fl));
	fl = (struct flock){.l_type = F_RDLCK, .l_whence = SEEK_SET, .l_pid = 1};
	SHOW(fcntl(a, F_OFD_SETLK, &fl));
	fl = (struct flock){.l_type = F_UNLCK, .l_whence = SEEK_SET};
	SHOW(fcntl(a, F_GETLK, &fl));
	SHOW(lk(99, F_SETLK, F_RDLCK, 0, 1));
	SHOW(close(a));
	SHOW(close(b));
	SHOW(close(ro));
	SHOW(unlink("db"));
	return 0;
}
