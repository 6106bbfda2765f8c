/* SysV shared memory: the deployment's segment table.  A segment is a
 * memfd of the server's; a cage maps one the server hands it
 * (call_pass_fd) and the table counts its attachments per cage, so that
 * a cage's end (even SIGKILL) drops them and an IPC_RMID'd segment goes
 * once the last one does.  Handlers: sys_shm.c. */
#ifndef SRV_SHM_H
#define SRV_SHM_H

#include <stdint.h>

#include "vfs.h"

/* The kernel's struct shmid64_ds on x86-64 (what shmctl's buffer holds). */
struct shm_ds {
	int32_t key;
	uint32_t uid, gid, cuid, cgid;
	uint32_t mode; /* permission bits | SHM_DEST */
	uint16_t seq, pad2;
	uint64_t unused1, unused2;
	uint64_t segsz;
	int64_t atime, dtime, ctime; /* seconds */
	int32_t cpid, lpid;
	uint64_t nattch;
	uint64_t unused4, unused5;
};
_Static_assert(sizeof(struct shm_ds) == 112, "shmid64_ds");

/* shmget: the id of key's segment (made with IPC_CREAT), or -errno. */
long shm_get(const struct cred *cr, uint64_t cage, int32_t key,
	     uint64_t size, int flags);
/* shmat's server half: a new host fd of segment id for cage (O_RDONLY
 * for SHM_RDONLY) and its size; the attachment counts from here,
 * without an address until shm_attached. */
long shm_attach(const struct cred *cr, uint64_t cage, int id, int flags,
		uint64_t *size);
/* The cage mapped (or, addr 0, failed to map) what shm_attach gave it:
 * 0, or -EINVAL when it holds no such attachment. */
long shm_attached(uint64_t cage, int id, uint64_t addr);
/* shmdt: the length to unmap at addr, or -EINVAL. */
long shm_detach(uint64_t cage, uint64_t addr);
/* shmctl; buf is the caller's struct shm_ds (or struct shminfo /
 * shm_info for IPC_INFO / SHM_INFO), read for IPC_SET, written for the
 * queries: the result as Linux's, or -errno. */
long shm_ctl(const struct cred *cr, uint64_t cage, int id, int cmd,
	     void *buf);
/* Every attachment cage holds goes (its end). */
void shm_cage_gone(uint64_t cage);
/* child holds what parent holds (fork): 0 or -ENOMEM. */
long shm_cage_fork(uint64_t parent, uint64_t child);
/* What the table holds now (tests, /proc): segments, their bytes, and
 * attachments. */
void shm_usage(unsigned *segs, uint64_t *bytes, unsigned *atts);
/* Makes /dev/shm (sticky, 1777) in the store when /dev lacks it: 0, or
 * -1 with the reason in why. */
int shm_dir_attach(struct vfs *v, char *why, size_t cap);
/* Drops every segment (server shutdown, tests). */
void shm_free_all(void);

#endif
