/*
 * Dispatch: a packed Request becomes a struct call laid out by its table
 * row, runs handlers[nr], and its out-buffers become the Reply's data.
 * The relay validated the frame; we re-check sizes anyway so a bad frame
 * yields EINVAL, never a wild access.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "cage.h"
#include "lind.pb-c.h"
#include "procfs.h"
#include "protocol.h"
#include "server.h"
#include "signalfd.h"
#include "store.h"
#include "wire.h"
#include "wait.h"

struct server srv;

static srv_handler *const handlers[LIND_ROWS] = {
#define SYSCALL(nr, name, ...) [LIND_ROW_INDEX(nr)] = srv_##name,
#include "syscall_table.def"
#undef SYSCALL
};

srv_handler *srv_handler_for(uint32_t nr)
{
	int i = lind_row_index(nr);
	return i < 0 ? NULL : handlers[i];
}

/* Out-buffers and NUL-terminated paths of the call being served (one at a
 * time: the loop is single-threaded). */
static uint8_t scratch[LIND_MAX_IO + 8192] __attribute__((aligned(16)));
static char paths[2][LIND_MAX_PATH + 1];

/* Out-arguments' capacities by argument index; their indexes go to
 * c->outs (always all of them, so even an error reply carries one empty
 * entry per out-argument). */
static void layout_out(const struct lind_layout *l, struct call *c)
{
	c->nouts = 0;
	for (int i = 0; i < 6; i++) {
		if (!(l->arg[i].dir & LIND_DIR_OUT))
			continue;
		c->outs[c->nouts++] = (int8_t)i;
		c->out[i].cap = l->arg[i].size;
	}
}

/* The out-buffers in scratch (again for a re-run: the copy's are gone),
 * except a direct read's bulk buffer: the slot's data area, where the
 * store's bytes land for the client to copy once (Reply.area).  Whether
 * the call goes direct is decided here, each time: the cage may have
 * gone while the call was parked. */
static long place_out(struct call *c)
{
	size_t used = 0;
	long r = 0;
	uint8_t *area = srv_slot_area(c->cage, c->tag);
	int area_arg = area ? lind_area_arg(lind_syscall_row(c->nr),
					    LIND_DIR_OUT)
			    : -1;
	c->area_out = -1;
	for (int j = 0; j < c->nouts; j++) {
		int i = c->outs[j];
		c->out[i].len = 0;
		if (i == area_arg && c->out[i].cap <= LIND_MAX_IO) {
			c->out[i].buf = area;
			c->area_out = (int8_t)i;
			continue;
		}
		if (used + c->out[i].cap > sizeof scratch) {
			c->out[i].buf = NULL;
			c->out[i].cap = 0;
			r = -EINVAL;
			continue;
		}
		c->out[i].buf = scratch + used;
		used += (c->out[i].cap + 15) & ~(size_t)15;
	}
	return r;
}

/* Request.area's bytes: in the data area of the slot the tag names, read
 * from the server's own mapping of the channel (the relay forwards the
 * count only for a direct call).  The cage may change them meanwhile:
 * that changes only its own data; every length comes from the frame. */
static long area_in(const Lind__Request *rq, const struct lind_syscall *row,
		    const struct call *c, ProtobufCBinaryData *d)
{
	uint8_t *area = srv_slot_area(c->cage, c->tag);
	if (!area || rq->area > LIND_MAX_IO)
		return -EINVAL;
	*d = (ProtobufCBinaryData){rq->area, area};
	return lind_area_arg(row, LIND_DIR_IN);
}

/* In-data by argument index, checked against the layout. */
static long layout_in(const Lind__Request *rq, const struct lind_syscall *row,
		      const struct lind_layout *l, struct call *c)
{
	size_t k = 0;
	int npath = 0;
	ProtobufCBinaryData in_area;
	long area = rq->area ? area_in(rq, row, c, &in_area) : -1;
	if (rq->area && area < 0)
		return -EINVAL;
	for (int i = 0; i < 6; i++) {
		const struct lind_arg_layout *s = &l->arg[i];
		if (!(s->dir & LIND_DIR_IN))
			continue;
		if (i != area && k >= rq->n_data)
			return -EINVAL;
		const ProtobufCBinaryData *d =
			i == area ? &in_area : &rq->data[k++];
		if (d->len > LIND_MAX_IO)
			return -EINVAL;
		c->in[i].ptr = d->data;
		c->in[i].len = d->len;
		if (!s->path) {
			if (d->len != s->size)
				return -EINVAL;
			continue;
		}
		if (d->len >= LIND_MAX_PATH)
			return -ENAMETOOLONG;
		if (npath >= 2 || (d->len && memchr(d->data, 0, d->len)))
			return -EINVAL;
		if (d->len) /* "" may come as a NULL buffer */
			memcpy(paths[npath], d->data, d->len);
		paths[npath][d->len] = '\0';
		c->in[i].ptr = paths[npath++];
	}
	return k == rq->n_data ? 0 : -EINVAL;
}

