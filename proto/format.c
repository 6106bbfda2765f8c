/*
 * Names for trace output: errnos, flag words, and whole strace-like lines
 * for TraceEvents.  Everything here reads data a cage produced, so every
 * length is bounded by what the event actually carries.
 */
#define _GNU_SOURCE /* sigabbrev_np */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "lind.pb-c.h"
#include "protocol.h"
#include "syscall.h"
#include "format_out.h"

/* lind_format_event's: strace's -s 32, names only, latency in us */
static const struct lind_fmt fmt_default = {.strsize = 32, .latency = 1};

static const char *const errnames[] = {
	[EPERM] = "EPERM", [ENOENT] = "ENOENT", [ESRCH] = "ESRCH",
	[EINTR] = "EINTR", [EIO] = "EIO", [ENXIO] = "ENXIO",
	[E2BIG] = "E2BIG", [ENOEXEC] = "ENOEXEC", [EBADF] = "EBADF",
	[ECHILD] = "ECHILD", [EAGAIN] = "EAGAIN", [ENOMEM] = "ENOMEM",
	[EACCES] = "EACCES", [EFAULT] = "EFAULT", [ENOTBLK] = "ENOTBLK",
	[EBUSY] = "EBUSY", [EEXIST] = "EEXIST", [EXDEV] = "EXDEV",
	[ENODEV] = "ENODEV", [ENOTDIR] = "ENOTDIR", [EISDIR] = "EISDIR",
	[EINVAL] = "EINVAL", [ENFILE] = "ENFILE", [EMFILE] = "EMFILE",
	[ENOTTY] = "ENOTTY", [ETXTBSY] = "ETXTBSY", [EFBIG] = "EFBIG",
	[ENOSPC] = "ENOSPC", [ESPIPE] = "ESPIPE", [EROFS] = "EROFS",
	[EMLINK] = "EMLINK", [EPIPE] = "EPIPE", [EDOM] = "EDOM",
	[ERANGE] = "ERANGE", [EDEADLK] = "EDEADLK",
	[ENAMETOOLONG] = "ENAMETOOLONG", [ENOLCK] = "ENOLCK",
	[ENOSYS] = "ENOSYS", [ENOTEMPTY] = "ENOTEMPTY", [ELOOP] = "ELOOP",
	[ENOMSG] = "ENOMSG", [EIDRM] = "EIDRM", [ENOSTR] = "ENOSTR",
	[ENODATA] = "ENODATA", [ETIME] = "ETIME", [ENOSR] = "ENOSR",
	[ENOLINK] = "ENOLINK", [EPROTO] = "EPROTO", [EBADMSG] = "EBADMSG",
	[EOVERFLOW] = "EOVERFLOW", [EILSEQ] = "EILSEQ", [EUSERS] = "EUSERS",
	[ENOTSOCK] = "ENOTSOCK", [EDESTADDRREQ] = "EDESTADDRREQ",
	[EMSGSIZE] = "EMSGSIZE", [EPROTOTYPE] = "EPROTOTYPE",
	[ENOPROTOOPT] = "ENOPROTOOPT", [EPROTONOSUPPORT] = "EPROTONOSUPPORT",
	[ESOCKTNOSUPPORT] = "ESOCKTNOSUPPORT", [EOPNOTSUPP] = "EOPNOTSUPP",
	[EPFNOSUPPORT] = "EPFNOSUPPORT", [EAFNOSUPPORT] = "EAFNOSUPPORT",
	[EADDRINUSE] = "EADDRINUSE", [EADDRNOTAVAIL] = "EADDRNOTAVAIL",
	[ENETDOWN] = "ENETDOWN", [ENETUNREACH] = "ENETUNREACH",
	[ENETRESET] = "ENETRESET", [ECONNABORTED] = "ECONNABORTED",
	[ECONNRESET] = "ECONNRESET", [ENOBUFS] = "ENOBUFS",
	[EISCONN] = "EISCONN", [ENOTCONN] = "ENOTCONN",
	[ESHUTDOWN] = "ESHUTDOWN", [ETOOMANYREFS] = "ETOOMANYREFS",
	[ETIMEDOUT] = "ETIMEDOUT", [ECONNREFUSED] = "ECONNREFUSED",
	[EHOSTDOWN] = "EHOSTDOWN", [EHOSTUNREACH] = "EHOSTUNREACH",
	[EALREADY] = "EALREADY", [EINPROGRESS] = "EINPROGRESS",
	[ESTALE] = "ESTALE", [EDQUOT] = "EDQUOT", [ECANCELED] = "ECANCELED",
	[EOWNERDEAD] = "EOWNERDEAD", [ENOTRECOVERABLE] = "ENOTRECOVERABLE",
};

