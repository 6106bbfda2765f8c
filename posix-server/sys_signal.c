/* Signals between cages, process groups and sessions.
 *
 * A cage may signal a cage whose real or saved virtual uid is its real or
 * effective one, or any as effective uid 0 (Linux's kill_ok_by_cred).  Pids are virtual: no number a cage
 * can name reaches a host process that is not a cage.  The server decides
 * and the relay delivers, with pidfd_send_signal on the cage's process
 * (srv_signal_cage), so delivery is the host kernel's own: handlers,
 * SIGSTOP/SIGCONT/SIGKILL, default actions, the wait status.  A call
 * parked in the server when its process gets a signal is interrupted by
 * the client (lind_cancel), as for any signal.
 *
 * The caller is never signalled from here: the call answers 1 and the
 * client raises the signal on itself before returning 0, so that, as on
 * Linux, a signal a process sends itself is delivered before kill returns.
 *
 * A top-level cage leads its own session and process group, as if its
 * launcher ran setsid. */
#define _GNU_SOURCE
#include <limits.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>

#include "sys.h"

#define SIG_MAX 64

struct kill_walk {
	struct cage *from;
	int sig;
	uint64_t pgid;  /* kill of a group: its id; 0: every cage */
	bool self;      /* the caller is a target: answer 1 */
	unsigned matched, sent;
	long err;       /* the last refusal */
};

static bool may_signal(const struct cage *from, const struct cage *to)
{
	const struct cred *f = &from->cred, *t = &to->cred;
	return cred_capable(f) || f->euid == t->suid || f->euid == t->ruid ||
	       f->ruid == t->suid || f->ruid == t->ruid;
}

/* The host kernel delivers; what it does to job control the server notes
 * for the target's parent's waits: a stop signal the target does not
 * catch or ignore stops it, SIGCONT continues it (a stop signal it has
 * blocked is counted as a stop all the same: the server does not see
 * masks). */
static void deliver(struct cage *to, int sig)
{
	srv_signal_cage(to, sig);
	if (sig == SIGCONT)
		cage_continue(to);
	else if (cage_stops_on(to, sig))
		cage_stop(to, sig);
}

static void signal_one(struct kill_walk *w, struct cage *to)
{
	w->matched++;
	if (!may_signal(w->from, to)) {
		w->err = -EPERM;
		return;
	}
	w->sent++;
	if (to == w->from)
		w->self = w->sig != 0;
	else if (w->sig != 0 && to->state == CAGE_EMBRYO)
		to->embryo_sigs |= 1ull << (w->sig - 1); /* nobody to kill yet */
	else if (w->sig != 0 && !to->exited)
		deliver(to, w->sig);
}

/* kill(-pgid) and kill(0) reach the group; kill(-1) every cage the caller
 * may signal but itself (Linux skips init, which a deployment lacks). */
static void signal_many(struct cage *to, void *arg)
{
	struct kill_walk *w = arg;
	if (w->pgid ? to->pgid == w->pgid
		    : to != w->from && may_signal(w->from, to))
		signal_one(w, to);
}

/* Linux: success when any target was signalled, else the last refusal;
 * ESRCH when nothing matched. */
static long walk_result(const struct kill_walk *w)
{
	if (!w->matched)
		return -ESRCH;
	if (!w->sent)
		return w->err;
	return w->self ? 1 : 0;
}

/* pid and sig as the kernel reads them: ints. */
long srv_kill(struct call *c)
{
	int pid = (int)c->a[0], sig = (int)c->a[1];
	struct kill_walk w = {.from = c->cage, .sig = sig};
	if (sig < 0 || sig > SIG_MAX)
		return -EINVAL;
	if (pid > 0) {
		struct cage *to = cage_find((uint64_t)pid);
		if (to)
			signal_one(&w, to);
	} else if (pid == INT_MIN) {
		return -ESRCH; /* -pid overflows: Linux answers ESRCH */
	} else {
		w.pgid = pid == 0 ? c->cage->pgid : pid == -1 ? 0
							     : (uint64_t)-pid;
		cage_each(signal_many, &w);
	}
	return walk_result(&w);
}

/* tgkill(tgid, tid, sig) to another cage: its threads' ids are host tids
 * the server does not know, so only its main thread (tid == tgid) can be
 * named; the caller's own threads never come here (client-libc). */
long srv_tgkill(struct call *c)
{
	int tgid = (int)c->a[0], tid = (int)c->a[1], sig = (int)c->a[2];
	if (tgid <= 0 || tid <= 0 || sig < 0 || sig > SIG_MAX)
		return -EINVAL;
	if (tid != tgid)
		return -ESRCH;
	struct kill_walk w = {.from = c->cage, .sig = sig};
	struct cage *to = cage_find((uint64_t)tgid);
	if (to)
		signal_one(&w, to);
	return walk_result(&w);
}

/* ---- process groups and sessions -------------------------------------- */

/* pid 0 is the caller; else a cage (ESRCH when none). */
static struct cage *target(struct call *c, int pid)
{
	if (pid < 0)
		return NULL;
	return pid == 0 ? c->cage : cage_find((uint64_t)pid);
}

struct group_find {
	uint64_t pgid, sid;
	bool found;
};

static void find_group(struct cage *cg, void *arg)
{
	struct group_find *g = arg;
	if (cg->pgid == g->pgid && (!g->sid || cg->sid == g->sid))
		g->found = true;
}

static bool group_exists(uint64_t pgid, uint64_t sid)
{
	struct group_find g = {pgid, sid, false};
	cage_each(find_group, &g);
	return g.found;
}

/* Linux's order: EINVAL, ESRCH (not the caller or its child), EPERM (a
 * session leader, another session, or a group that does not exist in
 * the caller's session). */
