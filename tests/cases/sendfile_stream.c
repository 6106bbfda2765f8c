/* sendfile from a file to a pipe and a socket: what the other end takes,
 * the source offset moved (or the caller's), EAGAIN on a full
 * non-blocking pipe, EPIPE without a reader, a blocking one waits for a
 * reader to make room, and a pipe as the source is EINVAL */
#include "case.h"
#include <signal.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/wait.h>

static void drain(int fd, const char *what)
{
	char buf[64] = {0};
	ssize_t n = read(fd, buf, sizeof buf - 1);
	printf("%s read %zd: %s\n", what, n, n > 0 ? buf : "");
}

/* a 256 KiB file, then a blocking sendfile of it into a pipe that a
 * child drains: every byte arrives, in the order of the file */
static void big_through_pipe(void)
{
	static char data[256 << 10];
	for (size_t i = 0; i < sizeof data; i++)
		data[i] = (char)('a' + i % 23);
	int f = open("big", O_RDWR | O_CREAT | O_TRUNC, 0644);
	REQUIRE(f >= 0 && write(f, data, sizeof data) == (ssize_t)sizeof data);
	REQUIRE(lseek(f, 0, SEEK_SET) == 0);
	int p[2];
	REQUIRE(pipe(p) == 0);
	fflush(stdout);
	pid_t kid = fork();
	if (kid == 0) {
		close(p[1]);
		static char got[sizeof data + 1]; /* room left: waits for EOF */
		size_t n = 0;
		ssize_t r;
		while ((r = read(p[0], got + n, sizeof got - n)) > 0)
			n += (size_t)r;
		printf("child got %zu bytes, %s\n", n,
		       n == sizeof data && !memcmp(got, data, n) ? "same"
								  : "DIFFERENT");
		exit(0);
	}
	close(p[0]);
	size_t sent = 0;
	ssize_t r;
	while (sent < sizeof data && (r = sendfile(p[1], f, NULL, sizeof data - sent)) > 0)
		sent += (size_t)r;
	printf("sent %zu, file at %lld\n", sent, (long long)lseek(f, 0, SEEK_CUR));
	fflush(stdout); /* before the child can end: its line comes after */
	close(p[1]);
	int st;
	waitpid(kid, &st, 0);
	close(f);
}

int main(void)
{
	enter_scratch();
	signal(SIGPIPE, SIG_IGN);
	put_file("src", "0123456789abcdefghij");
	int in = SHOW(open("src", O_RDONLY));
	int p[2];
	SHOW(pipe(p));
	SHOW(sendfile(p[1], in, NULL, 8));
	printf("in at %lld\n", (long long)lseek(in, 0, SEEK_CUR));
	drain(p[0], "pipe");
	off_t off = 15;
	SHOW(sendfile(p[1], in, &off, 100));
	printf("off %lld, in at %lld\n", (long long)off,
	       (long long)lseek(in, 0, SEEK_CUR));
	drain(p[0], "pipe");
	SHOW(sendfile(p[1], in, NULL, 0));
	off = 3;
	SHOW(sendfile(p[1], in, &off, 0));
	printf("off %lld\n", (long long)off);
	off = 20; /* at the end */
	SHOW(sendfile(p[1], in, &off, 5));
	off = -1;
	SHOW(sendfile(p[1], in, &off, 5));
	SHOW(sendfile(in, p[0], NULL, 5));     /* a pipe as the source */
	SHOW(sendfile(p[0], in, NULL, 5));     /* the read end */
	/* a socket */
	int sv[2];
	SHOW(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	SHOW(lseek(in, 0, SEEK_SET));
	SHOW(sendfile(sv[0], in, NULL, 12));
	drain(sv[1], "socket");
	/* a full non-blocking pipe: EAGAIN; no reader: EPIPE */
	SHOW(fcntl(p[1], F_SETFL, O_NONBLOCK));
	char junk[4096] = {0};
	while (write(p[1], junk, sizeof junk) > 0)
		;
	SHOW(sendfile(p[1], in, NULL, 5));
	close(p[0]);
	SHOW(sendfile(p[1], in, NULL, 5));
	printf("in at %lld\n", (long long)lseek(in, 0, SEEK_CUR));
	big_through_pipe();
	return 0;
}
