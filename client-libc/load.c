/*
 * lind-run's userspace exec: map a program (and its ELF interpreter) into
 * this process from host files, build the stack the kernel would, and jump
 * to it.  No host execve happens, so the SIGSYS handler and the filter
 * installed before stay in force from the program's first instruction;
 * execve would reset the handler and leave a filter nobody answers.
 *
 * Runs in lind-run's child before the filter (the files are the ones the
 * user named to lind-run and their interpreter, read as the user, from
 * host fds), and again inside the cage for execve (exec.c: virtual fds
 * read through the channel).  So every call here is a raw one (errno and
 * the TLS are the program's at exec time) and nothing allocates.
 */
#define _GNU_SOURCE
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "boot.h"
#include "client.h"
#include "load.h"

#define PAGE 4096ul
#define PAGE_DOWN(x) ((uintptr_t)(x) & ~(PAGE - 1))
#define PAGE_UP(x) PAGE_DOWN((uintptr_t)(x) + PAGE - 1)
#define MAX_PHNUM LOAD_MAX_PHNUM

static long raw_mmap(uintptr_t addr, size_t len, int prot, int flags, int fd,
		     uint64_t off)
{
	return lind_host6(SYS_mmap, (long)addr, (long)len, prot, flags, fd,
			  (long)off);
}

/* Up to len bytes at off: a host pread, or one through the server. */
static long src_pread(const struct load_src *src, void *buf, size_t len,
		      uint64_t off)
{
	if (src->host)
		return lind_host6(SYS_pread64, src->fd, (long)buf, (long)len,
				  (long)off, 0, 0);
	return lind_syscall(SYS_pread64, src->fd, (long)buf, (long)len,
			    (long)off, 0, 0);
}

