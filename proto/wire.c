/* Request and Reply frames parsed in place (wire.h). */
#include <errno.h>

#include <limits.h>
#include <stdatomic.h>

#include "futex.h"
#include "protocol.h"
#include "wire.h"

enum { WT_VARINT = 0, WT_LEN = 2 };

struct field {
	uint32_t num;
	unsigned wt;
	uint64_t v;          /* a varint's value, or a length */
	const uint8_t *data; /* WT_LEN: the bytes */
};

static int get_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	uint64_t x = 0;
	for (unsigned shift = 0; shift <= 63 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		x |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*v = x;
			return 0;
		}
	}
	return -EINVAL; /* cut short, or longer than 10 bytes */
}

/* Only the two wire types our messages use; anything else is malformed. */
static int next_field(const uint8_t **p, const uint8_t *end, struct field *f)
{
	uint64_t key;
	if (get_varint(p, end, &key) < 0 || key >> 32 || key >> 3 == 0)
		return -EINVAL;
	f->num = (uint32_t)(key >> 3);
	f->wt = (unsigned)(key & 7);
	if (f->wt == WT_VARINT)
		return get_varint(p, end, &f->v);
	if (f->wt != WT_LEN || get_varint(p, end, &f->v) < 0 ||
	    f->v > (uint64_t)(end - *p))
		return -EINVAL;
	f->data = *p;
	*p += f->v;
	return 0;
}

static int64_t unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static int add_bytes(ProtobufCBinaryData *arr, size_t *n, const struct field *f)
{
	if (f->wt != WT_LEN || *n >= LIND_VIEW_MAX)
		return -EINVAL;
	arr[*n].len = (size_t)f->v;
	arr[*n].data = (uint8_t *)f->data;
	++*n;
	return 0;
}

/* args: one varint, or a packed run of them */
static int add_args(struct lind_request_view *v, const struct field *f)
{
	Lind__Request *rq = &v->rq;
	if (f->wt == WT_VARINT) {
		if (rq->n_args >= LIND_VIEW_MAX)
			return -EINVAL;
		v->args[rq->n_args++] = unzigzag(f->v);
		return 0;
	}
	const uint8_t *p = f->data, *end = f->data + f->v;
	while (p < end) {
		uint64_t x;
		if (rq->n_args >= LIND_VIEW_MAX || get_varint(&p, end, &x) < 0)
			return -EINVAL;
		v->args[rq->n_args++] = unzigzag(x);
	}
	return 0;
}

static int request_field(struct lind_request_view *v, const struct field *f)
{
	Lind__Request *rq = &v->rq;
	switch (f->num) {
	case 1:
	case 2:
	case 3:
	case 6:
		if (f->wt != WT_VARINT)
			return -EINVAL;
		if (f->num == 1)
			rq->cage_id = f->v;
		else if (f->num == 2)
			rq->tag = f->v;
		else if (f->num == 3)
			rq->nr = (uint32_t)f->v;
		else /* a count beyond 32 bits cannot be a length */
			rq->area = f->v > UINT32_MAX ? UINT32_MAX : (uint32_t)f->v;
		return 0;
	case 4:
		return add_args(v, f);
	case 5:
		return add_bytes(v->data, &rq->n_data, f);
	default:
		return -EINVAL;
	}
}

int lind_request_view(const uint8_t *buf, size_t len,
		      struct lind_request_view *v)
{
	v->rq = (Lind__Request)LIND__REQUEST__INIT;
	v->rq.args = v->args;
	v->rq.data = v->data;
	for (const uint8_t *p = buf, *end = buf + len; p < end;) {
		struct field f;
		if (next_field(&p, end, &f) < 0 || request_field(v, &f) < 0)
			return -EINVAL;
	}
	return 0;
}

static int reply_field(struct lind_reply_view *v, const struct field *f)
{
	Lind__Reply *rep = &v->rep;
	if (f->num == 3)
		return add_bytes(v->data, &rep->n_data, f);
	if (f->num < 1 || f->num > 8 || f->wt != WT_VARINT)
		return -EINVAL;
	if (f->num == 1)
		rep->tag = f->v;
	else if (f->num == 2)
		rep->result = unzigzag(f->v);
	else if (f->num == 4)
		rep->more = f->v != 0;
	else if (f->num == 5)
		rep->fd = f->v != 0;
	else if (f->num == 6)
		rep->dequeue = (uint32_t)f->v;
	else if (f->num == 7)
		rep->sigmask = f->v;
	else
		rep->area = f->v > UINT32_MAX ? UINT32_MAX : (uint32_t)f->v;
	return 0;
}

int lind_reply_view(const uint8_t *buf, size_t len, struct lind_reply_view *v)
{
	v->rep = (Lind__Reply)LIND__REPLY__INIT;
	v->rep.data = v->data;
	for (const uint8_t *p = buf, *end = buf + len; p < end;) {
		struct field f;
		if (next_field(&p, end, &f) < 0 || reply_field(v, &f) < 0)
			return -EINVAL;
	}
	return 0;
}

void lind_slot_reply(struct lind_slot *s, const Lind__Reply *rep)
{
	size_t n = lind__reply__get_packed_size(rep);
	if (n > LIND_MAX_FRAME) {
		Lind__Reply err = LIND__REPLY__INIT;
		err.tag = rep->tag;
		err.result = -EIO;
		n = lind__reply__pack(&err, s->buf);
	} else {
		lind__reply__pack(rep, s->buf);
	}
	s->len = (uint32_t)n;
	/* seq_cst: pairs with the client's waiting=1 before its re-check */
	atomic_store(&s->state, LIND_SLOT_REPLIED);
	if (atomic_load(&s->waiting))
		lind_futex_wake(&s->state, INT_MAX);
}
