/* F_OFD_SETLKW waits until another description's lock goes (here a
 * thread's), then holds the range itself */
#include "case.h"
#include <pthread.h>

static int a, b, unlocked = -2;

static int lk(int fd, int cmd, short type)
{
	struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_len = 10};
	return fcntl(fd, cmd, &fl);
}

static void *holder(void *arg)
{
	(void)arg;
	usleep(100000); /* most likely after main waits; either order works */
	unlocked = lk(a, F_OFD_SETLK, F_UNLCK); /* printed by main: in order */
	return NULL;
}

int main(void)
{
	pthread_t t;
	enter_scratch();
	put_file("f", "0123456789");
	a = SHOW(open("f", O_RDWR));
	b = SHOW(open("f", O_RDWR));
	SHOW(lk(a, F_OFD_SETLK, F_WRLCK));
	SHOW(lk(b, F_OFD_SETLK, F_WRLCK));
	REQUIRE(pthread_create(&t, NULL, holder, NULL) == 0);
	SHOW(lk(b, F_OFD_SETLKW, F_WRLCK)); /* waits for the unlock */
	REQUIRE(pthread_join(t, NULL) == 0);
	printf("the thread's unlock: %d\n", unlocked);
	SHOW(lk(a, F_OFD_SETLK, F_RDLCK)); /* b holds it now */
	SHOW(close(b));
	SHOW(lk(a, F_OFD_SETLKW, F_RDLCK)); /* free again: at once */
	SHOW(close(a));
	SHOW(unlink("f"));
	return 0;
}
