/* Extended attribute handlers: set, get, list, remove and their l and f
 * forms, in the user.* namespace (and trusted.* for root), persisted in
 * the store (xattr.h).  Linux's checks in Linux's order (fs/xattr.c:
 * xattr_permission, xattr_resolve_name).  Binds, /proc, pipes and the
 * launcher's stdio hold none: a bind is read-only (EROFS), /proc has no
 * handler (EOPNOTSUPP), a pipe answers as Linux's pipefs. */
#define _GNU_SOURCE
#include <linux/limits.h>
#include <sys/xattr.h>

#include "sys.h"
#include "xattr.h"

#define USER "user."
#define TRUSTED "trusted."

/* What a call acts on: a path's inode (follow: not an l* call), or an
 * fd's (NULL for a pipe or the launcher's stdio). */
static long xattr_path(struct call *c, bool follow, struct inode **in)
{
	struct inode *start;
	const char *path = call_path(c, 0);
	long r = sys_start(c, AT_FDCWD, path, &start);
	if (r < 0)
		return r;
	return vfs_resolve(srv.vfs, &c->cage->cred, start, path,
			   follow ? WALK_FOLLOW : 0, in);
}

static long xattr_fd(struct call *c, struct inode **in)
{
	struct ofd *o = fd_get(c->cage->fds, c->a[0]);
	if (!o)
		return -EBADF;
	*in = o->in;
	return 0;
}

static long target(struct call *c, int how, struct inode **in)
{
	return how == 'f' ? xattr_fd(c, in) : xattr_path(c, how != 'l', in);
}

/* The name copied in: 1..255 bytes. */
static long name_ok(struct call *c)
{
	size_t n = c->in[1].len;
	return n == 0 || n > XATTR_NAME_MAX ? -ERANGE : 0;
}

static bool prefixed(const char *name, const char *prefix)
{
	return strncmp(name, prefix, strlen(prefix)) == 0;
}

/* Linux's xattr_permission, then the namespace's handler: user.* on a
 * regular file or directory, trusted.* for root; "user." alone is EINVAL,
 * another namespace EOPNOTSUPP (this filesystem keeps none). */
static long may_xattr(struct call *c, struct inode *in, const char *name,
		      int want)
{
	const struct cred *cr = &c->cage->cred;
	bool write = want == W_OK;
	long r;
	if (prefixed(name, TRUSTED) && !cred_capable(cr))
		return write ? -EPERM : -ENODATA;
	if (prefixed(name, USER)) {
		if (!S_ISREG(in->mode) && !S_ISDIR(in->mode))
			return write ? -EPERM : -ENODATA;
		if (S_ISDIR(in->mode) && (in->mode & S_ISVTX) && write &&
		    !cred_fs_capable(cr) && cr->fsuid != in->uid)
			return -EPERM;
	}
	if ((r = vfs_permission(cr, in, want)) < 0)
		return r;
	if (prefixed(name, USER) || prefixed(name, TRUSTED)) {
		size_t p = prefixed(name, USER) ? strlen(USER) : strlen(TRUSTED);
		return name[p] ? 0 : -EINVAL;
	}
	return -EOPNOTSUPP;
}

/* set (value non-NULL) or remove name on the call's target. */
static long change(struct call *c, int how, const void *value, size_t len,
		   long flags)
{
	struct inode *in;
	const char *name = call_path(c, 1);
	long r;
	if (value && (flags & ~(long)(XATTR_CREATE | XATTR_REPLACE)))
		return -EINVAL;
	if ((r = name_ok(c)) < 0 || (r = target(c, how, &in)) < 0)
		return r;
	if (!in) /* a pipe, or the launcher's stdio: no regular file */
		return prefixed(name, USER) ? -EPERM : -EOPNOTSUPP;
	if (in->proc)
		return -EOPNOTSUPP;
	if (in->host)
		return -EROFS;
	if ((r = may_xattr(c, in, name, W_OK)) < 0)
		return r;
	if (value && (r = vfs_room(srv.vfs, xattr_growth(in, name, len,
							 (int)flags))) < 0)
		return r;
	if ((r = store_reserve_bytes(srv.store, STORE_ADDS,
				     len + strlen(name))) < 0)
		return r;
	r = value ? xattr_set(in, name, value, len, (int)flags)
		  : xattr_remove(in, name);
	if (r < 0)
		return r;
	store_log_xattr(srv.store, in->ino, name, value, len);
	sys_touch(in, false);
	store_log_inode(srv.store, in);
	return 0;
}

static long get(struct call *c, int how)
{
	struct inode *in;
	const char *name = call_path(c, 1);
	long r;
	if ((r = name_ok(c)) < 0 || (r = target(c, how, &in)) < 0)
		return r;
	if (!in)
		return -ENODATA; /* a pipe's filesystem keeps none */
	if (in->proc)
		return -EOPNOTSUPP;
	if ((r = may_xattr(c, in, name, R_OK)) < 0)
		return r;
	const struct xattr *x = xattr_find(in, name);
	if (!x)
		return -ENODATA;
	size_t cap = c->out[2].cap;
	if (cap == 0)
		return (long)x->len; /* the size a buffer needs */
	if (cap < x->len)
		return -ERANGE;
	memcpy(c->out[2].buf, x->value, x->len);
	c->out[2].len = x->len;
	return (long)x->len;
}

struct listing {
	char *buf;
	size_t cap, len;
	bool root;
};

static void list_one(const struct xattr *x, void *arg)
{
	struct listing *l = arg;
	if (prefixed(x->name, TRUSTED) && !l->root)
		return; /* not listed for others, as Linux's */
	size_t n = strlen(x->name) + 1;
	if (l->cap && l->len + n <= l->cap)
		memcpy(l->buf + l->len, x->name, n);
	l->len += n;
}

/* Names, each NUL-terminated; no permission on the file is needed. */
static long list(struct call *c, int how)
{
	struct inode *in;
	long r = target(c, how, &in);
	if (r < 0)
		return r;
	struct listing l = {c->out[1].buf, c->out[1].cap, 0,
			    cred_capable(&c->cage->cred)};
	if (in)
		xattr_each(in, list_one, &l);
	if (l.cap && l.len > l.cap)
		return -ERANGE;
	c->out[1].len = l.cap ? l.len : 0;
	return (long)l.len;
}

long srv_setxattr(struct call *c)
{
	return change(c, 'p', c->in[2].ptr, c->in[2].len, c->a[4]);
}

long srv_lsetxattr(struct call *c)
{
	return change(c, 'l', c->in[2].ptr, c->in[2].len, c->a[4]);
}

long srv_fsetxattr(struct call *c)
{
	return change(c, 'f', c->in[2].ptr, c->in[2].len, c->a[4]);
}

long srv_removexattr(struct call *c)
{
	return change(c, 'p', NULL, 0, 0);
}

long srv_lremovexattr(struct call *c)
{
	return change(c, 'l', NULL, 0, 0);
}

long srv_fremovexattr(struct call *c)
{
	return change(c, 'f', NULL, 0, 0);
}

long srv_getxattr(struct call *c)
{
	return get(c, 'p');
}

long srv_lgetxattr(struct call *c)
{
	return get(c, 'l');
}

long srv_fgetxattr(struct call *c)
{
	return get(c, 'f');
}

long srv_listxattr(struct call *c)
{
	return list(c, 'p');
}

long srv_llistxattr(struct call *c)
{
	return list(c, 'l');
}

long srv_flistxattr(struct call *c)
{
	return list(c, 'f');
}
