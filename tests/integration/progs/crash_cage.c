/* crash.sh's cage: a busy workload whose every acknowledged call is
 * known, and the check of a store after the server was killed.
 *
 *   crash_cage mkdirs DIR...   each DIR (parents as needed), DIR/a, DIR/b
 *   crash_cage work DIR SEED   for ever: creates, appends, fsyncs, renames
 *                              (within and across a and b, over existing
 *                              names), links and unlinks files f0..f15 of
 *                              DIR/a and DIR/b, chosen by SEED; before each
 *                              call prints "try OP" on stdout, after it
 *                              succeeded "ok" (one write each); exits 1 at
 *                              the first failure
 *   crash_cage verify          stdin: sections "= DIR" followed by that
 *                              DIR's work output; replays each and checks
 *                              DIR holds exactly that state (names, which
 *                              names share an inode, link counts, sizes,
 *                              contents, nothing else), or that state with
 *                              the last tried call done too (whole, or for
 *                              an append a prefix of it); prints what
 *                              differs and "N dirs, M calls, K bad";
 *                              with "inos", "ino N" for each file too
 *
 * After a kill -9 of the server (the host stays up) every acknowledged
 * call must be there, with its data, fsync'ed or not (docs/durability.md);
 * the one a cage was making may be there or not, never in part (but for
 * an append's bytes). */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NNAMES 16
#define NSLOTS (2 * NNAMES) /* f0..f15 in a, then in b */
#define MAX_APPEND 16384    /* one frame: a write is one server call */

struct inode {
	bool used;
	int nlink;
	uint64_t size, hash;
};

/* names -> inodes; an inode per name at most */
struct model {
	int slot[NSLOTS]; /* index into in[], or -1 */
	struct inode in[NSLOTS];
};

enum kind { CREATE, APPEND, FSYNC, RENAME, LINK, UNLINK };
static const char *const kind_names[] = {"create", "append", "fsync",
					 "rename", "link", "unlink"};

struct op {
	enum kind kind;
	int p, q;      /* slots */
	uint64_t seed; /* append: its bytes */
	unsigned len;
};

/* ---- the model, the same for work and verify ---------------------- */

#define FNV_OFFSET 0xcbf29ce484222325ull

static uint64_t fnv_more(uint64_t h, const unsigned char *b, size_t n)
{
	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ull;
	}
	return h;
}

/* an append's bytes, from its seed */
static void fill(uint64_t seed, unsigned char *buf, size_t n)
{
	uint64_t x = seed | 1;
	for (size_t i = 0; i < n; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (unsigned char)(x >> 24);
	}
}

static void model_init(struct model *m)
{
	memset(m, 0, sizeof *m);
	for (int s = 0; s < NSLOTS; s++)
		m->slot[s] = -1;
}

static void unref(struct model *m, int i)
{
	if (--m->in[i].nlink == 0)
		m->in[i].used = false;
}

static void apply(struct model *m, const struct op *op)
{
	static unsigned char buf[MAX_APPEND];
	int i = m->slot[op->p], j = op->q >= 0 ? m->slot[op->q] : -1, k = 0;
	switch (op->kind) {
	case CREATE:
		while (m->in[k].used)
			k++;
		m->in[k] = (struct inode){true, 1, 0, FNV_OFFSET};
		m->slot[op->p] = k;
		break;
	case APPEND:
		fill(op->seed, buf, op->len);
		m->in[i].hash = fnv_more(m->in[i].hash, buf, op->len);
		m->in[i].size += op->len;
		break;
	case FSYNC:
		break;
	case RENAME: /* two names of one file: nothing happens */
		if (i == j)
			break;
		if (j >= 0)
			unref(m, j);
		m->slot[op->q] = i;
		m->slot[op->p] = -1;
		break;
	case LINK:
		m->slot[op->q] = i;
		m->in[i].nlink++;
		break;
	case UNLINK:
		unref(m, i);
		m->slot[op->p] = -1;
		break;
	}
}

static void slot_name(int s, char *out, size_t n)
{
	snprintf(out, n, "%c/f%d", s < NNAMES ? 'a' : 'b', s % NNAMES);
}

static int slot_of(const char *name)
{
	int i;
	char d, end;
	if (sscanf(name, "%c/f%d%c", &d, &i, &end) != 2 || i < 0 ||
	    i >= NNAMES || (d != 'a' && d != 'b'))
		return -1;
	return (d == 'b') * NNAMES + i;
}

