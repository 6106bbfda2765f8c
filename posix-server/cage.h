/* The cage table: virtual pids, credentials, cwd, fd table, exit status,
 * parked calls. */
#ifndef SRV_CAGE_H
#define SRV_CAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "vfs.h"

struct bind_set;
struct fdtable;
struct parked;

/* Resource limits a cage sees (getrlimit, prlimit64): RLIM_NLIMITS. */
#define CAGE_NLIMITS 16
struct cage_rlimit {
	uint64_t cur, max;
};

struct cage {
	uint64_t id;     /* the virtual pid */
	uint64_t parent; /* 1 for a top-level cage */
	uint64_t pgid, sid; /* process group and session: sys_signal.c */
	uint32_t host_pid;
	struct cred cred;
	uint32_t umask;
	struct inode *cwd; /* holds a reference */
	struct fdtable *fds;
	int exit_status;
	bool exited;
	struct parked *parked; /* calls waiting in the loop (wait.c) */
	unsigned nparked;
	uint64_t parked_bytes; /* in-data their copies hold */
	/* what /proc shows: argv as attached (NUL-separated), start time */
	char *cmdline;
	size_t cmdline_len;
	int64_t start_real, start_mono; /* ns */
	struct cage_rlimit rlim[CAGE_NLIMITS]; /* virtual: see sys_info.c */
	int nice;       /* -20..19, virtual: see sys_prio.c */
	unsigned locks; /* record locks it placed (lock.c caps them) */
	struct bind_set *binds; /* lind-run --bind (a reference), or NULL */
	char *exe; /* /proc/N/exe: the program's virtual path (lind-run's, or
		    * the last execve's file); NULL: argv[0] */
	uint64_t host_start;    /* its host process's start time (ticks): a
				 * reused host pid is not read as it */
	struct cage *hnext;
};

/* New cage with cwd "/" and an empty fd table, or NULL. */
struct cage *cage_new(uint32_t host_pid, uint32_t uid, uint32_t gid);
struct cage *cage_find(uint64_t id);
/* sys_info.c: a new cage's resource limits. */
void cage_rlimits_default(struct cage *c);
/* sys_prio.c: a new cage's nice value, its process's. */
void cage_nice_init(struct cage *c);
/* Cancels parked calls, closes fds, drops cwd, frees. */
void cage_free(struct cage *c);
void cage_free_all(void);
unsigned cage_count(void);
/* Calls fn on every cage (no cage made or freed meanwhile). */
void cage_each(void (*fn)(struct cage *, void *), void *arg);
/* The id the next cage gets. */
uint64_t cage_next_id(void);
/* Keeps a copy of argv for /proc (false: out of memory, none kept). */
bool cage_set_argv(struct cage *c, char *const *argv, size_t argc);

#endif
