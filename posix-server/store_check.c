/*
 * fsck of a stopped store (store_check.h).  The snapshot and the journal
 * are replayed with store_file.c into a model of the records as written:
 * inodes with the link counts they carry, entries by (directory, name).
 * The server's load (store.c) would recount links, free inodes no name
 * reaches and delete data files no inode owns, silently; here each of
 * those is a line.  Then, in order:
 *   entries     a valid name, an existing inode, a directory holding them
 *   the tree    / exists and is a directory; a walk from it reaches each
 *               directory once; what it does not reach is lost
 *   data files  data/<ino> is a regular host file of a regular file's
 *               inode; a file whose size says bytes has one
 *   counts      each link count and '..' as the entries make them; a
 *               symlink's size is its target's length
 * What a crash leaves by design (a torn journal tail, an inode unlinked
 * while open, the data file of an inode freed or a create cut short) is a
 * note, not a problem: the next start clears it.
 * Repair edits the model, then writes it as a new snapshot (the server's
 * format) and empties the journal; lost inodes go to /lost+found as #ino.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "store_check_model.h"
#include "store_file.h"

void *ck_grow(void *p, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return p;
	size_t n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	void *q = realloc(p, n * size);
	if (!q)
		abort(); /* a checker that lost part of its model would lie */
	*cap = n;
	return q;
}

/* ---- lines -------------------------------------------------------------- */

void ck_say(struct ck *ck, const char *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(ck->out, "%s", kind);
	vfprintf(ck->out, fmt, ap);
	va_end(ap);
}

bool ck_fixing(struct ck *ck, bool problem, const char *how)
{
	if (!ck->repair) {
		fputc('\n', ck->out);
		return false;
	}
	fprintf(ck->out, "; repaired: %s\n", how);
	ck->res->repaired += problem;
	ck->changed = true;
	return true;
}

void ck_unfixed(struct ck *ck, const char *why)
{
	fprintf(ck->out, ck->repair ? "; not repaired: %s\n" : "\n", why);
}

const char *ck_shown(const char *name, char *buf, size_t cap)
{
	size_t i = 0;
	for (; name[i] && i + 1 < cap; i++)
		buf[i] = (unsigned char)name[i] < 0x20 || name[i] == 0x7f
				 ? '?'
				 : name[i];
	buf[i] = '\0';
	return buf;
}

/* ---- the model ---------------------------------------------------------- */

static uint64_t mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	return h ^ (h >> 33);
}

static uint64_t ent_hash(uint64_t dir, const char *name)
{
	uint64_t h = 1469598103934665603ULL ^ mix(dir);
	for (; *name; name++)
		h = (h ^ (uint8_t)*name) * 1099511628211ULL;
	return h;
}

/* The slot for hash h where match(pos) holds, or the empty one. */
static size_t *slot_of(struct index *x, uint64_t h,
		       bool (*match)(const struct ck *, size_t, const void *),
		       const struct ck *ck, const void *key)
{
	size_t mask = x->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask)
		if (!x->slot[i] || match(ck, x->slot[i] - 1, key))
			return &x->slot[i];
}

static void index_add(struct index *x, size_t pos, uint64_t h)
{
	size_t mask = x->cap - 1;
	size_t i = h & mask;
	while (x->slot[i])
		i = (i + 1) & mask;
	x->slot[i] = pos + 1;
	x->used++;
}

static void index_grow(struct index *x, uint64_t (*hash_of)(const struct ck *,
							    size_t),
		       const struct ck *ck)
{
	if ((x->used + 1) * 2 <= x->cap)
		return;
	struct index old = *x;
	x->cap = old.cap ? old.cap * 2 : 256;
	x->used = 0;
	if (!(x->slot = calloc(x->cap, sizeof *x->slot)))
		abort();
	for (size_t i = 0; i < old.cap; i++)
		if (old.slot[i])
			index_add(x, old.slot[i] - 1,
				  hash_of(ck, old.slot[i] - 1));
	free(old.slot);
}

static bool ino_match(const struct ck *ck, size_t pos, const void *key)
{
	return ck->in[pos].ino == *(const uint64_t *)key;
}

static uint64_t ino_hash(const struct ck *ck, size_t pos)
{
	return mix(ck->in[pos].ino);
}

