/*
 * The remote link (nacl-relay --server tcp://, posix-server --listen):
 * one nanomsg PAIR connection between the relay's stand-in for the server
 * (nacl-relay/remote.c) and the bridge beside posix-server
 * (posix-server/bridge.c).  Each message is one kind byte and its body:
 * frames as the rings carry them, Control messages without fds, stdio
 * bytes (link_stdio.c), heartbeats.  A session starts with the
 * challenge-response below; nothing else is read before it succeeds.
 */
#ifndef LIND_LINK_H
#define LIND_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lind.pb-c.h"
#include "sha256.h"

enum link_kind {
	LINK_AUTH = 'A', /* handshake, below */
	LINK_REQ = 'Q',  /* packed Request, relay -> server */
	LINK_REP = 'P',  /* packed Reply, server -> relay */
	LINK_CTL = 'C',  /* packed Control (never with fds) */
	LINK_FD = 'F',   /* u32 length, u32 access mode, packed CAGE_FD
			  * Control, the file's bytes */
	LINK_DATA = 'D', /* u64 attach_id, u8 stdio fd, bytes (none: closed) */
	LINK_ACK = 'K',  /* u64 attach_id, u8 stdio fd, u32 bytes written */
	LINK_PING = 'H', /* heartbeat */
	LINK_BYE = 'X',  /* the session ends (a daemon stops) */
};

/* Heartbeats every LINK_PING_MS; a peer silent for LINK_DEAD_MS is gone,
 * and so is a handshake step that takes longer. */
#define LINK_PING_MS 1000
#define LINK_DEAD_MS 5000
#define LINK_NONCE 32
#define LINK_KEY_MAX 1024

struct link_key {
	uint8_t bytes[LINK_KEY_MAX];
	size_t len;
};

/* Reads the shared secret (trailing newline dropped); refuses a file
 * others may read or write, or that is not ours.  why says what is wrong. */
int link_key_load(const char *path, struct link_key *k, char *why, size_t cap);

/* A PAIR socket bound to (listen) or connecting to url; -errno. */
int link_socket(const char *url, bool listen);
/* The fd poll says is readable when a message waits. */
int link_recv_fd(int s);
/* kind, then the parts: one message.  0 or -errno. */
int link_send(int s, uint8_t kind, const void *a, size_t alen, const void *b,
	      size_t blen);
int link_send_ctl(int s, const Lind__Control *m);
/* One message (free with nn_freemsg) into *msg; its length, -EAGAIN when
 * none waits (flags NN_DONTWAIT), or -errno. */
long link_recv(int s, void **msg, int flags);

/* The handshake: the relay sends its nonce; the bridge answers its own
 * and HMAC(key, "lind-bridge" nonces); the relay checks it and answers
 * HMAC(key, "lind-relay" nonces); the bridge checks that and says ok.
 * 0, or -EACCES (a wrong MAC) / -ETIMEDOUT / -EPROTO with why set. */
int link_auth_relay(int s, const struct link_key *k, char *why, size_t cap);
/* The bridge's side; first is the message that started it. */
int link_auth_bridge(int s, const struct link_key *k, const void *first,
		     size_t len, char *why, size_t cap);

#endif
