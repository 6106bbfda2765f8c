/* Shared helpers for the posix-server unit tests: a scratch store, a cage,
 * and sys(): one handler call laid out by its table row.  Helpers take
 * the caller's file and line so a failure points at the test. */
#ifndef TEST_SERVER_UTIL_H
#define TEST_SERVER_UTIL_H

#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "../../posix-server/cage.h"
#include "../../posix-server/fdtable.h"
#include "../../posix-server/server.h"
#include "../../posix-server/store.h"
#include "../../posix-server/vfs.h"

/* check(expr, want): long-valued comparison reported at the caller. */
#define check(expr, want) \
	_assert_int_equal((long)(expr), (long)(want), __FILE__, __LINE__)

/* A fresh store in a temp dir, loaded into srv. */
static inline void tsrv_start(char *dir, size_t cap)
{
	if (!dir[0]) {
		snprintf(dir, cap, "/tmp/lind-test-XXXXXX");
		assert_non_null(mkdtemp(dir));
	}
	assert_int_equal(store_open(dir, &srv.store), 0);
	srv.vfs = vfs_new(srv.store);
	assert_non_null(srv.vfs);
	assert_int_equal(store_load(srv.store, srv.vfs), 0);
}

/* clean: snapshot first (a clean shutdown) or not (a crash). */
static inline void tsrv_stop(bool clean)
{
	cage_free_all();
	store_flush(srv.store);
	if (clean)
		assert_int_equal(store_snapshot(srv.store, srv.vfs), 0);
	vfs_free(srv.vfs);
	store_close(srv.store);
	srv.vfs = NULL;
	srv.store = NULL;
}

static inline void tsrv_rmrf(const char *dir)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

/* A suite whose tests act as three users on a scratch store in dir:
 * owner (uid 1000), other (2000) and root, made afresh for each test by
 * setup and dropped by teardown. */
#define TSRV_USERS_SUITE()                                                \
	static char dir[64];                                              \
	static struct cage *owner, *other, *root;                         \
	static int setup(void **state)                                    \
	{                                                                 \
		(void)state;                                              \
		dir[0] = '\0';                                            \
		tsrv_start(dir, sizeof dir);                              \
		owner = cage_new(1, 1000, 1000);                          \
		other = cage_new(1, 2000, 2000);                          \
		root = cage_new(1, 0, 0);                                 \
		return 0;                                                 \
	}                                                                 \
	static int teardown(void **state)                                 \
	{                                                                 \
		(void)state;                                              \
		tsrv_stop(true);                                          \
		tsrv_rmrf(dir);                                           \
		return 0;                                                 \
	}

/* One call: args a0..a5; `in` goes to the row's first in-kind argument
 * (a path must be NUL-terminated), `out`/cap to its first out-kind one.
 * *outlen (if given) gets the handler's out length.  The journal is
 * flushed as dispatch would, and a failed flush fails the call. */
static inline long tsys(struct cage *cg, uint32_t nr, const int64_t a[6],
			const void *in, size_t inlen, void *out, size_t cap,
			size_t *outlen)
{
	const struct lind_syscall *row = lind_syscall_row(nr);
	assert_non_null(row);
	struct call c;
	memset(&c, 0, sizeof c);
	c.cage = cg;
	c.nr = nr;
	memcpy(c.a, a, sizeof c.a);
	struct lind_layout l;
	(void)lind_layout(row, a, &l); /* tests may pass hostile sizes */
	for (int i = 0; i < 6; i++) {
		if ((l.arg[i].dir & LIND_DIR_IN) && in) {
			c.in[i].ptr = in;
			c.in[i].len = inlen;
			in = NULL;
		} else if ((l.arg[i].dir & LIND_DIR_OUT) && out) {
			c.out[i].buf = out;
			c.out[i].cap = cap;
			out = NULL;
		}
	}
	long r = srv_handler_for(nr)(&c);
	long flushed = store_flush(srv.store);
	if (flushed < 0 && r >= 0)
		r = flushed; /* as dispatch answers */
	if (outlen)
		for (int i = 0; i < 6; i++)
			if (c.out[i].buf)
				*outlen = c.out[i].len;
	return r;
}

#define A(...) ((const int64_t[6]){__VA_ARGS__})
/* Path calls: SYSP(cage, nr, path, args...) */
#define SYSP(cg, nr, path, ...) \
	tsys(cg, LIND_SYS_##nr, A(__VA_ARGS__), path, strlen(path), NULL, 0, NULL)

#endif
