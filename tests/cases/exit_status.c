/* the cage's exit status reaches whoever started it */
#include "case.h"

int main(void)
{
	printf("about to exit 3\n");
	exit(3);
}