/* Exactly len bytes at off; a short file is no program (-ENOEXEC). */
static int read_exact(const struct load_src *src, void *buf, size_t len,
		      uint64_t off)
{
	size_t done = 0;
	while (done < len) {
		long r = src_pread(src, (char *)buf + done, len - done,
				   off + done);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -ENOEXEC;
		done += (size_t)r;
	}
	return 0;
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

/* A PT_LOAD whose ends do not wrap and lie in user space: what reserve()
 * spans then covers it, so no MAP_FIXED can land outside the span (on
 * lind-run's own code, say, before the filter is in). */
static int check_load(const Elf64_Phdr *p)
{
	const uint64_t top = 0x7ffffffff000ull; /* x86-64 user space */
	if (p->p_filesz > p->p_memsz || p->p_memsz > top ||
	    p->p_vaddr > top - p->p_memsz || p->p_offset > INT64_MAX ||
	    p->p_filesz > INT64_MAX - p->p_offset)
		return -ENOEXEC;
	return 0;
}

static int prot_of(uint32_t pf)
{
	return (pf & PF_R ? PROT_READ : 0) | (pf & PF_W ? PROT_WRITE : 0) |
	       (pf & PF_X ? PROT_EXEC : 0);
}

/* File pages [start, fend) of a segment at m: mapped from a host fd, or
 * read through the server into anonymous memory. */
static int map_file_part(const struct load_src *src, const Elf64_Phdr *p,
			 uintptr_t start, uintptr_t fend, int prot)
{
	uintptr_t m = PAGE_DOWN(start);
	uint64_t off = PAGE_DOWN(p->p_offset);
	/* writable for now: the bss may start inside the last page */
	if (src->host) {
		long r = raw_mmap(m, fend - m, prot | PROT_WRITE,
				  MAP_PRIVATE | MAP_FIXED, src->fd, off);
		return r < 0 ? (int)r : 0;
	}
	long r = raw_mmap(m, fend - m, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0);
	if (r < 0)
		return (int)r;
	return read_exact(src, (void *)m, fend - m, off);
}

/* One PT_LOAD at bias: file pages, then zeroed pages up to p_memsz. */
static int map_segment(const struct load_src *src, const Elf64_Phdr *p,
		       uintptr_t bias)
{
	uintptr_t start = bias + p->p_vaddr, fend = start + p->p_filesz;
	uintptr_t mend = start + p->p_memsz;
	int prot = prot_of(p->p_flags);
	if ((p->p_vaddr & (PAGE - 1)) != (p->p_offset & (PAGE - 1)) ||
	    p->p_filesz > p->p_memsz)
		return -ENOEXEC;
	if (p->p_filesz) {
		int r = map_file_part(src, p, start, fend, prot);
		if (r < 0)
			return r;
		if (p->p_memsz > p->p_filesz && PAGE_UP(fend) > fend)
			memset((void *)fend, 0, PAGE_UP(fend) - fend);
		long m = lind_host6(SYS_mprotect, (long)PAGE_DOWN(start),
				    (long)(fend - PAGE_DOWN(start)), prot, 0,
				    0, 0);
		if (m < 0)
			return (int)m;
	}
	uintptr_t zero = p->p_filesz ? PAGE_UP(fend) : PAGE_DOWN(start);
	if (PAGE_UP(mend) > zero) {
		long r = raw_mmap(zero, PAGE_UP(mend) - zero, prot,
				  MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1,
				  0);
		if (r < 0)
			return (int)r;
	}
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
	long m = raw_mmap(fixed ? lo : 0, hi - lo, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | fixed, -1, 0);
	if (m < 0)
		return m == -EEXIST ? -ENOMEM : (int)m;
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

int load_elf_read(const struct load_src *src, struct elf_image *img)
{
	Elf64_Ehdr *eh = &img->eh;
	Elf64_Phdr *ph = img->ph;
	int r = read_exact(src, eh, sizeof *eh, 0);
	if (r == 0)
		r = check_header(eh);
	if (r == 0)
		r = read_exact(src, ph, eh->e_phnum * sizeof ph[0], eh->e_phoff);
	if (r < 0)
		return r == -EIO || r == -EISDIR ? -ENOEXEC : r;
	img->interp[0] = '\0';
	img->exec_stack = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (r = check_load(&ph[i])) < 0)
			return r;
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_GNU_STACK)
			img->exec_stack = (ph[i].p_flags & PF_X) != 0;
		if (ph[i].p_type != PT_INTERP)
			continue;
		if (ph[i].p_filesz < 2 || ph[i].p_filesz > sizeof img->interp)
			return -ENOEXEC;
		r = read_exact(src, img->interp, ph[i].p_filesz,
			       ph[i].p_offset);
		if (r < 0 || img->interp[ph[i].p_filesz - 1])
			return -ENOEXEC;
	}
	return 0;
}

int load_elf_map(const struct load_src *src, struct elf_image *img)
{
	const Elf64_Ehdr *eh = &img->eh;
	uintptr_t bias = 0;
	int r = reserve(eh, img->ph, &bias);
	if (r < 0)
		return r;
	for (int i = 0; i < eh->e_phnum; i++)
		if (img->ph[i].p_type == PT_LOAD &&
		    (r = map_segment(src, &img->ph[i], bias)) < 0)
			return r;
	img->bias = bias;
	img->entry = bias + eh->e_entry;
	img->phdr = phdr_addr(eh, img->ph, bias);
	img->phnum = eh->e_phnum;
	return 0;
}

int load_elf(const struct load_src *src, struct elf_image *img)
{
	int r = load_elf_read(src, img);
	return r < 0 ? r : load_elf_map(src, img);
}

