/*
 * The bridge's Control messages (bridge.c has the sessions): HELLO
 * answered by the server itself, a cage's stdio made of pipes that are
 * pumped to the relay's host, a CAGE_FD sent as the file's bytes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bridge.h"
#include "common.h"

static void refuse(uint64_t attach_id, const char *why)
{
	Lind__Control e = LIND__CONTROL__INIT;
	e.kind = LIND__CONTROL__KIND__ERROR;
	e.version = LIND_PROTO_VERSION;
	e.error = (char *)why;
	e.attach_id = attach_id;
	link_send_ctl(bridge.nn, &e);
}

/* The relay's HELLO: we connect server.sock as a relay and pass on what
 * the server answers (its ring and doorbell stay with us). */
static void hello(Lind__Control *m)
{
	bridge.srv = lind_connect_seqpacket(bridge.sock);
	struct pollfd p = {.fd = bridge.srv, .events = POLLIN};
	uint8_t buf[8192];
	int fds[2] = {-1, -1}, nfds = 2;
	long n = -EPROTO;
	if (bridge.srv >= 0 && lind_send_msg(bridge.srv, &m->base, NULL, 0) == 0 &&
	    poll(&p, 1, LINK_DEAD_MS) == 1)
		n = lind_recv_msg(bridge.srv, buf, sizeof buf, fds, &nfds);
	Lind__Control *a = n > 0 ? lind__control__unpack(NULL, (size_t)n, buf)
				 : NULL;
	if (a && a->kind == LIND__CONTROL__KIND__HELLO_OK && nfds == 2 &&
	    bridge_map_rings(fds[0]) == 0) {
		bridge.bell = fds[1];
		fds[1] = -1;
		link_send_ctl(bridge.nn, a);
	} else {
		refuse(0, a && a->error[0] ? a->error : "posix-server refused");
		if (bridge.srv >= 0)
			close(bridge.srv);
		bridge.srv = -1;
	}
	for (int i = 0; i < nfds; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (a)
		lind__control__free_unpacked(a, NULL);
}

/* Pipes stand in for the cage's stdio: the server gets one end of each,
 * the other is pumped to the relay's host. */
static int stdio_pipes(const Lind__Control *m, int *server_ends)
{
	int n = 0;
	for (int i = 0; i < 3; i++) {
		if (!(m->stdio_mask & (1u << i)))
			continue;
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return -errno;
		int ours = i == 0 ? p[1] : p[0];
		server_ends[n++] = i == 0 ? p[0] : p[1];
		fcntl(ours, F_SETFL, O_NONBLOCK);
		link_stream_add(&bridge.ss, m->attach_id, i, ours, i != 0);
	}
	return n;
}

static void cage_new(Lind__Control *m)
{
	int fds[3], n = 0;
	/* a host pid of the relay's host means nothing here (and must not
	 * reach a process of ours: /proc, setpriority) */
	m->host_pid = 0;
	if (m->n_binds) {
		refuse(m->attach_id, "lind-run --bind needs posix-server on this host");
		return;
	}
	if (!m->fork_token && (n = stdio_pipes(m, fds)) < 0) {
		link_streams_drop(&bridge.ss, m->attach_id);
		refuse(m->attach_id, "posix-server's host: out of pipes");
		return;
	}
	if (lind_send_msg(bridge.srv, &m->base, fds, n) < 0)
		link_streams_drop(&bridge.ss, m->attach_id);
	for (int i = 0; i < n; i++)
		close(fds[i]);
}

void bridge_on_control(const uint8_t *p, size_t len)
{
	Lind__Control *m = lind__control__unpack(NULL, len, p);
	if (!m)
		return;
	if (m->kind == LIND__CONTROL__KIND__HELLO && bridge.srv < 0)
		hello(m);
	else if (bridge.srv < 0)
		; /* nothing before HELLO */
	else if (m->kind == LIND__CONTROL__KIND__CAGE_NEW)
		cage_new(m);
	else if (m->kind == LIND__CONTROL__KIND__CAGE_GONE ||
		 m->kind == LIND__CONTROL__KIND__CAGE_FDS)
		lind_send_msg(bridge.srv, &m->base, NULL, 0);
	lind__control__free_unpacked(m, NULL);
}

/* CAGE_FD: the fd cannot cross hosts; the file's bytes do. */
static void send_fd_copy(Lind__Control *m, int fd)
{
	struct stat st;
	uint8_t *data = NULL;
	size_t got = 0;
	if (fstat(fd, &st) == 0 && st.st_size > 0 &&
	    (data = malloc((size_t)st.st_size))) {
		ssize_t n;
		while (got < (size_t)st.st_size &&
		       (n = pread(fd, data + got, (size_t)st.st_size - got,
				  (off_t)got)) > 0)
			got += (size_t)n;
	}
	uint8_t head[8 + 512];
	uint32_t clen = (uint32_t)lind__control__get_packed_size(m);
	uint32_t mode = (uint32_t)fcntl(fd, F_GETFL) & O_ACCMODE;
	if (clen <= sizeof head - 8) {
		memcpy(head, &clen, 4);
		memcpy(head + 4, &mode, 4);
		lind__control__pack(m, head + 8);
		link_send(bridge.nn, LINK_FD, head, 8 + clen, data, got);
	}
	free(data);
}

/* false: the server closed our connection */
bool bridge_from_server(void)
{
	uint8_t buf[8192];
	int fd = -1, nfds = 1;
	long n = lind_recv_msg(bridge.srv, buf, sizeof buf, &fd, &nfds);
	if (n == -EAGAIN || n == -EINTR)
		return true;
	Lind__Control *m = n > 0 ? lind__control__unpack(NULL, (size_t)n, buf)
				 : NULL;
	if (m && m->kind == LIND__CONTROL__KIND__CAGE_FD && nfds == 1)
		send_fd_copy(m, fd);
	else if (m) {
		if (m->kind == LIND__CONTROL__KIND__ERROR && m->attach_id)
			link_streams_drop(&bridge.ss, m->attach_id);
		link_send_ctl(bridge.nn, m);
	}
	if (nfds == 1 && fd >= 0)
		close(fd);
	if (m)
		lind__control__free_unpacked(m, NULL);
	return n > 0;
}
