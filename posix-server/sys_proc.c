/* Process handlers: ids, umask, exit status (credentials: sys_cred.c). */
#include "sys.h"
#include "wait.h"

long srv_getpid(struct call *c)
{
	return (long)c->cage->id;
}

long srv_getppid(struct call *c)
{
	return (long)c->cage->parent;
}

long srv_umask(struct call *c)
{
	long old = c->cage->umask;
	c->cage->umask = (uint32_t)c->a[0] & 0777;
	return old;
}

/* The cage exits for real right after our answer (client-libc makes the
 * host exit_group): it ends here, a zombie holding the status and its CPU
 * times so far (a top-level cage, whose parent is init, is gone at once;
 * the caller's cage must not be touched after this). */
static long record_exit(struct call *c)
{
	struct cage *cg = c->cage;
	cage_cpu(cg, &cg->cpu_user, &cg->cpu_sys);
	cage_exit(cg, (int)(c->a[0] & 0xff) << 8);
	return 0;
}

/* exit(2) ends one thread; the filter lets it straight through to the
 * host, so only a forged frame gets here: nothing ends. */
long srv_exit(struct call *c)
{
	(void)c;
	return 0;
}

long srv_exit_group(struct call *c)
{
	return record_exit(c);
}

/* The relay answers lind_refused itself and never forwards it. */
long srv_lind_refused(struct call *c)
{
	(void)c;
	return -ENOSYS;
}

/* The relay put the interrupted call's tag in a[0] (lind_cancel). */
long srv_lind_cancel(struct call *c)
{
	return wait_interrupt(c->cage, (uint64_t)c->a[0]);
}
