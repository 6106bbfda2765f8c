/* Binds: host directories and files shown read-only in the virtual
 * filesystem.  The host is touched only through fds: each bind holds its
 * root's fd, and a host node's fd is opened relative to its directory's
 * fd, one component at a time, with O_NOFOLLOW, and checked to be the
 * inode the lookup saw.  Names never hold '/', ".." is answered by the
 * virtual tree and symlinks are followed by path.c in the virtual
 * namespace, so nothing outside a bind's root can be reached. */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bind.h"
#include "common.h"
#include "lind.pb-c.h"
#include "procfs.h"
#include "store.h"
#include "vfs.h"

struct bind {
	char *host, *virt;
	bool follow;        /* --bind follows HOST's own symlinks */
	bool cage;          /* lind-run --bind: one cage's (a bind_set's) */
	bool dead;          /* its set is gone: freed when its root is unused */
	int fd;             /* the host root: O_RDONLY, or O_PATH */
	dev_t dev;          /* st_dev of everything in this bind */
	struct inode *mnt;  /* the virtual inode it covers */
	struct hnode *root;
	struct bind *next;
};

/* A host node; in first, so an inode's host field points at itself. */
struct hnode {
	struct inode in;
	struct bind *b;
	struct inode *up;  /* directory found in (a reference); NULL: root */
	char *name;        /* its name there */
	struct stat st;    /* as the host said at the last lookup */
	bool temp;         /* made by the current call: on the sweep list */
	struct hnode *tnext, *hnext;
};

static struct bind *binds, **binds_tail = &binds;
static unsigned nbinds;
/* Live nodes by (bind, host dev, host ino): a lookup finds the node it
 * made before for the same name in the same directory, so what cages
 * hold (fds, cwds) shares its directories and memory stays bounded. */
static struct hnode **table;
static size_t tcap, tcount;
static struct hnode *temps; /* nodes made by the current call */

/* One cage's binds (lind-run --bind), shared by reference so that its
 * children can inherit them. */
struct bind_set {
	unsigned refs;
	size_t n;
	struct bind *b[LIND_MAX_BINDS];
};
static struct bind_set *caller_set; /* the binds of the cage being served */

#define HN(in) ((in)->host)

static size_t slot_of(const struct bind *b, dev_t dev, ino_t ino)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ull ^
		     (uint64_t)dev * 0xc2b2ae3d27d4eb4full ^ (uintptr_t)b;
	return (size_t)(h ^ (h >> 29)) & (tcap - 1);
}

static int table_grow(void)
{
	size_t cap = tcap ? tcap * 2 : 256;
	struct hnode **t = calloc(cap, sizeof *t);
	if (!t)
		return -ENOMEM;
	size_t old = tcap;
	struct hnode **o = table;
	table = t;
	tcap = cap;
	for (size_t i = 0; i < old; i++)
		for (struct hnode *h = o[i], *n; h; h = n) {
			n = h->hnext;
			size_t s = slot_of(h->b, h->st.st_dev, h->st.st_ino);
			h->hnext = table[s];
			table[s] = h;
		}
	free(o);
	return 0;
}

static void set_attrs(struct hnode *h, const struct stat *st)
{
	struct inode *in = &h->in;
	h->st = *st;
	in->ino = st->st_ino;
	in->mode = st->st_mode;
	in->uid = st->st_uid;
	in->gid = st->st_gid;
	in->nlink = (uint32_t)st->st_nlink;
	in->size = (uint64_t)st->st_size;
	in->rdev = st->st_rdev;
	in->atime = st->st_atim.tv_sec * 1000000000LL + st->st_atim.tv_nsec;
	in->mtime = st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
	in->ctime = st->st_ctim.tv_sec * 1000000000LL + st->st_ctim.tv_nsec;
}

static struct hnode *node_new(struct bind *b, const struct stat *st)
{
	struct hnode *h = calloc(1, sizeof *h);
	if (!h)
		return NULL;
	h->b = b;
	h->in.host = h;
	h->in.data_fd = -1;
	set_attrs(h, st);
	return h;
}

/* The node of host inode st found as name in dir: the live one, or new
 * (a hard link elsewhere, or an inode number the host reused, gets its
 * own node: a node's name and directory are how it is reopened). */
