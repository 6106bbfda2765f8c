/* lind-fs format: an empty store, made where nothing else would be lost
 * (store_check.h, store_new). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common.h"
#include "store_check.h"
#include "store_file.h"

static bool store_file_name(const char *name)
{
	static const char *const mine[] = {"FORMAT", "FORMAT.tmp", "lock",
					   "meta.snap", "meta.snap.tmp",
					   "meta.log", "data"};
	for (size_t i = 0; i < sizeof mine / sizeof *mine; i++)
		if (!strcmp(name, mine[i]))
			return true;
	return false;
}

/* Calls fn on each entry of dirfd but . and ..; stops at fn's first
 * non-zero answer and returns it. */
static int each_name(int dirfd, int (*fn)(int dirfd, const char *name,
					  void *arg),
		     void *arg)
{
	int fd = dup(dirfd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return -errno;
	}
	rewinddir(d);
	int r = 0;
	struct dirent *e;
	while (!r && (e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
			r = fn(dirfd, e->d_name, arg);
	closedir(d);
	return r;
}

struct survey {
	char *why;
	size_t cap;
	bool store; /* store files seen */
};

static int foreign(int dirfd, const char *name, void *arg)
{
	(void)dirfd;
	struct survey *s = arg;
	char *end;
	if (s->store ? strtoull(name, &end, 10) && !*end
		     : store_file_name(name))
		return 0;
	snprintf(s->why, s->cap, "%s%s", s->store ? "data/" : "", name);
	return -ENOTEMPTY;
}

static int any(int dirfd, const char *name, void *arg)
{
	(void)dirfd;
	(void)arg;
	return strcmp(name, "lock") ? 1 : 0;
}

static int erase(int dirfd, const char *name, void *arg)
{
	(void)arg;
	return unlinkat(dirfd, name, 0) < 0 ? -errno : 0;
}

/* What is in dir: 0 nothing (a lock at most), -EEXIST a store's files
 * only, -ENOTEMPTY anything else (named in why). */
static int survey(int dirfd, char *why, size_t cap)
{
	if (!each_name(dirfd, any, NULL))
		return 0;
	struct survey s = {why, cap, false};
	int r = each_name(dirfd, foreign, &s);
	int data = openat(dirfd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
	s.store = true;
	if (r == 0 && data >= 0)
		r = each_name(data, foreign, &s);
	if (data >= 0)
		close(data);
	return r ? r : -EEXIST;
}

/* A store's own files, FORMAT first: an interrupted erase leaves a
 * directory the server formats again. */
static int erase_store(int dirfd)
{
	static const char *const files[] = {"FORMAT", "FORMAT.tmp",
					    "meta.snap", "meta.snap.tmp",
					    "meta.log"};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		if (unlinkat(dirfd, files[i], 0) < 0 && errno != ENOENT)
			return -errno;
	int data = openat(dirfd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
					    O_CLOEXEC);
	if (data < 0)
		return errno == ENOENT ? 0 : -errno;
	int r = each_name(data, erase, NULL);
	close(data);
	return r;
}

int store_new(const char *dir, bool force, char *why, size_t cap)
{
	*why = '\0';
	int r = lind_mkdirs(dir, 0700); /* as store_open makes it */
	if (r < 0)
		return r;
	int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return -errno;
	r = survey(dirfd, why, cap);
	if (r == -EEXIST && force)
		r = 0;
	int lockfd = r < 0 ? r : store_lock(dirfd);
	if (lockfd >= 0) {
		r = erase_store(dirfd);
		if (r == 0)
			r = store_format_dir(dirfd, getuid(), getgid());
		close(lockfd);
	} else {
		r = lockfd;
	}
	close(dirfd);
	return r;
}

