/* Symbolic links: making and reading them, the walk through them (relative
 * and absolute targets, dangling, loops, 40 hops), every call that acts
 * on a link or on what it points at, and O_PATH fds. */
#include "case.h"

#include <dirent.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/vfs.h>

#ifndef SYS_fchmodat2
#define SYS_fchmodat2 452 /* Linux 6.6; glibc 2.36 has no name for it */
#endif

static char buf[8192];

/* readlink, printed with what it read (never NUL-terminated by it). */
static void show_link(int line, int dirfd, const char *path, size_t cap)
{
	memset(buf, '#', 16);
	ssize_t n = readlinkat(dirfd, path, buf, cap);
	if (n < 0) {
		printf("%d: readlinkat(%s) = -1 %s\n", line, path,
		       case_errname(errno));
		return;
	}
	printf("%d: readlinkat(%s, %zu) = %zd [%.*s] next [%c]\n", line, path,
	       cap, n, (int)(n > 64 ? 64 : n), buf, buf[n]);
}
#define LINK(path, cap) show_link(__LINE__, AT_FDCWD, path, cap)

static void show_stat(int line, const char *what, int r, const struct stat *st)
{
	if (r < 0)
		printf("%d: %s = -1 %s\n", line, what, case_errname(errno));
	else
		printf("%d: %s: type %o perm %o size %lld nlink %ld\n", line, what,
		       st->st_mode & S_IFMT, st->st_mode & 07777,
		       (long long)st->st_size, (long)st->st_nlink);
}
#define LSTAT(path)                                                        \
	({                                                                 \
		struct stat st_;                                           \
		show_stat(__LINE__, "lstat " path, lstat(path, &st_), &st_); \
	})
#define STAT(path)                                                         \
	({                                                                 \
		struct stat st_;                                           \
		show_stat(__LINE__, "stat " path, stat(path, &st_), &st_);  \
	})

/* The text of a file read through path. */
static void show_cat(int line, const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%d: cat %s = -1 %s\n", line, path, case_errname(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	printf("%d: cat %s = [%.*s]\n", line, path, (int)(n > 0 ? n : 0), buf);
}
#define CAT(path) show_cat(__LINE__, path)

static void making(void)
{
	put_file("f", "file f");
	REQUIRE(mkdir("d", 0755) == 0);
	put_file("d/g", "file g");
	umask(077); /* a link is 0777 whatever the umask */
	SHOW(symlink("f", "lf"));
	umask(022);
	LSTAT("lf");
	STAT("lf");
	SHOW(symlink("f", "lf"));        /* a link there: EEXIST */
	SHOW(symlink("x", "f"));         /* a file there */
	SHOW(symlink("x", "d"));         /* a directory there */
	SHOW(symlink("x", "."));
	SHOW(symlink("x", "d/.."));
	SHOW(symlink("", "empty"));      /* ENOENT, as getname of "" */
	SHOW(symlink("x", "new/"));      /* a trailing slash asks for a dir */
	SHOW(symlink("x", "lf/"));
	SHOW(symlink("x", "nodir/l"));
	SHOW(symlink("x", "f/l"));
	SHOW(symlink("x", ""));
	/* targets are not checked: any bytes, up to PATH_MAX - 1 */
	SHOW(symlink("no/such/../thing", "odd"));
	memset(buf, 'a', 4095);
	buf[4095] = '\0';
	SHOW(symlink(buf, "long"));
	LSTAT("long");
	LINK("long", 8192);
	STAT("long");                    /* a component of 4095 bytes */
	buf[4095] = 'a';
	buf[4096] = '\0';
	SHOW(symlink(buf, "toolong"));
	SHOW(unlink("long"));
	int d = open("d", O_RDONLY | O_DIRECTORY);
	SHOW(symlinkat("g", d, "lg"));
	SHOW(symlinkat("../f", d, "up"));
	SHOW(symlinkat("x", open("f", O_RDONLY), "l"));
	SHOW(symlinkat("x", 999, "l"));
	SHOW(symlinkat("x", 999, "/abs-ignores-dirfd"));
	SHOW(unlink("/abs-ignores-dirfd"));
	CAT("d/lg");
	CAT("d/up");
	close(d);
}

