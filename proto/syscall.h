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
	/* a struct of `len` bytes behind a pointer that may be NULL (sent as
	 * 0, else as len; a NULL in-struct travels as an empty data entry):
	 * read by the call, written by it, or both (an offset it advances) */
	LK_OBJ_IN, LK_OBJ_OUT, LK_OBJ_IO,
	/* an array of `elem`-byte elements, count in argument `len`, that
	 * goes in and comes back whole (poll's pollfd: events in, revents
	 * out) */
	LK_IO,
	/* out: a socket call's buffer (an address, an option) whose
	 * capacity is the socklen_t behind argument len (an OBJ_IO(4)) and
	 * whose real length the call writes there; the slot carries the
	 * capacity (0 with a NULL buffer, when len is sent NULL too) */
	LK_OUTL,
	/* a struct msghdr: MSG_IN its name, control and iovec data gathered
	 * to one entry (sendmsg); MSG_OUT the same scattered back after a
	 * struct lind_msg_head (recvmsg).  The slot carries the three sizes
	 * (lind_msg_slot) */
	LK_MSG_IN, LK_MSG_OUT,
};

enum lind_flag {
	LF_SPLIT = 1u << 0, /* client cuts buffers > LIND_MAX_IO into calls */
	/* the PATH argument may be NULL (utimensat, statx with an fd): sent
	 * as an empty string with its slot 1, where a real path's is 0 */
	LF_NULLPATH = 1u << 1,
	/* client-libc answers or finishes it itself: a hook in
	 * client-libc/hooks.c (exit_group, fork, ...) instead of the generic
	 * marshal-send-wait path */
	LF_CLIENT = 1u << 2,
	/* an in-buffer over LIND_E2BIG_MAX is E2BIG, the call's own answer
	 * for that size (setxattr: XATTR_SIZE_MAX), not EINVAL */
	LF_E2BIG = 1u << 3,
};

struct lind_arg {
	uint8_t kind; /* enum lind_kind */
	uint16_t len; /* IN/OUT/IOV_*: index of the length/count argument;
		       * OBJ_*: the struct's size in bytes */
	uint8_t elem; /* IN/OUT: bytes per unit of that count (0: 1) */
};

struct lind_syscall {
	const char *name; /* NULL: no such row (ENOSYS) */
	uint32_t nr;
	uint16_t flags;
	struct lind_arg arg[6];
};

/*
 * Numbers.  Linux's calls keep their own (0 .. LIND_NR_MAX-1, rows at
 * their number).  lind's own calls live in a block Linux never reaches:
 * LIND_NR(1) = 0x4c4e01 and up (0x4c4e is LIND_PROBE_NR, "LN"), so a raw
 * syscall(500) from a cage is just an unknown call.  Arrays indexed by
 * call (rows, names, handlers) are LIND_ROWS long: Linux's block, then
 * lind's, reached through lind_row_index().
 */
#define LIND_NR_MAX 512
#define LIND_NR_OWN_BASE 0x4c4e00u
#define LIND_NR_OWN_COUNT 16
#define LIND_NR(i) (LIND_NR_OWN_BASE + (i))
#define LIND_ROWS (LIND_NR_MAX + LIND_NR_OWN_COUNT)
/* Index of nr in a LIND_ROWS array (a constant expression for
 * designated initialisers; only for numbers of either block). */
#define LIND_ROW_INDEX(nr)                                               \
	((nr) < LIND_NR_MAX ? (nr) : (nr) - LIND_NR_OWN_BASE + LIND_NR_MAX)

/* nr's index in a LIND_ROWS array, or -1 for a number of neither block. */
static inline int lind_row_index(uint64_t nr)
{
	if (nr < LIND_NR_MAX)
		return (int)nr;
	if (nr > LIND_NR_OWN_BASE && nr < LIND_NR_OWN_BASE + LIND_NR_OWN_COUNT)
		return (int)(nr - LIND_NR_OWN_BASE + LIND_NR_MAX);
	return -1;
}

