/*
 * Names for trace output: errnos, flag words, and whole strace-like lines
 * for TraceEvents.  Everything here reads data a cage produced, so every
 * length is bounded by what the event actually carries.
 */
#define _GNU_SOURCE /* sigabbrev_np */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "lind.pb-c.h"
#include "protocol.h"
#include "syscall.h"

#define STR_SHOW 32 /* bytes of a buffer shown, as strace -s 32 */

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

/* A growing line that never overflows: further output is dropped. */
struct out {
	char *b;
	size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
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

struct bit {
	int64_t v;
	const char *name;
};

/* "A|B|0x40" for the bits of v; "0" when none is set. */
static void put_bits(struct out *o, int64_t v, const struct bit *bits)
{
	int first = 1;
	for (; bits->name; bits++) {
		if (bits->v && (v & bits->v) == bits->v) {
			put(o, "%s%s", first ? "" : "|", bits->name);
			v &= ~bits->v;
			first = 0;
		}
	}
	if (v || first)
		put(o, first ? "%#llx" : "|%#llx", (unsigned long long)v);
}

/* Linux x86-64 values, whatever the host headers define. */
static const struct bit oflag_bits[] = {
	{0100, "O_CREAT"}, {0200, "O_EXCL"}, {0400, "O_NOCTTY"},
	{01000, "O_TRUNC"}, {02000, "O_APPEND"}, {04000, "O_NONBLOCK"},
	{020200000, "O_TMPFILE"}, {04010000, "O_SYNC"}, {010000, "O_DSYNC"},
	{020000, "O_ASYNC"}, {040000, "O_DIRECT"}, {0100000, "O_LARGEFILE"},
	{0200000, "O_DIRECTORY"}, {0400000, "O_NOFOLLOW"},
	{01000000, "O_NOATIME"}, {02000000, "O_CLOEXEC"},
	{010000000, "O_PATH"}, {0, NULL},
};

static const struct bit atflag_bits[] = {
	{0x100, "AT_SYMLINK_NOFOLLOW"}, {0x200, "AT_REMOVEDIR"},
	{0x400, "AT_SYMLINK_FOLLOW"}, {0x800, "AT_NO_AUTOMOUNT"},
	{0x1000, "AT_EMPTY_PATH"}, {0, NULL},
};

static const struct bit access_bits[] = {
	{4, "R_OK"}, {2, "W_OK"}, {1, "X_OK"}, {0, NULL},
};

static void put_oflags(struct out *o, int64_t v)
{
	static const char *const acc[] = {"O_RDONLY", "O_WRONLY", "O_RDWR",
					   "O_ACCMODE"};
	put(o, "%s", acc[v & 3]);
	v &= ~(int64_t)3;
	if (v) {
		put(o, "|");
		put_bits(o, v, oflag_bits);
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
	default: return NULL;
	}
}

static void put_arg(struct out *o, int kind, int64_t v)
{
	static const char *const whence[] = {"SEEK_SET", "SEEK_CUR", "SEEK_END",
					     "SEEK_DATA", "SEEK_HOLE"};
	const char *name;
	switch (kind) {
	case LK_OFLAGS:
		put_oflags(o, v);
		break;
	case LK_MODE:
		put(o, "%#03llo", (unsigned long long)v & 07777777);
		break;
	case LK_ATFD:
		/* the kernel reads fds as int: upper register bits are noise */
		if ((int32_t)v == -100)
			put(o, "AT_FDCWD");
		else
			put(o, "%d", (int32_t)v);
		break;
	case LK_FD:
		put(o, "%d", (int32_t)v);
		break;
	case LK_WHENCE:
		if (v >= 0 && v <= 4)
			put(o, "%s", whence[v]);
		else
			put(o, "%lld", (long long)v);
		break;
	case LK_ATFLAGS:
		put_bits(o, v, atflag_bits);
		break;
	case LK_FCNTL:
		if ((name = fcntl_name(v)))
			put(o, "%s", name);
		else
			put(o, "%lld", (long long)v);
		break;
	case LK_IOCTL:
		if ((name = ioctl_name(v)))
			put(o, "%s", name);
		else
			put(o, "%#llx", (unsigned long long)v);
		break;
	case LK_PTR:
		put(o, "%#llx", (unsigned long long)v);
		break;
	default:
		put(o, "%lld", (long long)v);
		break;
	}
}

void lind_format_arg(char *buf, size_t cap, int kind, int64_t v)
{
	if (!cap)
		return;
	struct out o = {buf, cap, 0};
	buf[0] = '\0';
	put_arg(&o, kind, v);
}

/* "bytes" escaped as strace does; "..." after the quote when more. */
static void put_str(struct out *o, const uint8_t *p, size_t n, int more)
{
	put(o, "\"");
	for (size_t i = 0; i < n; i++) {
		uint8_t c = p[i];
		switch (c) {
		case '\n': put(o, "\\n"); break;
		case '\t': put(o, "\\t"); break;
		case '\r': put(o, "\\r"); break;
		case '\v': put(o, "\\v"); break;
		case '\f': put(o, "\\f"); break;
		case '\\': put(o, "\\\\"); break;
		case '"': put(o, "\\\""); break;
		default:
			if (c >= 0x20 && c < 0x7f)
				put(o, "%c", c);
			else if (i + 1 < n && p[i + 1] >= '0' && p[i + 1] <= '7')
				put(o, "\\%03o", c); /* a digit follows: full width */
			else
				put(o, "\\%o", c);
		}
	}
	put(o, more ? "\"..." : "\"");
}

/* A buffer whose real length is total, of which d carries a prefix. */
static void put_buf(struct out *o, const ProtobufCBinaryData *d, int64_t total)
{
	size_t n = d->len < STR_SHOW ? d->len : STR_SHOW;
	if (total >= 0 && (uint64_t)total < n)
		n = (size_t)total;
	put_str(o, d->data, n, total > (int64_t)n || d->len > n);
}

static void put_stat(struct out *o, const ProtobufCBinaryData *d)
{
	if (d->len < 28) {
		put(o, "{...}");
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
		put(o, "{st_mode=%s|0%03o, ...}", t, mode & 07777);
	else
		put(o, "{st_mode=0%o, ...}", mode);
}

/* linux_dirent64 entries wholly inside the prefix. */
static void put_dirents(struct out *o, const ProtobufCBinaryData *d,
			int64_t total)
{
	size_t off = 0;
	put(o, "[");
	while (off + 19 < d->len) {
		uint16_t reclen;
		memcpy(&reclen, d->data + off + 16, 2);
		if (reclen < 20 || off + reclen > d->len)
			break;
		const uint8_t *name = d->data + off + 19;
		size_t n = strnlen((const char *)name, reclen - 19);
		put(o, "%s{d_name=", off ? ", " : "");
		put_str(o, name, n, 0);
		put(o, "}");
		off += reclen;
	}
	put(o, (int64_t)off < total ? "%s...]" : "]", off ? ", " : "");
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

static int64_t arg_of(const struct Lind__TraceEvent *ev, size_t i)
{
	return i < ev->n_args ? ev->args[i] : 0;
}

static void put_call_arg(struct out *o, struct cursor *c,
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
			put_str(o, in->data, in->len, in->len >= LIND_TRACE_DATA);
		else
			put(o, "NULL");
		return;
	case LK_IN:
	case LK_IOV_IN:
		if (a->kind == LK_IOV_IN)
			put(o, "[");
		if (in)
			put_buf(o, in, a->kind == LK_IN ? arg_of(ev, a->len) *
					   (int64_t)lind_arg_elem(a) : v);
		else
			put(o, "...");
		if (a->kind == LK_IOV_IN)
			put(o, "]");
		return;
	case LK_OUT:
	case LK_IOV_OUT:
		if (a->kind == LK_IOV_OUT)
			put(o, "[");
		if (!d)
			put(o, "...");
		else if (row->nr == LIND_SYS_getcwd)
			put_str(o, d->data, strnlen((const char *)d->data, d->len),
				0);
		else if (row->nr == LIND_SYS_getdents64)
			put_dirents(o, d, ev->result);
		else
			put_buf(o, d, ev->result * (int64_t)lind_arg_elem(a));
		if (a->kind == LK_IOV_OUT)
			put(o, "]");
		return;
	case LK_STAT:
		if (d)
			put_stat(o, d);
		else
			put(o, "...");
		return;
	case LK_OUTL: /* an address or option's value: the bytes that came */
		if (d)
			put_buf(o, d, (int64_t)d->len);
		else
			put(o, v ? "..." : "NULL");
		return;
	case LK_MSG_IN:
	case LK_MSG_OUT: {
		struct lind_msg_sizes z = lind_msg_sizes(v);
		put(o, "{name %u, control %u, data %u%s}", z.name, z.ctl,
		    z.data, z.cut ? " (cut)" : "");
		return;
	}
	case LK_OBJ_IN:
	case LK_OBJ_OUT:
	case LK_OBJ_IO: /* the struct shows as {...} */
		put(o, v ? "{...}" : "NULL");
		return;
	case LK_IOCTL_ARG:
		if (s->number)
			break; /* a number (fcntl): below */
		/* an in-struct shows what was sent, an out-one what came */
		put(o, (s->dir & LIND_DIR_IN ? in : d) ? "{...}" : "...");
		return;
	default:
		break;
	}
	/* plain integers, a few decoded by their neighbours */
	if (row->nr == LIND_SYS_fcntl && i == 2 && arg_of(ev, 1) == 4)
		put_oflags(o, v);
	else if (row->nr == LIND_SYS_fcntl && i == 2 && arg_of(ev, 1) == 2 &&
		 v == 1)
		put(o, "FD_CLOEXEC");
	else if ((row->nr == LIND_SYS_access && i == 1) ||
		 ((row->nr == LIND_SYS_faccessat ||
		   row->nr == LIND_SYS_faccessat2) && i == 2))
		v ? put_bits(o, v, access_bits) : put(o, "F_OK");
	else if (row->nr == LIND_SYS_faccessat2 && a->kind == LK_ATFLAGS &&
		 (v & 0x200)) {
		put(o, "AT_EACCESS");
		if (v & ~0x200) {
			put(o, "|");
			put_bits(o, v & ~0x200, atflag_bits);
		}
	} else
		put_arg(o, a->kind, v);
}

/* A call without a row (unserved), or one the client refused (its
 * arguments came without their data): its name and its arguments in hex.
 * A number Linux does not have is syscall_N. */
static void put_raw_call(struct out *o, const struct Lind__TraceEvent *ev)
{
	const struct lind_sysname *s = lind_sysname(ev->nr);
	size_t n;
	if (s) {
		n = s->nargs;
		put(o, "%s(", s->name);
	} else {
		n = ev->n_args < 6 ? ev->n_args : 6;
		while (n && !ev->args[n - 1])
			n--; /* unknown call: trailing zero arguments say nothing */
		put(o, "syscall_%u(", ev->nr);
	}
	for (size_t i = 0; i < n; i++)
		put(o, "%s0x%llx", i ? ", " : "",
		    (unsigned long long)arg_of(ev, i));
}

/* lind_exec's in-data: the path execve was given, then the new argv,
 * NUL-separated, cut to LIND_TRACE_DATA bytes: execve("PATH", [ARGV]). */
static void put_exec(struct out *o, const struct Lind__TraceEvent *ev)
{
	const uint8_t *p = ev->n_data ? ev->data[0].data : NULL;
	size_t n = ev->n_data ? ev->data[0].len : 0;
	int cut = n >= LIND_TRACE_DATA;
	put(o, "execve(");
	for (size_t i = 0, k = 0; i < n; k++) {
		const uint8_t *z = memchr(p + i, 0, n - i);
		size_t len = z ? (size_t)(z - (p + i)) : n - i;
		put(o, k == 0 ? "" : k == 1 ? ", [" : ", ");
		put_str(o, p + i, len, !z && cut);
		i += len + 1;
		if (k == 0 && i >= n)
			put(o, ", [");
	}
	put(o, n ? "]" : "...");
}

static void put_call(struct out *o, const struct Lind__TraceEvent *ev)
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
		put(o, "%s(", row->name);
		struct cursor c = {.ev = ev};
		int64_t a[6] = {0};
		for (size_t k = 0; k < 6 && k < ev->n_args; k++)
			a[k] = ev->args[k];
		(void)lind_layout(row, a, &c.lay); /* a bad size: shown raw */
		for (int i = 0; i < nargs; i++) {
			if (i)
				put(o, ", ");
			put_call_arg(o, &c, row, i);
		}
	}
	put(o, ") = ");
	if (ev->result < 0 && ev->result >= -4095) {
		const char *e = lind_errno_name((int)-ev->result);
		if (e)
			put(o, "-1 %s", e);
		else
			put(o, "-1 errno %lld", (long long)-ev->result);
	} else {
		put(o, "%lld", (long long)ev->result);
	}
	if (refused[0])
		put(o, " (%s)", refused);
	if (ev->latency_ns)
		put(o, " <%.1f us>", (double)ev->latency_ns / 1000.0);
}

