/*
 * relay.sock: cages attach here.  Each connection carries one Attach (with
 * the cage's stdio fds) and then stays open as the cage's liveness: its
 * EOF, or the exit of the process that connected (a pidfd), means the cage
 * is gone, however it died.
 *
 * Attaching never blocks the main loop: the Attach becomes a CAGE_NEW
 * carrying this connection's attach_id, and the server's answer, whenever
 * it comes, is matched by that id (relay_attach_answer).  An answer whose
 * connection has gone meanwhile frees its cage; it can never reach
 * another connection.
 *
 * Fork: an attached cage asks on its own connection (Attach{fork_conn})
 * for a connection for a child; the relay makes a socketpair, keeps one
 * end as a new connection tied to that cage (fork_parent, its policy) and
 * sends the other back.  The host child attaches over it with
 * Attach{fork_token}; its pid comes from SCM_CREDENTIALS (the socketpair's
 * SO_PEERCRED is the relay's own) and must be a child of the parent's
 * process.  A token is only accepted there, and the server binds it only
 * to an embryo of fork_parent.
 */
#define _GNU_SOURCE /* accept4, struct ucred */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "common.h"
#include "publish.h"
#include "relay.h"
#include "syscall.h"

/* A connection must send its Attach within this many seconds. */
#define ATTACH_TIMEOUT_S 5.0
/* After EMFILE/ENFILE on accept, try again this much later. */
#define ACCEPT_RETRY_S 0.1

enum conn_state { CONN_NEW, CONN_WAITING, CONN_ATTACHED };

struct relay_conn {
	struct relay *r;
	struct relay_conn *next;
	int fd, pidfd;
	ev_io io, pid_io;
	ev_timer timeout;
	struct ucred cred;
	enum conn_state state;
	uint64_t attach_id;      /* CONN_WAITING: the CAGE_NEW in flight */
	uint64_t fork_parent;    /* a child's connection: its parent cage */
	uint32_t fork_deny;      /* and the parent's policy, inherited */
	pid_t fork_ppid;         /* the parent's host pid */
	uint64_t fork_token;     /* the embryo's token, as the parent said */
	Lind__Attach *attach;    /* CONN_WAITING: for the trace note */
	struct relay_chan ch;    /* CONN_WAITING: the server has it already */
	struct relay_cage *cage; /* CONN_ATTACHED */
};

