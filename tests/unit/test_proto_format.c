/* proto/format.c: errno names, argument decoding, whole trace lines. */
#define _GNU_SOURCE /* struct ucred */
#include <errno.h>
#include <signal.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "lind.pb-c.h"
#include "protocol.h"
#include "syscall.h"

static void test_errno_names(void **st)
{
	(void)st;
	assert_string_equal(lind_errno_name(ENOENT), "ENOENT");
	assert_string_equal(lind_errno_name(-ENOENT), "ENOENT");
	assert_string_equal(lind_errno_name(ENOSYS), "ENOSYS");
	assert_string_equal(lind_errno_name(EINVAL), "EINVAL");
	assert_string_equal(lind_errno_name(ENAMETOOLONG), "ENAMETOOLONG");
	assert_string_equal(lind_errno_name(EAGAIN), "EAGAIN");
	assert_null(lind_errno_name(0));
	assert_null(lind_errno_name(4000));
	assert_null(lind_errno_name(INT32_MIN));
}

static const char *arg(int kind, int64_t v)
{
	static char buf[128];
	lind_format_arg(buf, sizeof buf, kind, v);
	return buf;
}

static void test_args(void **st)
{
	(void)st;
	assert_string_equal(arg(LK_OFLAGS, 0), "O_RDONLY");
	assert_string_equal(arg(LK_OFLAGS, 01 | 0100 | 01000), "O_WRONLY|O_CREAT|O_TRUNC");
	assert_string_equal(arg(LK_OFLAGS, 02 | 02000000), "O_RDWR|O_CLOEXEC");
	assert_string_equal(arg(LK_OFLAGS, 0200000 | 04000), "O_RDONLY|O_NONBLOCK|O_DIRECTORY");
	assert_string_equal(arg(LK_OFLAGS, 04010000), "O_RDONLY|O_SYNC");
	assert_string_equal(arg(LK_OFLAGS, 1ll << 40), "O_RDONLY|0x10000000000");
	assert_string_equal(arg(LK_MODE, 0644), "0644");
	assert_string_equal(arg(LK_MODE, 0), "000");
	assert_string_equal(arg(LK_MODE, 01777), "01777");
	assert_string_equal(arg(LK_ATFD, -100), "AT_FDCWD");
	assert_string_equal(arg(LK_ATFD, 5), "5");
	assert_string_equal(arg(LK_ATFD, 4294967196ll), "AT_FDCWD");
	assert_string_equal(arg(LK_FD, 0xffffffffll), "-1");
	assert_string_equal(arg(LK_WHENCE, 0), "SEEK_SET");
	assert_string_equal(arg(LK_WHENCE, 2), "SEEK_END");
	assert_string_equal(arg(LK_WHENCE, 9), "9");
	assert_string_equal(arg(LK_ATFLAGS, 0), "0");
	assert_string_equal(arg(LK_ATFLAGS, 0x1000 | 0x100), "AT_SYMLINK_NOFOLLOW|AT_EMPTY_PATH");
	assert_string_equal(arg(LK_ATFLAGS, 0x200), "AT_REMOVEDIR");
	assert_string_equal(arg(LK_ATFLAGS, 0x3), "0x3");
	assert_string_equal(arg(LK_FCNTL, 3), "F_GETFL");
	assert_string_equal(arg(LK_FCNTL, 1030), "F_DUPFD_CLOEXEC");
	assert_string_equal(arg(LK_FCNTL, 77), "77");
	assert_string_equal(arg(LK_IOCTL, 0x5401), "TCGETS");
	assert_string_equal(arg(LK_IOCTL, 0x5413), "TIOCGWINSZ");
	assert_string_equal(arg(LK_IOCTL, 0x1234), "0x1234");
	assert_string_equal(arg(LK_INT, -5), "-5");
	assert_string_equal(arg(LK_FD, 3), "3");
	assert_string_equal(arg(LK_SIZE, INT64_MAX), "9223372036854775807");
	/* tiny buffers are cut, never overrun */
	char small[4];
	lind_format_arg(small, sizeof small, LK_OFLAGS, 01 | 0100);
	assert_string_equal(small, "O_W");
	lind_format_arg(small, 0, LK_OFLAGS, 1); /* cap 0: untouched */
}

