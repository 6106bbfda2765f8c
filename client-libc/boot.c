/*
 * lind-run's child, in the order that confines a program from its first
 * instruction:
 *   1. read the program (and its #! interpreter, and its ELF interpreter)
 *      from the host and map them: trusted code, before the filter, on
 *      the files the user named;
 *   2. attach to nacl-relay as the cage and install the SIGSYS handler and
 *      the seccomp filter (attach.c, trap.c), closing every other host fd;
 *   3. jump to the interpreter or the program with the stack the kernel
 *      would have built (load.c).
 * From 3 on, every call the program makes, its loader's first included,
 * is the filter's to let through or trap to the handler resident here; a
 * lind-cc program's own client-libc finds this one (LIND_PROBE_NR) and
 * shares its channel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "boot.h"
#include "load.h"

extern char **environ;

#define SHEBANG_MAX 256 /* Linux's BINPRM_BUF_SIZE */

/* One line; lind-run exits 127 for what is missing, 126 otherwise. */
static int fail(const char *what, int err)
{
	fprintf(stderr, "lind-run: %s: %s\n", what,
		err == -ENOEXEC ? "not an x86-64 program lind-run can load"
				: strerror(-err));
	return err == -ENOENT ? 127 : 126;
}

/* "#!interp [arg]" in the file's first line: 1 and the parts, 0 when the
 * file is no script, -ENOEXEC when the line is too long or empty. */
static int shebang(int fd, char *line, char **interp, char **arg)
{
	ssize_t n = pread(fd, line, SHEBANG_MAX, 0);
	if (n < 2 || line[0] != '#' || line[1] != '!')
		return 0;
	char *nl = memchr(line, '\n', (size_t)n);
	if (!nl)
		return -ENOEXEC;
	*nl = '\0';
	char *p = line + 2;
	p += strspn(p, " \t");
	if (!*p)
		return -ENOEXEC;
	*interp = p;
	p += strcspn(p, " \t");
	if (*p) {
		*p++ = '\0';
		p += strspn(p, " \t");
		size_t len = strlen(p);
		while (len && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			p[--len] = '\0';
	}
	*arg = *p ? p : NULL;
	return 1;
}

/* argv of a script run through interp: interp [arg] path argv[1...] */
static char **script_argv(char *interp, char *arg, const char *path,
			  char *argv[])
{
	size_t n = 0;
	while (argv[n])
		n++;
	char **v = calloc(n + 3, sizeof *v);
	if (!v)
		return NULL;
	size_t k = 0;
	v[k++] = interp;
	if (arg)
		v[k++] = arg;
	v[k++] = (char *)path;
	for (size_t i = 1; i < n; i++)
		v[k++] = argv[i];
	return v;
}

/* Load the ELF at fd, or (fd < 0) the one at path; fd is closed. */
static int load_file(int fd, const char *path, struct elf_image *img)
{
	if (fd < 0 && (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return -errno;
	int r = load_elf(fd, img);
	close(fd);
	return r;
}

int boot_cage(const char *path, char *argv[], uint32_t deny)
{
	char line[SHEBANG_MAX + 1], *interp = NULL, *arg = NULL;
	const char *image = path;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fail(argv[0], -errno);
	int r = shebang(fd, line, &interp, &arg);
	if (r != 0)
		close(fd); /* a script (or a bad #! line): the interpreter is loaded */
	if (r < 0)
		return fail(argv[0], r);
	if (r > 0) {
		fd = -1;
		image = interp;
		if (!(argv = script_argv(interp, arg, path, argv)))
			return fail(path, -ENOMEM);
	}
	struct elf_image prog, ld = {0};
	if ((r = load_file(fd, image, &prog)) < 0)
		return fail(image, r);
	if (prog.interp[0] && (r = load_file(-1, prog.interp, &ld)) < 0)
		return fail(prog.interp, r);
	if (ld.interp[0])
		return fail(prog.interp, -ENOEXEC);
	uintptr_t sp = load_stack(&prog, prog.interp[0] ? ld.bias : 0, argv,
				  environ, image);
	if (!sp)
		return fail(argv[0], -ENOMEM);
	char exe[PATH_MAX];
	if (realpath(image, exe)) /* what /proc/N/exe names, if a bind shows it */
		lind_boot_exe(exe);
	lind_boot_attach(argv, deny);
	load_jump(sp, prog.interp[0] ? ld.entry : prog.entry);
}
