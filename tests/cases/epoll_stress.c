/* 1,000 concurrent TCP connections on loopback through one epoll set:
 * a forked child connects them all (non-blocking) and sends a 64-byte
 * message on each; the parent accepts every one and reads its message
 * through epoll, and only once all 1,000 are open does it echo them;
 * the child checks every echo.  Nothing may be lost.  (A cage's fd table
 * holds 1,024: the connections' two ends live in two processes.) */
#include "case.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define CONNS 1000
#define MSG 64

struct conn {
	int fd;
	size_t done; /* bytes moved so far */
	char buf[MSG];
};

static struct conn conns[CONNS];

static void message(int id, char *out)
{
	char text[32];
	int n = snprintf(text, sizeof text, "connection %04d says hello", id);
	memset(out, '.', MSG);
	memcpy(out, text, (size_t)n);
}

static void watch(int ep, int op, int fd, unsigned events, void *p)
{
	struct epoll_event ev = {.events = events, .data.ptr = p};
	REQUIRE(epoll_ctl(ep, op, fd, &ev) == 0);
}

/* Next batch of events, 10 s at most: longer means something was lost. */
static int next(int ep, struct epoll_event *evs)
{
	int n = epoll_wait(ep, evs, 64, 10000);
	REQUIRE(n > 0);
	return n;
}

/* The child: every connection sends its message, then checks its echo. */
static int clients(const struct sockaddr_in *a)
{
	int ep = epoll_create1(0), echoed = 0, lost = 0, left = CONNS;
	for (int i = 0; i < CONNS; i++) {
		int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
		REQUIRE(fd >= 0);
		int r = connect(fd, (const struct sockaddr *)a, sizeof *a);
		REQUIRE(r == 0 || errno == EINPROGRESS);
		conns[i].fd = fd;
		message(i, conns[i].buf);
		watch(ep, EPOLL_CTL_ADD, fd, EPOLLOUT, &conns[i]);
	}
	struct epoll_event evs[64];
	while (left) {
		int n = next(ep, evs);
		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			if (c->done < MSG) {
				ssize_t w = write(c->fd, c->buf + c->done,
						  MSG - c->done);
				if (w > 0 && (c->done += (size_t)w) == MSG)
					watch(ep, EPOLL_CTL_MOD, c->fd, EPOLLIN, c);
				continue;
			}
			char back[MSG];
			ssize_t r = read(c->fd, back, MSG);
			if (r == MSG && !memcmp(back, c->buf, MSG))
				echoed++;
			else
				lost++;
			REQUIRE(close(c->fd) == 0);
			left--;
		}
	}
	printf("client: %d echoed, %d lost\n", echoed, lost);
	fflush(stdout);
	return lost ? 1 : 0;
}

/* The parent: accept all, read all, then echo all. */
static void server(int ls, int ep)
{
	int accepted = 0, full = 0;
	struct epoll_event evs[64];
	while (full < CONNS) {
		int n = next(ep, evs);
		for (int k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;
			if (!c) {
				int fd;
				while ((fd = accept4(ls, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					REQUIRE(accepted < CONNS);
					conns[accepted].fd = fd;
					watch(ep, EPOLL_CTL_ADD, fd, EPOLLIN,
					      &conns[accepted++]);
				}
				REQUIRE(errno == EAGAIN);
				continue;
			}
			ssize_t r = read(c->fd, c->buf + c->done, MSG - c->done);
			REQUIRE(r > 0);
			if ((c->done += (size_t)r) == MSG) {
				watch(ep, EPOLL_CTL_DEL, c->fd, 0, NULL);
				full++;
			}
		}
	}
	printf("server: %d accepted, %d messages, all open at once\n",
	       accepted, full);
	for (int i = 0; i < CONNS; i++) {
		REQUIRE(write(conns[i].fd, conns[i].buf, MSG) == MSG);
		REQUIRE(close(conns[i].fd) == 0);
	}
}

int main(void)
{
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t al = sizeof a;
	REQUIRE(ls >= 0 && bind(ls, (struct sockaddr *)&a, sizeof a) == 0);
	REQUIRE(listen(ls, 4096) == 0);
	REQUIRE(getsockname(ls, (struct sockaddr *)&a, &al) == 0);
	fflush(stdout);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0) {
		close(ls);
		_exit(clients(&a));
	}
	int ep = epoll_create1(EPOLL_CLOEXEC);
	watch(ep, EPOLL_CTL_ADD, ls, EPOLLIN, NULL);
	server(ls, ep);
	int st;
	REQUIRE(waitpid(pid, &st, 0) == pid);
	printf("client exited %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
	return 0;
}
