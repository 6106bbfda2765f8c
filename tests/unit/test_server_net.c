/* lind-run --net as net_policy.c enforces it: which destinations and
 * local addresses each policy lets through, the wildcard bound to
 * loopback under `loopback`, and ports below 1024 for root only.
 * lind-run --publish: the specs lind-run takes, the tables the relay and
 * the server take (proto/publish.c), and the binds it rewrites. */
#include <arpa/inet.h>
#include <netinet/in.h>

#include "../../posix-server/net_policy.h"
#include "../../proto/protocol.h"
#include "../../proto/publish.h"
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
	struct net_local l;
	long r = net_bind_addr(c, false, ss, len, &l);
	*wild = l.wild;
	return r;
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


/* ---- --publish ---------------------------------------------------------- */

static struct lind_publish spec(const char *s)
{
	struct lind_publish p;
	char err[300];
	assert_int_equal(lind_publish_parse(s, &p, err, sizeof err), 0);
	return p;
}

static void bad_spec(const char *s)
{
	struct lind_publish p;
	char err[300] = "";
	assert_int_equal(lind_publish_parse(s, &p, err, sizeof err), -1);
	assert_non_null(strstr(err, "--publish"));
	assert_null(strchr(err, '\n'));
}

static void test_publish_parse(void **state)
{
	(void)state;
	struct lind_publish p = spec("8080:80");
	assert_int_equal(p.host_port, 8080);
	assert_int_equal(p.cage_port, 80);
	assert_int_equal(p.addr, 0);
	assert_false(p.udp);
	p = spec("127.0.0.1:65535:1/udp");
	assert_int_equal(p.addr, 0x7f000001);
	assert_int_equal(p.host_port, 65535);
	assert_int_equal(p.cage_port, 1);
	assert_true(p.udp);
	p = spec("1:2/tcp");
	assert_false(p.udp);
	const char *bad[] = {"", "8080", "0:80", "8080:0", "65536:80",
			     "8080:65536", "8080:80/sctp", "8080:80/", "x:80",
			     "8080:8x", ":80", "8080:", "1.2.3:8080:80",
			     "::1:8080:80", "[::1]:8080:80", "a:b:c:d",
			     "-1:80", "+80:80", "080080:80", "1.2.3.4::80",
			     "1.2.3.4:8080:80:90", "8080:80/udp/tcp"};
	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
		bad_spec(bad[i]);
}

static void test_publish_check(void **state)
{
	(void)state;
	struct lind_publish t[LIND_MAX_PUBLISH + 1];
	t[0] = spec("8080:80");
	t[1] = spec("8080:80/udp"); /* one port, both protocols */
	t[2] = spec("127.0.0.1:8080:81"); /* another host address */
	assert_null(lind_publish_check(t, 3));
	t[3] = spec("9090:80");
	assert_non_null(lind_publish_check(t, 4)); /* CAGEPORT twice */
	t[3] = spec("8080:82");
	assert_non_null(lind_publish_check(t, 4)); /* ADDR:HOSTPORT twice */
	for (unsigned i = 0; i <= LIND_MAX_PUBLISH; i++)
		t[i] = (struct lind_publish){0, (uint16_t)(1000 + i),
					     (uint16_t)(2000 + i), false};
	assert_null(lind_publish_check(t, LIND_MAX_PUBLISH));
	assert_non_null(lind_publish_check(t, LIND_MAX_PUBLISH + 1));
	t[0].host_port = 0; /* never from a spec, but from a frame */
	assert_non_null(lind_publish_check(t, 1));
}

/* What the relay and the server take from a frame: anyone's values. */
static void test_publish_from(void **state)
{
	(void)state;
	Lind__Publish e[LIND_MAX_PUBLISH + 1], *in[LIND_MAX_PUBLISH + 1];
	struct lind_publish out[LIND_MAX_PUBLISH];
	for (unsigned i = 0; i <= LIND_MAX_PUBLISH; i++) {
		lind__publish__init(&e[i]);
		e[i].host_port = 3000 + i;
		e[i].cage_port = 4000 + i;
		in[i] = &e[i];
	}
	e[1].udp = 1;
	e[1].addr = 0x7f000001;
	assert_null(lind_publish_from(in, 2, out));
	assert_int_equal(out[1].addr, 0x7f000001);
	assert_true(out[1].udp);
	assert_int_equal(out[1].cage_port, 4001);
	assert_null(lind_publish_from(in, 0, out));
	assert_null(lind_publish_from(in, LIND_MAX_PUBLISH, out));
	assert_non_null(lind_publish_from(in, LIND_MAX_PUBLISH + 1, out));
	e[0].host_port = 65536 + 3000; /* would wrap to 3000 */
	assert_non_null(lind_publish_from(in, 1, out));
	e[0].host_port = 3000;
	e[0].cage_port = 0;
	assert_non_null(lind_publish_from(in, 1, out));
	e[0].cage_port = 4001;
	e[1].udp = 0;
	assert_non_null(lind_publish_from(in, 2, out)); /* cage port twice */
	in[1] = NULL;
	assert_non_null(lind_publish_from(in, 2, out));
}

