/* /proc for cages.  A proc node is named by what it is (an entry of the
 * table below), the cage it describes and, under fd/ and fdinfo/, an fd:
 * any node can be made again from those three, so nodes point at no cage
 * and a cage that ends simply stops being found.  Nodes are made by a
 * lookup, kept by references (open descriptions, cwds) and freed by the
 * sweep after each call when nothing kept them; the root is static.
 *
 * Who sees what: a cage sees the cages of its own uid, root sees all
 * (Linux's hidepid=invisible): another user's cage is absent from the
 * listing and its number answers ENOENT.  No host pid appears anywhere. */
#define _GNU_SOURCE
#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysinfo.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "bind.h"
#include "cage.h"
#include "fdtable.h"
#include "procfs.h"
#include "protocol.h"
#include "server.h"
#include "store.h"
#include "sys.h"
#include "vfs.h"

/* Directories (what a W_DIR entry is, and where an entry is listed). */
enum dirk { D_NONE, D_ROOT, D_PID, D_FD, D_FDINFO, D_SYS, D_SYS_KERNEL,
	    D_SYS_VM, D_TASK, D_TID };
enum what { W_FILE, W_DIR, W_SELF, W_TSELF, W_LINK, W_EXE, W_CWD, W_FD };

struct gen {
	FILE *f;
	struct cage *t;      /* the cage described (NULL: system files) */
	struct cage *caller;
	int fd;              /* fdinfo/N */
};

struct pent {
	enum dirk parent;  /* where it is listed (D_NONE: not by name) */
	const char *name;
	uint32_t mode;
	enum what what;
	enum dirk dir;     /* W_DIR: which directory it is */
	void (*gen)(struct gen *g);  /* W_FILE: its contents */
	const char *target;          /* W_LINK: its fixed target */
};

struct pnode {
	struct inode in;   /* first: in.proc points at the node itself */
	const struct pent *e;
	uint64_t pid;      /* the cage described (W_SELF: the caller) */
	int fd;            /* fd/N, fdinfo/N; else -1 */
	char *data;        /* an open file's snapshot */
	size_t len;
	bool temp;         /* made by the current call: on the sweep list */
	struct pnode *tnext;
};

static struct pnode root;
static struct inode *mountpoint; /* the store's /proc, covered by root */
static struct pnode *temps;
static uint64_t caller; /* the cage whose call is served: /proc/self */
static size_t nnodes;
static int64_t boot_real, boot_mono; /* the server's start: /proc's boot */

/* Bytes all open proc files' snapshots may hold: each lives in server
 * memory as long as its description, and cages together may hold
 * --limit files of them; past this an open answers ENOMEM, as a kernel
 * out of memory for a seq_file's buffer would. */
#define SNAP_BYTES_MAX (64u << 20)
static size_t snap_bytes;

#define CLK_TCK 100 /* USER_HZ: the unit of /proc/<pid>/stat's times */
#define DYN_COOKIE 1000 /* getdents: cages and fds after the fixed names */

static int64_t mono_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ---- contents ------------------------------------------------------- */

/* The host file path copied as it is (memory and CPUs are the host's,
 * as sysinfo says), or nothing. */
static void copy_host(FILE *f, const char *path)
{
	FILE *h = fopen(path, "re");
	if (!h)
		return;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, h)) > 0)
		fwrite(buf, 1, n, f);
	fclose(h);
}

/* Lines of host file path starting with prefix. */
static void copy_host_lines(FILE *f, const char *path, const char *prefix)
{
	FILE *h = fopen(path, "re");
	if (!h)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, h) > 0)
		if (strncmp(line, prefix, strlen(prefix)) == 0)
			fputs(line, f);
	free(line);
	fclose(h);
}

static double uptime_s(void)
{
	return (double)(mono_now() - boot_mono) / 1e9;
}

static void gen_meminfo(struct gen *g) { copy_host(g->f, "/proc/meminfo"); }
static void gen_cpuinfo(struct gen *g) { copy_host(g->f, "/proc/cpuinfo"); }
static void gen_overcommit(struct gen *g)
{
	copy_host(g->f, "/proc/sys/vm/overcommit_memory");
}

static void gen_uptime(struct gen *g)
{
	double up = uptime_s();
	fprintf(g->f, "%.2f %.2f\n", up, up * get_nprocs());
}

struct census {
	unsigned n;
	uint64_t last;
};

static void count_cage(struct cage *c, void *arg)
{
	struct census *s = arg;
	s->n++;
	if (c->id > s->last)
		s->last = c->id;
}

/* The host's load (as sysinfo), then runnable/cages and the last cage id
 * where Linux puts host tasks and the last host pid. */
static void gen_loadavg(struct gen *g)
{
	double l[3] = {0, 0, 0};
	if (getloadavg(l, 3) < 0)
		l[0] = l[1] = l[2] = 0;
	struct census s = {0, 0};
	cage_each(count_cage, &s);
	fprintf(g->f, "%.2f %.2f %.2f 1/%u %" PRIu64 "\n", l[0], l[1], l[2], s.n,
		s.last);
}

