/*
 * lind-run [--runtime-dir DIR] PROGRAM [ARGS...]: run any program (a
 * lind-cc program, a host binary, a #! script) in a new cage and exit with
 * its status (128+signal if it was killed).  lind-run is the sandbox
 * boundary: its child attaches to nacl-relay and installs the filter
 * before the program exists, then loads the program itself (boot.c), so
 * the program is confined from its first instruction.  The parent stays
 * on the host as the cage's launcher: it forwards signals and waits.
 * --deny CLASSES: the relay refuses the cage's calls of those classes
 * (proto/syscall_names.def) with EPERM; the policy goes in the Attach that
 * lind-run's own trusted code sends, so the program cannot drop it.
 * --bind HOST:VIRT[:ro]: HOST, opened here with the user's own rights, is
 * shown read-only at VIRT to this cage only (its fd goes with the Attach).
 * --uid, --gid, --groups (root only): the cage's virtual ids, instead of
 * the launcher's (the relay checks that the launcher is root).
 * --net none|loopback|host: what the cage's inet sockets may reach
 * (posix-server enforces it); loopback when not given.
 * --publish [ADDR:]HOSTPORT:CAGEPORT[/tcp|/udp]: the cage's listener on
 * CAGEPORT is bound on the host to ADDR:HOSTPORT (proto/publish.h).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "boot.h"
#include "client.h"
#include "common.h"
#include "protocol.h"
#include "publish.h"
#include "syscall.h"

static volatile pid_t child;

static void usage(FILE *f)
{
	fputs("usage: lind-run [--runtime-dir DIR] [--deny CLASS[,CLASS...]] "
	      "[--bind HOST:VIRT[:ro]]... [--uid UID] [--gid GID] "
	      "[--groups LIST] [--net none|loopback|host] "
	      "[--publish [ADDR:]HOSTPORT:CAGEPORT[/tcp|/udp]]... "
	      "[--allow-list] [--help] PROGRAM [ARGS...]\n"
	      "Run PROGRAM in a new cage and exit with its status.\n"
	      "PROGRAM is any x86-64 program (built with lind-cc or not, static\n"
	      "or dynamic) or a #! script; it is confined from its first\n"
	      "instruction: its loader, constructors and threads make no host\n"
	      "call outside the audited allow-list (docs/architecture.md).\n"
	      "Its files, and its dynamic loader's libraries, come from\n"
	      "posix-server's virtual filesystem.\n"
	      "A lind-cc program started directly, without lind-run, is\n"
	      "confined only from client-libc's constructor on.\n"
	      "  --runtime-dir DIR  the deployment's sockets (LIND_RUNTIME_DIR)\n"
	      "  --deny CLASSES     the relay refuses the cage's calls of these\n"
	      "                     classes with EPERM (repeatable): file desc net\n"
	      "                     proc exec signal memory ipc time creds system\n"
	      "                     write (write: changes to the virtual filesystem)\n"
	      "  --bind HOST:VIRT[:ro]  show host directory (or file) HOST\n"
	      "                     read-only at VIRT, to this cage only\n"
	      "                     (repeatable, at most 8); lind-run opens HOST\n"
	      "                     with your rights; VIRT is absolute and must\n"
	      "                     exist in the virtual filesystem\n"
	      "  --uid UID, --gid GID, --groups G1,G2,...\n"
	      "                     the cage's virtual ids (numbers; --groups ''\n"
	      "                     for none), instead of yours; root only\n"
	      "  --net POLICY       what the cage's AF_INET/AF_INET6 sockets\n"
	      "                     reach: none (socket() fails with EACCES),\n"
	      "                     loopback (127.0.0.0/8 and ::1; the default)\n"
	      "                     or host (whatever this host reaches)\n"
	      "  --publish [ADDR:]HOSTPORT:CAGEPORT[/tcp|/udp]\n"
	      "                     the cage's socket bound to port CAGEPORT\n"
	      "                     (on the wildcard or loopback) is bound on\n"
	      "                     the host to ADDR:HOSTPORT (ADDR: IPv4,\n"
	      "                     0.0.0.0 when not given); the cage still\n"
	      "                     sees CAGEPORT (repeatable, at most 64;\n"
	      "                     not with --net none)\n"
	      "  --allow-list       print the host calls a cage may make, and why\n",
	      f);
}

__attribute__((noreturn)) static void bad_usage(const char *why)
{
	fprintf(stderr, "lind-run: %s (try lind-run --help)\n", why);
	exit(2);
}

/* --deny's list added to *deny; a bad class ends lind-run (exit 2). */
static void add_deny(const char *list, uint32_t *deny)
{
	char err[200];
	uint32_t m;
	if (lind_class_parse(list, &m, err, sizeof err) < 0) {
		fprintf(stderr, "lind-run: --deny: %s\n", err);
		exit(2);
	}
	*deny |= m;
}

