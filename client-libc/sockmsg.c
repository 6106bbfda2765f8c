/*
 * sendmmsg and recvmmsg: one sendmsg or recvmsg frame per message.  Each
 * struct mmsghdr holds its own name, iovecs and control, which the
 * one-entry MSG kinds (proto/syscall.h) carry for one message; a frame
 * per message keeps the relay's checks those of sendmsg/recvmsg, at the
 * cost of a round trip each.  As Linux: the count done, or the first
 * error if none was; recvmmsg waits for the first message only with
 * MSG_WAITFORONE, and checks its timeout after each message.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <time.h>

#include "client.h"

#define MMSG_MAX 1024 /* UIO_MAXIOV: Linux cuts vlen to it */

static long one_msg(struct lind_client *cl, long nr, long fd,
		    struct mmsghdr *m, long flags)
{
	long b[6] = {fd, (long)&m->msg_hdr, flags, 0, 0, 0};
	long r = lind_call_generic(cl, nr, b);
	if (r >= 0)
		m->msg_len = (unsigned)r;
	return r;
}

static int64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

long lind_hook_mmsg(struct lind_client *cl, long nr, const long a[6])
{
	struct mmsghdr *v = (struct mmsghdr *)a[1];
	unsigned vlen = (unsigned)a[2] > MMSG_MAX ? MMSG_MAX : (unsigned)a[2];
	long flags = a[3], done = 0;
	bool recv = nr == LIND_SYS_recvmmsg;
	const struct timespec *to = recv ? (const struct timespec *)a[4] : NULL;
	int64_t end = 0;
	if (to) {
		if (to->tv_sec < 0 || to->tv_nsec < 0 || to->tv_nsec >= 1000000000)
			return -EINVAL;
		end = now_ns() + to->tv_sec * 1000000000 + to->tv_nsec;
	}
	if (vlen && !v)
		return -EFAULT;
	long one = recv ? LIND_SYS_recvmsg : LIND_SYS_sendmsg;
	for (unsigned i = 0; i < vlen; i++) {
		long f = flags & ~(long)MSG_WAITFORONE;
		if (recv && i && (flags & MSG_WAITFORONE))
			f |= MSG_DONTWAIT;
		long r = one_msg(cl, one, a[0], &v[i], f);
		if (r < 0)
			return done ? done : r;
		done++;
		if (to && now_ns() >= end)
			break;
	}
	return done;
}