static void gen_stat(struct gen *g)
{
	copy_host_lines(g->f, "/proc/stat", "cpu");
	fprintf(g->f, "btime %" PRId64 "\nprocesses %" PRIu64 "\n"
		      "procs_running 1\nprocs_blocked 0\n",
		boot_real / 1000000000, cage_next_id() - 2);
}

static void gen_filesystems(struct gen *g)
{
	fputs("nodev\tlind\nnodev\tproc\nnodev\tbind\n", g->f);
}

static void gen_version(struct gen *g)
{
	struct utsname u;
	if (uname(&u) == 0)
		fprintf(g->f, "Linux version %s (lind) %s\n", u.release,
			u.version);
}

static void gen_ostype(struct gen *g) { fputs("Linux\n", g->f); }
static void gen_osrelease(struct gen *g)
{
	struct utsname u;
	if (uname(&u) == 0)
		fprintf(g->f, "%s\n", u.release);
}
static void gen_hostname(struct gen *g)
{
	fprintf(g->f, "%s\n", srv_hostname());
}
static void gen_pid_max(struct gen *g) { fputs("4194304\n", g->f); }
static void gen_ngroups_max(struct gen *g) { fputs("65536\n", g->f); }

/* ---- a cage's files --------------------------------------------------- */

static const char *argv0(const struct cage *t)
{
	return t->cmdline_len ? t->cmdline : "";
}

/* comm: the last component of argv[0], 15 bytes at most, as the kernel
 * keeps it. */
static void comm_of(const struct cage *t, char out[16])
{
	const char *a = argv0(t), *slash = strrchr(a, '/');
	snprintf(out, 16, "%s", slash ? slash + 1 : a);
}

static char state_of(const struct gen *g)
{
	return g->t->exited ? 'Z' : g->t == g->caller ? 'R' : 'S';
}

static void gen_comm(struct gen *g)
{
	char comm[16];
	comm_of(g->t, comm);
	fprintf(g->f, "%s\n", comm);
}

static void gen_cmdline(struct gen *g)
{
	if (g->t->cmdline_len)
		fwrite(g->t->cmdline, 1, g->t->cmdline_len, g->f);
}

/* The cage's host process's file name (maps, environ), opened while that
 * pid is still the cage's process (not reused since: same start time);
 * NULL otherwise.  The server reads them as a debugger would: a cage
 * makes no host call that could keep its memory map locked. */
static FILE *open_host(const struct cage *t, const char *name)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%u/%s", t->host_pid, name);
	FILE *h = t->host_start ? fopen(path, "re") : NULL;
	if (h && host_start_ticks(t->host_pid) != t->host_start) {
		fclose(h);
		return NULL;
	}
	return h;
}

void procfs_cage_new(struct cage *c, const char *exe)
{
	char v[LIND_MAX_PATH];
	c->host_start = host_start_ticks(c->host_pid);
	if (exe && exe[0] && bind_virt_of(c->binds, exe, v, sizeof v))
		c->exe = strdup(v);
	else if (exe && exe[0] == '/') /* not in the cage's tree: the path */
		c->exe = strdup(exe);      /* its launcher gave, absolute still
					    * (static glibc's $ORIGIN needs it) */
	/* else exe shows argv[0] */
}

/* The environment the cage's program started with, as Linux shows it
 * (its process's initial environment block). */
static void gen_environ(struct gen *g)
{
	FILE *h = open_host(g->t, "environ");
	if (!h)
		return;
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, h)) > 0)
		fwrite(buf, 1, n, g->f);
	fclose(h);
}

static void gen_status(struct gen *g)
{
	const struct cage *t = g->t;
	char comm[16];
	comm_of(t, comm);
	char st = state_of(g);
	const char *sname = st == 'R' ? "running" : st == 'Z' ? "zombie"
							 : "sleeping";
	int ncpu = get_nprocs();
	const struct cred *cr = &t->cred;
	fprintf(g->f,
		"Name:\t%s\nUmask:\t%04o\nState:\t%c (%s)\nTgid:\t%" PRIu64
		"\nNgid:\t0\nPid:\t%" PRIu64 "\nPPid:\t%" PRIu64
		"\nTracerPid:\t0\nUid:\t%u\t%u\t%u\t%u\nGid:\t%u\t%u\t%u\t%u\n"
		"FDSize:\t%d\nGroups:\t",
		comm, t->umask, st, sname, t->id, t->id, t->parent, cr->ruid,
		cr->euid, cr->suid, cr->fsuid, cr->rgid, cr->egid, cr->sgid,
		cr->fsgid, fd_limit());
	for (uint32_t i = 0; cr->groups && i < cr->groups->n; i++)
		fprintf(g->f, "%s%u", i ? " " : "", cr->groups->gid[i]);
	fprintf(g->f, /* Linux's trailing space, groups or not */
		" \nNStgid:\t%" PRIu64 "\nNSpid:\t%" PRIu64
		"\nNSpgid:\t%" PRIu64 "\nNSsid:\t%" PRIu64 "\nThreads:\t1\n"
		"SigQ:\t0/0\nSigPnd:\t0000000000000000\nShdPnd:\t0000000000000000\n"
		"SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n"
		"SigCgt:\t0000000000000000\nCapInh:\t0000000000000000\n"
		"CapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
		"CapBnd:\t0000000000000000\nCapAmb:\t0000000000000000\n"
		"NoNewPrivs:\t1\nSeccomp:\t2\nSeccomp_filters:\t1\n"
		"Cpus_allowed_list:\t0-%d\nvoluntary_ctxt_switches:\t0\n"
		"nonvoluntary_ctxt_switches:\t0\n",
		t->id, t->id, t->pgid, t->sid, ncpu > 0 ? ncpu - 1 : 0);
}

