/*
 * Streams: a cage's fds 0/1/2 over the launcher's host fds.  Pipes, FIFOs
 * and terminals are reopened non-blocking through /proc/self/fd, so the
 * launcher's own description keeps its flags; a read or write that would
 * block parks the call on an ev_io watcher and the loop serves other cages
 * meanwhile.  When reopening fails (a socket), we poll before each I/O.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "cage.h"
#include "fdtable.h"
#include "server.h"

struct stream {
	int fd;
	bool poll_first; /* fd may block: poll before I/O */
	bool file;       /* a regular file or block device: never blocks */
	unsigned refs;
};

struct parked {
	ev_io w;
	struct parked *next;
	struct cage *cage;
	uint64_t tag;
	struct ofd *ofd; /* holds a reference */
	bool write;
	uint8_t *buf; /* write: the bytes not written yet */
	size_t len;   /* write: bytes in buf; read: capacity */
	size_t done;  /* write: bytes written so far */
};

struct stream *stream_new(int hostfd)
{
	struct stream *s = calloc(1, sizeof *s);
	if (!s) {
		close(hostfd);
		return NULL;
	}
	s->refs = 1;
	s->fd = hostfd;
	struct stat st;
	if (fstat(hostfd, &st) == 0 && (S_ISREG(st.st_mode) || S_ISBLK(st.st_mode))) {
		s->file = true; /* never blocks for long: use as is */
		return s;
	}
	int fl = fcntl(hostfd, F_GETFL);
	char proc[64];
	snprintf(proc, sizeof proc, "/proc/self/fd/%d", hostfd);
	int fd = fl < 0 ? -1
			: open(proc, (fl & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC |
					     O_NOCTTY);
	if (fd >= 0) {
		close(hostfd);
		s->fd = fd;
	} else {
		s->poll_first = true;
	}
	return s;
}

void stream_put(struct stream *s)
{
	assert(s->refs > 0);
	if (--s->refs)
		return;
	close(s->fd);
	free(s);
}

int stream_host_fd(struct stream *s)
{
	return s->fd;
}

static bool ready(struct stream *s, short ev)
{
	if (!s->poll_first)
		return true;
	struct pollfd p = {s->fd, ev, 0};
	return poll(&p, 1, 0) > 0;
}

static void unlink_parked(struct parked *p)
{
	struct parked **pp = &p->cage->parked;
	while (*pp != p)
		pp = &(*pp)->next;
	*pp = p->next;
}

static void free_parked(struct parked *p)
{
	ev_io_stop(srv.loop, &p->w);
	ofd_put(srv.vfs, p->ofd);
	free(p->buf);
	free(p);
}

static void finish(struct parked *p, long result, const void *data,
		   size_t len)
{
	struct srv_data d = {data, result >= 0 ? len : 0};
	srv_reply(p->tag, result, &d, p->write ? 0 : 1, false);
	unlink_parked(p);
	free_parked(p);
}

static void on_ready(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct parked *p = w->data;
	int fd = p->ofd->st->fd;
	if (!p->write) {
		uint8_t *buf = malloc(p->len ? p->len : 1);
		if (!buf) {
			finish(p, -ENOMEM, NULL, 0);
			return;
		}
		ssize_t r = read(fd, buf, p->len);
		if (r < 0 && (errno == EAGAIN || errno == EINTR)) {
			free(buf);
			return; /* spurious: keep waiting */
		}
		finish(p, r < 0 ? -errno : r, buf, r > 0 ? (size_t)r : 0);
		free(buf);
		return;
	}
	ssize_t r = write(fd, p->buf + p->done, p->len - p->done);
	if (r < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (r < 0) {
		finish(p, p->done ? (long)p->done : -errno, NULL, 0);
		return;
	}
	p->done += (size_t)r;
	if (p->done == p->len)
		finish(p, (long)p->done, NULL, 0);
}

static long park(struct call *c, struct ofd *o, bool write, const void *buf,
		 size_t len, size_t done)
{
	struct parked *p = calloc(1, sizeof *p);
	if (!p)
		return -ENOMEM;
	if (write) {
		p->buf = malloc(len ? len : 1);
		if (!p->buf) {
			free(p);
			return -ENOMEM;
		}
		memcpy(p->buf, buf, len);
	}
	p->write = write;
	p->len = len;
	p->done = done;
	p->cage = c->cage;
	p->tag = c->tag;
	p->ofd = o;
	ofd_ref(o);
	ev_io_init(&p->w, on_ready, o->st->fd, write ? EV_WRITE : EV_READ);
	p->w.data = p;
	ev_io_start(srv.loop, &p->w);
	p->next = c->cage->parked;
	c->cage->parked = p;
	return SRV_PARKED;
}

long stream_read(struct call *c, struct ofd *o, void *buf, size_t cap)
{
	struct stream *s = o->st;
	bool nonblock = o->flags & O_NONBLOCK;
	if (!ready(s, POLLIN))
		return nonblock ? -EAGAIN : park(c, o, false, NULL, cap, 0);
	ssize_t r = read(s->fd, buf, cap);
	if (r >= 0) {
		c->more = s->file && (size_t)r == cap; /* `< file`: read whole */
		return r;
	}
	if (errno == EAGAIN && !nonblock)
		return park(c, o, false, NULL, cap, 0);
	return -errno;
}

long stream_write(struct call *c, struct ofd *o, const void *buf, size_t len)
{
	struct stream *s = o->st;
	bool nonblock = o->flags & O_NONBLOCK;
	if (len == 0)
		return 0;
	if (!ready(s, POLLOUT))
		return nonblock ? -EAGAIN : park(c, o, true, buf, len, 0);
	ssize_t r = write(s->fd, buf, len);
	if (r < 0 && errno != EAGAIN)
		return -errno;
	size_t done = r > 0 ? (size_t)r : 0;
	if (done == len)
		return (long)done;
	if (nonblock)
		return done ? (long)done : -EAGAIN;
	/* POSIX blocking write: the rest is written before we answer. */
	return park(c, o, true, buf, len, done);
}

long stream_fstat(struct stream *s, struct stat *st)
{
	return fstat(s->fd, st) < 0 ? -errno : 0;
}

long stream_ioctl(struct stream *s, unsigned long req, void *arg)
{
	return ioctl(s->fd, req, arg) < 0 ? -errno : 0;
}

long stream_interrupt(struct cage *c, uint64_t tag)
{
	for (struct parked *p = c->parked; p; p = p->next) {
		if (p->tag != tag)
			continue;
		/* a write that got somewhere reports what it wrote */
		finish(p, p->write && p->done ? (long)p->done : -EINTR, NULL, 0);
		return 0;
	}
	return -ESRCH; /* already answered: its reply is on the way */
}

void stream_cancel_parked(struct cage *c)
{
	while (c->parked) {
		struct parked *p = c->parked;
		c->parked = p->next;
		free_parked(p);
	}
}
