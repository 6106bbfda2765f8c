/* posix-server: owns every cage's state; see docs/architecture.md. */
#include <errno.h>
#include <ev.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bind.h"
#include "bridge.h"
#include "cage.h"
#include "common.h"
#include "limit.h"
#include "procfs.h"
#include "protocol.h"
#include "server.h"
#include "shm.h"
#include "store.h"
#include "vfs.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: posix-server [--runtime-dir DIR] [--store DIR] [--limit NAME=N]...\n"
		   "                    [--max-size SIZE] [--bind HOST:VIRT[:ro]]... [--host-root]\n"
		   "                    [--hostname NAME] [--listen URL --secret FILE] [--help]\n"
		   "Serves cages' system calls; runs in the foreground.\n"
		   "  --runtime-dir DIR  sockets and pid file (default $LIND_RUNTIME_DIR)\n"
		   "  --store DIR        the virtual filesystem (default $LIND_STORE)\n"
		   "  --bind HOST:VIRT[:ro]  show host directory or file HOST read-only\n"
		   "                     at VIRT (repeatable; both absolute)\n"
		   "  --host-root        bind /usr /lib /lib64 /bin /sbin and a few files\n"
		   "                     of /etc read-only, for dynamically linked programs\n"
		   "  --hostname NAME    the cages' uname nodename (default lind)\n"
		   "  --listen URL       also serve one relay on another host, started\n"
		   "                     with --server URL (tcp://ADDR:PORT)\n"
		   "  --secret FILE      the secret shared with that relay (mode 0600)\n"
		   "  --max-size SIZE    a quota on the store's usage (bytes, or with\n"
		   "                     K, M, G): past it calls fail with EDQUOT\n"
		   "  --limit NAME=N     change a limit (repeatable); names, defaults:\n");
	srv_limits_usage(f);
}


static void on_signal(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)revents;
	lind_log(0, "%s: shutting down", strsignal(w->signum));
	ev_break(loop, EVBREAK_ALL);
}


