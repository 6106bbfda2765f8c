/*
 * Sockets: one more kind of open file description (ofd_sock_ops), whose
 * state, a struct sock, holds what every family shares (type, options,
 * a pending error, timeouts) and a per-family ops table, Linux's
 * proto_ops.  sys_socket.c's handlers do the fd work, flags and options
 * every family shares, and call the family for the rest; a family parks
 * (wait.h) through sock_park, which applies the socket's timeouts.
 * Families: sock_unix.c (AF_UNIX, between cages), sock_inet.c (AF_INET,
 * AF_INET6: host sockets the server owns), sock_netlink.c (NETLINK_ROUTE:
 * the interfaces a cage sees).
 */
#ifndef SRV_SOCK_H
#define SRV_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cage;
struct call;
struct ofd;
struct sock;
struct waitq;

/* One message going out: sendto, sendmsg, write. */
struct sock_send {
	const void *name; /* the destination, NULL: the peer */
	size_t namelen;
	const void *ctl; /* control messages (cmsghdr), as the cage laid them */
	size_t ctllen;
	const uint8_t *data;
	size_t len;
	int flags;     /* MSG_* */
	bool cut;      /* the caller's data was more than len (a frame) */
	bool nonblock; /* O_NONBLOCK or MSG_DONTWAIT */
};

/* One receive: recvfrom, recvmsg, read.  The family fills the lengths. */
struct sock_recv {
	uint8_t *data;
	size_t cap;
	void *name; /* room for the sender's address; NULL: not wanted */
	size_t namecap, namelen;
	void *ctl; /* room for control messages */
	size_t ctlcap, ctllen;
	int flags;    /* MSG_* asked */
	int oflags;   /* msg_flags back: MSG_TRUNC, MSG_CTRUNC, MSG_EOR */
	bool nonblock;
};

/* What a family does (NULL: EOPNOTSUPP, or what the comment says). */
struct sock_ops {
	long (*bind)(struct call *c, struct sock *s, const void *addr,
		     size_t len);
	long (*listen)(struct call *c, struct sock *s, int backlog);
	/* the new connection's socket in *out, or parks (nonblock: -EAGAIN) */
	long (*accept)(struct call *c, struct sock *s, bool nonblock,
		       struct sock **out);
	long (*connect)(struct call *c, struct sock *s, const void *addr,
			size_t len, bool nonblock);
	long (*shutdown)(struct sock *s, int how);
	/* bytes sent (c->progress counts earlier runs'), or parks */
	long (*sendmsg)(struct call *c, struct sock *s, const struct sock_send *m);
	long (*recvmsg)(struct call *c, struct sock *s, struct sock_recv *m);
	/* the address (peer: the peer's) in addr, its length in *len;
	 * addr holds LIND_MSG_NAME_MAX bytes */
	long (*getname)(struct sock *s, void *addr, size_t *len, bool peer);
	/* the family's own options (the generic ones are sock.c's): NULL or
	 * -ENOPROTOOPT for one it does not know */
	long (*getsockopt)(struct call *c, struct sock *s, int level, int name,
			   void *val, size_t *len);
	long (*setsockopt)(struct call *c, struct sock *s, int level, int name,
			   const void *val, size_t len);
	unsigned (*poll)(struct sock *s);
	struct waitq *(*waitq)(struct sock *s, unsigned events);
	int (*inq)(struct sock *s); /* FIONREAD */
	/* SIOCATMARK: 1 when the next byte is the urgent one's place */
	long (*atmark)(struct sock *s, int *at);
	void (*release)(struct sock *s);
	/* its description lost a reference, others remain */
	void (*unref)(struct sock *s);
};

/* A family: makes its state for a new socket, and socketpair's pairs. */
struct sock_family {
	int family;
	/* 0 with s->ops and s->priv set, -EPROTONOSUPPORT,
	 * -ESOCKTNOSUPPORT... */
	long (*create)(struct call *c, struct sock *s, int protocol);
	/* NULL: EOPNOTSUPP */
	long (*pair)(struct call *c, struct sock *a, struct sock *b);
};

struct sock {
	const struct sock_ops *ops;
	const struct sock_family *fam;
	void *priv;      /* the family's */
	struct ofd *file; /* the description it is (no reference) */
	int type;        /* SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET */
	int protocol;
	int err;         /* SO_ERROR: a pending error, reported once */
	int64_t rcvtimeo, sndtimeo; /* ns, 0: wait for ever, < 0: not at all */
	int rcvbuf, sndbuf;         /* SO_RCVBUF, SO_SNDBUF (doubled) */
	bool passcred, reuseaddr, reuseport, keepalive, broadcast, oobinline;
	struct linger linger;
	uint64_t id; /* socket:[id] */
	uint32_t uid, gid;
	int64_t ctime;
	uint32_t net; /* LIND_NET_*: its maker's --net, what it may see */
};

extern const struct ofd_ops ofd_sock_ops;

/* The socket behind o, NULL when o is not one (ENOTSOCK). */
struct sock *sock_of(struct ofd *o);
/* A new socket of family fam, type (less its flags), protocol, in a new
 * description with status flags (O_NONBLOCK): 0 or -errno. */
long sock_new(struct call *c, const struct sock_family *fam, int type,
	      int protocol, int flags, struct sock **out);
/* A socket for state the family made already (an accepted connection):
 * ops and priv as given; on failure priv is still the caller's. */
long sock_wrap(struct call *c, const struct sock_family *fam, int type,
	       const struct sock_ops *ops, void *priv, struct sock **out);
/* Installs s's description at the lowest free fd; drops it on failure. */
int sock_install(struct call *c, struct sock *s, bool cloexec);
/* Drops the description of a socket never installed. */
void sock_drop(struct sock *s);
/* Parks c on s's queue q for events, with the socket's receive or send
 * timeout; an elapsed timeout is -EAGAIN (a count done answers instead,
 * the caller's).  SRV_PARKED, -EINTR, -EAGAIN. */
long sock_park(struct call *c, struct sock *s, struct waitq *q,
	       unsigned events, bool sending);
/* Sockets alive (tests: nothing leaks). */
unsigned long sock_count(void);

/* sock_unix.c */
extern const struct sock_family sock_unix_family;
/* Unix sockets alive, messages queued and descriptions in flight
 * (tests: nothing leaks). */
unsigned long sock_unix_count(void);
/* The server goes: sockets passed in messages nobody can receive any
 * more (one in flight in its own queue) are released. */
void sock_unix_free_all(void);

/* sock_inet.c */
extern const struct sock_family sock_inet_family, sock_inet6_family;
/* Host sockets the server holds for cages (tests: nothing leaks). */
unsigned long sock_inet_count(void);
/* sock_inet_cmsg.c: the control messages a cage sends on inet socket s
 * (unaligned, len bytes), checked against its policy: 0 or -errno. */
long inet_cmsg_ok(const struct cage *cg, const struct sock *s,
		  const void *ctl, size_t len);
/* sock_netlink.c: NETLINK_ROUTE, the interfaces a cage sees */
extern const struct sock_family sock_netlink_family;
/* SIOCGIF* on struct ifreq arg: the interfaces a cage under policy net
 * sees, as the host has them; ENODEV for the others. */
long netif_ioctl(uint32_t net, unsigned long req, void *arg);
/* Whether a cage under policy net sees the host's interface ifindex. */
bool netif_visible(uint32_t net, int ifindex);
/* Netlink sockets alive and replies queued (tests: nothing leaks). */
unsigned long sock_netlink_count(void);

#endif
