/* The process model's calls: fork (lind_fork), wait4, waitid. */
#include "sys.h"

/* The client's hook turns these into lind_fork and a host fork; a frame
 * of them reaches us only if a cage forges it. */
long srv_clone(struct call *c)
{
	(void)c;
	return -ENOSYS;
}

long srv_fork(struct call *c)
{
	(void)c;
	return -ENOSYS;
}

long srv_vfork(struct call *c)
{
	(void)c;
	return -ENOSYS;
}

long srv_lind_fork(struct call *c)
{
	(void)c;
	return -ENOSYS;
}

long srv_wait4(struct call *c)
{
	(void)c;
	return -ECHILD;
}

long srv_waitid(struct call *c)
{
	(void)c;
	return -ECHILD;
}
