/*
 * lind-trace: the relay's RPC traffic, as strace shows a process's.
 * Subscribes to trace.ipc and renews TRACE_ON, with its filter, on
 * admin.ipc every second; the relay publishes only while renewals keep
 * coming, and only what some tracer selects, so nothing a cage does
 * changes when lind-trace comes or goes.  --read replays a capture
 * offline through the same filter and output.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nanomsg/nn.h>
#include <nanomsg/pubsub.h>
#include <nanomsg/reqrep.h>

#include "common.h"
#include "lind-trace.h"
#include "protocol.h"

#define RENEW_NS 1000000000ull
#define RELAY_TIMEOUT_NS (3ull * 1000000000ull)

static const char usage[] =
	"usage: lind-trace [OPTIONS]\n"
	"Prints the calls cages make, one line each, until interrupted.\n"
	"  --runtime-dir DIR  where nacl-relay runs (default $LIND_RUNTIME_DIR)\n"
	"  -n COUNT           exit after COUNT calls\n"
	"  --stats            print the relay's cages, calls and events, exit\n"
	"  --help             print this and exit\n"
	"Selecting:\n"
	"  -p CAGE            only this cage (repeatable)\n"
	"  -f                 and its descendants, as they are born\n"
	"  -e trace=LIST      calls by name or class (file, desc, process,\n"
	"                     network, signal, memory, %CLASS, all, none)\n"
	"  -e status=WHICH    failed or successful calls only\n"
	"  -e signal=LIST     signal lines for these signals only\n"
	"  --cage-cmd REGEX   cages whose argv matches (extended regex)\n"
	"Showing:\n"
	"  -t, -tt, -ttt      time of day, with microseconds, since the epoch\n"
	"  -r                 time since the previous line\n"
	"  -T                 time each call took\n"
	"  -s SIZE            bytes of a buffer shown (default 32)\n"
	"  -y                 fds with their paths, as the trace opened them\n"
	"  -x, -xx            non-printable bytes, or all, in hex\n"
	"  --json             one JSON object per event (docs/trace-format.md)\n"
	"  -o FILE            write there instead of standard output\n"
	"Summaries:\n"
	"  -c                 a table per call at the end, no lines\n"
	"  -C                 lines and the table\n"
	"  --top              live view of the cages, redrawn each second\n"
	"  --iterations N     --top: exit after N redraws\n"
	"Capture:\n"
	"  -w FILE            record the selected events there, no lines\n"
	"  --read FILE        show a capture instead of the live feed\n";

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
	if (proto == NN_SUB) {
		/* room for bursts of batches while we write (the kernel may
		 * cap it), and a batch of any size (the relay is trusted) */
		int buf = 4 << 20, max = -1;
		nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVBUF, &buf, sizeof buf);
		nn_setsockopt(s, NN_SOL_SOCKET, NN_RCVMAXSIZE, &max, sizeof max);
		nn_setsockopt(s, NN_SUB, NN_SUB_SUBSCRIBE, "", 0);
	}
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

/* Everything one run keeps. */
struct tracer {
	struct trace_opts o;
	struct trace_summary *sum;
	struct trace_capture *cap;
	struct trace_fds *fds; /* -y */
	uint64_t subscriber; /* random: our filter at the relay */
	uint32_t mine;       /* our bit in TraceEvent.subscribers, live */
	bool have_seq;       /* next_seq holds: a batch came */
	uint64_t next_seq;   /* the seq the next batch should have */
	uint64_t lost;       /* events of batches that never came */
	long calls;
	bool attached;
	const char *rundir;
};

static void send_trace_on(struct tracer *t, int req)
{
	Lind__Admin a = LIND__ADMIN__INIT;
	Lind__TraceFilter f = LIND__TRACE_FILTER__INIT;
	trace_filter_wire(&t->o.filter, t->subscriber, &f);
	/* -s N shows N bytes and "..." when there were more */
	f.data_size = t->o.fmt.strsize + 1;
	a.kind = LIND__ADMIN__KIND__TRACE_ON;
	a.filter = &f;
	a.cages = t->o.top; /* the cages' argv and parked calls */
	uint8_t buf[4096];
	size_t n = lind__admin__get_packed_size(&a);
	if (n > sizeof buf)
		return;
	lind__admin__pack(&a, buf);
	/* REQ drops an unanswered request when a new one is sent */
	nn_send(req, buf, n, NN_DONTWAIT);
}

/* Leaving: the relay forgets our filter now, not 3 s later (until then
 * the cages we selected would go on paying for a feed nobody reads).
 * Waits a little for the answer: nanomsg drops what close finds unsent. */
