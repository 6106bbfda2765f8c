#!/bin/bash
# dlopen of a shared library stored in the virtual filesystem (issue 8,
# item 3): a library built with cc -shared -fPIC is copied into the store
# with lind-fs cp; a dynamic cage program dlopens it by its virtual path
# (the loader maps the file through the server: sys_mmap.c, hostfd.c),
# calls it, reads its data and closes it, printing what the same program
# prints natively with the library on the host.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build dlopen_cage "$LIND_SRC/tests/integration/progs/dlopen_cage.c" || {
	echo "Bail out! dlopen_cage does not build"
	cat "$T"/bin/dlopen_cage.*.err >&2
	exit 1
}
cat >"$T/sq.c" <<'EOT'
int calls; /* bss */
const char *greeting = "hello from the store"; /* data, relocated */
int square(int x)
{
	calls++;
	return x * x;
}
EOT
${CC:-cc} -shared -fPIC -o "$T/libsq.so" "$T/sq.c" || {
	echo "Bail out! the library does not build"
	exit 1
}
LIND_FS="$LIND_BUILD/lind-fs"
expect_eq "lind-fs cp puts the library in the store" "" \
	"$("$LIND_FS" cp "$T/libsq.so" :/tmp/libsq.so 2>&1)"

check "... and only there (no host file at that path)" test ! -e /tmp/libsq.so
native=$("$T/bin/dlopen_cage.native" "$T/libsq.so" 2>&1)
expect_eq "natively: the library's answers" "square(7) 49 square(12) 144
calls 2 greeting hello from the store
dlclose 0" "$native"
expect_eq "in a cage, the library from the store: the same" "$native" \
	"$("$LIND_RUN" "$T/bin/dlopen_cage.lind" /tmp/libsq.so 2>&1)"
expect_eq "a missing library: dlopen's error" \
	"dlopen: /tmp/none.so: cannot open shared object file: No such file or directory" \
	"$("$LIND_RUN" "$T/bin/dlopen_cage.lind" /tmp/none.so 2>&1)"
