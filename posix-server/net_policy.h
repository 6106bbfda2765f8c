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
 */
#ifndef SRV_NET_POLICY_H
#define SRV_NET_POLICY_H

#include <stdbool.h>
#include <sys/socket.h>

struct cage;

/* socket(): 0, or -EACCES under none. */
long net_socket_ok(const struct cage *cg);
/* A destination (connect, sendto): 0, or -ENETUNREACH.  Families other
 * than AF_INET, AF_INET6 and AF_UNSPEC are left to the host, which
 * refuses them on an inet socket.  disconnect: connect's AF_UNSPEC,
 * which goes nowhere. */
long net_dest_ok(const struct cage *cg, const struct sockaddr *sa,
		 socklen_t len, bool disconnect);
/* A local address for bind, rewritten in place where the host must bind
 * elsewhere (a wildcard under loopback: *wild set).  0, -EADDRNOTAVAIL,
 * -EACCES (a privileged port), or -EINVAL (too short). */
long net_bind_addr(const struct cage *cg, struct sockaddr_storage *sa,
		   socklen_t len, bool *wild);
/* Whether an unbound socket of family must be bound to loopback before
 * the host would bind it to the wildcard itself (listen, sendto). */
bool net_bind_first(const struct cage *cg);
/* The loopback address of family (port 0), its length. */
socklen_t net_loopback(int family, struct sockaddr_storage *sa);
/* The wildcard address of family, port kept: what a cage sees of a
 * socket bound to loopback for it (getsockname). */
void net_wildcard(struct sockaddr_storage *sa);

#endif