/* The 52 fields of Linux's /proc/<pid>/stat: what the server knows (ids,
 * state, start time in ticks since the server started), zeros for what it
 * does not (times, memory, addresses). */
static void gen_pidstat(struct gen *g)
{
	const struct cage *t = g->t;
	char comm[16];
	comm_of(t, comm);
	unsigned long long start =
		(unsigned long long)((t->start_mono - boot_mono) /
				     (1000000000 / CLK_TCK));
	fprintf(g->f,
		"%" PRIu64 " (%s) %c %" PRIu64 " %" PRIu64 " %" PRIu64
		" 0 -1 4194560 0 0 0 0 0 0 0 0 %d %d 1 0 %llu 0 0 "
		"18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 "
		"0 0 0 0 0 0 0 %d\n",
		t->id, comm, state_of(g), t->parent, t->pgid, t->sid,
		20 + t->nice, t->nice, start,
		t->exited ? t->exit_status << 8 : 0);
}

static void gen_statm(struct gen *g) { fputs("0 0 0 0 0 0 0\n", g->f); }

/* The cage's mappings as its host process has them: addresses and
 * protections, so pthread_getattr_np finds the main thread's stack.
 * Kernel names ([stack], [heap], [vdso], ...) stay; a host file's name,
 * device and inode are dropped (lind-run's image, the channel's memfd:
 * host paths mean nothing in the cage; the files a cage maps are copies,
 * anonymous to the host anyway). */
static void gen_maps(struct gen *g)
{
	FILE *h = open_host(g->t, "maps");
	if (!h)
		return;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, h) > 0) {
		char range[64], perms[8];
		int name = 0;
		if (sscanf(line, "%63s %7s %*s %*s %*s %n", range, perms, &name) < 2)
			continue;
		char *nm = name ? line + name : (char *)"";
		nm[strcspn(nm, "\n")] = '\0';
		int col = fprintf(g->f, "%s %s 00000000 00:00 0", range, perms);
		if (nm[0] == '[')
			fprintf(g->f, "%*s%s", col < 72 ? 73 - col : 1, "", nm);
		fputc('\n', g->f);
	}
	free(line);
	fclose(h);
}

static void gen_limits(struct gen *g)
{
	static const struct {
		const char *name, *unit;
	} rows[] = {
		{"Max cpu time", "seconds"}, {"Max file size", "bytes"},
		{"Max data size", "bytes"}, {"Max stack size", "bytes"},
		{"Max core file size", "bytes"}, {"Max resident set", "bytes"},
		{"Max processes", "processes"}, {"Max open files", "files"},
		{"Max locked memory", "bytes"}, {"Max address space", "bytes"},
		{"Max file locks", "locks"}, {"Max pending signals", "signals"},
		{"Max msgqueue size", "bytes"}, {"Max nice priority", ""},
		{"Max realtime priority", ""}, {"Max realtime timeout", "us"},
	};
	fprintf(g->f, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit",
		"Hard Limit", "Units");
	for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
		char v[24] = "unlimited";
		if (strcmp(rows[i].name, "Max open files") == 0)
			snprintf(v, sizeof v, "%d", fd_limit());
		else if (!rows[i].unit[0])
			snprintf(v, sizeof v, "0");
		fprintf(g->f, "%-25s %-20s %-20s %-10s\n", rows[i].name, v, v,
			rows[i].unit);
	}
}

/* A path in a mount table: space, tab, newline and backslash in octal. */
static void put_escaped(FILE *f, const char *s)
{
	for (; *s; s++)
		if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\\')
			fprintf(f, "\\%03o", (unsigned char)*s);
		else
			fputc(*s, f);
}

struct mount_ctx {
	struct gen *g;
	bool info;
	int id;
};

static void put_bind(const char *host, const char *path, unsigned long dev,
		     void *arg)
{
	struct mount_ctx *m = arg;
	FILE *f = m->g->f;
	if (m->info)
		fprintf(f, "%d 1 %u:%u / ", ++m->id, major(dev), minor(dev));
	else {
		put_escaped(f, host);
		fputc(' ', f);
	}
	put_escaped(f, path);
	if (m->info) {
		fputs(" ro - bind ", f);
		put_escaped(f, host);
		fputs(" ro\n", f);
	} else {
		fputs(" bind ro 0 0\n", f);
	}
}

