#define _GNU_SOURCE /* memfd_create */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <limits.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common.h"
#include "protocol.h"
#include "slice.h"

static const char *log_prog = "lind";

int lind_path_join(char *buf, size_t cap, const char *dir, const char *name)
{
	int n = snprintf(buf, cap, "%s/%s", dir, name);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

static int pick_dir(char *buf, size_t cap, const char *first,
		    const char *env, const char *base_env, const char *suffix,
		    const char *fallback_base, const char *fallback_suffix)
{
	const char *v = first && *first ? first : getenv(env);
	int n;
	if (v && *v)
		n = snprintf(buf, cap, "%s", v);
	else if ((v = getenv(base_env)) && *v)
		n = snprintf(buf, cap, "%s/%s", v, suffix);
	else
		n = snprintf(buf, cap, "%s%s", fallback_base, fallback_suffix);
	return n < 0 || (size_t)n >= cap ? -ENAMETOOLONG : 0;
}

int lind_runtime_dir(char *buf, size_t cap, const char *override)
{
	char fb[64];
	snprintf(fb, sizeof fb, "/tmp/lind-%u", (unsigned)getuid());
	return pick_dir(buf, cap, override, "LIND_RUNTIME_DIR",
			"XDG_RUNTIME_DIR", "lind", fb, "");
}

int lind_store_dir(char *buf, size_t cap, const char *override)
{
	const char *home = getenv("HOME");
	char fb[LIND_MAX_PATH];
	snprintf(fb, sizeof fb, "%s", home && *home ? home : "/tmp");
	return pick_dir(buf, cap, override, "LIND_STORE", "XDG_DATA_HOME",
			"lind/store", fb, "/.local/share/lind/store");
}

int lind_mkdirs(const char *path, unsigned mode)
{
	char tmp[LIND_MAX_PATH];
	size_t n = strlen(path);
	if (n == 0 || n >= sizeof tmp)
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1;; p++) {
		if (*p == '/' || *p == '\0') {
			char c = *p;
			*p = '\0';
			if (mkdir(tmp, mode) < 0 && errno != EEXIST)
				return -errno;
			*p = c;
			if (!c)
				break;
		}
	}
	return 0;
}

void lind_log_init(const char *prog)
{
	const char *slash = strrchr(prog, '/');
	log_prog = slash ? slash + 1 : prog;
}

void lind_log(uint64_t cage_id, const char *fmt, ...)
{
	char line[512];
	int n = cage_id ? snprintf(line, sizeof line, "%s: [cage %llu] ",
				   log_prog, (unsigned long long)cage_id)
			: snprintf(line, sizeof line, "%s: ", log_prog);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = strlen(line);
	line[len++] = '\n';
	(void)!write(2, line, len); /* one write: lines never interleave */
}

/* One datagram with nfds (<= 8) fds attached; 0 or -errno. */
static int send_packed(int sock, const void *buf, size_t len, const int *fds,
		       int nfds, int flags)
{
	struct iovec iov = {(void *)buf, len};
	union {
		char b[CMSG_SPACE(sizeof(int) * LIND_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1};
	if (nfds > 0) {
		if (nfds > LIND_MAX_FDS)
			return -EINVAL;
		memset(&ctl, 0, sizeof ctl);
		mh.msg_control = ctl.b;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)nfds);
		struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)nfds);
	}
	ssize_t r;
	do
		r = sendmsg(sock, &mh, MSG_NOSIGNAL | flags);
	while (r < 0 && errno == EINTR);
	return r < 0 ? -errno : 0;
}

int lind_send_bytes(int sock, const void *buf, size_t len, const int *fds,
		    int nfds)
{
	return send_packed(sock, buf, len, fds, nfds, 0);
}

int lind_send_msg(int sock, const ProtobufCMessage *msg, const int *fds,
		  int nfds)
{
	uint8_t buf[8192];
	size_t len = protobuf_c_message_get_packed_size(msg);
	if (len > sizeof buf)
		return -EMSGSIZE;
	protobuf_c_message_pack(msg, buf);
	return lind_send_bytes(sock, buf, len, fds, nfds);
}