static struct hnode *node_get(struct inode *dir, const char *name,
			      const struct stat *st)
{
	struct bind *b = HN(dir)->b;
	if (tcount + 1 > tcap && table_grow() < 0 && !tcap)
		return NULL;
	size_t s = slot_of(b, st->st_dev, st->st_ino);
	for (struct hnode *h = table[s]; h; h = h->hnext)
		if (h->b == b && h->st.st_dev == st->st_dev &&
		    h->st.st_ino == st->st_ino && h->up == dir &&
		    strcmp(h->name, name) == 0) {
			set_attrs(h, st);
			return h;
		}
	struct hnode *h = node_new(b, st);
	if (!h || !(h->name = strdup(name))) {
		free(h);
		return NULL;
	}
	h->up = dir;
	vfs_ref(dir);
	h->hnext = table[s];
	table[s] = h;
	tcount++;
	h->temp = true;
	h->tnext = temps;
	temps = h;
	return h;
}

static void table_del(struct hnode *h)
{
	struct hnode **pp = &table[slot_of(h->b, h->st.st_dev, h->st.st_ino)];
	while (*pp != h)
		pp = &(*pp)->hnext;
	*pp = h->hnext;
	tcount--;
}

bool bind_is_root(const struct inode *in)
{
	return in->host && !in->host->up;
}

struct inode *bind_root_of(const struct inode *mnt)
{
	return &mnt->mnt->root->in;
}

struct inode *bind_mountpoint(const struct inode *root)
{
	return HN(root)->b->mnt;
}

static void bind_destroy(struct vfs *v, struct bind *b);

void bind_release(struct vfs *v, struct inode *in)
{
	/* Iterative: freeing a node may free its directory, and so on up. */
	while (in && !in->refs && !HN(in)->temp && !bind_is_root(in)) {
		struct hnode *h = HN(in);
		struct inode *up = h->up;
		table_del(h);
		vfs_data_close(v, in);
		free(h->name);
		free(h);
		assert(up->refs > 0);
		up->refs--;
		in = up;
	}
	if (in && !in->refs && bind_is_root(in) && HN(in)->b->dead)
		bind_destroy(v, HN(in)->b); /* its cage went before its nodes */
}

void bind_sweep(struct vfs *v)
{
	while (temps) {
		struct hnode *h = temps;
		temps = h->tnext;
		h->temp = false;
		bind_release(v, &h->in);
	}
}

void bind_each_of(const struct bind_set *s,
		  void (*fn)(const char *host, const char *virt,
			     unsigned long dev, void *arg), void *arg)
{
	for (struct bind *b = binds; b; b = b->next)
		if (b->mnt)
			fn(b->host, b->virt, (unsigned long)b->dev, arg);
	for (size_t i = 0; s && i < s->n; i++) {
		struct bind *b = s->b[i];
		fn(b->host, b->virt, (unsigned long)b->dev, arg);
	}
}

void bind_each(void (*fn)(const char *host, const char *virt,
			  unsigned long dev, void *arg), void *arg)
{
	bind_each_of(caller_set, fn, arg);
}

size_t bind_nodes(void)
{
	return tcount;
}

