/* Memory shared across fork: MAP_SHARED|MAP_ANONYMOUS, a process-shared
 * mutex and semaphore in it, and a SysV segment the child inherits
 * attached (the server counts the child's attachment: shm_cage_fork) */
#include "case.h"
#include <pthread.h>
#include <semaphore.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>

struct shared {
	pthread_mutex_t lock;
	sem_t ready, done;
	long counter;
	char text[64];
};

static long nattch(int id)
{
	struct shmid_ds ds;
	return shmctl(id, IPC_STAT, &ds) < 0 ? -1 : (long)ds.shm_nattch;
}

static void child_work(struct shared *s, char *seg, int id)
{
	printf("child: nattch %ld\n", nattch(id));
	fflush(stdout);
	for (int i = 0; i < 10000; i++) {
		pthread_mutex_lock(&s->lock);
		s->counter++;
		pthread_mutex_unlock(&s->lock);
	}
	strcpy(s->text, "from the child");
	strcpy(seg, "child wrote the segment");
	sem_post(&s->ready);
	sem_wait(&s->done);
	shmdt(seg);
	_exit(0);
}

int main(void)
{
	struct shared *s = mmap(NULL, sizeof *s, PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	REQUIRE(s != MAP_FAILED);
	pthread_mutexattr_t ma;
	pthread_mutexattr_init(&ma);
	pthread_mutexattr_setpshared(&ma, PTHREAD_PROCESS_SHARED);
	SHOW(pthread_mutex_init(&s->lock, &ma));
	SHOW(sem_init(&s->ready, 1, 0));
	SHOW(sem_init(&s->done, 1, 0));
	int id = shmget(IPC_PRIVATE, 4096, 0600);
	REQUIRE(id >= 0);
	char *seg = shmat(id, NULL, 0);
	REQUIRE(seg != (void *)-1);
	printf("parent: nattch %ld\n", nattch(id));
	fflush(stdout);
	pid_t pid = fork();
	REQUIRE(pid >= 0);
	if (pid == 0)
		child_work(s, seg, id);
	for (int i = 0; i < 10000; i++) {
		pthread_mutex_lock(&s->lock);
		s->counter++;
		pthread_mutex_unlock(&s->lock);
	}
	SHOW(sem_wait(&s->ready));
	printf("counter %ld, text: %s, segment: %s\n", s->counter, s->text,
	       seg);
	printf("both attached: nattch %ld\n", nattch(id));
	SHOW(sem_post(&s->done));
	int st;
	SHOW(waitpid(pid, &st, 0) == pid);
	printf("child exited %d; nattch %ld\n", WEXITSTATUS(st), nattch(id));
	SHOW(shmctl(id, IPC_RMID, NULL));
	SHOW(shmdt(seg));
	printf("gone: %ld\n", nattch(id));
	return 0;
}
