/* lind-run's start-up by phase (boot.h): monotonic stamps taken by
 * lind-run, its child and attach.c, reported on stderr when asked. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "boot.h"

static struct timespec stamps[BOOT_PHASES];
static int asked;

void lind_boot_stamp(enum lind_boot_phase p)
{
	clock_gettime(CLOCK_MONOTONIC, &stamps[p]);
}

static long us_between(enum lind_boot_phase a, enum lind_boot_phase b)
{
	return (stamps[b].tv_sec - stamps[a].tv_sec) * 1000000L +
	       (stamps[b].tv_nsec - stamps[a].tv_nsec) / 1000;
}

void lind_boot_times_start(void)
{
	lind_boot_stamp(BOOT_FORKED);
	const char *ask = getenv("LIND_BOOT_TIMES");
	asked = ask && ask[0] == '1';
	unsetenv("LIND_BOOT_TIMES");
}

void lind_boot_times_report(void)
{
	if (!asked)
		return;
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long total = (now.tv_sec - stamps[BOOT_MAIN].tv_sec) * 1000000L +
		     (now.tv_nsec - stamps[BOOT_MAIN].tv_nsec) / 1000;
	fprintf(stderr,
		"lind-run start-up us: fork %ld load %ld attach %ld channel %ld "
		"filter %ld total %ld\n",
		us_between(BOOT_MAIN, BOOT_FORKED),
		us_between(BOOT_FORKED, BOOT_LOADED),
		us_between(BOOT_LOADED, BOOT_ATTACHED),
		us_between(BOOT_ATTACHED, BOOT_CHANNEL),
		us_between(BOOT_CHANNEL, BOOT_FILTERED), total);
}
