/* lind-run --net as net_policy.c enforces it: which destinations and
 * local addresses each policy lets through, the wildcard bound to
 * loopback under `loopback`, and ports below 1024 for root only. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "../../posix-server/net_policy.h"
#include "../../proto/protocol.h"
#include "test_server_util.h"

static struct sockaddr_storage v4(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in *in = (void *)&ss;
	in->sin_family = AF_INET;
	in->sin_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET, ip, &in->sin_addr), 1);
	return ss;
}

static struct sockaddr_storage v6(const char *ip, unsigned port)
{
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof ss);
	struct sockaddr_in6 *in6 = (void *)&ss;
	in6->sin6_family = AF_INET6;
	in6->sin6_port = htons((uint16_t)port);
	assert_int_equal(inet_pton(AF_INET6, ip, &in6->sin6_addr), 1);
	return ss;
}

static struct cage cage_with(uint32_t net, uint32_t euid)
{
	struct cage c;
	memset(&c, 0, sizeof c);
	c.net = net;
	c.cred.euid = euid;
	return c;
}

static long dest(const struct cage *c, struct sockaddr_storage ss)
{
	socklen_t len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						 : sizeof(struct sockaddr_in);
	return net_dest_ok(c, (const struct sockaddr *)&ss, len, false);
}

static void test_dest(void **state)
{
	(void)state;
	struct cage lo = cage_with(LIND_NET_LOOPBACK, 1000);
	struct cage host = cage_with(LIND_NET_HOST, 1000);
	struct cage none = cage_with(LIND_NET_NONE, 1000);
	check(dest(&lo, v4("127.0.0.1", 80)), 0);
	check(dest(&lo, v4("127.255.3.4", 80)), 0);
	check(dest(&lo, v4("0.0.0.0", 80)), 0); /* Linux: loopback */
	check(dest(&lo, v4("10.1.2.3", 80)), -ENETUNREACH);
	check(dest(&lo, v4("128.0.0.1", 80)), -ENETUNREACH);
	check(dest(&lo, v6("::1", 80)), 0);
	check(dest(&lo, v6("::ffff:127.0.0.1", 80)), 0);
	check(dest(&lo, v6("::ffff:10.0.0.1", 80)), -ENETUNREACH);
	check(dest(&lo, v6("2001:db8::1", 80)), -ENETUNREACH);
	check(dest(&host, v4("10.1.2.3", 80)), 0);
	check(dest(&none, v4("127.0.0.1", 80)), -ENETUNREACH);
	check(net_socket_ok(&none), -EACCES);
	check(net_socket_ok(&lo), 0);
	/* AF_UNSPEC: sendto reads it as AF_INET, connect disconnects */
	struct sockaddr_storage u = v4("10.1.2.3", 80);
	u.ss_family = AF_UNSPEC;
	check(dest(&lo, u), -ENETUNREACH);
	check(net_dest_ok(&lo, (void *)&u, sizeof(struct sockaddr_in), true), 0);
	/* too short or another family: the host refuses, nothing is sent */
	struct sockaddr_storage s = v4("10.1.2.3", 80);
	check(net_dest_ok(&lo, (void *)&s, 4, false), 0);
}

static long bind_addr(const struct cage *c, struct sockaddr_storage *ss,
		      bool *wild)
{
	socklen_t len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	return net_bind_addr(c, ss, len, wild);
}

static void test_bind(void **state)
{
	(void)state;
	struct cage lo = cage_with(LIND_NET_LOOPBACK, 1000);
	struct cage host = cage_with(LIND_NET_HOST, 1000);
	struct cage root = cage_with(LIND_NET_LOOPBACK, 0);
	bool wild;
	struct sockaddr_storage ss = v4("0.0.0.0", 8080);
	check(bind_addr(&lo, &ss, &wild), 0);
	assert_true(wild);
	struct sockaddr_storage want = v4("127.0.0.1", 8080);
	assert_memory_equal(&ss, &want, sizeof(struct sockaddr_in));
	net_wildcard(&ss); /* what getsockname shows */
	want = v4("0.0.0.0", 8080);
	assert_memory_equal(&ss, &want, sizeof(struct sockaddr_in));
	ss = v6("::", 8080);
	check(bind_addr(&lo, &ss, &wild), 0);
	assert_true(wild);
	want = v6("::1", 8080);
	assert_memory_equal(&ss, &want, sizeof(struct sockaddr_in6));
	ss = v4("127.0.0.2", 0);
	check(bind_addr(&lo, &ss, &wild), 0);
	assert_false(wild);
	ss = v4("192.0.2.1", 0);
	check(bind_addr(&lo, &ss, &wild), -EADDRNOTAVAIL);
	ss = v4("192.0.2.1", 0);
	check(bind_addr(&host, &ss, &wild), 0);
	ss = v4("0.0.0.0", 0);
	check(bind_addr(&host, &ss, &wild), 0);
	assert_false(wild); /* host: the wildcard itself */
	ss = v4("127.0.0.1", 80);
	check(bind_addr(&lo, &ss, &wild), -EACCES);
	ss = v4("127.0.0.1", 80);
	check(bind_addr(&root, &ss, &wild), 0);
	ss = v4("127.0.0.1", 1024);
	check(bind_addr(&lo, &ss, &wild), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dest),
		cmocka_unit_test(test_bind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
