/*
 * nacl-relay [--runtime-dir DIR] [--store DIR]: connect to posix-server,
 * then serve cages on relay.sock until SIGTERM/SIGINT or the server goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <stddef.h>
#include <sys/stat.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nanomsg/nn.h>

#include "common.h"
#include "relay.h"

static struct relay R; /* large (the channel table): not on the stack */
/* --server URL --secret FILE: a posix-server on another host */
static const char *server_url, *secret_path;

static const struct lind_limit limit_table[] = {
	{"cages", offsetof(struct relay_limits, cages), 1, RELAY_MAX_CHANS,
	 "cages attached or attaching at once"},
	{"cages-per-uid", offsetof(struct relay_limits, cages_per_uid), 1,
	 RELAY_MAX_CHANS, "the same, per host user"},
};
#define NLIMITS (sizeof limit_table / sizeof limit_table[0])

static void usage(void)
{
	fputs("usage: nacl-relay [--runtime-dir DIR] [--store DIR] "
	      "[--socket-group GROUP]\n"
	      "                  [--server URL --secret FILE] [--limit NAME=N]... "
	      "[--threads N] [--help]\n"
	      "Relays cage system calls to posix-server (foreground).\n"
	      "  --runtime-dir DIR     sockets and channels (default $LIND_RUNTIME_DIR)\n"
	      "  --store DIR           accepted for uniformity; the relay keeps no state\n"
	      "  --server URL          a posix-server on another host, started with\n"
	      "                        --listen URL (tcp://HOST:PORT; default: the one\n"
	      "                        on this host, through server.sock)\n"
	      "  --secret FILE         the secret shared with that server (mode 0600)\n"
	      "  --socket-group GROUP  users of GROUP may attach cages (relay.sock 0660;\n"
	      "                        the runtime dir gets group GROUP and g+x)\n"
	      "  --threads N           workers serving every cage (default: 4 a CPU,\n"
	      "                        4 to 64)\n"
	      "  --limit NAME=N        change a limit (repeatable); names, defaults:\n",
	      stdout);
	lind_limits_usage(stdout, limit_table, NLIMITS, &R.limits);
}

/* A group name or number; -1 when there is none such. */
static long parse_group(const char *name)
{
	struct group *g = getgrnam(name);
	if (g)
		return (long)g->gr_gid;
	char *end;
	long v = strtol(name, &end, 10);
	return *name && !*end && v >= 0 ? v : -1;
}

static void server_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)revents;
	struct relay *r = w->data;
	uint8_t buf[8192];
	int fd = -1, nfds = 1;
	long n = lind_recv_msg(r->server_fd, buf, sizeof buf, &fd, &nfds);
	if (n == -EAGAIN || n == -EINTR)
		return;
	if (n > 0) {
		Lind__Control *m = lind__control__unpack(NULL, (size_t)n, buf);
		if (m && (m->kind == LIND__CONTROL__KIND__CAGE_NEW_OK ||
			  (m->kind == LIND__CONTROL__KIND__ERROR && m->attach_id)))
			relay_attach_answer(r, m);
		else if (m && m->kind == LIND__CONTROL__KIND__CAGE_SIGNAL)
			relay_attach_signal(r, m->cage_id, m->signo);
		else if (m && m->kind == LIND__CONTROL__KIND__CAGE_EXITED)
			relay_trace_lifecycle(r, m->cage_id, "exited",
					      m->wstatus);
		else if (m && m->kind == LIND__CONTROL__KIND__CAGE_EXECED)
			relay_trace_cage_execed(r, m->cage_id, m->argv,
						m->n_argv);
		else if (m && m->kind == LIND__CONTROL__KIND__CAGE_FDS_OK)
			relay_trace_fds(r, m);
		else if (m && m->kind == LIND__CONTROL__KIND__CAGE_FD && nfds)
			relay_attach_pass_fd(r, m->cage_id, m->tag, fd);
		else if (m && m->kind == LIND__CONTROL__KIND__ERROR)
			lind_log(0, "posix-server: %s", m->error);
		if (m)
			lind__control__free_unpacked(m, NULL);
		if (nfds)
			close(fd);
		return;
	}
	if (nfds)
		close(fd);
	lind_log(0, "posix-server went away; exiting");
	atomic_store(&r->server_gone, 1);
	r->exit_code = 1;
	ev_break(loop, EVBREAK_ALL);
}

