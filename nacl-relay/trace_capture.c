/*
 * -w FILE and --read FILE: the selected events as the relay packed them,
 * behind a header (docs/trace-format.md):
 *   "LINDTRC\n"  magic, 8 bytes
 *   u16 version (1), u16 header size (16), u32 flags (0), little-endian
 * then one record per event: u32 length (little-endian), that many bytes
 * of a packed TraceEvent (proto/lind.proto).  A reader skips header bytes
 * beyond the 16 it knows and refuses a version it does not.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lind-trace.h"

#define MAGIC "LINDTRC\n"
#define FORMAT_VERSION 1
#define HEADER_SIZE 16
#define RECORD_MAX (1u << 24) /* far above any event; a corrupt length */

struct trace_capture {
	FILE *f;
	const char *path;
	bool failed;
};

static void put16(uint8_t *p, uint16_t v)
{
	v = htole16(v);
	memcpy(p, &v, 2);
}

static void put32(uint8_t *p, uint32_t v)
{
	v = htole32(v);
	memcpy(p, &v, 4);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;
	memcpy(&v, p, 4);
	return le32toh(v);
}

static uint16_t get16(const uint8_t *p)
{
	uint16_t v;
	memcpy(&v, p, 2);
	return le16toh(v);
}

/* A write the file refused: say so once; the capture stops there. */
static int failed(struct trace_capture *c)
{
	if (!c->failed)
		fprintf(stderr, "lind-trace: capture to %s stopped: %s\n",
			c->path, strerror(errno ? errno : EIO));
	c->failed = true;
	return -1;
}

struct trace_capture *trace_capture_open(const char *path)
{
	struct trace_capture *c = calloc(1, sizeof *c);
	if (!c || !(c->f = fopen(path, "wb"))) {
		fprintf(stderr, "lind-trace: cannot create %s: %s\n", path,
			strerror(errno));
		free(c);
		return NULL;
	}
	c->path = path;
	uint8_t h[HEADER_SIZE] = MAGIC;
	put16(h + 8, FORMAT_VERSION);
	put16(h + 10, HEADER_SIZE);
	put32(h + 12, 0);
	errno = 0;
	if (fwrite(h, sizeof h, 1, c->f) != 1 || fflush(c->f) != 0) {
		failed(c); /* a disk already full: before attaching */
		trace_capture_close(c);
		return NULL;
	}
	return c;
}

int trace_capture_write(struct trace_capture *c, const void *msg, size_t n)
{
	if (c->failed)
		return -1;
	uint8_t len[4];
	put32(len, (uint32_t)n);
	errno = 0;
	if (fwrite(len, 4, 1, c->f) != 1 || fwrite(msg, n, 1, c->f) != 1)
		return failed(c);
	return 0;
}

int trace_capture_flush(struct trace_capture *c)
{
	errno = 0;
	if (!c->failed && fflush(c->f) != 0)
		return failed(c);
	return c->failed ? -1 : 0;
}

int trace_capture_close(struct trace_capture *c)
{
	if (!c)
		return 0;
	errno = 0;
	int rc = c->failed ? -1 : 0;
	if (fclose(c->f) != 0 && !c->failed)
		rc = failed(c);
	free(c);
	return rc;
}

static int bad(const char *path, const char *why)
{
	fprintf(stderr, "lind-trace: %s: %s\n", path, why);
	return -1;
}

static int read_header(FILE *f, const char *path)
{
	uint8_t h[HEADER_SIZE];
	if (fread(h, sizeof h, 1, f) != 1 || memcmp(h, MAGIC, 8))
		return bad(path, "not a lind-trace capture");
	if (get16(h + 8) != FORMAT_VERSION)
		return bad(path, "a capture format version this lind-trace "
				 "does not read");
	uint16_t size = get16(h + 10);
	if (size < HEADER_SIZE || fseek(f, size, SEEK_SET) != 0)
		return bad(path, "a corrupt header");
	return 0;
}

int trace_capture_read(const char *path,
		       int (*fn)(void *arg, const void *msg, size_t n),
		       void *arg)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "lind-trace: cannot open %s: %s\n", path,
			strerror(errno));
		return -1;
	}
	int rc = read_header(f, path);
	uint8_t *buf = NULL, len[4];
	while (rc == 0 && fread(len, 4, 1, f) == 1) {
		uint32_t n = get32(len);
		uint8_t *nb = n < RECORD_MAX ? realloc(buf, n ? n : 1) : NULL;
		if (!nb) {
			rc = bad(path, "a corrupt record length");
			break;
		}
		buf = nb;
		if (n && fread(buf, n, 1, f) != 1) {
			rc = bad(path, "cut short in a record");
			break;
		}
		if (fn(arg, buf, n) != 0)
			break;
	}
	free(buf);
	fclose(f);
	return rc;
}
