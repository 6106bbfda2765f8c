/* System information as a cage sees it: uname, sysinfo, resource limits,
 * resource usage.
 *
 * uname is the deployment's identity: sysname "Linux", nodename from
 * `posix-server --hostname` ("lind" by default: no host name leaks in),
 * domainname "(none)"; a uid 0 cage may change both for every cage, as
 * root changes them for its UTS namespace; and the host's release, version
 * and machine (the kernel the cage's code really runs on: programs pick
 * features by it).  sysinfo's uptime counts from the server's start (the
 * sandbox's boot), procs counts cages, memory and loads are the host's.
 * Resource limits are per cage and virtual: RLIMIT_NOFILE is the fd
 * table's limit and is enforced; the others are answered and kept. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/sysinfo.h>
#include <sys/times.h>
#include <sys/statvfs.h>
#include <sys/utsname.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "sys.h"
#include "common.h"

static int64_t boot_ns; /* CLOCK_BOOTTIME at the server's start */

static int64_t boottime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_BOOTTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

__attribute__((constructor)) static void note_start(void)
{
	boot_ns = boottime_ns();
}

static int64_t uptime_ns(void)
{
	return boottime_ns() - boot_ns;
}

/* __NEW_UTS_LEN + 1 */
static char hostname[65] = "lind", domainname[65] = "(none)";

const char *srv_hostname(void)
{
	return hostname;
}

int srv_hostname_set(const char *name, char *why, size_t cap)
{
	size_t len = strlen(name);
	if (len == 0 || len >= sizeof hostname) {
		snprintf(why, cap, "--hostname %s: want 1 to %zu bytes", name,
			 sizeof hostname - 1);
		return -EINVAL;
	}
	memcpy(hostname, name, len + 1);
	return 0;
}

long srv_uname(struct call *c)
{
	struct utsname host, u;
	if (!call_obj_out(c, 0))
		return -EFAULT;
	if (uname(&host) < 0)
		return -errno;
	memset(&u, 0, sizeof u);
	strcpy(u.sysname, "Linux");
	memcpy(u.nodename, hostname, sizeof hostname);
	memcpy(u.release, host.release, sizeof u.release);
	memcpy(u.version, host.version, sizeof u.version);
	memcpy(u.machine, host.machine, sizeof u.machine);
	memcpy(u.domainname, domainname, sizeof domainname);
	call_obj_out_set(c, 0, &u);
	return 0;
}

/* Linux's order: the capability, then the length; the name is bytes
 * (it may hold a NUL) and is NUL-padded. */
static long set_uts(struct call *c, char *dst)
{
	size_t len = (size_t)c->a[1];
	if (!cred_capable(&c->cage->cred))
		return -EPERM;
	if (len >= 65)
		return -EINVAL;
	if (c->in[0].len != len)
		return -EFAULT;
	memset(dst, 0, 65);
	memcpy(dst, c->in[0].ptr, len);
	return 0;
}

long srv_sethostname(struct call *c)
{
	return set_uts(c, hostname);
}

long srv_setdomainname(struct call *c)
{
	return set_uts(c, domainname);
}

long srv_sysinfo(struct call *c)
{
	struct sysinfo host, si;
	if (!call_obj_out(c, 0))
		return -EFAULT;
	if (sysinfo(&host) < 0)
		return -errno;
	memset(&si, 0, sizeof si);
	si.uptime = (long)(uptime_ns() / 1000000000);
	memcpy(si.loads, host.loads, sizeof si.loads);
	si.totalram = host.totalram;
	si.freeram = host.freeram;
	si.sharedram = host.sharedram;
	si.bufferram = host.bufferram;
	si.totalswap = host.totalswap;
	si.freeswap = host.freeswap;
	si.procs = (unsigned short)cage_count();
	si.mem_unit = host.mem_unit;
	call_obj_out_set(c, 0, &si);
	return 0;
}

/* ---- resource limits -------------------------------------------------- */

#define INF RLIM_INFINITY

void cage_rlimits_default(struct cage *c)
{
	static const struct cage_rlimit defaults[CAGE_NLIMITS] = {
		[RLIMIT_CPU] = {INF, INF},
		[RLIMIT_FSIZE] = {INF, INF},
		[RLIMIT_DATA] = {INF, INF},
		[RLIMIT_STACK] = {8u << 20, INF},
		[RLIMIT_CORE] = {0, INF},
		[RLIMIT_RSS] = {INF, INF},
		[RLIMIT_MEMLOCK] = {8u << 20, 8u << 20},
		[RLIMIT_AS] = {INF, INF},
		[RLIMIT_LOCKS] = {INF, INF},
		[RLIMIT_MSGQUEUE] = {819200, 819200},
		[RLIMIT_NICE] = {0, 0},
		[RLIMIT_RTPRIO] = {0, 0},
		[RLIMIT_RTTIME] = {INF, INF},
	};
	memcpy(c->rlim, defaults, sizeof c->rlim);
	uint64_t procs = srv_limits.cages, fds = (uint64_t)fd_limit();
	c->rlim[RLIMIT_NPROC] = (struct cage_rlimit){procs, procs};
	c->rlim[RLIMIT_SIGPENDING] = (struct cage_rlimit){procs, procs};
	c->rlim[RLIMIT_NOFILE] = (struct cage_rlimit){fds, fds};
	c->fds->nofile = (int)fds;
}

