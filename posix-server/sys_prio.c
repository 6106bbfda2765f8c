/* Scheduling priority as a cage sees it: getpriority and setpriority
 * (glibc's nice() is the pair), with Linux's rules on virtual ids:
 * raising a nice value is anyone's right on their own cages; lowering it
 * needs RLIMIT_NICE's allowance (0 by default) or uid 0; another uid's
 * cage is EPERM.  A cage starts with its process's host nice value (a
 * program run under nice(1) sees it), and a change is applied to that
 * process too, so the host schedules it as the cage asked (best effort:
 * a server without the right to lower it keeps the value virtual). */
#define _GNU_SOURCE
#include <sys/resource.h>

#include "sys.h"

/* The raw calls speak 20 - nice (1..40); glibc turns it back. */
#define PRIO_OF_NICE(n) (20 - (n))

struct prio_walk {
	const struct call *c;
	int which;
	uint32_t who;
	bool set;
	int nice;      /* setpriority: the new value */
	int best;      /* getpriority: the lowest nice seen */
	long err;      /* setpriority: the first refusal */
	unsigned seen;
};

static bool prio_matches(const struct prio_walk *w, const struct cage *cg)
{
	if (w->which == PRIO_USER)
		return cg->cred.ruid == w->who;
	/* PRIO_PGRP: a cage leads its own group until setpgid exists */
	return cg->id == w->who;
}

/* Linux's set_one_prio: EPERM for another user's process, EACCES for
 * a lower nice than RLIMIT_NICE allows (nice_rlim = 20 - nice). */
static long set_one(const struct call *c, struct cage *cg, int nice)
{
	const struct cage *me = c->cage;
	if (!cred_capable(&me->cred) && cg->cred.ruid != me->cred.euid &&
	    cg->cred.euid != me->cred.euid)
		return -EPERM;
	if (nice < cg->nice && !cred_capable(&me->cred) &&
	    (uint64_t)(20 - nice) > me->rlim[RLIMIT_NICE].cur)
		return -EACCES;
	cg->nice = nice;
	if (cg->host_pid)
		(void)setpriority(PRIO_PROCESS, cg->host_pid, nice);
	return 0;
}

static void prio_visit(struct cage *cg, void *arg)
{
	struct prio_walk *w = arg;
	if (!prio_matches(w, cg))
		return;
	w->seen++;
	if (!w->set) {
		if (cg->nice < w->best)
			w->best = cg->nice;
		return;
	}
	long r = set_one(w->c, cg, w->nice);
	if (r < 0 && !w->err)
		w->err = r;
}

/* which/who as the kernel reads them: ints; who 0 is the caller. */
static long prio_walk(struct call *c, struct prio_walk *w)
{
	w->c = c;
	w->which = (int)c->a[0];
	int who = (int)c->a[1];
	w->best = 20;
	if (w->which != PRIO_PROCESS && w->which != PRIO_PGRP &&
	    w->which != PRIO_USER)
		return -EINVAL;
	if (who < 0)
		return -ESRCH;
	if (who == 0)
		w->who = w->which == PRIO_USER ? c->cage->cred.ruid
					       : (uint32_t)c->cage->id;
	else
		w->who = (uint32_t)who;
	if (w->which != PRIO_USER) {
		struct cage *cg = cage_find(w->who);
		if (cg)
			prio_visit(cg, w);
	} else {
		cage_each(prio_visit, w);
	}
	return w->seen ? 0 : -ESRCH;
}

void cage_nice_init(struct cage *c)
{
	errno = 0;
	int n = c->host_pid ? getpriority(PRIO_PROCESS, c->host_pid) : 0;
	c->nice = errno ? 0 : n;
}

long srv_getpriority(struct call *c)
{
	struct prio_walk w = {0};
	long r = prio_walk(c, &w);
	return r < 0 ? r : PRIO_OF_NICE(w.best);
}

long srv_setpriority(struct call *c)
{
	struct prio_walk w = {.set = true};
	int prio = (int)c->a[2];
	w.nice = prio < -20 ? -20 : prio > 19 ? 19 : prio;
	long r = prio_walk(c, &w);
	return r < 0 ? r : w.err;
}
