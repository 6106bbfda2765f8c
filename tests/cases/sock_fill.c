/* A unix stream socket filled without blocking, as Linux fills it: a
 * send takes what fits in SO_SNDBUF in pieces of half of it (less 64),
 * the next answers EAGAIN; what the reader drains makes room again.
 * Sizes are Linux's for 64 KiB sends into SO_SNDBUF 4096 (8192 once
 * doubled) and 8192. */
#include "case.h"
#include <sys/socket.h>

static char big[65536];

/* Sends 64 KiB at a time until EAGAIN: the total, printed. */
static long fill(int fd, int flags)
{
	long total = 0;
	for (int i = 0; i < 100; i++) {
		ssize_t n = send(fd, big, sizeof big, flags);
		if (n < 0) {
			printf("then %s\n", case_errname(errno));
			break;
		}
		total += n;
	}
	printf("filled %ld bytes\n", total);
	return total;
}

static void with_sndbuf(int size, int type_flags, int send_flags)
{
	int sv[2];
	REQUIRE(socketpair(AF_UNIX, SOCK_STREAM | type_flags, 0, sv) == 0);
	SHOW(setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &size, sizeof size));
	int got;
	socklen_t len = sizeof got;
	SHOW(getsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &got, &len));
	printf("SO_SNDBUF %d\n", got);
	long total = fill(sv[0], send_flags);
	/* the reader takes it all; the writer then fills it again */
	long read_back = 0;
	ssize_t n;
	while ((n = recv(sv[1], big, sizeof big, MSG_DONTWAIT)) > 0)
		read_back += n;
	printf("read %ld bytes back, %s\n", read_back,
	       read_back == total ? "all" : "not all");
	fill(sv[0], send_flags);
	close(sv[0]);
	close(sv[1]);
}

int main(void)
{
	memset(big, 'A', sizeof big);
	with_sndbuf(4096, SOCK_NONBLOCK, 0);
	with_sndbuf(4096, 0, MSG_DONTWAIT);
	with_sndbuf(8192, SOCK_NONBLOCK, MSG_DONTWAIT);
	return 0;
}
