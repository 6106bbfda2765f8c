/* execloop N PATH: exec PATH (this program) N times, then exit 0 (make
 * bench: the cost of one execve, natively and in a cage, from the time of
 * N against 0). */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	int left = argc > 2 ? atoi(argv[1]) : 0;
	if (left <= 0)
		return 0;
	char num[16];
	snprintf(num, sizeof num, "%d", left - 1);
	char *v[] = {argv[2], num, argv[2], NULL};
	execv(argv[2], v);
	perror("execloop: execv");
	return 1;
}
