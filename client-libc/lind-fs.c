/*
 * lind-fs: put files into the virtual filesystem and get them out, through
 * the running server, so cages see the result at once.  It attaches as a
 * cage of the user's own (attach.c, lind_tool_attach) but installs no
 * filter: host calls reach the host (lind_host6), virtual ones go through
 * the channel (lind_syscall), and the server checks them as any cage's
 * calls of that user.  Both sides speak Linux call numbers, so every
 * operation below is written once, for a `side`.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "boot.h"
#include "client.h"

struct side {
	long (*sys)(long nr, long a0, long a1, long a2, long a3, long a4,
		    long a5);
	const char *prefix; /* how a path of this side is written */
};

static long host_sys(long nr, long a0, long a1, long a2, long a3, long a4,
		     long a5)
{
	return lind_host6(nr, a0, a1, a2, a3, a4, a5);
}

static const struct side host_side = {host_sys, ""};
static const struct side virt_side = {lind_syscall, ":"};

static const char *cmd = "lind-fs"; /* the command, for messages */
static int status;                    /* 1 once any path failed */

/* One line naming the path and the reason; the command goes on with the
 * next path and exits 1. */
static long fail_why(const struct side *sd, const char *path, const char *why)
{
	fprintf(stderr, "lind-fs: %s: %s%s: %s\n", cmd, sd->prefix, path, why);
	status = 1;
	return -1;
}

static long fail(const struct side *sd, const char *path, long err)
{
	return fail_why(sd, path, strerror((int)-err));
}

__attribute__((noreturn, format(printf, 1, 2))) static void
usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lind-fs: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (lind-fs --help)\n");
	va_end(ap);
	exit(2);
}

static long sd_stat(const struct side *sd, const char *path, struct stat *st,
		    int follow)
{
	return sd->sys(SYS_newfstatat, AT_FDCWD, (long)path, (long)st,
		       follow ? 0 : AT_SYMLINK_NOFOLLOW, 0, 0);
}

static long sd_open(const struct side *sd, const char *path, int flags,
		    mode_t mode)
{
	return sd->sys(SYS_openat, AT_FDCWD, (long)path, flags | O_CLOEXEC,
		       mode, 0, 0);
}

