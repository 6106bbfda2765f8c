/*
 * lind_syscall(): the single entry point.  The stubs (stubs.c) and the
 * SIGSYS handler (trap.c) both land here; marshalling is driven only by
 * the table row (marshal.c), so a trapped raw syscall and a libc stub make
 * the same frame.  Returns >= 0 or -errno and never touches errno.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <sys/syscall.h>

#include "client.h"

/* The relay is gone, so no answer will come: the calls that need none
 * still do what they would (their hook's offline answer); anything else is
 * fatal. */
static long without_relay(long nr, const long a[6])
{
	const struct lind_hook *h = lind_hook_for((uint32_t)nr);
	if (h && h->offline)
		return h->offline(nr, a);
	lind_host_fatal("lind: relay connection lost\n");
}

/* A read of a signalfd, finished here (signalfd.c): the buffer of read,
 * the iovec array of readv and preadv2 (the server answers no other). */
static long dequeue_signals(struct lind_client *cl, long nr, const long a[6],
			    uint64_t mask, bool wait)
{
	if (nr == LIND_SYS_read) {
		struct iovec one = {(void *)a[1], (size_t)a[2]};
		return lind_signalfd_read(cl, &one, 1, mask, wait);
	}
	if (nr == LIND_SYS_readv || nr == LIND_SYS_preadv2)
		return lind_signalfd_read(cl, (const struct iovec *)a[1],
					  (int)a[2], mask, wait);
	return -EIO; /* the server answered a call it never does so */
}

/* One frame through one slot: plan, pack in place, wait, copy out; an
 * answer with a host fd (Reply.fd) is that fd's number here. */
static long call_once(struct lind_client *cl, long nr, const long a[6],
		      int *flags)
{
	struct lind_plan p;
	long r = lind_plan(&p, nr, a);
	if (r < 0)
		return r; /* e.g. ENAMETOOLONG: nothing is sent */
	struct lind_slot *s = lind_chan_claim(cl);
	if (!s)
		return without_relay(nr, a);
	r = lind_marshal(s->buf, sizeof s->buf, &p);
	if (r >= 0) {
		r = lind_chan_call(cl, s, (uint32_t)r, nr);
		if (r == -EPIPE) {
			lind_chan_release(cl, s);
			return without_relay(nr, a);
		}
	}
	*flags = 0;
	uint64_t sigmask = 0;
	if (r >= 0)
		r = lind_unmarshal(&p, s->buf, (size_t)r,
				   s->buf + LIND_AREA_OFF, flags, &sigmask);
	if (*flags & LIND_REPLY_FD) { /* taken whatever r is: never left over */
		long fd = lind_hostfd_take(cl, (uint32_t)(s - cl->chan->slot));
		if (r >= 0 || fd < 0)
			r = fd;
		else
			lind_host_magic(SYS_close, fd, 0, 0);
	}
	lind_chan_release(cl, s);
	int dequeue = *flags >> LIND_REPLY_DEQUEUE_SHIFT;
	if (r >= 0 && dequeue) /* a signalfd's read, readv or preadv2 */
		r = dequeue_signals(cl, nr, a, sigmask,
				    dequeue == LIND_DEQUEUE_WAIT);
	/* a write to a pipe or socket nobody reads: the kernel's SIGPIPE,
	 * to this thread (a send's MSG_NOSIGNAL spares it); a program that
	 * ignores it just sees EPIPE */
	if (r == -EPIPE && (nr == LIND_SYS_write || nr == LIND_SYS_writev ||
			    nr == LIND_SYS_pwritev2 || nr == LIND_SYS_sendfile ||
			    (nr == LIND_SYS_sendto && !(a[3] & MSG_NOSIGNAL)) ||
			    (nr == LIND_SYS_sendmsg && !(a[2] & MSG_NOSIGNAL))))
		lind_signal_self_thread(SIGPIPE);
	return r;
}

/* The row's buffer argument (IN, OUT or an iovec array) and the index of
 * its length (or count). */
static int split_arg(const struct lind_syscall *row, int *len, int *out,
		     int *iov)
{
	for (int i = 0; i < 6; i++) {
		int k = row->arg[i].kind;
		if (k == LK_IN || k == LK_OUT || k == LK_IOV_IN || k == LK_IOV_OUT) {
			*len = row->arg[i].len;
			*out = k == LK_OUT || k == LK_IOV_OUT;
			*iov = k == LK_IOV_IN || k == LK_IOV_OUT;
			return i;
		}
	}
	return -1;
}

/* The p* calls' offset argument (3), advanced from piece to piece; -1 for
 * the others, and for preadv2/pwritev2 at offset -1 (the description's). */
static int split_offset(long nr, const long a[6])
{
	if (nr == LIND_SYS_pread64 || nr == LIND_SYS_pwrite64 ||
	    nr == LIND_SYS_preadv || nr == LIND_SYS_pwritev)
		return 3;
	if ((nr == LIND_SYS_preadv2 || nr == LIND_SYS_pwritev2) && a[3] != -1)
		return 3;
	return -1;
}

/* Where a split call is: the next piece starts at byte off of element k
 * (an iovec array) or at byte done of the buffer. */
