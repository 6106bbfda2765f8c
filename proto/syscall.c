/* lind_syscalls[]: the table rows of syscall_table.def as data. */
#include <asm/termbits.h>
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
