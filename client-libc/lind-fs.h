/* lind-fs's pieces: the two sides a path can be on, one-line errors, and
 * the commands of each file (lind-fs.c: the command line and the virtual
 * side's small commands; lind-fs-cp.c: cp; lind-fs-store.c: fsck and
 * format on a stopped store). */
#ifndef LIND_FS_H
#define LIND_FS_H

#include <stdbool.h>
#include <sys/stat.h>

struct side {
	long (*sys)(long nr, long a0, long a1, long a2, long a3, long a4,
		    long a5);
	const char *prefix; /* how a path of this side is written */
};
extern const struct side host_side, virt_side;

extern const char *cmd; /* the command, for messages */
extern int status;      /* 1 once any path failed */

/* One line naming the path and the reason; the command goes on with the
 * next path and exits 1.  Both return -1. */
long fail_why(const struct side *sd, const char *path, const char *why);
long fail(const struct side *sd, const char *path, long err);
__attribute__((noreturn, format(printf, 1, 2))) void
usage_error(const char *fmt, ...);

long sd_stat(const struct side *sd, const char *path, struct stat *st,
	     int follow);
long sd_open(const struct side *sd, const char *path, int flags,
	     mode_t mode);
void sd_close(const struct side *sd, long fd);
/* The entries of directory path but . and .., sorted; NULL-terminated
 * (free_names).  NULL after a message. */
char **list_dir(const struct side *sd, const char *path);
void free_names(char **names);
/* dir/name into out (PATH_MAX); -1 after a message when too long. */
int join(char *out, const struct side *sd, const char *dir,
	 const char *name);
const char *base_name(const char *path);
/* A virtual path is written with a leading ':'. */
bool is_virtual(const char *arg);
/* Data of fd in (side from) to fd out (side to); -1 after a message. */
int copy_data(const struct side *from, const char *src, long in,
	      const struct side *to, const char *dst, long out);

/* Attach as a cage (exits 127 without a relay). */
void attach(void);
/* A virtual path as written (':' optional). */
static inline const char *vpath(const char *arg)
{
	return arg + is_virtual(arg);
}

/* Options given to a command: on['x'] for -x, arg['x'] its value. */
struct opts {
	bool on[128];
	const char *arg[128];
};

/* The commands: each returns the exit status. */
struct cp_opts {
	bool recursive; /* -r: trees */
	bool preserve;  /* -p: owners (where allowed), times, hard links */
	bool no_deref;  /* -P (with -a): links named on the line stay links */
};
int cmd_cp(int argc, char **argv, const struct cp_opts *o);
/* lind-fs-cmd.c: the virtual side's own commands. */
int cmd_ls(int argc, char **argv, const struct opts *o);
int cmd_cat(int argc, char **argv, const struct opts *o);
int cmd_stat(int argc, char **argv, const struct opts *o);
int cmd_mkdir(int argc, char **argv, const struct opts *o);
int cmd_rm(int argc, char **argv, const struct opts *o);
int cmd_mv(int argc, char **argv, const struct opts *o);
int cmd_ln(int argc, char **argv, const struct opts *o);
int cmd_chmod(int argc, char **argv, const struct opts *o);
int cmd_chown(int argc, char **argv, const struct opts *o);
int cmd_du(int argc, char **argv, const struct opts *o);
int cmd_df(int argc, char **argv, const struct opts *o);
/* lind-fs-store.c: the store itself (options of their own: o unused). */
int cmd_fsck(int argc, char **argv, const struct opts *o);
int cmd_format(int argc, char **argv, const struct opts *o);

#endif