const char *lind_errno_name(int err)
{
	if (err < 0 && err != INT_MIN)
		err = -err;
	if (err <= 0 || (size_t)err >= sizeof errnames / sizeof errnames[0])
		return NULL;
	return errnames[err];
}

void lind_put(struct lind_out *o, const char *fmt, ...)
{
	if (o->len + 1 >= o->cap)
		return;
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(o->b + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n;
	if (o->len >= o->cap)
		o->len = o->cap - 1;
}

/* "A|B|0x40" for the bits of v; "0" when none is set. */
void lind_put_bits(struct lind_out *o, int64_t v, const struct lind_bit *bits)
{
	int first = 1;
	for (; bits->name; bits++) {
		if (bits->v && (v & bits->v) == bits->v) {
			lind_put(o, "%s%s", first ? "" : "|", bits->name);
			v &= ~bits->v;
			first = 0;
		}
	}
	if (v || first)
		lind_put(o, first ? "%#llx" : "|%#llx", (unsigned long long)v);
}

/* Linux x86-64 values, whatever the host headers define. */
static const struct lind_bit oflag_bits[] = {
	{0100, "O_CREAT"}, {0200, "O_EXCL"}, {0400, "O_NOCTTY"},
	{01000, "O_TRUNC"}, {02000, "O_APPEND"}, {04000, "O_NONBLOCK"},
	{020200000, "O_TMPFILE"}, {04010000, "O_SYNC"}, {010000, "O_DSYNC"},
	{020000, "O_ASYNC"}, {040000, "O_DIRECT"}, {0100000, "O_LARGEFILE"},
	{0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"},
	{01000000, "O_NOATIME"}, {02000000, "O_CLOEXEC"},
	{010000000, "O_PATH"}, {0, NULL},
};

static const struct lind_bit atflag_bits[] = {
	{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"},
	{0x400, "AT_SYMLINK_FOLLOW"}, {0x800, "AT_NO_AUTOMOUNT"},
	{0x1000, "AT_EMPTY_PATH"}, {0, NULL},
};

static const struct lind_bit access_bits[] = {
	{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}, {0, NULL},
};

static void put_oflags(struct lind_out *o, int64_t v)
{
	static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR",
					   "O_ACCMODE"};
	lind_put(o, "%s", acc[v & 3]);
	v &= ~(int64_t)3;
	if (v) {
		lind_put(o, "|");
		lind_put_bits(o, v, oflag_bits);
	}
}

static const char *fcntl_name(int64_t v)
{
	switch (v) {
	case 0: return "F_DUPFD";
	case 1: return "F_GETFD";
	case 2: return "F_SETFD";
	case 3: return "F_GETFL";
	case 4: return "F_SETFL";
	case 5: return "F_GETLK";
	case 6: return "F_SETLK";
	case 7: return "F_SETLKW";
	case 8: return "F_SETOWN";
	case 9: return "F_GETOWN";
	case 1024: return "F_SETLEASE";
	case 1025: return "F_GETLEASE";
	case 1030: return "F_DUPFD_CLOEXEC";
	case 1031: return "F_SETPIPE_SZ";
	case 1032: return "F_GETPIPE_SZ";
	default: return NULL;
	}
}

static const char *ioctl_name(int64_t v)
{
	switch (v) {
	case 0x5401: return "TCGETS";
	case 0x5402: return "TCSETS";
	case 0x5403: return "TCSETSW";
	case 0x5404: return "TCSETSF";
	case 0x540f: return "TIOCGPGRP";
	case 0x5410: return "TIOCSPGRP";
	case 0x5413: return "TIOCGWINSZ";
	case 0x5414: return "TIOCSWINSZ";
	case 0x541b: return "FIONREAD";
	case 0x5421: return "FIONBIO";
	case 0x8905: return "SIOCATMARK";
	default: return NULL;
	}
}

/* "3", or with -y "3</tmp/x>" when the path is known. */
static void put_fd(struct lind_out *o, int fd)
{
	const char *path = o->f->fd_path && fd >= 0
				   ? o->f->fd_path(o->f->fd_ctx, o->cage, fd)
				   : NULL;
	lind_put(o, path ? "%d<%s>" : "%d", fd, path);
}

/* Calls whose result is a new fd (-y shows its path after it). */
static int returns_fd(const struct Lind__TraceEvent *ev)
{
	switch (ev->nr) {
	case LIND_SYS_open: case LIND_SYS_openat: case LIND_SYS_creat:
	case LIND_SYS_dup: case LIND_SYS_dup2: case LIND_SYS_dup3:
		return 1;
	case LIND_SYS_fcntl: /* F_DUPFD, F_DUPFD_CLOEXEC */
		return ev->n_args > 1 && (ev->args[1] == 0 || ev->args[1] == 1030);
	default:
		return 0;
	}
}

static void put_arg(struct lind_out *o, int kind, int64_t v)
{
	static const char *const whence[] = {"SEEK_SET", "SEEK_CUR", "SEEK_END",
					     "SEEK_DATA", "SEEK_HOLE"};
	const char *name;
	switch (kind) {
	case LK_OFLAGS:
		put_oflags(o, v);
		break;
	case LK_MODE:
		lind_put(o, "%#03llo", (unsigned long long)v & 07777777);
		break;
	case LK_ATFD:
		/* the kernel reads fds as int: upper register bits are noise */
		if ((int32_t)v == -100)
			lind_put(o, "AT_FDCWD");
		else
			put_fd(o, (int32_t)v);
		break;
	case LK_FD:
		put_fd(o, (int32_t)v);
		break;
	case LK_WHENCE:
		if (v >= 0 && v <= 4)
			lind_put(o, "%s", whence[v]);
		else
			lind_put(o, "%lld", (long long)v);
		break;
	case LK_ATFLAGS:
		lind_put_bits(o, v, atflag_bits);
		break;
	case LK_FCNTL:
		if ((name = fcntl_name(v)))
			lind_put(o, "%s", name);
		else
			lind_put(o, "%lld", (long long)v);
		break;
	case LK_IOCTL:
		if ((name = ioctl_name(v)))
			lind_put(o, "%s", name);
		else
			lind_put(o, "%#llx", (unsigned long long)v);
		break;
	case LK_PTR:
		lind_put(o, "%#llx", (unsigned long long)v);
		break;
	default:
		lind_put(o, "%lld", (long long)v);
		break;
	}
}

void lind_format_arg(char *buf, size_t cap, int kind, int64_t v)
{
	if (!cap)
		return;
	struct lind_out o = {buf, cap, 0, &fmt_default, 0};
	buf[0] = '\0';
	put_arg(&o, kind, v);
}

/* "bytes" escaped as strace does; "..." after the quote when more. */
void lind_put_str(struct lind_out *o, const uint8_t *p, size_t n, int more)
{
	lind_put(o, "\"");
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		switch (o->f->hex == 2 ? -1 : c) {
		case '\n': lind_put(o, "\\n"); break;
		case '\t': lind_put(o, "\\t"); break;
		case '\r': lind_put(o, "\\r"); break;
		case '\v': lind_put(o, "\\v"); break;
		case '\f': lind_put(o, "\\f"); break;
		case '\\': lind_put(o, "\\\\"); break;
		case '"': lind_put(o, "\\\""); break;
		default:
			if (o->f->hex == 2 || (o->f->hex && (c < 0x20 || c >= 0x7f)))
				lind_put(o, "\\x%02x", c);
			else if (c >= 0x20 && c < 0x7f)
				lind_put(o, "%c", c);
			else if (i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '7')
				lind_put(o, "\\%03o", c); /* a digit follows: full width */
			else
				lind_put(o, "\\%o", c);
		}
	}
	lind_put(o, more ? "\"..." : "\"");
}

/* A buffer whose real length is total, of which d carries a prefix. */
void lind_put_buf(struct lind_out *o, const ProtobufCBinaryData *d, int64_t total)
{
	size_t n = d->len < o->f->strsize ? d->len : o->f->strsize;
	if (total >= 0 && (uint64_t)total < n)
		n = (size_t)total;
	lind_put_str(o, d->data, n, total > (int64_t)n || d->len > n);
}

static void put_stat(struct lind_out *o, const ProtobufCBinaryData *d)
{
	if (d->len < 28) {
		lind_put(o, "{...}");
		return;
	}
	uint32_t mode;
	memcpy(&mode, d->data + 24, 4); /* struct stat: st_mode at 24 on x86-64 */
	static const char *const types[16] = {
		[1] = "S_IFIFO", [2] = "S_IFCHR", [4] = "S_IFDIR",
		[6] = "S_IFBLK", [8] = "S_IFREG", [10] = "S_IFLNK",
		[12] = "S_IFSOCK"};
	const char *t = types[(mode >> 12) & 15];
	if (t)
		lind_put(o, "{st_mode=%s|0%03o, ...}", t, mode & 07777);
	else
		lind_put(o, "{st_mode=0%o, ...}", mode);
}

/* linux_dirent64 entries wholly inside the prefix. */
static void put_dirents(struct lind_out *o, const ProtobufCBinaryData *d,
			int64_t total)
{
	size_t off = 0;
	lind_put(o, "[");
	while (off + 19 < d->len) {
		uint16_t reclen;
		memcpy(&reclen, d->data + off + 16, 2);
		if (reclen < 20 || off + reclen > d->len)
			break;
		const uint8_t *name = d->data + off + 19;
		size_t n = strnlen((const char *)name, reclen - 19);
		lind_put(o, "%s{d_name=", off ? ", " : "");
		lind_put_str(o, name, n, 0);
		lind_put(o, "}");
		off += reclen;
	}
	lind_put(o, (int64_t)off < total ? "%s...]" : "]", off ? ", " : "");
}

/* wait4's status, as strace: [{WIFEXITED(s) && WEXITSTATUS(s) == 0}] */
static void put_status(struct lind_out *o, int st)
{
	if (WIFEXITED(st)) {
		lind_put(o, "[{WIFEXITED(s) && WEXITSTATUS(s) == %d}]", WEXITSTATUS(st));
		return;
	}
	const char *name = WIFSIGNALED(st) ? sigabbrev_np(WTERMSIG(st)) : NULL;
	if (name)
		lind_put(o, "[{WIFSIGNALED(s) && WTERMSIG(s) == SIG%s%s}]", name,
		    WCOREDUMP(st) ? " && WCOREDUMP(s)" : "");
	else
		lind_put(o, "[%#x]", (unsigned)st);
}

static void put_limit(struct lind_out *o, int64_t v)
{
	if (v == -1)
		lind_put(o, "RLIM64_INFINITY");
	else
		lind_put(o, "%lld", (long long)v);
}

/* timespec (ns) or timeval (us) pairs: utimensat's UTIME_NOW/OMIT. */
static void put_times(struct lind_out *o, const ProtobufCBinaryData *d, int ns)
{
	lind_put(o, "[");
	for (size_t k = 0; k < 2; k++) {
		int64_t sec = lind_i64_at(d, 16 * k), frac = lind_i64_at(d, 16 * k + 8);
		lind_put(o, k ? ", " : "");
		if (ns && frac == (1 << 30) - 1)
			lind_put(o, "UTIME_NOW");
		else if (ns && frac == (1 << 30) - 2)
			lind_put(o, "UTIME_OMIT");
		else
			lind_put(o, ns ? "{tv_sec=%lld, tv_nsec=%lld}"
				  : "{tv_sec=%lld, tv_usec=%lld}",
			    (long long)sec, (long long)frac);
	}
	lind_put(o, "]");
}

/* A sigset_t as strace shows it: [USR1 CHLD RTMIN RT_1], signal n at
 * bit n-1, real-time ones counted from the kernel's SIGRTMIN (32). */
static void put_sigset(struct lind_out *o, uint64_t set)
{
	const char *sep = "";
	lind_put(o, "[");
	for (int sig = 1; sig <= 64; sig++) {
		if (!(set >> (sig - 1) & 1))
			continue;
		const char *name = sig < 32 ? sigabbrev_np(sig) : NULL;
		if (name)
			lind_put(o, "%s%s", sep, name);
		else if (sig == 32)
			lind_put(o, "%sRTMIN", sep);
		else
			lind_put(o, "%sRT_%d", sep, sig - 32);
		sep = " ";
	}
	lind_put(o, "]");
}

/* Structs by the call and argument that carry them (Linux x86-64
 * layouts); any other struct shows as {...}. */
static void put_obj(struct lind_out *o, uint32_t nr, int i,
		    const ProtobufCBinaryData *d)
{
	size_t n = d ? d->len : 0;
	if ((nr == LIND_SYS_pipe || nr == LIND_SYS_pipe2) && n >= 8)
		lind_put(o, "[%d, %d]", lind_i32_at(d, 0), lind_i32_at(d, 4));
	else if (nr == LIND_SYS_wait4 && i == 1 && n >= 4)
		put_status(o, lind_i32_at(d, 0));
	else if ((nr == LIND_SYS_getresuid || nr == LIND_SYS_getresgid) && n >= 4)
		lind_put(o, "[%u]", (unsigned)lind_i32_at(d, 0));
	else if ((nr == LIND_SYS_sendfile || nr == LIND_SYS_copy_file_range) &&
		 n >= 8)
		lind_put(o, "[%lld]", (long long)lind_i64_at(d, 0));
	else if ((nr == LIND_SYS_getrlimit || nr == LIND_SYS_setrlimit ||
		  nr == LIND_SYS_prlimit64) && n >= 16) {
		lind_put(o, "{rlim_cur=");
		put_limit(o, lind_i64_at(d, 0));
		lind_put(o, ", rlim_max=");
		put_limit(o, lind_i64_at(d, 8));
		lind_put(o, "}");
	} else if ((nr == LIND_SYS_utimensat || nr == LIND_SYS_utimes) && n >= 32)
		put_times(o, d, nr == LIND_SYS_utimensat);
	else if ((nr == LIND_SYS_signalfd || nr == LIND_SYS_signalfd4) && n >= 8)
		put_sigset(o, (uint64_t)lind_i64_at(d, 0));
	else if (nr == LIND_SYS_utime && n >= 16)
		lind_put(o, "{actime=%lld, modtime=%lld}", (long long)lind_i64_at(d, 0),
		    (long long)lind_i64_at(d, 8));
	else if ((nr == LIND_SYS_getrusage || (nr == LIND_SYS_wait4 && i == 3) ||
		  (nr == LIND_SYS_waitid && i == 4)) && n >= 32)
		lind_put(o, "{ru_utime={tv_sec=%lld, tv_usec=%lld}, ru_stime={tv_sec="
		       "%lld, tv_usec=%lld}, ...}", (long long)lind_i64_at(d, 0),
		    (long long)lind_i64_at(d, 8), (long long)lind_i64_at(d, 16),
		    (long long)lind_i64_at(d, 24));
	else
		lind_put(o, d ? "{...}" : "...");
}

struct cursor {
	const struct Lind__TraceEvent *ev;
	size_t in, out;
	struct lind_layout lay; /* which arguments own the data entries */
};

static const ProtobufCBinaryData *next_in(struct cursor *c)
{
	return c->in < c->ev->n_data ? &c->ev->data[c->in++] : NULL;
}

static const ProtobufCBinaryData *next_out(struct cursor *c)
{
	/* out-data exists only for a successful call */
	const ProtobufCBinaryData *d =
		c->out < c->ev->n_out ? &c->ev->out[c->out] : NULL;
	c->out++;
	return c->ev->result >= 0 ? d : NULL;
}

/* where the relay cut each buffer: a buffer this long may have been more */
static size_t data_cap(const struct Lind__TraceEvent *ev)
{
	return ev->data_cap ? ev->data_cap : LIND_TRACE_DATA;
}

static int64_t arg_of(const struct Lind__TraceEvent *ev, size_t i)
{
	return i < ev->n_args ? ev->args[i] : 0;
}

static const struct lind_bit sa_flag_bits[] = {
	{0x1, "SA_NOCLDSTOP"}, {0x2, "SA_NOCLDWAIT"}, {0x4, "SA_SIGINFO"},
	{0x04000000, "SA_RESTORER"}, {0x08000000, "SA_ONSTACK"},
	{0x10000000, "SA_RESTART"}, {0x40000000, "SA_NODEFER"},
	{(int64_t)0x80000000u, "SA_RESETHAND"}, {0, NULL},
};

static void put_signo(struct lind_out *o, int64_t v)
{
	const char *name = v > 0 && v < 65 ? sigabbrev_np((int)v) : NULL;
	name ? lind_put(o, "SIG%s", name) : lind_put(o, "%lld", (long long)v);
}

/* Integers whose meaning depends on the call: signals, send/recv flags,
 * lind_sigaction's action (signal, 0 SIG_DFL / 1 SIG_IGN / 2 a handler,
 * sa_flags).  0: not one of them. */
static int put_int_of_call(struct lind_out *o, uint32_t nr, int i, int64_t v)
{
	switch (nr) {
	case LIND_SYS_kill:
	case LIND_SYS_tgkill:
		if (i != (nr == LIND_SYS_kill ? 1 : 2))
			return 0;
		put_signo(o, v);
		return 1;
	case LIND_SYS_lind_sigaction: /* arguments 1 and 2 make one struct */
		if (i == 0) {
			put_signo(o, v);
		} else if (i == 1) {
			lind_put(o, "{sa_handler=%s", v == 0   ? "SIG_DFL"
						      : v == 1 ? "SIG_IGN"
							       : "HANDLER");
		} else {
			lind_put(o, "sa_flags=");
			lind_put_bits(o, v, sa_flag_bits);
			lind_put(o, "}");
		}
		return 1;
	case LIND_SYS_sendto:
	case LIND_SYS_recvfrom:
	case LIND_SYS_sendmsg:
	case LIND_SYS_recvmsg:
		if (i != (nr == LIND_SYS_sendto || nr == LIND_SYS_recvfrom ? 3 : 2))
			return 0;
		lind_put_msg_flags(o, v);
		return 1;
	default:
		return 0;
	}
}

static void put_call_arg(struct lind_out *o, struct cursor *c,
			 const struct lind_syscall *row, int i)
{
	const struct Lind__TraceEvent *ev = c->ev;
	const struct lind_arg *a = &row->arg[i];
	const struct lind_arg_layout *s = &c->lay.arg[i];
	int64_t v = arg_of(ev, (size_t)i);
	/* step past its entries first; what shows depends on the kind */
	const ProtobufCBinaryData *in = s->dir & LIND_DIR_IN ? next_in(c) : NULL;
	const ProtobufCBinaryData *d = s->dir & LIND_DIR_OUT ? next_out(c) : NULL;
	switch (a->kind) {
	case LK_PATH:
		if (in)
			lind_put_str(o, in->data, in->len, in->len >= data_cap(ev));
		else
			lind_put(o, "NULL");
		return;
	case LK_IN:
	case LK_IOV_IN:
		if (in && lind_is_sockaddr(row->nr, i)) {
			lind_put_sockaddr(o, in);
			return;
		}
		if (a->kind == LK_IOV_IN)
			lind_put(o, "[");
		if (in)
			lind_put_buf(o, in, a->kind == LK_IN ? arg_of(ev, a->len) *
					   (int64_t)lind_arg_elem(a) : v);
		else
			lind_put(o, "...");
		if (a->kind == LK_IOV_IN)
			lind_put(o, "]");
		return;
	case LK_OUT:
	case LK_IOV_OUT:
		if (a->kind == LK_IOV_OUT)
			lind_put(o, "[");
		if (!d)
			lind_put(o, "...");
		else if (row->nr == LIND_SYS_getcwd)
			lind_put_str(o, d->data, strnlen((const char *)d->data, d->len),
				0);
		else if (row->nr == LIND_SYS_getdents64)
			put_dirents(o, d, ev->result);
		else
			lind_put_buf(o, d, ev->result * (int64_t)lind_arg_elem(a));
		if (a->kind == LK_IOV_OUT)
			lind_put(o, "]");
		return;
	case LK_IO: /* an array of structs */
		if (in && (row->nr == LIND_SYS_poll || row->nr == LIND_SYS_ppoll))
			lind_put_pollfds(o, in, arg_of(ev, a->len));
		else
			lind_put(o, in ? "[...]" : "NULL");
		return;
	case LK_STAT:
		if (d)
			put_stat(o, d);
		else
			lind_put(o, "...");
		return;
	case LK_OUTL: /* an address or option's value: the bytes that came */
		if (d && lind_is_sockaddr(row->nr, i))
			lind_put_sockaddr(o, d);
		else if (d)
			lind_put_buf(o, d, (int64_t)d->len);
		else
			lind_put(o, v ? "..." : "NULL");
		return;
	case LK_MSG_IN:
		lind_put_msghdr(o, in, v, 0, ev->result);
		return;
	case LK_MSG_OUT:
		lind_put_msghdr(o, d, v, 1, ev->result);
		return;
	case LK_OBJ_IN:
	case LK_OBJ_OUT:
	case LK_OBJ_IO:
		if (!v)
			lind_put(o, "NULL");
		else /* what came back, else what was sent */
			put_obj(o, row->nr, i, d ? d : a->kind == LK_OBJ_OUT ? NULL : in);
		return;
	case LK_IOCTL_ARG:
		if (s->number)
			break; /* a number (fcntl): below */
		/* an in-struct shows what was sent, an out-one what came */
		lind_put(o, (s->dir & LIND_DIR_IN ? in : d) ? "{...}" : "...");
		return;
	default:
		break;
	}
	/* plain integers, a few decoded by their call */
	if (put_int_of_call(o, row->nr, i, v))
		return;
	if (row->nr == LIND_SYS_fcntl && i == 2 && arg_of(ev, 1) == 4)
		put_oflags(o, v);
	else if (row->nr == LIND_SYS_fcntl && i == 2 && arg_of(ev, 1) == 2 &&
		 v == 1)
		lind_put(o, "FD_CLOEXEC");
	else if ((row->nr == LIND_SYS_access && i == 1) ||
		 ((row->nr == LIND_SYS_faccessat ||
		   row->nr == LIND_SYS_faccessat2) && i == 2))
		v ? lind_put_bits(o, v, access_bits) : lind_put(o, "F_OK");
	else if (row->nr == LIND_SYS_faccessat2 && a->kind == LK_ATFLAGS &&
		 (v & 0x200)) {
		lind_put(o, "AT_EACCESS");
		if (v & ~0x200) {
			lind_put(o, "|");
			lind_put_bits(o, v & ~0x200, atflag_bits);
		}
	} else
		put_arg(o, a->kind, v);
}

/* A call without a row (unserved), or one the client refused (its
 * arguments came without their data): its name and its arguments in hex.
 * A number Linux does not have is syscall_N. */
static void put_raw_call(struct lind_out *o, const struct Lind__TraceEvent *ev)
{
	const struct lind_sysname *s = lind_sysname(ev->nr);
	size_t n;
	if (s) {
		n = s->nargs;
		lind_put(o, "%s(", s->name);
	} else {
		n = ev->n_args < 6 ? ev->n_args : 6;
		while (n && !ev->args[n - 1])
			n--; /* unknown call: trailing zero arguments say nothing */
		lind_put(o, "syscall_%u(", ev->nr);
	}
	for (size_t i = 0; i < n; i++)
		lind_put(o, "%s0x%llx", i ? ", " : "",
		    (unsigned long long)arg_of(ev, i));
}

/* lind_exec's in-data: the path execve was given, then the new argv,
 * NUL-separated, cut by the relay: execve("PATH", [ARGV]). */
static void put_exec(struct lind_out *o, const struct Lind__TraceEvent *ev)
{
	const uint8_t *p = ev->n_data ? ev->data[0].data : NULL;
	size_t n = ev->n_data ? ev->data[0].len : 0;
	int cut = n >= data_cap(ev);
	lind_put(o, "execve(");
	for (size_t i = 0, k = 0; i < n; k++) {
		const uint8_t *z = memchr(p + i, 0, n - i);
		size_t len = z ? (size_t)(z - (p + i)) : n - i;
		lind_put(o, k == 0 ? "" : k == 1 ? ", [" : ", ");
		lind_put_str(o, p + i, len, !z && cut);
		i += len + 1;
		if (k == 0 && i >= n)
			lind_put(o, ", [");
	}
	lind_put(o, n ? "]" : "...");
}

static void put_call(struct lind_out *o, const struct Lind__TraceEvent *ev)
{
	const struct lind_syscall *row = lind_syscall_row(ev->nr);
	const char *refused = ev->refused ? ev->refused : "";
	if (!row || !strcmp(refused, "filter")) {
		put_raw_call(o, ev);
	} else if (row->nr == LIND_SYS_lind_exec) {
		put_exec(o, ev);
	} else {
		int nargs = 6;
		while (nargs && row->arg[nargs - 1].kind == LK_NONE)
			nargs--;
		/* like strace: open's mode only when it creates */
		if ((row->nr == LIND_SYS_open || row->nr == LIND_SYS_openat) &&
		    !(arg_of(ev, (size_t)nargs - 2) & 020000100)) /* O_CREAT, __O_TMPFILE */
			nargs--;
		lind_put(o, "%s(", row->name);
		struct cursor c = {.ev = ev};
		int64_t a[6] = {0};
		for (size_t k = 0; k < 6 && k < ev->n_args; k++)
			a[k] = ev->args[k];
		(void)lind_layout(row, a, &c.lay); /* a bad size: shown raw */
		for (int i = 0; i < nargs; i++) {
			if (i)
				lind_put(o, ", ");
			put_call_arg(o, &c, row, i);
		}
	}
	lind_put(o, ") = ");
	if (ev->result < 0 && ev->result >= -4095) {
		const char *e = lind_errno_name((int)-ev->result);
		if (e)
			lind_put(o, "-1 %s", e);
		else
			lind_put(o, "-1 errno %lld", (long long)-ev->result);
		/* as strace: the message, unless the relay says why */
		if (o->f->errmsg && !refused[0])
			lind_put(o, " (%s)", strerror((int)-ev->result));
	} else if (returns_fd(ev) && !refused[0]) {
		put_fd(o, (int)ev->result);
	} else {
		lind_put(o, "%lld", (long long)ev->result);
	}
	if (refused[0])
		lind_put(o, " (%s)", refused);
	if (ev->latency_ns && o->f->latency)
		lind_put(o, " <%.1f us>", (double)ev->latency_ns / 1000.0);
}

/* As strace ends a process: "+++ exited with N +++", "+++ killed by
 * SIGKILL +++" (with " (core dumped)" when it did). */
static void put_exit(struct lind_out *o, int st)
{
	if (WIFEXITED(st)) {
		lind_put(o, "+++ exited with %d +++", WEXITSTATUS(st));
		return;
	}
	const char *name = sigabbrev_np(WTERMSIG(st));
	if (name)
		lind_put(o, "+++ killed by SIG%s", name);
	else
		lind_put(o, "+++ killed by signal %d", WTERMSIG(st));
	lind_put(o, WCOREDUMP(st) ? " (core dumped) +++" : " +++");
}

size_t lind_format_event(char *buf, size_t cap,
			 const struct Lind__TraceEvent *ev)
{
	return lind_format_event_with(buf, cap, ev, &fmt_default);
}

/* As strace shows a signal's delivery: "--- SIGCHLD ---". */
static void put_signal(struct lind_out *o, int sig)
{
	const char *name = sigabbrev_np(sig);
	if (name)
		lind_put(o, "--- SIG%s ---", name);
	else
		lind_put(o, "--- signal %d ---", sig);
}

size_t lind_format_event_with(char *buf, size_t cap,
			      const struct Lind__TraceEvent *ev,
			      const struct lind_fmt *f)
{
	if (!cap)
		return 0;
	struct lind_out o = {buf, cap, 0, f, ev->cage_id};
	buf[0] = '\0';
	const char *note = ev->note ? ev->note : "";
	if (!strcmp(note, "trace-on")) {
		lind_put(&o, "+++ trace on +++");
		return o.len;
	}
	lind_put(&o, "[cage %llu] ", (unsigned long long)ev->cage_id);
	if (!strcmp(note, "attach")) {
		lind_put(&o, "+++ attached:");
		for (size_t i = 0; i < ev->n_data; i++)
			lind_put(&o, " %.*s", (int)ev->data[i].len,
			    (const char *)ev->data[i].data);
		lind_put(&o, " +++");
	} else if (!strcmp(note, "detach")) {
		lind_put(&o, "+++ detached +++");
	} else if (!strcmp(note, "forked")) {
		lind_put(&o, "+++ forked by cage %lld +++",
		    (long long)(ev->n_args ? ev->args[0] : 0));
	} else if (!strcmp(note, "exited")) {
		put_exit(&o, ev->n_args ? (int)ev->args[0] : 0);
	} else if (!strcmp(note, "signal")) {
		put_signal(&o, ev->n_args ? (int)ev->args[0] : 0);
	} else if (!strcmp(note, "fds")) { /* -y attaching: what is open */
		lind_put(&o, "+++ open fds:");
		for (size_t i = 0; i < ev->n_args && i < ev->n_data; i++)
			lind_put(&o, " %d<%.*s>", (int32_t)ev->args[i],
				 (int)ev->data[i].len,
				 (const char *)ev->data[i].data);
		lind_put(&o, " +++");
	} else if (note[0]) {
		lind_put(&o, "+++ %s +++", note);
	} else {
		put_call(&o, ev);
	}
	return o.len;
}
