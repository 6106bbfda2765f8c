/* The character devices of the virtual /dev: null, zero, random and
 * urandom (by minor, as Linux's mem driver). */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <sys/sysmacros.h>

#include "ofd.h"
#include "server.h"
#include "vfs.h"

static long dev_read(struct call *c, struct ofd *o, void *buf, size_t cap,
		     const int64_t *pos)
{
	(void)pos;
	long r;
	switch (minor(o->in->rdev)) {
	case 3: /* null */
		r = 0;
		break;
	case 5: /* zero */
		memset(buf, 0, cap);
		r = (long)cap;
		break;
	default: { /* urandom */
		ssize_t n = getrandom(buf, cap, 0);
		r = n < 0 ? -errno : n;
	}
	}
	c->more = r == (long)cap; /* /dev/zero never runs dry */
	return r;
}

static long dev_write(struct call *c, struct ofd *o, const void *buf,
		      size_t len, const int64_t *pos)
{
	(void)c, (void)o, (void)buf, (void)pos;
	return (long)len;
}

static long dev_seek(struct ofd *o, int64_t off, int whence)
{
	(void)o, (void)off, (void)whence;
	return 0; /* like Linux's null/zero */
}

const struct ofd_ops ofd_dev_ops = {
	.kind = "device",
	.read = dev_read,
	.write = dev_write,
	.seek = dev_seek,
};
