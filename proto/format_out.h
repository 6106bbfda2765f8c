/*
 * The trace formatter's pieces shared between its files (format.c: calls
 * and events; format_sock.c: socket addresses, messages, pollfds).
 * Internal to proto/: every name is lind_-prefixed because client-libc
 * links these files too.
 */
#ifndef LIND_FORMAT_OUT_H
#define LIND_FORMAT_OUT_H

#include <stdint.h>
#include <string.h>

#include "lind.pb-c.h"
#include "syscall.h"

/* A growing line that never overflows: further output is dropped. */
struct lind_out {
	char *b;
	size_t cap, len;
	const struct lind_fmt *f;
	uint64_t cage; /* whose fds (-y) */
};

struct lind_bit {
	int64_t v;
	const char *name;
};

void lind_put(struct lind_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* "A|B|0x40" for the bits of v; "0" when none is set. */
void lind_put_bits(struct lind_out *o, int64_t v, const struct lind_bit *bits);
/* "bytes" escaped as strace does; "..." after the quote when more. */
void lind_put_str(struct lind_out *o, const uint8_t *p, size_t n, int more);
/* A buffer whose real length is total, of which d carries a prefix. */
void lind_put_buf(struct lind_out *o, const ProtobufCBinaryData *d,
		  int64_t total);

/* Numbers inside a cage's struct, wherever the frame put them. */
static inline int64_t lind_i64_at(const ProtobufCBinaryData *d, size_t off)
{
	int64_t v;
	memcpy(&v, d->data + off, 8);
	return v;
}

static inline int32_t lind_i32_at(const ProtobufCBinaryData *d, size_t off)
{
	int32_t v;
	memcpy(&v, d->data + off, 4);
	return v;
}

static inline uint16_t lind_u16_at(const ProtobufCBinaryData *d, size_t off)
{
	uint16_t v;
	memcpy(&v, d->data + off, 2);
	return v;
}

/* format_sock.c */
void lind_put_sockaddr(struct lind_out *o, const ProtobufCBinaryData *d);
/* Whether argument i of call nr is a socket address. */
int lind_is_sockaddr(uint32_t nr, int i);
void lind_put_pollfds(struct lind_out *o, const ProtobufCBinaryData *d,
		      int64_t count);
/* MSG_PEEK|MSG_DONTWAIT... */
void lind_put_msg_flags(struct lind_out *o, int64_t v);
/* sendmsg's (dir_out 0) or recvmsg's (1) msghdr, slot its argument */
void lind_put_msghdr(struct lind_out *o, const ProtobufCBinaryData *d,
		     int64_t slot, int dir_out, int64_t result);

#endif
