/* The store's files as bytes (store_file.h). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "store_file.h"

uint32_t store_crc32(const void *p, size_t n)
{
	static uint32_t table[256];
	if (!table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t c = i;
			for (int k = 0; k < 8; k++)
				c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
			table[i] = c;
		}
	const uint8_t *b = p;
	uint32_t c = 0xffffffffu;
	while (n--)
		c = table[(c ^ *b++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

Lind__StoreOp store_op_link(uint64_t parent, const char *name, uint64_t ino)
{
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__LINK;
	op.parent = parent;
	op.name = (char *)name;
	op.ino = ino;
	return op;
}

size_t store_rec_size(const Lind__StoreOp *op)
{
	return lind__store_op__get_packed_size(op) + 8;
}

void store_rec_frame(uint8_t *dst, const Lind__StoreOp *op)
{
	size_t n = lind__store_op__pack(op, dst + 8);
	uint32_t len = (uint32_t)n | STORE_REC_MORE;
	uint32_t crc = store_crc32(dst + 8, n);
	memcpy(dst, &len, 4);
	memcpy(dst + 4, &crc, 4);
}

void store_rec_seal(uint8_t *rec)
{
	uint32_t len;
	memcpy(&len, rec, 4);
	len &= ~STORE_REC_MORE;
	memcpy(rec, &len, 4);
}

void store_recs_put(struct store_recs *b, const Lind__StoreOp *op)
{
	size_t n = store_rec_size(op);
	if (b->len + n > b->cap) {
		size_t cap = (b->cap ? b->cap * 2 : 4096) + n;
		uint8_t *p = realloc(b->p, cap);
		if (!p)
			abort();
		b->p = p;
		b->cap = cap;
	}
	store_rec_frame(b->p + b->len, op);
	b->last = b->len;
	b->len += n;
}

void store_recs_free(struct store_recs *b)
{
	free(b->p);
	*b = (struct store_recs){0};
}

size_t store_good_record(const uint8_t *buf, size_t n, size_t off)
{
	uint32_t len, crc;
	if (off > n || n - off < 8)
		return 0;
	memcpy(&len, buf + off, 4);
	memcpy(&crc, buf + off + 4, 4);
	len &= ~STORE_REC_MORE;
	if (len > n - off - 8 || store_crc32(buf + off + 8, len) != crc)
		return 0;
	return off + 8 + len;
}

/* Where the first bad record of buf starts; *whole: the end of the last
 * whole group before it. */
static size_t scan_records(const uint8_t *buf, size_t n, size_t *whole)
{
	size_t off = 0, end;
	*whole = 0;
	while ((end = store_good_record(buf, n, off))) {
		uint32_t len;
		memcpy(&len, buf + off, 4);
		off = end;
		if (!(len & STORE_REC_MORE))
			*whole = off;
	}
	return off;
}

size_t store_whole_groups(const uint8_t *buf, size_t n)
{
	size_t whole;
	scan_records(buf, n, &whole);
	return whole;
}

/* Applies the good records of buf[0..n) up to the first that does not
 * unpack; returns the bytes applied. */
static size_t replay_records(const uint8_t *buf, size_t n,
			     void (*fn)(const Lind__StoreOp *, void *),
			     void *arg)
{
	size_t off = 0;
	while (off < n) {
		uint32_t len;
		memcpy(&len, buf + off, 4);
		len &= ~STORE_REC_MORE;
		Lind__StoreOp *op =
			lind__store_op__unpack(NULL, len, buf + off + 8);
		if (!op)
			break;
		fn(op, arg);
		lind__store_op__free_unpacked(op, NULL);
		off += 8 + len;
	}
	return off;
}

size_t store_replay(const uint8_t *buf, size_t n,
		    void (*fn)(const Lind__StoreOp *op, void *arg), void *arg)
{
	return replay_records(buf, store_whole_groups(buf, n), fn, arg);
}