/* An event with args and in/out data, formatted. */
static const char *line(uint32_t nr, const int64_t *args, size_t nargs,
			const char *in, size_t inlen, const char *out,
			size_t outlen, int64_t result, uint64_t lat)
{
	static char buf[512];
	Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
	ProtobufCBinaryData d = {inlen, (uint8_t *)in}, o = {outlen, (uint8_t *)out};
	ev.cage_id = 2;
	ev.nr = nr;
	ev.args = (int64_t *)args;
	ev.n_args = nargs;
	if (in) {
		ev.data = &d;
		ev.n_data = 1;
	}
	if (out) {
		ev.out = &o;
		ev.n_out = 1;
	}
	ev.result = result;
	ev.latency_ns = lat;
	size_t n = lind_format_event(buf, sizeof buf, &ev);
	assert_int_equal(n, strlen(buf));
	return buf;
}

/* lind-trace's way (lind_format_event_with): -s, -x, -xx, strace's
 * errno messages, no latency (lind-trace adds -T's itself). */
static const char *with(const struct lind_fmt *f, uint32_t nr,
			const int64_t *args, size_t nargs, const char *in,
			size_t inlen, int64_t result)
{
	static char buf[512];
	Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
	ProtobufCBinaryData d = {inlen, (uint8_t *)in};
	ev.cage_id = 2;
	ev.nr = nr;
	ev.args = (int64_t *)args;
	ev.n_args = nargs;
	ev.data = &d;
	ev.n_data = in ? 1 : 0;
	ev.result = result;
	ev.latency_ns = 5000;
	size_t n = lind_format_event_with(buf, sizeof buf, &ev, f);
	assert_int_equal(n, strlen(buf));
	return buf;
}

static void test_lines_with(void **st)
{
	(void)st;
	const struct lind_fmt strace = {.strsize = 32, .errmsg = 1},
			      s4 = {.strsize = 4, .errmsg = 1},
			      x = {.strsize = 32, .hex = 1, .errmsg = 1},
			      xx = {.strsize = 32, .hex = 2, .errmsg = 1};
	int64_t w[] = {1, 0, 7};
	assert_string_equal(with(&strace, LIND_SYS_write, w, 3, "hi\1\n\xff\"!", 7, 7),
			    "[cage 2] write(1, \"hi\\1\\n\\377\\\"!\", 7) = 7");
	assert_string_equal(with(&s4, LIND_SYS_write, w, 3, "hi\1\n\xff\"!", 7, 7),
			    "[cage 2] write(1, \"hi\\1\\n\"..., 7) = 7");
	assert_string_equal(with(&x, LIND_SYS_write, w, 3, "hi\1\n\xff\"!", 7, 7),
			    "[cage 2] write(1, \"hi\\x01\\n\\xff\\\"!\", 7) = 7");
	int64_t w3[] = {1, 0, 3};
	assert_string_equal(with(&xx, LIND_SYS_write, w3, 3, "hi\n", 3, 3),
			    "[cage 2] write(1, \"\\x68\\x69\\x0a\", 3) = 3");
	int64_t o[] = {0, 0};
	assert_string_equal(with(&strace, LIND_SYS_open, o, 2, "/nope", 5, -ENOENT),
			    "[cage 2] open(\"/nope\", O_RDONLY) = -1 ENOENT (No such file or directory)");
	/* the relay's reason instead of the message */
	Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
	char buf[256];
	ev.cage_id = 2;
	ev.nr = LIND_SYS_getpid;
	ev.result = -EPERM;
	ev.refused = (char *)"policy: proc";
	lind_format_event_with(buf, sizeof buf, &ev, &strace);
	assert_string_equal(buf, "[cage 2] getpid() = -1 EPERM (policy: proc)");
	/* structs by their call: what came back, else what was sent */
	int32_t fds[2] = {3, 4};
	Lind__TraceEvent sv = LIND__TRACE_EVENT__INIT;
	ProtobufCBinaryData out = {sizeof fds, (uint8_t *)fds};
	int64_t pa[] = {8};
	sv.cage_id = 2;
	sv.nr = LIND_SYS_pipe;
	sv.args = pa;
	sv.n_args = 1;
	sv.out = &out;
	sv.n_out = 1;
	lind_format_event_with(buf, sizeof buf, &sv, &strace);
	assert_string_equal(buf, "[cage 2] pipe([3, 4]) = 0");
	int64_t ts[4] = {5, (1 << 30) - 2, 7, 8};
	ProtobufCBinaryData in[2] = {{2, (uint8_t *)"/f"},
				     {sizeof ts, (uint8_t *)ts}};
	int64_t ua[] = {-100, 0, 32, 0};
	sv.nr = LIND_SYS_utimensat;
	sv.args = ua;
	sv.n_args = 4;
	sv.data = in;
	sv.n_data = 2;
	sv.n_out = 0;
	lind_format_event_with(buf, sizeof buf, &sv, &strace);
	assert_string_equal(buf, "[cage 2] utimensat(AT_FDCWD, \"/f\", "
				 "[UTIME_OMIT, {tv_sec=7, tv_nsec=8}], 0) = 0");
	int32_t status = 3 << 8;
	ProtobufCBinaryData st4 = {4, (uint8_t *)&status};
	int64_t wa[] = {5, 4, 0, 0};
	sv.nr = LIND_SYS_wait4;
	sv.args = wa;
	sv.n_data = 0;
	sv.out = &st4;
	sv.n_out = 1;
	sv.result = 5;
	lind_format_event_with(buf, sizeof buf, &sv, &strace);
	assert_string_equal(buf, "[cage 2] wait4(5, [{WIFEXITED(s) && "
				 "WEXITSTATUS(s) == 3}], 0, NULL) = 5");
	/* a signal one cage sent another, as strace shows its delivery */
	int64_t sig = SIGCHLD;
	Lind__TraceEvent n = LIND__TRACE_EVENT__INIT;
	n.cage_id = 3;
	n.note = (char *)"signal";
	n.args = &sig;
	n.n_args = 1;
	lind_format_event_with(buf, sizeof buf, &n, &strace);
	assert_string_equal(buf, "[cage 3] --- SIGCHLD ---");
}

