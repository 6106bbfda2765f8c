/* SHA-256 (FIPS 180-4) and HMAC-SHA256 (RFC 2104), for the remote link's
 * challenge-response (proto/link.c); no library in the dependency list
 * provides them. */
#ifndef LIND_SHA256_H
#define LIND_SHA256_H

#include <stddef.h>
#include <stdint.h>

#define LIND_SHA256_LEN 32

struct lind_sha256 {
	uint32_t h[8];
	uint64_t bytes; /* hashed so far */
	uint8_t buf[64];
	size_t nbuf;
};

void lind_sha256_init(struct lind_sha256 *s);
void lind_sha256_update(struct lind_sha256 *s, const void *data, size_t len);
void lind_sha256_final(struct lind_sha256 *s, uint8_t out[LIND_SHA256_LEN]);

/* out = HMAC-SHA256(key, the n parts concatenated) */
struct lind_buf {
	const void *p;
	size_t len;
};
void lind_hmac_sha256(const void *key, size_t klen, const struct lind_buf *parts,
		      size_t n, uint8_t out[LIND_SHA256_LEN]);

#endif
