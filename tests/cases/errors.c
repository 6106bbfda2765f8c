/* the error cases of the file calls */
#include "case.h"

int main(void)
{
	char buf[8];
	enter_scratch();
	SHOW(open("missing", O_RDONLY));                       /* ENOENT */
	SHOW(open("missing/x", O_RDONLY | O_CREAT, 0644));     /* ENOENT */
	put_file("f", "data");
	SHOW(open("f", O_RDONLY | O_CREAT | O_EXCL, 0644));    /* EEXIST */
	SHOW(mkdir("f", 0755));                                /* EEXIST */
	SHOW(open("f/x", O_RDONLY));                           /* ENOTDIR */
	SHOW(mkdir("f/d", 0755));                              /* ENOTDIR */
	SHOW(open("f", O_RDONLY | O_DIRECTORY));               /* ENOTDIR */
	SHOW(mkdir("d", 0755));
	SHOW(open("d", O_WRONLY));                             /* EISDIR */
	SHOW(open("d", O_RDWR));                               /* EISDIR */
	SHOW(unlink("d"));                                     /* EISDIR */
	SHOW(rmdir("f"));                                      /* ENOTDIR */
	put_file("d/inner", "x");
	SHOW(rmdir("d"));                                      /* ENOTEMPTY */
	SHOW(rmdir("missing"));                                /* ENOENT */
	SHOW(unlink("missing"));                               /* ENOENT */
	SHOW(chdir("missing"));                                /* ENOENT */
	SHOW(chdir("f"));                                      /* ENOTDIR */
	SHOW(read(77, buf, sizeof buf));                       /* EBADF */
	SHOW(write(77, "x", 1));                               /* EBADF */
	SHOW(close(77));                                       /* EBADF */
	SHOW(close(-1));                                       /* EBADF */
	SHOW(dup(77));                                         /* EBADF */
	SHOW(lseek(77, 0, SEEK_SET));                          /* EBADF */
	int fd = SHOW(open("f", O_RDONLY));
	SHOW(write(fd, "x", 1));                               /* EBADF */
	SHOW(lseek(fd, -10, SEEK_SET));                        /* EINVAL */
	SHOW(lseek(fd, 0, 42));                                /* EINVAL */
	SHOW(close(fd));
	fd = SHOW(open("f", O_WRONLY));
	SHOW(read(fd, buf, sizeof buf));                       /* EBADF */
	SHOW(close(fd));
	fd = SHOW(open("d", O_RDONLY | O_DIRECTORY));
	SHOW(read(fd, buf, sizeof buf));                       /* EISDIR */
	SHOW(close(fd));
	char longname[300];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = 0;
	SHOW(open(longname, O_RDONLY | O_CREAT, 0644));        /* ENAMETOOLONG */
	SHOW(access("missing", R_OK));                         /* ENOENT */
	SHOW(access("f", R_OK | W_OK));
	SHOW(unlink("d/inner"));
	SHOW(rmdir("d"));
	SHOW(unlink("f"));
	return 0;
}
