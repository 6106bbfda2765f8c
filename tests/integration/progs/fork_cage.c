/* The hostile side of fork.sh: a cage that drives fork's protocol by hand
 * (it is native code: the magic and the attach socket are no secret).
 *   reuse       a child attaches with its token; a second child tries the
 *               same token on a fresh connection: refused
 *   foreign     a child tries a made-up token: refused
 *   garbage     junk on the attach socket: the relay kills the cage
 *   unattached  a host child that never attaches (it exits at once, as one
 *               killed before attaching): the embryo ends as killed
 *   bomb DIR    fork until EAGAIN (--limit procs), children wait for
 *               DIR/stop; prints how it ended, then reaps them all
 * Prints one line per outcome. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "lind.h"
#include "raw_syscall.h"

#define MAGIC 0x4c494e44484f5354L
#define SOCK 3 /* the attach socket: the first fd above stdio */
#define LIND_FORK 0x4c4e05 /* LIND_NR(5) */

static size_t varint(uint8_t *p, uint64_t v)
{
	size_t n = 0;
	do {
		p[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
	return n;
}

/* Attach{version 4, fork_token} (a child attaching), or with conn set
 * Attach{version 4, fork_conn, fork_token} (a parent's request);
 * version is LIND_PROTO_VERSION */
static long send_attach_as(int fd, uint64_t token, int conn)
{
	uint8_t b[32] = {0x08, 0x04};
	size_t n = 2;
	if (token) {
		b[n++] = 0x38; /* field 7, varint */
		n += varint(b + n, token);
	}
	if (conn) { /* fork_conn, fork_slot 0 (the answer's name) */
		b[n++] = 0x40; /* field 8 */
		b[n++] = 0x01;
		b[n++] = 0x48; /* field 9 */
		b[n++] = 0x00;
	}
	return raw6(SYS_sendto, fd, (long)b, (long)n, MSG_NOSIGNAL, 0, MAGIC);
}

static long send_attach(int fd, uint64_t token)
{
	return send_attach_as(fd, token, !token);
}

/* The AttachReply's fd, or -1 and the reply's error in why. */
static int recv_reply(int fd, char *why, size_t cap)
{
	uint8_t buf[512];
	union {
		char b[CMSG_SPACE(sizeof(int))];
		struct cmsghdr a;
	} ctl;
	struct iovec iov = {buf, sizeof buf};
	struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1,
			    .msg_control = ctl.b, .msg_controllen = sizeof ctl.b};
	long r; /* blocking, the form the filter passes; the relay bounds
		 * each wait with the socket's SO_RCVTIMEO */
	while ((r = raw6(SYS_recvmsg, fd, (long)&mh, MSG_CMSG_CLOEXEC, 0, 0,
			 MAGIC)) == -EAGAIN || r == -EINTR)
		;
	why[0] = '\0';
	struct cmsghdr *c = r > 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (c && c->cmsg_type == SCM_RIGHTS) {
		int got;
		memcpy(&got, CMSG_DATA(c), sizeof got);
		return got;
	}
	for (long i = 0; i + 2 < r; i++) /* field 4: the error string */
		if (buf[i] == 0x22 && buf[i + 1] < 0x80 && i + 2 + buf[i + 1] <= r) {
			snprintf(why, cap, "%.*s", buf[i + 1], buf + i + 2);
			break;
		}
	return -1;
}

static long lind_fork(uint64_t *token)
{
	return lind_syscall(LIND_FORK, (long)token, 0, 0, 0, 0, 0);
}

static long host_fork(void)
{
	return raw6(SYS_clone, SIGCHLD, 0, 0, 0, 0, MAGIC);
}

/* A host child that attaches over conn with token and reports by its
 * exit status: 0 attached, 1 refused. */
static int child_try(int conn, uint64_t token)
{
	long pid = host_fork();
	if (pid == 0) {
		char why[200];
		/* the filter's exceptions name the attach socket's number */
		raw6(SYS_dup3, conn, SOCK, O_CLOEXEC, 0, 0, MAGIC);
		send_attach(SOCK, token);
		int fd = recv_reply(SOCK, why, sizeof why);
		if (fd < 0) {
			char line[260];
			int n = snprintf(line, sizeof line, "refused: %s\n", why);
			raw6(SYS_write, 2, (long)line, n, 0, 0, MAGIC);
		}
		raw6(SYS_exit_group, fd >= 0 ? 0 : 1, 0, 0, 0, 0, MAGIC);
	}
	return (int)pid;
}

/* The host child's exit status (waitid with the magic: the host's own
 * children, not cages). */
static int host_wait(long pid)
{
	siginfo_t si;
	memset(&si, 0, sizeof si);
	raw6(SYS_waitid, P_PID, pid, (long)&si, WEXITED, 0, MAGIC);
	return si.si_status;
}

static int get_conn(void)
{
	char why[200];
	send_attach(SOCK, 0);
	return recv_reply(SOCK, why, sizeof why);
}

static int reuse(void)
{
	uint64_t token = 0;
	long id = lind_fork(&token);
	int c1 = get_conn(), c2 = get_conn(), st;
	if (id < 0 || c1 < 0 || c2 < 0) {
		printf("setup failed\n");
		return 1;
	}
	st = host_wait(child_try(c1, token));
	printf("first use: %s\n", st == 0 ? "attached" : "refused");
	st = host_wait(child_try(c2, token));
	printf("second use: %s\n", st == 0 ? "attached" : "refused");
	return 0;
}

static int foreign(void)
{
	int c = get_conn();
	int st = host_wait(child_try(c, 0x1234567890abcdefull));
	printf("made-up token: %s\n", st == 0 ? "attached" : "refused");
	return 0;
}

/* Not a fork request on the attach socket: the relay kills the sender. */
static int garbage(void)
{
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0x07};
	raw6(SYS_sendto, SOCK, (long)junk, sizeof junk, MSG_NOSIGNAL, 0,
	     MAGIC);
	for (int i = 0; i < 5000; i++) /* ~5 s: killed long before */
		usleep(1000);
	printf("garbage: still alive\n");
	return 0;
}

