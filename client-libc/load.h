/* lind-run's userspace exec (load.c): ELF images, the initial stack, the
 * jump.  See load.c for why the kernel's execve is not used. */
#ifndef LIND_LOAD_H
#define LIND_LOAD_H

#include <elf.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>

#define LOAD_MAX_PHNUM 128
#define LOAD_STACK_SIZE (8ul << 20)
#define LOAD_SHEBANG_MAX 256 /* Linux's BINPRM_BUF_SIZE */

/* Where an image is read from: a host fd (lind-run's first boot, before
 * the filter; mapped directly) or a virtual fd (exec, inside the cage;
 * read through the channel into anonymous memory). */
struct load_src {
	int fd;
	int host;
};

struct elf_image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[LOAD_MAX_PHNUM];
	uintptr_t bias;  /* load address minus link address */
	uintptr_t entry; /* in memory */
	uintptr_t phdr;  /* program headers in memory (AT_PHDR) */
	unsigned phnum;
	int exec_stack; /* PT_GNU_STACK asks for an executable stack */
	char interp[PATH_MAX]; /* PT_INTERP, "" when static */
};

/* Read and check the headers and PT_INTERP: 0 or -errno (-ENOEXEC: not
 * an x86-64 ELF executable or shared object we can load).  Maps nothing. */
int load_elf_read(const struct load_src *src, struct elf_image *img);
/* Map an image load_elf_read accepted: 0 or -errno. */
int load_elf_map(const struct load_src *src, struct elf_image *img);
/* Both. */
int load_elf(const struct load_src *src, struct elf_image *img);

/* "#!interp [arg]" in buf[0..n) (the file's first bytes; buf has room
 * for a NUL at n): 1 and the parts (pointing into buf), 0 when it is no
 * script, -ENOEXEC when the line is too long or names nothing. */
int load_shebang(char *buf, size_t n, char **interp, char **arg);

/* An anonymous LOAD_STACK_SIZE stack (executable if asked): its base, or
 * 0 with *err set. */
uintptr_t load_stack_map(int exec_stack, long *err);
/* The kernel's initial stack for prog (whose interpreter, if any, is
 * mapped at interp_base) below top: its rsp.  No allocation, no errno:
 * exec builds it inside the cage. */
uintptr_t load_stack(const struct elf_image *prog, uintptr_t interp_base,
		     char *const argv[], char *const envp[], const char *execfn,
		     uintptr_t top);

/* Switch to sp and jump to entry, as the kernel starts a program. */
__attribute__((noreturn)) void load_jump(uintptr_t sp, uintptr_t entry);

#endif
