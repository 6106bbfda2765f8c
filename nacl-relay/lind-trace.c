/*
 * lind-trace [--runtime-dir DIR] [-n COUNT]: print the relay's RPC traffic
 * like strace.  Subscribes to trace.ipc and renews TRACE_ON on admin.ipc
 * every second; the relay publishes only while renewals keep coming, so
 * nothing a cage does changes when lind-trace comes or goes.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/reqrep.h>

#include "common.h"
#include "lind.pb-c.h"
#include "protocol.h"
#include "syscall.h"

#define RENEW_NS 1000000000ull
#define RELAY_TIMEOUT_NS (3ull * 1000000000ull)

static const char usage[] =
	"usage: lind-trace [--runtime-dir DIR] [-n COUNT] [--stats] [--help]\n"
	"Prints every call cages make, one line each, until interrupted.\n"
	"  --runtime-dir DIR  where nacl-relay runs (default $LIND_RUNTIME_DIR)\n"
	"  -n COUNT           exit after COUNT calls\n"
	"  --stats            print the relay's attached cages and calls, exit\n";

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int open_sock(int proto, const char *rundir, const char *name)
{
	char url[PATH_MAX + 8];
	snprintf(url, sizeof url, "ipc://%s/%s", rundir, name);
	int s = nn_socket(AF_SP, proto);
	if (s < 0)
		return -1;
	if (proto == NN_SUB)
		nn_setsockopt(s, NN_SUB, NN_SUB_SUBSCRIBE, "", 0);
	if (nn_connect(s, url) < 0) {
		nn_close(s);
		return -1;
	}
	return s;
}

static int rcvfd(int s)
{
	int fd = -1;
	size_t sz = sizeof fd;
	nn_getsockopt(s, NN_SOL_SOCKET, NN_RCVFD, &fd, &sz);
	return fd;
}

static void send_trace_on(int req)
{
	Lind__Admin a = LIND__ADMIN__INIT;
	a.kind = LIND__ADMIN__KIND__TRACE_ON;
	uint8_t buf[16];
	size_t n = lind__admin__pack(&a, buf);
	/* REQ drops an unanswered request when a new one is sent */
	nn_send(req, buf, n, NN_DONTWAIT);
}

/* --stats: one Admin STATS round trip, printed as "cages N" "calls N". */
static int print_stats(int req)
{
	Lind__Admin a = LIND__ADMIN__INIT;
	a.kind = LIND__ADMIN__KIND__STATS;
	uint8_t buf[16];
	int ms = 3000;
	nn_setsockopt(req, NN_SOL_SOCKET, NN_RCVTIMEO, &ms, sizeof ms);
	void *msg;
	int n;
	if (nn_send(req, buf, lind__admin__pack(&a, buf), 0) < 0 ||
	    (n = nn_recv(req, &msg, NN_MSG, 0)) < 0) {
		fprintf(stderr, "lind-trace: nacl-relay does not answer: %s\n",
			nn_strerror(nn_errno()));
		return 1;
	}
	Lind__AdminReply *r = lind__admin_reply__unpack(NULL, (size_t)n, msg);
	nn_freemsg(msg);
	if (!r) {
		fprintf(stderr, "lind-trace: malformed answer from nacl-relay\n");
		return 1;
	}
	printf("cages %llu\ncalls %llu\n", (unsigned long long)r->cages,
	       (unsigned long long)r->calls);
	lind__admin_reply__free_unpacked(r, NULL);
	return 0;
}

/* Print one event; returns 1 for a call line, 0 otherwise. */
static int show(const void *msg, int len, int *attached, const char *rundir)
{
	Lind__TraceEvent *ev = lind__trace_event__unpack(NULL, (size_t)len, msg);
	if (!ev)
		return 0;
	int call = 0;
	if (ev->note && !strcmp(ev->note, "trace-on")) {
		if (!*attached)
			fprintf(stderr, "lind-trace: attached to %s\n", rundir);
		*attached = 1;
	} else {
		char line[1024];
		lind_format_event(line, sizeof line, ev);
		printf("%s\n", line);
		fflush(stdout);
		call = !ev->note || !ev->note[0];
	}
	lind__trace_event__free_unpacked(ev, NULL);
	return call;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"runtime-dir", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{"stats", no_argument, NULL, 's'},
		{NULL, 0, NULL, 0},
	};
	const char *rundir_opt = NULL;
	long count = -1;
	int c, stats = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		char *end;
		switch (c) {
		case 'r':
			rundir_opt = optarg;
			break;
		case 'n':
			count = strtol(optarg, &end, 10);
			if (*end || count <= 0) {
				fprintf(stderr, "lind-trace: bad count '%s'\n", optarg);
				return 2;
			}
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		case 's':
			stats = 1;
			break;
		default:
			fprintf(stderr, "lind-trace: bad option '%s' (try --help)\n",
				argv[optind - 1]);
			return 2;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "lind-trace: unexpected argument '%s' (try --help)\n",
			argv[optind]);
		return 2;
	}
	char rundir[PATH_MAX], admin[PATH_MAX];
	if (lind_runtime_dir(rundir, sizeof rundir, rundir_opt) < 0 ||
	    lind_path_join(admin, sizeof admin, rundir, LIND_ADMIN_IPC) < 0) {
		fprintf(stderr, "lind-trace: runtime dir path too long\n");
		return 1;
	}
	struct stat st;
	if (stat(admin, &st) < 0) {
		fprintf(stderr, "lind-trace: no nacl-relay at %s\n", rundir);
		return 1;
	}
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	int rc = 0;
	int sub = open_sock(NN_SUB, rundir, LIND_TRACE_IPC);
	int req = open_sock(NN_REQ, rundir, LIND_ADMIN_IPC);
	if (sub < 0 || req < 0) {
		fprintf(stderr, "lind-trace: cannot connect to %s: %s\n", rundir,
			nn_strerror(nn_errno()));
		return 1;
	}
	if (stats) {
		rc = print_stats(req);
		nn_close(sub);
		nn_close(req);
		return rc;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	int attached = 0;
	long calls = 0;
	uint64_t now = lind_now_ns(), next_renew = now,
		 last_answer = now; /* the relay answered admin at this time */
	struct pollfd p[2] = {{.fd = rcvfd(sub), .events = POLLIN},
			      {.fd = rcvfd(req), .events = POLLIN}};
	while (!stop && (count < 0 || calls < count)) {
		now = lind_now_ns();
		if (now - last_answer > RELAY_TIMEOUT_NS) {
			fprintf(stderr, attached ? "lind-trace: nacl-relay at %s went away\n"
						 : "lind-trace: no nacl-relay at %s\n",
				rundir);
			rc = 1;
			break;
		}
		if (now >= next_renew) {
			send_trace_on(req);
			next_renew = now + RENEW_NS;
		}
		int ms = (int)((next_renew - now) / 1000000u) + 1;
		if (poll(p, 2, ms) < 0)
			continue; /* EINTR: stop is checked above */
		void *msg;
		int n;
		while ((n = nn_recv(req, &msg, NN_MSG, NN_DONTWAIT)) >= 0) {
			last_answer = lind_now_ns();
			nn_freemsg(msg);
		}
		while ((count < 0 || calls < count) &&
		       (n = nn_recv(sub, &msg, NN_MSG, NN_DONTWAIT)) >= 0) {
			calls += show(msg, n, &attached, rundir);
			nn_freemsg(msg);
		}
	}
	nn_close(sub);
	nn_close(req);
	nn_term();
	return rc;
}