static int op_format(const struct op *op, char *out, size_t n)
{
	char p[16], q[16] = "";
	slot_name(op->p, p, sizeof p);
	if (op->q >= 0)
		slot_name(op->q, q, sizeof q);
	if (op->kind == APPEND)
		return snprintf(out, n, "try append %s %llu %u\n", p,
				(unsigned long long)op->seed, op->len);
	return snprintf(out, n, "try %s %s%s%s\n", kind_names[op->kind], p,
			*q ? " " : "", q);
}

/* A "try" line back into an op, checked against the model (the call's
 * source is a name, a create's or link's target is not): 0 or -1. */
static int op_parse(const char *line, const struct model *m, struct op *op)
{
	char kind[16], p[16], q[24], len[16];
	int n = sscanf(line, "try %15s %15s %23s %15s", kind, p, q, len);
	if (n < 2)
		return -1;
	for (op->kind = CREATE; op->kind < UNLINK; op->kind++)
		if (!strcmp(kind_names[op->kind], kind))
			break;
	if (strcmp(kind_names[op->kind], kind) || (op->p = slot_of(p)) < 0)
		return -1;
	bool two = op->kind == RENAME || op->kind == LINK;
	if (n != 2 + two + 2 * (op->kind == APPEND))
		return -1;
	op->q = -1;
	op->seed = op->kind == APPEND ? strtoull(q, NULL, 10) : 0;
	op->len = op->kind == APPEND ? (unsigned)strtoul(len, NULL, 10) : 0;
	if (op->len > MAX_APPEND ||
	    (two && ((op->q = slot_of(q)) < 0 || op->q == op->p)))
		return -1;
	if ((m->slot[op->p] >= 0) != (op->kind != CREATE))
		return -1;
	return op->kind == LINK && m->slot[op->q] >= 0 ? -1 : 0;
}

/* ---- work ----------------------------------------------------------- */

static uint64_t rng;
static unsigned rnd(unsigned n)
{
	rng = rng * 6364136223846793005ull + 1442695040888963407ull;
	return (unsigned)(rng >> 33) % n;
}

/* a random slot that is (used) or is not (!used) a name; -1: none */
static int pick_slot(const struct model *m, bool used, int not)
{
	int start = (int)rnd(NSLOTS);
	for (int k = 0; k < NSLOTS; k++) {
		int s = (start + k) % NSLOTS;
		if (s != not && (m->slot[s] >= 0) == used)
			return s;
	}
	return -1;
}

static void pick(const struct model *m, struct op *op)
{
	static const enum kind deck[] = {
		CREATE, CREATE, CREATE, CREATE, APPEND, APPEND, APPEND, APPEND,
		APPEND, FSYNC, FSYNC, RENAME, RENAME, RENAME, LINK, UNLINK,
		UNLINK};
	for (;;) {
		op->kind = deck[rnd(sizeof deck / sizeof deck[0])];
		op->q = -1;
		op->seed = rng;
		op->len = 1 + rnd(MAX_APPEND);
		op->p = pick_slot(m, op->kind != CREATE, -1);
		if (op->p < 0)
			continue;
		if (op->kind == RENAME)
			op->q = (op->p + 1 + (int)rnd(NSLOTS - 1)) % NSLOTS;
		if (op->kind == LINK && (op->q = pick_slot(m, false, op->p)) < 0)
			continue;
		return;
	}
}

static int do_append(const char *path, const struct op *op)
{
	static unsigned char buf[MAX_APPEND];
	fill(op->seed, buf, op->len);
	int fd = open(path, O_WRONLY | O_APPEND);
	if (fd < 0)
		return -1;
	ssize_t w = write(fd, buf, op->len);
	int r = w == (ssize_t)op->len ? 0 : -1;
	if (w >= 0 && w < (ssize_t)op->len)
		errno = EIO; /* short */
	return close(fd) < 0 ? -1 : r;
}

static int do_fsync(const char *path)
{
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	return close(fd) < 0 ? -1 : r;
}

static int do_op(const char *dir, const struct op *op)
{
	char p[PATH_MAX], q[PATH_MAX], name[16];
	slot_name(op->p, name, sizeof name);
	snprintf(p, sizeof p, "%s/%s", dir, name);
	if (op->q >= 0) {
		slot_name(op->q, name, sizeof name);
		snprintf(q, sizeof q, "%s/%s", dir, name);
	}
	int fd;
	switch (op->kind) {
	case CREATE:
		fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0644);
		return fd < 0 ? -1 : close(fd);
	case APPEND:
		return do_append(p, op);
	case FSYNC:
		return do_fsync(p);
	case RENAME:
		return rename(p, q);
	case LINK:
		return link(p, q);
	case UNLINK:
		return unlink(p);
	}
	return -1;
}

