/*
 * -y: fds shown with their paths, learnt from the trace itself: an open's
 * path and result, dup's copies, close, fork (the child's table is its
 * parent's) and exec (O_CLOEXEC ones go); fds opened before the tracer
 * came from the server's "fds" note, asked for once as it attaches.
 */
#include <stdlib.h>
#include <string.h>

#include "lind-trace.h"

#define O_CLOEXEC_LINUX 02000000
#define AT_FDCWD_LINUX (-100)
#define PATH_SHOWN 256

struct fd_entry {
	uint64_t cage;
	int fd;
	bool cloexec;
	char path[PATH_SHOWN];
};

struct trace_fds {
	struct fd_entry *e;
	size_t n, cap;
};

struct trace_fds *trace_fds_new(void)
{
	return calloc(1, sizeof(struct trace_fds));
}

void trace_fds_free(struct trace_fds *t)
{
	if (t)
		free(t->e);
	free(t);
}

static struct fd_entry *find(struct trace_fds *t, uint64_t cage, int fd)
{
	for (size_t i = 0; i < t->n; i++)
		if (t->e[i].cage == cage && t->e[i].fd == fd)
			return &t->e[i];
	return NULL;
}

static void drop(struct trace_fds *t, struct fd_entry *e)
{
	*e = t->e[--t->n];
}

static struct fd_entry *put(struct trace_fds *t, uint64_t cage, int fd)
{
	struct fd_entry *e = find(t, cage, fd);
	if (e)
		return e;
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		struct fd_entry *n = realloc(t->e, cap * sizeof *n);
		if (!n)
			return NULL;
		t->e = n;
		t->cap = cap;
	}
	e = &t->e[t->n++];
	e->cage = cage;
	e->fd = fd;
	return e;
}

const char *trace_fds_path(void *arg, uint64_t cage, int fd)
{
	struct fd_entry *e = find(arg, cage, fd);
	return e ? e->path : NULL;
}

size_t trace_fds_count(const struct trace_fds *t, uint64_t cage)
{
	size_t n = 0;
	for (size_t i = 0; t && i < t->n; i++)
		n += t->e[i].cage == cage;
	return n;
}

static int64_t arg(const Lind__TraceEvent *ev, size_t i)
{
	return i < ev->n_args ? ev->args[i] : 0;
}

/* An open's path (relative to its dir fd when that one is known). */
static void opened(struct trace_fds *t, const Lind__TraceEvent *ev,
		   int dirfd, int64_t flags)
{
	if (!ev->n_data)
		return;
	const ProtobufCBinaryData *p = &ev->data[0];
	char path[PATH_SHOWN] = "";
	const char *dir = p->len && p->data[0] != '/' && dirfd != AT_FDCWD_LINUX
				  ? trace_fds_path(t, ev->cage_id, dirfd)
				  : NULL;
	size_t used = 0;
	if (dir) { /* copied first: put() may move the entries */
		used = strnlen(dir, sizeof path - 2);
		memcpy(path, dir, used);
		path[used++] = '/';
	}
	size_t n = p->len < sizeof path - 1 - used ? p->len
						   : sizeof path - 1 - used;
	memcpy(path + used, p->data, n);
	path[used + n] = '\0';
	struct fd_entry *e = put(t, ev->cage_id, (int)ev->result);
	if (!e)
		return;
	memcpy(e->path, path, sizeof path);
	e->cloexec = flags & O_CLOEXEC_LINUX;
}

static void duped(struct trace_fds *t, uint64_t cage, int from, int to,
		  bool cloexec)
{
	struct fd_entry *src = find(t, cage, from), *dst = find(t, cage, to);
	if (dst && dst != src)
		drop(t, dst);
	if (!(src = find(t, cage, from)) || from == to)
		return;
	char path[PATH_SHOWN];
	memcpy(path, src->path, sizeof path);
	if ((dst = put(t, cage, to))) { /* src may have moved */
		memcpy(dst->path, path, sizeof path);
		dst->cloexec = cloexec;
	}
}

