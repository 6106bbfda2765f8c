/* epoll instances (epoll.c). */
#ifndef SRV_EPOLL_H
#define SRV_EPOLL_H

#include "ofd.h"

extern const struct ofd_ops ofd_epoll_ops;

/* o's last reference goes: it leaves every instance watching it. */
void epoll_forget(struct ofd *o);

#endif
