/* A TCP connection on loopback for cases: the listener, the connecting
 * end and the accepted one, each call shown (ports are never printed). */
#ifndef CASE_TCP_H
#define CASE_TCP_H
#include "case.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

struct tcp_conn {
	int listener, client, server;
};

static inline struct tcp_conn tcp_loopback(void)
{
	struct sockaddr_in in = {.sin_family = AF_INET};
	in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof in;
	struct tcp_conn t;
	t.listener = (int)SHOW(socket(AF_INET, SOCK_STREAM, 0));
	SHOW(bind(t.listener, (void *)&in, len));
	SHOW(listen(t.listener, 1));
	REQUIRE(getsockname(t.listener, (void *)&in, &len) == 0);
	t.client = (int)SHOW(socket(AF_INET, SOCK_STREAM, 0));
	SHOW(connect(t.client, (void *)&in, len));
	t.server = (int)SHOW(accept(t.listener, NULL, NULL));
	return t;
}

static inline void tcp_close(struct tcp_conn t)
{
	close(t.client);
	close(t.server);
	close(t.listener);
}

#endif
