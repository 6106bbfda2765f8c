/* What a program looks up by name (issue 9 item 5): the addresses of a
 * host name, the name of an address, a user and a group, this host's
 * name (and -s NAME sets it), the interfaces (-i).  Prints one line per lookup, addresses sorted so the order the
 * resolver chose does not matter. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <grp.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int by_text(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void addresses(const char *host)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
	int r = getaddrinfo(host, "80", &hints, &res);
	if (r) {
		printf("getaddrinfo %s: %s\n", host, gai_strerror(r));
		return;
	}
	char *seen[16], buf[INET6_ADDRSTRLEN];
	int n = 0;
	for (ai = res; ai && n < 16; ai = ai->ai_next) {
		const void *a = ai->ai_family == AF_INET
			? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
		inet_ntop(ai->ai_family, a, buf, sizeof buf);
		seen[n++] = strdup(buf);
	}
	freeaddrinfo(res);
	qsort(seen, (size_t)n, sizeof *seen, by_text);
	printf("getaddrinfo %s:", host);
	for (int i = 0; i < n; i++) {
		printf(" %s", seen[i]);
		free(seen[i]);
	}
	printf("\n");
}

/* The interfaces getifaddrs shows: "name up|down address" lines
 * (AF_PACKET's link entries as "link"), sorted. */
static void interfaces(void)
{
	struct ifaddrs *ifa, *p;
	if (getifaddrs(&ifa)) {
		perror("getifaddrs");
		return;
	}
	char *lines[64], buf[INET6_ADDRSTRLEN];
	int n = 0;
	for (p = ifa; p && n < 64; p = p->ifa_next) {
		int fam = p->ifa_addr ? p->ifa_addr->sa_family : AF_UNSPEC;
		const void *a = fam == AF_INET
			? (const void *)&((struct sockaddr_in *)p->ifa_addr)->sin_addr
			: (const void *)&((struct sockaddr_in6 *)p->ifa_addr)->sin6_addr;
		if (fam == AF_INET || fam == AF_INET6)
			inet_ntop(fam, a, buf, sizeof buf);
		else
			snprintf(buf, sizeof buf, "link");
		if (asprintf(&lines[n], "%s %s %s", p->ifa_name,
			     p->ifa_flags & IFF_UP ? "up" : "down", buf) > 0)
			n++;
	}
	freeifaddrs(ifa);
	qsort(lines, (size_t)n, sizeof *lines, by_text);
	for (int i = 0; i < n; i++) {
		printf("%s\n", lines[i]);
		free(lines[i]);
	}
	printf("if_nametoindex lo: %s\n", if_nametoindex("lo") ? "found" : "none");
}

static void name_of(const char *addr)
{
	struct sockaddr_in sin = {.sin_family = AF_INET};
	char host[256];
	inet_pton(AF_INET, addr, &sin.sin_addr);
	int r = getnameinfo((struct sockaddr *)&sin, sizeof sin, host,
			    sizeof host, NULL, 0, NI_NAMEREQD);
	printf("getnameinfo %s: %s\n", addr, r ? gai_strerror(r) : host);
}

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-i")) {
			interfaces();
		} else if (!strcmp(argv[i], "-s") && i + 1 < argc) {
			const char *n = argv[++i];
			if (sethostname(n, strlen(n)) < 0)
				perror("sethostname");
		} else if (!strcmp(argv[i], "-h")) {
			char h[256];
			gethostname(h, sizeof h);
			printf("gethostname: %s\n", h);
		} else if (!strcmp(argv[i], "-u")) {
			struct passwd *pw = getpwuid(0);
			struct group *gr = getgrgid(0);
			printf("getpwuid 0: %s %s\n", pw ? pw->pw_name : "none",
			       pw ? pw->pw_dir : "");
			printf("getgrgid 0: %s\n", gr ? gr->gr_name : "none");
		} else if (strchr(argv[i], '.') && argv[i][0] >= '0' &&
			   argv[i][0] <= '9') {
			name_of(argv[i]);
		} else {
			addresses(argv[i]);
		}
	}
	return 0;
}
