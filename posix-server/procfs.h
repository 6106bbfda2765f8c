/* /proc for cages: a read-only tree at /proc of the virtual filesystem
 * that describes cages, not the host.  Like a bind's host nodes, every
 * proc node is a struct inode (its proc field set) made on lookup and
 * freed when nothing uses it; a file's contents are made when it is
 * opened (a snapshot, as Linux's seq files).  See docs/architecture.md,
 * "/proc for cages". */
#ifndef SRV_PROCFS_H
#define SRV_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

struct call;
struct cage;
struct cred;
struct inode;
struct ofd;
struct vfs;

/* st_dev of every proc node */
#define PROC_DEV 0x5052

/* Makes the mountpoint /proc in the store (as root) and covers it.
 * After store_load; 0 or -1 with a reason in why. */
int procfs_attach(struct vfs *v, char *why, size_t cap);
/* Frees every node left (after the cages are gone). */
void procfs_free_all(void);

/* in itself, or the proc root when in is the mountpoint. */
struct inode *procfs_cover(struct inode *in);
/* True for the proc root (a mountpoint: rmdir answers EBUSY). */
bool procfs_is_root(const struct inode *in);
/* What /proc/<pid>/fd/N shows for o: its length, or -errno. */
long procfs_fd_path(struct vfs *v, struct ofd *o, char *out, size_t cap);
/* The cage whose call is being served (dispatch.c; 0: none): what
 * /proc/self names. */
void procfs_set_caller(uint64_t id);
/* Node name in proc directory dir as cr sees it, or -ENOENT (nothing
 * can be made in /proc, so a missing name ends every walk). */
int procfs_lookup(const struct cred *cr, struct inode *dir, const char *name,
		  struct inode **out);
/* ".." of a proc directory. */
struct inode *procfs_parent(struct vfs *v, struct inode *dir);
/* Target of proc symlink in: length or -errno. */
long procfs_readlink(struct vfs *v, struct inode *in, char *buf, size_t cap);
/* Absolute path of proc node d (getcwd): length with NUL or -errno. */
long procfs_path_of(struct inode *d, char *buf, size_t cap);
void procfs_stat(const struct inode *in, struct stat *st);

/* open of proc node *in by cage c: a file's contents are made now and *in
 * becomes the open file's own node holding them. */
long procfs_open(struct cage *c, struct inode **in, long flags);
/* read/pread of an open proc file (pos NULL: the description's offset). */
long procfs_read(struct ofd *o, void *buf, size_t cap, const int64_t *pos,
		 bool *more);
long procfs_getdents(struct call *c, struct ofd *o);

/* What /proc shows of new cage c that lind-run or the host tells: its
 * program's virtual path (exe: the host path lind-run loaded, shown if a
 * bind of the cage or the server shows it) and its host process's start
 * time (maps and environ are read from it while it is that process). */
void procfs_cage_new(struct cage *c, const char *exe);

/* Frees proc node in if nothing references it. */
void procfs_release(struct inode *in);
/* Frees the nodes a call made and nothing kept (after each call). */
void procfs_sweep(void);
/* Proc nodes alive (tests: nothing leaks). */
size_t procfs_nodes(void);

#endif