static void test_lines(void **st)
{
	(void)st;
	int64_t a1[] = {-100, 0, 01 | 0100 | 01000, 0644};
	assert_string_equal(line(LIND_SYS_openat, a1, 4, "/tmp/x", 6, NULL, 0, 3, 12345),
			    "[cage 2] openat(AT_FDCWD, \"/tmp/x\", O_WRONLY|O_CREAT|O_TRUNC, 0644) = 3 <12.3 us>");
	int64_t a2[] = {0, 0};
	assert_string_equal(line(LIND_SYS_stat, a2, 2, "/nope", 5, NULL, 0, -ENOENT, 8100),
			    "[cage 2] stat(\"/nope\", ...) = -1 ENOENT <8.1 us>");
	int64_t a3[] = {1, 0, 6};
	assert_string_equal(line(LIND_SYS_write, a3, 3, "hello\n", 6, NULL, 0, 6, 0),
			    "[cage 2] write(1, \"hello\\n\", 6) = 6");
	int64_t a4[] = {1, 2, 0, 0, 0, 0};
	assert_string_equal(line(999, a4, 6, NULL, 0, NULL, 0, -ENOSYS, 0),
			    "[cage 2] syscall_999(0x1, 0x2) = -1 ENOSYS");
	assert_string_equal(line(999, NULL, 0, NULL, 0, NULL, 0, -ENOSYS, 0),
			    "[cage 2] syscall_999() = -1 ENOSYS");
	int64_t a5[] = {0, 0, 100};
	assert_string_equal(line(LIND_SYS_read, a5, 3, NULL, 0, "hi\0\1\x7f" "7", 6, 6, 0),
			    "[cage 2] read(0, \"hi\\0\\1\\1777\", 100) = 6");
	assert_string_equal(line(LIND_SYS_read, a5, 3, NULL, 0, NULL, 0, -EBADF, 0),
			    "[cage 2] read(0, ..., 100) = -1 EBADF");
	int64_t a6[] = {0, 4096};
	assert_string_equal(line(LIND_SYS_getcwd, a6, 2, NULL, 0, "/tmp\0", 5, 5, 0),
			    "[cage 2] getcwd(\"/tmp\", 4096) = 5");
	/* lind_exec: the path execve was given, then the new argv */
	int64_t ax[] = {0, 16, 4};
	assert_string_equal(line(LIND_SYS_lind_exec, ax, 3, "/bin/ls\0ls\0-l\0", 14, NULL, 0, 0, 0),
			    "[cage 2] execve(\"/bin/ls\", [\"ls\", \"-l\"]) = 0");
	assert_string_equal(line(LIND_SYS_lind_exec, ax, 3, "/bin/ls\0", 8, NULL, 0, -ENOEXEC, 0),
			    "[cage 2] execve(\"/bin/ls\", []) = -1 ENOEXEC");
	assert_string_equal(line(LIND_SYS_getpid, NULL, 0, NULL, 0, NULL, 0, 2, 1500),
			    "[cage 2] getpid() = 2 <1.5 us>");
	int64_t a7[] = {3, 4, 04000};
	assert_string_equal(line(LIND_SYS_fcntl, a7, 3, NULL, 0, NULL, 0, 0, 0),
			    "[cage 2] fcntl(3, F_SETFL, O_RDONLY|O_NONBLOCK) = 0");
	int64_t a8[] = {0, 4 | 2};
	assert_string_equal(line(LIND_SYS_access, a8, 2, "/x", 2, NULL, 0, 0, 0),
			    "[cage 2] access(\"/x\", R_OK|W_OK) = 0");
	int64_t a9[] = {3, 0, 1};
	assert_string_equal(line(LIND_SYS_lseek, a9, 3, NULL, 0, NULL, 0, -4096, 0),
			    "[cage 2] lseek(3, 0, SEEK_CUR) = -4096");
	assert_string_equal(line(LIND_SYS_close, a9, 1, NULL, 0, NULL, 0, -4000, 0),
			    "[cage 2] close(3) = -1 errno 4000");
	/* sockets: an address that came back; a msghdr with a bad name */
	int64_t s1[] = {3, 16, 4};
	assert_string_equal(line(LIND_SYS_getsockname, s1, 3, "\4\0\0\0", 4, "\1\0ab", 4, 0, 0),
			    "[cage 2] getsockname(3, {sa_family=AF_UNIX, sun_path=\"ab\"}, {...}) = 0");
	int64_t s2[] = {3, lind_msg_slot(2, 0, 5, 0), 0};
	assert_string_equal(line(LIND_SYS_sendmsg, s2, 3, "nmhello", 7, NULL, 0, 5, 0),
			    "[cage 2] sendmsg(3, {msg_name={sa_family=28014, ...}, "
			    "msg_namelen=2, msg_iov=[{iov_base=\"hello\", iov_len=5}], "
			    "msg_controllen=0, msg_flags=0}, 0) = 5");
}

