/* posix-server --listen URL --secret FILE: the bridge (bridge.c). */
#ifndef LIND_BRIDGE_H
#define LIND_BRIDGE_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "link.h"
#include "link_stdio.h"
#include "protocol.h"

/* Loads the secret and binds url; the bridge's thread then serves one
 * remote relay at a time through server_sock.  0 or -errno (logged). */
int bridge_start(const char *url, const char *secret, const char *server_sock);
void bridge_stop(void);

/* Inside the bridge: bridge.c (sessions, frames) and bridge_control.c
 * (Control messages across the link) share its one state. */
struct bridge {
	char url[PATH_MAX], sock[PATH_MAX];
	struct link_key key;
	int nn, nnfd;
	int stop; /* eventfd: the server shuts down */
	int srv;  /* our server.sock connection during a session */
	int bell;
	struct lind_rings *rings;
	struct link_streams ss;
	uint64_t heard, said;
	void *first; /* a handshake's first message, received in a session */
	size_t first_len;
	pthread_t thread, replier;
	bool running, replying;
	_Atomic int reply_stop;
};
extern struct bridge bridge;

void bridge_bell(void);
/* HELLO_OK's ring memfd: mapped, and the reply thread started. */
int bridge_map_rings(int fd);
/* A Control from the relay (packed). */
void bridge_on_control(const uint8_t *p, size_t len);
/* A Control from the server; false when it closed our connection. */
bool bridge_from_server(void);

#endif
