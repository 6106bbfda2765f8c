/* getpriority, setpriority and nice: the cage's own scheduling priority,
 * with Linux's errno for each mistake (run as root, as the suite is) */
#include "case.h"
#include <sys/resource.h>

int main(void)
{
	errno = 0;
	int p = getpriority(PRIO_PROCESS, 0);
	printf("start %d errno %s\n", p, case_errname(errno));
	SHOW(setpriority(PRIO_PROCESS, 0, 5));
	errno = 0;
	printf("now %d\n", getpriority(PRIO_PROCESS, getpid()));
	errno = 0;
	printf("nice(1) %d\n", nice(1));
	errno = 0;
	printf("nice(100) %d\n", nice(100));
	SHOW(setpriority(PRIO_PROCESS, 0, -30)); /* clamped to -20: root */
	errno = 0;
	printf("clamped %d\n", getpriority(PRIO_PROCESS, 0));
	SHOW(setpriority(PRIO_PROCESS, 0, 0));
	SHOW(getpriority(99, 0));
	SHOW(setpriority(99, 0, 1));
	SHOW(getpriority(PRIO_PROCESS, 999999));
	SHOW(setpriority(PRIO_PROCESS, 999999, 1));
	SHOW(getpriority(PRIO_PROCESS, -1));
	errno = 0;
	printf("pgrp %d errno %s\n", getpriority(PRIO_PGRP, 0),
	       case_errname(errno));
	errno = 0;
	printf("user %d errno %s\n", getpriority(PRIO_USER, 0) <= 0,
	       case_errname(errno));
	return 0;
}