int bind_lookup(struct vfs *v, struct inode *dir, const char *name,
		struct inode **out)
{
	assert(dir->host && S_ISDIR(dir->mode));
	assert(!strchr(name, '/') && strcmp(name, ".") && strcmp(name, ".."));
	*out = NULL;
	struct stat st;
	long dfd = vfs_data_fd(v, dir);
	if (dfd < 0) /* the directory went on the host */
		return dfd == -ESTALE ? -ENOENT : (int)dfd;
	if (fstatat((int)dfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : -errno;
	struct hnode *h = node_get(dir, name, &st);
	if (!h)
		return -ENOMEM;
	*out = &h->in;
	return 0;
}

struct inode *bind_parent(struct vfs *v, struct inode *dir)
{
	struct hnode *h = HN(dir);
	return h->up ? h->up : vfs_get(v, h->b->mnt->parent);
}

const char *bind_name(struct inode *in)
{
	return HN(in)->name;
}

long bind_open(struct vfs *v, struct inode *in)
{
	struct hnode *h = HN(in);
	if (!h->up)
		return h->b->fd; /* the root's fd is the bind's, never evicted */
	int flags = O_NOFOLLOW | O_CLOEXEC | O_NOCTTY;
	if (S_ISDIR(in->mode))
		flags |= O_RDONLY | O_DIRECTORY;
	else if (S_ISREG(in->mode))
		flags |= O_RDONLY | O_NONBLOCK;
	else
		return -EACCES; /* devices, FIFOs, sockets, links: never opened */
	int fd;
	for (;;) {
		long dfd = vfs_data_fd(v, h->up);
		if (dfd < 0)
			return dfd;
		fd = openat((int)dfd, h->name, flags);
		if (fd < 0 && errno == EACCES && S_ISDIR(in->mode))
			fd = openat((int)dfd, h->name, O_PATH | O_DIRECTORY |
				    O_NOFOLLOW | O_CLOEXEC); /* lookups only */
		if (fd >= 0)
			break;
		if ((errno == EMFILE || errno == ENFILE) && vfs_data_evict(v))
			continue;
		/* gone or replaced (by a symlink: ELOOP) on the host */
		return errno == ENOENT || errno == ELOOP || errno == ENOTDIR
			       ? -ESTALE : -errno;
	}
	struct stat st;
	if (fstat(fd, &st) < 0 || st.st_dev != h->st.st_dev ||
	    st.st_ino != h->st.st_ino) {
		close(fd); /* another inode took the name since the lookup */
		return -ESTALE;
	}
	if (h->b->cage && st.st_dev != h->b->root->st.st_dev &&
	    !lind_fd_bindable(fd)) {
		close(fd); /* a user's bind reaches no kernel view (/proc) */
		return -EACCES;
	}
	vfs_data_cache(v, in, fd);
	return fd;
}

long bind_readlink(struct vfs *v, struct inode *in, char *buf, size_t cap)
{
	struct hnode *h = HN(in);
	if (!S_ISLNK(in->mode))
		return -EINVAL;
	long dfd = h->up ? vfs_data_fd(v, h->up) : h->b->fd;
	if (dfd < 0)
		return dfd;
	ssize_t n = readlinkat((int)dfd, h->up ? h->name : "", buf, cap);
	return n < 0 ? -errno : n;
}

void bind_stat(const struct inode *in, struct stat *st)
{
	const struct hnode *h = HN(in);
	int fd = h->up ? in->data_fd : h->b->fd;
	if (fd < 0 || fstat(fd, st) < 0)
		*st = h->st;
	st->st_dev = h->b->dev;
}

/* ---- setting up ------------------------------------------------------- */

__attribute__((format(printf, 3, 4)))
static int fail(char *why, size_t cap, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, cap, fmt, ap);
	va_end(ap);
	return -1;
}

/* A bind of host fd (owned from now on) whose stat is st, not yet in any
 * list; NULL when out of memory (fd left open). */
static struct bind *bind_new(const char *host, const char *virt, int fd,
			     const struct stat *st)
{
	struct bind *b = calloc(1, sizeof *b);
	struct hnode *h = b ? node_new(b, st) : NULL;
	if (!h || !(b->host = strdup(host)) || !(b->virt = strdup(virt))) {
		if (b)
			free(b->host);
		free(b);
		free(h);
		return NULL;
	}
	b->fd = fd;
	b->dev = VFS_DEV + 1 + nbinds++;
	b->root = h;
	return b;
}

/* Opens the host side of a bind: O_RDONLY for a directory or a regular
 * file, O_PATH for a symlink (not followed: host-root only). */
static int add_bind(const char *host, const char *virt, bool follow,
		    char *why, size_t cap)
{
	if (host[0] != '/' || virt[0] != '/')
		return fail(why, cap, "--bind %s:%s: paths must be absolute",
			    host, virt);
	if (strspn(virt, "/") == strlen(virt))
		return fail(why, cap, "--bind %s:%s: cannot cover /", host, virt);
	int fd = open(host, O_PATH | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		return fail(why, cap, "--bind: %s: %s", host, strerror(errno));
	if (S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)) {
		int rfd = open(host, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK |
			   (follow ? 0 : O_NOFOLLOW));
		if (rfd >= 0) { /* else O_PATH: lookups work, reads do not */
			close(fd);
			fd = rfd;
		}
	} else if (!S_ISLNK(st.st_mode)) {
		close(fd);
		return fail(why, cap, "--bind: %s: not a directory or a "
			    "regular file", host);
	}
	struct bind *b = bind_new(host, virt, fd, &st);
	if (!b) {
		close(fd);
		return fail(why, cap, "--bind %s:%s: out of memory", host, virt);
	}
	b->follow = follow;
	*binds_tail = b;
	binds_tail = &b->next;
	return 0;
}

int bind_parse(const char *arg, char *why, size_t cap)
{
	const char *colon = strchr(arg, ':');
	if (!colon)
		return fail(why, cap, "--bind %s: want HOST:VIRT[:ro]", arg);
	char host[4096], virt[4096];
	size_t hl = (size_t)(colon - arg);
	const char *v = colon + 1, *suffix = strchr(v, ':');
	size_t vl = suffix ? (size_t)(suffix - v) : strlen(v);
	if (suffix && strcmp(suffix, ":ro") != 0)
		return fail(why, cap, "--bind %s: binds are read-only; the only "
			    "suffix is :ro", arg);
	if (hl >= sizeof host || vl >= sizeof virt || !hl || !vl)
		return fail(why, cap, "--bind %s: want HOST:VIRT[:ro]", arg);
	memcpy(host, arg, hl);
	host[hl] = '\0';
	memcpy(virt, v, vl);
	virt[vl] = '\0';
	return add_bind(host, virt, true, why, cap);
}

/* --host-root: what a dynamically linked program needs from the host to
 * start and to look up names, and nothing that holds secrets. */
static const char *const root_dirs[] = {
	"/usr", "/lib", "/lib64", "/bin", "/sbin", /* programs, ld.so, libs */
};
static const char *const etc_files[] = {
	"passwd",        /* getpwnam, ~ expansion: names of users (no hashes) */
	"group",         /* getgrnam: names of groups */
	"hosts",         /* name resolution: localhost */
	"host.conf",     /* resolver options */
	"nsswitch.conf", /* which NSS modules glibc loads */
	"resolv.conf",   /* DNS servers */
	"localtime",     /* the time zone (a link into /usr/share/zoneinfo) */
	"timezone",      /* its name */
	"ld.so.cache",   /* ld.so finds libraries by it */
	"ld.so.conf",    /* and by these, when the cache misses */
	"ld.so.conf.d",
	"os-release",    /* what system this is (a link into /usr/lib) */
	"debian_version",
	"mime.types",    /* file types by extension */
	"locale.alias",  /* setlocale's aliases */
	"services",      /* getservbyname */
	"protocols",     /* getprotobyname */
	/* never: shadow, gshadow, sudoers, ssh (secrets) */
};

int bind_host_root(char *why, size_t cap)
{
	struct stat st;
	char path[64];
	for (size_t i = 0; i < sizeof root_dirs / sizeof *root_dirs; i++)
		if (lstat(root_dirs[i], &st) == 0 &&
		    add_bind(root_dirs[i], root_dirs[i], false, why, cap) < 0)
			return -1;
	for (size_t i = 0; i < sizeof etc_files / sizeof *etc_files; i++) {
		snprintf(path, sizeof path, "/etc/%s", etc_files[i]);
		if (lstat(path, &st) == 0 &&
		    add_bind(path, path, false, why, cap) < 0)
			return -1;
	}
	return 0;
}

/* Entry name in virtual dir dir, made (as root) if missing: a directory,
 * or a regular file for a mountpoint over a non-directory. */
static struct inode *make_entry(struct vfs *v, struct inode *dir,
				const char *name, bool is_dir)
{
	struct inode *in = vfs_alloc(v, is_dir ? S_IFDIR | 0755 : S_IFREG | 0644,
				     0, 0, 0);
	if (!in)
		return NULL;
	if (vfs_dir_add(dir, name, in->ino) < 0) {
		vfs_remove(v, in);
		return NULL;
	}
	in->nlink = is_dir ? 2 : 1;
	if (is_dir) {
		in->parent = dir->ino;
		dir->nlink++;
	}
	struct store *st = vfs_store(v);
	store_log_inode(st, in);
	store_log_link(st, dir->ino, name, in->ino);
	store_log_inode(st, dir);
	return in;
}

/* The virtual inode at b->virt, parents made as needed. */
static int mountpoint(struct vfs *v, struct bind *b, char *why, size_t cap)
{
	struct inode *dir = vfs_root(v);
	char name[VFS_NAME_MAX + 1];
	const char *p = b->virt;
	for (;;) {
		p += strspn(p, "/");
		size_t n = strcspn(p, "/");
		if (n > VFS_NAME_MAX)
			return fail(why, cap, "--bind %s: %s", b->virt,
				    strerror(ENAMETOOLONG));
		memcpy(name, p, n);
		name[n] = '\0';
		p += n;
		bool last = p[strspn(p, "/")] == '\0';
		if (!strcmp(name, ".") || !strcmp(name, ".."))
			return fail(why, cap, "--bind %s: %s in the virtual path",
				    b->virt, name);
		struct dentry *e = vfs_lookup(dir, name);
		struct inode *in = e ? vfs_get(v, e->ino) : NULL;
		if (!in && !(in = make_entry(v, dir, name,
					     !last || S_ISDIR(b->root->st.st_mode))))
			return fail(why, cap, "--bind %s: %s", b->virt,
				    strerror(ENOMEM));
		if (in->mnt)
			return fail(why, cap, "--bind %s: inside or on the bind "
				    "of %s", b->virt, in->mnt->host);
		if (last) {
			in->mnt = b;
			b->mnt = in;
			return 0;
		}
		if (!S_ISDIR(in->mode))
			return fail(why, cap, "--bind %s: %s",
				    b->virt, strerror(ENOTDIR));
		dir = in;
	}
}

int bind_attach(struct vfs *v, char *why, size_t cap)
{
	for (struct bind *b = binds; b; b = b->next)
		if (mountpoint(v, b, why, cap) < 0)
			return -1;
	int r = store_flush(vfs_store(v));
	if (r < 0)
		return fail(why, cap, "--bind: store: %s", strerror(-r));
	return 0;
}

void bind_free_all(struct vfs *v)
{
	if (v)
		bind_sweep(v);
	while (binds) {
		struct bind *b = binds;
		binds = b->next;
		if (v && b->mnt)
			b->mnt->mnt = NULL;
		close(b->fd);
		free(b->root);
		free(b->host);
		free(b->virt);
		free(b);
	}
	binds_tail = &binds;
	nbinds = 0;
	assert(tcount == 0); /* every cage is gone: no node is referenced */
	free(table);
	table = NULL;
	tcap = 0;
}

/* ---- per-cage binds (lind-run --bind) --------------------------------- */

/* The bind is the same code as a server-wide one; only its mountpoint is
 * not marked (inode.mnt): the walk asks bind_cover, which answers for
 * the cage being served only. */

void bind_set_caller(struct bind_set *s)
{
	caller_set = s;
}

struct inode *bind_cover(struct inode *in)
{
	for (size_t i = 0; in && caller_set && i < caller_set->n; i++)
		if (caller_set->b[i]->mnt == in)
			return &caller_set->b[i]->root->in;
	return in;
}

static void bind_destroy(struct vfs *v, struct bind *b)
{
	assert(b->cage && !b->root->in.refs);
	if (b->mnt)
		vfs_unref(v, b->mnt);
	close(b->fd);
	free(b->root);
	free(b->host);
	free(b->virt);
	free(b);
}

struct bind_set *bind_set_get(struct bind_set *s)
{
	if (s)
		s->refs++;
	return s;
}

void bind_set_put(struct vfs *v, struct bind_set *s)
{
	if (!s || --s->refs)
		return;
	for (size_t i = 0; i < s->n; i++) {
		struct bind *b = s->b[i];
		b->dead = true;
		if (!b->root->in.refs) /* else the last release frees it */
			bind_destroy(v, b);
	}
	free(s);
}

/* The store inode a bind at virt covers, looked up as cage cr would (a
 * mountpoint must exist, as for mount(2)); 0 or -1 with a reason. */
static int cage_mountpoint(struct vfs *v, const struct cred *cr,
			   const char *virt, const struct stat *st,
			   struct inode **out, char *why, size_t cap)
{
	if (!lind_virt_path_ok(virt))
		return fail(why, cap, "--bind %.200s: the virtual path must be "
			    "absolute and normalised", virt);
	int r = vfs_resolve(v, cr, vfs_root(v), virt, WALK_FOLLOW, out);
	if (r < 0)
		return fail(why, cap, "--bind %.200s: %s", virt, strerror(-r));
	struct inode *in = *out;
	if (in->host || in->proc || in == vfs_root(v))
		return fail(why, cap, "--bind %.200s: inside or on another bind "
			    "or /proc", virt);
	if (S_ISDIR(in->mode) != S_ISDIR(st->st_mode))
		return fail(why, cap, "--bind %.200s: %s", virt,
			    strerror(ENOTDIR)); /* as mount(2) says */
	return 0;
}

/* The host's name of fd, for /proc/N/mounts only (nothing resolves it). */
static void fd_name(int fd, char *buf, size_t cap)
{
	char p[64];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, buf, cap - 1);
	if (n < 0)
		n = snprintf(buf, cap, "fd");
	buf[n] = '\0';
}

