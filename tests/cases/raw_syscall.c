/* raw syscall(2) bypasses every libc function: the trap still serves it */
#include "case.h"
#include <sys/syscall.h>

int main(void)
{
	enter_scratch();
	long fd = SHOW(syscall(SYS_openat, AT_FDCWD, "raw.txt", O_WRONLY | O_CREAT, 0644));
	SHOW(syscall(SYS_write, fd, "raw bytes\n", 10));
	SHOW(syscall(SYS_close, fd));
	struct stat st;
	SHOW(syscall(SYS_newfstatat, AT_FDCWD, "raw.txt", &st, 0));
	printf("size %lld\n", (long long)st.st_size);
	char buf[4096];
	fd = SHOW(syscall(SYS_openat, AT_FDCWD, ".", O_RDONLY | O_DIRECTORY));
	long n = SHOW(syscall(SYS_getdents64, fd, buf, sizeof buf));
	printf("getdents returned bytes: %d\n", n > 0);
	SHOW(syscall(SYS_close, fd));
	SHOW(syscall(SYS_unlinkat, AT_FDCWD, "raw.txt", 0));
	SHOW(syscall(SYS_mkdirat, AT_FDCWD, "sub", 0755));
	SHOW(syscall(SYS_unlinkat, AT_FDCWD, "sub", AT_REMOVEDIR));
	SHOW(syscall(999, 1, 2, 3));  /* no such call: ENOSYS */
	return 0;
}
