/* The cage table and process tree: virtual pids, parent and children,
 * credentials, cwd, fd table, exit status, parked calls.
 *
 * A cage is EMBRYO from lind_fork until its host process attaches with the
 * fork token (or never: the embryo timer, or the relay's word, ends it as
 * killed by SIGKILL), RUNNING until exit_group or the relay's CAGE_GONE
 * (a death without exit_group: killed by SIGKILL), then ZOMBIE, holding
 * only its wait status and rusage, until its parent reaps it.  Orphans go
 * to the virtual init, 1 (Linux's rule with no subreaper), which reaps
 * at once. */
#ifndef SRV_CAGE_H
#define SRV_CAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "vfs.h"
#include "wait.h"

struct bind_set;
struct lind_chan;
struct lind_chan_done;
struct lind_publish;
struct fdtable;
struct parked;

/* Resource limits a cage sees (getrlimit, prlimit64): RLIM_NLIMITS. */
#define CAGE_NLIMITS 16
struct cage_rlimit {
	uint64_t cur, max;
};

#define CAGE_SIGBIT(sig) (1ull << ((sig) - 1))

enum cage_state { CAGE_EMBRYO, CAGE_RUNNING, CAGE_ZOMBIE };

struct cage {
	uint64_t id;     /* the virtual pid */
	uint64_t parent; /* 1 for a top-level cage or an orphan */
	enum cage_state state;
	struct cage *pcage;    /* the parent cage; NULL: init (1) */
	struct cage *children; /* first child; siblings by `sibling` */
	struct cage *sibling;
	uint64_t fork_token;   /* EMBRYO: what its host process attaches with */
	uint64_t forked_by;    /* EMBRYO: the cage whose connection it takes
				* (its parent then; maybe exited since) */
	void *embryo_timer;    /* EMBRYO: an ev_timer ending an unattached one */
	int wstatus;           /* ZOMBIE: the wait status */
	int dying_sig;         /* lind_dying: the signal it is about to die of */
	uint64_t embryo_sigs;  /* sent while EMBRYO (no host process yet),
				* raised once it attaches: bit sig-1 */
	unsigned long long cpu_user, cpu_sys; /* ZOMBIE: ticks, for rusage */
	/* ticks of the children it reaped, theirs included (RUSAGE_CHILDREN,
	 * times' tms_cutime/tms_cstime) */
	unsigned long long cchild_user, cchild_sys;
	/* what lind_sigaction told of SIGCHLD and the stop signals: the
	 * signals (of those) ignored and caught, SIGCHLD's sa_flags */
	uint64_t sig_ign, sig_caught;
	unsigned long chld_flags;
	/* job control as far as the server sees it (docs/architecture.md
	 * "Processes"): stopped by stop_sig; a stop or a continue its parent's
	 * WUNTRACED / WCONTINUED wait has not collected yet */
	bool stopped, stop_unseen, cont_unseen;
	int stop_sig;
	uint64_t pgid, sid; /* process group and session: sys_signal.c */
	/* a session leader with the launcher's terminal: its session's
	 * foreground process group (tcsetpgrp); 0: no terminal */
	uint64_t fg_pgid;
	struct waitq fg_waitq; /* reads and writes of its terminal parked
				* until the foreground group changes */
	struct waitq child_waitq; /* wait4/waitid parked for its children */
	uint32_t host_pid;
	struct cred cred;   /* virtual: the server's checks, the id calls */
	uint32_t host_uid, host_gid; /* its launcher's on the host (stdio) */
	uint32_t umask;
	struct inode *cwd; /* holds a reference */
	struct fdtable *fds;
	int exit_status;
	bool exited;
	struct parked *parked; /* calls waiting in the loop (wait.c) */
	unsigned nparked;
	uint64_t parked_bytes; /* in-data their copies hold */
	/* what /proc shows: argv as attached (NUL-separated), start time */
	char *cmdline;
	size_t cmdline_len;
	int64_t start_real, start_mono; /* ns */
	struct cage_rlimit rlim[CAGE_NLIMITS]; /* virtual: see sys_info.c */
	int nice;       /* -20..19, virtual: see sys_prio.c */
	unsigned locks; /* record locks it placed (lock.c caps them) */
	uint32_t net; /* LIND_NET_*: lind-run --net, what its inet sockets
		       * reach (sock_inet.c); inherited by fork */
	struct lind_publish *publish; /* lind-run --publish (net_policy.h), */
	uint32_t npublish;	      /* inherited by fork */
	struct bind_set *binds; /* lind-run --bind (a reference), or NULL */
	char *exe; /* /proc/N/exe: the program's virtual path (lind-run's, or
		    * the last execve's file); NULL: argv[0] */
	uint64_t host_start;    /* its host process's start time (ticks): a
				 * reused host pid is not read as it */
	/* RUNNING: its channel and done page, for direct replies
	 * (srv_reply); NULL: its replies go by the ring (a remote relay's
	 * cage, or not mapped).  Only ever written: the cage can scribble
	 * on its channel at any time. */
	struct lind_chan *chan;
	struct lind_chan_done *done;
	struct cage *hnext;
};