/* Linux's do_prlimit: the soft limit within the hard one (EINVAL); only
 * root raises a hard limit (EPERM); RLIMIT_NOFILE's hard limit is the
 * fd table's size even for root (as nr_open is, EPERM). */
static long set_rlimit(struct cage *cg, unsigned res,
		       const struct cage_rlimit *new)
{
	struct cage_rlimit *cur = &cg->rlim[res];
	if (new->cur > new->max)
		return -EINVAL;
	if (new->max > cur->max && !cred_capable(&cg->cred))
		return -EPERM;
	if (res == RLIMIT_NOFILE && new->max > (uint64_t)fd_limit())
		return -EPERM;
	*cur = *new;
	if (res == RLIMIT_NOFILE)
		cg->fds->nofile = (int)new->cur;
	return 0;
}

/* pid 0 or the cage's own virtual pid; any other is not its to touch. */
static long rlimit_call(struct call *c, long pid, long res, int in, int out)
{
	struct cage *cg = c->cage;
	struct cage_rlimit new, old;
	if (pid != 0 && (uint64_t)pid != cg->id)
		return -ESRCH;
	if ((unsigned long)res >= CAGE_NLIMITS)
		return -EINVAL;
	bool set = in >= 0 && call_obj_in(c, in, &new, sizeof new);
	old = cg->rlim[res];
	if (set) {
		long r = set_rlimit(cg, (unsigned)res, &new);
		if (r < 0)
			return r;
	}
	if (out >= 0)
		call_obj_out_set(c, out, &old);
	return 0;
}

long srv_getrlimit(struct call *c)
{
	if (!call_obj_out(c, 1))
		return -EFAULT;
	return rlimit_call(c, 0, (unsigned)c->a[0], -1, 1);
}

long srv_setrlimit(struct call *c)
{
	struct cage_rlimit probe;
	if (!call_obj_in(c, 1, &probe, sizeof probe))
		return -EFAULT;
	return rlimit_call(c, 0, (unsigned)c->a[0], 1, -1);
}

long srv_prlimit64(struct call *c)
{
	return rlimit_call(c, (int)c->a[0], (unsigned)c->a[1], 2, 3);
}

/* ---- resource usage --------------------------------------------------- */

void cage_cpu(const struct cage *cg, unsigned long long *user,
	      unsigned long long *sys)
{
	unsigned long long f[LIND_STAT_FIELDS];
	bool ok = lind_proc_stat((int)cg->host_pid, f) > 15;
	*user = ok ? f[14] : 0;
	*sys = ok ? f[15] : 0;
}

uint64_t host_start_ticks(uint32_t pid)
{
	unsigned long long f[LIND_STAT_FIELDS];
	return lind_proc_stat((int)pid, f) > 22 ? f[22] : 0;
}

/* The wait status a host zombie's stat fields tell: exit_code, field 52
 * (Linux 3.5+); only a zombie's ('Z') is final.  -1 when they say nothing
 * (not a zombie, reaped, or hidden from us: the kernel shows 0 then). */
int stat_zombie_wstatus(const unsigned long long *f, int n)
{
	if (n <= 52 || f[3] != 'Z' || f[52] == 0 || f[52] > 0xffff)
		return -1;
	return (int)f[52];
}

int cage_host_end(struct cage *cg)
{
	unsigned long long f[LIND_STAT_FIELDS];
	int n = lind_proc_stat((int)cg->host_pid, f);
	bool ok = n > 15;
	cg->cpu_user = ok ? f[14] : 0;
	cg->cpu_sys = ok ? f[15] : 0;
	return stat_zombie_wstatus(f, n);
}

static struct timeval tv_of_ticks(unsigned long long t)
{
	long hz = sysconf(_SC_CLK_TCK);
	return (struct timeval){(time_t)(t / (unsigned long long)hz),
				(suseconds_t)(t % (unsigned long long)hz) *
					(1000000 / hz)};
}

/* RUSAGE_SELF and RUSAGE_THREAD (the whole process's figures: the server
 * does not know the calling thread) give the CPU times; RUSAGE_CHILDREN
 * those of the children it reaped, and of theirs (cage_reap_by_parent).
 * The rest is zeros: the server does not see it. */