long lind_recv_msg(int sock, void *buf, size_t cap, int *fds, int *nfds)
{
	union {
		char b[CMSG_SPACE(sizeof(int) * LIND_MAX_FDS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = {buf, cap};
	struct msghdr mh = {.msg_iov = &iov,
			    .msg_iovlen = 1,
			    .msg_control = ctl.b,
			    .msg_controllen = sizeof ctl.b};
	int max = nfds ? *nfds : 0, got = 0;
	if (nfds)
		*nfds = 0; /* also on failure: callers close fds[0..*nfds) */
	ssize_t r;
	do
		r = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
	while (r < 0 && errno == EINTR);
	if (r < 0)
		return -errno;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c;
	     c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		for (int i = 0; i < n; i++) {
			int fd;
			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof fd);
			if (got < max)
				fds[got++] = fd;
			else
				close(fd); /* more than asked for: drop */
		}
	}
	if (nfds)
		*nfds = got;
	if (mh.msg_flags & MSG_TRUNC)
		return -EMSGSIZE;
	return r;
}

static int unix_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa->sun_path)
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

int lind_connect_seqpacket(const char *path)
{
	struct sockaddr_un sa;
	int r = unix_addr(&sa, path);
	if (r < 0)
		return r;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int lind_attach_sock_bound(int fd)
{
	struct timeval tv = {0, LIND_ATTACH_RCV_US};
	return setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv) < 0
		       ? -errno
		       : 0;
}

int lind_listen_seqpacket(const char *path, int backlog, unsigned mode,
			  long gid)
{
	char tmp[LIND_MAX_PATH];
	struct sockaddr_un sa;
	int n = snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
	if (n < 0 || (size_t)n >= sizeof tmp || unix_addr(&sa, tmp) < 0)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -errno;
	unlink(tmp);
	if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 ||
	    (gid >= 0 && chown(tmp, (uid_t)-1, (gid_t)gid) < 0) ||
	    chmod(tmp, mode) < 0 || listen(fd, backlog) < 0 ||
	    rename(tmp, path) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		return -e;
	}
	return fd;
}

int lind_shm_create(const char *name, size_t size, int *fd, void **map)
{
	int f = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (f < 0)
		return -errno;
	/* Sealed at its size: a peer that shrinks the file would make our
	 * next access to the mapping a SIGBUS. */
	int r = ftruncate(f, (off_t)size) < 0 ||
			fcntl(f, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
						      F_SEAL_SEAL) < 0
		? -errno
		: lind_shm_map(f, size, map);
	if (r < 0) {
		close(f);
		return r;
	}
	*fd = f;
	return 0;
}

int lind_shm_map(int fd, size_t size, void **map)
{
	struct stat st;
	if (fstat(fd, &st) < 0)
		return -errno;
	if ((size_t)st.st_size < size)
		return -EPROTO;
	/* Only a memfd sealed against shrinking is safe to map from a peer. */
	int seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return -EPROTO;
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (m == MAP_FAILED)
		return -errno;
	*map = m;
	return 0;
}

int lind_write_pidfile(const char *path)
{
	char tmp[LIND_MAX_PATH + 8], line[32];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	int n = snprintf(line, sizeof line, "%d\n", (int)getpid());
	int ok = write(fd, line, (size_t)n) == n;
	close(fd);
	if (!ok || rename(tmp, path) < 0) {
		unlink(tmp);
		return -EIO;
	}
	return 0;
}

uint64_t lind_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t lind_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- limits ------------------------------------------------------------ */

int lind_limit_set(const struct lind_limit *t, size_t n, void *base,
		   const char *spec, char *why, size_t cap)
{
	const char *eq = strchr(spec, '=');
	for (size_t i = 0; eq && i < n; i++) {
		if (strncmp(spec, t[i].name, (size_t)(eq - spec)) != 0 ||
		    t[i].name[eq - spec] != '\0')
			continue;
		char *end;
		errno = 0;
		unsigned long long v = strtoull(eq + 1, &end, 10);
		if (errno || end == eq + 1 || *end || eq[1] == '-' ||
		    v < t[i].min || v > t[i].max) {
			snprintf(why, cap, "--limit %s: want %llu..%llu",
				 t[i].name, (unsigned long long)t[i].min,
				 (unsigned long long)t[i].max);
			return -EINVAL;
		}
		*(uint64_t *)((char *)base + t[i].off) = v;
		return 0;
	}
	snprintf(why, cap, "--limit %s: unknown limit (see --help)", spec);
	return -EINVAL;
}