/* New RUNNING top-level cage with cwd "/" and an empty fd table, or NULL;
 * every id uid / gid, no groups, on the host too. */
struct cage *cage_new(uint32_t host_pid, uint32_t uid, uint32_t gid);
struct cage *cage_find(uint64_t id);
/* sys_info.c: a new cage's resource limits. */
void cage_rlimits_default(struct cage *c);
/* sys_prio.c: a new cage's nice value, its process's. */
void cage_nice_init(struct cage *c);
/* Cancels parked calls, closes fds, drops cwd, frees. */
void cage_free(struct cage *c);
void cage_free_all(void);
unsigned cage_count(void);
/* Calls fn on every cage (no cage made or freed meanwhile). */
void cage_each(void (*fn)(struct cage *, void *), void *arg);
/* The id the next cage gets. */
uint64_t cage_next_id(void);
/* An EMBRYO child of p: its fds share p's open file descriptions (cloexec
 * bits kept), cwd, umask, credentials, limits and argv are copied; NULL
 * when out of memory. */
struct cage *cage_fork(struct cage *p);
/* The embryo with this token that parent_id forked, or NULL. */
struct cage *cage_find_embryo(uint64_t token, uint64_t parent_id);
/* The embryo's host process attached: RUNNING. */
void cage_bind(struct cage *c, uint32_t host_pid);
/* Releases everything but the status: ZOMBIE with wstatus, children to
 * init, the parent told (SIGCHLD is the client's; its waits are woken).
 * A zombie of init is reaped (freed) here. */
void cage_exit(struct cage *c, int wstatus);
/* A zombie's status was collected: freed. */
void cage_reap(struct cage *c);
/* The same by its parent's wait: the parent sums its CPU ticks. */
void cage_reap_by_parent(struct cage *c);
/* Job control (sys_signal.c, lind_dying): a RUNNING cage stopped by sig,
 * or continued; the parent's waits look again and it gets SIGCHLD unless
 * it ignores it or set SA_NOCLDSTOP.  Nothing when already so. */
void cage_stop(struct cage *c, int sig);
void cage_continue(struct cage *c);
/* Whether sig would stop c: SIGSTOP, or a stop signal c neither catches
 * nor ignores (as lind_sigaction told), unless its process group is
 * orphaned, where Linux discards those. */
bool cage_stops_on(const struct cage *c, int sig);
/* Linux's orphaned process group: no running member has its parent in
 * another group of the same session (init's children, top-level cages,
 * have theirs in none: a top-level cage's own group is orphaned, as a
 * login shell's is). */
bool cage_pgrp_orphaned(uint64_t pgid);
/* Hook for wait: called with the parent when a child became a zombie. */
extern void (*cage_child_changed)(struct cage *parent);
/* sys_info.c: CPU ticks of c's host process, 0 when unreadable. */
void cage_cpu(const struct cage *c, unsigned long long *user,
	      unsigned long long *sys);
/* The start time (ticks since boot) of host process pid, 0 if unknown:
 * with the pid, it names one process (pids are reused). */
uint64_t host_start_ticks(uint32_t pid);
/* sys_info.c, at a cage's end, from one read of its host /proc/PID/stat:
 * c's CPU ticks into c->cpu_user/cpu_sys, and the wait status of its host
 * process while it is a zombie not yet reaped by its host parent (-1 when
 * unknown); the status alone from n fields lind_proc_stat gave. */
int cage_host_end(struct cage *c);
int stat_zombie_wstatus(const unsigned long long *f, int n);
/* Cages of virtual real uid uid at once (the procs limit, as Linux's
 * RLIMIT_NPROC counts). */
unsigned cage_count_uid(uint32_t uid);
/* Maps the relay's memfds of c's channel and done page (not taken
 * over): 0 or -errno. */
int cage_chan_map(struct cage *c, int chan_fd, int done_fd);
/* Keeps a copy of argv for /proc (false: out of memory, none kept). */
bool cage_set_argv(struct cage *c, char *const *argv, size_t argc);
/* The same from a NUL-separated copy (fork). */
bool cage_set_argv_raw(struct cage *c, const char *cmdline, size_t len);

#endif
