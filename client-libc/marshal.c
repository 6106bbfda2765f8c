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

/* An array's count (an int, as the kernel reads it) clamped to what a
 * frame holds; a negative one stays, for the layout to refuse. */
static int64_t clamp_count(long n, unsigned elem)
{
	int c = (int)n;
	int max = (int)lind_max_count(elem);
	return c < max ? c : max;
}

/* Total of an iovec array, clamped to LIND_MAX_IO (the vectored rows are
 * SPLIT: a piece is never over it). */
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

/* OUTL: the socklen_t behind argument n is the capacity (clamped to a
 * frame; a negative one stays, for the layout to refuse).  A NULL buffer
 * sends its socklen as NULL too: the call then writes neither. */
static long outl_value(const struct lind_arg *g, const long a[6], int i,
		       int64_t sent[6])
{
	sent[i] = 0;
	if (!a[i] || !a[g->len])
		return 0;
	int cap = *(const int *)a[g->len];
	sent[i] = cap < 0 ? cap : (int64_t)clamp_io(cap);
	return 0;
}

/* Bytes in an iovec array, unclamped: -EMSGSIZE, -EINVAL, -EFAULT as
 * Linux's sendmsg/recvmsg say. */
static long msg_iov_total(const struct msghdr *m, size_t *total)
{
	if (m->msg_iovlen > IOV_MAX)
		return -EMSGSIZE;
	if (m->msg_iovlen && !m->msg_iov)
		return -EFAULT;
	size_t t = 0;
	for (size_t k = 0; k < m->msg_iovlen; k++) {
		if (m->msg_iov[k].iov_len > (size_t)SSIZE_MAX - t)
			return -EINVAL;
		if (m->msg_iov[k].iov_len && !m->msg_iov[k].iov_base)
			return -EFAULT;
		t += m->msg_iov[k].iov_len;
	}
	*total = t;
	return 0;
}

/* MSG_*: the msghdr's sizes packed in its slot (lind_msg_slot).  A name
 * over a sockaddr_storage is EINVAL to send and cut to one to receive;
 * control over LIND_MSG_CTL_MAX is ENOBUFS to send (Linux's optmem
 * limit) and cut to receive; the data is what fits in the frame with
 * them, `cut` said when it was more. */
static long msg_value(const struct lind_arg *g, const long a[6], int i,
		      int64_t sent[6])
{
	const struct msghdr *m = (const struct msghdr *)a[i];
	int out = g->kind == LK_MSG_OUT;
	size_t data;
	sent[i] = 0;
	if (!m)
		return -EFAULT;
	size_t name = m->msg_name ? m->msg_namelen : 0;
	size_t ctl = m->msg_controllen;
	if ((int)m->msg_namelen < 0)
		return -EINVAL;
	if (name > LIND_MSG_NAME_MAX) {
		if (!out)
			return -EINVAL;
		name = LIND_MSG_NAME_MAX;
	}
	if (ctl && !m->msg_control)
		return -EFAULT;
	if (ctl > LIND_MSG_CTL_MAX) {
		if (!out)
			return -ENOBUFS;
		ctl = LIND_MSG_CTL_MAX;
	}
	long r = msg_iov_total(m, &data);
	if (r < 0)
		return r;
	size_t room = LIND_MAX_IO - name - ctl -
		      (out ? sizeof(struct lind_msg_head) : 0);
	int cut = data > room;
	sent[i] = lind_msg_slot((uint32_t)name, (uint32_t)ctl,
				(uint32_t)(cut ? room : data), cut && !out);
	return 0;
}

/*
 * What the relay sees in argument i's slot (the wire value): a number as
 * is, a pointer as the size lind_layout reads there (a struct's, 0 for
 * NULL; an iovec array's total), a buffer's capacity argument clamped to
 * LIND_MAX_IO (a short read is legal), else 0.  An IOCTL_ARG slot gets
 * its size once the layout has it.  0, or -errno for an unusable iovec.
 */
