/*
 * Which events this tracer keeps.  The relay already sends only the union
 * of every tracer's filter (TraceFilter); here each tracer applies its own
 * exactly: its bit in TraceEvent.subscribers, its calls, -e status= and
 * -e signal=.  A capture read back has no relay: the cages are followed
 * through their notes ("forked", "attach") instead.
 */
#define _GNU_SOURCE /* sigabbrev_np */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "lind-trace.h"

static void set_call(struct trace_filter *f, int i)
{
	f->calls[i / 8] |= (uint8_t)(1u << (i % 8));
}

static bool has_call(const struct trace_filter *f, int i)
{
	return f->calls[i / 8] >> (i % 8) & 1;
}

/* strace's names for classes, lind's own, with or without '%'. */
static const char *class_alias(const char *name)
{
	static const char *const alias[][2] = {
		{"process", "proc"}, {"network", "net"}, {"creds", "creds"},
	};
	if (name[0] == '%')
		name++;
	for (size_t i = 0; i < sizeof alias / sizeof alias[0]; i++)
		if (!strcmp(name, alias[i][0]))
			return alias[i][1];
	return name;
}

static int call_index(const char *name)
{
	for (int i = 0; i < LIND_ROWS; i++) {
		const struct lind_sysname *s = lind_sysname(lind_row_nr(i));
		if (s && !strcmp(s->name, name))
			return i;
	}
	return -1;
}

/* One word of -e trace=: a call's name, a class, or all. */
static int trace_word(struct trace_filter *f, const char *w)
{
	if (!strcmp(w, "all") || !strcmp(w, "none")) {
		/* none: the cages' events only */
		memset(f->calls, w[0] == 'a' ? 0xff : 0, sizeof f->calls);
		return 0;
	}
	int i = call_index(w);
	if (i >= 0) {
		set_call(f, i);
		return 0;
	}
	uint32_t mask;
	char err[256];
	if (lind_class_parse(class_alias(w), &mask, err, sizeof err) < 0) {
		fprintf(stderr, "lind-trace: no call or class '%s' (%s)\n", w,
			err);
		return -1;
	}
	for (int k = 0; k < LIND_ROWS; k++) {
		const struct lind_sysname *s = lind_sysname(lind_row_nr(k));
		if (s && s->classes & mask)
			set_call(f, k);
	}
	/* an open is in class write by its flags: asked of the relay (the
	 * wire), kept by trace_filter_keep when its flags write */
	f->write_opens |= (mask & LC_WRITE) != 0;
	return 0;
}

static int signal_word(struct trace_filter *f, const char *w)
{
	if (!strcmp(w, "all")) {
		f->signals = ~0ull;
		return 0;
	}
	if (!strncmp(w, "SIG", 3))
		w += 3;
	for (int s = 1; s <= 64; s++) {
		const char *n = sigabbrev_np(s);
		if ((n && !strcmp(n, w)) || atoi(w) == s) {
			f->signals |= 1ull << (s - 1);
			return 0;
		}
	}
	fprintf(stderr, "lind-trace: no signal '%s'\n", w);
	return -1;
}

static int words(struct trace_filter *f, char *list,
		 int (*fn)(struct trace_filter *, const char *))
{
	for (char *save, *w = strtok_r(list, ",", &save); w;
	     w = strtok_r(NULL, ",", &save))
		if (fn(f, w) < 0)
			return -1;
	return 0;
}

int trace_filter_expr(struct trace_filter *f, const char *expr)
{
	char buf[1024];
	const char *eq = strchr(expr, '=');
	const char *val = eq ? eq + 1 : expr;
	size_t klen = eq ? (size_t)(eq - expr) : 5;
	const char *key = eq ? expr : "trace";
	if (strlen(val) >= sizeof buf || !val[0]) {
		fprintf(stderr, "lind-trace: bad -e '%s'\n", expr);
		return -1;
	}
	strcpy(buf, val);
	if (!strncmp(key, "trace", klen) && klen == 5) {
		f->calls_set = true;
		return words(f, buf, trace_word);
	}
	if (!strncmp(key, "signal", klen) && klen == 6) {
		f->signals_set = true;
		return words(f, buf, signal_word);
	}
	if (!strncmp(key, "status", klen) && klen == 6) {
		f->status = !strcmp(val, "failed")	   ? 1
			    : !strcmp(val, "successful") ? 2
							  : -1;
		if (f->status >= 0)
			return 0;
	}
	fprintf(stderr,
		"lind-trace: bad -e '%s' (trace=, status=failed|successful, "
		"signal=)\n", expr);
	return -1;
}

int trace_filter_cage(struct trace_filter *f, const char *arg)
{
	char *end;
	unsigned long long id = strtoull(arg, &end, 10);
	if (*end || !id || arg[0] == '-') {
		fprintf(stderr, "lind-trace: bad cage '%s'\n", arg);
		return -1;
	}
	if (f->ncages == TRACE_MAX_CAGES) {
		fprintf(stderr, "lind-trace: at most %d -p\n", TRACE_MAX_CAGES);
		return -1;
	}
	f->cages[f->ncages++] = id;
	return 0;
}

