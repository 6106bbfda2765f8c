/* proto/wire.c: frames parsed in place read as protobuf-c reads them, and
 * malformed ones (cut short, unknown fields, wrong wire types, too many
 * entries) are refused. */
#include <errno.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lind.pb-c.h"
#include "protocol.h"
#include "wire.h"

/* Whether protobuf-c refuses the frame too. */
static bool request_refused(const uint8_t *buf, size_t len)
{
	Lind__Request *rq = lind__request__unpack(NULL, len, buf);
	bool refused = !rq;
	lind__request__free_unpacked(rq, NULL);
	return refused;
}

static bool reply_refused(const uint8_t *buf, size_t len)
{
	Lind__Reply *rep = lind__reply__unpack(NULL, len, buf);
	bool refused = !rep;
	lind__reply__free_unpacked(rep, NULL);
	return refused;
}

static size_t pack_request(uint8_t *buf, int nargs, int ndata)
{
	static int64_t args[6] = {-1, 0, 1, INT64_MIN, INT64_MAX, 4096};
	static uint8_t bytes[3][100];
	ProtobufCBinaryData data[3];
	for (int k = 0; k < ndata; k++) {
		memset(bytes[k], 'a' + k, sizeof bytes[k]);
		data[k] = (ProtobufCBinaryData){(size_t)(k * 40), bytes[k]};
	}
	Lind__Request rq = LIND__REQUEST__INIT;
	rq.cage_id = 77;
	rq.tag = 1ull << 40;
	rq.nr = 1;
	rq.n_args = (size_t)nargs;
	rq.args = args;
	rq.n_data = (size_t)ndata;
	rq.data = data;
	rq.area = ndata == 1 ? 4096 : 0; /* Request.area, field 6 */
	return lind__request__pack(&rq, buf);
}

static void same_request(const uint8_t *buf, size_t len)
{
	struct lind_request_view v;
	Lind__Request *rq = lind__request__unpack(NULL, len, buf);
	assert_non_null(rq);
	assert_int_equal(lind_request_view(buf, len, &v), 0);
	assert_int_equal(v.rq.cage_id, rq->cage_id);
	assert_int_equal(v.rq.tag, rq->tag);
	assert_int_equal(v.rq.nr, rq->nr);
	assert_int_equal(v.rq.area, rq->area);
	assert_int_equal(v.rq.n_args, rq->n_args);
	for (size_t i = 0; i < rq->n_args; i++)
		assert_true(v.rq.args[i] == rq->args[i]);
	assert_int_equal(v.rq.n_data, rq->n_data);
	for (size_t k = 0; k < rq->n_data; k++) {
		assert_int_equal(v.rq.data[k].len, rq->data[k].len);
		assert_memory_equal(v.rq.data[k].data, rq->data[k].data,
				    rq->data[k].len);
		/* in place: into the frame, not a copy */
		assert_true(v.rq.data[k].data >= buf &&
			    v.rq.data[k].data + v.rq.data[k].len <= buf + len);
	}
	lind__request__free_unpacked(rq, NULL);
}

static void test_request_as_protobuf_c(void **st)
{
	(void)st;
	uint8_t buf[1024];
	for (int nargs = 0; nargs <= 6; nargs++)
		for (int ndata = 0; ndata <= 3; ndata++)
			same_request(buf, pack_request(buf, nargs, ndata));
	/* args unpacked (one varint each), a field repeated (last wins) */
	static const uint8_t loose[] = {0x18, 39, 0x20, 0x03, 0x20, 0x04,
					0x08, 5, 0x08, 6};
	same_request(loose, sizeof loose);
	same_request(loose, 0);
}