static long wire_value(const struct lind_syscall *row, const long a[6],
		       int i, int64_t sent[6])
{
	const struct lind_arg *g = &row->arg[i];
	long t;
	switch (g->kind) {
	case LK_PATH: /* 1: NULL, not "" */
		sent[i] = !a[i] && (row->flags & LF_NULLPATH);
		return 0;
	case LK_OUT:
		sent[g->len] = g->elem > 1 ? clamp_count(a[g->len], g->elem)
					   : (int64_t)clamp_io(a[g->len]);
		sent[i] = 0;
		return 0;
	case LK_IOV_IN:
	case LK_IOV_OUT:
		t = iov_total((const struct iovec *)a[i], a[g->len]);
		sent[i] = t < 0 ? 0 : t;
		return t < 0 ? t : 0;
	case LK_OBJ_IN:
	case LK_OBJ_OUT:
	case LK_OBJ_IO:
		sent[i] = a[i] ? g->len : 0;
		return 0;
	case LK_OUTL:
		return outl_value(g, a, i, sent);
	case LK_MSG_IN:
	case LK_MSG_OUT:
		return msg_value(g, a, i, sent);
	case LK_IN:
	case LK_IO:
	case LK_STAT:
	case LK_PTR:
	case LK_IOCTL_ARG:
		sent[i] = 0;
		return 0;
	default:
		return 0; /* a number */
	}
}

/* Argument i's Request.data entry, from its caller's pointer p. */
static long plan_in(struct lind_plan *p, const struct lind_syscall *row,
		    int i, const struct lind_arg_layout *s, const void *ptr,
		    int64_t slot)
{
	struct lind_in *d = &p->in[p->nin++];
	*d = (struct lind_in){.p = ptr, .len = s->size};
	if (s->path) {
		if (!ptr) /* NULL, not "": sent as an empty entry */
			return row->flags & LF_NULLPATH ? 0 : -EFAULT;
		d->len = strnlen(ptr, LIND_MAX_PATH);
		return d->len == LIND_MAX_PATH ? -ENAMETOOLONG : 0;
	}
	if (s->iov)
		d->iov = ptr;
	if (row->arg[i].kind == LK_MSG_IN) {
		d->msg = ptr;
		d->slot = slot;
		return 0; /* its pointers were checked by msg_value */
	}
	return d->len && !ptr ? -EFAULT : 0;
}

/* Argument i's Reply.data destination. */
static long plan_out(struct lind_plan *p, const struct lind_syscall *row,
		     int i, const struct lind_arg_layout *s, void *ptr,
		     long iovcnt)
{
	struct lind_out *o = &p->out[p->nout++];
	*o = (struct lind_out){.p = ptr, .cap = s->size, .exact = s->exact};
	if (row->arg[i].kind == LK_MSG_OUT) {
		o->msg = ptr;
		o->slot = p->sent[i];
		return 0;
	}
	if (s->iov) {
		o->iov = ptr;
		o->iovcnt = iovcnt;
	}
	return o->cap && !ptr ? -EFAULT : 0;
}

/* An in-buffer with bytes to send: the area is for those (an empty
 * one is an empty entry, as Request.area 0 means "not used"). */
static int s_has_bytes(const struct lind_arg_layout *s)
{
	return !s->bad && s->size > 0 && s->size <= LIND_MAX_IO;
}

