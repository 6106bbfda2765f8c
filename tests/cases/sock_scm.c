/* Control messages on AF_UNIX: SCM_RIGHTS passing open file descriptions
 * (shared offset, MSG_CTRUNC when the room is short, MSG_CMSG_CLOEXEC, a
 * socket passed and used, descriptions in flight dropped when never
 * received: a pipe's writer passed and lost gives its reader EOF, across
 * fork both ways), SCM_CREDENTIALS with SO_PASSCRED (the sender's pid
 * and ids, ones it passes itself), SO_PEERCRED of a pair and of an
 * accepted connection from a child, and bad control messages. */
#include "case.h"
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

/* Sends one byte with n fds (and creds when given). */
static long send_fds(int s, const int *fds, int n, const struct ucred *cr)
{
	char c = 'm';
	struct iovec iov = {&c, 1};
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8) + CMSG_SPACE(sizeof *cr)];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf};
	size_t len = 0;
	struct cmsghdr *h = (struct cmsghdr *)u.buf;
	if (n) {
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_RIGHTS;
		h->cmsg_len = CMSG_LEN(sizeof(int) * n);
		memcpy(CMSG_DATA(h), fds, sizeof(int) * n);
		len += CMSG_SPACE(sizeof(int) * n);
		h = (struct cmsghdr *)(u.buf + len);
	}
	if (cr) {
		h->cmsg_level = SOL_SOCKET;
		h->cmsg_type = SCM_CREDENTIALS;
		h->cmsg_len = CMSG_LEN(sizeof *cr);
		memcpy(CMSG_DATA(h), cr, sizeof *cr);
		len += CMSG_SPACE(sizeof *cr);
	}
	mh.msg_controllen = len;
	return sendmsg(s, &mh, 0);
}

/* Receives one message with room for room bytes of control; fds get
 * the descriptions, *cr the credentials.  Prints what came. */
static int recv_fds(int s, size_t room, int flags, int *fds,
		    struct ucred *cr)
{
	char c = 0;
	struct iovec iov = {&c, 1};
	union {
		char buf[512];
		struct cmsghdr align;
	} u;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = room ? u.buf : NULL,
			    .msg_controllen = room};
	long r = recvmsg(s, &mh, flags);
	if (r < 0) {
		printf("recvmsg: -1 %s\n", case_errname(errno));
		return -1;
	}
	int n = 0;
	for (struct cmsghdr *h = CMSG_FIRSTHDR(&mh); h; h = CMSG_NXTHDR(&mh, h)) {
		if (h->cmsg_type == SCM_RIGHTS) {
			int k = (int)((h->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			memcpy(fds + n, CMSG_DATA(h), sizeof(int) * k);
			n += k;
		} else if (h->cmsg_type == SCM_CREDENTIALS && cr) {
			memcpy(cr, CMSG_DATA(h), sizeof *cr);
		}
	}
	printf("recvmsg %ld [%c] ctrunc %d fds %d controllen %zu\n", r, c,
	       !!(mh.msg_flags & MSG_CTRUNC), n, (size_t)mh.msg_controllen);
	return n;
}

static void rights(void)
{
	int sv[2], fds[8];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0);
	put_file("f", "0123456789");
	int f = open("f", O_RDONLY);
	SHOW(send_fds(sv[0], &f, 1, NULL));
	int n = recv_fds(sv[1], 64, 0, fds, NULL);
	REQUIRE(n == 1);
	char buf[8] = {0};
	SHOW(read(fds[0], buf, 3));
	SHOW(lseek(f, 0, SEEK_CUR)); /* one description: one offset */
	SHOW(fcntl(fds[0], F_GETFD));
	close(fds[0]);
	/* two fds, room for one */
	int two[2] = {f, f};
	SHOW(send_fds(sv[0], two, 2, NULL));
	n = recv_fds(sv[1], CMSG_LEN(sizeof(int)) + 2, 0, fds, NULL);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	/* no room at all: lost */
	SHOW(send_fds(sv[0], &f, 1, NULL));
	SHOW(recv(sv[1], buf, 1, 0));
	SHOW(send_fds(sv[0], &f, 1, NULL));
	n = recv_fds(sv[1], 64, MSG_CMSG_CLOEXEC, fds, NULL);
	SHOW(fcntl(fds[0], F_GETFD));
	close(fds[0]);
	/* a socket passed, then used */
	int other[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, other) == 0);
	SHOW(send_fds(sv[0], &other[1], 1, NULL));
	close(other[1]);
	n = recv_fds(sv[1], 64, 0, fds, NULL);
	SHOW(send(fds[0], "via", 3, 0));
	memset(buf, 0, sizeof buf);
	SHOW(recv(other[0], buf, sizeof buf, 0));
	printf("got [%s]\n", buf);
	close(fds[0]);
	close(other[0]);
	close(f);
	/* a pipe's only writer in flight, never received: its reader ends */
	int p[2];
	REQUIRE(pipe(p) == 0);
	SHOW(send_fds(sv[0], &p[1], 1, NULL));
	close(p[1]);
	SHOW(close(sv[0]));
	SHOW(close(sv[1]));
	SHOW(read(p[0], buf, 1));
	close(p[0]);
}