int relay_attach_listen(struct relay *r)
{
	/* relay.sock appears (renamed from a private name) only when the
	 * whole system is ready; mode/group make it shared when asked */
	int fd = lind_listen_seqpacket(r->relay_sock, 64, r->sock_mode,
				       r->sock_gid);
	if (fd < 0)
		return fd;
	struct sockaddr_un sa;
	socklen_t len = sizeof sa;
	if (getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		snprintf(r->bound_name, sizeof r->bound_name, "%s", sa.sun_path);
	r->listen_fd = fd;
	return 0;
}

static void conn_close(struct relay_conn *c)
{
	struct relay *r = c->r;
	ev_io_stop(r->loop, &c->io);
	ev_io_stop(r->loop, &c->pid_io);
	ev_timer_stop(r->loop, &c->timeout);
	close(c->fd);
	if (c->pidfd >= 0)
		close(c->pidfd);
	for (struct relay_conn **pp = &r->conns; *pp; pp = &(*pp)->next) {
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	}
	r->nconns--;
	if (c->attach)
		lind__attach__free_unpacked(c->attach, NULL);
	relay_chan_drop(&c->ch);
	if (c->cage) {
		uint64_t id = c->cage->cage_id;
		relay_cage_stop(r, c->cage);
		relay_server_cage_gone(r, id);
		relay_trace_note(r, id, "detach", NULL, 0);
	} else if (c->fork_parent && c->state == CONN_NEW && c->fork_token) {
		/* the child died (or never was) before attaching: its embryo
		 * ends now, killed, rather than at the server's timeout */
		relay_server_embryo_gone(r, c->fork_token, c->fork_parent);
	}
	/* CONN_WAITING: the server's answer finds no connection and frees
	 * the cage it made (relay_attach_answer) */
	free(c);
}

/* fds: the channel's memfd and the bell's eventfd, or NULL (refused). */
static void attach_reply(struct relay_conn *c, uint64_t cage_id,
			 const int *fds, const char *error)
{
	Lind__AttachReply rep = LIND__ATTACH_REPLY__INIT;
	rep.version = LIND_PROTO_VERSION;
	rep.cage_id = cage_id;
	rep.channel = (char *)(fds ? "memfd" : "");
	rep.error = (char *)(error ? error : "");
	/* the socket is non-blocking: a client that does not read gets
	 * nothing rather than stalling us */
	int rc = lind_send_msg(c->fd, &rep.base, fds, fds ? 2 : 0);
	if (rc < 0 && rc != -EPIPE && rc != -ECONNRESET) /* not gone already */
		lind_log(cage_id, "cannot answer attach from pid %d: %s",
			 (int)c->cred.pid, strerror(-rc));
}

static void refuse(struct relay_conn *c, const char *why)
{
	attach_reply(c, 0, NULL, why);
	/* Closing with unread data would reset the connection and lose the
	 * reply on its way: stop receiving, drop what came, then close. */
	shutdown(c->fd, SHUT_RD);
	uint8_t buf[64];
	for (;;) {
		int fds[LIND_MAX_FDS], nfds = LIND_MAX_FDS;
		long n = lind_recv_msg(c->fd, buf, sizeof buf, fds, &nfds);
		if (n < 0 && n != -EMSGSIZE)
			break;
		for (int i = 0; i < nfds; i++)
			close(fds[i]);
		if (n == 0)
			break;
	}
	conn_close(c);
}

/* A unix socket whose peer is our own relay.sock: a cage passing an
 * attach connection as its stdio would keep it open in the server, and
 * the relay would never see that cage (or another) go. */
static bool is_relay_conn(struct relay *r, int fd)
{
	struct sockaddr_un sa;
	socklen_t len = sizeof sa;
	if (getpeername(fd, (struct sockaddr *)&sa, &len) < 0 ||
	    sa.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un, sun_path))
		return false;
	return r->bound_name[0] &&
	       strncmp(sa.sun_path, r->bound_name, sizeof sa.sun_path) == 0;
}

/* The per-cage binds' fds (lind-run --bind), after the stdio fds: each a
 * directory or regular file the attaching process could open (it holds
 * the fd), on a filesystem that shows the same to anyone (not FUSE, not
 * procfs or another kernel view); NULL, or why they are refused.  The
 * server checks each against its VIRT. */
