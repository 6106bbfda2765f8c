/* The SysV shared memory segment table (shm.h).  Ids are Linux's shape:
 * a slot's index plus its sequence times the slot count, so an id of a
 * removed segment names nothing (EINVAL) even once its slot is reused.
 * A segment's memory is a sealed memfd: the fds cages map cannot resize
 * it under the others.  Limits (limit.h): segments and their bytes, as
 * Linux's shmmni and shmall (shmmax is the same as shmall). */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include "limit.h"
#include "shm.h"
#include "store.h"

#define SLOTS 4096 /* the most segments limit.c allows */
#define SEQ_MAX 32767 /* keeps ids positive ints */
#define PAGE 4096ull
#define ATT_MAX 4096 /* attachments per cage (Linux: its map count) */
#define S_IRUGO 0444
#define S_IWUGO 0222
#define S_IXUGO 0111

struct seg {
	struct shm_ds ds;
	int fd;
};

struct att {
	uint64_t cage;
	uint32_t slot;
	uint64_t addr; /* 0: handed out, not mapped yet */
	struct att *next;
};

static struct seg *slots[SLOTS];
static uint16_t seqs[SLOTS];
static unsigned nsegs;
static uint64_t total_bytes; /* page-rounded, as shm_tot */
static struct att *atts;
static unsigned natts;

static uint64_t pages_of(uint64_t size)
{
	return (size + PAGE - 1) / PAGE * PAGE;
}

static int64_t now_s(void)
{
	return (int64_t)time(NULL);
}

static struct seg *seg_of(int id)
{
	if (id < 0)
		return NULL;
	unsigned slot = (unsigned)id % SLOTS;
	struct seg *s = slots[slot];
	return s && s->ds.seq == (unsigned)id / SLOTS ? s : NULL;
}

static int id_of(unsigned slot)
{
	return (int)(seqs[slot] * SLOTS + slot);
}

/* Linux's ipcperms: the owner's, the group's or the others' bits, as
 * flg's rwx bits ask; uid 0 may do anything. */
static bool perm_ok(const struct cred *cr, const struct shm_ds *d, int flg)
{
	unsigned want = ((unsigned)flg >> 6 | (unsigned)flg >> 3 | flg) & 7;
	unsigned have = d->mode;
	if (cr->euid == d->uid || cr->euid == d->cuid)
		have >>= 6;
	else if (cred_in_egroup(cr, d->gid) || cred_in_egroup(cr, d->cgid))
		have >>= 3;
	return cred_capable(cr) || !(want & ~have & 7);
}

static bool owner_ok(const struct cred *cr, const struct shm_ds *d)
{
	return cred_capable(cr) || cr->euid == d->uid || cr->euid == d->cuid;
}

