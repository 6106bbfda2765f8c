/*
 * lind_layout: the one place that turns a row's argument kinds and a
 * call's (wire) argument values into data entries and their sizes.
 * Pure and allocation-free: client-libc runs it in its SIGSYS handler.
 */
#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include "protocol.h"
#include "syscall.h"

static const char *const BAD_IN = "in-data length is not its length argument";
static const char *const BAD_CAP = "out-buffer capacity over LIND_MAX_IO";
static const char *const BAD_OBJ =
	"struct argument is neither NULL nor its size";

int64_t lind_max_count(unsigned elem)
{
	int64_t n = LIND_MAX_IO / (elem ? elem : 1);
	return elem > 1 && n > LIND_MAX_ELEMS ? LIND_MAX_ELEMS : n;
}

/* A length or capacity argument of units of elem bytes: within
 * 0..LIND_MAX_IO bytes (and LIND_MAX_ELEMS elements), else bad. */
static void sized(struct lind_arg_layout *s, int64_t v, unsigned elem,
		  const char *why)
{
	s->size = (size_t)v * elem;
	if (v >= 0 && v <= lind_max_count(elem))
		return;
	s->bad = why;
	/* an in-length no entry has; a capacity cut to what a frame holds */
	s->size = s->dir & LIND_DIR_IN ? SIZE_MAX : LIND_MAX_IO;
}

/* IOCTL_ARG: in, out, both or a number, by the row's request argument. */
static void ioctl_slot(const struct lind_syscall *row, const int64_t a[6],
		       int i, struct lind_arg_layout *s)
{
	int dir, req = lind_req_index(row);
	int size = lind_req_size(row, req < 0 ? 0 : (uint64_t)a[req], &dir);
	if (dir == LIND_IOCTL_PLAIN) {
		s->number = 1;
		return;
	}
	if (dir == LIND_IOCTL_NONE)
		return; /* a pointer the server never sees */
	s->dir = dir == LIND_IOCTL_IN ? LIND_DIR_IN
		 : dir == LIND_IOCTL_OUT ? LIND_DIR_OUT
					  : LIND_DIR_INOUT;
	s->size = (size_t)size;
	s->exact = 1;
	/* the slot itself carries the size; bound it as a capacity */
	if ((s->dir & LIND_DIR_OUT) && (a[i] < 0 || a[i] > LIND_MAX_IO))
		s->bad = BAD_CAP;
}

/* OBJ_*: the slot is 0 (NULL: no struct) or the struct's size. */
static void obj_slot(const struct lind_arg *g, int64_t v, struct lind_arg_layout *s)
{
	s->dir = (g->kind != LK_OBJ_OUT ? LIND_DIR_IN : 0) |
		 (g->kind != LK_OBJ_IN ? LIND_DIR_OUT : 0);
	s->exact = 1;
	s->size = v ? g->len : 0; /* a bad slot is taken as a pointer */
	if (v != 0 && v != g->len)
		s->bad = BAD_OBJ;
}

/* MSG_*: the slot's sizes, each within its bound and all within a
 * frame's entry; bits beyond the fields are bad. */
static void msg_slot(const struct lind_arg *g, int64_t v,
		     struct lind_arg_layout *s)
{
	struct lind_msg_sizes m = lind_msg_sizes(v);
	int out = g->kind == LK_MSG_OUT;
	s->dir = out ? LIND_DIR_OUT : LIND_DIR_IN;
	s->size = (size_t)m.name + m.ctl + m.data +
		  (out ? sizeof(struct lind_msg_head) : 0);
	if (v < 0 || (uint64_t)v >> 61 || m.name > LIND_MSG_NAME_MAX ||
	    m.ctl > LIND_MSG_CTL_MAX || s->size > LIND_MAX_IO) {
		s->bad = out ? BAD_CAP : BAD_IN;
		s->size = out ? LIND_MAX_IO : SIZE_MAX;
	}
}

