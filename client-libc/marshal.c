/*
 * Marshalling, driven only by the call's table row: which arguments become
 * Request.data entries (in-kinds), what the relay sees in each argument
 * slot, and where each Reply.data entry (out-kinds) is copied back.  Plain
 * functions with no channel behind them, so the unit tests link this file
 * alone.  Runs in the SIGSYS handler: no malloc, errno untouched.
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/stat.h>

#include "client.h"
#include "lind.pb-c.h"
#include "wire.h"

static size_t clamp_io(long n)
{
	return (unsigned long)n > LIND_MAX_IO ? LIND_MAX_IO : (size_t)n;
}

/* Byte size of an IOCTL_ARG argument, by the row's request argument
 * (an ioctl request or an fcntl command). */
static int ioctl_arg(const struct lind_syscall *row, const long a[6],
		     int *dir)
{
	int i = lind_req_index(row);
	return lind_req_size(row, i < 0 ? 0 : (uint64_t)a[i], dir);
}

/* Total of an iovec array, clamped to LIND_MAX_IO (a short transfer). */
static long iov_total(const struct iovec *iov, long cnt)
{
	if (cnt < 0 || cnt > IOV_MAX)
		return -EINVAL;
	if (cnt && !iov)
		return -EFAULT;
	size_t t = 0;
	for (long i = 0; i < cnt; i++) {
		if (iov[i].iov_len > (size_t)SSIZE_MAX - t)
			return -EINVAL;
		if (iov[i].iov_len && !iov[i].iov_base)
			return -EFAULT;
		t += iov[i].iov_len;
	}
	return (long)clamp_io((long)t);
}

/* In-kind argument i: one data entry; its slot is sent as 0, or as the
 * gathered total for IOV_IN. */
static long plan_in(struct lind_plan *p, const struct lind_syscall *row,
		    const struct lind_arg *g, const long a[6], int i)
{
	struct lind_in *d = &p->in[p->nin++];
	long t;
	*d = (struct lind_in){.p = (const void *)a[i]};
	p->sent[i] = 0;
	switch (g->kind) {
	case LK_OBJ_IN:
	case LK_OBJ_IO: /* NULL: no struct, an empty entry */
		d->len = d->p ? g->len : 0;
		p->sent[i] = (int64_t)d->len;
		return 0;
	case LK_PATH:
		if (!d->p && (row->flags & LF_NULLPATH)) {
			p->sent[i] = 1; /* NULL, not "" */
			return 0;
		}
		if (!d->p)
			return -EFAULT;
		d->len = strnlen(d->p, LIND_MAX_PATH);
		return d->len == LIND_MAX_PATH ? -ENAMETOOLONG : 0;
	case LK_IN:
		d->len = (size_t)a[g->len];
		if (d->len > LIND_MAX_IO)
			return -EINVAL; /* only SPLIT rows carry more */
		return d->len && !d->p ? -EFAULT : 0;
	default: /* LK_IOV_IN */
		if ((t = iov_total(d->p, a[g->len])) < 0)
			return t;
		d->iov = d->p;
		d->len = (size_t)t;
		p->sent[i] = t;
		return 0;
	}
}

/* Out-kind argument i: one destination; OUT's capacity argument and an
 * IOV_OUT slot are clamped to LIND_MAX_IO (a short read is legal). */
static long plan_out(struct lind_plan *p, const struct lind_arg *g,
		     const long a[6], int i, int isz)
{
	struct lind_out *o = &p->out[p->nout++];
	long t;
	*o = (struct lind_out){.p = (void *)a[i]};
	p->sent[i] = 0;
	switch (g->kind) {
	case LK_OUT:
		o->cap = clamp_io(a[g->len]);
		p->sent[g->len] = (int64_t)o->cap;
		break;
	case LK_IOV_OUT:
		if ((t = iov_total(o->p, a[g->len])) < 0)
			return t;
		o->iov = o->p;
		o->iovcnt = a[g->len];
		o->cap = (size_t)t;
		p->sent[i] = t;
		return 0;
	case LK_STAT:
		o->cap = sizeof(struct stat);
		o->exact = 1;
		break;
	case LK_OBJ_OUT:
	case LK_OBJ_IO: /* NULL: nothing to write back */
		o->cap = o->p ? g->len : 0;
		o->exact = 1;
		p->sent[i] = (int64_t)o->cap;
		return 0;
	default: /* LK_IOCTL_ARG, direction OUT */
		o->cap = (size_t)isz;
		o->exact = 1;
		p->sent[i] = isz;
		break;
	}
	return o->cap && !o->p ? -EFAULT : 0;
}

long lind_plan(struct lind_plan *p, long nr, const long a[6])
{
	if ((unsigned long)nr > UINT32_MAX)
		return -ENOSYS; /* cannot even be named in a frame */
	p->nr = (uint32_t)nr;
	p->nin = p->nout = 0;
	for (int i = 0; i < 6; i++)
		p->sent[i] = a[i];
	const struct lind_syscall *row = lind_syscall_row((uint64_t)nr);
	if (!row)
		return 0; /* raw args, no data: the relay answers ENOSYS */
	int dir, isz = ioctl_arg(row, a, &dir);
	for (int i = 0; i < 6; i++) {
		const struct lind_arg *g = &row->arg[i];
		int k = g->kind;
		long r = 0;
		assert(!lind_kind_has_len(k) || g->len < 6);
		if (k == LK_IOCTL_ARG &&
		    (dir == LIND_IOCTL_IN || dir == LIND_IOCTL_IO)) {
			p->in[p->nin++] = (struct lind_in){(void *)a[i], 0,
							   (size_t)isz};
			p->sent[i] = isz;
			r = a[i] ? 0 : -EFAULT;
			if (r == 0 && dir == LIND_IOCTL_IO)
				r = plan_out(p, g, a, i, isz);
		} else if (k == LK_IOCTL_ARG && dir == LIND_IOCTL_OUT) {
			r = plan_out(p, g, a, i, isz);
		} else if (k == LK_IOCTL_ARG && dir == LIND_IOCTL_PLAIN) {
			; /* a number: sent as is */
		} else if (k == LK_IOCTL_ARG || k == LK_PTR) {
			p->sent[i] = 0; /* a pointer the server never sees */
		} else {
			if (lind_kind_is_in(k))
				r = plan_in(p, row, g, a, i);
			if (r == 0 && lind_kind_is_out(k))
				r = plan_out(p, g, a, i, isz);
		}
		if (r < 0)
			return r;
	}
	return 0;
}

