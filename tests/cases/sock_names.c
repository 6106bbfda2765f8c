/* AF_UNIX names: bind to a path (a socket inode: stat, EADDRINUSE, unlink
 * removes the name and not the binding), abstract names, autobind,
 * getsockname/getpeername, listen/connect/accept (blocking across fork,
 * non-blocking EAGAIN, a full backlog, accept4's flags, the accepted
 * address), ECONNREFUSED, EPROTOTYPE, EACCES on a socket without write
 * permission, datagrams to a name with the sender's address, and the
 * errors of each call. */
#include "case.h"
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) +
			   strlen(path) + 1);
}

/* An abstract name: a NUL, then name (no NUL at the end). */
static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof *a);
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 +
			   strlen(name));
}

static void show_name(const char *what, int fd, int peer)
{
	struct sockaddr_un a;
	socklen_t len = sizeof a;
	memset(&a, 'x', sizeof a);
	int r = peer ? getpeername(fd, (struct sockaddr *)&a, &len)
		     : getsockname(fd, (struct sockaddr *)&a, &len);
	if (r < 0) {
		printf("%s: -1 %s\n", what, case_errname(errno));
		return;
	}
	size_t n = len > offsetof(struct sockaddr_un, sun_path)
			   ? len - offsetof(struct sockaddr_un, sun_path)
			   : 0;
	if (n && !a.sun_path[0]) /* abstract: the autobound ones vary */
		printf("%s: len %u family %d abstract%s%.*s\n", what, len,
		       a.sun_family, n == 6 ? " (autobound)" : " ",
		       n == 6 ? 0 : (int)n - 1, a.sun_path + 1);
	else
		printf("%s: len %u family %d path [%.*s]\n", what, len,
		       a.sun_family, (int)n, a.sun_path);
}

static void paths(void)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "s1");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	show_name("unbound", l, 0);
	SHOW(listen(l, 1));
	SHOW(bind(l, (struct sockaddr *)&a, len));
	struct stat st;
	SHOW(stat("s1", &st));
	printf("sock %d mode %o size %ld\n", S_ISSOCK(st.st_mode),
	       st.st_mode & 0777, (long)st.st_size);
	SHOW(open("s1", O_RDONLY));
	show_name("bound", l, 0);
	SHOW(bind(l, (struct sockaddr *)&a, len));
	int x = socket(AF_UNIX, SOCK_STREAM, 0);
	SHOW(bind(x, (struct sockaddr *)&a, len));
	struct sockaddr_un b;
	socklen_t blen = path_addr(&b, "s2");
	SHOW(bind(l, (struct sockaddr *)&b, blen));
	SHOW(access("s2", F_OK));
	/* nobody listens yet */
	SHOW(connect(x, (struct sockaddr *)&a, len));
	SHOW(listen(l, 1));
	SHOW(getsockopt(l, SOL_SOCKET, SO_ACCEPTCONN, &(int){0},
			&(socklen_t){4}));
	int fl = fcntl(l, F_GETFL);
	SHOW(fcntl(l, F_SETFL, fl | O_NONBLOCK));
	SHOW(accept(l, NULL, NULL));
	SHOW(fcntl(l, F_SETFL, fl));
	SHOW(connect(x, (struct sockaddr *)&a, len));
	SHOW(connect(x, (struct sockaddr *)&a, len));
	show_name("client", x, 0);
	show_name("client's peer", x, 1);
	struct sockaddr_un got;
	socklen_t glen = sizeof got;
	int y = SHOW(accept4(l, (struct sockaddr *)&got, &glen,
			     SOCK_CLOEXEC | SOCK_NONBLOCK));
	printf("accepted len %u\n", glen);
	SHOW(fcntl(y, F_GETFD));
	SHOW(fcntl(y, F_GETFL) & O_NONBLOCK);
	show_name("server end", y, 0);
	show_name("server end's peer", y, 1);
	char buf[16] = {0};
	SHOW(write(x, "ping", 4));
	SHOW(read(y, buf, sizeof buf));
	SHOW(accept4(l, NULL, NULL, 0x4000));
	/* the name goes with unlink; the binding does not */
	SHOW(unlink("s1"));
	int z = socket(AF_UNIX, SOCK_STREAM, 0);
	SHOW(connect(z, (struct sockaddr *)&a, len));
	show_name("listener after unlink", l, 0);
	SHOW(bind(z, (struct sockaddr *)&a, len));
	SHOW(close(z));
	SHOW(connect(socket(AF_UNIX, SOCK_STREAM, 0), (struct sockaddr *)&a,
		     len));
	/* a file that is no socket */
	put_file("plain", "x");
	SHOW(connect(socket(AF_UNIX, SOCK_STREAM, 0),
		     (struct sockaddr *)&(struct sockaddr_un){AF_UNIX, "plain"},
		     sizeof(struct sockaddr_un)));
	SHOW(connect(socket(AF_UNIX, SOCK_STREAM, 0),
		     (struct sockaddr *)&(struct sockaddr_un){AF_UNIX, "nope/x"},
		     sizeof(struct sockaddr_un)));
	close(x);
	close(y);
	close(l);
}

