/*
 * A read of a signalfd, finished here (Reply.dequeue): the server holds
 * the description's mask, the host kernel the signals.  The reading
 * thread takes its own pending signals of the mask with the host's
 * rt_sigtimedwait, as Linux's signalfd_dequeue takes the reader's (its
 * thread's, then its process's), and gives each as a struct
 * signalfd_siginfo filled as Linux's signalfd_copyinfo fills it (a
 * sender's pid and uid are the host's: docs/architecture.md).  A
 * blocking read waits for the first; a handler without SA_RESTART that
 * runs meanwhile ends it with EINTR (with SA_RESTART ones only, it waits
 * on, as Linux restarts).  read, readv and preadv2 at offset -1 come
 * here, with their buffers as an iovec array.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <time.h>

#include "client.h"

/* The kernel's siginfo_layout, for the fields each kind carries. */
static void copy_info(struct signalfd_siginfo *o, const siginfo_t *si)
{
	memset(o, 0, sizeof *o);
	o->ssi_signo = (uint32_t)si->si_signo;
	o->ssi_errno = si->si_errno;
	o->ssi_code = si->si_code;
	int sig = si->si_signo, code = si->si_code;
	bool fault = sig == SIGILL || sig == SIGFPE || sig == SIGSEGV ||
		     sig == SIGBUS || sig == SIGTRAP;
	if (code > SI_USER && code < SI_KERNEL && fault) {
		o->ssi_addr = (uint64_t)(uintptr_t)si->si_addr;
	} else if (code > SI_USER && code < SI_KERNEL && sig == SIGCHLD) {
		o->ssi_pid = (uint32_t)si->si_pid;
		o->ssi_uid = si->si_uid;
		o->ssi_status = si->si_status;
		o->ssi_utime = (uint64_t)si->si_utime;
		o->ssi_stime = (uint64_t)si->si_stime;
	} else if ((code > SI_USER && code < SI_KERNEL) || code == SI_SIGIO) {
		o->ssi_band = (uint32_t)si->si_band;
		o->ssi_fd = si->si_fd;
	} else if (code == SI_TIMER) {
		o->ssi_tid = (uint32_t)si->si_timerid;
		o->ssi_overrun = (uint32_t)si->si_overrun;
		o->ssi_ptr = (uint64_t)(uintptr_t)si->si_ptr;
		o->ssi_int = si->si_int;
	} else {
		o->ssi_pid = (uint32_t)si->si_pid;
		o->ssi_uid = si->si_uid;
		if (code < 0) {
			o->ssi_ptr = (uint64_t)(uintptr_t)si->si_ptr;
			o->ssi_int = si->si_int;
		}
	}
}

/* One signal of mask into o: 0, -EAGAIN (none, not waiting), -EINTR. */
static long take_one(struct lind_client *cl, uint64_t mask, bool wait,
		     struct signalfd_siginfo *o)
{
	struct timespec zero = {0, 0};
	siginfo_t si;
	long r;
	do
		r = lind_host6(SYS_rt_sigtimedwait, (long)&mask, (long)&si,
			       wait ? 0 : (long)&zero, 8, 0, 0);
	while (r == -EINTR && wait && !atomic_load(&cl->norestart_sigs));
	if (r < 0)
		return r;
	copy_info(o, &si);
	return 0;
}

/* The next sizeof *o bytes of the array from element *k, offset *off. */
static void scatter_one(const struct iovec *v, int cnt, int *k, size_t *off,
			const struct signalfd_siginfo *o)
{
	const char *p = (const char *)o;
	size_t left = sizeof *o;
	while (left && *k < cnt) {
		size_t room = v[*k].iov_len - *off, n = room < left ? room : left;
		memcpy((char *)v[*k].iov_base + *off, p, n);
		p += n;
		left -= n;
		*off += n;
		if (*off == v[*k].iov_len) {
			++*k;
			*off = 0;
		}
	}
}

long lind_signalfd_read(struct lind_client *cl, const struct iovec *v,
			int cnt, uint64_t mask, bool wait)
{
	size_t cap = 0, n = 0, off = 0;
	int k = 0;
	for (int i = 0; i < cnt; i++)
		cap += v[i].iov_len;
	for (; cap - n * sizeof(struct signalfd_siginfo) >=
	       sizeof(struct signalfd_siginfo); n++) {
		struct signalfd_siginfo o;
		long r = take_one(cl, mask, wait && n == 0, &o);
		if (r < 0 && n == 0)
			return r;
		if (r < 0)
			break;
		scatter_one(v, cnt, &k, &off, &o);
	}
	return (long)(n * sizeof(struct signalfd_siginfo));
}