static void reading(void)
{
	LINK("lf", 100);
	LINK("lf", 1);                   /* cut, no NUL */
	LINK("odd", 5);
	LINK("f", 100);                  /* EINVAL: not a link */
	LINK("d", 100);
	LINK("missing", 100);
	LINK("lf/", 100);                /* followed: a file with a slash */
	LINK("", 100);
	SHOW(readlink("lf", buf, 0));
	SHOW(readlinkat(999, "", buf, 10));
	SHOW(readlinkat(999, "lf", buf, 10));
	int d = open("d", O_RDONLY | O_DIRECTORY);
	show_link(__LINE__, d, "lg", 100);
	show_link(__LINE__, d, "", 100); /* a directory: ENOENT */
	close(d);
	/* an O_PATH fd of the link itself, read with an empty path */
	int p = SHOW(open("lf", O_PATH | O_NOFOLLOW));
	show_link(__LINE__, p, "", 100);
	struct stat st;
	show_stat(__LINE__, "fstat O_PATH link", fstat(p, &st), &st);
	show_stat(__LINE__, "fstatat AT_EMPTY_PATH", fstatat(p, "", &st,
							     AT_EMPTY_PATH), &st);
	SHOW(read(p, buf, 1));
	SHOW(write(p, "x", 1));
	SHOW(fchmod(p, 0600));
	SHOW(fchown(p, -1, -1));
	SHOW(fsync(p));
	SHOW(lseek(p, 0, SEEK_SET));
	SHOW(fcntl(p, F_GETFL) & (O_PATH | O_NOFOLLOW | O_ACCMODE));
	SHOW(fcntl(p, F_SETFL, O_NONBLOCK));
	int q = SHOW(fcntl(p, F_DUPFD_CLOEXEC, 0));
	show_link(__LINE__, q, "", 100);
	SHOW(close(q));
	SHOW(close(p));
	p = SHOW(open("lf", O_PATH));    /* followed: the file */
	show_link(__LINE__, p, "", 100);
	show_stat(__LINE__, "fstat O_PATH file", fstat(p, &st), &st);
	SHOW(read(p, buf, 1));
	SHOW(close(p));
	p = SHOW(open("f", O_RDONLY));
	show_link(__LINE__, p, "", 100);
	SHOW(close(p));
	SHOW(open("lf", O_PATH | O_NOFOLLOW | O_DIRECTORY));
	/* an O_PATH directory is a dirfd and a place to fchdir to */
	p = SHOW(open("d", O_PATH | O_DIRECTORY));
	show_link(__LINE__, p, "lg", 100);
	SHOW(faccessat(p, "g", R_OK, 0));
	SHOW(getdents64(p, buf, sizeof buf));
	SHOW(close(p));
	SHOW(open("missing", O_PATH));
}

static void stats(void)
{
	struct stat st;
	show_stat(__LINE__, "fstatat NOFOLLOW",
		  fstatat(AT_FDCWD, "lf", &st, AT_SYMLINK_NOFOLLOW), &st);
	show_stat(__LINE__, "fstatat", fstatat(AT_FDCWD, "lf", &st, 0), &st);
	struct statx sx;
	int r = SHOW(statx(AT_FDCWD, "lf", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS,
			   &sx));
	if (r == 0)
		printf("statx NOFOLLOW: mode %o size %llu\n", sx.stx_mode,
		       (unsigned long long)sx.stx_size);
	r = SHOW(statx(AT_FDCWD, "lf", 0, STATX_BASIC_STATS, &sx));
	if (r == 0)
		printf("statx: mode %o size %llu\n", sx.stx_mode,
		       (unsigned long long)sx.stx_size);
	SHOW(faccessat(AT_FDCWD, "odd", F_OK, AT_SYMLINK_NOFOLLOW));
	SHOW(faccessat(AT_FDCWD, "odd", F_OK, 0));
	SHOW(access("lf", R_OK));
}