static void bad_control(void)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	int bad = 999;
	SHOW(send_fds(sv[0], &bad, 1, NULL));
	char c = 'x';
	struct iovec iov = {&c, 1};
	union {
		char buf[64];
		struct cmsghdr align;
	} u;
	memset(&u, 0, sizeof u);
	struct cmsghdr *h = (struct cmsghdr *)u.buf;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = u.buf, .msg_controllen = 32};
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = 40; /* past the control */
	SHOW(sendmsg(sv[0], &mh, 0));
	h->cmsg_len = CMSG_LEN(4);
	h->cmsg_type = 77;
	SHOW(sendmsg(sv[0], &mh, 0));
	h->cmsg_level = 99; /* another level: skipped */
	SHOW(sendmsg(sv[0], &mh, 0));
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_CREDENTIALS;
	SHOW(sendmsg(sv[0], &mh, 0)); /* not a struct ucred */
	SHOW(recv(sv[1], &c, 1, MSG_DONTWAIT));
	SHOW(recv(sv[1], &c, 1, MSG_DONTWAIT));
	close(sv[0]);
	close(sv[1]);
}

static void creds(void)
{
	int sv[2], fds[8];
	REQUIRE(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == 0);
	struct ucred pc;
	socklen_t len = sizeof pc;
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &pc, &len));
	printf("peercred len %u pid is mine %d uid %d gid %d\n", len,
	       pc.pid == getpid(), pc.uid == geteuid(), pc.gid == getegid());
	SHOW(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)));
	struct ucred cr = {0};
	SHOW(send_fds(sv[0], NULL, 0, NULL));
	recv_fds(sv[1], 64, 0, fds, &cr);
	printf("creds pid is mine %d uid %d gid %d\n", cr.pid == getpid(),
	       cr.uid == getuid(), cr.gid == getgid());
	struct ucred mine = {getpid(), getuid(), getgid()};
	SHOW(send_fds(sv[0], NULL, 0, &mine));
	memset(&cr, 0, sizeof cr);
	recv_fds(sv[1], 64, 0, fds, &cr);
	printf("creds pid is mine %d uid %d gid %d\n", cr.pid == getpid(),
	       cr.uid == getuid(), cr.gid == getgid());
	/* no room for them: MSG_CTRUNC */
	SHOW(send(sv[0], "x", 1, 0));
	recv_fds(sv[1], 0, 0, fds, NULL);
	int f = open("/dev/null", O_RDONLY);
	SHOW(send_fds(sv[0], &f, 1, NULL));
	recv_fds(sv[1], 128, 0, fds, &cr);
	close(fds[0]);
	close(f);
	close(sv[0]);
	close(sv[1]);
}

/* A child passes the parent a file it opened; the parent passes the
 * child one back; the accepted end knows the child as its peer. */
static void across_fork(void)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strcpy(a.sun_path, "scm");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	REQUIRE(bind(l, (struct sockaddr *)&a, sizeof a) == 0);
	REQUIRE(listen(l, 1) == 0);
	put_file("from-child", "child's file");
	put_file("from-parent", "parent's file");
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) {
		int s = socket(AF_UNIX, SOCK_STREAM, 0);
		if (connect(s, (struct sockaddr *)&a, sizeof a) < 0)
			_exit(1);
		int f = open("from-child", O_RDONLY);
		if (send_fds(s, &f, 1, NULL) != 1)
			_exit(2);
		close(f);
		char c;
		char buf[CMSG_SPACE(sizeof(int))];
		struct iovec iov = {&c, 1};
		struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
				    .msg_control = buf,
				    .msg_controllen = sizeof buf};
		if (recvmsg(s, &mh, 0) != 1 || !CMSG_FIRSTHDR(&mh))
			_exit(3);
		int g;
		memcpy(&g, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof g);
		char text[32] = {0};
		ssize_t n = read(g, text, sizeof text);
		_exit(n == 13 && !strcmp(text, "parent's file") ? 0 : 4);
	}
	int s = accept(l, NULL, NULL);
	struct ucred pc;
	socklen_t len = sizeof pc;
	SHOW(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &pc, &len));
	printf("peer is the child %d\n", pc.pid == p);
	int fds[8];
	REQUIRE(recv_fds(s, 64, 0, fds, NULL) == 1);
	char text[32] = {0};
	SHOW(read(fds[0], text, sizeof text));
	printf("got [%s]\n", text);
	int g = open("from-parent", O_RDONLY);
	SHOW(send_fds(s, &g, 1, NULL));
	int st;
	SHOW(waitpid(p, &st, 0) == p);
	printf("child exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	close(g);
	close(fds[0]);
	close(s);
	close(l);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	enter_scratch();
	rights();
	bad_control();
	creds();
	across_fork();
	return 0;
}
