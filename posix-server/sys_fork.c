/*
 * The process model's calls: lind_fork (the parent's half of fork),
 * wait4 and waitid.  The tree itself is cage.c's.
 *
 * A wait that finds nothing to collect parks (wait.h) on the cage's
 * child_waitq, re-run whenever one of its children ends.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "sys.h"
#include "wait.h"

/* The client's hook turns these into lind_fork and a host fork; a frame
 * of them reaches us only if a cage forges it. */
long srv_clone(struct call *c)
{
	(void)c;
	return -ENOSYS;
}

long srv_fork(struct call *c)
{
	(void)c;
	return -ENOSYS;
}

long srv_vfork(struct call *c)
{
	(void)c;
	return -ENOSYS;
}

/* A token nobody can guess: a cage may try others' tokens over its own
 * fork connection (the relay ties it to this parent anyway). */
static uint64_t new_token(void)
{
	uint64_t t = 0;
	while (!t)
		if (getrandom(&t, sizeof t, 0) != sizeof t)
			t = 0;
	return t;
}

/* An EMBRYO child of the caller: its virtual pid; arg0 gets the token its
 * host process attaches with.  EAGAIN past the procs or cages limit, as
 * fork past RLIMIT_NPROC; nothing else is touched. */
long srv_lind_fork(struct call *c)
{
	struct cage *p = c->cage;
	if (!call_obj_out(c, 0))
		return -EFAULT;
	if (cage_count() >= srv_limits.cages ||
	    cage_count_uid(p->cred.uid) >= srv_limits.procs)
		return -EAGAIN;
	struct cage *k = cage_fork(p);
	if (!k)
		return -ENOMEM;
	k->fork_token = new_token();
	call_obj_out_set(c, 0, &k->fork_token);
	lind_log(k->id, "forked by cage %llu", (unsigned long long)p->id);
	return (long)k->id;
}

/* The cage raises a fatal signal on itself (client-libc knows the
 * disposition): its end without exit_group is that signal's, not SIGKILL.
 * A cage lying here only changes its own status. */
long srv_lind_dying(struct call *c)
{
	int sig = (int)c->a[0];
	if (sig < 1 || sig > 64)
		return -EINVAL;
	c->cage->dying_sig = sig;
	return 0;
}

/* ---- wait ------------------------------------------------------------- */

#define WOULD_BLOCK 1 /* wait_try found children, none ready */

/* Who a wait names: P_ALL, P_PID, P_PGID (wait4's pid, decoded). */
struct wait_who {
	int type;
	uint64_t id;
};

static bool matches(const struct cage *k, struct wait_who w)
{
	if (k->state == CAGE_EMBRYO && w.type != P_PID)
		return true; /* it exists already: counts against ECHILD */
	return w.type == P_ALL || (w.type == P_PID && k->id == w.id) ||
	       (w.type == P_PGID && k->pgid == w.id);
}

static struct timeval tv_of_ticks(unsigned long long t)
{
	long hz = sysconf(_SC_CLK_TCK);
	return (struct timeval){(time_t)(t / (unsigned long long)hz),
				(suseconds_t)(t % (unsigned long long)hz) *
					(1000000 / hz)};
}

static void info_of(const struct cage *k, siginfo_t *si)
{
	memset(si, 0, sizeof *si);
	si->si_signo = SIGCHLD;
	si->si_pid = (pid_t)k->id;
	si->si_uid = k->cred.uid;
	if (WIFEXITED(k->wstatus)) {
		si->si_code = CLD_EXITED;
		si->si_status = WEXITSTATUS(k->wstatus);
	} else {
		si->si_code = WCOREDUMP(k->wstatus) ? CLD_DUMPED : CLD_KILLED;
		si->si_status = WTERMSIG(k->wstatus);
	}
}

struct wait_result {
	int status;
	siginfo_t info;
	struct rusage ru;
};

/* One attempt: the collected child's pid (filled *out; reaped unless
 * nowait), -WOULD_BLOCK when children match but none is a zombie, or
 * -ECHILD. */
static long wait_try(struct cage *p, struct wait_who w, bool nowait,
		     struct wait_result *out)
{
	bool any = false;
	for (struct cage *k = p->children; k; k = k->sibling) {
		if (!matches(k, w))
			continue;
		any = true;
		if (k->state != CAGE_ZOMBIE)
			continue;
		long pid = (long)k->id;
		out->status = k->wstatus;
		info_of(k, &out->info);
		memset(&out->ru, 0, sizeof out->ru);
		out->ru.ru_utime = tv_of_ticks(k->cpu_user);
		out->ru.ru_stime = tv_of_ticks(k->cpu_sys);
		if (!nowait)
			cage_reap(k);
		return pid;
	}
	return any ? -WOULD_BLOCK : -ECHILD;
}

