/*
 * perms.sh's program: the same output natively and in a cage.
 *   setup BASE  (as root, umask 0) the tree under BASE: owners, groups
 *               and modes for every rule that check exercises
 *   check BASE  (as uid 1000, gid 1000, groups 1000,2000) every
 *               permission rule, each step printing its result
 *   creds BASE  (as root) the id calls, in a child process each: groups,
 *               real/effective/saved/fs ids, access with real ids,
 *               threads, fork and exec keeping them (BASE/prog is this
 *               program, put there after setup)
 *   ids         the ids, one line
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *base;

static const char *p(const char *rel)
{
	static char buf[8][512];
	static int i;
	i = (i + 1) % 8;
	snprintf(buf[i], sizeof buf[i], "%s/%s", base, rel);
	return buf[i];
}

/* "what: 0" or "what: ENAME" for a call returning -1 and errno */
static void say(const char *what, long r)
{
	if (r < 0)
		printf("%s: %s\n", what, strerrorname_np(errno));
	else
		printf("%s: %ld\n", what, r);
}

static void mode_of(const char *rel)
{
	struct stat st;
	if (stat(p(rel), &st) < 0)
		printf("stat %s: %s\n", rel, strerrorname_np(errno));
	else
		printf("%s: mode %04o uid %u gid %u\n", rel,
		       (unsigned)st.st_mode & 07777, (unsigned)st.st_uid,
		       (unsigned)st.st_gid);
}

static void ids(const char *who)
{
	uid_t r, e, s;
	gid_t gr, ge, gs, g[64];
	getresuid(&r, &e, &s);
	getresgid(&gr, &ge, &gs);
	int n = getgroups(64, g);
	printf("%s: uid %u %u %u fs %d gid %u %u %u fs %d groups", who, r, e,
	       s, setfsuid(-1), gr, ge, gs, setfsgid(-1));
	for (int i = 0; i < n; i++)
		printf(" %u", g[i]);
	printf(" (getuid %u geteuid %u getgid %u getegid %u)\n", getuid(),
	       geteuid(), getgid(), getegid());
}

/* ---- setup ------------------------------------------------------------ */

