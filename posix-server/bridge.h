/* posix-server --listen URL --secret FILE: the bridge (bridge.c). */
#ifndef LIND_BRIDGE_H
#define LIND_BRIDGE_H

/* Loads the secret and binds url; the bridge's thread then serves one
 * remote relay at a time through server_sock.  0 or -errno (logged). */
int bridge_start(const char *url, const char *secret, const char *server_sock);
void bridge_stop(void);

#endif
