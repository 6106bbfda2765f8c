/* lind-run's child: from a host file to a confined program (boot.c). */
#ifndef LIND_BOOT_H
#define LIND_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* lind-run --bind HOST:VIRT[:ro]: HOST opened by lind-run with the user's
 * rights (fd), shown read-only at VIRT to this cage only. */
struct lind_boot_bind {
	const char *virt;
	bool ro;
	int fd;
};
/* attach.c: the binds the next lind_boot_attach sends (kept, not copied). */
void lind_boot_binds(const struct lind_boot_bind *b, size_t n);
/* lind-run --uid/--gid/--groups (root only): the cage's virtual ids. */
#define LIND_BOOT_GROUPS_MAX 64
struct lind_boot_cred {
	uint32_t uid, gid;
	uint32_t groups[LIND_BOOT_GROUPS_MAX];
	size_t ngroups;
};
/* attach.c: the ids the next lind_boot_attach asks for (kept, not
 * copied); never called: the launcher's own. */
void lind_boot_cred(const struct lind_boot_cred *cr);
/* The ids given to lind_boot_cred, or NULL. */
const struct lind_boot_cred *lind_boot_cred_asked(void);
/* attach.c: lind-run --net, LIND_NET_* (never called: loopback). */
void lind_boot_net(uint32_t net);
/* attach.c: lind-run --publish, n entries of proto/publish.h (kept). */
struct lind_publish;
void lind_boot_publish(const struct lind_publish *p, size_t n);
/* attach.c: the host path of the image loaded, for /proc/N/exe (kept). */
void lind_boot_exe(const char *path);

/* Attach as a cage with policy deny (classes the relay refuses), install
 * the filter, load path (argv as given to the program) and jump to it.  Returns only if the program cannot be
 * loaded, after one line on stderr: the status to exit with. */
int boot_cage(const char *path, char *argv[], uint32_t deny);

/* attach.c, built for lind-run: attach as a cage named argv under policy
 * deny and install the filter; dies with one line if it cannot. */
void lind_boot_attach(char **argv, uint32_t deny);

/* attach.c, built for lind-fs: attach as a cage named argv without the
 * filter (a host tool whose virtual side is a cage); dies like the above. */
void lind_tool_attach(char **argv);
/* exec.c: lind-run's userspace execve.  At boot, before the program is
 * mapped: note what of this process is lind-run's own (kept across every
 * exec); once attached: note the channel and offer exec to the handler. */
void exec_boot_record(void);
void exec_boot_attached(void);

/* LIND_BOOT_TIMES=1 (make bench): where lind-run's start-up goes, one
 * line on stderr before the program runs (boot_times.c). */
enum lind_boot_phase {
	BOOT_MAIN,     /* lind-run's main: its own start-up before it */
	BOOT_FORKED,   /* the child runs: options, resolve, fork */
	BOOT_LOADED,   /* the program's ELF (and its loader's) mapped */
	BOOT_ATTACHED, /* relay.sock: Attach sent, the cage made (server) */
	BOOT_CHANNEL,  /* the channel's memfd mapped, fds closed */
	BOOT_FILTERED, /* the seccomp filter and SIGSYS handler installed */
	BOOT_PHASES
};
void lind_boot_stamp(enum lind_boot_phase p);
/* The child's first step (BOOT_FORKED): whether LIND_BOOT_TIMES asks,
 * and the variable removed before the program's environment is built. */
void lind_boot_times_start(void);
/* The line, when asked, once the program is about to run. */
void lind_boot_times_report(void);

#endif
