/* dlopen(3) of a shared library (tests/integration/dlopen.sh): loads
 * argv[1], calls its functions, reads its data, closes it; prints the
 * same natively and in a cage whose library is in the store. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dlopen_cage LIBRARY\n");
		return 2;
	}
	void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		printf("dlopen: %s\n", dlerror());
		return 1;
	}
	int (*square)(int) = (int (*)(int))dlsym(h, "square");
	const char **greeting = dlsym(h, "greeting");
	int *calls = dlsym(h, "calls");
	if (!square || !greeting || !calls) {
		printf("dlsym: %s\n", dlerror());
		return 1;
	}
	printf("square(7) %d square(12) %d\n", square(7), square(12));
	printf("calls %d greeting %s\n", *calls, *greeting);
	printf("dlclose %d\n", dlclose(h));
	return 0;
}
