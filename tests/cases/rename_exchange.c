/* renameat2 RENAME_EXCHANGE: two names swap their files (files,
 * directories, across directories), with Linux's errors */
#include "case.h"
#include <dirent.h>
#include <linux/fs.h>
#include <sys/syscall.h>

static long xchg(const char *a, const char *b, unsigned flags)
{
	return syscall(SYS_renameat2, AT_FDCWD, a, AT_FDCWD, b, flags);
}

int main(void)
{
	enter_scratch();
	put_file("a", "A");
	put_file("b", "B");
	SHOW(xchg("a", "b", RENAME_EXCHANGE));
	show_file("a");
	show_file("b");
	SHOW(xchg("a", "missing", RENAME_EXCHANGE));
	SHOW(xchg("missing", "a", RENAME_EXCHANGE));
	SHOW(xchg("a", "b", RENAME_EXCHANGE | RENAME_NOREPLACE));
	SHOW(xchg("a", "b", RENAME_EXCHANGE | 8));
	SHOW(xchg("a", "a", RENAME_EXCHANGE));
	/* a file and a directory in different directories */
	SHOW(mkdir("d1", 0755));
	SHOW(mkdir("d2", 0755));
	SHOW(mkdir("d2/sub", 0755));
	put_file("d2/sub/inner", "I");
	put_file("d1/f", "F");
	show_links("d1");
	show_links("d2");
	SHOW(xchg("d1/f", "d2/sub", RENAME_EXCHANGE));
	show_links("d1");
	show_links("d2");
	show_file("d1/f/inner");
	show_file("d2/sub");
	SHOW(chdir("d1/f"));
	SHOW(access("../../d2/sub", F_OK)); /* ".." is d1 now */
	SHOW(chdir("../.."));
	SHOW(xchg("d1/f/", "d2/sub", RENAME_EXCHANGE));
	SHOW(xchg("d2/sub/", "d1/f", RENAME_EXCHANGE));
	/* two directories; a non-empty one may be exchanged */
	SHOW(xchg("d1", "d2", RENAME_EXCHANGE));
	show_file("d2/f/inner");
	show_file("d1/sub");
	/* one inside the other */
	SHOW(xchg("d1", "d2/f", RENAME_EXCHANGE));
	SHOW(xchg("d2/f", "d2", RENAME_EXCHANGE));
	SHOW(xchg(".", "a", RENAME_EXCHANGE));
	SHOW(xchg("a", "..", RENAME_EXCHANGE));
	SHOW(xchg("a", "/proc/self", RENAME_EXCHANGE));
	return 0;
}
