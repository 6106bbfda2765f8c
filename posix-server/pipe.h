/* Pipes and FIFOs (pipe.c): the ops are in ofd.h; handlers pipe, pipe2. */
#ifndef SRV_PIPE_H
#define SRV_PIPE_H

struct call;
struct inode;
struct ofd;

/* open() of FIFO node in with flags (access mode and status flags): 0
 * with *out (a new description holding an inode reference), SRV_PARKED
 * while the other side has not opened, or -errno (ENXIO, EINTR...). */
long pipe_fifo_open(struct call *c, struct inode *in, int flags,
		    struct ofd **out);
/* Pipes alive, FIFOs' included (tests: nothing leaks). */
unsigned long pipe_count(void);

#endif
