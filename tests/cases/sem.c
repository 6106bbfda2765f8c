/* POSIX named semaphores and shm_open: glibc keeps them in /dev/shm, a
 * sticky directory the server makes in the store (posix-server/shm.c);
 * their memory is a MAP_SHARED file mapping (posix-server/sys_mmap.c) */
#include "case.h"
#include <semaphore.h>
#include <sys/mman.h>

int main(void)
{
	struct stat st;
	REQUIRE(stat("/dev/shm", &st) == 0);
	printf("/dev/shm: dir %d mode %04o\n", S_ISDIR(st.st_mode),
	       (unsigned)(st.st_mode & 07777));

	char name[64];
	snprintf(name, sizeof name, "/lind-case-sem-%d", (int)getpid());
	sem_t *s = sem_open(name, O_CREAT | O_EXCL, 0600, 2);
	REQUIRE(s != SEM_FAILED);
	printf("again with O_EXCL: %s\n",
	       sem_open(name, O_CREAT | O_EXCL, 0600, 0) == SEM_FAILED
		       ? case_errname(errno) : "opened");
	sem_t *t = sem_open(name, 0);
	REQUIRE(t != SEM_FAILED);
	SHOW(sem_wait(s));
	int v = -1;
	SHOW(sem_getvalue(t, &v));
	printf("value seen through the other handle: %d\n", v);
	SHOW(sem_trywait(t));
	SHOW(sem_trywait(t));
	SHOW(sem_post(t));
	SHOW(sem_getvalue(s, &v));
	printf("value: %d\n", v);
	SHOW(sem_close(t));
	SHOW(sem_close(s));
	SHOW(sem_unlink(name));
	SHOW(sem_unlink(name));
	printf("gone: %s\n", sem_open(name, 0) == SEM_FAILED
				     ? case_errname(errno) : "opened");

	/* shm_open: a file in /dev/shm, shared by two mappings */
	snprintf(name, sizeof name, "/lind-case-shm-%d", (int)getpid());
	int fd = SHOW(shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600));
	REQUIRE(fd >= 0);
	SHOW(ftruncate(fd, 8192));
	char *a = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char *b = mmap(NULL, 8192, PROT_READ, MAP_SHARED, fd, 0);
	REQUIRE(a != MAP_FAILED && b != MAP_FAILED);
	strcpy(a + 4096, "through a");
	printf("seen through b: %s\n", b + 4096);
	SHOW(munmap(a, 8192));
	SHOW(munmap(b, 8192));
	SHOW(close(fd));
	SHOW(shm_unlink(name));
	SHOW(shm_unlink(name));

	/* link, which sem_open uses: a second name, nlink, the errors */
	enter_scratch();
	put_file("a", "data");
	SHOW(link("a", "b"));
	REQUIRE(stat("b", &st) == 0);
	printf("nlink %lu size %ld\n", (unsigned long)st.st_nlink,
	       (long)st.st_size);
	SHOW(link("a", "b"));
	SHOW(link("none", "c"));
	SHOW(mkdir("d", 0755));
	SHOW(link("d", "e"));
	SHOW(link("a", "none/c"));
	SHOW(linkat(AT_FDCWD, "a", AT_FDCWD, "c", 0x1000000));
	SHOW(linkat(AT_FDCWD, "a", AT_FDCWD, "d/c", AT_SYMLINK_FOLLOW));
	SHOW(unlink("a"));
	REQUIRE(stat("b", &st) == 0);
	printf("nlink %lu\n", (unsigned long)st.st_nlink);
	SHOW(unlink("b"));
	SHOW(unlink("d/c"));
	SHOW(rmdir("d"));

	/* an unnamed process-shared semaphore in MAP_SHARED memory */
	sem_t *u = mmap(NULL, sizeof *u, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(u != MAP_FAILED);
	SHOW(sem_init(u, 1, 1));
	SHOW(sem_wait(u));
	SHOW(sem_trywait(u));
	SHOW(sem_post(u));
	SHOW(sem_destroy(u));
	return 0;
}
