/* Cage table: a small chained hash by id.  Ids start at 2 (1 is the
 * virtual init, every top-level cage's parent) and are never reused.
 * The process tree (cage.h) lives here too. */
#include <assert.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "bind.h"
#include <ev.h>

#include "cage.h"
#include "common.h"
#include "fdtable.h"
#include "lock.h"
#include "net_policy.h"
#include "protocol.h"
#include "server.h"
#include "shm.h"
#include "wait.h"

#define NBUCKETS 256

static struct cage *bucket[NBUCKETS];
static uint64_t next_id = 2;
static unsigned count;

struct cage *cage_new(uint32_t host_pid, uint32_t uid, uint32_t gid)
{
	struct cage *c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	c->fds = fdtable_new();
	if (!c->fds) {
		free(c);
		return NULL;
	}
	c->id = next_id++;
	c->parent = 1;
	c->state = CAGE_RUNNING;
	c->pgid = c->sid = c->id; /* as if its launcher ran setsid */
	c->fg_pgid = c->id;       /* and made it the terminal's foreground */
	c->host_pid = host_pid;
	c->cred = CRED_OF(uid, gid);
	c->host_uid = uid;
	c->host_gid = gid;
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	c->start_real = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	c->start_mono = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	c->umask = 022;
	cage_rlimits_default(c);
	cage_nice_init(c);
	c->cwd = vfs_root(srv.vfs);
	if (c->cwd)
		vfs_ref(c->cwd);
	c->hnext = bucket[c->id % NBUCKETS];
	bucket[c->id % NBUCKETS] = c;
	count++;
	return c;
}

struct cage *cage_find(uint64_t id)
{
	for (struct cage *c = bucket[id % NBUCKETS]; c; c = c->hnext)
		if (c->id == id)
			return c;
	return NULL;
}

void (*cage_child_changed)(struct cage *parent);

static void unlink_child(struct cage *c)
{
	if (!c->pcage)
		return;
	struct cage **pp = &c->pcage->children;
	while (*pp && *pp != c)
		pp = &(*pp)->sibling;
	assert(*pp);
	*pp = c->sibling;
	c->pcage = NULL;
	c->sibling = NULL;
}

static void embryo_timer_stop(struct cage *c)
{
	if (!c->embryo_timer)
		return;
	ev_timer_stop(srv.loop, c->embryo_timer);
	free(c->embryo_timer);
	c->embryo_timer = NULL;
}

int cage_chan_map(struct cage *c, int chan_fd, int done_fd)
{
	void *ch, *d;
	int r = lind_shm_map(chan_fd, sizeof(struct lind_chan), &ch);
	if (r < 0)
		return r;
	r = lind_shm_map(done_fd, sizeof(struct lind_chan_done), &d);
	if (r < 0) {
		munmap(ch, sizeof(struct lind_chan));
		return r;
	}
	c->chan = ch;
	c->done = d;
	return 0;
}

/* From now on its replies (an exit_group's, a late one) go by the ring. */
static void chan_unmap(struct cage *c)
{
	if (c->chan)
		munmap(c->chan, sizeof *c->chan);
	if (c->done)
		munmap(c->done, sizeof *c->done);
	c->chan = NULL;
	c->done = NULL;
}

/* What a running cage holds: parked calls, locks, fds, its channel.  The
 * cwd stays until the zombie is reaped (/proc still names it). */
static void release(struct cage *c)
{
	chan_unmap(c);
	embryo_timer_stop(c);
	wait_cancel_cage(c);
	c->fg_pgid = 0; /* its session's terminal calls go on: no terminal */
	waitq_wake(&c->fg_waitq, WAIT_ALL);
	shm_cage_gone(c->id); /* a killed cage's attachments too */
	fdtable_free(srv.vfs, c->fds);
	c->fds = NULL;
}

void cage_free(struct cage *c)
{
	struct cage **pp = &bucket[c->id % NBUCKETS];
	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	count--;
	wait_begin(); /* what its closes wake runs once it is gone */
	/* cage_free_all frees parents first: children become init's */
	while (c->children) {
		struct cage *k = c->children;
		unlink_child(k);
		k->parent = 1;
	}
	unlink_child(c);
	release(c);
	if (c->cwd)
		vfs_unref(srv.vfs, c->cwd);
	bind_set_put(srv.vfs, c->binds); /* after what may hold its nodes */
	cred_release(&c->cred);
	free(c->cmdline);
	free(c->exe);
	free(c->publish);
	free(c);
	wait_end();
}