static int memfd_sized(uint64_t size)
{
	int fd = memfd_create("lind-shm", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

static long seg_new(const struct cred *cr, uint64_t cage, int32_t key,
		    uint64_t size, int flags)
{
	if (size < 1 || size > srv_limits.shm_bytes)
		return -EINVAL;
	if (pages_of(size) > srv_limits.shm_bytes - total_bytes ||
	    nsegs >= srv_limits.shm_segments)
		return -ENOSPC;
	unsigned slot = 0;
	while (slot < SLOTS && slots[slot])
		slot++;
	assert(slot < SLOTS); /* shm_segments <= SLOTS */
	struct seg *s = calloc(1, sizeof *s);
	if (!s)
		return -ENOMEM;
	s->fd = memfd_sized(size);
	if (s->fd < 0) {
		long e = s->fd;
		free(s);
		return e == -EMFILE || e == -ENFILE ? -ENOSPC : e;
	}
	s->ds = (struct shm_ds){.key = key, .uid = cr->euid, .gid = cr->egid,
				.cuid = cr->euid, .cgid = cr->egid,
				.mode = (uint32_t)flags & 0777,
				.seq = seqs[slot], .segsz = size,
				.ctime = now_s(), .cpid = (int32_t)cage};
	slots[slot] = s;
	nsegs++;
	total_bytes += pages_of(size);
	return id_of(slot);
}

static void seg_free(unsigned slot)
{
	struct seg *s = slots[slot];
	close(s->fd);
	total_bytes -= pages_of(s->ds.segsz);
	nsegs--;
	free(s);
	slots[slot] = NULL;
	seqs[slot] = seqs[slot] == SEQ_MAX ? 0 : seqs[slot] + 1;
}

/* IPC_RMID'd and unused: gone. */
static void seg_maybe_free(unsigned slot)
{
	struct seg *s = slots[slot];
	if ((s->ds.mode & SHM_DEST) && !s->ds.nattch)
		seg_free(slot);
}

long shm_get(const struct cred *cr, uint64_t cage, int32_t key,
	     uint64_t size, int flags)
{
	if (key == IPC_PRIVATE)
		return seg_new(cr, cage, key, size, flags);
	for (unsigned i = 0; i < SLOTS; i++) {
		struct seg *s = slots[i];
		if (!s || s->ds.key != key || (s->ds.mode & SHM_DEST))
			continue;
		if ((flags & IPC_CREAT) && (flags & IPC_EXCL))
			return -EEXIST;
		if (!perm_ok(cr, &s->ds, flags))
			return -EACCES;
		if (size > s->ds.segsz)
			return -EINVAL;
		return id_of(i);
	}
	if (!(flags & IPC_CREAT))
		return -ENOENT;
	return seg_new(cr, cage, key, size, flags);
}

static unsigned atts_of(uint64_t cage)
{
	unsigned n = 0;
	for (struct att *a = atts; a; a = a->next)
		n += a->cage == cage;
	return n;
}

static bool att_add(uint64_t cage, unsigned slot, uint64_t addr)
{
	struct att *a = malloc(sizeof *a);
	if (!a)
		return false;
	*a = (struct att){cage, slot, addr, atts};
	atts = a;
	natts++;
	slots[slot]->ds.nattch++;
	return true;
}

/* Unlinks *pp; the segment goes with its last attachment once removed. */
static void att_drop(struct att **pp, uint64_t cage)
{
	struct att *a = *pp;
	struct seg *s = slots[a->slot];
	*pp = a->next;
	natts--;
	assert(s && s->ds.nattch);
	s->ds.nattch--;
	s->ds.dtime = now_s();
	s->ds.lpid = (int32_t)cage;
	unsigned slot = a->slot;
	free(a);
	seg_maybe_free(slot);
}

long shm_attach(const struct cred *cr, uint64_t cage, int id, int flags,
		uint64_t *size)
{
	struct seg *s = seg_of(id);
	if (!s)
		return -EINVAL;
	int want = S_IRUGO;
	if (!(flags & SHM_RDONLY))
		want |= S_IWUGO;
	if (flags & SHM_EXEC)
		want |= S_IXUGO;
	if (!perm_ok(cr, &s->ds, want))
		return -EACCES;
	if (atts_of(cage) >= ATT_MAX)
		return -ENOMEM;
	/* a new description with only the access asked for: the fd a cage
	 * keeps grants no more than its shmat did */
	char path[40];
	snprintf(path, sizeof path, "/proc/self/fd/%d", s->fd);
	int fd = open(path, (flags & SHM_RDONLY ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return errno == EMFILE || errno == ENFILE ? -ENOMEM : -errno;
	if (!att_add(cage, (unsigned)id % SLOTS, 0)) {
		close(fd);
		return -ENOMEM;
	}
	s->ds.atime = now_s();
	s->ds.lpid = (int32_t)cage;
	*size = s->ds.segsz;
	return fd;
}

/* A mapping over a whole attachment (shmat with SHM_REMAP) ends it, as
 * the kernel closes the mapping it replaced. */
static void drop_covered(const struct att *new, uint64_t cage)
{
	uint64_t end = new->addr + pages_of(slots[new->slot]->ds.segsz);
	struct att **pp = &atts;
	while (*pp) {
		struct att *a = *pp;
		uint64_t len = pages_of(slots[a->slot]->ds.segsz);
		if (a != new && a->cage == cage && a->addr &&
		    a->addr >= new->addr && a->addr + len <= end)
			att_drop(pp, cage);
		else
			pp = &a->next;
	}
}

long shm_attached(uint64_t cage, int id, uint64_t addr)
{
	if (!seg_of(id))
		return -EINVAL;
	for (struct att **pp = &atts; *pp; pp = &(*pp)->next) {
		struct att *a = *pp;
		if (a->cage != cage || a->slot != (unsigned)id % SLOTS || a->addr)
			continue;
		if (!addr) {
			att_drop(pp, cage);
			return 0;
		}
		a->addr = addr;
		drop_covered(a, cage);
		return 0;
	}
	return -EINVAL;
}

long shm_detach(uint64_t cage, uint64_t addr)
{
	if (!addr || addr % PAGE)
		return -EINVAL;
	for (struct att **pp = &atts; *pp; pp = &(*pp)->next) {
		if ((*pp)->cage != cage || (*pp)->addr != addr)
			continue;
		long len = (long)pages_of(slots[(*pp)->slot]->ds.segsz);
		att_drop(pp, cage);
		return len;
	}
	return -EINVAL;
}

void shm_cage_gone(uint64_t cage)
{
	struct att **pp = &atts;
	while (*pp)
		if ((*pp)->cage == cage)
			att_drop(pp, cage);
		else
			pp = &(*pp)->next;
}

long shm_cage_fork(uint64_t parent, uint64_t child)
{
	for (struct att *a = atts; a; a = a->next)
		if (a->cage == parent && a->addr &&
		    !att_add(child, a->slot, a->addr)) {
			shm_cage_gone(child);
			return -ENOMEM;
		}
	return 0;
}

static long max_slot(void)
{
	long m = 0;
	for (unsigned i = 0; i < SLOTS; i++)
		if (slots[i])
			m = i;
	return m;
}

static long ctl_info(int cmd, void *buf)
{
	if (cmd == IPC_INFO) {
		struct shminfo si = {.shmmax = srv_limits.shm_bytes,
				     .shmmin = 1,
				     .shmmni = srv_limits.shm_segments,
				     .shmseg = srv_limits.shm_segments,
				     .shmall = srv_limits.shm_bytes / PAGE};
		memcpy(buf, &si, sizeof si);
	} else {
		struct shm_info si = {.used_ids = (int)nsegs,
				      .shm_tot = total_bytes / PAGE};
		memcpy(buf, &si, sizeof si);
	}
	return max_slot();
}

/* IPC_SET, IPC_RMID, SHM_LOCK, SHM_UNLOCK: the owner's, or root's. */
static long ctl_change(const struct cred *cr, int id, int cmd,
		       const struct shm_ds *in)
{
	struct seg *s = seg_of(id);
	if (!s)
		return -EINVAL;
	if (!owner_ok(cr, &s->ds))
		return -EPERM;
	switch (cmd) {
	case IPC_SET:
		s->ds.uid = in->uid;
		s->ds.gid = in->gid;
		s->ds.mode = (s->ds.mode & ~0777u) | (in->mode & 0777);
		s->ds.ctime = now_s();
		return 0;
	case IPC_RMID:
		s->ds.mode |= SHM_DEST;
		s->ds.key = IPC_PRIVATE; /* shmget finds it no more */
		seg_maybe_free((unsigned)id % SLOTS);
		return 0;
	case SHM_LOCK:
		s->ds.mode |= SHM_LOCKED;
		return 0;
	default:
		s->ds.mode &= ~(uint32_t)SHM_LOCKED;
		return 0;
	}
}

long shm_ctl(const struct cred *cr, uint64_t cage, int id, int cmd,
	     void *buf)
{
	(void)cage;
	if (cmd < 0 || id < 0)
		return -EINVAL;
	switch (cmd) {
	case IPC_INFO:
	case SHM_INFO:
		return buf ? ctl_info(cmd, buf) : -EFAULT;
	case IPC_STAT:
	case SHM_STAT:
	case SHM_STAT_ANY: {
		if (cmd != IPC_STAT)
			id = id < SLOTS && slots[id] ? id_of((unsigned)id) : -1;
		struct seg *s = seg_of(id);
		if (!s)
			return -EINVAL;
		if (cmd != SHM_STAT_ANY && !perm_ok(cr, &s->ds, S_IRUGO))
			return -EACCES;
		if (!buf)
			return -EFAULT;
		memcpy(buf, &s->ds, sizeof s->ds);
		return cmd == IPC_STAT ? 0 : id;
	}
	case IPC_SET:
		if (!buf)
			return -EFAULT;
		/* fall through */
	case IPC_RMID:
	case SHM_LOCK:
	case SHM_UNLOCK:
		return ctl_change(cr, id, cmd, buf);
	default:
		return -EINVAL;
	}
}

void shm_usage(unsigned *segs, uint64_t *bytes, unsigned *natt)
{
	*segs = nsegs;
	*bytes = total_bytes;
	*natt = natts;
}

void shm_free_all(void)
{
	while (atts) {
		struct att *a = atts;
		atts = a->next;
		free(a);
	}
	natts = 0;
	for (unsigned i = 0; i < SLOTS; i++)
		if (slots[i])
			seg_free(i);
}

/* /dev/shm: what sem_open and shm_open use (glibc's fixed directory), a
 * sticky directory anyone may create in, as a tmpfs mounted there is.
 * Made in the store if /dev has none, as /proc is (procfs_attach). */
int shm_dir_attach(struct vfs *v, char *why, size_t cap)
{
	struct inode *root = vfs_root(v);
	struct dentry *e = root ? vfs_lookup(root, "dev") : NULL;
	struct inode *dev = e ? vfs_get(v, e->ino) : NULL;
	if (!dev || !S_ISDIR(dev->mode) || dev->host || dev->mnt ||
	    vfs_lookup(dev, "shm"))
		return 0; /* no /dev of the store's own, or one there already */
	struct inode *in = vfs_alloc(v, S_IFDIR | 01777, 0, 0, 0);
	if (!in || vfs_dir_add(dev, "shm", in->ino) < 0) {
		if (in)
			vfs_remove(v, in);
		snprintf(why, cap, "/dev/shm: %s", strerror(ENOMEM));
		return -1;
	}
	in->nlink = 2;
	in->parent = dev->ino;
	dev->nlink++;
	struct store *st = vfs_store(v);
	store_log_inode(st, in);
	store_log_link(st, dev->ino, "shm", in->ino);
	store_log_inode(st, dev);
	int r = store_flush(st);
	if (r < 0) {
		snprintf(why, cap, "/dev/shm: store: %s", strerror(-r));
		return -1;
	}
	return 0;
}