struct ent_key {
	uint64_t dir;
	const char *name;
};

static bool ent_match(const struct ck *ck, size_t pos, const void *key)
{
	const struct ent_key *k = key;
	return ck->ent[pos].dir == k->dir &&
	       !strcmp(ck->ent[pos].name, k->name);
}

static uint64_t ent_hash_of(const struct ck *ck, size_t pos)
{
	return ent_hash(ck->ent[pos].dir, ck->ent[pos].name);
}

/* The inode numbered ino (live or not), or NULL. */
struct ck_inode *ck_inode_at(struct ck *ck, uint64_t ino)
{
	if (!ck->iidx.cap)
		return NULL;
	size_t *s = slot_of(&ck->iidx, mix(ino), ino_match, ck, &ino);
	return *s ? &ck->in[*s - 1] : NULL;
}

struct ck_inode *ck_get(struct ck *ck, uint64_t ino)
{
	struct ck_inode *in = ck_inode_at(ck, ino);
	return in && in->live ? in : NULL;
}

/* The inode ino made live (fresh when it was not), as vfs_insert. */
static void ck_xattrs_free(struct ck_inode *in)
{
	while (in->xattrs) {
		struct ck_xattr *x = in->xattrs;
		in->xattrs = x->next;
		free(x->name);
		free(x);
	}
}

struct ck_inode *ck_insert(struct ck *ck, uint64_t ino)
{
	struct ck_inode *in = ck_inode_at(ck, ino);
	if (!in) {
		index_grow(&ck->iidx, ino_hash, ck);
		ck->in = ck_grow(ck->in, &ck->capin, ck->nin + 1,
				 sizeof *ck->in);
		in = &ck->in[ck->nin];
		memset(in, 0, sizeof *in);
		in->ino = ino;
		index_add(&ck->iidx, ck->nin++, mix(ino));
	}
	if (!in->live) {
		free(in->target);
		ck_xattrs_free(in);
		*in = (struct ck_inode){.ino = ino, .parent = ino, .live = true,
					.freed = in->freed,
					.rec = LIND__STORE_OP__INIT};
	}
	if (ino >= ck->next_ino)
		ck->next_ino = ino + 1;
	return in;
}

struct ck_entry *ck_entry_at(struct ck *ck, uint64_t dir, const char *name)
{
	if (!ck->eidx.cap)
		return NULL;
	struct ent_key k = {dir, name};
	size_t *s = slot_of(&ck->eidx, ent_hash(dir, name), ent_match, ck, &k);
	return *s ? &ck->ent[*s - 1] : NULL;
}

void ck_link(struct ck *ck, struct ck_inode *dir, const char *name,
	     uint64_t ino)
{
	struct ck_entry *e = ck_entry_at(ck, dir->ino, name);
	if (!e) {
		index_grow(&ck->eidx, ent_hash_of, ck);
		ck->ent = ck_grow(ck->ent, &ck->capent, ck->nent + 1,
				  sizeof *ck->ent);
		e = &ck->ent[ck->nent];
		char *copy = strdup(name);
		if (!copy)
			abort();
		*e = (struct ck_entry){dir->ino, 0, copy, false, GOOD};
		index_add(&ck->eidx, ck->nent++, ent_hash(dir->ino, name));
	}
	if (!e->live)
		dir->nents++;
	e->live = true;
	e->ino = ino;
	e->bad = GOOD;
}

void ck_unlink(struct ck *ck, struct ck_entry *e)
{
	struct ck_inode *dir = ck_inode_at(ck, e->dir);
	if (e->live && dir)
		dir->nents--;
	e->live = false;
}

/* ---- replay: store.c's apply, keeping what it drops --------------------- */

/* in's attributes become op's (its target copied, NUL-terminated). */
static void set_attrs(struct ck_inode *in, const Lind__StoreOp *op)
{
	free(in->target);
	in->target = NULL;
	in->rec = *op; /* its pointers are op's, freed after replay: */
	in->rec.base = (ProtobufCMessage)PROTOBUF_C_MESSAGE_INIT(
		&lind__store_op__descriptor); /* unknown fields */
	in->rec.name = NULL;
	in->rec.target = (ProtobufCBinaryData){0, NULL};
	in->tlen = op->target.len;
	if (S_ISLNK(op->mode) && (in->target = malloc(op->target.len + 1))) {
		if (op->target.len)
			memcpy(in->target, op->target.data, op->target.len);
		in->target[op->target.len] = '\0';
	}
}