/* The store at /, /proc, and each bind, in the order they cover. */
static void gen_mounts(struct gen *g)
{
	fputs("lind / lind rw,relatime 0 0\nproc /proc proc ro,nosuid,nodev,noexec 0 0\n",
	      g->f);
	struct mount_ctx m = {g, false, 0};
	bind_each_of(g->t->binds, put_bind, &m); /* as cage N sees them */
}

static void gen_mountinfo(struct gen *g)
{
	fprintf(g->f, "1 0 %u:%u / / rw,relatime - lind lind rw\n"
		      "2 1 %u:%u / /proc ro,nosuid,nodev,noexec - proc proc ro\n",
		major(VFS_DEV), minor(VFS_DEV), major(PROC_DEV),
		minor(PROC_DEV));
	struct mount_ctx m = {g, true, 2};
	bind_each_of(g->t->binds, put_bind, &m); /* as cage N sees them */
}

static void gen_fdinfo(struct gen *g)
{
	struct ofd *o = fd_get_raw(g->t->fds, g->fd);
	if (!o)
		return;
	struct stat st = {0};
	ofd_stat(o, &st);
	int flags = o->flags | (g->t->fds->cloexec[g->fd] ? O_CLOEXEC : 0);
	fprintf(g->f, "pos:\t%" PRIu64 "\nflags:\t0%o\nmnt_id:\t%d\nino:\t%lu\n",
		ofd_is(o, &ofd_dir_ops) ? 0 : o->off, flags,
		!o->in ? 0 : o->in->proc ? 2 : 1,
		(unsigned long)st.st_ino);
}

/* ---- the table ------------------------------------------------------ */

#define E_ROOT 0
#define E_PID 1
#define E_FD 2
#define E_FDINFO 3
#define E_TID 4    /* task/N: a cage's one thread the server knows, its
		    * main thread, whose tid is the cage's id */
#define E_LISTED 5 /* entries from here on are listed by name */

static const struct pent ents[] = {
	[E_ROOT] = {D_NONE, "proc", S_IFDIR | 0555, W_DIR, D_ROOT, NULL, NULL},
	[E_PID] = {D_NONE, NULL, S_IFDIR | 0555, W_DIR, D_PID, NULL, NULL},
	[E_FD] = {D_NONE, NULL, S_IFLNK | 0700, W_FD, D_NONE, NULL, NULL},
	[E_FDINFO] = {D_NONE, NULL, S_IFREG | 0400, W_FILE, D_NONE, gen_fdinfo,
		      NULL},
	[E_TID] = {D_NONE, NULL, S_IFDIR | 0555, W_DIR, D_TID, NULL, NULL},
#define F(p, n, m, fn) {p, n, S_IFREG | (m), W_FILE, D_NONE, fn, NULL}
#define L(p, n, w, tg) {p, n, S_IFLNK | 0777, w, D_NONE, NULL, tg}
#define D(p, n, m, d) {p, n, S_IFDIR | (m), W_DIR, d, NULL, NULL}
	L(D_ROOT, "self", W_SELF, NULL),
	L(D_ROOT, "thread-self", W_TSELF, NULL),
	L(D_ROOT, "mounts", W_LINK, "self/mounts"),
	F(D_ROOT, "meminfo", 0444, gen_meminfo),
	F(D_ROOT, "cpuinfo", 0444, gen_cpuinfo),
	F(D_ROOT, "uptime", 0444, gen_uptime),
	F(D_ROOT, "loadavg", 0444, gen_loadavg),
	F(D_ROOT, "stat", 0444, gen_stat),
	F(D_ROOT, "filesystems", 0444, gen_filesystems),
	F(D_ROOT, "version", 0444, gen_version),
	D(D_ROOT, "sys", 0555, D_SYS),
	D(D_SYS, "kernel", 0555, D_SYS_KERNEL),
	D(D_SYS, "vm", 0555, D_SYS_VM),
	F(D_SYS_KERNEL, "ostype", 0444, gen_ostype),
	F(D_SYS_KERNEL, "osrelease", 0444, gen_osrelease),
	F(D_SYS_KERNEL, "hostname", 0444, gen_hostname),
	F(D_SYS_KERNEL, "pid_max", 0444, gen_pid_max),
	F(D_SYS_KERNEL, "ngroups_max", 0444, gen_ngroups_max),
	F(D_SYS_VM, "overcommit_memory", 0444, gen_overcommit),
	F(D_PID, "stat", 0444, gen_pidstat),
	F(D_PID, "statm", 0444, gen_statm),
	F(D_PID, "status", 0444, gen_status),
	F(D_PID, "cmdline", 0444, gen_cmdline),
	F(D_PID, "comm", 0444, gen_comm),
	L(D_PID, "exe", W_EXE, NULL),
	L(D_PID, "cwd", W_CWD, NULL),
	L(D_PID, "root", W_LINK, "/"),
	D(D_PID, "fd", 0500, D_FD),
	D(D_PID, "fdinfo", 0500, D_FDINFO),
	F(D_PID, "maps", 0444, gen_maps),
	F(D_PID, "environ", 0400, gen_environ),
	F(D_PID, "limits", 0444, gen_limits),
	F(D_PID, "mounts", 0444, gen_mounts),
	F(D_PID, "mountinfo", 0444, gen_mountinfo),
	D(D_PID, "task", 0555, D_TASK),
	F(D_TID, "stat", 0444, gen_pidstat),
	F(D_TID, "status", 0444, gen_status),
	F(D_TID, "comm", 0444, gen_comm),
#undef F
#undef L
#undef D
};
#define NENTS (sizeof ents / sizeof *ents)