int trace_filter_ready(struct trace_filter *f)
{
	if (!f->calls_set)
		memset(f->calls, 0xff, sizeof f->calls);
	if (f->cage_cmd &&
	    regcomp(&f->re, f->cage_cmd, REG_EXTENDED | REG_NOSUB) != 0) {
		fprintf(stderr, "lind-trace: bad --cage-cmd regex '%s'\n",
			f->cage_cmd);
		f->cage_cmd = NULL;
		return -1;
	}
	return 0;
}

void trace_filter_wire(struct trace_filter *f, uint64_t subscriber,
		       Lind__TraceFilter *w)
{
	memcpy(f->wire, f->calls, sizeof f->wire);
	if (f->fds)
		trace_fds_wire(f->wire);
	for (int k = 0; f->write_opens && k < LIND_ROWS; k++) {
		const struct lind_sysname *s = lind_sysname(lind_row_nr(k));
		if (s && s->flags_arg >= 0)
			f->wire[k / 8] |= (uint8_t)(1u << (k % 8));
	}
	w->subscriber = subscriber;
	w->n_cages = f->ncages;
	w->cages = (uint64_t *)f->cages;
	w->follow = f->follow;
	w->fds = f->fds;
	w->cage_cmd = (char *)(f->cage_cmd ? f->cage_cmd : "");
	if (f->calls_set) {
		w->calls.len = sizeof f->wire;
		w->calls.data = f->wire;
	}
}

static bool seen(const struct trace_filter *f, uint64_t id)
{
	for (size_t i = 0; i < f->ncages; i++)
		if (f->cages[i] == id)
			return true;
	for (size_t i = 0; i < f->nseen; i++)
		if (f->seen[i] == id)
			return true;
	return false;
}

static void add_seen(struct trace_filter *f, uint64_t id)
{
	if (seen(f, id))
		return;
	if (f->nseen == f->cap) {
		size_t cap = f->cap ? 2 * f->cap : 16;
		uint64_t *n = realloc(f->seen, cap * sizeof *n);
		if (!n)
			return; /* out of memory: that cage is not followed */
		f->seen = n;
		f->cap = cap;
	}
	f->seen[f->nseen++] = id;
}

static bool note_is(const Lind__TraceEvent *ev, const char *note)
{
	return ev->note && !strcmp(ev->note, note);
}

void trace_argv(char *buf, size_t cap, const Lind__TraceEvent *ev)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i < ev->n_data && len + 1 < cap; i++) {
		int n = snprintf(buf + len, cap - len, "%s%.*s", i ? " " : "",
				 (int)ev->data[i].len,
				 (const char *)ev->data[i].data);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}

/* argv of an "attach" note against --cage-cmd, as the relay joins it. */
static bool cmd_matches(struct trace_filter *f, const Lind__TraceEvent *ev)
{
	char cmd[256];
	trace_argv(cmd, sizeof cmd, ev);
	return regexec(&f->re, cmd, 0, NULL, 0) == 0;
}

/* Offline: is the cage selected, following its notes as the relay does. */
static bool cage_offline(struct trace_filter *f, const Lind__TraceEvent *ev)
{
	if (!f->ncages && !f->cage_cmd)
		return true;
	uint64_t parent = ev->n_args ? (uint64_t)ev->args[0] : 0;
	if (f->follow && note_is(ev, "forked") && seen(f, parent))
		add_seen(f, ev->cage_id);
	if (f->cage_cmd && note_is(ev, "attach") && cmd_matches(f, ev))
		add_seen(f, ev->cage_id);
	return seen(f, ev->cage_id);
}

bool trace_filter_keep(struct trace_filter *f, const Lind__TraceEvent *ev,
		       uint32_t mine)
{
	if (mine ? !(ev->subscribers & mine) : !cage_offline(f, ev))
		return false;
	if (note_is(ev, "signal")) {
		int s = ev->n_args ? (int)ev->args[0] : 0;
		return !f->signals_set ||
		       (s >= 1 && s <= 64 && (f->signals >> (s - 1) & 1));
	}
	if (ev->note && ev->note[0])
		return true; /* the cage's life: always, as strace's +++ */
	int i = lind_row_index(ev->nr);
	if (!has_call(f, i < 0 ? LIND_ROWS : i) &&
	    !(f->write_opens &&
	      lind_call_classes(ev->nr, ev->args, ev->n_args) & LC_WRITE))
		return false;
	bool failed = ev->result < 0 && ev->result >= -4095;
	return f->status == 0 || (f->status == 1) == failed;
}

void trace_filter_free(struct trace_filter *f)
{
	if (f->cage_cmd)
		regfree(&f->re);
	free(f->seen);
	f->seen = NULL;
}
