/* Extended attributes in memory (xattr.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "vfs.h"
#include "xattr.h"

static size_t total; /* bytes of every inode's attributes */

static size_t cost(const char *name, size_t len)
{
	return strlen(name) + 1 + len;
}

const struct xattr *xattr_find(const struct inode *in, const char *name)
{
	const struct xattrs *x = in->xattrs;
	for (size_t i = 0; x && i < x->n; i++)
		if (strcmp(x->v[i].name, name) == 0)
			return &x->v[i];
	return NULL;
}

/* Room for one more entry in in's array (made on first use). */
static struct xattrs *room_for_one(struct inode *in)
{
	struct xattrs *x = in->xattrs;
	if (!x && !(x = in->xattrs = calloc(1, sizeof *x)))
		return NULL;
	if (x->n < x->cap)
		return x;
	size_t cap = x->cap ? x->cap * 2 : 4;
	struct xattr *v = realloc(x->v, cap * sizeof *v);
	if (!v)
		return NULL;
	x->v = v;
	x->cap = cap;
	return x;
}

size_t xattr_growth(const struct inode *in, const char *name, size_t len,
		    int flags)
{
	const struct xattr *old = xattr_find(in, name);
	if ((old && (flags & XATTR_CREATE)) || (!old && (flags & XATTR_REPLACE)))
		return 0; /* fails first */
	size_t drop = old ? cost(name, old->len) : 0, add = cost(name, len);
	return add > drop ? add - drop : 0;
}

int xattr_set(struct inode *in, const char *name, const void *value,
	      size_t len, int flags)
{
	struct xattr *old = (struct xattr *)xattr_find(in, name);
	if (old && (flags & XATTR_CREATE))
		return -EEXIST;
	if (!old && (flags & XATTR_REPLACE))
		return -ENODATA;
	size_t have = in->xattrs ? in->xattrs->bytes : 0;
	size_t drop = old ? cost(name, old->len) : 0, add = cost(name, len);
	if (have - drop + add > XATTR_INODE_MAX ||
	    total - drop + add > XATTR_TOTAL_MAX)
		return -ENOSPC;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -ENOMEM;
	if (len) /* an empty value may come as NULL (a replayed record) */
		memcpy(copy, value, len);
	if (!old) {
		struct xattrs *x = room_for_one(in);
		char *n = x ? strdup(name) : NULL;
		if (!n) {
			free(copy);
			return -ENOMEM;
		}
		old = &x->v[x->n++];
		*old = (struct xattr){.name = n};
	}
	free(old->value);
	old->value = copy;
	old->len = len;
	in->xattrs->bytes += add - drop;
	total += add - drop;
	return 0;
}

int xattr_remove(struct inode *in, const char *name)
{
	struct xattr *e = (struct xattr *)xattr_find(in, name);
	if (!e)
		return -ENODATA;
	struct xattrs *x = in->xattrs;
	size_t c = cost(e->name, e->len);
	x->bytes -= c;
	total -= c;
	free(e->name);
	free(e->value);
	/* keep the order the rest were set in */
	memmove(e, e + 1, (size_t)(x->v + x->n - (e + 1)) * sizeof *e);
	x->n--;
	return 0;
}

void xattr_each(const struct inode *in,
		void (*fn)(const struct xattr *, void *), void *arg)
{
	const struct xattrs *x = in->xattrs;
	for (size_t i = 0; x && i < x->n; i++)
		fn(&x->v[i], arg);
}

void xattr_free(struct inode *in)
{
	struct xattrs *x = in->xattrs;
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++) {
		free(x->v[i].name);
		free(x->v[i].value);
	}
	total -= x->bytes;
	free(x->v);
	free(x);
	in->xattrs = NULL;
}

size_t xattr_total(void)
{
	return total;
}