static void binds_at_exit(void)
{
	bind_free_all(NULL);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"runtime-dir", required_argument, NULL, 'r'},
		{"store", required_argument, NULL, 's'},
		{"limit", required_argument, NULL, 'l'},
		{"bind", required_argument, NULL, 'b'},
		{"host-root", no_argument, NULL, 'H'},
		{"hostname", required_argument, NULL, 'n'},
		{"max-size", required_argument, NULL, 'm'},
		{"listen", required_argument, NULL, 'L'},
		{"secret", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *rundir_opt = NULL, *store_opt = NULL;
	const char *listen_url = NULL, *secret = NULL;
	lind_log_init("posix-server");
	atexit(binds_at_exit); /* the early error exits too (leak checks) */
	/* Everything we create (sockets, trace feed, pid file, store) is
	 * ours alone unless made shared on purpose (relay.sock's mode). */
	umask(077);
	opterr = 0;
	for (int o; (o = getopt_long(argc, argv, "", opts, NULL)) != -1;) {
		if (o == 'r')
			rundir_opt = optarg;
		else if (o == 's')
			store_opt = optarg;
		else if (o == 'L')
			listen_url = optarg;
		else if (o == 'k')
			secret = optarg;
		else if (o == 'l') {
			char why[128];
			if (srv_limit_set(optarg, why, sizeof why) < 0) {
				lind_log(0, "%s", why);
				return 2;
			}
		} else if (o == 'b' || o == 'H') {
			char why[4200];
			if ((o == 'b' ? bind_parse(optarg, why, sizeof why)
				      : bind_host_root(why, sizeof why)) < 0) {
				lind_log(0, "%s", why);
				bind_free_all(NULL);
				return 2;
			}
		} else if (o == 'n' || o == 'm') {
			char why[160];
			if ((o == 'n' ? srv_hostname_set(optarg, why, sizeof why)
				      : srv_max_size_set(optarg, why, sizeof why)) < 0) {
				lind_log(0, "%s", why);
				return 2;
			}
		} else if (o == 'h') {
			usage(stdout);
			return 0;
		} else {
			lind_log(0, "bad option %s (try --help)", argv[optind - 1]);
			return 2;
		}
	}
	if (!listen_url != !secret) {
		lind_log(0, "--listen and --secret go together");
		return 2;
	}
	if (optind < argc) {
		lind_log(0, "unexpected argument %s (try --help)", argv[optind]);
		return 2;
	}

	char rundir[PATH_MAX], storedir[PATH_MAX], sock[PATH_MAX], pid[PATH_MAX];
	int r = lind_runtime_dir(rundir, sizeof rundir, rundir_opt);
	if (r == 0)
		r = lind_mkdirs(rundir, 0700);
	if (r < 0) {
		lind_log(0, "runtime dir %s: %s", rundir, strerror(-r));
		return 1;
	}
	if ((r = lind_store_dir(storedir, sizeof storedir, store_opt)) < 0) {
		lind_log(0, "store dir: %s", strerror(-r));
		return 1;
	}
	lind_path_join(sock, sizeof sock, rundir, LIND_SERVER_SOCK);
	lind_path_join(pid, sizeof pid, rundir, LIND_SERVER_PID);

	struct store *st = NULL;
	if ((r = store_open(storedir, &st)) < 0) {
		if (r == -EWOULDBLOCK)
			lind_log(0, "store %s is in use by another posix-server",
				 storedir);
		else
			lind_log(0, "store %s: %s", storedir, strerror(-r));
		return 1;
	}
	int live = lind_connect_seqpacket(sock);
	if (live >= 0) {
		close(live);
		lind_log(0, "another posix-server is listening on %s", sock);
		store_close(st);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	/* what the limits need (a few fds per cage, host-fds for data) */
	/* before any thread starts: they inherit it (proto/slice.h) */
	if (lind_short_slice() < 0)
		lind_log(0, "cannot ask for a short slice: %s", strerror(errno));
	if (lind_raise_nofile() < 0)
		lind_log(0, "cannot raise the fd limit: %s", strerror(errno));
	/* A cage's terminal may be ours too: reading or writing it from a
	 * background process group must not stop the server (EIO instead). */
	signal(SIGTTIN, SIG_IGN);
	signal(SIGTTOU, SIG_IGN);
	srv.loop = ev_default_loop(0);
	srv.store = st;
	srv.vfs = vfs_new(st);
	if (!srv.vfs || (r = store_load(st, srv.vfs)) < 0) {
		lind_log(0, "store %s: cannot load: %s", storedir,
			 strerror(r < 0 ? -r : ENOMEM));
		bind_free_all(srv.vfs);
		vfs_free(srv.vfs);
		store_close(st);
		return 1;
	}
	char why[4200];
	if (bind_attach(srv.vfs, why, sizeof why) < 0 ||
	    procfs_attach(srv.vfs, why, sizeof why) < 0 ||
	    shm_dir_attach(srv.vfs, why, sizeof why) < 0) {
		lind_log(0, "%s", why);
		bind_free_all(srv.vfs);
		vfs_free(srv.vfs);
		store_close(st);
		return 2;
	}
	if ((r = srv_loop_open(rundir)) < 0) {
		lind_log(0, "%s: %s", sock, strerror(-r));
		bind_free_all(srv.vfs);
		vfs_free(srv.vfs);
		store_close(st);
		return 1;
	}
	if (listen_url && bridge_start(listen_url, secret, sock) < 0) {
		bridge_stop();
		srv_loop_close();
		bind_free_all(srv.vfs);
		vfs_free(srv.vfs);
		store_close(st);
		return 1;
	}
	if ((r = lind_write_pidfile(pid)) < 0)
		lind_log(0, "%s: %s", pid, strerror(-r));

	ev_signal sigterm, sigint;
	ev_signal_init(&sigterm, on_signal, SIGTERM);
	ev_signal_init(&sigint, on_signal, SIGINT);
	ev_signal_start(srv.loop, &sigterm);
	ev_signal_start(srv.loop, &sigint);
	lind_log(0, "listening on %s, store %s", sock, storedir);

	ev_run(srv.loop, 0);

	bridge_stop();
	srv_loop_close();
	procfs_free_all();      /* after the cages: nothing holds a node */
	bind_free_all(srv.vfs);
	if ((r = store_snapshot(st, srv.vfs)) < 0)
		lind_log(0, "store snapshot: %s", strerror(-r));
	unlink(pid);
	ev_signal_stop(srv.loop, &sigterm);
	ev_signal_stop(srv.loop, &sigint);
	vfs_free(srv.vfs);
	store_close(st);
	ev_loop_destroy(srv.loop);
	return r < 0 ? 1 : 0;
}
