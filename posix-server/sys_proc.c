/* Process handlers: ids, umask, exit status. */
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

long srv_getuid(struct call *c)
{
	return c->cage->cred.uid;
}

long srv_geteuid(struct call *c)
{
	return c->cage->cred.uid;
}

long srv_getgid(struct call *c)
{
	return c->cage->cred.gid;
}

long srv_getegid(struct call *c)
{
	return c->cage->cred.gid;
}

long srv_umask(struct call *c)
{
	long old = c->cage->umask;
	c->cage->umask = (uint32_t)c->a[0] & 0777;
	return old;
}

/* The cage exits for real right after our answer (client-libc makes the
 * host exit_group); we only record the status. */
static long record_exit(struct call *c)
{
	c->cage->exit_status = (int)(c->a[0] & 0xff);
	c->cage->exited = true;
	return 0;
}

long srv_exit(struct call *c)
{
	return record_exit(c);
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
