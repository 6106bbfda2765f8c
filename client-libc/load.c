/*
 * lind-run's userspace exec: map a program (and its ELF interpreter) into
 * this process from host files, build the stack the kernel would, and jump
 * to it.  No host execve happens, so the SIGSYS handler and the filter
 * installed before stay in force from the program's first instruction;
 * execve would reset the handler and leave a filter nobody answers.
 *
 * Runs in lind-run's child before the filter (the files are the ones the
 * user named to lind-run and their interpreter, read as the user), except
 * load_jump, which runs after it and makes no call at all.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <unistd.h>

#include "load.h"

#define PAGE 4096ul
#define PAGE_DOWN(x) ((uintptr_t)(x) & ~(PAGE - 1))
#define PAGE_UP(x) PAGE_DOWN((uintptr_t)(x) + PAGE - 1)
#define STACK_SIZE (8ul << 20)
#define MAX_PHNUM 128

static int read_exact(int fd, void *buf, size_t len, off_t off)
{
	ssize_t r = pread(fd, buf, len, off);
	if (r < 0)
		return -errno;
	return (size_t)r == len ? 0 : -ENOEXEC;
}

static int check_header(const Elf64_Ehdr *eh)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_ident[EI_DATA] != ELFDATA2LSB ||
	    eh->e_machine != EM_X86_64 ||
	    (eh->e_type != ET_EXEC && eh->e_type != ET_DYN) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_phnum == 0 ||
	    eh->e_phnum > MAX_PHNUM)
		return -ENOEXEC;
	return 0;
}

static int prot_of(uint32_t pf)
{
	return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) |
	       (pf & PF_X ? PROT_EXEC : 0);
}

/* One PT_LOAD at bias: file pages, then zeroed pages up to p_memsz. */
static int map_segment(int fd, const Elf64_Phdr *p, uintptr_t bias)
{
	uintptr_t start = bias + p->p_vaddr, fend = start + p->p_filesz;
	uintptr_t mend = start + p->p_memsz;
	int prot = prot_of(p->p_flags);
	if ((p->p_vaddr & (PAGE - 1)) != (p->p_offset & (PAGE - 1)) ||
	    p->p_filesz > p->p_memsz)
		return -ENOEXEC;
	if (p->p_filesz) {
		/* writable for now: the bss may start inside the last page */
		void *m = mmap((void *)PAGE_DOWN(start),
			       fend - PAGE_DOWN(start), prot | PROT_WRITE,
			       MAP_PRIVATE | MAP_FIXED, fd,
			       (off_t)PAGE_DOWN(p->p_offset));
		if (m == MAP_FAILED)
			return -errno;
		if (p->p_memsz > p->p_filesz && PAGE_UP(fend) > fend)
			memset((void *)fend, 0, PAGE_UP(fend) - fend);
		if (mprotect(m, fend - PAGE_DOWN(start), prot) < 0)
			return -errno;
	}
	uintptr_t zero = p->p_filesz ? PAGE_UP(fend) : PAGE_DOWN(start);
	if (PAGE_UP(mend) > zero &&
	    mmap((void *)zero, PAGE_UP(mend) - zero, prot,
		 MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0) == MAP_FAILED)
		return -errno;
	return 0;
}

/* Reserve the image's whole span (anywhere for ET_DYN, at its addresses
 * for ET_EXEC) so segments land together and clash with nothing. */
static int reserve(const Elf64_Ehdr *eh, const Elf64_Phdr *ph,
		   uintptr_t *bias)
{
	uintptr_t lo = UINTPTR_MAX, hi = 0;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type != PT_LOAD)
			continue;
		if (ph[i].p_vaddr < lo)
			lo = ph[i].p_vaddr;
		if (ph[i].p_vaddr + ph[i].p_memsz > hi)
			hi = ph[i].p_vaddr + ph[i].p_memsz;
	}
	if (lo >= hi)
		return -ENOEXEC;
	lo = PAGE_DOWN(lo);
	hi = PAGE_UP(hi);
	int fixed = eh->e_type == ET_EXEC ? MAP_FIXED_NOREPLACE : 0;
	void *m = mmap(fixed ? (void *)lo : NULL, hi - lo, PROT_NONE,
		       MAP_PRIVATE | MAP_ANONYMOUS | fixed, -1, 0);
	if (m == MAP_FAILED)
		return errno == EEXIST ? -ENOMEM : -errno;
	*bias = (uintptr_t)m - lo;
	return 0;
}

/* Where the program headers are once mapped (AT_PHDR). */
static uintptr_t phdr_addr(const Elf64_Ehdr *eh, const Elf64_Phdr *ph,
			   uintptr_t bias)
{
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_PHDR)
			return bias + ph[i].p_vaddr;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && ph[i].p_offset <= eh->e_phoff &&
		    eh->e_phoff < ph[i].p_offset + ph[i].p_filesz)
			return bias + ph[i].p_vaddr + eh->e_phoff -
			       ph[i].p_offset;
	return 0;
}

