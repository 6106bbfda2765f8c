/*
 * execve, execveat, fexecve inside a cage: lind-run's loader run again,
 * from the SIGSYS handler (glibc's execve traps; trap.c calls
 * lind_cl->exec, which only lind-run sets).  No host execve: it would
 * reset the SIGSYS handler while the filter stayed, and the filter cannot
 * read execve's path anyway (docs/architecture.md, "exec").
 *
 * Before the point of no return everything that can fail is checked, in
 * Linux's order, through the server (the program is in the virtual
 * filesystem): the path (ENOENT, ENOTDIR, ELOOP, ENAMETOOLONG, EACCES for
 * search or execute permission or a file that is not regular), argv and
 * envp (EFAULT, E2BIG), the format (#! lines and their interpreters, the
 * ELF and its PT_INTERP: ENOEXEC), then the server is told (lind_exec:
 * close-on-exec fds, the new argv and exe).  A failure returns -errno
 * and the old image runs on untouched.
 *
 * Then, on the new stack: the old program is unmapped (all but what
 * exec_boot_record noted as lind-run's own, the channel and the new
 * stack), caught signals go back to SIG_DFL, the new image and its
 * interpreter are read in, the kernel's initial stack is built, and an
 * rt_sigreturn leaves the handler's frame for the new entry point with the
 * pre-exec signal mask, the alternate signal stack disabled and a clean
 * FPU.  A failure there kills the process with SIGSEGV, as Linux does.
 *
 * Everything here runs in the handler, on the program's thread: raw calls
 * only, no allocation, no errno (the TLS is the program's).  One exec at a
 * time; past the point of no return the other threads of the cage are
 * ended first (threads.c), as Linux's execve does.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

#include "boot.h"
#include "client.h"
#include "load.h"

#define PAGE 4096ul
#define PAGE_DOWN(x) ((uintptr_t)(x) & ~(PAGE - 1))
#define PAGE_UP(x) PAGE_DOWN((uintptr_t)(x) + PAGE - 1)
#define USER_TOP 0x7ffffffff000ul
#define KEEP_MAX 64
#define ARG_STRLEN_MAX (32 * PAGE)        /* Linux's MAX_ARG_STRLEN */
#define ARGS_MAX (LOAD_STACK_SIZE / 4)    /* rlimit 8 MiB / 4, as Linux */
#define SCRATCH (1ul << 20) /* bottom of the new stack: exec_commit's own */
#define SCRIPT_DEPTH 5      /* interpreters that are scripts, as Linux */
/* each level: interp, arg, file name in, argv[0] out */
#define SCRIPT_SLOTS (2 * SCRIPT_DEPTH + 2)

struct range {
	uintptr_t lo, hi;
};

/* lind-run's own memory (image, heap, first stack, vdso, channel): what
 * every exec keeps.  Written at boot, before the filter. */
static struct range keep[KEEP_MAX];
static int nkeep;
static uintptr_t boot_brk, boot_fs;
static pid_t boot_pid;

/* The exec under way (one at a time). */
static struct {
	struct elf_image prog, ld;
	int fd, ld_fd;
	uintptr_t stack;     /* the new stack's base */
	char **argv, **envp; /* staged in the new stack */
	char *str, *str_end; /* the staging area's free string space */
	const char *execfn;  /* AT_EXECFN */
	uint64_t mask;       /* the signal mask before the call */
	unsigned long uc_flags;
	greg_t csgsfs;
} job;
static _Atomic int busy;

static void keep_add(uintptr_t lo, uintptr_t hi)
{
	if (nkeep == KEEP_MAX || lo >= hi || lo >= USER_TOP)
		return;
	int i = nkeep++;
	while (i > 0 && keep[i - 1].lo > lo) { /* sorted by start */
		keep[i] = keep[i - 1];
		i--;
	}
	keep[i] = (struct range){PAGE_DOWN(lo), PAGE_UP(hi)};
}

