/*
 * A small HTTP/1.0 file server on libev (the library posix-server uses),
 * for tests/integration/http.sh: serves the files of a directory to
 * concurrent clients, each connection an ev_io watcher on a non-blocking
 * socket.  http_ev DIR PORTFILE COUNT [ADDR]: listens on ADDR (default
 * 127.0.0.1) port 0, writes the port it got to PORTFILE, serves COUNT
 * requests and exits 0.  GET /name answers 200 with the file, 404 when
 * it is missing, 400 for anything else.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct conn {
	ev_io w;
	char req[1024];
	size_t got;
	char *out; /* the answer, sent from `sent` on */
	size_t len, sent;
};

static const char *root;
static int left;

static void conn_end(struct ev_loop *loop, struct conn *c)
{
	ev_io_stop(loop, &c->w);
	close(c->w.fd);
	free(c->out);
	free(c);
	if (--left == 0)
		ev_break(loop, EVBREAK_ALL);
}

/* The answer to the request line in c->req. */
static void answer(struct conn *c)
{
	char path[512], name[256];
	const char *status = "400 Bad Request";
	char *body = NULL;
	size_t blen = 0;
	if (sscanf(c->req, "GET /%255[^ ] HTTP/1.", name) == 1 &&
	    !strstr(name, "..")) {
		snprintf(path, sizeof path, "%s/%s", root, name);
		int fd = open(path, O_RDONLY);
		struct stat st;
		if (fd >= 0 && fstat(fd, &st) == 0 && S_ISREG(st.st_mode)) {
			body = malloc((size_t)st.st_size + 1);
			ssize_t n = body ? read(fd, body, (size_t)st.st_size) : -1;
			blen = n > 0 ? (size_t)n : 0;
			status = "200 OK";
		} else {
			status = "404 Not Found";
		}
		if (fd >= 0)
			close(fd);
	}
	char head[256];
	int hl = snprintf(head, sizeof head,
			  "HTTP/1.0 %s\r\nContent-Length: %zu\r\n"
			  "Connection: close\r\n\r\n", status, blen);
	c->out = malloc((size_t)hl + blen);
	memcpy(c->out, head, (size_t)hl);
	if (blen)
		memcpy(c->out + hl, body, blen);
	c->len = (size_t)hl + blen;
	free(body);
}

static void on_conn(struct ev_loop *loop, ev_io *w, int revents)
{
	struct conn *c = (struct conn *)w;
	if (revents & EV_READ) {
		ssize_t n = read(w->fd, c->req + c->got, sizeof c->req - 1 - c->got);
		if (n <= 0) {
			if (n < 0 && errno == EAGAIN)
				return;
			conn_end(loop, c);
			return;
		}
		c->got += (size_t)n;
		c->req[c->got] = '\0';
		if (!strstr(c->req, "\r\n\r\n") && !strstr(c->req, "\n\n") &&
		    c->got < sizeof c->req - 1)
			return; /* the request is not all there */
		answer(c);
		ev_io_stop(loop, w);
		ev_io_set(w, w->fd, EV_WRITE);
		ev_io_start(loop, w);
		return;
	}
	ssize_t n = write(w->fd, c->out + c->sent, c->len - c->sent);
	if (n < 0 && errno == EAGAIN)
		return;
	if (n > 0)
		c->sent += (size_t)n;
	if (n <= 0 || c->sent == c->len)
		conn_end(loop, c);
}

static void on_accept(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	int fd = accept4(w->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return; /* EAGAIN: another wake-up took it */
	struct conn *c = calloc(1, sizeof *c);
	ev_io_init(&c->w, on_conn, fd, EV_READ);
	ev_io_start(loop, &c->w);
}

int main(int argc, char **argv)
{
	if (argc < 4) {
		fprintf(stderr, "usage: http_ev DIR PORTFILE COUNT [ADDR]\n");
		return 2;
	}
	root = argv[1];
	left = atoi(argv[3]);
	int ls = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int one = 1;
	struct sockaddr_in a = {.sin_family = AF_INET};
	inet_pton(AF_INET, argc > 4 ? argv[4] : "127.0.0.1", &a.sin_addr);
	socklen_t al = sizeof a;
	if (ls < 0 || setsockopt(ls, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) ||
	    bind(ls, (struct sockaddr *)&a, sizeof a) || listen(ls, 128) ||
	    getsockname(ls, (struct sockaddr *)&a, &al)) {
		perror("http_ev: listen");
		return 1;
	}
	FILE *pf = fopen(argv[2], "w");
	if (!pf) {
		perror(argv[2]);
		return 1;
	}
	fprintf(pf, "%d\n", ntohs(a.sin_port));
	fclose(pf);
	struct ev_loop *loop = ev_default_loop(EVFLAG_AUTO);
	ev_io lw;
	ev_io_init(&lw, on_accept, ls, EV_READ);
	ev_io_start(loop, &lw);
	ev_run(loop, 0);
	printf("http_ev: served, backend %s\n",
	       ev_backend(loop) == EVBACKEND_EPOLL ? "epoll" :
	       ev_backend(loop) == EVBACKEND_POLL ? "poll" : "other");
	return 0;
}