static void test_request_malformed(void **st)
{
	(void)st;
	struct lind_request_view v;
	uint8_t buf[1024];
	size_t len = pack_request(buf, 6, 3);
	for (size_t cut = 1; cut < len; cut++) /* every cut inside a field */
		if (request_refused(buf, cut))
			assert_int_equal(lind_request_view(buf, cut, &v),
					 -EINVAL);
	static const uint8_t unknown[] = {0x18, 39, 0x78, 0x01};  /* 15 */
	static const uint8_t field0[] = {0x02, 0x01};            /* 0 */
	static const uint8_t fixed[] = {0x19, 1, 2, 3, 4, 5, 6, 7, 8};
	static const uint8_t nr_bytes[] = {0x1a, 0x01, 39};      /* nr as LEN */
	static const uint8_t data_varint[] = {0x28, 0x01};       /* data as VARINT */
	static const uint8_t long_varint[] = {0x08, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0xff, 0xff, 0xff, 0xff,
					      0xff, 0x01};
	assert_int_equal(lind_request_view(unknown, sizeof unknown, &v), -EINVAL);
	assert_int_equal(lind_request_view(field0, sizeof field0, &v), -EINVAL);
	assert_int_equal(lind_request_view(fixed, sizeof fixed, &v), -EINVAL);
	assert_int_equal(lind_request_view(nr_bytes, sizeof nr_bytes, &v),
			 -EINVAL);
	assert_int_equal(lind_request_view(data_varint, sizeof data_varint, &v),
			 -EINVAL);
	assert_int_equal(lind_request_view(long_varint, sizeof long_varint, &v),
			 -EINVAL);
	/* more entries than a view holds */
	uint8_t many[2 * (LIND_VIEW_MAX + 1)];
	for (int i = 0; i <= LIND_VIEW_MAX; i++) {
		many[2 * i] = 0x2a; /* data, empty */
		many[2 * i + 1] = 0;
	}
	assert_int_equal(lind_request_view(many, sizeof many - 2, &v), 0);
	assert_int_equal(v.rq.n_data, LIND_VIEW_MAX);
	assert_int_equal(lind_request_view(many, sizeof many, &v), -EINVAL);
}

static void test_reply_as_protobuf_c(void **st)
{
	(void)st;
	uint8_t buf[1024], bytes[300];
	memset(bytes, 'r', sizeof bytes);
	ProtobufCBinaryData data[2] = {{300, bytes}, {0, NULL}};
	int64_t results[] = {0, -14, 65536, -4095};
	for (int i = 0; i < 4; i++) {
		Lind__Reply rep = LIND__REPLY__INIT;
		rep.tag = (uint64_t)i * 300;
		rep.result = results[i];
		rep.n_data = (size_t)(i % 3);
		rep.data = data;
		rep.more = i & 1;
		rep.fd = i == 2;
		rep.dequeue = (uint32_t)(i == 3 ? LIND_DEQUEUE_WAIT : 0);
		rep.sigmask = i == 3 ? 0x8000000000000200ull : 0;
		rep.area = i == 1 ? LIND_MAX_IO : 0;
		size_t len = lind__reply__pack(&rep, buf);
		struct lind_reply_view v;
		assert_int_equal(lind_reply_view(buf, len, &v), 0);
		assert_int_equal(v.rep.tag, rep.tag);
		assert_true(v.rep.result == rep.result);
		assert_int_equal(v.rep.more, rep.more);
		assert_int_equal(v.rep.fd, rep.fd);
		assert_int_equal(v.rep.dequeue, rep.dequeue);
		assert_true(v.rep.sigmask == rep.sigmask);
		assert_int_equal(v.rep.area, rep.area);
		assert_int_equal(v.rep.n_data, rep.n_data);
		for (size_t k = 0; k < rep.n_data; k++) {
			assert_int_equal(v.rep.data[k].len, data[k].len);
			assert_memory_equal(v.rep.data[k].data, data[k].data,
					    data[k].len);
		}
		for (size_t cut = 1; cut < len; cut++)
			if (reply_refused(buf, cut))
				assert_int_equal(lind_reply_view(buf, cut, &v),
						 -EINVAL);
	}
	static const uint8_t unknown[] = {0x08, 1, 0x48, 1}; /* field 9 */
	struct lind_reply_view v;
	assert_int_equal(lind_reply_view(unknown, sizeof unknown, &v), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_as_protobuf_c),
		cmocka_unit_test(test_request_malformed),
		cmocka_unit_test(test_reply_as_protobuf_c),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
