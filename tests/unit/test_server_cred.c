/* Virtual credentials (cred.c) against Linux's kernel/sys.c rules, and
 * vfs_permission with filesystem ids and supplementary groups. */
#include "test_server_util.h"

#define KEEP ((uint32_t)-1)

static void ids_are(const struct cred *cr, uint32_t r, uint32_t e,
		    uint32_t s, uint32_t fs, const char *file, int line)
{
	_assert_int_equal(cr->ruid, r, file, line);
	_assert_int_equal(cr->euid, e, file, line);
	_assert_int_equal(cr->suid, s, file, line);
	_assert_int_equal(cr->fsuid, fs, file, line);
}
#define UIDS(cr, r, e, s, fs) ids_are(cr, r, e, s, fs, __FILE__, __LINE__)
#define GIDS(cr, r, e, s, fs)                                                \
	ids_are(&(struct cred){(cr)->rgid, (cr)->egid, (cr)->sgid,           \
			       (cr)->fsgid, 0, 0, 0, 0, NULL},               \
		r, e, s, fs, __FILE__, __LINE__)

static void test_setuid(void **state)
{
	(void)state;
	struct cred c = CRED_OF(0, 0);
	assert_int_equal(cred_setuid(&c, KEEP), -EINVAL);
	assert_int_equal(cred_setuid(&c, 1000), 0); /* root: all of them */
	UIDS(&c, 1000, 1000, 1000, 1000);
	assert_int_equal(cred_setuid(&c, 0), -EPERM);
	/* unprivileged: the real or saved uid, into euid and fsuid only */
	c = CRED_OF(1000, 1000);
	c.suid = 1002;
	assert_int_equal(cred_setuid(&c, 1002), 0);
	UIDS(&c, 1000, 1002, 1002, 1002);
	assert_int_equal(cred_setuid(&c, 1001), -EPERM);
	UIDS(&c, 1000, 1002, 1002, 1002);
	/* setgid's privilege is the effective uid's */
	c = CRED_OF(1000, 1000);
	assert_int_equal(cred_setgid(&c, 0), -EPERM);
	c.euid = 0;
	assert_int_equal(cred_setgid(&c, 5), 0);
	GIDS(&c, 5, 5, 5, 5);
}

static void test_setreuid(void **state)
{
	(void)state;
	struct cred c = CRED_OF(1000, 1000);
	c.suid = 1002;
	/* the real uid may become the effective one, not the saved one */
	assert_int_equal(cred_setreuid(&c, 1002, KEEP), -EPERM);
	/* the effective uid may be any of the three; saved follows it when
	 * it is not the real one */
	assert_int_equal(cred_setreuid(&c, KEEP, 1002), 0);
	UIDS(&c, 1000, 1002, 1002, 1002);
	assert_int_equal(cred_setreuid(&c, KEEP, 1000), 0);
	UIDS(&c, 1000, 1000, 1002, 1000);
	/* a new real uid: saved becomes the effective one */
	assert_int_equal(cred_setreuid(&c, 1000, KEEP), 0);
	UIDS(&c, 1000, 1000, 1000, 1000);
	/* a refused half changes nothing */
	assert_int_equal(cred_setreuid(&c, 1000, 7), -EPERM);
	UIDS(&c, 1000, 1000, 1000, 1000);
	c = CRED_OF(0, 0);
	assert_int_equal(cred_setregid(&c, 3, 4), 0);
	GIDS(&c, 3, 4, 4, 4);
}

static void test_setresuid(void **state)
{
	(void)state;
	struct cred c = CRED_OF(0, 0);
	assert_int_equal(cred_setresuid(&c, 1000, 1001, 0), 0);
	UIDS(&c, 1000, 1001, 0, 1001);
	assert_int_equal(cred_setresuid(&c, KEEP, 0, KEEP), 0); /* saved 0 */
	UIDS(&c, 1000, 0, 0, 0);
	assert_int_equal(cred_setresuid(&c, 5, 6, 7), 0); /* euid 0 again */
	UIDS(&c, 5, 6, 7, 6);
	assert_int_equal(cred_setresuid(&c, 7, 5, 6), 0); /* a permutation */
	assert_int_equal(cred_setresuid(&c, KEEP, KEEP, 8), -EPERM);
	UIDS(&c, 7, 5, 6, 5);
	c = CRED_OF(1, 1);
	assert_int_equal(cred_setresgid(&c, 2, KEEP, KEEP), -EPERM);
}

/* glibc repeats the call in every thread: each repeat finds it done and
 * answers alike */
static void test_repeats_agree(void **state)
{
	(void)state;
	struct cred c = CRED_OF(0, 0);
	assert_int_equal(cred_setuid(&c, 1000), 0);
	assert_int_equal(cred_setuid(&c, 1000), 0);
	c = CRED_OF(0, 0);
	assert_int_equal(cred_setresuid(&c, KEEP, 1000, KEEP), 0);
	assert_int_equal(cred_setresuid(&c, KEEP, 1000, KEEP), 0);
	c = CRED_OF(0, 0);
	assert_int_equal(cred_setreuid(&c, 5, 1000), 0);
	assert_int_equal(cred_setreuid(&c, 5, 1000), 0);
	UIDS(&c, 5, 1000, 1000, 1000);
}

