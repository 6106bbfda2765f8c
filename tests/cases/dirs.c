/* mkdir, chdir, getcwd, opendir/readdir, rmdir */
#include "case.h"
#include <dirent.h>
#include <limits.h>

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path)
{
	char *names[64];
	int n = 0;
	DIR *d = opendir(path);
	if (!d) {
		printf("opendir %s: %s\n", path, case_errname(errno));
		return;
	}
	struct dirent *e;
	while ((e = readdir(d)) && n < 64)
		names[n++] = strdup(e->d_name);
	closedir(d);
	qsort(names, n, sizeof *names, cmp);
	printf("%s:", path);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	printf("\n");
}

int main(void)
{
	char cwd[PATH_MAX];
	const char *scratch = getenv("CASE_SCRATCH");
	enter_scratch();
	REQUIRE(getcwd(cwd, sizeof cwd));
	printf("cwd is scratch: %d\n", strcmp(cwd, scratch) == 0);
	SHOW(mkdir("a", 0755));
	SHOW(mkdir("a/b", 0755));
	SHOW(mkdir("a/b/c", 0700));
	put_file("a/one", "1");
	put_file("a/two", "2");
	for (int i = 0; i < 30; i++) {
		char name[32];
		snprintf(name, sizeof name, "a/b/f%02d", i);
		put_file(name, "x");
	}
	list("a");
	list("a/b");
	SHOW(chdir("a/b/c"));
	REQUIRE(getcwd(cwd, sizeof cwd));
	printf("cwd suffix: %s\n", cwd + strlen(scratch));
	SHOW(chdir("../.."));
	REQUIRE(getcwd(cwd, sizeof cwd));
	printf("cwd suffix: %s\n", cwd + strlen(scratch));
	SHOW(chdir("./b//c/"));
	SHOW(chdir("/"));
	REQUIRE(getcwd(cwd, sizeof cwd));
	printf("cwd: %s\n", cwd);
	SHOW(chdir(scratch));
	char small[4];
	printf("getcwd small: %s\n", getcwd(small, sizeof small) ? "ok" : case_errname(errno));
	/* removing entries while a directory is being read */
	DIR *d = opendir("a/b");
	REQUIRE(d);
	int seen = 0;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (e->d_name[0] == 'f') {
			char path[64];
			snprintf(path, sizeof path, "a/b/%s", e->d_name);
			REQUIRE(unlink(path) == 0);
			seen++;
		}
	}
	closedir(d);
	printf("removed while reading: %d\n", seen);
	list("a/b");
	SHOW(rmdir("a/b/c"));
	SHOW(rmdir("a/b"));
	SHOW(unlink("a/one"));
	SHOW(unlink("a/two"));
	SHOW(rmdir("a"));
	list(".");
	struct stat st;
	SHOW(stat("/tmp", &st));
	printf("/tmp mode %o\n", st.st_mode & 07777);
	SHOW(stat("/", &st));
	printf("/ is dir %d\n", S_ISDIR(st.st_mode));
	return 0;
}