/* chain: ln0 -> ln1 -> ... -> ln(n-1) -> f */
static void chain(const char *prefix, int n)
{
	char name[32], target[32];
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "%s%d", prefix, i);
		if (i == n - 1)
			snprintf(target, sizeof target, "f");
		else
			snprintf(target, sizeof target, "%s%d", prefix, i + 1);
		REQUIRE(symlink(target, name) == 0);
	}
}

static void walking(void)
{
	const char *scratch = getenv("CASE_SCRATCH");
	char abs[512];
	snprintf(abs, sizeof abs, "%s/d", scratch);
	SHOW(symlink(abs, "absd"));      /* absolute target */
	CAT("absd/g");
	SHOW(symlink("d", "ld"));        /* relative target */
	CAT("ld/g");
	CAT("ld/lg");                    /* a link in the middle and last */
	CAT("ld/up");                    /* relative to the link's dir */
	CAT("ld/../f");                  /* ".." after a link: its target's */
	SHOW(mkdir("d/e", 0755));
	SHOW(symlink("../../f", "d/e/upup"));
	CAT("ld/e/upup");
	SHOW(symlink("e/../g", "d/via"));
	CAT("d/via");
	SHOW(symlink("nowhere", "dang"));
	CAT("dang");                     /* dangling: ENOENT */
	LSTAT("dang");
	CAT("dang/x");
	SHOW(symlink("f", "lff"));
	CAT("lff/x");                    /* a file used as a directory */
	STAT("lff/");
	STAT("ld/");
	LSTAT("ld/");                    /* a slash follows, even for lstat */
	LSTAT("ld");
	SHOW(symlink("loopb", "loopa"));
	SHOW(symlink("loopa", "loopb"));
	CAT("loopa");
	LSTAT("loopa");
	CAT("loopa/x");
	SHOW(symlink("self", "self"));
	CAT("self");
	SHOW(symlink("self2/x", "self2"));
	CAT("self2");
	chain("c", 40);                  /* 40 hops: followed */
	CAT("c0");
	chain("k", 41);                  /* 41: ELOOP */
	CAT("k0");
	CAT("k1");
	SHOW(symlink("/", "root"));
	SHOW(access("root/./tmp/..", X_OK));
	SHOW(symlink(".", "dot"));
	CAT("dot/dot/dot/f");
	SHOW(symlink("d/", "dslash"));
	CAT("dslash/g");
	STAT("dslash");
	SHOW(symlink("f/", "fslash"));
	CAT("fslash");                   /* ENOTDIR */
}

static void opening(void)
{
	SHOW(open("lf", O_RDONLY | O_NOFOLLOW));       /* ELOOP */
	int fd = SHOW(open("ld/g", O_RDONLY | O_NOFOLLOW)); /* only the last */
	SHOW(close(fd));
	SHOW(open("ld", O_RDONLY | O_DIRECTORY | O_NOFOLLOW));
	fd = SHOW(open("ld", O_RDONLY | O_DIRECTORY));
	SHOW(close(fd));
	SHOW(open("lf", O_RDONLY | O_DIRECTORY));
	/* O_CREAT through a dangling link makes its target */
	SHOW(symlink("made", "tomake"));
	fd = SHOW(open("tomake", O_WRONLY | O_CREAT, 0644));
	SHOW(write(fd, "made", 4));
	SHOW(close(fd));
	LSTAT("made");
	LSTAT("tomake");
	CAT("tomake");
	SHOW(symlink("made2", "excl"));
	SHOW(open("excl", O_WRONLY | O_CREAT | O_EXCL, 0644)); /* EEXIST */
	LSTAT("made2");
	SHOW(open("lf", O_WRONLY | O_CREAT | O_EXCL, 0644));
	SHOW(open("lf", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644)); /* ELOOP */
	SHOW(symlink("nodir/made", "deep"));
	SHOW(open("deep", O_WRONLY | O_CREAT, 0644));  /* ENOENT */
	SHOW(symlink("madedir/", "todir"));
	SHOW(open("todir", O_WRONLY | O_CREAT, 0644)); /* EISDIR */
	/* O_TRUNC and writes go to the target */
	put_file("tr", "longer text");
	SHOW(symlink("tr", "ltr"));
	fd = SHOW(open("ltr", O_WRONLY | O_TRUNC));
	SHOW(write(fd, "short", 5));
	SHOW(close(fd));
	CAT("tr");
	SHOW(truncate("ltr", 2));
	CAT("tr");
}