/* Directories about one cage: a dead cage's answer ENOENT. */
static bool about_cage(enum dirk k)
{
	return k == D_PID || k == D_FD || k == D_FDINFO || k == D_TASK ||
	       k == D_TID;
}

static uint64_t ino_of(const struct pent *e, uint64_t pid, int fd)
{
	if (e == &ents[E_ROOT])
		return 1;
	return (pid << 22) | ((uint64_t)(e - ents) << 11) | (uint64_t)(fd + 1);
}

/* ---- nodes ------------------------------------------------------------ */

static struct pnode *node_new(const struct pent *e, uint64_t pid, int fd)
{
	struct pnode *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->e = e;
	p->pid = pid;
	p->fd = fd;
	struct inode *in = &p->in;
	in->proc = p;
	in->data_fd = -1;
	in->ino = ino_of(e, pid, fd);
	in->mode = e->mode;
	in->nlink = S_ISDIR(e->mode) ? 2 : 1;
	in->atime = in->mtime = in->ctime = boot_real;
	struct cage *t = pid && e->what != W_SELF ? cage_find(pid) : NULL;
	if (t) { /* owned by the cage's effective ids, dated from its start */
		in->uid = t->cred.euid;
		in->gid = t->cred.egid;
		in->atime = in->mtime = in->ctime = t->start_real;
	}
	p->temp = true;
	p->tnext = temps;
	temps = p;
	nnodes++;
	return p;
}

/* Linux's ptrace access check with the filesystem uid: itself, or a
 * cage whose real, effective and saved uid are the caller's, or the
 * caller is root. */
static bool visible(const struct cred *cr, const struct cage *t)
{
	if (!t)
		return false;
	const struct cred *tc = &t->cred;
	return t->id == caller || cred_capable(cr) ||
	       (cr->fsuid == tc->ruid && cr->fsuid == tc->euid &&
		cr->fsuid == tc->suid);
}

/* A decimal number without sign or leading zero, or -1. */
static int64_t parse_num(const char *s)
{
	int64_t n = 0;
	if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 18)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		n = n * 10 + (*s - '0');
	}
	return n;
}

static int found(struct pnode *p, struct inode **out)
{
	if (!p)
		return -ENOMEM;
	*out = &p->in;
	return 0;
}

int procfs_lookup(const struct cred *cr, struct inode *dir, const char *name,
		  struct inode **out)
{
	struct pnode *d = dir->proc;
	enum dirk k = d->e->dir;
	struct cage *t = about_cage(k) ? cage_find(d->pid) : NULL;
	*out = NULL;
	if (about_cage(k) && !t)
		return -ENOENT; /* the cage has ended */
	for (size_t i = E_LISTED; i < NENTS; i++)
		if (ents[i].parent == k && strcmp(ents[i].name, name) == 0) {
			bool self = ents[i].what == W_SELF ||
				    ents[i].what == W_TSELF;
			if (self && !cage_find(caller))
				return -ENOENT; /* not a cage's call */
			return found(node_new(&ents[i], self ? caller : d->pid,
					      -1), out);
		}
	int64_t n = parse_num(name);
	if (n < 0)
		return -ENOENT;
	if (k == D_ROOT && visible(cr, cage_find((uint64_t)n)))
		return found(node_new(&ents[E_PID], (uint64_t)n, -1), out);
	if (k == D_TASK && (uint64_t)n == d->pid)
		return found(node_new(&ents[E_TID], d->pid, -1), out);
	if ((k == D_FD || k == D_FDINFO) && n < FD_MAX && fd_get_raw(t->fds, n))
		return found(node_new(&ents[k == D_FD ? E_FD : E_FDINFO],
				      d->pid, (int)n), out);
	return -ENOENT;
}

/* The node of directory kind k about cage pid. */
static struct inode *dir_node(enum dirk k, uint64_t pid)
{
	if (k == D_ROOT)
		return &root.in;
	for (size_t i = 0; i < NENTS; i++)
		if (ents[i].what == W_DIR && ents[i].dir == k) {
			struct pnode *p = node_new(&ents[i], pid, -1);
			return p ? &p->in : NULL;
		}
	return NULL;
}

/* Where entry e is listed. */
static enum dirk parent_of(const struct pent *e)
{
	if (e == &ents[E_PID])
		return D_ROOT;
	if (e == &ents[E_FD])
		return D_FD;
	if (e == &ents[E_FDINFO])
		return D_FDINFO;
	if (e == &ents[E_TID])
		return D_TASK;
	return e->parent;
}

struct inode *procfs_parent(struct vfs *v, struct inode *dir)
{
	struct pnode *d = dir->proc;
	if (d == &root)
		return vfs_get(v, mountpoint->parent);
	return dir_node(parent_of(d->e), d->pid);
}