static void apply_link(struct ck *ck, const Lind__StoreOp *op)
{
	struct ck_inode *dir = ck_get(ck, op->parent);
	if (!dir || !S_ISDIR(dir->rec.mode)) {
		problem(ck, "%s: record %zu names '%s' (inode %" PRIu64
			    ") in inode %" PRIu64 ", not a directory: ignored "
			    "at load", ck->file, ck->recno, SHOWN(op->name),
			op->ino, op->parent);
		ck_fixing(ck, true, "left out of the new snapshot");
		return;
	}
	ck_link(ck, dir, op->name, op->ino);
	struct ck_inode *in = ck_get(ck, op->ino);
	if (in && S_ISDIR(in->rec.mode))
		in->parent = op->parent;
}

static void apply_free(struct ck *ck, struct ck_inode *in)
{
	for (size_t i = 0; in->nents && i < ck->nent; i++)
		if (ck->ent[i].live && ck->ent[i].dir == in->ino)
			ck_unlink(ck, &ck->ent[i]);
	in->live = false;
	in->freed = true;
}

/* XATTR and XATTR_REMOVE: the inode's list as the server's replay
 * leaves it (store.c), so that a repair keeps the attributes. */
static void apply_xattr(struct ck_inode *in, const Lind__StoreOp *op)
{
	struct ck_xattr **pp = &in->xattrs;
	while (*pp && strcmp((*pp)->name, op->name))
		pp = &(*pp)->next;
	if (*pp) {
		struct ck_xattr *old = *pp;
		*pp = old->next;
		free(old->name);
		free(old);
	}
	if (op->kind != LIND__STORE_OP__KIND__XATTR)
		return;
	struct ck_xattr *x = malloc(sizeof *x + op->value.len);
	if (!x || !(x->name = strdup(op->name))) {
		free(x);
		return;
	}
	x->len = op->value.len;
	if (x->len)
		memcpy(x->value, op->value.data, x->len);
	x->next = in->xattrs;
	in->xattrs = x;
}

static void apply(const Lind__StoreOp *op, void *arg)
{
	struct ck *ck = arg;
	struct ck_inode *in;
	struct ck_entry *e;
	ck->recno++;
	switch (op->kind) {
	case LIND__STORE_OP__KIND__INODE:
	case LIND__STORE_OP__KIND__SETATTR:
		set_attrs(ck_insert(ck, op->ino), op);
		break;
	case LIND__STORE_OP__KIND__LINK:
		apply_link(ck, op);
		break;
	case LIND__STORE_OP__KIND__UNLINK:
		if ((e = ck_entry_at(ck, op->parent, op->name)) && e->live)
			ck_unlink(ck, e);
		break;
	case LIND__STORE_OP__KIND__FREE:
		if ((in = ck_get(ck, op->ino)))
			apply_free(ck, in);
		break;
	case LIND__STORE_OP__KIND__NEXT_INO:
		if (op->ino > ck->next_ino)
			ck->next_ino = op->ino;
		break;
	case LIND__STORE_OP__KIND__XATTR:
	case LIND__STORE_OP__KIND__XATTR_REMOVE:
		if ((in = ck_get(ck, op->ino)) && in->live && op->name &&
		    *op->name)
			apply_xattr(in, op);
		break;
	default:
		break;
	}
}

/* Where good records start again after a bad one at off, looked for
 * byte by byte (its length may be what is damaged) over RESYNC bytes at
 * most; n if they do not.  A record is never empty nor bigger than a
 * name and a symlink's target. */
#define RESYNC (1u << 20)
#define RECORD_MAX (8192u + 65536u) /* an XATTR's value: 64 KiB */
static size_t resync(const uint8_t *buf, size_t n, size_t off)
{
	size_t stop = n - off > RESYNC ? off + RESYNC : n;
	for (size_t o = off + 1; o < stop && n - o >= 8; o++) {
		uint32_t len;
		memcpy(&len, buf + o, 4);
		len &= ~STORE_REC_MORE;
		if (len && len <= RECORD_MAX && store_good_record(buf, n, o))
			return o;
	}
	return n;
}

