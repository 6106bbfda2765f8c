/* A cage that gets a host fd from the server (lind_mapfd, as its mmap of a
 * file does) and tries to use it past what its virtual fd allows
 * (tests/integration/mapfd.sh).  argv[1]: a file it may only read. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "raw_syscall.h"

#define HOST_MAGIC 0x4c494e44484f5354l /* client-libc/client.h */
#define MAPFD_NR 0x4c4e04 /* LIND_NR(4), proto/syscall_table.def */
#define MAP_FD 1024                    /* proto/protocol.h */

static void show(const char *what, long r)
{
	if (r < 0 && r > -4096)
		printf("%s: %s\n", what, strerrorname_np((int)-r));
	else
		printf("%s: ok\n", what);
}

int main(int argc, char **argv)
{
	if (argc != 2)
		return 2;
	int fd = open(argv[1], O_RDONLY);
	if (fd < 0)
		return 3;
	/* a shared writable mapping is refused before any fd is given */
	show("lind_mapfd for MAP_SHARED|PROT_WRITE",
	     raw6(MAPFD_NR, fd, PROT_READ | PROT_WRITE, MAP_SHARED, 0, 0, 0));
	long h = raw6(MAPFD_NR, fd, PROT_READ, MAP_PRIVATE, 0, 0, 0);
	show("lind_mapfd for reading", h);
	if (h < 0)
		return 4;
	show("dup3 onto the mapping range, with the magic",
	     raw6(SYS_dup3, h, MAP_FD, O_CLOEXEC, 0, 0, HOST_MAGIC));
	show("mmap of it MAP_SHARED|PROT_WRITE",
	     raw6(SYS_mmap, 0, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, MAP_FD,
		  0));
	long m = raw6(SYS_mmap, 0, 4096, PROT_READ, MAP_SHARED, MAP_FD, 0);
	show("mmap of it MAP_SHARED|PROT_READ", m);
	if (m > 0)
		show("mprotect that to PROT_WRITE",
		     raw6(SYS_mprotect, m, 4096, PROT_READ | PROT_WRITE, 0, 0, 0));
	/* every other use of the number is a call on a virtual fd */
	show("pwrite64 on the host fd's number",
	     raw6(SYS_pwrite64, MAP_FD, (long)"x", 1, 0, 0, 0));
	show("ftruncate on it", raw6(SYS_ftruncate, MAP_FD, 0, 0, 0, 0, 0));
	show("fchmod on it", raw6(SYS_fchmod, MAP_FD, 0777, 0, 0, 0, 0));
	show("dup3 elsewhere, with the magic",
	     raw6(SYS_dup3, h, 900, 0, 0, 0, HOST_MAGIC)); /* no exception's */
	show("mmap of a number below the range",
	     raw6(SYS_mmap, 0, 4096, PROT_READ, MAP_PRIVATE, h, 0));
	return 0;
}
