/*
 * lind-trace's parts: lind-trace.c (options, the live feed), trace_filter.c
 * (which events this tracer keeps), trace_show.c (lines and JSON),
 * trace_summary.c (-c, --top), trace_capture.c (-w, --read).
 */
#ifndef LIND_TRACE_TOOL_H
#define LIND_TRACE_TOOL_H

#include <regex.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "lind.pb-c.h"
#include "syscall.h"

#define TRACE_CALL_BYTES ((LIND_ROWS + 1 + 7) / 8)
#define TRACE_MAX_CAGES 64

struct trace_filter {
	uint64_t cages[TRACE_MAX_CAGES]; /* -p */
	size_t ncages;
	bool follow;                        /* -f */
	bool calls_set;                     /* -e trace= given */
	uint8_t calls[TRACE_CALL_BYTES];    /* by table index, last: others */
	bool write_opens;                   /* class write: opens by flags */
	int status;                         /* 0 all, 1 failed, 2 successful */
	bool signals_set;
	uint64_t signals;                   /* -e signal=: bit s-1 */
	const char *cage_cmd;               /* --cage-cmd */
	bool fds;                           /* -y: the relay sends fd calls */
	uint8_t wire[TRACE_CALL_BYTES];     /* what the relay is asked for */
	regex_t re;
	/* offline (--read): the cages selected so far, followed, matched */
	uint64_t *seen;
	size_t nseen, cap;
};

struct trace_opts {
	struct trace_filter filter;
	struct lind_fmt fmt;
	int tstamp;       /* -t 1, -tt 2, -ttt 3 */
	bool relative;    /* -r */
	bool latency;     /* -T */
	bool json;        /* --json */
	int summary;      /* -c 1, -C 2 */
	bool top;         /* --top */
	long iterations;  /* --top: redraws, then exit (-1: forever) */
	const char *write_file; /* -w */
	const char *read_file;  /* --read */
	long count;       /* -n */
	FILE *out;        /* -o, or stdout */
};

/* trace_filter.c */
/* -e EXPR: 0, or -1 with a message on stderr. */
int trace_filter_expr(struct trace_filter *f, const char *expr);
int trace_filter_cage(struct trace_filter *f, const char *arg);
/* After the options: compiles --cage-cmd; 0 or -1 (message printed). */
int trace_filter_ready(struct trace_filter *f);
/* The filter as the relay wants it (pointers into f and calls_buf). */
void trace_filter_wire(struct trace_filter *f, uint64_t subscriber,
		       Lind__TraceFilter *w);
/* Keep ev?  mine: this tracer's bit in ev->subscribers (live), or 0 for
 * a capture, where the filter follows the cages' notes itself. */
bool trace_filter_keep(struct trace_filter *f, const Lind__TraceEvent *ev,
		       uint32_t mine);
void trace_filter_free(struct trace_filter *f);
/* An "attach" note's argv joined by spaces, as the relay joins it for
 * --cage-cmd (cut to cap). */
void trace_argv(char *buf, size_t cap, const Lind__TraceEvent *ev);

/* trace_fds.c: -y, fd paths learnt from the events */
struct trace_fds;
struct trace_fds *trace_fds_new(void);
/* Every event the tracer receives, kept or not (before it is shown;
 * a close after). */
void trace_fds_see(struct trace_fds *t, const Lind__TraceEvent *ev);
const char *trace_fds_path(void *t, uint64_t cage, int fd);
size_t trace_fds_count(const struct trace_fds *t, uint64_t cage);
/* Add the calls -y learns from to a calls bitmap. */
void trace_fds_wire(uint8_t *calls);
void trace_fds_free(struct trace_fds *t);

/* trace_show.c */
void trace_show(const struct trace_opts *o, const Lind__TraceEvent *ev);

/* trace_summary.c */
struct trace_summary;
struct trace_summary *trace_summary_new(void);
void trace_summary_add(struct trace_summary *s, const Lind__TraceEvent *ev);
void trace_summary_print(struct trace_summary *s, FILE *out);
/* --top: the relay's list of attached cages (argv, parked calls). */
void trace_summary_cages(struct trace_summary *s, const Lind__AdminReply *r);
/* --top: one frame of the live view (ANSI clear, then the table); fds
 * counts the fds seen opened. */
struct trace_fds;
void trace_top_draw(struct trace_summary *s, struct trace_fds *fds,
		    FILE *out, double secs);
void trace_summary_free(struct trace_summary *s);

/* trace_capture.c */
struct trace_capture;
/* -w FILE: NULL with a message when it cannot be created. */
struct trace_capture *trace_capture_open(const char *path);
/* One event as received (packed); -1 once the file refuses a write (the
 * message is printed, once). */
int trace_capture_write(struct trace_capture *c, const void *msg, size_t n);
/* After each batch: a full disk shows at once, and the file is whole up
 * to its last record.  -1 once the capture stopped. */
int trace_capture_flush(struct trace_capture *c);
/* Flush and close: 0, or -1 when the last bytes did not make it. */
int trace_capture_close(struct trace_capture *c);
/* --read FILE: each event to fn; 0, or -1 with a message. */
int trace_capture_read(const char *path,
		       int (*fn)(void *arg, const void *msg, size_t n),
		       void *arg);

#endif
