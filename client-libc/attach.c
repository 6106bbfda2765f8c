/*
 * Start-up: a constructor attaches the process to nacl-relay before main,
 * no wrapper needed (lind-run's child calls the same code before the
 * program exists: boot.c).  relay.sock -> Attach{version, stdio_mask,
 * argv, deny (lind-run --deny; none for a program started directly)} with
 * fds 0-2 -> AttachReply{cage_id} with the channel's memfd and the bell's
 * eventfd -> map it, the bell above the socket -> install the seccomp
 * filter.  Without a relay the program never runs:
 * it prints one line and exits 127.  The attach socket stays open as the
 * cage's liveness handle (its EOF tells the relay we are gone).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "boot.h"
#include "client.h"
#include "common.h"
#include "lind.pb-c.h"
#include "publish.h"
#include "slice.h"

#ifdef LIND_BOOT /* lind-run's start-up phases (boot_times.c) */
#define boot_stamp(p) lind_boot_stamp(p)
#else
#define boot_stamp(p) ((void)0)
#endif

/* Names a binary that carries client-libc (lind-cc's tests look for it);
 * no longer what lind-run decides by: it runs any program confined. */
__attribute__((used)) const char lind_client_marker[] = "LIND-CLIENT-LIBC";

struct lind_client *lind_cl;
static struct lind_client client;
static int attaching;

#define ARGV_BYTES 6144 /* Attach must fit lind_send_msg's 8 KiB frame */
#define ARGV_MAX 512

/* Before the filter: format, one write, exit 127. */
__attribute__((noreturn, format(printf, 1, 2))) static void
die(const char *fmt, ...)
{
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(line, sizeof line - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n > sizeof line - 2)
		n = sizeof line - 2;
	line[n++] = '\n';
	lind_host6(SYS_write, 2, (long)line, n, 0, 0, 0);
	lind_host6(SYS_exit_group, 127, 0, 0, 0, 0, 0);
	__builtin_unreachable();
}

#ifndef LIND_BOOT
/* argv from /proc/self/cmdline (the same wherever main's argv is);
 * arguments past ARGV_BYTES are left out. */
