/* Request and Reply frames parsed in place: bytes fields point into the
 * frame instead of being copied (protobuf-c's unpack copies every data
 * entry and mallocs; on the per-call path that was one more pass over up
 * to LIND_MAX_IO bytes at each of the three parties).  Stricter than
 * protobuf-c: an unknown field, a wire type a field does not have, or
 * more than LIND_VIEW_MAX entries of a repeated field make the frame
 * malformed (the relay refuses unknown fields anyway). */
#ifndef LIND_WIRE_H
#define LIND_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "lind.pb-c.h"

#define LIND_VIEW_MAX 16

struct lind_request_view {
	Lind__Request rq; /* args and data point into the arrays below */
	int64_t args[LIND_VIEW_MAX];
	ProtobufCBinaryData data[LIND_VIEW_MAX]; /* into the frame */
};

struct lind_reply_view {
	Lind__Reply rep;
	ProtobufCBinaryData data[LIND_VIEW_MAX]; /* into the frame */
};

/* 0, or -EINVAL for a malformed frame.  The frame must outlive the view
 * and must not change under it (parse a private copy). */
int lind_request_view(const uint8_t *buf, size_t len,
		      struct lind_request_view *v);
int lind_reply_view(const uint8_t *buf, size_t len, struct lind_reply_view *v);

struct lind_slot;
/* rep packed into a channel slot (-EIO instead when it does not fit),
 * then REPLIED, the client woken if it sleeps: the relay's answer and the
 * server's direct one. */
void lind_slot_reply(struct lind_slot *s, const Lind__Reply *rep);

#endif