struct inode *procfs_cover(struct inode *in)
{
	return in && in == mountpoint ? &root.in : in;
}

bool procfs_is_root(const struct inode *in)
{
	return in == &root.in;
}

/* Name of p in its directory into buf. */
static void name_of(const struct pnode *p, char *buf, size_t cap)
{
	if (p->e == &ents[E_PID] || p->e == &ents[E_TID])
		snprintf(buf, cap, "%" PRIu64, p->pid);
	else if (p->e == &ents[E_FD] || p->e == &ents[E_FDINFO])
		snprintf(buf, cap, "%d", p->fd);
	else
		snprintf(buf, cap, "%s", p->e->name);
}

/* "/proc/..." of entry e about pid, fd (written at the end of buf,
 * backwards); returns where it starts. */
static char *path_back(const struct pent *e, uint64_t pid, int fd, char *end)
{
	for (;;) {
		char name[32];
		struct pnode tmp = {.e = e, .pid = pid, .fd = fd};
		name_of(&tmp, name, sizeof name);
		size_t n = strlen(name);
		end -= n;
		memcpy(end, name, n);
		*--end = '/';
		if (e == &ents[E_ROOT])
			return end;
		enum dirk k = parent_of(e);
		for (size_t i = 0; i < NENTS; i++)
			if (ents[i].what == W_DIR && ents[i].dir == k) {
				e = &ents[i];
				break;
			}
		fd = -1;
	}
}

long procfs_path_of(struct inode *d, char *buf, size_t cap)
{
	char tmp[256];
	struct pnode *p = d->proc;
	char *start = path_back(p->e, p->pid, p->fd, tmp + sizeof tmp - 1);
	tmp[sizeof tmp - 1] = '\0';
	size_t len = (size_t)(tmp + sizeof tmp - start);
	if (len > cap)
		return -ERANGE;
	memcpy(buf, start, len);
	return (long)len;
}

void procfs_stat(const struct inode *in, struct stat *st)
{
	memset(st, 0, sizeof *st);
	st->st_dev = PROC_DEV;
	st->st_ino = in->ino;
	st->st_mode = in->mode;
	st->st_nlink = in->nlink;
	st->st_uid = in->uid;
	st->st_gid = in->gid;
	st->st_blksize = 1024;
	st->st_atim.tv_sec = st->st_mtim.tv_sec = st->st_ctim.tv_sec =
		in->mtime / 1000000000;
	st->st_atim.tv_nsec = st->st_mtim.tv_nsec = st->st_ctim.tv_nsec =
		in->mtime % 1000000000;
}

/* ---- links -------------------------------------------------------------- */

/* Copies s (length n) into buf as readlink does: truncated, no NUL. */
static long link_out(const char *s, size_t n, char *buf, size_t cap)
{
	if (n > cap)
		n = cap;
	memcpy(buf, s, n);
	return (long)n;
}

/* What fd's description is, in the server's words: the name its kind
 * gives (a stream's, a pipe's), else its virtual path. */
static long fd_target(struct vfs *v, struct ofd *o, char *out, size_t cap)
{
	if (o->ops->name)
		return o->ops->name(o, out, cap);
	long r;
	if (!o->name)
		return (r = vfs_path_of(v, o->in, out, cap)) < 0 ? r : r - 1;
	if ((r = vfs_path_of(v, o->dir, out, cap)) < 0)
		return r;
	size_t at = (size_t)r - 1;
	if (at == 1)
		at = 0; /* the directory is "/" */
	int n = snprintf(out + at, cap - at, "/%s%s", o->name,
			 o->in->nlink == 0 ? " (deleted)" : "");
	return n < 0 || (size_t)n >= cap - at ? -ENAMETOOLONG : (long)(at + (size_t)n);
}

long procfs_fd_path(struct vfs *v, struct ofd *o, char *out, size_t cap)
{
	return fd_target(v, o, out, cap);
}

long procfs_readlink(struct vfs *v, struct inode *in, char *buf, size_t cap)
{
	struct pnode *p = in->proc;
	if (!S_ISLNK(in->mode))
		return -EINVAL;
	char tmp[LIND_MAX_PATH];
	long n;
	if (p->e->what == W_SELF)
		return link_out(tmp, (size_t)snprintf(tmp, sizeof tmp, "%" PRIu64,
						      p->pid), buf, cap);
	if (p->e->what == W_TSELF)
		return link_out(tmp, (size_t)snprintf(tmp, sizeof tmp,
						      "%" PRIu64 "/task/%" PRIu64,
						      p->pid, p->pid), buf, cap);
	if (p->e->what == W_LINK)
		return link_out(p->e->target, strlen(p->e->target), buf, cap);
	struct cage *t = cage_find(p->pid);
	if (!t)
		return -ENOENT;
	if (p->e->what == W_EXE && t->exe) /* its virtual path, or exec's */
		return link_out(t->exe, strlen(t->exe), buf, cap);
	if (p->e->what == W_EXE) /* not shown by a bind: argv[0] */
		return t->cmdline_len ? link_out(argv0(t), strlen(argv0(t)), buf,
						 cap) : -ENOENT;
	if (p->e->what == W_CWD) {
		if ((n = vfs_path_of(v, t->cwd, tmp, sizeof tmp)) < 0)
			return n;
		return link_out(tmp, (size_t)n - 1, buf, cap);
	}
	struct ofd *o = fd_get_raw(t->fds, p->fd);
	if (!o)
		return -ENOENT;
	if ((n = fd_target(v, o, tmp, sizeof tmp)) < 0)
		return n;
	return link_out(tmp, (size_t)n, buf, cap);
}

