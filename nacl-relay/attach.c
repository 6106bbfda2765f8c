/*
 * relay.sock: cages attach here.  Each connection carries one Attach (with
 * the cage's stdio fds) and then stays open as the cage's liveness: its
 * EOF means the process is gone, however it died.
 */
#define _GNU_SOURCE /* accept4, struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "relay.h"

struct relay_conn {
	struct relay *r;
	struct relay_conn *next;
	int fd;
	ev_io io;
	struct ucred cred;
	struct relay_cage *cage; /* NULL until attached */
};

int relay_attach_listen(struct relay *r)
{
	/* relay.sock appears (renamed from a private name) only when the
	 * whole system is ready */
	int fd = lind_listen_seqpacket(r->relay_sock, 64);
	if (fd < 0)
		return fd;
	r->listen_fd = fd;
	return 0;
}

static void conn_close(struct relay_conn *c)
{
	struct relay *r = c->r;
	ev_io_stop(r->loop, &c->io);
	close(c->fd);
	for (struct relay_conn **pp = &r->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	if (c->cage) {
		uint64_t id = c->cage->cage_id;
		relay_cage_stop(r, c->cage);
		relay_server_cage_gone(r, id);
		relay_trace_note(r, id, "detach", NULL, 0);
	}
	free(c);
}

static void attach_reply(struct relay_conn *c, uint64_t cage_id, int chan_fd,
			 const char *error)
{
	Lind__AttachReply rep = LIND__ATTACH_REPLY__INIT;
	rep.version = LIND_PROTO_VERSION;
	rep.cage_id = cage_id;
	rep.channel = (char *)(chan_fd >= 0 ? "memfd" : "");
	rep.error = (char *)(error ? error : "");
	int rc = lind_send_msg(c->fd, &rep.base, &chan_fd, chan_fd >= 0);
	if (rc < 0)
		lind_log(cage_id, "cannot answer attach from pid %d: %s",
			 (int)c->cred.pid, strerror(-rc));
}

/* 0: attached; <0: refused (an AttachReply with the reason was sent). */
static int attach(struct relay_conn *c, const Lind__Attach *a, int *fds,
		  int nfds)
{
	struct relay *r = c->r;
	char msg[160];
	if (a->version != LIND_PROTO_VERSION) {
		snprintf(msg, sizeof msg,
			 "protocol version mismatch: cage speaks %u, relay speaks %u",
			 a->version, LIND_PROTO_VERSION);
		attach_reply(c, 0, -1, msg);
		return -EPROTO;
	}
	if (__builtin_popcount(a->stdio_mask & 7) != nfds ||
	    (a->stdio_mask & ~7u)) {
		attach_reply(c, 0, -1, "stdio fds do not match stdio_mask");
		return -EINVAL;
	}
	uint64_t id = 0;
	int rc = relay_server_cage_new(r, a, c->cred.pid, c->cred.uid,
				       c->cred.gid, fds, nfds, &id);
	if (rc < 0) {
		snprintf(msg, sizeof msg, "posix-server refused the cage: %s",
			 strerror(-rc));
		attach_reply(c, 0, -1, msg);
		return rc;
	}
	struct lind_chan *ch;
	int chan_fd = -1;
	rc = relay_chan_create(id, &chan_fd, &ch);
	if (rc == 0) {
		rc = relay_cage_start(r, id, ch, &c->cage);
		if (rc < 0) {
			munmap(ch, sizeof *ch);
			close(chan_fd);
		}
	}
	if (rc < 0) {
		lind_log(id, "cannot create its channel: %s", strerror(-rc));
		relay_server_cage_gone(r, id);
		snprintf(msg, sizeof msg, "relay cannot create a channel: %s",
			 strerror(-rc));
		attach_reply(c, 0, -1, msg);
		return rc;
	}
	relay_trace_note(r, id, "attach", a->argv, a->n_argv);
	attach_reply(c, id, chan_fd, NULL);
	close(chan_fd);
	return 0;
}

static void conn_first(struct relay_conn *c)
{
	uint8_t buf[8192];
	int fds[3], nfds = 3;
	long n = lind_recv_msg(c->fd, buf, sizeof buf, fds, &nfds);
	if (n == -EAGAIN)
		return;
	int rc = -EPROTO;
	if (n > 0) {
		Lind__Attach *a = lind__attach__unpack(NULL, (size_t)n, buf);
		if (a) {
			rc = attach(c, a, fds, nfds);
			lind__attach__free_unpacked(a, NULL);
		} else {
			attach_reply(c, 0, -1, "malformed Attach frame");
		}
	}
	for (int i = 0; i < nfds; i++)
		close(fds[i]); /* the server holds its own copies now */
	if (rc < 0)
		conn_close(c);
}

static void conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct relay_conn *c = w->data;
	if (!c->cage) {
		conn_first(c);
		return;
	}
	/* after attaching the socket only signals liveness */
	char junk[64];
	ssize_t n = recv(c->fd, junk, sizeof junk, MSG_DONTWAIT);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR))
		conn_close(c);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct relay *r = w->data;
	for (;;) {
		int fd = accept4(r->listen_fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno != EAGAIN && errno != EINTR)
				lind_log(0, "accept: %s", strerror(errno));
			return;
		}
		struct relay_conn *c = calloc(1, sizeof *c);
		socklen_t len = sizeof c->cred;
		if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred,
				     &len) < 0) {
			free(c);
			close(fd);
			continue;
		}
		c->r = r;
		c->fd = fd;
		c->next = r->conns;
		r->conns = c;
		ev_io_init(&c->io, conn_cb, fd, EV_READ);
		c->io.data = c;
		ev_io_start(loop, &c->io);
	}
}

int relay_attach_start(struct relay *r)
{
	ev_io_init(&r->listen_io, accept_cb, r->listen_fd, EV_READ);
	r->listen_io.data = r;
	ev_io_start(r->loop, &r->listen_io);
	return 0;
}

void relay_attach_close_all(struct relay *r)
{
	if (r->listen_fd >= 0) {
		ev_io_stop(r->loop, &r->listen_io);
		close(r->listen_fd);
		unlink(r->relay_sock);
		r->listen_fd = -1;
	}
	while (r->conns)
		conn_close(r->conns);
}
