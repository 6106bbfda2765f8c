/*
 * lind_syscall(): the single entry point.  The stubs (stubs.c) and the
 * SIGSYS handler (trap.c) both land here; marshalling is driven only by
 * the table row (marshal.c), so a trapped raw syscall and a libc stub make
 * the same frame.  Returns >= 0 or -errno and never touches errno.
 */
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>

#include "client.h"

/*
 * The relay is gone, so no answer will come.  The calls that need none
 * still do what they would: exit_group exits with the cage's own status
 * (its host parent, lind-run, passes it on), getpid is the cage id we
 * hold (abort() and raise() need it to signal themselves), a cancel
 * leaves its call to find the relay gone.  Anything else is fatal.
 */
static long without_relay(long nr, const long a[6])
{
	if (nr == LIND_SYS_exit_group)
		lind_host_exit((int)a[0]);
	if (nr == LIND_SYS_getpid)
		return (long)lind_cage_id();
	if (nr == LIND_SYS_lind_cancel)
		return -EPIPE;
	if (nr == LIND_SYS_lind_refused)
		return 0; /* nobody left to tell */
	lind_host_fatal("lind: relay connection lost\n");
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
		r = lind_chan_call(cl, s, (uint32_t)r);
		if (r == -EPIPE) {
			lind_chan_release(cl, s);
			return without_relay(nr, a);
		}
	}
	*flags = 0;
	if (r >= 0)
		r = lind_unmarshal(&p, s->buf, (size_t)r, flags);
	if (*flags & LIND_REPLY_FD) { /* taken whatever r is: never left over */
		long fd = lind_hostfd_take(cl, (uint32_t)(s - cl->chan->slot));
		if (r >= 0 || fd < 0)
			r = fd;
		else
			lind_host_magic(SYS_close, fd, 0, 0);
	}
	lind_chan_release(cl, s);
	/* a write to a pipe nobody reads: the kernel's SIGPIPE, to this
	 * thread; a program that ignores it just sees EPIPE */
	if (r == -EPIPE && (nr == LIND_SYS_write || nr == LIND_SYS_writev))
		lind_signal_self_thread(SIGPIPE);
	return r;
}

/* The row's buffer argument (IN or OUT) and the index of its length. */
static int split_arg(const struct lind_syscall *row, int *len, int *out)
{
	for (int i = 0; i < 6; i++) {
		int k = row->arg[i].kind;
		if (k == LK_IN || k == LK_OUT) {
			*len = row->arg[i].len;
			*out = k == LK_OUT;
			return i;
		}
	}
	return -1;
}

/*
 * LF_SPLIT (write, pwrite64, read, pread64): a buffer over LIND_MAX_IO goes
 * as consecutive calls, advancing the buffer (and the p* offset).  Writes
 * go on until done, a short result or an error; reads only while the
 * server says the rest is there without waiting (Reply.more: a regular
 * file).  The total, or the error if nothing was done.
 */
static long split_call(struct lind_client *cl, const struct lind_syscall *row,
		       long nr, const long a[6])
{
	int n, out, flags = 0, i = split_arg(row, &n, &out);
	if (i < 0 || (unsigned long)a[n] <= LIND_MAX_IO)
		return call_once(cl, nr, a, &flags);
	long b[6], done = 0, total = a[n];
	if (total < 0)
		return -EINVAL; /* over SSIZE_MAX, as the kernel says */
	for (int k = 0; k < 6; k++)
		b[k] = a[k];
	while (done < total) {
		long chunk = total - done > LIND_MAX_IO ? LIND_MAX_IO
							: total - done;
		b[i] = a[i] + done;
		b[n] = chunk;
		if (nr == LIND_SYS_pwrite64 || nr == LIND_SYS_pread64)
			b[3] = a[3] + done;
		long r = call_once(cl, nr, b, &flags);
		if (r < 0)
			return done ? done : r;
		done += r;
		if (r < chunk || (out && !(flags & LIND_REPLY_MORE)))
			break;
	}
	return done;
}

long lind_syscall(long nr, long a0, long a1, long a2, long a3, long a4,
		  long a5)
{
	long a[6] = {a0, a1, a2, a3, a4, a5};
	struct lind_client *cl = lind_cl;
	if (__builtin_expect(!cl, 0))
		return lind_unattached(nr, a);
	if (nr == LIND_SYS_exit_group && !lind_relay_alive(cl))
		lind_host_exit((int)a0); /* do not wait for a dead relay */
	const struct lind_syscall *row = lind_syscall_row((uint64_t)nr);
	int flags;
	long r = row && (row->flags & LF_SPLIT) ? split_call(cl, row, nr, a)
						: call_once(cl, nr, a, &flags);
	if (nr == LIND_SYS_exit_group)
		lind_host_exit((int)a0); /* the server has the status now */
	return r;
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