static void send_trace_off(struct tracer *t, int req)
{
	Lind__Admin a = LIND__ADMIN__INIT;
	Lind__TraceFilter f = LIND__TRACE_FILTER__INIT;
	f.subscriber = t->subscriber;
	a.kind = LIND__ADMIN__KIND__TRACE_OFF;
	a.filter = &f;
	uint8_t buf[64];
	size_t n = lind__admin__get_packed_size(&a);
	int ms = 500;
	void *msg;
	nn_setsockopt(req, NN_SOL_SOCKET, NN_RCVTIMEO, &ms, sizeof ms);
	if (n <= sizeof buf && nn_send(req, buf, lind__admin__pack(&a, buf),
				       NN_DONTWAIT) >= 0 &&
	    nn_recv(req, &msg, NN_MSG, 0) >= 0)
		nn_freemsg(msg);
}

/* --stats: one Admin STATS round trip. */
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
	printf("cages %llu\ncalls %llu\nevents %llu\nring-replies %llu\n",
	       (unsigned long long)r->cages, (unsigned long long)r->calls,
	       (unsigned long long)r->published,
	       (unsigned long long)r->ring_replies);
	lind__admin_reply__free_unpacked(r, NULL);
	return 0;
}

static void keep(struct tracer *t, const Lind__TraceEvent *ev,
		 const void *msg, size_t len);

/* One packed event: kept by the filter, then captured, counted, shown. */
static int handle(void *arg, const void *msg, size_t len)
{
	struct tracer *t = arg;
	Lind__TraceEvent *ev = lind__trace_event__unpack(NULL, len, msg);
	if (!ev)
		return 0;
	if (ev->note && !strcmp(ev->note, "trace-on")) {
		if (!t->attached)
			fprintf(stderr, "lind-trace: attached to %s\n", t->rundir);
		t->attached = true;
	} else {
		/* -y learns from what it does not show too; a close after */
		bool close = ev->nr == LIND_SYS_close && !(ev->note && ev->note[0]);
		if (t->fds && !close)
			trace_fds_see(t->fds, ev);
		keep(t, ev, msg, len);
		if (t->fds && close)
			trace_fds_see(t->fds, ev);
	}
	lind__trace_event__free_unpacked(ev, NULL);
	return t->o.count >= 0 && t->calls >= t->o.count;
}

/* One TraceBatch of the live feed: its events handled in turn; a gap in
 * seq is events the relay sent while we were too slow to take them. */
static int handle_batch(struct tracer *t, const void *msg, size_t len)
{
	Lind__TraceBatch *b = lind__trace_batch__unpack(NULL, len, msg);
	if (!b)
		return 0;
	if (t->have_seq && b->seq > t->next_seq)
		t->lost += b->seq - t->next_seq;
	t->have_seq = true;
	t->next_seq = b->seq + b->n_events;
	int done = 0;
	for (size_t i = 0; i < b->n_events && !done; i++)
		done = handle(t, b->events[i].data, b->events[i].len);
	lind__trace_batch__free_unpacked(b, NULL);
	return done;
}

/* An event the filter keeps: captured, counted, shown. */
static void keep(struct tracer *t, const Lind__TraceEvent *ev,
		 const void *msg, size_t len)
{
	if (trace_filter_keep(&t->o.filter, ev, t->mine)) {
		bool call = !ev->note || !ev->note[0];
		if (t->cap && trace_capture_write(t->cap, msg, len) < 0)
			stop = 1;
		if (t->sum)
			trace_summary_add(t->sum, ev);
		if (!t->cap && !t->o.top && t->o.summary != 1)
			trace_show(&t->o, ev);
		t->calls += call;
	}
}

/* The relay's answers to TRACE_ON: our slot (-1: refused). */
static int admin_replies(struct tracer *t, int req, uint64_t *last_answer)
{
	void *msg;
	int n, rc = 0;
	while ((n = nn_recv(req, &msg, NN_MSG, NN_DONTWAIT)) >= 0) {
		*last_answer = lind_now_ns();
		Lind__AdminReply *r =
			lind__admin_reply__unpack(NULL, (size_t)n, msg);
		nn_freemsg(msg);
		if (!r)
			continue;
		if (r->slot < 32)
			t->mine = 1u << r->slot;
		else
			rc = -1;
		if (t->sum && t->o.top)
			trace_summary_cages(t->sum, r);
		lind__admin_reply__free_unpacked(r, NULL);
	}
	if (rc < 0)
		fprintf(stderr, "lind-trace: nacl-relay refuses one more tracer "
				"(32 at once)\n");
	return rc;
}

