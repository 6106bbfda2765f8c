/* uname, sysinfo, resource limits: what a program may rely on */
#include "case.h"
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/utsname.h>

int main(void)
{
	struct utsname u;
	SHOW(uname(&u));
	printf("sysname %s machine %s\n", u.sysname, u.machine);
	struct sysinfo si;
	SHOW(sysinfo(&si));
	printf("procs > 0: %d, ram > 0: %d, free <= total: %d\n", si.procs > 0,
	       si.totalram > 0, si.freeram <= si.totalram);
	struct rlimit rl, old;
	SHOW(getrlimit(RLIMIT_NOFILE, &rl));
	printf("nofile cur <= max: %d\n", rl.rlim_cur <= rl.rlim_max);
	SHOW(getrlimit(99, &rl));
	/* lowering works and is enforced: the 65th fd is EMFILE */
	rl.rlim_cur = 64;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl));
	int last = -1, fd;
	while ((fd = open("/dev/null", O_RDONLY)) >= 0)
		last = fd;
	printf("last fd %d, then %s\n", last, case_errname(errno));
	SHOW(dup2(0, 64));
	SHOW(fcntl(0, F_DUPFD, 64));
	for (fd = 3; fd <= last; fd++)
		close(fd);
	rl.rlim_cur = rl.rlim_max + 1;
	SHOW(setrlimit(RLIMIT_NOFILE, &rl)); /* soft above hard */
	SHOW(prlimit(0, RLIMIT_NOFILE, NULL, &old));
	printf("cur %llu\n", (unsigned long long)old.rlim_cur);
	SHOW(prlimit(getpid(), RLIMIT_NOFILE, NULL, &old));
	SHOW(prlimit(999999, RLIMIT_NOFILE, NULL, &old));
	SHOW(prlimit(-1, RLIMIT_NOFILE, NULL, &old));
	rl = (struct rlimit){512, 512};
	SHOW(prlimit(0, RLIMIT_NOFILE, &rl, &old));
	printf("old cur 64: %d\n", old.rlim_cur == 64);
	SHOW(getrlimit(RLIMIT_NOFILE, &rl));
	printf("now %llu/%llu\n", (unsigned long long)rl.rlim_cur,
	       (unsigned long long)rl.rlim_max);
	rl = (struct rlimit){0, 0};
	SHOW(setrlimit(RLIMIT_CORE, &rl));
	SHOW(getrlimit(RLIMIT_CORE, &rl));
	printf("core %llu/%llu\n", (unsigned long long)rl.rlim_cur,
	       (unsigned long long)rl.rlim_max);
	struct rusage ru;
	SHOW(getrusage(RUSAGE_SELF, &ru));
	SHOW(getrusage(RUSAGE_CHILDREN, &ru));
	printf("children utime %ld\n", (long)ru.ru_utime.tv_sec);
	SHOW(getrusage(5, &ru));
	struct tms t;
	printf("times > 0: %d\n", times(&t) > 0);
	return 0;
}