/* One bind of the set: fd (taken on success) shown at spec's path. */
static int set_add(struct vfs *v, const struct cred *cr, struct bind_set *s,
		   const Lind__BindSpec *spec, int fd, char *why, size_t cap)
{
	struct stat st;
	struct inode *mp;
	int fl = fcntl(fd, F_GETFL);
	if (fstat(fd, &st) < 0 || !(S_ISDIR(st.st_mode) || S_ISREG(st.st_mode)))
		return fail(why, cap, "--bind %.200s: not a directory or a "
			    "regular file", spec->virt);
	if (fl < 0 || (fl & O_PATH) || (fl & O_ACCMODE) == O_WRONLY)
		return fail(why, cap, "--bind %.200s: not open for reading",
			    spec->virt);
	if (!lind_fd_bindable(fd)) /* the relay checked; so do we */
		return fail(why, cap, "--bind %.200s: on FUSE or a kernel "
			    "pseudo filesystem", spec->virt);
	if (cage_mountpoint(v, cr, spec->virt, &st, &mp, why, cap) < 0)
		return -1;
	for (size_t i = 0; i < s->n; i++)
		if (s->b[i]->mnt == mp)
			return fail(why, cap, "--bind %.200s: bound twice",
				    spec->virt);
	char host[LIND_MAX_PATH];
	fd_name(fd, host, sizeof host);
	struct bind *b = bind_new(host, spec->virt, fd, &st);
	if (!b)
		return fail(why, cap, "--bind %.200s: %s", spec->virt,
			    strerror(ENOMEM));
	b->cage = true;
	b->mnt = mp;
	vfs_ref(mp);
	s->b[s->n++] = b;
	return 0;
}