static const char *check_binds(const Lind__Attach *a, const int *fds,
			       int nfds)
{
	if (a->n_binds > LIND_MAX_BINDS)
		return "more binds than LIND_MAX_BINDS";
	if ((size_t)nfds != a->n_binds)
		return "bind fds do not match the binds";
	for (size_t i = 0; i < a->n_binds; i++) {
		struct stat st;
		if (!lind_virt_path_ok(a->binds[i]->virt))
			return "a bind's virtual path is not absolute and "
			       "normalised";
		if (fstat(fds[i], &st) < 0 ||
		    !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
			return "a bind fd is not a directory or a regular file";
		int fl = fcntl(fds[i], F_GETFL);
		if (fl < 0 || (fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY)
			return "a bind fd is not open for reading (O_PATH: its "
			       "user may not have been able to read it)";
		if (!lind_fd_bindable(fds[i]))
			return "a bind fd is on FUSE or a kernel pseudo "
			       "filesystem (proc, sys...)";
	}
	return NULL;
}

/* The new cage's identity: what root asked for (lind-run --uid), else
 * the launcher's own uid, gid and supplementary groups as the kernel
 * tells them; NULL, or why the attach is refused. */
static const char *cage_ident(const struct relay_conn *c,
			      const Lind__Attach *a, struct relay_ident *id)
{
	id->host_uid = c->cred.uid;
	id->host_gid = c->cred.gid;
	id->uid = c->cred.uid;
	id->gid = c->cred.gid;
	id->ngroups = 0;
	if (a->set_cred) {
		if (c->fork_parent)
			return "a forked child keeps its parent's ids";
		if (c->cred.uid != 0)
			return "only root may choose a cage's uid, gid and "
			       "groups (lind-run --uid)";
		if (a->n_groups > RELAY_GROUPS_MAX)
			return "too many supplementary groups";
		id->uid = a->uid;
		id->gid = a->gid;
		id->ngroups = a->n_groups;
		if (a->n_groups) /* groups is NULL when there are none */
			memcpy(id->groups, a->groups,
			       a->n_groups * sizeof *a->groups);
		return NULL;
	}
	if (c->fork_parent)
		return NULL; /* the server copies the parent's */
	socklen_t len = sizeof id->groups;
	if (getsockopt(c->fd, SOL_SOCKET, SO_PEERGROUPS, id->groups, &len) < 0)
		return errno == ERANGE ? "the launcher is in too many "
					 "supplementary groups (at most 256)"
				       : "cannot read the launcher's groups";
	id->ngroups = len / sizeof *id->groups;
	return NULL;
}

/* lind-run --publish: a table lind-run could have sent (anyone can
 * send anything), and none under --net none; NULL, or why not. */
static const char *check_publish(const Lind__Attach *a)
{
	struct lind_publish p[LIND_MAX_PUBLISH];
	const char *why = lind_publish_from(a->publish, a->n_publish, p);
	if (why)
		return why;
	if (a->n_publish && a->net == LIND_NET_NONE)
		return "ports published under --net none";
	return NULL;
}

/* CAGE_NEW for c with the attach's fds and, when the server answers
 * into slots itself, the new channel's and done page's after them. */
static int send_cage_new(struct relay_conn *c, const Lind__Attach *a,
			 const struct relay_ident *id, const int *fds, int nfds)
{
	struct relay *r = c->r;
	int all[LIND_MAX_FDS];
	int rc = relay_chan_create(&c->ch);
	if (rc < 0)
		return rc;
	if (nfds > LIND_MAX_FDS - 2)
		return -EMSGSIZE; /* recv took at most LIND_MAX_FDS */
	memcpy(all, fds, (size_t)nfds * sizeof *fds);
	if (r->direct) {
		all[nfds++] = c->ch.chan_fd;
		all[nfds++] = c->ch.done_fd;
	}
	c->attach_id = ++r->next_attach_id;
	return relay_server_cage_new(r, a, c->cred.pid, id, all, nfds,
				     c->attach_id, c->fork_parent);
}

/* Validates the Attach and sends CAGE_NEW; NULL, or why it is refused. */
static const char *attach_begin(struct relay_conn *c, Lind__Attach *a,
				const int *fds, int nfds, char *msg, size_t cap)
{
	struct relay *r = c->r;
	if (a->version != LIND_PROTO_VERSION) {
		snprintf(msg, cap,
			 "protocol version mismatch: cage speaks %u, relay speaks %u",
			 a->version, LIND_PROTO_VERSION);
		return msg;
	}
	if (a->deny & ~LC_ALL) {
		snprintf(msg, cap, "policy names unknown classes (bits %#x)",
			 a->deny & ~LC_ALL);
		return msg;
	}
	if (a->net > LIND_NET_HOST) {
		snprintf(msg, cap, "unknown network policy %u (lind-run --net)",
			 a->net);
		return msg;
	}
	const char *why = check_publish(a);
	if (why)
		return why;
	if (!c->fork_parent != !a->fork_token)
		return c->fork_parent ? "a forked child attaches with its token"
				      : "a fork token outside a fork connection";
	if (c->fork_parent)
		a->deny = c->fork_deny; /* the child cannot drop it */
	int nstdio = __builtin_popcount(a->stdio_mask & 7);
	if (nstdio > nfds || (a->stdio_mask & ~7u) ||
	    (c->fork_parent && nstdio != nfds)) /* binds come from the parent */
		return "stdio fds do not match stdio_mask";
	for (int i = 0; i < nstdio; i++)
		if (is_relay_conn(r, fds[i]))
			return "a stdio fd is a connection to nacl-relay";
	why = check_binds(a, fds + nstdio, nfds - nstdio);
	struct relay_ident id;
	if (why || (why = cage_ident(c, a, &id)))
		return why;
	int rc = send_cage_new(c, a, &id, fds, nfds);
	if (rc < 0) {
		snprintf(msg, cap, "relay cannot reach posix-server: %s",
			 strerror(-rc));
		return msg;
	}
	c->state = CONN_WAITING;
	c->attach = a;
	ev_timer_stop(r->loop, &c->timeout); /* the server answers in time */
	return NULL;
}

/* ---- closing what may never close ------------------------------------ */

/* close(2) of a FUSE file asks its daemon (FLUSH), which may never
 * answer: such fds are closed by this thread, never by the loop. */
static void *closer_main(void *arg)
{
	struct relay *r = arg;
	int fd;
	while (read(r->closer_pipe[0], &fd, sizeof fd) == sizeof fd)
		close(fd);
	return NULL;
}

int relay_closer_start(struct relay *r)
{
	pthread_t t;
	if (pipe2(r->closer_pipe, O_CLOEXEC) < 0)
		return -errno;
	/* the loop never waits for the closer: a full backlog keeps the fd */
	fcntl(r->closer_pipe[1], F_SETFL, O_NONBLOCK);
	int rc = relay_thread_start(&t, closer_main, r);
	if (rc == 0)
		pthread_detach(t); /* it may be stuck in a close for ever */
	return rc;
}

static void close_later(struct relay *r, int fd)
{
	if (write(r->closer_pipe[1], &fd, sizeof fd) != sizeof fd)
		lind_log(0, "a FUSE file's daemon does not answer: fd %d kept",
			 fd);
}

/* fds[i] on FUSE: its daemon, a user's process, could stall any call on
 * it (fstat, read, close) in the server or here.  Refused. */
static bool any_on_fuse(const int *fds, int nfds, bool *fuse)
{
	bool any = false;
	for (int i = 0; i < nfds; i++)
		any |= fuse[i] = lind_fd_on_fuse(fds[i]);
	return any;
}

static int watch_pid(struct relay_conn *c);

/* A child's Attach on its fork connection, with the sender's credentials
 * as the kernel checked them (SO_PASSCRED: SCM_CREDENTIALS comes with
 * every message).  Like lind_recv_msg otherwise. */
static long recv_fork_attach(struct relay_conn *c, uint8_t *buf, size_t cap,
			     int *fds, int *nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(struct ucred)) +
		       CMSG_SPACE(sizeof(int) * 3)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {buf, cap};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof ctl.b};
	int max = *nfds;
	*nfds = 0;
	ssize_t r = recvmsg(c->fd, &mh, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
	if (r < 0)
		return -errno;
	bool cred = false;
	for (struct cmsghdr *m = CMSG_FIRSTHDR(&mh); m;
	     m = CMSG_NXTHDR(&mh, m)) {
		if (m->cmsg_level != SOL_SOCKET)
			continue;
		if (m->cmsg_type == SCM_CREDENTIALS &&
		    m->cmsg_len >= CMSG_LEN(sizeof(struct ucred))) {
			memcpy(&c->cred, CMSG_DATA(m), sizeof c->cred);
			cred = true;
		} else if (m->cmsg_type == SCM_RIGHTS) {
			int n = (int)((m->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			for (int i = 0; i < n; i++) {
				int fd;
				memcpy(&fd, CMSG_DATA(m) + i * sizeof(int),
				       sizeof fd);
				if (*nfds < max)
					fds[(*nfds)++] = fd;
				else
					close(fd);
			}
		}
	}
	if (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC))
		return -EMSGSIZE;
	return r > 0 && !cred ? -EPERM : r;
}

/* Who sent a child's Attach: a process other than the forking one, alive
 * (its pidfd is its liveness from now on).  Only the forking process and
 * its host descendants can hold the connection (a cage passes host fds to
 * nobody), and its parent may have exited already (fork; exit), so its
 * host parent is not asked.  NULL, or why not. */
static const char *fork_sender(struct relay_conn *c)
{
	if (c->cred.pid <= 0 || c->cred.pid == c->fork_ppid)
		return "a fork connection used by the forking process itself";
	if (watch_pid(c) < 0)
		return "the attaching process is gone";
	return NULL;
}

static void conn_first(struct relay_conn *c)
{
	uint8_t buf[8192];
	int fds[LIND_MAX_FDS], nfds = LIND_MAX_FDS;
	bool fuse[LIND_MAX_FDS] = {false};
	long n = c->fork_parent
			 ? recv_fork_attach(c, buf, sizeof buf, fds, &nfds)
			 : lind_recv_msg(c->fd, buf, sizeof buf, fds, &nfds);
	if (n == -EAGAIN)
		return;
	if (n < 0 && n != -EMSGSIZE)
		nfds = 0;
	char msg[160];
	const char *why = "malformed Attach frame";
	Lind__Attach *a = n > 0 ? lind__attach__unpack(NULL, (size_t)n, buf)
				: NULL;
	if (n == 0)
		why = NULL; /* went away before attaching: nothing to say */
	else if (a && c->fork_parent && (why = fork_sender(c)))
		;
	else if (any_on_fuse(fds, nfds, fuse))
		why = "an fd is on a FUSE filesystem (not served: its daemon "
		      "could stall every cage)";
	else if (a && !(why = attach_begin(c, a, fds, nfds, msg, sizeof msg)))
		a = NULL; /* the connection keeps it until the answer */
	for (int i = 0; i < nfds; i++) { /* the server got its own copies */
		if (fuse[i])
			close_later(c->r, fds[i]);
		else
			close(fds[i]);
	}
	if (a)
		lind__attach__free_unpacked(a, NULL);
	if (n == 0)
		conn_close(c);
	else if (why)
		refuse(c, why);
}

static struct relay_conn *find_waiting(struct relay *r, uint64_t attach_id)
{
	for (struct relay_conn *c = r->conns; c; c = c->next)
		if (c->state == CONN_WAITING && c->attach_id == attach_id)
			return c;
	return NULL;
}

static struct relay_conn *find_attached(struct relay *r, uint64_t cage_id)
{
	for (struct relay_conn *c = r->conns; c; c = c->next)
		if (c->state == CONN_ATTACHED && c->cage &&
		    c->cage->cage_id == cage_id)
			return c;
	return NULL;
}

/* Through the pidfd the relay holds since attach: never a recycled pid.
 * A process already gone is nothing to report (ESRCH). */
void relay_attach_signal(struct relay *r, uint64_t cage_id, uint32_t signo)
{
	struct relay_conn *c = find_attached(r, cage_id);
	if (!c || signo == 0 || signo > 64)
		return;
	relay_trace_lifecycle(r, cage_id, "signal", (int64_t)signo);
	long rc = c->pidfd >= 0 ? syscall(SYS_pidfd_send_signal, c->pidfd,
					  (int)signo, NULL, 0)
				: kill(c->cred.pid, (int)signo);
	if (rc < 0 && errno != ESRCH)
		lind_log(cage_id, "cannot send signal %u: %s", signo,
			 strerror(errno));
}

/* The cage reads {slot} and the fd from its attach socket once the reply
 * says one comes (client-libc/hostfd.c).  Only for a call of this cage's
 * current channel.  A cage whose socket has no room is not reading what
 * it asked for: a protocol violation, fatal to it alone. */
void relay_attach_pass_fd(struct relay *r, uint64_t cage_id, uint64_t tag,
			  int fd)
{
	struct relay_conn *c = find_attached(r, cage_id);
	uint32_t slot = RELAY_TAG_SLOT(tag);
	if (!c || c->cage->idx != RELAY_TAG_IDX(tag) ||
	    c->cage->gen != RELAY_TAG_GEN(tag) || slot >= LIND_CHAN_SLOTS)
		return; /* the cage has gone, or the call with it */
	int rc = lind_send_bytes(c->fd, &slot, sizeof slot, &fd, 1);
	if (rc < 0) {
		lind_log(cage_id, "cannot pass it an fd (%s): disconnecting",
			 strerror(-rc));
		conn_close(c);
	}
}

void relay_attach_answer(struct relay *r, const Lind__Control *m)
{
	struct relay_conn *c = m->attach_id ? find_waiting(r, m->attach_id)
					    : NULL;
	bool ok = m->kind == LIND__CONTROL__KIND__CAGE_NEW_OK && m->cage_id;
	if (!c) {
		if (ok) /* its process left while the server worked */
			relay_server_cage_gone(r, m->cage_id);
		return;
	}
	char msg[200];
	if (!ok) {
		snprintf(msg, sizeof msg, "posix-server refused the cage: %s",
			 m->error[0] ? m->error : "no reason given");
		refuse(c, msg);
		return;
	}
	uint64_t id = m->cage_id;
	c->ch.chan->cage_id = id;
	/* non-blocking: a worker drains it without waiting */
	int bell = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int rc = bell < 0 ? -errno
			 : relay_cage_start(r, id, c->attach->deny, &c->ch, bell,
					    &c->cage);
	if (rc < 0 && bell >= 0)
		close(bell);
	if (rc < 0) {
		lind_log(id, "cannot create its channel: %s", strerror(-rc));
		relay_server_cage_gone(r, id);
		snprintf(msg, sizeof msg, "relay cannot create a channel: %s",
			 strerror(-rc));
		refuse(c, msg);
		return;
	}
	c->state = CONN_ATTACHED;
	relay_trace_cage_born(r, c->cage, c->fork_parent, c->attach->argv,
			      c->attach->n_argv);
	if (c->fork_parent)
		relay_trace_lifecycle(r, id, "forked", (int64_t)c->fork_parent);
	else
		relay_trace_note(r, id, "attach", c->attach->argv,
				 c->attach->n_argv);
	lind__attach__free_unpacked(c->attach, NULL);
	c->attach = NULL;
	int fds[2] = {c->ch.chan_fd, bell}; /* the bell is the cage record's */
	attach_reply(c, id, fds, NULL);
	relay_chan_drop(&c->ch); /* the fds: the cage and the server have theirs */
}

static struct relay_conn *conn_new(struct relay *r, int fd);
static const char *over_limit(struct relay *r, uid_t uid, char *msg,
			      size_t cap);

/* Answers a fork_conn request of attached cage p with one end of a new
 * socketpair whose other end is a connection awaiting the child. */
/* Our end of a child's connection, tied to parent p: a new relay_conn,
 * or NULL with the reason in msg. */
static struct relay_conn *fork_conn_new(struct relay_conn *p, int fd,
					uint64_t token, char *msg, size_t cap)
{
	struct relay *r = p->r;
	int one = 1;
	struct relay_conn *c = NULL;
	const char *why = NULL;
	if (fcntl(fd, F_SETFL, O_NONBLOCK) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof one) < 0)
		why = strerror(errno);
	else if (!(c = conn_new(r, fd)))
		return snprintf(msg, cap, "out of memory"), NULL; /* fd closed */
	if (why) {
		snprintf(msg, cap, "%s", why);
		close(fd);
		return NULL;
	}
	c->cred = (struct ucred){0, p->cred.uid, p->cred.gid};
	c->fork_parent = p->cage->cage_id;
	c->fork_deny = p->cage->deny;
	c->fork_ppid = p->cred.pid;
	c->fork_token = token;
	if (over_limit(r, c->cred.uid, msg, cap)) {
		conn_close(c);
		return NULL;
	}
	ev_io_start(r->loop, &c->io);
	ev_timer_start(r->loop, &c->timeout);
	return c;
}

/* Answers a fork_conn request of attached cage p with one end of a new
 * socketpair whose other end (nonblocking, ours) awaits the child.  The
 * answer travels as server-given fds do (client-libc/hostfd.c): {slot},
 * the slot the forking thread holds, and the fd.  Refused (limits), the
 * fd is a connection nobody serves: the child finds it closed, exits 127,
 * and its embryo ends as killed. */
static void fork_conn(struct relay_conn *p, uint64_t token, uint32_t slot)
{
	char msg[160];
	int sv[2];
	if (slot >= LIND_CHAN_SLOTS ||
	    socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		return; /* the forking thread sees its relay gone */
	int b = lind_attach_sock_bound(sv[1]);
	if (b < 0)
		lind_log(p->cage->cage_id, "child's connection: SO_RCVTIMEO: %s",
			 strerror(-b));
	if (!fork_conn_new(p, sv[0], token, msg, sizeof msg))
		lind_log(p->cage->cage_id, "no connection for a child: %s", msg);
	if (lind_send_bytes(p->fd, &slot, sizeof slot, &sv[1], 1) < 0)
		lind_log(p->cage->cage_id, "cannot answer a fork request");
	close(sv[1]);
}

/* An attached cage sent its attach socket something other than a fork
 * request: a protocol violation, fatal to the peer (its process is
 * killed; the server hears it gone). */
static void violation(struct relay_conn *c)
{
	lind_log(c->cage ? c->cage->cage_id : 0,
		 "not a fork request on the attach socket: cage killed");
	if (c->pidfd >= 0)
		syscall(SYS_pidfd_send_signal, c->pidfd, SIGKILL, NULL, 0);
	conn_close(c);
}

/* Whether host process pid is on its way out (PF_EXITING in the flags,
 * field 9 of /proc/PID/stat): its fds close before it is a zombie. */
static bool host_exiting(pid_t pid)
{
	unsigned long long f[LIND_STAT_FIELDS];
	return lind_proc_stat(pid, f) > 9 && (f[9] & 0x4); /* PF_EXITING */
}

static void conn_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	struct relay_conn *c = w->data;
	if (c->state == CONN_NEW) {
		conn_first(c);
		return;
	}
	/* afterwards the socket signals liveness, and carries the cage's
	 * requests for its children's connections */
	uint8_t buf[256];
	int fds[3], nfds = 3;
	long n = lind_recv_msg(c->fd, buf, sizeof buf, fds, &nfds);
	for (int i = 0; i < nfds; i++)
		close(fds[i]); /* nothing is passed this way */
	if (n == 0 && c->cage && ev_is_active(&c->pid_io) &&
	    host_exiting(c->cred.pid)) {
		/* an exiting process closes its fds before it becomes a
		 * zombie: its pidfd says when it is one, and only a zombie
		 * shows the server how it died (SIGSEGV, not SIGKILL) */
		ev_io_stop(c->r->loop, &c->io);
		return;
	}
	if (n == 0 || (n < 0 && n != -EAGAIN && n != -EINTR &&
		       n != -EMSGSIZE)) {
		conn_close(c);
		return;
	}
	if (n == -EAGAIN || n == -EINTR)
		return;
	Lind__Attach *a = n > 0 ? lind__attach__unpack(NULL, (size_t)n, buf)
				: NULL;
	if (a && a->fork_conn && c->state == CONN_ATTACHED)
		fork_conn(c, a->fork_token, a->fork_slot);
	else if (c->state == CONN_ATTACHED)
		violation(c); /* nothing else travels this way */
	if (a)
		lind__attach__free_unpacked(a, NULL);
}

static void pid_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	conn_close(w->data); /* the process that attached has exited */
}

