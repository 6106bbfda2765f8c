/*
 * lind-fs cp: host -> virtual, virtual -> host and virtual -> virtual,
 * written once for a pair of sides.  -a keeps what cp -a keeps: modes,
 * owners (where the copier may give them), atime and mtime, symlinks as
 * links, hard links as links (sources remembered by device and inode),
 * FIFOs and device nodes as nodes; so a tree copied in and out again is
 * the same tree.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "lind-fs.h"

/* A source with more than one link, and where its first copy went. */
struct seen {
	const struct side *from;
	dev_t dev;
	ino_t ino;
	char *dst;
};

struct copy {
	const struct side *from, *to;
	const struct cp_opts *o;
	struct seen *seen;
	size_t nseen, capseen;
};

static int copy_any(struct copy *cp, const char *src, const char *dst,
		    int top);

static long to_sys(const struct copy *cp, long nr, long a0, long a1,
		   long a2, long a3)
{
	return cp->to->sys(nr, a0, a1, a2, a3, 0, 0);
}

static int copy_file(struct copy *cp, const char *src, const char *dst)
{
	long in = sd_open(cp->from, src, O_RDONLY, 0);
	if (in < 0)
		return (int)fail(cp->from, src, in);
	long out = sd_open(cp->to, dst, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (out < 0) {
		sd_close(cp->from, in);
		return (int)fail(cp->to, dst, out);
	}
	int rc = copy_data(cp->from, src, in, cp->to, dst, out);
	sd_close(cp->from, in);
	sd_close(cp->to, out);
	return rc;
}

/* The tree under src into dst (made if missing); the caller gives it its
 * mode last, so a read-only directory is filled first. */
static int copy_dir(struct copy *cp, const char *src, const char *dst)
{
	struct stat st;
	long r = to_sys(cp, SYS_mkdirat, AT_FDCWD, (long)dst, 0700, 0);
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
		if (join(s, cp->from, src, *p) < 0 ||
		    join(d, cp->to, dst, *p) < 0 || copy_any(cp, s, d, 0) < 0)
			rc = -1;
	}
	free_names(names);
	return rc;
}

/* Runs make(cp, a, dst) once more after removing a non-directory dst
 * in the way, as cp does for links and nodes. */
static long replacing(struct copy *cp, const char *dst,
		      long (*make)(struct copy *, const char *, const char *,
				   const struct stat *),
		      const char *a, const struct stat *st)
{
	long r = make(cp, a, dst, st);
	struct stat old;
	if (r == -EEXIST && sd_stat(cp->to, dst, &old, 0) == 0 &&
	    !S_ISDIR(old.st_mode) &&
	    to_sys(cp, SYS_unlinkat, AT_FDCWD, (long)dst, 0, 0) == 0)
		r = make(cp, a, dst, st);
	return r;
}

static long make_link(struct copy *cp, const char *target, const char *dst,
		      const struct stat *st)
{
	(void)st;
	return to_sys(cp, SYS_symlinkat, (long)target, AT_FDCWD, (long)dst, 0);
}

static long make_hard(struct copy *cp, const char *first, const char *dst,
		      const struct stat *st)
{
	(void)st;
	return cp->to->sys(SYS_linkat, AT_FDCWD, (long)first, AT_FDCWD,
			   (long)dst, 0, 0);
}

static long make_node(struct copy *cp, const char *unused, const char *dst,
		      const struct stat *st)
{
	(void)unused;
	return to_sys(cp, SYS_mknodat, AT_FDCWD, (long)dst,
		      st->st_mode & (S_IFMT | 0777), (long)st->st_rdev);
}

static int copy_link(struct copy *cp, const char *src, const char *dst)
{
	char target[PATH_MAX];
	long n = cp->from->sys(SYS_readlinkat, AT_FDCWD, (long)src,
			       (long)target, sizeof target - 1, 0, 0);
	if (n < 0)
		return (int)fail(cp->from, src, n);
	target[n] = '\0';
	long r = replacing(cp, dst, make_link, target, NULL);
	return r < 0 ? (int)fail(cp->to, dst, r) : 0;
}

/* Owner (-p: cp -p's rule, only root's failure to give one away is an
 * error), mode (always; a link has none of its own), times (-p). */
static int finish(struct copy *cp, const char *dst, const struct stat *st)
{
	long r = 0;
	bool link = S_ISLNK(st->st_mode);
	if (cp->o->preserve) {
		r = cp->to->sys(SYS_fchownat, AT_FDCWD, (long)dst, st->st_uid,
				st->st_gid, AT_SYMLINK_NOFOLLOW, 0);
		if (r == -EPERM && geteuid() != 0)
			r = 0;
	}
	if (r == 0 && !link)
		r = to_sys(cp, SYS_fchmodat, AT_FDCWD, (long)dst,
			   st->st_mode & 07777, 0);
	if (r == 0 && cp->o->preserve) {
		struct timespec ts[2] = {st->st_atim, st->st_mtim};
		r = to_sys(cp, SYS_utimensat, AT_FDCWD, (long)dst, (long)ts,
			   AT_SYMLINK_NOFOLLOW);
	}
	return r < 0 ? (int)fail(cp->to, dst, r) : 0;
}

