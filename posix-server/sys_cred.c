/* Credential handlers: the cage's virtual ids (cred.c has the rules).
 * One cred per cage: glibc's setuid in a threaded program makes the same
 * call in every thread (SIGSETXID), and each repeat finds the ids already
 * set, which the rules allow, so every thread answers alike. */
#include <stdlib.h>

#include "sys.h"

static struct cred *cred_of(struct call *c)
{
	return &c->cage->cred;
}

long srv_getuid(struct call *c)
{
	return cred_of(c)->ruid;
}

long srv_geteuid(struct call *c)
{
	return cred_of(c)->euid;
}

long srv_getgid(struct call *c)
{
	return cred_of(c)->rgid;
}

long srv_getegid(struct call *c)
{
	return cred_of(c)->egid;
}

long srv_setuid(struct call *c)
{
	return cred_setuid(cred_of(c), (uint32_t)c->a[0]);
}

long srv_setgid(struct call *c)
{
	return cred_setgid(cred_of(c), (uint32_t)c->a[0]);
}

long srv_setreuid(struct call *c)
{
	return cred_setreuid(cred_of(c), (uint32_t)c->a[0], (uint32_t)c->a[1]);
}

long srv_setregid(struct call *c)
{
	return cred_setregid(cred_of(c), (uint32_t)c->a[0], (uint32_t)c->a[1]);
}

long srv_setresuid(struct call *c)
{
	return cred_setresuid(cred_of(c), (uint32_t)c->a[0],
			      (uint32_t)c->a[1], (uint32_t)c->a[2]);
}

long srv_setresgid(struct call *c)
{
	return cred_setresgid(cred_of(c), (uint32_t)c->a[0],
			      (uint32_t)c->a[1], (uint32_t)c->a[2]);
}

long srv_setfsuid(struct call *c)
{
	return cred_setfsuid(cred_of(c), (uint32_t)c->a[0]);
}

long srv_setfsgid(struct call *c)
{
	return cred_setfsgid(cred_of(c), (uint32_t)c->a[0]);
}

/* getresuid, getresgid: the three ids, each to its pointer. */
static long get_res(struct call *c, uint32_t r, uint32_t e, uint32_t s)
{
	const uint32_t ids[3] = {r, e, s};
	for (int i = 0; i < 3; i++)
		if (!call_obj_out(c, i))
			return -EFAULT;
	for (int i = 0; i < 3; i++)
		call_obj_out_set(c, i, &ids[i]);
	return 0;
}

long srv_getresuid(struct call *c)
{
	const struct cred *cr = cred_of(c);
	return get_res(c, cr->ruid, cr->euid, cr->suid);
}

long srv_getresgid(struct call *c)
{
	const struct cred *cr = cred_of(c);
	return get_res(c, cr->rgid, cr->egid, cr->sgid);
}

/* Linux's order: a negative size, then one too small for the groups. */
long srv_getgroups(struct call *c)
{
	const struct groups *g = cred_of(c)->groups;
	uint32_t n = g ? g->n : 0;
	int size = (int)c->a[0];
	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return n;
	if ((uint32_t)size < n)
		return -EINVAL;
	if (n)
		memcpy(c->out[1].buf, g->gid, (size_t)n * sizeof *g->gid);
	c->out[1].len = (size_t)n * sizeof *g->gid;
	return n;
}

long srv_setgroups(struct call *c)
{
	int size = (int)c->a[0];
	if (!cred_capable(cred_of(c)))
		return -EPERM;
	if (size < 0 || size > CRED_NGROUPS_MAX)
		return -EINVAL;
	if (c->in[1].len != (size_t)size * sizeof(uint32_t))
		return -EFAULT;
	uint32_t *gids = malloc((size_t)size * sizeof *gids + 1);
	if (!gids)
		return -ENOMEM;
	if (size)
		memcpy(gids, c->in[1].ptr, (size_t)size * sizeof *gids);
	long r = cred_setgroups(cred_of(c), gids, size);
	free(gids);
	return r;
}
