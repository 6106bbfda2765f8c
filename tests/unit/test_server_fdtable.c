/* Fd tables: lowest free fd, dup shares the description, close, EMFILE,
 * close-on-exec flags. */
#include "test_server_util.h"

static struct ofd *file(void)
{
	struct ofd *o = ofd_new(OFD_FILE, O_RDWR, NULL, NULL);
	assert_non_null(o);
	return o;
}

static void test_lowest_fd(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	check(fd_install(t, 0, file(), false), 0);
	check(fd_install(t, 0, file(), false), 1);
	check(fd_install(t, 0, file(), false), 2);
	check(fd_close(NULL, t, 1), 0);
	check(fd_close(NULL, t, 1), -EBADF);
	check(fd_install(t, 0, file(), false), 1);
	check(fd_install(t, 10, file(), false), 10);
	check(fd_install(t, 0, file(), false), 3);
	assert_null(fd_get(t, 4));
	assert_null(fd_get(t, -1));
	assert_null(fd_get(t, FD_MAX));
	fdtable_free(NULL, t);
}

static void test_dup_shares(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	check(fd_install(t, 0, file(), false), 0);
	check(fd_dup(t, 0, 0, false), 1);
	assert_ptr_equal(fd_get(t, 0), fd_get(t, 1));
	fd_get(t, 0)->off = 42; /* the offset is the description's */
	check(fd_get(t, 1)->off, 42);
	check(fd_get(t, 0)->refs, 2);
	check(fd_close(NULL, t, 0), 0);
	check(fd_get(t, 1)->off, 42);
	check(fd_get(t, 1)->refs, 1);
	/* dup2 onto an open fd closes it first; onto itself keeps refs */
	check(fd_install(t, 0, file(), false), 0);
	check(fd_dup2(NULL, t, 1, 0, false), 0);
	assert_ptr_equal(fd_get(t, 0), fd_get(t, 1));
	check(fd_dup2(NULL, t, 1, 1, false), 1);
	check(fd_get(t, 1)->refs, 2);
	check(fd_dup(t, 7, 0, false), -EBADF);
	check(fd_dup2(NULL, t, 0, FD_MAX, false), -EBADF);
	check(fd_dup(t, 0, FD_MAX, false), -EINVAL);
	fdtable_free(NULL, t);
}

static void test_emfile(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	for (int i = 0; i < FD_MAX; i++)
		check(fd_install(t, 0, file(), false), i);
	struct ofd *o = file();
	check(fd_install(t, 0, o, false), -EMFILE);
	ofd_put(NULL, o);
	check(fd_dup(t, 0, 0, false), -EMFILE);
	check(fd_get(t, 0)->refs, 1); /* a failed dup takes no reference */
	check(fd_close(NULL, t, 500), 0);
	check(fd_dup(t, 0, 0, false), 500);
	fdtable_free(NULL, t);
}

static void test_cloexec(void **state)
{
	(void)state;
	struct fdtable *t = fdtable_new();
	check(fd_install(t, 0, file(), true), 0);
	assert_true(t->cloexec[0]);
	check(fd_dup(t, 0, 0, false), 1);
	assert_false(t->cloexec[1]); /* per slot, not shared */
	check(fd_dup(t, 0, 5, true), 5);
	assert_true(t->cloexec[5]);
	check(fd_dup2(NULL, t, 0, 1, true), 1);
	assert_true(t->cloexec[1]);
	check(fd_close(NULL, t, 1), 0);
	check(fd_install(t, 0, file(), false), 1);
	assert_false(t->cloexec[1]); /* a closed slot forgets it */
	fdtable_free(NULL, t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lowest_fd),
		cmocka_unit_test(test_dup_shares),
		cmocka_unit_test(test_emfile),
		cmocka_unit_test(test_cloexec),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