/* Socket addresses and pollfd arrays, as strace shows them. */
static void test_sockaddrs(void **st)
{
	(void)st;
	struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(80)};
	inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
	int64_t c[] = {3, 16, 16};
	assert_string_equal(line(LIND_SYS_connect, c, 3, (const char *)&in4,
				 sizeof in4, NULL, 0, 0, 0),
			    "[cage 2] connect(3, {sa_family=AF_INET, sin_port=htons(80), "
			    "sin_addr=inet_addr(\"127.0.0.1\")}, 16) = 0");
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
				   .sin6_port = htons(8080),
				   .sin6_addr = IN6ADDR_LOOPBACK_INIT};
	int64_t b[] = {4, 28, 28};
	assert_string_equal(line(LIND_SYS_bind, b, 3, (const char *)&in6,
				 sizeof in6, NULL, 0, 0, 0),
			    "[cage 2] bind(4, {sa_family=AF_INET6, sin6_port=htons(8080), "
			    "sin6_flowinfo=htonl(0), inet_pton(AF_INET6, \"::1\", "
			    "&sin6_addr)}, 28) = 0");
	struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/tmp/s"};
	int64_t acc[] = {3, 110, 4, 0};
	assert_string_equal(line(LIND_SYS_accept4, acc, 4, NULL, 0,
				 (const char *)&un, 8, 5, 0),
			    "[cage 2] accept4(3, {sa_family=AF_UNIX, sun_path=\"/tmp/s\"}, "
			    "..., 0) = 5");
	struct sockaddr_un ab = {.sun_family = AF_UNIX, .sun_path = "\0name"};
	assert_string_equal(line(LIND_SYS_bind, c, 3, (const char *)&ab, 7, NULL,
				 0, 0, 0),
			    "[cage 2] bind(3, {sa_family=AF_UNIX, sun_path=@\"name\"}, 16) = 0");
	/* a truncated or unknown one never reads past what came */
	assert_string_equal(line(LIND_SYS_connect, c, 3, "\x02", 1, NULL, 0,
				 -EINVAL, 0),
			    "[cage 2] connect(3, {...}, 16) = -1 EINVAL");
	assert_string_equal(line(LIND_SYS_connect, c, 3, "\x2a\0xyz", 5, NULL,
				 0, -EAFNOSUPPORT, 0),
			    "[cage 2] connect(3, {sa_family=42, ...}, 16) = -1 EAFNOSUPPORT");
	struct pollfd p[2] = {{.fd = 0, .events = POLLIN},
			      {.fd = 5, .events = POLLIN | POLLOUT}};
	int64_t pa[] = {16, 2, -1};
	assert_string_equal(line(LIND_SYS_poll, pa, 3, (const char *)p, sizeof p,
				 (const char *)p, sizeof p, 1, 0),
			    "[cage 2] poll([{fd=0, events=POLLIN}, {fd=5, events=POLLIN|"
			    "POLLOUT}], 2, -1) = 1");
	int64_t pb[] = {8, 3, -1}; /* three asked, one carried */
	assert_string_equal(line(LIND_SYS_poll, pb, 3, (const char *)p, 8,
				 (const char *)p, 8, 0, 0),
			    "[cage 2] poll([{fd=0, events=POLLIN}, ...], 3, -1) = 0");
}