static void sd_close(const struct side *sd, long fd)
{
	sd->sys(SYS_close, fd, 0, 0, 0, 0, 0);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The entries of directory path but . and .., sorted; NULL-terminated,
 * one malloc'd block each (free_names).  NULL after a message. */
static char **list_dir(const struct side *sd, const char *path)
{
	long fd = sd_open(sd, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fail(sd, path, fd), NULL;
	static char buf[32768];
	char **names = NULL;
	size_t n = 0;
	long got;
	while ((got = sd->sys(SYS_getdents64, fd, (long)buf, sizeof buf, 0, 0,
			      0)) > 0) {
		for (long off = 0; off < got;) {
			unsigned short reclen;
			memcpy(&reclen, buf + off + 16, sizeof reclen);
			const char *name = buf + off + 19;
			off += reclen;
			if (!strcmp(name, ".") || !strcmp(name, ".."))
				continue;
			char **grown = realloc(names, (n + 2) * sizeof *names);
			if (!grown || !(grown[n] = strdup(name))) {
				perror("lind-fs");
				exit(1);
			}
			names = grown;
			n++;
		}
	}
	sd_close(sd, fd);
	if (got < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return fail(sd, path, got), NULL;
	}
	if (!names && !(names = malloc(sizeof *names)))
		exit(1);
	names[n] = NULL;
	qsort(names, n, sizeof *names, by_name);
	return names;
}

static void free_names(char **names)
{
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

/* dir/name into out; -1 after a message when it is too long. */
static int join(char *out, const struct side *sd, const char *dir,
		const char *name)
{
	size_t d = strlen(dir);
	int slash = d && dir[d - 1] != '/';
	int n = snprintf(out, PATH_MAX, "%s%s%s", dir, slash ? "/" : "", name);
	if (n < 0 || n >= PATH_MAX)
		return (int)fail(sd, name, -ENAMETOOLONG);
	return 0;
}

/* ---- cp ------------------------------------------------------------ */

struct copy {
	const struct side *from, *to;
	int recursive;
};

static int copy_any(const struct copy *cp, const char *src, const char *dst,
		    int top);

static int copy_data(const struct copy *cp, const char *src, long in,
		     const char *dst, long out)
{
	static char buf[LIND_MAX_IO];
	long n;
	while ((n = cp->from->sys(SYS_read, in, (long)buf, sizeof buf, 0, 0,
				  0)) > 0) {
		for (long done = 0; done < n;) {
			long w = cp->to->sys(SYS_write, out, (long)buf + done,
					     n - done, 0, 0, 0);
			if (w <= 0)
				return (int)fail(cp->to, dst, w ? w : -EIO);
			done += w;
		}
	}
	return n < 0 ? (int)fail(cp->from, src, n) : 0;
}

static int copy_file(const struct copy *cp, const char *src, const char *dst,
		     mode_t mode)
{
	long in = sd_open(cp->from, src, O_RDONLY, 0);
	if (in < 0)
		return (int)fail(cp->from, src, in);
	long out = sd_open(cp->to, dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0) {
		sd_close(cp->from, in);
		return (int)fail(cp->to, dst, out);
	}
	int rc = copy_data(cp, src, in, dst, out);
	long r = cp->to->sys(SYS_fchmod, out, mode & 07777, 0, 0, 0, 0);
	if (rc == 0 && r < 0)
		rc = (int)fail(cp->to, dst, r);
	sd_close(cp->from, in);
	sd_close(cp->to, out);
	return rc;
}

/* The tree under src into dst (made if missing); its mode is given last,
 * so a read-only directory is filled first. */
static int copy_dir(const struct copy *cp, const char *src, const char *dst,
		    mode_t mode)
{
	struct stat st;
	long r = cp->to->sys(SYS_mkdirat, AT_FDCWD, (long)dst, 0700, 0, 0, 0);
	if (r == -EEXIST && sd_stat(cp->to, dst, &st, 1) == 0 &&
	    S_ISDIR(st.st_mode))
		r = 0;
	if (r < 0)
		return (int)fail(cp->to, dst, r);
	char **names = list_dir(cp->from, src);
	if (!names)
		return -1;
	int rc = 0;
	char s[PATH_MAX], d[PATH_MAX];
	for (char **p = names; *p; p++) {
		if (join(s, cp->from, src, *p) < 0 || join(d, cp->to, dst, *p) < 0 ||
		    copy_any(cp, s, d, 0) < 0)
			rc = -1;
	}
	free_names(names);
	r = cp->to->sys(SYS_fchmodat, AT_FDCWD, (long)dst, mode & 07777, 0, 0,
			0);
	return r < 0 ? (int)fail(cp->to, dst, r) : rc;
}

static int copy_link(const struct copy *cp, const char *src, const char *dst)
{
	char target[PATH_MAX];
	long n = cp->from->sys(SYS_readlinkat, AT_FDCWD, (long)src,
			       (long)target, sizeof target - 1, 0, 0);
	if (n < 0)
		return (int)fail(cp->from, src, n);
	target[n] = '\0';
	long r = cp->to->sys(SYS_symlinkat, (long)target, AT_FDCWD, (long)dst,
			     0, 0, 0);
	return r < 0 ? (int)fail(cp->to, dst, r) : 0;
}

/* Symlinks named on the command line are followed without -r, as cp
 * does; inside a tree they are copied as links. */
static int copy_any(const struct copy *cp, const char *src, const char *dst,
		    int top)
{
	struct stat st;
	long r = sd_stat(cp->from, src, &st, top && !cp->recursive);
	if (r < 0)
		return (int)fail(cp->from, src, r);
	if (S_ISREG(st.st_mode))
		return copy_file(cp, src, dst, st.st_mode);
	if (S_ISDIR(st.st_mode) && cp->recursive)
		return copy_dir(cp, src, dst, st.st_mode);
	if (S_ISDIR(st.st_mode))
		return (int)fail_why(cp->from, src,
				     "is a directory (cp -r copies trees)");
	if (S_ISLNK(st.st_mode))
		return copy_link(cp, src, dst);
	return (int)fail_why(cp->from, src,
			     "not a regular file, directory or symlink");
}

static const char *base_name(const char *path)
{
	static char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	size_t n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	const char *b = strrchr(buf, '/');
	return b && b[1] ? b + 1 : buf;
}

static int is_virtual(const char *arg)
{
	return arg[0] == ':';
}

static int cmd_cp(int argc, char **argv, int recursive)
{
	if (argc < 2)
		usage_error("needs a source and a destination");
	const char *dest = argv[argc - 1];
	struct copy cp = {is_virtual(dest) ? &host_side : &virt_side,
			  is_virtual(dest) ? &virt_side : &host_side,
			  recursive};
	for (int i = 0; i < argc - 1; i++)
		if (is_virtual(argv[i]) == is_virtual(dest))
			usage_error("'%s' and '%s': one side must be host, the "
				    "other virtual (':' prefix)", argv[i], dest);
	if (!dest[1] && is_virtual(dest))
		usage_error("':' names no virtual path");
	lind_tool_attach((char *[]){"lind-fs", "cp", NULL});
	if (is_virtual(dest))
		dest++;
	struct stat st;
	int into = sd_stat(cp.to, dest, &st, 1) == 0 && S_ISDIR(st.st_mode);
	if (argc > 2 && !into) {
		fail_why(cp.to, dest, "not a directory");
		return status;
	}
	for (int i = 0; i < argc - 1; i++) {
		const char *src = argv[i] + is_virtual(argv[i]);
		char d[PATH_MAX];
		if (into && join(d, cp.to, dest, base_name(src)) < 0)
			continue;
		copy_any(&cp, src, into ? d : dest, 1);
	}
	return status;
}

/* ---- ls, cat, mkdir, rm: the virtual side only ----------------------- */

static void mode_string(mode_t m, char out[11])
{
	const char *rwx = "rwxrwxrwx";
	out[0] = S_ISDIR(m) ? 'd' : S_ISLNK(m) ? 'l' : S_ISFIFO(m) ? 'p'
	       : S_ISCHR(m) ? 'c' : S_ISBLK(m) ? 'b' : S_ISSOCK(m) ? 's' : '-';
	for (int i = 0; i < 9; i++)
		out[1 + i] = m & (1u << (8 - i)) ? rwx[i] : '-';
	if (m & S_ISUID)
		out[3] = m & S_IXUSR ? 's' : 'S';
	if (m & S_ISGID)
		out[6] = m & S_IXGRP ? 's' : 'S';
	if (m & S_ISVTX)
		out[9] = m & S_IXOTH ? 't' : 'T';
	out[10] = '\0';
}

/* ls -l's line: numeric owner and group (the virtual filesystem's ids,
 * which the host's user names need not match), long-iso time. */
static void print_long(const char *path, const char *shown,
		       const struct stat *st)
{
	char m[11], when[32], target[PATH_MAX] = "";
	mode_string(st->st_mode, m);
	struct tm tm;
	time_t t = st->st_mtim.tv_sec;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
	if (S_ISLNK(st->st_mode)) {
		long n = lind_syscall(SYS_readlinkat, AT_FDCWD, (long)path,
				      (long)target, sizeof target - 1, 0, 0);
		target[n > 0 ? n : 0] = '\0';
	}
	printf("%s %lu %u %u %lld %s %s%s%s\n", m, (unsigned long)st->st_nlink,
	       st->st_uid, st->st_gid, (long long)st->st_size, when, shown,
	       *target ? " -> " : "", target);
}

static void ls_one(const char *path, const char *shown, int lng,
		   const struct stat *st)
{
	if (lng)
		print_long(path, shown, st);
	else
		printf("%s\n", shown);
}

static void ls_dir(const char *path, int lng, int all)
{
	char **names = list_dir(&virt_side, path);
	if (!names)
		return;
	char child[PATH_MAX];
	struct stat st;
	for (char **p = names; *p; p++) {
		if (**p == '.' && !all)
			continue;
		if (join(child, &virt_side, path, *p) < 0)
			continue;
		long r = sd_stat(&virt_side, child, &st, 0);
		if (r < 0)
			fail(&virt_side, child, r);
		else
			ls_one(child, *p, lng, &st);
	}
	free_names(names);
}

static int cmd_ls(int argc, char **argv, int lng, int all)
{
	char *root[] = {"/"};
	if (!argc) {
		argc = 1;
		argv = root;
	}
	for (int i = 0; i < argc; i++) {
		const char *path = argv[i] + is_virtual(argv[i]);
		struct stat st;
		long r = sd_stat(&virt_side, path, &st, 0);
		if (r < 0) {
			fail(&virt_side, path, r);
		} else if (S_ISDIR(st.st_mode)) {
			if (argc > 1)
				printf("%s:%s:\n", i ? "\n" : "", path);
			ls_dir(path, lng, all);
		} else {
			ls_one(path, path, lng, &st);
		}
	}
	return status;
}

static int cmd_cat(int argc, char **argv)
{
	struct copy cp = {&virt_side, &host_side, 0};
	for (int i = 0; i < argc; i++) {
		const char *path = argv[i] + is_virtual(argv[i]);
		long fd = sd_open(&virt_side, path, O_RDONLY, 0);
		if (fd < 0) {
			fail(&virt_side, path, fd);
			continue;
		}
		fflush(stdout);
		copy_data(&cp, path, fd, "(stdout)", 1);
		sd_close(&virt_side, fd);
	}
	return status;
}

/* mkdir -p: every missing component, each an existing directory or new;
 * an error names the component that failed. */
static void mkdir_parents(char *path)
{
	if (!*path) {
		fail(&virt_side, path, -ENOENT);
		return;
	}
	for (char *p = path + 1;; p++) {
		if (*p && *p != '/')
			continue;
		char c = *p;
		*p = '\0';
		struct stat st;
		long r = lind_syscall(SYS_mkdirat, AT_FDCWD, (long)path, 0777,
				      0, 0, 0);
		if (r == -EEXIST && sd_stat(&virt_side, path, &st, 1) == 0)
			r = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
		if (r < 0)
			fail(&virt_side, path, r);
		*p = c;
		if (r < 0 || !c)
			return;
	}
}

static int cmd_mkdir(int argc, char **argv, int parents)
{
	for (int i = 0; i < argc; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s", argv[i] + is_virtual(argv[i]));
		long r = 0;
		if (parents)
			mkdir_parents(path);
		else
			r = lind_syscall(SYS_mkdirat, AT_FDCWD, (long)path,
					 0777, 0, 0, 0);
		if (r < 0)
			fail(&virt_side, path, r);
	}
	return status;
}

static int rm_any(const char *path, int recursive, int force)
{
	struct stat st;
	long r = sd_stat(&virt_side, path, &st, 0);
	if (r == -ENOENT && force)
		return 0;
	if (r < 0)
		return (int)fail(&virt_side, path, r);
	if (!S_ISDIR(st.st_mode))
		r = lind_syscall(SYS_unlinkat, AT_FDCWD, (long)path, 0, 0, 0, 0);
	else if (!recursive)
		return (int)fail(&virt_side, path, -EISDIR);
	else {
		char **names = list_dir(&virt_side, path);
		if (!names)
			return -1;
		char child[PATH_MAX];
		for (char **p = names; *p; p++)
			if (join(child, &virt_side, path, *p) == 0)
				rm_any(child, recursive, force);
		free_names(names);
		r = lind_syscall(SYS_unlinkat, AT_FDCWD, (long)path,
				 AT_REMOVEDIR, 0, 0, 0);
	}
	return r < 0 ? (int)fail(&virt_side, path, r) : 0;
}

static int cmd_rm(int argc, char **argv, int recursive, int force)
{
	for (int i = 0; i < argc; i++) {
		const char *path = argv[i] + is_virtual(argv[i]);
		if (recursive && path[strspn(path, "/")] == '\0' && *path)
			fail_why(&virt_side, path, "refusing to remove /");
		else
			rm_any(path, recursive, force);
	}
	return status;
}

/* ---- command line ---------------------------------------------------- */

static const char usage[] =
	"usage: lind-fs [--runtime-dir DIR] COMMAND [OPTIONS] PATH...\n"
	"Works through the running nacl-relay and posix-server (the\n"
	"LIND_RUNTIME_DIR ones), so cages see the result at once; the\n"
	"virtual side is a cage of yours: the server's permission checks\n"
	"apply to it.  Virtual paths start with ':' (:/usr/bin), host\n"
	"paths do not.\n"
	"  cp [-r] SRC... DEST   copy host -> virtual or virtual -> host (one\n"
	"                        side each); modes kept; -r: trees (symlinks\n"
	"                        inside copied as links); DEST an existing\n"
	"                        directory: copied into it\n"
	"  ls [-l] [-a] [PATH...] list (-l: mode, links, uid, gid, size,\n"
	"                        mtime, name; -a: names starting with '.')\n"
	"  cat PATH...           virtual files to stdout\n"
	"  mkdir [-p] PATH...    make directories (-p: parents, existing ok)\n"
	"  rm [-r] [-f] PATH...  remove (-r: trees; -f: missing is fine)\n"
	"ls, cat, mkdir and rm act on the virtual filesystem only; the ':' is\n"
	"optional there.  Exit: 0; 1 if any path failed (one line each:\n"
	"lind-fs: COMMAND: PATH: reason); 2 for a bad command line; 127\n"
	"without a relay.\n";

/* Options of a command from spec; flags[i] set for spec[i].  Returns
 * the index of the first operand. */
static int options(int argc, char **argv, const char *spec, int *flags)
{
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt(argc, argv, spec)) != -1) {
		const char *at = c == '?' ? NULL : strchr(spec, c);
		if (!at)
			usage_error("unknown option '-%c'", optopt);
		flags[at - spec - 1] = 1; /* spec[0] is '+' */
	}
	return optind;
}

static int need_operands(int n)
{
	if (n < 1)
		usage_error("needs a path");
	return n;
}

int main(int argc, char **argv)
{
	if (argc > 2 && !strcmp(argv[1], "--runtime-dir")) {
		setenv("LIND_RUNTIME_DIR", argv[2], 1); /* read by attach.c */
		argc -= 2;
		argv += 2;
	}
	if (argc < 2)
		usage_error("needs a command");
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		fputs(usage, stdout);
		return 0;
	}
	cmd = argv[1];
	argc--;
	argv++;
	int f[3] = {0, 0, 0};
	if (!strcmp(cmd, "cp")) {
		int i = options(argc, argv, "+r", f);
		return cmd_cp(argc - i, argv + i, f[0]);
	}
	int i;
	if (!strcmp(cmd, "ls"))
		i = options(argc, argv, "+la", f);
	else if (!strcmp(cmd, "cat"))
		i = options(argc, argv, "+", f);
	else if (!strcmp(cmd, "mkdir"))
		i = options(argc, argv, "+p", f);
	else if (!strcmp(cmd, "rm"))
		i = options(argc, argv, "+rf", f);
	else
		usage_error("unknown command (cp, ls, cat, mkdir, rm)");
	if (strcmp(cmd, "ls"))
		need_operands(argc - i);
	lind_tool_attach((char *[]){"lind-fs", (char *)cmd, NULL});
	if (!strcmp(cmd, "ls"))
		return cmd_ls(argc - i, argv + i, f[0], f[1]);
	if (!strcmp(cmd, "cat"))
		return cmd_cat(argc - i, argv + i);
	if (!strcmp(cmd, "mkdir"))
		return cmd_mkdir(argc - i, argv + i, f[0]);
	return cmd_rm(argc - i, argv + i, f[0], f[1]);
}
