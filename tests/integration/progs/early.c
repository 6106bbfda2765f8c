/* Code that runs before client-libc's constructor, each kind reporting
 * through raw syscall instructions (no libc wrapper, no stub): whether its
 * getpid is the cage's virtual pid and whether a file it creates lands in
 * the virtual filesystem.  Built as a lind-cc program (dynamic and static)
 * and natively (static, without client-libc); with -DNOSTART it is a
 * -nostartfiles program whose _start does the same and exits.
 *   early DIR: each stage creates DIR/<stage> and prints "<stage> pid N". */
#define _GNU_SOURCE
#include <fcntl.h>
#include <sys/syscall.h>

static const char *dir;

#include "raw_syscall.h"
#define raw(nr, a, b, c) raw6(nr, a, b, c, 0, 0, 0)

static void put(char **p, const char *s)
{
	while (*s)
		*(*p)++ = *s++;
}

/* "<stage> pid N\n" on fd 1, and DIR/<stage> created (O_EXCL) */
static void stage(const char *name)
{
	char line[256], *p = line, num[24], *q = num + sizeof num;
	long pid = raw(SYS_getpid, 0, 0, 0);
	*--q = '\0';
	do
		*--q = (char)('0' + pid % 10);
	while ((pid /= 10) > 0);
	put(&p, name);
	put(&p, " pid ");
	put(&p, q);
	put(&p, "\n");
	raw(SYS_write, 1, (long)line, p - line);
	if (!dir)
		return;
	p = line;
	put(&p, dir);
	put(&p, "/");
	put(&p, name);
	*p = '\0';
	long fd = raw(SYS_open, (long)line, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd >= 0)
		raw(SYS_close, fd, 0, 0);
}

#ifdef NOSTART
/* rsp holds argc, then argv: DIR is argv[1] */
__attribute__((used)) static void start_c(long *sp)
{
	if (sp[0] > 1)
		dir = (const char *)sp[2];
	stage("nostartfiles");
	raw(SYS_exit_group, 0, 0, 0);
}
__asm__(".globl _start\n_start:\n\tmov %rsp, %rdi\n\tand $-16, %rsp\n"
	"\tcall start_c\n\thlt\n");
#else
static void preinit(int argc, char **argv)
{
	if (argc > 1)
		dir = argv[1];
	stage("preinit");
}
__attribute__((section(".preinit_array"), used)) static void (*pre)(int, char **) =
	preinit;

/* before client-libc's own constructor (101) */
#pragma GCC diagnostic ignored "-Wpragmas"
#pragma GCC diagnostic ignored "-Wprio-ctor-dtor"
__attribute__((constructor(100))) static void ctor100(void)
{
	stage("ctor100");
}

int main(void)
{
	stage("main");
	return 0;
}
#endif