long srv_setpgid(struct call *c)
{
	int pid = (int)c->a[0], pgid = (int)c->a[1];
	struct cage *me = c->cage;
	if (pgid < 0)
		return -EINVAL;
	struct cage *t = target(c, pid);
	if (!t || (t != me && t->parent != me->id))
		return -ESRCH;
	if (t->sid == t->id || t->sid != me->sid)
		return -EPERM;
	uint64_t want = pgid ? (uint64_t)pgid : t->id;
	if (want != t->id && !group_exists(want, me->sid))
		return -EPERM;
	t->pgid = want;
	return 0;
}

long srv_getpgid(struct call *c)
{
	struct cage *t = target(c, (int)c->a[0]);
	return t ? (long)t->pgid : -ESRCH;
}

long srv_getpgrp(struct call *c)
{
	return (long)c->cage->pgid;
}

/* EPERM for a process group leader (a group with its id exists). */
long srv_setsid(struct call *c)
{
	struct cage *me = c->cage;
	if (group_exists(me->id, 0))
		return -EPERM;
	me->pgid = me->sid = me->id;
	me->fg_pgid = 0; /* a new session has no controlling terminal */
	return (long)me->id;
}

long srv_getsid(struct call *c)
{
	struct cage *t = target(c, (int)c->a[0]);
	return t ? (long)t->sid : -ESRCH;
}

/* ---- the terminal's foreground process group ------------------------- */

struct group_signal {
	uint64_t pgid;
	int sig;
};

static void signal_group_member(struct cage *cg, void *arg)
{
	struct group_signal *g = arg;
	if (cg->pgid == g->pgid && cg->state == CAGE_RUNNING)
		deliver(cg, g->sig);
}

/* tcsetpgrp from a background group: Linux's tty_check_change.  Unless
 * SIGTTOU is ignored (or the group is orphaned: EIO), the caller's group
 * gets it (and stops, by default)
 * and the call ends with EINTR where Linux would restart it; a SIGTTOU
 * the caller blocks is not seen by the server (it counts as a stop). */
static long background_check(struct cage *me, const struct cage *lead)
{
	if (me->pgid == lead->fg_pgid ||
	    (me->sig_ign & CAGE_SIGBIT(SIGTTOU)))
		return 0;
	if (cage_pgrp_orphaned(me->pgid))
		return -EIO;
	struct group_signal g = {me->pgid, SIGTTOU};
	cage_each(signal_group_member, &g);
	return -EINTR;
}

/* The launcher's terminal is every cage's controlling terminal in its
 * session: a session made by setsid in a cage has none (ENOTTY), as on
 * Linux.  The foreground group is the server's (the host terminal's own
 * stays lind-run's); the errors are Linux's tiocspgrp's. */
long srv_tty_job_ioctl(struct call *c, struct ofd *o, unsigned long req)
{
	struct cage *me = c->cage;
	struct termios tio; /* isatty's own test */
	if (!ofd_is(o, &ofd_stream_ops) || stream_ioctl(o->st, TCGETS, &tio))
		return -ENOTTY;
	struct cage *lead = cage_find(me->sid);
	if (!lead || lead->state != CAGE_RUNNING || !lead->fg_pgid)
		return -ENOTTY;
	int v;
	if (req == TIOCGPGRP || req == TIOCGSID) {
		if (!c->out[2].buf || c->out[2].cap < sizeof v)
			return -EFAULT;
		v = (int)(req == TIOCGPGRP ? lead->fg_pgid : me->sid);
		memcpy(c->out[2].buf, &v, sizeof v);
		c->out[2].len = sizeof v;
		return 0;
	}
	if (c->in[2].len != sizeof v)
		return -EFAULT;
	memcpy(&v, c->in[2].ptr, sizeof v);
	long r = background_check(me, lead);
	if (r < 0)
		return r;
	if (v < 0)
		return -EINVAL;
	if (!group_exists((uint64_t)v, 0))
		return -ESRCH;
	if (!group_exists((uint64_t)v, me->sid))
		return -EPERM;
	lead->fg_pgid = (uint64_t)v;
	waitq_wake(&lead->fg_waitq, WAIT_ALL);
	return 0;
}

/* Linux's job control on a terminal read (SIGTTIN) or a write under
 * TOSTOP (SIGTTOU) by a background group of the terminal's session: a
 * read with SIGTTIN ignored fails with EIO, a write with SIGTTOU ignored
 * goes on; else the caller's group gets the signal.  A caller that
 * catches it gets EINTR (Linux's answer without SA_RESTART; with it Linux
 * would restart, and signal again).  By default the signal stops the
 * group and the call parks until the foreground group changes, where
 * Linux restarts it after the stop. */
long srv_tty_background(struct call *c, struct stream *s, bool write)
{
	struct cage *me = c->cage;
	struct termios tio;
	if (stream_ioctl(s, TCGETS, &tio) != 0)
		return 0; /* not a terminal */
	struct cage *lead = cage_find(me->sid);
	if (!lead || lead->state != CAGE_RUNNING || !lead->fg_pgid ||
	    me->pgid == lead->fg_pgid || (write && !(tio.c_lflag & TOSTOP)))
		return 0;
	int sig = write ? SIGTTOU : SIGTTIN;
	if (me->sig_ign & CAGE_SIGBIT(sig))
		return write ? 0 : -EIO;
	if (cage_pgrp_orphaned(me->pgid))
		return -EIO; /* nobody to make it foreground */
	struct group_signal g = {me->pgid, sig};
	cage_each(signal_group_member, &g);
	if (me->sig_caught & CAGE_SIGBIT(sig))
		return -EINTR;
	struct waitq *q = &lead->fg_waitq;
	return call_park(c, &q, 1, 0, -1);
}