static struct lind_boot_bind binds[LIND_MAX_BINDS];
static size_t nbinds;

__attribute__((noreturn)) static void bad_bind(const char *arg,
					       const char *why)
{
	fprintf(stderr, "lind-run: --bind %s: %s\n", arg, why);
	exit(2);
}

/* --bind HOST:VIRT[:ro]: HOST is opened now, with the user's own rights,
 * so a cage can never be shown what its user could not open; a bad
 * argument ends lind-run (one line, exit 2). */
static void add_bind(char *arg)
{
	char *orig = strdup(arg), *colon = strchr(arg, ':');
	if (!orig || !colon || colon == arg)
		bad_bind(arg, "want HOST:VIRT[:ro]");
	*colon = '\0';
	char *virt = colon + 1, *suffix = strchr(virt, ':');
	bool ro = false;
	if (suffix) {
		if (strcmp(suffix, ":ro") != 0)
			bad_bind(orig, "binds are read-only; the only suffix is :ro");
		*suffix = '\0';
		ro = true;
	}
	if (!lind_virt_path_ok(virt) || strlen(virt) > 200)
		bad_bind(orig, "VIRT must be an absolute, normalised path "
			 "(no '.', '..', '//', trailing '/'; not /; at most 200 "
			 "bytes)");
	if (nbinds >= LIND_MAX_BINDS)
		bad_bind(orig, "too many binds (at most 8)");
	int fd = open(arg, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0)
		bad_bind(orig, strerror(errno));
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode))
		bad_bind(orig, "HOST is not a directory or a regular file");
	if (!lind_fd_bindable(fd))
		bad_bind(orig, "HOST is on FUSE or a kernel pseudo filesystem "
			 "(proc, sys...)");
	if (fd <= 2) { /* stdio closed: would be sent as stdio */
		int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		if (d < 0)
			bad_bind(orig, strerror(errno));
		close(fd);
		fd = d;
	}
	binds[nbinds++] = (struct lind_boot_bind){virt, ro, fd};
	free(orig);
}

static bool net_none;

/* --net's word: LIND_NET_*; a bad one ends lind-run (exit 2). */
static void set_net(const char *word)
{
	static const char *const names[] = {
		[LIND_NET_LOOPBACK] = "loopback",
		[LIND_NET_NONE] = "none",
		[LIND_NET_HOST] = "host",
	};
	for (uint32_t n = 0; n < sizeof names / sizeof *names; n++)
		if (!strcmp(word, names[n])) {
			lind_boot_net(n);
			net_none = n == LIND_NET_NONE;
			return;
		}
	bad_usage("--net wants none, loopback or host");
}

static struct lind_publish publish[LIND_MAX_PUBLISH];
static size_t npublish;

/* --publish's spec added to the table; a bad one ends lind-run (exit 2). */
static void add_publish(const char *spec)
{
	char err[300];
	if (npublish == LIND_MAX_PUBLISH)
		bad_usage("--publish: at most 64 ports");
	if (lind_publish_parse(spec, &publish[npublish], err, sizeof err) < 0)
		bad_usage(err);
	const char *why = lind_publish_check(publish, ++npublish);
	if (why) {
		snprintf(err, sizeof err, "--publish %.100s: %s", spec, why);
		bad_usage(err);
	}
}

