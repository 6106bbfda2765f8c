/* Per-deployment limits (limit.h): names, defaults, meanings. */
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "limit.h"
#include "protocol.h"

struct srv_limits srv_limits = {
	.fds = 1024,
	.files = 65536,
	.host_fds = 256,
	.cages = 16384, /* 10,000 idle cages fit: docs/architecture.md "Limits" */
	.procs = 1024,
	.inodes = 1u << 22,
	/* every thread of a cage may wait in the server at once: as many
	 * as its channel has slots (a pipe's reader and writer in one cage
	 * must not run out, issue 7) */
	.parked = LIND_CHAN_SLOTS,
	.pending = 1u << 20,
	.shm_segments = 4096, /* Linux's SHMMNI; shm.c's table holds 4096 */
	.shm_bytes = 1ull << 30,
};

static const struct lind_limit table[] = {
#define L(n, f, lo, hi, w) {n, offsetof(struct srv_limits, f), lo, hi, w}
	L("fds", fds, 3, 1024, "open fds per cage (EMFILE)"),
	L("files", files, 16, 1u << 24, "open files, all cages (ENFILE)"),
	L("host-fds", host_fds, 4, 1u << 20, "host fds kept for file data"),
	L("cages", cages, 1, 1u << 20, "cages at once"),
	L("procs", procs, 1, 1u << 20,
	  "cages of one virtual uid at once; fork past it: EAGAIN"),
	L("inodes", inodes, 16, 1ull << 32,
	  "files and directories in the store (ENOSPC)"),
	L("parked", parked, 1, 1024, "waiting calls per cage (EAGAIN)"),
	L("pending", pending, 4096, 1ull << 32,
	  "bytes of output held per cage for a stalled stream"),
	L("shm-segments", shm_segments, 1, 4096,
	  "SysV shm segments, all cages (ENOSPC)"),
	L("shm-bytes", shm_bytes, 4096, 1ull << 40,
	  "bytes of SysV shm segments, all cages (ENOSPC)"),
#undef L
};
#define NLIMITS (sizeof table / sizeof table[0])

int srv_limit_set(const char *spec, char *why, size_t cap)
{
	return lind_limit_set(table, NLIMITS, &srv_limits, spec, why, cap);
}

void srv_limits_usage(FILE *f)
{
	lind_limits_usage(f, table, NLIMITS, &srv_limits);
}

/* SIZE: bytes, or K, M, G (binary multiples); at least one block. */
int srv_max_size_set(const char *arg, char *why, size_t cap)
{
	static const char suffix[] = "KMG";
	char *end;
	errno = 0;
	unsigned long long v = strtoull(arg, &end, 10);
	const char *sfx = *end ? strchr(suffix, *end) : NULL;
	unsigned shift = sfx ? 10u * (unsigned)(sfx - suffix + 1) : 0;
	if (sfx)
		end++;
	if (errno || end == arg || *end || arg[0] == '-' || v == 0 ||
	    v > (UINT64_MAX >> shift) || (v << shift) < 4096) {
		snprintf(why, cap, "--max-size %s: want bytes (at least 4096)"
				   " or a number with K, M or G", arg);
		return -EINVAL;
	}
	srv_limits.max_size = (uint64_t)v << shift;
	return 0;
}
