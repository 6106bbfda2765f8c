/* lind-run's userspace exec (load.c): ELF images, the initial stack, the
 * jump.  See load.c for why the kernel's execve is not used. */
#ifndef LIND_LOAD_H
#define LIND_LOAD_H

#include <limits.h>
#include <stdint.h>

struct elf_image {
	uintptr_t bias;  /* load address minus link address */
	uintptr_t entry; /* in memory */
	uintptr_t phdr;  /* program headers in memory (AT_PHDR) */
	unsigned phnum;
	int exec_stack; /* PT_GNU_STACK asks for an executable stack */
	char interp[PATH_MAX]; /* PT_INTERP, "" when static */
};

/* Map the ELF file open at fd: 0 or -errno (-ENOEXEC: not an x86-64 ELF
 * executable or shared object we can load). */
int load_elf(int fd, struct elf_image *img);

/* A fresh stack holding argc, argv, envp and auxv for prog (whose
 * interpreter, if any, is mapped at interp_base): its rsp, 0 on failure. */
uintptr_t load_stack(const struct elf_image *prog, uintptr_t interp_base,
		     char *const argv[], char *const envp[], const char *execfn);

/* Switch to sp and jump to entry, as the kernel starts a program. */
__attribute__((noreturn)) void load_jump(uintptr_t sp, uintptr_t entry);

#endif
