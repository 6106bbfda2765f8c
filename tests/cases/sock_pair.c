/* socketpair(AF_UNIX) of each type: data both ways, message boundaries
 * (datagrams cut with MSG_TRUNC, a stream's bytes merged), MSG_PEEK,
 * MSG_DONTWAIT, FIONREAD, FIONBIO and O_NONBLOCK, shutdown both ways,
 * the peer closing (EOF, EPIPE with MSG_NOSIGNAL, SIGPIPE without),
 * recvmsg/sendmsg with iovecs and a name, sendmmsg/recvmmsg, the generic
 * options (SO_TYPE, SO_DOMAIN, SO_RCVTIMEO as EAGAIN), fstat, and the
 * family and type errors. */
#include "case.h"
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

static int inq(int fd)
{
	int n = -1;
	SHOW(ioctl(fd, FIONREAD, &n));
	return n;
}

static void stream(void)
{
	int sv[2];
	char buf[64] = {0};
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	struct stat st;
	SHOW(fstat(sv[0], &st));
	printf("sock %d\n", S_ISSOCK(st.st_mode));
	SHOW(write(sv[0], "hello ", 6));
	SHOW(send(sv[0], "world", 5, 0));
	printf("inq %d\n", inq(sv[1]));
	SHOW(recv(sv[1], buf, 3, MSG_PEEK));
	SHOW(read(sv[1], buf, sizeof buf - 1));
	printf("got [%s]\n", buf);
	SHOW(recv(sv[1], buf, 1, MSG_DONTWAIT));
	SHOW(write(sv[1], "back", 4));
	memset(buf, 0, sizeof buf);
	SHOW(read(sv[0], buf, sizeof buf));
	printf("got [%s]\n", buf);
	int on = 1;
	SHOW(ioctl(sv[0], FIONBIO, &on));
	SHOW(fcntl(sv[0], F_GETFL) & O_NONBLOCK);
	SHOW(read(sv[0], buf, 1));
	on = 0;
	SHOW(ioctl(sv[0], FIONBIO, &on));
	SHOW(fcntl(sv[0], F_SETFL, O_NONBLOCK));
	SHOW(read(sv[0], buf, 1));
	/* shutdown: the peer reads what is there, then EOF */
	SHOW(write(sv[1], "last", 4));
	SHOW(shutdown(sv[1], SHUT_WR));
	SHOW(write(sv[1], "x", 1) < 0 && errno == EPIPE);
	SHOW(read(sv[0], buf, sizeof buf));
	SHOW(read(sv[0], buf, sizeof buf));
	SHOW(shutdown(sv[0], 7));
	SHOW(shutdown(sv[0], SHUT_RD));
	SHOW(send(sv[1], "y", 1, MSG_NOSIGNAL));
	SHOW(close(sv[1]));
	SHOW(send(sv[0], "z", 1, MSG_NOSIGNAL));
	SHOW(read(sv[0], buf, sizeof buf));
	SHOW(close(sv[0]));
}

static void stream_reset(void)
{
	int sv[2];
	char buf[8];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	SHOW(write(sv[0], "unread", 6));
	SHOW(close(sv[1])); /* left data unread: the peer is reset */
	SHOW(read(sv[0], buf, sizeof buf));
	SHOW(read(sv[0], buf, sizeof buf));
	SHOW(close(sv[0]));
}

static void dgram(int type)
{
	int sv[2];
	char buf[64] = {0};
	printf("-- type %d\n", type);
	REQUIRE(socketpair(AF_UNIX, type, 0, sv) == 0);
	SHOW(send(sv[0], "one", 3, 0));
	SHOW(send(sv[0], "second", 6, 0));
	SHOW(send(sv[0], "", 0, 0));
	printf("inq %d\n", inq(sv[1]));
	SHOW(recv(sv[1], buf, 2, MSG_PEEK | MSG_TRUNC));
	SHOW(recv(sv[1], buf, sizeof buf, 0));
	struct iovec iov[2] = {{buf, 2}, {buf + 10, 2}};
	struct msghdr mh = {.msg_iov = iov, .msg_iovlen = 2};
	SHOW(recvmsg(sv[1], &mh, 0));
	printf("flags trunc %d [%.2s][%.2s]\n", !!(mh.msg_flags & MSG_TRUNC),
	       buf, buf + 10);
	SHOW(recv(sv[1], buf, sizeof buf, 0));
	SHOW(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
	/* gathered out of two iovecs, one message */
	struct iovec out[2] = {{"ab", 2}, {"cd", 2}};
	struct msghdr om = {.msg_iov = out, .msg_iovlen = 2};
	SHOW(sendmsg(sv[1], &om, 0));
	memset(buf, 0, sizeof buf);
	SHOW(read(sv[0], buf, sizeof buf));
	printf("got [%s]\n", buf);
	/* several at once */
	struct mmsghdr mm[3];
	struct iovec mv[3] = {{"m1", 2}, {"m22", 3}, {"m333", 4}};
	for (int i = 0; i < 3; i++)
		mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &mv[i],
						     .msg_iovlen = 1}};
	SHOW(sendmmsg(sv[0], mm, 3, 0));
	printf("lens %u %u %u\n", mm[0].msg_len, mm[1].msg_len, mm[2].msg_len);
	char rb[3][8];
	struct iovec rv[3] = {{rb[0], 8}, {rb[1], 8}, {rb[2], 8}};
	for (int i = 0; i < 3; i++)
		mm[i] = (struct mmsghdr){.msg_hdr = {.msg_iov = &rv[i],
						     .msg_iovlen = 1}};
	SHOW(recvmmsg(sv[1], mm, 3, MSG_WAITFORONE, NULL));
	printf("lens %u %u %u [%.4s]\n", mm[0].msg_len, mm[1].msg_len,
	       mm[2].msg_len, rb[2]);
	SHOW(close(sv[0])); /* a datagram peer never ends: EAGAIN */
	SHOW(recv(sv[1], buf, sizeof buf, MSG_DONTWAIT));
	SHOW(send(sv[1], "x", 1, MSG_NOSIGNAL));
	SHOW(close(sv[1]));
}

