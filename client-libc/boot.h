/* lind-run's child: from a host file to a confined program (boot.c). */
#ifndef LIND_BOOT_H
#define LIND_BOOT_H

#include <stdint.h>

/* Attach as a cage with policy deny (classes the relay refuses), install
 * the filter, load path (argv as given to the program) and jump to it.  Returns only if the program cannot be
 * loaded, after one line on stderr: the status to exit with. */
int boot_cage(const char *path, char *argv[], uint32_t deny);

/* attach.c, built for lind-run: attach as a cage named argv under policy
 * deny and install the filter; dies with one line if it cannot. */
void lind_boot_attach(char **argv, uint32_t deny);

/* attach.c, built for lind-fs: attach as a cage named argv without the
 * filter (a host tool whose virtual side is a cage); dies like the above. */
void lind_tool_attach(char **argv);

#endif
