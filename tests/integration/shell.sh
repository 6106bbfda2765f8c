#!/bin/bash
# A real shell in a cage: dash, from Debian's source, built natively and
# with lind-cc, runs the scripts in tests/integration/shell/ (pipelines,
# redirections, here-documents, subshells, $(...), background jobs and
# wait, trap, kill, exec, ulimit, times, set -e).  The programs they run
# (cat, sort, seq, sleep, /bin/sh...) are the host's, exec'd in the cage
# through the server's --host-root binds.  Each script's output and status
# must be what native dash gives.
. "$(dirname "$0")/lib.sh"
. "$LIND_SRC/tests/integration/cross-lib.sh"

if ! src=$(fetch_src dash); then
	ok "dash # SKIP $(cat "$T/fetch.err")"
	exit 0
fi
# build_dash NAME CONFIGURE-ARGS...: $TEST_CACHE/NAME/src/dash, built out
# of tree; configured and compiled once (build_cache), linked again each run
build_dash() {
	local name=$1
	shift
	(
		build_cache "$name" "$src" || "$src/configure" -q "$@" || exit 1
		rm -f src/dash && make -j2 && mark_built "$src"
	) >"$T/$name.log" 2>&1
}
if build_dash dash.native && build_dash dash.lind $CROSS_ARGS; then
	ok "dash builds natively and with lind-cc"
else
	not_ok "dash builds natively and with lind-cc"
	tail -20 "$T"/dash.*.log | diag
	exit 1
fi
start_daemons || exit 1

# run_dash DASH WORK SCRIPT: the script on dash's stdin, in a clean env
run_dash() {
	env -i PATH=/usr/bin:/bin LC_ALL=C HOME=/ WORK="$2" \
		LIND_RUNTIME_DIR="$LIND_RUNTIME_DIR" $1 <"$3" 2>&1
	echo "status $?"
}
for script in "$LIND_SRC"/tests/integration/shell/*.sh; do
	name=$(basename "$script" .sh)
	want=$(run_dash "$TEST_CACHE/dash.native/src/dash" "$T/work.native/$name" "$script")
	got=$(run_dash "$LIND_RUN $TEST_CACHE/dash.lind/src/dash" "/shtest/$name" "$script")
	expect_eq "dash runs $name.sh in a cage as natively" "$want" "$got"
done

# ---- only programs from the store ---------------------------------------
# The lind-cc dash and small lind-cc tools (progs/minitools.c, one program
# under several names) copied into the virtual filesystem with lind-fs;
# shell/store/tools.sh is a #! script there, exec'd by the launched dash
# with PATH naming only the store.  Natively: the same tree of native
# builds on the host.
LIND_FS="$LIND_BUILD/lind-fs"
TOOLS="cat true false sleep seq wc head upper chmod"
MINI="$LIND_SRC/tests/integration/progs/minitools.c"
# make_root DIR DASH TOOL: DIR/bin with dash and the tools, DIR/tools.sh
make_root() {
	mkdir -p "$1/bin" && cp "$2" "$1/bin/dash" || return 1
	for t in $TOOLS; do cp "$3" "$1/bin/$t" || return 1; done
	{ printf '#!%s/bin/dash\n' "$4"; cat "$LIND_SRC/tests/integration/shell/store/tools.sh"; } \
		>"$1/tools.sh" && chmod 755 "$1/tools.sh"
}
if ${CC:-cc} -O1 -o "$T/bin/minitools.native" "$MINI" 2>"$T/mini.err" &&
	"$LIND_CC" -O1 -static -o "$T/bin/minitools.lind" "$MINI" 2>>"$T/mini.err" &&
	make_root "$T/root.native" "$TEST_CACHE/dash.native/src/dash" \
		"$T/bin/minitools.native" "$T/root.native" &&
	make_root "$T/root.lind" "$TEST_CACHE/dash.lind/src/dash" \
		"$T/bin/minitools.lind" /lind; then
	ok "minitools build natively and with lind-cc (static)"
else
	not_ok "minitools build natively and with lind-cc (static)"
	diag "$T/mini.err"
	exit 1
fi
mkdir -p "$T/work.native/store"
check "lind-fs cp -r installs dash and the tools into the store" \
	"$LIND_FS" cp -r "$T/root.lind" :/lind
check "and makes the work directory" "$LIND_FS" mkdir -p :/shtest/store
# run_root DASH ROOT WORK: the launched dash execs ROOT/tools.sh
run_root() {
	env -i PATH="$2/bin" LC_ALL=C HOME=/ WORK="$3" ROOT="$2" \
		LIND_RUNTIME_DIR="$LIND_RUNTIME_DIR" $1 -c 'exec "$ROOT/tools.sh"' 2>&1
	echo "status $?"
}
want=$(run_root "$TEST_CACHE/dash.native/src/dash" "$T/root.native" "$T/work.native/store")
got=$(run_root "$LIND_RUN $TEST_CACHE/dash.lind/src/dash" /lind /shtest/store)
expect_eq "dash from the store runs store/tools.sh with store programs only, as natively" \
	"$want" "$got"