static int unattached(void)
{
	uint64_t token = 0;
	char why[200];
	long id = lind_fork(&token);
	send_attach_as(SOCK, token, 1); /* a connection, as fork.c asks */
	int conn = recv_reply(SOCK, why, sizeof why);
	long p = host_fork();
	if (p == 0) /* dies before attaching: its connection closes */
		raw6(SYS_exit_group, 0, 0, 0, 0, 0, MAGIC);
	raw6(SYS_close, conn, 0, 0, 0, 0, MAGIC);
	int st = 0;
	long r = waitpid((pid_t)id, &st, 0); /* the server's wait */
	printf("embryo %s: %s %d\n", r == id ? "collected" : "lost",
	       WIFSIGNALED(st) ? "killed by signal" : "exited",
	       WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
	return 0;
}

static int bomb(const char *dir)
{
	char stop[512];
	snprintf(stop, sizeof stop, "%s/stop", dir);
	int made = 0;
	for (;;) {
		fflush(stdout);
		pid_t p = fork();
		if (p == 0) {
			while (access(stop, F_OK) != 0)
				usleep(20000);
			_exit(0);
		}
		if (p < 0) {
			printf("fork stopped by %s after some forks: %s\n",
			       strerrorname_np(errno), made > 0 ? "yes" : "no");
			break;
		}
		made++;
	}
	fflush(stdout);
	FILE *f = fopen(stop, "w");
	if (f)
		fclose(f);
	int reaped = 0;
	while (wait(NULL) > 0)
		reaped++;
	printf("reaped all: %s\n", reaped == made ? "yes" : "no");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "reuse"))
		return reuse();
	if (argc > 1 && !strcmp(argv[1], "foreign"))
		return foreign();
	if (argc > 1 && !strcmp(argv[1], "garbage"))
		return garbage();
	if (argc > 1 && !strcmp(argv[1], "unattached"))
		return unattached();
	if (argc > 2 && !strcmp(argv[1], "bomb"))
		return bomb(argv[2]);
	fprintf(stderr, "usage: fork_cage reuse|foreign|unattached|bomb DIR\n");
	return 2;
}
