/* reads stdin to the end and writes it back upper-cased */
#include "case.h"
#include <ctype.h>

int main(void)
{
	char buf[256];
	ssize_t n;
	long total = 0;
	while ((n = read(0, buf, sizeof buf)) > 0) {
		for (ssize_t i = 0; i < n; i++)
			buf[i] = (char)toupper((unsigned char)buf[i]);
		REQUIRE(write(1, buf, (size_t)n) == n);
		total += n;
	}
	printf("bytes: %ld, last read %zd\n", total, n);
	return 0;
}
