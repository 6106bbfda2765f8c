/*
 * -c: strace -c's table (per call: % of the time, seconds, usecs/call,
 * max usecs, calls, errors), overall and, when several cages ran, per
 * cage.  --top: the same counts as a live view of the cages by call rate.
 */
#define _GNU_SOURCE /* qsort_r */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "lind-trace.h"

#define NSLOTS (LIND_ROWS + 1) /* the last: numbers of neither block */

struct call_stat {
	uint64_t calls, errors, total_ns, max_ns;
};

struct cage_stat {
	uint64_t id;
	uint64_t calls, last_calls; /* last_calls: at the previous frame */
	char argv[128];
	bool gone;
	uint32_t parked; /* calls in flight at the relay (--top) */
	struct call_stat per[NSLOTS];
};

struct trace_summary {
	struct call_stat all[NSLOTS];
	struct cage_stat *cages;
	size_t ncages, cap;
};

struct trace_summary *trace_summary_new(void)
{
	return calloc(1, sizeof(struct trace_summary));
}

void trace_summary_free(struct trace_summary *s)
{
	if (s)
		free(s->cages);
	free(s);
}

static struct cage_stat *cage_of(struct trace_summary *s, uint64_t id)
{
	for (size_t i = 0; i < s->ncages; i++)
		if (s->cages[i].id == id)
			return &s->cages[i];
	if (s->ncages == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 8;
		struct cage_stat *n = realloc(s->cages, cap * sizeof *n);
		if (!n)
			return NULL;
		s->cages = n;
		s->cap = cap;
	}
	struct cage_stat *c = &s->cages[s->ncages++];
	memset(c, 0, sizeof *c);
	c->id = id;
	return c;
}

static void note(struct cage_stat *c, const Lind__TraceEvent *ev)
{
	if (!strcmp(ev->note, "exited") || !strcmp(ev->note, "detach"))
		c->gone = true;
	if (!strcmp(ev->note, "attach"))
		trace_argv(c->argv, sizeof c->argv, ev);
}

static void count(struct call_stat *st, const Lind__TraceEvent *ev)
{
	st->calls++;
	st->errors += ev->result < 0 && ev->result >= -4095;
	st->total_ns += ev->latency_ns;
	if (ev->latency_ns > st->max_ns)
		st->max_ns = ev->latency_ns;
}

void trace_summary_add(struct trace_summary *s, const Lind__TraceEvent *ev)
{
	struct cage_stat *c = ev->cage_id ? cage_of(s, ev->cage_id) : NULL;
	if (!c)
		return;
	if (ev->note && ev->note[0]) {
		note(c, ev);
		return;
	}
	int i = lind_row_index(ev->nr);
	size_t k = i < 0 ? LIND_ROWS : (size_t)i;
	count(&s->all[k], ev);
	count(&c->per[k], ev);
	c->calls++;
}

static const char *slot_name(size_t k, char *buf, size_t cap)
{
	const struct lind_sysname *n =
		k < LIND_ROWS ? lind_sysname(lind_row_nr((int)k)) : NULL;
	if (n)
		return n->name;
	snprintf(buf, cap, k < LIND_ROWS ? "syscall_%u" : "unknown",
		 k < LIND_ROWS ? lind_row_nr((int)k) : 0);
	return buf;
}

static int by_time(const void *a, const void *b, void *arg)
{
	const struct call_stat *st = arg;
	const struct call_stat *x = &st[*(const size_t *)a],
			       *y = &st[*(const size_t *)b];
	if (x->total_ns != y->total_ns)
		return x->total_ns < y->total_ns ? 1 : -1;
	return x->calls < y->calls ? 1 : x->calls > y->calls ? -1 : 0;
}

