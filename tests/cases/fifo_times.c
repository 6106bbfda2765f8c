/* A FIFO's times as Linux keeps them: a write moves mtime and ctime, a
 * read atime (relatime: only when atime is not after mtime), O_NOATIME
 * reads leave it; times set in the past first, so "moved" is certain */
#include "case.h"
#include <sys/stat.h>
#include <time.h>

static struct stat st;

static void show_moved(const char *what)
{
	REQUIRE(stat("f", &st) == 0);
	printf("%s: atime %s, mtime %s, ctime %s\n", what,
	       st.st_atime > 1000 ? "moved" : "old",
	       st.st_mtime > 1000 ? "moved" : "old",
	       st.st_ctime > 1000 ? "recent" : "old");
}

static void set_times(time_t a, time_t m)
{
	struct timespec ts[2] = {{a, 0}, {m, 0}};
	REQUIRE(utimensat(AT_FDCWD, "f", ts, 0) == 0);
}

int main(void)
{
	enter_scratch();
	SHOW(mkfifo("f", 0644));
	int fd = SHOW(open("f", O_RDWR | O_NONBLOCK));
	set_times(1000, 1000);
	show_moved("set");
	char buf[8];
	SHOW(write(fd, "abc", 3));
	show_moved("after a write");
	set_times(1000, 1000);
	SHOW(read(fd, buf, 2));
	show_moved("after a read");
	time_t later = time(NULL) + 3600; /* after mtime: relatime skips */
	set_times(later, 1000);
	SHOW(read(fd, buf, 1));
	REQUIRE(stat("f", &st) == 0);
	printf("atime kept after a read: %s\n",
	       st.st_atime == later ? "yes" : "no");
	set_times(1000, 1000);
	SHOW(read(fd, buf, 1)); /* empty: EAGAIN moves nothing */
	show_moved("after a read that got nothing");
	SHOW(write(fd, "", 0));
	show_moved("after an empty write");
	close(fd);
	return 0;
}
