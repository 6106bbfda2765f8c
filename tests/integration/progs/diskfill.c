/* The cage that fills the store's disk (tests/integration/durability.sh).
 * It prints one line per file saying what the server acknowledged:
 *   ok NAME SIZE        create, every write, fsync and close succeeded
 *   created NAME SIZE   the create succeeded, a later call failed (SIZE
 *                       bytes were attempted)
 *   nocreate NAME ERR   the create failed
 *   unlinked NAME       the unlink succeeded
 * and `verify` reads those lines back after a restart and checks them. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHUNK 65536
#define MAX_NAMES 20000

/* The byte at offset off of file name: a file holding another file's
 * bytes, or zeros, is caught. */
static unsigned char pattern(const char *name, size_t off)
{
	unsigned h = 5381;
	for (const char *p = name; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return (unsigned char)(h + off * 7 + off / 251);
}

/* Creates dir/name with size bytes; prints what was acknowledged and
 * returns the errno of the first failure (0: all acknowledged). */
static int make_file(const char *dir, const char *name, size_t size)
{
	static unsigned char buf[CHUNK];
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		int err = errno;
		printf("nocreate %s %s\n", name, strerrorname_np(err));
		return err;
	}
	int err = 0;
	for (size_t off = 0; off < size && !err;) {
		size_t n = size - off < CHUNK ? size - off : CHUNK;
		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(name, off + i);
		ssize_t w = write(fd, buf, n);
		if (w < 0)
			err = errno;
		else if ((size_t)w < n)
			err = ENOSPC; /* short: the next write says why */
		off += w > 0 ? (size_t)w : 0;
	}
	if (!err && fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	printf("%s %s %zu\n", err ? "created" : "ok", name, size);
	return err;
}

/* fill DIR: big files until a write fails (the disk is full), then empty
 * files until a create fails, then 10 more creates, which must fail too. */
static int cmd_fill(const char *dir)
{
	char name[64];
	int i = 0, err = 0;
	while (err != ENOSPC && i < 1000) {
		snprintf(name, sizeof name, "fill%d", i++);
		err = make_file(dir, name, 1 << 20);
	}
	if (err != ENOSPC)
		return printf("fill: never ENOSPC (%s)\n", strerrorname_np(err)), 1;
	for (i = 0, err = 0; !err && i < MAX_NAMES / 2; i++) {
		snprintf(name, sizeof name, "empty%d", i);
		err = make_file(dir, name, 0);
	}
	int enospc = 0;
	for (int k = 0; k < 10; k++) {
		snprintf(name, sizeof name, "late%d", k);
		enospc += make_file(dir, name, 0) == ENOSPC;
	}
	printf("full: %d of 10 creates failed with ENOSPC\n", enospc);
	return 0;
}

/* free DIR: unlinks the big files. */
static int cmd_free(const char *dir)
{
	char path[512];
	for (int i = 0;; i++) {
		snprintf(path, sizeof path, "%s/fill%d", dir, i);
		if (unlink(path) < 0)
			return errno == ENOENT && i > 0 ? 0
			       : (printf("unlink fill%d: %s\n", i,
					 strerrorname_np(errno)), 1);
		printf("unlinked fill%d\n", i);
	}
}

/* more DIR N: N files of 5000 bytes. */
static int cmd_more(const char *dir, int n)
{
	char name[64];
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof name, "more%d", i);
		make_file(dir, name, 5000);
	}
	return 0;
}

struct entry {
	char name[64];
	char state[16];
	size_t size;
};
static struct entry names[MAX_NAMES];
static int nnames;

static struct entry *entry_of(const char *name)
{
	for (int i = 0; i < nnames; i++)
		if (!strcmp(names[i].name, name))
			return &names[i];
	if (nnames == MAX_NAMES)
		return NULL;
	snprintf(names[nnames].name, sizeof names[0].name, "%s", name);
	return &names[nnames++];
}

/* Checks dir/e->name holds a prefix of its pattern, all of it if whole. */
static int check_bytes(const char *dir, const struct entry *e, int whole)
{
	static unsigned char buf[CHUNK];
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, e->name);
	int fd = open(path, O_RDONLY);
	if (fd < 0)
		return printf("BAD %s %s: %s\n", e->state, e->name,
			      strerrorname_np(errno)), 1;
	size_t off = 0;
	ssize_t n;
	int bad = 0;
	while (!bad && (n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n && !bad; i++)
			bad = buf[i] != pattern(e->name, off + (size_t)i);
		off += (size_t)n;
	}
	close(fd);
	if (bad || off > e->size || (whole && off != e->size))
		return printf("BAD %s %s: %zu of %zu bytes%s\n", e->state,
			      e->name, off, e->size, bad ? ", wrong bytes" : ""),
		       1;
	return 0;
}

static int check_absent(const char *dir, const struct entry *e)
{
	char path[512];
	struct stat st;
	snprintf(path, sizeof path, "%s/%s", dir, e->name);
	if (stat(path, &st) == 0)
		return printf("BAD %s %s: exists\n", e->state, e->name), 1;
	return 0;
}

/* Every name in dir must be one the log says exists. */
static int check_listing(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return printf("BAD opendir %s: %s\n", dir, strerrorname_np(errno)), 1;
	int bad = 0;
	for (struct dirent *de; (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		struct entry *e = NULL;
		for (int i = 0; i < nnames && !e; i++)
			if (!strcmp(names[i].name, de->d_name))
				e = &names[i];
		if (!e || !strcmp(e->state, "unlinked") ||
		    !strcmp(e->state, "nocreate")) {
			printf("BAD %s: listed, never acknowledged\n", de->d_name);
			bad = 1;
		}
	}
	closedir(d);
	return bad;
}

/* verify DIR < log */
static int cmd_verify(const char *dir)
{
	char line[256], state[16], name[64];
	size_t size;
	while (fgets(line, sizeof line, stdin)) {
		size = 0;
		if (sscanf(line, "%15s %63s %zu", state, name, &size) < 2 ||
		    !strchr("ocnu", state[0]) || !strcmp(state, "full:"))
			continue;
		struct entry *e = entry_of(name);
		if (!e)
			return printf("BAD too many names\n"), 1;
		snprintf(e->state, sizeof e->state, "%s", state);
		e->size = size;
	}
	int bad = 0, acked = 0, absent = 0;
	for (int i = 0; i < nnames; i++) {
		const struct entry *e = &names[i];
		if (!strcmp(e->state, "ok")) {
			bad += check_bytes(dir, e, 1);
			acked++;
		} else if (!strcmp(e->state, "created")) {
			bad += check_bytes(dir, e, 0);
		} else {
			bad += check_absent(dir, e);
			absent++;
		}
	}
	bad += check_listing(dir);
	printf("verified %d acknowledged files, %d absent, %d bad\n", acked,
	       absent, bad);
	return bad != 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0); /* lines survive a kill */
	const char *c = argc > 2 ? argv[1] : "";
	if (!strcmp(c, "fill") && argc == 3)
		return cmd_fill(argv[2]);
	if (!strcmp(c, "free") && argc == 3)
		return cmd_free(argv[2]);
	if (!strcmp(c, "more") && argc == 4)
		return cmd_more(argv[2], atoi(argv[3]));
	if (!strcmp(c, "verify") && argc == 3)
		return cmd_verify(argv[2]);
	fprintf(stderr, "usage: diskfill fill|free|verify DIR | more DIR N\n");
	return 2;
}