long srv_getrusage(struct call *c)
{
	struct rusage ru;
	int who = (int)c->a[0]; /* the kernel reads an int */
	if (who != RUSAGE_SELF && who != RUSAGE_CHILDREN && who != RUSAGE_THREAD)
		return -EINVAL;
	if (!call_obj_out(c, 1))
		return -EFAULT;
	memset(&ru, 0, sizeof ru);
	unsigned long long user = c->cage->cchild_user,
			   sys = c->cage->cchild_sys;
	if (who != RUSAGE_CHILDREN)
		cage_cpu(c->cage, &user, &sys);
	ru.ru_utime = tv_of_ticks(user);
	ru.ru_stime = tv_of_ticks(sys);
	call_obj_out_set(c, 1, &ru);
	return 0;
}

/* Clock ticks since the sandbox's boot, as Linux counts since its own. */
long srv_times(struct call *c)
{
	long hz = sysconf(_SC_CLK_TCK);
	if (call_obj_out(c, 0)) {
		unsigned long long user, sys;
		struct tms t = {0};
		cage_cpu(c->cage, &user, &sys);
		t.tms_utime = (clock_t)user;
		t.tms_stime = (clock_t)sys;
		t.tms_cutime = (clock_t)c->cage->cchild_user;
		t.tms_cstime = (clock_t)c->cage->cchild_sys;
		call_obj_out_set(c, 0, &t);
	}
	return (long)(uptime_ns() / (1000000000 / hz));
}

/* ---- statfs ----------------------------------------------------------- */

#define LIND_FS_MAGIC 0x4c494e44 /* "LIND": the store is no host type */
#define ST_VALID 0x20 /* f_flags is meaningful (Linux sets it always) */

/* With a --max-size quota the store is that big (in VFS_BLOCKs), its
 * free space the quota's room or the host disk's, the less. */
static void statfs_quota(struct statfs *sf)
{
	uint64_t max = srv_limits.max_size, used = vfs_usage(srv.vfs);
	if (!max)
		return;
	uint64_t unit = sf->f_frsize ? (uint64_t)sf->f_frsize
				     : (uint64_t)sf->f_bsize;
	uint64_t room = (used < max ? max - used : 0) / VFS_BLOCK;
	uint64_t host_free = (uint64_t)sf->f_bfree * unit / VFS_BLOCK,
		 host_avail = (uint64_t)sf->f_bavail * unit / VFS_BLOCK;
	sf->f_bsize = sf->f_frsize = VFS_BLOCK;
	sf->f_blocks = max / VFS_BLOCK;
	sf->f_bfree = room < host_free ? room : host_free;
	sf->f_bavail = room < host_avail ? room : host_avail;
}

/* The store's filesystem as its host holds it (space is the host's disk
 * or the --max-size quota, files the --limit inodes), or a bind's host
 * filesystem, read-only. */
static long statfs_inode(struct inode *in, struct statfs *sf)
{
	long r;
	if (in->host) {
		if ((r = vfs_data_fd(srv.vfs, in)) < 0)
			return r;
		if (fstatfs((int)r, sf) < 0)
			return -errno;
		sf->f_flags |= ST_RDONLY;
		return 0;
	}
	if ((r = store_statfs(srv.store, sf)) < 0)
		return r;
	statfs_quota(sf);
	sf->f_type = LIND_FS_MAGIC;
	sf->f_files = srv_limits.inodes;
	sf->f_ffree = srv_limits.inodes - vfs_inodes(srv.vfs);
	memset(&sf->f_fsid, 0, sizeof sf->f_fsid);
	sf->f_namelen = VFS_NAME_MAX;
	/* reads move atime as relatime says (vfs_accessed) */
	sf->f_flags = ST_VALID | ST_NOSUID | ST_NODEV | ST_RELATIME |
		      (store_writable(srv.store) < 0 ? ST_RDONLY : 0);
	return 0;
}

/* in's filesystem, or (in NULL) o's kind's. */
static long statfs_reply(struct call *c, struct inode *in, struct ofd *o,
			 int out)
{
	struct statfs sf;
	long r = !in && o->ops->statfs ? o->ops->statfs(o, &sf)
					: statfs_inode(in ? in : o->in, &sf);
	if (r == 0)
		call_obj_out_set(c, out, &sf);
	return r;
}

long srv_statfs(struct call *c)
{
	struct inode *start, *in;
	const char *path = call_path(c, 0);
	if (!call_obj_out(c, 1))
		return -EFAULT;
	long r = sys_start(c, AT_FDCWD, path, &start);
	if (r < 0 || (r = vfs_resolve(srv.vfs, &c->cage->cred, start, path,
				      WALK_FOLLOW, &in)) < 0)
		return r;
	return statfs_reply(c, in, NULL, 1);
}

long srv_fstatfs(struct call *c)
{
	struct ofd *o = fd_get_raw(c->cage->fds, c->a[0]); /* O_PATH too */
	if (!o)
		return -EBADF;
	if (!call_obj_out(c, 1))
		return -EFAULT;
	return statfs_reply(c, NULL, o, 1);
}