static void table(const struct call_stat *st, FILE *out)
{
	static const char rule[] = "------ ----------- ----------- -----------"
				   " --------- --------- ----------------\n";
	size_t order[NSLOTS], n = 0;
	struct call_stat sum = {0};
	for (size_t k = 0; k < NSLOTS; k++) {
		if (!st[k].calls)
			continue;
		order[n++] = k;
		sum.calls += st[k].calls;
		sum.errors += st[k].errors;
		sum.total_ns += st[k].total_ns;
		if (st[k].max_ns > sum.max_ns)
			sum.max_ns = st[k].max_ns;
	}
	qsort_r(order, n, sizeof order[0], by_time, (void *)st);
	fprintf(out, "%6s %11s %11s %11s %9s %9s %s\n%s", "% time", "seconds",
		"usecs/call", "max usecs", "calls", "errors", "syscall", rule);
	for (size_t i = 0; i <= n; i++) {
		const struct call_stat *c = i < n ? &st[order[i]] : &sum;
		char buf[32];
		if (i == n)
			fputs(rule, out);
		double pct = sum.total_ns ? 100.0 * (double)c->total_ns /
						    (double)sum.total_ns
					  : 0.0;
		fprintf(out, "%6.2f %11.6f %11" PRIu64 " %11" PRIu64
			     " %9" PRIu64 " ",
			pct, (double)c->total_ns / 1e9,
			c->calls ? c->total_ns / 1000u / c->calls : 0,
			c->max_ns / 1000u,
			c->calls);
		if (c->errors)
			fprintf(out, "%9" PRIu64 " ", c->errors);
		else
			fprintf(out, "%9s ", "");
		fprintf(out, "%s\n", i < n ? slot_name(order[i], buf, sizeof buf)
					   : "total");
	}
}

void trace_summary_print(struct trace_summary *s, FILE *out)
{
	size_t active = 0;
	for (size_t i = 0; i < s->ncages; i++)
		active += s->cages[i].calls > 0;
	for (size_t i = 0; active > 1 && i < s->ncages; i++) {
		if (!s->cages[i].calls)
			continue;
		fprintf(out, "cage %" PRIu64 " %s\n", s->cages[i].id,
			s->cages[i].argv);
		table(s->cages[i].per, out);
		fputc('\n', out);
	}
	if (active > 1)
		fputs("all cages\n", out);
	table(s->all, out);
}

static int by_rate(const void *a, const void *b)
{
	const struct cage_stat *x = a, *y = b;
	uint64_t rx = x->calls - x->last_calls, ry = y->calls - y->last_calls;
	if (rx != ry)
		return rx < ry ? 1 : -1;
	return x->id < y->id ? -1 : x->id > y->id;
}

void trace_summary_cages(struct trace_summary *s, const Lind__AdminReply *r)
{
	for (size_t i = 0; i < s->ncages; i++)
		s->cages[i].gone = true; /* unless the relay lists it */
	for (size_t i = 0; i < r->n_cage_info; i++) {
		const Lind__CageInfo *x = r->cage_info[i];
		struct cage_stat *c = cage_of(s, x->cage_id);
		if (!c)
			return;
		c->gone = false;
		c->parked = x->inflight;
		snprintf(c->argv, sizeof c->argv, "%s", x->cmd ? x->cmd : "");
	}
}

void trace_top_draw(struct trace_summary *s, struct trace_fds *fds,
		    FILE *out, double secs)
{
	qsort(s->cages, s->ncages, sizeof s->cages[0], by_rate);
	uint64_t total = 0;
	size_t live = 0;
	for (size_t i = 0; i < s->ncages; i++) {
		total += s->cages[i].calls - s->cages[i].last_calls;
		live += !s->cages[i].gone;
	}
	/* plain ANSI: home and clear, fine over ssh, no curses */
	fputs("\033[H\033[2J", out);
	fprintf(out, "lind-trace --top: %zu cages, %.0f calls/s\n", live,
		secs > 0 ? (double)total / secs : 0.0);
	fprintf(out, "%8s %10s %12s %6s %5s  %s\n", "CAGE", "CALLS/S",
		"CALLS", "PARKED", "FDS", "ARGV");
	for (size_t i = 0; i < s->ncages; i++) {
		struct cage_stat *c = &s->cages[i];
		uint64_t d = c->calls - c->last_calls;
		c->last_calls = c->calls;
		if (c->gone)
			continue;
		fprintf(out, "%8" PRIu64 " %10.0f %12" PRIu64 " %6u %5zu  %s\n",
			c->id, secs > 0 ? (double)d / secs : 0.0, c->calls,
			c->parked, trace_fds_count(fds, c->id), c->argv);
	}
	fputs("(PARKED: calls waiting in the server; FDS: opened while "
	      "traced)\n", out);
	fflush(out);
}
