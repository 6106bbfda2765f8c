/* proto/link.c and link_stdio.c: the secret file's checks, the handshake
 * (right and wrong secrets), and stdio pumped between two sockets, over
 * nanomsg's inproc transport. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include <nanomsg/nn.h>

#include "link.h"
#include "link_stdio.h"

static char dir[] = "/tmp/lind-link-XXXXXX";

static const char *secret_file(const char *name, const char *text, int mode)
{
	static char path[128];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	chmod(path, (mode_t)mode);
	return path;
}

static void test_key_load(void **st)
{
	(void)st;
	struct link_key k;
	char why[300];
	assert_int_equal(link_key_load(secret_file("ok", "0123456789abcdef\n", 0600),
				       &k, why, sizeof why), 0);
	assert_int_equal(k.len, 16); /* the newline is not part of it */
	assert_memory_equal(k.bytes, "0123456789abcdef", 16);
	assert_int_equal(link_key_load(secret_file("g", "0123456789abcdef", 0640),
				       &k, why, sizeof why), -EPERM);
	assert_non_null(strstr(why, "mode 0600"));
	assert_int_equal(link_key_load(secret_file("o", "0123456789abcdef", 0604),
				       &k, why, sizeof why), -EPERM);
	assert_int_equal(link_key_load(secret_file("short", "too short", 0600),
				       &k, why, sizeof why), -EINVAL);
	assert_int_equal(link_key_load("/nonexistent/secret", &k, why, sizeof why),
			 -ENOENT);
}

struct side {
	int s;
	struct link_key key;
	int rc;
	char why[160];
};

static void *bridge_side(void *arg)
{
	struct side *b = arg;
	void *m = NULL;
	long n = link_recv(b->s, &m, 0);
	b->rc = n < 0 ? (int)n
		      : link_auth_bridge(b->s, &b->key, m, (size_t)n, b->why,
					 sizeof b->why);
	if (m)
		nn_freemsg(m);
	return NULL;
}

static void key(struct link_key *k, const char *text)
{
	k->len = strlen(text);
	memcpy(k->bytes, text, k->len);
}

/* The handshake between a relay knowing rk and a bridge knowing bk. */
static void shake(const char *url, const char *rk, const char *bk, int *relay_rc,
		  int *bridge_rc)
{
	struct side b = {.s = link_socket(url, true)};
	struct side r = {.s = link_socket(url, false)};
	assert_true(b.s >= 0 && r.s >= 0);
	key(&b.key, bk);
	key(&r.key, rk);
	pthread_t t;
	pthread_create(&t, NULL, bridge_side, &b);
	*relay_rc = link_auth_relay(r.s, &r.key, r.why, sizeof r.why);
	if (*relay_rc < 0) /* the bridge would wait out its timeout */
		nn_close(r.s);
	pthread_join(t, NULL);
	*bridge_rc = b.rc;
	if (*relay_rc == 0)
		nn_close(r.s);
	nn_close(b.s);
}

static void test_handshake(void **st)
{
	(void)st;
	int r, b;
	shake("inproc://shake1", "the same secret!", "the same secret!", &r, &b);
	assert_int_equal(r, 0);
	assert_int_equal(b, 0);
	/* the relay finds the bridge's MAC wrong and stops there; the bridge
	 * never gets a step 3 */
	shake("inproc://shake2", "the relay's one!", "the bridge's one", &r, &b);
	assert_int_equal(r, -EACCES);
	assert_true(b < 0);
}

static void test_first_message(void **st)
{
	(void)st;
	struct link_key k;
	key(&k, "the same secret!");
	char why[160];
	int s = link_socket("inproc://first", true);
	uint8_t forged[] = {LINK_REQ, 1, 2, 3};
	assert_int_equal(link_auth_bridge(s, &k, forged, sizeof forged, why,
					  sizeof why), -EPROTO);
	assert_string_equal(why, "did not start with the handshake");
	uint8_t short_nonce[] = {LINK_AUTH, 1, 0};
	assert_int_equal(link_auth_bridge(s, &k, short_nonce, sizeof short_nonce,
					  why, sizeof why), -EPROTO);
	nn_close(s);
}

/* One round of both sides' streams, then what arrived is handled. */
static void pump(struct link_streams *ss)
{
	struct pollfd p[8];
	struct link_stream *who[8];
	int n = link_streams_poll(ss, p, who, 8);
	if (n && poll(p, (nfds_t)n, 10) > 0)
		for (int i = 0; i < n; i++)
			if (p[i].revents)
				link_stream_ready(ss, who[i], p[i].revents);
	void *m = NULL;
	long len;
	while ((len = link_recv(ss->sock, &m, NN_DONTWAIT)) > 0) {
		link_streams_on_msg(ss, m, (size_t)len);
		nn_freemsg(m);
	}
}

static void test_stdio(void **st)
{
	(void)st;
	struct link_streams a = {.sock = link_socket("inproc://stdio", true)};
	struct link_streams b = {.sock = link_socket("inproc://stdio", false)};
	int in[2], out[2];
	assert_int_equal(pipe(in), 0);
	assert_int_equal(pipe2(out, O_NONBLOCK), 0);
	/* a reads in[0] (a source); b writes out[1] (a sink) */
	link_stream_add(&a, 7, 0, in[0], true);
	link_stream_add(&b, 7, 0, out[1], false);
	size_t total = 3 * LINK_WINDOW + 123, sent = 0, got = 0;
	uint8_t *data = malloc(total), *back = malloc(total);
	for (size_t i = 0; i < total; i++)
		data[i] = (uint8_t)(i * 7 + i / 251);
	fcntl(in[1], F_SETFL, O_NONBLOCK);
	for (int round = 0; round < 100000 && got < total; round++) {
		if (sent < total) {
			ssize_t w = write(in[1], data + sent, total - sent);
			if (w > 0)
				sent += (size_t)w;
			if (sent == total)
				close(in[1]); /* EOF follows the bytes */
		}
		pump(&a);
		pump(&b);
		ssize_t r = read(out[0], back + got, total - got);
		if (r > 0)
			got += (size_t)r;
	}
	assert_int_equal(got, total);
	assert_memory_equal(data, back, total);
	/* the source's EOF closed the sink: the reader sees EOF too */
	for (int round = 0; round < 100; round++) {
		pump(&a);
		pump(&b);
	}
	assert_int_equal(read(out[0], back, 1), 0);
	free(data);
	free(back);
	link_streams_clear(&a);
	link_streams_clear(&b);
	close(out[0]);
	nn_close(a.sock);
	nn_close(b.sock);
}

static int setup(void **st)
{
	(void)st;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **st)
{
	(void)st;
	char cmd[64];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	return system(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_load),
		cmocka_unit_test(test_handshake),
		cmocka_unit_test(test_first_message),
		cmocka_unit_test(test_stdio),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	nn_term();
	return rc;
}
