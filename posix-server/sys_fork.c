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
	    cage_count_uid(p->cred.ruid) >= srv_limits.procs)
		return -EAGAIN;
	struct cage *k = cage_fork(p);
	if (!k)
		return -ENOMEM;
	k->fork_token = new_token();
	call_obj_out_set(c, 0, &k->fork_token);
	lind_log(k->id, "forked by cage %llu", (unsigned long long)p->id);
	return (long)k->id;
}

/* The cage raises a signal on itself (client-libc knows the disposition
 * and mask, trap.c): a fatal one makes its end without exit_group that
 * signal's, not SIGKILL; a stop signal that will stop it is sent from
 * here (its parent's WUNTRACED wait sees the stop), and SIGCONT, told once
 * its process runs again, ends that stop if nothing else did (a SIGCONT
 * from the host).  A cage lying here only changes what its parent
 * learns of it. */
long srv_lind_dying(struct call *c)
{
	int sig = (int)c->a[0];
	if (sig < 1 || sig > 64)
		return -EINVAL;
	if (sig == SIGCONT) {
		cage_continue(c->cage);
	} else if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
		   sig == SIGTTOU) {
		/* the client checked action and mask; an orphaned group's
		 * are discarded (1: it does not wait to be continued) */
		if (!cage_stops_on(c->cage, sig))
			return 1;
		/* sent from here, before any SIGCONT its parent sends once
		 * told (trap.c self_stop); as SIGSTOP, so that the host's
		 * idea of orphaned groups does not discard it */
		cage_stop(c->cage, sig);
		srv_signal_cage(c->cage, SIGSTOP);
	} else {
		c->cage->dying_sig = sig;
	}
	return 0;
}

/* The cage set the action of SIGCHLD or a stop signal (trap.c): arg1 is
 * 0 for SIG_DFL, 1 for SIG_IGN, 2 for a handler, arg2 its sa_flags.  The
 * server reaps for a parent ignoring SIGCHLD or with SA_NOCLDWAIT, spares
 * it SIGCHLD for stops under SA_NOCLDSTOP, and knows which stop signals
 * stop it.  A cage lying here only changes what it is told of its own
 * children, or what its parent is told of it. */
long srv_lind_sigaction(struct call *c)
{
	int sig = (int)c->a[0], kind = (int)c->a[1];
	struct cage *cg = c->cage;
	if ((sig != SIGCHLD && sig != SIGTSTP && sig != SIGTTIN &&
	     sig != SIGTTOU) || kind < 0 || kind > 2)
		return -EINVAL;
	uint64_t bit = CAGE_SIGBIT(sig);
	cg->sig_ign = kind == 1 ? cg->sig_ign | bit : cg->sig_ign & ~bit;
	cg->sig_caught = kind == 2 ? cg->sig_caught | bit
				   : cg->sig_caught & ~bit;
	if (sig == SIGCHLD)
		cg->chld_flags = (unsigned long)c->a[2];
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
	si->si_uid = k->cred.ruid;
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

/* Linux fills a wait's rusage with the child's and its reaped children's
 * (RUSAGE_BOTH); a running child's own ticks are read now. */
static void rusage_of(const struct cage *k, struct rusage *ru)
{
	unsigned long long user = k->cpu_user, sys = k->cpu_sys;
	if (k->state != CAGE_ZOMBIE)
		cage_cpu(k, &user, &sys);
	memset(ru, 0, sizeof *ru);
	ru->ru_utime = tv_of_ticks(user + k->cchild_user);
	ru->ru_stime = tv_of_ticks(sys + k->cchild_sys);
}

/* A stop or continue of k to report under opts, or 0: the wait status
 * and siginfo code; the report is consumed unless WNOWAIT. */
static int job_event(struct cage *k, int opts, int *code)
{
	if ((opts & WUNTRACED) && k->stopped && k->stop_unseen) {
		*code = CLD_STOPPED;
		k->stop_unseen = (opts & WNOWAIT) != 0;
		return k->stop_sig << 8 | 0x7f;
	}
	if ((opts & WCONTINUED) && k->cont_unseen) {
		*code = CLD_CONTINUED;
		k->cont_unseen = (opts & WNOWAIT) != 0;
		return 0xffff;
	}
	return 0;
}

static long report_job_event(struct cage *k, int status, int code,
			     struct wait_result *out)
{
	out->status = status;
	memset(&out->info, 0, sizeof out->info);
	out->info.si_signo = SIGCHLD;
	out->info.si_pid = (pid_t)k->id;
	out->info.si_uid = k->cred.ruid;
	out->info.si_code = code;
	out->info.si_status = code == CLD_STOPPED ? k->stop_sig : SIGCONT;
	rusage_of(k, &out->ru);
	return (long)k->id;
}

/* One attempt: the collected child's pid (filled *out; a zombie reaped
 * unless WNOWAIT), -WOULD_BLOCK when children match but none has anything
 * to report, or -ECHILD.  opts are waitid's (wait4's mapped: WEXITED
 * always, WUNTRACED is WSTOPPED). */
static long wait_try(struct cage *p, struct wait_who w, int opts,
		     struct wait_result *out)
{
	bool any = false;
	for (struct cage *k = p->children; k; k = k->sibling) {
		if (!matches(k, w))
			continue;
		any = true;
		int code, st;
		if (k->state != CAGE_ZOMBIE) {
			if ((st = job_event(k, opts, &code)))
				return report_job_event(k, st, code, out);
			continue;
		}
		if (!(opts & WEXITED))
			continue;
		long pid = (long)k->id;
		out->status = k->wstatus;
		info_of(k, &out->info);
		rusage_of(k, &out->ru);
		if (!(opts & WNOWAIT))
			cage_reap_by_parent(k);
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
		*opts |= WEXITED; /* WUNTRACED is WSTOPPED */
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

/* A child ended, stopped or continued: its parent's parked waits look
 * again. */
static void on_child_changed(struct cage *p)
{
	waitq_wake(&p->child_waitq, WAIT_ALL);
}

/* wait4 (status and rusage at 1, 3: in and out, OBJ_IO) and waitid
 * (siginfo and rusage at 2, 4).  Nothing ready parks on the caller's
 * child_waitq (wait.h), re-run whenever one of its children ends, stops
 * or continues. */
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
	r = wait_try(p, who, opts, &res);
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
