/*
 * Per-deployment limits: what one cage may hold in the server, and what the
 * server itself may hold on the host.  Set with `posix-server --limit
 * NAME=VALUE` (repeatable); each is answered with the errno Linux gives.
 * The table in limit.c is the one list of names, defaults and meanings.
 */
#ifndef SRV_LIMIT_H
#define SRV_LIMIT_H

#include <stdint.h>
#include <stdio.h>

struct srv_limits {
	uint64_t fds;      /* open fds per cage (RLIMIT_NOFILE): EMFILE */
	uint64_t files;    /* open file descriptions, all cages: ENFILE */
	uint64_t host_fds; /* host fds the server keeps open for data files */
	uint64_t cages;    /* cages at once: CAGE_NEW refused, fork EAGAIN */
	uint64_t procs;    /* cages of one virtual uid at once, zombies and
			    * embryos too (RLIMIT_NPROC): fork EAGAIN */
	uint64_t inodes;   /* files and directories in the store: ENOSPC */
	uint64_t parked;   /* calls parked at once, per cage: EAGAIN */
	uint64_t pending;  /* bytes of output held for a stalled stream, per
			    * cage: a write takes what fits (EAGAIN if none) */
	uint64_t shm_segments; /* SysV shm segments, all cages: ENOSPC */
	uint64_t shm_bytes;    /* their bytes, all cages (page-rounded):
				* ENOSPC; one segment's most: EINVAL */
	uint64_t max_size; /* the store's usage (vfs_usage), set with
			    * --max-size: EDQUOT past it; 0: no quota */
};

extern struct srv_limits srv_limits;

/* Parses "NAME=VALUE" into srv_limits: 0, or -EINVAL with a one-line
 * reason in why. */
int srv_limit_set(const char *spec, char *why, size_t cap);
/* Parses --max-size SIZE (bytes, or with K, M, G) into
 * srv_limits.max_size: 0, or -EINVAL with a reason in why. */
int srv_max_size_set(const char *arg, char *why, size_t cap);
/* Prints every limit's name, default and meaning (for --help). */
void srv_limits_usage(FILE *f);

#endif
