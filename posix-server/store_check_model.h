/* fsck's model of a store's records, shared by its files: store_check.c
 * (the model, replay, repair's snapshot, the entry point) and
 * store_check_tree.c (the checks). */
#ifndef SRV_STORE_CHECK_MODEL_H
#define SRV_STORE_CHECK_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lind.pb-c.h"
#include "store_check.h"

#define NAME_MAX_LEN 255
#define ROOT_INO 1

/* An extended attribute as the records left it (XATTR), for repair's
 * snapshot to keep. */
struct ck_xattr {
	struct ck_xattr *next;
	char *name;
	size_t len;
	uint8_t value[];
};

struct ck_inode {
	uint64_t ino;
	Lind__StoreOp rec; /* its last INODE record: mode, owner, link count,
			    * size, times (name and target not kept there) */
	char *target;    /* symlinks: as recorded (NUL-terminated copy) */
	size_t tlen;     /* bytes the record held */
	struct ck_xattr *xattrs;
	uint64_t parent; /* '..': the last LINK naming it (a directory) */
	bool live, freed; /* freed: a FREE record removed it */
	size_t nents;    /* live entries it holds */
	/* the analysis */
	uint32_t names;  /* good entries naming it */
	size_t via;      /* good entry (index + 1) the walk reached it by */
	bool reached;
	bool lost;       /* unreachable from / (or under such a one) */
	bool touched;    /* repair changed what counts its links */
	bool dropped;    /* repair freed it: its data file goes */
	int data;        /* data/<ino>: 0 none, 1 regular file, -1 other */
};

enum ent_bad { GOOD, BAD_NAME, DANGLING, NOT_DIR, DUP_DIR, REMOVED };

struct ck_entry {
	uint64_t dir, ino;
	char *name;
	bool live;
	enum ent_bad bad;
};

/* Open-addressing index of (position + 1) by a hash; never shrinks (a
 * removed inode or entry stays, marked dead, and may come back). */
struct index {
	size_t *slot;
	size_t cap, used;
};

struct ck {
	int dirfd, datafd;
	FILE *out;
	bool repair;
	struct store_check *res;
	struct ck_inode *in;
	size_t nin, capin;
	struct index iidx;
	struct ck_entry *ent;
	size_t nent, capent;
	struct index eidx;
	uint64_t next_ino;
	uint64_t journaled_ino; /* next_ino as the records left it */
	const char *file; /* the records being replayed, for messages */
	size_t recno;
	bool changed; /* repair: the model must be written */
	uint64_t *drop; /* repair: data files to delete once written */
	size_t ndrop, capdrop;
};

/* Array p (cap elements of size) with room for need; aborts without
 * memory: a checker that lost part of its model would lie. */
void *ck_grow(void *p, size_t *cap, size_t need, size_t size);

/* Lines: a problem or a note is begun by problem()/note() and ended by
 * ck_fixing() (true when it is to be fixed now: repair) or ck_unfixed(). */
__attribute__((format(printf, 3, 4))) void
ck_say(struct ck *ck, const char *kind, const char *fmt, ...);
#define problem(ck, ...) ((ck)->res->problems++, ck_say(ck, "", __VA_ARGS__))
#define note(ck, ...) ((ck)->res->notes++, ck_say(ck, "note: ", __VA_ARGS__))
bool ck_fixing(struct ck *ck, bool problem, const char *how);
/* name with control characters as '?': a line stays one line. */
const char *ck_shown(const char *name, char *buf, size_t cap);
#define SHOWN(name) ck_shown(name, (char[256]){0}, 256)
void ck_unfixed(struct ck *ck, const char *why);

/* The inode numbered ino, live or not (ck_get: live only), or NULL. */
struct ck_inode *ck_inode_at(struct ck *ck, uint64_t ino);
struct ck_inode *ck_get(struct ck *ck, uint64_t ino);
/* The inode ino made live (fresh when it was not), as vfs_insert; may
 * move every inode (pointers to them are stale after). */
struct ck_inode *ck_insert(struct ck *ck, uint64_t ino);
/* Entry name of directory dir (live or not), or NULL. */
struct ck_entry *ck_entry_at(struct ck *ck, uint64_t dir, const char *name);
/* dir's entry name names ino from now on; ck_unlink removes it. */
void ck_link(struct ck *ck, struct ck_inode *dir, const char *name,
	     uint64_t ino);
void ck_unlink(struct ck *ck, struct ck_entry *e);

/* store_check_tree.c: every check after replay, in order. */
void ck_check_tree(struct ck *ck);

#endif