static void test_setfsuid(void **state)
{
	(void)state;
	struct cred c = CRED_OF(1000, 1000);
	assert_int_equal(cred_setfsuid(&c, 0), 1000); /* refused: old value */
	assert_int_equal(c.fsuid, 1000);
	assert_int_equal(cred_setfsuid(&c, KEEP), 1000);
	c.euid = 0;
	assert_int_equal(cred_setfsuid(&c, 42), 1000);
	assert_int_equal(cred_setfsuid(&c, KEEP), 42);
	assert_false(cred_fs_capable(&c));
	assert_true(cred_capable(&c));
	assert_int_equal(cred_setfsgid(&c, 9), 1000);
	assert_int_equal(c.fsgid, 9);
	cred_exec(&c); /* fs and saved ids follow the effective ones */
	UIDS(&c, 1000, 0, 0, 0);
	GIDS(&c, 1000, 1000, 1000, 1000);
}

static void test_groups(void **state)
{
	(void)state;
	struct cred c = CRED_OF(1000, 1000), k;
	const uint32_t g[] = {30, 10, 20};
	assert_int_equal(cred_setgroups(&c, g, 3), -EPERM);
	c.euid = 0;
	assert_int_equal(cred_setgroups(&c, g, CRED_NGROUPS_MAX + 1), -EINVAL);
	assert_int_equal(cred_setgroups(&c, g, -1), -EINVAL);
	assert_int_equal(cred_setgroups(&c, g, 3), 0);
	assert_int_equal(c.groups->n, 3);
	assert_int_equal(c.groups->gid[0], 10); /* sorted, as Linux keeps them */
	assert_int_equal(c.groups->gid[2], 30);
	assert_true(cred_in_group(&c, 20));
	assert_true(cred_in_group(&c, 1000)); /* the fsgid */
	assert_false(cred_in_group(&c, 25));
	c.fsgid = 7; /* in_group_p: fsgid, in_egroup_p: egid */
	assert_false(cred_in_group(&c, 1000));
	assert_true(cred_in_egroup(&c, 1000));
	cred_copy(&k, &c); /* fork shares them */
	assert_ptr_equal(k.groups, c.groups);
	assert_int_equal(cred_setgroups(&c, NULL, 0), 0);
	assert_null(c.groups);
	assert_true(cred_in_group(&k, 30));
	cred_release(&k);
	cred_release(&c);
}

static void test_access_ids(void **state)
{
	(void)state;
	struct cred c = CRED_OF(1000, 1000);
	c.euid = c.fsuid = 0;
	struct cred a = cred_for_access(&c);
	assert_int_equal(a.fsuid, 1000);
	assert_false(cred_fs_capable(&a));
}

/* ---- vfs_permission ---------------------------------------------------- */

static struct inode node(uint32_t mode, uint32_t uid, uint32_t gid)
{
	struct inode in;
	memset(&in, 0, sizeof in);
	in.mode = mode;
	in.uid = uid;
	in.gid = gid;
	return in;
}

static void test_permission(void **state)
{
	(void)state;
	struct cred u = CRED_OF(1000, 1000);
	const uint32_t g[] = {2000};
	assert_int_equal(cred_set_groups(&u, g, 1), 0);
	struct inode f = node(S_IFREG | 0044, 1000, 1000);
	/* the owner's bits only, even when others' would allow */
	assert_int_equal(vfs_permission(&u, &f, R_OK), -EACCES);
	f = node(S_IFREG | 0707, 1001, 1000);
	assert_int_equal(vfs_permission(&u, &f, R_OK), -EACCES); /* group's */
	f = node(S_IFREG | 0640, 1001, 2000);
	assert_int_equal(vfs_permission(&u, &f, R_OK), 0); /* a supplementary group */
	assert_int_equal(vfs_permission(&u, &f, W_OK), -EACCES);
	f = node(S_IFREG | 0604, 1001, 1001);
	assert_int_equal(vfs_permission(&u, &f, R_OK), 0);
	assert_int_equal(vfs_permission(&u, &f, R_OK | W_OK), -EACCES);
	/* the filesystem ids decide, not the real or effective ones */
	u.fsuid = 1001;
	assert_int_equal(vfs_permission(&u, &f, R_OK | W_OK), 0);
	/* root: rw always, x on a directory or with any x bit */
	struct cred r = CRED_OF(0, 0);
	f = node(S_IFREG | 0000, 5, 5);
	assert_int_equal(vfs_permission(&r, &f, R_OK | W_OK), 0);
	assert_int_equal(vfs_permission(&r, &f, X_OK), -EACCES);
	f.mode = S_IFREG | 0001;
	assert_int_equal(vfs_permission(&r, &f, X_OK), 0);
	struct inode d = node(S_IFDIR | 0000, 5, 5);
	assert_int_equal(vfs_permission(&r, &d, R_OK | W_OK | X_OK), 0);
	r.fsuid = 1000; /* root with fsuid 1000: no capability */
	assert_int_equal(vfs_permission(&r, &d, X_OK), -EACCES);
	cred_release(&u);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setuid),
		cmocka_unit_test(test_setreuid),
		cmocka_unit_test(test_setresuid),
		cmocka_unit_test(test_repeats_agree),
		cmocka_unit_test(test_setfsuid),
		cmocka_unit_test(test_groups),
		cmocka_unit_test(test_access_ids),
		cmocka_unit_test(test_permission),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