void lind_limits_usage(FILE *f, const struct lind_limit *t, size_t n,
		       const void *base)
{
	for (size_t i = 0; i < n; i++)
		fprintf(f, "      %-13s %-10llu %s\n", t[i].name,
			(unsigned long long)*(const uint64_t *)((const char *)base +
								t[i].off),
			t[i].what);
}

int lind_raise_nofile(void)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			return -errno;
	}
	return rl.rlim_cur > INT_MAX ? INT_MAX : (int)rl.rlim_cur;
}

/* ---- control messages that may wait for room ---------------------------- */

struct lind_ctlq_msg {
	struct lind_ctlq_msg *next;
	int fds[LIND_CTLQ_FDS];
	int nfds;
	size_t len;
	uint8_t buf[];
};

int lind_ctlq_send(struct lind_ctlq *q, int sock, const ProtobufCMessage *msg,
		   const int *fds, int nfds)
{
	size_t len = protobuf_c_message_get_packed_size(msg);
	if (nfds > LIND_CTLQ_FDS || len > 8192)
		return -EMSGSIZE;
	struct lind_ctlq_msg *m = malloc(sizeof *m + len);
	if (!m)
		return -ENOMEM;
	protobuf_c_message_pack(msg, m->buf);
	m->len = len;
	m->nfds = 0;
	m->next = NULL;
	if (!q->head) {
		int r = send_packed(sock, m->buf, len, fds, nfds, MSG_DONTWAIT);
		if (r != -EAGAIN) {
			free(m);
			return r;
		}
	}
	/* Keep order behind earlier messages; fds are ours until sent. */
	for (int i = 0; i < nfds; i++) {
		m->fds[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 0);
		if (m->fds[i] < 0) {
			int e = -errno;
			while (i--)
				close(m->fds[i]);
			free(m);
			return e;
		}
		m->nfds++;
	}
	*(q->head ? &q->tail->next : &q->head) = m;
	q->tail = m;
	q->count++;
	return 0;
}

int lind_ctlq_flush(struct lind_ctlq *q, int sock)
{
	while (q->head) {
		struct lind_ctlq_msg *m = q->head;
		int r = send_packed(sock, m->buf, m->len, m->fds, m->nfds,
				    MSG_DONTWAIT);
		if (r == -EAGAIN)
			return 0;
		q->head = m->next;
		q->count--;
		for (int i = 0; i < m->nfds; i++)
			close(m->fds[i]);
		free(m);
		if (r < 0)
			return r;
	}
	q->tail = NULL;
	return 0;
}

void lind_ctlq_clear(struct lind_ctlq *q)
{
	while (q->head) {
		struct lind_ctlq_msg *m = q->head;
		q->head = m->next;
		for (int i = 0; i < m->nfds; i++)
			close(m->fds[i]);
		free(m);
	}
	q->tail = NULL;
	q->count = 0;
}

/* ---- fds whose file a user's daemon serves ------------------------------ */

/* The mount id procfs gives for fd (no call reaches the file's own
 * filesystem), or -1. */
static long fd_mount_id(int fd)
{
	char path[64], buf[512];
	snprintf(path, sizeof path, "/proc/self/fdinfo/%d", fd);
	int f = open(path, O_RDONLY | O_CLOEXEC);
	if (f < 0)
		return -1;
	ssize_t n = read(f, buf, sizeof buf - 1);
	close(f);
	buf[n > 0 ? n : 0] = '\0';
	const char *m = strstr(buf, "mnt_id:");
	return m ? strtol(m + 7, NULL, 10) : -1;
}

