/* A pipe's bytes: a ring of cap bytes (64 KiB by default, F_SETPIPE_SZ
 * changes it), allocated on the first write and freed whenever it runs
 * empty, so an idle pipe costs no buffer. */
#ifndef SRV_PIPE_RING_H
#define SRV_PIPE_RING_H

#include <stddef.h>
#include <stdint.h>

#define PIPE_RING_DEFAULT (64u << 10)
#define PIPE_RING_MIN 4096u      /* one page, as Linux's smallest */
#define PIPE_RING_MAX (1u << 20) /* /proc/sys/fs/pipe-max-size's default */

struct pipe_ring {
	uint8_t *buf; /* NULL while empty */
	size_t cap;   /* what it may hold */
	size_t head;  /* where the oldest byte is */
	size_t len;   /* bytes held */
};

void pipe_ring_init(struct pipe_ring *r);
void pipe_ring_free(struct pipe_ring *r);
static inline size_t pipe_ring_room(const struct pipe_ring *r)
{
	return r->cap - r->len;
}
/* Appends up to n bytes: how many, or -ENOMEM (nothing taken). */
long pipe_ring_write(struct pipe_ring *r, const void *src, size_t n);
/* Takes up to n bytes, oldest first: how many. */
size_t pipe_ring_read(struct pipe_ring *r, void *dst, size_t n);
/* F_SETPIPE_SZ: cap becomes size rounded up to a power of two pages; the
 * new capacity, -EINVAL (over PIPE_RING_MAX), -EBUSY (holds more). */
long pipe_ring_resize(struct pipe_ring *r, uint64_t size);

#endif
