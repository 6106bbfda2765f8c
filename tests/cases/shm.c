/* SysV shared memory in one process: shmget's key rules and errors,
 * shmat's addresses and modes, shmctl's IPC_STAT/IPC_SET/IPC_RMID and
 * the attachment count (a cage's segments are the server's:
 * posix-server/shm.c; it maps them itself: client-libc/trap.c) */
#include "case.h"
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>

#define PAGE 4096

static void stat_line(int line, int id)
{
	struct shmid_ds ds;
	if (shmctl(id, IPC_STAT, &ds) < 0) {
		printf("%d: IPC_STAT = -1 %s\n", line, case_errname(errno));
		return;
	}
	printf("%d: segsz %zu nattch %lu mode %04o uid %s cuid %s cpid %s "
	       "lpid %s ctime %s\n",
	       line, ds.shm_segsz, (unsigned long)ds.shm_nattch,
	       (unsigned)ds.shm_perm.mode,
	       ds.shm_perm.uid == getuid() ? "me" : "other",
	       ds.shm_perm.cuid == getuid() ? "me" : "other",
	       ds.shm_cpid == getpid() ? "me" : "other",
	       ds.shm_lpid == getpid() ? "me" : ds.shm_lpid ? "other" : "0",
	       ds.shm_ctime ? "set" : "0");
}
#define STAT(id) stat_line(__LINE__, id)

static void *attach(int line, int id, const void *addr, int flg)
{
	void *p = shmat(id, addr, flg);
	if (p == (void *)-1)
		printf("%d: shmat = -1 %s\n", line, case_errname(errno));
	else
		printf("%d: shmat = %s\n", line,
		       addr && p == addr ? "there" : "ok");
	return p;
}
#define ATTACH(id, addr, flg) attach(__LINE__, id, addr, flg)

int main(void)
{
	/* a key of this process's own: natively the host's IPC namespace
	 * is shared with whatever else runs */
	key_t key = 0x6c000000 | (getpid() & 0xffffff);
	SHOW(shmget(key, 100, 0));
	/* ids are the host's or the server's: only shown as made or not */
	int id = shmget(key, 10000, IPC_CREAT | 0600);
	REQUIRE(id >= 0);
	SHOW(shmget(key, 100, IPC_CREAT | IPC_EXCL | 0600));
	SHOW(shmget(key, 20000, 0));
	printf("same key, same id: %d\n", shmget(key, 100, 0600) == id);
	SHOW(shmget(IPC_PRIVATE, 0, 0600));
	int p1 = shmget(IPC_PRIVATE, PAGE, 0600), p2 = shmget(IPC_PRIVATE, PAGE, 0);
	printf("private segments differ: %d\n", p1 >= 0 && p2 >= 0 && p1 != p2);
	STAT(id);

	char *p = ATTACH(id, NULL, 0);
	REQUIRE(p != (void *)-1);
	strcpy(p, "written through p");
	printf("zero past the data: %d\n", p[9999] == 0 && p[3 * PAGE - 1] == 0);
	char *q = ATTACH(id, NULL, SHM_RDONLY);
	REQUIRE(q != (void *)-1);
	printf("read through q: %s\n", q);
	STAT(id);

	/* addresses: aligned or SHM_RND; a mapping there needs SHM_REMAP */
	ATTACH(id, q + 1, 0);
	ATTACH(id, p, 0);
	ATTACH(id, NULL, SHM_REMAP);
	char *r = ATTACH(id, p, SHM_REMAP);
	STAT(id);
	SHOW(shmdt(r));
	STAT(id);
	r = ATTACH(id, p + 100, SHM_RND);
	printf("kept after detaching: %s\n", r);
	SHOW(shmdt(r + 1));
	SHOW(shmdt(r));
	SHOW(shmdt(r));
	SHOW(shmdt(NULL));

	/* IPC_SET: mode and owners; ctime */
	struct shmid_ds ds;
	REQUIRE(shmctl(id, IPC_STAT, &ds) == 0);
	ds.shm_perm.mode = 0640;
	SHOW(shmctl(id, IPC_SET, &ds));
	STAT(id);
	SHOW(shmctl(id, IPC_SET, NULL));
	SHOW(shmctl(id, IPC_STAT, NULL));

	/* IPC_RMID while attached: the key is gone, the id stays till the
	 * last detach */
	SHOW(shmctl(id, IPC_RMID, NULL));
	STAT(id);
	SHOW(shmget(key, 100, 0));
	char *s = ATTACH(id, NULL, 0);
	printf("still there: %s\n", s);
	SHOW(shmdt(s));
	SHOW(shmdt(q));
	STAT(id);
	SHOW(shmctl(id, IPC_RMID, NULL));

	/* root may use a segment whose mode grants nothing */
	char *z = ATTACH(p2, NULL, 0);
	SHOW(shmdt(z));

	/* bad ids and commands */
	SHOW(shmctl(-1, IPC_STAT, &ds));
	SHOW(shmctl(0x7fffffff, IPC_STAT, &ds));
	SHOW(shmctl(p1, 9999, &ds));
	ATTACH(-1, NULL, 0);
	ATTACH(0x7fffffff, NULL, 0);
	struct shminfo info;
	printf("IPC_INFO: %d shmmin %lu\n",
	       shmctl(0, IPC_INFO, (struct shmid_ds *)&info) >= 0, info.shmmin);
	struct shm_info used;
	printf("SHM_INFO: %d\n",
	       shmctl(0, SHM_INFO, (struct shmid_ds *)&used) >= 0);
	SHOW(shmctl(p1, IPC_RMID, NULL));
	SHOW(shmctl(p2, IPC_RMID, NULL));
	SHOW(shmctl(p1, IPC_STAT, &ds));

	/* MAP_SHARED anonymous memory in one process */
	char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		       MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(m != MAP_FAILED);
	strcpy(m, "anon shared");
	printf("%s\n", m);
	SHOW(munmap(m, PAGE));
	return 0;
}