static struct lind_boot_cred cred;
static bool set_uid, set_gid, set_groups;

/* A uid or gid: a decimal number below 2^32-1 ((uid_t)-1 is no id). */
static uint32_t parse_id(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (!*s || *end || errno || *s == '-' || v >= UINT32_MAX) {
		char m[200];
		snprintf(m, sizeof m, "%s wants a number, not '%.100s'", opt, s);
		bad_usage(m);
	}
	return (uint32_t)v;
}

/* --groups G1,G2,... ('' for none) */
static void parse_groups(const char *list)
{
	char *copy = strdup(list), *save = NULL;
	if (!copy)
		bad_usage("out of memory");
	cred.ngroups = 0;
	for (char *g = strtok_r(copy, ",", &save); g;
	     g = strtok_r(NULL, ",", &save)) {
		if (cred.ngroups == LIND_BOOT_GROUPS_MAX)
			bad_usage("--groups: at most 64 groups");
		cred.groups[cred.ngroups++] = parse_id("--groups", g);
	}
	free(copy);
	set_groups = true;
}

/* The ids root asked for, the rest its own; anyone else: one line. */
static void setup_cred(void)
{
	if (!set_uid && !set_gid && !set_groups)
		return;
	if (geteuid() != 0) {
		fprintf(stderr, "lind-run: --uid, --gid and --groups are for "
				"root only (you are uid %u)\n",
			(unsigned)geteuid());
		exit(2);
	}
	if (!set_uid)
		cred.uid = getuid();
	if (!set_gid)
		cred.gid = getgid();
	if (!set_groups) {
		gid_t g[LIND_BOOT_GROUPS_MAX];
		int n = getgroups(LIND_BOOT_GROUPS_MAX, g);
		if (n < 0)
			bad_usage("more than 64 groups: give --groups");
		for (int i = 0; i < n; i++)
			cred.groups[i] = g[i];
		cred.ngroups = (size_t)n;
	}
	lind_boot_cred(&cred);
}

/* One of the id options (--uid N or --uid=N): true if a was one. */
static bool id_option(int argc, char **argv, int *i)
{
	static const char *const names[] = {"--uid", "--gid", "--groups"};
	const char *a = argv[*i];
	for (int k = 0; k < 3; k++) {
		size_t n = strlen(names[k]);
		const char *v;
		if (strncmp(a, names[k], n) != 0 || (a[n] && a[n] != '='))
			continue;
		if (a[n] == '=')
			v = a + n + 1;
		else if (++*i < argc)
			v = argv[*i];
		else
			bad_usage("--uid, --gid and --groups need a value");
		if (k == 0)
			cred.uid = parse_id(names[k], v), set_uid = true;
		else if (k == 1)
			cred.gid = parse_id(names[k], v), set_gid = true;
		else
			parse_groups(v);
		return true;
	}
	return false;
}

/* Options before PROGRAM; returns the index of PROGRAM in argv. */
static int parse(int argc, char **argv, const char **rundir, uint32_t *deny)
{
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		} else if (!strcmp(a, "--allow-list")) {
			lind_allow_list_print(stdout);
			exit(0);
		} else if (!strcmp(a, "--runtime-dir")) {
			if (++i >= argc || !*argv[i])
				bad_usage("--runtime-dir needs a directory");
			*rundir = argv[i];
		} else if (!strncmp(a, "--runtime-dir=", 14) && a[14]) {
			*rundir = a + 14;
		} else if (!strcmp(a, "--deny")) {
			if (++i >= argc)
				bad_usage("--deny needs a list of classes");
			add_deny(argv[i], deny);
		} else if (!strncmp(a, "--deny=", 7)) {
			add_deny(a + 7, deny);
		} else if (!strcmp(a, "--bind")) {
			if (++i >= argc)
				bad_usage("--bind needs HOST:VIRT[:ro]");
			add_bind(argv[i]);
		} else if (!strncmp(a, "--bind=", 7)) {
			add_bind(argv[i] + 7);
		} else if (!strcmp(a, "--net")) {
			if (++i >= argc)
				bad_usage("--net wants none, loopback or host");
			set_net(argv[i]);
		} else if (!strncmp(a, "--net=", 6)) {
			set_net(a + 6);
		} else if (!strcmp(a, "--publish")) {
			if (++i >= argc)
				bad_usage("--publish needs HOSTPORT:CAGEPORT");
			add_publish(argv[i]);
		} else if (!strncmp(a, "--publish=", 10)) {
			add_publish(a + 10);
		} else if (id_option(argc, argv, &i)) {
			continue;
		} else {
			char m[PATH_MAX + 32];
			snprintf(m, sizeof m, "unknown option %s", a);
			bad_usage(m);
		}
	}
	if (i >= argc)
		bad_usage("no PROGRAM given");
	if (npublish && net_none)
		bad_usage("--publish makes no sense with --net none");
	lind_boot_publish(publish, npublish);
	return i;
}

