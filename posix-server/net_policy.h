/*
 * lind-run --net: what a cage's AF_INET/AF_INET6 sockets may reach
 * (cage->net, LIND_NET_* in proto/protocol.h).  sock_inet.c asks before
 * each host call that names an address:
 *   none      no inet socket is made at all (EACCES), so nothing can
 *             leave or come in;
 *   loopback  destinations 127.0.0.0/8, ::1, ::ffff:127.0.0.0/104 and the
 *             wildcard (which Linux routes to loopback); anything else is
 *             ENETUNREACH, as in a namespace whose only interface is lo.
 *             Local addresses: loopback only (else EADDRNOTAVAIL); a
 *             wildcard bind is made to loopback on the host (sock_inet.c:
 *             an AF_INET6 one to the wildcard on device lo), so nothing
 *             outside the host can reach a cage's listener;
 *   host      anything the server's host reaches.
 * Ports below 1024 need a cage with euid 0 (CAP_NET_BIND_SERVICE), as the
 * server may itself run as root.
 * lind-run --publish [ADDR:]HOSTPORT:CAGEPORT (under loopback and host):
 * a bind to CAGEPORT on the wildcard or a loopback address is made to
 * ADDR:HOSTPORT on the host instead (an AF_INET6 socket: :: for 0.0.0.0,
 * else ::ffff:ADDR); the cage still sees CAGEPORT and the address it
 * asked for on that socket and on those it accepts.  CAGEPORT below 1024
 * needs euid 0; HOSTPORT is whatever the server's host lets it bind.
 */
#ifndef SRV_NET_POLICY_H
#define SRV_NET_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct cage;
struct lind_publish;

/* socket(): 0, or -EACCES under none. */
long net_socket_ok(const struct cage *cg);
/* A destination (connect, sendto): 0, or -ENETUNREACH.  Families other
 * than AF_INET, AF_INET6 and AF_UNSPEC are left to the host, which
 * refuses them on an inet socket.  disconnect: connect's AF_UNSPEC,
 * which goes nowhere. */
long net_dest_ok(const struct cage *cg, const struct sockaddr *sa,
		 socklen_t len, bool disconnect);
/* What a cage sees of its own end of a socket where the host's differs
 * (getsockname): zeroed, the host's. */
struct net_local {
	bool wild;     /* the wildcard, which the host has as loopback */
	bool addr;     /* published: the address asked, not the host's */
	uint16_t port; /* published: the cage's port, not the host's; 0 */
	struct sockaddr_storage asked; /* addr: the cage's bind address */
};
/* A local address for bind (of a UDP socket when udp, else TCP),
 * rewritten in place where the host must bind elsewhere: a published
 * port, or a wildcard under loopback; *l says what the cage sees then.
 * 0, -EADDRNOTAVAIL, -EACCES (a privileged port). */
long net_bind_addr(const struct cage *cg, bool udp, struct sockaddr_storage *sa,
		   socklen_t len, struct net_local *l);
/* The host's name of a socket's own end, as the cage sees it. */
void net_local_show(const struct net_local *l, struct sockaddr_storage *sa);
/* lind-run --publish: cg's table, a copy of p's n entries (fork, attach).
 * 0 or -ENOMEM. */
int net_publish_set(struct cage *cg, const struct lind_publish *p, size_t n);
/* Whether an unbound socket of family must be bound to loopback before
 * the host would bind it to the wildcard itself (listen, sendto). */
bool net_bind_first(const struct cage *cg);
/* The loopback address of family (port 0), its length. */
socklen_t net_loopback(int family, struct sockaddr_storage *sa);
/* The wildcard address of family, port kept: what a cage sees of a
 * socket bound to loopback for it (getsockname). */
void net_wildcard(struct sockaddr_storage *sa);

#endif
