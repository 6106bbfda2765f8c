/* A cage's virtual credentials, as Linux's struct cred holds them: real,
 * effective, saved and filesystem ids, and supplementary groups.  They
 * are the server's only: the cage's host process keeps its own.
 *
 * Capabilities are uid 0's, as Linux emulates them for root: the
 * privileged id calls (CAP_SETUID, CAP_SETGID) and the other capabilities
 * the server knows (CAP_KILL, CAP_SYS_RESOURCE, CAP_SYS_ADMIN...) follow
 * the effective uid, the filesystem ones (CAP_DAC_OVERRIDE, CAP_FOWNER,
 * CAP_CHOWN, CAP_FSETID) the filesystem uid. */
#ifndef SRV_CRED_H
#define SRV_CRED_H

#include <stdbool.h>
#include <stdint.h>

/* Linux's NGROUPS_MAX; a cage holds at most CRED_GROUPS_MAX, as many as
 * one frame carries (more: EINVAL, docs/architecture.md "Credentials"). */
#define CRED_NGROUPS_MAX 65536
#define CRED_GROUPS_MAX (64 * 1024 / 4)

/* Supplementary groups, sorted; shared by counting (fork). */
struct groups {
	unsigned refs;
	uint32_t n;
	uint32_t gid[];
};

struct cred {
	uint32_t ruid, euid, suid, fsuid;
	uint32_t rgid, egid, sgid, fsgid;
	struct groups *groups; /* NULL: none */
};

/* Every id uid (gid), no groups: a cred that owns nothing to free. */
#define CRED_INIT(uid, gid) {uid, uid, uid, uid, gid, gid, gid, gid, NULL}
#define CRED_OF(uid, gid) ((struct cred)CRED_INIT(uid, gid))

/* The groups become a copy of n gids (sorted), whoever asks (attach):
 * 0, or -ENOMEM with cr unchanged. */
int cred_set_groups(struct cred *cr, const uint32_t *gids, uint32_t n);
/* dst shares src's groups (fork). */
void cred_copy(struct cred *dst, const struct cred *src);
void cred_release(struct cred *cr);

/* CAP_SETUID/CAP_SETGID and the rest: effective uid 0. */
static inline bool cred_capable(const struct cred *cr)
{
	return cr->euid == 0;
}
/* The filesystem capabilities: filesystem uid 0. */
static inline bool cred_fs_capable(const struct cred *cr)
{
	return cr->fsuid == 0;
}
/* Linux's in_group_p: the filesystem gid or a supplementary group; and
 * in_egroup_p, with the effective gid (SysV IPC). */
bool cred_in_group(const struct cred *cr, uint32_t gid);
bool cred_in_egroup(const struct cred *cr, uint32_t gid);

/* The id calls, Linux's rules (kernel/sys.c): 0 or -EPERM/-EINVAL, and
 * nothing changes on an error.  (uint32_t)-1 is "leave it". */
int cred_setuid(struct cred *cr, uint32_t uid);
int cred_setgid(struct cred *cr, uint32_t gid);
int cred_setreuid(struct cred *cr, uint32_t ruid, uint32_t euid);
int cred_setregid(struct cred *cr, uint32_t rgid, uint32_t egid);
int cred_setresuid(struct cred *cr, uint32_t ruid, uint32_t euid,
		   uint32_t suid);
int cred_setresgid(struct cred *cr, uint32_t rgid, uint32_t egid,
		   uint32_t sgid);
/* The previous fsuid (fsgid), changed only when allowed. */
uint32_t cred_setfsuid(struct cred *cr, uint32_t fsuid);
uint32_t cred_setfsgid(struct cred *cr, uint32_t fsgid);
/* n groups (any order): 0, -EPERM, -EINVAL (too many) or -ENOMEM. */
int cred_setgroups(struct cred *cr, const uint32_t *gids, long n);

/* execve: the saved and filesystem ids become the effective ones.  A
 * setuid or setgid file changes no id: the cage's own loader maps the
 * image, so it could keep running its own code under the file's ids
 * (as a nosuid mount; docs/architecture.md "Credentials"). */
void cred_exec(struct cred *cr);

/* access(2) without AT_EACCESS: the real ids in the filesystem ones
 * (Linux's access_override_creds); the groups stay.  The copy shares
 * cr's groups and is not released. */
struct cred cred_for_access(const struct cred *cr);

#endif
