/* The demo cage: ordinary C, nothing lind-specific.  Everything it does
 * lands in posix-server's virtual filesystem. */
#include <dirent.h>
#include <stdio.h>
#include <unistd.h>

int main(void)
{
	char cwd[256], line[128];
	FILE *f = fopen("/tmp/hello.txt", "w");
	if (!f) {
		perror("fopen");
		return 1;
	}
	fprintf(f, "written in cage %d\n", (int)getpid());
	fclose(f);
	f = fopen("/tmp/hello.txt", "r");
	if (f && fgets(line, sizeof line, f))
		printf("read back: %s", line);
	if (f)
		fclose(f);
	printf("cwd: %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
	DIR *d = opendir("/");
	struct dirent *e;
	printf("/ holds:");
	while (d && (e = readdir(d)))
		printf(" %s", e->d_name);
	printf("\n");
	if (d)
		closedir(d);
	return 0;
}