static void embryo_expired(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop, (void)revents;
	struct cage *c = w->data;
	lind_log(c->id, "forked child never attached: counted as killed");
	cage_exit(c, SIGKILL);
}

/* An embryo whose host process does not attach within this long (it
 * died first, or its parent never forked it) is ended. */
#define EMBRYO_TIMEOUT_S 10.0

struct cage *cage_fork(struct cage *p)
{
	struct cage *c = cage_new(p->host_pid, 0, 0);
	ev_timer *t = calloc(1, sizeof *t);
	if (!c || !t || !(c->fds = (fdtable_free(srv.vfs, c->fds),
				    fdtable_fork(p->fds))) ||
	    !cage_set_argv_raw(c, p->cmdline, p->cmdline_len)) {
		free(t);
		if (c)
			cage_free(c);
		return NULL;
	}
	c->state = CAGE_EMBRYO;
	c->host_pid = 0;
	cred_copy(&c->cred, &p->cred); /* fork keeps the ids and groups */
	c->host_uid = p->host_uid;
	c->host_gid = p->host_gid;
	c->umask = p->umask;
	c->net = p->net;
	memcpy(c->rlim, p->rlim, sizeof c->rlim);
	if (c->cwd)
		vfs_unref(srv.vfs, c->cwd);
	c->cwd = p->cwd;
	if (c->cwd)
		vfs_ref(c->cwd);
	c->parent = p->id;
	c->forked_by = p->id;
	c->pgid = p->pgid;
	c->sid = p->sid;
	c->fg_pgid = 0; /* its session's leader keeps that */
	c->nice = p->nice; /* the host fork keeps its process's nice too */
	c->sig_ign = p->sig_ign; /* dispositions are inherited */
	c->sig_caught = p->sig_caught;
	c->chld_flags = p->chld_flags;
	c->binds = bind_set_get(p->binds);
	if ((p->exe && !(c->exe = strdup(p->exe))) ||
	    net_publish_set(c, p->publish, p->npublish) < 0 ||
	    shm_cage_fork(p->id, c->id) < 0) {
		free(t);
		cage_free(c);
		return NULL;
	}
	c->pcage = p;
	c->sibling = p->children;
	p->children = c;
	ev_timer_init(t, embryo_expired, EMBRYO_TIMEOUT_S, 0);
	t->data = c;
	ev_timer_start(srv.loop, t);
	c->embryo_timer = t;
	return c;
}

struct cage *cage_find_embryo(uint64_t token, uint64_t parent_id)
{
	/* every cage: its parent may have exited since (fork; exit) */
	for (int b = 0; b < NBUCKETS && token; b++)
		for (struct cage *k = bucket[b]; k; k = k->hnext)
			if (k->state == CAGE_EMBRYO && k->fork_token == token &&
			    k->forked_by == parent_id)
				return k;
	return NULL;
}

void cage_bind(struct cage *c, uint32_t host_pid)
{
	assert(c->state == CAGE_EMBRYO);
	embryo_timer_stop(c);
	c->fork_token = 0; /* single use */
	c->host_pid = host_pid;
	c->state = CAGE_RUNNING;
}

/* Linux's do_notify_parent: SIGCHLD unless the parent ignores it; no
 * zombie when it ignores it or set SA_NOCLDWAIT (its waits then find
 * one child fewer, and ECHILD when none is left). */
static void tell_parent_of_exit(struct cage *c)
{
	struct cage *p = c->pcage;
	bool ign = p->sig_ign & CAGE_SIGBIT(SIGCHLD);
	if (p->state == CAGE_RUNNING && !ign) /* through the relay */
		srv_signal_cage(p, SIGCHLD);
	if (ign || (p->chld_flags & SA_NOCLDWAIT))
		cage_reap(c);
	if (cage_child_changed)
		cage_child_changed(p);
}

void cage_exit(struct cage *c, int wstatus)
{
	if (c->state == CAGE_ZOMBIE)
		return;
	/* a parent's wait re-run now could reap c under our feet: the
	 * re-runs its end wakes come once we are done */
	wait_begin();
	release(c);
	c->state = CAGE_ZOMBIE;
	c->wstatus = wstatus;
	c->exited = true; /* /proc: Z */
	c->exit_status = (wstatus >> 8) & 0xff;
	srv_cage_exited(c);
	c->stopped = c->stop_unseen = c->cont_unseen = false;
	while (c->children) { /* to init, which reaps its zombies */
		struct cage *k = c->children;
		unlink_child(k);
		k->parent = 1;
		if (k->state == CAGE_ZOMBIE)
			cage_reap(k);
	}
	if (!c->pcage)
		cage_reap(c);
	else
		tell_parent_of_exit(c);
	wait_end();
}