int load_elf(int fd, struct elf_image *img)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph[MAX_PHNUM];
	int r = read_exact(fd, &eh, sizeof eh, 0);
	if (r == 0)
		r = check_header(&eh);
	if (r == 0)
		r = read_exact(fd, ph, eh.e_phnum * sizeof ph[0],
			       (off_t)eh.e_phoff);
	if (r < 0)
		return r;
	memset(img, 0, sizeof *img);
	for (int i = 0; i < eh.e_phnum; i++) {
		if (ph[i].p_type != PT_INTERP)
			continue;
		if (ph[i].p_filesz < 2 || ph[i].p_filesz > sizeof img->interp)
			return -ENOEXEC;
		r = read_exact(fd, img->interp, ph[i].p_filesz,
			       (off_t)ph[i].p_offset);
		if (r < 0 || img->interp[ph[i].p_filesz - 1])
			return -ENOEXEC;
	}
	uintptr_t bias = 0;
	if ((r = reserve(&eh, ph, &bias)) < 0)
		return r;
	for (int i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD &&
		    (r = map_segment(fd, &ph[i], bias)) < 0)
			return r;
	for (int i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_GNU_STACK)
			img->exec_stack = (ph[i].p_flags & PF_X) != 0;
	img->bias = bias;
	img->entry = bias + eh.e_entry;
	img->phdr = phdr_addr(&eh, ph, bias);
	img->phnum = eh.e_phnum;
	return 0;
}

/* Copy s to the top of the stack being built; its address. */
static char *push_str(char **top, const char *s)
{
	size_t n = strlen(s) + 1;
	*top -= n;
	memcpy(*top, s, n);
	return *top;
}

/*
 * The initial stack of the System V x86-64 ABI: argc, argv[], NULL,
 * envp[], NULL, auxv pairs, AT_NULL; strings above.  Auxv entries that
 * describe the machine are copied from ours; those that describe the
 * image are the program's.
 */
uintptr_t load_stack(const struct elf_image *prog, uintptr_t interp_base,
		     char *const argv[], char *const envp[], const char *execfn)
{
	/* executable only when the program asks (PT_GNU_STACK), as Linux */
	int prot = PROT_READ | PROT_WRITE | (prog->exec_stack ? PROT_EXEC : 0);
	char *base = mmap(NULL, STACK_SIZE, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	if (base == MAP_FAILED)
		return 0;
	char *top = base + STACK_SIZE;
	size_t argc = 0, envc = 0;
	while (argv[argc])
		argc++;
	while (envp[envc])
		envc++;
	char **sargv = malloc((argc + envc + 2) * sizeof *sargv);
	if (!sargv)
		return 0;
	char **senv = sargv + argc + 1;
	for (size_t i = 0; i < argc; i++)
		sargv[i] = push_str(&top, argv[i]);
	for (size_t i = 0; i < envc; i++)
		senv[i] = push_str(&top, envp[i]);
	sargv[argc] = senv[envc] = NULL;
	char *fn = push_str(&top, execfn), *plat = push_str(&top, "x86_64");
	top -= 16;
	char *rnd = top;
	if (getentropy(rnd, 16) < 0)
		memset(rnd, 0x5a, 16);
	unsigned long aux[][2] = {
		{AT_PHDR, prog->phdr},       {AT_PHENT, sizeof(Elf64_Phdr)},
		{AT_PHNUM, prog->phnum},     {AT_PAGESZ, PAGE},
		{AT_BASE, interp_base},      {AT_FLAGS, 0},
		{AT_ENTRY, prog->entry},     {AT_UID, getauxval(AT_UID)},
		{AT_EUID, getauxval(AT_EUID)}, {AT_GID, getauxval(AT_GID)},
		{AT_EGID, getauxval(AT_EGID)}, {AT_SECURE, 0},
		{AT_RANDOM, (uintptr_t)rnd}, {AT_EXECFN, (uintptr_t)fn},
		{AT_PLATFORM, (uintptr_t)plat},
		{AT_HWCAP, getauxval(AT_HWCAP)},
		{AT_HWCAP2, getauxval(AT_HWCAP2)},
		{AT_CLKTCK, getauxval(AT_CLKTCK)},
		{AT_SYSINFO_EHDR, getauxval(AT_SYSINFO_EHDR)},
		{AT_MINSIGSTKSZ, getauxval(AT_MINSIGSTKSZ)},
		{AT_NULL, 0},
	};
	size_t words = 1 + argc + 1 + envc + 1 + 2 * (sizeof aux / sizeof aux[0]);
	unsigned long *sp = (unsigned long *)(PAGE_DOWN(top) - 64);
	sp -= words;
	sp = (unsigned long *)((uintptr_t)sp & ~15ul); /* rsp % 16 == 0 */
	unsigned long *w = sp;
	*w++ = argc;
	memcpy(w, sargv, (argc + 1) * sizeof *w);
	w += argc + 1;
	memcpy(w, senv, (envc + 1) * sizeof *w);
	w += envc + 1;
	memcpy(w, aux, sizeof aux);
	free(sargv);
	return (uintptr_t)sp;
}

void load_jump(uintptr_t sp, uintptr_t entry)
{
	register uintptr_t target __asm__("r15") = entry; /* not zeroed */
	/* rdx: a function for atexit, none; the rest as the kernel leaves
	 * them, zero, so nothing of lind-run leaks into the program */
	__asm__ volatile("mov %0, %%rsp\n\t"
			 "xor %%eax, %%eax\n\txor %%ebx, %%ebx\n\t"
			 "xor %%ecx, %%ecx\n\txor %%edx, %%edx\n\t"
			 "xor %%esi, %%esi\n\txor %%edi, %%edi\n\t"
			 "xor %%ebp, %%ebp\n\txor %%r8d, %%r8d\n\t"
			 "xor %%r9d, %%r9d\n\txor %%r10d, %%r10d\n\t"
			 "xor %%r11d, %%r11d\n\txor %%r12d, %%r12d\n\t"
			 "xor %%r13d, %%r13d\n\txor %%r14d, %%r14d\n\t"
			 "jmp *%1"
			 :
			 : "r"(sp), "r"(target)
			 : "memory");
	__builtin_unreachable();
}