static void timeout_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)loop;
	(void)revents;
	refuse(w->data, "no Attach within 5 seconds");
}

/* Connections (attaching or attached) of one uid, the new one included. */
static uint64_t conns_of(struct relay *r, uid_t uid)
{
	uint64_t n = 0;
	for (struct relay_conn *c = r->conns; c; c = c->next)
		n += c->cred.uid == uid;
	return n;
}

static const char *over_limit(struct relay *r, uid_t uid, char *msg,
			      size_t cap)
{
	if (r->nconns > r->limits.cages) { /* counts the newcomer */
		snprintf(msg, cap, "too many cages (nacl-relay --limit cages=%llu)",
			 (unsigned long long)r->limits.cages);
		return msg;
	}
	if (conns_of(r, uid) > r->limits.cages_per_uid) {
		snprintf(msg, cap,
			 "too many cages for uid %u (nacl-relay --limit cages-per-uid=%llu)",
			 (unsigned)uid,
			 (unsigned long long)r->limits.cages_per_uid);
		return msg;
	}
	return NULL;
}

static struct relay_conn *conn_new(struct relay *r, int fd)
{
	struct relay_conn *c = calloc(1, sizeof *c);
	socklen_t len = sizeof c->cred;
	if (!c || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &c->cred, &len) < 0) {
		free(c);
		close(fd);
		return NULL;
	}
	c->r = r;
	c->fd = fd;
	c->pidfd = -1;
	c->ch = (struct relay_chan){.chan_fd = -1, .done_fd = -1};
	c->next = r->conns;
	r->conns = c;
	r->nconns++;
	ev_io_init(&c->io, conn_cb, fd, EV_READ);
	c->io.data = c;
	ev_io_init(&c->pid_io, pid_cb, -1, EV_READ);
	c->pid_io.data = c;
	ev_timer_init(&c->timeout, timeout_cb, ATTACH_TIMEOUT_S, 0);
	c->timeout.data = c;
	return c;
}

