/* The store's files as bytes, shared by the server (store.c) and by
 * lind-fs's fsck and format, which work on a stopped store (store_check.c):
 * the FORMAT line, records framed [u32 len][u32 crc32][packed StoreOp] in
 * groups (len's top bit: the group's next record follows), the tree of a
 * new store, a file replaced whole.  Nothing here knows the vfs. */
#ifndef SRV_STORE_FILE_H
#define SRV_STORE_FILE_H

#include <stddef.h>
#include <stdint.h>

#include "lind.pb-c.h"

/* The store's format: 2 adds symlinks (StoreOp.target).  A format 1
 * store reads the same and is marked 2 at load, so that a server of
 * format 1, which would lose the targets, refuses it. */
#define STORE_FORMAT_TEXT "lind-store 2\n"
#define STORE_FORMAT_1_TEXT "lind-store 1\n"
#define STORE_REC_MORE 0x80000000u

/* CRC-32 (IEEE). */
uint32_t store_crc32(const void *p, size_t n);

/* A LINK record: directory parent's entry name names ino (name is
 * pointed at, not copied). */
Lind__StoreOp store_op_link(uint64_t parent, const char *name, uint64_t ino);

/* Bytes store_rec_frame writes for op. */
size_t store_rec_size(const Lind__StoreOp *op);
/* op framed at dst (store_rec_size bytes), marked "more follows". */
void store_rec_frame(uint8_t *dst, const Lind__StoreOp *op);
/* The record at rec ends its group. */
void store_rec_seal(uint8_t *rec);

/* A growing buffer of framed records (for writers other than store.c,
 * whose queue is its own).  Out of memory aborts: a record silently lost
 * would corrupt the store. */
struct store_recs {
	uint8_t *p;
	size_t len, cap, last;
};
void store_recs_put(struct store_recs *b, const Lind__StoreOp *op);
void store_recs_free(struct store_recs *b);

/* The end of the record at buf + off when it is whole and its CRC
 * right, else 0. */
size_t store_good_record(const uint8_t *buf, size_t n, size_t off);
/* Bytes of buf up to the end of the last whole group of good records. */
size_t store_whole_groups(const uint8_t *buf, size_t n);
/* Calls fn on each record of buf's whole groups, in order; returns the
 * bytes applied (where a torn or corrupt record, or one that does not
 * unpack, stops replay). */
size_t store_replay(const uint8_t *buf, size_t n,
		    void (*fn)(const Lind__StoreOp *op, void *arg), void *arg);

/* The same without groups: every good record up to the first bad one
 * (what fsck can salvage of a damaged snapshot). */
size_t store_replay_any(const uint8_t *buf, size_t n,
			void (*fn)(const Lind__StoreOp *op, void *arg),
			void *arg);

/* Whole file into memory (*buf NULL, *len 0 when missing); 0 or -errno. */
int store_slurp(int dirfd, const char *name, uint8_t **buf, size_t *len);
int store_write_all(int fd, const void *p, size_t n);
/* name's new contents through name.tmp: written, fsync'ed, renamed (the
 * caller fsyncs the directory).  0 or -errno, and no name.tmp left. */
int store_install(int dirfd, const char *name, const void *p, size_t n);

/* Takes the store's lock (dirfd/lock, made if missing): its fd, which
 * holds it until closed, or -errno (-EWOULDBLOCK: a server, or fsck,
 * holds it). */
int store_lock(int dirfd);

/* The FORMAT file: 0 for this version, 1 for format 1 (read the same),
 * -ENOENT when there is none (not formatted, or half), -EPROTO for
 * another (its first line in found). */
int store_format_read(int dirfd, char *found, size_t cap);
/* FORMAT of this version, atomically (and the directory synced). */
int store_format_write(int dirfd);
/* Makes dirfd (holding no meta.snap, meta.log) a new store: the snapshot
 * of / (with /dev/null, /dev/zero, /dev/urandom, /tmp, and /etc with
 * STORE_FRESH_DATA_FILES files: hosts, passwd...) owned by uid:gid, then
 * FORMAT, written last. */
#define STORE_FRESH_DATA_FILES 5
int store_format_dir(int dirfd, uint32_t uid, uint32_t gid);

#endif