/* The child of a fork starts with its parent's table. */
static void forked(struct trace_fds *t, uint64_t child, uint64_t parent)
{
	for (size_t i = 0, n = t->n; i < n; i++) {
		if (t->e[i].cage != parent)
			continue;
		struct fd_entry copy = t->e[i];
		struct fd_entry *e = put(t, child, copy.fd);
		if (e) {
			memcpy(e->path, copy.path, sizeof e->path);
			e->cloexec = copy.cloexec;
		}
	}
}

static void forget(struct trace_fds *t, uint64_t cage, bool cloexec_only)
{
	for (size_t i = 0; i < t->n;)
		if (t->e[i].cage == cage && (!cloexec_only || t->e[i].cloexec))
			drop(t, &t->e[i]);
		else
			i++;
}

/* The server's word on what the cage had open as the tracer came: each
 * fd the traffic has not told of yet. */
static void snapshot(struct trace_fds *t, const Lind__TraceEvent *ev)
{
	for (size_t i = 0; i < ev->n_args && i < ev->n_data; i++) {
		int fd = (int32_t)ev->args[i];
		const ProtobufCBinaryData *p = &ev->data[i];
		struct fd_entry *e = find(t, ev->cage_id, fd) ? NULL
							       : put(t, ev->cage_id, fd);
		if (!e)
			continue;
		size_t n = p->len < PATH_SHOWN - 1 ? p->len : PATH_SHOWN - 1;
		memcpy(e->path, p->data, n);
		e->path[n] = '\0';
		e->cloexec = (ev->args[i] >> 32) & 1;
	}
}

static void note(struct trace_fds *t, const Lind__TraceEvent *ev)
{
	if (!strcmp(ev->note, "fds"))
		snapshot(t, ev);
	else if (!strcmp(ev->note, "forked"))
		forked(t, ev->cage_id, (uint64_t)arg(ev, 0));
	else if (!strcmp(ev->note, "exited") || !strcmp(ev->note, "detach"))
		forget(t, ev->cage_id, false);
}

void trace_fds_see(struct trace_fds *t, const Lind__TraceEvent *ev)
{
	if (ev->note && ev->note[0]) {
		note(t, ev);
		return;
	}
	if (ev->result < 0)
		return;
	int r = (int)ev->result;
	uint64_t c = ev->cage_id;
	switch (ev->nr) {
	case LIND_SYS_open: opened(t, ev, AT_FDCWD_LINUX, arg(ev, 1)); break;
	case LIND_SYS_creat: opened(t, ev, AT_FDCWD_LINUX, 0); break;
	case LIND_SYS_openat: opened(t, ev, (int)arg(ev, 0), arg(ev, 2)); break;
	case LIND_SYS_dup: duped(t, c, (int)arg(ev, 0), r, false); break;
	case LIND_SYS_dup2: duped(t, c, (int)arg(ev, 0), r, false); break;
	case LIND_SYS_dup3:
		duped(t, c, (int)arg(ev, 0), r, arg(ev, 2) & O_CLOEXEC_LINUX);
		break;
	case LIND_SYS_fcntl: /* F_DUPFD, F_DUPFD_CLOEXEC */
		if (arg(ev, 1) == 0 || arg(ev, 1) == 1030)
			duped(t, c, (int)arg(ev, 0), r, arg(ev, 1) == 1030);
		break;
	case LIND_SYS_close: {
		struct fd_entry *e = find(t, c, (int)arg(ev, 0));
		if (e)
			drop(t, e);
		break;
	}
	case LIND_SYS_lind_exec: forget(t, c, true); break;
	default: break;
	}
}

void trace_fds_wire(uint8_t *calls)
{
	static const uint32_t nrs[] = {
		LIND_SYS_open, LIND_SYS_creat, LIND_SYS_openat, LIND_SYS_dup,
		LIND_SYS_dup2, LIND_SYS_dup3, LIND_SYS_fcntl, LIND_SYS_close,
		LIND_SYS_lind_exec,
	};
	for (size_t i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
		int k = lind_row_index(nrs[i]);
		calls[k / 8] |= (uint8_t)(1u << (k % 8));
	}
}