void exec_boot_record(void)
{
	static char maps[16384];
	size_t n = 0;
	ssize_t r;
	int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return; /* no exec then: nothing is known to be ours */
	while (n < sizeof maps - 1 &&
	       (r = read(fd, maps + n, sizeof maps - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	maps[n] = '\0';
	for (char *p = maps; *p;) {
		unsigned long lo, hi;
		if (sscanf(p, "%lx-%lx", &lo, &hi) == 2)
			keep_add(lo, hi);
		char *nl = strchr(p, '\n');
		if (!nl)
			break;
		p = nl + 1;
	}
	boot_pid = getpid();
}

static long exec_call(long nr, void *uc, const long a[6]);

/* A forked child: its channel is a new mapping (the parent's goes), and
 * its pid is its own. */
static void exec_forked(const void *old_chan, int host_pid)
{
	for (int i = 0; i < nkeep; i++)
		if (keep[i].lo == (uintptr_t)old_chan) {
			memmove(keep + i, keep + i + 1,
				(size_t)(nkeep - i - 1) * sizeof *keep);
			nkeep--;
			break;
		}
	keep_add((uintptr_t)lind_cl->chan,
		 (uintptr_t)lind_cl->chan + sizeof *lind_cl->chan);
	boot_pid = host_pid;
}

void exec_boot_attached(void)
{
	/* the heap as boot left it: the program's brk grows from here */
	uintptr_t heap_lo = boot_brk = (uintptr_t)syscall(SYS_brk, 0);
	for (int i = 0; i < nkeep; i++)
		if (keep[i].hi >= PAGE_DOWN(heap_lo) && keep[i].lo <= heap_lo)
			heap_lo = keep[i].lo;
	keep_add(heap_lo, boot_brk);
	keep_add((uintptr_t)lind_cl->chan,
		 (uintptr_t)lind_cl->chan + sizeof *lind_cl->chan);
	unsigned long fs = 0;
	syscall(SYS_arch_prctl, ARCH_GET_FS, &fs);
	boot_fs = fs;
	if (nkeep > 0 && nkeep < KEEP_MAX && boot_fs) {
		lind_cl->exec_forked = exec_forked;
		lind_cl->exec = exec_call;
	}
}

/* ---- reading the caller's memory ----------------------------------- */

/* Whether the page holding p can be read: a futex wait on its first word
 * with a zero timeout reads it (EFAULT if it cannot) and never sleeps. */
static int readable(const void *p)
{
	static const struct timespec zero;
	if ((uintptr_t)p >= USER_TOP)
		return 0;
	return lind_host6(SYS_futex, (long)PAGE_DOWN(p), FUTEX_WAIT_PRIVATE,
			  0x5a5a5a5a, (long)&zero, 0, 0) != -EFAULT;
}

/* strnlen of the caller's string: max when no NUL before it, -EFAULT. */
static long user_strnlen(const char *s, size_t max)
{
	for (size_t i = 0; i < max; i++) {
		if ((i == 0 || ((uintptr_t)(s + i) & (PAGE - 1)) == 0) &&
		    !readable(s + i))
			return -EFAULT;
		if (!s[i])
			return (long)i;
	}
	return (long)max;
}

/* Entries of the caller's NULL-terminated vector (NULL: none), -EFAULT,
 * or -E2BIG when its pointers alone pass the limit. */
static long user_veclen(char *const *v)
{
	long n = 0;
	if (!v)
		return 0;
	for (;; n++) {
		if ((n == 0 || ((uintptr_t)&v[n] & (PAGE - 1)) < sizeof *v) &&
		    (!readable(&v[n]) || !readable((char *)&v[n + 1] - 1)))
			return -EFAULT;
		if (!v[n])
			return n;
		if ((size_t)(n + 1) * sizeof *v > ARGS_MAX)
			return -E2BIG;
	}
}

/* ---- staging argv and envp in the new stack ------------------------ */

static char *stage_str(const char *s, size_t len)
{
	if ((size_t)(job.str_end - job.str) < len + 1)
		return NULL;
	char *d = job.str;
	memcpy(d, s, len);
	d[len] = '\0';
	job.str += len + 1;
	return d;
}

/* Copy n strings of v to dst: 0, -EFAULT or -E2BIG (*total counts the
 * bytes, pointers included, against Linux's limit). */
static long stage_vec(char **dst, char *const *v, long n, size_t *total)
{
	for (long i = 0; i < n; i++) {
		long len = user_strnlen(v[i], ARG_STRLEN_MAX);
		if (len < 0)
			return len;
		*total += (size_t)len + 1 + sizeof *v;
		if (len == ARG_STRLEN_MAX || *total > ARGS_MAX)
			return -E2BIG;
		if (!(dst[i] = stage_str(v[i], (size_t)len)))
			return -E2BIG;
	}
	dst[n] = NULL;
	return 0;
}

/* argv and envp into the new stack, SCRIPT_SLOTS free before argv. */
static long stage_args(char *const *argv, char *const *envp)
{
	long argc = user_veclen(argv), envc = user_veclen(envp);
	if (argc < 0)
		return argc;
	if (envc < 0)
		return envc;
	size_t total = 0;
	if ((size_t)(argc + envc + 2) * sizeof(char *) > ARGS_MAX)
		return -E2BIG;
	char **vec = (char **)(job.stack + SCRATCH);
	job.argv = vec + SCRIPT_SLOTS;
	job.envp = job.argv + (argc ? argc : 1) + 1;
	job.str = (char *)(job.envp + envc + 1);
	job.str_end = (char *)(job.stack + LOAD_STACK_SIZE / 2);
	long r = stage_vec(job.argv, argv, argc, &total);
	if (r == 0 && argc == 0) { /* an empty argv gets "", as Linux */
		job.argv[0] = stage_str("", 0);
		job.argv[1] = NULL;
	}
	return r < 0 ? r : stage_vec(job.envp, envp, envc, &total);
}

/* ---- the file ------------------------------------------------------ */

/* Open what execve would run: Linux's errors for the path, EACCES for a
 * file that is not regular or lacks the execute bit.  The fd is not
 * close-on-exec: lind_exec must leave it to the loader. */
static long open_exec(int dirfd, const char *path, int flags)
{
	struct stat st;
	int at = flags & (AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW);
	long r = lind_syscall(SYS_newfstatat, dirfd, (long)path, (long)&st,
			      at, 0, 0);
	if (r < 0)
		return r;
	if (S_ISLNK(st.st_mode))
		return -ELOOP; /* AT_SYMLINK_NOFOLLOW on a link */
	if (!S_ISREG(st.st_mode))
		return -EACCES;
	r = lind_syscall(SYS_faccessat2, dirfd, (long)path, X_OK, at, 0, 0);
	if (r < 0)
		return r;
	if (!path[0])
		return lind_syscall(SYS_fcntl, dirfd, F_DUPFD, 0, 0, 0, 0);
	/* opened for us, as the kernel does, when only --x is allowed */
	return lind_syscall(LIND_SYS_lind_openexec, dirfd, (long)path,
			    at & AT_SYMLINK_NOFOLLOW, 0, 0, 0);
}

static void close_fd(int *fd)
{
	if (*fd >= 0)
		lind_syscall(SYS_close, *fd, 0, 0, 0, 0, 0);
	*fd = -1;
}

/* The name a script's interpreter is given (and AT_EXECFN): the path, or
 * /dev/fd/N[/path] for execveat relative to a directory fd, as Linux. */
static const char *script_name(int dirfd, const char *path)
{
	if (dirfd == AT_FDCWD || path[0] == '/')
		return stage_str(path, strlen(path));
	char num[16], *e = num + sizeof num;
	*--e = '\0';
	unsigned n = (unsigned)dirfd;
	do
		*--e = (char)('0' + n % 10);
	while (n /= 10);
	size_t plen = strlen(path), elen = strlen(e);
	char *d = job.str;
	if ((size_t)(job.str_end - d) < 8 + elen + 1 + plen + 1)
		return NULL;
	char *p = stpcpy(stpcpy(d, "/dev/fd/"), e);
	if (plen)
		p = stpcpy(stpcpy(p, "/"), path);
	job.str = p + 1;
	return d;
}

/* A #! script: its interpreter becomes the file, argv becomes interp
 * [arg] name argv[1...]; *next is the interpreter's name.  1 for a
 * script, 0 for none. */
static long take_script(int dirfd, const char *path, char *hdr, size_t n,
			const char **next)
{
	char *interp, *arg;
	int r = load_shebang(hdr, n, &interp, &arg);
	if (r <= 0)
		return r;
	if (!path[0] && lind_syscall(SYS_fcntl, dirfd, F_GETFD, 0, 0, 0, 0) > 0)
		return -ENOENT; /* fexecve of a close-on-exec script: the
				   interpreter could not open /dev/fd/N */
	const char *name = script_name(dirfd, path);
	char *si = stage_str(interp, strlen(interp));
	char *sa = arg ? stage_str(arg, strlen(arg)) : NULL;
	if (!name || !si || (arg && !sa))
		return -E2BIG;
	char **v = job.argv + (job.argv[0] ? 1 : 0); /* argv[0] dropped */
	*--v = (char *)name;
	if (sa)
		*--v = sa;
	*--v = si;
	job.argv = v;
	long fd = open_exec(AT_FDCWD, si, 0);
	if (fd < 0)
		return fd;
	close_fd(&job.fd);
	job.fd = (int)fd;
	*next = si;
	return 1;
}

/* The program's headers, through #! lines (ELOOP past SCRIPT_DEPTH
 * interpreters, as Linux), then its ELF interpreter's. */
static long read_image(int dirfd, const char *path)
{
	char hdr[LOAD_SHEBANG_MAX + 1];
	long r;
	for (int depth = 0;; depth++) {
		long n = lind_syscall(SYS_pread64, job.fd, (long)hdr,
				      LOAD_SHEBANG_MAX, 0, 0, 0);
		if (n < 0)
			return n == -EISDIR ? -EACCES : n;
		if ((r = take_script(dirfd, path, hdr, (size_t)n, &path)) <= 0)
			break;
		if (depth == SCRIPT_DEPTH)
			return -ELOOP;
		dirfd = AT_FDCWD;
	}
	if (r < 0)
		return r;
	struct load_src src = {job.fd, 0};
	if ((r = load_elf_read(&src, &job.prog)) < 0)
		return r;
	if (!job.prog.interp[0])
		return 0;
	if ((r = open_exec(AT_FDCWD, job.prog.interp, 0)) < 0)
		return r;
	job.ld_fd = (int)r;
	src.fd = job.ld_fd;
	if ((r = load_elf_read(&src, &job.ld)) < 0)
		return r;
	return job.ld.interp[0] ? -ENOEXEC : 0;
}

/* The path as given (AT_EXECFN, for the trace) and the new argv (for
 * /proc), at the bottom of the new stack (unused yet). */
static long tell_server(void)
{
	char *buf = (char *)job.stack, *p = buf;
	size_t fn = strlen(job.execfn) + 1;
	if (fn > LIND_MAX_IO)
		return -ENAMETOOLONG; /* the path walk said so already */
	memcpy(p, job.execfn, fn);
	p += fn;
	for (char **v = job.argv; *v; v++) {
		size_t n = strlen(*v) + 1;
		if ((size_t)(p - buf) + n > LIND_MAX_IO)
			break;
		memcpy(p, *v, n);
		p += n;
	}
	return lind_syscall(LIND_SYS_lind_exec, (long)buf, p - buf, job.fd, 0,
			    0, 0);
}

/* ---- past the point of no return ----------------------------------- */

__attribute__((noreturn)) static void die_segv(void)
{
	struct k_sigaction {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} dfl = {SIG_DFL, 0, NULL, 0};
	uint64_t segv = 1ull << (SIGSEGV - 1);
	lind_host6(SYS_rt_sigaction, SIGSEGV, (long)&dfl, 0, 8, 0,
		   (long)LIND_HOST_MAGIC);
	lind_host6(SYS_rt_sigprocmask, SIG_UNBLOCK, (long)&segv, 0, 8, 0, 0);
	lind_host6(SYS_tgkill, boot_pid, lind_host6(SYS_gettid, 0, 0, 0, 0, 0, 0),
		   SIGSEGV, 0, 0, (long)LIND_HOST_MAGIC);
	lind_host_exit(128 + SIGSEGV);
}

/* Caught signals go back to SIG_DFL; ignored ones stay, as execve does.
 * SIGSYS stays lind-run's. */
static void reset_handlers(void)
{
	struct {
		void *handler;
		unsigned long flags;
		void *restorer;
		uint64_t mask;
	} old, dfl = {SIG_DFL, 0, NULL, 0};
	for (int sig = 1; sig <= 64; sig++) {
		if (sig == SIGKILL || sig == SIGSTOP || sig == SIGSYS ||
		    lind_host6(SYS_rt_sigaction, sig, 0, (long)&old, 8, 0, 0) < 0)
			continue;
		if (old.handler != SIG_DFL && old.handler != SIG_IGN)
			lind_host6(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0,
				   (long)LIND_HOST_MAGIC);
	}
	atomic_store(&lind_cl->norestart_sigs, 0);
}

/* Everything in user space but lind-run's own memory and the new stack. */
static void unmap_old(void)
{
	struct range r[KEEP_MAX + 1];
	int n = 0, i = 0;
	for (; i < nkeep && keep[i].lo < job.stack; i++)
		r[n++] = keep[i];
	r[n++] = (struct range){job.stack, job.stack + LOAD_STACK_SIZE};
	for (; i < nkeep; i++)
		r[n++] = keep[i];
	uintptr_t cur = 0;
	for (i = 0; i < n; i++) {
		if (r[i].lo > cur)
			lind_host6(SYS_munmap, (long)cur, (long)(r[i].lo - cur),
				   0, 0, 0, 0);
		if (r[i].hi > cur)
			cur = r[i].hi;
	}
	if (cur < USER_TOP)
		lind_host6(SYS_munmap, (long)cur, (long)(USER_TOP - cur), 0, 0,
			   0, 0);
}

/* Leave the SIGSYS handler for entry: rt_sigreturn with a frame that
 * restores the pre-exec mask, disables the alternate signal stack and
 * clears the FPU (fpregs NULL), every register but rip and rsp zero. */
__attribute__((noreturn)) static void sigreturn_to(uintptr_t sp,
						   uintptr_t entry)
{
	ucontext_t *uc = (ucontext_t *)(job.stack + 4 * PAGE);
	memset(uc, 0, sizeof *uc);
	uc->uc_flags = job.uc_flags;
	uc->uc_stack.ss_flags = SS_DISABLE;
	uc->uc_mcontext.gregs[REG_RIP] = (greg_t)entry;
	uc->uc_mcontext.gregs[REG_RSP] = (greg_t)sp;
	uc->uc_mcontext.gregs[REG_EFL] = 0x202;
	uc->uc_mcontext.gregs[REG_CSGSFS] = job.csgsfs;
	uc->uc_mcontext.fpregs = NULL;
	memcpy(&uc->uc_sigmask, &job.mask, sizeof job.mask);
	__asm__ volatile("mov %0, %%rsp\n\tmov %1, %%eax\n\tsyscall"
			 :
			 : "r"(uc), "i"(SYS_rt_sigreturn)
			 : "memory");
	__builtin_unreachable();
}

/* On the new stack, past the point of no return. */
__attribute__((noreturn)) static void exec_commit(void)
{
	/* lind-run's own TLS: the program's is about to go */
	lind_host6(SYS_arch_prctl, ARCH_SET_FS, (long)boot_fs, 0, 0, 0, 0);
	lind_threads_end_others(lind_cl); /* while their handlers remain */
	reset_handlers();
	lind_host6(SYS_brk, (long)boot_brk, 0, 0, 0, 0, 0);
	unmap_old();
	struct load_src src = {job.fd, 0};
	if (load_elf_map(&src, &job.prog) < 0)
		die_segv();
	uintptr_t entry = job.prog.entry, base = 0;
	if (job.prog.interp[0]) {
		src.fd = job.ld_fd;
		if (load_elf_map(&src, &job.ld) < 0)
			die_segv();
		entry = job.ld.entry;
		base = job.ld.bias;
	}
	close_fd(&job.fd);
	close_fd(&job.ld_fd);
	uintptr_t sp = load_stack(&job.prog, base, job.argv, job.envp,
				  job.execfn, job.stack + LOAD_STACK_SIZE);
	atomic_store(&busy, 0);
	sigreturn_to(sp, entry);
}

/* ---- the call ------------------------------------------------------ */

static void undo(void)
{
	close_fd(&job.fd);
	close_fd(&job.ld_fd);
	if (job.stack)
		lind_host6(SYS_munmap, (long)job.stack, LOAD_STACK_SIZE, 0, 0,
			   0, 0);
	job.stack = 0;
}

static long prepare(int dirfd, const char *path, char *const *argv,
		    char *const *envp, int flags)
{
	if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return -EINVAL;
	long len = user_strnlen(path, PATH_MAX);
	if (len < 0)
		return len;
	if (len == PATH_MAX)
		return -ENAMETOOLONG;
	if (!len && !(flags & AT_EMPTY_PATH))
		return -ENOENT;
	long r = open_exec(dirfd, path, flags);
	if (r < 0)
		return r;
	job.fd = (int)r;
	uintptr_t st = load_stack_map(1, &r); /* exec bit set once known */
	if (!st)
		return r;
	job.stack = st;
	if ((r = stage_args(argv, envp)) < 0)
		return r;
	if (!(job.execfn = script_name(dirfd, path)))
		return -E2BIG;
	if ((r = read_image(dirfd, path)) < 0)
		return r;
	if (!job.prog.exec_stack &&
	    (r = lind_host6(SYS_mprotect, (long)job.stack, LOAD_STACK_SIZE,
			    PROT_READ | PROT_WRITE, 0, 0, 0)) < 0)
		return r;
	return tell_server();
}

static long exec_call(long nr, void *ucv, const long a[6])
{
	ucontext_t *uc = ucv;
	int dirfd = AT_FDCWD, flags = 0, i = 0;
	if (nr == SYS_execveat) {
		dirfd = (int)a[0];
		flags = (int)a[4];
		i = 1;
	}
	if (atomic_exchange(&busy, 1))
		return -EAGAIN; /* another thread of the cage is exec'ing */
	job.fd = job.ld_fd = -1;
	job.stack = 0;
	long r = prepare(dirfd, (const char *)a[i], (char *const *)a[i + 1],
			 (char *const *)a[i + 2], flags);
	if (r < 0) {
		undo();
		atomic_store(&busy, 0);
		return r;
	}
	memcpy(&job.mask, &uc->uc_sigmask, sizeof job.mask);
	job.mask &= ~(1ull << (SIGSYS - 1));
	job.uc_flags = uc->uc_flags;
	job.csgsfs = uc->uc_mcontext.gregs[REG_CSGSFS];
	uintptr_t sp = (job.stack + SCRATCH) & ~15ul;
	void (*commit)(void) = exec_commit;
	__asm__ volatile("mov %0, %%rsp\n\tcall *%1"
			 :
			 : "r"(sp), "r"(commit)
			 : "memory");
	__builtin_unreachable();
}
