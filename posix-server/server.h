/* posix-server internals shared by the loop, dispatch and the handlers. */
#ifndef SRV_SERVER_H
#define SRV_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "syscall.h"

struct ev_loop;
struct cage;
struct ofd;
struct stream;
struct vfs;
struct store;

/* Process-wide state (one server per process). */
struct server {
	struct ev_loop *loop;
	struct vfs *vfs;
	struct store *store;
};
extern struct server srv;

/* A handler's return value meaning "no reply now": the call saved what it
 * needs and its completion answers later with the same tag. */
#define SRV_PARKED (-100000L)

/* One decoded request, arguments by index as in the table row. */
struct call {
	struct cage *cage;
	uint64_t tag;
	uint32_t nr;
	int64_t a[6];
	struct {
		const void *ptr; /* PATH: NUL-terminated */
		size_t len;
	} in[6];
	struct {
		void *buf;
		size_t cap;
		size_t len; /* set by the handler */
	} out[6];
};

static inline const char *call_path(const struct call *c, int i)
{
	return (const char *)c->in[i].ptr;
}

typedef long srv_handler(struct call *c);
#define SYSCALL(nr, name, ...) srv_handler srv_##name;
#include "syscall_table.def"
#undef SYSCALL

/* dispatch.c: decode, run, encode.  Returns a packed Reply in *out (len),
 * or 0 when the call parked.  *out points at a static buffer. */
size_t srv_dispatch(const void *req, size_t len, const uint8_t **out);
/* loop.c: send a reply (used by completions of parked calls). */
void srv_reply(uint64_t tag, long result, const void *data, size_t len,
	       bool has_data);

/* stream.c: the launcher's stdio fds. */
struct stream *stream_new(int hostfd); /* takes over hostfd */
void stream_put(struct stream *s);
int stream_host_fd(struct stream *s);
long stream_read(struct call *c, struct ofd *o, void *buf, size_t cap);
long stream_write(struct call *c, struct ofd *o, const void *buf,
		  size_t len);
long stream_fstat(struct stream *s, struct stat *st);
long stream_ioctl(struct stream *s, unsigned long req, void *arg);
/* Cancel and free a cage's parked calls (no reply). */
void stream_cancel_parked(struct cage *c);

#endif