/* As strace ends a process: "+++ exited with N +++", "+++ killed by
 * SIGKILL +++" (with " (core dumped)" when it did). */
static void put_exit(struct out *o, int st)
{
	if (WIFEXITED(st)) {
		put(o, "+++ exited with %d +++", WEXITSTATUS(st));
		return;
	}
	const char *name = sigabbrev_np(WTERMSIG(st));
	if (name)
		put(o, "+++ killed by SIG%s", name);
	else
		put(o, "+++ killed by signal %d", WTERMSIG(st));
	put(o, WCOREDUMP(st) ? " (core dumped) +++" : " +++");
}

size_t lind_format_event(char *buf, size_t cap,
			 const struct Lind__TraceEvent *ev)
{
	if (!cap)
		return 0;
	struct out o = {buf, cap, 0};
	buf[0] = '\0';
	const char *note = ev->note ? ev->note : "";
	if (!strcmp(note, "trace-on")) {
		put(&o, "+++ trace on +++");
		return o.len;
	}
	put(&o, "[cage %llu] ", (unsigned long long)ev->cage_id);
	if (!strcmp(note, "attach")) {
		put(&o, "+++ attached:");
		for (size_t i = 0; i < ev->n_data; i++)
			put(&o, " %.*s", (int)ev->data[i].len,
			    (const char *)ev->data[i].data);
		put(&o, " +++");
	} else if (!strcmp(note, "detach")) {
		put(&o, "+++ detached +++");
	} else if (!strcmp(note, "forked")) {
		put(&o, "+++ forked by cage %lld +++",
		    (long long)(ev->n_args ? ev->args[0] : 0));
	} else if (!strcmp(note, "exited")) {
		put_exit(&o, ev->n_args ? (int)ev->args[0] : 0);
	} else if (note[0]) {
		put(&o, "+++ %s +++", note);
	} else {
		put_call(&o, ev);
	}
	return o.len;
}
