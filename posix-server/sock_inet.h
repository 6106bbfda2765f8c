/*
 * AF_INET and AF_INET6 sockets: a host socket the server makes and owns,
 * always non-blocking on the host (the server never blocks), behind the
 * cage's descriptor.  A call that would block for the cage parks (wait.h)
 * until a libev watcher on the host socket sees it ready; SO_RCVTIMEO and
 * SO_SNDTIMEO are the park's timeout.  Every address a call names passes
 * net_policy.h first.  The ofd is the description the call came by: its
 * O_NONBLOCK, and what a parked call keeps alive.
 */
#ifndef SRV_SOCK_INET_H
#define SRV_SOCK_INET_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct call;
struct cage;
struct ofd;
struct waitq;
struct inet_sock;

/* type without SOCK_NONBLOCK/SOCK_CLOEXEC (the description's).  0 and
 * *out, or -errno: EACCES (--net none), ESOCKTNOSUPPORT, EPROTONOSUPPORT,
 * EPERM (SOCK_RAW), EMFILE/ENFILE/ENOMEM (the host's). */
long inet_sock_new(const struct cage *cg, int family, int type, int protocol,
		   struct inet_sock **out);
void inet_sock_free(struct inet_sock *s);
int inet_sock_type(const struct inet_sock *s);

long inet_bind(struct call *c, struct inet_sock *s, const void *addr,
	       socklen_t len);
long inet_listen(struct call *c, struct inet_sock *s, int backlog);
/* A new connection: *out (with the peer's address in peer, *plen its
 * full length), or -errno, or SRV_PARKED. */
long inet_accept(struct call *c, struct ofd *o, struct inet_sock *s,
		 struct sockaddr_storage *peer, socklen_t *plen,
		 struct inet_sock **out);
long inet_connect(struct call *c, struct ofd *o, struct inet_sock *s,
		  const void *addr, socklen_t len);
/* Sends buf, len (in-data c->in[arg], which a blocking stream send
 * re-parks with the rest; c->progress counts what went).  to: NULL for
 * send(). */
long inet_send(struct call *c, struct ofd *o, struct inet_sock *s, int arg,
	       const void *buf, size_t len, int flags, const void *to,
	       socklen_t tolen);
/* Receives into buf, cap: the call's result (MSG_TRUNC: maybe more than
 * cap), *got the bytes in buf; from, *fromlen as recvfrom's (may be
 * NULL). */
long inet_recv(struct call *c, struct ofd *o, struct inet_sock *s, void *buf,
	       size_t cap, int flags, size_t *got,
	       struct sockaddr_storage *from, socklen_t *fromlen);
long inet_shutdown(struct inet_sock *s, int how);
/* getsockname (peer false) or getpeername: 0 and sa, *len its full
 * length, or -errno. */
long inet_name(struct inet_sock *s, bool peer, struct sockaddr_storage *sa,
	       socklen_t *len);
long inet_setsockopt(struct inet_sock *s, int level, int name,
		     const void *val, socklen_t len);
/* *len: val's room in, the option's length out. */
long inet_getsockopt(struct inet_sock *s, int level, int name, void *val,
		     socklen_t *len);
long inet_ioctl(struct inet_sock *s, unsigned long req, void *arg);
unsigned inet_poll(struct inet_sock *s);
/* The queue a poll or epoll waits on for events; its watcher is armed. */
struct waitq *inet_waitq(struct inet_sock *s, unsigned events);

/* Host sockets open (tests: nothing leaks). */
unsigned long inet_sock_count(void);

#endif