/* One write per line: the line is in the host file, or the cage ends. */
static void say(const char *line, size_t n)
{
	if (write(1, line, n) != (ssize_t)n)
		exit(1);
}

static int work(const char *dir, const char *seed)
{
	struct model m;
	model_init(&m);
	rng = strtoull(seed, NULL, 10);
	for (;;) {
		struct op op;
		char line[128];
		pick(&m, &op);
		say(line, (size_t)op_format(&op, line, sizeof line));
		if (do_op(dir, &op) < 0) {
			line[strlen(line) - 1] = 0;
			fprintf(stderr, "crash_cage: %s: %s\n", line,
				strerror(errno));
			return 1;
		}
		say("ok\n", 3);
		apply(&m, &op);
	}
}

/* DIR (and what is missing above it), DIR/a, DIR/b */
static int mkdirs(const char *dir)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", dir);
	for (char *p = path + 1; (p = strchr(p, '/')); *p++ = '/') {
		*p = 0;
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			return perror(path), 1;
	}
	static const char *const subs[] = {"", "/a", "/b"};
	for (int i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s%s", dir, subs[i]);
		if (mkdir(path, 0755) < 0)
			return perror(path), 1;
	}
	return 0;
}

/* ---- verify --------------------------------------------------------- */

struct actual {
	bool present;
	ino_t ino;
	nlink_t nlink;
	uint64_t size, hash;
};

static int read_file(const char *path, struct actual *a)
{
	static unsigned char buf[65536];
	int fd = open(path, O_RDONLY);
	struct stat st;
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0)
		return close(fd), -1;
	*a = (struct actual){true, st.st_ino, st.st_nlink, 0, FNV_OFFSET};
	ssize_t r;
	while ((r = read(fd, buf, sizeof buf)) > 0) {
		a->hash = fnv_more(a->hash, buf, (size_t)r);
		a->size += (uint64_t)r;
	}
	close(fd);
	return r < 0 || a->size != (uint64_t)st.st_size ? -1 : 0;
}

/* Names in DIR (or DIR/sub) that no slot has: printed, counted. */
static int strangers(const char *dir, const char *sub)
{
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s%s%s", dir, *sub ? "/" : "", sub);
	DIR *d = opendir(path);
	if (!d)
		return printf("BAD %s: %s\n", path, strerror(errno)), 1;
	int n = 0;
	for (struct dirent *e; (e = readdir(d));) {
		char name[300];
		snprintf(name, sizeof name, "%s/%s", sub, e->d_name);
		bool known = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") ||
			     (*sub ? slot_of(name) >= 0
				   : !strcmp(e->d_name, "a") || !strcmp(e->d_name, "b"));
		if (!known)
			n++, printf("BAD %s: unknown name %s\n", path, e->d_name);
	}
	closedir(d);
	return n;
}

static int read_actual(const char *dir, struct actual *act)
{
	char path[PATH_MAX], name[16];
	for (int s = 0; s < NSLOTS; s++) {
		slot_name(s, name, sizeof name);
		snprintf(path, sizeof path, "%s/%s", dir, name);
		act[s].present = false;
		if (read_file(path, &act[s]) < 0 && errno != ENOENT)
			return printf("BAD %s: %s\n", path, strerror(errno)), 1;
	}
	return strangers(dir, "") + strangers(dir, "a") + strangers(dir, "b");
}

/* The content of inode i as act says, or for the inode a pending append
 * (part) writes to, any prefix of that append. */
static bool content_ok(const struct inode *in, const struct actual *a,
		       const struct op *part)
{
	static unsigned char buf[MAX_APPEND];
	if (!part)
		return a->size == in->size && a->hash == in->hash;
	if (a->size < in->size || a->size > in->size + part->len)
		return false;
	fill(part->seed, buf, part->len);
	return a->hash == fnv_more(in->hash, buf, a->size - in->size);
}