/* The live feed until interrupted, -n, --iterations or the relay goes. */
static int run_live(struct tracer *t, int sub, int req)
{
	uint64_t now = lind_now_ns(), next_renew = now, last_answer = now,
		 last_draw = now;
	long draws = 0;
	struct pollfd p[2] = {{.fd = rcvfd(sub), .events = POLLIN},
			      {.fd = rcvfd(req), .events = POLLIN}};
	while (!stop) {
		uint64_t was = now;
		now = lind_now_ns();
		/* a loop that stood still (SIGSTOP, a suspended machine)
		 * gives the relay its time again before blaming it */
		if (now - was > RENEW_NS + RELAY_TIMEOUT_NS / 2)
			last_answer = now;
		if (now - last_answer > RELAY_TIMEOUT_NS) {
			fprintf(stderr, t->attached
				? "lind-trace: nacl-relay at %s went away\n"
				: "lind-trace: no nacl-relay at %s\n", t->rundir);
			return 1;
		}
		if (now >= next_renew) {
			send_trace_on(t, req);
			next_renew = now + RENEW_NS;
		}
		if (t->o.top && now - last_draw >= RENEW_NS) {
			trace_top_draw(t->sum, t->fds, t->o.out,
				       (double)(now - last_draw) / 1e9);
			last_draw = now;
			if (++draws == t->o.iterations)
				break;
		}
		int ms = (int)((next_renew - now) / 1000000u) + 1;
		if (poll(p, 2, ms) < 0)
			continue; /* EINTR: stop is checked above */
		if (admin_replies(t, req, &last_answer) < 0)
			return 1;
		void *msg;
		int n;
		while (!stop && t->mine &&
		       (n = nn_recv(sub, &msg, NN_MSG, NN_DONTWAIT)) >= 0) {
			int done = handle_batch(t, msg, (size_t)n);
			nn_freemsg(msg);
			if (done)
				return 0;
		}
		if (t->cap && trace_capture_flush(t->cap) < 0)
			return 1;
	}
	return 0;
}

static int connect_relay(struct tracer *t, char *rundir, size_t cap,
			 const char *rundir_opt, int *sub, int *req)
{
	char admin[PATH_MAX];
	struct stat st;
	if (lind_runtime_dir(rundir, cap, rundir_opt) < 0 ||
	    lind_path_join(admin, sizeof admin, rundir, LIND_ADMIN_IPC) < 0) {
		fprintf(stderr, "lind-trace: runtime dir path too long\n");
		return -1;
	}
	t->rundir = rundir;
	if (stat(admin, &st) < 0) {
		fprintf(stderr, "lind-trace: no nacl-relay at %s\n", rundir);
		return -1;
	}
	*sub = open_sock(NN_SUB, rundir, LIND_TRACE_IPC);
	*req = open_sock(NN_REQ, rundir, LIND_ADMIN_IPC);
	if (*sub < 0 || *req < 0) {
		fprintf(stderr, "lind-trace: cannot connect to %s: %s\n", rundir,
			nn_strerror(nn_errno()));
		return -1;
	}
	return 0;
}

static int bad_usage(const char *what, const char *arg)
{
	fprintf(stderr, "lind-trace: %s '%s' (try --help)\n", what, arg);
	return 2;
}

static int number(const char *arg, long *out)
{
	char *end;
	*out = strtol(arg, &end, 10);
	return *end || *out <= 0 ? -1 : 0;
}

enum { OPT_RUNDIR = 256, OPT_STATS, OPT_CMD, OPT_JSON, OPT_TOP, OPT_ITER,
       OPT_READ };

