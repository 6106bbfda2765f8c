/* Small helpers every process uses: default locations, logging, framed
 * protobuf messages with file descriptors over unix seqpacket sockets. */
#ifndef LIND_COMMON_H
#define LIND_COMMON_H

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "protocol.h"

/* Runtime dir: override, else $LIND_RUNTIME_DIR, else
 * $XDG_RUNTIME_DIR/lind, else /tmp/lind-<uid>.  Returns 0 or -errno. */
int lind_runtime_dir(char *buf, size_t cap, const char *override);
/* Store dir: override, else $LIND_STORE, else
 * $XDG_DATA_HOME/lind/store, else $HOME/.local/share/lind/store. */
int lind_store_dir(char *buf, size_t cap, const char *override);
/* dir/name into buf; -ENAMETOOLONG when it does not fit. */
int lind_path_join(char *buf, size_t cap, const char *dir, const char *name);
/* mkdir -p with mode for each created component; 0 or -errno. */
int lind_mkdirs(const char *path, unsigned mode);

/* One line to stderr: "<prog>: [cage N] message".  cage 0: no cage. */
void lind_log_init(const char *prog);
void lind_log(uint64_t cage_id, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Pack msg and send it as one datagram with nfds fds attached.
 * Returns 0 or -errno. */
int lind_send_msg(int sock, const ProtobufCMessage *msg, const int *fds,
		  int nfds);
/* The same for bytes already packed (or not protobuf at all: tests). */
int lind_send_bytes(int sock, const void *buf, size_t len, const int *fds,
		    int nfds);
/* Receive one datagram into buf (cap bytes); received fds go to fds
 * (at most *nfds, updated).  Returns the length, 0 at EOF, or -errno. */
long lind_recv_msg(int sock, void *buf, size_t cap, int *fds, int *nfds);

/* Unix SEQPACKET sockets, close-on-exec.  connect: the fd or -errno.
 * listen: binds a temporary name, gives it mode (and group gid unless
 * -1), listens, then renames it to path, so a socket that exists is ready
 * and never was open to more than mode allows; the fd is non-blocking. */
int lind_connect_seqpacket(const char *path);
/* A cage's attach socket: its blocking reads (server-given fds, a forked
 * child's AttachReply: client-libc/hostfd.c) end after
 * LIND_ATTACH_RCV_US at the latest, so that a thread whose message another
 * thread took looks at its stash again.  0 or -errno. */
#define LIND_ATTACH_RCV_US 1000
int lind_attach_sock_bound(int fd);
int lind_listen_seqpacket(const char *path, int backlog, unsigned mode,
			  long gid);
/* Shared memory passed between processes as an fd (SCM_RIGHTS): create
 * a memfd of size bytes and map it (*fd for the peer, *map for us), or
 * map a peer's, which must hold at least size bytes.  0 or -errno. */
int lind_shm_create(const char *name, size_t size, int *fd, void **map);
int lind_shm_map(int fd, size_t size, void **map);
/* Writes "pid\n" to path through a temporary file and rename. */
int lind_write_pidfile(const char *path);

/* Per-deployment limits set with `--limit NAME=VALUE`: one table per
 * daemon of uint64_t fields in a struct at base. */
struct lind_limit {
	const char *name;
	size_t off; /* offsetof the field in the daemon's limits struct */
	uint64_t min, max;
	const char *what;
};
/* 0, or -EINVAL with a one-line reason in why. */
int lind_limit_set(const struct lind_limit *t, size_t n, void *base,
		   const char *spec, char *why, size_t cap);
void lind_limits_usage(FILE *f, const struct lind_limit *t, size_t n,
		       const void *base);
/* Soft RLIMIT_NOFILE raised to the hard one: the new soft limit or -errno. */
int lind_raise_nofile(void);
/* Ask EEVDF for a short slice for this thread and those it starts
 * (proto/slice.h); -errno, or 0 (also when left alone). */
int lind_short_slice(void);

/*
 * Control messages to a peer daemon that must never block the sender: sent
 * at once when the socket has room, else queued (fds duplicated) in order
 * until lind_ctlq_flush finds room.  The caller watches the socket for
 * writability while q->head is set.
 */
#define LIND_CTLQ_FDS LIND_MAX_FDS
struct lind_ctlq {
	struct lind_ctlq_msg *head, *tail;
	unsigned count;
};
int lind_ctlq_send(struct lind_ctlq *q, int sock, const ProtobufCMessage *msg,
		   const int *fds, int nfds);
/* Sends what fits: 0 (q->head set if some wait) or -errno of a failed send
 * (that message is dropped). */
int lind_ctlq_flush(struct lind_ctlq *q, int sock);
void lind_ctlq_clear(struct lind_ctlq *q);

/* fd's file is on a FUSE filesystem: served by a process that may never
 * answer, so fstat, read and even close(2) (FUSE's flush) can block for
 * ever.  Asks only procfs, never the file's own filesystem. */
bool lind_fd_on_fuse(int fd);
/* fd may be a bind's root (lind-run --bind): its filesystem is neither
 * FUSE nor one of the kernel's pseudo filesystems (proc, sys, debugfs...)
 * whose contents depend on who opens them.  Asks only procfs. */
bool lind_fd_bindable(int fd);
/* p is an absolute, normalised path other than "/": no empty, "." or
 * ".." component and no trailing '/' (a bind's VIRT). */
bool lind_virt_path_ok(const char *p);

/* Host file /proc/PID/NAME read into buf (up to cap - 1 bytes, NUL-
 * terminated): its length, 0 when unreadable or pid is not > 0. */
size_t lind_proc_read(int pid, const char *name, char *buf, size_t cap);
/* A host process's /proc/PID/stat: f[i] holds field i as proc(5) counts
 * them (3: the state letter; 9: flags; 14/15: user/system ticks; 22:
 * start time; 52: the exit code as waitpid reports it), fields past the
 * parenthesised name parsed as numbers (negative ones wrap).  Returns how
 * many leading fields are valid (f[0..n-1]; 0/1/2 are left alone), 0 when
 * the process is gone or pid is 0.  One parser for every daemon. */
#define LIND_STAT_FIELDS 53
int lind_proc_stat(int pid, unsigned long long f[LIND_STAT_FIELDS]);
/* The same from the file's text (changed in place). */
int lind_proc_stat_parse(char *text, unsigned long long f[LIND_STAT_FIELDS]);

/* Monotonic and wall clocks in nanoseconds. */
uint64_t lind_now_ns(void);
uint64_t lind_wall_ns(void);

#endif
