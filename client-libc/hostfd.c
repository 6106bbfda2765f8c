/*
 * Host fds from the server.  Some answers are a host fd the cage must use
 * itself: a file to map without copying it, a SysV shm segment.  The
 * server sends the fd to the relay (CAGE_FD) before its reply; the relay
 * sends {slot} and the fd on the cage's attach socket; the reply says one
 * comes (Reply.fd), and the thread that made the call, still holding its
 * slot, takes it: it sleeps in recvmsg until a message comes (no polling
 * sleeps), at most LIND_ATTACH_RCV_US (the socket's SO_RCVTIMEO) at a
 * time.  Threads take fds in any order from one socket, so a thread that
 * reads another slot's fd leaves it in that slot's stash, where its owner
 * finds it when its own wait times out.
 * No locks (this runs in the SIGSYS handler): only atomics.
 *
 * Mapping one: the filter lets mmap through for an fd only in
 * [LIND_MAP_FD, LIND_MAP_FD + LIND_MAP_FDS), numbers above every virtual
 * fd, so a program's mmap of its own (virtual) fd always traps.  A mapper
 * claims one of those numbers, dup3s the fd there, maps and closes it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include "client.h"

/* One message from the attach socket: 1 with *slot and *fd, 0 when none
 * is there, or -errno. */
static long recv_one(struct lind_client *cl, uint32_t *slot, int *fd)
{
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {slot, sizeof *slot};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof ctl.b};
	long r = lind_host6(SYS_recvmsg, cl->sock, (long)&mh, LIND_RECV_FD_FLAGS, 0, 0,
			    (long)LIND_HOST_MAGIC);
	if (r == -EAGAIN || r == -EINTR) /* SO_RCVTIMEO, or a signal */
		return 0;
	if (r == 0)
		return -EPIPE; /* the relay hung up */
	if (r < 0)
		return r;
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	if (r != sizeof *slot || !c || c->cmsg_type != SCM_RIGHTS ||
	    c->cmsg_len != CMSG_LEN(sizeof(int)))
		return -EIO; /* the relay sends nothing else there */
	memcpy(fd, CMSG_DATA(c), sizeof *fd);
	return 1;
}

/* The stash holds fd + 1 (0: empty). */
static int stash_take(struct lind_client *cl, uint32_t slot)
{
	return atomic_exchange(&cl->fd_stash[slot], 0) - 1;
}

long lind_hostfd_take(struct lind_client *cl, uint32_t slot)
{
	for (;;) {
		int fd = stash_take(cl, slot);
		if (fd >= 0)
			return fd;
		uint32_t s;
		long r = recv_one(cl, &s, &fd);
		if (r < 0)
			return r;
		if (r == 1 && s == slot)
			return fd;
		if (r == 1) {
			if (s >= LIND_CHAN_SLOTS)
				return -EIO;
			int old = atomic_exchange(&cl->fd_stash[s], fd + 1);
			if (old)
				lind_host_magic(SYS_close, old - 1, 0, 0);
			continue;
		}
		/* none within the socket's timeout: the relay is on its way,
		 * or gone, or another thread took ours (now in the stash) */
		if (!lind_relay_alive(cl))
			return -EPIPE;
	}
}

/* A free number of the mapping range, or -1. */
static int map_fd_claim(struct lind_client *cl)
{
	uint64_t used = atomic_load(&cl->map_fds_used);
	for (;;) {
		if (used == ~0ull)
			return -1;
		int i = __builtin_ctzll(~used);
		if (atomic_compare_exchange_weak(&cl->map_fds_used, &used,
						 used | (1ull << i)))
			return i;
	}
}

long lind_hostfd_map(struct lind_client *cl, int hostfd, long addr,
		     size_t len, int prot, int flags, long off)
{
	int i = map_fd_claim(cl);
	long r = -ENFILE;
	if (i >= 0)
		r = lind_host6(SYS_dup3, hostfd, LIND_MAP_FD + i, O_CLOEXEC, 0,
			       0, (long)LIND_HOST_MAGIC);
	lind_host_magic(SYS_close, hostfd, 0, 0);
	if (r >= 0) {
		r = lind_host6(SYS_mmap, addr, (long)len, prot, flags,
			       LIND_MAP_FD + i, off);
		lind_host_magic(SYS_close, LIND_MAP_FD + i, 0, 0);
	}
	if (i >= 0)
		atomic_fetch_and(&cl->map_fds_used, ~(1ull << i));
	return r;
}