static void options(void)
{
	int sv[2], v = 0;
	socklen_t len = sizeof v;
	REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, sv) == 0);
	SHOW(fcntl(sv[0], F_GETFD));
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len));
	printf("type %d len %u\n", v, len);
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_DOMAIN, &v, &len));
	printf("domain %d\n", v);
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_ERROR, &v, &len));
	printf("error %d\n", v);
	len = 2;
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, &len));
	printf("len %u\n", len);
	v = 1;
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, 2));
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, sizeof v));
	len = sizeof v;
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_REUSEADDR, &v, &len));
	printf("reuse %d\n", v);
	v = 8192;
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, sizeof v));
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &v, &len));
	printf("rcvbuf %d\n", v);
	SHOW(getsockopt(sv[0], SOL_SOCKET, 9999, &v, &len));
	SHOW(getsockopt(sv[0], 6 /* SOL_TCP */, 1, &v, &len));
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_TYPE, &v, NULL));
	struct timeval tv = {0, 50000};
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	tv.tv_usec = 2000000;
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv));
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, 4));
	len = sizeof tv;
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
	/* Linux rounds it to its clock's ticks */
	printf("timeo %d\n", tv.tv_sec == 0 && tv.tv_usec >= 50000 &&
				      tv.tv_usec < 60000);
	char c;
	SHOW(recv(sv[0], &c, 1, 0)); /* times out: EAGAIN */
	SHOW(close(sv[0]));
	SHOW(close(sv[1]));
}

static void errors(void)
{
	int sv[2];
	char c;
	SHOW(socketpair(12345, SOCK_STREAM, 0, sv));
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 5, sv));
	SHOW(socketpair(AF_UNIX, SOCK_RDM, 0, sv));
	SHOW(socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, sv));
	SHOW(socket(12345, SOCK_STREAM, 0));
	SHOW(socket(AF_UNIX, 0, 0));
	SHOW(socket(AF_UNIX, 11, 0));
	SHOW(send(0 + 100, "x", 1, 0));
	int fd = open("/dev/null", O_RDONLY);
	SHOW(send(fd, "x", 1, 0));
	SHOW(recv(fd, &c, 1, 0));
	SHOW(listen(fd, 1));
	SHOW(shutdown(fd, SHUT_RD));
	int v;
	socklen_t len = sizeof v;
	SHOW(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	close(fd);
	int s = socket(AF_UNIX, SOCK_RAW, 0);
	len = sizeof v;
	SHOW(getsockopt(s, SOL_SOCKET, SO_TYPE, &v, &len));
	printf("raw is type %d\n", v);
	close(s);
}

/* More than the socket holds: the writer waits for the reader (another
 * process), a piece at a time; MSG_WAITALL fills the whole buffer. */
static void big_stream(void)
{
	int sv[2];
	static char buf[1000000];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	for (size_t i = 0; i < sizeof buf; i++)
		buf[i] = (char)(i * 31 + 7);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		close(sv[0]);
		static char in[sizeof buf];
		size_t got = 0;
		ssize_t n;
		while ((n = read(sv[1], in + got, sizeof in - got)) > 0)
			got += (size_t)n;
		char answer[64];
		int len = snprintf(answer, sizeof answer, "%zu %d", got,
				   !memcmp(in, buf, sizeof buf));
		write(sv[1], answer, (size_t)len);
		_exit(0);
	}
	close(sv[1]);
	SHOW(write(sv[0], buf, sizeof buf));
	SHOW(shutdown(sv[0], SHUT_WR));
	char answer[64] = {0};
	SHOW(recv(sv[0], answer, sizeof answer - 1, MSG_WAITALL));
	printf("child read [%s]\n", answer);
	int st;
	SHOW(waitpid(p, &st, 0) == p);
	close(sv[0]);
}

static void sigpipe(void)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	close(sv[1]);
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		signal(SIGPIPE, SIG_DFL);
		send(sv[0], "x", 1, 0);
		_exit(0);
	}
	int st;
	SHOW(waitpid(p, &st, 0) == p);
	printf("killed by %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
	SHOW(write(sv[0], "x", 1));
	close(sv[0]);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN); /* EPIPE, until sigpipe() */
	stream();
	stream_reset();
	dgram(SOCK_DGRAM);
	dgram(SOCK_SEQPACKET);
	options();
	big_stream();
	errors();
	sigpipe();
	return 0;
}
