/* lind-fs's commands that change the virtual filesystem in place: mkdir,
 * rm, mv, ln, chmod, chown.  Every path is virtual (the ':' optional). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "client.h"
#include "lind-fs.h"

static long vsys(long nr, long a0, long a1, long a2, long a3, long a4)
{
	return lind_syscall(nr, a0, a1, a2, a3, a4, 0);
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
		long r = vsys(SYS_mkdirat, AT_FDCWD, (long)path, 0777, 0, 0);
		if (r == -EEXIST && sd_stat(&virt_side, path, &st, 1) == 0)
			r = S_ISDIR(st.st_mode) ? 0 : -ENOTDIR;
		if (r < 0)
			fail(&virt_side, path, r);
		*p = c;
		if (r < 0 || !c)
			return;
	}
}

int cmd_mkdir(int argc, char **argv, const struct opts *o)
{
	attach();
	for (int i = 0; i < argc; i++) {
		char path[PATH_MAX];
		snprintf(path, sizeof path, "%s", vpath(argv[i]));
		long r = 0;
		if (o->on['p'])
			mkdir_parents(path);
		else
			r = vsys(SYS_mkdirat, AT_FDCWD, (long)path, 0777, 0, 0);
		if (r < 0)
			fail(&virt_side, path, r);
	}
	return status;
}

static int rm_any(const char *path, bool recursive, bool force)
{
	struct stat st;
	long r = sd_stat(&virt_side, path, &st, 0);
	if (r == -ENOENT && force)
		return 0;
	if (r < 0)
		return (int)fail(&virt_side, path, r);
	if (!S_ISDIR(st.st_mode))
		r = vsys(SYS_unlinkat, AT_FDCWD, (long)path, 0, 0, 0);
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
		r = vsys(SYS_unlinkat, AT_FDCWD, (long)path, AT_REMOVEDIR, 0,
			 0);
	}
	return r < 0 ? (int)fail(&virt_side, path, r) : 0;
}

int cmd_rm(int argc, char **argv, const struct opts *o)
{
	bool recursive = o->on['r'] || o->on['R'];
	attach();
	for (int i = 0; i < argc; i++) {
		const char *path = vpath(argv[i]);
		if (recursive && path[strspn(path, "/")] == '\0' && *path)
			fail_why(&virt_side, path, "refusing to remove /");
		else
			rm_any(path, recursive, o->on['f']);
	}
	return status;
}

/* The last operand: a directory to put the others into, or (with exactly
 * two operands) the new name. */
static bool into_dir(int argc, char **argv)
{
	struct stat st;
	bool dir = sd_stat(&virt_side, vpath(argv[argc - 1]), &st, 1) == 0 &&
		   S_ISDIR(st.st_mode);
	if (argc > 2 && !dir)
		fail_why(&virt_side, vpath(argv[argc - 1]), "not a directory");
	return dir;
}

/* One source and its new name: 0 or -errno, *blame the path the
 * error is about (to, unless fn says otherwise). */
typedef long each_fn(const char *src, const char *to, const struct opts *o,
		     const char **blame);

/* "SRC... DEST": fn for each SRC with its name in DEST when that is a
 * directory, else (one SRC) with DEST. */
static int each_source(int argc, char **argv, const struct opts *o,
		       each_fn *fn)
{
	attach();
	bool into = into_dir(argc, argv);
	const char *dest = vpath(argv[argc - 1]);
	for (int i = 0; i < argc - 1 && (into || argc == 2); i++) {
		const char *src = vpath(argv[i]), *blame;
		char to[PATH_MAX];
		if (!into)
			snprintf(to, sizeof to, "%s", dest);
		else if (join(to, &virt_side, dest, base_name(src)) < 0)
			continue;
		blame = to;
		long r = fn(src, to, o, &blame);
		if (r < 0)
			fail(&virt_side, blame, r);
	}
	return status;
}

static long mv_one(const char *src, const char *to, const struct opts *o,
		   const char **blame)
{
	(void)o;
	long r = vsys(SYS_renameat2, AT_FDCWD, (long)src, AT_FDCWD, (long)to,
		      0);
	if (r == -ENOENT)
		*blame = src;
	return r;
}

int cmd_mv(int argc, char **argv, const struct opts *o)
{
	return each_source(argc, argv, o, mv_one);
}

/* ln -s stores TARGET as written (a leading ':' dropped); ln makes
 * another name for the virtual file TARGET.  -f replaces LINK. */
static long make_ln(bool sym, const char *target, const char *link)
{
	if (sym)
		return vsys(SYS_symlinkat, (long)target, AT_FDCWD, (long)link,
			    0, 0);
	return vsys(SYS_linkat, AT_FDCWD, (long)target, AT_FDCWD, (long)link,
		    0);
}

static long ln_one(const char *target, const char *link,
		   const struct opts *o, const char **blame)
{
	long r = make_ln(o->on['s'], target, link);
	struct stat st;
	if (r == -EEXIST && o->on['f'] &&
	    sd_stat(&virt_side, link, &st, 0) == 0 && !S_ISDIR(st.st_mode) &&
	    (r = vsys(SYS_unlinkat, AT_FDCWD, (long)link, 0, 0, 0)) == 0)
		r = make_ln(o->on['s'], target, link);
	if (r == -ENOENT && !o->on['s'])
		*blame = target;
	return r;
}

int cmd_ln(int argc, char **argv, const struct opts *o)
{
	return each_source(argc, argv, o, ln_one);
}

