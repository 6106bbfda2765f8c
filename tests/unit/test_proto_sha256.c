/* proto/sha256.c: SHA-256 (FIPS 180-2 examples) and HMAC-SHA256 (RFC 4231
 * test cases 1-4, 6, 7; case 5 is a truncated MAC). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "sha256.h"

static const char *hex(const uint8_t *p, size_t n)
{
	static char buf[2 * LIND_SHA256_LEN + 1];
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", p[i]);
	return buf;
}

static const char *sha(const void *data, size_t len, size_t step)
{
	struct lind_sha256 s;
	uint8_t out[LIND_SHA256_LEN];
	lind_sha256_init(&s);
	for (size_t off = 0; off < len; off += step) /* in pieces */
		lind_sha256_update(&s, (const uint8_t *)data + off,
				   len - off < step ? len - off : step);
	lind_sha256_final(&s, out);
	return hex(out, sizeof out);
}

static void test_sha256(void **st)
{
	(void)st;
	assert_string_equal(sha("", 0, 1),
		"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	assert_string_equal(sha("abc", 3, 1),
		"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	const char *two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	for (size_t step = 1; step <= 64; step *= 4)
		assert_string_equal(sha(two, strlen(two), step),
			"248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
	static char million[1000000];
	memset(million, 'a', sizeof million);
	assert_string_equal(sha(million, sizeof million, 4096),
		"cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static const char *hmac(const void *key, size_t klen, const void *data,
			size_t len)
{
	uint8_t out[LIND_SHA256_LEN];
	/* split in two parts: the parts are one message */
	struct lind_buf parts[2] = {{data, len / 2},
				    {(const uint8_t *)data + len / 2, len - len / 2}};
	lind_hmac_sha256(key, klen, parts, 2, out);
	return hex(out, sizeof out);
}

static void test_hmac_rfc4231(void **st)
{
	(void)st;
	uint8_t k[131];
	memset(k, 0x0b, 20);
	assert_string_equal(hmac(k, 20, "Hi There", 8),
		"b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
	assert_string_equal(hmac("Jefe", 4, "what do ya want for nothing?", 28),
		"5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	uint8_t d[50];
	memset(k, 0xaa, 20);
	memset(d, 0xdd, 50);
	assert_string_equal(hmac(k, 20, d, 50),
		"773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe");
	for (int i = 0; i < 25; i++)
		k[i] = (uint8_t)(i + 1);
	memset(d, 0xcd, 50);
	assert_string_equal(hmac(k, 25, d, 50),
		"82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b");
	memset(k, 0xaa, 131); /* keys longer than a block are hashed */
	const char *t6 = "Test Using Larger Than Block-Size Key - Hash Key First";
	assert_string_equal(hmac(k, 131, t6, strlen(t6)),
		"60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
	const char *t7 = "This is a test using a larger than block-size key and a "
			 "larger than block-size data. The key needs to be hashed "
			 "before being used by the HMAC algorithm.";
	assert_string_equal(hmac(k, 131, t7, strlen(t7)),
		"9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256),
		cmocka_unit_test(test_hmac_rfc4231),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
