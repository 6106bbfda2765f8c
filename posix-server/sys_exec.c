/* lind_exec: a cage replaced its image (lind-run's userspace exec,
 * client-libc/exec.c).  Only what execve changes in the kernel's process
 * state is the server's: close-on-exec fds, the argv and exe /proc shows. */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "procfs.h"
#include "protocol.h"
#include "shm.h"
#include "sys.h"

/* argv as sent: NUL-separated, cut after its last whole string (after
 * the path the cage gave execve, which only the trace shows). */
static void set_cmdline(struct cage *c, const char *p, size_t len)
{
	while (len && p[len - 1])
		len--;
	char *copy = len ? malloc(len) : NULL;
	if (len && !copy) {
		lind_log(c->id, "exec: no memory for the new argv; /proc keeps "
				"the old one");
		return;
	}
	if (len)
		memcpy(copy, p, len);
	free(c->cmdline);
	c->cmdline = copy;
	c->cmdline_len = len;
}

/* The new image's file, by the fd it was read through. */
static void set_exe(struct cage *c, struct ofd *o)
{
	char path[LIND_MAX_PATH];
	long n = procfs_fd_path(srv.vfs, o, path, sizeof path);
	free(c->exe);
	c->exe = n > 0 ? strndup(path, (size_t)n) : NULL;
}

long srv_lind_exec(struct call *c)
{
	struct fdtable *t = c->cage->fds;
	const char *p = c->in[0].ptr;
	size_t n = c->in[0].len;
	const char *argv = p ? memchr(p, 0, n) : NULL;
	if (!argv)
		return -EINVAL; /* no path first: not client-libc's frame */
	argv++;
	struct ofd *exe = fd_get(t, c->a[2]);
	if (!exe)
		return -EBADF;
	set_exe(c->cage, exe);
	for (int fd = 0; fd < FD_MAX; fd++)
		if (t->slot[fd] && t->cloexec[fd])
			fd_close(srv.vfs, t, fd);
	set_cmdline(c->cage, argv, n - (size_t)(argv - p));
	shm_cage_gone(c->cage->id); /* the loader unmapped the old image's */
	/* execve: caught signals go back to SIG_DFL, every sa_flags to 0;
	 * ignored ones stay ignored (client-libc/exec.c does it on the host) */
	c->cage->sig_caught = 0;
	c->cage->chld_flags = 0;
	cred_exec(&c->cage->cred);
	srv_cage_execed(c->cage);
	return 0;
}
