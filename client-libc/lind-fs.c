/*
 * lind-fs: the virtual filesystem from the host.  Most commands work
 * through the running server, so cages see the result at once: lind-fs
 * attaches as a cage of the user's own (attach.c, lind_tool_attach) but
 * installs no filter: host calls reach the host (lind_host6), virtual ones
 * go through the channel (lind_syscall), and the server checks them as
 * any cage's calls of that user.  Both sides speak Linux call numbers, so
 * an operation is written once, for a `side`.  fsck and format work on a
 * stopped store instead (lind-fs-store.c).
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
#include <unistd.h>

#include "boot.h"
#include "client.h"
#include "lind-fs.h"

static long host_sys(long nr, long a0, long a1, long a2, long a3, long a4,
		     long a5)
{
	return lind_host6(nr, a0, a1, a2, a3, a4, a5);
}

const struct side host_side = {host_sys, ""};
const struct side virt_side = {lind_syscall, ":"};

const char *cmd = "lind-fs";
int status;

long fail_why(const struct side *sd, const char *path, const char *why)
{
	fprintf(stderr, "lind-fs: %s: %s%s: %s\n", cmd, sd->prefix, path, why);
	status = 1;
	return -1;
}

long fail(const struct side *sd, const char *path, long err)
{
	return fail_why(sd, path, strerror((int)-err));
}

void usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "lind-fs: %s: ", cmd);
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, " (lind-fs --help)\n");
	va_end(ap);
	exit(2);
}

long sd_stat(const struct side *sd, const char *path, struct stat *st,
	     int follow)
{
	return sd->sys(SYS_newfstatat, AT_FDCWD, (long)path, (long)st,
		       follow ? 0 : AT_SYMLINK_NOFOLLOW, 0, 0);
}

long sd_open(const struct side *sd, const char *path, int flags, mode_t mode)
{
	return sd->sys(SYS_openat, AT_FDCWD, (long)path, flags | O_CLOEXEC,
		       mode, 0, 0);
}

void sd_close(const struct side *sd, long fd)
{
	sd->sys(SYS_close, fd, 0, 0, 0, 0, 0);
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void out_of_memory(void)
{
	fprintf(stderr, "lind-fs: %s: out of memory\n", cmd);
	exit(1);
}

/* Appends the names in one getdents64 buffer. */
static void add_names(char ***names, size_t *n, const char *buf, long got)
{
	for (long off = 0; off < got;) {
		unsigned short reclen;
		memcpy(&reclen, buf + off + 16, sizeof reclen);
		const char *name = buf + off + 19;
		off += reclen;
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			continue;
		char **grown = realloc(*names, (*n + 2) * sizeof **names);
		if (!grown)
			out_of_memory();
		*names = grown;
		if (!(grown[*n] = strdup(name)))
			out_of_memory();
		++*n;
	}
}

char **list_dir(const struct side *sd, const char *path)
{
	long fd = sd_open(sd, path, O_RDONLY | O_DIRECTORY, 0);
	if (fd < 0)
		return fail(sd, path, fd), NULL;
	static char buf[32768];
	char **names = NULL;
	size_t n = 0;
	long got;
	while ((got = sd->sys(SYS_getdents64, fd, (long)buf, sizeof buf, 0, 0,
			      0)) > 0)
		add_names(&names, &n, buf, got);
	sd_close(sd, fd);
	if (got < 0) {
		for (size_t i = 0; i < n; i++)
			free(names[i]);
		free(names);
		return fail(sd, path, got), NULL;
	}
	if (!names && !(names = malloc(sizeof *names)))
		out_of_memory();
	names[n] = NULL;
	qsort(names, n, sizeof *names, by_name);
	return names;
}

void free_names(char **names)
{
	for (char **p = names; *p; p++)
		free(*p);
	free(names);
}

int join(char *out, const struct side *sd, const char *dir, const char *name)
{
	size_t d = strlen(dir);
	int slash = d && dir[d - 1] != '/';
	int n = snprintf(out, PATH_MAX, "%s%s%s", dir, slash ? "/" : "", name);
	if (n < 0 || n >= PATH_MAX)
		return (int)fail(sd, name, -ENAMETOOLONG);
	return 0;
}

const char *base_name(const char *path)
{
	static char buf[PATH_MAX];
	snprintf(buf, sizeof buf, "%s", path);
	size_t n = strlen(buf);
	while (n > 1 && buf[n - 1] == '/')
		buf[--n] = '\0';
	const char *b = strrchr(buf, '/');
	return b && b[1] ? b + 1 : buf;
}

void attach(void)
{
	lind_tool_attach((char *[]){"lind-fs", (char *)cmd, NULL});
}

bool is_virtual(const char *arg)
{
	return arg[0] == ':';
}

int copy_data(const struct side *from, const char *src, long in,
	      const struct side *to, const char *dst, long out)
{
	static char buf[LIND_MAX_IO];
	long n;
	while ((n = from->sys(SYS_read, in, (long)buf, sizeof buf, 0, 0, 0)) >
	       0) {
		for (long done = 0; done < n;) {
			long w = to->sys(SYS_write, out, (long)buf + done,
					 n - done, 0, 0, 0);
			if (w <= 0)
				return (int)fail(to, dst, w ? w : -EIO);
			done += w;
		}
	}
	return n < 0 ? (int)fail(from, src, n) : 0;
}

/* ---- command line ---------------------------------------------------- */