/* 0: an executable regular file; else the exit status to fail with. */
static int check_exec(const char *path)
{
	struct stat st;
	if (stat(path, &st) < 0)
		return 127;
	if (!S_ISREG(st.st_mode) || access(path, X_OK) < 0)
		return 126;
	return 0;
}

/* PROGRAM like execvp: as given when it has a '/', else along $PATH. */
static int resolve(const char *prog, char *out, size_t cap)
{
	if (strchr(prog, '/')) {
		snprintf(out, cap, "%s", prog);
		return check_exec(out);
	}
	const char *path = getenv("PATH");
	int best = 127;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path;; p++) {
		const char *e = strchrnul(p, ':');
		int n = snprintf(out, cap, "%.*s%s%s", (int)(e - p), p,
				 e == p ? "" : "/", prog);
		if (n > 0 && (size_t)n < cap) {
			int r = check_exec(out);
			if (r == 0)
				return 0;
			if (r < best)
				best = r; /* found, but not executable */
		}
		if (!*e)
			return best;
		p = e;
	}
}

/* Only signals sent by a process: the terminal's reach the child itself
 * (same process group), and would otherwise arrive twice. */
static void forward(int sig, siginfo_t *si, void *ctx)
{
	(void)ctx;
	if (child > 0 && si->si_code <= 0)
		kill(child, sig);
}

static const int fwd_sigs[] = {SIGINT, SIGTERM, SIGHUP};

static int run(const char *path, char **argv, uint32_t deny)
{
	sigset_t block, old;
	sigemptyset(&block);
	for (size_t i = 0; i < 3; i++)
		sigaddset(&block, fwd_sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &old);
	struct sigaction sa = {.sa_sigaction = forward, .sa_flags = SA_SIGINFO};
	for (size_t i = 0; i < 3; i++)
		sigaction(fwd_sigs[i], &sa, NULL);
	pid_t pid = fork();
	if (pid < 0) {
		fprintf(stderr, "lind-run: fork: %s\n", strerror(errno));
		return 126;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		sigprocmask(SIG_SETMASK, &old, NULL);
		_exit(boot_cage(path, argv, deny)); /* returns only on failure */
	}
	child = pid;
	sigprocmask(SIG_SETMASK, &old, NULL);
	int st;
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return 126;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

int main(int argc, char **argv)
{
	lind_boot_stamp(BOOT_MAIN);
	const char *rundir = NULL;
	uint32_t deny = 0;
	int i = parse(argc, argv, &rundir, &deny);
	setup_cred();
	char path[PATH_MAX];
	int r = resolve(argv[i], path, sizeof path);
	if (r == 127) {
		fprintf(stderr, "lind-run: %s: not found\n", argv[i]);
		return 127;
	}
	if (r) {
		fprintf(stderr, "lind-run: %s: not executable\n", argv[i]);
		return 126;
	}
	lind_boot_binds(binds, nbinds);
	if (rundir && setenv("LIND_RUNTIME_DIR", rundir, 1) < 0) {
		fprintf(stderr, "lind-run: setenv: %s\n", strerror(errno));
		return 126;
	}
	return run(path, argv + i, deny);
}
