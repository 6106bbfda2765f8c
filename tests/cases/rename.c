/* rename, renameat, renameat2: file over file, directory over an empty
 * directory, into itself, and what Linux refuses */
#include "case.h"
#include <dirent.h>
#include <stdio.h>

int main(void)
{
	enter_scratch();
	put_file("a", "A");
	put_file("b", "B");
	SHOW(rename("a", "b"));
	show_file("a");
	show_file("b");
	SHOW(rename("b", "b"));
	show_file("b");
	SHOW(mkdir("d1", 0755));
	SHOW(mkdir("d2", 0755));
	SHOW(mkdir("d3", 0755));
	put_file("d3/x", "X");
	show_links(".");
	SHOW(rename("d1", "d2")); /* over an empty directory */
	show_links(".");
	SHOW(rename("d2", "d3")); /* over a non-empty one */
	SHOW(rename("b", "d3"));
	SHOW(rename("d3", "b"));
	SHOW(rename("d3", "d3/sub"));
	SHOW(rename("d3", "d3/x/.."));
	SHOW(rename("d3/x", "."));
	SHOW(rename(".", "z"));
	SHOW(rename("missing", "z"));
	SHOW(rename("b", "missing/z"));
	SHOW(rename("b/", "c"));
	SHOW(rename("b", "c/"));
	/* a directory moved to another parent: links and ".." follow */
	SHOW(rename("d2", "d3/d2"));
	show_links(".");
	show_links("d3");
	SHOW(chdir("d3/d2"));
	char cwd[4096];
	REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
	printf("cwd ends with /d3/d2: %d\n",
	       strcmp(cwd + strlen(cwd) - 6, "/d3/d2") == 0);
	SHOW(chdir("../.."));
	/* renameat with directory fds */
	int d3 = SHOW(open("d3", O_RDONLY | O_DIRECTORY));
	SHOW(renameat(d3, "x", AT_FDCWD, "x2"));
	show_file("x2");
	SHOW(renameat(AT_FDCWD, "x2", d3, "x"));
	show_file("d3/x");
	SHOW(renameat(99, "x", d3, "y"));
	/* renameat2: RENAME_NOREPLACE refuses an existing target */
	SHOW(renameat2(AT_FDCWD, "b", d3, "x", RENAME_NOREPLACE));
	SHOW(renameat2(AT_FDCWD, "b", d3, "b", RENAME_NOREPLACE));
	show_file("d3/b");
	SHOW(renameat2(AT_FDCWD, "b", d3, "b", 0x80));
	/* an open file keeps its data when replaced */
	put_file("old", "OLD");
	put_file("new", "NEW");
	int fd = SHOW(open("old", O_RDONLY));
	SHOW(rename("new", "old"));
	char buf[8] = {0};
	SHOW(read(fd, buf, sizeof buf - 1));
	printf("still reads %s\n", buf);
	show_file("old");
	SHOW(close(fd));
	SHOW(close(d3));
	SHOW(unlink("old"));
	SHOW(unlink("d3/x"));
	SHOW(unlink("d3/b"));
	SHOW(rmdir("d3/d2"));
	SHOW(rmdir("d3"));
	return 0;
}