/* fd's filesystem type as /proc/self/mountinfo names it, into type; 0 or
 * -1 (unknown). */
static int fd_fstype(int fd, char *type, size_t cap)
{
	long id = fd_mount_id(fd);
	if (id < 0)
		return -1;
	FILE *f = fopen("/proc/self/mountinfo", "re");
	if (!f)
		return -1;
	int r = -1;
	char line[4096];
	while (fgets(line, sizeof line, f)) {
		/* "ID PARENT MAJ:MIN ROOT POINT OPTS [TAGS...] - FSTYPE ..." */
		if (strtol(line, NULL, 10) != id)
			continue;
		const char *t = strstr(line, " - ");
		if (t) {
			t += 3;
			snprintf(type, cap, "%.*s", (int)strcspn(t, " \n"), t);
			r = 0;
		}
		break;
	}
	fclose(f);
	return r;
}

bool lind_fd_on_fuse(int fd)
{
	char type[64];
	return fd_fstype(fd, type, sizeof type) == 0 &&
	       strncmp(type, "fuse", 4) == 0;
}

bool lind_fd_bindable(int fd)
{
	/* The kernel's own views: what they show depends on who opens them
	 * (procfs checks the opener, not the mode bits, and names host pids),
	 * or they change the host when written; FUSE may never answer. */
	static const char *const refused[] = {
		"proc", "sysfs", "debugfs", "tracefs", "securityfs", "cgroup",
		"cgroup2", "bpf", "configfs", "pstore", "efivarfs", "devpts",
		"mqueue", "binfmt_misc", "selinuxfs", "fusectl", "hugetlbfs",
		"nsfs", "pidfs", "devtmpfs", "rpc_pipefs", "autofs",
	};
	char type[64];
	if (fd_fstype(fd, type, sizeof type) < 0)
		return false;
	if (strncmp(type, "fuse", 4) == 0)
		return false;
	for (size_t i = 0; i < sizeof refused / sizeof *refused; i++)
		if (strcmp(type, refused[i]) == 0)
			return false;
	return true;
}

bool lind_virt_path_ok(const char *p)
{
	if (p[0] != '/' || !p[1] || strlen(p) >= LIND_MAX_PATH)
		return false;
	while (*p == '/') {
		size_t n = strcspn(++p, "/");
		if (n == 0 || n > 255 || (n == 1 && p[0] == '.') ||
		    (n == 2 && p[0] == '.' && p[1] == '.'))
			return false; /* "//", a trailing '/', ".", "..", too long */
		p += n;
	}
	return true;
}

size_t lind_proc_read(int pid, const char *name, char *buf, size_t cap)
{
	char path[64];
	if (pid <= 0 || cap == 0)
		return 0;
	snprintf(path, sizeof path, "/proc/%d/%s", pid, name);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, buf, cap - 1);
	close(fd);
	n = n < 0 ? 0 : n;
	buf[n] = '\0';
	return (size_t)n;
}

int lind_proc_stat(int pid, unsigned long long f[LIND_STAT_FIELDS])
{
	char buf[1024];
	if (!lind_proc_read(pid, "stat", buf, sizeof buf))
		return 0;
	return lind_proc_stat_parse(buf, f);
}

int lind_proc_stat_parse(char *text, unsigned long long f[LIND_STAT_FIELDS])
{
	char *p = strrchr(text, ')'); /* the name may hold ')' itself */
	if (!p || p[1] != ' ' || !p[2])
		return 0;
	f[3] = (unsigned char)p[2];
	p += 3;
	int i = 4;
	for (char *end; i < LIND_STAT_FIELDS; i++, p = end) {
		f[i] = strtoull(p, &end, 10);
		if (end == p)
			break;
	}
	return i;
}

int lind_short_slice(void)
{
	struct lind_sched_attr a = {0};
	if (syscall(SYS_sched_getattr, 0, &a, sizeof a, 0) < 0)
		return -errno;
	if (!lind_slice_attr(&a))
		return 0;
	return syscall(SYS_sched_setattr, 0, &a, 0) < 0 ? -errno : 0;
}
