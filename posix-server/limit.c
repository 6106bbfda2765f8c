/* Per-deployment limits (limit.h): names, defaults, parsing. */
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"

struct srv_limits srv_limits = {
	.fds = 1024,
	.files = 65536,
	.host_fds = 256,
	.cages = 4096,
	.parked = 8,
	.pending = 1u << 20,
};

static const struct {
	const char *name;
	size_t off;
	uint64_t min, max;
	const char *what;
} table[] = {
#define L(n, f, lo, hi, w) {n, offsetof(struct srv_limits, f), lo, hi, w}
	L("fds", fds, 3, 1024, "open fds per cage (EMFILE)"),
	L("files", files, 16, 1u << 24, "open files, all cages (ENFILE)"),
	L("host-fds", host_fds, 4, 1u << 20, "host fds kept for file data"),
	L("cages", cages, 1, 1u << 20, "cages at once"),
	L("parked", parked, 1, 1024, "waiting calls per cage (EAGAIN)"),
	L("pending", pending, 4096, 1ull << 32,
	  "bytes of output held per cage for a stalled stream"),
#undef L
};

int srv_limit_set(const char *spec, char *why, size_t cap)
{
	const char *eq = strchr(spec, '=');
	for (size_t i = 0; eq && i < sizeof table / sizeof table[0]; i++) {
		if (strncmp(spec, table[i].name, (size_t)(eq - spec)) != 0 ||
		    table[i].name[eq - spec] != '\0')
			continue;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(eq + 1, &end, 10);
		if (errno || end == eq + 1 || *end || eq[1] == '-' ||
		    v < table[i].min || v > table[i].max) {
			snprintf(why, cap, "--limit %s: want %" PRIu64 "..%" PRIu64,
				 table[i].name, table[i].min, table[i].max);
			return -EINVAL;
		}
		*(uint64_t *)((char *)&srv_limits + table[i].off) = v;
		return 0;
	}
	snprintf(why, cap, "--limit %s: unknown limit (see --help)", spec);
	return -EINVAL;
}

void srv_limits_usage(FILE *f)
{
	for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
		fprintf(f, "      %-9s %-10" PRIu64 " %s\n", table[i].name,
			*(const uint64_t *)((const char *)&srv_limits +
					    table[i].off),
			table[i].what);
}