int load_shebang(char *buf, size_t n, char **interp, char **arg)
{
	if (n < 2 || buf[0] != '#' || buf[1] != '!')
		return 0;
	char *nl = memchr(buf, '\n', n);
	if (!nl)
		return -ENOEXEC;
	*nl = '\0';
	char *p = buf + 2;
	p += strspn(p, " \t");
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	p += strcspn(p, " \t");
	if (*p) {
		*p++ = '\0';
		p += strspn(p, " \t");
		size_t len = strlen(p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			p[--len] = '\0';
	}
	*arg = *p ? p : NULL;
	return 1;
}

uintptr_t load_stack_map(int exec_stack, long *err)
{
	/* executable only when the program asks (PT_GNU_STACK), as Linux */
	int prot = PROT_READ | PROT_WRITE | (exec_stack ? PROT_EXEC : 0);
	long m = raw_mmap(0, LOAD_STACK_SIZE, prot,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	*err = m < 0 ? m : 0;
	return m < 0 ? 0 : (uintptr_t)m;
}

/* Copy s below *top; its address. */
static char *push_str(char **top, const char *s)
{
	size_t n = strlen(s) + 1;
	*top -= n;
	memcpy(*top, s, n);
	return *top;
}

/* argv or envp: its strings below *top, the pointers at w; past them. */
static unsigned long *push_vec(unsigned long *w, char **top,
			       char *const v[], size_t n)
{
	for (size_t i = 0; i < n; i++)
		*w++ = (unsigned long)push_str(top, v[i]);
	*w++ = 0;
	return w;
}

static size_t vec_bytes(char *const v[], size_t *n)
{
	size_t b = 0;
	for (*n = 0; v[*n]; (*n)++)
		b += strlen(v[*n]) + 1;
	return b;
}

/*
 * The initial stack of the System V x86-64 ABI: argc, argv[], NULL,
 * envp[], NULL, auxv pairs, AT_NULL; strings above.  Auxv entries that
 * describe the machine are copied from ours; those that describe the
 * image are the program's.
 */
/* The cage's virtual id: the server's once attached (exec), else what
 * lind-run --uid/--gid asks for (boot), else ours. */
static unsigned long virt_id(long nr, unsigned long at)
{
	long r = lind_cl ? lind_syscall(nr, 0, 0, 0, 0, 0, 0) : -1;
	const struct lind_boot_cred *bc = lind_boot_cred_asked();
	if (r >= 0)
		return (unsigned long)r;
	if (bc)
		return at == AT_UID || at == AT_EUID ? bc->uid : bc->gid;
	return getauxval(at);
}

uintptr_t load_stack(const struct elf_image *prog, uintptr_t interp_base,
		     char *const argv[], char *const envp[], const char *execfn,
		     uintptr_t stack_top)
{
	char *top = (char *)stack_top;
	size_t argc, envc;
	size_t bytes = vec_bytes(argv, &argc) + vec_bytes(envp, &envc);
	char *fn = push_str(&top, execfn), *plat = push_str(&top, "x86_64");
	top -= 16;
	char *rnd = top;
	if (lind_host6(SYS_getrandom, (long)rnd, 16, GRND_NONBLOCK, 0, 0, 0) != 16)
		memset(rnd, 0x5a, 16);
	unsigned long aux[][2] = {
		{AT_PHDR, prog->phdr},       {AT_PHENT, sizeof(Elf64_Phdr)},
		{AT_PHNUM, prog->phnum},     {AT_PAGESZ, PAGE},
		{AT_BASE, interp_base},      {AT_FLAGS, 0},
		{AT_ENTRY, prog->entry},
		{AT_UID, virt_id(LIND_SYS_getuid, AT_UID)},
		{AT_EUID, virt_id(LIND_SYS_geteuid, AT_EUID)},
		{AT_GID, virt_id(LIND_SYS_getgid, AT_GID)},
		{AT_EGID, virt_id(LIND_SYS_getegid, AT_EGID)}, {AT_SECURE, 0},
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
	unsigned long *sp = (unsigned long *)(PAGE_DOWN(top - bytes) - 64);
	sp -= words;
	sp = (unsigned long *)((uintptr_t)sp & ~15ul); /* rsp % 16 == 0 */
	unsigned long *w = sp;
	*w++ = argc;
	w = push_vec(w, &top, argv, argc);
	w = push_vec(w, &top, envp, envc);
	memcpy(w, aux, sizeof aux);
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