/* wait4's pid as a who: -1 any, 0 the caller's group, < -1 group -pid. */
static struct wait_who who_of_pid(const struct cage *p, int pid)
{
	if (pid == -1)
		return (struct wait_who){P_ALL, 0};
	if (pid == 0)
		return (struct wait_who){P_PGID, p->pgid};
	if (pid < 0)
		return (struct wait_who){P_PGID, (uint64_t)-(int64_t)pid};
	return (struct wait_who){P_PID, (uint64_t)pid};
}

#define WAIT4_OPTS (WNOHANG | WUNTRACED | WCONTINUED | __WALL | __WCLONE | \
		    __WNOTHREAD)
#define WAITID_OPTS (WNOHANG | WEXITED | WSTOPPED | WCONTINUED | WNOWAIT | \
		     __WALL | __WCLONE | __WNOTHREAD)

/* Decodes and checks a wait's arguments (Linux's EINVALs). */
static long wait_args(const struct cage *p, uint32_t nr, const int64_t *a,
		      struct wait_who *w, int *opts)
{
	if (nr == LIND_SYS_wait4) {
		*opts = (int)a[2];
		if (*opts & ~WAIT4_OPTS || (int)a[0] == INT32_MIN)
			return -EINVAL;
		*w = who_of_pid(p, (int)a[0]);
		return 0;
	}
	*opts = (int)a[3];
	if (*opts & ~WAITID_OPTS ||
	    !(*opts & (WEXITED | WSTOPPED | WCONTINUED)))
		return -EINVAL;
	int type = (int)a[0];
	if (type == P_ALL)
		*w = (struct wait_who){P_ALL, 0};
	else if ((type == P_PID || type == P_PGID) && (int)a[1] > 0)
		*w = (struct wait_who){type, (uint64_t)(int)a[1]};
	else if (type == P_PGID && (int)a[1] == 0)
		*w = (struct wait_who){P_PGID, p->pgid};
	else
		return -EINVAL; /* P_PIDFD: no pidfds in cages */
	return 0;
}

/* A child became a zombie: its parent's parked waits look again. */
static void on_child_changed(struct cage *p)
{
	waitq_wake(&p->child_waitq, WAIT_ALL);
}

/* wait4 (status and rusage at 1, 3: in and out, OBJ_IO) and waitid
 * (siginfo and rusage at 2, 4).  Nothing ready parks on the caller's
 * child_waitq (wait.h), re-run whenever one of its children ends; stops
 * and continues are not reported yet, so a wait for only those parks
 * until a signal ends it. */
static long wait_call(struct call *c)
{
	struct cage *p = c->cage;
	struct wait_who who;
	int opts;
	long r = wait_args(p, c->nr, c->a, &who, &opts);
	if (r < 0)
		return r;
	cage_child_changed = on_child_changed;
	bool waitid = c->nr == LIND_SYS_waitid;
	struct wait_result res;
	memset(&res, 0, sizeof res);
	r = !waitid || (opts & WEXITED)
		    ? wait_try(p, who, waitid && (opts & WNOWAIT), &res)
		    : -WOULD_BLOCK;
	if (r == -WOULD_BLOCK && !(opts & WNOHANG)) {
		struct waitq *q = &p->child_waitq;
		return call_park(c, &q, 1, 0, -1);
	}
	if (r == -WOULD_BLOCK)
		r = 0;
	if (r < 0)
		return r;
	if (waitid) { /* WNOHANG and nothing: a zeroed siginfo, as Linux */
		call_obj_out_set(c, 2, &res.info);
		call_obj_out_set(c, 4, &res.ru);
		return 0;
	}
	if (r == 0) { /* WNOHANG, nothing: *status, *rusage untouched */
		for (int i = 1; i <= 3; i += 2)
			if (c->in[i].len == c->out[i].cap)
				call_obj_out_set(c, i, c->in[i].ptr);
		return 0;
	}
	call_obj_out_set(c, 1, &res.status);
	call_obj_out_set(c, 3, &res.ru);
	return r;
}

long srv_wait4(struct call *c)
{
	return wait_call(c);
}

long srv_waitid(struct call *c)
{
	return wait_call(c);
}