/* ---- chmod, chown (-R: each tree, a link's target never) ------------- */

struct change {
	bool recursive;
	/* 0 or -errno for one path (st: its stat, of the link's target when
	 * follow) */
	long (*one)(const struct change *ch, const char *path,
		    const struct stat *st, bool follow);
	const char *mode; /* chmod */
	long uid, gid;    /* chown: -1 keeps */
	bool nofollow;    /* chown -h: a link named is changed itself */
};

/* A link named on the command line is followed (but with -h); links met
 * inside a tree are not. */
static void change_tree(const struct change *ch, const char *path, bool top)
{
	struct stat st;
	bool follow = top && !ch->nofollow;
	long r = sd_stat(&virt_side, path, &st, follow);
	if (r == 0)
		r = ch->one(ch, path, &st, follow);
	if (r < 0) {
		fail(&virt_side, path, r);
		return;
	}
	if (!ch->recursive || !S_ISDIR(st.st_mode))
		return;
	char **names = list_dir(&virt_side, path);
	char child[PATH_MAX];
	for (char **p = names; p && *p; p++)
		if (join(child, &virt_side, path, *p) == 0)
			change_tree(ch, child, false);
	if (names)
		free_names(names);
}

/* Symbolic modes: [ugoa]*[+-=][rwxXst]*, comma-separated, as chmod(1)
 * without the umask; or octal.  -1 when spec is not a mode. */
static long clause(const char *c, long mode, bool dir)
{
	unsigned who = 0;
	for (; strchr("ugoa", *c) && *c; c++)
		who |= *c == 'u' ? 04700 : *c == 'g' ? 02070
		     : *c == 'o' ? 01007 : 07777;
	if (!who)
		who = 07777;
	if (!*c)
		return -1;
	while (*c) {
		char op = *c++;
		if (!strchr("+-=", op) || !op)
			return -1;
		unsigned bits = 0;
		for (; *c && strchr("rwxXst", *c); c++)
			bits |= *c == 'r' ? 0444 : *c == 'w' ? 0222
			      : *c == 'x' ? 0111 : *c == 's' ? 06000
			      : *c == 't' ? 01000
			      : (dir || (mode & 0111)) ? 0111 : 0;
		bits &= who;
		mode = op == '+' ? mode | bits
		     : op == '-' ? mode & ~(long)bits
				 : (mode & ~(long)(who & 07777)) | bits;
	}
	return mode;
}

static long new_mode(const char *spec, long mode, bool dir)
{
	char *end;
	long oct = strtol(spec, &end, 8);
	if (*spec >= '0' && *spec <= '7' && !*end)
		return oct <= 07777 ? oct : -1;
	char buf[256];
	snprintf(buf, sizeof buf, "%s", spec);
	for (char *save, *c = strtok_r(buf, ",", &save); c;
	     c = strtok_r(NULL, ",", &save))
		if ((mode = clause(c, mode, dir)) < 0)
			return -1;
	return *spec && spec[strlen(spec) - 1] != ',' ? mode : -1;
}

static long chmod_one(const struct change *ch, const char *path,
		      const struct stat *st, bool follow)
{
	(void)follow;
	if (S_ISLNK(st->st_mode))
		return 0; /* chmod -R leaves links alone, as chmod(1) */
	long mode = new_mode(ch->mode, st->st_mode & 07777,
			     S_ISDIR(st->st_mode));
	return vsys(SYS_fchmodat, AT_FDCWD, (long)path, mode, 0, 0);
}

int cmd_chmod(int argc, char **argv, const struct opts *o)
{
	struct change ch = {o->on['R'], chmod_one, argv[0], -1, -1, false};
	if (new_mode(argv[0], 0, false) < 0)
		usage_error("'%s' is not a mode (octal, or like u+x,go-w)",
			    argv[0]);
	attach();
	for (int i = 1; i < argc; i++)
		change_tree(&ch, vpath(argv[i]), true);
	return status;
}

/* A user or group id: a number, or a host name (cages run with the
 * host's ids); -1 when there is none. */
static long id_of(const char *s, bool group)
{
	char *end;
	long n = strtol(s, &end, 10);
	if (*s && !*end && n >= 0 && n <= 0xfffffffeL)
		return n;
	if (group) {
		struct group *g = getgrnam(s);
		return g ? (long)g->gr_gid : -1;
	}
	struct passwd *p = getpwnam(s);
	return p ? (long)p->pw_uid : -1;
}

static long chown_one(const struct change *ch, const char *path,
		      const struct stat *st, bool follow)
{
	(void)st;
	return vsys(SYS_fchownat, AT_FDCWD, (long)path, ch->uid, ch->gid,
		    follow ? 0 : AT_SYMLINK_NOFOLLOW);
}

int cmd_chown(int argc, char **argv, const struct opts *o)
{
	char spec[256];
	snprintf(spec, sizeof spec, "%s", argv[0]);
	char *colon = strchr(spec, ':');
	if (colon)
		*colon++ = '\0';
	struct change ch = {o->on['R'], chown_one, NULL, -1, -1, o->on['h']};
	if (*spec && (ch.uid = id_of(spec, false)) < 0)
		usage_error("no user '%s'", spec);
	if (colon && *colon && (ch.gid = id_of(colon, true)) < 0)
		usage_error("no group '%s'", colon);
	if (!*spec && !(colon && *colon))
		usage_error("'%s' names no owner and no group", argv[0]);
	attach();
	for (int i = 1; i < argc; i++)
		change_tree(&ch, vpath(argv[i]), true);
	return status;
}
