/*
 * AF_UNIX internals shared by sock_unix.c (names, connections, the
 * family's ops) and sock_unix_msg.c (queues, send, receive, SCM_RIGHTS
 * and SCM_CREDENTIALS).
 *
 * A struct unix_sock outlives its socket while a peer still points at
 * it (refs: its socket or a listener's queue, and each peer pointing at
 * it); a connection made by connect() is an "embryo" with no socket
 * until accept() gives it one.  Every queued message is in its
 * receiver's queue; descriptions passed with SCM_RIGHTS hold a
 * reference while in flight.
 */
#ifndef SRV_SOCK_UNIX_H
#define SRV_SOCK_UNIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "sock.h"
#include "wait.h"

struct inode;
struct ofd;

enum unix_state { U_UNCONN, U_LISTEN, U_CONNECTED };

struct unix_addr {
	uint32_t len; /* 0: unbound */
	struct sockaddr_un sun;
};

/* One message: a datagram, or a piece of a stream. */
struct unix_msg {
	struct unix_msg *next;
	size_t len, off; /* off: bytes of a stream piece read already */
	/* the sender (a reference): its address as it is when the message
	 * is read is the one recvfrom gives, as Linux's unix_copy_addr */
	struct unix_sock *from;
	struct ucred cred;   /* the sender's, or those it passed */
	unsigned nfds;
	struct ofd **fds;    /* SCM_RIGHTS in flight: a reference each */
	uint8_t data[];
};

struct unix_sock {
	struct sock *sk; /* NULL: closed, or an embryo not accepted */
	unsigned refs;
	int type;
	enum unix_state state;
	bool dead;       /* its socket closed (or its listener did) */
	bool shut_rd, shut_wr; /* RCV_SHUTDOWN, SEND_SHUTDOWN */
	int err;         /* ECONNRESET for a peer closed with data unread */
	struct unix_sock *peer; /* a reference */
	struct unix_addr addr;
	struct inode *node;     /* a bound path's socket inode (a reference) */
	struct unix_msg *q, **qtail; /* messages to read, in order */
	/* a stream's urgent byte (MSG_OOB), a message of its own in q until
	 * read; once read by MSG_OOB it stays, empty, as a mark reads stop
	 * at (Linux's consumed oob_skb) */
	struct unix_msg *oob;
	size_t qbytes;
	unsigned qlen;
	/* a listener: connections not accepted yet, oldest first */
	struct unix_sock *pending, *next_pending;
	unsigned npending;
	int backlog;
	struct ucred peercred; /* SO_PEERCRED */
	bool has_peercred;
	bool passcred; /* an embryo: its listener's SO_PASSCRED at connect */
	struct waitq rq; /* receivers and accepters */
	struct waitq wq; /* senders waiting for room here, connectors */
	struct unix_sock *next_bound;
	struct unix_sock *next_all;
	/* its description's references in queued messages (SCM_RIGHTS) */
	unsigned inflight;
	/* the collector's (sock_unix_gc.c): a candidate, its references
	 * from candidates' queues, reachable from outside them */
	bool gc_cand, gc_live;
	unsigned gc_refs;
};

/* sock_unix.c */
extern struct unix_sock *unix_all; /* every one, by next_all */
void unix_get(struct unix_sock *u);
void unix_put(struct unix_sock *u);
/* The open socket of type bound to addr (len bytes from the cage):
 * ECONNREFUSED when there is none, EPROTOTYPE when a path's is of
 * another type (an abstract name is type's own), EINVAL for a bad
 * address, a path's own error (ENOENT, EACCES...). */
long unix_lookup(struct call *c, int type, const void *addr, size_t len,
		 struct unix_sock **out);
long unix_autobind(struct unix_sock *u);
struct ucred unix_cred_of(const struct call *c);

/* sock_unix_msg.c */
long unix_sendmsg(struct call *c, struct sock *s, const struct sock_send *m);
long unix_recvmsg(struct call *c, struct sock *s, struct sock_recv *m);
void unix_queue_free(struct unix_sock *u);
/* u's messages, taken off its queue (NULL: none); unix_msgs_free drops
 * them and what they hold. */
struct unix_msg *unix_queue_take(struct unix_sock *u);
void unix_msgs_free(struct unix_msg *g);
/* The unix socket behind description o, or NULL. */
struct unix_sock *unix_of(struct ofd *o);
/* Description o goes into (+1) or out of (-1) a message in flight. */
void unix_inflight(struct ofd *o, int d);

/* sock_unix_gc.c: sockets reachable only from the queues of sockets that
 * are themselves only in flight (Linux's unix_gc) have their queues
 * dropped, so the cycles they make free themselves. */
void unix_gc(void);
/* u's description lost a reference: collect if it is only in flight. */
void unix_gc_maybe(struct unix_sock *u);
/* The queue's room for a sender: a stream's bytes, a datagram count. */
bool unix_full(const struct unix_sock *u, size_t len, const struct sock *by);
unsigned long unix_msg_count(void);

#endif