static void removing(void)
{
	put_file("victim", "still here");
	SHOW(symlink("victim", "lv"));
	SHOW(unlink("lv"));              /* the link goes, the file stays */
	LSTAT("lv");
	CAT("victim");
	SHOW(symlink("d", "ld2"));
	SHOW(unlink("ld2/"));            /* a slash on a link to a dir */
	SHOW(rmdir("ld2"));              /* ENOTDIR: not followed */
	SHOW(rmdir("ld2/"));
	SHOW(unlinkat(AT_FDCWD, "ld2", AT_REMOVEDIR));
	STAT("d");
	SHOW(unlink("ld2"));
	SHOW(unlink("dang"));            /* a dangling link goes too */
	/* mkdir never follows: a dangling link is EEXIST */
	SHOW(symlink("willbe", "lwill"));
	SHOW(mkdir("lwill", 0755));
	SHOW(mkdir("lwill/", 0755));
	LSTAT("willbe");
	SHOW(mkdir("ld/sub", 0755));     /* through a link in the middle */
	STAT("d/sub");
	SHOW(rmdir("ld/sub"));
	STAT("d/sub");
	SHOW(mknod("lwill", S_IFIFO | 0644, 0));
	SHOW(link("f", "lwill"));
}

static void renaming(void)
{
	SHOW(symlink("f", "rl"));
	SHOW(rename("rl", "d/rl2"));     /* the link moves, target unchanged */
	LINK("d/rl2", 100);
	CAT("d/rl2");                    /* "f" now relative to d/: ENOENT */
	LSTAT("f");
	SHOW(symlink("victim", "over"));
	SHOW(rename("over", "lf"));      /* a link over a link */
	LINK("lf", 100);
	SHOW(symlink("f", "lf"));
	SHOW(unlink("lf"));
	SHOW(symlink("f", "lf"));
	put_file("plain", "plain");
	SHOW(rename("plain", "lf"));     /* a file over a link */
	LSTAT("lf");
	CAT("f");
	SHOW(symlink("f", "lf2"));
	SHOW(rename("lf2", "lf"));       /* a link over a file */
	LSTAT("lf");
	SHOW(rename("ld/", "x"));        /* ENOTDIR: a link is no directory */
	SHOW(rename("lf", "lf"));
}

static void hard_links(void)
{
	SHOW(linkat(AT_FDCWD, "lf", AT_FDCWD, "hl", 0)); /* the link itself */
	LSTAT("hl");
	LSTAT("lf");
	LSTAT("f");
	SHOW(link("lf", "hl2"));         /* link(2) does not follow either */
	LSTAT("hl2");
	SHOW(linkat(AT_FDCWD, "lf", AT_FDCWD, "hf", AT_SYMLINK_FOLLOW));
	LSTAT("hf");
	LSTAT("f");
	SHOW(linkat(AT_FDCWD, "dang2", AT_FDCWD, "x", AT_SYMLINK_FOLLOW));
	SHOW(symlink("nowhere", "dang2"));
	SHOW(linkat(AT_FDCWD, "dang2", AT_FDCWD, "hd", AT_SYMLINK_FOLLOW));
	SHOW(linkat(AT_FDCWD, "dang2", AT_FDCWD, "hd", 0));
	LSTAT("hd");
	SHOW(linkat(AT_FDCWD, "ld", AT_FDCWD, "hld", AT_SYMLINK_FOLLOW));
	SHOW(unlink("hl"));
	SHOW(unlink("hl2"));
	SHOW(unlink("hf"));
	SHOW(unlink("hd"));
}