int lind_msg_reply(const void *entry, size_t len, int64_t slot,
		   struct lind_msg_head *h, size_t off[3])
{
	struct lind_msg_sizes cap = lind_msg_sizes(slot);
	if (len < sizeof *h)
		return -EIO;
	memcpy(h, entry, sizeof *h);
	size_t name = h->namelen < cap.name ? h->namelen : cap.name;
	if (h->ctllen > cap.ctl || h->datalen > cap.data)
		return -EIO;
	off[0] = sizeof *h;
	off[1] = off[0] + name;
	off[2] = off[1] + h->ctllen;
	return off[2] + h->datalen == len ? 0 : -EIO;
}

static void lay_arg(const struct lind_syscall *row, const int64_t a[6], int i,
		    struct lind_arg_layout *s)
{
	const struct lind_arg *g = &row->arg[i];
	/* table invariant, see test_proto_table */
	assert(!lind_kind_has_len(g->kind) || g->len < 6);
	switch (g->kind) {
	case LK_NONE:
	case LK_PTR:
		return;
	case LK_PATH:
		s->dir = LIND_DIR_IN;
		s->path = 1;
		return;
	case LK_IN:
		s->dir = LIND_DIR_IN;
		sized(s, a[g->len], lind_arg_elem(g), BAD_IN);
		if ((row->flags & LF_E2BIG) && !s->bad &&
		    s->size > LIND_E2BIG_MAX) {
			s->bad = BAD_IN;
			s->size = SIZE_MAX;
		}
		return;
	case LK_IOV_IN: /* the slot carries the gathered total */
		s->dir = LIND_DIR_IN;
		s->iov = 1;
		sized(s, a[i], 1, BAD_IN);
		return;
	case LK_OUT:
		s->dir = LIND_DIR_OUT;
		sized(s, a[g->len], lind_arg_elem(g), BAD_CAP);
		return;
	case LK_IO: /* in whole, and back whole */
		s->dir = LIND_DIR_INOUT;
		s->exact = 1;
		sized(s, a[g->len], lind_arg_elem(g), BAD_IN);
		return;
	case LK_OUTL: /* the slot carries the capacity */
		s->dir = LIND_DIR_OUT;
		sized(s, a[i], 1, BAD_CAP);
		return;
	case LK_MSG_IN:
	case LK_MSG_OUT:
		msg_slot(g, a[i], s);
		return;
	case LK_IOV_OUT: /* the slot carries the total capacity */
		s->dir = LIND_DIR_OUT;
		s->iov = 1;
		sized(s, a[i], 1, BAD_CAP);
		return;
	case LK_STAT:
		s->dir = LIND_DIR_OUT;
		s->exact = 1;
		s->size = sizeof(struct stat);
		return;
	case LK_OBJ_IN:
	case LK_OBJ_OUT:
	case LK_OBJ_IO:
		obj_slot(g, a[i], s);
		return;
	case LK_IOCTL_ARG:
		ioctl_slot(row, a, i, s);
		return;
	default: /* plain integers */
		s->number = 1;
		return;
	}
}

int lind_layout(const struct lind_syscall *row, const int64_t a[6],
		struct lind_layout *l)
{
	int rc = 0;
	*l = (struct lind_layout){0};
	for (int i = 0; i < 6; i++) {
		struct lind_arg_layout *s = &l->arg[i];
		lay_arg(row, a, i, s);
		l->nin += (s->dir & LIND_DIR_IN) != 0;
		l->nout += (s->dir & LIND_DIR_OUT) != 0;
		if (s->bad && rc == 0)
			rc = -EINVAL;
	}
	return rc;
}

int lind_area_arg(const struct lind_syscall *row, unsigned dir)
{
	if (!row || !(row->flags & LF_SPLIT))
		return -1;
	int found = -1;
	for (int i = 0; i < 6; i++) {
		int k = row->arg[i].kind;
		bool in = k == LK_IN || k == LK_IOV_IN;
		bool out = k == LK_OUT || k == LK_IOV_OUT;
		if (!in && !out && !lind_kind_is_in(k) && !lind_kind_is_out(k) &&
		    k != LK_IOCTL_ARG)
			continue;
		if (found >= 0 || !(in || out))
			return -1; /* a second data argument: not ours */
		if ((in && dir == LIND_DIR_IN) || (out && dir == LIND_DIR_OUT))
			found = i;
		else
			return -1;
	}
	return found;
}
