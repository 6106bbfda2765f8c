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

/* One line; lind-run exits 127 for what is missing, 126 otherwise. */
static int fail(const char *what, int err)
{
	fprintf(stderr, "lind-run: %s: %s\n", what,
		err == -ENOEXEC ? "not an x86-64 program lind-run can load"
				: strerror(-err));
	return err == -ENOENT ? 127 : 126;
}

/* "#!interp [arg]" in the file's first line (load_shebang). */
static int shebang(int fd, char *line, char **interp, char **arg)
{
	ssize_t n = pread(fd, line, LOAD_SHEBANG_MAX, 0);
	return n < 0 ? 0 : load_shebang(line, (size_t)n, interp, arg);
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
	struct load_src src = {fd, 1};
	int r = load_elf(&src, img);
	close(fd);
	return r;
}

int boot_cage(const char *path, char *argv[], uint32_t deny)
{
	char line[LOAD_SHEBANG_MAX + 1], *interp = NULL, *arg = NULL;
	const char *image = path;
	lind_boot_times_start();
	exec_boot_record(); /* before anything of the program is mapped */
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
	static struct elf_image prog, ld; /* 11 KiB each: not on the stack */
	if ((r = load_file(fd, image, &prog)) < 0)
		return fail(image, r);
	if (prog.interp[0] && (r = load_file(-1, prog.interp, &ld)) < 0)
		return fail(prog.interp, r);
	if (ld.interp[0])
		return fail(prog.interp, -ENOEXEC);
	long err;
	uintptr_t base = load_stack_map(prog.exec_stack, &err);
	if (!base)
		return fail(argv[0], (int)err);
	uintptr_t sp = load_stack(&prog, prog.interp[0] ? ld.bias : 0, argv,
				  environ, image, base + LOAD_STACK_SIZE);
	if (!sp)
		return fail(argv[0], -ENOMEM);
	char exe[PATH_MAX];
	if (realpath(image, exe)) /* what /proc/N/exe names, if a bind shows it */
		lind_boot_exe(exe);
	lind_boot_stamp(BOOT_LOADED);
	lind_boot_attach(argv, deny);
	exec_boot_attached();
	lind_boot_times_report();
	load_jump(sp, prog.interp[0] ? ld.entry : prog.entry);
}