/* sendmsg/recvmsg's msghdr: name, gathered data, control messages */
static void test_msghdr(void **st)
{
	(void)st;
	char in[64] = {0}, out[128] = {0};
	struct sockaddr_in in4 = {.sin_family = AF_INET, .sin_port = htons(80)};
	inet_pton(AF_INET, "127.0.0.1", &in4.sin_addr);
	struct {
		struct cmsghdr h;
		int fd;
	} rights = {{CMSG_LEN(sizeof(int)), SOL_SOCKET, SCM_RIGHTS}, 5};
	memcpy(in, &in4, 16);
	memcpy(in + 16, &rights, CMSG_SPACE(sizeof(int)));
	memcpy(in + 16 + CMSG_SPACE(sizeof(int)), "hi", 2);
	int64_t s[] = {3, lind_msg_slot(16, CMSG_SPACE(sizeof(int)), 2, 0),
		       MSG_NOSIGNAL};
	assert_string_equal(
		line(LIND_SYS_sendmsg, s, 3, in, 16 + CMSG_SPACE(sizeof(int)) + 2,
		     NULL, 0, 2, 0),
		"[cage 2] sendmsg(3, {msg_name={sa_family=AF_INET, sin_port=htons(80), "
		"sin_addr=inet_addr(\"127.0.0.1\")}, msg_namelen=16, msg_iov=[{"
		"iov_base=\"hi\", iov_len=2}], msg_control=[{cmsg_len=20, "
		"cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS, cmsg_data=[5]}], "
		"msg_controllen=24, msg_flags=0}, MSG_NOSIGNAL) = 2");
	struct {
		struct cmsghdr h;
		struct ucred c;
	} cred = {{CMSG_LEN(sizeof(struct ucred)), SOL_SOCKET, SCM_CREDENTIALS},
		  {7, 1000, 100}};
	struct lind_msg_head h = {0, CMSG_SPACE(sizeof(struct ucred)), 5,
				  MSG_CTRUNC};
	memcpy(out, &h, sizeof h);
	memcpy(out + sizeof h, &cred, sizeof cred);
	memcpy(out + sizeof h + h.ctllen, "hello", 5);
	int64_t r[] = {4, lind_msg_slot(0, 64, 100, 0), MSG_DONTWAIT};
	const char *want =
		"[cage 2] recvmsg(4, {msg_name=NULL, msg_namelen=0, msg_iov=[{"
		"iov_base=\"hello\", iov_len=100}], msg_control=[{cmsg_len=28, "
		"cmsg_level=SOL_SOCKET, cmsg_type=SCM_CREDENTIALS, cmsg_data={"
		"pid=7, uid=1000, gid=100}}], msg_controllen=32, "
		"msg_flags=MSG_CTRUNC}, MSG_DONTWAIT) = 5";
	assert_string_equal(line(LIND_SYS_recvmsg, r, 3, NULL, 0, out,
				 sizeof h + h.ctllen + 5, 5, 0),
			    want);
	/* cut by the relay inside the control message: bounded, marked */
	assert_string_equal(line(LIND_SYS_recvmsg, r, 3, NULL, 0, out,
				 sizeof h + 20, 5, 0),
			    "[cage 2] recvmsg(4, {msg_name=NULL, msg_namelen=0, "
			    "msg_iov=[{iov_base=\"\"..., iov_len=100}], msg_control=[{"
			    "cmsg_len=28, cmsg_level=SOL_SOCKET, cmsg_type="
			    "SCM_CREDENTIALS, cmsg_data=\"\\7\\0\\0\\0\"...}], "
			    "msg_controllen=32, msg_flags=MSG_CTRUNC}, MSG_DONTWAIT) = 5");
	/* a hostile cmsg_len never reads past the control bytes */
	rights.h.cmsg_len = 4000;
	memcpy(in + 16, &rights, sizeof rights);
	assert_string_equal(
		line(LIND_SYS_sendmsg, s, 3, in, 16 + CMSG_SPACE(sizeof(int)) + 2,
		     NULL, 0, -EINVAL, 0),
		"[cage 2] sendmsg(3, {msg_name={sa_family=AF_INET, sin_port=htons(80), "
		"sin_addr=inet_addr(\"127.0.0.1\")}, msg_namelen=16, msg_iov=[{"
		"iov_base=\"hi\", iov_len=2}], msg_control=[{cmsg_len=4000, "
		"cmsg_level=SOL_SOCKET, cmsg_type=SCM_RIGHTS}], "
		"msg_controllen=24, msg_flags=0}, MSG_NOSIGNAL) = -1 EINVAL");
	int64_t f[] = {4, lind_msg_slot(0, 0, 100, 0), 0};
	assert_string_equal(line(LIND_SYS_recvmsg, f, 3, NULL, 0, NULL, 0,
				 -EAGAIN, 0),
			    "[cage 2] recvmsg(4, {...}, 0) = -1 EAGAIN");
}

