/* lind-fs's commands that read the virtual filesystem: ls, cat, stat, du,
 * df.  Owners are shown as numbers: the virtual filesystem's ids, which
 * the host's user names need not match. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "client.h"
#include "lind-fs.h"

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

/* A link's target into target (PATH_MAX); "" for anything else. */
static void link_target(const char *path, const struct stat *st,
			char *target)
{
	long n = -EINVAL;
	if (S_ISLNK(st->st_mode))
		n = lind_syscall(SYS_readlinkat, AT_FDCWD, (long)path,
				 (long)target, PATH_MAX - 1, 0, 0);
	target[n > 0 ? n : 0] = '\0';
}

/* ls -l's line: long-iso time; a device's major, minor for its size. */
static void print_long(const char *path, const char *shown,
		       const struct stat *st)
{
	char m[11], when[32], target[PATH_MAX], size[32];
	mode_string(st->st_mode, m);
	struct tm tm;
	time_t t = st->st_mtim.tv_sec;
	strftime(when, sizeof when, "%Y-%m-%d %H:%M", localtime_r(&t, &tm));
	link_target(path, st, target);
	if (S_ISCHR(st->st_mode) || S_ISBLK(st->st_mode))
		snprintf(size, sizeof size, "%u, %u", major(st->st_rdev),
			 minor(st->st_rdev));
	else
		snprintf(size, sizeof size, "%lld", (long long)st->st_size);
	printf("%s %lu %u %u %s %s %s%s%s\n", m, (unsigned long)st->st_nlink,
	       st->st_uid, st->st_gid, size, when, shown,
	       *target ? " -> " : "", target);
}

static void ls_one(const char *path, const char *shown, bool lng,
		   const struct stat *st)
{
	if (lng)
		print_long(path, shown, st);
	else
		printf("%s\n", shown);
}

static void ls_dir(const char *path, bool lng, bool all)
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

int cmd_ls(int argc, char **argv, const struct opts *o)
{
	char *root[] = {"/"};
	if (!argc) {
		argc = 1;
		argv = root;
	}
	attach();
	for (int i = 0; i < argc; i++) {
		const char *path = vpath(argv[i]);
		struct stat st;
		long r = sd_stat(&virt_side, path, &st, 0);
		if (r < 0) {
			fail(&virt_side, path, r);
		} else if (S_ISDIR(st.st_mode) && !o->on['d']) {
			if (argc > 1)
				printf("%s%s:\n", i ? "\n" : "", path);
			ls_dir(path, o->on['l'], o->on['a']);
		} else {
			ls_one(path, path, o->on['l'], &st);
		}
	}
	return status;
}

int cmd_cat(int argc, char **argv, const struct opts *o)
{
	(void)o;
	attach();
	for (int i = 0; i < argc; i++) {
		const char *path = vpath(argv[i]);
		long fd = sd_open(&virt_side, path, O_RDONLY, 0);
		if (fd < 0) {
			fail(&virt_side, path, fd);
			continue;
		}
		fflush(stdout);
		copy_data(&virt_side, path, fd, &host_side, "(stdout)", 1);
		sd_close(&virt_side, fd);
	}
	return status;
}

/* ---- stat ------------------------------------------------------------ */

static const char *type_name(const struct stat *st)
{
	switch (st->st_mode & S_IFMT) {
	case S_IFREG:
		return st->st_size ? "regular file" : "regular empty file";
	case S_IFDIR:
		return "directory";
	case S_IFLNK:
		return "symbolic link";
	case S_IFIFO:
		return "fifo";
	case S_IFCHR:
		return "character special file";
	case S_IFBLK:
		return "block special file";
	default:
		return "socket";
	}
}

/* stat(1)'s %x: local time with nanoseconds and the zone's offset. */
static void human_time(struct timespec ts)
{
	char day[64], zone[16];
	struct tm tm;
	localtime_r(&ts.tv_sec, &tm);
	strftime(day, sizeof day, "%Y-%m-%d %H:%M:%S", &tm);
	strftime(zone, sizeof zone, "%z", &tm);
	printf("%s.%09ld %s", day, ts.tv_nsec, zone);
}

/* One %-directive of stat -c; false for an unknown one. */
static bool directive(char c, const char *path, const struct stat *st)
{
	char m[11], target[PATH_MAX];
	switch (c) {
	case 'a': printf("%o", st->st_mode & 07777); break;
	case 'A': mode_string(st->st_mode, m); fputs(m, stdout); break;
	case 'b': printf("%lld", (long long)st->st_blocks); break;
	case 'F': fputs(type_name(st), stdout); break;
	case 'g': printf("%u", st->st_gid); break;
	case 'h': printf("%lu", (unsigned long)st->st_nlink); break;
	case 'i': printf("%llu", (unsigned long long)st->st_ino); break;
	case 'n': fputs(path, stdout); break;
	case 'N':
		link_target(path, st, target);
		printf("'%s'%s%s%s", path, *target ? " -> '" : "", target,
		       *target ? "'" : "");
		break;
	case 's': printf("%lld", (long long)st->st_size); break;
	case 'u': printf("%u", st->st_uid); break;
	case 'X': printf("%lld", (long long)st->st_atim.tv_sec); break;
	case 'Y': printf("%lld", (long long)st->st_mtim.tv_sec); break;
	case 'Z': printf("%lld", (long long)st->st_ctim.tv_sec); break;
	case 'x': human_time(st->st_atim); break;
	case 'y': human_time(st->st_mtim); break;
	case 'z': human_time(st->st_ctim); break;
	case '%': putchar('%'); break;
	default: return false;
	}
	return true;
}

