/* The store directory: FORMAT, lock, meta.snap, meta.log, data/<ino>.
 * Metadata changes are queued as StoreOp records and written to the journal
 * with one write(2) by store_flush(), before the call's reply is sent. */
#ifndef SRV_STORE_H
#define SRV_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "store_file.h" /* the bytes: records, FORMAT */

struct inode;
struct vfs;
struct store;
struct statfs;

/* Opens (creating) the store dir and takes its lock: -EWOULDBLOCK when
 * another server holds it. */
int store_open(const char *dir, struct store **out);
/* Formats an empty store, or loads snapshot + journal into v. */
int store_load(struct store *s, struct vfs *v);
/* Writes meta.snap atomically and empties the journal (clean shutdown). */
int store_snapshot(struct store *s, struct vfs *v);
void store_close(struct store *s);

/* Queue records (s may be NULL: no persistence, for tests). */
void store_log_inode(struct store *s, const struct inode *in);
void store_log_link(struct store *s, uint64_t parent, const char *name,
		    uint64_t ino);
void store_log_unlink(struct store *s, uint64_t parent, const char *name);
void store_log_free(struct store *s, uint64_t ino);
void store_log_next_ino(struct store *s, uint64_t next);
/* Extended attribute name of ino set to value (len bytes); value NULL:
 * removed.  A big value needs store_reserve_bytes. */
void store_log_xattr(struct store *s, uint64_t ino, const char *name,
		     const void *value, size_t len);
/* Journal room for one call's records, taken before the call changes
 * anything (docs/durability.md).  STORE_ADDS: the call may use more disk
 * (create, mkdir, growing truncate); STORE_FREES: it gives disk back
 * (unlink, rmdir, shrinking truncate) and may use the last room kept for
 * exactly that, so a full store can always be emptied.  0, -ENOSPC (the
 * call must fail having changed nothing) or -EIO (the store is read-only
 * after a disk error).  Costs no syscall unless the preallocated journal
 * runs short. */
enum store_need { STORE_ADDS, STORE_FREES };
int store_reserve(struct store *s, enum store_need need);
/* The same for a call whose records are bigger than usual by bytes (an
 * xattr's value). */
int store_reserve_bytes(struct store *s, enum store_need need, size_t bytes);
/* 0, or -EIO once the store is read-only (data writes check this). */
int store_writable(const struct store *s);
/* Append queued records to meta.log with one write.  0 or -errno: the
 * records are not in the journal (a partial write was cut back to the
 * last whole record) and, if the call had reserved room, the store is
 * now read-only. */
int store_flush(struct store *s);
/* fsync the journal and data/.  An error turns the store read-only. */
int store_sync(struct store *s);

/* Tests: make the store's own disk operations fail with err from now on
 * (0: work again).  A failed write writes half its bytes first. */
enum store_fault {
	STORE_FAULT_WRITE,    /* journal appends */
	STORE_FAULT_RESERVE,  /* journal preallocation */
	STORE_FAULT_TRUNCATE, /* cutting a failed append back */
	STORE_FAULT_SYNC,     /* fdatasync of the journal */
	STORE_NFAULTS
};
void store_inject(struct store *s, enum store_fault where, int err);

/* Host fd for data/<ino> (created if missing), or -errno. */
int store_data_open(struct store *s, uint64_t ino);
void store_data_remove(struct store *s, uint64_t ino);
/* The host filesystem the store is on (its space is the cages'). */
int store_statfs(struct store *s, struct statfs *sf);
/* Gives data/<ino> (if it exists) the inode's mtime: loading takes the
 * later of the journal's mtime and the data file's (writes are not
 * journaled), so a time set back (utimensat) must be the file's too. */
int store_data_set_mtime(struct store *s, uint64_t ino, int64_t mtime_ns);

/* Journal size that triggers a snapshot (default 64 MiB; tests lower it). */
void store_set_compact(struct store *s, uint64_t bytes);

#endif
