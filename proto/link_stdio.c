/* Stdio streams across the remote link (link_stdio.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "link.h"
#include "link_stdio.h"

struct link_stream {
	struct link_stream *next;
	uint64_t key;
	uint8_t idx;
	bool source;
	bool ending;   /* sink: the source ended; close once written */
	int fd;
	uint32_t unacked; /* source: sent, not yet written by the sink */
	uint8_t *buf;     /* sink: bytes not written yet */
	size_t off, len;
};

#define HDR (8 + 1)

static void put_hdr(uint8_t *h, const struct link_stream *s)
{
	memcpy(h, &s->key, 8);
	h[8] = s->idx;
}

int link_stream_add(struct link_streams *ss, uint64_t key, int idx, int fd,
		    bool source)
{
	struct link_stream *s = calloc(1, sizeof *s);
	if (!s) {
		close(fd);
		return -ENOMEM;
	}
	s->key = key;
	s->idx = (uint8_t)idx;
	s->fd = fd;
	s->source = source;
	s->next = ss->head;
	ss->head = s;
	return 0;
}

/* Closed now, freed by the next link_streams_poll: the caller may still
 * hold it in its poll set. */
static void close_stream(struct link_streams *ss, struct link_stream *s)
{
	(void)ss;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
	free(s->buf);
	s->buf = NULL;
}

static void sweep(struct link_streams *ss, bool all)
{
	struct link_stream **pp = &ss->head;
	while (*pp) {
		struct link_stream *s = *pp;
		if (s->fd >= 0 && !all) {
			pp = &s->next;
			continue;
		}
		*pp = s->next;
		close_stream(ss, s);
		free(s);
	}
}

/* Ours is closed: the other side closes its end too. */
static void end(struct link_streams *ss, struct link_stream *s)
{
	uint8_t h[HDR];
	put_hdr(h, s);
	link_send(ss->sock, LINK_DATA, h, sizeof h, NULL, 0);
	close_stream(ss, s);
}

void link_streams_drop(struct link_streams *ss, uint64_t key)
{
	for (struct link_stream *s = ss->head; s; s = s->next)
		if (s->key == key)
			close_stream(ss, s);
}

void link_streams_clear(struct link_streams *ss)
{
	sweep(ss, true);
}

int link_streams_poll(struct link_streams *ss, struct pollfd *p,
		      struct link_stream **who, int cap)
{
	int n = 0;
	sweep(ss, false);
	for (struct link_stream *s = ss->head; s && n < cap; s = s->next) {
		short ev = 0;
		if (s->source && s->unacked < LINK_WINDOW)
			ev = POLLIN;
		else if (!s->source && s->len > s->off)
			ev = POLLOUT;
		/* else only POLLERR/POLLHUP: a sink's reader went away */
		if (s->source && !ev)
			continue;
		p[n] = (struct pollfd){.fd = s->fd, .events = ev};
		who[n++] = s;
	}
	return n;
}

static void pump_in(struct link_streams *ss, struct link_stream *s)
{
	static uint8_t buf[HDR + LINK_CHUNK];
	size_t room = LINK_WINDOW - s->unacked;
	ssize_t n = read(s->fd, buf + HDR, room < LINK_CHUNK ? room : LINK_CHUNK);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		end(ss, s); /* EOF (or an error: the same to the reader) */
		return;
	}
	put_hdr(buf, s);
	s->unacked += (uint32_t)n;
	link_send(ss->sock, LINK_DATA, buf, HDR + (size_t)n, NULL, 0);
}

/* Never waits on a pipe (RWF_NOWAIT); a tty or socket that refuses it is
 * written as it is (its own flags). */
static ssize_t write_nowait(int fd, const void *p, size_t n)
{
	struct iovec v = {(void *)p, n};
	ssize_t r = pwritev2(fd, &v, 1, -1, RWF_NOWAIT);
	if (r < 0 && (errno == EOPNOTSUPP || errno == ESPIPE))
		r = write(fd, p, n);
	return r;
}

/* Writes what the sink holds; false when the sink is gone. */
static bool pump_out(struct link_streams *ss, struct link_stream *s)
{
	while (s->off < s->len) {
		ssize_t n = write_nowait(s->fd, s->buf + s->off, s->len - s->off);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return true;
		if (n <= 0) {
			end(ss, s);
			return false;
		}
		s->off += (size_t)n;
		uint8_t ack[HDR + 4];
		uint32_t k = (uint32_t)n;
		put_hdr(ack, s);
		memcpy(ack + HDR, &k, 4);
		link_send(ss->sock, LINK_ACK, ack, sizeof ack, NULL, 0);
	}
	s->off = s->len = 0;
	if (s->ending) {
		close_stream(ss, s);
		return false;
	}
	return true;
}

void link_stream_ready(struct link_streams *ss, struct link_stream *s,
		       short revents)
{
	if (s->fd < 0)
		return; /* closed since the poll */
	if (s->source) {
		pump_in(ss, s);
		return;
	}
	if (s->len > s->off)
		pump_out(ss, s);
	else if (revents & (POLLERR | POLLHUP | POLLNVAL))
		end(ss, s); /* nobody reads it any more */
}

static struct link_stream *find(struct link_streams *ss, const uint8_t *h)
{
	uint64_t key;
	memcpy(&key, h, 8);
	for (struct link_stream *s = ss->head; s; s = s->next)
		if (s->key == key && s->idx == h[8] && s->fd >= 0)
			return s;
	return NULL;
}

static void on_data(struct link_streams *ss, struct link_stream *s,
		    const uint8_t *p, size_t n)
{
	if (s->source || !n) { /* the other end closed */
		if (s->source || s->off == s->len)
			close_stream(ss, s);
		else
			s->ending = true;
		return;
	}
	if (s->off) { /* keep only what is not written yet */
		memmove(s->buf, s->buf + s->off, s->len - s->off);
		s->len -= s->off;
		s->off = 0;
	}
	if (s->len + n > LINK_WINDOW) { /* the source broke its window */
		end(ss, s);
		return;
	}
	uint8_t *b = realloc(s->buf, s->len + n);
	if (!b) {
		end(ss, s);
		return;
	}
	memcpy(b + s->len, p, n);
	s->buf = b;
	s->len += n;
	pump_out(ss, s);
}

void link_streams_on_msg(struct link_streams *ss, const uint8_t *m, size_t len)
{
	if (len < 1 + HDR)
		return;
	struct link_stream *s = find(ss, m + 1);
	if (!s)
		return; /* already closed here */
	if (m[0] == LINK_DATA) {
		on_data(ss, s, m + 1 + HDR, len - 1 - HDR);
	} else if (m[0] == LINK_ACK && len == 1 + HDR + 4 && s->source) {
		uint32_t k;
		memcpy(&k, m + 1 + HDR, 4);
		s->unacked = k > s->unacked ? 0 : s->unacked - k;
	}
}
