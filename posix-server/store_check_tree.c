/* fsck's checks (store_check.c's comment says which, and in what order),
 * each a line per problem and, with repair, its fix in the model. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store_check_model.h"

/* ---- names for messages ------------------------------------------------- */

static const char *type_of(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "regular file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFCHR: return "character device";
	case S_IFBLK: return "block device";
	case S_IFSOCK: return "socket";
	default: return "no file type";
	}
}

/* "/a/b" for an inode the walk reached (from /, or, lost, from
 * "inode N"), else "inode N"; cut at cap, from the left. */
static const char *path_of(struct ck *ck, uint64_t ino, char *buf,
			   size_t cap)
{
	size_t at = cap - 1;
	buf[at] = '\0';
	const struct ck_inode *in = ck_get(ck, ino);
	while (in && in->reached && in->via && at > 0) {
		const struct ck_entry *e = &ck->ent[in->via - 1];
		size_t n = strlen(e->name) + 1;
		n = n < at ? n : at;
		at -= n;
		memcpy(buf + at, "/", 1);
		memcpy(buf + at + 1, e->name, n - 1);
		ino = e->dir;
		in = ck_get(ck, ino);
	}
	char top[32] = "";
	if (ino != ROOT_INO || !in || !in->reached)
		snprintf(top, sizeof top, "inode %" PRIu64, ino);
	else if (at == cap - 1)
		snprintf(top, sizeof top, "/");
	size_t n = strlen(top) < at ? strlen(top) : at;
	at -= n;
	memcpy(buf + at, top, n);
	return ck_shown(buf + at, buf + at, cap - at);
}

#define PATH(ck, ino) path_of(ck, ino, (char[4096]){0}, 4096)

/* ---- entries and the tree ----------------------------------------------- */

static bool valid_name(const char *n)
{
	size_t l = strlen(n);
	return l && l <= NAME_MAX_LEN && !strchr(n, '/') && strcmp(n, ".") &&
	       strcmp(n, "..");
}

static void classify_entries(struct ck *ck)
{
	for (size_t i = 0; i < ck->nent; i++) {
		struct ck_entry *e = &ck->ent[i];
		const struct ck_inode *dir = ck_get(ck, e->dir);
		if (!e->live)
			continue;
		e->bad = !S_ISDIR(dir->rec.mode)      ? NOT_DIR
		       : !valid_name(e->name)     ? BAD_NAME
		       : !ck_get(ck, e->ino) ? DANGLING
						  : GOOD;
	}
}

static int by_dir_name(const void *a, const void *b, void *arg)
{
	const struct ck_entry *x = &((struct ck *)arg)->ent[*(const size_t *)a];
	const struct ck_entry *y = &((struct ck *)arg)->ent[*(const size_t *)b];
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return strcmp(x->name, y->name);
}

/* Live entries sorted by directory and name: the walk's order, and the
 * messages'. */
static size_t *sorted_entries(struct ck *ck, size_t *n)
{
	size_t *order = malloc((ck->nent + 1) * sizeof *order);
	if (!order)
		abort();
	*n = 0;
	for (size_t i = 0; i < ck->nent; i++)
		if (ck->ent[i].live)
			order[(*n)++] = i;
	qsort_r(order, *n, sizeof *order, by_dir_name, ck);
	return order;
}

/* First position in order of directory dir's entries. */
static size_t first_of(const struct ck *ck, const size_t *order, size_t n,
		       uint64_t dir)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (ck->ent[order[mid]].dir < dir)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

struct walk {
	size_t *order, n; /* sorted entries */
	uint64_t *queue;
	size_t cap;
};

static void report_entry(struct ck *ck, struct ck_entry *e)
{
	const char *dir = PATH(ck, e->dir);
	switch (e->bad) {
	case NOT_DIR:
		problem(ck, "%s: holds entry '%s' but is a %s", dir,
			SHOWN(e->name), type_of(ck_get(ck, e->dir)->rec.mode));
		break;
	case BAD_NAME:
		problem(ck, "%s: entry '%s' is not a valid name", dir,
			SHOWN(e->name));
		break;
	case DANGLING:
		problem(ck,
			"%s%s%s: names inode %" PRIu64 ", which does not "
			"exist",
			dir, e->dir == ROOT_INO ? "" : "/", SHOWN(e->name),
			e->ino);
		break;
	case DUP_DIR:
		problem(ck, "%s%s%s: names directory %s again (a directory has "
			    "one name)", dir, e->dir == ROOT_INO ? "" : "/",
			SHOWN(e->name), PATH(ck, e->ino));
		break;
	default:
		return;
	}
	if (ck_fixing(ck, true, "entry removed")) {
		ck_unlink(ck, e);
		e->bad = REMOVED;
	}
}