static void backlog(void)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "bl");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	REQUIRE(bind(l, (struct sockaddr *)&a, len) == 0);
	SHOW(listen(l, 0));
	int c[4];
	for (int i = 0; i < 4; i++) {
		c[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
		SHOW(connect(c[i], (struct sockaddr *)&a, len));
	}
	int s = SHOW(accept(l, NULL, NULL));
	SHOW(connect(c[3], (struct sockaddr *)&a, len));
	SHOW(write(c[0], "x", 1));
	close(s);
	close(l); /* the queued connection is reset */
	char ch;
	SHOW(read(c[3], &ch, 1));
	SHOW(read(c[3], &ch, 1));
	SHOW(write(c[3], "x", 1));
	SHOW(read(c[1], &ch, 1)); /* never connected */
	for (int i = 0; i < 4; i++)
		close(c[i]);
}

static void abstract(void)
{
	struct sockaddr_un a;
	socklen_t len = abstract_addr(&a, "lind-case-names");
	int l = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	SHOW(bind(l, (struct sockaddr *)&a, len));
	show_name("abstract", l, 0);
	int x = socket(AF_UNIX, SOCK_SEQPACKET, 0);
	SHOW(bind(x, (struct sockaddr *)&a, len));
	SHOW(connect(x, (struct sockaddr *)&a, len));
	SHOW(listen(l, 5));
	SHOW(connect(x, (struct sockaddr *)&a, len - 1)); /* another name */
	int st = socket(AF_UNIX, SOCK_STREAM, 0);
	SHOW(connect(st, (struct sockaddr *)&a, len));
	fflush(stdout);
	pid_t p = fork();
	if (p == 0) { /* a blocking accept, the connect from the parent */
		int y = accept(l, NULL, NULL);
		char buf[16] = "got ";
		ssize_t n = recv(y, buf + 4, 8, 0);
		send(y, buf, n > 0 ? 4 + (size_t)n : 0, 0);
		_exit(0);
	}
	SHOW(connect(x, (struct sockaddr *)&a, len));
	SHOW(send(x, "ping", 4, 0));
	char buf[16] = {0};
	SHOW(recv(x, buf, sizeof buf, 0));
	printf("child said [%s]\n", buf);
	int status;
	SHOW(waitpid(p, &status, 0) == p);
	SHOW(recv(x, buf, sizeof buf, 0));
	/* the address of just the family autobinds */
	int ab = socket(AF_UNIX, SOCK_DGRAM, 0);
	SHOW(bind(ab, (struct sockaddr *)&(sa_family_t){AF_UNIX},
		  sizeof(sa_family_t)));
	show_name("autobound", ab, 0);
	SHOW(bind(ab, (struct sockaddr *)&(sa_family_t){AF_UNIX},
		  sizeof(sa_family_t)));
	close(ab);
	close(st);
	close(x);
	close(l);
}

