/* http_get ADDR PORT PATH: one HTTP/1.0 GET; prints the status line and
 * the body (tests/integration/http.sh: a cage fetching from the host). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: http_get ADDR PORT PATH\n");
		return 2;
	}
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res;
	int r = getaddrinfo(argv[1], argv[2], &hints, &res);
	if (r) {
		fprintf(stderr, "http_get: %s: %s\n", argv[1], gai_strerror(r));
		return 1;
	}
	int fd = socket(res->ai_family, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		perror("http_get: connect");
		return 1;
	}
	freeaddrinfo(res);
	dprintf(fd, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", argv[3], argv[1]);
	shutdown(fd, SHUT_WR);
	static char buf[1 << 20];
	size_t got = 0;
	ssize_t n;
	while (got < sizeof buf - 1 &&
	       (n = read(fd, buf + got, sizeof buf - 1 - got)) > 0)
		got += (size_t)n;
	buf[got] = '\0';
	char *body = strstr(buf, "\r\n\r\n");
	char *eol = strstr(buf, "\r\n");
	if (!body || !eol) {
		fprintf(stderr, "http_get: no HTTP answer\n");
		return 1;
	}
	printf("%.*s\n%s", (int)(eol - buf), buf, body + 4);
	return 0;
}