static bool matches(const struct model *m, const struct actual *act,
		    const struct op *part)
{
	int pi = part ? m->slot[part->p] : -1;
	for (int s = 0; s < NSLOTS; s++) {
		int i = m->slot[s];
		if ((i >= 0) != act[s].present)
			return false;
		if (i < 0)
			continue;
		if (act[s].nlink != (nlink_t)m->in[i].nlink ||
		    !content_ok(&m->in[i], &act[s], i == pi ? part : NULL))
			return false;
		for (int t = 0; t < s; t++)
			if (m->slot[t] >= 0 &&
			    (m->slot[t] == i) != (act[t].ino == act[s].ino))
				return false;
	}
	return true;
}

static bool slot_differs(const struct model *m, const struct actual *a,
			 int s)
{
	int i = m->slot[s];
	if (i < 0 || !a[s].present)
		return (i >= 0) != a[s].present;
	return a[s].nlink != (nlink_t)m->in[i].nlink ||
	       a[s].size != m->in[i].size || a[s].hash != m->in[i].hash;
}

/* The names that differ, or all of them when only inodes are mixed up. */
static void show(const char *dir, const struct model *m,
		 const struct actual *act)
{
	bool all = true;
	for (int s = 0; s < NSLOTS; s++)
		all = all && !slot_differs(m, act, s);
	for (int s = 0; s < NSLOTS; s++) {
		char name[16];
		int i = m->slot[s];
		if ((i < 0 && !act[s].present) ||
		    (!all && !slot_differs(m, act, s)))
			continue;
		slot_name(s, name, sizeof name);
		printf("  %s/%s: want", dir, name);
		if (i >= 0)
			printf(" inode %d nlink %d %llu bytes %016llx", i,
			       m->in[i].nlink, (unsigned long long)m->in[i].size,
			       (unsigned long long)m->in[i].hash);
		else
			printf(" nothing");
		printf(", have");
		if (act[s].present)
			printf(" ino %llu nlink %llu %llu bytes %016llx\n",
			       (unsigned long long)act[s].ino,
			       (unsigned long long)act[s].nlink,
			       (unsigned long long)act[s].size,
			       (unsigned long long)act[s].hash);
		else
			printf(" nothing\n");
	}
}

static bool print_inos; /* verify inos */

/* DIR against the model, or the model with the pending call done */
static int check_dir(const char *dir, const struct model *m,
		     const struct op *pending)
{
	struct actual act[NSLOTS];
	if (read_actual(dir, act))
		return 1;
	for (int s = 0; s < NSLOTS && print_inos; s++)
		if (act[s].present)
			printf("ino %llu\n", (unsigned long long)act[s].ino);
	const struct op *part = pending && pending->kind == APPEND ? pending : NULL;
	if (matches(m, act, part))
		return 0;
	if (pending && !part) {
		struct model done = *m;
		apply(&done, pending);
		if (matches(&done, act, NULL))
			return 0;
	}
	char line[128] = "nothing\n";
	if (pending)
		op_format(pending, line, sizeof line);
	printf("BAD %s: not the state its acknowledged calls left; pending: %s",
	       dir, line);
	show(dir, m, act);
	return 1;
}

static int verify(void)
{
	char line[256], dir[256] = "";
	struct model m;
	struct op pending;
	bool has_pending = false;
	int dirs = 0, bad = 0;
	long calls = 0;
	for (bool more = true; more;) {
		more = fgets(line, sizeof line, stdin) != NULL;
		if (!more || !strncmp(line, "= ", 2)) {
			if (*dir)
				bad += check_dir(dir, &m,
						 has_pending ? &pending : NULL);
			if (!more)
				break;
			snprintf(dir, sizeof dir, "%s", line + 2);
			dir[strcspn(dir, "\n")] = 0;
			model_init(&m);
			has_pending = false;
			dirs++;
		} else if (!strcmp(line, "ok\n") && has_pending) {
			apply(&m, &pending);
			has_pending = false;
			calls++;
		} else if (!has_pending && op_parse(line, &m, &pending) == 0) {
			has_pending = true;
		} else {
			printf("BAD %s: log line out of place: %s", dir, line);
			bad++;
		}
	}
	printf("%d dirs, %ld calls, %d bad\n", dirs, calls, bad);
	return bad != 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "mkdirs")) {
		for (int i = 2; i < argc; i++)
			if (mkdirs(argv[i]))
				return 1;
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "work"))
		return work(argv[2], argv[3]);
	print_inos = argc == 3 && !strcmp(argv[2], "inos");
	if ((argc == 2 || print_inos) && !strcmp(argv[1], "verify"))
		return verify();
	fprintf(stderr, "usage: crash_cage mkdirs DIR... | work DIR SEED | "
			"verify [inos]\n");
	return 2;
}