/* Request.data's wire tag, from the generated descriptor so the field
 * number lives only in lind.proto.  Racing threads store the same value. */
static uint32_t data_tag(void)
{
	static _Atomic uint32_t tag;
	uint32_t t = atomic_load_explicit(&tag, memory_order_relaxed);
	if (!t) {
		const ProtobufCFieldDescriptor *f =
			protobuf_c_message_descriptor_get_field_by_name(
				&lind__request__descriptor, "data");
		assert(f && f->type == PROTOBUF_C_TYPE_BYTES &&
		       f->label == PROTOBUF_C_LABEL_REPEATED);
		t = f->id << 3 | 2; /* wire type 2: length-delimited */
		atomic_store_explicit(&tag, t, memory_order_relaxed);
	}
	return t;
}

static size_t varint_size(uint64_t v)
{
	size_t n = 1;
	for (; v >= 0x80; v >>= 7)
		n++;
	return n;
}

static uint8_t *put_varint(uint8_t *o, uint64_t v)
{
	for (; v >= 0x80; v >>= 7)
		*o++ = (uint8_t)(v | 0x80);
	*o++ = (uint8_t)v;
	return o;
}

static uint8_t *put_in(uint8_t *o, const struct lind_in *d)
{
	if (!d->iov) {
		if (d->len)
			memcpy(o, d->p, d->len);
		return o + d->len;
	}
	size_t left = d->len;
	for (const struct iovec *v = d->iov; left; v++) {
		size_t n = v->iov_len < left ? v->iov_len : left;
		if (n)
			memcpy(o, v->iov_base, n);
		o += n;
		left -= n;
	}
	return o;
}

/*
 * protobuf-c packs Request{nr, args} (data left empty) straight into the
 * slot; each data entry is then appended as the repeated field's own
 * encoding, so iovecs are gathered in place and no buffer is copied twice.
 */
long lind_marshal(uint8_t *buf, size_t cap, const struct lind_plan *p)
{
	Lind__Request req = LIND__REQUEST__INIT;
	req.nr = p->nr;
	req.n_args = 6;
	req.args = (int64_t *)p->sent;
	uint32_t tag = data_tag();
	size_t len = protobuf_c_message_get_packed_size(&req.base);
	for (int k = 0; k < p->nin; k++)
		len += varint_size(tag) + varint_size(p->in[k].len) +
		       p->in[k].len;
	if (len > cap)
		return -E2BIG;
	uint8_t *o = buf + protobuf_c_message_pack(&req.base, buf);
	for (int k = 0; k < p->nin; k++) {
		o = put_varint(o, tag);
		o = put_varint(o, p->in[k].len);
		o = put_in(o, &p->in[k]);
	}
	assert(o == buf + len);
	return (long)len;
}

static int fits(const struct lind_out *o, const ProtobufCBinaryData *d)
{
	if (!d) /* no entry: nothing written, unless a struct was due */
		return !o->exact || o->cap == 0;
	return o->exact ? d->len == o->cap : d->len <= o->cap;
}

static void copy_out(const struct lind_out *o, const ProtobufCBinaryData *d)
{
	if (!o->iov) {
		if (d->len)
			memcpy(o->p, d->data, d->len);
		return;
	}
	size_t done = 0;
	for (long i = 0; i < o->iovcnt && done < d->len; i++) {
		size_t n = d->len - done;
		if (n > o->iov[i].iov_len)
			n = o->iov[i].iov_len;
		if (n)
			memcpy(o->iov[i].iov_base, d->data + done, n);
		done += n;
	}
}


long lind_unmarshal(const struct lind_plan *p, const uint8_t *frame,
		    size_t len, int *flags)
{
	/* In place: out-data is copied once, from the slot to the caller's
	 * buffers, after fits() checked every entry against what the call
	 * can take; a few hundred bytes of stack (a signal handler may run
	 * on a small alternate stack). */
	struct lind_reply_view view;
	if (lind_reply_view(frame, len, &view) < 0)
		return -EIO;
	const Lind__Reply *rep = &view.rep;
	*flags = (rep->more ? LIND_REPLY_MORE : 0) |
		 (rep->fd ? LIND_REPLY_FD : 0);
	if (rep->result < 0)
		return rep->result; /* out-data of a failed call is ignored */
	if (rep->n_data > (size_t)p->nout)
		return -EIO;
	for (int k = 0; k < p->nout; k++)
		if (!fits(&p->out[k],
			  (size_t)k < rep->n_data ? &rep->data[k] : NULL))
			return -EIO;
	for (size_t k = 0; k < rep->n_data; k++)
		copy_out(&p->out[k], &rep->data[k]);
	return rep->result;
}
