/* Descriptions without a file (anon.c): eventfd, timerfd, epoll. */
#ifndef SRV_ANON_H
#define SRV_ANON_H

#include "ofd.h"

struct call;

/* A new description of ops (read-write, O_NONBLOCK from flags) owning
 * priv, installed at the lowest free fd (O_CLOEXEC from flags): the fd,
 * or -errno with priv released through ops->release. */
long anon_install(struct call *c, const struct ofd_ops *ops, void *priv,
		  int flags);
long anon_stat(struct ofd *o, struct stat *st);
long anon_statfs(struct ofd *o, struct statfs *sf);
long anon_name(struct ofd *o, char *out, size_t cap);
long anon_seek(struct ofd *o, int64_t off, int whence);

#define ANON_OPS                \
	.stat = anon_stat,      \
	.statfs = anon_statfs,  \
	.name = anon_name,      \
	.seek = anon_seek

#endif
