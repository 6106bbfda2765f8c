/* lind_syscalls[] (the rows of syscall_table.def) and the names and
 * classes of every call (syscall_names.def), as data. */
#define _GNU_SOURCE /* F_OFD_* */
#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include "syscall.h"

const struct lind_syscall lind_syscalls[LIND_ROWS] = {
#define SYSCALL(n, nm, fl, a0, a1, a2, a3, a4, a5)                        \
	[LIND_ROW_INDEX(n)] = {.name = #nm,                                               \
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
	case SIOCATMARK: /* a socket's urgent mark */
	case TIOCGPGRP: /* tcgetpgrp, tcsetpgrp, tcgetsid: the server's */
	case TIOCGSID:
		*dir = LIND_IOCTL_OUT;
		return (int)sizeof(int);
	case SIOCGIFNAME: /* a network interface, asked through any socket */
	case SIOCGIFINDEX:
	case SIOCGIFFLAGS:
	case SIOCGIFMTU:
	case SIOCGIFADDR:
	case SIOCGIFNETMASK:
	case SIOCGIFBRDADDR:
		*dir = LIND_IOCTL_IO;
		return (int)sizeof(struct ifreq);
	case TIOCSPGRP:
	case FIONBIO: /* any fd: its O_NONBLOCK (posix-server/sys_file.c) */
		*dir = LIND_IOCTL_IN;
		return (int)sizeof(int);
	default:
		*dir = LIND_IOCTL_NONE;
		return 0;
	}
}

/* ---- names and classes: every call, served or not ------------------- */

static const struct lind_sysname sysnames[LIND_ROWS] = {
#define SYSNAME(n, nm, na, cl) [LIND_ROW_INDEX(n)] = {#nm, na, -1, cl},
#define SYSOPEN(n, nm, na, cl, fa) [LIND_ROW_INDEX(n)] = {#nm, na, fa, cl},
#include "syscall_names.def"
#undef SYSOPEN
#undef SYSNAME
};

const struct lind_sysname *lind_sysname(uint64_t nr)
{
	int i = lind_row_index(nr);
	if (i < 0 || !sysnames[i].name)
		return NULL;
	return &sysnames[i];
}

uint32_t lind_call_classes(uint64_t nr, const int64_t *args, size_t nargs)
{
	const struct lind_sysname *s = lind_sysname(nr);
	if (!s)
		return 0;
	uint32_t c = s->classes;
	/* a missing argument is 0, as the server will read it: O_RDONLY */
	if (s->flags_arg >= 0 && (size_t)s->flags_arg < nargs &&
	    (args[s->flags_arg] & LIND_OFLAGS_WRITE))
		c |= LC_WRITE;
	return c;
}

static const char *const class_names[LC_COUNT] = {
	"file", "desc", "net",  "proc",  "exec",   "signal",
	"memory", "ipc", "time", "creds", "system", "write",
};

const char *lind_class_name(uint32_t bit)
{
	if (!bit || (bit & (bit - 1)) || bit > LC_ALL)
		return NULL;
	return class_names[__builtin_ctz(bit)];
}

static int class_bit(const char *name, size_t len)
{
	for (int i = 0; i < LC_COUNT; i++)
		if (strlen(class_names[i]) == len &&
		    !memcmp(class_names[i], name, len))
			return i;
	return -1;
}

int lind_class_parse(const char *list, uint32_t *mask, char *err, size_t cap)
{
	uint32_t m = 0;
	const char *p = list;
	for (;;) {
		size_t len = strcspn(p, ",");
		int b = class_bit(p, len);
		if (b < 0) {
			char valid[128] = "";
			for (int i = 0; i < LC_COUNT; i++)
				snprintf(valid + strlen(valid),
					 sizeof valid - strlen(valid), "%s%s",
					 i ? "," : "", class_names[i]);
			snprintf(err, cap, "unknown class '%.*s' (valid: %s)",
				 len > 32 ? 32 : (int)len, p, valid);
			return -EINVAL;
		}
		m |= 1u << b;
		if (!p[len])
			break;
		p += len + 1;
	}
	*mask = m;
	return 0;
}
