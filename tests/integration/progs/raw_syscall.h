/* A raw x86-64 syscall instruction for the hostile test programs: no libc
 * wrapper, no client-libc stub; every argument register as given (r9
 * included, where client-libc's magic would go).  The result or -errno. */
#ifndef LIND_TEST_RAW_SYSCALL_H
#define LIND_TEST_RAW_SYSCALL_H

static inline long raw6(long nr, long a0, long a1, long a2, long a3, long a4,
			long a5)
{
	register long r10 __asm__("r10") = a3;
	register long r8 __asm__("r8") = a4;
	register long r9 __asm__("r9") = a5;
	long ret;
	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10),
			   "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return ret;
}

#endif
