/* Extended attributes of an inode: a small array of name -> value, kept in
 * memory and journaled by the handlers (store_log_xattr).  Limits are
 * Linux's VFS ones (a name of 1..255 bytes, a value of at most 64 KiB)
 * plus room: one inode's names and values together at most XATTR_INODE_MAX
 * and all inodes' at most XATTR_TOTAL_MAX, beyond which a set is ENOSPC,
 * as a filesystem whose xattr space is full. */
#ifndef SRV_XATTR_H
#define SRV_XATTR_H

#include <stddef.h>
#include <stdint.h>

#define XATTR_INODE_MAX (64u << 10)
#define XATTR_TOTAL_MAX (64u << 20)

struct inode;

struct xattr {
	char *name;
	uint8_t *value;
	size_t len;
};

struct xattrs {
	struct xattr *v;
	size_t n, cap;
	size_t bytes; /* names (with NUL) and values */
};

/* The attribute called name, or NULL. */
const struct xattr *xattr_find(const struct inode *in, const char *name);
/* Sets name to value (len bytes); flags XATTR_CREATE (EEXIST when it
 * exists), XATTR_REPLACE (ENODATA when it does not).  0, -EEXIST,
 * -ENODATA, -ENOSPC, -ENOMEM; nothing changes on an error. */
int xattr_set(struct inode *in, const char *name, const void *value,
	      size_t len, int flags);
/* The bytes that set would add to xattr_total (0 when it fails first
 * or shrinks): what the --max-size quota checks. */
size_t xattr_growth(const struct inode *in, const char *name, size_t len,
		    int flags);
/* 0, or -ENODATA. */
int xattr_remove(struct inode *in, const char *name);
/* Each attribute, in the order they were set. */
void xattr_each(const struct inode *in,
		void (*fn)(const struct xattr *, void *), void *arg);
/* Frees in's attributes (the inode goes). */
void xattr_free(struct inode *in);
/* Bytes all inodes' attributes hold (tests: nothing leaks). */
size_t xattr_total(void);

#endif
