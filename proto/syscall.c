/* lind_syscalls[]: the table rows of syscall_table.def as data. */
#define _GNU_SOURCE /* F_OFD_* */
#include <asm/termbits.h>
#include <fcntl.h>
#include <sys/ioctl.h>

#include "syscall.h"

const struct lind_syscall lind_syscalls[LIND_NR_MAX] = {
#define SYSCALL(n, nm, fl, a0, a1, a2, a3, a4, a5)                        \
	[n] = {.name = #nm,                                               \
	       .nr = n,                                                   \
	       .flags = LIND_F_##fl,                                      \
	       .arg = {LIND_A_##a0, LIND_A_##a1, LIND_A_##a2, LIND_A_##a3, \
		       LIND_A_##a4, LIND_A_##a5}},
#include "syscall_table.def"
#undef SYSCALL
};

int lind_fcntl_size(uint64_t cmd, int *dir)
{
	switch (cmd) {
	case F_GETLK:
	case F_OFD_GETLK:
		*dir = LIND_IOCTL_IO;
		return (int)sizeof(struct flock);
	case F_SETLK:
	case F_SETLKW:
	case F_OFD_SETLK:
	case F_OFD_SETLKW:
		*dir = LIND_IOCTL_IN;
		return (int)sizeof(struct flock);
	default:
		*dir = LIND_IOCTL_PLAIN;
		return 0;
	}
}

int lind_req_index(const struct lind_syscall *row)
{
	for (int i = 0; i < 6; i++)
		if (row->arg[i].kind == LK_IOCTL || row->arg[i].kind == LK_FCNTL)
			return i;
	return -1;
}

int lind_req_size(const struct lind_syscall *row, uint64_t req, int *dir)
{
	int i = lind_req_index(row);
	if (i < 0) {
		*dir = LIND_IOCTL_NONE;
		return 0;
	}
	return row->arg[i].kind == LK_FCNTL ? lind_fcntl_size(req, dir)
					    : lind_ioctl_size(req, dir);
}

int lind_ioctl_size(uint64_t request, int *dir)
{
	switch (request) {
	case TCGETS:
		*dir = LIND_IOCTL_OUT;
		return (int)sizeof(struct termios); /* the kernel's, not glibc's */
	case TIOCGWINSZ:
		*dir = LIND_IOCTL_OUT;
		return (int)sizeof(struct winsize);
	case FIONREAD:
		*dir = LIND_IOCTL_OUT;
		return (int)sizeof(int);
	default:
		*dir = LIND_IOCTL_NONE;
		return 0;
	}
}