static void admin_cb(struct ev_loop *loop, ev_io *w, int revents)
{
	(void)loop;
	(void)revents;
	relay_admin_handle(w->data);
}

static void signal_cb(struct ev_loop *loop, ev_signal *w, int revents)
{
	(void)w;
	(void)revents;
	ev_break(loop, EVBREAK_ALL);
}

/* 0, or -EEXIST when a live relay already owns this runtime dir. */
static int write_pid_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (f) {
		int pid = 0;
		if (fscanf(f, "%d", &pid) == 1 && pid > 0 && pid != getpid() &&
		    kill(pid, 0) == 0) {
			fclose(f);
			return -EEXIST;
		}
		fclose(f);
	}
	return lind_write_pidfile(path);
}

static int parse_args(int argc, char **argv, const char **rundir)
{
	static const struct option opts[] = {
		{"runtime-dir", required_argument, NULL, 'r'},
		{"store", required_argument, NULL, 's'},
		{"socket-group", required_argument, NULL, 'g'},
		{"limit", required_argument, NULL, 'l'},
		{"threads", required_argument, NULL, 't'},
		{"server", required_argument, NULL, 'S'},
		{"secret", required_argument, NULL, 'k'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	opterr = 0;
	int c;
	char why[160];
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			*rundir = optarg;
			break;
		case 's':
			break; /* unused: the relay keeps no state */
		case 'S':
			server_url = optarg;
			break;
		case 'k':
			secret_path = optarg;
			break;
		case 'g':
			R.sock_gid = parse_group(optarg);
			if (R.sock_gid < 0) {
				fprintf(stderr, "nacl-relay: no group '%s'\n",
					optarg);
				exit(2);
			}
			R.sock_mode = 0660;
			break;
		case 'l':
			if (lind_limit_set(limit_table, NLIMITS, &R.limits,
					   optarg, why, sizeof why) < 0) {
				fprintf(stderr, "nacl-relay: %s\n", why);
				exit(2);
			}
			break;
		case 't': {
			char *end;
			unsigned long n = strtoul(optarg, &end, 10);
			if (*optarg < '0' || *optarg > '9' || *end || !n || n > 1024) {
				fprintf(stderr, "nacl-relay: --threads wants 1 to "
					"1024, not '%s'\n", optarg);
				exit(2);
			}
			R.nworkers = (unsigned)n;
			break;
		}
		case 'h':
			usage();
			exit(0);
		default:
			fprintf(stderr, "nacl-relay: bad option '%s' (try --help)\n",
				argv[optind - 1]);
			exit(2);
		}
	}
	if (!server_url != !secret_path) {
		fprintf(stderr, "nacl-relay: --server and --secret go together\n");
		exit(2);
	}
	if (optind < argc) {
		fprintf(stderr, "nacl-relay: unexpected argument '%s' (try --help)\n",
			argv[optind]);
		exit(2);
	}
	return 0;
}

/* A shared relay: group members reach relay.sock through the runtime
 * dir (g+x only: they cannot list it, nor reach server.sock, trace.ipc
 * or admin.ipc, which stay 0600). */
static int share_rundir(struct relay *r)
{
	struct stat st;
	if (r->sock_gid < 0)
		return 0;
	if (stat(r->rundir, &st) < 0 ||
	    chown(r->rundir, (uid_t)-1, (gid_t)r->sock_gid) < 0 ||
	    chmod(r->rundir, (st.st_mode & 07777) | 0010) < 0)
		return -errno;
	return 0;
}