/* signals by name; lind_sigaction's action as a struct */
static void test_signals_args(void **st)
{
	(void)st;
	int64_t k[] = {12, SIGTERM};
	assert_string_equal(line(LIND_SYS_kill, k, 2, NULL, 0, NULL, 0, 0, 0),
			    "[cage 2] kill(12, SIGTERM) = 0");
	int64_t a[] = {SIGCHLD, 1, SA_NOCLDWAIT | SA_RESTART};
	assert_string_equal(line(LIND_SYS_lind_sigaction, a, 3, NULL, 0, NULL, 0,
				 0, 0),
			    "[cage 2] lind_sigaction(SIGCHLD, {sa_handler=SIG_IGN, "
			    "sa_flags=SA_NOCLDWAIT|SA_RESTART}) = 0");
	int64_t b[] = {99, 2, 0};
	assert_string_equal(line(LIND_SYS_lind_sigaction, b, 3, NULL, 0, NULL, 0,
				 -EINVAL, 0),
			    "[cage 2] lind_sigaction(99, {sa_handler=HANDLER, "
			    "sa_flags=0}) = -1 EINVAL");
}

static void test_long_and_hostile(void **st)
{
	(void)st;
	char big[LIND_TRACE_DATA];
	memset(big, 'a', sizeof big);
	int64_t a[] = {1, 0, 100000};
	/* a long write: 32 bytes shown, then ... */
	assert_string_equal(line(LIND_SYS_write, a, 3, big, sizeof big, NULL, 0, 100000, 0),
			    "[cage 2] write(1, \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"..., 100000) = 100000");
	/* a path cut by the relay */
	int64_t p[] = {0};
	const char *l = line(LIND_SYS_unlink, p, 1, big, sizeof big, NULL, 0, 0, 0);
	assert_non_null(strstr(l, "aaaa\"..."));
	/* quotes and backslashes escaped */
	assert_string_equal(line(LIND_SYS_unlink, p, 1, "a\"b\\c", 5, NULL, 0, 0, 0),
			    "[cage 2] unlink(\"a\\\"b\\\\c\") = 0");
	/* missing data and args: no crash, placeholders */
	assert_string_equal(line(LIND_SYS_openat, NULL, 0, NULL, 0, NULL, 0, -EINVAL, 0),
			    "[cage 2] openat(0, NULL, O_RDONLY) = -1 EINVAL");
	int64_t o[] = {0, 02, 0};
	assert_string_equal(line(LIND_SYS_open, o, 3, "/f", 2, NULL, 0, 3, 0),
			    "[cage 2] open(\"/f\", O_RDWR) = 3");
	assert_string_equal(line(LIND_SYS_write, a, 3, NULL, 0, NULL, 0, -EINVAL, 0),
			    "[cage 2] write(1, ..., 100000) = -1 EINVAL");
	/* a stat buffer shows the mode */
	uint8_t stbuf[LIND_TRACE_DATA] = {0};
	uint32_t mode = 0100644;
	memcpy(stbuf + 24, &mode, 4);
	int64_t s[] = {3, 0};
	assert_string_equal(line(LIND_SYS_fstat, s, 2, NULL, 0, (char *)stbuf, sizeof stbuf, 0, 0),
			    "[cage 2] fstat(3, {st_mode=S_IFREG|0644, ...}) = 0");
	/* a short (cut) stat and hostile dirents */
	assert_string_equal(line(LIND_SYS_fstat, s, 2, NULL, 0, "x", 1, 0, 0),
			    "[cage 2] fstat(3, {...}) = 0");
	uint8_t de[LIND_TRACE_DATA];
	memset(de, 0xff, sizeof de);
	int64_t g[] = {3, 0, 4096};
	l = line(LIND_SYS_getdents64, g, 3, NULL, 0, (char *)de, sizeof de, 48, 0);
	assert_non_null(strstr(l, "getdents64(3, [...], 4096) = 48"));
	/* two real entries */
	memset(de, 0, sizeof de);
	uint16_t rl = 24;
	memcpy(de + 16, &rl, 2);
	de[19] = '.';
	memcpy(de + 24 + 16, &rl, 2);
	de[24 + 19] = '.';
	de[24 + 20] = '.';
	l = line(LIND_SYS_getdents64, g, 3, NULL, 0, (char *)de, sizeof de, 72, 0);
	assert_string_equal(l, "[cage 2] getdents64(3, [{d_name=\".\"}, {d_name=\"..\"}, ...], 4096) = 72");
}

