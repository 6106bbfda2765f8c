/* A cage for policy.sh: what it tries, and each errno, one line per try.
 *   policy_cage cat PATH        print a file (reads stay under --deny write)
 *   policy_cage change DIR      every way to change DIR's tree it knows
 *   policy_cage net             socket, connect, raw socket syscall
 *   policy_cage unserved        a call lind does not serve: ioprio_get
 *   policy_cage refusal         tells the trace its handler refused kill
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

/* client-libc/syscall.c (the SIGSYS handler's report; no public header);
 * weak: the native build of this file has no client-libc */
void lind_report_refusal(long nr, long err, const long a[6])
	__attribute__((weak));

static void say(const char *what, long r)
{
	printf("%s %s\n", what, r < 0 ? strerrorname_np(errno) : "ok");
}

static char *in(const char *dir, const char *name)
{
	static char p[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

static int cmd_cat(const char *path)
{
	char buf[256];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		say("open", -1);
		return 1;
	}
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	fprintf(stderr, "stderr still writable\n");
	return 0;
}

static int cmd_change(const char *dir)
{
	say("mkdir", mkdir(in(dir, "newdir"), 0755));
	say("open-creat", open(in(dir, "newfile"), O_WRONLY | O_CREAT, 0644));
	say("openat-creat", openat(AT_FDCWD, in(dir, "newfile2"),
				   O_RDONLY | O_CREAT, 0644));
	say("open-wronly", open(in(dir, "data"), O_WRONLY));
	say("open-rdwr", open(in(dir, "data"), O_RDWR));
	say("open-append", open(in(dir, "data"), O_RDONLY | O_APPEND));
	say("open-trunc", open(in(dir, "data"), O_RDONLY | O_TRUNC));
	say("creat", creat(in(dir, "newfile3"), 0644));
	say("unlink", unlink(in(dir, "data")));
	say("rmdir", rmdir(in(dir, "sub")));
	say("rename", rename(in(dir, "data"), in(dir, "moved")));
	say("open-rdonly", open(in(dir, "data"), O_RDONLY));
	return 0;
}

static int cmd_net(void)
{
	say("socket", socket(AF_INET, SOCK_STREAM, 0));
	struct sockaddr_in sa = {.sin_family = AF_INET,
				 .sin_port = htons(9),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	say("connect", connect(3, (struct sockaddr *)&sa, sizeof sa));
	say("raw-socket", syscall(SYS_socket, AF_INET, SOCK_DGRAM, 0));
	return 0;
}

int main(int argc, char **argv)
{
	const char *c = argc > 1 ? argv[1] : "";
	if (!strcmp(c, "cat") && argc == 3)
		return cmd_cat(argv[2]);
	if (!strcmp(c, "change") && argc == 3)
		return cmd_change(argv[2]);
	if (!strcmp(c, "net"))
		return cmd_net();
	if (!strcmp(c, "unserved")) {
		say("ioprio_get", syscall(SYS_ioprio_get, 1, 0));
		return 0;
	}
	if (!strcmp(c, "refusal")) {
		const long a[6] = {1, 9, 0, 0, 0, 0};
		if (!lind_report_refusal)
			return 1;
		lind_report_refusal(SYS_kill, ESRCH, a);
		puts("reported");
		return 0;
	}
	fprintf(stderr, "usage: policy_cage cat|change|net|unserved|refusal\n");
	return 2;
}