/* -p: the first copy of a source with several links; NULL if none. */
static struct seen *seen_find(struct copy *cp, const struct stat *st)
{
	for (size_t i = 0; i < cp->nseen; i++)
		if (cp->seen[i].from == cp->from &&
		    cp->seen[i].dev == st->st_dev &&
		    cp->seen[i].ino == st->st_ino)
			return &cp->seen[i];
	return NULL;
}

static void seen_add(struct copy *cp, const struct stat *st, const char *dst)
{
	if (cp->nseen == cp->capseen) {
		size_t cap = cp->capseen ? cp->capseen * 2 : 16;
		struct seen *g = realloc(cp->seen, cap * sizeof *g);
		if (!g)
			return; /* later names become copies, not links */
		cp->seen = g;
		cp->capseen = cap;
	}
	char *d = strdup(dst);
	if (d)
		cp->seen[cp->nseen++] = (struct seen){cp->from, st->st_dev,
						      st->st_ino, d};
}

static int copy_made(struct copy *cp, const char *src, const char *dst,
		     const struct stat *st)
{
	if (S_ISREG(st->st_mode))
		return copy_file(cp, src, dst);
	if (S_ISDIR(st->st_mode))
		return copy_dir(cp, src, dst);
	if (S_ISLNK(st->st_mode))
		return copy_link(cp, src, dst);
	if (S_ISSOCK(st->st_mode))
		return (int)fail_why(cp->from, src, "a socket: not copied");
	long r = replacing(cp, dst, make_node, NULL, st);
	return r < 0 ? (int)fail(cp->to, dst, r) : 0;
}

/* Links named on the command line are followed unless -r or -a, as cp
 * does; inside a tree they are copied as links. */
static int copy_any(struct copy *cp, const char *src, const char *dst,
		    int top)
{
	struct stat st;
	int follow = top && !cp->o->recursive && !cp->o->no_deref;
	long r = sd_stat(cp->from, src, &st, follow);
	if (r < 0)
		return (int)fail(cp->from, src, r);
	if (S_ISDIR(st.st_mode) && !cp->o->recursive)
		return (int)fail_why(cp->from, src,
				     "is a directory (cp -r copies trees)");
	if (!S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
	    !S_ISLNK(st.st_mode) && !cp->o->recursive)
		return (int)fail_why(cp->from, src,
				     "not a regular file (cp -r copies nodes)");
	bool linked =
		cp->o->preserve && !S_ISDIR(st.st_mode) && st.st_nlink > 1;
	struct seen *first = linked ? seen_find(cp, &st) : NULL;
	if (first) {
		r = replacing(cp, dst, make_hard, first->dst, NULL);
		return r < 0 ? (int)fail(cp->to, dst, r) : 0;
	}
	if (copy_made(cp, src, dst, &st) < 0)
		return -1;
	if (linked)
		seen_add(cp, &st, dst);
	return finish(cp, dst, &st);
}

/* cp into itself would never end: refused as cp does. */
static bool inside(const char *src, const char *dst)
{
	size_t n = strlen(src);
	while (n > 1 && src[n - 1] == '/')
		n--;
	return !strncmp(src, dst, n) && (dst[n] == '/' || !dst[n]);
}

static void copy_arg(struct copy *cp, const char *arg, const char *dest,
		     bool into)
{
	const char *src = arg + is_virtual(arg);
	cp->from = is_virtual(arg) ? &virt_side : &host_side;
	char d[PATH_MAX];
	if (into && join(d, cp->to, dest, base_name(src)) < 0)
		return;
	const char *to = into ? d : dest;
	if (cp->from == cp->to && cp->o->recursive && inside(src, to))
		fail_why(cp->to, to, "is inside the tree it would copy");
	else
		copy_any(cp, src, to, 1);
}

int cmd_cp(int argc, char **argv, const struct cp_opts *o)
{
	if (argc < 2)
		usage_error("needs a source and a destination");
	const char *dest = argv[argc - 1];
	for (int i = 0; i < argc; i++)
		if (!strcmp(argv[i], ":"))
			usage_error("':' names no virtual path");
	for (int i = 0; i < argc - 1; i++)
		if (!is_virtual(argv[i]) && !is_virtual(dest))
			usage_error("'%s' and '%s' are both host paths (cp(1) "
				    "copies those; ':' marks virtual ones)",
				    argv[i], dest);
	attach();
	struct copy cp = {NULL, is_virtual(dest) ? &virt_side : &host_side, o,
			  NULL, 0, 0};
	dest += is_virtual(dest);
	struct stat st;
	bool into = sd_stat(cp.to, dest, &st, 1) == 0 && S_ISDIR(st.st_mode);
	if (argc > 2 && !into) {
		fail_why(cp.to, dest, "not a directory");
		return status;
	}
	for (int i = 0; i < argc - 1; i++)
		copy_arg(&cp, argv[i], dest, into);
	for (size_t i = 0; i < cp.nseen; i++)
		free(cp.seen[i].dst);
	free(cp.seen);
	return status;
}
