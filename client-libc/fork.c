/* fork for cages: see docs/architecture.md "Fork". */
#include <errno.h>

#include "client.h"

long lind_hook_fork(struct lind_client *cl, long nr, const long a[6])
{
	(void)cl, (void)nr, (void)a;
	return -ENOSYS;
}
