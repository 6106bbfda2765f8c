/* inet.sh's and publish.sh's program, built for the host and for cages:
 *   serve IP N [PORT]  listen on IP (PORT, else 0), print the port
 *                   (getsockname), then answer N connections: a line in,
 *                   "echo LINE" back, close; print "accepted on PORT" for
 *                   each (the accepted socket's getsockname)
 *   userve IP N [PORT] the same over UDP: N datagrams answered to their
 *                   senders, "received on PORT" printed for each
 *   ufetch IP PORT  send "fetch\n" in a datagram, print the answer (5 s)
 *   fetch IP PORT   connect, send "fetch\n", print what comes back
 *   probe IP PORT   connect (TCP): print "connect OK" or its errno name
 *   udp IP PORT     sendto one datagram: "sendto OK" or the errno name
 *   bind IP [PORT]  bind PORT (else 0): "bind OK" or the errno name
 *   pktinfo SRC IF  a datagram to 127.0.0.1 port 9 from source SRC on
 *                   interface index IF (IP_PKTINFO; 0: any): "pktinfo OK"
 *                   or the errno name
 *   count IP SECS   listen, print the port, and after SECS seconds print
 *                   how many connections came (non-blocking accepts)
 *   park IP         listen and block in accept for ever (to be killed)
 *   fork CMD...     the same in a forked child, its status as ours
 *   exec CMD...     the same after execve of argv[0] */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static socklen_t addr(const char *ip, unsigned port,
		      struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	struct sockaddr_in6 *in6 = (void *)ss;
	struct sockaddr_in *in = (void *)ss;
	if (inet_pton(AF_INET6, ip, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		return sizeof *in6;
	}
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	if (inet_pton(AF_INET, ip, &in->sin_addr) != 1) {
		fprintf(stderr, "bad address %s\n", ip);
		exit(2);
	}
	return sizeof *in;
}

static int result(const char *what, int r)
{
	printf("%s %s\n", what, r < 0 ? strerrorname_np(errno) : "OK");
	return r < 0;
}

static int sock(const char *ip, int type)
{
	int fd = socket(strchr(ip, ':') ? AF_INET6 : AF_INET, type, 0);
	if (fd < 0) {
		printf("socket %s\n", strerrorname_np(errno));
		exit(1);
	}
	return fd;
}

/* The port fd's own end has (getsockname), 0 when it cannot say. */
static unsigned local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	if (getsockname(fd, (void *)&ss, &len) < 0)
		return 0;
	return ntohs(((struct sockaddr_in *)&ss)->sin_port); /* in6's too */
}

/* A socket of type bound to ip:port (listening if a stream), its port
 * printed. */
static int bound(const char *ip, unsigned port, int type)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(ip, port, &ss);
	int fd = sock(ip, type);
	if (bind(fd, (void *)&ss, len) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 16) < 0)) {
		perror("listen");
		exit(1);
	}
	printf("%u\n", local_port(fd));
	fflush(stdout);
	return fd;
}

static int listener(const char *ip)
{
	return bound(ip, 0, SOCK_STREAM);
}

/* "echo LINE\n" for the first line of got bytes in line, into out. */
static int echo(char *line, ssize_t got, char *out, size_t cap)
{
	line[got] = '\0';
	line[strcspn(line, "\n")] = '\0';
	return snprintf(out, cap, "echo %s\n", line);
}

static int serve(const char *ip, int n, unsigned port)
{
	int l = bound(ip, port, SOCK_STREAM);
	for (int i = 0; i < n; i++) {
		int a = accept(l, NULL, NULL);
		char line[256], out[300];
		ssize_t got = a < 0 ? -1 : recv(a, line, sizeof line - 1, 0);
		if (got <= 0)
			return 1;
		printf("accepted on %u\n", local_port(a));
		int len = echo(line, got, out, sizeof out);
		if (send(a, out, (size_t)len, 0) != len)
			return 1;
		close(a);
	}
	return 0;
}

static int userve(const char *ip, int n, unsigned port)
{
	int u = bound(ip, port, SOCK_DGRAM);
	for (int i = 0; i < n; i++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof from;
		char line[256], out[300];
		ssize_t got = recvfrom(u, line, sizeof line - 1, 0,
				       (void *)&from, &flen);
		if (got < 0)
			return 1;
		printf("received on %u\n", local_port(u));
		int len = echo(line, got, out, sizeof out);
		if (sendto(u, out, (size_t)len, 0, (void *)&from, flen) != len)
			return 1;
	}
	return 0;
}

static int ufetch(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(ip, port, &ss);
	int fd = sock(ip, SOCK_DGRAM);
	struct timeval tv = {5, 0};
	char buf[512];
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	if (result("sendto", (int)sendto(fd, "fetch\n", 6, 0, (void *)&ss,
					 len)))
		return 1;
	ssize_t n = recv(fd, buf, sizeof buf, 0);
	if (n < 0)
		printf("recv %s\n", strerrorname_np(errno));
	else
		fwrite(buf, 1, (size_t)n, stdout);
	return n < 0;
}

