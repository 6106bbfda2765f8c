/* A few small tools in one program, chosen by the name it runs as (copied
 * under each name): cat, true, false, sleep, seq, wc -l, head -n, upper
 * (tr a-z A-Z), chmod.  Built with lind-cc and installed into the virtual
 * filesystem with lind-fs, so that dash in a cage starts only programs
 * from the store (tests/integration/shell.sh); built natively for the
 * reference run. */
#define _GNU_SOURCE
#include <ctype.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int fail(const char *tool, const char *what)
{
	fprintf(stderr, "%s: %s: %m\n", tool, what);
	return 1;
}

/* copy fd to stdout through f (NULL: as is) */
static int pump(int fd, int (*f)(int))
{
	char buf[4096];
	ssize_t n;
	while ((n = read(fd, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; f && i < n; i++)
			buf[i] = (char)f((unsigned char)buf[i]);
		if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n)
			return -1;
	}
	return n < 0 ? -1 : 0;
}

static int cat(int argc, char **argv)
{
	int st = 0;
	if (argc < 2)
		return pump(0, NULL) < 0 ? fail("cat", "-") : 0;
	for (int i = 1; i < argc; i++) {
		int fd = open(argv[i], O_RDONLY);
		if (fd < 0 || pump(fd, NULL) < 0)
			st = fail("cat", argv[i]);
		if (fd >= 0)
			close(fd);
	}
	return st;
}

static int lines(int max) /* head -n max (max < 0: wc -l) */
{
	long n = 0;
	int ch;
	while ((max < 0 || n < max) && (ch = getchar()) != EOF) {
		if (max >= 0)
			putchar(ch);
		n += ch == '\n';
	}
	if (max < 0)
		printf("%ld\n", n);
	return 0;
}

static int sleep_for(const char *arg)
{
	double s = strtod(arg, NULL);
	struct timespec ts = {(time_t)s, (long)((s - (time_t)s) * 1e9)};
	return nanosleep(&ts, NULL) < 0 ? fail("sleep", arg) : 0;
}

int main(int argc, char **argv)
{
	const char *name = strrchr(argv[0], '/');
	name = name ? name + 1 : argv[0];
	if (!strcmp(name, "cat"))
		return cat(argc, argv);
	if (!strcmp(name, "true"))
		return 0;
	if (!strcmp(name, "false"))
		return 1;
	if (!strcmp(name, "sleep") && argc == 2)
		return sleep_for(argv[1]);
	if (!strcmp(name, "seq") && argc == 3) {
		for (long i = atol(argv[1]); i <= atol(argv[2]); i++)
			printf("%ld\n", i);
		return 0;
	}
	if (!strcmp(name, "wc") && argc == 2 && !strcmp(argv[1], "-l"))
		return lines(-1);
	if (!strcmp(name, "head") && argc == 3 && !strcmp(argv[1], "-n"))
		return lines(atoi(argv[2]));
	if (!strcmp(name, "upper"))
		return pump(0, toupper) < 0 ? fail("upper", "-") : 0;
	if (!strcmp(name, "chmod") && argc == 3)
		return chmod(argv[2], (mode_t)strtol(argv[1], NULL, 8)) < 0
			       ? fail("chmod", argv[2])
			       : 0;
	fprintf(stderr, "%s: unknown tool or usage\n", name);
	return 2;
}