struct split {
	const struct iovec *v;
	long cnt, k;
	size_t off;
	struct iovec one; /* a piece of one element over LIND_MAX_IO */
};

/* An iovec array's total when it is one to split, else 0 (one call, whose
 * marshalling reports what is wrong with it). */
static long iov_split_total(const struct iovec *v, long cnt)
{
	size_t t = 0;
	if (cnt <= 0 || cnt > IOV_MAX || !v)
		return 0;
	for (long i = 0; i < cnt; i++) {
		if (v[i].iov_len > (size_t)SSIZE_MAX - t ||
		    (v[i].iov_len && !v[i].iov_base))
			return 0;
		t += v[i].iov_len;
	}
	return (long)t;
}

/* The next piece of the array: whole elements while they fit in
 * LIND_MAX_IO, else a part of one; its array and count into b, its bytes
 * returned.  No copy of the array (the SIGSYS handler's stack is small). */
static long iov_piece(struct split *s, long b[6], int i, int n)
{
	size_t len = 0;
	long m = 0;
	while (s->off == 0 && s->k + m < s->cnt &&
	       len + s->v[s->k + m].iov_len <= LIND_MAX_IO)
		len += s->v[s->k + m++].iov_len;
	if (m) {
		b[i] = (long)(s->v + s->k);
		b[n] = m;
		return (long)len;
	}
	const struct iovec *e = &s->v[s->k];
	len = e->iov_len - s->off;
	s->one = (struct iovec){(char *)e->iov_base + s->off,
				len > LIND_MAX_IO ? LIND_MAX_IO : len};
	b[i] = (long)&s->one;
	b[n] = 1;
	return (long)s->one.iov_len;
}

/* Moves s past got bytes of the array. */
static void iov_advance(struct split *s, size_t got)
{
	while (s->k < s->cnt && got >= s->v[s->k].iov_len - s->off) {
		got -= s->v[s->k].iov_len - s->off;
		s->k++;
		s->off = 0;
	}
	s->off += got;
}

/*
 * LF_SPLIT (read, write, their p* and vectored forms): a buffer or iovec
 * array over LIND_MAX_IO goes as consecutive calls, advancing the buffer
 * (and the p* offset).  Writes go on until done, a short result or an
 * error; reads only while the server says the rest is there without
 * waiting (Reply.more: a regular file).  The total, or the error if
 * nothing was done.
 */
static long split_call(struct lind_client *cl, const struct lind_syscall *row,
		       long nr, const long a[6])
{
	int n, out, iov, flags = 0, i = split_arg(row, &n, &out, &iov);
	if (i < 0)
		return call_once(cl, nr, a, &flags);
	struct split s = {.v = (const struct iovec *)a[i], .cnt = a[n]};
	long total = iov ? iov_split_total(s.v, s.cnt) : a[n];
	if ((unsigned long)total <= LIND_MAX_IO)
		return call_once(cl, nr, a, &flags);
	if (total < 0)
		return -EINVAL; /* over SSIZE_MAX, as the kernel says */
	long b[6], done = 0, chunk;
	int at = split_offset(nr, a);
	for (int k = 0; k < 6; k++)
		b[k] = a[k];
	while (done < total) {
		if (iov) {
			chunk = iov_piece(&s, b, i, n);
		} else {
			chunk = total - done > LIND_MAX_IO ? LIND_MAX_IO
							   : total - done;
			b[i] = a[i] + done;
			b[n] = chunk;
		}
		if (at >= 0)
			b[at] = a[at] + done;
		long r = call_once(cl, nr, b, &flags);
		if (r < 0)
			return done ? done : r;
		done += r;
		if (iov)
			iov_advance(&s, (size_t)r);
		if (r < chunk || (out && !(flags & LIND_REPLY_MORE)))
			break;
	}
	return done;
}

long lind_call_generic(struct lind_client *cl, long nr, const long a[6])
{
	const struct lind_syscall *row = lind_syscall_row((uint64_t)nr);
	int more;
	return row && (row->flags & LF_SPLIT) ? split_call(cl, row, nr, a)
					      : call_once(cl, nr, a, &more);
}

long lind_syscall(long nr, long a0, long a1, long a2, long a3, long a4,
		  long a5)
{
	long a[6] = {a0, a1, a2, a3, a4, a5};
	struct lind_client *cl = lind_cl;
	if (__builtin_expect(!cl, 0))
		return lind_unattached(nr, a);
	const struct lind_syscall *row = lind_syscall_row((uint64_t)nr);
	if (row && (row->flags & LF_CLIENT)) {
		const struct lind_hook *h = lind_hook_for((uint32_t)nr);
		if (h && h->call)
			return h->call(cl, nr, a);
	}
	return lind_call_generic(cl, nr, a);
}

void lind_report_refusal(long nr, long err, const long a[6])
{
	/* only the trace hears of it; one frame, answered by the relay */
	int64_t args[6];
	for (int i = 0; i < 6; i++)
		args[i] = a[i];
	if (lind_cl)
		(void)lind_syscall(LIND_SYS_lind_refused, nr, err, (long)args,
				   (long)sizeof args, 0, 0);
}

unsigned long lind_cage_id(void)
{
	struct lind_client *cl = lind_cl;
	return cl ? cl->cage_id : 0;
}