int bind_set_new(struct vfs *v, const struct cred *cr,
		 Lind__BindSpec *const *specs, int *fds, size_t n,
		 struct bind_set **out, char *why, size_t cap)
{
	*out = NULL;
	if (!n)
		return 0;
	if (n > LIND_MAX_BINDS)
		return fail(why, cap, "more binds than %d", LIND_MAX_BINDS);
	struct bind_set *s = calloc(1, sizeof *s);
	if (!s)
		return fail(why, cap, "out of memory");
	s->refs = 1;
	int r = 0;
	for (size_t i = 0; i < n && r == 0; i++)
		if ((r = set_add(v, cr, s, specs[i], fds[i], why, cap)) == 0)
			fds[i] = -1; /* the bind holds it */
	bind_sweep(v); /* what the lookups of the mountpoints made */
	procfs_sweep();
	if (r < 0) {
		bind_set_put(v, s);
		return -1;
	}
	*out = s;
	return 0;
}

/* host below (or at) bind b's host path: the virtual path into out. */
static bool virt_through(const struct bind *b, const char *host, char *out,
			 size_t cap)
{
	size_t n = strlen(b->host);
	if (!b->mnt || strncmp(host, b->host, n) != 0 ||
	    (host[n] != '\0' && host[n] != '/'))
		return false;
	int k = snprintf(out, cap, "%s%s", b->virt, host + n);
	return k > 0 && (size_t)k < cap;
}

bool bind_virt_of(const struct bind_set *s, const char *host, char *out,
		  size_t cap)
{
	if (host[0] != '/')
		return false;
	for (size_t i = 0; s && i < s->n; i++)
		if (virt_through(s->b[i], host, out, cap))
			return true;
	for (const struct bind *b = binds; b; b = b->next)
		if (virt_through(b, host, out, cap))
			return true;
	return false;
}