/* The call number at index i of a LIND_ROWS array. */
static inline uint32_t lind_row_nr(int i)
{
	return i < LIND_NR_MAX ? (uint32_t)i
			       : LIND_NR_OWN_BASE + (uint32_t)(i - LIND_NR_MAX);
}

/* Row helpers used when a consumer expands proto/syscall_table.def. */
#define LIND_A__ {LK_NONE, 0, 0}
#define LIND_A_INT {LK_INT, 0, 0}
#define LIND_A_SIZE {LK_SIZE, 0, 0}
#define LIND_A_FD {LK_FD, 0, 0}
#define LIND_A_ATFD {LK_ATFD, 0, 0}
#define LIND_A_OFLAGS {LK_OFLAGS, 0, 0}
#define LIND_A_MODE {LK_MODE, 0, 0}
#define LIND_A_WHENCE {LK_WHENCE, 0, 0}
#define LIND_A_ATFLAGS {LK_ATFLAGS, 0, 0}
#define LIND_A_FCNTL {LK_FCNTL, 0, 0}
#define LIND_A_IOCTL {LK_IOCTL, 0, 0}
#define LIND_A_PATH {LK_PATH, 0, 0}
#define LIND_A_STAT {LK_STAT, 0, 0}
#define LIND_A_IOCTL_ARG {LK_IOCTL_ARG, 0, 0}
#define LIND_A_PTR {LK_PTR, 0, 0}
#define LIND_A_IN(n) {LK_IN, n, 0}
#define LIND_A_OUT(n) {LK_OUT, n, 0}
/* arrays of 32-bit elements (gid_t), the count in argument n */
#define LIND_A_IN_U32(n) {LK_IN, n, 4}
#define LIND_A_OUT_U32(n) {LK_OUT, n, 4}
/* arrays of elem-byte elements (elem < 256), the count in argument n */
#define LIND_A_IN_N(n, elem) {LK_IN, n, elem}
#define LIND_A_OUT_N(n, elem) {LK_OUT, n, elem}
#define LIND_A_IO_N(n, elem) {LK_IO, n, elem}
#define LIND_A_IOV_IN(n) {LK_IOV_IN, n, 0}
#define LIND_A_IOV_OUT(n) {LK_IOV_OUT, n, 0}
#define LIND_A_OBJ_IN(n) {LK_OBJ_IN, n, 0}
#define LIND_A_OBJ_OUT(n) {LK_OBJ_OUT, n, 0}
#define LIND_A_OBJ_IO(n) {LK_OBJ_IO, n, 0}
#define LIND_A_OUTL(n) {LK_OUTL, n, 0}
#define LIND_A_MSG_IN {LK_MSG_IN, 0, 0}
#define LIND_A_MSG_OUT {LK_MSG_OUT, 0, 0}
#define LIND_F_0 0
#define LIND_F_SPLIT LF_SPLIT
#define LIND_F_NULLPATH LF_NULLPATH
#define LIND_F_CLIENT LF_CLIENT
#define LIND_F_E2BIG LF_E2BIG

/* LIND_SYS_read = 0, ... : numbers by name, for handlers and tests. */
enum lind_sysno {
#define SYSCALL(nr, name, fl, a0, a1, a2, a3, a4, a5) LIND_SYS_##name = nr,
#include "syscall_table.def"
#undef SYSCALL
};

extern const struct lind_syscall lind_syscalls[LIND_ROWS];

/* The row for nr, or NULL when the table has none (answer ENOSYS). */
static inline const struct lind_syscall *lind_syscall_row(uint64_t nr)
{
	int i = lind_row_index(nr);
	if (i < 0 || !lind_syscalls[i].name)
		return NULL;
	return &lind_syscalls[i];
}

