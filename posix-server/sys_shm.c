/* SysV shared memory calls (the table: shm.c).  shmat and shmdt are the
 * client's (client-libc/trap.c): it asks lind_shmat for the segment's fd
 * and size, maps it where shmat was asked to, and says where with
 * lind_shmat_done (or that it could not); shmdt asks the length to unmap. */
#include <unistd.h>

#include "shm.h"
#include "sys.h"

/* key, size, flags */
long srv_shmget(struct call *c)
{
	return shm_get(&c->cage->cred, c->cage->id, (int32_t)c->a[0],
		       (uint64_t)c->a[1], (int)c->a[2]);
}

/* shmid, cmd, buf (struct shmid64_ds, or shminfo/shm_info for the info
 * commands: the client copies out only what the command writes) */
long srv_shmctl(struct call *c)
{
	struct shm_ds ds;
	void *buf = call_obj_out(c, 2);
	if (buf && !call_obj_in(c, 2, &ds, sizeof ds))
		return -EFAULT;
	long r = shm_ctl(&c->cage->cred, c->cage->id, (int)c->a[0],
			 (int)c->a[1], buf ? &ds : NULL);
	if (r >= 0 && buf)
		call_obj_out_set(c, 2, &ds);
	return r;
}

/* shmid, shmflg, the segment's size (out): its fd (Reply.fd) */
long srv_lind_shmat(struct call *c)
{
	uint64_t size;
	long fd = shm_attach(&c->cage->cred, c->cage->id, (int)c->a[0],
			     (int)c->a[1], &size);
	if (fd < 0)
		return fd;
	if (!call_obj_out(c, 2)) {
		shm_attached(c->cage->id, (int)c->a[0], 0);
		close((int)fd);
		return -EFAULT;
	}
	call_obj_out_set(c, 2, &size);
	return call_pass_fd(c, (int)fd);
}

/* shmid, the address it is mapped at (0: it could not be) */
long srv_lind_shmat_done(struct call *c)
{
	return shm_attached(c->cage->id, (int)c->a[0], (uint64_t)c->a[1]);
}

/* addr: the length the client unmaps there */
long srv_shmdt(struct call *c)
{
	return shm_detach(c->cage->id, (uint64_t)c->a[0]);
}
