/* Names without the network: getaddrinfo of numeric addresses (IPv4
 * and IPv6, with a service), AI_PASSIVE's wildcard, AI_NUMERICHOST
 * refusing a name, localhost from /etc/hosts; getnameinfo numeric;
 * gethostbyname of a numeric address, in a forked child too. */
#include "case.h"
#include <arpa/inet.h>
#include <netdb.h>
#include <sys/socket.h>
#include <sys/wait.h>

static const char *gai_name(int r)
{
	switch (r) {
	case 0: return "0";
	case EAI_NONAME: return "EAI_NONAME";
	case EAI_AGAIN: return "EAI_AGAIN";
	case EAI_FAIL: return "EAI_FAIL";
	case EAI_FAMILY: return "EAI_FAMILY";
	case EAI_SERVICE: return "EAI_SERVICE";
	default: return "EAI_?";
	}
}

static void lookup(const char *host, const char *serv, int family, int flags)
{
	struct addrinfo hints = {.ai_family = family,
				 .ai_socktype = SOCK_STREAM,
				 .ai_flags = flags}, *res;
	int r = getaddrinfo(host, serv, &hints, &res);
	printf("%s %s: %s\n", host ? host : "(null)", serv ? serv : "(null)",
	       gai_name(r));
	if (r)
		return;
	char ip[64];
	unsigned port;
	if (res->ai_family == AF_INET6) {
		struct sockaddr_in6 *in6 = (void *)res->ai_addr;
		inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
		port = ntohs(in6->sin6_port);
	} else {
		struct sockaddr_in *in = (void *)res->ai_addr;
		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
		port = ntohs(in->sin_port);
	}
	printf("  family %d %s port %u len %u\n", res->ai_family, ip, port,
	       (unsigned)res->ai_addrlen);
	freeaddrinfo(res);
}

static void reverse(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(80)};
	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	char host[64], serv[16];
	int r = getnameinfo((struct sockaddr *)&a, sizeof a, host, sizeof host,
			    serv, sizeof serv, NI_NUMERICHOST | NI_NUMERICSERV);
	printf("getnameinfo: %s %s %s\n", gai_name(r), host, serv);
}

static void by_name(const char *who)
{
	struct hostent *h = gethostbyname("127.0.0.1");
	if (!h) {
		printf("%s: gethostbyname failed\n", who);
		return;
	}
	char ip[16];
	inet_ntop(AF_INET, h->h_addr_list[0], ip, sizeof ip);
	printf("%s: %s type %d len %d %s\n", who, h->h_name, h->h_addrtype,
	       h->h_length, ip);
}

int main(void)
{
	lookup("192.168.1.1", "80", AF_INET, AI_NUMERICHOST);
	lookup("::1", "443", AF_INET6, AI_NUMERICHOST);
	lookup(NULL, "8080", AF_INET, AI_PASSIVE);
	lookup("not.a.number", NULL, AF_UNSPEC, AI_NUMERICHOST);
	lookup("127.0.0.1", "12345", AF_INET, AI_NUMERICHOST);
	lookup("localhost", NULL, AF_INET, 0);
	printf("gai_strerror: %d\n", strlen(gai_strerror(EAI_NONAME)) > 0);
	reverse();
	by_name("parent");
	fflush(stdout);
	pid_t p = fork();
	REQUIRE(p >= 0);
	if (p == 0) {
		by_name("child");
		exit(0);
	}
	int st;
	REQUIRE(waitpid(p, &st, 0) == p);
	printf("child exited %d\n", WEXITSTATUS(st));
	return 0;
}
