/* several threads of one cage inside calls at the same time */
#include "case.h"
#include <pthread.h>

#define THREADS 4
#define ROUNDS 200

static void *worker(void *arg)
{
	long id = (long)arg;
	char name[32], line[64];
	snprintf(name, sizeof name, "t%ld", id);
	int fd = open(name, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		return (void *)1;
	for (int i = 0; i < ROUNDS; i++) {
		int n = snprintf(line, sizeof line, "%ld:%d\n", id, i);
		if (write(fd, line, (size_t)n) != n)
			return (void *)2;
	}
	return close(fd) == 0 ? NULL : (void *)3;
}

int main(void)
{
	pthread_t t[THREADS];
	enter_scratch();
	for (long i = 0; i < THREADS; i++)
		REQUIRE(pthread_create(&t[i], NULL, worker, (void *)i) == 0);
	for (int i = 0; i < THREADS; i++) {
		void *r;
		REQUIRE(pthread_join(t[i], &r) == 0);
		printf("thread %d: %ld\n", i, (long)r);
	}
	for (int i = 0; i < THREADS; i++) {
		char name[32];
		struct stat st;
		snprintf(name, sizeof name, "t%d", i);
		SHOW(stat(name, &st));
		printf("%s size %lld\n", name, (long long)st.st_size);
		SHOW(unlink(name));
	}
	return 0;
}
