/* A stopped store, checked and repaired (lind-fs fsck) or made anew
 * (lind-fs format).  Both take the store's lock, so they refuse a store a
 * posix-server holds (-EWOULDBLOCK), and a server cannot start meanwhile.
 * The records are read with the server's own code (store_file.c); the
 * checker keeps its own model of them, so that it sees what the server's
 * load would silently drop or recount. */
#ifndef SRV_STORE_CHECK_H
#define SRV_STORE_CHECK_H

#include <stdbool.h>
#include <stdio.h>

struct store_check {
	unsigned problems; /* damage found, one line each */
	unsigned repaired; /* of them, fixed (repair) */
	unsigned notes;    /* leftovers of a crash the next start clears */
};

/* Checks the store at dir, one line per problem or note to out; with
 * repair, fixes what it safely can (the line says how).  0 with the
 * counts in *res, or -errno: -EWOULDBLOCK (a server holds it), -ENOENT
 * (no store there: no FORMAT), -EPROTO (another format: its name in why),
 * others from the disk. */
int store_check(const char *dir, bool repair, FILE *out,
		struct store_check *res, char *why, size_t cap);

/* Makes dir (created if missing) an empty store owned by the caller.  A
 * directory that holds a store needs force, which erases it; one that
 * holds anything else is refused: -ENOTEMPTY (why names what is there),
 * -EEXIST (a store, without force), -EWOULDBLOCK, or -errno. */
int store_new(const char *dir, bool force, char *why, size_t cap);

#endif