static void test_notes(void **st)
{
	(void)st;
	char buf[128];
	Lind__TraceEvent ev = LIND__TRACE_EVENT__INIT;
	ProtobufCBinaryData argv[2] = {{4, (uint8_t *)"prog"}, {4, (uint8_t *)"args"}};
	ev.cage_id = 2;
	ev.note = "attach";
	ev.data = argv;
	ev.n_data = 2;
	lind_format_event(buf, sizeof buf, &ev);
	assert_string_equal(buf, "[cage 2] +++ attached: prog args +++");
	ev.note = "detach";
	ev.n_data = 0;
	lind_format_event(buf, sizeof buf, &ev);
	assert_string_equal(buf, "[cage 2] +++ detached +++");
	int64_t parent = 3;
	ev.note = "forked";
	ev.args = &parent;
	ev.n_args = 1;
	lind_format_event(buf, sizeof buf, &ev);
	assert_string_equal(buf, "[cage 2] +++ forked by cage 3 +++");
	int64_t ws[] = {3 << 8, 9, 11 | 0x80, 100};
	const char *want[] = {"exited with 3", "killed by SIGKILL",
			      "killed by SIGSEGV (core dumped)",
			      "killed by signal 100"};
	ev.note = "exited";
	for (int i = 0; i < 4; i++) {
		char w[64];
		snprintf(w, sizeof w, "[cage 2] +++ %s +++", want[i]);
		ev.args = &ws[i];
		lind_format_event(buf, sizeof buf, &ev);
		assert_string_equal(buf, w);
	}
	ev.note = "detach";
	ev.n_args = 0;
	/* a small buffer truncates, NUL-terminated */
	size_t n = lind_format_event(buf, 10, &ev);
	assert_int_equal(n, 9);
	assert_string_equal(buf, "[cage 2] ");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_errno_names),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_lines_with),
		cmocka_unit_test(test_sockaddrs),
		cmocka_unit_test(test_msghdr),
		cmocka_unit_test(test_signals_args),
		cmocka_unit_test(test_long_and_hostile),
		cmocka_unit_test(test_notes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
