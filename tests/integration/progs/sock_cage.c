/* AF_UNIX between separate cages (tests/integration/sock_unix.sh):
 *   serve PATH        listen at PATH, say "ready", accept one client, take
 *                     the fd it passes and print what the file holds and
 *                     whether the peer is another process, answer "thanks"
 *   send PATH FILE    connect to PATH, write FILE, pass it open (read-only)
 *                     with a greeting, print the answer
 *   connect PATH      connect and print the result (an errno name or ok)
 *   bind PATH         bind and print the result
 *   park PATH accept|recv  say "ready", then wait in accept (listening at
 *                     PATH) or in recv (on a socketpair) until killed */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

static struct sockaddr_un addr_of(const char *path)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	strncpy(a.sun_path, path, sizeof a.sun_path - 1);
	return a;
}

static const char *result(int r)
{
	return r < 0 ? strerrorname_np(errno) : "ok";
}

static int listener(const char *path)
{
	struct sockaddr_un a = addr_of(path);
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (bind(l, (struct sockaddr *)&a, sizeof a) < 0 || listen(l, 4) < 0) {
		printf("listen: %s\n", strerrorname_np(errno));
		exit(1);
	}
	return l;
}

static int serve(const char *path)
{
	int l = listener(path);
	puts("ready");
	fflush(stdout);
	int s = accept(l, NULL, NULL);
	char msg[32] = {0}, ctl[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {msg, sizeof msg - 1};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof ctl};
	if (s < 0 || recvmsg(s, &mh, 0) <= 0 || !CMSG_FIRSTHDR(&mh)) {
		puts("no message with an fd");
		return 1;
	}
	int fd;
	memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&mh)), sizeof fd);
	char text[64] = {0};
	ssize_t n = read(fd, text, sizeof text - 1);
	struct ucred pc;
	socklen_t len = sizeof pc;
	getsockopt(s, SOL_SOCKET, SO_PEERCRED, &pc, &len);
	printf("message [%s] file %zd [%s] peer is another cage %d\n", msg, n,
	       text, pc.pid != getpid() && pc.pid > 0);
	send(s, "thanks", 6, 0);
	close(s);
	unlink(path);
	return 0;
}

static int send_file(const char *path, const char *file)
{
	struct sockaddr_un a = addr_of(path);
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (connect(s, (struct sockaddr *)&a, sizeof a) < 0) {
		printf("connect: %s\n", strerrorname_np(errno));
		return 1;
	}
	int w = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (w < 0 || write(w, "the passed file", 15) != 15 || close(w) < 0)
		return 1;
	int fd = open(file, O_RDONLY);
	char ctl[CMSG_SPACE(sizeof(int))] = {0};
	struct iovec iov = {"hello", 5};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl, .msg_controllen = sizeof ctl};
	struct cmsghdr *h = CMSG_FIRSTHDR(&mh);
	h->cmsg_level = SOL_SOCKET;
	h->cmsg_type = SCM_RIGHTS;
	h->cmsg_len = CMSG_LEN(sizeof fd);
	memcpy(CMSG_DATA(h), &fd, sizeof fd);
	if (fd < 0 || sendmsg(s, &mh, 0) != 5) {
		printf("sendmsg: %s\n", strerrorname_np(errno));
		return 1;
	}
	close(fd); /* the other cage holds the description now */
	char answer[16] = {0};
	ssize_t n = recv(s, answer, sizeof answer - 1, 0);
	printf("answer %zd [%s]\n", n, answer);
	return 0;
}

static int park(const char *path, const char *how)
{
	int sv[2];
	if (!strcmp(how, "accept")) {
		int l = listener(path);
		puts("ready");
		fflush(stdout);
		accept(l, NULL, NULL);
	} else if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) == 0) {
		puts("ready");
		fflush(stdout);
		char c;
		recv(sv[0], &c, 1, 0);
	}
	puts("woke: not killed?");
	return 1;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	const char *c = argc > 2 ? argv[1] : "";
	if (!strcmp(c, "serve"))
		return serve(argv[2]);
	if (!strcmp(c, "send") && argc == 4)
		return send_file(argv[2], argv[3]);
	if (!strcmp(c, "park") && argc == 4)
		return park(argv[2], argv[3]);
	struct sockaddr_un a = addr_of(argc > 2 ? argv[2] : "");
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	if (!strcmp(c, "connect")) {
		printf("connect %s\n",
		       result(connect(s, (struct sockaddr *)&a, sizeof a)));
		return 0;
	}
	if (!strcmp(c, "bind")) {
		printf("bind %s\n", result(bind(s, (struct sockaddr *)&a, sizeof a)));
		return 0;
	}
	fprintf(stderr, "usage: sock_cage serve|send|connect|bind|park ...\n");
	return 2;
}