static int fetch(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	socklen_t len = addr(ip, port, &ss);
	int fd = sock(ip, SOCK_STREAM);
	char buf[512];
	ssize_t n;
	if (result("connect", connect(fd, (void *)&ss, len)))
		return 1;
	if (send(fd, "fetch\n", 6, 0) != 6)
		return 1;
	while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	return n < 0;
}

static int count(const char *ip, int secs)
{
	int l = listener(ip), n = 0;
	time_t end = time(NULL) + secs;
	fcntl(l, F_SETFL, O_NONBLOCK);
	while (time(NULL) < end) {
		int a = accept(l, NULL, NULL);
		if (a >= 0) {
			n++;
			close(a);
		} else {
			usleep(10000);
		}
	}
	printf("connections %d\n", n);
	return 0;
}

static int pktinfo(const char *src, int ifindex)
{
	struct sockaddr_storage ss;
	socklen_t len = addr("127.0.0.1", 9, &ss);
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} u;
	struct in_pktinfo pi = {.ipi_ifindex = ifindex};
	if (inet_pton(AF_INET, src, &pi.ipi_spec_dst) != 1)
		return 2;
	struct iovec v = {"x", 1};
	struct msghdr m = {.msg_name = &ss, .msg_namelen = len,
			   .msg_iov = &v, .msg_iovlen = 1,
			   .msg_control = u.buf, .msg_controllen = sizeof u.buf};
	struct cmsghdr *h = CMSG_FIRSTHDR(&m);
	h->cmsg_level = IPPROTO_IP;
	h->cmsg_type = IP_PKTINFO;
	h->cmsg_len = CMSG_LEN(sizeof pi);
	memcpy(CMSG_DATA(h), &pi, sizeof pi);
	return result("pktinfo",
		      (int)sendmsg(sock("127.0.0.1", SOCK_DGRAM), &m, 0));
}

static int run(int argc, char **argv)
{
	struct sockaddr_storage ss;
	const char *cmd = argv[1];
	if (argc >= 3 && !strcmp(cmd, "fork")) {
		fflush(stdout);
		pid_t p = fork();
		if (p == 0)
			exit(run(argc - 1, argv + 1));
		int st;
		return waitpid(p, &st, 0) == p && WIFEXITED(st) ? WEXITSTATUS(st)
								 : 1;
	}
	if (argc >= 3 && !strcmp(cmd, "exec")) {
		argv[1] = argv[0];
		execv(argv[0], argv + 1);
		perror("execv");
		return 127;
	}
	unsigned port = argc == 5 ? (unsigned)atoi(argv[4]) : 0;
	if ((argc == 4 || argc == 5) && !strcmp(cmd, "serve"))
		return serve(argv[2], atoi(argv[3]), port);
	if ((argc == 4 || argc == 5) && !strcmp(cmd, "userve"))
		return userve(argv[2], atoi(argv[3]), port);
	if (argc == 4 && !strcmp(cmd, "ufetch"))
		return ufetch(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 4 && !strcmp(cmd, "fetch"))
		return fetch(argv[2], (unsigned)atoi(argv[3]));
	if (argc == 4 && !strcmp(cmd, "count"))
		return count(argv[2], atoi(argv[3]));
	if (argc == 3 && !strcmp(cmd, "park")) {
		int l = listener(argv[2]);
		return accept(l, NULL, NULL) < 0;
	}
	if (argc == 4 && !strcmp(cmd, "probe")) {
		socklen_t len = addr(argv[2], (unsigned)atoi(argv[3]), &ss);
		return result("connect",
			      connect(sock(argv[2], SOCK_STREAM), (void *)&ss, len));
	}
	if (argc == 4 && !strcmp(cmd, "udp")) {
		socklen_t len = addr(argv[2], (unsigned)atoi(argv[3]), &ss);
		return result("sendto", (int)sendto(sock(argv[2], SOCK_DGRAM),
						    "x", 1, 0, (void *)&ss, len));
	}
	if (argc == 4 && !strcmp(cmd, "pktinfo"))
		return pktinfo(argv[2], atoi(argv[3]));
	if ((argc == 3 || argc == 4) && !strcmp(cmd, "bind")) {
		port = argc == 4 ? (unsigned)atoi(argv[3]) : 0;
		socklen_t len = addr(argv[2], port, &ss);
		return result("bind", bind(sock(argv[2], SOCK_STREAM), (void *)&ss,
					   len));
	}
	fprintf(stderr, "usage: see the comment at the top\n");
	return 2;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	return run(argc, argv);
}