static int start(struct relay *r)
{
	char server_sock[PATH_MAX], pid_file[PATH_MAX];
	if (lind_path_join(server_sock, sizeof server_sock, r->rundir,
			   LIND_SERVER_SOCK) < 0 ||
	    lind_path_join(r->relay_sock, sizeof r->relay_sock, r->rundir,
			   LIND_RELAY_SOCK) < 0 ||
	    lind_path_join(pid_file, sizeof pid_file, r->rundir,
			   LIND_RELAY_PID) < 0) {
		lind_log(0, "runtime dir path too long: %s", r->rundir);
		return -ENAMETOOLONG;
	}
	int rc, fd;
	if (server_url) {
		rc = relay_remote_open(server_url, secret_path, &fd);
		if (rc < 0)
			return rc;
		rc = relay_server_hello(r, fd);
	} else {
		rc = relay_server_connect(r, server_sock, 5000);
		/* a local server maps channels and answers into slots; a
		 * remote one has no fds: its replies come by the ring */
		r->direct = true;
	}
	if (rc == -ENOENT || rc == -ECONNREFUSED) {
		lind_log(0, "no posix-server at %s", server_sock);
		return rc;
	}
	if (rc < 0) {
		lind_log(0, "cannot attach to posix-server at %s: %s",
			 server_sock, strerror(-rc));
		return rc;
	}
	if ((rc = relay_replies_start(r)) < 0 || (rc = relay_closer_start(r)) < 0 ||
	    (rc = relay_pool_start(r)) < 0 || (rc = relay_load_start(r)) < 0 ||
	    (rc = relay_trace_open(r)) < 0)
		return rc;
	rc = write_pid_file(pid_file);
	if (rc == -EEXIST) {
		lind_log(0, "another nacl-relay runs in %s", r->rundir);
		return rc;
	}
	if (rc < 0) {
		lind_log(0, "cannot write %s: %s", pid_file, strerror(-rc));
		return rc;
	}
	snprintf(r->pid_file, sizeof r->pid_file, "%s", pid_file); /* ours now */
	if ((rc = share_rundir(r)) < 0) {
		lind_log(0, "cannot share %s with its group: %s", r->rundir,
			 strerror(-rc));
		return rc;
	}
	if ((rc = relay_attach_listen(r)) < 0) {
		lind_log(0, "cannot listen on %s: %s", r->relay_sock,
			 strerror(-rc));
		return rc;
	}
	return 0;
}

static void run(struct relay *r)
{
	ev_io_init(&r->server_io, server_cb, r->server_fd, EV_READ);
	r->server_io.data = r;
	ev_io_start(r->loop, &r->server_io);

	int afd;
	size_t sz = sizeof afd;
	if (nn_getsockopt(r->rep_sock, NN_SOL_SOCKET, NN_RCVFD, &afd, &sz) == 0) {
		ev_io_init(&r->admin_io, admin_cb, afd, EV_READ);
		r->admin_io.data = r;
		ev_io_start(r->loop, &r->admin_io);
	}
	ev_signal sterm, sint;
	ev_signal_init(&sterm, signal_cb, SIGTERM);
	ev_signal_init(&sint, signal_cb, SIGINT);
	ev_signal_start(r->loop, &sterm);
	ev_signal_start(r->loop, &sint);
	relay_attach_start(r);

	ev_run(r->loop, 0);

	ev_signal_stop(r->loop, &sterm);
	ev_signal_stop(r->loop, &sint);
	ev_io_stop(r->loop, &r->admin_io);
	ev_io_stop(r->loop, &r->server_io);
}

int main(int argc, char **argv)
{
	const char *rundir_opt = NULL;
	lind_log_init("nacl-relay");
	/* Everything we create (sockets, trace feed, pid file, store) is
	 * ours alone unless made shared on purpose (relay.sock's mode). */
	umask(077);
	relay_init(&R); /* defaults, before options change them */
	parse_args(argc, argv, &rundir_opt);
	signal(SIGPIPE, SIG_IGN); /* a dead server's fifo must not kill us */

	struct relay *r = &R;
	/* before any thread starts: they inherit it (proto/slice.h) */
	if (lind_short_slice() < 0)
		lind_log(0, "cannot ask for a short slice: %s", strerror(errno));
	if (lind_raise_nofile() < 0)
		lind_log(0, "cannot raise the fd limit: %s", strerror(errno));
	if (lind_runtime_dir(r->rundir, sizeof r->rundir, rundir_opt) < 0) {
		lind_log(0, "runtime dir path too long");
		return 1;
	}
	r->loop = ev_default_loop(0);
	int rc = start(r);
	if (rc == 0)
		run(r);
	else
		r->exit_code = 1;

	/* calls in flight fail in the cages rather than hang */
	relay_cages_fail_all(r);
	relay_attach_close_all(r);
	relay_load_stop(r); /* before the rings it writes go */
	relay_pool_stop(r); /* no cage left */
	relay_server_close(r);
	relay_remote_close();
	relay_trace_close(r);
	if (r->pid_file[0])
		unlink(r->pid_file);
	ev_loop_destroy(r->loop);
	nn_term();
	return r->exit_code;
}