/* Reaches what start's good entries lead to; returns how many inodes it
 * reached (start not counted). */
static size_t walk_from(struct ck *ck, struct walk *w, struct ck_inode *start)
{
	size_t head = 0, tail = 0, count = 0;
	start->reached = true;
	w->queue[tail++] = start->ino;
	while (head < tail) {
		uint64_t d = w->queue[head++];
		for (size_t i = first_of(ck, w->order, w->n, d);
		     i < w->n && ck->ent[w->order[i]].dir == d; i++) {
			struct ck_entry *e = &ck->ent[w->order[i]];
			if (e->bad != GOOD || !e->live)
				continue;
			struct ck_inode *c = ck_get(ck, e->ino);
			if (S_ISDIR(c->rec.mode) &&
			    (c->reached || c->ino == ROOT_INO)) {
				e->bad = DUP_DIR;
				report_entry(ck, e);
				continue;
			}
			c->names++;
			if (c->reached)
				continue;
			c->reached = true;
			c->lost = start->lost;
			c->via = w->order[i] + 1;
			count++;
			if (S_ISDIR(c->rec.mode))
				w->queue[tail++] = c->ino;
		}
	}
	return count;
}

/* ---- what the walk from / does not reach -------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* A new inode of the root's owner. */
static struct ck_inode *new_inode(struct ck *ck, uint64_t ino, uint32_t mode)
{
	const struct ck_inode *root = ck_get(ck, ROOT_INO);
	uint32_t uid = root ? root->rec.uid : getuid(),
		 gid = root ? root->rec.gid : getgid();
	struct ck_inode *in = ck_insert(ck, ino); /* moves ck->in */
	in->rec.mode = mode;
	in->rec.uid = uid;
	in->rec.gid = gid;
	in->rec.nlink = 1;
	in->touched = true;
	in->rec.atime_ns = in->rec.mtime_ns = in->rec.ctime_ns = now_ns();
	return in;
}

/* /lost+found, made if missing; NULL (after a line) when in the way. */
static struct ck_inode *lost_found(struct ck *ck)
{
	struct ck_entry *e = ck_entry_at(ck, ROOT_INO, "lost+found");
	struct ck_inode *lf = e && e->live ? ck_get(ck, e->ino) : NULL;
	if (lf && S_ISDIR(lf->rec.mode))
		return lf;
	if (e && e->live) {
		fprintf(ck->out, "/lost+found is not a directory: move it "
				 "away to repair what follows\n");
		return NULL;
	}
	lf = new_inode(ck, ck->next_ino, S_IFDIR | 0700); /* moves ck->in */
	struct ck_inode *root = ck_get(ck, ROOT_INO);
	ck_link(ck, root, "lost+found", lf->ino);
	lf->parent = ROOT_INO;
	lf->reached = root->touched = lf->touched = true;
	lf->via =
		(size_t)(ck_entry_at(ck, ROOT_INO, "lost+found") - ck->ent) + 1;
	return lf;
}

/* Inode ino becomes /lost+found/#ino (a directory's other names
 * removed); false when there is no /lost+found to put it in. */
static bool to_lost_found(struct ck *ck, uint64_t ino)
{
	struct ck_inode *lf = lost_found(ck); /* may move ck->in */
	if (!lf)
		return false;
	struct ck_inode *in = ck_get(ck, ino);
	for (size_t i = 0; S_ISDIR(in->rec.mode) && i < ck->nent; i++)
		if (ck->ent[i].live && ck->ent[i].ino == ino)
			ck_unlink(ck, &ck->ent[i]);
	char name[32];
	snprintf(name, sizeof name, "#%" PRIu64, ino);
	ck_link(ck, lf, name, ino);
	if (S_ISDIR(in->rec.mode))
		in->parent = lf->ino;
	struct ck_entry *e = ck_entry_at(ck, lf->ino, name);
	in->via = (size_t)(e - ck->ent) + 1;
	in->names = 1;
	return true;
}

