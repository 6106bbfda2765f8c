/* Cage table: a small chained hash by id.  Ids start at 2 (1 is the
 * virtual init, every top-level cage's parent) and are never reused. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bind.h"
#include "cage.h"
#include "fdtable.h"
#include "lock.h"
#include "server.h"
#include "wait.h"

#define NBUCKETS 256

static struct cage *bucket[NBUCKETS];
static uint64_t next_id = 2;
static unsigned count;

struct cage *cage_new(uint32_t host_pid, uint32_t uid, uint32_t gid)
{
	struct cage *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fds = fdtable_new();
	if (!c->fds) {
		free(c);
		return NULL;
	}
	c->id = next_id++;
	c->parent = 1;
	c->pgid = c->sid = c->id; /* as if its launcher ran setsid */
	c->host_pid = host_pid;
	c->cred = (struct cred){uid, gid};
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->start_real = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->start_mono = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	c->umask = 022;
	cage_rlimits_default(c);
	cage_nice_init(c);
	c->cwd = vfs_root(srv.vfs);
	if (c->cwd)
		vfs_ref(c->cwd);
	c->hnext = bucket[c->id % NBUCKETS];
	bucket[c->id % NBUCKETS] = c;
	count++;
	return c;
}

struct cage *cage_find(uint64_t id)
{
	for (struct cage *c = bucket[id % NBUCKETS]; c; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

void cage_free(struct cage *c)
{
	struct cage **pp = &bucket[c->id % NBUCKETS];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	count--;
	wait_begin(); /* what its closes wake runs once it is gone */
	wait_cancel_cage(c);
	fdtable_free(srv.vfs, c->fds);
	if (c->cwd)
		vfs_unref(srv.vfs, c->cwd);
	bind_set_put(srv.vfs, c->binds); /* after what may hold its nodes */
	free(c->cmdline);
	free(c->exe);
	free(c);
	wait_end();
}

void cage_free_all(void)
{
	for (int b = 0; b < NBUCKETS; b++)
		while (bucket[b])
			cage_free(bucket[b]);
}

unsigned cage_count(void)
{
	return count;
}

void cage_each(void (*fn)(struct cage *, void *), void *arg)
{
	for (int b = 0; b < NBUCKETS; b++)
		for (struct cage *c = bucket[b]; c; c = c->hnext)
			fn(c, arg);
}

uint64_t cage_next_id(void)
{
	return next_id;
}

bool cage_set_argv(struct cage *c, char *const *argv, size_t argc)
{
	size_t len = 0;
	for (size_t i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *p = len ? malloc(len) : NULL;
	if (len && !p)
		return false;
	free(c->cmdline);
	c->cmdline = p;
	c->cmdline_len = len;
	for (size_t i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(p, argv[i], n);
		p += n;
	}
	return true;
}
