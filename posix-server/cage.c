/* Cage table: a small chained hash by id.  Ids start at 2 (1 is the
 * virtual init, every top-level cage's parent) and are never reused. */
#include <stdlib.h>

#include "cage.h"
#include "fdtable.h"
#include "lock.h"
#include "server.h"

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
	c->host_pid = host_pid;
	c->cred = (struct cred){uid, gid};
	c->umask = 022;
	cage_rlimits_default(c);
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
	stream_cancel_parked(c);
	lock_cancel_cage(c);
	fdtable_free(srv.vfs, c->fds);
	if (c->cwd)
		vfs_unref(srv.vfs, c->cwd);
	free(c);
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