/* Good records after the first bad one past off: 0 when the bad one is
 * the tail (a torn last write, or a call's group cut short). */
static size_t hidden_after(const uint8_t *buf, size_t n, size_t off)
{
	size_t end, count = 0;
	while ((end = store_good_record(buf, n, off)))
		off = end;
	for (off = resync(buf, n, off); (end = store_good_record(buf, n, off));
	     off = end)
		count++;
	return count;
}

/* The journal as the server loads it: whole calls up to the first bad
 * record; good records hidden behind one are lost (a problem), a torn
 * tail is what a crash leaves (a note). */
static void check_journal(struct ck *ck, const uint8_t *buf, size_t len)
{
	size_t good = store_replay(buf, len, apply, ck);
	size_t lost = good < len ? hidden_after(buf, len, good) : 0;
	if (lost) {
		problem(ck, "meta.log: bad record after byte %zu of %zu: %zu "
			    "later records are lost", good, len, lost);
		ck_fixing(ck, true, "the calls before it kept, as the server "
				 "loads them");
	} else if (good < len) {
		note(ck, "meta.log: ends in a call cut short (byte %zu of %zu),"
			 " which the next start drops", good, len);
		ck_fixing(ck, false, "dropped");
	}
}

/* The snapshot is one group: the server loads none of a damaged one
 * (and then refuses the store, which has no /).  The records before the
 * damage are what is left of it. */
static void check_snapshot(struct ck *ck, const uint8_t *buf, size_t len)
{
	size_t good = store_replay(buf, len, apply, ck);
	if (good == len)
		return;
	size_t kept = good ? good : store_replay_any(buf, len, apply, ck);
	problem(ck, "meta.snap: bad record at byte %zu of %zu: %s", kept, len,
		good ? "the records after it are lost"
		     : "the server loads none of the snapshot (and refuses "
		       "the store)");
	ck_fixing(ck, true, "the records before it kept");
}

static int replay_file(struct ck *ck, const char *name)
{
	uint8_t *buf;
	size_t len;
	int r = store_slurp(ck->dirfd, name, &buf, &len);
	if (r < 0)
		return r;
	ck->file = name;
	ck->recno = 0;
	if (!strcmp(name, "meta.snap"))
		check_snapshot(ck, buf, len);
	else
		check_journal(ck, buf, len);
	free(buf);
	return 0;
}

/* ---- repair: the model as a new snapshot -------------------------------- */

static void put_inode(struct store_recs *b, const struct ck_inode *in)
{
	Lind__StoreOp op = in->rec;
	op.kind = LIND__STORE_OP__KIND__INODE;
	op.ino = in->ino;
	if (in->target)
		op.target =
			(ProtobufCBinaryData){in->tlen, (uint8_t *)in->target};
	store_recs_put(b, &op);
	for (const struct ck_xattr *x = in->xattrs; x; x = x->next) {
		Lind__StoreOp xo = LIND__STORE_OP__INIT;
		xo.kind = LIND__STORE_OP__KIND__XATTR;
		xo.ino = in->ino;
		xo.name = x->name;
		xo.value = (ProtobufCBinaryData){x->len, (uint8_t *)x->value};
		store_recs_put(b, &xo);
	}
}

/* Inodes first, then every good entry, then the next inode number: as
 * store_snapshot writes them. */
static void snapshot_of(struct ck *ck, struct store_recs *b)
{
	for (size_t i = 0; i < ck->nin; i++)
		if (ck->in[i].live && ck->in[i].rec.nlink)
			put_inode(b, &ck->in[i]);
	for (size_t i = 0; i < ck->nent; i++) {
		const struct ck_entry *e = &ck->ent[i];
		if (!e->live || e->bad != GOOD)
			continue;
		Lind__StoreOp op = store_op_link(e->dir, e->name, e->ino);
		store_recs_put(b, &op);
	}
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__NEXT_INO;
	op.ino = ck->next_ino;
	store_recs_put(b, &op);
	store_rec_seal(b->p + b->last);
}