/* ---- open files ---------------------------------------------------------- */

long procfs_open(struct cage *c, struct inode **inp, long flags)
{
	struct pnode *p = (*inp)->proc;
	(void)flags; /* writes fail at write (EINVAL), as Linux answers root */
	struct cage *t = NULL;
	if (about_cage(parent_of(p->e)) || p->e == &ents[E_PID]) {
		if (!(t = cage_find(p->pid)))
			return -ENOENT;
	}
	if (p->e->what != W_FILE)
		return 0; /* a directory: listed by getdents */
	if (p->e == &ents[E_FDINFO] && !fd_get_raw(t->fds, p->fd))
		return -ENOENT;
	struct gen g = {NULL, t, c, p->fd};
	char *data = NULL;
	size_t len = 0;
	if (!(g.f = open_memstream(&data, &len)))
		return -ENOMEM;
	p->e->gen(&g);
	if (fclose(g.f) != 0 || len > SNAP_BYTES_MAX - snap_bytes) {
		free(data);
		return -ENOMEM;
	}
	struct pnode *s = node_new(p->e, p->pid, p->fd);
	if (!s) {
		free(data);
		return -ENOMEM;
	}
	s->data = data;
	s->len = len;
	snap_bytes += len;
	*inp = &s->in;
	return 0;
}

long procfs_read(struct ofd *o, void *buf, size_t cap, const int64_t *pos,
		 bool *more)
{
	struct pnode *p = o->in->proc;
	uint64_t off = pos ? (uint64_t)*pos : o->off;
	size_t n = 0;
	if (off < p->len) {
		n = p->len - off < cap ? p->len - off : cap;
		memcpy(buf, p->data + off, n);
	}
	if (!pos)
		o->off = off + n;
	*more = n == cap && n > 0;
	return (long)n;
}

/* ---- directories ---------------------------------------------------------- */

struct dirbuf {
	uint8_t *buf;
	size_t cap, used;
	bool full;
};

static bool put(struct dirbuf *b, uint64_t ino, uint64_t off,
		unsigned char type, const char *name)
{
	size_t n = strlen(name);
	size_t reclen = (offsetof(struct linux_dirent64, d_name) + n + 1 + 7) &
			~(size_t)7;
	if (b->used + reclen > b->cap) {
		b->full = true;
		return false;
	}
	struct linux_dirent64 *d = (void *)(b->buf + b->used);
	memset(d, 0, reclen);
	d->d_ino = ino;
	d->d_off = (int64_t)off;
	d->d_reclen = (unsigned short)reclen;
	d->d_type = type;
	memcpy(d->d_name, name, n);
	b->used += reclen;
	return true;
}

struct idlist {
	const struct cred *cr;
	uint64_t after;
	uint64_t *ids;
	size_t n, cap;
	bool nomem;
};

static void collect(struct cage *c, void *arg)
{
	struct idlist *l = arg;
	if (c->id <= l->after || !visible(l->cr, c))
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 64;
		uint64_t *ids = realloc(l->ids, cap * sizeof *ids);
		if (!ids) {
			l->nomem = true;
			return;
		}
		l->ids = ids;
		l->cap = cap;
	}
	l->ids[l->n++] = c->id;
}