static const char usage[] =
	"usage: lind-fs [--runtime-dir DIR] COMMAND [OPTIONS] ARG...\n"
	"Works through the running nacl-relay and posix-server (the\n"
	"LIND_RUNTIME_DIR ones), so cages see the result at once; the\n"
	"virtual side is a cage of yours: the server's permission checks\n"
	"apply to it.  Virtual paths start with ':' (:/usr/bin), host\n"
	"paths do not; the ':' is optional where only virtual paths fit.\n"
	"  cp [-a] [-r] [-p] [-P] SRC... DEST\n"
	"        copy host -> virtual, virtual -> host or virtual -> virtual;\n"
	"        modes kept; -r: trees; -p: owners (where allowed), atime,\n"
	"        mtime,"
	" hard links; -a: -r -p -P, so a tree copied in and out is\n"
	"        the same; -P: a link named is copied as a link; DEST an\n"
	"        existing directory: copied into it\n"
	"  ls [-l] [-a] [-d] [PATH...]  list (-l: mode, links, uid, gid,\n"
	"        size, mtime, name -> target; -a: names starting with '.';\n"
	"        -d: a directory itself)\n"
	"  cat PATH...                virtual files to stdout\n"
	"  stat [-L] [-c FORMAT] PATH...  attributes (FORMAT: %a %A %b %F %g\n"
	"        %h %i %n %N %s %u %X %Y %Z %x %y %z %%, as stat(1))\n"
	"  mkdir [-p] PATH...         make directories (-p: parents, and\n"
	"        existing ones are fine)\n"
	"  rm [-r] [-f] PATH...       remove (-r: trees; -f: missing is fine)\n"
	"  mv SRC... DEST             rename (DEST a directory: into it)\n"
	"  ln [-s] [-f] TARGET LINK   hard link (-s: symbolic; -f: LINK\n"
	"        replaced)\n"
	"  chmod [-R] MODE PATH...    MODE octal or symbolic (u+x,go-w,a=r)\n"
	"  chown [-R] [-h] UID[:GID] PATH...  numeric or host names; -h:\n"
	"        the link itself\n"
	"  du [-s] [-h] [PATH...]     disk use in KiB (-h: K, M, G), of the\n"
	"        store only (not /proc nor host binds)\n"
	"  df [-h]                    the store's size, use and free space\n"
	"  fsck [--repair] [STORE]    check a stopped store (offline)\n"
	"  format [--force] [STORE]   make an empty store (offline)\n"
	"fsck and format work on the store directory itself (STORE, else\n"
	"LIND_STORE, else the default) and refuse while a posix-server holds\n"
	"it.  fsck prints one line per problem and exits 1 if any; --repair\n"
	"fixes what it safely can, one line per fix (exit 0 when nothing is\n"
	"left).  format refuses a non-empty directory; --force erases a\n"
	"store (never other files).\n"
	"Exit: 0; 1 if any path failed (one line each: lind-fs: COMMAND:\n"
	"PATH: reason) or fsck left problems; 2 for a bad command line; 3\n"
	"for a store fsck or format cannot work on; 127 without a relay.\n";

struct command {
	const char *name, *spec; /* getopt spec */
	int min;                 /* operands needed */
	int (*run)(int argc, char **argv, const struct opts *o);
};

static int run_cp(int argc, char **argv, const struct opts *o)
{
	bool a = o->on['a'];
	struct cp_opts cp = {a || o->on['r'] || o->on['R'], a || o->on['p'],
			     a || o->on['P']};
	return cmd_cp(argc, argv, &cp);
}

static const struct command commands[] = {
	{"cp", "+rRpaP", 2, run_cp},
	{"ls", "+lad", 0, cmd_ls},
	{"cat", "+", 1, cmd_cat},
	{"stat", "+Lc:", 1, cmd_stat},
	{"mkdir", "+p", 1, cmd_mkdir},
	{"rm", "+rRf", 1, cmd_rm},
	{"mv", "+", 2, cmd_mv},
	{"ln", "+sf", 2, cmd_ln},
	{"chmod", "+R", 2, cmd_chmod},
	{"chown", "+Rh", 2, cmd_chown},
	{"du", "+sh", 0, cmd_du},
	{"df", "+h", 0, cmd_df},
	{"fsck", NULL, 0, cmd_fsck},
	{"format", NULL, 0, cmd_format},
};

/* Options of a command from spec (getopt's).  Returns the index of the
 * first operand. */
static int options(int argc, char **argv, const char *spec, struct opts *o)
{
	opterr = 0;
	optind = 1;
	int c;
	while ((c = getopt(argc, argv, spec)) != -1) {
		if (c == '?' && strchr(spec, optopt) && optopt != '+')
			usage_error("option '-%c' needs a value", optopt);
		if (c == '?')
			usage_error("unknown option '-%c'", optopt);
		o->on[c] = true;
		o->arg[c] = optarg;
	}
	return optind;
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
	const struct command *c = NULL;
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (!strcmp(cmd, commands[i].name))
			c = &commands[i];
	if (!c)
		usage_error("unknown command (cp ls cat stat mkdir rm mv ln "
			    "chmod chown du df fsck format)");
	argc--;
	argv++;
	struct opts o;
	memset(&o, 0, sizeof o);
	int i = c->spec ? options(argc, argv, c->spec, &o) : 1;
	if (argc - i < c->min)
		usage_error(c->min > 1 ? "needs %d operands" : "needs a path",
			    c->min);
	return c->run(argc - i, argv + i, &o);
}