static void stat_format(const char *fmt, const char *path,
			const struct stat *st)
{
	for (const char *p = fmt; *p; p++) {
		if (*p != '%' || !p[1])
			putchar(*p);
		else if (!directive(*++p, path, st))
			printf("?%c", *p); /* validated before: not reached */
	}
	putchar('\n');
}

static const char default_format[] =
	"  File: %N\n  Size: %s\tBlocks: %b\t%F\n"
	"Inode: %i\tLinks: %h\n"
	"Access: (0%a/%A)  Uid: %u  Gid: %g\n"
	"Access: %x\nModify: %y\nChange: %z";

int cmd_stat(int argc, char **argv, const struct opts *o)
{
	const char *fmt = o->on['c'] ? o->arg['c'] : default_format;
	for (const char *p = fmt; *p; p++)
		if (*p == '%' && p[1] && !strchr("aAbFghinNsuXYZxyz%", *++p))
			usage_error("unknown directive '%%%c' in the format",
				    *p);
	attach();
	for (int i = 0; i < argc; i++) {
		const char *path = vpath(argv[i]);
		struct stat st;
		long r = sd_stat(&virt_side, path, &st, o->on['L']);
		if (r < 0)
			fail(&virt_side, path, r);
		else
			stat_format(fmt, path, &st);
	}
	return status;
}

/* ---- du, df ---------------------------------------------------------- */

static void print_size(unsigned long long kib, bool human)
{
	const char *unit = "KMGTP";
	if (!human) {
		printf("%llu", kib);
		return;
	}
	double v = (double)kib;
	int u = 0;
	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	printf(v < 10 && u ? "%.1f%c" : "%.0f%c", v, unit[u]);
}

/* Inodes already counted (hard links count once, as du does); the
 * filesystem du stays on. */
struct du {
	bool summary, human;
	dev_t dev;
	ino_t *seen;
	size_t nseen, cap;
};

static bool du_seen(struct du *d, const struct stat *st)
{
	if (S_ISDIR(st->st_mode) || st->st_nlink < 2)
		return false;
	for (size_t i = 0; i < d->nseen; i++)
		if (d->seen[i] == st->st_ino)
			return true;
	if (d->nseen == d->cap) {
		d->cap = d->cap ? d->cap * 2 : 64;
		if (!(d->seen = realloc(d->seen, d->cap * sizeof *d->seen))) {
			fprintf(stderr, "lind-fs: du: out of memory\n");
			exit(1);
		}
	}
	d->seen[d->nseen++] = st->st_ino;
	return false;
}

/* KiB under path; each directory printed unless -s.  Like du -x, it
 * stays on the store: /proc and host binds are not its disk use. */
static unsigned long long du_tree(struct du *d, const char *path, int top)
{
	struct stat st;
	long r = sd_stat(&virt_side, path, &st, top);
	if (r < 0)
		return fail(&virt_side, path, r), 0;
	if (top)
		d->dev = st.st_dev;
	if (st.st_dev != d->dev || du_seen(d, &st))
		return 0;
	unsigned long long kib = ((unsigned long long)st.st_blocks + 1) / 2;
	char **names = S_ISDIR(st.st_mode) ? list_dir(&virt_side, path) : NULL;
	char child[PATH_MAX];
	for (char **p = names; p && *p; p++)
		if (join(child, &virt_side, path, *p) == 0)
			kib += du_tree(d, child, 0);
	if (names)
		free_names(names);
	if (top || (S_ISDIR(st.st_mode) && !d->summary)) {
		print_size(kib, d->human);
		printf("\t%s\n", path);
	}
	return kib;
}

int cmd_du(int argc, char **argv, const struct opts *o)
{
	struct du d = {o->on['s'], o->on['h'], 0, NULL, 0, 0};
	char *root[] = {"/"};
	if (!argc) {
		argc = 1;
		argv = root;
	}
	attach();
	for (int i = 0; i < argc; i++)
		du_tree(&d, vpath(argv[i]), 1);
	free(d.seen);
	return status;
}

/* The store's filesystem as the server reports it (statfs of /). */
int cmd_df(int argc, char **argv, const struct opts *o)
{
	if (argc)
		usage_error("takes no path: the store is one filesystem ('%s')",
			    argv[0]);
	attach();
	struct statfs sf;
	long r = lind_syscall(SYS_statfs, (long)"/", (long)&sf, 0, 0, 0, 0);
	if (r < 0) {
		fail(&virt_side, "/", r);
		return status;
	}
	unsigned long long k = (unsigned long long)sf.f_bsize / 512;
	unsigned long long size = sf.f_blocks * k / 2,
			   used = (sf.f_blocks - sf.f_bfree) * k / 2,
			   avail = sf.f_bavail * k / 2;
	unsigned pct = used + avail
			       ? (unsigned)((used * 100 + used + avail - 1) /
					    (used + avail))
			       : 0;
	printf("Filesystem %s Used Available Use%% Mounted on\nlind-store ",
	       o->on['h'] ? "Size" : "1K-blocks");
	print_size(size, o->on['h']);
	putchar(' ');
	print_size(used, o->on['h']);
	putchar(' ');
	print_size(avail, o->on['h']);
	printf(" %u%% /\n", pct);
	return status;
}