static int by_ino(const void *a, const void *b, void *arg)
{
	const struct ck *ck = arg;
	uint64_t x = ck->in[*(const size_t *)a].ino,
		 y = ck->in[*(const size_t *)b].ino;
	return x < y ? -1 : x > y;
}

static size_t *sorted_inodes(struct ck *ck)
{
	size_t *order = malloc((ck->nin + 1) * sizeof *order);
	if (!order)
		abort();
	for (size_t i = 0; i < ck->nin; i++)
		order[i] = i;
	qsort_r(order, ck->nin, sizeof *order, by_ino, ck);
	return order;
}

static void drop_later(struct ck *ck, uint64_t ino);

/* An inode unlinked while open when the server stopped: no name and a
 * link count of 0.  The next start frees it, and so does repair. */
static void unlinked_open(struct ck *ck, struct ck_inode *in)
{
	note(ck, "inode %" PRIu64 " (%s, %" PRIu64 " bytes): unlinked while "
		 "open when the server stopped; the next start frees it",
	     in->ino, type_of(in->rec.mode), in->rec.size);
	if (!ck_fixing(ck, false, "freed"))
		return;
	in->live = false;
	in->dropped = true;
	drop_later(ck, in->ino);
}

/* One lost inode (and, walking from it, what it holds). */
static void lost(struct ck *ck, struct walk *w, size_t pos)
{
	struct ck_inode *in = &ck->in[pos];
	in->lost = true;
	size_t under = walk_from(ck, w, in);
	in = &ck->in[pos];
	problem(ck, "inode %" PRIu64 " (%s, %" PRIu64 " bytes, link count %u"
		    ") is not reachable from /", in->ino, type_of(in->rec.mode),
		in->rec.size, in->rec.nlink);
	if (under)
		fprintf(ck->out, ", nor %zu more under it", under);
	fprintf(ck->out, ": the next start frees %s", under ? "them" : "it");
	char how[64];
	snprintf(how, sizeof how, "now /lost+found/#%" PRIu64, in->ino);
	if (ck_fixing(ck, true, how) && !to_lost_found(ck, in->ino))
		ck->res->repaired--;
}

static void check_unreachable(struct ck *ck, struct walk *w)
{
	size_t *order = sorted_inodes(ck), n = ck->nin; /* /lost+found new */
	for (int dirs = 1; dirs >= 0; dirs--) /* a lost tree from its top */
		for (size_t i = 0; i < n; i++) {
			struct ck_inode *in = &ck->in[order[i]];
			if (!in->live || in->reached ||
			    (bool)S_ISDIR(in->rec.mode) != dirs)
				continue;
			if (!dirs && !in->rec.nlink && !in->names)
				unlinked_open(ck, in);
			else
				lost(ck, w, order[i]);
		}
	free(order);
}

/* ---- data files --------------------------------------------------------- */

static void drop_later(struct ck *ck, uint64_t ino)
{
	ck->drop = ck_grow(ck->drop, &ck->capdrop, ck->ndrop + 1,
			   sizeof *ck->drop);
	ck->drop[ck->ndrop++] = ino;
}

