/* posix-server internals shared by the loop, dispatch and the handlers. */
#ifndef SRV_SERVER_H
#define SRV_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
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
	bool more; /* set by the handler: Reply.more (see LF_SPLIT) */
	/* set by the handler: Reply.dequeue and Reply.sigmask (signalfd.c) */
	uint32_t dequeue;
	uint64_t sigmask;
	int pass_fd; /* call_pass_fd; -1: none */
	/* Parking (wait.h): */
	struct ofd *hold;  /* set before call_park: kept alive while parked */
	/* the same for several (poll's): set before each call_park */
	struct ofd *const *holds;
	unsigned nholds;
	uint64_t progress; /* the handler's, kept across re-runs */
	unsigned revents;  /* a re-run: the events that woke it */
	bool rerun;        /* the handler runs again on a parked copy */
	bool interrupted;  /* lind_cancel: answer rather than park */
	bool expired;      /* the park's timeout elapsed */
	struct parked *park; /* the parked copy a re-run runs on */
	/* dispatch: the out-arguments' indexes, for the reply */
	int8_t outs[6];
	uint8_t nouts;
	/* dispatch: the out-argument whose buffer is the slot's data area
	 * (a direct read's, Reply.area), -1: none */
	int8_t area_out;
};

/* The answer carries host fd fd (taken over) to the cage: its number
 * there becomes the call's result (Reply.fd).  For what a cage must map
 * itself: a SysV shm segment, a file mapped without copies. */
static inline long call_pass_fd(struct call *c, int fd)
{
	c->pass_fd = fd;
	return 0;
}

static inline const char *call_path(const struct call *c, int i)
{
	return (const char *)c->in[i].ptr;
}

/* An OBJ_IN/OBJ_IO struct copied to dst (the frame's bytes may be
 * unaligned): false when the caller passed NULL. */
static inline bool call_obj_in(const struct call *c, int i, void *dst,
			       size_t size)
{
	if (c->in[i].len != size)
		return false;
	memcpy(dst, c->in[i].ptr, size);
	return true;
}

/* An OBJ_OUT/OBJ_IO struct's reply buffer, NULL when the caller passed
 * NULL; call_obj_out_set sends it back (after a success). */
static inline void *call_obj_out(struct call *c, int i)
{
	return c->out[i].cap ? c->out[i].buf : NULL;
}

static inline void call_obj_out_set(struct call *c, int i, const void *src)
{
	if (c->out[i].cap) {
		memcpy(c->out[i].buf, src, c->out[i].cap);
		c->out[i].len = c->out[i].cap;
	}
}

/* A NULLPATH row's path was NULL (sent with slot 1), not "". */
static inline bool call_path_null(const struct call *c, int i)
{
	return c->a[i] == 1 && c->in[i].len == 0;
}

typedef long srv_handler(struct call *c);
#define SYSCALL(nr, name, ...) srv_handler srv_##name;
#include "syscall_table.def"
#undef SYSCALL

/* dispatch.c: handlers[nr], NULL when none (tests call handlers directly). */
srv_handler *srv_handler_for(uint32_t nr);
/* dispatch.c: decode one packed Request, run its handler, and reply
 * (unless it parked). */
void srv_dispatch(const void *req, size_t len);
/* dispatch.c: runs a parked call's handler again (wait.c), its out
 * buffers laid out anew, and replies unless it parked again. */
long srv_rerun(struct call *c);
/* loop.c: queue a Reply with n out-data entries for the relay. */
struct srv_data {
	const void *ptr;
	size_t len;
	bool area; /* ptr is the slot's data area (srv_slot_area) */
};
#define SRV_REPLY_MORE 1u /* Reply.more */
#define SRV_REPLY_FD 2u   /* Reply.fd: srv_send_fd sent it first */
/* Reply.dequeue (its LIND_DEQUEUE_* << SRV_REPLY_DEQUEUE_SHIFT) with
 * Reply.sigmask = sigmask: a read of a signalfd */
#define SRV_REPLY_DEQUEUE_SHIFT 2
/* c: the calling cage (NULL: unknown), whose channel an untraced call's
 * reply goes straight into (docs/architecture.md "Hand-offs per call"). */
void srv_reply(const struct cage *c, uint64_t tag, long result,
	       const struct srv_data *data, size_t n, unsigned flags,
	       uint64_t sigmask);
/* loop.c: the data area of the slot of c's channel that tag names, when
 * the call is answered straight into that slot (LIND_TAG_DIRECT, and the
 * server maps the channel); else NULL.  docs/architecture.md "Bulk data". */
uint8_t *srv_slot_area(const struct cage *c, uint64_t tag);
/* loop.c: fd (not taken over) to the relay for the call tag of cage c. */
void srv_send_fd(const struct cage *c, uint64_t tag, int fd);

/* sys_info.c: the deployment's host name (uname, /proc); set: 0, or
 * -EINVAL with the reason in why. */
const char *srv_hostname(void);
int srv_hostname_set(const char *name, char *why, size_t cap);

/* loop.c: ask the relay to send sig to cage c's process. */
void srv_signal_cage(const struct cage *c, int sig);
/* Tells the relay how c ended, for lind-trace's exit lines. */
void srv_cage_exited(const struct cage *c);
/* c's new argv (its cmdline), for the relay's --cage-cmd tracers. */
void srv_cage_execed(const struct cage *c);

/* loop.c: listen on rundir/server.sock (0 or -errno); close drops the relay
 * and every cage and removes the runtime files. */
int srv_loop_open(const char *rundir);
void srv_loop_close(void);

/* stream.c: the launcher's stdio fds. */
/* Stream `stdio` (0, 1, 2) of cage c over hostfd, which it takes over
 * (closed on failure: NULL). */
struct stream *stream_new(int hostfd, const struct cage *c, int stdio);
void stream_put(struct stream *s);
long stream_read(struct call *c, struct ofd *o, void *buf, size_t cap);
long stream_write(struct call *c, struct ofd *o, const void *buf,
		  size_t len);
long stream_fstat(struct stream *s, struct stat *st);
long stream_ioctl(struct stream *s, unsigned long req, void *arg);
/* sys_signal.c: a read (SIGTTIN) or TOSTOP write (SIGTTOU) of terminal s
 * by a background group: 0 to go on, -EIO, or parked. */
long srv_tty_background(struct call *c, struct stream *s, bool write);

#endif
