/* The syscall table as data: every layer looks calls up here. */
#ifndef LIND_SYSCALL_H
#define LIND_SYSCALL_H

#include <stddef.h>
#include <stdint.h>

enum lind_kind {
	LK_NONE = 0,
	/* plain integers, decoded differently by the trace */
	LK_INT, LK_SIZE, LK_FD, LK_ATFD, LK_OFLAGS, LK_MODE, LK_WHENCE,
	LK_ATFLAGS, LK_FCNTL, LK_IOCTL,
	/* in-data: travels in Request.data, one entry per such argument */
	LK_PATH, LK_IN, LK_IOV_IN,
	/* out-data: travels in Reply.data, one entry per such argument */
	LK_OUT, LK_IOV_OUT, LK_STAT,
	/* in or out depending on the ioctl request (lind_ioctl_size) */
	LK_IOCTL_ARG,
	LK_PTR,
};

enum lind_flag {
	LF_SPLIT = 1u << 0, /* client cuts buffers > LIND_MAX_IO into calls */
};

struct lind_arg {
	uint8_t kind; /* enum lind_kind */
	uint8_t len;  /* IN/OUT/IOV_*: index of the length/count argument */
};

struct lind_syscall {
	const char *name; /* NULL: no such row (ENOSYS) */
	uint16_t nr;
	uint16_t flags;
	struct lind_arg arg[6];
};

#define LIND_NR_MAX 512

/* Row helpers used when a consumer expands proto/syscall_table.def. */
#define LIND_A__ {LK_NONE, 0}
#define LIND_A_INT {LK_INT, 0}
#define LIND_A_SIZE {LK_SIZE, 0}
#define LIND_A_FD {LK_FD, 0}
#define LIND_A_ATFD {LK_ATFD, 0}
#define LIND_A_OFLAGS {LK_OFLAGS, 0}
#define LIND_A_MODE {LK_MODE, 0}
#define LIND_A_WHENCE {LK_WHENCE, 0}
#define LIND_A_ATFLAGS {LK_ATFLAGS, 0}
#define LIND_A_FCNTL {LK_FCNTL, 0}
#define LIND_A_IOCTL {LK_IOCTL, 0}
#define LIND_A_PATH {LK_PATH, 0}
#define LIND_A_STAT {LK_STAT, 0}
#define LIND_A_IOCTL_ARG {LK_IOCTL_ARG, 0}
#define LIND_A_PTR {LK_PTR, 0}
#define LIND_A_IN(n) {LK_IN, n}
#define LIND_A_OUT(n) {LK_OUT, n}
#define LIND_A_IOV_IN(n) {LK_IOV_IN, n}
#define LIND_A_IOV_OUT(n) {LK_IOV_OUT, n}
#define LIND_F_0 0
#define LIND_F_SPLIT LF_SPLIT

/* LIND_SYS_read = 0, ... : numbers by name, for handlers and tests. */
enum lind_sysno {
#define SYSCALL(nr, name, fl, a0, a1, a2, a3, a4, a5) LIND_SYS_##name = nr,
#include "syscall_table.def"
#undef SYSCALL
};

extern const struct lind_syscall lind_syscalls[LIND_NR_MAX];

/* The row for nr, or NULL when the table has none (answer ENOSYS). */
static inline const struct lind_syscall *lind_syscall_row(uint64_t nr)
{
	if (nr >= LIND_NR_MAX || !lind_syscalls[nr].name)
		return NULL;
	return &lind_syscalls[nr];
}

static inline int lind_kind_is_in(int k)
{
	return k == LK_PATH || k == LK_IN || k == LK_IOV_IN;
}

static inline int lind_kind_is_out(int k)
{
	return k == LK_OUT || k == LK_IOV_OUT || k == LK_STAT;
}

/*
 * Names and classes of every call, served or not (proto/syscall_names.def).
 * Class bits, in the order lind_class_name lists them.
 */
enum lind_class {
	LC_FILE = 1u << 0,
	LC_DESC = 1u << 1,
	LC_NET = 1u << 2,
	LC_PROC = 1u << 3,
	LC_EXEC = 1u << 4,
	LC_SIGNAL = 1u << 5,
	LC_MEMORY = 1u << 6,
	LC_IPC = 1u << 7,
	LC_TIME = 1u << 8,
	LC_CREDS = 1u << 9,
	LC_SYSTEM = 1u << 10,
	LC_WRITE = 1u << 11,
};
#define LC_COUNT 12
#define LC_ALL ((1u << LC_COUNT) - 1)
/* Open flags that make an open a change to the filesystem (class write):
 * O_WRONLY O_RDWR O_CREAT O_TRUNC O_APPEND __O_TMPFILE. */
#define LIND_OFLAGS_WRITE (01 | 02 | 0100 | 01000 | 02000 | 020000000)

struct lind_sysname {
	const char *name;
	uint8_t nargs;
	int8_t flags_arg; /* SYSOPEN: index of the open flags, else -1 */
	uint16_t classes; /* enum lind_class bits */
};

/* The entry for nr, or NULL when Linux and lind have no such call. */
const struct lind_sysname *lind_sysname(uint64_t nr);
/* The classes of one call with its arguments: an open's flags add write. */
uint32_t lind_call_classes(uint64_t nr, const int64_t *args, size_t nargs);
/* "file", "desc", ... for one class bit; NULL for anything else. */
const char *lind_class_name(uint32_t bit);
/* "net,write": *mask gets the bits.  0, or -EINVAL with a one-line
 * message in err naming the bad class and the valid ones. */
int lind_class_parse(const char *list, uint32_t *mask, char *err, size_t cap);

/* ioctl requests whose argument we carry: size in bytes, direction. */
enum { LIND_IOCTL_NONE = 0, LIND_IOCTL_IN = 1, LIND_IOCTL_OUT = 2 };
int lind_ioctl_size(uint64_t request, int *dir);

/* Human names for trace output (proto/format.c).  lind_errno_name takes
 * err or -err and answers NULL for an unknown number; lind_format_arg
 * writes "O_WRONLY|O_CREAT", "0644", "AT_FDCWD", "SEEK_SET", ... */
const char *lind_errno_name(int err);
void lind_format_arg(char *buf, size_t cap, int kind, int64_t v);
/* One strace-like line (no newline) for a trace event:
 *   [cage 2] openat(AT_FDCWD, "/tmp/x", O_RDONLY) = 3 <12.3 us>
 * Always NUL-terminates within cap; returns strlen(buf). */
struct Lind__TraceEvent;
size_t lind_format_event(char *buf, size_t cap,
			 const struct Lind__TraceEvent *ev);

#endif
