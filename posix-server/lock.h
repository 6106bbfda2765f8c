/* POSIX record locks (fcntl F_SETLK, F_GETLK), open file description
 * locks (F_OFD_*) and flock(2) locks, kept by the server for every cage.
 * A file is named by its inode, or for a pipe or the launcher's stdio
 * (no inode) by the pipe or stream: lock_file_of. */
#ifndef SRV_LOCK_H
#define SRV_LOCK_H

#include <stdbool.h>
#include <stdint.h>

#include "fdtable.h"

/* A range [start, end] (end UINT64_MAX: to the end of any file) of in,
 * held by owner: a cage's fd table for process locks (closing any fd of
 * the file drops them, as POSIX says), a description for OFD locks. */
struct lock_req {
	short type; /* F_RDLCK, F_WRLCK, F_UNLCK */
	uint64_t start, end;
	const void *owner;
	int64_t pid; /* what F_GETLK reports: the cage's pid, or -1 (OFD) */
	uint64_t cage; /* the cage that placed it: counted against its cap */
	bool flock; /* a flock(2) lock: its own class, which never meets
		     * fcntl's (owner: the description; whole file) */
};

static inline const void *lock_file_of(const struct ofd *o)
{
	return o->in ? (const void *)o->in
		     : o->priv ? o->priv : (const void *)o->st;
}

/* Places or removes (F_UNLCK) owner's lock on the range: 0, -EAGAIN when
 * another owner's lock conflicts, -ENOLCK when the cage holds
 * LOCKS_PER_CAGE already (or there is no memory for one more). */
#define LOCKS_PER_CAGE 1024
int lock_set(const void *in, const struct lock_req *rq);
/* flock: owner's lock of another type goes first, as Linux drops it
 * before it tries (an upgrade is not atomic); then as lock_set. */
int lock_flock(const void *in, const struct lock_req *rq);
/* The first lock of another owner conflicting with rq, into rq (type,
 * range, pid); type F_UNLCK when none does. */
void lock_test(const void *in, struct lock_req *rq);
/* F_SETLKW that conflicts: true when waiting would close a cycle of
 * process locks waiting on each other (EDEADLK, as Linux detects); tag is
 * the asking call's. */
bool lock_would_deadlock(const void *in, const struct lock_req *rq,
			 uint64_t tag);
/* Parks c (wait.h) until some lock goes; its handler then tries again:
 * SRV_PARKED or call_park's errors.  lock_unpark: the call ended. */
struct call;
long lock_park(struct call *c, const void *in,
	       const struct lock_req *rq);
void lock_unpark(struct call *c);
/* Drops every lock owner holds on in (in NULL: on every file). */
void lock_release(const void *in, const void *owner);
/* Locks held, all files (tests: nothing leaks). */
unsigned long lock_count(void);

#endif