size_t store_replay_any(const uint8_t *buf, size_t n,
			void (*fn)(const Lind__StoreOp *op, void *arg),
			void *arg)
{
	size_t whole;
	return replay_records(buf, scan_records(buf, n, &whole), fn, arg);
}

int store_slurp(int dirfd, const char *name, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? 0 : -errno;
	struct stat st;
	if (fstat(fd, &st) < 0 || !(*buf = malloc((size_t)st.st_size + 1))) {
		close(fd);
		return -ENOMEM;
	}
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, *buf + got, (size_t)st.st_size - got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	*len = got;
	return 0;
}

int store_write_all(int fd, const void *p, size_t n)
{
	const uint8_t *b = p;
	while (n) {
		ssize_t w = write(fd, b, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int store_install(int dirfd, const char *name, const void *p, size_t n)
{
	char tmp[64];
	snprintf(tmp, sizeof tmp, "%s.tmp", name);
	int fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
			0600);
	if (fd < 0)
		return -errno;
	int r = store_write_all(fd, p, n);
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	if (r == 0 && renameat(dirfd, tmp, dirfd, name) < 0)
		r = -errno;
	if (r < 0)
		unlinkat(dirfd, tmp, 0); /* give the disk back */
	return r;
}

int store_lock(int dirfd)
{
	int fd = openat(dirfd, "lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int store_format_read(int dirfd, char *found, size_t cap)
{
	char fmt[64] = "";
	int fd = openat(dirfd, "FORMAT", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ENOENT : -errno;
	ssize_t n = read(fd, fmt, sizeof fmt - 1);
	fmt[n > 0 ? n : 0] = '\0';
	close(fd);
	if (!strcmp(fmt, STORE_FORMAT_TEXT))
		return 0;
	if (!strcmp(fmt, STORE_FORMAT_1_TEXT))
		return 1;
	fmt[strcspn(fmt, "\n")] = '\0';
	snprintf(found, cap, "%s", fmt);
	return -EPROTO;
}

int store_format_write(int dirfd)
{
	int r = store_install(dirfd, "FORMAT", STORE_FORMAT_TEXT,
			      strlen(STORE_FORMAT_TEXT));
	return r == 0 && fsync(dirfd) < 0 ? -errno : r;
}

/* ---- a new store -------------------------------------------------------- */

static void put_inode(struct store_recs *b, uint64_t ino, uint32_t mode,
		      uint32_t nlink, uint64_t rdev, uint64_t size,
		      const uint32_t owner[2])
{
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__INODE;
	op.ino = ino;
	op.mode = mode;
	op.uid = owner[0];
	op.gid = owner[1];
	op.nlink = nlink;
	op.rdev = rdev;
	op.size = size;
	op.atime_ns = op.mtime_ns = op.ctime_ns =
		(int64_t)now.tv_sec * 1000000000 + now.tv_nsec;
	store_recs_put(b, &op);
}

static void put_link(struct store_recs *b, uint64_t parent, const char *name,
		     uint64_t ino)
{
	Lind__StoreOp op = store_op_link(parent, name, ino);
	store_recs_put(b, &op);
}

/*
 * /etc as a fresh store has it: what the C library reads to look up
 * names, so that getaddrinfo("localhost"), getpwuid(0) and `id` answer
 * in a cage without --host-root (which covers /etc with the host's).
 * resolv.conf is the host's, copied when the store is made; it only
 * matters to a cage whose --net policy reaches a name server.
 */
#define ETC_FIRST_INO 8 /* /etc itself is 7 */
static const struct etc_file {
	const char *name, *text;
} etc_files[] = {
	{"hosts", "127.0.0.1\tlocalhost\n"
		  "::1\tlocalhost ip6-localhost ip6-loopback\n"},
	{"nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\n"
			  "hosts: files dns\nnetworks: files\n"
			  "protocols: files\nservices: files\n"},
	{"passwd", "root:x:0:0:root:/root:/bin/sh\n"
		   "nobody:x:65534:65534:nobody:/nonexistent:/bin/false\n"},
	{"group", "root:x:0:\nnogroup:x:65534:\n"},
	{"resolv.conf", NULL}, /* the host's */
};
#define ETC_FILES (sizeof etc_files / sizeof *etc_files)
_Static_assert(ETC_FILES == STORE_FRESH_DATA_FILES, "store_file.h says");

/* The host's resolv.conf, or a line saying there was none. */
static size_t host_resolv_conf(char *buf, size_t cap)
{
	static const char none[] = "# the host had no /etc/resolv.conf\n";
	int fd = open("/etc/resolv.conf", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd >= 0 ? read(fd, buf, cap) : -1;
	if (fd >= 0)
		close(fd);
	if (n > 0 && (size_t)n < cap)
		return (size_t)n;
	memcpy(buf, none, sizeof none - 1);
	return sizeof none - 1;
}

/* /etc and its files' data: 0 or -errno. */
static int etc_tree(struct store_recs *b, int datafd, const uint32_t owner[2])
{
	char resolv[4096], name[32];
	put_inode(b, 7, S_IFDIR | 0755, 2, 0, 0, owner);
	put_link(b, 1, "etc", 7);
	for (size_t i = 0; i < ETC_FILES; i++) {
		const struct etc_file *f = &etc_files[i];
		uint64_t ino = ETC_FIRST_INO + i;
		const char *text = f->text ? f->text : resolv;
		size_t len = f->text ? strlen(f->text)
				     : host_resolv_conf(resolv, sizeof resolv);
		snprintf(name, sizeof name, "%llu", (unsigned long long)ino);
		int r = store_install(datafd, name, text, len);
		if (r < 0)
			return r;
		put_inode(b, ino, S_IFREG | 0644, 1, 0, len, owner);
		put_link(b, 7, f->name, ino);
	}
	return 0;
}

/* /, /dev (null, zero, urandom), /tmp: inodes 1 to 6; /etc from 7. */
static int initial_tree(struct store_recs *b, int datafd,
			const uint32_t owner[2])
{
	put_inode(b, 1, S_IFDIR | 0755, 5, 0, 0, owner);
	put_inode(b, 2, S_IFDIR | 0755, 2, 0, 0, owner);
	put_inode(b, 3, S_IFCHR | 0666, 1, makedev(1, 3), 0, owner);
	put_inode(b, 4, S_IFCHR | 0666, 1, makedev(1, 5), 0, owner);
	put_inode(b, 5, S_IFCHR | 0666, 1, makedev(1, 9), 0, owner);
	put_inode(b, 6, S_IFDIR | 01777, 2, 0, 0, owner);
	put_link(b, 1, "dev", 2);
	put_link(b, 2, "null", 3);
	put_link(b, 2, "zero", 4);
	put_link(b, 2, "urandom", 5);
	put_link(b, 1, "tmp", 6);
	int r = etc_tree(b, datafd, owner);
	Lind__StoreOp op = LIND__STORE_OP__INIT;
	op.kind = LIND__STORE_OP__KIND__NEXT_INO;
	op.ino = ETC_FIRST_INO + ETC_FILES;
	store_recs_put(b, &op);
	store_rec_seal(b->p + b->last);
	return r;
}

int store_format_dir(int dirfd, uint32_t uid, uint32_t gid)
{
	if (mkdirat(dirfd, "data", 0700) < 0 && errno != EEXIST)
		return -errno;
	int datafd = openat(dirfd, "data", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (datafd < 0)
		return -errno;
	struct store_recs b = {0};
	int r = initial_tree(&b, datafd, (const uint32_t[2]){uid, gid});
	if (r == 0 && fsync(datafd) < 0)
		r = -errno;
	close(datafd);
	if (r == 0)
		r = store_install(dirfd, "meta.snap", b.p, b.len);
	store_recs_free(&b);
	if (r == 0 &&
	    fsync(dirfd) < 0) /* the snapshot is there before FORMAT */
		r = -errno;
	return r < 0 ? r : store_format_write(dirfd);
}
