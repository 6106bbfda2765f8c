/* Unix sockets left only in flight, 1,000 times each: a socket passed
 * into its own queue and closed, two sockets each in the other's queue,
 * a datagram socket that sent itself to its own name.  No cage can reach
 * them; the server collects them as Linux's unix_gc does (ASan's leak
 * check at the server's exit and test_server_sock count them).  Each
 * round gets the same fd numbers back. */
#include "case.h"
#include <sys/socket.h>
#include <sys/un.h>

static int send_fd(int s, int fd, const struct sockaddr_un *to, socklen_t tl)
{
	char c = 'x';
	union {
		char buf[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} u;
	struct iovec v = {&c, 1};
	struct msghdr m = {.msg_name = (void *)to, .msg_namelen = tl,
			   .msg_iov = &v, .msg_iovlen = 1,
			   .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof fd);
	memcpy(CMSG_DATA(h), &fd, sizeof fd);
	return (int)sendmsg(s, &m, 0);
}

/* one of each kind of cycle; the lowest fd free after it */
static int round_once(int type)
{
	int a[2], b[2];
	REQUIRE(socketpair(AF_UNIX, type, 0, a) == 0);
	REQUIRE(send_fd(a[0], a[1], NULL, 0) == 1); /* a1 in its own queue */
	REQUIRE(close(a[1]) == 0);
	REQUIRE(close(a[0]) == 0);
	REQUIRE(socketpair(AF_UNIX, type, 0, a) == 0);
	REQUIRE(socketpair(AF_UNIX, type, 0, b) == 0);
	REQUIRE(send_fd(a[1], b[0], NULL, 0) == 1); /* b0 in a0's queue */
	REQUIRE(send_fd(b[1], a[0], NULL, 0) == 1); /* a0 in b0's queue */
	for (int i = 0; i < 2; i++)
		REQUIRE(close(a[i]) == 0 && close(b[i]) == 0);
	int d = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un me;
	socklen_t len = sizeof(sa_family_t);
	me.sun_family = AF_UNIX;
	REQUIRE(bind(d, (void *)&me, len) == 0); /* autobind */
	len = sizeof me;
	REQUIRE(getsockname(d, (void *)&me, &len) == 0);
	REQUIRE(send_fd(d, d, &me, len) == 1);
	REQUIRE(close(d) == 0);
	int next = dup(0);
	REQUIRE(close(next) == 0);
	return next;
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	int types[] = {SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET};
	for (int t = 0; t < 3; t++) {
		int first = round_once(types[t]), same = 1;
		for (int i = 1; i < 1000; i++)
			same &= round_once(types[t]) == first;
		printf("type %d: 1000 rounds, next fd %d, always the same %d\n",
		       types[t], first, same);
	}
	return 0;
}
