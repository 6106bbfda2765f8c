/* stat fields a program relies on, umask, access */
#include "case.h"

int main(void)
{
	struct stat st, st2;
	enter_scratch();
	SHOW(umask(022));
	put_file("f", "12345");
	SHOW(stat("f", &st));
	printf("mode %o size %lld nlink %ld\n", st.st_mode, (long long)st.st_size, (long)st.st_nlink);
	SHOW(lstat("f", &st2));
	printf("same inode: %d\n", st.st_ino == st2.st_ino);
	SHOW(umask(077));
	int fd = SHOW(open("g", O_CREAT | O_WRONLY, 0666));
	SHOW(fstat(fd, &st));
	printf("mode %o\n", st.st_mode);
	SHOW(close(fd));
	SHOW(mkdir("d", 0777));
	SHOW(stat("d", &st));
	printf("dir mode %o nlink %ld\n", st.st_mode, (long)st.st_nlink);
	SHOW(stat("d/", &st));
	SHOW(stat("f/", &st));
	SHOW(stat("", &st));
	SHOW(fstatat(AT_FDCWD, "f", &st, 0));
	SHOW(faccessat(AT_FDCWD, "f", R_OK, 0));
	SHOW(rmdir("d"));
	SHOW(unlink("f"));
	SHOW(unlink("g"));
	return 0;
}
