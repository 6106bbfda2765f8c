/*
 * The process model's calls: lind_fork (the parent's half of fork),
 * wait4 and waitid.  The tree itself is cage.c's.
 *
 * A wait that finds nothing to collect parks here (wait_park, on the
 * waiting cage) and is retried whenever one of that cage's children
 * changes (cage_child_changed); a signal ends it with EINTR (lind_cancel),
 * the cage's end drops it.
 */
#include <signal.h>
#include <stdlib.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common.h"
#include "sys.h"

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

/* ---- wait ------------------------------------------------------------- */

#define WOULD_BLOCK 1 /* wait_try found children, none ready */

struct wait_park {
	struct wait_park *next;
	uint64_t tag;
	uint32_t nr;
	int64_t a[6];
	bool want_status, want_info, want_ru;
};

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

static struct rusage rusage_of(const struct cage *k)
{
	struct rusage ru;
	long hz = sysconf(_SC_CLK_TCK);
	memset(&ru, 0, sizeof ru);
	ru.ru_utime.tv_sec = (time_t)(k->cpu_user / (unsigned long long)hz);
	ru.ru_utime.tv_usec = (suseconds_t)(k->cpu_user % (unsigned long long)hz) *
			      (1000000 / hz);
	ru.ru_stime.tv_sec = (time_t)(k->cpu_sys / (unsigned long long)hz);
	ru.ru_stime.tv_usec = (suseconds_t)(k->cpu_sys % (unsigned long long)hz) *
			      (1000000 / hz);
	return ru;
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
 * nowait), 0 ... WOULD_BLOCK when children match but none is a zombie,
 * or -ECHILD. */
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
		out->ru = rusage_of(k);
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

/* Stops and continues are the signals work's; an exit is what we see. */
static bool waits_for_exit(uint32_t nr, int opts)
{
	return nr == LIND_SYS_wait4 || (opts & WEXITED);
}

/* The reply's out-data in the row's order: wait4 (status, rusage),
 * waitid (siginfo, rusage); NULL pointers get none. */
static void wait_reply(uint64_t tag, uint32_t nr, const int64_t *a, long r,
		       const struct wait_result *res)
{
	struct srv_data d[2];
	bool found = r > 0;
	if (nr == LIND_SYS_wait4) {
		d[0] = (struct srv_data){&res->status, a[1] && found ? 4 : 0};
		d[1] = (struct srv_data){&res->ru, a[3] && found ? 144 : 0};
	} else { /* waitid with WNOHANG and nothing: a zeroed siginfo */
		d[0] = (struct srv_data){&res->info, a[2] && r >= 0 ? 128 : 0};
		d[1] = (struct srv_data){&res->ru, a[4] && r >= 0 ? 144 : 0};
	}
	srv_reply(tag, r < 0 ? r : nr == LIND_SYS_waitid ? 0 : r, d, 2, false);
}

/* A parked wait of p, retried: true when it was answered. */
static bool wait_retry(struct cage *p, struct wait_park *w)
{
	struct wait_who who;
	int opts;
	struct wait_result res;
	memset(&res, 0, sizeof res);
	if (wait_args(p, w->nr, w->a, &who, &opts) < 0)
		return true; /* checked when parked */
	long r = wait_try(p, who, w->nr == LIND_SYS_waitid && (opts & WNOWAIT),
			  &res);
	if (r == -WOULD_BLOCK)
		return false;
	wait_reply(w->tag, w->nr, w->a, r, &res);
	return true;
}

static void on_child_changed(struct cage *p)
{
	struct wait_park **pp = &p->waits;
	while (*pp) {
		struct wait_park *w = *pp;
		if (wait_retry(p, w)) {
			*pp = w->next;
			free(w);
		} else {
			pp = &w->next;
		}
	}
}

static long wait_call(struct call *c)
{
	struct cage *p = c->cage;
	struct wait_who who;
	int opts;
	long r = wait_args(p, c->nr, c->a, &who, &opts);
	if (r < 0)
		return r;
	cage_child_changed = on_child_changed;
	struct wait_result res;
	memset(&res, 0, sizeof res);
	if (!waits_for_exit(c->nr, opts))
		r = -WOULD_BLOCK; /* nothing but exits is reported yet */
	else
		r = wait_try(p, who, c->nr == LIND_SYS_waitid && (opts & WNOWAIT),
			     &res);
	if (r == -WOULD_BLOCK && (opts & WNOHANG))
		r = 0;
	if (r == -WOULD_BLOCK) {
		struct wait_park *w = calloc(1, sizeof *w);
		if (!w)
			return -ENOMEM;
		*w = (struct wait_park){p->waits, c->tag, c->nr, {0}, 0, 0, 0};
		memcpy(w->a, c->a, sizeof w->a);
		p->waits = w;
		return SRV_PARKED;
	}
	if (r < 0)
		return r;
	if (r == 0 && c->nr == LIND_SYS_wait4) {
		/* WNOHANG, nothing yet: *status and *rusage untouched (they
		 * travel in and out: OBJ_IO) */
		for (int i = 1; i <= 3; i += 2)
			if (c->in[i].len == c->out[i].cap)
				call_obj_out_set(c, i, c->in[i].ptr);
		return 0;
	}
	int out_status = c->nr == LIND_SYS_wait4 ? 1 : 2, out_ru = c->nr ==
		LIND_SYS_wait4 ? 3 : 4;
	if (r > 0 || c->nr == LIND_SYS_waitid) {
		if (c->nr == LIND_SYS_wait4)
			call_obj_out_set(c, out_status, &res.status);
		else
			call_obj_out_set(c, out_status, &res.info);
		call_obj_out_set(c, out_ru, &res.ru);
	}
	return c->nr == LIND_SYS_waitid ? 0 : r;
}

long srv_wait4(struct call *c)
{
	return wait_call(c);
}

long srv_waitid(struct call *c)
{
	return wait_call(c);
}

long wait_interrupt(struct cage *c, uint64_t tag)
{
	for (struct wait_park **pp = &c->waits; *pp; pp = &(*pp)->next) {
		struct wait_park *w = *pp;
		if (w->tag != tag)
			continue;
		*pp = w->next;
		srv_reply(tag, -EINTR, NULL, 0, false);
		free(w);
		return 0;
	}
	return -ESRCH;
}

void wait_cancel_cage(struct cage *c)
{
	while (c->waits) {
		struct wait_park *w = c->waits;
		c->waits = w->next;
		free(w);
	}
}
