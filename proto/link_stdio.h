/*
 * Stdio across the remote link.  A cage's fds 0/1/2 are host fds on the
 * relay's host; the server holds pipes instead, whose other ends the
 * bridge holds.  Each side pumps its fds: a source (read, sent as
 * LINK_DATA) or a sink (LINK_DATA written, LINK_ACK sent back).  A source
 * sends at most LINK_WINDOW bytes the sink has not written yet, so nothing
 * piles up in memory.  Either end closing says so with an empty LINK_DATA
 * and the other side closes its fd: EOF and EPIPE travel as locally.
 */
#ifndef LIND_LINK_STDIO_H
#define LIND_LINK_STDIO_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LINK_WINDOW (256 * 1024)
#define LINK_CHUNK (64 * 1024)
/* stdin, stdout and stderr of as many cages as a relay attaches */
#define LINK_MAX_STREAMS (3 * 65536)

struct link_stream;

struct link_streams {
	int sock; /* the link's nanomsg socket */
	struct link_stream *head;
};

/* fd is taken over; a source is read, a sink written. */
int link_stream_add(struct link_streams *ss, uint64_t key, int idx, int fd,
		    bool source);
/* Drops (closes) every stream of key. */
void link_streams_drop(struct link_streams *ss, uint64_t key);
void link_streams_clear(struct link_streams *ss);
/* Fills p (at most cap) with what the streams wait for; *who[i] is the
 * stream of p[i] for link_stream_ready.  Returns how many. */
int link_streams_poll(struct link_streams *ss, struct pollfd *p,
		      struct link_stream **who, int cap);
void link_stream_ready(struct link_streams *ss, struct link_stream *s,
		       short revents);
/* A LINK_DATA or LINK_ACK message (kind byte included). */
void link_streams_on_msg(struct link_streams *ss, const uint8_t *m, size_t len);

#endif
