/* lind-run --publish's table: see publish.h. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "publish.h"

/* A port: 1 to 65535 in decimal digits only; 0 when it is not one. */
static uint16_t port_of(const char *s, size_t len)
{
	unsigned long v = 0;
	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	return v <= 65535 ? (uint16_t)v : 0;
}

/* The part after '/': tcp or udp; -1 for anything else. */
static int proto_of(const char *slash, bool *udp)
{
	*udp = false;
	if (!slash || !strcmp(slash, "/tcp"))
		return 0;
	if (!strcmp(slash, "/udp")) {
		*udp = true;
		return 0;
	}
	return -1;
}

int lind_publish_parse(const char *spec, struct lind_publish *p, char *err,
		       size_t cap)
{
	const char *want = "want [ADDR:]HOSTPORT:CAGEPORT[/tcp|/udp], ports "
			   "1 to 65535, ADDR an IPv4 address";
	const char *slash = strchr(spec, '/');
	size_t len = slash ? (size_t)(slash - spec) : strlen(spec);
	const char *last = memrchr(spec, ':', len);
	memset(p, 0, sizeof *p);
	if (!last || proto_of(slash, &p->udp) < 0)
		goto bad;
	const char *first = memchr(spec, ':', len);
	const char *host = first == last ? spec : first + 1;
	p->cage_port = port_of(last + 1, len - (size_t)(last + 1 - spec));
	p->host_port = port_of(host, (size_t)(last - host));
	if (first != last) {
		char addr[INET_ADDRSTRLEN];
		struct in_addr in;
		size_t n = (size_t)(first - spec);
		if (n >= sizeof addr)
			goto bad;
		memcpy(addr, spec, n);
		addr[n] = '\0';
		if (inet_pton(AF_INET, addr, &in) != 1)
			goto bad;
		p->addr = ntohl(in.s_addr);
	}
	if (p->cage_port && p->host_port)
		return 0;
bad:
	snprintf(err, cap, "--publish %.100s: %s", spec, want);
	return -1;
}

const char *lind_publish_check(const struct lind_publish *p, size_t n)
{
	if (n > LIND_MAX_PUBLISH)
		return "too many published ports (at most 64)";
	for (size_t i = 0; i < n; i++) {
		if (!p[i].host_port || !p[i].cage_port)
			return "a published port is 0";
		for (size_t j = 0; j < i; j++) {
			if (p[j].udp != p[i].udp)
				continue;
			if (p[j].cage_port == p[i].cage_port)
				return "a cage port is published twice";
			if (p[j].host_port == p[i].host_port &&
			    p[j].addr == p[i].addr)
				return "a host port is published twice";
		}
	}
	return NULL;
}

const char *lind_publish_from(Lind__Publish *const *in, size_t n,
			      struct lind_publish *out)
{
	if (n > LIND_MAX_PUBLISH)
		return "too many published ports (at most 64)";
	for (size_t i = 0; i < n; i++) {
		if (!in[i] || in[i]->host_port > 65535 ||
		    in[i]->cage_port > 65535)
			return "a published port is over 65535";
		out[i] = (struct lind_publish){
			.addr = in[i]->addr,
			.host_port = (uint16_t)in[i]->host_port,
			.cage_port = (uint16_t)in[i]->cage_port,
			.udp = in[i]->udp};
	}
	return lind_publish_check(out, n);
}