static size_t read_argv(char **argv)
{
	static char buf[ARGV_BYTES];
	size_t n = 0, c = 0;
	ssize_t r;
	int fd = open("/proc/self/cmdline", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	while (n < sizeof buf && (r = read(fd, buf + n, sizeof buf - n)) > 0)
		n += (size_t)r;
	close(fd);
	for (size_t i = 0; i < n && c < ARGV_MAX;) {
		char *e = memchr(buf + i, '\0', n - i);
		if (!e)
			break; /* cut by the cap */
		argv[c++] = buf + i;
		i = (size_t)(e - buf) + 1;
	}
	return c;
}
#endif

/* lind-run --bind (none for a program started directly), and the path of
 * the image lind-run loaded. */
static const struct lind_boot_bind *binds;
static size_t nbinds;
static const char *exe_path;
static const struct lind_boot_cred *boot_cred;
static uint32_t boot_net; /* LIND_NET_LOOPBACK */
static const struct lind_publish *boot_publish;
static size_t boot_npublish;
#define EXE_BYTES 1024 /* a longer path is not sent: exe shows argv[0] */

/* 0 or -errno; a refused send is explained by recv_reply (the relay
 * may have answered why before hanging up). */
static int send_attach(int s, char **argv, size_t argc, uint32_t deny)
{
	Lind__Attach a = LIND__ATTACH__INIT;
	a.deny = deny;
	int fds[LIND_MAX_FDS], nfds = 0;
	for (int i = 0; i < 3; i++) {
		if (fcntl(i, F_GETFD) >= 0) {
			a.stdio_mask |= 1u << i;
			fds[nfds++] = i;
		}
	}
	Lind__BindSpec spec[LIND_MAX_BINDS], *specs[LIND_MAX_BINDS];
	for (size_t i = 0; i < nbinds && i < LIND_MAX_BINDS; i++) {
		lind__bind_spec__init(&spec[i]);
		spec[i].virt = (char *)binds[i].virt;
		spec[i].ro = binds[i].ro;
		specs[i] = &spec[i];
		fds[nfds++] = binds[i].fd;
	}
	a.binds = specs;
	a.n_binds = nbinds < LIND_MAX_BINDS ? nbinds : LIND_MAX_BINDS;
	if (boot_cred) {
		a.set_cred = 1;
		a.uid = boot_cred->uid;
		a.gid = boot_cred->gid;
		a.groups = (uint32_t *)boot_cred->groups;
		a.n_groups = boot_cred->ngroups;
	}
	a.net = boot_net;
	Lind__Publish pub[LIND_MAX_PUBLISH], *pubs[LIND_MAX_PUBLISH];
	for (size_t i = 0; i < boot_npublish && i < LIND_MAX_PUBLISH; i++) {
		lind__publish__init(&pub[i]);
		pub[i].host_port = boot_publish[i].host_port;
		pub[i].cage_port = boot_publish[i].cage_port;
		pub[i].udp = boot_publish[i].udp;
		pub[i].addr = boot_publish[i].addr;
		pubs[i] = &pub[i];
	}
	a.publish = pubs;
	a.n_publish = boot_npublish;
	if (exe_path && strlen(exe_path) < EXE_BYTES)
		a.exe = (char *)exe_path;
	a.version = LIND_PROTO_VERSION;
	a.argv = argv;
	a.n_argv = argc;
	return lind_send_msg(s, &a.base, fds, nfds);
}

/* The reply, with the channel's memfd and the bell's eventfd in fds. */
static Lind__AttachReply *recv_reply(int s, const char *path, int fds[2],
				     int sent)
{
	static uint8_t buf[8192];
	int nfds = 2;
	long n = lind_recv_msg(s, buf, sizeof buf, fds, &nfds);
	if (n <= 0 && sent < 0)
		die("lind: cannot attach at %s: %s", path, strerror(-sent));
	if (n <= 0)
		die("lind: nacl-relay at %s closed the connection while "
		    "attaching", path);
	Lind__AttachReply *rep = lind__attach_reply__unpack(NULL, (size_t)n,
							     buf);
	if (!rep)
		die("lind: malformed AttachReply from %s", path);
	if (rep->error && *rep->error)
		die("lind: %s", rep->error);
	if (rep->version != LIND_PROTO_VERSION)
		die("lind: protocol version mismatch: cage speaks %u, relay "
		    "speaks %u", LIND_PROTO_VERSION, rep->version);
	if (nfds != 2)
		die("lind: nacl-relay at %s sent no channel", path);
	return rep;
}

/* The bell takes the number just above the socket's, where chan.c rings
 * it and the filter lets a write with the magic through. */
static void place_bell(int s, int bell)
{
	if (bell == LIND_BELL_FD(s))
		return;
	if (dup3(bell, LIND_BELL_FD(s), O_CLOEXEC) < 0)
		die("lind: cannot place the relay's bell: %s", strerror(errno));
	close(bell);
}

/* Launched with stdio closed, the socket would take fd 0, 1 or 2: it would
 * be sent as stdio and the fatal line (host fd 2) would go to the relay. */
static int above_stdio(int s)
{
	if (s > 2)
		return s;
	int d = fcntl(s, F_DUPFD_CLOEXEC, 3);
	if (d < 0)
		die("lind: cannot move the attach socket: %s", strerror(errno));
	close(s);
	return d;
}

/* Map the cage's channel (a memfd the relay sent with its reply). */
static struct lind_chan *map_chan(int fd)
{
	void *m;
	int r = lind_shm_map(fd, sizeof(struct lind_chan), &m);
	close(fd);
	if (r < 0)
		die("lind: cannot map the relay's channel: %s", strerror(-r));
	struct lind_chan *c = m;
	if (c->magic != LIND_CHAN_MAGIC || c->version != LIND_PROTO_VERSION)
		die("lind: channel with bad magic or version %u", c->version);
	return c;
}

/* Host fds other than stdio, the attach socket and the bell above it
 * are of no use to a cage (every fd call goes to the server); closing
 * them narrows what the host-path exceptions can reach. */
static void close_others(int keep)
{
	if (keep > 3)
		syscall(SYS_close_range, 3, keep - 1, 0);
	syscall(SYS_close_range, LIND_BELL_FD(keep) + 1, ~0u, 0);
}

/* The mapping range (hostfd.c) must be fd numbers the host allows; the
 * program's own RLIMIT_NOFILE is the server's, so raising ours shows
 * nowhere.  When the hard limit is lower, mappings are copies. */
static void room_for_map_fds(void)
{
	struct rlimit rl;
	rlim_t need = LIND_MAP_FD + LIND_MAP_FDS;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < need &&
	    rl.rlim_max >= need) {
		rl.rlim_cur = need;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

#ifndef LIND_BOOT
/* A copy of client-libc already attached this process: our SIGSYS
 * handler answers the probe with its state.  Without a filter the kernel
 * answers ENOSYS. */
static struct lind_client *already_attached(void)
{
	long r = lind_host6(LIND_PROBE_NR, 0, 0, 0, 0, 0,
			    (long)LIND_HOST_MAGIC);
	if (r <= 0)
		return NULL;
	struct lind_client *cl = (struct lind_client *)r;
	if (cl->version != LIND_CLIENT_VERSION)
		lind_host_fatal("lind: two incompatible client-libc copies\n");
	return cl;
}
#endif

/* A short EEVDF slice for the cage's threads (proto/slice.h), asked for
 * before the filter (which does not let sched_setattr through): its
 * threads and children inherit it, exec keeps it.  Best effort. */
static void short_slice(void)
{
	struct lind_sched_attr a = {0};
	if (lind_host6(SYS_sched_getattr, 0, (long)&a, sizeof a, 0, 0, 0) == 0 &&
	    lind_slice_attr(&a))
		lind_host6(SYS_sched_setattr, 0, (long)&a, 0, 0, 0, 0);
}

/* Attach this process as a new cage named argv: connect, send, map the
 * channel, close every other host fd, install the filter unless the
 * process is a host tool (lind-fs).  Dies (exit 127, one line) if any of
 * it fails: a cage never runs unattached. */
static void attach_as(char **argv, size_t argc, uint32_t deny, int confine)
{
	char dir[LIND_MAX_PATH], path[LIND_MAX_PATH];
	if (lind_runtime_dir(dir, sizeof dir, NULL) < 0 ||
	    lind_path_join(path, sizeof path, dir, LIND_RELAY_SOCK) < 0)
		die("lind: runtime dir name too long");
	int s = lind_connect_seqpacket(path);
	if (s < 0)
		die("lind: no nacl-relay at %s (set LIND_RUNTIME_DIR or start "
		    "nacl-relay)", path);
	s = above_stdio(s);
	int sent = send_attach(s, argv, argc, deny);
	int fds[2] = {-1, -1};
	Lind__AttachReply *rep = recv_reply(s, path, fds, sent);
	boot_stamp(BOOT_ATTACHED);
	client = (struct lind_client){.version = LIND_CLIENT_VERSION,
				      .sock = s,
				      .cage_id = rep->cage_id,
				      .chan = map_chan(fds[0])};
	place_bell(s, fds[1]);
	lind__attach_reply__free_unpacked(rep, NULL);
	int b = lind_attach_sock_bound(s);
	if (b < 0)
		die("lind: cannot set the attach socket's timeout: %s",
		    strerror(-b));
	close_others(s);
	room_for_map_fds();
	lind_cl = &client;
	boot_stamp(BOOT_CHANNEL);
	if (!confine)
		return;
	short_slice();
	int r = lind_trap_install();
	if (r < 0)
		die("lind: cannot install the seccomp filter: %s",
		    strerror(-r));
	boot_stamp(BOOT_FILTERED);
}

#ifdef LIND_BOOT
void lind_boot_binds(const struct lind_boot_bind *b, size_t n)
{
	binds = b;
	nbinds = n;
}

void lind_boot_cred(const struct lind_boot_cred *cr)
{
	boot_cred = cr;
}

const struct lind_boot_cred *lind_boot_cred_asked(void)
{
	return boot_cred;
}

void lind_boot_net(uint32_t net)
{
	boot_net = net;
}

void lind_boot_publish(const struct lind_publish *p, size_t n)
{
	boot_publish = p;
	boot_npublish = n < LIND_MAX_PUBLISH ? n : LIND_MAX_PUBLISH;
}

void lind_boot_exe(const char *path)
{
	exe_path = path;
}

/* argv past ARGV_BYTES or ARGV_MAX is left out of the cage's record, as
 * below. */
static size_t argv_count(char **argv)
{
	/* the binds and exe share the frame with argv */
	size_t n = 0, bytes = exe_path ? strlen(exe_path) + 4 : 0;
	if (bytes > EXE_BYTES + 4)
		bytes = 0; /* not sent */
	for (size_t i = 0; i < nbinds; i++)
		bytes += strlen(binds[i].virt) + 8;
	while (argv[n] && n < ARGV_MAX) {
		bytes += strlen(argv[n]) + 1;
		if (bytes > ARGV_BYTES)
			break;
		n++;
	}
	return n;
}

/* lind-run's child, before the program exists (boot.c). */
void lind_boot_attach(char **argv, uint32_t deny)
{
	attaching = 1;
	attach_as(argv, argv_count(argv), deny, 1);
	attaching = 0;
}

/* lind-fs: a cage of the user's own, for its virtual side only.  No
 * filter: it is a host program the user runs, making host calls for the
 * host side; the relay and server check its virtual side as any cage's
 * (whoever can connect to relay.sock could always attach so). */
void lind_tool_attach(char **argv)
{
	attaching = 1;
	attach_as(argv, argv_count(argv), 0, 0);
	attaching = 0;
}

/* Never reached: lind-run's copy is attached before any call is made. */
long lind_unattached(long nr, const long a[6])
{
	(void)nr;
	(void)a;
	lind_host_fatal("lind: a call before attaching\n");
}
#else
static void lind_attach(void)
{
	if (lind_cl || attaching)
		return;
	attaching = 1;
	if ((lind_cl = already_attached())) {
		attaching = 0;
		return;
	}
	static char *argv[ARGV_MAX];
	attach_as(argv, read_argv(argv), 0, 1);
	attaching = 0;
}

/* High priority: before other constructors of the program make calls. */
__attribute__((constructor(101))) static void lind_ctor(void)
{
	lind_attach();
}

/* A call before the constructor ran (another library's constructor):
 * attach now.  attach.c's own calls while attaching go to the host: the
 * process is not confined yet, and nothing else runs meanwhile. */
long lind_unattached(long nr, const long a[6])
{
	lind_attach();
	if (lind_cl)
		return lind_syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	return lind_host6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
#endif
