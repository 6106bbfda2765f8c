/* shm.c, the SysV shm segment table: shmget's key rules, permissions,
 * attachments counted per cage (a cage's end, fork, SHM_REMAP), IPC_RMID
 * with the last attachment, ids of removed segments, and the limits. */
#define _GNU_SOURCE
#include <sys/ipc.h>
#include <sys/shm.h>

#include "../../posix-server/limit.h"
#include "../../posix-server/shm.h"
#include "test_server_util.h"

static const struct cred root = CRED_INIT(0, 0), user = CRED_INIT(1001, 1001),
			  other = CRED_INIT(1002, 1002);

static unsigned segs(void)
{
	unsigned n, a;
	uint64_t b;
	shm_usage(&n, &b, &a);
	return n;
}

static unsigned atts(void)
{
	unsigned n, a;
	uint64_t b;
	shm_usage(&n, &b, &a);
	return a;
}

static long nattch(int id)
{
	struct shm_ds ds;
	long r = shm_ctl(&root, 2, id, IPC_STAT, &ds);
	return r < 0 ? r : (long)ds.nattch;
}

/* shm_attach then shm_attached at addr: the fd is closed */
static long attach_at(const struct cred *cr, uint64_t cage, int id,
		      int flags, uint64_t addr)
{
	uint64_t size;
	long fd = shm_attach(cr, cage, id, flags, &size);
	if (fd < 0)
		return fd;
	close((int)fd);
	return shm_attached(cage, id, addr);
}

static int teardown(void **state)
{
	(void)state;
	shm_free_all();
	return 0;
}

static void test_keys(void **state)
{
	(void)state;
	check(shm_get(&user, 2, 7, 100, 0), -ENOENT);
	long id = shm_get(&user, 2, 7, 10000, IPC_CREAT | 0600);
	assert_true(id >= 0);
	check(shm_get(&user, 2, 7, 100, 0), id);
	check(shm_get(&user, 2, 7, 100, IPC_CREAT | IPC_EXCL), -EEXIST);
	check(shm_get(&user, 2, 7, 10001, 0), -EINVAL);
	check(shm_get(&other, 3, 7, 100, 0400), -EACCES);
	check(shm_get(&root, 3, 7, 100, 0600), id);
	long p = shm_get(&user, 2, IPC_PRIVATE, 1, 0);
	assert_true(p >= 0 && p != id);
	check(shm_get(&user, 2, IPC_PRIVATE, 0, 0), -EINVAL);
	check(segs(), 2);
	struct shm_ds ds;
	check(shm_ctl(&user, 2, (int)id, IPC_STAT, &ds), 0);
	check(ds.segsz, 10000);
	check(ds.mode, 0600);
	check(ds.cpid, 2);
	check(ds.uid, 1001);
	check(shm_ctl(&other, 3, (int)id, IPC_STAT, &ds), -EACCES);
	check(shm_ctl(&other, 3, (int)id, SHM_STAT_ANY, &ds) >= 0, 1);
}