/* The process's exit is its cage's end even if its socket lives on
 * somewhere.  Without pidfds (old kernels) EOF alone tells. */
static int watch_pid(struct relay_conn *c)
{
	if (c->cred.pid <= 0)
		return 0;
	c->pidfd = (int)syscall(SYS_pidfd_open, c->cred.pid, 0);
	if (c->pidfd < 0)
		return errno == ESRCH ? -ESRCH : 0;
	fcntl(c->pidfd, F_SETFD, FD_CLOEXEC);
	ev_io_set(&c->pid_io, c->pidfd, EV_READ);
	ev_io_start(c->r->loop, &c->pid_io);
	return 0;
}

static void accept_retry_cb(struct ev_loop *loop, ev_timer *w, int revents)
{
	(void)revents;
	struct relay *r = w->data;
	ev_io_start(loop, &r->listen_io);
}

/* Out of fds: pause accepting for a moment rather than spin on a
 * listening socket that stays readable; one log line per episode. */
static void accept_pause(struct relay *r, int err)
{
	if (!r->accept_paused_once)
		lind_log(0, "accept: %s; pausing new attaches", strerror(err));
	r->accept_paused_once = true;
	ev_io_stop(r->loop, &r->listen_io);
	ev_timer_set(&r->accept_retry, ACCEPT_RETRY_S, 0);
	ev_timer_start(r->loop, &r->accept_retry);
}