void cage_reap(struct cage *c)
{
	assert(c->state == CAGE_ZOMBIE);
	cage_free(c);
}

void cage_reap_by_parent(struct cage *c)
{
	struct cage *p = c->pcage;
	assert(p);
	p->cchild_user += c->cpu_user + c->cchild_user;
	p->cchild_sys += c->cpu_sys + c->cchild_sys;
	cage_reap(c);
}

/* ---- job control ------------------------------------------------------ */

struct orphan_walk {
	uint64_t pgid;
	bool anchored;
};

static void find_anchor(struct cage *m, void *arg)
{
	struct orphan_walk *w = arg;
	if (m->pgid == w->pgid && m->state == CAGE_RUNNING && m->pcage &&
	    m->pcage->pgid != m->pgid && m->pcage->sid == m->sid)
		w->anchored = true;
}

bool cage_pgrp_orphaned(uint64_t pgid)
{
	struct orphan_walk w = {pgid, false};
	cage_each(find_anchor, &w);
	return !w.anchored;
}

bool cage_stops_on(const struct cage *c, int sig)
{
	if (sig == SIGSTOP)
		return true;
	if (sig != SIGTSTP && sig != SIGTTIN && sig != SIGTTOU)
		return false;
	return !((c->sig_ign | c->sig_caught) & CAGE_SIGBIT(sig)) &&
	       !cage_pgrp_orphaned(c->pgid);
}

/* do_notify_parent_cldstop: SIGCHLD unless ignored or SA_NOCLDSTOP. */
static void tell_parent_of_stop(struct cage *c)
{
	struct cage *p = c->pcage;
	if (!p)
		return;
	if (p->state == CAGE_RUNNING && !(p->sig_ign & CAGE_SIGBIT(SIGCHLD)) &&
	    !(p->chld_flags & SA_NOCLDSTOP))
		srv_signal_cage(p, SIGCHLD);
	if (cage_child_changed)
		cage_child_changed(p);
}

void cage_stop(struct cage *c, int sig)
{
	if (c->state != CAGE_RUNNING || c->stopped)
		return;
	c->stopped = c->stop_unseen = true;
	c->cont_unseen = false;
	c->stop_sig = sig;
	tell_parent_of_stop(c);
}

void cage_continue(struct cage *c)
{
	if (c->state != CAGE_RUNNING || !c->stopped)
		return;
	c->stopped = c->stop_unseen = false;
	c->cont_unseen = true;
	tell_parent_of_stop(c);
}

unsigned cage_count_uid(uint32_t uid)
{
	unsigned n = 0;
	for (int b = 0; b < NBUCKETS; b++)
		for (struct cage *c = bucket[b]; c; c = c->hnext)
			n += c->cred.ruid == uid;
	return n;
}

void cage_free_all(void)
{
	for (int b = 0; b < NBUCKETS; b++)
		while (bucket[b])
			cage_free(bucket[b]);
}

unsigned cage_count(void)
{
	return count;
}

void cage_each(void (*fn)(struct cage *, void *), void *arg)
{
	for (int b = 0; b < NBUCKETS; b++)
		for (struct cage *c = bucket[b]; c; c = c->hnext)
			fn(c, arg);
}

uint64_t cage_next_id(void)
{
	return next_id;
}

bool cage_set_argv_raw(struct cage *c, const char *cmdline, size_t len)
{
	char *p = len ? malloc(len) : NULL;
	if (len && !p)
		return false;
	if (len)
		memcpy(p, cmdline, len);
	free(c->cmdline);
	c->cmdline = p;
	c->cmdline_len = len;
	return true;
}

bool cage_set_argv(struct cage *c, char *const *argv, size_t argc)
{
	size_t len = 0;
	for (size_t i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	char *p = len ? malloc(len) : NULL;
	if (len && !p)
		return false;
	free(c->cmdline);
	c->cmdline = p;
	c->cmdline_len = len;
	for (size_t i = 0; i < argc; i++) {
		size_t n = strlen(argv[i]) + 1;
		memcpy(p, argv[i], n);
		p += n;
	}
	return true;
}