/* OBJ_IO is both: its struct goes in and comes back. */
static inline int lind_kind_is_in(int k)
{
	return k == LK_PATH || k == LK_IN || k == LK_IOV_IN || k == LK_OBJ_IN ||
	       k == LK_OBJ_IO || k == LK_IO || k == LK_MSG_IN;
}

static inline int lind_kind_is_out(int k)
{
	return k == LK_OUT || k == LK_IOV_OUT || k == LK_STAT ||
	       k == LK_OBJ_OUT || k == LK_OBJ_IO || k == LK_IO ||
	       k == LK_OUTL || k == LK_MSG_OUT;
}

static inline int lind_kind_is_obj(int k)
{
	return k == LK_OBJ_IN || k == LK_OBJ_OUT || k == LK_OBJ_IO;
}

/* Bytes per unit of an IN/OUT/IO argument's length (an array's count). */
static inline unsigned lind_arg_elem(const struct lind_arg *g)
{
	return g->elem ? g->elem : 1;
}

/* The most elements a counted array (IN_U32, OUT_U32, IO_N) carries:
 * what a frame holds, and at most NGROUPS_MAX, so that a gid count over
 * Linux's limit is EINVAL before its array is read. */
#define LIND_MAX_ELEMS 65536
int64_t lind_max_count(unsigned elem); /* proto/layout.c */

/* Kinds whose len names another argument (a length or count). */
static inline int lind_kind_has_len(int k)
{
	return k == LK_IN || k == LK_OUT || k == LK_IOV_IN || k == LK_IOV_OUT ||
	       k == LK_IO || k == LK_OUTL;
}

/*
 * A msghdr's sizes in its MSG_IN/MSG_OUT slot: data bytes (bits 0-31),
 * name bytes (32-43), control bytes (44-59) and `cut` (bit 60: the
 * caller's data was more than a frame holds, so only its start went).
 * In: the entry is name, control, data, exactly.  Out: the sizes are
 * capacities; the entry is a struct lind_msg_head, the name (at most its
 * capacity), the control and the data bytes.
 */
#define LIND_MSG_NAME_MAX 128 /* sizeof(struct sockaddr_storage) */
#define LIND_MSG_CTL_MAX 4096 /* control bytes a frame carries */

struct lind_msg_sizes {
	uint32_t name, ctl, data;
	int cut;
};

struct lind_msg_head {
	uint32_t namelen; /* the sender's address length (may exceed what
			   * came: msg_namelen, as Linux says it) */
	uint32_t ctllen;  /* control bytes that follow */
	uint32_t datalen; /* data bytes that follow */
	uint32_t flags;   /* msg_flags: MSG_TRUNC, MSG_CTRUNC, MSG_EOR... */
};

static inline int64_t lind_msg_slot(uint32_t name, uint32_t ctl,
				    uint32_t data, int cut)
{
	return (int64_t)data | (int64_t)(name & 0xfff) << 32 |
	       (int64_t)(ctl & 0xffff) << 44 | (int64_t)(cut != 0) << 60;
}

static inline struct lind_msg_sizes lind_msg_sizes(int64_t slot)
{
	uint64_t v = (uint64_t)slot;
	return (struct lind_msg_sizes){.data = (uint32_t)v,
				       .name = (uint32_t)(v >> 32) & 0xfff,
				       .ctl = (uint32_t)(v >> 44) & 0xffff,
				       .cut = (int)(v >> 60) & 1};
}

/* A MSG_OUT entry of len bytes checked against its slot: 0 with *h and
 * the offsets of name, control and data in it, or -EIO when its parts do
 * not add up to len or overrun a capacity. */
int lind_msg_reply(const void *entry, size_t len, int64_t slot,
		   struct lind_msg_head *h, size_t off[3]);

/* ioctl requests whose argument we carry: size in bytes, direction.
 * IO: the struct goes in and comes back (fcntl F_GETLK); PLAIN: the
 * argument is a number, sent as is (fcntl's other commands). */
