/* The store directory: FORMAT, lock, meta.snap, meta.log, data/<ino>.
 * Metadata changes are queued as StoreOp records and written to the journal
 * with one write(2) by store_flush(), before the call's reply is sent. */
#ifndef SRV_STORE_H
#define SRV_STORE_H

#include <stddef.h>
#include <stdint.h>

struct inode;
struct vfs;
struct store;

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
/* Append queued records to meta.log with one write.  0 or -errno. */
int store_flush(struct store *s);
/* fsync the journal. */
int store_sync(struct store *s);

/* Host fd for data/<ino> (created if missing), or -errno. */
int store_data_open(struct store *s, uint64_t ino);
void store_data_remove(struct store *s, uint64_t ino);

/* Journal size that triggers a snapshot (default 64 MiB; tests lower it). */
void store_set_compact(struct store *s, uint64_t bytes);

/* CRC-32 (IEEE), exposed for tests. */
uint32_t store_crc32(const void *p, size_t n);

#endif
