/* client-libc's public interface for cage programs (built with lind-cc). */
#ifndef LIND_LIND_H
#define LIND_LIND_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Make syscall nr (a Linux x86-64 number, a row of the lind syscall table)
 * through the cage's channel.  Returns the result, or -errno; errno is never
 * touched.  A number without a row answers -ENOSYS.
 */
long lind_syscall(long nr, long a0, long a1, long a2, long a3, long a4,
		  long a5);

/* This process's cage id (its virtual pid), 0 when not attached. */
unsigned long lind_cage_id(void);

#ifdef __cplusplus
}
#endif

#endif