/* data/<ino> that no live inode owns. */
static void orphan_data(struct ck *ck, uint64_t ino, const struct stat *st)
{
	const struct ck_inode *in = ck_inode_at(ck, ino);
	if (in && in->dropped)
		return; /* said with its inode */
	if ((in && in->freed) || (ino >= ck->journaled_ino && !st->st_size)) {
		note(ck, "data/%" PRIu64 ": left by a call cut short (%s); the "
			 "next start deletes it", ino,
		     in ? "its inode was freed" : "a create never journaled");
		if (ck_fixing(ck, false, "deleted"))
			drop_later(ck, ino);
		return;
	}
	if (!st->st_size || !S_ISREG(st->st_mode)) {
		problem(ck, "data/%" PRIu64 ": no inode owns it (%s); the next "
			    "start deletes it", ino,
			S_ISREG(st->st_mode) ? "empty" : type_of(st->st_mode));
		if (S_ISDIR(st->st_mode))
			ck_unfixed(ck, "move it away by hand");
		else if (ck_fixing(ck, true, "deleted"))
			drop_later(ck, ino);
		return;
	}
	problem(ck, "data/%" PRIu64 ": %lld bytes no inode owns; the next "
		    "start deletes them", ino, (long long)st->st_size);
	char how[64];
	snprintf(how, sizeof how, "now /lost+found/#%" PRIu64, ino);
	if (!ck_fixing(ck, true, how))
		return;
	struct ck_inode *n = new_inode(ck, ino, S_IFREG | 0600);
	n->rec.size = (uint64_t)st->st_size;
	n->rec.mtime_ns =
		(int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	n->data = 1;
	n->reached = true;
	if (!to_lost_found(ck, ino))
		ck->res->repaired--;
}

/* data/<ino> of a live inode. */
static void owned_data(struct ck *ck, struct ck_inode *in,
		       const struct stat *st)
{
	if (!S_ISREG(in->rec.mode)) {
		problem(ck,
			"data/%" PRIu64 ": belongs to %s, a %s, which keeps "
			"no data; the next start deletes it",
			in->ino, PATH(ck, in->ino), type_of(in->rec.mode));
		if (ck_fixing(ck, true, "deleted"))
			drop_later(ck, in->ino);
		return;
	}
	in->data = S_ISREG(st->st_mode) ? 1 : -1;
	if (in->data > 0)
		return;
	problem(ck, "data/%" PRIu64 " of %s is not a file on the host but a "
		    "%s", in->ino, PATH(ck, in->ino),
		S_ISLNK(st->st_mode) ? "symlink (a way out of the store)"
				     : type_of(st->st_mode));
	if (!S_ISLNK(st->st_mode)) {
		ck_unfixed(ck, "move it away by hand");
		return;
	}
	if (!ck_fixing(ck, true, "the link replaced by an empty file"))
		return;
	char name[32];
	snprintf(name, sizeof name, "%" PRIu64, in->ino);
	unlinkat(ck->datafd, name, 0);
	int fd = openat(ck->datafd, name,
			O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

static void scan_data(struct ck *ck)
{
	int fd = dup(ck->datafd);
	DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
	if (!d) {
		if (fd >= 0)
			close(fd);
		return;
	}
	struct dirent *e;
	while ((e = readdir(d))) {
		char *end;
		uint64_t ino = strtoull(e->d_name, &end, 10);
		struct stat st;
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		int r = fstatat(ck->datafd, e->d_name, &st,
				AT_SYMLINK_NOFOLLOW);
		if (*end || !ino || e->d_name[0] == '0' || r < 0) {
			note(ck, "data/%s: not a data file; left alone",
			     e->d_name);
			fputc('\n', ck->out);
			continue;
		}
		struct ck_inode *in = ck_get(ck, ino);
		if (in)
			owned_data(ck, in, &st);
		else
			orphan_data(ck, ino, &st);
	}
	closedir(d);
}

/* Regular files without their data file: one never written has none
 * (bind mountpoints, for one) and reads as empty, as its size says; one
 * whose size says more has lost its bytes (repair: an empty one). */
static void missing_data(struct ck *ck)
{
	for (size_t i = 0; i < ck->nin; i++) {
		struct ck_inode *in = &ck->in[i];
		if (!in->live || !S_ISREG(in->rec.mode) || in->data ||
		    !in->rec.size)
			continue;
		problem(ck, "%s: %" PRIu64 " bytes, but its data file data/%"
			    PRIu64 " is missing (it reads as empty)",
			PATH(ck, in->ino), in->rec.size, in->ino);
		if (!ck_fixing(ck, true, "size 0"))
			continue;
		in->rec.size = 0;
	}
}

/* ---- counts, '..', symlinks --------------------------------------------- */

/* The link count the entries give in (store.c's count for a healthy
 * tree: names, and for a directory "." and each subdirectory's ".."). */
static uint32_t links_of(struct ck *ck, const size_t *order, size_t n,
			 const struct ck_inode *in)
{
	if (!S_ISDIR(in->rec.mode))
		return in->names;
	uint32_t count = 2;
	for (size_t i = first_of(ck, order, n, in->ino);
	     i < n && ck->ent[order[i]].dir == in->ino; i++) {
		const struct ck_entry *e = &ck->ent[order[i]];
		const struct ck_inode *c = ck_get(ck, e->ino);
		if (e->live && e->bad == GOOD && c && S_ISDIR(c->rec.mode))
			count++;
	}
	return count;
}

/* What the repair itself changed, or what was said lost already, is set
 * without a line of its own. */
static bool said(struct ck *ck, const struct ck_inode *in)
{
	return in->lost || (ck->repair && in->touched);
}

static void check_parent(struct ck *ck, struct ck_inode *in)
{
	uint64_t want = in->via ? ck->ent[in->via - 1].dir : in->ino;
	if (!S_ISDIR(in->rec.mode) || in->parent == want)
		return;
	if (said(ck, in)) {
		in->parent = want;
		return;
	}
	problem(ck, "%s: its '..' is inode %" PRIu64 ", not the directory "
		    "holding it (%s)", PATH(ck, in->ino), in->parent,
		PATH(ck, want));
	if (ck_fixing(ck, true, "'..' set"))
		in->parent = want;
}

static void check_link(struct ck *ck, struct ck_inode *in)
{
	const char *p = PATH(ck, in->ino);
	if (!in->target)
		return;
	size_t len = strlen(in->target);
	if (len != in->tlen) {
		problem(ck, "%s: its target holds a NUL byte (the server reads "
			    "%zu of its %zu bytes)", p, len, in->tlen);
		if (ck_fixing(ck, true, "cut there"))
			in->tlen = len;
	}
	if (!len) {
		problem(ck, "%s: a symlink with an empty target", p);
		ck_unfixed(ck, "remove it, or ln -sf a target");
	} else if (in->rec.size != len) {
		problem(ck, "%s: size %" PRIu64 ", but its target is %zu bytes",
			p, in->rec.size, len);
		if (ck_fixing(ck, true, "size set"))
			in->rec.size = len;
	}
}

static void check_inode(struct ck *ck, const size_t *order, size_t n,
			struct ck_inode *in)
{
	switch (in->rec.mode & S_IFMT) {
	case S_IFREG: case S_IFDIR: case S_IFLNK: case S_IFIFO:
	case S_IFCHR: case S_IFBLK: case S_IFSOCK:
		break;
	default:
		problem(ck, "%s: mode 0%o has no file type", PATH(ck, in->ino),
			in->rec.mode);
		ck_unfixed(ck, "nothing safe to make of it");
	}
	check_parent(ck, in);
	if (S_ISLNK(in->rec.mode))
		check_link(ck, in);
	uint32_t links = links_of(ck, order, n, in);
	if (in->rec.nlink == links)
		return;
	if (said(ck, in)) {
		in->rec.nlink = links;
		return;
	}
	problem(ck, "%s: link count %u, but the entries make it %u",
		PATH(ck, in->ino), in->rec.nlink, links);
	if (ck_fixing(ck, true, "set"))
		in->rec.nlink = links;
}

/* ---- the checks in order ------------------------------------------------ */

/* / must be a directory to walk from: a missing one is made again (what
 * was under it is then lost, and found); false when it is something
 * else. */
static bool check_root(struct ck *ck)
{
	struct ck_inode *root = ck_get(ck, ROOT_INO);
	if (root && S_ISDIR(root->rec.mode))
		return true;
	if (root) {
		problem(ck, "/ (inode 1) is a %s, not a directory",
			type_of(root->rec.mode));
		ck_unfixed(ck, "nothing safe to make of it");
		return false;
	}
	problem(ck, "/ (inode 1) is missing");
	if (!ck_fixing(ck, true, "made anew"))
		return false;
	root = new_inode(ck, ROOT_INO, S_IFDIR | 0755);
	root->rec.uid = getuid();
	root->rec.gid = getgid();
	return true;
}

void ck_check_tree(struct ck *ck)
{
	classify_entries(ck);
	if (!check_root(ck)) {
		fprintf(ck->out, "the tree is not checked further\n");
		return;
	}
	struct walk w;
	w.order = sorted_entries(ck, &w.n);
	w.queue = malloc((ck->nin + 2) * sizeof *w.queue);
	if (!w.queue)
		abort();
	walk_from(ck, &w, ck_get(ck, ROOT_INO));
	for (size_t i = 0; i < w.n; i++)
		report_entry(ck, &ck->ent[w.order[i]]);
	check_unreachable(ck, &w);
	if (ck->datafd >= 0) {
		scan_data(ck);
		missing_data(ck);
	}
	free(w.order);
	w.order = sorted_entries(ck, &w.n); /* with /lost+found's */
	size_t *inodes = sorted_inodes(ck);
	for (size_t i = 0; i < ck->nin; i++)
		if (ck->in[inodes[i]].live)
			check_inode(ck, w.order, w.n, &ck->in[inodes[i]]);
	free(inodes);
	free(w.order);
	free(w.queue);
}

