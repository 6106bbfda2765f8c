/* glibc's own functions on virtual files: fopen, fprintf, fgets, fseek */
#include "case.h"

int main(void)
{
	char line[128];
	enter_scratch();
	FILE *f = fopen("notes.txt", "w");
	REQUIRE(f);
	for (int i = 0; i < 100; i++)
		fprintf(f, "line %d of %s\n", i, "notes");
	REQUIRE(fclose(f) == 0);
	f = fopen("notes.txt", "r");
	REQUIRE(f);
	int n = 0;
	while (fgets(line, sizeof line, f))
		if (++n % 25 == 0)
			printf("got: %s", line);
	printf("lines: %d\n", n);
	REQUIRE(fseek(f, 7, SEEK_SET) == 0);
	REQUIRE(fgets(line, sizeof line, f));
	printf("after seek: %s", line);
	printf("ftell: %ld\n", ftell(f));
	fclose(f);
	f = fopen("notes.txt", "a+");
	REQUIRE(f);
	fputs("appended\n", f);
	fclose(f);
	f = fopen("missing/x", "r");
	printf("fopen missing: %s %s\n", f ? "opened" : "NULL", case_errname(errno));
	struct stat st;
	SHOW(stat("notes.txt", &st));
	printf("size: %lld\n", (long long)st.st_size);
	puts("puts works");
	fprintf(stderr, "stderr works\n");
	SHOW(unlink("notes.txt"));
	return 0;
}