long lind_plan(struct lind_plan *p, long nr, const long a[6])
{
	if ((unsigned long)nr > UINT32_MAX)
		return -ENOSYS; /* cannot even be named in a frame */
	p->nr = (uint32_t)nr;
	p->nin = p->nout = 0;
	p->area_in = p->area_out = -1;
	for (int i = 0; i < 6; i++)
		p->sent[i] = a[i];
	const struct lind_syscall *row = lind_syscall_row((uint64_t)nr);
	if (!row)
		return 0; /* raw args, no data: the relay answers ENOSYS */
	long err[6];
	for (int i = 0; i < 6; i++)
		err[i] = wire_value(row, a, i, p->sent);
	for (int i = 0; i < 6; i++) /* a NULL OUTL buffer: its length too */
		if (row->arg[i].kind == LK_OUTL && !a[i])
			p->sent[row->arg[i].len] = 0;
	struct lind_layout l;
	(void)lind_layout(row, p->sent, &l);
	int area_in = lind_area_arg(row, LIND_DIR_IN);
	int area_out = lind_area_arg(row, LIND_DIR_OUT);
	/* errors in argument order, as the relay would find them */
	for (int i = 0; i < 6; i++) {
		if (i == area_in && s_has_bytes(&l.arg[i]))
			p->area_in = p->nin;
		if (i == area_out)
			p->area_out = p->nout;
		const struct lind_arg_layout *s = &l.arg[i];
		long r = err[i];
		if (row->arg[i].kind == LK_IOCTL_ARG)
			p->sent[i] = s->number ? a[i] : (int64_t)s->size;
		if (r == 0 && s->bad) /* an in-buffer over LIND_MAX_IO:
				       * only SPLIT rows carry more */
			r = (row->flags & LF_E2BIG) && (s->dir & LIND_DIR_IN)
				    ? -E2BIG : -EINVAL;
		if (r == 0 && (s->dir & LIND_DIR_IN))
			r = plan_in(p, row, i, s, (const void *)a[i],
				    p->sent[i]);
		if (r == 0 && (s->dir & LIND_DIR_OUT))
			r = plan_out(p, row, i, s, (void *)a[i],
				     s->iov ? a[row->arg[i].len] : 0);
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

static uint8_t *put_iov(uint8_t *o, const struct iovec *v, size_t left)
{
	for (; left; v++) {
		size_t n = v->iov_len < left ? v->iov_len : left;
		if (n)
			memcpy(o, v->iov_base, n);
		o += n;
		left -= n;
	}
	return o;
}

/* MSG_IN: name, control, data (the sizes the slot says). */
static uint8_t *put_msg(uint8_t *o, const struct lind_in *d)
{
	struct lind_msg_sizes m = lind_msg_sizes(d->slot);
	if (m.name)
		memcpy(o, d->msg->msg_name, m.name);
	o += m.name;
	if (m.ctl)
		memcpy(o, d->msg->msg_control, m.ctl);
	return put_iov(o + m.ctl, d->msg->msg_iov, m.data);
}

static uint8_t *put_in(uint8_t *o, const struct lind_in *d)
{
	if (d->msg)
		return put_msg(o, d);
	if (!d->iov) {
		if (d->len)
			memcpy(o, d->p, d->len);
		return o + d->len;
	}
	return put_iov(o, d->iov, d->len);
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
	/* the bulk bytes gathered once, into the slot's area: the relay
	 * forwards only their count when the server maps the channel */
	int area = cap >= LIND_MAX_FRAME ? p->area_in : -1;
	if (area >= 0) {
		req.area = (uint32_t)p->in[area].len;
		cap = LIND_AREA_OFF;
	}
	uint32_t tag = data_tag();
	size_t len = protobuf_c_message_get_packed_size(&req.base);
	for (int k = 0; k < p->nin; k++)
		if (k != area)
			len += varint_size(tag) + varint_size(p->in[k].len) +
			       p->in[k].len;
	if (len > cap)
		return -E2BIG;
	uint8_t *o = buf + protobuf_c_message_pack(&req.base, buf);
	for (int k = 0; k < p->nin; k++) {
		if (k == area) {
			put_in(buf + LIND_AREA_OFF, &p->in[k]);
			continue;
		}
		o = put_varint(o, tag);
		o = put_varint(o, p->in[k].len);
		o = put_in(o, &p->in[k]);
	}
	assert(o == buf + len);
	return (long)len;
}

static int fits(const struct lind_out *o, const ProtobufCBinaryData *d)
{
	struct lind_msg_head h;
	size_t off[3];
	if (o->msg) /* its head says how it splits */
		return d && lind_msg_reply(d->data, d->len, o->slot, &h,
					   off) == 0;
	if (!d) /* no entry: nothing written, unless a struct was due */
		return !o->exact || o->cap == 0;
	return o->exact ? d->len == o->cap : d->len <= o->cap;
}

static void scatter(const struct iovec *iov, long cnt, const uint8_t *p,
		    size_t len)
{
	size_t done = 0;
	for (long i = 0; i < cnt && done < len; i++) {
		size_t n = len - done;
		if (n > iov[i].iov_len)
			n = iov[i].iov_len;
		if (n)
			memcpy(iov[i].iov_base, p + done, n);
		done += n;
	}
}

/* MSG_OUT (checked by fits): the name, control and data where the
 * msghdr says, and its lengths and flags as recvmsg leaves them. */
static void copy_msg(const struct lind_out *o, const ProtobufCBinaryData *d)
{
	struct lind_msg_head h;
	size_t off[3];
	struct msghdr *m = o->msg;
	(void)lind_msg_reply(d->data, d->len, o->slot, &h, off);
	if (off[1] > off[0])
		memcpy(m->msg_name, d->data + off[0], off[1] - off[0]);
	if (m->msg_name)
		m->msg_namelen = h.namelen;
	if (h.ctllen)
		memcpy(m->msg_control, d->data + off[1], h.ctllen);
	m->msg_controllen = h.ctllen;
	scatter(m->msg_iov, (long)m->msg_iovlen, d->data + off[2], h.datalen);
	m->msg_flags = (int)h.flags;
}

static void copy_out(const struct lind_out *o, const ProtobufCBinaryData *d)
{
	if (o->msg) {
		copy_msg(o, d);
		return;
	}
	if (!o->iov) {
		if (d->len)
			memcpy(o->p, d->data, d->len);
		return;
	}
	scatter(o->iov, o->iovcnt, d->data, d->len);
}


/* The Reply's out entries by plan index: Reply.area stands for the
 * area_out entry, the data entries for the others in order.  false when
 * they do not add up. */
static bool reply_entries(const struct lind_plan *p, const Lind__Reply *rep,
			  const uint8_t *area, ProtobufCBinaryData *e,
			  size_t *n)
{
	size_t d = 0;
	bool in_area = rep->area != 0;
	if (in_area && (!area || p->area_out < 0 || rep->area > LIND_MAX_IO))
		return false;
	*n = 0;
	for (int k = 0; k < p->nout; k++) {
		if (in_area && k == p->area_out)
			e[k] = (ProtobufCBinaryData){rep->area, (uint8_t *)area};
		else if (d < rep->n_data)
			e[k] = rep->data[d++];
		else
			break;
		*n = (size_t)k + 1;
	}
	return d == rep->n_data && (!in_area || *n > (size_t)p->area_out);
}

long lind_unmarshal(const struct lind_plan *p, const uint8_t *frame,
		    size_t len, const uint8_t *area, int *flags,
		    uint64_t *sigmask)
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
		 (rep->fd ? LIND_REPLY_FD : 0) |
		 (int)(rep->dequeue & 3) << LIND_REPLY_DEQUEUE_SHIFT;
	*sigmask = rep->sigmask;
	if (rep->result < 0)
		return rep->result; /* out-data of a failed call is ignored */
	ProtobufCBinaryData e[6];
	size_t n;
	if (rep->n_data > (size_t)p->nout ||
	    !reply_entries(p, rep, area, e, &n))
		return -EIO;
	for (int k = 0; k < p->nout; k++)
		if (!fits(&p->out[k], (size_t)k < n ? &e[k] : NULL))
			return -EIO;
	for (size_t k = 0; k < n; k++)
		copy_out(&p->out[k], &e[k]);
	return rep->result;
}