/* Options into t->o; 0, 2 for a bad command line, -1 for --help. */
static int parse(int argc, char **argv, struct tracer *t, const char **rundir,
		 bool *stats)
{
	static const struct option opts[] = {
		{"runtime-dir", required_argument, NULL, OPT_RUNDIR},
		{"help", no_argument, NULL, 'h'},
		{"stats", no_argument, NULL, OPT_STATS},
		{"cage-cmd", required_argument, NULL, OPT_CMD},
		{"json", no_argument, NULL, OPT_JSON},
		{"top", no_argument, NULL, OPT_TOP},
		{"iterations", required_argument, NULL, OPT_ITER},
		{"read", required_argument, NULL, OPT_READ},
		{NULL, 0, NULL, 0},
	};
	struct trace_opts *o = &t->o;
	long v;
	int c;
	opterr = 0;
	while ((c = getopt_long(argc, argv, "n:p:fe:trTs:xyo:cCw:", opts,
				NULL)) != -1) {
		switch (c) {
		case OPT_RUNDIR: *rundir = optarg; break;
		case OPT_STATS: *stats = true; break;
		case OPT_CMD: o->filter.cage_cmd = optarg; break;
		case OPT_JSON: o->json = true; break;
		case OPT_TOP: o->top = o->filter.fds = true; break;
		case OPT_READ: o->read_file = optarg; break;
		case 'h': return -1;
		case 'f': o->filter.follow = true; break;
		case 't': o->tstamp += o->tstamp < 3; break;
		case 'r': o->relative = true; break;
		case 'T': o->latency = true; break;
		case 'x': o->fmt.hex += o->fmt.hex < 2; break;
		case 'y': o->filter.fds = true; break;
		case 'c': o->summary = 1; break;
		case 'C': o->summary = 2; break;
		case 'w': o->write_file = optarg; break;
		case 'o':
			if (!freopen(optarg, "w", stdout))
				return bad_usage(strerror(errno), optarg);
			break;
		case 'p':
			if (trace_filter_cage(&o->filter, optarg) < 0)
				return 2;
			break;
		case 'e':
			if (trace_filter_expr(&o->filter, optarg) < 0)
				return 2;
			break;
		case 'n':
		case 's':
		case OPT_ITER:
			if (number(optarg, &v) < 0 || v > INT_MAX)
				return bad_usage("bad number", optarg);
			if (c == 'n')
				o->count = v;
			else if (c == 's')
				o->fmt.strsize = (unsigned)v;
			else
				o->iterations = v;
			break;
		default:
			return bad_usage("bad option", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return bad_usage("unexpected argument", argv[optind]);
	return trace_filter_ready(&o->filter) < 0 ? 2 : 0;
}

static int start(struct tracer *t)
{
	if (t->o.summary || t->o.top)
		t->sum = trace_summary_new();
	if (t->o.write_file && !(t->cap = trace_capture_open(t->o.write_file)))
		return -1;
	if (t->o.filter.fds) {
		if (!(t->fds = trace_fds_new()))
			return -1;
		t->o.fmt.fd_path = trace_fds_path;
		t->o.fmt.fd_ctx = t->fds;
	}
	return (t->o.summary || t->o.top) && !t->sum ? -1 : 0;
}

static int finish(struct tracer *t, int rc)
{
	if (t->sum && t->o.summary)
		trace_summary_print(t->sum, t->o.out);
	if (trace_capture_close(t->cap) < 0)
		rc = 1;
	trace_summary_free(t->sum);
	trace_fds_free(t->fds);
	trace_filter_free(&t->o.filter);
	return rc;
}

int main(int argc, char **argv)
{
	struct tracer t = {.o = {.count = -1, .iterations = -1,
				 .fmt = {.strsize = 32, .errmsg = 1}}};
	const char *rundir_opt = NULL;
	bool stats = false;
	int rc = parse(argc, argv, &t, &rundir_opt, &stats);
	if (rc < 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (rc)
		return rc;
	t.o.out = stdout;
	setvbuf(stdout, NULL, t.o.top ? _IOFBF : _IOLBF, 0);
	struct sigaction sa = {.sa_handler = on_signal}; /* no SA_RESTART */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGXFSZ, SIG_IGN); /* a capture over the file size limit: EFBIG */
	if (start(&t) < 0)
		return finish(&t, 1);
	if (t.o.read_file) {
		t.rundir = t.o.read_file;
		rc = trace_capture_read(t.o.read_file, handle, &t) < 0;
		return finish(&t, rc);
	}
	char rundir[PATH_MAX];
	int sub = -1, req = -1;
	if (connect_relay(&t, rundir, sizeof rundir, rundir_opt, &sub,
			  &req) < 0)
		rc = 1;
	else if (stats)
		rc = print_stats(req);
	else if (getrandom(&t.subscriber, sizeof t.subscriber, 0) < 0)
		rc = 1;
	else {
		rc = run_live(&t, sub, req);
		send_trace_off(&t, req);
		if (t.lost) /* strace -f says the like of a queue overflow */
			fprintf(stderr, "lind-trace: lost %llu events: the relay "
				"does not wait for a tracer that falls behind\n",
				(unsigned long long)t.lost);
	}
	if (sub >= 0)
		nn_close(sub);
	if (req >= 0)
		nn_close(req);
	nn_term();
	return finish(&t, rc);
}