static void mk(const char *rel, mode_t mode, uid_t u, gid_t g)
{
	int fd = open(p(rel), O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (fd < 0 || write(fd, "data", 4) != 4 || fchown(fd, u, g) < 0 ||
	    fchmod(fd, mode) < 0)
		printf("setup %s: %s\n", rel, strerrorname_np(errno));
	close(fd);
}

static void md(const char *rel, mode_t mode, uid_t u, gid_t g)
{
	if (mkdir(p(rel), 0700) < 0 || chown(p(rel), u, g) < 0 ||
	    chmod(p(rel), mode) < 0)
		printf("setup %s/: %s\n", rel, strerrorname_np(errno));
}

static void setup(void)
{
	umask(0);
	md("", 0755, 0, 0);
	md("nosearch", 0700, 0, 0);
	mk("nosearch/f", 0644, 0, 0);
	md("searchonly", 0711, 0, 0);
	mk("searchonly/f", 0644, 0, 0);
	md("g2000", 0770, 0, 2000);
	md("g3000", 0770, 0, 3000);
	md("ro", 0755, 0, 0);
	md("f", 0777, 0, 0);
	static const struct {
		const char *name;
		mode_t mode;
		uid_t u;
		gid_t g;
	} files[] = {
		{"f/mine644", 0644, 1000, 1000},
		{"f/owner_denied", 0044, 1000, 1000},
		{"f/group_denied", 0707, 1001, 1000},
		{"f/other600", 0600, 1001, 1001},
		{"f/other604", 0604, 1001, 1001},
		{"f/grp2000", 0640, 1001, 2000},
		{"f/other666", 0666, 1001, 1001},
		{"f/suid_mine", 06755, 1000, 1000},
		{"f/sgid_nox_mine", 02745, 1000, 1000},
		{"f/sgid_nox_3000", 02747, 1001, 3000},
		{"f/suid_other", 06777, 1001, 1000},
		{"f/root_suid", 04777, 0, 0},
		{"f/chmod_mine", 0644, 1000, 1000},
		{"f/chmod_3000", 0644, 1000, 3000},
		{"f/chown_mine", 0644, 1000, 1000},
		{"f/chown_suid", 04755, 1000, 1000},
		{"f/chown_sgid", 02755, 1000, 1000},
		{"f/trunc_suid", 04777, 1000, 1000},
		{"f/otrunc_suid", 04777, 1000, 1000},
		{"f/ftrunc_suid", 04777, 1000, 1000},
		{"f/falloc_suid", 04777, 1001, 1000},
		{"f/copy_suid", 06777, 1001, 1000},
		{"f/sendfile_suid", 04777, 1001, 1000},
		{"rootonly", 0600, 0, 0},
	};
	for (size_t i = 0; i < sizeof files / sizeof *files; i++)
		mk(files[i].name, files[i].mode, files[i].u, files[i].g);
	md("sticky", 01777, 0, 0);
	mk("sticky/theirs", 0666, 1001, 1001);
	mk("sticky/mine", 0644, 1000, 1000);
	md("sticky/theirdir", 0777, 1001, 1001);
	md("sticky_mine", 01777, 1000, 1000);
	mk("sticky_mine/theirs", 0666, 1001, 1001);
	md("sgid", 02775, 0, 2000);
	md("sgid3000", 02777, 0, 3000);
	md("mvsrc", 0777, 0, 0);
	md("mvsrc/locked", 0555, 1001, 1001);
	md("mvsrc/open", 0777, 1001, 1001);
	md("mvdst", 0777, 0, 0);
}

/* ---- check: as uid 1000 ------------------------------------------------ */

static long open_close(const char *rel, int flags, mode_t mode)
{
	int fd = open(p(rel), flags, mode);
	if (fd >= 0)
		close(fd);
	return fd < 0 ? -1 : 0;
}

static long write_one(const char *rel)
{
	int fd = open(p(rel), O_WRONLY);
	long r = fd < 0 ? -1 : write(fd, "x", 1);
	if (fd >= 0)
		close(fd);
	return r;
}

static long utimes_of(const char *rel, long ns0, long ns1, bool null)
{
	struct timespec ts[2] = {{1, ns0}, {2, ns1}};
	return utimensat(AT_FDCWD, p(rel), null ? NULL : ts, 0);
}

static void check_search(void)
{
	struct stat st;
	say("stat nosearch/f", stat(p("nosearch/f"), &st));
	say("stat nosearch", stat(p("nosearch"), &st));
	say("open searchonly/f", open_close("searchonly/f", O_RDONLY, 0));
	DIR *d = opendir(p("searchonly"));
	say("opendir searchonly", d ? 0 : -1);
	if (d)
		closedir(d);
	say("mkdir nosearch/d", mkdir(p("nosearch/d"), 0755));
	say("chdir nosearch", chdir(p("nosearch")));
	say("chdir searchonly", chdir(p("searchonly")));
	say("access nosearch/f F_OK", access(p("nosearch/f"), F_OK));
}

static void check_rwx(void)
{
	say("create g2000/new", open_close("g2000/new", O_CREAT | O_WRONLY, 0644));
	say("create g3000/new", open_close("g3000/new", O_CREAT | O_WRONLY, 0644));
	say("create ro/new", open_close("ro/new", O_CREAT | O_WRONLY, 0644));
	say("mkdir ro/d", mkdir(p("ro/d"), 0755));
	say("rdwr mine644", open_close("f/mine644", O_RDWR, 0));
	say("read owner_denied", open_close("f/owner_denied", O_RDONLY, 0));
	say("read group_denied", open_close("f/group_denied", O_RDONLY, 0));
	say("read other600", open_close("f/other600", O_RDONLY, 0));
	say("read other604", open_close("f/other604", O_RDONLY, 0));
	say("write other604", open_close("f/other604", O_WRONLY, 0));
	say("trunc other604", open_close("f/other604", O_RDONLY | O_TRUNC, 0));
	say("read grp2000", open_close("f/grp2000", O_RDONLY, 0));
	say("access other604 R", access(p("f/other604"), R_OK));
	say("access other604 W", access(p("f/other604"), W_OK));
	say("access mine644 X", access(p("f/mine644"), X_OK));
	say("eaccess grp2000 R", faccessat(AT_FDCWD, p("f/grp2000"), R_OK,
					   AT_EACCESS));
	say("truncate other604", truncate(p("f/other604"), 0));
}

static void check_sticky(void)
{
	say("unlink sticky/theirs", unlink(p("sticky/theirs")));
	say("rename sticky/theirs", rename(p("sticky/theirs"), p("sticky/x")));
	say("rename over sticky/theirs",
	    rename(p("sticky/mine"), p("sticky/theirs")));
	say("rmdir sticky/theirdir", rmdir(p("sticky/theirdir")));
	say("unlink sticky/mine", unlink(p("sticky/mine")));
	say("unlink sticky_mine/theirs", unlink(p("sticky_mine/theirs")));
	say("rename mvsrc/locked across", rename(p("mvsrc/locked"),
						  p("mvdst/locked")));
	say("rename mvsrc/locked within", rename(p("mvsrc/locked"),
						  p("mvsrc/locked2")));
	say("rename mvsrc/open across", rename(p("mvsrc/open"),
						p("mvdst/open")));
}

static void check_sgid_dirs(void)
{
	say("create sgid/file", open_close("sgid/file", O_CREAT | O_WRONLY, 0644));
	mode_of("sgid/file");
	say("mkdir sgid/sub", mkdir(p("sgid/sub"), 0755));
	mode_of("sgid/sub");
	say("create sgid/x 2775", open_close("sgid/x", O_CREAT | O_WRONLY, 02775));
	mode_of("sgid/x");
	say("create sgid3000/y 2775",
	    open_close("sgid3000/y", O_CREAT | O_WRONLY, 02775));
	mode_of("sgid3000/y");
	say("create sgid3000/z 2765",
	    open_close("sgid3000/z", O_CREAT | O_WRONLY, 02765));
	mode_of("sgid3000/z");
	say("create f/own 2775", open_close("f/own", O_CREAT | O_WRONLY, 06775));
	mode_of("f/own");
}

static void check_kill_privs(void)
{
	static const char *const w[] = {"f/suid_mine", "f/sgid_nox_mine",
					"f/sgid_nox_3000", "f/suid_other",
					"f/root_suid"};
	for (size_t i = 0; i < sizeof w / sizeof *w; i++) {
		char what[64];
		snprintf(what, sizeof what, "write %s", w[i]);
		say(what, write_one(w[i]));
		mode_of(w[i]);
	}
	say("truncate trunc_suid", truncate(p("f/trunc_suid"), 1));
	mode_of("f/trunc_suid");
	say("O_TRUNC otrunc_suid", open_close("f/otrunc_suid", O_WRONLY | O_TRUNC, 0));
	mode_of("f/otrunc_suid");
	int fd = open(p("f/ftrunc_suid"), O_RDWR);
	say("ftruncate ftrunc_suid", ftruncate(fd, 0));
	close(fd);
	mode_of("f/ftrunc_suid");
	/* fallocate, copy_file_range and sendfile into a file write to it */
	fd = open(p("f/falloc_suid"), O_RDWR);
	say("fallocate falloc_suid", fallocate(fd, 0, 0, 4096));
	close(fd);
	mode_of("f/falloc_suid");
	int src = open(p("f/mine644"), O_RDONLY);
	fd = open(p("f/copy_suid"), O_WRONLY);
	say("copy_file_range copy_suid",
	    (int)copy_file_range(src, NULL, fd, NULL, 4, 0));
	close(fd);
	mode_of("f/copy_suid");
	off_t zero = 0;
	fd = open(p("f/sendfile_suid"), O_WRONLY);
	say("sendfile sendfile_suid", (int)sendfile(fd, src, &zero, 4));
	close(fd);
	close(src);
	mode_of("f/sendfile_suid");
}

static void check_chmod_chown(void)
{
	say("chmod other604", chmod(p("f/other604"), 0644));
	say("chmod chmod_mine 2755", chmod(p("f/chmod_mine"), 02755));
	mode_of("f/chmod_mine");
	say("chmod chmod_3000 2755", chmod(p("f/chmod_3000"), 02755));
	mode_of("f/chmod_3000");
	say("chmod chmod_mine 4755", chmod(p("f/chmod_mine"), 04755));
	mode_of("f/chmod_mine");
	say("chown mine to 1001", chown(p("f/chown_mine"), 1001, -1));
	say("chown mine to self", chown(p("f/chown_mine"), 1000, -1));
	say("chgrp mine 2000", chown(p("f/chown_mine"), -1, 2000));
	mode_of("f/chown_mine");
	say("chgrp mine 3000", chown(p("f/chown_mine"), -1, 3000));
	say("chgrp other604 1000", chown(p("f/other604"), -1, 1000));
	say("chown other604 -1 -1", chown(p("f/other604"), -1, -1));
	say("chown chown_suid -1 -1", chown(p("f/chown_suid"), -1, -1));
	mode_of("f/chown_suid");
	say("chgrp chown_sgid 2000", chown(p("f/chown_sgid"), -1, 2000));
	mode_of("f/chown_sgid");
}

static void check_times(void)
{
	say("utimens other666 NULL", utimes_of("f/other666", 0, 0, true));
	say("utimens other666 NOW,NOW",
	    utimes_of("f/other666", UTIME_NOW, UTIME_NOW, false));
	say("utimens other666 NOW,OMIT",
	    utimes_of("f/other666", UTIME_NOW, UTIME_OMIT, false));
	say("utimens other666 given", utimes_of("f/other666", 0, 0, false));
	say("utimens other604 NULL", utimes_of("f/other604", 0, 0, true));
	say("utimens other604 given", utimes_of("f/other604", 0, 0, false));
	say("utimens mine644 given", utimes_of("f/mine644", 0, 0, false));
	struct stat st;
	stat(p("f/mine644"), &st);
	printf("mine644 mtime %ld\n", (long)st.st_mtim.tv_sec);
	int fd = open(p("f/other666"), O_RDWR);
	say("futimens other666 NULL", futimens(fd, NULL));
	close(fd);
}

static void check_id_calls(void)
{
	ids("as user");
	say("setuid 0", setuid(0));
	say("setgid 0", setgid(0));
	say("seteuid 0", seteuid(0));
	say("setgroups 0", setgroups(0, NULL));
	say("setfsuid 0 (old)", setfsuid(0));
	say("setfsuid -1 (now)", setfsuid(-1));
	say("setresuid 1000 x3", setresuid(1000, 1000, 1000));
	say("setreuid -1 1000", setreuid(-1, 1000));
	say("setregid 2000 -1", setregid(2000, -1));
	say("setresgid 1000 1000 1000", setresgid(1000, 1000, 1000));
	ids("after");
}

static void check(void)
{
	umask(0);
	check_search();
	check_rwx();
	check_sticky();
	check_sgid_dirs();
	check_kill_privs();
	check_chmod_chown();
	check_times();
	check_id_calls();
}

/* ---- creds: as root, each part in a child ------------------------------ */

static void groups_part(void)
{
	gid_t set[2] = {2000, 1000}, got[4], big[1] = {0};
	say("setgroups 2000,1000", setgroups(2, set));
	int n = getgroups(4, got);
	printf("getgroups: %d:", n);
	for (int i = 0; i < n; i++)
		printf(" %u", got[i]);
	printf("\n");
	say("getgroups count", getgroups(0, NULL));
	say("getgroups 1", getgroups(1, got));
	say("getgroups -1", syscall(SYS_getgroups, -1, got));
	say("setgroups 65537", syscall(SYS_setgroups, 65537, big));
	say("setgroups -1", syscall(SYS_setgroups, -1, big));
	say("setgroups none", setgroups(0, NULL));
	say("getgroups after", getgroups(0, NULL));
}

static void ids_part(void)
{
	gid_t none[1] = {0};
	say("setgroups 0", setgroups(0, none));
	say("setresgid 1000 1000 2000", setresgid(1000, 1000, 2000));
	say("setresuid 1000 1000 0", setresuid(1000, 1000, 0));
	ids("saved 0");
	say("setresuid -1 0 -1", setresuid(-1, 0, -1));
	ids("euid 0");
	say("setuid 1000", setuid(1000));
	ids("setuid");
	say("setuid 0", setuid(0));
	say("seteuid 0", seteuid(0));
	say("setreuid 0 -1", setreuid(0, -1));
	say("setgroups", setgroups(0, none));
	say("setregid -1 2000", setregid(-1, 2000));
	ids("setregid");
	say("setfsgid 3000 (old)", setfsgid(3000));
	say("setfsgid 1000 (old)", setfsgid(1000));
	say("setfsgid -1 (now)", setfsgid(-1));
	say("setuid -1", setuid(-1));
	say("setreuid 1000 1000", setreuid(1000, 1000));
	ids("end");
}

static void access_part(void)
{
	say("seteuid 1000", setresuid(-1, 1000, -1));
	say("access rootonly", access(p("rootonly"), R_OK));
	say("eaccess rootonly", faccessat(AT_FDCWD, p("rootonly"), R_OK,
					  AT_EACCESS));
	say("faccessat2 eaccess", syscall(SYS_faccessat2, AT_FDCWD,
					   p("rootonly"), R_OK, AT_EACCESS));
	say("open rootonly", open_close("rootonly", O_RDONLY, 0));
	say("back to euid 0", setresuid(-1, 0, -1));
	say("ruid 1000", setresuid(1000, -1, -1));
	say("access rootonly", access(p("rootonly"), R_OK));
	say("eaccess rootonly", faccessat(AT_FDCWD, p("rootonly"), R_OK,
					  AT_EACCESS));
	say("open rootonly", open_close("rootonly", O_RDONLY, 0));
	say("setfsuid 1000 (old)", setfsuid(1000));
	say("open rootonly as fsuid 1000", open_close("rootonly", O_RDONLY, 0));
	say("create as fsuid 1000", open_close("f/fsuid_made", O_CREAT | O_WRONLY,
						 0644));
	mode_of("f/fsuid_made");
	say("setfsuid 0 (old)", setfsuid(0));
	say("open rootonly again", open_close("rootonly", O_RDONLY, 0));
}

static pthread_barrier_t bar;

static void *other_thread(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&bar);
	uid_t r, e, s;
	syscall(SYS_getresuid, &r, &e, &s); /* this thread's own */
	pthread_barrier_wait(&bar);
	printf("other thread: %u %u %u\n", r, e, s);
	return NULL;
}

