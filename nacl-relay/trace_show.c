/*
 * One event as a line (strace's: "[cage 2] 12:00:01.000123 open(...) = 3
 * <0.000012>") or, with --json, as one JSON object (docs/trace-format.md).
 */
#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "lind-trace.h"
#include "protocol.h"

#define LINE_MAX_BYTES 16384

/* -t, -tt, -ttt, -r: before the call, as strace puts it. */
static void put_time(const struct trace_opts *o, uint64_t ns, FILE *out)
{
	static uint64_t last;
	if (o->relative) {
		uint64_t d = last && ns > last ? ns - last : 0;
		last = ns;
		fprintf(out, "%6" PRIu64 ".%06" PRIu64 " ", d / 1000000000u,
			d / 1000u % 1000000u);
	}
	if (!o->tstamp)
		return;
	time_t s = (time_t)(ns / 1000000000u);
	if (o->tstamp == 3) {
		fprintf(out, "%lld.%06" PRIu64 " ", (long long)s,
			ns / 1000u % 1000000u);
		return;
	}
	struct tm tm;
	char hms[16];
	localtime_r(&s, &tm);
	strftime(hms, sizeof hms, "%H:%M:%S", &tm);
	if (o->tstamp == 1)
		fprintf(out, "%s ", hms);
	else
		fprintf(out, "%s.%06" PRIu64 " ", hms, ns / 1000u % 1000000u);
}

static void json_str(FILE *out, const char *s, size_t n)
{
	fputc('"', out);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '"' || c == '\\')
			fprintf(out, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			fprintf(out, "\\u%04x", c);
		else
			fputc(c, out);
	}
	fputc('"', out);
}

static void json_hex(FILE *out, const char *key, size_t n,
		     const ProtobufCBinaryData *d)
{
	fprintf(out, ",\"%s\":[", key);
	for (size_t i = 0; i < n; i++) {
		fputs(i ? ",\"" : "\"", out);
		for (size_t k = 0; k < d[i].len; k++)
			fprintf(out, "%02x", d[i].data[k]);
		fputc('"', out);
	}
	fputc(']', out);
}

/* Schema version 1: docs/trace-format.md lists every field. */
static void show_json(const Lind__TraceEvent *ev, const char *text, FILE *out)
{
	bool note = ev->note && ev->note[0];
	const struct lind_sysname *s = note ? NULL : lind_sysname(ev->nr);
	fprintf(out, "{\"v\":1,\"type\":\"%s\",\"cage\":%" PRIu64, note ? "note" : "call",
		ev->cage_id);
	fprintf(out, ",\"start_ns\":%" PRIu64, ev->start_ns);
	if (note) {
		fputs(",\"note\":", out);
		json_str(out, ev->note, strlen(ev->note));
	} else {
		fprintf(out, ",\"nr\":%u,\"name\":", ev->nr);
		json_str(out, s ? s->name : "", s ? strlen(s->name) : 0);
		fprintf(out, ",\"result\":%" PRId64, ev->result);
		const char *e = ev->result < 0 ? lind_errno_name((int)-ev->result)
					       : NULL;
		if (e && ev->result >= -4095)
			fprintf(out, ",\"errno\":\"%s\"", e);
		fprintf(out, ",\"latency_ns\":%" PRIu64, ev->latency_ns);
		if (ev->refused && ev->refused[0]) {
			fputs(",\"refused\":", out);
			json_str(out, ev->refused, strlen(ev->refused));
		}
	}
	fputs(",\"args\":[", out);
	for (size_t i = 0; i < ev->n_args; i++)
		fprintf(out, "%s%" PRId64, i ? "," : "", ev->args[i]);
	fputc(']', out);
	fprintf(out, ",\"data_cap\":%u",
		ev->data_cap ? ev->data_cap : LIND_TRACE_DATA);
	json_hex(out, "data", ev->n_data, ev->data);
	json_hex(out, "out", ev->n_out, ev->out);
	fputs(",\"text\":", out);
	json_str(out, text, strlen(text));
	fputs("}\n", out);
}

void trace_show(const struct trace_opts *o, const Lind__TraceEvent *ev)
{
	char line[LINE_MAX_BYTES];
	lind_format_event_with(line, sizeof line, ev, &o->fmt);
	if (o->json) {
		show_json(ev, line, o->out);
		return;
	}
	/* "[cage N] " first, as strace's "[pid N] ", then the time */
	const char *rest = line;
	if (line[0] == '[' && (rest = strstr(line, "] ")))
		rest += 2;
	else
		rest = line;
	fprintf(o->out, "%.*s", (int)(rest - line), line);
	put_time(o, ev->start_ns, o->out);
	fputs(rest, o->out);
	bool call = !ev->note || !ev->note[0];
	if (o->latency && call)
		fprintf(o->out, " <%" PRIu64 ".%06" PRIu64 ">",
			ev->latency_ns / 1000000000u,
			ev->latency_ns / 1000u % 1000000u);
	fputc('\n', o->out);
}
