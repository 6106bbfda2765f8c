/* user.* extended attributes (and trusted.* for root): set, get, list,
 * remove in their path, l and f forms, XATTR_CREATE/REPLACE, ENODATA,
 * ERANGE, E2BIG, EINVAL, EOPNOTSUPP, special files, ctime */
#include "case.h"
#include <sys/xattr.h>

/* The names of a listing, sorted (filesystems list in their own order). */
static void show_list(const char *what, ssize_t n, char *buf)
{
	const char *names[16];
	int k = 0;
	for (ssize_t i = 0; i < n && k < 16; i += (ssize_t)strlen(buf + i) + 1)
		names[k++] = buf + i;
	for (int i = 0; i < k; i++)
		for (int j = i + 1; j < k; j++)
			if (strcmp(names[j], names[i]) < 0) {
				const char *t = names[i];
				names[i] = names[j];
				names[j] = t;
			}
	printf("%s:", what);
	for (int i = 0; i < k; i++)
		printf(" %s", names[i]);
	printf("\n");
}

static void show_value(const char *path, const char *name)
{
	char v[64] = {0};
	ssize_t n = getxattr(path, name, v, sizeof v - 1);
	if (n < 0)
		printf("%s %s: %s\n", path, name, case_errname(errno));
	else
		printf("%s %s: %zd [%s]\n", path, name, n, v);
}

static void names_and_sizes(void)
{
	char name[300];
	static char big[65537];
	SHOW(setxattr("f", "", "x", 1, 0));
	memset(name, 'a', sizeof name);
	memcpy(name, "user.", 5);
	name[255] = '\0';
	SHOW(setxattr("f", name, "x", 1, 0)); /* 255 bytes: fine */
	SHOW(removexattr("f", name));
	name[255] = 'a';
	name[256] = '\0';
	SHOW(setxattr("f", name, "x", 1, 0));
	SHOW(getxattr("f", name, NULL, 0));
	SHOW(removexattr("f", name));
	SHOW(setxattr("f", "user.", "x", 1, 0));
	SHOW(getxattr("f", "user.", NULL, 0));
	SHOW(setxattr("f", "nonsense.x", "x", 1, 0));
	SHOW(getxattr("f", "nonsense.x", NULL, 0));
	SHOW(setxattr("f", "user.big", big, sizeof big, 0));
	SHOW(setxattr("f", "user.x", "x", 1, 4));
	SHOW(setxattr("f", "user.empty", "", 0, 0));
	show_value("f", "user.empty");
	SHOW(setxattr("f", "user.k", big, 1000, 0));
	SHOW(getxattr("f", "user.k", NULL, 0));
	SHOW(removexattr("f", "user.k"));
}

int main(void)
{
	enter_scratch();
	put_file("f", "data");
	struct stat before, after;
	REQUIRE(stat("f", &before) == 0);
	usleep(20000);
	SHOW(setxattr("f", "user.color", "blue", 4, 0));
	REQUIRE(stat("f", &after) == 0);
	printf("ctime moved %d, mtime moved %d\n",
	       after.st_ctim.tv_nsec != before.st_ctim.tv_nsec ||
		       after.st_ctime != before.st_ctime,
	       after.st_mtim.tv_nsec != before.st_mtim.tv_nsec ||
		       after.st_mtime != before.st_mtime);
	show_value("f", "user.color");
	char v[8];
	SHOW(getxattr("f", "user.color", NULL, 0));
	SHOW(getxattr("f", "user.color", v, 2));
	SHOW(getxattr("f", "user.none", v, sizeof v));
	SHOW(setxattr("f", "user.color", "red", 3, XATTR_CREATE));
	SHOW(setxattr("f", "user.shape", "round", 5, XATTR_REPLACE));
	SHOW(setxattr("f", "user.color", "red", 3, XATTR_REPLACE));
	SHOW(setxattr("f", "user.shape", "round", 5, XATTR_CREATE));
	show_value("f", "user.color");
	char list[256];
	ssize_t n = SHOW(listxattr("f", NULL, 0));
	SHOW(listxattr("f", list, 5));
	n = SHOW(listxattr("f", list, sizeof list));
	show_list("list", n, list);
	names_and_sizes();
	/* through an fd, and the l forms on files */
	int fd = SHOW(open("f", O_RDONLY));
	SHOW(fsetxattr(fd, "user.fd", "via fd", 6, 0));
	memset(v, 0, sizeof v);
	SHOW(fgetxattr(fd, "user.fd", v, sizeof v));
	printf("[%.6s]\n", v);
	n = SHOW(flistxattr(fd, list, sizeof list));
	show_list("flist", n, list);
	SHOW(fremovexattr(fd, "user.fd"));
	SHOW(fremovexattr(fd, "user.fd"));
	SHOW(lsetxattr("f", "user.l", "l", 1, 0));
	SHOW(lgetxattr("f", "user.l", v, sizeof v));
	n = SHOW(llistxattr("f", list, sizeof list));
	show_list("llist", n, list);
	SHOW(lremovexattr("f", "user.l"));
	SHOW(close(fd));
	SHOW(fgetxattr(fd, "user.color", v, sizeof v));
	SHOW(fsetxattr(fd, "user.color", "x", 1, 0));
	SHOW(flistxattr(fd, list, sizeof list));
	SHOW(removexattr("f", "user.shape"));
	SHOW(removexattr("f", "user.shape"));
	n = SHOW(listxattr("f", list, sizeof list));
	show_list("after remove", n, list);
	/* directories, other files */
	SHOW(mkdir("d", 0755));
	SHOW(setxattr("d", "user.dir", "yes", 3, 0));
	show_value("d", "user.dir");
	SHOW(setxattr("missing", "user.a", "x", 1, 0));
	SHOW(getxattr("missing", "user.a", v, sizeof v));
	SHOW(listxattr("missing", list, sizeof list));
	SHOW(setxattr("f/x", "user.a", "x", 1, 0));
	SHOW(setxattr("/dev/null", "user.a", "x", 1, 0));
	SHOW(getxattr("/dev/null", "user.a", v, sizeof v));
	SHOW(mkfifo("p", 0644));
	SHOW(setxattr("p", "user.a", "x", 1, 0));
	SHOW(getxattr("p", "user.a", v, sizeof v));
	SHOW(listxattr("p", list, sizeof list));
	int pp[2];
	SHOW(pipe(pp));
	SHOW(fsetxattr(pp[0], "user.a", "x", 1, 0));
	SHOW(fgetxattr(pp[0], "user.a", v, sizeof v));
	SHOW(flistxattr(pp[0], list, sizeof list));
	SHOW(close(pp[0]));
	SHOW(close(pp[1]));
	SHOW(getxattr("/proc/self/status", "user.a", v, sizeof v));
	/* trusted.* is root's: others may not set it, nor see it */
	if (getuid() == 0) {
		SHOW(setxattr("f", "trusted.t", "root", 4, 0));
		show_value("f", "trusted.t");
		n = SHOW(listxattr("f", list, sizeof list));
		show_list("as root", n, list);
		SHOW(removexattr("f", "trusted.t"));
	} else {
		SHOW(setxattr("f", "trusted.t", "root", 4, 0));
	}
	return 0;
}
