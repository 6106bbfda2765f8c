/* Helpers for test cases: each case prints what every call returned, so its
 * output natively and in a cage can be compared line by line. */
#ifndef CASE_H
#define CASE_H
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static inline const char *case_errname(int e)
{
	const char *n = strerrorname_np(e);
	return n ? n : "E?";
}

/* SHOW(call): prints "line: call = result" or "= -1 ENAME". */
/* errno is read after the call (an argument list would not order them) */
#define SHOW(expr)                                                         \
	({                                                                 \
		long show_r_ = (long)(expr);                               \
		case_show(__LINE__, #expr, show_r_, errno);                \
	})
static inline long case_show(int line, const char *what, long r, int err)
{
	if (r < 0)
		printf("%d: %s = -1 %s\n", line, what, case_errname(err));
	else
		printf("%d: %s = %ld\n", line, what, r);
	return r;
}

/* A child that exits with code at once (stdout flushed first, so the
 * child's copy of the buffer is not printed twice). */
static inline pid_t spawn_exit(int code)
{
	fflush(stdout);
	pid_t p = fork();
	if (p == 0)
		_exit(code);
	return p;
}

/* Fails the case with its line when cond is false. */
#define REQUIRE(cond)                                                      \
	do {                                                               \
		if (!(cond)) {                                             \
			printf("%d: REQUIRE failed: %s (%s)\n", __LINE__,  \
			       #cond, case_errname(errno));                \
			exit(99);                                          \
		}                                                          \
	} while (0)

/* A fresh directory, same name natively and in the cage; becomes cwd. */
static inline void enter_scratch(void)
{
	const char *d = getenv("CASE_SCRATCH");
	REQUIRE(d != NULL);
	REQUIRE(mkdir(d, 0755) == 0);
	REQUIRE(chdir(d) == 0);
}

static inline void put_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	REQUIRE(fd >= 0);
	REQUIRE(write(fd, text, strlen(text)) == (ssize_t)strlen(text));
	REQUIRE(close(fd) == 0);
}

/* Prints "path: its text" (up to 63 bytes), or "path: ENAME". */
static inline void show_file(const char *path)
{
	char buf[64] = {0};
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: %s\n", path, case_errname(errno));
		return;
	}
	REQUIRE(read(fd, buf, sizeof buf - 1) >= 0);
	close(fd);
	printf("%s: %s\n", path, buf);
}

/* Prints "path: nlink N". */
static inline void show_links(const char *path)
{
	struct stat st;
	REQUIRE(stat(path, &st) == 0);
	printf("%s: nlink %ld\n", path, (long)st.st_nlink);
}
#endif