enum { LIND_IOCTL_NONE = 0, LIND_IOCTL_IN = 1, LIND_IOCTL_OUT = 2,
       LIND_IOCTL_IO = 3, LIND_IOCTL_PLAIN = 4 };
int lind_ioctl_size(uint64_t request, int *dir);
/* fcntl commands, the same way: the record locks carry a struct flock. */
int lind_fcntl_size(uint64_t cmd, int *dir);
/* An IOCTL_ARG argument's size and direction, decided by its row's
 * request argument (kind IOCTL or FCNTL) whose value is req; the index
 * of that argument is lind_req_index (-1: none, direction NONE). */
int lind_req_index(const struct lind_syscall *row);
int lind_req_size(const struct lind_syscall *row, uint64_t req, int *dir);

/*
 * The one reading of a row's argument kinds (proto/layout.c): given a
 * call's arguments as they travel in a frame (a pointer slot carries its
 * size, proto/syscall_table.def), which arguments carry a Request.data
 * entry (in), a Reply.data entry (out) or both, and how many bytes.  The
 * client's marshalling, the relay's check, the server's decode, the trace
 * and the tests all read it, so they cannot disagree.
 */
enum lind_dir { LIND_DIR_NONE = 0, LIND_DIR_IN = 1, LIND_DIR_OUT = 2,
		LIND_DIR_INOUT = 3 };

struct lind_arg_layout {
	uint8_t dir;   /* enum lind_dir bits */
	uint8_t path;  /* in: a NUL-free string under LIND_MAX_PATH (size 0) */
	uint8_t iov;   /* gathered from / scattered to an iovec array */
	uint8_t exact; /* out: the entry is exactly size bytes (a struct) */
	uint8_t number; /* a number the server reads as is (plain kinds, an
			 * fcntl argument); else a pointer slot or unused */
	/* in: the entry's length; out: the most the call may write back */
	size_t size;
	/* why the slot's value cannot be in a frame (an in-length or
	 * capacity beyond LIND_MAX_IO, a struct slot neither 0 nor its
	 * size), NULL when it can.  dir is still its kind's, and size what
	 * the slot gives taken as it is: a struct's size, a capacity cut to
	 * LIND_MAX_IO, an in-length no entry has (SIZE_MAX) */
	const char *bad;
};

struct lind_layout {
	struct lind_arg_layout arg[6];
	uint8_t nin, nout; /* data entries each way, in argument order */
};

/* Lay out row's arguments a[] (wire values): 0, or -EINVAL when an
 * argument is bad (the first one's reason in its slot's bad).  The
 * layout is complete either way: nin and nout count by kind alone. */
int lind_layout(const struct lind_syscall *row, const int64_t a[6],
		struct lind_layout *l);

/* The argument whose bytes may travel in the slot's data area
 * (Request.area, Reply.area; docs/architecture.md "Bulk data"): a SPLIT
 * row's buffer or iovec array when it is the row's only data argument
 * (read, write, the p* and vectored kin; not sendto), in direction dir
 * (LIND_DIR_IN or LIND_DIR_OUT); -1 when the row has none. */
int lind_area_arg(const struct lind_syscall *row, unsigned dir);

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
/* The same, shown as f says (lind-trace -s, -x, -xx): */
struct lind_fmt {
	unsigned strsize; /* bytes of a buffer shown (strace -s) */
	int hex;          /* 1: non-printable bytes as \xNN (-x); 2: all (-xx) */
	int errmsg;       /* "-1 ENOENT (No such file or directory)" */
	int latency;      /* " <12.3 us>" after the result */
	/* -y: an fd's path in that cage, or NULL (fd_path NULL: numbers) */
	const char *(*fd_path)(void *ctx, uint64_t cage, int fd);
	void *fd_ctx;
};
size_t lind_format_event_with(char *buf, size_t cap,
			      const struct Lind__TraceEvent *ev,
			      const struct lind_fmt *f);

#endif
