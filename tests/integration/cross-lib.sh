# Shared by cross.sh and cross_sqlite.sh (after lib.sh): configure's
# cross-compiling arguments for cages (docs/building.md), with the build
# tree's x86_64-lind-linux-gnu-gcc first in PATH.
LIND_HOST=$(uname -m)-lind-linux-gnu
# --build as well as --host: with --host alone autoconf runs a test program
# to decide, and that runs as a cage when daemons are up (docs/building.md)
CROSS_ARGS="--build=$(${CC:-cc} -dumpmachine) --host=$LIND_HOST"
export PATH="$LIND_BUILD/cross-bin:$PATH"
# gzip and sqlite3 are linked dynamically; set -static here if dynamic cage
# programs cannot run (lind-run as a loader before host libraries are bound)
CAGE_LDFLAGS=
# the packages' own makes must not inherit our make check's TESTS=...
unset MAKEFLAGS MFLAGS MAKEOVERRIDES MAKELEVEL

# fetch_src PACKAGE: the cached Debian source tree (read-only: copy it or
# build out of tree); on failure the reason is in $T/fetch.err
fetch_src() {
	"$LIND_SRC/scripts/fetch-src" "$1" 2>"$T/fetch.err"
}

# build_cache NAME SRC: cd to $LIND_TEST_CACHE/NAME (default
# $LIND_BUILD/tests/cache), a package's build kept between runs, so that
# iterating on the server re-links instead of rebuilding.  Its objects do
# not depend on the build tree (lind-cc compiles alike in every one; a
# cage program is linked with this build's client-libc each run), so
# scripts/test lets its sanitized and distcheck builds share the plain
# build's.  Status 0 when it holds a finished build of SRC (mark_built);
# else it is emptied first, status 1.
TEST_CACHE=${LIND_TEST_CACHE:-$LIND_BUILD/tests/cache}
build_cache() {
	CACHE=$TEST_CACHE/$1
	if [ "$(cat "$CACHE/.built" 2>/dev/null)" = "$2" ]; then
		cd "$CACHE"
		return 0
	fi
	rm -rf "$CACHE" && mkdir -p "$CACHE" && cd "$CACHE" || exit 1
	return 1
}
mark_built() { echo "$1" >"$CACHE/.built"; }