static long decode(const Lind__Request *rq, const struct lind_syscall *row,
		   struct call *c)
{
	if (rq->n_args > 6)
		return -EINVAL;
	for (size_t i = 0; i < rq->n_args; i++)
		c->a[i] = rq->args[i];
	/* a slot the relay refuses (l.arg[i].bad) is served as its size
	 * says; the in-data must still be exactly what the layout sizes */
	struct lind_layout l;
	(void)lind_layout(row, c->a, &l);
	layout_out(&l, c);
	long r = place_out(c);
	return r < 0 ? r : layout_in(rq, row, &l, c);
}

static long run_handler(struct call *c)
{
	procfs_set_caller(c->cage->id); /* what /proc/self is */
	bind_set_caller(c->cage->binds); /* which binds it sees */
	signalfd_set_caller(c->cage); /* whose signals a signalfd shows */
	long r = srv_handler_for(c->nr)(c);
	signalfd_set_caller(NULL);
	bind_set_caller(NULL);
	procfs_set_caller(0);
	return r;
}

/* After the handler: sweeps, the journal, and the reply unless parked. */
static void answer(struct call *c, long r)
{
	bind_sweep(srv.vfs); /* host nodes the call made and nothing kept */
	procfs_sweep();      /* and proc nodes */
	/* The journal is written before the reply can be seen; a call whose
	 * records could not be written fails (docs/durability.md). */
	long flushed = store_flush(srv.store);
	if (flushed < 0 && r >= 0 && r != SRV_PARKED)
		r = flushed;
	if (r == SRV_PARKED)
		return;
	unsigned flags = r >= 0 && c->more ? SRV_REPLY_MORE : 0;
	if (c->pass_fd >= 0) {
		if (r >= 0) {
			srv_send_fd(c->cage, c->tag, c->pass_fd);
			flags |= SRV_REPLY_FD;
		}
		close(c->pass_fd);
		c->pass_fd = -1;
	}
	struct srv_data d[6];
	for (int j = 0; j < c->nouts; j++) {
		d[j].ptr = c->out[c->outs[j]].buf;
		d[j].len = r >= 0 ? c->out[c->outs[j]].len : 0;
		d[j].area = c->outs[j] == c->area_out;
	}
	if (r >= 0 && c->dequeue)
		flags |= c->dequeue << SRV_REPLY_DEQUEUE_SHIFT;
	srv_reply(c->cage, c->tag, r, d, (size_t)c->nouts, flags, c->sigmask);
}

long srv_rerun(struct call *c)
{
	c->more = false;
	c->dequeue = 0;
	uint64_t id = c->cage ? c->cage->id : 0;
	long r = place_out(c);
	if (r == 0)
		r = run_handler(c);
	c->cage = id ? cage_find(id) : NULL; /* as srv_dispatch */
	answer(c, r);
	return r;
}

void srv_dispatch(const void *req, size_t len)
{
	/* in place: in-data points into the ring's record, which stays
	 * until this returns (a parked call copies what it keeps) */
	struct lind_request_view view;
	if (lind_request_view(req, len, &view) < 0)
		return; /* no tag to answer: the relay never sends these */
	const Lind__Request *rq = &view.rq;
	struct call c;
	memset(&c, 0, sizeof c);
	c.pass_fd = -1;
	c.tag = rq->tag;
	c.nr = rq->nr;
	c.area_out = -1;
	c.cage = cage_find(rq->cage_id); /* whose slot's area decode uses */
	long r;
	const struct lind_syscall *row = lind_syscall_row(rq->nr);
	wait_begin(); /* calls it wakes run once it is answered */
	srv_handler *fn = srv_handler_for(rq->nr);
	if (!row || !fn)
		r = -ENOSYS;
	else if ((r = decode(rq, row, &c)) < 0)
		;
	else if (!c.cage || c.cage->state != CAGE_RUNNING)
		r = -ESRCH; /* an embryo makes no calls, a zombie no more */
	else {
		r = run_handler(&c);
		/* exit may have freed it: its answer goes by the ring */
		c.cage = cage_find(rq->cage_id);
	}
	answer(&c, r);
	wait_end();
}