/* glibc makes every thread call setuid (SIGSETXID) */
static void threads_part(void)
{
	pthread_t t;
	pthread_barrier_init(&bar, NULL, 2);
	pthread_create(&t, NULL, other_thread, NULL);
	say("setgid 1000", setgid(1000));
	say("setuid 1000", setuid(1000));
	pthread_barrier_wait(&bar);
	pthread_barrier_wait(&bar);
	pthread_join(t, NULL);
	ids("main thread");
}

/* /proc/self/status's ids: a cage sees itself whatever its ids */
static void status_ids(void)
{
	char line[256];
	FILE *f = fopen("/proc/self/status", "r");
	if (!f) {
		say("open /proc/self/status", -1);
		return;
	}
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, "Uid:", 4) || !strncmp(line, "Gid:", 4) ||
		    !strncmp(line, "Groups:", 7))
			fputs(line, stdout);
	fclose(f);
}

/* fork keeps the ids, and exec keeps them too */
static void inherit_part(void)
{
	gid_t g[1] = {2000};
	setgroups(1, g);
	setresgid(1000, 1000, 1000);
	setresuid(1000, 1001, 1002);
	pid_t pid = fork();
	if (pid == 0) {
		ids("forked child");
		status_ids();
		fflush(stdout);
		execl(p("prog"), "prog", "ids", (char *)NULL);
		say("execl", -1);
		_exit(1);
	}
	int st;
	waitpid(pid, &st, 0);
	printf("child status %d\n", WEXITSTATUS(st));
}

static void in_child(void (*fn)(void), const char *name)
{
	printf("-- %s\n", name);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		fn();
		fflush(stdout);
		_exit(0);
	}
	int st;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st))
		printf("%s: status %#x\n", name, st);
}

static void creds(void)
{
	umask(0);
	ids("root");
	in_child(groups_part, "groups");
	in_child(ids_part, "ids");
	in_child(access_part, "access");
	in_child(threads_part, "threads");
	in_child(inherit_part, "inherit");
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc == 2 && !strcmp(argv[1], "ids")) {
		ids("exec'd");
		return 0;
	}
	if (argc != 3) {
		fprintf(stderr, "usage: perms_cage setup|check|creds BASE | ids\n");
		return 2;
	}
	base = argv[2];
	if (!strcmp(argv[1], "setup"))
		setup();
	else if (!strcmp(argv[1], "check"))
		check();
	else if (!strcmp(argv[1], "creds"))
		creds();
	else
		return 2;
	return 0;
}
