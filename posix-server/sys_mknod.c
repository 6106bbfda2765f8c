/* mknod, mknodat: regular files, FIFOs and socket nodes in the virtual
 * filesystem.  Device nodes are refused (EPERM, as without CAP_MKNOD):
 * the server's /dev serves its devices by number, and a cage must not
 * make more of them. */
#include "sys.h"

static long mknod_at(struct call *c, long dirfd, const char *path, long mode)
{
	uint32_t type = (uint32_t)mode & S_IFMT;
	switch (type) {
	case 0:
		type = S_IFREG;
		break;
	case S_IFREG:
	case S_IFIFO:
	case S_IFSOCK:
		break;
	case S_IFCHR:
	case S_IFBLK:
		return -EPERM;
	default:
		return -EINVAL;
	}
	struct walk w;
	long r = sys_walk(c, dirfd, path, WALK_PARENT, &w);
	if (r < 0)
		return r;
	if (w.in)
		return -EEXIST;
	struct inode *in;
	return sys_create_node(c, &w, type, mode, &in);
}

long srv_mknod(struct call *c)
{
	return mknod_at(c, AT_FDCWD, call_path(c, 0), c->a[1]);
}

long srv_mknodat(struct call *c)
{
	return mknod_at(c, c->a[0], call_path(c, 1), c->a[2]);
}
