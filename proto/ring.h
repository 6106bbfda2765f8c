/* Single-producer single-consumer record ring in shared memory. */
#ifndef LIND_RING_H
#define LIND_RING_H

#include <stdbool.h>
#include <stdint.h>

#include "protocol.h"

void lind_ring_init(struct lind_ring *r);

/* Producer: room for len bytes, or NULL when full (r->producer_waiting is
 * then set so the consumer kicks the producer after draining). */
void *lind_ring_reserve(struct lind_ring *r, uint32_t len);
/* Producer: publish the reserved record of len bytes.  Returns true when
 * the consumer sleeps and must be woken (futex on r->seq or a doorbell). */
bool lind_ring_commit(struct lind_ring *r, uint32_t len);

/* Consumer: the next record, or NULL when empty. */
const void *lind_ring_peek(struct lind_ring *r, uint32_t *len);
/* Consumer: drop the record peek returned.  Returns true when the producer
 * found the ring full and waits to be told there is room. */
bool lind_ring_release(struct lind_ring *r);

/* Consumer about to sleep: set consumer_sleeping and recheck.  Returns
 * true if a record arrived meanwhile (do not sleep; flag cleared). */
bool lind_ring_prepare_sleep(struct lind_ring *r);
void lind_ring_awake(struct lind_ring *r);
/* Consumer woken by futex on r->seq: sleeps until the producer commits,
 * at most timeout_ms (which only bounds how long a stop request waits). */
void lind_ring_sleep(struct lind_ring *r, int timeout_ms);

#endif