static void test_perms(void **state)
{
	(void)state;
	int id = (int)shm_get(&user, 2, 9, 4096, IPC_CREAT | 0640);
	uint64_t size;
	check(shm_attach(&other, 3, id, SHM_RDONLY, &size), -EACCES);
	struct cred group = CRED_INIT(1002, 1001);
	long fd = shm_attach(&group, 3, id, SHM_RDONLY, &size);
	assert_true(fd >= 0);
	check(size, 4096);
	check(fcntl((int)fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	close((int)fd);
	check(shm_attached(3, id, 0), 0); /* its mapping failed */
	check(shm_attach(&group, 3, id, 0, &size), -EACCES);
	check(shm_ctl(&group, 3, id, IPC_RMID, NULL), -EPERM);
	struct shm_ds ds = {.uid = 1002, .gid = 1002, .mode = 0666};
	check(shm_ctl(&group, 3, id, IPC_SET, &ds), -EPERM);
	check(shm_ctl(&user, 2, id, IPC_SET, &ds), 0);
	/* given away: 1002 owns it now, 1001 stays its creator */
	check(attach_at(&other, 3, id, 0, 0x10000), 0);
	check(shm_ctl(&user, 2, id, IPC_RMID, NULL), 0);
	check(nattch(id), 1);
	check(shm_get(&user, 2, 9, 1, 0), -ENOENT); /* key gone */
	check(shm_detach(3, 0x10000), 4096);
	check(nattch(id), -EINVAL); /* gone with its last attachment */
	check(segs(), 0);
}

static void test_attachments(void **state)
{
	(void)state;
	int id = (int)shm_get(&root, 2, IPC_PRIVATE, 5000, 0600);
	check(attach_at(&root, 2, id, 0, 0x20000), 0);
	check(attach_at(&root, 2, id, 0, 0x40000), 0);
	check(attach_at(&root, 3, id, 0, 0x20000), 0);
	check(nattch(id), 3);
	/* SHM_REMAP over a whole attachment ends it */
	check(attach_at(&root, 2, id, 0, 0x40000), 0);
	check(nattch(id), 3);
	check(shm_detach(2, 0x30000), -EINVAL);
	check(shm_detach(2, 0x20001), -EINVAL);
	check(shm_detach(2, 0x20000), 8192);
	check(shm_detach(2, 0x20000), -EINVAL);
	check(shm_attached(2, id, 0x50000), -EINVAL); /* none handed out */
	/* fork: the child holds what the parent mapped */
	check(shm_cage_fork(3, 4), 0);
	check(nattch(id), 3);
	check(shm_ctl(&root, 2, id, IPC_RMID, NULL), 0);
	shm_cage_gone(3);
	shm_cage_gone(2);
	check(nattch(id), 1);
	/* one handed out but never mapped (a cage killed in between) */
	uint64_t size;
	long fd = shm_attach(&root, 5, id, 0, &size);
	close((int)fd);
	check(nattch(id), 2);
	shm_cage_gone(4);
	check(segs(), 1);
	shm_cage_gone(5);
	check(segs(), 0);
	check(atts(), 0);
	/* a removed segment's id names nothing, even with its slot reused */
	int again = (int)shm_get(&root, 2, IPC_PRIVATE, 1, 0600);
	assert_true(again != id);
	check(nattch(id), -EINVAL);
	check(shm_ctl(&root, 2, id, IPC_RMID, NULL), -EINVAL);
	check(shm_ctl(&root, 2, -1, IPC_STAT, NULL), -EINVAL);
	check(shm_ctl(&root, 2, again, 77, NULL), -EINVAL);
}

static void test_limits(void **state)
{
	(void)state;
	struct srv_limits saved = srv_limits;
	srv_limits.shm_segments = 2;
	srv_limits.shm_bytes = 3 * 4096;
	check(shm_get(&root, 2, IPC_PRIVATE, 3 * 4096 + 1, 0), -EINVAL);
	assert_true(shm_get(&root, 2, IPC_PRIVATE, 4097, 0) >= 0);
	check(shm_get(&root, 2, IPC_PRIVATE, 4097, 0), -ENOSPC); /* bytes */
	assert_true(shm_get(&root, 2, IPC_PRIVATE, 1, 0) >= 0);
	check(shm_get(&root, 2, IPC_PRIVATE, 1, 0), -ENOSPC); /* count */
	unsigned n, a;
	uint64_t b;
	shm_usage(&n, &b, &a);
	check(b, 3 * 4096);
	struct shminfo si;
	char buf[sizeof(struct shm_ds)];
	assert_true(shm_ctl(&root, 2, 0, IPC_INFO, buf) >= 0);
	memcpy(&si, buf, sizeof si);
	check(si.shmmni, 2);
	srv_limits = saved;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_keys, teardown),
		cmocka_unit_test_teardown(test_perms, teardown),
		cmocka_unit_test_teardown(test_attachments, teardown),
		cmocka_unit_test_teardown(test_limits, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
