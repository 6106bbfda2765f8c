/* mmap of files: private and shared mappings see the file and each other,
 * shared stores reach the file, and the access rules mmap has (a cage
 * maps the host fd the server gives it: posix-server/sys_mmap.c) */
#include "case.h"
#include <sys/mman.h>

#define PAGE 4096

static void show_map(int line, const char *what, void *p)
{
	if (p == MAP_FAILED)
		printf("%d: %s = MAP_FAILED %s\n", line, what,
		       case_errname(errno));
	else
		printf("%d: %s = ok\n", line, what);
}
#define MAP(expr) ({ void *m_ = (expr); show_map(__LINE__, #expr, m_); m_; })

static void cat(const char *p, size_t n)
{
	char buf[64] = {0};
	int fd = open(p, O_RDONLY);
	REQUIRE(fd >= 0);
	REQUIRE(pread(fd, buf, n < sizeof buf ? n : sizeof buf - 1, 0) >= 0);
	close(fd);
	printf("%s: %s\n", p, buf);
}

int main(void)
{
	enter_scratch();
	/* two pages: "page0..." then "page1..." */
	int fd = SHOW(open("f", O_RDWR | O_CREAT, 0644));
	char page[PAGE];
	memset(page, '.', sizeof page);
	memcpy(page, "page0", 5);
	REQUIRE(write(fd, page, PAGE) == PAGE);
	memcpy(page, "page1", 5);
	REQUIRE(write(fd, page, PAGE) == PAGE);

	char *r = MAP(mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE, fd, 0));
	printf("private read: %.5s %.5s\n", r, r + PAGE);
	char *o = MAP(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, PAGE));
	printf("at an offset: %.5s\n", o);
	char *w = MAP(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0));
	memcpy(w, "COPY!", 5);
	printf("private store stays private: %.5s\n", w);
	cat("f", 5);

	char *s = MAP(mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
	memcpy(s + PAGE, "SHARE", 5);
	SHOW(msync(s, 2 * PAGE, MS_SYNC));
	char buf[6] = {0};
	REQUIRE(pread(fd, buf, 5, PAGE) == 5);
	printf("a shared store is in the file: %s\n", buf);
	REQUIRE(pwrite(fd, "WRITE", 5, 0) == 5);
	printf("a write is seen by the shared mapping: %.5s\n", s);
	printf("... and by the earlier private one: %.5s\n", r);
	SHOW(munmap(s, 2 * PAGE));
	SHOW(munmap(r, 2 * PAGE));
	SHOW(munmap(o, PAGE));
	SHOW(munmap(w, PAGE));

	/* the access rules */
	int ro = SHOW(open("f", O_RDONLY));
	int wo = SHOW(open("f", O_WRONLY));
	int ap = SHOW(open("f", O_RDWR | O_APPEND));
	MAP(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0));
	MAP(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0));
	MAP(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ap, 0));
	char *p = MAP(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, ro, 0));
	p[0] = 'p'; /* copy on write, fine on a read-only fd */
	char *q = MAP(mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0));
	SHOW(mprotect(q, PAGE, PROT_READ | PROT_WRITE));
	MAP(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 99, 0));
	MAP(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, ro, 1));
	MAP(mmap(NULL, 0, PROT_READ, MAP_PRIVATE, ro, 0));
	int dir = SHOW(open(".", O_RDONLY | O_DIRECTORY));
	MAP(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, dir, 0));
	cat("f", 5);
	return 0;
}