static void attrs(void)
{
	struct stat st;
	REQUIRE(stat("f", &st) == 0);
	uid_t me = getuid();
	SHOW(lchown("lf", me, -1));
	SHOW(fchownat(AT_FDCWD, "lf", -1, getgid(), AT_SYMLINK_NOFOLLOW));
	SHOW(fchownat(AT_FDCWD, "dang2", me, -1, AT_SYMLINK_NOFOLLOW));
	SHOW(chown("dang2", me, -1));   /* follows: ENOENT */
	if (me == 0) {                  /* root gives the link away */
		SHOW(lchown("lf", 1234, 5678));
		REQUIRE(lstat("lf", &st) == 0);
		printf("link owner %u %u\n", st.st_uid, st.st_gid);
		REQUIRE(stat("f", &st) == 0);
		printf("target owner is mine: %d\n", st.st_uid == me);
		SHOW(lchown("lf", me, getgid()));
	}
	/* times: AT_SYMLINK_NOFOLLOW sets the link's own */
	struct timespec ts[2] = {{1000000000, 5}, {1100000000, 7}};
	SHOW(utimensat(AT_FDCWD, "lf", ts, AT_SYMLINK_NOFOLLOW));
	REQUIRE(lstat("lf", &st) == 0);
	printf("link times %ld.%ld %ld.%ld\n", (long)st.st_atim.tv_sec,
	       st.st_atim.tv_nsec, (long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
	REQUIRE(stat("lf", &st) == 0);
	printf("target mtime set too: %d\n", st.st_mtim.tv_sec == 1100000000);
	SHOW(utimensat(AT_FDCWD, "lf", ts, 0));
	REQUIRE(stat("f", &st) == 0);
	printf("target mtime %ld.%ld\n", (long)st.st_mtim.tv_sec,
	       st.st_mtim.tv_nsec);
	SHOW(utimensat(AT_FDCWD, "dang2", ts, AT_SYMLINK_NOFOLLOW));
	SHOW(utimensat(AT_FDCWD, "dang2", ts, 0));
	struct timeval tv[2] = {{1200000000, 0}, {1300000000, 0}};
	SHOW(lutimes("lf", tv));
	REQUIRE(lstat("lf", &st) == 0);
	printf("lutimes mtime %ld\n", (long)st.st_mtim.tv_sec);
	/* modes: a link's never changes; chmod follows */
	SHOW(fchmodat(AT_FDCWD, "lf", 0600, AT_SYMLINK_NOFOLLOW));
	SHOW(syscall(SYS_fchmodat2, AT_FDCWD, "lf", 0600, AT_SYMLINK_NOFOLLOW));
	SHOW(fchmodat(AT_FDCWD, "dang2", 0600, AT_SYMLINK_NOFOLLOW));
	SHOW(syscall(SYS_fchmodat2, AT_FDCWD, "f", 0640, AT_SYMLINK_NOFOLLOW));
	SHOW(chmod("lf", 0604));
	LSTAT("lf");
	LSTAT("f");
	SHOW(chmod("dang2", 0600));
}

static void dirs_and_cwd(void)
{
	/* d_type of a link is DT_LNK */
	DIR *dir = opendir(".");
	REQUIRE(dir != NULL);
	int links = 0, lf = 0;
	struct dirent *e;
	while ((e = readdir(dir)))
		if (e->d_type == DT_LNK) {
			links++;
			lf += strcmp(e->d_name, "lf") == 0;
		}
	closedir(dir);
	printf("DT_LNK entries %d, lf among them %d\n", links, lf);
	/* chdir through a link: getcwd shows where it led */
	const char *scratch = getenv("CASE_SCRATCH");
	char cwd[1024];
	SHOW(chdir("ld"));
	REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
	printf("cwd %s\n", strncmp(cwd, scratch, strlen(scratch)) == 0
				   ? cwd + strlen(scratch) : cwd);
	CAT("up");
	SHOW(chdir(".."));
	REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
	printf("cwd after .. is the scratch dir: %d\n", strcmp(cwd, scratch) == 0);
	SHOW(chdir("lf"));
	SHOW(chdir("dang2"));
	SHOW(chdir("loopa"));
	int p = SHOW(open("ld", O_PATH));
	SHOW(fchdir(p));
	REQUIRE(getcwd(cwd, sizeof cwd) != NULL);
	printf("fchdir O_PATH: cwd ends in /d: %d\n",
	       strcmp(cwd + strlen(cwd) - 2, "/d") == 0);
	SHOW(chdir(scratch));
	SHOW(close(p));
	p = SHOW(open("lf", O_PATH | O_NOFOLLOW));
	SHOW(fchdir(p));
	SHOW(openat(p, "x", O_RDONLY));
	SHOW(close(p));
}

/* Links into the system directories, absolute and climbing out with
 * "..": the same files natively and in the cage (whose / is virtual). */
static void system_dirs(void)
{
	SHOW(symlink("/usr/bin", "ub"));
	SHOW(access("ub/env", X_OK));
	SHOW(symlink("../../../../../../../../../../../usr/bin/env", "climb"));
	SHOW(access("climb", X_OK));
	SHOW(symlink("/usr/bin/env", "abs"));
	SHOW(access("abs", X_OK));
}

/* O_PATH fds beyond links: of /proc nodes, of a directory as dirfd, in
 * /proc/self/fd, dup'ed, and what an empty path does with them. */
static void o_path(void)
{
	struct stat st;
	struct statfs sf;
	int p = SHOW(open("/proc/self/status", O_PATH));
	SHOW(fstat(p, &st) == 0 && S_ISREG(st.st_mode));
	SHOW(read(p, buf, 1));
	SHOW(close(p));
	p = SHOW(open("/proc/self", O_PATH | O_NOFOLLOW));
	SHOW(fstat(p, &st) == 0 && S_ISLNK(st.st_mode));
	SHOW(readlinkat(p, "", buf, sizeof buf) > 0);
	SHOW(close(p));
	p = SHOW(open("/proc", O_PATH | O_DIRECTORY));
	SHOW(fstatfs(p, &sf) == 0);
	SHOW(faccessat(p, "self/status", R_OK, 0));
	SHOW(close(p));
	p = SHOW(open("lf", O_PATH | O_NOFOLLOW));
	char name[64], t[512];
	snprintf(name, sizeof name, "/proc/self/fd/%d", p);
	ssize_t n = SHOW(readlink(name, t, sizeof t));
	const char *s = getenv("CASE_SCRATCH");
	if (n > (ssize_t)strlen(s))
		printf("fd link: %.*s\n", (int)(n - strlen(s)), t + strlen(s));
	int q = SHOW(dup(p));
	SHOW(fcntl(q, F_GETFD));
	SHOW(dup2(p, 10));
	SHOW(close(q));
	SHOW(close(10));
	SHOW(close(p));
	/* every flag but O_DIRECTORY, O_NOFOLLOW and O_CLOEXEC is ignored */
	p = SHOW(open("f", O_PATH | O_WRONLY | O_TRUNC | O_CREAT, 0600));
	SHOW(fstat(p, &st) == 0 && st.st_size > 0);
	SHOW(openat(p, "", O_RDONLY));           /* "": ENOENT first */
	SHOW(openat(999, "", O_RDONLY));
	SHOW(fstatat(999, "", &st, 0));
	SHOW(linkat(p, "", AT_FDCWD, "hard", AT_EMPTY_PATH));
	SHOW(unlink("hard"));
	SHOW(linkat(999, "", AT_FDCWD, "hard", AT_EMPTY_PATH));
	SHOW(linkat(AT_FDCWD, "", AT_FDCWD, "hard", AT_EMPTY_PATH));
	SHOW(fchownat(p, "", -1, -1, AT_EMPTY_PATH));
	SHOW(utimensat(p, "", NULL, AT_EMPTY_PATH));
	SHOW(close(p));
	SHOW(open("nope", O_PATH | O_CREAT, 0644));
}

int main(void)
{
	enter_scratch();
	making();
	reading();
	stats();
	walking();
	opening();
	removing();
	renaming();
	hard_links();
	attrs();
	dirs_and_cwd();
	system_dirs();
	o_path();
	return 0;
}
