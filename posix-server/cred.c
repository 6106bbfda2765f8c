/* Virtual credentials: the id calls' rules are Linux's kernel/sys.c, for
 * a caller whose capabilities are uid 0's (cred.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cred.h"

#define KEEP ((uint32_t)-1)

static int cmp_gid(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

/* A sorted copy of n gids (NULL when n is 0), or -ENOMEM. */
static int groups_new(const uint32_t *gids, uint32_t n, struct groups **out)
{
	*out = NULL;
	if (n == 0)
		return 0;
	struct groups *g = malloc(sizeof *g + (size_t)n * sizeof *gids);
	if (!g)
		return -ENOMEM;
	g->refs = 1;
	g->n = n;
	memcpy(g->gid, gids, (size_t)n * sizeof *gids);
	qsort(g->gid, n, sizeof *g->gid, cmp_gid);
	*out = g;
	return 0;
}

static void groups_put(struct groups *g)
{
	if (g && --g->refs == 0)
		free(g);
}

int cred_set_groups(struct cred *cr, const uint32_t *gids, uint32_t n)
{
	struct groups *g;
	int r = groups_new(gids, n, &g);
	if (r < 0)
		return r;
	groups_put(cr->groups);
	cr->groups = g;
	return 0;
}

void cred_copy(struct cred *dst, const struct cred *src)
{
	*dst = *src;
	if (dst->groups)
		dst->groups->refs++;
}

void cred_release(struct cred *cr)
{
	groups_put(cr->groups);
	cr->groups = NULL;
}

static bool in_groups(const struct groups *g, uint32_t gid)
{
	return g && bsearch(&gid, g->gid, g->n, sizeof gid, cmp_gid);
}

bool cred_in_group(const struct cred *cr, uint32_t gid)
{
	return gid == cr->fsgid || in_groups(cr->groups, gid);
}

bool cred_in_egroup(const struct cred *cr, uint32_t gid)
{
	return gid == cr->egid || in_groups(cr->groups, gid);
}

void cred_exec(struct cred *cr)
{
	cr->suid = cr->fsuid = cr->euid;
	cr->sgid = cr->fsgid = cr->egid;
}

struct cred cred_for_access(const struct cred *cr)
{
	struct cred a = *cr;
	a.fsuid = cr->ruid;
	a.fsgid = cr->rgid;
	return a;
}

/* ---- the id calls ------------------------------------------------------ */

/* One of the caller's own ids: what an unprivileged caller may take. */
static bool one_of(uint32_t id, uint32_t r, uint32_t e, uint32_t s)
{
	return id == r || id == e || id == s;
}

int cred_setuid(struct cred *cr, uint32_t uid)
{
	if (uid == KEEP)
		return -EINVAL;
	if (cred_capable(cr))
		cr->ruid = cr->suid = uid;
	else if (uid != cr->ruid && uid != cr->suid)
		return -EPERM;
	cr->euid = cr->fsuid = uid;
	return 0;
}

int cred_setgid(struct cred *cr, uint32_t gid)
{
	if (gid == KEEP)
		return -EINVAL;
	if (cred_capable(cr))
		cr->rgid = cr->sgid = gid;
	else if (gid != cr->rgid && gid != cr->sgid)
		return -EPERM;
	cr->egid = cr->fsgid = gid;
	return 0;
}

/* setreuid and setregid on one set of ids. */
static int set_re(bool cap, uint32_t *r, uint32_t *e, uint32_t *s,
		  uint32_t *fs, uint32_t nr, uint32_t ne)
{
	if (!cap && ((nr != KEEP && nr != *r && nr != *e) ||
		     (ne != KEEP && !one_of(ne, *r, *e, *s))))
		return -EPERM;
	uint32_t old_r = *r;
	if (nr != KEEP)
		*r = nr;
	if (ne != KEEP)
		*e = ne;
	/* the saved id follows a new effective one unless only the
	 * effective id changed, back to the real one */
	if (nr != KEEP || (ne != KEEP && ne != old_r))
		*s = *e;
	*fs = *e;
	return 0;
}

int cred_setreuid(struct cred *cr, uint32_t ruid, uint32_t euid)
{
	return set_re(cred_capable(cr), &cr->ruid, &cr->euid, &cr->suid,
		      &cr->fsuid, ruid, euid);
}

int cred_setregid(struct cred *cr, uint32_t rgid, uint32_t egid)
{
	return set_re(cred_capable(cr), &cr->rgid, &cr->egid, &cr->sgid,
		      &cr->fsgid, rgid, egid);
}

static int set_res(bool cap, uint32_t *r, uint32_t *e, uint32_t *s,
		   uint32_t *fs, uint32_t nr, uint32_t ne, uint32_t ns)
{
	if (!cap && ((nr != KEEP && !one_of(nr, *r, *e, *s)) ||
		     (ne != KEEP && !one_of(ne, *r, *e, *s)) ||
		     (ns != KEEP && !one_of(ns, *r, *e, *s))))
		return -EPERM;
	if (nr != KEEP)
		*r = nr;
	if (ne != KEEP)
		*e = ne;
	if (ns != KEEP)
		*s = ns;
	*fs = *e;
	return 0;
}

int cred_setresuid(struct cred *cr, uint32_t ruid, uint32_t euid,
		   uint32_t suid)
{
	return set_res(cred_capable(cr), &cr->ruid, &cr->euid, &cr->suid,
		       &cr->fsuid, ruid, euid, suid);
}

int cred_setresgid(struct cred *cr, uint32_t rgid, uint32_t egid,
		   uint32_t sgid)
{
	return set_res(cred_capable(cr), &cr->rgid, &cr->egid, &cr->sgid,
		       &cr->fsgid, rgid, egid, sgid);
}

/* setfsuid and setfsgid: -1 (invalid) only asks. */
static uint32_t set_fs(bool cap, uint32_t r, uint32_t e, uint32_t s,
		       uint32_t *fs, uint32_t id)
{
	uint32_t old = *fs;
	if (id != KEEP && (cap || one_of(id, r, e, s) || id == old))
		*fs = id;
	return old;
}

uint32_t cred_setfsuid(struct cred *cr, uint32_t fsuid)
{
	return set_fs(cred_capable(cr), cr->ruid, cr->euid, cr->suid,
		      &cr->fsuid, fsuid);
}

uint32_t cred_setfsgid(struct cred *cr, uint32_t fsgid)
{
	return set_fs(cred_capable(cr), cr->rgid, cr->egid, cr->sgid,
		      &cr->fsgid, fsgid);
}

int cred_setgroups(struct cred *cr, const uint32_t *gids, long n)
{
	if (!cred_capable(cr))
		return -EPERM;
	if (n < 0 || n > CRED_NGROUPS_MAX)
		return -EINVAL;
	if (n > CRED_GROUPS_MAX)
		return -EINVAL; /* more than a frame carries: never sent */
	return cred_set_groups(cr, gids, (uint32_t)n);
}