static void same(const struct sockaddr_storage *a, struct sockaddr_storage b)
{
	size_t len = b.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
					     : sizeof(struct sockaddr_in);
	assert_int_equal(a->ss_family, b.ss_family);
	assert_memory_equal(a, &b, len);
}

/* A bind of the cage's: what the host binds, and what the cage sees of
 * that host name (getsockname). */
static long pub_bind(struct cage *c, bool udp, struct sockaddr_storage asked,
		     struct sockaddr_storage host, struct net_local *l)
{
	socklen_t len = asked.ss_family == AF_INET6
				? sizeof(struct sockaddr_in6)
				: sizeof(struct sockaddr_in);
	struct sockaddr_storage sa = asked;
	long r = net_bind_addr(c, udp, &sa, len, l);
	if (r < 0)
		return r;
	same(&sa, host);
	net_local_show(l, &sa);
	if (asked.ss_family == AF_UNSPEC)
		asked.ss_family = AF_INET;
	same(&sa, asked);
	return r;
}

static void test_publish_bind(void **state)
{
	(void)state;
	struct cage lo = cage_with(LIND_NET_LOOPBACK, 1000);
	struct cage host = cage_with(LIND_NET_HOST, 1000);
	struct lind_publish t[] = {spec("18080:8080"),
				   spec("127.0.0.1:18081:8081/udp"),
				   spec("1080:80"), spec("18443:443")};
	check(net_publish_set(&lo, t, 3), 0);
	check(net_publish_set(&host, t, 4), 0);
	struct net_local l;
	check(pub_bind(&lo, false, v4("0.0.0.0", 8080), v4("0.0.0.0", 18080),
		       &l), 0);
	assert_int_equal(l.port, 8080);
	check(pub_bind(&lo, false, v4("127.0.0.1", 8080),
		       v4("0.0.0.0", 18080), &l), 0);
	check(pub_bind(&host, false, v4("127.3.4.5", 8080),
		       v4("0.0.0.0", 18080), &l), 0);
	struct sockaddr_storage u = v4("0.0.0.0", 8080);
	u.ss_family = AF_UNSPEC; /* Linux's inet_bind: AF_INET's wildcard */
	check(pub_bind(&lo, false, u, v4("0.0.0.0", 18080), &l), 0);
	check(pub_bind(&lo, false, v6("::", 8080), v6("::", 18080), &l), 0);
	check(pub_bind(&lo, false, v6("::1", 8080), v6("::", 18080), &l), 0);
	check(pub_bind(&lo, true, v4("0.0.0.0", 8081), v4("127.0.0.1", 18081),
		       &l), 0);
	check(pub_bind(&lo, true, v6("::", 8081),
		       v6("::ffff:127.0.0.1", 18081), &l), 0);
	/* another protocol, another port, another address: as before */
	check(pub_bind(&lo, true, v4("0.0.0.0", 8080), v4("127.0.0.1", 8080),
		       &l), 0);
	assert_true(l.wild);
	assert_int_equal(l.port, 0);
	check(pub_bind(&lo, false, v4("0.0.0.0", 8082), v4("127.0.0.1", 8082),
		       &l), 0);
	check(pub_bind(&host, false, v4("0.0.0.0", 8082), v4("0.0.0.0", 8082),
		       &l), 0);
	check(pub_bind(&host, false, v4("192.0.2.1", 8080),
		       v4("192.0.2.1", 8080), &l), 0);
	check(pub_bind(&lo, false, v4("192.0.2.1", 8080), v4("0.0.0.0", 0),
		       &l), -EADDRNOTAVAIL);
	/* CAGEPORT below 1024 needs euid 0; HOSTPORT is the host's affair */
	check(pub_bind(&lo, false, v4("0.0.0.0", 80), v4("0.0.0.0", 1080), &l),
	      -EACCES);
	check(pub_bind(&host, false, v4("0.0.0.0", 443),
		       v4("0.0.0.0", 18443), &l), -EACCES);
	lo.cred.euid = 0;
	check(pub_bind(&lo, false, v4("0.0.0.0", 80), v4("0.0.0.0", 1080), &l),
	      0);
	/* an accepted socket: the host's local address, the cage's port */
	struct net_local acc = {.port = 8080};
	struct sockaddr_storage a = v4("127.0.0.1", 18080);
	net_local_show(&acc, &a);
	same(&a, v4("127.0.0.1", 8080));
	check(net_publish_set(&lo, NULL, 0), 0);
	assert_null(lo.publish);
	check(pub_bind(&lo, false, v4("0.0.0.0", 8080), v4("127.0.0.1", 8080),
		       &l), 0);
	check(net_publish_set(&host, NULL, 0), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dest),
		cmocka_unit_test(test_bind),
		cmocka_unit_test(test_publish_parse),
		cmocka_unit_test(test_publish_check),
		cmocka_unit_test(test_publish_from),
		cmocka_unit_test(test_publish_bind),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
