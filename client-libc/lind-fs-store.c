/* lind-fs fsck and format: the store directory itself, while no server
 * runs (posix-server/store_check.c does the work, with the server's own
 * record code).  No relay is needed, and none is attached to. */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "common.h"
#include "lind-fs.h"
#include "store_check.h"
#include "store_file.h"

/* [--FLAG] [STORE]: the store (STORE, else LIND_STORE, else the default)
 * into dir; *flag set when --FLAG was given. */
static void store_args(int argc, char **argv, const char *flag, bool *set,
		       char *dir)
{
	const char *store = NULL;
	*set = false;
	for (int i = 0; i < argc; i++) {
		if (!strcmp(argv[i], flag))
			*set = true;
		else if (argv[i][0] == '-')
			usage_error("unknown option '%s'", argv[i]);
		else if (store)
			usage_error("one store at a time ('%s', '%s')", store,
				    argv[i]);
		else
			store = argv[i];
	}
	if (lind_store_dir(dir, PATH_MAX, store) < 0)
		usage_error("no store named, and no HOME to find the default");
}

/* Why a store could not be checked or made: one line, exit 3. */
static int refused(const char *dir, int r, const char *why)
{
	const char *msg = strerror(-r);
	char buf[256];
	if (r == -EWOULDBLOCK)
		msg = "in use by a running posix-server (its lock is held): "
		      "stop the server first";
	else if (r == -ENOENT && !strcmp(cmd, "fsck"))
		msg = "not a store (no FORMAT file)";
	else if (r == -EPROTO)
		msg = (snprintf(buf, sizeof buf, "store format \"%s\"; this "
						 "lind-fs reads \"%.*s\" and "
						 "older",
				why, (int)strlen(STORE_FORMAT_TEXT) - 1,
				STORE_FORMAT_TEXT),
		       buf);
	else if (r == -EEXIST)
		msg = "holds a store (--force erases it)";
	else if (r == -ENOTEMPTY)
		msg = (snprintf(buf, sizeof buf, "not empty and not a store "
						 "(holds %s): not touching it",
				why),
		       buf);
	fprintf(stderr, "lind-fs: %s: %s: %s\n", cmd, dir, msg);
	return 3;
}

int cmd_fsck(int argc, char **argv, const struct opts *o)
{
	(void)o;
	char dir[PATH_MAX], why[128];
	bool repair;
	store_args(argc, argv, "--repair", &repair, dir);
	struct store_check res;
	int r = store_check(dir, repair, stdout, &res, why, sizeof why);
	if (r < 0)
		return refused(dir, r, why);
	printf("%s: ", dir);
	if (!res.problems)
		printf("clean");
	else
		printf("%u problem%s (%u repaired)", res.problems,
		       res.problems == 1 ? "" : "s", res.repaired);
	if (res.notes)
		printf(", %u note%s", res.notes, res.notes == 1 ? "" : "s");
	printf("\n");
	return res.problems > res.repaired ? 1 : 0;
}

int cmd_format(int argc, char **argv, const struct opts *o)
{
	(void)o;
	char dir[PATH_MAX], why[PATH_MAX];
	bool force;
	store_args(argc, argv, "--force", &force, dir);
	int r = store_new(dir, force, why, sizeof why);
	if (r < 0)
		return refused(dir, r, why);
	printf("%s: an empty store (%.*s)\n", dir,
	       (int)strlen(STORE_FORMAT_TEXT) - 1, STORE_FORMAT_TEXT);
	return 0;
}
