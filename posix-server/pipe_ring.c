/* A pipe's ring of bytes (pipe_ring.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pipe_ring.h"

void pipe_ring_init(struct pipe_ring *r)
{
	*r = (struct pipe_ring){NULL, PIPE_RING_DEFAULT, 0, 0};
}

void pipe_ring_free(struct pipe_ring *r)
{
	free(r->buf);
	r->buf = NULL;
	r->head = r->len = 0;
}

long pipe_ring_write(struct pipe_ring *r, const void *src, size_t n)
{
	if (n > pipe_ring_room(r))
		n = pipe_ring_room(r);
	if (n == 0)
		return 0;
	if (!r->buf && !(r->buf = malloc(r->cap)))
		return -ENOMEM;
	size_t tail = (r->head + r->len) % r->cap;
	size_t first = r->cap - tail < n ? r->cap - tail : n;
	memcpy(r->buf + tail, src, first);
	memcpy(r->buf, (const uint8_t *)src + first, n - first);
	r->len += n;
	return (long)n;
}

size_t pipe_ring_read(struct pipe_ring *r, void *dst, size_t n)
{
	if (n > r->len)
		n = r->len;
	size_t first = r->cap - r->head < n ? r->cap - r->head : n;
	if (n) {
		memcpy(dst, r->buf + r->head, first);
		memcpy((uint8_t *)dst + first, r->buf, n - first);
	}
	r->head = (r->head + n) % r->cap;
	r->len -= n;
	if (r->len == 0)
		pipe_ring_free(r); /* an idle pipe holds no buffer */
	return n;
}

long pipe_ring_resize(struct pipe_ring *r, uint64_t size)
{
	if (size > PIPE_RING_MAX)
		return -EINVAL;
	size_t cap = PIPE_RING_MIN;
	while (cap < size)
		cap <<= 1;
	if (r->len > cap)
		return -EBUSY;
	if (r->buf) { /* laid out from 0 in a new buffer */
		uint8_t *nb = malloc(cap);
		if (!nb)
			return -ENOMEM;
		size_t len = r->len;
		pipe_ring_read(r, nb, len); /* frees the old one */
		r->buf = nb;
		r->len = len;
	}
	r->head = 0;
	r->cap = cap;
	return (long)cap;
}