static void accept_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct relay *r = w->data;
	for (;;) {
		int fd = accept4(r->listen_fd, NULL, NULL,
				 SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE ||
			    errno == ENOBUFS || errno == ENOMEM)
				accept_pause(r, errno);
			else if (errno != EAGAIN && errno != EINTR &&
				 errno != ECONNABORTED)
				lind_log(0, "accept: %s", strerror(errno));
			return;
		}
		r->accept_paused_once = false;
		struct relay_conn *c = conn_new(r, fd);
		if (!c)
			continue;
		char msg[160];
		const char *why = over_limit(r, c->cred.uid, msg, sizeof msg);
		if (why || watch_pid(c) < 0) {
			refuse(c, why ? why : "the attaching process is gone");
			continue;
		}
		ev_io_start(loop, &c->io);
		ev_timer_start(loop, &c->timeout);
	}
}

int relay_attach_start(struct relay *r)
{
	ev_io_init(&r->listen_io, accept_cb, r->listen_fd, EV_READ);
	r->listen_io.data = r;
	ev_timer_init(&r->accept_retry, accept_retry_cb, ACCEPT_RETRY_S, 0);
	r->accept_retry.data = r;
	ev_io_start(r->loop, &r->listen_io);
	return 0;
}

void relay_attach_close_all(struct relay *r)
{
	if (r->listen_fd >= 0) {
		ev_io_stop(r->loop, &r->listen_io);
		ev_timer_stop(r->loop, &r->accept_retry);
		close(r->listen_fd);
		unlink(r->relay_sock);
		r->listen_fd = -1;
	}
	while (r->conns)
		conn_close(r->conns);
}