static int cmp_id(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The cages cr sees, as directories from cookie o->off on. */
static long list_cages(struct dirbuf *b, struct ofd *o, const struct cred *cr)
{
	struct idlist l = {cr, o->off >= DYN_COOKIE ? o->off - DYN_COOKIE : 0,
			   NULL, 0, 0, false};
	cage_each(collect, &l);
	if (l.nomem) {
		free(l.ids);
		return -ENOMEM;
	}
	if (l.n)
		qsort(l.ids, l.n, sizeof *l.ids, cmp_id);
	char name[24];
	for (size_t i = 0; i < l.n; i++) {
		snprintf(name, sizeof name, "%" PRIu64, l.ids[i]);
		if (!put(b, ino_of(&ents[E_PID], l.ids[i], -1),
			 DYN_COOKIE + l.ids[i], DT_DIR, name))
			break;
		o->off = DYN_COOKIE + l.ids[i];
	}
	free(l.ids);
	return 0;
}

static void list_fds(struct dirbuf *b, struct ofd *o, struct cage *t,
		     const struct pent *e)
{
	int from = o->off >= DYN_COOKIE ? (int)(o->off - DYN_COOKIE) + 1 : 0;
	char name[16];
	for (int fd = from; fd < FD_MAX; fd++) {
		if (!fd_get_raw(t->fds, fd))
			continue;
		snprintf(name, sizeof name, "%d", fd);
		if (!put(b, ino_of(e, t->id, fd), DYN_COOKIE + (uint64_t)fd,
			 IFTODT(e->mode), name))
			return;
		o->off = DYN_COOKIE + (uint64_t)fd;
	}
}

long procfs_getdents(struct call *c, struct ofd *o)
{
	struct pnode *d = o->in->proc;
	enum dirk k = d->e->dir;
	struct cage *t = about_cage(k) ? cage_find(d->pid) : NULL;
	if (about_cage(k) && !t)
		return -ENOENT;
	struct dirbuf b = {c->out[1].buf, c->out[1].cap, 0, false};
	/* cookies: 1 ".", 2 "..", 3.. the fixed names, then DYN_COOKIE + id */
	if (o->off < 1 && put(&b, d->in.ino, 1, DT_DIR, "."))
		o->off = 1;
	if (o->off == 1 && put(&b, 2, 2, DT_DIR, ".."))
		o->off = 2;
	uint64_t cookie = 2;
	for (size_t i = E_LISTED; i < NENTS && !b.full; i++) {
		if (ents[i].parent != k || ++cookie <= o->off)
			continue;
		uint64_t pid = ents[i].what == W_SELF || ents[i].what == W_TSELF
			       ? c->cage->id : d->pid;
		if (put(&b, ino_of(&ents[i], pid, -1), cookie,
			IFTODT(ents[i].mode), ents[i].name))
			o->off = cookie;
	}
	long r = 0;
	if (!b.full && k == D_ROOT)
		r = list_cages(&b, o, &c->cage->cred);
	else if (!b.full && (k == D_FD || k == D_FDINFO))
		list_fds(&b, o, t, &ents[k == D_FD ? E_FD : E_FDINFO]);
	else if (!b.full && k == D_TASK && o->off < DYN_COOKIE + t->id) {
		char name[24];
		snprintf(name, sizeof name, "%" PRIu64, t->id);
		if (put(&b, ino_of(&ents[E_TID], t->id, -1), DYN_COOKIE + t->id,
			DT_DIR, name))
			o->off = DYN_COOKIE + t->id;
	}
	if (r < 0)
		return r;
	if (b.used == 0 && b.full)
		return -EINVAL; /* buffer too small for one record */
	c->out[1].len = b.used;
	return (long)b.used;
}

void procfs_set_caller(uint64_t id)
{
	caller = id;
}

/* ---- lifetime -------------------------------------------------------------- */

void procfs_release(struct inode *in)
{
	struct pnode *p = in->proc;
	if (p == &root || in->refs || p->temp)
		return;
	assert(nnodes > 0);
	nnodes--;
	assert(snap_bytes >= p->len);
	snap_bytes -= p->len;
	free(p->data);
	free(p);
}

void procfs_sweep(void)
{
	while (temps) {
		struct pnode *p = temps;
		temps = p->tnext;
		p->temp = false;
		procfs_release(&p->in);
	}
}

size_t procfs_nodes(void)
{
	return nnodes;
}

void procfs_free_all(void)
{
	procfs_sweep();
	assert(nnodes == 0); /* every cage is gone: no node is referenced */
	mountpoint = NULL;
}

/* The static root, dated from now: /proc's boot is the server's start. */
static void root_init(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	boot_real = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	boot_mono = mono_now();
	memset(&root, 0, sizeof root);
	root.e = &ents[E_ROOT];
	root.fd = -1;
	root.in.proc = &root;
	root.in.data_fd = -1;
	root.in.ino = 1;
	root.in.mode = ents[E_ROOT].mode;
	root.in.nlink = 2;
	root.in.atime = root.in.mtime = root.in.ctime = boot_real;
}

/* The store's /proc: made (as root) if missing. */
int procfs_attach(struct vfs *v, char *why, size_t cap)
{
	root_init();
	struct inode *top = vfs_root(v);
	struct dentry *e = vfs_lookup(top, "proc");
	struct inode *in = e ? vfs_get(v, e->ino) : NULL;
	if (in && (!S_ISDIR(in->mode) || in->mnt)) {
		snprintf(why, cap, "/proc: %s", in->mnt ? "a bind covers it"
				   : "not a directory in the store");
		return -1;
	}
	if (!in) {
		if (!(in = vfs_alloc(v, S_IFDIR | 0555, 0, 0, 0)) ||
		    vfs_dir_add(top, "proc", in->ino) < 0) {
			if (in)
				vfs_remove(v, in);
			snprintf(why, cap, "/proc: %s", strerror(ENOMEM));
			return -1;
		}
		in->nlink = 2;
		in->parent = top->ino;
		top->nlink++;
		struct store *st = vfs_store(v);
		store_log_inode(st, in);
		store_log_link(st, top->ino, "proc", in->ino);
		store_log_inode(st, top);
		int r = store_flush(st);
		if (r < 0) {
			snprintf(why, cap, "/proc: store: %s", strerror(-r));
			return -1;
		}
	}
	mountpoint = in;
	return 0;
}