static void dgram(void)
{
	struct sockaddr_un a, b, from;
	socklen_t alen = path_addr(&a, "d1"), blen = abstract_addr(&b, "lind-d2");
	int s = socket(AF_UNIX, SOCK_DGRAM, 0), t = socket(AF_UNIX, SOCK_DGRAM, 0);
	SHOW(sendto(t, "x", 1, 0, (struct sockaddr *)&a, alen));
	SHOW(bind(s, (struct sockaddr *)&a, alen));
	SHOW(sendto(t, "anon", 4, 0, (struct sockaddr *)&a, alen));
	SHOW(bind(t, (struct sockaddr *)&b, blen));
	SHOW(sendto(t, "named", 5, 0, (struct sockaddr *)&a, alen));
	char buf[16] = {0};
	socklen_t flen = sizeof from;
	SHOW(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen));
	printf("from len %u\n", flen);
	flen = sizeof from;
	SHOW(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen));
	printf("from len %u [%.*s]\n", flen, (int)flen - 3, from.sun_path + 1);
	flen = 4; /* room for less than the name: cut, the length whole */
	SHOW(sendto(t, "again", 5, 0, (struct sockaddr *)&a, alen));
	SHOW(recvfrom(s, buf, sizeof buf, 0, (struct sockaddr *)&from, &flen));
	printf("from len %u\n", flen);
	/* connected to t: only t may send to it */
	SHOW(connect(s, (struct sockaddr *)&b, blen));
	show_name("dgram peer", s, 1);
	int u = socket(AF_UNIX, SOCK_DGRAM, 0);
	SHOW(sendto(u, "x", 1, 0, (struct sockaddr *)&a, alen));
	SHOW(sendto(t, "ok", 2, 0, (struct sockaddr *)&a, alen));
	SHOW(recv(s, buf, sizeof buf, 0));
	SHOW(connect(s, (struct sockaddr *)&(sa_family_t){AF_UNSPEC},
		     sizeof(sa_family_t)));
	SHOW(getpeername(s, (struct sockaddr *)&from, &flen));
	SHOW(sendto(u, "y", 1, 0, (struct sockaddr *)&a, alen));
	/* a stream socket's name refuses datagrams */
	int st = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un c;
	socklen_t clen = path_addr(&c, "st");
	SHOW(bind(st, (struct sockaddr *)&c, clen));
	SHOW(sendto(u, "z", 1, 0, (struct sockaddr *)&c, clen));
	SHOW(connect(u, (struct sockaddr *)&c, clen));
	close(st);
	close(u);
	close(t);
	close(s);
}

static void bad_addresses(void)
{
	int s = socket(AF_UNIX, SOCK_STREAM, 0);
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "bad");
	SHOW(bind(s, (struct sockaddr *)&a, 1));
	SHOW(bind(s, (struct sockaddr *)&a, sizeof a + 1));
	a.sun_family = AF_INET;
	SHOW(bind(s, (struct sockaddr *)&a, len));
	SHOW(connect(s, (struct sockaddr *)&a, len));
	a.sun_family = AF_UNIX;
	SHOW(bind(s, (struct sockaddr *)&a, 200));
	SHOW(bind(s, NULL, len));
	SHOW(mkdir("sub", 0755));
	len = path_addr(&a, "sub/in");
	SHOW(bind(s, (struct sockaddr *)&a, len));
	SHOW(unlink("sub/in"));
	int t = socket(AF_UNIX, SOCK_STREAM, 0);
	len = path_addr(&a, "missing/in");
	SHOW(bind(t, (struct sockaddr *)&a, len));
	close(t);
	close(s);
}

/* Without write permission on its inode, a socket refuses connect. */
static void permission(void)
{
	if (geteuid() == 0) { /* root passes any permission check */
		puts("skipped as root");
		return;
	}
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, "perm");
	int l = socket(AF_UNIX, SOCK_STREAM, 0);
	REQUIRE(bind(l, (struct sockaddr *)&a, len) == 0);
	SHOW(listen(l, 1));
	SHOW(chmod("perm", 0555));
	int x = socket(AF_UNIX, SOCK_STREAM, 0);
	SHOW(connect(x, (struct sockaddr *)&a, len));
	SHOW(chmod("perm", 0222));
	SHOW(connect(x, (struct sockaddr *)&a, len));
	close(x);
	close(l);
}

int main(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	enter_scratch();
	umask(022);
	paths();
	backlog();
	abstract();
	dgram();
	bad_addresses();
	permission();
	return 0;
}