/* The snapshot replaces both files (a journal left behind by a crash in
 * between replays over it to much the same tree: fsck again); data files
 * go only once no record names them. */
static int write_repair(struct ck *ck)
{
	struct store_recs b = {0};
	snapshot_of(ck, &b);
	int r = store_install(ck->dirfd, "meta.snap", b.p, b.len);
	store_recs_free(&b);
	if (r == 0 && fsync(ck->dirfd) < 0)
		r = -errno;
	int fd = r < 0 ? -1 : openat(ck->dirfd, "meta.log",
				     O_WRONLY | O_TRUNC | O_CLOEXEC);
	if (fd >= 0) {
		if (fsync(fd) < 0)
			r = -errno;
		close(fd);
	}
	for (size_t i = 0; r == 0 && i < ck->ndrop; i++) {
		char name[32];
		snprintf(name, sizeof name, "%" PRIu64, ck->drop[i]);
		unlinkat(ck->datafd, name, 0);
	}
	unlinkat(ck->dirfd, "meta.snap.tmp", 0);
	unlinkat(ck->dirfd, "FORMAT.tmp", 0);
	return r;
}

/* ---- fsck --------------------------------------------------------------- */

static void leftovers(struct ck *ck)
{
	static const char *const tmp[] = {"meta.snap.tmp", "FORMAT.tmp"};
	for (size_t i = 0; i < sizeof tmp / sizeof *tmp; i++) {
		struct stat st;
		if (fstatat(ck->dirfd, tmp[i], &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue;
		note(ck, "%s: left by a snapshot cut short", tmp[i]);
		ck_fixing(ck, false, "deleted");
	}
}

static int open_data(struct ck *ck)
{
	ck->datafd = openat(ck->dirfd, "data", O_RDONLY | O_DIRECTORY |
						 O_NOFOLLOW | O_CLOEXEC);
	if (ck->datafd >= 0 || errno != ENOENT)
		return ck->datafd >= 0 ? 0 : -errno;
	problem(ck, "data/ is missing (every regular file reads as empty)");
	if (!ck_fixing(ck, true, "made"))
		return 0;
	if (mkdirat(ck->dirfd, "data", 0700) < 0)
		return -errno;
	ck->datafd = openat(ck->dirfd, "data", O_RDONLY | O_DIRECTORY |
						 O_NOFOLLOW | O_CLOEXEC);
	return ck->datafd >= 0 ? 0 : -errno;
}

static void ck_free(struct ck *ck)
{
	for (size_t i = 0; i < ck->nin; i++) {
		free(ck->in[i].target);
		ck_xattrs_free(&ck->in[i]);
	}
	for (size_t i = 0; i < ck->nent; i++)
		free(ck->ent[i].name);
	free(ck->in);
	free(ck->ent);
	free(ck->iidx.slot);
	free(ck->eidx.slot);
	free(ck->drop);
	if (ck->datafd >= 0)
		close(ck->datafd);
}

static int check_locked(struct ck *ck, char *why, size_t cap)
{
	int r = store_format_read(ck->dirfd, why, cap);
	if (r < 0)
		return r;
	if ((r = open_data(ck)) < 0 || (r = replay_file(ck, "meta.snap")) < 0 ||
	    (r = replay_file(ck, "meta.log")) < 0)
		return r;
	ck->journaled_ino = ck->next_ino;
	leftovers(ck);
	ck_check_tree(ck);
	return ck->repair && ck->changed ? write_repair(ck) : 0;
}

int store_check(const char *dir, bool repair, FILE *out,
		struct store_check *res, char *why, size_t cap)
{
	memset(res, 0, sizeof *res);
	*why = '\0';
	struct ck ck = {.dirfd = -1, .datafd = -1, .out = out,
			.repair = repair, .res = res};
	ck.dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (ck.dirfd < 0)
		return -errno;
	struct stat st;
	int r = fstatat(ck.dirfd, "FORMAT", &st, 0) < 0 ? -ENOENT
							: store_lock(ck.dirfd);
	int lockfd = r;
	if (r >= 0)
		r = check_locked(&ck, why, cap);
	ck_free(&ck);
	if (lockfd >= 0)
		close(lockfd);
	close(ck.dirfd);
	return r < 0 ? r : 0;
}

