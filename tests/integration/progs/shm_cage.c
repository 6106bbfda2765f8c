/* shm.sh's cage: one SysV shm action per run, by key (argv[2]), each
 * printing its result or its errno's name. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "raw_syscall.h"

#define SHMAT_NR 0x4c4e07 /* LIND_NR(7), lind_shmat: proto/syscall_table.def */
#define SHMAT_DONE_NR 0x4c4e08 /* LIND_NR(8), lind_shmat_done */

/* What a hostile cage tries with the server's halves of shmat: done for
 * an attachment it was never given, shmdt where nothing is, and fds
 * asked for without end (each an attachment until the cage's end). */
static int hostile(int id)
{
	long r = raw6(SHMAT_DONE_NR, id, 0x12345000, 0, 0, 0, 0);
	printf("done without shmat: %s\n", r < 0 ? strerrorname_np((int)-r) : "ok");
	r = raw6(SYS_shmdt, 0x12345000, 0, 0, 0, 0, 0);
	printf("shmdt where nothing is: %s\n", r < 0 ? strerrorname_np((int)-r) : "ok");
	uint64_t size;
	int n = 0;
	while ((r = raw6(SHMAT_NR, id, 0, (long)&size, 0, 0, 0)) >= 0 &&
	       n < 100000) {
		close((int)r);
		n++;
	}
	printf("fds asked for: %d, then %s\n", n,
	       r < 0 ? strerrorname_np((int)-r) : "more");
	fflush(stdout);
	return 0;
}

static int fail(void)
{
	printf("%s\n", strerrorname_np(errno));
	return 1;
}

static int seg(const char *key)
{
	return shmget((key_t)strtol(key, NULL, 0), 0, 0);
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	const char *cmd = argv[1];
	int id = strcmp(cmd, "create") ? seg(argv[2])
		 : shmget((key_t)strtol(argv[2], NULL, 0), 65536,
			  IPC_CREAT | (int)strtol(argv[3], NULL, 8));
	if (id < 0)
		return fail();
	if (!strcmp(cmd, "create")) {
		printf("created\n");
	} else if (!strcmp(cmd, "write") || !strcmp(cmd, "hold")) {
		char *p = shmat(id, NULL, 0);
		if (p == (void *)-1)
			return fail();
		if (argc > 3)
			strcpy(p, argv[3]);
		printf("attached\n");
		fflush(stdout);
		if (!strcmp(cmd, "hold"))
			for (;;)
				pause();
		if (shmdt(p) < 0)
			return fail();
	} else if (!strcmp(cmd, "read")) {
		char *p = shmat(id, NULL, SHM_RDONLY);
		if (p == (void *)-1)
			return fail();
		printf("%s\n", p);
		/* the mapping is the fd's: read-only stays read-only */
		if (mprotect(p, 4096, PROT_READ | PROT_WRITE) == 0)
			printf("mprotect to PROT_WRITE: allowed\n");
		shmdt(p);
	} else if (!strcmp(cmd, "hostile")) {
		return hostile(id);
	} else if (!strcmp(cmd, "nattch")) {
		struct shmid_ds ds;
		if (shmctl(id, IPC_STAT, &ds) < 0)
			return fail();
		printf("%lu\n", (unsigned long)ds.shm_nattch);
	} else if (!strcmp(cmd, "rmid")) {
		if (shmctl(id, IPC_RMID, NULL) < 0)
			return fail();
		printf("removed\n");
	} else if (!strcmp(cmd, "chmod")) {
		struct shmid_ds ds = {0};
		ds.shm_perm.mode = 0666;
		if (shmctl(id, IPC_SET, &ds) < 0)
			return fail();
		printf("changed\n");
	} else {
		return 2;
	}
	return 0;
}
